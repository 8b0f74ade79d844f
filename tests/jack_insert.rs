//! Hardware inserts over JACK, with a delay client standing in for the
//! outboard unit (a known delay of D samples):
//! - `faderd latency` finds the loop's round trip and reports the unit's
//!   share exactly: D, on top of the one period any loop costs (the return
//!   is read in the cycle after the send); the total is what gets
//!   compensated;
//! - `/strip/N/insert/measure` from OSC measures the insert on a running
//!   mix, stores the result per period size and compensates it, so the
//!   insert's return is sample-aligned with a dry copy: a null test against
//!   the dry track falls below -90 dBFS (it does not before), and stays
//!   there with the insert bypassed;
//! - a loop that returns nothing says so and exits 2.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, jackd_available};
use common::{faderd, liblo_tools_available, osc_subscriber, oscsend, run_session, terminate};
use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, ProcessScope};

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The outboard unit's own delay.
const D: usize = 100;
/// The server's period: the loop through another client adds one.
const PERIOD: usize = 64;

const SESSION: &str = r#"
version: 1
name: jack-insert
tracks:
  - { name: Dry, source: { input: 1 } }
  - { name: Wet, source: { input: 2 }, invert: true, insert: { output: 3, input: 3 } }
"#;

const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-insert, connect: none }
"#;

/// Delays its input by `D` samples.
struct Outboard {
    inp: jack::Port<AudioIn>,
    out: jack::Port<AudioOut>,
    ring: Vec<f32>,
    at: usize,
}

impl jack::ProcessHandler for Outboard {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let (inp, out) = (self.inp.as_slice(ps), self.out.as_mut_slice(ps));
        for (x, y) in inp.iter().zip(out.iter_mut()) {
            *y = self.ring[self.at];
            self.ring[self.at] = *x;
            self.at = (self.at + 1) % D;
        }
        Control::Continue
    }
}

/// Plays noise on `out`, keeps the peak seen on `in` since the last reset.
struct NoiseProbe {
    out: jack::Port<AudioOut>,
    inp: jack::Port<AudioIn>,
    x: u32,
    peak: Arc<AtomicU32>,
}

impl jack::ProcessHandler for NoiseProbe {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        for v in self.out.as_mut_slice(ps) {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 17;
            self.x ^= self.x << 5;
            *v = (self.x as f32 / u32::MAX as f32 - 0.5) * 0.5;
        }
        let peak = self
            .inp
            .as_slice(ps)
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        // Positive floats order like their bits.
        self.peak.fetch_max(peak.to_bits(), Ordering::Relaxed);
        Control::Continue
    }
}

/// The quietest of three consecutive windows' peaks after `settle`: a
/// period the server drops under load (an xrun) breaks a null for a moment
/// and spoils only the window it falls in.
fn peak_over(peak: &AtomicU32, settle: Duration, window: Duration) -> f32 {
    std::thread::sleep(settle);
    (0..3)
        .map(|_| {
            peak.store(0, Ordering::Relaxed);
            std::thread::sleep(window / 3);
            f32::from_bits(peak.load(Ordering::Relaxed))
        })
        .fold(f32::INFINITY, f32::min)
}

