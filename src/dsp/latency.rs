//! Round-trip latency of an outboard loop, measured with a test signal.
//!
//! The measurement plays [`LatencyProbe::signal`] on an interface output
//! (a second of silence, so whatever was already in the loop dies away,
//! then a burst of pseudo-random noise) while recording the matching input
//! for [`LatencyProbe::capture_len`] samples, starting in the same sample.
//! [`LatencyProbe::analyze`] finds where the burst came back by
//! cross-correlation and says how sure it is. Pure functions: the engine
//! does the playing and recording, the hub calls `analyze`.

/// Length and shape of one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyProbe {
    /// Silence before the burst; also the longest latency that can be
    /// measured.
    pub pre_roll: usize,
    /// Length of the noise burst.
    pub burst: usize,
}

/// A successful measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Round trip in samples: output sample k comes back as input sample
    /// k + frames.
    pub frames: usize,
    /// Normalized cross-correlation at that lag (1.0: a perfect copy).
    pub correlation: f64,
    /// Burst level over the loop's noise just before it, in dB.
    pub snr_db: f64,
    /// The loop inverts polarity.
    pub inverted: bool,
}

/// Why a measurement failed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LatencyError {
    /// Nothing came back.
    #[error(
        "no signal came back (peak {peak_db:.1} dBFS): check that the output is patched to the unit and the unit back to the input"
    )]
    NoSignal {
        /// The loudest sample recorded.
        peak_db: f64,
    },
    /// Something came back, but not clearly the burst.
    #[error(
        "the return is too noisy or not the test signal (correlation {correlation:.2}, {snr_db:.1} dB over the noise); turn the unit's send up or its noise down"
    )]
    TooNoisy {
        /// Best normalized correlation found.
        correlation: f64,
        /// Burst over noise, dB.
        snr_db: f64,
    },
}

/// Peak below which nothing is considered to have come back (-80 dBFS).
const SILENCE: f32 = 1e-4;
/// Correlation and signal-to-noise a measurement must reach.
const MIN_CORRELATION: f64 = 0.5;
const MIN_SNR_DB: f64 = 20.0;
/// How far around the onset estimate the exact lag is searched.
const SEARCH: usize = 512;

impl LatencyProbe {
    /// The standard measurement at `sample_rate`: one second of pre-roll
    /// (latencies up to a second), an 8192-sample burst.
    pub fn for_rate(sample_rate: u32) -> LatencyProbe {
        LatencyProbe {
            pre_roll: sample_rate.max(1024) as usize,
            burst: 8192,
        }
    }

    /// Samples to record (and to play: the signal is silent after the burst).
    pub fn capture_len(&self) -> usize {
        2 * self.pre_roll + self.burst
    }

    /// The signal to play: pre-roll silence, then the burst (uniform noise
    /// at +/-0.25, about -17 dBFS RMS), deterministic.
    pub fn signal(&self) -> Vec<f32> {
        let mut x: u32 = 0x9e37_79b9;
        let mut s = vec![0.0f32; self.pre_roll + self.burst];
        for v in &mut s[self.pre_roll..] {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *v = (x as f32 / u32::MAX as f32 - 0.5) * 0.5;
        }
        s
    }

    /// Where the burst of `signal` came back in `capture` (both starting at
    /// the same sample).
    pub fn analyze(&self, signal: &[f32], capture: &[f32]) -> Result<Measured, LatencyError> {
        let pre = self.pre_roll;
        let burst = &signal[pre.min(signal.len())..];
        let region = capture.get(pre..).unwrap_or(&[]);
        let peak = region.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if peak < SILENCE || burst.is_empty() {
            return Err(LatencyError::NoSignal {
                peak_db: 20.0 * f64::from(peak.max(1e-12)).log10(),
            });
        }
        // Coarse: where the return first gets loud, less where the burst
        // itself first gets loud.
        let burst_peak = burst.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let first_loud = |x: &[f32], level: f32| x.iter().position(|v| v.abs() >= level);
        let onset = first_loud(region, 0.3 * peak).unwrap_or(0);
        let own = first_loud(burst, 0.3 * burst_peak).unwrap_or(0);
        let guess = onset.saturating_sub(own);
        let max_lag = pre.min(region.len().saturating_sub(1));
        let (lo, hi) = (guess.saturating_sub(SEARCH), (guess + SEARCH).min(max_lag));
        let energy = |x: &[f32]| x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>();
        let e_burst = energy(burst);
        let mut best = (0usize, 0.0f64);
        for lag in lo..=hi {
            let window = &region[lag..(lag + burst.len()).min(region.len())];
            let r: f64 = burst
                .iter()
                .zip(window)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            let rho = r / (e_burst * energy(window)).sqrt().max(1e-30);
            if rho.abs() > best.1.abs() {
                best = (lag, rho);
            }
        }
        let (lag, rho) = best;
        let back = &region[lag..(lag + burst.len()).min(region.len())];
        let noise_end = pre + lag;
        let noise = &capture[noise_end.saturating_sub(1024)..noise_end];
        let rms = |x: &[f32]| (energy(x) / x.len().max(1) as f64).sqrt();
        let snr_db = 20.0 * (rms(back) / rms(noise).max(1e-9)).log10();
        if rho.abs() < MIN_CORRELATION || snr_db < MIN_SNR_DB {
            return Err(LatencyError::TooNoisy {
                correlation: rho.abs(),
                snr_db,
            });
        }
        Ok(Measured {
            frames: lag,
            correlation: rho.abs(),
            snr_db,
            inverted: rho < 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe() -> LatencyProbe {
        LatencyProbe {
            pre_roll: 4096,
            burst: 8192,
        }
    }

    /// What a loop with `delay` samples, gain `g` and added noise returns.
    fn through_loop(p: &LatencyProbe, delay: usize, g: f32, noise: f32) -> (Vec<f32>, Vec<f32>) {
        let s = p.signal();
        let mut x: u32 = 12345;
        let c = (0..p.capture_len())
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let n = (x as f32 / u32::MAX as f32 - 0.5) * noise;
                let v = if i >= delay {
                    s.get(i - delay).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                v * g + n
            })
            .collect();
        (s, c)
    }

    #[test]
    fn finds_the_exact_delay_of_a_clean_loop() {
        let p = probe();
        for delay in [0, 1, 64, 164, 1000, 4000] {
            let (s, c) = through_loop(&p, delay, 0.7, 0.0);
            let m = p.analyze(&s, &c).unwrap();
            assert_eq!(m.frames, delay);
            assert!(m.correlation > 0.999 && !m.inverted, "{m:?}");
        }
    }

    #[test]
    fn finds_it_through_moderate_noise_and_an_inverting_unit() {
        let p = probe();
        let (s, c) = through_loop(&p, 333, -0.5, 0.01);
        let m = p.analyze(&s, &c).unwrap();
        assert_eq!(m.frames, 333);
        assert!(m.inverted && m.snr_db > 20.0, "{m:?}");
    }

    #[test]
    fn says_when_nothing_or_only_noise_comes_back() {
        let p = probe();
        let (s, c) = through_loop(&p, 100, 0.0, 0.0);
        assert!(matches!(
            p.analyze(&s, &c),
            Err(LatencyError::NoSignal { .. })
        ));
        let (s, c) = through_loop(&p, 100, 0.0, 0.2);
        let e = p.analyze(&s, &c).unwrap_err();
        assert!(matches!(e, LatencyError::TooNoisy { .. }), "{e:?}");
        assert!(e.to_string().contains("too noisy"), "{e}");
    }
}
