//! The hub's cost per surface move, on the control thread alone (the
//! engine's time is left out): eight clients riding faders and sends in
//! turn on a 64-track session with four sends, an EQ and a compressor
//! per track, transport stopped. Two sessions: without automation, and
//! with an evening of it (an 8,000-point gain lane and pan lane on every
//! track, touch mode), where a hub that copies a strip's state per move
//! pays for its lanes.
//!
//!     cargo bench --bench hub
//!
//! Prints the median nanoseconds per move over interleaved repetitions
//! and writes JSON to target/tmp/bench-hub.json.

mod support;

use faderd::config::parse_session;
use faderd::engine::EngineConfig;
use faderd::mixer::{Address, ClientId, Hub, Origin, Value};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;
use support::console_session;

const TRACKS: usize = 64;
const BUSES: usize = 4;
const CLIENTS: u32 = 8;
const MOVES_PER_REP: usize = 50_000;
const REPS: usize = 9;
const LANE_POINTS: usize = 8_000;

fn session(lanes: bool) -> String {
    console_session(TRACKS, BUSES, lanes.then_some(("touch", LANE_POINTS, 0.5)))
}

fn hub_for(yaml: &str) -> (Hub, faderd::engine::Engine) {
    let session = parse_session(yaml, Path::new("hub-bench.yaml")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 2,
        outputs: 2,
    };
    Hub::new(session, Default::default(), cfg).unwrap()
}

/// Nanoseconds of hub time per move: applying it, and every eighth move
/// taking the feedback and servicing the hub (as the daemon's loop does).
fn rep(
    hub: &mut Hub,
    engine: &mut faderd::engine::Engine,
    addresses: &[Address],
    step: &mut u64,
) -> f64 {
    let mut hub_s = 0.0;
    for m in 0..MOVES_PER_REP {
        *step += 1;
        let address = addresses[m % addresses.len()];
        let origin = Origin::Client(ClientId(m as u32 % CLIENTS));
        let value = Value::Float(0.2 + 0.6 * ((*step * 37) % 1000) as f64 / 1000.0);
        let t = Instant::now();
        let _ = hub.apply(origin, address, value);
        if m % 8 == 7 {
            std::hint::black_box(hub.take_feedback());
            hub.service();
        }
        hub_s += t.elapsed().as_secs_f64();
        if m % 64 == 63 {
            // The engine takes its commands (not timed).
            engine.process(64);
        }
    }
    hub_s * 1e9 / MOVES_PER_REP as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let reps = if quick { 1 } else { REPS };
    // Faders and send levels of every track, in turn.
    let addresses: Vec<Address> = (1..=TRACKS)
        .flat_map(|t| {
            [
                format!("strip/{t}/fader"),
                format!("strip/{t}/send/2/fader"),
            ]
        })
        .map(|a| Address::parse(&a).unwrap())
        .collect();
    let mut plain = hub_for(&session(false));
    let mut lanes = hub_for(&session(true));
    let mut step = 0;
    let mut results: [Vec<f64>; 2] = Default::default();
    for _ in 0..reps {
        results[0].push(rep(&mut plain.0, &mut plain.1, &addresses, &mut step));
        results[1].push(rep(&mut lanes.0, &mut lanes.1, &addresses, &mut step));
    }
    println!(
        "faderd hub: {TRACKS} tracks x {BUSES} sends, EQ and compressor each; {CLIENTS} clients moving faders and sends; median of {reps} x {MOVES_PER_REP} moves"
    );
    let mut json = String::from("{");
    for (name, v) in [
        ("no automation", &results[0]),
        ("8k-point gain and pan lanes per track", &results[1]),
    ] {
        let ns = median(v.clone());
        println!("{name:<42} {ns:>10.0} ns/move");
        write!(json, "\"{name}\":{{\"ns_per_move\":{ns:.1}}},").unwrap();
    }
    json.pop();
    json.push('}');
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-hub.json");
    if std::fs::write(&out, &json).is_ok() {
        println!("results: {}", out.display());
    }
}
