//! A fixed delay line: latency compensation for hardware inserts.
//!
//! The buffer is allocated once at construction (off the audio thread);
//! [`DelayLine::process`] is real-time safe and its output does not depend
//! on how the signal is split into blocks.

/// Delays a signal by a fixed number of samples.
#[derive(Debug, Clone)]
pub struct DelayLine {
    buf: Box<[f32]>,
    write: usize,
    delay: usize,
}

impl DelayLine {
    /// A line delaying by `delay` samples, starting silent. Allocates.
    pub fn new(delay: usize) -> DelayLine {
        DelayLine {
            buf: vec![0.0; delay.max(1)].into_boxed_slice(),
            write: 0,
            delay,
        }
    }

    /// The delay in samples.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// Replace `block` by itself delayed: each output sample is the input
    /// from `delay` samples earlier.
    pub fn process(&mut self, block: &mut [f32]) {
        if self.delay == 0 {
            return;
        }
        let len = self.buf.len();
        for x in block.iter_mut() {
            // The slot about to be overwritten holds the sample from exactly
            // `delay` (= buffer length) samples ago.
            std::mem::swap(&mut self.buf[self.write], x);
            self.write += 1;
            if self.write == len {
                self.write = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_impulse_comes_out_exactly_delay_samples_later() {
        for delay in [0usize, 1, 7, 64, 100] {
            let mut d = DelayLine::new(delay);
            let mut x = vec![0.0f32; 300];
            x[3] = 1.0;
            d.process(&mut x);
            let at: Vec<usize> = (0..x.len()).filter(|&i| x[i] != 0.0).collect();
            assert_eq!(at, vec![3 + delay], "delay {delay}");
        }
    }

    proptest! {
        #[test]
        fn output_does_not_depend_on_block_splits(
            delay in 0usize..200,
            cuts in proptest::collection::vec(1usize..97, 1..20),
        ) {
            let signal: Vec<f32> = (0..1000).map(|i| ((i * 37) % 101) as f32 - 50.0).collect();
            let mut whole = signal.clone();
            DelayLine::new(delay).process(&mut whole);
            let mut split = signal.clone();
            let mut d = DelayLine::new(delay);
            let mut at = 0;
            for c in cuts.iter().cycle() {
                if at >= split.len() { break; }
                let end = (at + c).min(split.len());
                d.process(&mut split[at..end]);
                at = end;
            }
            prop_assert_eq!(whole, split);
        }
    }
}
