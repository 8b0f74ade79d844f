//! How a mixer parameter maps to a control's travel (a fader, a ring, an
//! encoder's steps) and back: shared by every surface driver so a value
//! means the same on a Mackie V-Pot, a serial board's fader and an OSC app.
//!
//! Pure functions; any thread.

use crate::dsp::{db_to_pos, pos_to_db};
use crate::mixer::{BandParam, CompParam, EqParam, GateParam, Param, SendParam};
use crate::model::{
    COMP_RANGES, EQ_FREQ_RANGE, EQ_GAIN_RANGE_DB, EQ_Q_RANGE, GATE_RANGES, TRIM_RANGE_DB,
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
}

impl Scale {
    /// (low, high, logarithmic).
    fn range(self) -> (f64, f64, bool) {
        let c = COMP_RANGES;
        let g = GATE_RANGES;
        match self {
            Scale::Hz => (EQ_FREQ_RANGE.0, EQ_FREQ_RANGE.1, true),
            Scale::EqGainDb => (-EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB, false),
            Scale::Q => (EQ_Q_RANGE.0, EQ_Q_RANGE.1, true),
            Scale::CompThresholdDb => (c[0].0, c[0].1, false),
            Scale::Ratio => (c[1].0, c[1].1, true),
            Scale::AttackMs => (c[3].0, c[3].1, true),
            Scale::ReleaseMs => (c[4].0, c[4].1, true),
            Scale::MakeupDb => (c[5].0, c[5].1, false),
            Scale::GateThresholdDb => (g[0].0, g[0].1, false),
            Scale::GateRangeDb => (g[2].0, g[2].1, false),
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
        }
    }

    /// The value as a short label (a 7-character LCD cell).
    pub fn label(self, x: f64) -> String {
        match self {
            Scale::Hz if x >= 1000.0 => format!("{:.1}k", x / 1000.0),
            Scale::Hz => format!("{x:.0}"),
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
