//! What each OSC subscriber shows at each address, as far as the surface
//! knows: what it was sent, or what it sent itself. A change goes to a
//! subscriber only when it shows something else, so a client's own move
//! is not echoed back and a value that comes back within a tick is not
//! sent at all.
//!
//! Kept address by address, every subscriber's value in one row: a tick
//! looks each changed control up once, whatever the number of
//! subscribers (a table per subscriber cost a cache miss per subscriber
//! per change).
//!
//! Thread: the hub's.

use super::codec::ControlAddresses;
use crate::mixer::keys::KeyMap;
use crate::mixer::{Address, Value};

/// One subscription, for as long as it lasts (a client subscribed twice,
/// to two ports, is two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot(pub(super) u32);

/// The values subscribers show at one address, and its feedback
/// addresses written out (made the first time they are sent).
#[derive(Debug, Default)]
pub(super) struct Row {
    shown: Vec<(Slot, Value)>,
    at: Option<ControlAddresses>,
}

impl Row {
    /// `address`'s feedback addresses, encoded (this row's address).
    pub(super) fn addresses(&mut self, address: Address) -> &ControlAddresses {
        self.at.get_or_insert_with(|| ControlAddresses::of(address))
    }

    /// `slot` shows `value` from now on (its own move, a dump).
    pub(super) fn set(&mut self, slot: Slot, value: Value) {
        self.update(slot, &value);
    }

    /// `slot` shows `value` from now on. True when it showed something
    /// else (or nothing): it must be sent `value`.
    pub(super) fn update(&mut self, slot: Slot, value: &Value) -> bool {
        match self.shown.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, shown)) if shown == value => false,
            Some((_, shown)) => {
                shown.clone_from(value);
                true
            }
            None => {
                self.shown.push((slot, value.clone()));
                true
            }
        }
    }
}

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct Shown {
    rows: KeyMap<Address, Row>,
}

impl Shown {
    /// The row of `address`, made on first use.
    pub(super) fn row(&mut self, address: Address) -> &mut Row {
        self.rows.entry(address).or_default()
    }

    /// `slot` shows `value` at `address` (its own move, a dump).
    pub(super) fn set(&mut self, address: Address, slot: Slot, value: Value) {
        self.row(address).set(slot, value);
    }

    /// Forget everything `slot` shows (it is dumped again, or gone).
    pub(super) fn forget(&mut self, slot: Slot) {
        for row in self.rows.values_mut() {
            row.shown.retain(|(s, _)| *s != slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::{Param, StripRef};

    #[test]
    fn a_value_is_due_once_per_subscriber_until_it_changes() {
        let fader = Address::new(StripRef::Track(0), Param::Fader);
        let (a, b) = (Slot(1), Slot(2));
        let mut shown = Shown::default();
        shown.set(fader, a, Value::Float(0.5));
        let half = Value::Float(0.5);
        // a sent 0.5 itself; b has not been shown it.
        assert!(!shown.row(fader).update(a, &half));
        assert!(shown.row(fader).update(b, &half));
        assert!(!shown.row(fader).update(b, &half));
        let more = Value::Float(0.75);
        assert!(shown.row(fader).update(a, &more));
        shown.forget(b);
        assert!(shown.row(fader).update(b, &more));
        assert!(!shown.row(fader).update(a, &more));
    }
}
