//! One UDP datagram: decoded within its bounds, then handled by the OSC
//! surface on a real hub (subscriptions, touches, renames, transport).
#![no_main]

#[path = "common.rs"]
mod common;

use faderd::health::Health;
use faderd::surfaces::osc::{OscStats, OscSurface, SurfaceOptions, decode};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

struct State {
    mixer: common::Mixer,
    surface: OscSurface,
}

static STATE: OnceLock<Mutex<State>> = OnceLock::new();

/// A new mixer and surface: the state is started afresh every
/// [`FRESH_EVERY`] inputs, so what piles up (automation written by every
/// input) does not slow the fuzzer down.
fn fresh() -> State {
    State {
        mixer: common::mixer(),
        surface: OscSurface::new(
            SurfaceOptions::default(),
            Arc::new(OscStats::default()),
            Arc::new(Health::default()),
        ),
    }
}

const FRESH_EVERY: u64 = 4096;
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    let commands = decode(data);
    let state = STATE.get_or_init(|| Mutex::new(fresh()));
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    if RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % FRESH_EVERY == FRESH_EVERY - 1 {
        *s = fresh();
    }
    let State { mixer, surface } = &mut *s;
    let from = "127.0.0.1:9000".parse().unwrap();
    let now = Instant::now();
    let _ = surface.handle(&mut mixer.hub, from, commands, now);
    mixer.period();
    let hub = &mut mixer.hub;
    let changed = hub.take_feedback();
    let meters = hub.read_meters();
    let _ = surface.tick(hub, &changed, &meters, now);
});
