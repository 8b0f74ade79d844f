//! An algorithmic reverb for aux buses: pre-delay, four series all-pass
//! diffusers for a dense onset, then an 8-line feedback delay network
//! (Hadamard mixing, so the loop is lossless but for each line's gain).
//!
//! - `decay` is RT60 at low frequencies: each line loses
//!   `60 dB * length / decay` per pass, so every path decays alike.
//! - `damping` adds a one-pole low-pass (unity at DC) in every line: highs
//!   die sooner, as in a real room.
//! - `size` scales the line lengths 0.3x..2x (the diffusers take the size
//!   the reverb was built with); a change glides the lengths (1/16 sample
//!   per sample), so the room morphs instead of clicking.
//! - `width` blends the two decorrelated outputs from mono (0) to wide (1).
//!
//! The output is the reverb only (an aux return is 100 % wet). Allocated
//! for the largest size when built, off the audio thread.

/// Settable ranges.
pub const SIZE_RANGE: (f32, f32) = (0.3, 2.0);
/// RT60, seconds.
pub const DECAY_RANGE: (f32, f32) = (0.1, 20.0);
/// Pre-delay, ms.
pub const PREDELAY_RANGE: (f32, f32) = (0.0, 250.0);
/// High-frequency damping, 0..1.
pub const DAMPING_RANGE: (f32, f32) = (0.0, 1.0);
/// Stereo width, 0..1.
pub const WIDTH_RANGE: (f32, f32) = (0.0, 1.0);

/// The reverb's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReverbSpec {
    /// Room size, 0.3..2 (1: lines of 30..74 ms).
    pub size: f32,
    /// RT60 at low frequencies, seconds.
    pub decay_s: f32,
    /// Pre-delay, ms.
    pub predelay_ms: f32,
    /// High-frequency damping, 0..1.
    pub damping: f32,
    /// Stereo width, 0..1.
    pub width: f32,
}

impl Default for ReverbSpec {
    fn default() -> Self {
        ReverbSpec {
            size: 1.0,
            decay_s: 1.8,
            predelay_ms: 20.0,
            damping: 0.4,
            width: 1.0,
        }
    }
}

const LINES: usize = 8;
/// Line lengths at size 1, ms: spread and mutually prime in samples.
const LINE_MS: [f32; LINES] = [29.7, 37.1, 41.1, 43.7, 53.3, 59.3, 67.1, 73.9];
/// Diffuser lengths at size 1, ms, and their gain.
const DIFFUSER_MS: [f32; 4] = [4.7, 3.6, 12.7, 9.3];
const DIFFUSER_GAIN: f32 = 0.7;
/// Output signs of the left and right taps (orthogonal patterns).
const TAP_L: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
const TAP_R: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
/// Output level: the lines' sum is about sqrt(8) louder than one line.
const OUT_GAIN: f32 = 0.35;

/// A circular buffer read at a delay that glides (fractional, linearly
/// interpolated) to where it is set.
#[derive(Debug, Clone)]
struct Line {
    buf: Box<[f32]>,
    write: usize,
    len: f32,
    target: f32,
}

/// Share of the way to a new line gain taken per sample (~10 ms at 48 kHz).
const GAIN_GLIDE: f32 = 0.002;

/// Fastest glide of a delay length, samples per sample.
const GLIDE: f32 = 1.0 / 16.0;

impl Line {
    fn new(capacity: usize, len: usize) -> Line {
        let cap = capacity.max(3);
        let len = len.clamp(1, cap - 2) as f32;
        Line {
            buf: vec![0.0; cap].into_boxed_slice(),
            write: 0,
            len,
            target: len,
        }
    }

    #[inline]
    fn out(&self) -> f32 {
        let cap = self.buf.len();
        let whole = self.len as usize;
        let frac = self.len - whole as f32;
        let i0 = (self.write + cap - whole) % cap;
        if frac == 0.0 {
            return self.buf[i0];
        }
        let i1 = (i0 + cap - 1) % cap;
        self.buf[i0] + frac * (self.buf[i1] - self.buf[i0])
    }

