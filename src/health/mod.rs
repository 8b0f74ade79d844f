//! What keeps the daemon dependable, counted where every thread can bump it
//! and `/status` can read it: input refused past a bound, panics caught in
//! supervised threads, engine faults and rebuilds, session saves; and the
//! status counters of the audio backend and the serial links
//! ([`AudioStatus`], [`LinkStatus`]), which the daemon hands out here
//! rather than through the mixer.
//!
//! Thread: any non-real-time thread writes; surfaces read. Plain atomics
//! (and mutexes for the last messages and the status handles, never
//! touched by the audio thread). May import nothing of the crate.

mod status;
pub use status::{AudioStatus, LinkStatus};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where outside input comes from, for refusal counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// OSC datagrams.
    Osc,
    /// Surface MIDI (JACK ports or the system's MIDI).
    Midi,
    /// Serial fader boards.
    Serial,
}

impl Source {
    /// Every source, in `/status` order.
    pub const ALL: [Source; 3] = [Source::Osc, Source::Midi, Source::Serial];

    /// Its name in `/status` and logs.
    pub fn name(self) -> &'static str {
        match self {
            Source::Osc => "osc",
            Source::Midi => "midi",
            Source::Serial => "serial",
        }
    }
}

/// How a session save ended, for `/status/session/...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// The session file itself.
    Session,
    /// The recovery file beside it.
    Recovery,
}

/// A kind of thing a surface connects, as `/status/online/KIND` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineKind {
    /// OSC clients subscribed over UDP (tablets, scripts).
    Osc,
    /// Browser consoles (WebSocket clients subscribed).
    Consoles,
    /// Mackie Control units through their handshake.
    Mackie,
    /// Generic MIDI controllers configured.
    Midi,
    /// Serial fader boards that said hello.
    Serial,
}

impl OnlineKind {
    /// Every kind, in declaration order.
    pub const ALL: [OnlineKind; 5] = [
        OnlineKind::Osc,
        OnlineKind::Consoles,
        OnlineKind::Mackie,
        OnlineKind::Midi,
        OnlineKind::Serial,
    ];

    /// Its name in `/status/online/NAME`.
    pub fn name(self) -> &'static str {
        match self {
            OnlineKind::Osc => "osc",
            OnlineKind::Consoles => "consoles",
            OnlineKind::Mackie => "mackie",
            OnlineKind::Midi => "midi",
            OnlineKind::Serial => "serial",
        }
    }
}

/// What surfaces have connected now: a count per [`OnlineKind`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Online([u32; OnlineKind::ALL.len()]);

impl Online {
    /// `n` of `kind`, none of the others.
    pub fn of(kind: OnlineKind, n: usize) -> Online {
        let mut o = Online::default();
        o.0[kind as usize] = u32::try_from(n).unwrap_or(u32::MAX);
        o
    }

    /// Each count with its kind's name.
    pub fn named(self) -> impl Iterator<Item = (&'static str, u32)> {
        OnlineKind::ALL
            .into_iter()
            .map(move |k| (k.name(), self.0[k as usize]))
    }

    /// Both together.
    pub fn plus(self, o: Online) -> Online {
        Online(std::array::from_fn(|i| self.0[i].saturating_add(o.0[i])))
    }
}

/// Daemon-wide dependability counters.
#[derive(Debug, Default)]
pub struct Health {
    refused: [AtomicU64; 3],
    /// Panics caught in non-audio threads (the thread carried on).
    pub panics: AtomicU64,
    /// Faults of the engine (a panic caught in the audio callback).
    pub engine_faults: AtomicU64,
    /// Engines rebuilt from the hub's state after a fault.
    pub engine_rebuilds: AtomicU64,
    /// Session saves that worked.
    pub saves: AtomicU64,
    /// Recovery-file writes that worked.
    pub autosaves: AtomicU64,
    /// Saves (either kind) that failed.
    pub save_failures: AtomicU64,
    /// Turns of the hub thread's loop (at least one per idle tick): the
    /// service watchdog's proof that the mixer thread is not hung.
    pub hub_turns: AtomicU64,
    /// The session has changes not saved to its file (the hub's view at
    /// its last tick).
    pub session_dirty: std::sync::atomic::AtomicBool,
    /// What the surfaces have connected (the hub's view at its last
    /// tick).
    online: Mutex<Online>,
    last: Mutex<LastWords>,
    /// The running audio backend's counters.
    audio: Mutex<Arc<AudioStatus>>,
    /// Every serial board's link counters, in config order.
    links: Mutex<Vec<Arc<LinkStatus>>>,
}

