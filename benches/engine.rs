//! Engine benchmark, 48 kHz, 64-frame blocks. Two mixes:
//! - basic: 64 stereo tracks with 2 sends each, 4 aux buses and master;
//! - full strips: the same 64 tracks, each with its high-pass filter,
//!   4-band EQ and compressor in, sending to a reverb bus and a delay bus;
//!   the master's true-peak limiter on.
//!
//! Reports nanoseconds per strip-sample and DSP load as a percentage of the
//! block period, steady and with every fader and send moving.
//! Run: `cargo bench --bench engine`.
//!
//! Medians over interleaved repetitions: these machines are shared.

use faderd::config::parse_session;
use faderd::engine::rt::process_guarded;
use faderd::mixer::{Origin, Value};
use faderd::render::OfflineRun;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

const TRACKS: usize = 64;
const AUX: usize = 4;
const BLOCK: usize = 64;
const RATE: f64 = 48_000.0;
const BLOCKS_PER_REP: usize = 3_000;
const REPS: usize = 15;

fn session_yaml() -> String {
    let mut y = String::from("version: 1\nname: bench\nbuses:\n");
    for a in 0..AUX {
        writeln!(y, "  - {{ name: Aux{a}, kind: aux, gain_db: -6 }}").unwrap();
    }
    y.push_str("tracks:\n");
    for t in 0..TRACKS {
        writeln!(
            y,
            "  - {{ name: T{t}, channels: stereo, source: {{ file: noise.wav, loop: true }}, gain_db: -12, pan: 0.4, \
             sends: [{{ bus: Aux{}, gain_db: -10 }}, {{ bus: Aux{}, gain_db: -14, pre: true }}] }}",
            t % AUX,
            (t + 1) % AUX
        )
        .unwrap();
    }
    y
}

/// Every track a full channel strip; a reverb and a delay return.
fn full_session_yaml() -> String {
    let mut y = String::from(
        "version: 1\nname: bench-full\nbuses:\n  \
         - { name: Rev, kind: aux, gain_db: -6, reverb: { size: 1.2, decay: 2.0, predelay: 20, damping: 0.4 } }\n  \
         - { name: Dly, kind: aux, gain_db: -9, delay: { sync: 1/8d, feedback: 0.4, ping_pong: true } }\n\
         master: { limiter: { ceiling: -1 } }\ntracks:\n",
    );
    for t in 0..TRACKS {
        writeln!(
            y,
            "  - {{ name: T{t}, channels: stereo, source: {{ file: noise.wav, loop: true }}, gain_db: -12, pan: 0.4, \
             eq: {{ hpf: {{ freq: 80, slope: 18 }}, bands: [{{ type: low_shelf, freq: 150, gain: -2 }}, {{ type: peak, freq: 500, gain: -3, q: 1.5 }}, \
             {{ type: peak, freq: 3000, gain: 2, q: 1 }}, {{ type: high_shelf, freq: 9000, gain: 1.5 }}] }}, \
             comp: {{ threshold: -24, ratio: 3, knee: 6, attack: 5, release: 120, detect: rms }}, \
             sends: [{{ bus: Rev, gain_db: -10 }}, {{ bus: Dly, gain_db: -14 }}] }}"
        )
        .unwrap();
    }
    y
}

fn setup(dir: &Path, yaml: &str) -> OfflineRun {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(dir.join("noise.wav"), spec).unwrap();
    let mut x: u32 = 1;
    for _ in 0..2 * 48_000 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        w.write_sample((x >> 8) as f32 / (1 << 24) as f32 - 0.5)
            .unwrap();
    }
    w.finalize().unwrap();
    let session = parse_session(yaml, Path::new("bench.yaml")).unwrap();
    let clips = faderd::media::load_clips(&session, dir).unwrap();
    OfflineRun::new(session, clips, BLOCK).unwrap()
}

/// Seconds of engine time per block (hub work excluded).
fn rep_engine_only(run: &mut OfflineRun, moving: bool, counter: &mut u64) -> f64 {
    let mut engine_s = 0.0;
    for b in 0..BLOCKS_PER_REP {
        if moving {
            *counter += 1;
            let v = 0.5 + 0.25 * ((*counter % 7) as f64 / 7.0);
            for t in 1..=TRACKS {
                let _ =
                    run.hub
                        .apply_str(Origin::Daemon, &format!("strip/{t}/fader"), Value::Float(v));
                let _ = run.hub.apply_str(
                    Origin::Daemon,
                    &format!("strip/{t}/send/1/fader"),
                    Value::Float(v),
                );
            }
            run.hub.take_feedback();
            if b % 16 == 0 {
                run.hub.service();
            }
        }
        let t = Instant::now();
        process_guarded(&mut run.engine, BLOCK);
        engine_s += t.elapsed().as_secs_f64();
    }
    engine_s / BLOCKS_PER_REP as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // we care about. Either way run the benchmark, quickly under test.
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let dir = tempfile::tempdir().unwrap();
    let mut basic = setup(dir.path(), &session_yaml());
    let mut full = setup(dir.path(), &full_session_yaml());
    let reps = if quick { 1 } else { REPS };
    let mut counter = 0;
    let _ = rep_engine_only(&mut basic, false, &mut counter); // warm up
    let _ = rep_engine_only(&mut full, false, &mut counter);
    let mut results: [Vec<f64>; 4] = Default::default();
    for _ in 0..reps {
        // Interleaved, so a noisy neighbour hits every case alike.
        results[0].push(rep_engine_only(&mut basic, false, &mut counter));
        results[1].push(rep_engine_only(&mut basic, true, &mut counter));
        results[2].push(rep_engine_only(&mut full, false, &mut counter));
        results[3].push(rep_engine_only(&mut full, true, &mut counter));
    }
    let period_s = BLOCK as f64 / RATE;
    println!(
        "faderd engine: {TRACKS} stereo tracks; 48 kHz, {BLOCK}-frame blocks; median of {reps} x {BLOCKS_PER_REP} blocks"
    );
    println!("  basic: 2 sends per track, {AUX} aux buses, master");
    println!(
        "  full strips: HPF 18 dB/oct + 4-band EQ + RMS compressor per track, 2 sends to a reverb bus and a delay bus, master limiter"
    );
    println!(
        "{:<30} {:>10} {:>16} {:>16} {:>11}",
        "case", "us/block", "ns/track-sample", "ns/strip-sample", "DSP load %"
    );
    let mut json = String::from("{");
    let [a, b, c, d] = results;
    for (name, v, nodes) in [
        ("basic, steady", a, TRACKS + AUX + 1),
        ("basic, all faders moving", b, TRACKS + AUX + 1),
        ("full strips, steady", c, TRACKS + 2 + 1),
        ("full strips, all faders moving", d, TRACKS + 2 + 1),
    ] {
        let s = median(v);
        let per_track = s * 1e9 / (TRACKS * BLOCK) as f64;
        let per_node = s * 1e9 / (nodes * BLOCK) as f64;
        let load = s / period_s * 100.0;
        println!(
            "{name:<30} {:>10.2} {per_track:>16.3} {per_node:>16.3} {load:>11.2}",
            s * 1e6
        );
        write!(json, "\"{name}\":{{\"us_per_block\":{:.3},\"ns_per_track_sample\":{per_track:.4},\"ns_per_strip_sample\":{per_node:.4},\"dsp_load_pct\":{load:.3}}},", s * 1e6).unwrap();
    }
    json.pop();
    json.push('}');
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-engine.json");
    if std::fs::write(&out, &json).is_ok() {
        println!("results: {}", out.display());
    }
}
