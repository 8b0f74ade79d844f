//! A control's live value in its lane's natural units: reading and
//! setting the strip's controls from lane values.

use super::*;

/// Where a channel-strip setting lives in a strip's controls.
enum Slot<'a> {
    F64(&'a mut f64),
    F32(&'a mut f32),
    Switch(&'a mut bool),
}

impl Slot<'_> {
    /// The value in the lane's natural units (switches 0/1).
    fn get(&self) -> f64 {
        match self {
            Slot::F64(x) => **x,
            Slot::F32(x) => f64::from(**x),
            Slot::Switch(on) => f64::from(u8::from(**on)),
        }
    }

    fn set(self, v: f64) {
        match self {
            Slot::F64(x) => *x = v,
            Slot::F32(x) => *x = v as f32,
            Slot::Switch(on) => *on = v >= 0.5,
        }
    }
}

/// A strip's processing settings (plain data): what channel-strip lanes
/// drive.
#[derive(Clone, Copy)]
struct Processing {
    eq: crate::model::Eq,
    comp: crate::model::CompSpec,
    gate: crate::model::GateSpec,
    limiter: crate::model::LimiterSpec,
    effect: crate::model::Effect,
}

impl Processing {
    fn of(c: &Controls) -> Processing {
        Processing {
            eq: c.eq,
            comp: c.comp,
            gate: c.gate,
            limiter: c.limiter,
            effect: c.effect,
        }
    }

    fn store(self, c: &mut Controls) {
        c.eq = self.eq;
        c.comp = self.comp;
        c.gate = self.gate;
        c.limiter = self.limiter;
        c.effect = self.effect;
    }

    /// The setting lane `t` drives, if the strip has it (a bus's effect
    /// of the right kind).
    fn slot(&mut self, t: ProcTarget) -> Option<Slot<'_>> {
        use crate::model::Effect;
        let Processing {
            eq,
            comp,
            gate,
            limiter,
            effect,
        } = self;
        let bands = &mut eq.bands;
        Some(match t {
            ProcTarget::HpfFreq => Slot::F64(&mut eq.hpf_hz),
            ProcTarget::HpfOn => Slot::Switch(&mut eq.hpf_on),
            ProcTarget::EqOn => Slot::Switch(&mut eq.on),
            ProcTarget::BandGain(k) => Slot::F64(&mut bands.get_mut(usize::from(k))?.gain_db),
            ProcTarget::BandFreq(k) => Slot::F64(&mut bands.get_mut(usize::from(k))?.freq_hz),
            ProcTarget::BandQ(k) => Slot::F64(&mut bands.get_mut(usize::from(k))?.q),
            ProcTarget::BandOn(k) => Slot::Switch(&mut bands.get_mut(usize::from(k))?.on),
            ProcTarget::CompThreshold => Slot::F32(&mut comp.threshold_db),
            ProcTarget::CompRatio => Slot::F32(&mut comp.ratio),
            ProcTarget::CompAttack => Slot::F32(&mut comp.attack_ms),
            ProcTarget::CompRelease => Slot::F32(&mut comp.release_ms),
            ProcTarget::CompMakeup => Slot::F32(&mut comp.makeup_db),
            ProcTarget::CompKnee => Slot::F32(&mut comp.knee_db),
            ProcTarget::CompScHpf => Slot::F32(&mut comp.sc_hpf_hz),
            ProcTarget::CompOn => Slot::Switch(&mut comp.on),
            ProcTarget::GateThreshold => Slot::F32(&mut gate.threshold_db),
            ProcTarget::GateRange => Slot::F32(&mut gate.range_db),
            ProcTarget::GateRatio => Slot::F32(&mut gate.ratio),
            ProcTarget::GateAttack => Slot::F32(&mut gate.attack_ms),
            ProcTarget::GateHold => Slot::F32(&mut gate.hold_ms),
            ProcTarget::GateRelease => Slot::F32(&mut gate.release_ms),
            ProcTarget::GateOn => Slot::Switch(&mut gate.on),
            ProcTarget::LimiterCeiling => Slot::F32(&mut limiter.ceiling_dbtp),
            ProcTarget::LimiterRelease => Slot::F32(&mut limiter.release_ms),
            t => Slot::F32(match (effect, t) {
                (Effect::Delay(d), ProcTarget::DelayTime) => &mut d.echo.time_ms,
                (Effect::Delay(d), ProcTarget::DelayFeedback) => &mut d.echo.feedback,
                (Effect::Delay(d), ProcTarget::DelayHpf) => &mut d.echo.hpf_hz,
                (Effect::Delay(d), ProcTarget::DelayLpf) => &mut d.echo.lpf_hz,
                (Effect::Reverb(r), ProcTarget::ReverbSize) => &mut r.size,
                (Effect::Reverb(r), ProcTarget::ReverbDecay) => &mut r.decay_s,
                (Effect::Reverb(r), ProcTarget::ReverbPredelay) => &mut r.predelay_ms,
                (Effect::Reverb(r), ProcTarget::ReverbDamping) => &mut r.damping,
                (Effect::Reverb(r), ProcTarget::ReverbWidth) => &mut r.width,
                _ => return None,
            }),
        })
    }
}

/// The live value of the control `param` moves, in its lane's natural
/// units (None for a control with no lane).
pub(in crate::mixer) fn live_value_of(c: &Controls, param: Param) -> Option<f64> {
    live_value(c, lane_param(param)?)
}

/// A control's live value in a lane's natural units.
pub(super) fn live_value(c: &Controls, p: LaneParam) -> Option<f64> {
    Some(match p {
        LaneParam::Gain => floor_db(c.gain_db),
        LaneParam::Trim => c.trim_db,
        LaneParam::Pan => c.pan,
        LaneParam::Mute => f64::from(u8::from(c.mute)),
        LaneParam::SendGain(k) => floor_db(c.sends.get(k)?.gain_db),
        LaneParam::Proc(t) => {
            // A copy of the (small, plain) processing settings to read from.
            Processing::of(c).slot(t)?.get()
        }
    })
}

pub(super) fn floor_db(db: f64) -> f64 {
    if db <= GAIN_OFF_DB { GAIN_OFF_DB } else { db }
}

/// Set a control from a lane value (natural units).
pub(super) fn set_live(c: &mut Controls, p: LaneParam, v: f64) {
    let v = super::lane_spec(p).clamp(v);
    match p {
        LaneParam::Gain => c.gain_db = v,
        LaneParam::Trim => c.trim_db = v,
        LaneParam::Pan => c.pan = v,
        LaneParam::Mute => c.mute = v >= 0.5,
        LaneParam::SendGain(k) => {
            if let Some(s) = c.sends.get_mut(k) {
                s.gain_db = v;
            }
        }
        LaneParam::Proc(t) => {
            let mut parts = Processing::of(c);
            if let Some(slot) = parts.slot(t) {
                slot.set(v);
                parts.store(c);
            }
        }
    }
}
