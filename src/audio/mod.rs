//! Audio backends: they own the audio thread and run the engine, always
//! through an [`slot::EngineSlot`] (the guard, the fault latch and the
//! replacement after a fault), one period at a time by
//! [`slot::EngineSlot::run_period`]: the one period loop (hooks, the
//! period split into engine blocks, silence after a fault). A backend
//! brings only its own I/O, as a [`slot::PeriodIo`]; the daemon holds any
//! of them as a [`Backend`]. The offline renderer is not a backend: it
//! lives in `render`.
//!
//! - [`dummy`]: a thread that paces the engine at the stream's rate and
//!   period with no device (CI, headless machines, the demo).
//! - [`jack`]: a JACK client (also PipeWire's JACK API); the engine runs
//!   in its process callback, surface MIDI through its own MIDI ports;
//!   [`jack_server`] picks jackd's or PipeWire's JACK library.
//! - [`cpal_io`]: cpal's hosts (CoreAudio, WASAPI, ASIO, ALSA, JACK),
//!   devices and channels chosen by name and number.
//!
//! May import: `engine`, `mixer`, `media`, `model`.

pub mod cpal_io;
pub mod dummy;
pub mod hooks;
pub mod jack;
pub mod jack_server;
pub mod midi;
pub mod midir_bridge;
pub mod priority;
pub mod slot;

pub use hooks::{AudioHooks, PeriodProbe, PeriodStart};

use crate::engine::Engine;
use crate::health::AudioStatus;
use std::sync::Arc;

/// A running audio backend as the daemon holds it, whatever it is: the
/// dummy clock, cpal streams, or a supervised JACK client.
///
/// Thread: the daemon's (the audio thread belongs to the backend).
pub trait Backend: std::fmt::Debug {
    /// Its counters as surfaces report them (`/status`), brought up to
    /// date with the audio thread's.
    fn status(&self) -> Arc<AudioStatus>;

    /// True when it publishes the stream's rate and period itself as they
    /// change (a JACK client follows its server); otherwise the daemon
    /// publishes those it started with.
    fn publishes_stream(&self) -> bool {
        false
    }

    /// Stop it; the engine comes back when it still exists.
    fn stop(self: Box<Self>) -> Option<Engine>;
}

/// Copy a backend's own counters (kept by its audio thread) into the
/// status it reports ([`Backend::status`]).
fn publish_counts(
    status: &Arc<AudioStatus>,
    xruns: &std::sync::atomic::AtomicU64,
    periods: &std::sync::atomic::AtomicU64,
) -> Arc<AudioStatus> {
    status.xruns.store(
        xruns.load(std::sync::atomic::Ordering::Relaxed),
        std::sync::atomic::Ordering::Relaxed,
    );
    status.periods.store(
        periods.load(std::sync::atomic::Ordering::Relaxed),
        std::sync::atomic::Ordering::Relaxed,
    );
    Arc::clone(status)
}
