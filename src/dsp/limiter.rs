//! A stereo-linked true-peak limiter with lookahead, for the master bus.
//!
//! Detection runs on the 4x-oversampled signal ([`TruePeak`]), so peaks
//! between samples count. Every detected point needs a gain no higher than
//! `ceiling / |peak|` on all the samples its reconstruction depends on (the
//! interpolator's span). The gain path:
//! 1. the required gain of each point, as it is detected;
//! 2. a running minimum over the last `hold` requirements;
//! 3. a moving average over `attack` samples: a smooth (linear-in-time)
//!    fade into each reduction, finished before the span of the peak;
//! 4. release: the gain falls at once with (3) and rises back no faster
//!    than the release time constant, never above (3).
//!
//! The audio is delayed so that the whole span of every peak plays at a
//! gain already at or below its requirement: `delay = attack + span - 1`
//! and `hold = delay + 1` (see the proof in the tests' module docs). The
//! limiter aims a hair under the ceiling ([`MARGIN_DB`]) because a gain
//! that changes inside a peak's span can lift the reconstruction a little.
//!
//! Pure and allocation-free once built; built off the audio thread.

use super::true_peak::{TAPS, TruePeak};

/// How far under the ceiling the limiter aims, dB.
pub const MARGIN_DB: f32 = 0.2;
/// Default lookahead (the attack fade), ms.
pub const DEFAULT_LOOKAHEAD_MS: f32 = 1.5;

/// The limiter's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSpec {
    /// In the signal path (off: unity gain, same delay).
    pub on: bool,
    /// Highest true peak let through, dBTP.
    pub ceiling_dbtp: f32,
    /// Time constant of the gain's recovery, ms.
    pub release_ms: f32,
}

impl Default for LimiterSpec {
    fn default() -> Self {
        LimiterSpec {
            on: false,
            ceiling_dbtp: -1.0,
            release_ms: 100.0,
        }
    }
}

/// Settable ranges: ceiling (dBTP), release (ms).
pub const CEILING_RANGE: (f32, f32) = (-24.0, 0.0);
/// Release range, ms.
pub const RELEASE_RANGE: (f32, f32) = (5.0, 2000.0);

/// A running limiter. See the module docs.
#[derive(Debug, Clone)]
pub struct Limiter {
    spec: LimiterSpec,
    rate: f32,
    ceiling: f32,
    release: f32,
    detect: [TruePeak; 2],
    /// Delay lines, one per channel, `delay` samples each.
    line: [Box<[f32]>; 2],
    line_pos: usize,
    /// Running minimum: a monotonic queue of (arrival, requirement).
    minq: Box<[(u64, f32)]>,
    minq_head: usize,
    minq_len: usize,
    hold: u64,
    arrivals: u64,
    /// Moving average of the held minimum over `attack` samples.
    avg: Box<[f32]>,
    avg_pos: usize,
    avg_sum: f64,
    /// Current gain (linear).
    gain: f32,
    /// Lowest gain since it was last read.
    lowest: f32,
}

/// The attack fade's length at `rate` Hz, frames.
fn attack_frames(rate: u32) -> usize {
    ((DEFAULT_LOOKAHEAD_MS * 0.001 * rate.max(1000) as f32).round() as usize).max(1)
}

/// Frames a limiter at `rate` Hz delays the audio by: its lookahead and
/// its true-peak detector's filter.
pub fn latency_frames(rate: u32) -> usize {
    attack_frames(rate) + TAPS - 1
}

impl Limiter {
    /// A limiter at `rate` Hz. Allocates its delay lines.
    pub fn new(spec: LimiterSpec, rate: u32) -> Limiter {
        let rate_f = rate.max(1000) as f32;
        let attack = attack_frames(rate);
        let delay = latency_frames(rate);
        let hold = delay + 1;
        let mut l = Limiter {
            spec,
            rate: rate_f,
            ceiling: 1.0,
            release: 0.0,
            detect: [TruePeak::new(), TruePeak::new()],
            line: [
                vec![0.0; delay].into_boxed_slice(),
                vec![0.0; delay].into_boxed_slice(),
            ],
            line_pos: 0,
            minq: vec![(0, 1.0); hold + 1].into_boxed_slice(),
            minq_head: 0,
            minq_len: 0,
            hold: hold as u64,
            arrivals: 0,
            avg: vec![1.0; attack].into_boxed_slice(),
            avg_pos: 0,
            avg_sum: attack as f64,
            gain: 1.0,
            lowest: 1.0,
        };
        l.set(spec);
        l
    }

