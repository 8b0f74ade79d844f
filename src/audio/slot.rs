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

use super::AudioHooks;
use crate::engine::Engine;
use crate::engine::rt::process_guarded;
use rtrb::{Consumer, Producer, RingBuffer};

/// What a backend does around the engine in one period: its own ports or
/// device buffers, MIDI, transport. [`EngineSlot::run_period`] calls it.
///
/// Thread: audio. Every method is bound by the engine's real-time rules
/// (no allocation, lock, I/O, logging or panic).
pub trait PeriodIo {
    /// Before the period's blocks (MIDI in and out, following a transport).
    fn begin(&mut self, _engine: &mut Engine) {}
    /// Fill the engine's inputs with `n` frames from `offset` in the period.
    fn input(&mut self, _engine: &mut Engine, _offset: usize, _n: usize) {}
    /// Take the engine's `n` frames of output to `offset` in the period;
    /// silence instead when `playing` is false (the engine faulted).
    fn output(&mut self, _engine: &Engine, _offset: usize, _n: usize, _playing: bool) {}
    /// After the blocks (the engine's requests to a transport master).
    fn end(&mut self, _engine: &mut Engine) {}
}

/// A period with no device: the engine runs and its output goes nowhere.
impl PeriodIo for () {}

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

    /// One period of `frames` frames, the same for every backend: the
    /// `before_period` hook, a waiting replacement engine taken, `io`'s
    /// start, the frames in pieces of at most the engine's block size
    /// (each: inputs in, processed through the guard, outputs out, silence
    /// once the engine has faulted), `io`'s end, then the `after_period`
    /// hook. Real-time safe when `io` and the hooks are.
    pub fn run_period(&mut self, hooks: &mut AudioHooks, frames: usize, io: &mut impl PeriodIo) {
        if let Some(f) = hooks.before_period.as_mut() {
            f();
        }
        self.begin_period();
        io.begin(&mut self.engine);
        let block = self.engine.config().max_block.max(1);
        let mut done = 0;
        while done < frames {
            let n = block.min(frames - done);
            io.input(&mut self.engine, done, n);
            let playing = self.process(n);
            io.output(&self.engine, done, n, playing);
            done += n;
        }
        io.end(&mut self.engine);
        if let Some(f) = hooks.after_period.as_mut() {
            f(&self.engine);
        }
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
