//! One UDP datagram: decoded within its bounds, then handled by the OSC
//! surface on a real hub (subscriptions, touches, renames, transport).
#![no_main]

#[path = "common.rs"]
mod common;

use faderd::health::Health;
use faderd::surfaces::osc::{OscStats, OscSurface, SurfaceOptions, decode};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use std::time::Instant;

struct State {
    mixer: common::Mixer,
    surface: OscSurface,
}

static STATE: common::Kept<State> = common::Kept::new();

/// A new mixer and surface.
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

fuzz_target!(|data: &[u8]| {
    let commands = decode(data);
    STATE.with(fresh, |s| {
        let State { mixer, surface } = s;
        let from = "127.0.0.1:9000".parse().unwrap();
        let now = Instant::now();
        let _ = surface.handle(&mut mixer.hub, from, commands, now);
        mixer.period();
        let hub = &mut mixer.hub;
        surface.show(&hub.take_feedback());
        let meters = hub.read_meters();
        let _ = surface.tick(hub, &meters, now);
    });
});
