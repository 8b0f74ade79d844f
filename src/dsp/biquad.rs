//! Second-order IIR sections (biquads): coefficient design after the RBJ
//! audio-EQ cookbook, their analytic magnitude response, and a transposed
//! direct-form II state that flushes denormals.
//!
//! Pure and allocation-free: designed on any thread, run on the audio
//! thread.

use std::f64::consts::PI;

/// Normalised coefficients (a0 = 1): `y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefs {
    /// Feed-forward.
    pub b0: f64,
    /// Feed-forward.
    pub b1: f64,
    /// Feed-forward.
    pub b2: f64,
    /// Feedback.
    pub a1: f64,
    /// Feedback.
    pub a2: f64,
}

/// Butterworth Q of a 2nd-order section.
pub const BUTTERWORTH_Q: f64 = std::f64::consts::FRAC_1_SQRT_2;

impl Coefs {
    /// A section that passes everything unchanged.
    pub const IDENTITY: Coefs = Coefs {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    fn normalised(b: [f64; 3], a: [f64; 3]) -> Coefs {
        Coefs {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
        }
    }

    /// (cos w0, alpha) for frequency `f` (clamped below Nyquist) and `q`.
    fn w(f: f64, q: f64, rate: f64) -> (f64, f64) {
        let f = f.clamp(1.0, rate * 0.49);
        let w0 = 2.0 * PI * f / rate;
        (w0.cos(), w0.sin() / (2.0 * q.max(0.01)))
    }

    /// 2nd-order high-pass.
    pub fn highpass(f: f64, q: f64, rate: f64) -> Coefs {
        let (c, alpha) = Self::w(f, q, rate);
        Self::normalised(
            [(1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// 2nd-order low-pass.
    pub fn lowpass(f: f64, q: f64, rate: f64) -> Coefs {
        let (c, alpha) = Self::w(f, q, rate);
        Self::normalised(
            [(1.0 - c) / 2.0, 1.0 - c, (1.0 - c) / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// 1st-order high-pass (bilinear), as a biquad with b2 = a2 = 0.
    pub fn highpass1(f: f64, rate: f64) -> Coefs {
        let k = (PI * f.clamp(1.0, rate * 0.49) / rate).tan();
        let norm = 1.0 / (1.0 + k);
        Coefs {
            b0: norm,
            b1: -norm,
            b2: 0.0,
            a1: (k - 1.0) * norm,
            a2: 0.0,
        }
    }

    /// Peaking (bell) EQ: `gain_db` at `f`, bandwidth by `q`.
    pub fn peaking(f: f64, q: f64, gain_db: f64, rate: f64) -> Coefs {
        let a = 10f64.powf(gain_db / 40.0);
        let (c, alpha) = Self::w(f, q, rate);
        Self::normalised(
            [1.0 + alpha * a, -2.0 * c, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * c, 1.0 - alpha / a],
        )
    }

    /// Low shelf: `gain_db` below `f` (the half-gain point), slope by `q`
    /// (0.707 is the steepest without overshoot).
    pub fn low_shelf(f: f64, q: f64, gain_db: f64, rate: f64) -> Coefs {
        let a = 10f64.powf(gain_db / 40.0);
        let (c, alpha) = Self::w(f, q, rate);
        let sa = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            [
                a * ((a + 1.0) - (a - 1.0) * c + sa),
                2.0 * a * ((a - 1.0) - (a + 1.0) * c),
                a * ((a + 1.0) - (a - 1.0) * c - sa),
            ],
            [
                (a + 1.0) + (a - 1.0) * c + sa,
                -2.0 * ((a - 1.0) + (a + 1.0) * c),
                (a + 1.0) + (a - 1.0) * c - sa,
            ],
        )
    }

    /// High shelf: `gain_db` above `f`.
    pub fn high_shelf(f: f64, q: f64, gain_db: f64, rate: f64) -> Coefs {
        let a = 10f64.powf(gain_db / 40.0);
        let (c, alpha) = Self::w(f, q, rate);
        let sa = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            [
                a * ((a + 1.0) + (a - 1.0) * c + sa),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
                a * ((a + 1.0) + (a - 1.0) * c - sa),
            ],
            [
                (a + 1.0) - (a - 1.0) * c + sa,
                2.0 * ((a - 1.0) - (a + 1.0) * c),
                (a + 1.0) - (a - 1.0) * c - sa,
            ],
        )
    }

    /// Notch at `f`.
    pub fn notch(f: f64, q: f64, rate: f64) -> Coefs {
        let (c, alpha) = Self::w(f, q, rate);
        Self::normalised([1.0, -2.0 * c, 1.0], [1.0 + alpha, -2.0 * c, 1.0 - alpha])
    }

    /// The section's gain at `f` Hz, in dB (analytic: |H(e^jw)|).
    pub fn magnitude_db(&self, f: f64, rate: f64) -> f64 {
        let w = 2.0 * PI * f / rate;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let (nr, ni) = (
            self.b0 + self.b1 * c1 + self.b2 * c2,
            -(self.b1 * s1 + self.b2 * s2),
        );
        let (dr, di) = (
            1.0 + self.a1 * c1 + self.a2 * c2,
            -(self.a1 * s1 + self.a2 * s2),
        );
        10.0 * ((nr * nr + ni * ni) / (dr * dr + di * di)).log10()
    }
}

/// Smallest magnitude kept in a filter's state: below it, zero (denormals
/// are slow on x86 and appear as a filter's tail decays).
pub const DENORMAL_FLOOR: f32 = 1e-20;

/// One section's running state (transposed direct form II). The signal
/// enters and leaves as f32; coefficients, state and the arithmetic are
/// f64. In f32 a low filter's state rounding is amplified by its poles
/// near 1: a 40 Hz shelf or a 20 Hz high-pass left noise at about -70 dB
/// of the signal; in f64 it is below f32's own resolution.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Section {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    s1: f64,
    s2: f64,
}

impl Section {
    /// True when its memory is exactly empty (a section with any memory
    /// could ring, and with silence in, only an empty one stays empty).
    pub fn is_empty(&self) -> bool {
        self.s1.to_bits() == 0 && self.s2.to_bits() == 0
    }

    /// Its state (not its coefficients), word by word.
    pub fn state_words(&self, w: &mut super::state_words::StateWords) {
        w.double(self.s1);
        w.double(self.s2);
    }

    /// A section with `c`'s coefficients and an empty state.
    pub fn new(c: Coefs) -> Section {
        let mut s = Section::default();
        s.set(c);
        s
    }

    /// New coefficients; the state is kept (no click when they change a
    /// little, as smoothed parameters make them).
    pub fn set(&mut self, c: Coefs) {
        self.b0 = c.b0;
        self.b1 = c.b1;
        self.b2 = c.b2;
        self.a1 = c.a1;
        self.a2 = c.a2;
    }

    /// Take `other`'s state (its memory, not its coefficients).
    pub fn take_state_of(&mut self, other: &Section) {
        self.s1 = other.s1;
        self.s2 = other.s2;
    }

    /// Clear the state (silence in, silence out).
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    /// Filter one sample. Call [`Section::flush_denormals`] after a block
    /// of these.
    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        self.tick_f64(f64::from(x)) as f32
    }

    /// Filter one sample in f64 (a cascade keeps its signal in f64 from
    /// section to section).
    #[inline]
    pub fn tick_f64(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.s1;
        self.s1 = self.b1 * x - self.a1 * y + self.s2;
        self.s2 = self.b2 * x - self.a2 * y;
        y
    }

    /// Set a state that has decayed below [`DENORMAL_FLOOR`] to zero.
    pub fn flush_denormals(&mut self) {
        let floor = f64::from(DENORMAL_FLOOR);
        if self.s1.abs() < floor {
            self.s1 = 0.0;
        }
        if self.s2.abs() < floor {
            self.s2 = 0.0;
        }
    }

    /// Filter `buf` in place.
    #[inline]
    pub fn process(&mut self, buf: &mut [f32]) {
        let mut s = *self;
        for x in buf.iter_mut() {
            *x = s.tick_f64(f64::from(*x)) as f32;
        }
        s.flush_denormals();
        *self = s;
    }
}

/// Run `N` sections in series over `buf`, sample by sample: the sections'
/// recurrences are independent of each other, so the CPU overlaps them
/// (one pass per section would wait on each section's feedback in turn).
/// The signal stays in f64 from section to section: it is rounded to f32
/// once, at the end.
#[inline]
pub fn cascade<const N: usize>(secs: &mut [Section; N], buf: &mut [f32]) {
    let mut s = *secs;
    for x in buf.iter_mut() {
        let mut v = f64::from(*x);
        for sec in s.iter_mut() {
            v = sec.tick_f64(v);
        }
        *x = v as f32;
    }
    for sec in s.iter_mut() {
        sec.flush_denormals();
    }
    *secs = s;
}

/// [`cascade`] on two channels at once (twice the independent work per
/// sample for the CPU to overlap).
#[inline]
pub fn cascade_stereo<const N: usize>(
    left: &mut [Section; N],
    right: &mut [Section; N],
    l: &mut [f32],
    r: &mut [f32],
) {
    let (mut sl, mut sr) = (*left, *right);
    for (xl, xr) in l.iter_mut().zip(r.iter_mut()) {
        let (mut a, mut b) = (f64::from(*xl), f64::from(*xr));
        for k in 0..N {
            a = sl[k].tick_f64(a);
            b = sr[k].tick_f64(b);
        }
        *xl = a as f32;
        *xr = b as f32;
    }
    for sec in sl.iter_mut().chain(sr.iter_mut()) {
        sec.flush_denormals();
    }
    *left = sl;
    *right = sr;
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f64 = 48_000.0;

    /// The gain a section applies to a steady sine at `f`, measured.
    fn measured_db(c: Coefs, f: f64) -> f64 {
        let mut s = Section::new(c);
        let n = 48_000;
        let mut buf: Vec<f32> = (0..n)
            .map(|i| (2.0 * PI * f * i as f64 / RATE).sin() as f32)
            .collect();
        s.process(&mut buf);
        // RMS over the last half (after the transient), against 1/sqrt(2).
        let tail = &buf[n / 2..];
        let rms =
            (tail.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
        20.0 * (rms * std::f64::consts::SQRT_2).log10()
    }

    #[test]
    fn a_cascade_is_the_sections_one_after_another() {
        let designs = [
            Coefs::highpass(90.0, BUTTERWORTH_Q, RATE),
            Coefs::peaking(700.0, 2.0, -4.0, RATE),
            Coefs::high_shelf(8000.0, 0.7, 3.0, RATE),
        ];
        let x: Vec<f32> = (0..500)
            .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
            .collect();
        // Section after section, sample by sample, the signal kept in f64
        // between them and rounded to f32 once at the end.
        let mut one_by_one = [x.clone(), x.clone()];
        for buf in &mut one_by_one {
            let mut secs = designs.map(Section::new);
            for v in buf.iter_mut() {
                *v = secs.iter_mut().fold(f64::from(*v), |y, s| s.tick_f64(y)) as f32;
            }
        }
        let mut secs = designs.map(Section::new);
        let mut mono = x.clone();
        cascade(&mut secs, &mut mono);
        assert_eq!(mono, one_by_one[0]);
        let (mut l, mut r) = (designs.map(Section::new), designs.map(Section::new));
        let (mut a, mut b) = (x.clone(), x);
        cascade_stereo(&mut l, &mut r, &mut a, &mut b);
        assert_eq!((a, b), (one_by_one[0].clone(), one_by_one[1].clone()));
    }

    #[test]
    fn measured_responses_match_the_analytic_ones_within_a_tenth_of_a_db() {
        let designs = [
            ("hp 100", Coefs::highpass(100.0, BUTTERWORTH_Q, RATE)),
            ("hp1 80", Coefs::highpass1(80.0, RATE)),
            ("lp 5k", Coefs::lowpass(5_000.0, BUTTERWORTH_Q, RATE)),
            ("peak +9 1k", Coefs::peaking(1_000.0, 1.4, 9.0, RATE)),
            ("peak -12 3k", Coefs::peaking(3_000.0, 4.0, -12.0, RATE)),
            (
                "low shelf +6",
                Coefs::low_shelf(120.0, BUTTERWORTH_Q, 6.0, RATE),
            ),
            (
                "high shelf -4",
                Coefs::high_shelf(8_000.0, BUTTERWORTH_Q, -4.0, RATE),
            ),
            ("notch 50", Coefs::notch(50.0, 10.0, RATE)),
        ];
        for (name, c) in designs {
            for f in [
                31.0, 50.0, 100.0, 440.0, 1_000.0, 3_000.0, 8_000.0, 15_000.0,
            ] {
                let want = c.magnitude_db(f, RATE);
                if want < -60.0 {
                    continue; // below the measurement's floor
                }
                let got = measured_db(c, f);
                assert!(
                    (got - want).abs() < 0.1,
                    "{name} at {f} Hz: measured {got:.3} dB, analytic {want:.3} dB"
                );
            }
        }
    }

    #[test]
    fn designs_hit_their_defining_points() {
        let near = |a: f64, b: f64| (a - b).abs() < 0.01;
        assert!(near(
            Coefs::highpass(100.0, BUTTERWORTH_Q, RATE).magnitude_db(100.0, RATE),
            -3.0103
        ));
        assert!(near(
            Coefs::peaking(1_000.0, 2.0, 9.0, RATE).magnitude_db(1_000.0, RATE),
            9.0
        ));
        assert!(near(
            Coefs::low_shelf(100.0, BUTTERWORTH_Q, 6.0, RATE).magnitude_db(10.0, RATE),
            6.0
        ));
        assert!(near(
            Coefs::low_shelf(100.0, BUTTERWORTH_Q, 6.0, RATE).magnitude_db(100.0, RATE),
            3.0
        ));
        assert!(near(
            Coefs::high_shelf(5_000.0, BUTTERWORTH_Q, -6.0, RATE).magnitude_db(20_000.0, RATE),
            -6.0
        ));
        assert!(Coefs::notch(50.0, 10.0, RATE).magnitude_db(50.0, RATE) < -100.0);
        assert!(near(Coefs::IDENTITY.magnitude_db(1234.0, RATE), 0.0));
    }

    #[test]
    fn a_decaying_tail_goes_to_true_zero() {
        let mut s = Section::new(Coefs::lowpass(100.0, BUTTERWORTH_Q, RATE));
        let mut buf = vec![0.0f32; 4800];
        buf[0] = 1.0;
        for _ in 0..200 {
            s.process(&mut buf);
            buf.fill(0.0);
        }
        assert_eq!(s, {
            let mut z = Section::new(Coefs::lowpass(100.0, BUTTERWORTH_Q, RATE));
            z.reset();
            z
        });
    }
}
