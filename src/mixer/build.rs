//! Turn the model into an engine graph description.
//!
//! Processing order: tracks, group buses, aux buses, master. Tracks feed
//! groups or master; groups feed master and send to auxes; auxes feed
//! master. So every edge points forward, as the engine requires.

use super::solo::SoloMutes;
use crate::dsp::db_to_amp;
use crate::dsp::eq::{BandSpec, EqSpec};
use crate::dsp::pan::{PanLaw, balance_gains};
use crate::engine::{
    Channels, Clip, Dest, InsertSpec, NodeId, NodeSpec, SendDest, SendSpec, Source,
};
use crate::model::{
    BusKind, Controls, Insert, Output, SendTarget, Session, StripOrder, TrackSource,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Decoded audio files by the path written in the session.
pub type ClipStore = HashMap<PathBuf, Arc<Clip>>;

/// Where each strip sits in the engine graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeMap {
    /// Per track.
    pub tracks: Vec<NodeId>,
    /// Per bus.
    pub buses: Vec<NodeId>,
    /// Master.
    pub master: NodeId,
}

/// The engine coefficients for one strip's controls (live values; lanes
/// play in the engine).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Coefs {
    pub trim: f32,
    pub polarity: f32,
    pub fader: f32,
    pub mute: f32,
    pub solo: f32,
    pub pan: (f32, f32),
}

/// `solo_muted`: another strip's solo silences this one.
pub(crate) fn strip_coefs(
    c: &Controls,
    channels: Channels,
    law: PanLaw,
    solo_muted: bool,
) -> Coefs {
    let gate = |closed: bool| if closed { 0.0 } else { 1.0 };
    Coefs {
        trim: db_to_amp(c.trim_db) as f32,
        polarity: if c.invert { -1.0 } else { 1.0 },
        fader: db_to_amp(c.gain_db) as f32,
        mute: gate(c.mute),
        solo: gate(solo_muted),
        pan: pan_gains(c.pan, channels, law),
    }
}

/// The engine's view of a strip's filter and EQ.
pub(crate) fn eq_spec(eq: &crate::model::Eq) -> EqSpec {
    EqSpec {
        on: eq.on,
        hpf_on: eq.hpf_on,
        hpf_hz: eq.hpf_hz as f32,
        hpf_slope: eq.hpf_slope,
        bands: eq.bands.map(|b| band_spec(&b)),
    }
}

/// The engine's view of one EQ band.
pub(crate) fn band_spec(b: &crate::model::Band) -> BandSpec {
    BandSpec {
        on: b.on,
        kind: b.kind,
        freq_hz: b.freq_hz as f32,
        gain_db: b.gain_db as f32,
        q: b.q as f32,
    }
}

pub(crate) fn pan_gains(pan: f64, channels: Channels, law: PanLaw) -> (f32, f32) {
    let (l, r) = match channels {
        Channels::Mono => law.gains(pan),
        Channels::Stereo => balance_gains(pan),
    };
    (l as f32, r as f32)
}

pub(crate) fn send_level(gain_db: f64) -> f32 {
    db_to_amp(gain_db) as f32
}

/// Node order and ids for `session`.
pub fn node_map(session: &Session) -> NodeMap {
    let t = session.tracks.len();
    let groups: Vec<usize> = bus_indices(session, BusKind::Group);
    let auxes: Vec<usize> = bus_indices(session, BusKind::Aux);
    let mut buses = vec![NodeId(0); session.buses.len()];
    for (k, &b) in groups.iter().chain(auxes.iter()).enumerate() {
        buses[b] = NodeId((t + k) as u16);
    }
    NodeMap {
        tracks: (0..t).map(|i| NodeId(i as u16)).collect(),
        buses,
        master: NodeId((t + session.buses.len()) as u16),
    }
}

fn bus_indices(session: &Session, kind: BusKind) -> Vec<usize> {
    (0..session.buses.len())
        .filter(|&i| session.buses[i].kind == kind)
        .collect()
}

/// Longest insert round trip (and compensation delay) the engine keeps, in
/// samples: 4 s at 48 kHz.
pub const MAX_INSERT_LATENCY: u32 = 192_000;

