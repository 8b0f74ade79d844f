//! Block meters: peak (sample peak) and RMS with an exponential integrator.

/// RMS integration time constant (the classic VU-like 300 ms).
pub const RMS_TIME_S: f32 = 0.3;

/// A mean square below this (-100 dB, under every meter's floor) is
/// silence.
pub const SILENT_MEAN_SQUARE: f32 = 1e-10;

/// One channel's meter state, advanced once per block.
#[derive(Debug, Clone, Copy)]
pub struct MeterState {
    mean_square: f32,
    /// Per-sample decay of the mean square.
    coef_per_sample: f32,
    /// Cached `coef_per_sample ^ n` for the last block length `n`.
    cached_len: usize,
    cached_coef: f32,
}

impl MeterState {
    /// A silent meter for `sample_rate`.
    pub fn new(sample_rate: u32) -> MeterState {
        let coef = (-1.0 / (RMS_TIME_S * sample_rate as f32)).exp();
        MeterState {
            mean_square: 0.0,
            coef_per_sample: coef,
            cached_len: 0,
            cached_coef: 1.0,
        }
    }

    /// Its state, word by word.
    pub fn state_words(&self, w: &mut super::state_words::StateWords) {
        w.float(self.mean_square);
    }

    /// Measure a block; returns (peak, mean square). The mean square decays by
    /// the block length, so a 64-frame and a 1024-frame backend read alike.
    #[inline]
    pub fn block(&mut self, buf: &[f32]) -> (f32, f32) {
        if buf.is_empty() {
            return (0.0, self.mean_square);
        }
        let (peak, sum_sq) = peak_and_sum_sq(buf);
        if buf.len() != self.cached_len {
            self.cached_len = buf.len();
            self.cached_coef = self.coef_per_sample.powi(buf.len() as i32);
        }
        let block_ms = sum_sq / buf.len() as f32;
        self.mean_square = block_ms + self.cached_coef * (self.mean_square - block_ms);
        // Below -100 dB is silence: it reads as silence at once instead of
        // decaying for half a minute towards the smallest float (no meter
        // shows anything below -90 dB).
        if self.mean_square < SILENT_MEAN_SQUARE {
            self.mean_square = 0.0;
        }
        (peak, self.mean_square)
    }
}

/// Lanes of independent accumulators: the loop runs as SIMD instead of one
/// long dependency chain through `max` and `+`.
const LANES: usize = 8;

/// The largest magnitude in `buf` and the sum of its squares. A NaN sample
/// does not poison the peak (it reads as 0 there).
#[inline]
fn peak_and_sum_sq(buf: &[f32]) -> (f32, f32) {
    let mut peak = [0.0f32; LANES];
    let mut sum_sq = [0.0f32; LANES];
    let chunks = buf.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for j in 0..LANES {
            let a = chunk[j].abs();
            // `>` is false for NaN: the comparison form maps to one max
            // instruction, where `f32::max` needs NaN fix-ups.
            peak[j] = if a > peak[j] { a } else { peak[j] };
            sum_sq[j] += chunk[j] * chunk[j];
        }
    }
    for (j, &x) in tail.iter().enumerate() {
        let a = x.abs();
        peak[j] = if a > peak[j] { a } else { peak[j] };
        sum_sq[j] += x * x;
    }
    let peak = peak.iter().fold(0.0f32, |m, &p| if p > m { p } else { m });
    (peak, sum_sq.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_reads_peak_1_and_rms_0_707() {
        let mut m = MeterState::new(48_000);
        let sine: Vec<f32> = (0..48_000 * 3)
            .map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / 48_000.0).sin())
            .collect();
        let (mut peak, mut ms) = (0.0, 0.0);
        for block in sine.chunks(64) {
            (peak, ms) = m.block(block);
        }
        assert!((peak - 1.0).abs() < 1e-3);
        assert!(
            (ms.sqrt() - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.01,
            "rms {}",
            ms.sqrt()
        );
    }

    #[test]
    fn every_lane_and_the_tail_count() {
        // 8 lanes plus a tail of 5: a peak and an energy in each position.
        for at in 0..21 {
            let mut buf = vec![0.25f32; 21];
            buf[at] = -0.9;
            let (peak, sum_sq) = peak_and_sum_sq(&buf);
            assert_eq!(peak, 0.9, "peak at {at}");
            let want = 20.0 * 0.0625 + 0.81;
            assert!((sum_sq - want).abs() < 1e-5, "{at}: {sum_sq} vs {want}");
        }
        let (peak, _) = peak_and_sum_sq(&[0.5, f32::NAN, -0.7]);
        assert_eq!(peak, 0.7);
    }
}
