//! Writing a session: the model as the file's schema, values in their
//! shortest form.

use super::schema::*;
use super::{SESSION_VERSION, sf, sf32, short, spanless};
use crate::dsp::fader_law::GAIN_OFF_DB;
use crate::dsp::generator::Wave;
use crate::model::{
    AutomationMode, Bus, BusKind, Channels, CompSpec, Controls, DEFAULT_SMOOTHING_MS,
    DEFAULT_TEMPO_BPM, DelayFx, Detect, Effect, Eq, GateSpec, Lane, LaneParam, LimiterSpec, Output,
    ReverbSpec, SendTarget, Session, StripColour, StripOrder, TrackSource,
};
use serde_saphyr::Spanned;

pub(super) fn lanes_file(
    lanes: &std::collections::BTreeMap<LaneParam, Lane>,
    rate: u32,
) -> std::collections::BTreeMap<String, Spanned<LaneFile>> {
    lanes
        .iter()
        .map(|(param, lane)| {
            let gain = matches!(param, LaneParam::Gain | LaneParam::SendGain(_));
            let points = lane
                .points
                .iter()
                .map(|p| {
                    let v = if gain && p.value <= GAIN_OFF_DB {
                        f64::NEG_INFINITY
                    } else {
                        p.value
                    };
                    spanless([p.frame as f64 / f64::from(rate.max(1)), short(v)])
                })
                .collect();
            (
                param.name(),
                spanless(LaneFile {
                    mode: lane.mode.map(|m| spanless(m.as_str().to_owned())),
                    points,
                }),
            )
        })
        .collect()
}

pub(super) fn eq_file(eq: &Eq) -> Option<Spanned<EqFile>> {
    let d = Eq::default();
    if *eq == d {
        return None;
    }
    let hpf = (eq.hpf_on != d.hpf_on || eq.hpf_hz != d.hpf_hz || eq.hpf_slope != d.hpf_slope).then(
        || {
            spanless(HpfFile {
                on: Some(eq.hpf_on),
                freq: Some(sf(eq.hpf_hz)),
                slope: Some(spanless(f64::from(eq.hpf_slope.db_per_octave()))),
            })
        },
    );
    let bands = if eq.bands == d.bands {
        Vec::new()
    } else {
        eq.bands
            .iter()
            .map(|b| {
                spanless(BandFile {
                    on: (!b.on).then_some(false),
                    kind: Some(spanless(b.kind.as_str().to_owned())),
                    freq: Some(sf(b.freq_hz)),
                    gain: Some(sf(b.gain_db)),
                    q: Some(sf(b.q)),
                })
            })
            .collect()
    };
    Some(spanless(EqFile {
        on: (!eq.on).then_some(false),
        hpf,
        bands,
    }))
}

pub(super) fn comp_file(c: &CompSpec) -> Option<Spanned<CompFile>> {
    let d = CompSpec::default();
    (*c != d).then(|| {
        let f = |x: f32| Some(sf32(x));
        spanless(CompFile {
            on: Some(c.on),
            threshold: f(c.threshold_db),
            ratio: f(c.ratio),
            knee: f(c.knee_db),
            attack: f(c.attack_ms),
            release: f(c.release_ms),
            makeup: f(c.makeup_db),
            detect: Some(spanless(
                match c.detect {
                    Detect::Peak => "peak",
                    Detect::Rms => "rms",
                }
                .to_owned(),
            )),
            sc_hpf: f(c.sc_hpf_hz),
        })
    })
}

pub(super) fn delay_file(d: &DelayFx) -> Spanned<DelayFile> {
    let f = |x: f32| Some(sf32(x));
    let e = &d.echo;
    spanless(DelayFile {
        // A synced delay's time comes from its note value and the tempo:
        // a time written beside it would be stale.
        time: if d.sync.is_some() { None } else { f(e.time_ms) },
        sync: d.sync.map(|s| spanless(s.to_string())),
        feedback: f(e.feedback),
        hpf: f(e.hpf_hz),
        lpf: f(e.lpf_hz),
        ping_pong: Some(e.ping_pong),
    })
}

pub(super) fn reverb_file(r: &ReverbSpec) -> Spanned<ReverbFile> {
    let f = |x: f32| Some(sf32(x));
    spanless(ReverbFile {
        size: f(r.size),
        decay: f(r.decay_s),
        predelay: f(r.predelay_ms),
        damping: f(r.damping),
        width: f(r.width),
    })
}

pub(super) fn gate_file(g: &GateSpec) -> Option<Spanned<GateFile>> {
    (*g != GateSpec::default()).then(|| {
        let f = |x: f32| Some(sf32(x));
        spanless(GateFile {
            on: Some(g.on),
            threshold: f(g.threshold_db),
            ratio: f(g.ratio),
            range: f(g.range_db),
            attack: f(g.attack_ms),
            hold: f(g.hold_ms),
            release: f(g.release_ms),
        })
    })
}

