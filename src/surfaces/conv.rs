//! How a mixer parameter maps to a control's travel (a fader, a ring, an
//! encoder's steps) and back: shared by every surface driver so a value
//! means the same on a Mackie V-Pot, a serial board's fader and an OSC app.
//!
//! Pure functions; any thread.

use crate::dsp::{db_to_pos, pos_to_db};
use crate::mixer::{Param, SendParam};
use crate::model::TRIM_RANGE_DB;

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
}

/// The scale of parameter `p`.
pub fn conv_for(p: Param) -> Conv {
    match p {
        Param::Trim => Conv::TrimDb,
        Param::Gain | Param::Send(_, SendParam::Gain) => Conv::GainDb,
        Param::Pan | Param::Send(_, SendParam::Pan) => Conv::Pan,
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
        }
        .clamp(0.0, 1.0)
    }

    /// The value at control position `p` (0..1).
    pub fn value_at(self, p: f64) -> f64 {
        match self {
            Conv::Pan | Conv::Level => p,
            Conv::TrimDb => p * 2.0 * TRIM_RANGE_DB - TRIM_RANGE_DB,
            Conv::GainDb => pos_to_db(p),
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
        }
    }
}
