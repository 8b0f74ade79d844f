//! How a mixer parameter maps to a control's travel (a fader, a ring, an
//! encoder's steps) and back: shared by every surface driver so a value
//! means the same on a Mackie V-Pot, a serial board's fader and an OSC app.
//!
//! Pure functions; any thread.

use crate::dsp::{db_to_pos, pos_to_db};
use crate::dsp::{echo, limiter, reverb};
use crate::mixer::{
    BandParam, CompParam, DelayParam, EqParam, GateParam, LimiterParam, Param, ReverbParam,
    SendParam,
};
use crate::model::{
    CompSetting, EQ_FREQ_RANGE, EQ_GAIN_RANGE_DB, EQ_Q_RANGE, GateSetting, TRIM_RANGE_DB,
};

/// How a parameter maps to a fader/ring position and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// A pan or balance position 0..1.
    Pan,
    /// A fader-law position 0..1 (faders, send faders).
    Level,
    /// Trim in dB, +/- the trim range.
    TrimDb,
    /// A gain in dB, through the fader law.
    GainDb,
    /// A channel-strip setting on its own scale.
    Scaled(Scale),
}

/// The scale of a channel-strip setting: its range, whether it runs
/// logarithmically (frequencies, times, ratios), and how it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A filter or band frequency, Hz (log).
    Hz,
    /// An EQ band's gain, dB.
    EqGainDb,
    /// A band's Q (log).
    Q,
    /// A compressor threshold, dBFS.
    CompThresholdDb,
    /// A compressor ratio, n:1 (log).
    Ratio,
    /// An attack time, ms (log).
    AttackMs,
    /// A release time, ms (log).
    ReleaseMs,
    /// Make-up gain, dB.
    MakeupDb,
    /// A gate threshold, dBFS.
    GateThresholdDb,
    /// How far a gate turns down, dB.
    GateRangeDb,
    /// A limiter's ceiling, dBTP.
    CeilingDb,
    /// A limiter's release, ms (log).
    LimiterReleaseMs,
    /// A delay's time, ms (log).
    DelayMs,
    /// Share fed back, 0..0.95.
    Feedback,
    /// A delay's feedback high-pass, Hz (log).
    FeedbackHpfHz,
    /// A delay's feedback low-pass, Hz (log).
    FeedbackLpfHz,
    /// A reverb's size (log).
    RoomSize,
    /// A reverb's decay time, seconds (log).
    DecayS,
    /// A reverb's pre-delay, ms.
    PredelayMs,
    /// A share 0..1 (damping, width).
    Unit,
}

/// A DSP range as (low, high, log), as a user would write it.
fn wide(r: (f32, f32), log: bool) -> (f64, f64, bool) {
    let (lo, hi) = crate::model::f32_range(r);
    (lo, hi, log)
}

impl Scale {
    /// (low, high, logarithmic).
    fn range(self) -> (f64, f64, bool) {
        let (c, g) = (CompSetting::range, GateSetting::range);
        let with = |(lo, hi): (f64, f64), log: bool| (lo, hi, log);
        match self {
            Scale::Hz => (EQ_FREQ_RANGE.0, EQ_FREQ_RANGE.1, true),
            Scale::EqGainDb => (-EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB, false),
            Scale::Q => (EQ_Q_RANGE.0, EQ_Q_RANGE.1, true),
            Scale::CompThresholdDb => with(c(CompSetting::Threshold), false),
            Scale::Ratio => with(c(CompSetting::Ratio), true),
            Scale::AttackMs => with(c(CompSetting::Attack), true),
            Scale::ReleaseMs => with(c(CompSetting::Release), true),
            Scale::MakeupDb => with(c(CompSetting::Makeup), false),
            Scale::GateThresholdDb => with(g(GateSetting::Threshold), false),
            Scale::GateRangeDb => with(g(GateSetting::Range), false),
            Scale::CeilingDb => wide(limiter::CEILING_RANGE, false),
            Scale::LimiterReleaseMs => wide(limiter::RELEASE_RANGE, true),
            Scale::DelayMs => wide(echo::TIME_RANGE_MS, true),
            Scale::Feedback => wide(echo::FEEDBACK_RANGE, false),
            Scale::FeedbackHpfHz => wide(echo::HPF_RANGE, true),
            Scale::FeedbackLpfHz => wide(echo::LPF_RANGE, true),
            Scale::RoomSize => wide(reverb::SIZE_RANGE, true),
            Scale::DecayS => wide(reverb::DECAY_RANGE, true),
            Scale::PredelayMs => wide(reverb::PREDELAY_RANGE, false),
            Scale::Unit => (0.0, 1.0, false),
        }
    }