pub(super) fn to_file(s: &Session) -> SessionFile {
    let some_if = |cond: bool, v: f64| cond.then(|| sf(v));
    let controls = |c: &Controls, buses: &[Bus]| StripFile {
        trim_db: some_if(c.trim_db != 0.0, c.trim_db),
        invert: c.invert.then(|| spanless(true)),
        gain_db: Some(sf(c.gain_db)),
        pan: some_if(c.pan != 0.5, c.pan),
        mute: c.mute.then(|| spanless(true)),
        solo: c.solo.then(|| spanless(true)),
        solo_safe: c.solo_safe.then(|| spanless(true)),
        automation: (c.automation != AutomationMode::Off)
            .then(|| spanless(c.automation.as_str().to_owned())),
        colour: (c.colour != StripColour::None).then(|| spanless(c.colour.as_str().to_owned())),
        sends: c
            .sends
            .iter()
            .map(|x| {
                spanless(SendFile {
                    bus: match x.target {
                        SendTarget::Bus(b) => Some(spanless(buses[b].name.clone())),
                        SendTarget::Output(_) => None,
                    },
                    output: match x.target {
                        SendTarget::Bus(_) => None,
                        SendTarget::Output(o) => Some(spanless(o)),
                    },
                    gain_db: sf(x.gain_db),
                    pan: some_if(x.pan != 0.5, x.pan),
                    pre: x.pre,
                })
            })
            .collect(),
        insert: c.insert.as_ref().map(|i| {
            spanless(InsertFile {
                output: spanless(i.output),
                input: spanless(i.input),
                wet: some_if(i.wet != 1.0, i.wet),
                bypass: i.bypass,
                latency: i.latency.clone(),
            })
        }),
        lanes: lanes_file(&c.lanes, s.sample_rate),
        eq: eq_file(&c.eq),
        comp: comp_file(&c.comp),
        gate: gate_file(&c.gate),
        order: (c.order != StripOrder::default()).then(|| spanless(c.order.as_str().to_owned())),
        limiter: (c.limiter != LimiterSpec::default()).then(|| {
            spanless(LimiterFile {
                on: Some(c.limiter.on),
                ceiling: Some(sf32(c.limiter.ceiling_dbtp)),
                release: Some(sf32(c.limiter.release_ms)),
            })
        }),
        ..StripFile::default()
    };
    SessionFile {
        version: spanless(SESSION_VERSION),
        name: s.name.clone(),
        sample_rate: spanless(s.sample_rate),
        length_s: s.length_s.map(spanless),
        pan_law_db: Some(sf(s.pan_law.centre_db())),
        smoothing_ms: some_if(s.smoothing_ms != DEFAULT_SMOOTHING_MS, s.smoothing_ms),
        tempo_bpm: some_if(s.tempo_bpm != DEFAULT_TEMPO_BPM, s.tempo_bpm),
        buses: s
            .buses
            .iter()
            .map(|b| {
                spanless(StripFile {
                    name: Some(spanless(b.name.clone())),
                    kind: Some(spanless(match b.kind {
                        BusKind::Aux => BusKindFile::Aux,
                        BusKind::Group => BusKindFile::Group,
                    })),
                    delay: match b.controls.effect {
                        Effect::Delay(d) => Some(delay_file(&d)),
                        _ => None,
                    },
                    reverb: match b.controls.effect {
                        Effect::Reverb(r) => Some(reverb_file(&r)),
                        _ => None,
                    },
                    ..controls(&b.controls, &s.buses)
                })
            })
            .collect(),
        tracks: s
            .tracks
            .iter()
            .map(|t| {
                spanless(StripFile {
                    name: Some(spanless(t.name.clone())),
                    channels: Some(spanless(match t.channels {
                        Channels::Mono => ChannelsFile::Mono,
                        Channels::Stereo => ChannelsFile::Stereo,
                    })),
                    source: match &t.source {
                        TrackSource::None => None,
                        other => Some(spanless(source_file(other))),
                    },
                    output: match t.output {
                        Output::Master => None,
                        Output::Bus(b) => Some(spanless(s.buses[b].name.clone())),
                    },
                    ..controls(&t.controls, &s.buses)
                })
            })
            .collect(),
        master: Some(spanless(controls(&s.master, &s.buses))),
    }
}

pub(super) fn source_file(src: &TrackSource) -> SourceFile {
    match src {
        TrackSource::None => SourceFile::default(),
        TrackSource::Input(ch) => SourceFile {
            input: Some(spanless(*ch)),
            ..SourceFile::default()
        },
        TrackSource::File { path, looped } => SourceFile {
            file: Some(spanless(path.to_string_lossy().into_owned())),
            looped: looped.then_some(true),
            ..SourceFile::default()
        },
        TrackSource::Tone(t) => SourceFile {
            tone: Some(ToneFile {
                wave: match t.wave {
                    Wave::Sine => WaveFile::Sine,
                    Wave::Square => WaveFile::Square,
                    Wave::Saw => WaveFile::Saw,
                    Wave::White => WaveFile::White,
                    Wave::Pink => WaveFile::Pink,
                },
                freq_hz: sf(t.freq_hz),
                level_db: sf(t.level_db),
                pulse: t.pulse.map(|p| PulseFile {
                    bpm: sf(p.bpm),
                    decay_ms: sf(p.decay_ms),
                    offset_beats: p.offset_beats,
                }),
                seed: Some(t.seed),
            }),
            ..SourceFile::default()
        },
    }
}
