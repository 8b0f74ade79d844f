//! A stereo delay for aux buses: time in ms or a note value at the
//! session's tempo, feedback through a high-pass and a low-pass filter (each
//! repeat darker and thinner, as on tape or a bucket brigade), optionally
//! ping-pong. The output is the echoes only (an aux return is 100 % wet).
//!
//! A time change crossfades (20 ms) from the old read point to the new one,
//! so nothing clicks and the new time holds at once. The lines are
//! allocated for [`MAX_TIME_MS`] when built, off the audio thread.

use super::biquad::{BUTTERWORTH_Q, Coefs, Section};

/// Longest delay time, ms.
pub const MAX_TIME_MS: f32 = 2000.0;
/// Settable ranges: time (ms), feedback (0..1), high-pass (Hz), low-pass (Hz).
pub const TIME_RANGE_MS: (f32, f32) = (1.0, MAX_TIME_MS);
/// Feedback range (share of each repeat fed back).
pub const FEEDBACK_RANGE: (f32, f32) = (0.0, 0.95);
/// Feedback high-pass range, Hz.
pub const HPF_RANGE: (f32, f32) = (20.0, 2000.0);
/// Feedback low-pass range, Hz.
pub const LPF_RANGE: (f32, f32) = (500.0, 20_000.0);

/// A note value the time can follow at the session's tempo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Division {
    /// Fraction of a whole note: `1/4` is (1, 4).
    pub num: u8,
    /// Its denominator.
    pub den: u8,
    /// Plain, dotted (x 1.5) or triplet (x 2/3).
    pub feel: Feel,
}

/// Dotted or triplet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feel {
    /// As written.
    Straight,
    /// One and a half times as long.
    Dotted,
    /// Two thirds as long.
    Triplet,
}

impl Division {
    /// Parse `1/4`, `1/8d`, `1/8t`, `3/16`.
    pub fn parse(text: &str) -> Option<Division> {
        let (body, feel) = match text.as_bytes().last()? {
            b'd' => (&text[..text.len() - 1], Feel::Dotted),
            b't' => (&text[..text.len() - 1], Feel::Triplet),
            _ => (text, Feel::Straight),
        };
        let (n, d) = body.split_once('/')?;
        let (num, den) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
        (num > 0 && den > 0).then_some(Division { num, den, feel })
    }

    /// Milliseconds at `bpm` quarter notes per minute.
    pub fn ms(self, bpm: f64) -> f64 {
        let whole = 4.0 * 60_000.0 / bpm.max(1.0);
        let feel = match self.feel {
            Feel::Straight => 1.0,
            Feel::Dotted => 1.5,
            Feel::Triplet => 2.0 / 3.0,
        };
        whole * f64::from(self.num) / f64::from(self.den) * feel
    }
}

impl std::fmt::Display for Division {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let feel = match self.feel {
            Feel::Straight => "",
            Feel::Dotted => "d",
            Feel::Triplet => "t",
        };
        write!(f, "{}/{}{feel}", self.num, self.den)
    }
}

/// The delay's settings as the engine runs them (a note value already
/// turned into ms by whoever knows the tempo).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EchoSpec {
    /// Delay time, ms.
    pub time_ms: f32,
    /// Share of each repeat fed back, 0..0.95.
    pub feedback: f32,
    /// High-pass in the feedback path, Hz.
    pub hpf_hz: f32,
    /// Low-pass in the feedback path, Hz.
    pub lpf_hz: f32,
    /// Repeats alternate left and right (the input is summed to mono).
    pub ping_pong: bool,
}

impl Default for EchoSpec {
    fn default() -> Self {
        EchoSpec {
            time_ms: 375.0,
            feedback: 0.35,
            hpf_hz: 120.0,
            lpf_hz: 6000.0,
            ping_pong: false,
        }
    }
}

/// Length of the crossfade between read points when the time changes, ms.
const CROSSFADE_MS: f32 = 20.0;

