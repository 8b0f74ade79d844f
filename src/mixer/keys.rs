//! Maps and sets keyed by the hub's own small keys (addresses, strips,
//! lanes), hashed with a multiply-rotate per word instead of SipHash.
//!
//! A surface looks its controls up many times a tick (what each client
//! was last shown, what it holds); SipHash over an address's few enum
//! words costs more than the rest of the lookup. This hasher is not
//! resistant to chosen collisions, so it is only for keys the hub has
//! already validated (an address parsed against the session, a strip that
//! exists): a bounded set, never raw outside input such as peer addresses
//! or names.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by hub keys; see the module docs.
pub type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// A set of hub keys; see the module docs.
pub type KeySet<K> = HashSet<K, BuildHasherDefault<KeyHasher>>;

/// See the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

/// An odd constant with well-spread bits (the one rustc's own maps use).
const SEED: u64 = 0xf135_7aea_2e62_a9c5;

impl KeyHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }

    /// The product's high bits are its best mixed; the table indexes by
    /// the low ones, so they are rotated down.
    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::{Address, Param, SendParam, StripRef};

    /// Every address of a large console lands in its own bucket of a
    /// table its size often enough that lookups stay short.
    #[test]
    fn addresses_spread_over_a_table() {
        let mut hashes = Vec::new();
        for i in 0..256 {
            for param in [
                Param::Fader,
                Param::Gain,
                Param::Pan,
                Param::Mute,
                Param::Solo,
                Param::Send(0, SendParam::Fader),
                Param::Send(3, SendParam::Fader),
            ] {
                let a = Address::new(StripRef::Track(i), param);
                let build = BuildHasherDefault::<KeyHasher>::default();
                hashes.push(std::hash::BuildHasher::hash_one(&build, a));
            }
        }
        let buckets = hashes.len().next_power_of_two();
        let mut used = vec![false; buckets];
        for h in &hashes {
            used[(*h as usize) & (buckets - 1)] = true;
        }
        let filled = used.iter().filter(|u| **u).count();
        // A uniform hash fills about 1 - 1/e of them at this load.
        assert!(
            filled * 100 >= hashes.len() * 55,
            "{filled} buckets for {} keys",
            hashes.len()
        );
        let mut tags: Vec<u8> = hashes.iter().map(|h| (h >> 57) as u8).collect();
        tags.sort_unstable();
        tags.dedup();
        assert!(tags.len() > 100, "{} distinct tags", tags.len());
    }
}
