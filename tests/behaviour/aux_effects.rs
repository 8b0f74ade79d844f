//! Aux-bus effects heard through the whole engine: a track sends a short
//! burst to a delay or reverb bus, and the master output carries the
//! echoes at the set (or tempo-synced) time, falling by the feedback, or a
//! reverb tail with the set decay time; live changes take effect.

use crate::common;
use common::*;
use faderd::config::parse_session;
use faderd::engine::Engine;
use faderd::media::load_clips;
use faderd::mixer::{Address, Origin, Value};
use faderd::render::{OfflineRun, ScheduledChange};
use std::path::Path;

const RATE: u32 = 48_000;
/// A 2 ms, 1 kHz Hann-windowed burst: band-limited, so the delay's open
/// feedback filters leave it alone.
const BURST: usize = 96;

fn with_bursts(at: &[usize], len: usize) -> Vec<f32> {
    let mut x = vec![0.0; len];
    for &start in at {
        for i in 0..BURST {
            let t = i as f32 / BURST as f32;
            let w = 0.5 - 0.5 * (t * std::f32::consts::TAU).cos();
            x[start + i] = 0.5 * w * (i as f32 * 1000.0 * std::f32::consts::TAU / 48_000.0).sin();
        }
    }
    x
}

fn run(yaml: &str, dir: &Path, frames: u64, changes: &[ScheduledChange]) -> (OfflineRun, Vec<f32>) {
    let session = parse_session(yaml, Path::new("fx.yaml")).unwrap();
    let clips = load_clips(&session, dir).unwrap();
    let mut run = OfflineRun::new(session, clips, 64).unwrap();
    let mut l = Vec::new();
    run.run(frames, &mut changes.iter().peekable(), |e: &Engine, n| {
        l.extend_from_slice(&e.output(0)[..n]);
        Ok::<(), ()>(())
    })
    .unwrap();
    (run, l)
}

/// Energy of `x` in a window starting at `at`.
fn energy(x: &[f32], at: usize, len: usize) -> f32 {
    x[at..at + len].iter().map(|v| v * v).sum()
}

/// First sample at `from` or later whose magnitude exceeds `level`.
fn onset(x: &[f32], from: usize, level: f32) -> usize {
    from + x[from..].iter().position(|v| v.abs() > level).unwrap()
}

#[test]
fn echoes_follow_the_tempo_then_a_new_time_and_fall_by_the_feedback() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(
        &dir.path().join("burst.wav"),
        RATE,
        &[with_bursts(&[0, 96_000], 192_000)],
    );
    // The dry track is off; only its pre-fader send reaches the bus.
    let yaml = r#"
version: 1
name: delay
tempo_bpm: 150
buses:
  - { name: Dly, kind: aux, delay: { sync: 1/4, feedback: 0.5, hpf: 20, lpf: 20000 } }
tracks:
  - { name: Click, source: { file: burst.wav }, gain_db: -.inf, sends: [{ bus: Dly, gain_db: 0, pre: true }] }
"#;
    // After the first burst's echoes: back to free time, 100 ms.
    let changes = [
        ScheduledChange {
            frame: 90_000,
            address: Address::parse("bus/1/delay/sync").unwrap(),
            value: Value::Text("off".into()),
        },
        ScheduledChange {
            frame: 90_000,
            address: Address::parse("bus/1/delay/time").unwrap(),
            value: Value::Float(100.0),
        },
    ];
    let (_, l) = run(yaml, dir.path(), 150_000, &changes);
    // A quarter note at 150 bpm is 400 ms: 19 200 samples.
    let first = onset(&l, 0, 1e-4);
    assert!((first as i64 - 19_200).abs() <= 2, "first echo at {first}");
    let e1 = energy(&l, 19_200 - 100, 400);
    let e2 = energy(&l, 38_400 - 100, 400);
    let e3 = energy(&l, 57_600 - 100, 400);
    println!("repeat energies {e1} {e2} {e3}");
    // Energy falls by the feedback squared per repeat.
    assert!((e2 / e1 - 0.25).abs() < 0.02 && (e3 / e2 - 0.25).abs() < 0.02);
    // The change crossfades to the new time (20 ms) well before the second
    // burst at 2 s; its first echo comes 100 ms after it.
    let second = onset(&l, 96_000 + BURST, 1e-3);
    assert!(
        (second as i64 - (96_000 + 4_800)).abs() <= 3,
        "echo at {second}"
    );
}

/// RT60 from the Schroeder backward integral, fitted from -5 to -35 dB.
fn rt60(x: &[f32]) -> f64 {
    let mut e: Vec<f64> = x.iter().map(|v| f64::from(*v).powi(2)).collect();
    for i in (0..e.len() - 1).rev() {
        e[i] += e[i + 1];
    }
    let total = e[0];
    let t = |db: f64| {
        e.iter()
            .position(|v| 10.0 * (v / total).log10() <= db)
            .unwrap() as f64
    };
    (t(-35.0) - t(-5.0)) / f64::from(RATE) * 2.0
}

#[test]
fn a_reverb_bus_decays_at_its_time_after_its_predelay() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(
        &dir.path().join("burst.wav"),
        RATE,
        &[with_bursts(&[0], 144_000)],
    );
    let yaml = r#"
version: 1
name: reverb
buses:
  - { name: Rev, kind: aux, reverb: { decay: 1.5, predelay: 30, damping: 0, size: 1.2 } }
tracks:
  - { name: Click, source: { file: burst.wav }, gain_db: -.inf, sends: [{ bus: Rev, gain_db: 0, pre: true }] }
"#;
    let (mut run, l) = run(yaml, dir.path(), 144_000, &[]);
    assert!(
        l[..1_440].iter().all(|v| *v == 0.0),
        "nothing before the pre-delay"
    );
    let measured = rt60(&l);
    println!("RT60 {measured:.3} s (set 1.5 s)");
    assert!((measured / 1.5 - 1.0).abs() < 0.1);

    // Switch the bus to a delay: the graph is rebuilt with one, and its
    // controls replace the reverb's.
    run.hub
        .apply(
            Origin::Daemon,
            Address::parse("bus/1/fx").unwrap(),
            Value::Text("delay".into()),
        )
        .unwrap();
    assert_eq!(
        run.hub.get(Address::parse("bus/1/fx").unwrap()),
        Ok(Value::Text("delay".into()))
    );
    assert!(
        run.hub
            .get(Address::parse("bus/1/reverb/decay").unwrap())
            .is_err()
    );
    assert_eq!(
        run.hub.get(Address::parse("bus/1/delay/sync").unwrap()),
        Ok(Value::Text("off".into()))
    );
    // A group bus or a track has no effect.
    assert!(run.hub.get(Address::parse("strip/1/fx").unwrap()).is_err());
}