/// A running stereo delay. See the module docs.
#[derive(Debug, Clone)]
pub struct Echo {
    spec: EchoSpec,
    rate: f32,
    lines: [Box<[f32]>; 2],
    write: usize,
    /// Delay in samples being faded out, and the one faded in.
    from: f32,
    to: f32,
    /// Crossfade position 0..1 (1: only `to` plays).
    fade: f32,
    fade_step: f32,
    filters: [[Section; 2]; 2],
}

impl Echo {
    /// A delay at `rate` Hz. Allocates its lines.
    pub fn new(spec: EchoSpec, rate: u32) -> Echo {
        let rate = rate.max(1000) as f32;
        let len = (MAX_TIME_MS * 0.001 * rate) as usize + 4;
        let mut e = Echo {
            spec,
            rate,
            lines: [
                vec![0.0; len].into_boxed_slice(),
                vec![0.0; len].into_boxed_slice(),
            ],
            write: 0,
            from: 0.0,
            to: 0.0,
            fade: 1.0,
            fade_step: 1.0 / (CROSSFADE_MS * 0.001 * rate),
            filters: [[Section::default(); 2]; 2],
        };
        e.set(spec);
        e.from = e.to;
        e.fade = 1.0;
        e
    }

    /// New settings: filters at once, the time by gliding.
    pub fn set(&mut self, spec: EchoSpec) {
        let rate = f64::from(self.rate);
        let hp = Coefs::highpass(
            f64::from(spec.hpf_hz.clamp(HPF_RANGE.0, HPF_RANGE.1)),
            BUTTERWORTH_Q,
            rate,
        );
        let lp = Coefs::lowpass(
            f64::from(spec.lpf_hz.clamp(LPF_RANGE.0, LPF_RANGE.1)),
            BUTTERWORTH_Q,
            rate,
        );
        for ch in &mut self.filters {
            ch[0].set(hp);
            ch[1].set(lp);
        }
        let ms = spec.time_ms.clamp(TIME_RANGE_MS.0, TIME_RANGE_MS.1);
        let samples = (ms * 0.001 * self.rate).max(1.0);
        if samples != self.to {
            // Fade from whichever read point dominates now.
            self.from = if self.fade >= 0.5 { self.to } else { self.from };
            self.to = samples;
            self.fade = 0.0;
        }
        self.spec = spec;
    }

    /// New settings in effect at once (no crossfade): for automation
    /// lanes, which step the time in small increments on their own grid.
    pub fn jump(&mut self, spec: EchoSpec) {
        self.set(spec);
        self.from = self.to;
        self.fade = 1.0;
    }

    /// The settings.
    pub fn spec(&self) -> EchoSpec {
        self.spec
    }

    /// The line's sample `delay` (fractional) samples before the write point.
    #[inline]
    fn read(line: &[f32], write: usize, delay: f32) -> f32 {
        let len = line.len();
        let whole = delay as usize;
        let frac = delay - whole as f32;
        let i0 = (write + len - whole) % len;
        let i1 = (i0 + len - 1) % len;
        line[i0] * (1.0 - frac) + line[i1] * frac
    }