    #[inline]
    fn push(&mut self, x: f32) {
        self.buf[self.write] = x;
        self.write += 1;
        if self.write == self.buf.len() {
            self.write = 0;
        }
        if self.len != self.target {
            self.len += (self.target - self.len).clamp(-GLIDE, GLIDE);
        }
    }

    fn retarget(&mut self, len: usize) {
        self.target = len.clamp(1, self.buf.len() - 2) as f32;
    }
}

/// A running reverb. See the module docs.
#[derive(Debug, Clone)]
pub struct Reverb {
    spec: ReverbSpec,
    rate: f32,
    predelay: Line,
    diffusers: [Line; 4],
    lines: [Line; LINES],
    gains: [f32; LINES],
    /// The gains in use, following `gains` smoothly.
    gains_now: [f32; LINES],
    damp: f32,
    lowpass: [f32; LINES],
}

fn samples(ms: f32, rate: f32) -> usize {
    (ms * 0.001 * rate).round() as usize
}

impl Reverb {
    /// A reverb at `rate` Hz. Allocates its lines for the largest size.
    pub fn new(spec: ReverbSpec, rate: u32) -> Reverb {
        let rate = rate.max(1000) as f32;
        let max = SIZE_RANGE.1;
        let size = spec.size.clamp(SIZE_RANGE.0, SIZE_RANGE.1);
        let mut r = Reverb {
            spec,
            rate,
            predelay: Line::new(
                samples(PREDELAY_RANGE.1, rate) + 2,
                samples(spec.predelay_ms, rate),
            ),
            diffusers: DIFFUSER_MS
                .map(|ms| Line::new(samples(ms * max, rate) + 2, samples(ms * size, rate))),
            lines: LINE_MS
                .map(|ms| Line::new(samples(ms * max, rate) + 2, samples(ms * size, rate))),
            gains: [0.0; LINES],
            gains_now: [0.0; LINES],
            damp: 0.0,
            lowpass: [0.0; LINES],
        };
        r.set(spec);
        r.gains_now = r.gains;
        r
    }

    /// New settings.
    pub fn set(&mut self, spec: ReverbSpec) {
        let size = spec.size.clamp(SIZE_RANGE.0, SIZE_RANGE.1);
        for (line, ms) in self.lines.iter_mut().zip(LINE_MS) {
            line.retarget(samples(ms * size, self.rate));
        }
        self.predelay.retarget(samples(
            spec.predelay_ms.clamp(PREDELAY_RANGE.0, PREDELAY_RANGE.1),
            self.rate,
        ));
        // Damping sets the one-pole's pole: 0 (none) .. 0.7 (dark).
        self.damp = spec.damping.clamp(DAMPING_RANGE.0, DAMPING_RANGE.1) * 0.7;
        self.spec = spec;
        self.update_gains();
    }

    /// Per-line gains for the decay at the lines' target lengths (while
    /// the size morphs, the decay is briefly a little off).
    fn update_gains(&mut self) {
        let decay = self.spec.decay_s.clamp(DECAY_RANGE.0, DECAY_RANGE.1);
        for (g, line) in self.gains.iter_mut().zip(&self.lines) {
            // -60 dB after `decay` seconds: per pass of `target` samples.
            *g = 10f32.powf(-3.0 * line.target / (decay * self.rate));
        }
    }

    /// New settings in effect at once (no glide of lengths or gains): for
    /// automation lanes, which step in small increments on their own grid,
    /// so the result does not depend on what came before the transport
    /// rolled.
    pub fn jump(&mut self, spec: ReverbSpec) {
        self.set(spec);
        for line in self
            .lines
            .iter_mut()
            .chain(std::iter::once(&mut self.predelay))
        {
            line.len = line.target;
        }
        self.gains_now = self.gains;
    }

    /// The settings.
    pub fn spec(&self) -> ReverbSpec {
        self.spec
    }

