//! The audio callback allocates and frees nothing: every command kind, graph
//! swaps (including more than the retire queue holds) and a random command
//! storm, all counted by a global allocator that watches the engine's calls.
use crate::common::alloc::counted as in_rt;
use faderd::config::parse_session;
use faderd::engine::rt::process_guarded;
use faderd::media::load_clips;
use faderd::mixer::{Origin, Value};
use faderd::render::OfflineRun;
use std::path::Path;

const SESSION: &str = r#"
version: 1
name: rt
buses:
  - { name: G, kind: group, sends: [{ bus: R, gain_db: -10 }] }
  - { name: G2, kind: group }
  - { name: R, kind: aux, reverb: { decay: 3 } }
  - { name: E, kind: aux, delay: { sync: 1/8d, feedback: 0.7, ping_pong: true } }
tracks:
  - { name: A, source: { tone: { wave: pink, level_db: -6 } }, output: G, sends: [{ bus: R, gain_db: -6, pre: true }],
      automation: read, lanes: { gain: { points: [[0, -20], [0.1, 0], [0.2, -.inf]] }, send/1/gain: { points: [[0, -6], [1, 0]] }, trim: { points: [[0, 0], [0.05, 6]] },
        eq/2/gain: { points: [[0, -12], [0.2, 12]] }, hpf/freq: { points: [[0, 30], [0.3, 400]] }, comp/threshold: { points: [[0, 0], [0.1, -40]] } },
      eq: { hpf: { on: true }, bands: [{}, { type: peak, freq: 900, gain: 0 }] }, comp: { threshold: -10 } }
  - { name: B, channels: stereo, source: { file: b.wav, loop: true }, sends: [{ bus: R, gain_db: -6 }],
      automation: touch, lanes: { pan: { points: [[0, 0], [0.1, 1]] }, mute: { points: [[0, 0], [0.05, 1], [0.07, 0]] } } }
  - { name: C, source: { input: 1 }, insert: { output: 3, input: 2, wet: 0.7, latency: { 64: 100 } } }
  - { name: D, source: { tone: { wave: saw, freq_hz: 90, level_db: -12, pulse: { bpm: 100, decay_ms: 50 } } }, sends: [{ bus: E, gain_db: 0 }] }
"#;

fn setup(block: usize) -> OfflineRun {
    let dir = tempfile::tempdir().unwrap();
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(dir.path().join("b.wav"), spec).unwrap();
    for i in 0..2_000 {
        w.write_sample((i as f32 * 0.01).sin()).unwrap();
        w.write_sample((i as f32 * 0.02).cos()).unwrap();
    }
    w.finalize().unwrap();
    let session = parse_session(SESSION, Path::new("rt.yaml")).unwrap();
    let clips = load_clips(&session, dir.path()).unwrap();
    OfflineRun::new(session, clips, block).unwrap()
}

