//! What the targets share: a small real hub, and a byte stream cut into
//! messages (a length byte, then that many bytes).

use faderd::config::parse_session;
use faderd::engine::{Engine, EngineConfig};
use faderd::mixer::{ClipStore, Hub};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// A target's state kept from one input to the next (a surface stays
/// connected, banked, touched ...), started afresh every
/// [`FRESH_EVERY`] inputs so what piles up (automation written by every
/// input) does not slow the run down.
pub struct Kept<T> {
    state: OnceLock<Mutex<T>>,
    runs: AtomicU64,
}

/// Inputs between fresh starts of a target's state.
pub const FRESH_EVERY: u64 = 4096;

impl<T> Kept<T> {
    pub const fn new() -> Kept<T> {
        Kept {
            state: OnceLock::new(),
            runs: AtomicU64::new(0),
        }
    }

    /// Run `f` on the state (made by `fresh` the first time and every
    /// [`FRESH_EVERY`] inputs).
    pub fn with(&self, fresh: fn() -> T, f: impl FnOnce(&mut T)) {
        let state = self.state.get_or_init(|| Mutex::new(fresh()));
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        if self.runs.fetch_add(1, Ordering::Relaxed) % FRESH_EVERY == FRESH_EVERY - 1 {
            *s = fresh();
        }
        f(&mut s);
    }
}

/// A hub and its engine, as the daemon runs them: what surfaces change
/// reaches the engine, and the engine's clocks and meters come back.
pub struct Mixer {
    pub hub: Hub,
    pub engine: Engine,
    calls: u32,
}

impl Mixer {
    /// One hub tick.
    #[allow(dead_code)] // not every target ticks between messages
    pub fn tick(&mut self) {
        self.hub.service();
    }

    /// After each input: a hub tick every 4th (surfaces send far more
    /// than one message a tick), and a period of audio before every 16th
    /// (what the hub sent the engine is applied, up to 4096 commands a
    /// period, and the engine's clocks move).
    pub fn period(&mut self) {
        self.calls = self.calls.wrapping_add(1);
        if self.calls % 16 == 0 {
            self.engine.process(64);
        }
        if self.calls % 4 == 0 {
            self.hub.service();
        }
    }
}

/// A hub over 10 tracks (two banks of a Mackie unit), a group, an aux
/// with a delay, and sends: every kind of strip a surface can reach.
pub fn mixer() -> Mixer {
    let mut y = String::from(
        "version: 1\nname: fuzz\nbuses:\n  - { name: G, kind: group }\n  - { name: D, kind: aux, delay: { time: 250 } }\ntracks:\n",
    );
    for t in 1..=10 {
        y.push_str(&format!(
            "  - {{ name: T{t}, output: G, sends: [{{ bus: D, gain_db: -10 }}] }}\n"
        ));
    }
    let s = parse_session(&y, Path::new("fuzz.yaml")).expect("the fuzz session parses");
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 2,
        outputs: 2,
    };
    let (hub, engine) = Hub::new(s, ClipStore::new(), cfg).expect("the fuzz hub builds");
    Mixer {
        hub,
        engine,
        calls: 0,
    }
}

/// `data` cut into messages: each is a length byte and that many bytes
/// (the last may be short).
#[allow(dead_code)] // not every target reads messages
pub fn messages(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (&n, rest) = data.split_first()?;
        let n = usize::from(n).min(rest.len());
        let (m, rest) = rest.split_at(n);
        data = rest;
        Some(m)
    })
}
