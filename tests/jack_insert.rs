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
//!   there with the insert bypassed. A window in which the server reports
//!   an xrun is set aside (a dropped period breaks any null for a moment;
//!   a virtual machine's timer makes them often), every other one must
//!   null;
//! - a loop that returns nothing says so and exits 2.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
#[path = "../benches/support/midi_probe.rs"]
#[allow(dead_code)]
mod midi_probe;
use common::jack::{JackServer, jackd_available};
use common::{faderd, liblo_tools_available, osc_subscriber, oscsend, run_session, terminate};
use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, ProcessScope};

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
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

/// What the noise probe heard over a run of short windows.
struct Heard {
    /// The loudest peak among the windows no xrun touched (`None`: every
    /// window had one).
    clean_peak: Option<f32>,
    /// The quietest peak of any window.
    quietest: f32,
    clean: usize,
    spoiled: usize,
}

/// Listen over `windows` windows of `each` after `settle`. A window in which
/// the server reported an xrun (or just after it: the report comes from
/// another thread) is set aside; of the others the loudest counts, so a
/// null has to hold in every window the audio system did not break.
fn listen(
    peak: &AtomicU32,
    xruns: &AtomicU64,
    settle: Duration,
    windows: usize,
    each: Duration,
) -> Heard {
    const REPORT_GRACE: Duration = Duration::from_millis(30);
    std::thread::sleep(settle);
    let mut heard = Heard {
        clean_peak: None,
        quietest: f32::INFINITY,
        clean: 0,
        spoiled: 0,
    };
    for _ in 0..windows {
        let before = xruns.load(Ordering::Relaxed);
        peak.store(0, Ordering::Relaxed);
        std::thread::sleep(each);
        let p = f32::from_bits(peak.load(Ordering::Relaxed));
        std::thread::sleep(REPORT_GRACE);
        heard.quietest = heard.quietest.min(p);
        if xruns.load(Ordering::Relaxed) == before {
            heard.clean += 1;
            heard.clean_peak = Some(heard.clean_peak.map_or(p, |m| m.max(p)));
        } else {
            heard.spoiled += 1;
        }
    }
    heard
}

fn dbfs(peak: f32) -> f64 {
    20.0 * f64::from(peak.max(1e-12)).log10()
}

/// Asserts that the probe hears a null (below -90 dBFS) in every window no
/// xrun touched, and that there were such windows.
fn assert_nulls(what: &str, peak: &AtomicU32, xruns: &AtomicU64, settle: Duration) {
    let heard = listen(peak, xruns, settle, 20, Duration::from_millis(40));
    let Some(clean_peak) = heard.clean_peak else {
        panic!(
            "{what}: every one of {} windows had an xrun; the machine is too loaded to judge a null",
            heard.spoiled
        );
    };
    eprintln!(
        "{what} null residual: {:.1} dBFS over {} clean windows ({} with an xrun set aside)",
        dbfs(clean_peak),
        heard.clean,
        heard.spoiled
    );
    assert!(
        dbfs(clean_peak) < -90.0,
        "{what} null residual {:.1} dBFS (peak {clean_peak}) in a window without xruns",
        dbfs(clean_peak)
    );
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
    let xruns = Arc::new(AtomicU64::new(0));
    let probe = NoiseProbe {
        out: c.register_port("out", AudioOut::default()).unwrap(),
        inp: c.register_port("in", AudioIn::default()).unwrap(),
        x: 0x1234_5678,
        peak: Arc::clone(&peak),
    };
    let probe = c
        .activate_async(midi_probe::XrunCount(Arc::clone(&xruns)), probe)
        .unwrap();
    let pc = probe.as_client();
    for (a, b) in [
        ("noise:out", "fd-insert:in 1"),
        ("noise:out", "fd-insert:in 2"),
        ("fd-insert:out 3", "outboard:in"),
        ("outboard:out", "fd-insert:in 3"),
        ("fd-insert:Master out L", "noise:in"),
    ] {
        pc.connect_ports_by_name(a, b)
            .unwrap_or_else(|e| panic!("{a} -> {b}: {e}"));
    }

    // Uncompensated, the inverted return does not cancel the dry track:
    // not in any window, xrun or not.
    let before = listen(
        &peak,
        &xruns,
        Duration::from_millis(300),
        8,
        Duration::from_millis(40),
    )
    .quietest;
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

    assert_nulls("compensated", &peak, &xruns, Duration::from_millis(500));

    // Bypass keeps the latency: the dry signal through the bypassed strip
    // still lines up.
    oscsend(osc, &["/strip/2/insert/bypass", "i", "1"]);
    assert_nulls("bypassed", &peak, &xruns, Duration::from_millis(300));

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