/// Every address kind the hub forwards to the engine.
fn every_command_kind() -> Vec<(&'static str, Value)> {
    vec![
        ("strip/1/fader", Value::Float(0.5)),
        ("strip/1/gain", Value::Float(-20.0)),
        ("strip/2/trim", Value::Float(6.0)),
        ("strip/2/polarity", Value::Bool(true)),
        ("strip/3/pan", Value::Float(0.1)),
        ("strip/4/mute", Value::Bool(true)),
        ("strip/1/solo", Value::Bool(true)),
        ("strip/4/solo_safe", Value::Bool(true)),
        ("strip/1/send/1/fader", Value::Float(0.3)),
        ("strip/2/send/1/gain", Value::Float(3.0)),
        ("strip/2/send/1/pan", Value::Float(0.9)),
        ("strip/1/send/1/pre", Value::Bool(false)),
        ("bus/1/send/1/gain", Value::Float(-3.0)),
        ("bus/3/fader", Value::Float(0.6)),
        ("master/gain", Value::Float(-1.0)),
        ("master/mute", Value::Bool(false)),
        ("strip/3/insert/wet", Value::Float(0.4)),
        ("strip/3/insert/bypass", Value::Bool(true)),
        // New compensation delays: a rebuilt graph.
        ("strip/3/insert/latency", Value::Float(250.0)),
        ("strip/1/solo", Value::Bool(false)),
        // A routing change: a new graph is built here and swapped in there.
        ("strip/3/output", Value::Text("G2".into())),
        ("strip/3/output", Value::Text("master".into())),
        // Filter and EQ: glides, kinds, switches.
        ("strip/1/hpf/on", Value::Bool(true)),
        ("strip/1/hpf/slope", Value::Float(18.0)),
        ("strip/1/hpf/freq", Value::Float(150.0)),
        ("strip/2/eq/2/gain", Value::Float(9.0)),
        ("strip/2/eq/2/freq", Value::Float(2500.0)),
        ("strip/2/eq/3/type", Value::Text("notch".into())),
        ("strip/2/eq/on", Value::Bool(false)),
        ("master/eq/4/q", Value::Float(3.0)),
        // Dynamics: on, retuned, detector and order switched.
        ("strip/1/comp/on", Value::Bool(true)),
        ("strip/1/comp/threshold", Value::Float(-40.0)),
        ("strip/1/comp/detect", Value::Text("rms".into())),
        ("strip/1/comp/sc_hpf", Value::Float(120.0)),
        ("strip/2/gate/on", Value::Bool(true)),
        ("strip/2/gate/threshold", Value::Float(-20.0)),
        ("strip/2/order", Value::Text("dyn_eq".into())),
        ("bus/1/comp/on", Value::Bool(true)),
        ("master/limiter/on", Value::Bool(true)),
        ("master/limiter/ceiling", Value::Float(-20.0)),
        ("master/limiter/release", Value::Float(30.0)),
        ("bus/3/reverb/size", Value::Float(0.4)),
        ("bus/3/reverb/decay", Value::Float(9.0)),
        ("bus/3/reverb/damping", Value::Float(0.9)),
        ("bus/4/delay/time", Value::Float(80.0)),
        ("bus/4/delay/sync", Value::Text("off".into())),
        ("bus/4/delay/lpf", Value::Float(900.0)),
        // What lanes play: trim multiplies, off is live, read is the lane.
        ("strip/1/automation", Value::Text("trim".into())),
        ("strip/1/fader", Value::Float(0.8)),
        ("strip/2/automation", Value::Text("off".into())),
        ("strip/2/automation", Value::Text("read".into())),
        ("strip/1/automation", Value::Text("read".into())),
    ]
}

#[test]
fn processing_every_command_kind_allocates_nothing() {
    let mut run = setup(64);
    // Warm up: the first blocks touch nothing lazily allocated, but be fair.
    in_rt(|| process_guarded(&mut run.engine, 64));
    for (addr, value) in every_command_kind() {
        run.hub.apply_str(Origin::Daemon, addr, value).unwrap();
        let (ok, allocs, frees) = in_rt(|| process_guarded(&mut run.engine, 64));
        assert!(ok);
        assert_eq!(
            (allocs, frees),
            (0, 0),
            "{addr}: {allocs} allocations, {frees} frees in the callback"
        );
        run.hub.service();
    }
    // Keep ramping through many blocks.
    let (_, allocs, frees) = in_rt(|| {
        for _ in 0..100 {
            process_guarded(&mut run.engine, 64);
        }
    });
    assert_eq!((allocs, frees), (0, 0));
    assert_eq!(run.hub.engine_bad_commands(), 0);
}

#[test]
fn automation_passes_and_lane_swaps_allocate_nothing() {
    let mut run = setup(64);
    run.hub
        .apply_str(
            Origin::Daemon,
            "strip/2/automation",
            Value::Text("touch".into()),
        )
        .unwrap();
    let surface = Origin::Client(faderd::mixer::ClientId(5));
    let pan = faderd::mixer::Address::parse("strip/2/pan").unwrap();
    let mut total = (0, 0);
    let mut count = |run: &mut OfflineRun, blocks: usize| {
        let (_, a, f) = in_rt(|| {
            for _ in 0..blocks {
                process_guarded(&mut run.engine, 64);
            }
        });
        total.0 += a;
        total.1 += f;
        run.hub.service();
    };
    count(&mut run, 10);
    let key = (
        faderd::mixer::StripRef::Track(1),
        faderd::model::LaneParam::Pan,
    );
    let before = run.hub.lane(key.0, key.1).cloned();
    // Touch passes: each release writes the lane and swaps a new lane set
    // in; the old one goes back to the hub.
    for pass in 0..5 {
        run.hub.touch(surface, pan, true).unwrap();
        for k in 0..20 {
            run.hub
                .apply(surface, pan, Value::Float(f64::from(k) / 20.0))
                .unwrap();
            count(&mut run, 3);
        }
        run.hub.touch(surface, pan, false).unwrap();
        count(&mut run, 30);
        assert_ne!(
            run.hub.lane(key.0, key.1).cloned(),
            before,
            "pass {pass} wrote nothing"
        );
    }
    run.hub.transport(faderd::mixer::TransportCmd::Stop);
    count(&mut run, 10);
    assert_eq!(run.hub.undo_automation(), Ok(1));
    count(&mut run, 10);
    assert_eq!(total, (0, 0), "allocations and frees in the callback");
    assert_eq!(run.hub.engine_bad_commands(), 0);
}