    /// Replace the bus signal in `l`/`r` by its echoes.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        let fb = self.spec.feedback.clamp(FEEDBACK_RANGE.0, FEEDBACK_RANGE.1);
        let len = self.lines[0].len();
        for (xl, xr) in l.iter_mut().zip(r.iter_mut()) {
            let (yl, yr) = if self.fade >= 1.0 {
                (
                    Self::read(&self.lines[0], self.write, self.to),
                    Self::read(&self.lines[1], self.write, self.to),
                )
            } else {
                let a = self.fade;
                self.fade = (self.fade + self.fade_step).min(1.0);
                let mix = |line: &[f32]| {
                    Self::read(line, self.write, self.from) * (1.0 - a)
                        + Self::read(line, self.write, self.to) * a
                };
                (mix(&self.lines[0]), mix(&self.lines[1]))
            };
            // The repeats through the feedback filters.
            let mut f = [yl, yr];
            for (ch, v) in f.iter_mut().enumerate() {
                let [hp, lp] = &mut self.filters[ch];
                *v = lp.tick(hp.tick(*v)) * fb;
            }
            let (in_l, in_r) = if self.spec.ping_pong {
                // Mono in on the left; each channel feeds the other.
                (0.5 * (*xl + *xr) + f[1], f[0])
            } else {
                (*xl + f[0], *xr + f[1])
            };
            self.lines[0][self.write] = in_l;
            self.lines[1][self.write] = in_r;
            self.write = (self.write + 1) % len;
            *xl = yl;
            *xr = yr;
        }
        for s in self.filters.iter_mut().flatten() {
            s.flush_denormals();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    /// A 2 ms, 1 kHz Hann-windowed burst at the start: band-limited, so
    /// the wide-open feedback filters leave it alone.
    const BURST: usize = 96;

    fn burst(n: usize) -> Vec<f32> {
        let mut x = vec![0.0; n];
        for (i, v) in x[..BURST].iter_mut().enumerate() {
            let t = i as f32 / BURST as f32;
            let w = 0.5 - 0.5 * (t * std::f32::consts::TAU).cos();
            *v = w * (i as f32 * 1000.0 * std::f32::consts::TAU / 48_000.0).sin();
        }
        x
    }

    fn impulse_response(spec: EchoSpec, n: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
        let mut e = Echo::new(spec, RATE);
        let mut l = burst(n);
        let mut r = l.clone();
        for (cl, cr) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            e.process(cl, cr);
        }
        (l, r)
    }

    fn open_filters(spec: EchoSpec) -> EchoSpec {
        EchoSpec {
            hpf_hz: HPF_RANGE.0,
            lpf_hz: LPF_RANGE.1,
            ..spec
        }
    }

    /// Where the energy of repeat `k` (around k * d) sits and how much.
    fn repeat(x: &[f32], d: usize, k: usize) -> (usize, f32) {
        let w = &x[k * d - 40..k * d + 200];
        let (i, _) = w
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap();
        let energy: f32 = w.iter().map(|v| v * v).sum();
        (k * d - 40 + i, energy.sqrt())
    }

    #[test]
    fn repeats_come_at_the_time_and_fall_by_the_feedback() {
        let spec = open_filters(EchoSpec {
            time_ms: 250.0,
            feedback: 0.5,
            ..EchoSpec::default()
        });
        let (l, r) = impulse_response(spec, 48_000, 64);
        let d = 12_000;
        assert_eq!(
            l[..d].iter().filter(|v| **v != 0.0).count(),
            0,
            "nothing before the time"
        );
        let peak_in_burst = burst(BURST)
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap()
            .0;
        let (at1, e1) = repeat(&l, d, 1);
        let (at2, e2) = repeat(&l, d, 2);
        let (at3, e3) = repeat(&l, d, 3);
        let (at2, at3) = (at2 - peak_in_burst, at3 - peak_in_burst);
        assert_eq!(at1, d + peak_in_burst);
        // The feedback path's filters delay a repeat by a few samples at most.
        assert!((at2 as i64 - 2 * d as i64).abs() <= 3 && (at3 as i64 - 3 * d as i64).abs() <= 6);
        assert!((e2 / e1 - 0.5).abs() < 0.02, "second repeat {}", e2 / e1);
        assert!((e3 / e2 - 0.5).abs() < 0.02, "third repeat {}", e3 / e2);
        assert_eq!(l, r);
    }

