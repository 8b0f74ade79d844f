//! A MIDI byte stream from a Mackie main unit and an extender (messages
//! as JACK delivers them), decoded and handled by the Mackie surface on a
//! real hub, with hub ticks between.
#![no_main]

#[path = "common.rs"]
mod common;

use faderd::config::{parse_map, parse_profile};
use faderd::mixer::ClientId;
use faderd::surfaces::mackie::codec::decode_from_surface;
use faderd::surfaces::mackie::{MackieSurface, UnitConfig};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

struct State {
    mixer: common::Mixer,
    surface: MackieSurface,
}

static STATE: OnceLock<Mutex<State>> = OnceLock::new();

fn surface() -> MackieSurface {
    let units = [
        (
            "x-touch",
            include_str!("../../surfaces/mackie/x-touch.yaml"),
        ),
        (
            "x-touch-extender",
            include_str!("../../surfaces/mackie/x-touch-extender.yaml"),
        ),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, text))| UnitConfig {
        profile: parse_profile(text, Path::new(name)).expect("profile"),
        port: i as u8,
    })
    .collect();
    let map = parse_map(include_str!("../../maps/mackie.yaml"), Path::new("mackie")).expect("map");
    MackieSurface::new(units, &map, ClientId(7000)).expect("surface")
}

/// A new mixer and surface: the state is started afresh every
/// [`FRESH_EVERY`] inputs, so what piles up (automation written by every
/// input) does not slow the fuzzer down.
fn fresh() -> State {
    State {
        mixer: common::mixer(),
        surface: surface(),
    }
}

const FRESH_EVERY: u64 = 4096;
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    let state = STATE.get_or_init(|| Mutex::new(fresh()));
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    if RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % FRESH_EVERY == FRESH_EVERY - 1 {
        *s = fresh();
    }
    let State { mixer, surface } = &mut *s;
    let now = Instant::now();
    for (i, m) in common::messages(data).enumerate() {
        let _ = decode_from_surface(m);
        let port = (i % 2) as u8;
        let _ = surface.handle(&mut mixer.hub, port, m, now);
        if i % 64 == 63 {
            mixer.tick();
            let hub = &mut mixer.hub;
            let changed = hub.take_feedback();
            let meters = hub.read_meters();
            let _ = surface.tick(hub, &changed, &meters, now);
        }
    }
    mixer.period();
    let _ = mixer.hub.take_feedback();
});
