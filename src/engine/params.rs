//! How a command or a lane changes a node's settings: [`apply_param`]
//! for the hub's commands, [`Node::play_proc_lanes`] for channel-strip
//! lanes on their grid.
//!
//! Thread: audio. Nothing here allocates, locks or blocks.

use super::auto::AutoParam;
use super::graph::{self, MixGraph, Node};
use super::msg::{AutoPlay, AutoTarget, NodeId, NodeLanes, ProcTarget, StripParam};
use crate::dsp::automation::Interp;

/// Apply one strip command to `graph`; false when its node or send does
/// not exist.
pub(super) fn apply_param(graph: &mut MixGraph, node: NodeId, param: StripParam) -> bool {
    let Some(n) = graph.nodes.get_mut(usize::from(node.0)) else {
        return false;
    };
    // A change may start something moving: the strip runs again.
    n.resting = false;
    match param {
        StripParam::Trim(g) => n.trim.live.set_target(g),
        StripParam::Polarity(g) => n.polarity.set_target(g),
        StripParam::Fader(g) => n.fader.live.set_target(g),
        StripParam::Mute(g) => n.mute.live.set_target(g),
        StripParam::SoloGate(g) => n.solo.set_target(g),
        StripParam::Pan { l, r } => {
            n.pan_l.live.set_target(l);
            n.pan_r.live.set_target(r);
        }
        StripParam::Play { target, play } => match target {
            AutoTarget::Pan => {
                n.pan_l.set_play(play);
                n.pan_r.set_play(play);
            }
            AutoTarget::Proc(p) => {
                let playing = play != AutoPlay::Live;
                n.proc_play[p.index()] = playing;
                if playing {
                    graph.proc_playing = true;
                } else {
                    graph.proc_playing = graph.nodes.iter().any(|n| n.proc_play.contains(&true));
                }
            }
            t => match n.auto_param(t) {
                Some(p) => p.set_play(play),
                None => return false,
            },
        },
        StripParam::Jump { target, value } => match n.auto_param(target) {
            Some(p) if target != AutoTarget::Pan => p.live.jump(value),
            _ => return false,
        },
        StripParam::EqBand { band, spec } => {
            let mut eq = n.eq.spec();
            match eq.bands.get_mut(usize::from(band)) {
                Some(b) => *b = spec,
                None => return false,
            }
            n.eq.set(eq);
        }
        StripParam::Hpf { on, hz, slope } => {
            let mut eq = n.eq.spec();
            eq.hpf_on = on;
            eq.hpf_hz = hz;
            eq.hpf_slope = slope;
            n.eq.set(eq);
        }
        StripParam::EqOn(on) => {
            let mut eq = n.eq.spec();
            eq.on = on;
            n.eq.set(eq);
        }
        StripParam::Comp(spec) => n.comp.set(spec),
        StripParam::Gate(spec) => n.gate.set(spec),
        StripParam::DynamicsFirst(first) => n.dynamics_first = first,
        // Settings for a processor this graph lacks belong to the graph the
        // hub is about to swap in (it adds or removes processors by
        // rebuilding, and the new graph is built with them): not an error.
        StripParam::Limiter(spec) => {
            if let Some(l) = n.limiter.as_mut() {
                l.set(spec);
            }
        }
        StripParam::Echo(spec) => {
            if let Some(graph::Fx::Echo(e)) = n.fx.as_deref_mut() {
                e.set(spec);
            }
        }
        StripParam::Reverb(spec) => {
            if let Some(graph::Fx::Reverb(r)) = n.fx.as_deref_mut() {
                r.set(spec);
            }
        }
        StripParam::SendLevel { send, gain } => match n.sends.get_mut(usize::from(send)) {
            Some(s) => s.level.live.set_target(gain),
            None => return false,
        },
        StripParam::SendPan { send, l, r } => match n.sends.get_mut(usize::from(send)) {
            Some(s) => {
                s.pan_l.set_target(l);
                s.pan_r.set_target(r);
            }
            None => return false,
        },
        StripParam::SendPre { send, pre } => match n.sends.get_mut(usize::from(send)) {
            Some(s) => s.pre = pre,
            None => return false,
        },
        StripParam::InsertWet(w) => match n.insert.as_mut() {
            Some(ins) => ins.wet.set_target(w),
            None => return false,
        },
    }
    true
}

impl Node {
    fn auto_param(&mut self, t: AutoTarget) -> Option<&mut AutoParam> {
        match t {
            AutoTarget::Trim => Some(&mut self.trim),
            AutoTarget::Gain => Some(&mut self.fader),
            AutoTarget::Pan => Some(&mut self.pan_l),
            AutoTarget::Mute => Some(&mut self.mute),
            AutoTarget::SendGain(k) => self.sends.get_mut(usize::from(k)).map(|s| &mut s.level),
            AutoTarget::Proc(_) => None,
        }
    }