#[derive(Debug, Default)]
struct LastWords {
    panic: Option<String>,
    /// The last failure of each kind of save, while it keeps failing.
    save_errors: [Option<String>; 2],
}

impl Health {
    /// What the surfaces have connected, as the hub last added it up.
    pub fn set_online(&self, online: Online) {
        *lock(&self.online) = online;
    }

    /// What the surfaces had connected at the hub's last tick.
    pub fn online(&self) -> Online {
        *lock(&self.online)
    }

    /// Share the audio backend's counters with surfaces (`/status`).
    pub fn set_audio_status(&self, status: Arc<AudioStatus>) {
        *lock(&self.audio) = status;
    }

    /// The audio backend's counters.
    pub fn audio_status(&self) -> Arc<AudioStatus> {
        Arc::clone(&lock(&self.audio))
    }

    /// Share a serial board's link counters with surfaces (`/status`).
    pub fn add_link_status(&self, status: Arc<LinkStatus>) {
        lock(&self.links).push(status);
    }

    /// Every serial board's link counters, in config order.
    pub fn link_statuses(&self) -> Vec<Arc<LinkStatus>> {
        lock(&self.links).clone()
    }

    /// Count one input from `source` refused because it went past a bound.
    pub fn refuse(&self, source: Source) {
        self.refused[source as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Count `n` inputs from `source` refused past a bound (counted
    /// elsewhere first, as the audio thread's MIDI refusals are).
    pub fn refuse_many(&self, source: Source, n: u64) {
        self.refused[source as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// Inputs from `source` refused past a bound so far.
    pub fn refused(&self, source: Source) -> u64 {
        self.refused[source as usize].load(Ordering::Relaxed)
    }

    /// Count a panic in `thread` that was caught (its cause is logged).
    pub fn note_panic(&self, thread: &str, cause: &str) {
        self.panics.fetch_add(1, Ordering::Relaxed);
        tracing::error!("{thread}: internal error caught, carrying on: {cause}");
        if let Ok(mut l) = self.last.lock() {
            l.panic = Some(format!("{thread}: {cause}"));
        }
    }

    /// The last caught panic, as "thread: cause".
    pub fn last_panic(&self) -> Option<String> {
        self.last.lock().ok().and_then(|l| l.panic.clone())
    }

    /// Record how a save ended (`Err` with the user-facing message).
    pub fn note_save(&self, kind: SaveKind, result: Result<(), &str>) {
        let error = match result {
            Ok(()) => {
                let c = match kind {
                    SaveKind::Session => &self.saves,
                    SaveKind::Recovery => &self.autosaves,
                };
                c.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => {
                self.save_failures.fetch_add(1, Ordering::Relaxed);
                Some(e.to_owned())
            }
        };
        if let Ok(mut l) = self.last.lock() {
            l.save_errors[kind as usize] = error;
        }
    }

    /// The last error of this kind of save, while that kind keeps failing.
    pub fn save_error(&self, kind: SaveKind) -> Option<String> {
        self.last
            .lock()
            .ok()
            .and_then(|l| l.save_errors[kind as usize].clone())
    }
}

/// The last panic of any thread, as (thread name, message), recorded by
/// [`install_panic_hook`].
static LAST_PANIC: Mutex<Option<(String, String)>> = Mutex::new(None);

/// Record every panic's thread and message (for the engine's faults,
/// which are caught on an audio thread that cannot report them), then
/// print it as usual. The audio thread only gets here on the last-resort
/// path; the lock is only tried, never waited for.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current()
            .name()
            .unwrap_or("<unnamed>")
            .to_owned();
        let message = panic_cause(info.payload());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.try_lock() {
            *last = Some((thread, format!("{message}{at}")));
        }
        previous(info);
    }));
}

/// The last recorded panic of a thread whose name starts with none of
/// `prefixes`.
pub fn last_panic_outside(prefixes: &[&str]) -> Option<String> {
    let last = LAST_PANIC.lock().ok()?;
    let (thread, message) = last.as_ref()?;
    (!prefixes.iter().any(|p| thread.starts_with(p))).then(|| format!("{thread}: {message}"))
}

/// True in a test build (debug assertions) run with `FADERD_TEST_FAULTS=1`:
/// only then do the `/debug/...` addresses inject faults. A test build
/// without it (a fuzzer's, a developer's `cargo run`) treats them as
/// unknown.
pub fn test_faults_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    cfg!(debug_assertions)
        && *ON.get_or_init(|| std::env::var_os("FADERD_TEST_FAULTS").is_some_and(|v| v == "1"))
}

/// The text of a caught panic's payload.
pub fn panic_cause(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_owned()
    }
}