/// `faderd latency ...`: (exit code, stdout, stderr).
fn latency_cmd(args: &[&str]) -> (Option<i32>, String, String) {
    let out = faderd()
        .arg("latency")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn insert_latency_is_measured_and_compensated_to_a_null() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("insert");

    let (c, _) = Client::new("outboard", ClientOptions::NO_START_SERVER).unwrap();
    let outboard = Outboard {
        inp: c.register_port("in", AudioIn::default()).unwrap(),
        out: c.register_port("out", AudioOut::default()).unwrap(),
        ring: vec![0.0; D],
        at: 0,
    };
    let outboard = c.activate_async((), outboard).unwrap();

    // 1. The command-line measurement of the bare loop.
    let (code, out, err) = latency_cmd(&[
        "--out",
        "1",
        "--in",
        "1",
        "--to",
        "outboard:in",
        "--from",
        "outboard:out",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let frames: usize = out
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no frame count in: {out}"));
    assert_eq!(
        frames,
        D + PERIOD,
        "round trip = the unit's {D} + one {PERIOD}-frame JACK cycle: {out}"
    );
    assert!(out.contains("at 64-frame periods"), "{out}");
    // The loop's own share, as the unit delays it.
    assert!(
        out.contains(&format!("= one 64-frame cycle + {D} through the loop")),
        "{out}"
    );

    // 2. A loop that brings nothing back (the dummy capture is silent).
    let (code, _, err) = latency_cmd(&[
        "--out",
        "1",
        "--in",
        "1",
        "--to",
        "outboard:in",
        "--from",
        "system:capture_1",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no signal came back"), "{err}");

    // 3. The insert in a running mix, measured from OSC.
    let run = run_session(SESSION, CONFIG);
    let (sess, mut daemon) = (run.session.clone(), run.child);
    let osc = run.osc;

    let (c, _) = Client::new("noise", ClientOptions::NO_START_SERVER).unwrap();
    let peak = Arc::new(AtomicU32::new(0));
    let probe = NoiseProbe {
        out: c.register_port("out", AudioOut::default()).unwrap(),
        inp: c.register_port("in", AudioIn::default()).unwrap(),
        x: 0x1234_5678,
        peak: Arc::clone(&peak),
    };
    let probe = c.activate_async((), probe).unwrap();
    let pc = probe.as_client();
    for (a, b) in [
        ("noise:out", "fd-insert:Dry in"),
        ("noise:out", "fd-insert:Wet in"),
        ("fd-insert:Wet insert send", "outboard:in"),
        ("outboard:out", "fd-insert:Wet insert return"),
        ("fd-insert:Master out L", "noise:in"),
    ] {
        pc.connect_ports_by_name(a, b)
            .unwrap_or_else(|e| panic!("{a} -> {b}: {e}"));
    }

    // Uncompensated, the inverted return does not cancel the dry track.
    let before = peak_over(
        &peak,
        Duration::from_millis(300),
        Duration::from_millis(300),
    );
    assert!(
        before > 0.05,
        "without compensation the null should fail: {before}"
    );

    let (_dump, lines) = osc_subscriber(osc, 19_417);
    oscsend(osc, &["/strip/2/insert/measure", "i", "1"]);
    // Feedback: the state dump, "measuring", then the new latency and the
    // result line.
    let mut seen = Vec::new();
    let t0 = Instant::now();
    let report = loop {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no measurement result:\n{}",
            seen.join("\n")
        );
        let Ok(l) = lines.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        seen.push(l.clone());
        if l.contains("/strip/2/insert/measure") && l.contains("frames") {
            break l;
        }
    };
    assert!(report.contains("164 frames"), "{report}");
    let latency = seen
        .iter()
        .rev()
        .find(|l| l.contains("/strip/2/insert/latency"))
        .unwrap_or_else(|| panic!("no latency feedback:\n{}", seen.join("\n")));
    let measured: f64 = latency
        .split_whitespace()
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{latency}"));
    assert_eq!(measured as usize, D + PERIOD, "{latency}");

    let after = peak_over(
        &peak,
        Duration::from_millis(500),
        Duration::from_millis(500),
    );
    let after_db = 20.0 * f64::from(after.max(1e-12)).log10();
    eprintln!(
        "null residual: uncompensated peak {before:.3}, compensated {after_db:.1} dBFS (peak {after:e})"
    );
    assert!(
        after_db < -90.0,
        "compensated null residual {after_db:.1} dBFS (peak {after})"
    );

    // Bypass keeps the latency: the dry signal through the bypassed strip
    // still lines up.
    oscsend(osc, &["/strip/2/insert/bypass", "i", "1"]);
    let bypassed = peak_over(
        &peak,
        Duration::from_millis(300),
        Duration::from_millis(300),
    );
    assert!(
        20.0 * f64::from(bypassed.max(1e-12)).log10() < -90.0,
        "bypassed null residual {bypassed}"
    );

    let st = terminate(&mut daemon.0);
    assert!(st.success(), "{st:?}");
    let saved = faderd::config::load_session(&sess).unwrap();
    let ins = saved.tracks[1].controls.insert.as_ref().unwrap();
    assert_eq!(ins.latency.get(&64), Some(&((D + PERIOD) as u32)));
    assert!(ins.bypass);
    drop(probe);
    drop(outboard);
    drop(server);
}
