//! Block meters: peak (sample peak) and RMS with an exponential integrator.

/// RMS integration time constant (the classic VU-like 300 ms).
pub const RMS_TIME_S: f32 = 0.3;

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

    /// Measure a block; returns (peak, mean square). The mean square decays by
    /// the block length, so a 64-frame and a 1024-frame backend read alike.
    #[inline]
    pub fn block(&mut self, buf: &[f32]) -> (f32, f32) {
        if buf.is_empty() {
            return (0.0, self.mean_square);
        }
        let mut peak = 0.0f32;
        let mut sum_sq = 0.0f32;
        for &x in buf {
            peak = peak.max(x.abs());
            sum_sq += x * x;
        }
        if buf.len() != self.cached_len {
            self.cached_len = buf.len();
            self.cached_coef = self.coef_per_sample.powi(buf.len() as i32);
        }
        let block_ms = sum_sq / buf.len() as f32;
        self.mean_square = block_ms + self.cached_coef * (self.mean_square - block_ms);
        (peak, self.mean_square)
    }
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
}