/// Run `f`, catching a panic: `None` when it panicked (counted in `health`
/// and logged with its cause as coming from `thread`). What `f` changed
/// before the panic stays changed: callers keep their state and carry on,
/// so one bad input costs that input only. `thread` is only formatted when
/// something panicked.
pub fn contain<R>(
    health: &Health,
    thread: impl std::fmt::Display,
    f: impl FnOnce() -> R,
) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(p) => {
            health.note_panic(&thread.to_string(), &panic_cause(p.as_ref()));
            None
        }
    }
}

/// Warnings about one source at most once a second, each with the count
/// of those not printed since the last.
#[derive(Debug, Default)]
pub struct RateLimited {
    last: Option<Instant>,
    unreported: u64,
}

impl RateLimited {
    /// How often a line is printed at most.
    pub const INTERVAL: Duration = Duration::from_secs(1);

    /// Count one event; `Some(count)` when it is time to print a line about
    /// the `count` events since the last.
    pub fn hit(&mut self, now: Instant) -> Option<u64> {
        self.unreported += 1;
        if self
            .last
            .is_none_or(|t| now.duration_since(t) >= Self::INTERVAL)
        {
            self.last = Some(now);
            Some(std::mem::take(&mut self.unreported))
        } else {
            None
        }
    }
}

/// A status mutex's contents; a panic elsewhere while it was held leaves
/// plain handles behind, still good to read.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_is_counted_and_its_cause_kept() {
        let h = Health::default();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = contain(&h, "faderd-test", || -> u32 {
            panic!("index 3 out of range")
        });
        std::panic::set_hook(prev);
        assert_eq!(r, None);
        assert_eq!(h.panics.load(Ordering::Relaxed), 1);
        assert_eq!(
            h.last_panic().as_deref(),
            Some("faderd-test: index 3 out of range")
        );
        assert_eq!(contain(&h, "faderd-test", || 7), Some(7));
    }

    #[test]
    fn rate_limited_prints_once_a_second_with_the_count() {
        let mut r = RateLimited::default();
        let t0 = Instant::now();
        assert_eq!(r.hit(t0), Some(1));
        assert_eq!(r.hit(t0 + Duration::from_millis(10)), None);
        assert_eq!(r.hit(t0 + Duration::from_millis(20)), None);
        assert_eq!(r.hit(t0 + Duration::from_millis(1000)), Some(3));
    }

    #[test]
    fn refusals_are_counted_per_source() {
        let h = Health::default();
        h.refuse(Source::Osc);
        h.refuse(Source::Osc);
        h.refuse(Source::Serial);
        assert_eq!(
            Source::ALL.map(|s| h.refused(s)),
            [2, 0, 1],
            "osc, midi, serial"
        );
    }
}
