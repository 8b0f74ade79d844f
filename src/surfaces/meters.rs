//! What a surface's meters show between its sends: the highest peak and
//! the most gain reduction of each strip over the meter frames since it
//! last sent them (a surface sends meters less often than the hub ticks).

use crate::mixer::keys::KeyMap;
use crate::mixer::{MeterFrame, StripRef};

/// One strip's meter held over the frames since it was last taken.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Held {
    /// The highest sample peak of either channel, linear.
    pub peak: f32,
    /// The highest RMS of either channel, linear.
    pub rms: f32,
    /// The most gain reduction of the strip's dynamics, dB (<= 0).
    pub reduction_db: f32,
    /// The most gain reduction of its limiter alone, dB (<= 0).
    pub limiter_db: f32,
}

/// Per strip, what [`Held`] says, since [`MeterHold::take`].
#[derive(Debug, Default)]
pub struct MeterHold {
    held: KeyMap<StripRef, Held>,
}

impl MeterHold {
    /// Fold in one meter frame.
    pub fn absorb(&mut self, frame: &MeterFrame) {
        for (strip, r) in &frame.readings {
            let h = self.held.entry(*strip).or_default();
            h.peak = h.peak.max(r.peak[0]).max(r.peak[1]);
            h.rms = h.rms.max(r.rms[0]).max(r.rms[1]);
            h.reduction_db = h.reduction_db.min(r.gain_reduction_db);
            h.limiter_db = h.limiter_db.min(r.limiter_reduction_db);
        }
    }

    /// The highest peak of `strip` held so far (0 when none).
    pub fn peak(&self, strip: StripRef) -> f32 {
        self.held.get(&strip).map_or(0.0, |h| h.peak)
    }

    /// What `strip` held, and start it again.
    pub fn take(&mut self, strip: StripRef) -> Held {
        self.held.remove(&strip).unwrap_or_default()
    }

    /// Start every strip again.
    pub fn clear(&mut self) {
        self.held.clear();
    }
}
