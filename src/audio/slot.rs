//! The audio thread's hold on the engine: every backend runs its periods
//! through one [`EngineSlot`], which calls the engine through the guard
//! ([`process_guarded`]), latches a fault (silence from then on, never a
//! second panic per period), and swaps in the replacement engine the hub
//! builds after a fault. The hub's side is the [`EngineDock`].
//!
//! Thread: the slot lives on the audio thread and obeys its rules (no
//! allocation, lock, I/O or logging: a replacement arrives and the old
//! engine leaves through wait-free queues, and the old one is freed on the
//! hub thread). The dock lives on the hub thread.

use crate::engine::Engine;
use crate::engine::rt::process_guarded;
use rtrb::{Consumer, Producer, RingBuffer};

/// The audio thread's side.
#[derive(Debug)]
pub struct EngineSlot {
    engine: Engine,
    faulted: bool,
    replacements: Consumer<Engine>,
    retired: Producer<Engine>,
}

/// The hub thread's side: where a replacement engine goes in and the
/// engine it replaced comes back to be freed.
#[derive(Debug)]
pub struct EngineDock {
    replacements: Producer<Engine>,
    retired: Consumer<Engine>,
}

impl EngineSlot {
    /// A slot running `engine`, and the dock that can replace it.
    pub fn new(engine: Engine) -> (EngineSlot, EngineDock) {
        let (rp, rc) = RingBuffer::new(1);
        let (tp, tc) = RingBuffer::new(1);
        (
            EngineSlot {
                engine,
                faulted: false,
                replacements: rc,
                retired: tp,
            },
            EngineDock {
                replacements: rp,
                retired: tc,
            },
        )
    }

    /// Start of a period: take a replacement engine if one waits (and the
    /// way back for the old one is free, so it is never freed here).
    /// Real-time safe.
    pub fn begin_period(&mut self) {
        if self.retired.slots() == 0 {
            return;
        }
        if let Ok(new) = self.replacements.pop() {
            let old = std::mem::replace(&mut self.engine, new);
            self.faulted = false;
            // Cannot fail: a slot was free above and only this thread pushes.
            let _ = self.retired.push(old);
        }
    }

    /// Process `frames` through the guard unless the engine has faulted;
    /// false when its outputs are not to be played (it faulted, now or
    /// before). Real-time safe.
    pub fn process(&mut self, frames: usize) -> bool {
        if !self.faulted {
            self.faulted = !process_guarded(&mut self.engine, frames);
        }
        !self.faulted
    }

    /// True after a fault until a replacement is taken.
    pub fn is_faulted(&self) -> bool {
        self.faulted
    }

    /// The engine running now.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine running now, for its inputs and commands.
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The engine, when the backend stops.
    pub fn into_engine(self) -> Engine {
        self.engine
    }
}

/// A slot whose engine is never replaced (tests, benchmarks, tools).
impl From<Engine> for EngineSlot {
    fn from(engine: Engine) -> EngineSlot {
        EngineSlot::new(engine).0
    }
}

impl EngineDock {
    /// Hand `engine` to the audio thread to replace the running one; false
    /// (and `engine` dropped here) when a replacement already waits or the
    /// last one replaced has not been collected yet.
    pub fn replace(&mut self, engine: Engine) -> bool {
        self.retired.is_empty() && self.replacements.push(engine).is_ok()
    }

    /// The engine the audio thread replaced, if one came back since the
    /// last call (drop it here, off the audio thread).
    pub fn collect_retired(&mut self) -> Option<Engine> {
        self.retired.pop().ok()
    }

    /// True while an engine the audio thread replaced waits to be
    /// collected.
    pub fn has_retired(&self) -> bool {
        !self.retired.is_empty()
    }

    /// True while a replacement waits for the audio thread.
    pub fn is_waiting(&self) -> bool {
        self.replacements.slots() == 0
    }
}
