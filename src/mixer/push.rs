//! A strip's settings as engine commands: which of them a change may have
//! moved ([`StripParts`]), and pushing those. Only commands whose value
//! differs from what the engine holds leave (see `sent.rs`): one fader
//! move is one command. Every command to the engine leaves through
//! [`Hub::push`]: straight onto the queue, or into a backlog while the
//! queue is full (sent first at the next service).
//!
//! Thread: hub.

use super::build::{self, pan_gains, send_level, strip_coefs};
use super::{Hub, LANE_SETS_IN_FLIGHT, StripRef};
use crate::engine::{StripParam, ToEngine};
use crate::model::{Channels, LaneParam};

/// The settings of a strip a change may have moved (each parameter's is
/// in the parameter table, `params.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StripParts {
    /// The fader's gain.
    Fader,
    /// The pan (or balance).
    Pan,
    /// One send's level, pan and pre/post switch.
    Send(usize),
    /// Its gains, pans and sends: trim, polarity, fader, mute, solo gate,
    /// pan, every send, the insert's wet level.
    Mix,
    /// The mix and the processing: filter, EQ, dynamics and their order,
    /// limiter, effect (they change rarely and cost the engine more).
    All,
}

/// What waits to reach the engine, and what is on its way there.
#[derive(Debug, Default)]
pub(super) struct EngineQueue {
    /// Commands that did not fit in the queue, coalesced, sent on
    /// `service`.
    pub(super) backlog: Vec<ToEngine>,
    /// Graphs sent and not yet back.
    pub(super) swaps_in_flight: usize,
    /// Lane sets sent to the engine and not yet back (at most
    /// [`LANE_SETS_IN_FLIGHT`]; a newer set waiting in the backlog
    /// replaces an older one there, so a flood of transport stops cannot
    /// pile up copies of every lane).
    pub(super) lanes_in_flight: usize,
    /// A new graph is due once a retire slot is free.
    pub(super) rebuild_pending: bool,
}

impl StripParts {
    fn mix(self) -> bool {
        matches!(self, StripParts::Mix | StripParts::All)
    }
}

impl Hub {
    /// Push every setting of one strip.
    pub(super) fn push_strip(&mut self, strip: StripRef) {
        self.push_strip_parts(strip, StripParts::All);
    }

    /// Tell the engine every strip's settings: after a new graph or engine
    /// (its settings are the session's; from then on only changes leave).
    pub(super) fn push_all_strips(&mut self) {
        for strip in self.strips() {
            self.push_strip(strip);
        }
    }