    fn to_pos(self, x: f64) -> f64 {
        let (lo, hi, log) = self.range();
        if log {
            (x.max(lo) / lo).ln() / (hi / lo).ln()
        } else {
            (x - lo) / (hi - lo)
        }
    }

    fn value_at(self, p: f64) -> f64 {
        let (lo, hi, log) = self.range();
        let p = p.clamp(0.0, 1.0);
        if log {
            lo * (hi / lo).powf(p)
        } else {
            lo + p * (hi - lo)
        }
    }

    /// The value a reset goes back to.
    fn default(self) -> f64 {
        match self {
            Scale::Hz => 1000.0,
            Scale::EqGainDb | Scale::MakeupDb => 0.0,
            Scale::Q => 0.7,
            Scale::CompThresholdDb => -20.0,
            Scale::Ratio => 4.0,
            Scale::AttackMs => 10.0,
            Scale::ReleaseMs => 120.0,
            Scale::GateThresholdDb => -50.0,
            Scale::GateRangeDb => 60.0,
            Scale::CeilingDb => -1.0,
            Scale::LimiterReleaseMs => 100.0,
            Scale::DelayMs => 375.0,
            Scale::Feedback => 0.35,
            Scale::FeedbackHpfHz => 120.0,
            Scale::FeedbackLpfHz => 6000.0,
            Scale::RoomSize => 1.0,
            Scale::DecayS => 1.8,
            Scale::PredelayMs => 20.0,
            Scale::Unit => 0.5,
        }
    }

    /// The value as a short label (a 7-character LCD cell).
    pub fn label(self, x: f64) -> String {
        match self {
            Scale::Hz | Scale::FeedbackHpfHz | Scale::FeedbackLpfHz if x >= 1000.0 => {
                format!("{:.1}k", x / 1000.0)
            }
            Scale::Hz | Scale::FeedbackHpfHz | Scale::FeedbackLpfHz => format!("{x:.0}"),
            Scale::LimiterReleaseMs | Scale::DelayMs | Scale::PredelayMs => format!("{x:.0}ms"),
            Scale::DecayS => format!("{x:.1}s"),
            Scale::Feedback | Scale::Unit | Scale::RoomSize => format!("{x:.2}"),
            Scale::CeilingDb => format!("{x:.1}"),
            Scale::Q => format!("Q{x:.2}"),
            Scale::Ratio => format!("{x:.1}:1"),
            Scale::AttackMs | Scale::ReleaseMs if x < 10.0 => format!("{x:.1}ms"),
            Scale::AttackMs | Scale::ReleaseMs => format!("{x:.0}ms"),
            Scale::EqGainDb | Scale::MakeupDb => format!("{x:+.1}"),
            Scale::CompThresholdDb | Scale::GateThresholdDb | Scale::GateRangeDb => {
                format!("{x:.1}")
            }
        }
    }
}

