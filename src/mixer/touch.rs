//! Who holds which control: the one touch model for every surface and for
//! automation. A surface with touch sense holds a control explicitly
//! until it lets go; a move from one without holds it until the touch
//! timeout after its last move. A control is known by its lane's address
//! (a fader and its gain in dB are one control).
//!
//! Thread: the hub's. Lookups are by address, so a session where many
//! hands (or many clients) hold controls costs no more per question.

use super::keys::KeyMap;
use super::{Address, Hub, IntentError, Origin, StripRef};
use std::time::{Duration, Instant};

/// One client's hold on a control.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Hold {
    origin: Origin,
    /// `None`: an explicit touch, held until released. `Some(t)`: inferred
    /// from moves, held until `t`.
    until: Option<Instant>,
}

impl Hold {
    fn holds_at(&self, now: Instant) -> bool {
        self.until.is_none_or(|u| u > now)
    }
}

/// Every hold on every control, and how long a move holds one.
#[derive(Debug)]
pub(crate) struct Touches {
    by_lane: KeyMap<Address, Vec<Hold>>,
    /// How long a move from a surface without touch sense holds its
    /// control.
    pub(crate) timeout: Duration,
}

impl Default for Touches {
    fn default() -> Touches {
        Touches {
            by_lane: KeyMap::default(),
            timeout: super::DEFAULT_TOUCH_TIMEOUT,
        }
    }
}

impl Touches {
    /// `origin` moved control `lane`: unless it holds it explicitly, it
    /// holds it until `until`.
    pub(crate) fn moved(&mut self, lane: Address, origin: Origin, until: Instant) {
        let holds = self.by_lane.entry(lane).or_default();
        match holds.iter_mut().find(|h| h.origin == origin) {
            Some(h) if h.until.is_none() => {}
            Some(h) => h.until = Some(until),
            None => holds.push(Hold {
                origin,
                until: Some(until),
            }),
        }
    }

    /// `origin` touched (`on`) or let go of control `lane`; letting go
    /// also ends a hold inferred from moves.
    pub(crate) fn touch(&mut self, lane: Address, origin: Origin, on: bool) {
        let holds = self.by_lane.entry(lane).or_default();
        holds.retain(|h| h.origin != origin);
        if on {
            holds.push(Hold {
                origin,
                until: None,
            });
        }
        if holds.is_empty() {
            self.by_lane.remove(&lane);
        }
    }

    /// Whether anyone holds control `lane` at `now`.
    pub(crate) fn is_held(&self, lane: Address, now: Instant) -> bool {
        self.by_lane
            .get(&lane)
            .is_some_and(|holds| holds.iter().any(|h| h.holds_at(now)))
    }

    /// Whether `origin` holds control `lane` at `now`.
    pub(crate) fn is_held_by(&self, lane: Address, origin: Origin, now: Instant) -> bool {
        self.by_lane
            .get(&lane)
            .is_some_and(|holds| holds.iter().any(|h| h.origin == origin && h.holds_at(now)))
    }

    /// End the holds inferred from moves whose time is up at `now`; true
    /// when one ended.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let mut ended = false;
        self.by_lane.retain(|_, holds| {
            let before = holds.len();
            holds.retain(|h| h.holds_at(now));
            ended |= holds.len() != before;
            !holds.is_empty()
        });
        ended
    }

    /// The strips moved (a track was removed): each hold follows its
    /// control to where `to` puts its strip, or goes with it.
    pub(crate) fn restrip(&mut self, to: impl Fn(StripRef) -> Option<StripRef>) {
        self.by_lane = std::mem::take(&mut self.by_lane)
            .into_iter()
            .filter_map(|(a, holds)| Some((Address::new(to(a.strip)?, a.param), holds)))
            .collect();
    }

    /// Nobody holds anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_lane.is_empty()
    }
}

impl Hub {
    /// A move from a client that holds no explicit touch on `lane` counts
    /// as a touch until the timeout after its last move.
    pub(super) fn touched_by_move(&mut self, lane: Address, origin: Origin) {
        if origin == Origin::Daemon {
            return;
        }
        self.touches
            .moved(lane, origin, self.now() + self.touches.timeout);
    }

    /// An explicit touch (`on`) or release of a continuous control by a
    /// surface with touch sense. Releasing also ends a touch inferred from
    /// moves.
    pub fn touch(&mut self, origin: Origin, address: Address, on: bool) -> Result<(), IntentError> {
        if !address.param.spec().ridden {
            return Err(IntentError::NotTouchable(address));
        }
        self.get(address)?;
        self.touches.touch(address.lane(), origin, on);
        self.unsettle_play();
        self.automation_touch(address, on);
        Ok(())
    }

    /// True while anyone touches the lane `address` belongs to.
    pub fn is_touched(&self, address: Address) -> bool {
        self.touches.is_held(address.lane(), self.now())
    }

    /// True while `origin` touches the lane `address` belongs to.
    pub fn is_touched_by(&self, address: Address, origin: Origin) -> bool {
        self.touches.is_held_by(address.lane(), origin, self.now())
    }

    /// Set how long a move without touch sense holds its touch.
    pub fn set_touch_timeout(&mut self, timeout: Duration) {
        self.touches.timeout = timeout;
    }

    /// Read the time from `clock` from now on (a test's manual clock).
    pub fn set_clock(&mut self, clock: super::HubClock) {
        self.clock = clock;
    }

    /// The time now, by the hub's clock.
    pub(super) fn now(&self) -> Instant {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::ClientId;
    use std::time::Duration;

    #[test]
    fn explicit_touches_hold_until_released_and_moves_until_their_timeout() {
        let fader = Address::parse("strip/1/fader").unwrap().lane();
        let pan = Address::parse("strip/1/pan").unwrap().lane();
        let (a, b) = (Origin::Client(ClientId(1)), Origin::Client(ClientId(2)));
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(1);
        let mut touches = Touches::default();
        touches.moved(fader, a, t0 + Duration::from_millis(500));
        assert!(touches.is_held(fader, t0));
        assert!(
            !touches.is_held(fader, later),
            "a move holds until its timeout"
        );
        assert!(!touches.is_held(pan, t0));
        touches.touch(fader, b, true);
        touches.moved(fader, b, t0);
        assert!(
            touches.is_held_by(fader, b, later),
            "an explicit touch outlasts moves"
        );
        assert!(!touches.is_held_by(fader, a, later));
        touches.expire(later);
        assert!(touches.is_held(fader, later));
        touches.touch(fader, b, false);
        assert!(!touches.is_held(fader, t0));
        assert!(
            touches.is_empty(),
            "releasing and expiry leave nothing behind"
        );
    }
}