    /// Frames the audio is delayed by (whether on or off).
    pub fn latency(&self) -> usize {
        self.line[0].len()
    }

    /// New settings.
    pub fn set(&mut self, spec: LimiterSpec) {
        let ceiling_db = spec.ceiling_dbtp.clamp(CEILING_RANGE.0, CEILING_RANGE.1) - MARGIN_DB;
        self.ceiling = 10f32.powf(ceiling_db / 20.0);
        let release_ms = spec.release_ms.clamp(RELEASE_RANGE.0, RELEASE_RANGE.1);
        self.release = (-1.0 / (release_ms * 0.001 * self.rate)).exp();
        self.spec = spec;
    }

    /// The settings.
    pub fn spec(&self) -> LimiterSpec {
        self.spec
    }

    /// True when it holds only silence and reduces nothing: its delay
    /// lines and detectors hold exact `+0.0`, and its gain, its averaged
    /// and its held requirement are exactly 1. Silence in then gives
    /// exact silence out and leaves it so; only its ring positions move,
    /// over contents that are all alike, so a strip may skip it.
    pub fn is_quiet(&self) -> bool {
        self.gain == 1.0
            && self.avg_sum == self.avg.len() as f64
            && self.avg.iter().all(|&g| g == 1.0)
            && (self.minq_len == 0 || self.minq[self.minq_head].1 == 1.0)
            && self.detect.iter().all(TruePeak::is_quiet)
            && self.line.iter().flatten().all(|x| x.to_bits() == 0)
    }

    /// The most gain reduction since the last call, dB (<= 0); resets.
    pub fn take_gain_reduction(&mut self) -> f32 {
        let g = std::mem::replace(&mut self.lowest, 1.0);
        20.0 * g.max(1e-6).log10()
    }

    /// The held minimum after adding requirement `r`.
    #[inline]
    fn hold_min(&mut self, r: f32) -> f32 {
        let cap = self.minq.len();
        // Drop requirements that are no lower than the new one (from the back).
        while self.minq_len > 0 {
            let back = (self.minq_head + self.minq_len - 1) % cap;
            if self.minq[back].1 >= r {
                self.minq_len -= 1;
            } else {
                break;
            }
        }
        let at = (self.minq_head + self.minq_len) % cap;
        self.minq[at] = (self.arrivals, r);
        self.minq_len += 1;
        // Drop the front when it has left the window.
        while self.arrivals - self.minq[self.minq_head].0 >= self.hold {
            self.minq_head = (self.minq_head + 1) % cap;
            self.minq_len -= 1;
        }
        self.arrivals += 1;
        self.minq[self.minq_head].1
    }

