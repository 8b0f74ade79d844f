//! Engine benchmark: 64 stereo tracks with 2 sends each, 4 aux buses and
//! master, 48 kHz, 64-frame blocks. Reports nanoseconds per strip-sample
//! and DSP load as a percentage of the block period, steady and with every
//! fader and send moving. Run: `cargo bench --bench engine`.
//!
//! Medians over interleaved repetitions: these machines are shared.

use faderd::audio::offline::OfflineRun;
use faderd::config::parse_session;
use faderd::engine::rt::process_guarded;
use faderd::mixer::{Origin, Value};
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

fn setup(dir: &Path) -> OfflineRun {
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
    let session = parse_session(&session_yaml(), Path::new("bench.yaml")).unwrap();
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
    let mut run = setup(dir.path());
    let reps = if quick { 1 } else { REPS };
    let mut counter = 0;
    let _ = rep_engine_only(&mut run, false, &mut counter); // warm up
    let (mut steady, mut moving) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        steady.push(rep_engine_only(&mut run, false, &mut counter));
        moving.push(rep_engine_only(&mut run, true, &mut counter));
    }
    let period_s = BLOCK as f64 / RATE;
    let nodes = TRACKS + AUX + 1;
    println!(
        "faderd engine: {TRACKS} stereo tracks x 2 sends, {AUX} aux buses, master; 48 kHz, {BLOCK}-frame blocks; median of {reps} x {BLOCKS_PER_REP} blocks"
    );
    println!(
        "{:<22} {:>12} {:>22} {:>22} {:>14}",
        "case", "us/block", "ns/track-sample", "ns/strip-sample", "DSP load %"
    );
    let mut json = String::from("{");
    for (name, v) in [("steady", steady), ("all faders moving", moving)] {
        let s = median(v);
        let per_track = s * 1e9 / (TRACKS * BLOCK) as f64;
        let per_node = s * 1e9 / (nodes * BLOCK) as f64;
        let load = s / period_s * 100.0;
        println!(
            "{name:<22} {:>12.2} {per_track:>22.3} {per_node:>22.3} {load:>14.2}",
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
