//! Bytes from a serial fader board: the COBS deframer, the message
//! parser, and the board surface on a real hub.
#![no_main]

#[path = "common.rs"]
mod common;

use fader_link::{Deframer, FromBoard, MAX_PAYLOAD};
use faderd::config::{parse_map, parse_profile};
use faderd::mixer::ClientId;
use faderd::surfaces::serial::SerialSurface;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::time::Instant;

struct State {
    mixer: common::Mixer,
    board: SerialSurface,
}

static STATE: common::Kept<State> = common::Kept::new();

/// A new mixer and surface.
fn fresh() -> State {
    let profile = parse_profile(
        include_str!("../../surfaces/serial/diy-4-fader.yaml"),
        Path::new("surfaces/serial/diy-4-fader.yaml"),
    )
    .expect("profile");
    let map = parse_map(
        include_str!("../../maps/serial-fader-board.yaml"),
        Path::new("maps/serial-fader-board.yaml"),
    )
    .expect("map");
    let mut board = SerialSurface::new(&profile, &map, ClientId(8000)).expect("board");
    let _ = board.connect(Instant::now());
    State {
        mixer: common::mixer(),
        board,
    }
}

fuzz_target!(|data: &[u8]| {
    STATE.with(fresh, |s| {
        let State { mixer, board } = s;
        let mut deframer = Deframer::default();
        let mut payload = [0u8; MAX_PAYLOAD];
        let now = Instant::now();
        for &b in data {
            if let Some(Ok(n)) = deframer.push(b, &mut payload)
                && let Ok(m) = FromBoard::parse(&payload[..n])
            {
                let _ = board.handle(&mut mixer.hub, m, now);
            }
        }
        mixer.period();
        let changed = mixer.hub.take_feedback();
        let _ = board.show(&mixer.hub, &changed, now);
        let _ = board.tick(&mixer.hub, now);
    });
});
