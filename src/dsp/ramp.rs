//! Parameter smoothing: a linear ramp of fixed duration, advanced per sample.
//!
//! Every parameter change in the engine goes through a [`Ramp`], so nothing
//! zippers and a fader move from `-inf` to 0 dB lands within exactly one
//! ramp time (the default is 10 ms). The ramp advances by the sample, never by
//! the block, so output does not depend on how a period is split into blocks.

/// The gain (or other coefficient) for a span of samples: either one value for
/// all of them, or one value per sample.
#[derive(Debug, Clone, Copy)]
pub enum Span<'a> {
    /// The same value for every sample of the span.
    Const(f32),
    /// One value per sample.
    PerSample(&'a [f32]),
}

/// A linear ramp towards a target over a fixed number of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
    len_frames: u32,
}

impl Ramp {
    /// A ramp resting at `value` that takes `len_frames` samples (at least 1)
    /// to reach each new target.
    pub fn new(value: f32, len_frames: u32) -> Ramp {
        Ramp {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
            len_frames: len_frames.max(1),
        }
    }

    /// Start moving towards `target`; it is reached after the ramp length.
    /// Setting the current target again changes nothing.
    pub fn set_target(&mut self, target: f32) {
        if target == self.target {
            return;
        }
        self.target = target;
        self.remaining = self.len_frames;
        self.step = (target - self.current) / self.len_frames as f32;
    }

    /// Rest at `value` at once (no ramp): for handing a value over from
    /// another source that was already producing it.
    pub fn jump(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.remaining = 0;
        self.step = 0.0;
    }

    /// The value being approached.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The value of the last sample produced.
    pub fn current(&self) -> f32 {
        self.current
    }

    /// True when the ramp rests at its target.
    pub fn is_steady(&self) -> bool {
        self.remaining == 0
    }

    /// Its state, word by word.
    pub fn state_words(&self, w: &mut super::state_words::StateWords) {
        w.float(self.current);
        w.float(self.target);
        w.float(self.step);
        w.word(self.remaining);
    }

    /// The value for the next sample.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    /// Advance by `scratch.len()` samples. When the ramp rests for the whole
    /// span the result is [`Span::Const`] and `scratch` is untouched; otherwise
    /// `scratch` receives the per-sample values.
    #[inline]
    pub fn render<'a>(&mut self, scratch: &'a mut [f32]) -> Span<'a> {
        if self.remaining == 0 {
            return Span::Const(self.current);
        }
        for v in scratch.iter_mut() {
            *v = self.next_value();
        }
        Span::PerSample(scratch)
    }
}

/// `a * b` per sample, into `scratch` when either varies.
#[inline]
pub fn product<'a>(a: Span<'_>, b: Span<'_>, scratch: &'a mut [f32]) -> Span<'a> {
    match (a, b) {
        (Span::Const(x), Span::Const(y)) => Span::Const(x * y),
        (Span::Const(x), Span::PerSample(ys)) => {
            for (o, y) in scratch.iter_mut().zip(ys) {
                *o = x * y;
            }
            Span::PerSample(scratch)
        }
        (Span::PerSample(xs), Span::Const(y)) => {
            for (o, x) in scratch.iter_mut().zip(xs) {
                *o = x * y;
            }
            Span::PerSample(scratch)
        }
        (Span::PerSample(xs), Span::PerSample(ys)) => {
            for ((o, x), y) in scratch.iter_mut().zip(xs).zip(ys) {
                *o = x * y;
            }
            Span::PerSample(scratch)
        }
    }
}

/// `buf[i] *= g[i]`.
#[inline]
pub fn scale_in_place(buf: &mut [f32], g: Span<'_>) {
    match g {
        Span::Const(1.0) => {}
        Span::Const(c) => buf.iter_mut().for_each(|x| *x *= c),
        Span::PerSample(gs) => buf.iter_mut().zip(gs).for_each(|(x, g)| *x *= g),
    }
}

/// `dst[i] = src[i] * g[i]`.
#[inline]
pub fn scale_into(dst: &mut [f32], src: &[f32], g: Span<'_>) {
    match g {
        Span::Const(c) => dst.iter_mut().zip(src).for_each(|(d, s)| *d = s * c),
        Span::PerSample(gs) => {
            for ((d, s), g) in dst.iter_mut().zip(src).zip(gs) {
                *d = s * g;
            }
        }
    }
}

/// `acc[i] += src[i] * g[i]`. A span that is constant zero adds nothing.
#[inline]
pub fn add_scaled(acc: &mut [f32], src: &[f32], g: Span<'_>) {
    match g {
        Span::Const(0.0) => {}
        Span::Const(c) => acc.iter_mut().zip(src).for_each(|(a, s)| *a += s * c),
        Span::PerSample(gs) => {
            for ((a, s), g) in acc.iter_mut().zip(src).zip(gs) {
                *a += s * g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_target_in_exactly_the_ramp_length() {
        let mut r = Ramp::new(0.0, 480);
        r.set_target(1.0);
        let values: Vec<f32> = (0..480).map(|_| r.next_value()).collect();
        assert_eq!(values[479], 1.0);
        assert!(values[478] < 1.0);
        assert!(r.is_steady());
        let max_step = values
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(0.0f32, f32::max);
        assert!(max_step <= 1.0 / 480.0 + 1e-6);
    }

    #[test]
    fn render_matches_sample_by_sample_whatever_the_split() {
        let mut whole = Ramp::new(0.2, 100);
        whole.set_target(0.9);
        let mut a = [0.0f32; 300];
        let whole_vals: Vec<f32> = match whole.render(&mut a) {
            Span::PerSample(v) => v.to_vec(),
            Span::Const(_) => unreachable!(),
        };
        let mut split = Ramp::new(0.2, 100);
        split.set_target(0.9);
        let mut got = Vec::new();
        for n in [7usize, 64, 1, 128, 100] {
            let mut s = vec![0.0f32; n];
            match split.render(&mut s) {
                Span::Const(c) => got.extend(std::iter::repeat_n(c, n)),
                Span::PerSample(v) => got.extend_from_slice(v),
            }
        }
        assert_eq!(got, whole_vals);
    }

    #[test]
    fn products_are_the_same_constant_or_per_sample() {
        let mut s = [0.0f32; 3];
        let per = product(Span::PerSample(&[0.3, 0.3, 0.3]), Span::Const(0.7), &mut s);
        let Span::PerSample(v) = per else {
            unreachable!()
        };
        let Span::Const(c) = product(Span::Const(0.3), Span::Const(0.7), &mut [0.0; 3]) else {
            unreachable!()
        };
        assert!(v.iter().all(|x| *x == c));
    }
}