    /// Limit a stereo block in place.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        self.process_traced(l, r, None);
    }

    /// [`Limiter::process`], writing into `gain` (when given, of the
    /// block's length) the gain each output sample got: what left the
    /// delay line, times it, is the output.
    pub fn process_traced(&mut self, l: &mut [f32], r: &mut [f32], mut gain: Option<&mut [f32]>) {
        let len = self.line[0].len();
        let on = self.spec.on;
        for (i, (xl, xr)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
            let (inl, inr) = (*xl, *xr);
            let peak = self.detect[0].push(inl).max(self.detect[1].push(inr));
            let need = if on && peak > self.ceiling {
                self.ceiling / peak
            } else {
                1.0
            };
            let held = self.hold_min(need);
            self.avg_sum += f64::from(held) - f64::from(self.avg[self.avg_pos]);
            self.avg[self.avg_pos] = held;
            self.avg_pos = (self.avg_pos + 1) % self.avg.len();
            let smooth = ((self.avg_sum / self.avg.len() as f64) as f32).min(1.0);
            self.gain = if smooth < self.gain {
                smooth
            } else {
                (smooth + (self.gain - smooth) * self.release).min(smooth)
            };
            self.lowest = self.lowest.min(self.gain);
            if let Some(g) = gain.as_deref_mut() {
                g[i] = self.gain;
            }
            let p = self.line_pos;
            *xl = self.line[0][p] * self.gain;
            *xr = self.line[1][p] * self.gain;
            self.line[0][p] = inl;
            self.line[1][p] = inr;
            self.line_pos = (p + 1) % len;
        }
        // Re-sum now and then so rounding never drifts the average.
        if self.arrivals % (1 << 16) < l.len() as u64 {
            self.avg_sum = self.avg.iter().map(|&g| f64::from(g)).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    //! Why the delay works: the requirement of the point after sample `k`
    //! is detected when sample `k + 12` arrives (arrival `a = k + 12`) and
    //! concerns samples `k - 11 ..= k + 12`. Sample `q` leaves at time
    //! `q + delay` with the average of the held minima of arrivals
    //! `q + delay - attack + 1 ..= q + delay`, each the minimum over the
    //! `hold` arrivals before it. All of them include arrival `a` when
    //! `k + 12 <= (k - 11) + delay - attack + 1` (so `delay >= attack + 22`)
    //! and `(k + 12) + delay - (hold - 1) <= k + 12` (so `hold >= delay + 1`).
    use super::*;
    use crate::dsp::true_peak::TruePeak;
    use std::f64::consts::PI;

    const RATE: u32 = 48_000;

    fn run(spec: LimiterSpec, l: &[f32], r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
        let mut lim = Limiter::new(spec, RATE);
        // Silence after the signal, so that all of it comes out.
        let tail = lim.latency() + 64;
        let (mut ol, mut or) = (l.to_vec(), r.to_vec());
        ol.resize(l.len() + tail, 0.0);
        or.resize(r.len() + tail, 0.0);
        for (cl, cr) in ol.chunks_mut(block).zip(or.chunks_mut(block)) {
            lim.process(cl, cr);
        }
        (ol, or)
    }

    /// True peak measured independently: the ebur128 crate's 4x meter.
    fn true_peak_dbtp(l: &[f32], r: &[f32]) -> f64 {
        use ebur128::{EbuR128, Mode};
        let mut e = EbuR128::new(2, RATE, Mode::TRUE_PEAK).unwrap();
        e.add_frames_planar_f32(&[l, r]).unwrap();
        let tp = e.true_peak(0).unwrap().max(e.true_peak(1).unwrap());
        20.0 * tp.log10()
    }

    fn ours_dbtp(l: &[f32], r: &[f32]) -> f64 {
        let (mut a, mut b) = (TruePeak::new(), TruePeak::new());
        let mut p = a.block_peak(l).max(b.block_peak(r));
        // Flush the estimator's delay.
        for _ in 0..TAPS {
            p = p.max(a.push(0.0)).max(b.push(0.0));
        }
        20.0 * f64::from(p).log10()
    }

    fn noise(n: usize, seed: u32, amp: f32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                amp * (s as f32 / u32::MAX as f32 * 2.0 - 1.0)
            })
            .collect()
    }

    /// Signals built to peak between samples or to jump at the limiter.
    fn adversarial() -> Vec<(&'static str, Vec<f32>, Vec<f32>)> {
        let n = RATE as usize;
        let sine = |f: f64, phase: f64, amp: f64| -> Vec<f32> {
            (0..n)
                .map(|i| (amp * (2.0 * PI * f * i as f64 / f64::from(RATE) + phase).sin()) as f32)
                .collect()
        };
        // The sample pattern that peaks highest between samples: the signs
        // of the half-sample interpolator, repeated with gaps.
        let mut isp = vec![0.0f32; n];
        for start in (0..n - 64).step_by(997) {
            for i in 0..24 {
                let tau = 0.5 + 11.0 - i as f64;
                isp[start + i] = if ((PI * tau).sin() / tau) >= 0.0 {
                    1.0
                } else {
                    -1.0
                };
            }
        }
        let square: Vec<f32> = (0..n)
            .map(|i| if (i / 20) % 2 == 0 { 4.0 } else { -4.0 })
            .collect();
        let mut bursts = vec![0.0f32; n];
        for (i, x) in bursts.iter_mut().enumerate() {
            if (i / 2400) % 2 == 1 {
                *x = (8.0 * (2.0 * PI * 10_000.0 * i as f64 / f64::from(RATE)).sin()) as f32;
            }
        }
        let mut clicks = vec![0.0f32; n];
        for (k, i) in (100..n).step_by(333).enumerate() {
            clicks[i] = if k % 2 == 0 { 10.0 } else { -10.0 };
        }
        let quiet_then_loud: Vec<f32> = noise(n, 9, 0.1)
            .iter()
            .enumerate()
            .map(|(i, x)| if i > n / 2 { x * 60.0 } else { *x })
            .collect();
        vec![
            (
                "fs/4 sine at 45 deg, +6 dB",
                sine(12_000.0, PI / 4.0, 2.0),
                sine(12_000.0, PI / 4.0, 2.0),
            ),
            (
                "inter-sample-peak pattern",
                isp.clone(),
                isp.iter().map(|x| -x).collect(),
            ),
            ("square +12 dB", square.clone(), square),
            ("10 kHz bursts +18 dB", bursts.clone(), bursts),
            ("alternating clicks +20 dB", clicks.clone(), clicks),
            ("white noise +20 dB", noise(n, 1, 10.0), noise(n, 2, 10.0)),
            (
                "noise, silence to +36 dB",
                quiet_then_loud.clone(),
                quiet_then_loud,
            ),
            (
                "19 kHz sine +3 dB",
                sine(19_000.0, 0.3, 1.41),
                sine(19_000.0, 1.3, 1.41),
            ),
        ]
    }

    #[test]
    fn nothing_leaves_above_the_ceiling_measured_at_4x() {
        for (ceiling, blocks) in [
            (-1.0f32, &[64, 7][..]),
            (-0.1, &[64][..]),
            (-6.0, &[64][..]),
        ] {
            let spec = LimiterSpec {
                on: true,
                ceiling_dbtp: ceiling,
                release_ms: 50.0,
            };
            for (name, l, r) in adversarial() {
                for &block in blocks {
                    let (ol, or) = run(spec, &l, &r, block);
                    let reference = true_peak_dbtp(&ol, &or);
                    let own = ours_dbtp(&ol, &or);
                    println!(
                        "ceiling {ceiling} {name} (block {block}): in {:.2} dBTP, out {reference:.3} dBTP (ebur128), {own:.3} (ours)",
                        true_peak_dbtp(&l, &r)
                    );
                    assert!(
                        reference <= f64::from(ceiling) && own <= f64::from(ceiling),
                        "{name}: {reference:.3} / {own:.3} dBTP over {ceiling}"
                    );
                }
            }
        }
    }

    #[test]
    fn below_the_ceiling_it_is_a_pure_delay() {
        let spec = LimiterSpec {
            on: true,
            ceiling_dbtp: -1.0,
            release_ms: 100.0,
        };
        let x = noise(9600, 4, 0.5);
        let lim = Limiter::new(spec, RATE);
        let d = lim.latency();
        let (ol, _) = run(spec, &x, &x, 64);
        assert_eq!(&ol[d..d + x.len()], &x[..]);
        assert!(ol[..d].iter().all(|v| *v == 0.0));
    }

    #[test]
    fn the_gain_recovers_at_the_release_time() {
        let spec = LimiterSpec {
            on: true,
            ceiling_dbtp: -6.0,
            release_ms: 100.0,
        };
        // One loud click, then a steady quiet tone we can read the gain on.
        let n = RATE as usize;
        let mut x: Vec<f32> = (0..n)
            .map(|i| (0.1 * (2.0 * PI * 1000.0 * i as f64 / 48_000.0).sin()) as f32)
            .collect();
        x[1000] = 4.0;
        let (ol, _) = run(spec, &x, &x, 64);
        let d = Limiter::new(spec, RATE).latency();
        // Gain 100 ms (one time constant) after the click: 1 - (1 - g0)/e.
        let at = |t: usize| {
            let i = t + d;
            let w = &ol[i - 24..i + 24];
            let src = &x[t - 24..t + 24];
            let a: f32 = w.iter().map(|v| v * v).sum();
            let b: f32 = src.iter().map(|v| v * v).sum();
            (a / b).sqrt()
        };
        let g0 = at(1000 + 60);
        let g1 = at(1000 + 4800 + 60);
        let expect = 1.0 - (1.0 - g0) / std::f32::consts::E;
        assert!(g0 < 0.2, "held gain {g0}");
        assert!(
            (g1 - expect).abs() < 0.05,
            "after one time constant {g1}, expected {expect}"
        );
    }

    #[test]
    fn off_it_passes_everything_with_the_same_delay() {
        let spec = LimiterSpec::default();
        let x = noise(4800, 5, 8.0);
        let d = Limiter::new(spec, RATE).latency();
        let (ol, _) = run(spec, &x, &x, 64);
        assert_eq!(&ol[d..d + x.len()], &x[..]);
    }
}
