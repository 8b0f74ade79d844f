//! A processor's state as plain words, to tell whether processing a block
//! left it exactly as it was. A strip whose state is such a fixed point
//! for silence, and hears silence again, would compute the same silence
//! and the same state: the engine may skip it (see `engine::strip`).
//!
//! Fixed capacity, no allocation: a state too large to hold is "never the
//! same", which only means the strip is never skipped.

/// Words of state held at most.
pub const STATE_WORDS: usize = 256;

/// A processor's state, word by word (floats by their bits).
#[derive(Clone, Copy)]
pub struct StateWords {
    words: [u32; STATE_WORDS],
    len: usize,
    overflow: bool,
}

impl Default for StateWords {
    fn default() -> StateWords {
        StateWords {
            words: [0; STATE_WORDS],
            len: 0,
            overflow: false,
        }
    }
}

impl std::fmt::Debug for StateWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateWords")
            .field("len", &self.len)
            .field("overflow", &self.overflow)
            .finish()
    }
}

impl StateWords {
    /// Start again, empty.
    pub fn clear(&mut self) {
        self.len = 0;
        self.overflow = false;
    }

    /// Add a word.
    #[inline]
    pub fn word(&mut self, w: u32) {
        match self.words.get_mut(self.len) {
            Some(slot) => {
                *slot = w;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    /// Add a float, by its bits (so `-0.0` and `0.0` differ, as NaNs do).
    #[inline]
    pub fn float(&mut self, x: f32) {
        self.word(x.to_bits());
    }

    /// Add a double, by its bits, as two words.
    #[inline]
    pub fn double(&mut self, x: f64) {
        let bits = x.to_bits();
        self.word(bits as u32);
        self.word((bits >> 32) as u32);
    }
}

impl PartialEq for StateWords {
    /// Equal only when both were held whole and hold the same words.
    fn eq(&self, other: &StateWords) -> bool {
        !self.overflow && !other.overflow && self.words[..self.len] == other.words[..other.len]
    }
}

/// True when every sample of `buf` is `+0.0` exactly.
#[inline]
pub fn all_positive_zero(buf: &[f32]) -> bool {
    // One OR over the bits (no early exit): a few vector instructions.
    buf.iter().fold(0u32, |acc, x| acc | x.to_bits()) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_compare_whole_and_by_bits() {
        let (mut a, mut b) = (StateWords::default(), StateWords::default());
        a.float(0.0);
        b.float(-0.0);
        assert!(a != b);
        b.clear();
        b.float(0.0);
        assert!(a == b);
        for _ in 0..STATE_WORDS {
            a.word(1);
            b.word(1);
        }
        assert!(a != b, "an overflowing state is never the same");
        assert!(all_positive_zero(&[0.0; 8]) && !all_positive_zero(&[0.0, -0.0]));
    }
}
