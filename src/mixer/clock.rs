//! Where the hub reads the time: a move's touch timeout, MIDI learn's
//! window, a latency measurement's deadline. The daemon's hub reads the
//! system's monotonic clock; a test gives it a clock it moves by hand, so
//! timeouts are tested without sleeping.
//!
//! Thread: the hub's (a manual clock may be moved from any thread).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The hub's clock.
#[derive(Debug, Clone, Default)]
pub enum HubClock {
    /// The system's monotonic clock.
    #[default]
    Wall,
    /// A clock that stands still until moved.
    Manual(ManualClock),
}

impl HubClock {
    /// The time now.
    pub fn now(&self) -> Instant {
        match self {
            HubClock::Wall => Instant::now(),
            HubClock::Manual(m) => m.now(),
        }
    }
}

/// A clock moved by hand ([`ManualClock::advance`]); clones share it.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl ManualClock {
    /// A clock that reads the wall clock's time now, until moved.
    pub fn new() -> ManualClock {
        ManualClock(Arc::new(Mutex::new(Instant::now())))
    }

    /// The time it shows.
    pub fn now(&self) -> Instant {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Move it forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}
