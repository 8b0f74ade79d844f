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
use std::time::Instant;

struct State {
    mixer: common::Mixer,
    surface: MackieSurface,
}

static STATE: common::Kept<State> = common::Kept::new();

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

/// A new mixer and surface.
fn fresh() -> State {
    State {
        mixer: common::mixer(),
        surface: surface(),
    }
}

fuzz_target!(|data: &[u8]| {
    STATE.with(fresh, |s| {
        let State { mixer, surface } = s;
        let now = Instant::now();
        for (i, m) in common::messages(data).enumerate() {
            let _ = decode_from_surface(m);
            let port = (i % 2) as u8;
            let _ = surface.handle(&mut mixer.hub, port, m, now);
            if i % 64 == 63 {
                mixer.tick();
                let hub = &mut mixer.hub;
                let changed = hub.take_feedback();
                let _ = surface.show(hub, &changed, now);
                let meters = hub.read_meters();
                let _ = surface.tick(hub, &meters, now);
            }
        }
        mixer.period();
        let _ = mixer.hub.take_feedback();
    });
});