#[test]
fn the_counter_sees_an_allocation() {
    let (_, allocs, frees) = in_rt(|| drop(std::hint::black_box(vec![1u8; 16])));
    assert_eq!((allocs, frees), (1, 1));
}

#[test]
fn swaps_beyond_the_retire_queue_wait_and_never_free_on_the_audio_thread() {
    let mut run = setup(64);
    // Twenty re-routes without the hub freeing retired graphs: the hub
    // keeps at most the retire queue's capacity in flight, the engine never
    // drops a graph itself.
    for k in 0..20 {
        let target = if k % 2 == 0 { "G2" } else { "master" };
        run.hub
            .apply_str(Origin::Daemon, "strip/3/output", Value::Text(target.into()))
            .unwrap();
        let (_, allocs, frees) = in_rt(|| process_guarded(&mut run.engine, 64));
        assert_eq!((allocs, frees), (0, 0), "swap {k}");
    }
    run.hub.service();
    let (_, allocs, frees) = in_rt(|| process_guarded(&mut run.engine, 64));
    assert_eq!((allocs, frees), (0, 0));
}

#[test]
fn a_random_storm_allocates_nothing_and_stays_finite() {
    let mut run = setup(256);
    let kinds = every_command_kind();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut worst = 0.0f32;
    for round in 0..2_000 {
        // A burst of commands of random kinds with random values, some
        // out of range.
        for _ in 0..(rand() % 40) {
            let (addr, value) = &kinds[(rand() % kinds.len() as u64) as usize];
            let value = match value {
                Value::Float(_) => Value::Float((rand() % 4000) as f64 / 100.0 - 20.0),
                Value::Bool(_) => Value::Bool(rand() % 2 == 0),
                other => other.clone(),
            };
            // Some timed for a frame in this block, the next, or past
            // (a surface's timestamped messages).
            let at = match rand() % 4 {
                0 => None,
                k => Some(
                    (run.engine.position_frames() + rand() % 300).saturating_sub(100 * (k - 1)),
                ),
            };
            let _ = run
                .hub
                .at_frame(at, |hub| hub.apply_str(Origin::Daemon, addr, value));
        }
        if round % 7 == 0 {
            run.hub.service();
        }
        let frames = 1 + (rand() % 256) as usize;
        let (ok, allocs, frees) = in_rt(|| process_guarded(&mut run.engine, frames));
        assert!(ok, "round {round}: engine fault");
        assert_eq!((allocs, frees), (0, 0), "round {round}");
        for ch in 0..2 {
            for s in &run.engine.output(ch)[..frames] {
                assert!(s.is_finite(), "round {round}: non-finite sample");
                assert!(
                    *s == 0.0 || s.abs() >= f32::MIN_POSITIVE,
                    "round {round}: subnormal {s:e}"
                );
                worst = worst.max(s.abs());
            }
        }
    }
    assert!(worst > 0.0, "the storm produced sound");
    assert_eq!(run.hub.engine_bad_commands(), 0);
}

#[test]
fn a_latency_measurement_allocates_nothing_from_start_to_result() {
    let mut run = setup(64);
    in_rt(|| process_guarded(&mut run.engine, 64));
    run.hub
        .apply_str(Origin::Daemon, "strip/3/insert/measure", Value::Float(1.0))
        .unwrap();
    let (mut allocs, mut frees, mut blocks) = (0, 0, 0);
    while run.hub.measure_progress().is_some() {
        let (ok, a, f) = in_rt(|| process_guarded(&mut run.engine, 64));
        assert!(ok);
        allocs += a;
        frees += f;
        blocks += 1;
        run.hub.service();
        assert!(blocks < 10_000, "the measurement never finished");
    }
    assert_eq!((allocs, frees), (0, 0), "over {blocks} blocks");
    // Offline there is no loop: it says so.
    let report = run
        .hub
        .get(faderd::mixer::Address::parse("strip/3/insert/measure").unwrap())
        .unwrap();
    assert!(
        matches!(&report, Value::Text(t) if t.contains("no signal came back")),
        "{report:?}"
    );
}
