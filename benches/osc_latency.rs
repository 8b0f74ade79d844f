//! OSC latency, measured on the real daemon (dummy backend, 48 kHz, 64-frame
//! periods, UDP on loopback):
//!
//! - control: from a fader packet leaving a client to the first output
//!   sample the change reaches, in samples (a probe on the audio thread
//!   finds that sample in the block that carries it);
//! - feedback: from the same packet to the feedback bundle reaching a
//!   second subscribed client, in milliseconds.
//!
//! `cargo bench --bench osc_latency`. Prints p50/p99/max and writes JSON to
//! target/tmp/bench-osc-latency.json.

use faderd::audio::AudioHooks;
use faderd::config::DaemonConfig;
use faderd::daemon::{Daemon, RunOptions};
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SESSION: &str = r#"
version: 1
name: latency
tracks:
  - { name: Probe, source: { tone: { wave: square, freq_hz: 1, level_db: -6 } } }
"#;
const RATE: f64 = 48_000.0;
const PERIOD: usize = 64;
const RUNS: usize = 300;

/// What the audio-thread probe shares with the bench: armed with the level
/// before a change, it records when the first sample moves away from it.
#[derive(Default)]
struct Probe {
    armed: AtomicBool,
    old_level: AtomicU32,
    /// Nanoseconds since `base` at which the changed sample plays.
    changed_at_ns: AtomicU64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn fader(pos: f32) -> Vec<u8> {
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/strip/1/fader".into(),
        args: vec![rosc::OscType::Float(pos)],
    }))
    .unwrap()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("faderd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sess = dir.join("latency.yaml");
    std::fs::write(&sess, SESSION).unwrap();
    let mut config = DaemonConfig::default();
    config.osc.listen = "127.0.0.1:0".parse().unwrap();
    config.audio.period_frames = Some(PERIOD);

    let base = Instant::now();
    let probe = Arc::new(Probe::default());
    let p = Arc::clone(&probe);
    let hooks = AudioHooks {
        before_period: None,
        after_period: Some(Box::new(move |engine| {
            if !p.armed.load(Ordering::Acquire) {
                return;
            }
            // Runs right after the period was processed, i.e. at (about)
            // the wall-clock time its first sample is due.
            let old = f32::from_bits(p.old_level.load(Ordering::Relaxed));
            let out = &engine.output(0)[..PERIOD];
            if let Some(i) = out.iter().position(|s| (s.abs() - old).abs() > old * 1e-4) {
                let block_start = base.elapsed().as_nanos() as u64;
                let at = block_start + (i as f64 / RATE * 1e9) as u64;
                p.changed_at_ns.store(at, Ordering::Relaxed);
                p.armed.store(false, Ordering::Release);
            }
        })),
    };
    let daemon = Daemon::start(
        RunOptions {
            session: Some(sess),
            config,
            recover: false,
        },
        hooks,
    )
    .unwrap_or_else(|f| panic!("{:#}", f.error));
    let osc = daemon.osc_addr();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let watcher = UdpSocket::bind("127.0.0.1:0").unwrap();
    watcher
        .set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    let subscribe = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/subscribe".into(),
        args: vec![],
    }))
    .unwrap();
    watcher.send_to(&subscribe, osc).unwrap();
    let mut buf = vec![0u8; 65_536];
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(300) {
        let _ = watcher.recv_from(&mut buf);
    }

    // Levels at the master's left output for the two fader positions:
    // -6 dB square, centre pan (-3 dB), fader 0 dB or -10 dB.
    let level = |db: f64| (10f64.powf((-6.0 - 3.0 + db) / 20.0)) as f32;
    let mut control_samples = Vec::new();
    let mut feedback_ms = Vec::new();
    let mut missed = 0;
    let mut jitter: u64 = 0x9e37_79b9_7f4a_7c15;
    for run in 0..RUNS {
        let (from_db, to_pos) = if run % 2 == 0 {
            (0.0, 0.5)
        } else {
            (-10.0, 0.75)
        };
        probe
            .old_level
            .store(level(from_db).to_bits(), Ordering::Relaxed);
        probe.armed.store(true, Ordering::Release);
        let sent = Instant::now();
        let sent_ns = base.elapsed().as_nanos() as u64;
        client.send_to(&fader(to_pos), osc).unwrap();
        let mut fb = None;
        let deadline = sent + Duration::from_millis(200);
        while Instant::now() < deadline && fb.is_none() {
            if let Ok((n, _)) = watcher.recv_from(&mut buf)
                && buf[..n].windows(14).any(|w| w == b"/strip/1/fader")
            {
                fb = Some(sent.elapsed());
            }
        }
        while probe.armed.load(Ordering::Acquire) && sent.elapsed() < Duration::from_millis(300) {
            std::thread::sleep(Duration::from_micros(200));
        }
        match (fb, probe.armed.load(Ordering::Acquire)) {
            (Some(fb), false) => {
                let at = probe.changed_at_ns.load(Ordering::Relaxed);
                control_samples.push(at.saturating_sub(sent_ns) as f64 * RATE / 1e9);
                feedback_ms.push(fb.as_secs_f64() * 1e3);
            }
            _ => {
                missed += 1;
                probe.armed.store(false, Ordering::Release);
            }
        }
        // Let the 10 ms ramp finish before the next change, then wait a
        // pseudo-random extra 0..20 ms so sends do not lock to the period
        // or the hub tick (real moves arrive at any phase).
        jitter = jitter
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_micros(40_000 + (jitter >> 33) % 20_000));
    }
    let stopped = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    control_samples.sort_by(f64::total_cmp);
    feedback_ms.sort_by(f64::total_cmp);
    let (c50, c99, cmax) = (
        percentile(&control_samples, 0.5),
        percentile(&control_samples, 0.99),
        *control_samples.last().unwrap(),
    );
    let (f50, f99, fmax) = (
        percentile(&feedback_ms, 0.5),
        percentile(&feedback_ms, 0.99),
        *feedback_ms.last().unwrap(),
    );
    println!(
        "osc_latency: {} runs ({missed} without a result), 48 kHz / {PERIOD}-frame periods, xruns {}",
        control_samples.len(),
        stopped.xruns
    );
    println!(
        "  packet -> first changed output sample: p50 {c50:.0} samples ({:.2} ms), p99 {c99:.0} ({:.2} ms), max {cmax:.0}",
        c50 / RATE * 1e3,
        c99 / RATE * 1e3
    );
    println!(
        "  packet -> feedback at a second client: p50 {f50:.2} ms, p99 {f99:.2} ms, max {fmax:.2} ms"
    );
    let json = format!(
        "{{\"runs\":{},\"missed\":{missed},\"period_frames\":{PERIOD},\"control_samples\":{{\"p50\":{c50:.1},\"p99\":{c99:.1},\"max\":{cmax:.1}}},\"feedback_ms\":{{\"p50\":{f50:.3},\"p99\":{f99:.3},\"max\":{fmax:.3}}}}}\n",
        control_samples.len()
    );
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("bench-osc-latency.json"), json).unwrap();
}