    /// Replace the bus signal in `l`/`r` by its reverb.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        let width = self.spec.width.clamp(WIDTH_RANGE.0, WIDTH_RANGE.1);
        let damp = self.damp;
        for (xl, xr) in l.iter_mut().zip(r.iter_mut()) {
            // Pre-delay, then the diffusers (Schroeder all-passes).
            let mut x = self.predelay.out();
            self.predelay.push(0.5 * (*xl + *xr));
            for d in &mut self.diffusers {
                let delayed = d.out();
                let v = flush(x + DIFFUSER_GAIN * delayed);
                d.push(v);
                x = delayed - DIFFUSER_GAIN * v;
            }
            // The network: read, damp, mix (Hadamard), feed back with input.
            let mut v = [0.0f32; LINES];
            for (k, vk) in v.iter_mut().enumerate() {
                let out = self.lines[k].out();
                self.lowpass[k] = flush(out + damp * (self.lowpass[k] - out));
                self.gains_now[k] += GAIN_GLIDE * (self.gains[k] - self.gains_now[k]);
                *vk = self.lowpass[k] * self.gains_now[k];
            }
            let (mut out_l, mut out_r) = (0.0, 0.0);
            for ((vk, tl), tr) in v.iter().zip(TAP_L).zip(TAP_R) {
                out_l += tl * vk;
                out_r += tr * vk;
            }
            hadamard8(&mut v);
            for (k, line) in self.lines.iter_mut().enumerate() {
                line.push(v[k] + x);
            }
            let mid = 0.5 * (out_l + out_r);
            let side = 0.5 * (out_l - out_r) * width;
            *xl = OUT_GAIN * (mid + side);
            *xr = OUT_GAIN * (mid - side);
        }
    }
}

/// Zero for values decaying into the denormal range (which would slow the
/// CPU down where flush-to-zero is not set), per sample so the output does
/// not depend on block boundaries.
#[inline]
fn flush(x: f32) -> f32 {
    if x.abs() < 1e-20 { 0.0 } else { x }
}