    /// Push the `parts` of one strip's settings.
    pub(super) fn push_strip_parts(&mut self, strip: StripRef, parts: StripParts) {
        let Some(node) = self.node_of(strip) else {
            return;
        };
        let (controls, channels, solo_muted) = match strip {
            StripRef::Track(i) => {
                let t = &self.session.tracks[i];
                (&t.controls, t.channels, self.solo.tracks[i])
            }
            StripRef::Bus(j) => {
                let b = &self.session.buses[j];
                (&b.controls, Channels::Stereo, self.solo.buses[j])
            }
            StripRef::Master => (&self.session.master, Channels::Stereo, false),
        };
        let law = self.session.pan_law;
        let mix = parts.mix();
        let mut cmds = Vec::new();
        if mix || matches!(parts, StripParts::Fader | StripParts::Pan) {
            let mut coefs = strip_coefs(controls, channels, law, solo_muted);
            // In trim mode the live value is the offset the lane plays times.
            if let Some(db) = self.trim_offset_db(strip, LaneParam::Gain) {
                coefs.fader = crate::dsp::db_to_amp(db) as f32;
            }
            if mix {
                cmds.push(StripParam::Trim(coefs.trim));
                cmds.push(StripParam::Polarity(coefs.polarity));
                cmds.push(StripParam::Mute(coefs.mute));
                cmds.push(StripParam::SoloGate(coefs.solo));
            }
            if mix || parts == StripParts::Fader {
                cmds.push(StripParam::Fader(coefs.fader));
            }
            if mix || parts == StripParts::Pan {
                cmds.push(StripParam::Pan {
                    l: coefs.pan.0,
                    r: coefs.pan.1,
                });
            }
        }
        for (k, s) in controls.sends.iter().enumerate() {
            if !(mix || parts == StripParts::Send(k)) {
                continue;
            }
            let send = k as u16;
            let (l, r) = pan_gains(s.pan, channels, law);
            let gain = match self.trim_offset_db(strip, LaneParam::SendGain(k)) {
                Some(db) => crate::dsp::db_to_amp(db) as f32,
                None => send_level(s.gain_db),
            };
            cmds.push(StripParam::SendLevel { send, gain });
            cmds.push(StripParam::SendPan { send, l, r });
            cmds.push(StripParam::SendPre { send, pre: s.pre });
        }
        if parts == StripParts::All {
            cmds.push(StripParam::Comp(controls.comp));
            cmds.push(StripParam::Gate(controls.gate));
            if strip == StripRef::Master && controls.limiter.on {
                cmds.push(StripParam::Limiter(controls.limiter));
            }
            match controls.effect {
                crate::model::Effect::Delay(d) => {
                    cmds.push(StripParam::Echo(d.engine_spec(self.session.tempo_bpm)));
                }
                crate::model::Effect::Reverb(r) => cmds.push(StripParam::Reverb(r)),
                crate::model::Effect::None => {}
            }
            cmds.push(StripParam::DynamicsFirst(
                controls.order == crate::model::StripOrder::DynamicsThenEq,
            ));
            let eq = &controls.eq;
            cmds.push(StripParam::Hpf {
                on: eq.hpf_on,
                hz: eq.hpf_hz as f32,
                slope: eq.hpf_slope,
            });
            cmds.push(StripParam::EqOn(eq.on));
            for (k, b) in eq.bands.iter().enumerate() {
                cmds.push(StripParam::EqBand {
                    band: k as u8,
                    spec: build::band_spec(b),
                });
            }
        }
        if mix && let Some(ins) = &controls.insert {
            let silenced = self
                .measurements
                .running
                .as_ref()
                .is_some_and(|m| m.strip == strip);
            cmds.push(StripParam::InsertWet(build::insert_wet(ins, silenced)));
        }
        for param in cmds {
            self.push(ToEngine::Strip { node, param });
        }
    }
}

impl Hub {
    pub(super) fn push(&mut self, cmd: ToEngine) {
        match &cmd {
            ToEngine::Transport(_) => self.transport.sent += 1,
            // The engine holds that setting already: nothing to send.
            ToEngine::Strip { node, param } | ToEngine::StripAt { node, param, .. }
                if !self.sent.needs(*node, param) =>
            {
                return;
            }
            ToEngine::SwapGraph(_) => self.sent.forget_all(),
            _ => {}
        }
        let cmd = match (cmd, self.change_frame) {
            (ToEngine::Strip { node, param }, Some(frame)) => {
                ToEngine::StripAt { node, param, frame }
            }
            (cmd, _) => cmd,
        };
        let lanes = matches!(cmd, ToEngine::SwapLanes(_));
        if lanes
            && let Some(slot) = self
                .queue
                .backlog
                .iter_mut()
                .find(|c| matches!(c, ToEngine::SwapLanes(_)))
        {
            // An older set that never left: the newer one takes its place
            // (the old one is freed here).
            *slot = cmd;
            return;
        }
        if self.queue.backlog.is_empty()
            && !(lanes && self.queue.lanes_in_flight >= LANE_SETS_IN_FLIGHT)
        {
            match self.link.to_engine.push(cmd) {
                Ok(()) => {
                    if lanes {
                        self.queue.lanes_in_flight += 1;
                    }
                    return;
                }
                Err(rtrb::PushError::Full(cmd)) => {
                    self.queue.backlog.push(cmd);
                    return;
                }
            }
        }
        // Coalesce: a newer value for the same coefficient replaces the old.
        if let ToEngine::Strip { node, param } | ToEngine::StripAt { node, param, .. } = &cmd
            && let Some(slot) = self.queue.backlog.iter_mut().rev().find(|c| match c {
                ToEngine::Strip { node: n, param: p }
                | ToEngine::StripAt {
                    node: n, param: p, ..
                } => n == node && p.slot() == param.slot(),
                ToEngine::SwapGraph(_)
                | ToEngine::SwapLanes(_)
                | ToEngine::Transport(_)
                | ToEngine::Measure(_) => false,
                #[cfg(debug_assertions)]
                ToEngine::InjectFault => false,
            })
        {
            *slot = cmd;
            return;
        }
        self.queue.backlog.push(cmd);
    }
}