/// The insert's share of return in the engine: 0 when bypassed (or while
/// its loop is being measured).
pub(crate) fn insert_wet(ins: &Insert, silenced: bool) -> f32 {
    if ins.bypass || silenced {
        0.0
    } else {
        ins.wet as f32
    }
}

fn insert_spec(ins: &Insert, period: u32) -> InsertSpec {
    InsertSpec {
        send_first: ins.output.saturating_sub(1),
        return_first: ins.input.saturating_sub(1),
        wet: insert_wet(ins, false),
        latency: ins
            .latency
            .get(&period)
            .copied()
            .unwrap_or(0)
            .min(MAX_INSERT_LATENCY),
    }
}

/// When each node's inputs are aligned (`arrive`) and when its output is
/// ready (`ready`, after its insert's round trip), in frames after the
/// timeline. Walks the nodes in processing order (every edge points
/// forward).
fn arrivals(specs: &[NodeSpec]) -> (Vec<u32>, Vec<u32>) {
    let n = specs.len();
    let mut arrive = vec![0u32; n];
    let mut ready = vec![0u32; n];
    for i in 0..n {
        ready[i] = arrive[i] + specs[i].insert.map_or(0, |x| x.latency);
        let targets = specs[i]
            .sends
            .iter()
            .filter_map(|s| match s.dest {
                SendDest::Node(d) => Some(d),
                // Hardware sends leave the mix: nothing to align there.
                SendDest::Output { .. } => None,
            })
            .chain(match specs[i].dest {
                Dest::Node(d) => Some(d),
                Dest::Output { .. } => None,
            });
        for d in targets.collect::<Vec<_>>() {
            let d = usize::from(d.0);
            if d < n {
                arrive[d] = arrive[d].max(ready[i]);
            }
        }
    }
    (arrive, ready)
}

/// Frames from the timeline to each node's output, in node-id order: its
/// aligned inputs, its insert's round trip and a limiter's lookahead. An
/// offline render reads each output this much later, so the mix and its
/// stems line up sample for sample.
pub fn output_latencies(specs: &[NodeSpec], sample_rate: u32) -> Vec<u32> {
    let (_, ready) = arrivals(specs);
    ready
        .iter()
        .zip(specs)
        .map(|(r, spec)| {
            r + spec.limiter.map_or(0, |_| {
                crate::dsp::limiter::latency_frames(sample_rate) as u32
            })
        })
        .collect()
}

/// Latency compensation: every path into a node arrives as late as the
/// latest one: each edge's delay is the difference between when its
/// destination's inputs are aligned and when this node's output is ready.
fn compensate(specs: &mut [NodeSpec]) {
    let n = specs.len();
    let (arrive, ready) = arrivals(specs);
    for i in 0..n {
        let delay_to = |d: NodeId| {
            arrive
                .get(usize::from(d.0))
                .map_or(0, |a| (a - ready[i]).min(MAX_INSERT_LATENCY))
        };
        if let Dest::Node(d) = specs[i].dest {
            specs[i].dest_delay = delay_to(d);
        }
        for s in specs[i].sends.iter_mut() {
            if let SendDest::Node(d) = s.dest {
                s.delay = delay_to(d);
            }
        }
    }
}

