//! Test-tone and demo-material generators.
//!
//! Periodic waves and white noise are pure functions of the absolute frame
//! number, so a generator's output never depends on block size or on when
//! the engine's graph was rebuilt. Pink noise filters white noise and so
//! carries a small state.

use super::db_to_amp;

/// Wave shape of a generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wave {
    /// Sine.
    Sine,
    /// Naive (non-band-limited) square: fine for a test tone.
    Square,
    /// Naive rising sawtooth.
    Saw,
    /// Uniform white noise.
    White,
    /// Pink noise (-3 dB/octave), Paul Kellet's economy filter.
    Pink,
}

/// A generator's settings, as the session states them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSpec {
    /// Wave shape.
    pub wave: Wave,
    /// Frequency of periodic waves.
    pub freq_hz: f64,
    /// Peak level in dBFS.
    pub level_db: f64,
    /// A repeating percussive envelope: (beats per minute, decay time in ms
    /// to -60 dB... approximately: the time constant is decay_ms / 6.9).
    pub pulse: Option<Pulse>,
    /// Seed for noise, so two noise tracks are not identical.
    pub seed: u64,
}

/// A percussive envelope retriggered on every beat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    /// Beats per minute.
    pub bpm: f64,
    /// Time for the envelope to fall by 60 dB.
    pub decay_ms: f64,
    /// Beat offset of the first hit, in beats (0.5 = the off-beat).
    pub offset_beats: f64,
}

/// A running generator.
#[derive(Debug, Clone)]
pub struct Generator {
    spec: ToneSpec,
    amp: f64,
    cycles_per_frame: f64,
    beat_frames: f64,
    offset_frames: f64,
    env_coef: f64,
    pink: [f32; 3],
}

impl Generator {
    /// A generator at `sample_rate`.
    pub fn new(spec: ToneSpec, sample_rate: u32) -> Generator {
        let sr = f64::from(sample_rate);
        let (beat_frames, offset_frames, env_coef) = match spec.pulse {
            Some(p) if p.bpm > 0.0 => {
                let beat = sr * 60.0 / p.bpm;
                // exp(-6.9) = -60 dB after decay_ms.
                let tau_frames = (p.decay_ms.max(0.1) / 1000.0 * sr) / 6.907_755;
                (
                    beat,
                    p.offset_beats.rem_euclid(1.0) * beat,
                    -1.0 / tau_frames,
                )
            }
            _ => (0.0, 0.0, 0.0),
        };
        Generator {
            spec,
            amp: db_to_amp(spec.level_db),
            cycles_per_frame: spec.freq_hz / sr,
            beat_frames,
            offset_frames,
            env_coef,
            pink: [0.0; 3],
        }
    }

    /// Write `out.len()` samples starting at absolute frame `start_frame`.
    pub fn fill(&mut self, start_frame: u64, out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            let frame = start_frame + i as u64;
            let raw = match self.spec.wave {
                Wave::Sine => (std::f64::consts::TAU * self.phase(frame)).sin() as f32,
                Wave::Square => {
                    if self.phase(frame) < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                Wave::Saw => (2.0 * self.phase(frame) - 1.0) as f32,
                Wave::White => white(self.spec.seed, frame),
                Wave::Pink => self.pink(white(self.spec.seed, frame)),
            };
            *o = raw * (self.amp * self.envelope(frame)) as f32;
        }
    }

    fn phase(&self, frame: u64) -> f64 {
        (frame as f64 * self.cycles_per_frame).fract()
    }

    fn envelope(&self, frame: u64) -> f64 {
        if self.beat_frames <= 0.0 {
            return 1.0;
        }
        let t = (frame as f64 - self.offset_frames).rem_euclid(self.beat_frames);
        (t * self.env_coef).exp()
    }

    fn pink(&mut self, white: f32) -> f32 {
        // Paul Kellet's economy pink filter (3 poles), gain-normalised to
        // roughly the white input's peak.
        let b = &mut self.pink;
        b[0] = 0.99765 * b[0] + white * 0.099_046;
        b[1] = 0.96300 * b[1] + white * 0.296_516_4;
        b[2] = 0.57000 * b[2] + white * 1.052_691_3;
        (b[0] + b[1] + b[2] + white * 0.1848) * 0.25
    }
}

/// Deterministic white noise in [-1, 1): a hash of (seed, frame).
fn white(seed: u64, frame: u64) -> f32 {
    // splitmix64 finaliser.
    let mut z = frame
        .wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 40) as f32 / (1u64 << 23) as f32) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(wave: Wave) -> ToneSpec {
        ToneSpec {
            wave,
            freq_hz: 1000.0,
            level_db: -6.0,
            pulse: None,
            seed: 7,
        }
    }

    #[test]
    fn sine_has_the_stated_peak_and_frequency() {
        let mut g = Generator::new(spec(Wave::Sine), 48_000);
        let mut buf = vec![0.0f32; 48_000];
        g.fill(0, &mut buf);
        let peak = buf.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak - 0.501_187).abs() < 1e-4);
        let crossings = buf.windows(2).filter(|w| w[0] <= 0.0 && w[1] > 0.0).count();
        assert!((999..=1001).contains(&crossings), "{crossings}");
    }

    #[test]
    fn output_is_the_same_however_it_is_split() {
        for wave in [Wave::Sine, Wave::Saw, Wave::White, Wave::Pink] {
            let mut s = spec(wave);
            s.pulse = Some(Pulse {
                bpm: 120.0,
                decay_ms: 100.0,
                offset_beats: 0.25,
            });
            let mut whole = Generator::new(s, 48_000);
            let mut a = vec![0.0f32; 1000];
            whole.fill(0, &mut a);
            let mut split = Generator::new(s, 48_000);
            let mut b = vec![0.0f32; 1000];
            let (x, y) = b.split_at_mut(333);
            split.fill(0, x);
            split.fill(333, y);
            assert_eq!(a, b, "{wave:?}");
        }
    }

    #[test]
    fn noise_stays_in_range_and_seeds_differ() {
        let a: Vec<f32> = (0..10_000).map(|f| white(1, f)).collect();
        let b: Vec<f32> = (0..10_000).map(|f| white(2, f)).collect();
        assert!(a.iter().all(|x| (-1.0..1.0).contains(x)));
        assert_ne!(a, b);
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        assert!(mean.abs() < 0.05);
    }
}
