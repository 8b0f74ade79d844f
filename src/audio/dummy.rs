//! The dummy backend: a thread that processes one period every
//! `period / sample_rate` seconds of wall-clock time, with silent inputs and
//! discarded outputs. It behaves like a sound card that nobody listens to:
//! meters move, the sample clock advances, surfaces can drive the mix.
//!
//! Nobody hears its periods, so it does not wake for each one: it runs
//! whole periods back to back until [`MIN_WAKE`] of audio is done and then
//! sleeps until the clock has caught up, like a card with a deeper buffer.
//! The engine still sees `period` frames at a time and the sample clock
//! keeps wall-clock pace; a command waits at most one wake for its period.
//! At 64 frames and 48 kHz that is 47 wakeups a second instead of 750,
//! which is most of what an idle daemon costs.

use super::Backend;
use super::hooks::AudioHooks;
use super::slot::EngineSlot;
use crate::engine::Engine;
use crate::health::AudioStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The shortest sleep between wakes of the dummy's thread: whole periods
/// are run together up to this much audio.
pub const MIN_WAKE: Duration = Duration::from_millis(20);

/// Counters the dummy thread publishes.
#[derive(Debug, Default)]
pub struct DummyStats {
    /// Periods that started more than one period late (missed deadlines).
    pub xruns: AtomicU64,
    /// Periods processed.
    pub periods: AtomicU64,
    /// The audio thread got real-time scheduling.
    pub realtime: AtomicBool,
}

/// A running dummy backend.
#[derive(Debug)]
pub struct DummyBackend {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<EngineSlot>>,
    stats: Arc<DummyStats>,
    period_frames: usize,
    sample_rate: u32,
    /// Its counters as surfaces report them ([`Backend::status`]).
    status: Arc<AudioStatus>,
}

impl Backend for DummyBackend {
    fn status(&self) -> Arc<AudioStatus> {
        super::publish_counts(&self.status, &self.stats.xruns, &self.stats.periods)
    }

    fn stop(self: Box<Self>) -> Option<Engine> {
        DummyBackend::stop(*self)
    }
}

impl DummyBackend {
    /// Start pacing `engine` at its sample rate, `period_frames` per period
    /// (clamped to the engine's maximum block).
    pub fn start(engine: Engine, period_frames: usize) -> std::io::Result<DummyBackend> {
        Self::start_with(engine, period_frames, AudioHooks::default())
    }

    /// [`DummyBackend::start`] with hooks on the audio thread, and the
    /// engine in a slot whose dock can replace it.
    pub fn start_with(
        engine: impl Into<EngineSlot>,
        period_frames: usize,
        hooks: AudioHooks,
    ) -> std::io::Result<DummyBackend> {
        let mut slot: EngineSlot = engine.into();
        let cfg = slot.engine().config();
        let period_frames = period_frames.clamp(1, cfg.max_block);
        let period = Duration::from_secs_f64(period_frames as f64 / f64::from(cfg.sample_rate));
        // Periods per wake: enough to make up MIN_WAKE, at least one.
        let per_wake = MIN_WAKE
            .as_nanos()
            .div_ceil(period.as_nanos().max(1))
            .max(1);
        let per_wake = u32::try_from(per_wake).unwrap_or(u32::MAX);
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(DummyStats::default());
        let (stop_rt, stats_rt) = (Arc::clone(&stop), Arc::clone(&stats));
        let thread = std::thread::Builder::new()
            .name("faderd-audio".into())
            .spawn(move || {
                let mut hooks = hooks;
                let realtime = super::priority::make_current_thread_realtime();
                stats_rt.realtime.store(realtime.is_ok(), Ordering::Relaxed);
                let mut next = Instant::now();
                let mut warm = false;
                let mut in_wake = 0u32;
                while !stop_rt.load(Ordering::Relaxed) {
                    slot.run_period(&mut hooks, period_frames, &mut ());
                    stats_rt.periods.fetch_add(1, Ordering::Relaxed);
                    if !warm {
                        // The first period touches every buffer for the
                        // first time; the clock starts after it, as a
                        // sound card's does once the stream runs.
                        warm = true;
                        next = Instant::now();
                    }
                    next += period;
                    in_wake += 1;
                    if in_wake < per_wake {
                        continue;
                    }
                    in_wake = 0;
                    let now = Instant::now();
                    if now > next + period {
                        // Missed a whole period: count it and start afresh
                        // rather than racing to catch up.
                        stats_rt.xruns.fetch_add(1, Ordering::Relaxed);
                        next = now;
                    } else if next > now {
                        std::thread::sleep(next - now);
                    }
                }
                slot
            })?;
        Ok(DummyBackend {
            stop,
            thread: Some(thread),
            stats,
            period_frames,
            sample_rate: cfg.sample_rate,
            status: Arc::default(),
        })
    }

    /// Frames per period.
    pub fn period_frames(&self) -> usize {
        self.period_frames
    }

    /// The engine's sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Live counters.
    pub fn stats(&self) -> &Arc<DummyStats> {
        &self.stats
    }

    /// Stop the thread and take the engine back.
    pub fn stop(mut self) -> Option<Engine> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .map(EngineSlot::into_engine)
    }
}

impl Drop for DummyBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
