//! What each OSC subscriber shows at each address, as far as the surface
//! knows: what it was sent, or what it sent itself. A change goes to a
//! subscriber only when it shows something else, so a client's own move
//! is not echoed back and a value that comes back within a tick is not
//! sent at all.
//!
//! Kept address by address, every subscriber's value in one row: a tick
//! looks each changed control up once, whatever the number of
//! subscribers (a table per subscriber cost a cache miss per subscriber
//! per change). The rows sit in one vector and the hub's changes are
//! noted by row, so the only lookup by address is when a change is noted;
//! the tick reads the rows it names directly.
//!
//! Thread: the hub's.

use super::codec::ControlAddresses;
use crate::mixer::keys::KeyMap;
use crate::mixer::{Address, Origin, Value};

/// One subscription, for as long as it lasts (a client subscribed twice,
/// to two ports, is two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot(pub(super) u32);

/// A row of [`Shown`]: stable for as long as the table lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowId(u32);

/// The values subscribers show at one address, and its feedback
/// addresses written out (made the first time they are sent).
#[derive(Debug)]
pub(super) struct Row {
    address: Address,
    shown: Vec<(Slot, Value)>,
    at: Option<ControlAddresses>,
    /// Where this row stands in the change list, while it is on it.
    noted: Option<u32>,
}

impl Row {
    /// The address this row is for.
    pub(super) fn address(&self) -> Address {
        self.address
    }

    /// The row's feedback addresses, encoded.
    pub(super) fn addresses(&mut self) -> &ControlAddresses {
        let address = self.address;
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

/// The controls changed since the last tick, each once, in the order of
/// their first change, with who changed each last.
pub(super) type Changes = Vec<(RowId, Origin)>;

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct Shown {
    index: KeyMap<Address, RowId>,
    rows: Vec<Row>,
    changed: Changes,
}

impl Shown {
    /// The row of `address`, made on first use.
    pub(super) fn id(&mut self, address: Address) -> RowId {
        let rows = &mut self.rows;
        *self.index.entry(address).or_insert_with(|| {
            let id = RowId(u32::try_from(rows.len()).expect("fewer than 2^32 controls"));
            rows.push(Row {
                address,
                shown: Vec::new(),
                at: None,
                noted: None,
            });
            id
        })
    }

    /// The row `id`.
    pub(super) fn at(&mut self, id: RowId) -> &mut Row {
        &mut self.rows[id.0 as usize]
    }

    /// The row of `address`, made on first use.
    pub(super) fn row(&mut self, address: Address) -> &mut Row {
        let id = self.id(address);
        self.at(id)
    }

    /// `slot` shows `value` at `address` (its own move, a dump).
    pub(super) fn set(&mut self, address: Address, slot: Slot, value: Value) {
        self.row(address).set(slot, value);
    }

    /// Forget everything `slot` shows (it is dumped again, or gone).
    pub(super) fn forget(&mut self, slot: Slot) {
        for row in &mut self.rows {
            row.shown.retain(|(s, _)| *s != slot);
        }
    }

    /// `address` changed, by `origin`: on the change list once, with who
    /// changed it last.
    pub(super) fn note(&mut self, address: Address, origin: Origin) {
        let id = self.id(address);
        let row = &mut self.rows[id.0 as usize];
        // (A mark left by a tick that panicked points at nothing: ignored.)
        match row.noted.and_then(|i| listed(&mut self.changed, i, id)) {
            Some(by) => *by = origin,
            None => {
                row.noted = Some(u32::try_from(self.changed.len()).expect("bounded by rows"));
                self.changed.push((id, origin));
            }
        }
    }

    /// Who last changed `row` since the last tick, if anyone did.
    pub(super) fn changed_by(&self, id: RowId, changes: &Changes) -> Option<Origin> {
        let i = self.rows[id.0 as usize].noted?;
        changes
            .get(i as usize)
            .filter(|(listed, _)| *listed == id)
            .map(|&(_, by)| by)
    }

    /// The change list, taken for a tick; give it back with
    /// [`Self::done_with`] (a panic between the two leaves the list empty
    /// and every row off it, never out of step).
    pub(super) fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changed)
    }

    /// The tick is over: every row is off the change list, which is put
    /// back empty, keeping its capacity.
    pub(super) fn done_with(&mut self, mut changes: Changes) {
        for (id, _) in changes.drain(..) {
            self.rows[id.0 as usize].noted = None;
        }
        self.changed = changes;
    }
}

/// The origin of `id`'s entry at `i` of `changes`, if it is there.
fn listed(changes: &mut Changes, i: u32, id: RowId) -> Option<&mut Origin> {
    changes
        .get_mut(i as usize)
        .filter(|(listed, _)| *listed == id)
        .map(|(_, by)| by)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::{ClientId, Param, StripRef};

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

    #[test]
    fn a_control_changed_twice_is_listed_once_with_its_last_origin() {
        let fader = Address::new(StripRef::Track(0), Param::Fader);
        let pan = Address::new(StripRef::Track(1), Param::Pan);
        let client = Origin::Client(ClientId(7));
        let mut shown = Shown::default();
        shown.note(fader, Origin::Daemon);
        shown.note(pan, Origin::Daemon);
        shown.note(fader, client);
        let changes = shown.take_changes();
        let listed: Vec<_> = changes
            .iter()
            .map(|&(id, by)| (shown.at(id).address(), by))
            .collect();
        assert_eq!(listed, vec![(fader, client), (pan, Origin::Daemon)]);
        let id = shown.id(fader);
        assert_eq!(shown.changed_by(id, &changes), Some(client));
        shown.done_with(changes);
        let changes = shown.take_changes();
        assert!(changes.is_empty());
        assert_eq!(shown.changed_by(id, &changes), None);
        // Off the list, it is listed again on its next change.
        shown.done_with(changes);
        shown.note(fader, Origin::Daemon);
        assert_eq!(shown.take_changes().len(), 1);
    }
}
