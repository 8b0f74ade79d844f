//! A MIDI byte stream from a generic controller (messages as JACK
//! delivers them), decoded and handled through a shipped map with banks,
//! 14-bit pairs, NRPN and relative encoders, on a real hub.
#![no_main]

#[path = "common.rs"]
mod common;

use faderd::config::parse_map;
use faderd::mixer::ClientId;
use faderd::surfaces::midi::{MidiMapSurface, codec};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

struct State {
    mixer: common::Mixer,
    maps: Vec<MidiMapSurface>,
}

static STATE: common::Kept<State> = common::Kept::new();

const MAPS: [&str; 4] = [
    include_str!("../../maps/korg-nanokontrol2.yaml"),
    include_str!("../../maps/behringer-bcf2000.yaml"),
    include_str!("../../maps/akai-midimix.yaml"),
    include_str!("../../maps/behringer-x-touch-mini.yaml"),
];

/// A new mixer and surface.
fn fresh() -> State {
    let maps = MAPS
        .iter()
        .map(|t| {
            let m = parse_map(t, Path::new("map.yaml")).expect("map");
            MidiMapSurface::new(&m, ClientId(9000)).expect("surface")
        })
        .collect();
    State {
        mixer: common::mixer(),
        maps,
    }
}

fuzz_target!(|data: &[u8]| {
    STATE.with(fresh, |s| {
        let State { mixer, maps } = s;
        for (i, m) in common::messages(data).enumerate() {
            let _ = codec::decode(m);
            let n = maps.len();
            let _ = maps[i % n].handle(&mut mixer.hub, m);
            if i % 64 == 63 {
                mixer.tick();
                let changed = mixer.hub.take_feedback();
                for map in maps.iter_mut() {
                    let _ = map.show(&mixer.hub, &changed);
                    let _ = map.tick(&mixer.hub);
                }
            }
        }
        mixer.period();
        let _ = mixer.hub.take_feedback();
    });
});