/// In-place 8-point Hadamard transform, scaled to be orthonormal.
#[inline]
fn hadamard8(v: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (a, b) = (v[j], v[j + h]);
                v[j] = a + b;
                v[j + h] = a - b;
            }
        }
        h *= 2;
    }
    let scale = 1.0 / (LINES as f32).sqrt();
    for x in v.iter_mut() {
        *x *= scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn impulse_response(spec: ReverbSpec, n: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
        let mut rv = Reverb::new(spec, RATE);
        let mut l = vec![0.0; n];
        let mut r = vec![0.0; n];
        l[0] = 1.0;
        r[0] = 1.0;
        for (cl, cr) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            rv.process(cl, cr);
        }
        (l, r)
    }

    /// RT60 from the Schroeder backward integral, fitted from -5 to -35 dB.
    fn rt60(x: &[f32]) -> f64 {
        let mut energy: Vec<f64> = x.iter().map(|v| f64::from(*v).powi(2)).collect();
        for i in (0..energy.len() - 1).rev() {
            energy[i] += energy[i + 1];
        }
        let total = energy[0];
        let db: Vec<f64> = energy.iter().map(|e| 10.0 * (e / total).log10()).collect();
        let t = |level: f64| db.iter().position(|d| *d <= level).unwrap() as f64;
        let (t5, t35) = (t(-5.0), t(-35.0));
        (t35 - t5) / f64::from(RATE) * 2.0
    }

    #[test]
    fn the_decay_time_is_what_was_set() {
        for decay in [0.8f32, 2.0, 4.0] {
            let spec = ReverbSpec {
                decay_s: decay,
                damping: 0.0,
                predelay_ms: 0.0,
                ..ReverbSpec::default()
            };
            let (l, _) = impulse_response(spec, (f64::from(decay) * 1.5 * 48_000.0) as usize, 64);
            let measured = rt60(&l);
            println!("decay {decay} s: RT60 {measured:.3} s");
            assert!(
                (measured / f64::from(decay) - 1.0).abs() < 0.1,
                "decay {decay}: measured {measured}"
            );
        }
    }

    #[test]
    fn nothing_comes_out_before_the_predelay() {
        let spec = ReverbSpec {
            predelay_ms: 50.0,
            ..ReverbSpec::default()
        };
        let (l, r) = impulse_response(spec, 24_000, 64);
        assert!(l[..2400].iter().chain(&r[..2400]).all(|v| *v == 0.0));
        let early: f32 = l[2400..2400 + 4800].iter().map(|v| v * v).sum();
        assert!(
            early > 1e-3,
            "the reverb starts after the pre-delay: {early}"
        );
    }

    #[test]
    fn width_goes_from_mono_to_decorrelated() {
        let mono = impulse_response(
            ReverbSpec {
                width: 0.0,
                ..ReverbSpec::default()
            },
            48_000,
            64,
        );
        assert_eq!(mono.0, mono.1);
        let (l, r) = impulse_response(ReverbSpec::default(), 48_000, 64);
        let dot: f64 = l
            .iter()
            .zip(&r)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum();
        let el: f64 = l.iter().map(|a| f64::from(*a).powi(2)).sum();
        let er: f64 = r.iter().map(|a| f64::from(*a).powi(2)).sum();
        let corr = dot / (el * er).sqrt();
        assert!(corr.abs() < 0.3, "correlation {corr}");
    }

    #[test]
    fn damping_makes_the_highs_die_sooner() {
        let brightness = |damping: f32| {
            let (l, _) = impulse_response(
                ReverbSpec {
                    damping,
                    decay_s: 2.0,
                    ..ReverbSpec::default()
                },
                48_000,
                64,
            );
            let w = &l[24_000..36_000];
            let slope: f32 = w.windows(2).map(|p| (p[1] - p[0]).powi(2)).sum();
            slope / w.iter().map(|v| v * v).sum::<f32>()
        };
        let (open, damped) = (brightness(0.0), brightness(0.8));
        assert!(damped < open * 0.5, "{damped} vs {open}");
    }

    #[test]
    fn block_size_does_not_change_the_output() {
        let a = impulse_response(ReverbSpec::default(), 20_000, 64);
        for block in [1, 29, 1024] {
            assert_eq!(impulse_response(ReverbSpec::default(), 20_000, block), a);
        }
    }

    #[test]
    fn the_longest_decay_dies_away_at_its_rate() {
        let mut rv = Reverb::new(
            ReverbSpec {
                decay_s: 20.0,
                damping: 0.0,
                ..ReverbSpec::default()
            },
            RATE,
        );
        let mut state = 1u32;
        let mut out = Vec::new();
        for i in 0..500 {
            // One second of noise, then four of silence.
            let mut l: Vec<f32> = (0..480)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if i < 100 {
                        (state >> 8) as f32 / (1 << 24) as f32 - 0.5
                    } else {
                        0.0
                    }
                })
                .collect();
            let mut r = l.clone();
            rv.process(&mut l, &mut r);
            out.extend(l);
        }
        assert!(out.iter().all(|v| v.is_finite()));
        let energy = |from: f64| -> f64 {
            let a = (from * 48_000.0) as usize;
            out[a..a + 24_000]
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum()
        };
        // Three seconds at 60 dB per 20 s: -9 dB.
        let drop_db = 10.0 * (energy(4.5) / energy(1.5)).log10();
        assert!((drop_db + 9.0).abs() < 1.5, "fell {drop_db:.2} dB in 3 s");
    }

    #[test]
    fn a_size_change_morphs_without_clicks() {
        let mut rv = Reverb::new(ReverbSpec::default(), RATE);
        let sine: Vec<f32> = (0..96_000)
            .map(|i| (i as f32 * 200.0 * std::f32::consts::TAU / 48_000.0).sin() * 0.5)
            .collect();
        let (mut l, mut r) = (sine.clone(), sine);
        let (a, b) = l.split_at_mut(48_000);
        let (ar, br) = r.split_at_mut(48_000);
        rv.process(a, ar);
        rv.set(ReverbSpec {
            size: 0.5,
            ..ReverbSpec::default()
        });
        rv.process(b, br);
        // A click is a corner: a second difference far above what the
        // (200 Hz) signal's own curvature gives, relative to its level.
        let corner = |w: &[f32]| {
            let bend = w
                .windows(3)
                .map(|p| (p[2] - 2.0 * p[1] + p[0]).abs())
                .fold(0.0f32, f32::max);
            let level = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            bend / level
        };
        let before = corner(&l[24_000..48_000]);
        let during = corner(&l[48_000..96_000]);
        println!("corner before {before}, during {during}");
        assert!(during < before * 2.0, "{during} vs {before}");
    }
}
