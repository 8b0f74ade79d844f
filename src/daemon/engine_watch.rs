//! The control side's watch over the engine: a fault (a panic caught in
//! the audio callback) is reported (log and `/status`) and the engine is
//! rebuilt from the hub's state and handed to the audio thread through the
//! backend's [`EngineDock`], within a second; the engine it replaces comes
//! back here to be freed.
//!
//! Thread: hub.

use crate::audio::slot::{EngineDock, EngineSlot};
use crate::health::Health;
use crate::mixer::Hub;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Least time between two rebuilds: an engine that faults again at once
/// (a fault the mixer state itself causes) is not rebuilt in a tight loop.
pub const MIN_REBUILD_INTERVAL: Duration = Duration::from_secs(1);

/// Watches one backend's engine.
#[derive(Debug)]
pub struct EngineWatch {
    dock: Option<EngineDock>,
    /// Faults of the current engine already handled.
    seen: u64,
    last_rebuild: Option<Instant>,
}

impl EngineWatch {
    /// Watch the engine in the slot `dock` belongs to (`None`: a backend
    /// that cannot take a replacement).
    pub fn new(dock: Option<EngineDock>) -> EngineWatch {
        EngineWatch {
            dock,
            seen: 0,
            last_rebuild: None,
        }
    }

    /// The backend started a new stream with a new engine (the JACK server
    /// came back): watch that one.
    pub fn rewatch(&mut self, dock: EngineDock) {
        *self = EngineWatch::new(Some(dock));
    }

    /// Wrap a freshly built engine for a new stream, watching it.
    pub fn slot_for(&mut self, engine: crate::engine::Engine) -> EngineSlot {
        let (slot, dock) = EngineSlot::new(engine);
        self.rewatch(dock);
        slot
    }

    /// True when nothing is under way: no fault to handle, no replacement
    /// waiting for the audio thread, no replaced engine to free. While
    /// something is, the hub keeps its full pace (a rebuild completes in
    /// a few of its ticks).
    pub fn is_settled(&self, hub: &Hub) -> bool {
        self.dock.as_ref().is_none_or(|dock| {
            hub.engine_faults() <= self.seen && !dock.is_waiting() && !dock.has_retired()
        })
    }

    /// Call every hub tick.
    pub fn tick(&mut self, hub: &mut Hub, health: &Health, now: Instant) {
        let Some(dock) = self.dock.as_mut() else {
            return;
        };
        if let Some(old) = dock.collect_retired() {
            drop(old);
            health.engine_rebuilds.fetch_add(1, Ordering::Relaxed);
            tracing::info!("the audio engine was rebuilt from the mixer state; sound is back");
        }
        let faults = hub.engine_faults();
        if faults <= self.seen || dock.is_waiting() {
            return;
        }
        if self
            .last_rebuild
            .is_some_and(|t| now.duration_since(t) < MIN_REBUILD_INTERVAL)
        {
            return;
        }
        health
            .engine_faults
            .fetch_add(faults - self.seen, Ordering::Relaxed);
        let cause = crate::health::last_panic_outside(CONTROL_THREADS)
            .unwrap_or_else(|| "no message".to_owned());
        tracing::error!(
            "the audio engine stopped on an internal error ({cause}); its output is silent; rebuilding it from the mixer state"
        );
        match hub.relink(hub.engine_config()) {
            Ok(engine) => {
                if !dock.replace(engine) {
                    // Cannot happen: checked above that nothing waits.
                    tracing::error!("the rebuilt engine could not be handed over; retrying");
                }
                // The new engine counts its own faults from zero.
                self.seen = 0;
                self.last_rebuild = Some(now);
            }
            Err(e) => tracing::error!("cannot rebuild the audio engine: {e}"),
        }
    }
}

/// Name prefixes of the control threads, whose panics are not the
/// engine's (the engine runs on ours, JACK's or cpal's audio thread).
const CONTROL_THREADS: &[&str] = &["faderd-hub", "faderd-osc", "faderd-serial", "main"];