/// The scale of parameter `p`.
pub fn conv_for(p: Param) -> Conv {
    match p {
        Param::Trim => Conv::TrimDb,
        Param::Gain | Param::Send(_, SendParam::Gain) => Conv::GainDb,
        Param::Pan | Param::Send(_, SendParam::Pan) => Conv::Pan,
        Param::Eq(EqParam::HpfFreq | EqParam::Band(_, BandParam::Freq)) => Conv::Scaled(Scale::Hz),
        Param::Eq(EqParam::Band(_, BandParam::Gain)) => Conv::Scaled(Scale::EqGainDb),
        Param::Eq(EqParam::Band(_, BandParam::Q)) => Conv::Scaled(Scale::Q),
        Param::Comp(CompParam::Threshold) => Conv::Scaled(Scale::CompThresholdDb),
        Param::Comp(CompParam::Ratio) => Conv::Scaled(Scale::Ratio),
        Param::Comp(CompParam::Attack) => Conv::Scaled(Scale::AttackMs),
        Param::Comp(CompParam::Release) => Conv::Scaled(Scale::ReleaseMs),
        Param::Comp(CompParam::Makeup) => Conv::Scaled(Scale::MakeupDb),
        Param::Gate(GateParam::Threshold) => Conv::Scaled(Scale::GateThresholdDb),
        Param::Gate(GateParam::Range) => Conv::Scaled(Scale::GateRangeDb),
        Param::Limiter(LimiterParam::Ceiling) => Conv::Scaled(Scale::CeilingDb),
        Param::Limiter(LimiterParam::Release) => Conv::Scaled(Scale::LimiterReleaseMs),
        Param::Delay(DelayParam::Time) => Conv::Scaled(Scale::DelayMs),
        Param::Delay(DelayParam::Feedback) => Conv::Scaled(Scale::Feedback),
        Param::Delay(DelayParam::Hpf) => Conv::Scaled(Scale::FeedbackHpfHz),
        Param::Delay(DelayParam::Lpf) => Conv::Scaled(Scale::FeedbackLpfHz),
        Param::Reverb(ReverbParam::Size) => Conv::Scaled(Scale::RoomSize),
        Param::Reverb(ReverbParam::Decay) => Conv::Scaled(Scale::DecayS),
        Param::Reverb(ReverbParam::Predelay) => Conv::Scaled(Scale::PredelayMs),
        Param::Reverb(ReverbParam::Damping | ReverbParam::Width) => Conv::Scaled(Scale::Unit),
        _ => Conv::Level,
    }
}

impl Conv {
    /// The control position 0..1 that shows value `x`.
    pub fn to_pos(self, x: f64) -> f64 {
        match self {
            Conv::Pan | Conv::Level => x,
            Conv::TrimDb => (x + TRIM_RANGE_DB) / (2.0 * TRIM_RANGE_DB),
            Conv::GainDb => db_to_pos(x),
            Conv::Scaled(s) => s.to_pos(x),
        }
        .clamp(0.0, 1.0)
    }

    /// The value at control position `p` (0..1).
    pub fn value_at(self, p: f64) -> f64 {
        match self {
            Conv::Pan | Conv::Level => p,
            Conv::TrimDb => p * 2.0 * TRIM_RANGE_DB - TRIM_RANGE_DB,
            Conv::GainDb => pos_to_db(p),
            Conv::Scaled(s) => s.value_at(p),
        }
    }

    /// `ticks` of a V-Pot from `x`: 1/63 of the travel per tick (1/255
    /// with fine), in the parameter's own terms for trim (0.5 dB, 0.1 fine).
    pub fn step(self, x: f64, ticks: i8, fine: bool) -> f64 {
        let t = f64::from(ticks);
        match self {
            Conv::TrimDb => {
                (x + t * if fine { 0.1 } else { 0.5 }).clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB)
            }
            _ => {
                let per = if fine { 1.0 / 255.0 } else { 1.0 / 63.0 };
                self.value_at((self.to_pos(x) + t * per).clamp(0.0, 1.0))
            }
        }
    }

    /// The parameter's default: 0 dB, centre.
    pub fn default(self) -> f64 {
        match self {
            Conv::Pan => 0.5,
            Conv::Level => db_to_pos(0.0),
            Conv::TrimDb | Conv::GainDb => 0.0,
            Conv::Scaled(s) => s.default(),
        }
    }
}
