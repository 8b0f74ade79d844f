//! Automation lanes: what a lane automates (its session-file name) and its
//! breakpoints.

use super::{AutomationMode, Interp, LanePoint, ProcTarget};

/// An automatable parameter of a strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LaneParam {
    /// Fader gain, dB (the lane floor is off).
    Gain,
    /// Input trim, dB.
    Trim,
    /// Pan or balance, 0..1.
    Pan,
    /// Mute, 0 or 1.
    Mute,
    /// A send's level, dB (0-based send index).
    SendGain(usize),
    /// A channel-strip setting (EQ, compressor, gate), natural units.
    Proc(ProcTarget),
}

/// An f32 range (the DSP's) as the f64s a user writes: 0.1, not
/// 0.10000000149. Session checks, surfaces' scales and lanes use it.
pub fn f32_range(r: (f32, f32)) -> (f64, f64) {
    let f = |x: f32| (f64::from(x) * 1e6).round() / 1e6;
    (f(r.0), f(r.1))
}

/// Session-file names of the channel-strip lanes (the address suffixes).
fn proc_name(p: ProcTarget) -> String {
    match p {
        ProcTarget::HpfFreq => "hpf/freq".into(),
        ProcTarget::BandGain(k) => format!("eq/{}/gain", k + 1),
        ProcTarget::BandFreq(k) => format!("eq/{}/freq", k + 1),
        ProcTarget::BandQ(k) => format!("eq/{}/q", k + 1),
        ProcTarget::CompThreshold => "comp/threshold".into(),
        ProcTarget::CompRatio => "comp/ratio".into(),
        ProcTarget::CompAttack => "comp/attack".into(),
        ProcTarget::CompRelease => "comp/release".into(),
        ProcTarget::CompMakeup => "comp/makeup".into(),
        ProcTarget::GateThreshold => "gate/threshold".into(),
        ProcTarget::GateRange => "gate/range".into(),
        ProcTarget::CompKnee => "comp/knee".into(),
        ProcTarget::CompScHpf => "comp/sc_hpf".into(),
        ProcTarget::GateRatio => "gate/ratio".into(),
        ProcTarget::GateAttack => "gate/attack".into(),
        ProcTarget::GateHold => "gate/hold".into(),
        ProcTarget::GateRelease => "gate/release".into(),
        ProcTarget::LimiterCeiling => "limiter/ceiling".into(),
        ProcTarget::LimiterRelease => "limiter/release".into(),
        ProcTarget::HpfOn => "hpf/on".into(),
        ProcTarget::EqOn => "eq/on".into(),
        ProcTarget::BandOn(k) => format!("eq/{}/on", k + 1),
        ProcTarget::CompOn => "comp/on".into(),
        ProcTarget::GateOn => "gate/on".into(),
        ProcTarget::DelayTime => "delay/time".into(),
        ProcTarget::DelayFeedback => "delay/feedback".into(),
        ProcTarget::DelayHpf => "delay/hpf".into(),
        ProcTarget::DelayLpf => "delay/lpf".into(),
        ProcTarget::ReverbSize => "reverb/size".into(),
        ProcTarget::ReverbDecay => "reverb/decay".into(),
        ProcTarget::ReverbPredelay => "reverb/predelay".into(),
        ProcTarget::ReverbDamping => "reverb/damping".into(),
        ProcTarget::ReverbWidth => "reverb/width".into(),
    }
}

impl LaneParam {
    /// How the lane is read between points.
    pub fn interp(self) -> Interp {
        match self {
            LaneParam::Mute => Interp::Step,
            LaneParam::Proc(t) if t.is_switch() => Interp::Step,
            _ => Interp::Linear,
        }
    }

    /// The name in session files (`gain`, `trim`, `pan`, `mute`,
    /// `send/1/gain`).
    pub fn name(self) -> String {
        match self {
            LaneParam::Gain => "gain".into(),
            LaneParam::Trim => "trim".into(),
            LaneParam::Pan => "pan".into(),
            LaneParam::Mute => "mute".into(),
            LaneParam::SendGain(k) => format!("send/{}/gain", k + 1),
            LaneParam::Proc(p) => proc_name(p),
        }
    }

    /// Parse a session-file name.
    pub fn from_name(name: &str) -> Option<LaneParam> {
        match name {
            "gain" => Some(LaneParam::Gain),
            "trim" => Some(LaneParam::Trim),
            "pan" => Some(LaneParam::Pan),
            "mute" => Some(LaneParam::Mute),
            _ if let Some(p) = ProcTarget::all().find(|p| proc_name(*p) == name) => {
                Some(LaneParam::Proc(p))
            }
            _ => {
                let k = name.strip_prefix("send/")?.strip_suffix("/gain")?;
                let k: usize = k.parse().ok()?;
                Some(LaneParam::SendGain(k.checked_sub(1)?))
            }
        }
    }
}

/// An automation lane: breakpoints in the parameter's natural units, sorted
/// by frame, and the mode it plays in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lane {
    /// This lane's own mode; `None` follows the strip's mode.
    pub mode: Option<AutomationMode>,
    /// Breakpoints (timeline frames at the session's rate).
    pub points: Vec<LanePoint>,
}
