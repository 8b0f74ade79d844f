//! Protocol drivers, one folder per kind of surface: a pure codec (bytes to
//! typed intents and back) plus a thin driver that owns the byte pipe.
//!
//! Every kind implements [`Surface`], the one contract the daemon's hub
//! loop drives them by.
//!
//! Thread: each driver's own I/O thread; intents reach the hub through
//! an [`Inbox`]. May import: `mixer` (addresses, values), `model`
//! (profiles, maps) and `dsp`; the daemon passes its types in.

pub mod inbox;
pub mod mackie;
pub mod meters;
pub mod midi;
pub mod mtc;
pub mod osc;
pub mod serial;
pub mod target;
pub mod web;

use crate::mixer::{Feedback, Hub, MeterFrame};
pub use inbox::{Doorbell, Inbox, Post};
use std::time::{Duration, Instant};

/// One kind of control surface as the hub thread drives it: OSC clients,
/// the MIDI surfaces on the backend's ports, serial fader boards. The
/// daemon's hub loop holds a list of them and knows nothing else about
/// any one kind.
///
/// The loop's contract, in order:
/// - input: when the surface has input ([`Surface::has_input`]: its
///   driver posted to its [`Inbox`] and rang the hub's [`Doorbell`]), or
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

    /// Input is waiting in its [`Inbox`] (its driver rang the doorbell
    /// the surface was started with).
    fn has_input(&self) -> bool {
        false
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

    /// What it has connected now (clients, units, boards), for `/status`.
    fn online(&self) -> crate::health::Online {
        crate::health::Online::default()
    }

    /// Whether the surface needs the hub's full tick pace now (a client to
    /// feed, a device to drive); when no surface does, the hub idles.
    fn is_active(&self) -> bool;

    /// Stop its driver threads. Called once, at shutdown, after the last
    /// tick.
    fn stop(&mut self) {}
}
