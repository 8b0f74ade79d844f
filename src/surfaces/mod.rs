//! Protocol drivers, one folder per kind of surface: a pure codec (bytes to
//! typed intents and back) plus a thin driver that owns the byte pipe.
//!
//! Every kind implements [`Surface`], the one contract the daemon's hub
//! loop drives them by.
//!
//! Thread: each driver's own I/O thread; intents reach the hub over a
//! crossbeam channel. May import: `mixer` (addresses, values), `model`
//! (profiles, maps) and `dsp`; the daemon passes its types in.

pub mod conv;
pub mod mackie;
pub mod meters;
pub mod midi;
pub mod mtc;
pub mod osc;
pub mod serial;
pub mod target;

use crate::mixer::{Feedback, Hub, MeterFrame};
use crossbeam::channel::{Receiver, Select, TryRecvError};
use std::time::{Duration, Instant};

/// One kind of control surface as the hub thread drives it: OSC clients,
/// the MIDI surfaces on the backend's ports, serial fader boards. The
/// daemon's hub loop holds a list of them and knows nothing else about
/// any one kind.
///
/// The loop's contract, in order:
/// - input: when the surface's channel ([`Surface::wake_on`]) is ready, or
///   every [`Surface::poll_every`], [`Surface::take_input`] applies what
///   arrived to the hub;
/// - feedback: every change the hub applied (from any surface, from a
///   lane, from the daemon) is given to every surface exactly once, in
///   order, through [`Surface::show`], right after the input that caused
///   it and at every tick; a surface never re-reads the whole mix to find
///   what changed;
/// - tick: once per hub tick, after the tick's changes were shown,
///   [`Surface::tick`] sends meters and does what runs on time
///   (handshakes, pings, display timeouts).
///
/// Thread: hub. No method may block: input waits on the surface's own
/// channel or queue, output goes to its driver without waiting. A panic
/// in any method is caught by the loop, counted and logged under
/// [`Surface::name`]; the surface keeps its state.
pub trait Surface: Send {
    /// What it is, for logs and the health counters.
    fn name(&self) -> &'static str;

    /// Register the channel whose messages should wake the hub thread, if
    /// the surface has one; returns the operation's index in `select`. A
    /// channel whose sender is gone must not be registered again (it
    /// would always be ready).
    fn wake_on<'a>(&'a self, _select: &mut Select<'a>) -> Option<usize> {
        None
    }

    /// How often the surface must be looked at while nothing wakes the
    /// hub (an input queue that cannot wake it), if at all.
    fn poll_every(&self) -> Option<Duration> {
        None
    }

    /// Apply what arrived since the last call, without waiting.
    fn take_input(&mut self, hub: &mut Hub, now: Instant);

    /// The next changes the hub applied, each given to each surface once.
    fn show(&mut self, hub: &Hub, changes: &[Feedback], now: Instant);

    /// Once per hub tick, after the tick's changes were shown.
    fn tick(&mut self, hub: &Hub, meters: &MeterFrame, now: Instant);

    /// Whether the surface needs the hub's full tick pace now (a client to
    /// feed, a device to drive); when no surface does, the hub idles.
    fn is_active(&self) -> bool;

    /// Stop its driver threads. Called once, at shutdown, after the last
    /// tick.
    fn stop(&mut self) {}
}

/// A surface's input channel from its driver thread, as the hub loop waits
/// on it: registered while its sender is there, drained a bounded batch at
/// a time (so a flood cannot hold up the tick).
#[derive(Debug)]
pub struct Inbox<T> {
    rx: Receiver<T>,
    /// The sender is still there.
    open: bool,
}

impl<T> Inbox<T> {
    /// Wait on `rx`.
    pub fn new(rx: Receiver<T>) -> Inbox<T> {
        Inbox { rx, open: true }
    }

    /// For [`Surface::wake_on`]: register the channel while it is open.
    pub fn wake_on<'a>(&'a self, select: &mut Select<'a>) -> Option<usize> {
        self.open.then(|| select.recv(&self.rx))
    }

    /// Hand at most `most` waiting messages to `each`, without waiting;
    /// notes a channel whose sender is gone.
    pub fn drain(&mut self, most: usize, mut each: impl FnMut(T)) {
        for _ in 0..most {
            match self.rx.try_recv() {
                Ok(m) => each(m),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.open = false;
                    break;
                }
            }
        }
    }

    /// It is no longer waited on (its driver stopped).
    pub fn close(&mut self) {
        self.open = false;
    }
}