/// Engine node descriptions for `session`, in node-id order, with insert
/// latencies for periods of `period` frames compensated.
pub fn node_specs(
    session: &Session,
    map: &NodeMap,
    solo: &SoloMutes,
    clips: &ClipStore,
    period: u32,
) -> Vec<NodeSpec> {
    let law = session.pan_law;
    let mut specs: Vec<Option<NodeSpec>> = vec![None; usize::from(map.master.0) + 1];
    let sends = |c: &Controls, channels: Channels| -> Vec<SendSpec> {
        c.sends
            .iter()
            .map(|s| SendSpec {
                dest: match s.target {
                    SendTarget::Bus(b) => SendDest::Node(map.buses[b]),
                    SendTarget::Output(o) => SendDest::Output {
                        first: o.saturating_sub(1),
                    },
                },
                pre: s.pre,
                gain: send_level(s.gain_db),
                pan: pan_gains(s.pan, channels, law),
                delay: 0,
            })
            .collect()
    };
    for (i, track) in session.tracks.iter().enumerate() {
        let coefs = strip_coefs(&track.controls, track.channels, law, solo.tracks[i]);
        let source = match &track.source {
            TrackSource::None => Source::Silence,
            TrackSource::Input(ch) => Source::Input {
                first: ch.saturating_sub(1),
            },
            TrackSource::File { path, looped } => match clips.get(path) {
                Some(clip) => Source::Clip {
                    clip: Arc::clone(clip),
                    looped: *looped,
                },
                None => Source::Silence,
            },
            TrackSource::Tone(spec) => Source::Tone(*spec),
        };
        specs[i] = Some(NodeSpec {
            source,
            channels: track.channels,
            dest: Dest::Node(match track.output {
                Output::Master => map.master,
                Output::Bus(b) => map.buses[b],
            }),
            trim: coefs.trim,
            polarity: coefs.polarity,
            fader: coefs.fader,
            mute: coefs.mute,
            solo: coefs.solo,
            pan: coefs.pan,
            sends: sends(&track.controls, track.channels),
            insert: track
                .controls
                .insert
                .as_ref()
                .map(|x| insert_spec(x, period)),
            dest_delay: 0,
            eq: eq_spec(&track.controls.eq),
            comp: track.controls.comp,
            gate: track.controls.gate,
            dynamics_first: track.controls.order == StripOrder::DynamicsThenEq,
            limiter: None,
            fx: None,
        });
    }
    for (j, bus) in session.buses.iter().enumerate() {
        let coefs = strip_coefs(&bus.controls, Channels::Stereo, law, solo.buses[j]);
        specs[usize::from(map.buses[j].0)] = Some(NodeSpec {
            source: Source::Bus,
            channels: Channels::Stereo,
            dest: Dest::Node(map.master),
            trim: coefs.trim,
            polarity: coefs.polarity,
            fader: coefs.fader,
            mute: coefs.mute,
            solo: coefs.solo,
            pan: coefs.pan,
            sends: sends(&bus.controls, Channels::Stereo),
            insert: bus.controls.insert.as_ref().map(|x| insert_spec(x, period)),
            dest_delay: 0,
            eq: eq_spec(&bus.controls.eq),
            comp: bus.controls.comp,
            gate: bus.controls.gate,
            dynamics_first: bus.controls.order == StripOrder::DynamicsThenEq,
            limiter: None,
            fx: fx_spec(&bus.controls.effect, session.tempo_bpm),
        });
    }
    let coefs = strip_coefs(&session.master, Channels::Stereo, law, false);
    specs[usize::from(map.master.0)] = Some(NodeSpec {
        source: Source::Bus,
        channels: Channels::Stereo,
        dest: Dest::Output { first: 0 },
        trim: coefs.trim,
        polarity: coefs.polarity,
        fader: coefs.fader,
        mute: coefs.mute,
        solo: coefs.solo,
        pan: coefs.pan,
        sends: Vec::new(),
        insert: session
            .master
            .insert
            .as_ref()
            .map(|x| insert_spec(x, period)),
        dest_delay: 0,
        eq: eq_spec(&session.master.eq),
        comp: session.master.comp,
        gate: session.master.gate,
        dynamics_first: session.master.order == StripOrder::DynamicsThenEq,
        // In the graph only while on: its lookahead is latency.
        limiter: session.master.limiter.on.then_some(session.master.limiter),
        fx: None,
    });
    let mut specs: Vec<NodeSpec> = specs.into_iter().flatten().collect();
    compensate(&mut specs);
    specs
}

/// The engine's form of a bus effect at `tempo_bpm`.
pub(crate) fn fx_spec(
    effect: &crate::model::Effect,
    tempo_bpm: f64,
) -> Option<crate::engine::FxSpec> {
    use crate::engine::FxSpec;
    use crate::model::Effect;
    match effect {
        Effect::None => None,
        Effect::Delay(d) => Some(FxSpec::Echo(d.engine_spec(tempo_bpm))),
        Effect::Reverb(r) => Some(FxSpec::Reverb(*r)),
    }
}