    /// Set the channel-strip settings whose lanes play to the lanes' values
    /// at timeline frame `frame`, at once: lanes step on their own grid of
    /// the timeline, so playback and a bounce agree sample for sample.
    pub(super) fn play_proc_lanes(&mut self, lanes: &NodeLanes, frame: u64) {
        use crate::dsp::automation::value_at;
        let (mut eq, mut comp, mut gate) = (self.eq.spec(), self.comp.spec(), self.gate.spec());
        let mut limiter = self.limiter.as_ref().map(|l| l.spec());
        let (mut echo, mut reverb) = match self.fx.as_deref() {
            Some(graph::Fx::Echo(e)) => (Some(e.spec()), None),
            Some(graph::Fx::Reverb(r)) => (None, Some(r.spec())),
            None => (None, None),
        };
        for (target, points) in lanes.proc.iter() {
            if !self.proc_play[target.index()] {
                continue;
            }
            let interp = if target.is_switch() {
                Interp::Step
            } else {
                Interp::Linear
            };
            let Some(v) = value_at(points, interp, frame) else {
                continue;
            };
            let (v, on) = (v as f32, v >= 0.5);
            let band = |k: u8| usize::from(k.min(3));
            match *target {
                ProcTarget::HpfFreq => eq.hpf_hz = v,
                ProcTarget::BandGain(k) => eq.bands[band(k)].gain_db = v,
                ProcTarget::BandFreq(k) => eq.bands[band(k)].freq_hz = v,
                ProcTarget::BandQ(k) => eq.bands[band(k)].q = v,
                ProcTarget::HpfOn => eq.hpf_on = on,
                ProcTarget::EqOn => eq.on = on,
                ProcTarget::BandOn(k) => eq.bands[band(k)].on = on,
                ProcTarget::CompThreshold => comp.threshold_db = v,
                ProcTarget::CompRatio => comp.ratio = v,
                ProcTarget::CompAttack => comp.attack_ms = v,
                ProcTarget::CompRelease => comp.release_ms = v,
                ProcTarget::CompMakeup => comp.makeup_db = v,
                ProcTarget::CompKnee => comp.knee_db = v,
                ProcTarget::CompScHpf => comp.sc_hpf_hz = v,
                ProcTarget::CompOn => comp.on = on,
                ProcTarget::GateThreshold => gate.threshold_db = v,
                ProcTarget::GateRange => gate.range_db = v,
                ProcTarget::GateRatio => gate.ratio = v,
                ProcTarget::GateAttack => gate.attack_ms = v,
                ProcTarget::GateHold => gate.hold_ms = v,
                ProcTarget::GateRelease => gate.release_ms = v,
                ProcTarget::GateOn => gate.on = on,
                ProcTarget::LimiterCeiling => {
                    if let Some(l) = limiter.as_mut() {
                        l.ceiling_dbtp = v;
                    }
                }
                ProcTarget::LimiterRelease => {
                    if let Some(l) = limiter.as_mut() {
                        l.release_ms = v;
                    }
                }
                ProcTarget::DelayTime
                | ProcTarget::DelayFeedback
                | ProcTarget::DelayHpf
                | ProcTarget::DelayLpf => {
                    if let Some(e) = echo.as_mut() {
                        *match *target {
                            ProcTarget::DelayTime => &mut e.time_ms,
                            ProcTarget::DelayFeedback => &mut e.feedback,
                            ProcTarget::DelayHpf => &mut e.hpf_hz,
                            _ => &mut e.lpf_hz,
                        } = v;
                    }
                }
                ProcTarget::ReverbSize
                | ProcTarget::ReverbDecay
                | ProcTarget::ReverbPredelay
                | ProcTarget::ReverbDamping
                | ProcTarget::ReverbWidth => {
                    if let Some(r) = reverb.as_mut() {
                        *match *target {
                            ProcTarget::ReverbSize => &mut r.size,
                            ProcTarget::ReverbDecay => &mut r.decay_s,
                            ProcTarget::ReverbPredelay => &mut r.predelay_ms,
                            ProcTarget::ReverbDamping => &mut r.damping,
                            _ => &mut r.width,
                        } = v;
                    }
                }
            }
        }
        match (self.fx.as_deref_mut(), echo, reverb) {
            (Some(graph::Fx::Echo(e)), Some(spec), _) if spec != e.spec() => e.jump(spec),
            (Some(graph::Fx::Reverb(r)), _, Some(spec)) if spec != r.spec() => r.jump(spec),
            _ => {}
        }
        if let (Some(l), Some(spec)) = (self.limiter.as_mut(), limiter)
            && spec != l.spec()
        {
            l.set(spec);
        }
        if eq != self.eq.spec() {
            self.eq.jump(eq);
        }
        if comp != self.comp.spec() {
            self.comp.set(comp);
        }
        if gate != self.gate.spec() {
            self.gate.set(gate);
        }
    }

    pub(super) fn lanes_changed(&mut self) {
        self.resting = false;
        for p in [
            &mut self.trim,
            &mut self.fader,
            &mut self.mute,
            &mut self.pan_l,
            &mut self.pan_r,
        ] {
            p.lane_changed();
        }
        for s in self.sends.iter_mut() {
            s.level.lane_changed();
        }
    }
}