    #[test]
    fn ping_pong_alternates_sides() {
        let spec = open_filters(EchoSpec {
            time_ms: 100.0,
            feedback: 0.6,
            ping_pong: true,
            ..EchoSpec::default()
        });
        let (l, r) = impulse_response(spec, 24_000, 64);
        let d = 4800;
        let side = |k: usize| (repeat(&l, d, k).1, repeat(&r, d, k).1);
        let (l1, r1) = side(1);
        let (l2, r2) = side(2);
        let (l3, r3) = side(3);
        assert!(l1 > 0.9 && r1 < 1e-6, "first left: {l1} {r1}");
        assert!(r2 > 0.5 && l2 < 1e-3, "second right: {l2} {r2}");
        assert!(l3 > 0.3 && r3 < 1e-3, "third left: {l3} {r3}");
    }

    #[test]
    fn the_feedback_filters_darken_every_repeat() {
        let spec = EchoSpec {
            time_ms: 50.0,
            feedback: 0.9,
            hpf_hz: 20.0,
            lpf_hz: 2000.0,
            ping_pong: false,
        };
        let mut e = Echo::new(spec, RATE);
        let (mut l, mut r) = (vec![0.0f32; 48_000], vec![0.0f32; 48_000]);
        l[0] = 1.0;
        r[0] = 1.0;
        e.process(&mut l, &mut r);
        // Brightness of a repeat: energy of its slope against its energy.
        let brightness = |k: usize| {
            let w = &l[k * 2400 - 20..k * 2400 + 400];
            let slope: f32 = w.windows(2).map(|p| (p[1] - p[0]).powi(2)).sum();
            slope / w.iter().map(|v| v * v).sum::<f32>()
        };
        let (b1, b2, b6) = (brightness(1), brightness(2), brightness(6));
        assert!(b1 > b2 && b2 > b6, "{b1} > {b2} > {b6}");
    }

    #[test]
    fn block_size_does_not_change_the_output() {
        let spec = EchoSpec::default();
        let a = impulse_response(spec, 30_000, 64);
        for block in [1, 13, 512] {
            assert_eq!(impulse_response(spec, 30_000, block), a, "block {block}");
        }
    }

    #[test]
    fn a_time_change_crossfades_without_a_jump() {
        let mut e = Echo::new(
            EchoSpec {
                time_ms: 100.0,
                feedback: 0.0,
                ..EchoSpec::default()
            },
            RATE,
        );
        // A steady 100 Hz sine through it; halve the time halfway.
        let sine: Vec<f32> = (0..48_000)
            .map(|i| (i as f32 * 100.0 * std::f32::consts::TAU / 48_000.0).sin() * 0.5)
            .collect();
        let (mut l, mut r) = (sine.clone(), sine.clone());
        let (a, b) = l.split_at_mut(24_000);
        let (ar, br) = r.split_at_mut(24_000);
        e.process(a, ar);
        e.set(EchoSpec {
            time_ms: 50.0,
            feedback: 0.0,
            ..EchoSpec::default()
        });
        e.process(b, br);
        // The largest step between samples stays that of a (slightly
        // pitched) sine: no discontinuity.
        let max_step = l[5000..]
            .windows(2)
            .map(|p| (p[1] - p[0]).abs())
            .fold(0.0f32, f32::max);
        let sine_step = 0.5 * 100.0 * std::f32::consts::TAU / 48_000.0;
        assert!(max_step < sine_step * 1.2, "{max_step} vs {sine_step}");
    }

    #[test]
    fn divisions_follow_the_tempo() {
        let q = Division::parse("1/4").unwrap();
        assert_eq!(q.ms(120.0), 500.0);
        assert_eq!(Division::parse("1/8d").unwrap().ms(120.0), 375.0);
        assert!((Division::parse("1/4t").unwrap().ms(120.0) - 333.333).abs() < 0.01);
        assert_eq!(Division::parse("3/16").unwrap().to_string(), "3/16");
        assert_eq!(Division::parse("1/8t").unwrap().to_string(), "1/8t");
        assert!(Division::parse("1/0").is_none() && Division::parse("x").is_none());
    }
}
