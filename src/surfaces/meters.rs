//! What a surface's meters show between its sends: the highest peak and
//! the most gain reduction of each strip over the meter frames since it
//! last sent them (a surface sends meters less often than the hub ticks).

use crate::mixer::keys::KeyMap;
use crate::mixer::{MeterFrame, StripRef};

/// Per strip: the highest peak (linear, either channel) and the most gain
/// reduction (dB, <= 0) heard since [`MeterHold::take`].
#[derive(Debug, Default)]
pub struct MeterHold {
    held: KeyMap<StripRef, (f32, f32)>,
}

impl MeterHold {
    /// Fold in one meter frame.
    pub fn absorb(&mut self, frame: &MeterFrame) {
        for (strip, r) in &frame.readings {
            let (peak, reduction) = self.held.entry(*strip).or_insert((0.0, 0.0));
            *peak = peak.max(r.peak[0]).max(r.peak[1]);
            *reduction = reduction.min(r.gain_reduction_db);
        }
    }

    /// The highest peak of `strip` held so far (0 when none).
    pub fn peak(&self, strip: StripRef) -> f32 {
        self.held.get(&strip).map_or(0.0, |h| h.0)
    }

    /// `strip`'s held (peak, gain reduction), and start it again.
    pub fn take(&mut self, strip: StripRef) -> (f32, f32) {
        self.held.remove(&strip).unwrap_or((0.0, 0.0))
    }

    /// Start every strip again.
    pub fn clear(&mut self) {
        self.held.clear();
    }
}
