//! Automation through a real OSC surface against the daemon on the dummy
//! backend, with liblo's oscsend/oscdump as the independent peer: a lane
//! in read mode drives the fader a tablet sees and refuses its moves; a
//! touch pass from the tablet is written and saved in the session file;
//! `/automation/undo` takes back the last pass.

use crate::common;
use common::*;
use faderd::dsp::db_to_pos;
use faderd::model::LaneParam;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const SESSION: &str = r#"
version: 1
name: auto-osc
tracks:
  - name: Vox
    source: { tone: { wave: sine, freq_hz: 440, level_db: -6 } }
    gain_db: -20
    automation: touch
    lanes:
      gain: { points: [[0, -20], [60, -20]] }
  - name: Gtr
    source: { tone: { wave: sine, freq_hz: 220, level_db: -6 } }
    automation: read
    lanes:
      gain: { points: [[0, -40], [4, 0]] }
"#;

const CONFIG: &str = "version: 1\naudio: { backend: dummy }\n";

/// Values of `addr` seen within `window`, with when they arrived.
fn values(lines: &Receiver<String>, addr: &str, window: Duration) -> Vec<(Instant, f64)> {
    let t0 = Instant::now();
    let mut out = Vec::new();
    while let Some(left) = window.checked_sub(t0.elapsed()) {
        let Ok(l) = lines.recv_timeout(left) else {
            break;
        };
        if l.split_whitespace().any(|t| t == addr)
            && let Some(v) = l.rsplit(' ').next().and_then(|v| v.parse().ok())
        {
            out.push((Instant::now(), v));
        }
    }
    out
}

fn lane_of(path: &std::path::Path, track: usize) -> Vec<(f64, f64)> {
    let s = faderd::config::load_session(path).unwrap();
    s.tracks[track].controls.lanes[&LaneParam::Gain]
        .points
        .iter()
        .map(|p| (p.frame as f64 / 48_000.0, p.value))
        .collect()
}

/// A tablet: one UDP socket, so the daemon sees one client (as with
/// TouchOSC), unlike oscsend which sends each message from a new port.
struct Tablet {
    sock: std::net::UdpSocket,
    to: u16,
}

impl Tablet {
    fn new(to: u16) -> Tablet {
        Tablet {
            sock: std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
            to,
        }
    }

    fn send(&self, addr: &str, arg: rosc::OscType) {
        let msg = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
            addr: addr.into(),
            args: vec![arg],
        }))
        .unwrap();
        self.sock.send_to(&msg, ("127.0.0.1", self.to)).unwrap();
    }

    /// A touch pass: touch, ride `from` -> `to` dB, hold, release.
    fn touch_pass(&self, from: f64, to: f64) {
        self.send("/strip/1/fader/touch", rosc::OscType::Int(1));
        for k in 1..=10 {
            let db = from + (to - from) * f64::from(k) / 10.0;
            self.send("/strip/1/fader", rosc::OscType::Float(db_to_pos(db) as f32));
            std::thread::sleep(Duration::from_millis(25));
        }
        std::thread::sleep(Duration::from_millis(200));
        self.send("/strip/1/fader/touch", rosc::OscType::Int(0));
    }
}

#[test]
fn read_drives_the_tablet_and_a_touch_pass_is_written_saved_and_undone() {
    if !liblo_tools_available() {
        return;
    }
    let run = run_session(SESSION, CONFIG);
    let osc = run.osc;
    let (_dump, lines) = osc_subscriber(osc, 19631);
    oscsend(osc, &["/transport/play"]);

    // Read: the tablet's Gtr fader follows the lane (10 dB a second) ...
    let seen = values(&lines, "/strip/2/gain", Duration::from_millis(600));
    assert!(seen.len() >= 10, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[1].1 >= w[0].1), "{seen:?}");
    let (first, last) = (seen[0], seen[seen.len() - 1]);
    let slope = (last.1 - first.1) / last.0.duration_since(first.0).as_secs_f64();
    assert!((slope - 10.0).abs() < 2.0, "{slope} dB/s: {seen:?}");
    // ... and its moves are refused: the next values are still the lane's.
    oscsend(osc, &["/strip/2/fader", "f", "0.05"]);
    let after = values(&lines, "/strip/2/gain", Duration::from_millis(200));
    assert!(
        after.iter().all(|(_, v)| *v > last.1 - 0.5),
        "moved by the tablet: {after:?}"
    );

    // A touch pass on Vox, then a second one, then undo the second.
    std::thread::sleep(Duration::from_millis(300));
    let tablet = Tablet::new(osc);
    tablet.touch_pass(-20.0, -6.0);
    std::thread::sleep(Duration::from_millis(700));
    oscsend(osc, &["/transport/stop"]);
    std::thread::sleep(Duration::from_millis(100));
    oscsend(osc, &["/transport/play"]);
    std::thread::sleep(Duration::from_millis(200));
    tablet.touch_pass(-20.0, -40.0);
    std::thread::sleep(Duration::from_millis(500));
    oscsend(osc, &["/transport/stop"]);
    std::thread::sleep(Duration::from_millis(100));
    // What the lanes and the undo history hold, in /status.
    let before_undo = osc_status(osc);
    let n = |st: &[(String, rosc::OscType)], a: &str| {
        status_number(st, a).unwrap_or_else(|| panic!("no {a} in /status"))
    };
    assert_eq!(n(&before_undo, "/status/automation/undo_passes"), 2.0);
    assert!(n(&before_undo, "/status/automation/undo_bytes") > 0.0);
    oscsend(osc, &["/automation/undo"]);
    std::thread::sleep(Duration::from_millis(100));
    let after_undo = osc_status(osc);
    assert_eq!(n(&after_undo, "/status/automation/undo_passes"), 1.0);
    assert!(
        n(&after_undo, "/status/automation/undo_bytes")
            < n(&before_undo, "/status/automation/undo_bytes")
    );
    let points = n(&after_undo, "/status/automation/points");

    let Running {
        mut child,
        session,
        dir: _dir,
        ..
    } = run;
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st:?}");
    let lane = lane_of(&session, 0);
    assert_eq!(
        points as usize,
        lane.len() + lane_of(&session, 1).len(),
        "/status counts the points the session saves"
    );
    // Untouched outside the pass.
    assert_eq!(lane.first(), Some(&(0.0, -20.0)), "{lane:?}");
    assert_eq!(lane.last(), Some(&(60.0, -20.0)), "{lane:?}");
    // The ride to -6 dB is there (held), the undone ride to -40 is not.
    let top = lane.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let bottom = lane.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    assert!((top + 6.0).abs() < 0.2, "{lane:?}");
    assert!(bottom > -20.1, "the undone pass is still there: {lane:?}");
    // The written span: from the touch to the release, then a 250 ms glide.
    let written: Vec<&(f64, f64)> = lane.iter().filter(|p| p.0 > 0.0 && p.0 < 60.0).collect();
    let span = written.last().unwrap().0 - written.first().unwrap().0;
    assert!(
        (0.6..1.2).contains(&span),
        "span {span} s (ride ~0.45 s, glide 0.25 s): {lane:?}"
    );
    let held = lane.iter().filter(|p| (p.1 + 6.0).abs() < 0.2).count();
    assert!(held >= 2, "the held value: {lane:?}");
    // The last written point is the glide's end, back on the old lane.
    assert_eq!(written.last().unwrap().1, -20.0);
}

const PASSES: &str = r#"
version: 1
name: passes
tracks:
  - { name: A, automation: latch, gain_db: -20, lanes: { gain: { points: [[0, -20], [60, -20]] } } }
  - { name: B, automation: write, gain_db: -30, lanes: { gain: { points: [[0, -24], [60, -24]] } } }
  - { name: C, automation: trim, lanes: { gain: { points: [[0, -10], [60, -10]] } } }
"#;

impl Tablet {
    fn fader(&self, strip: usize, db: f64) {
        self.send(
            &format!("/strip/{strip}/fader"),
            rosc::OscType::Float(db_to_pos(db) as f32),
        );
    }

    fn touch(&self, strip: usize, on: bool) {
        self.send(
            &format!("/strip/{strip}/fader/touch"),
            rosc::OscType::Int(i32::from(on)),
        );
    }
}

#[test]
fn latch_write_and_trim_passes_from_a_tablet_are_saved() {
    if !liblo_tools_available() {
        return;
    }
    let run = run_session(PASSES, CONFIG);
    let osc = run.osc;
    let (_dump, lines) = osc_subscriber(osc, 19632);
    let tablet = Tablet::new(osc);
    oscsend(osc, &["/transport/play"]);
    std::thread::sleep(Duration::from_millis(200));
    // Latch on A: ride to -8 dB and let go; it holds until stop.
    tablet.touch(1, true);
    for k in 1..=6 {
        tablet.fader(1, -20.0 + 2.0 * f64::from(k));
        std::thread::sleep(Duration::from_millis(20));
    }
    tablet.touch(1, false);
    // Write on B: one move to -12 dB.
    tablet.fader(2, -12.0);
    // Trim on C: the fader is an offset; +4 dB for a while, then let go.
    tablet.touch(3, true);
    for k in 1..=4 {
        tablet.fader(3, f64::from(k));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    tablet.touch(3, false);
    std::thread::sleep(Duration::from_millis(600));
    oscsend(osc, &["/transport/stop"]);
    // After the write pass, B is in touch, and the tablet is told.
    let modes = values_text(&lines, "/strip/2/automation", Duration::from_millis(300));
    assert!(modes.iter().any(|m| m == "touch"), "{modes:?}");
    let Running {
        mut child,
        session,
        dir: _dir,
        ..
    } = run;
    assert!(terminate(&mut child.0).success());
    let s = faderd::config::load_session(&session).unwrap();
    let lane = |t: usize| s.tracks[t].controls.lanes[&LaneParam::Gain].points.clone();
    let at = |t: usize, secs: f64| {
        faderd::dsp::automation::value_at(
            &lane(t),
            faderd::dsp::automation::Interp::Linear,
            (secs * 48_000.0) as u64,
        )
        .unwrap()
    };
    let written = |t: usize| -> Vec<(f64, f64)> {
        lane(t)
            .iter()
            .filter(|p| p.frame > 0 && p.frame < 60 * 48_000)
            .map(|p| (p.frame as f64 / 48_000.0, p.value))
            .collect()
    };
    // A: -8 dB held from the release to the stop, the old lane after.
    let a = written(0);
    let stop_a = a.iter().map(|p| p.0).fold(0.0, f64::max);
    assert!(
        a.iter().filter(|p| (p.1 + 8.0).abs() < 1e-6).count() >= 2,
        "{a:?}"
    );
    assert!((at(0, stop_a - 0.1) + 8.0).abs() < 1e-6, "{a:?}");
    assert!((at(0, stop_a + 0.1) + 20.0).abs() < 1e-6, "{a:?}");
    // B: from the start the live value (-30), then -12 to the stop; the
    // old lane (-24) only after it.
    let b = written(1);
    assert!((at(1, 0.0) + 30.0).abs() < 1e-6, "{b:?}");
    assert!((at(1, 0.25) + 30.0).abs() < 1e-6, "{b:?}");
    assert!(b.iter().any(|p| (p.1 + 12.0).abs() < 1e-6), "{b:?}");
    let stop_b = b.iter().map(|p| p.0).fold(0.0, f64::max);
    assert!((at(1, stop_b + 0.1) + 24.0).abs() < 1e-6, "{b:?}");
    assert_eq!(
        s.tracks[1].controls.automation,
        faderd::model::AutomationMode::Touch
    );
    // C: the lane shifted by the +4 dB offset while touched, then back.
    let c = written(2);
    assert!(c.iter().any(|p| (p.1 + 6.0).abs() < 0.06), "{c:?}");
    assert_eq!(c.last().map(|p| p.1), Some(-10.0), "{c:?}");
}

/// Text values of `addr` seen within `window`.
fn values_text(lines: &Receiver<String>, addr: &str, window: Duration) -> Vec<String> {
    let t0 = Instant::now();
    let mut out = Vec::new();
    while let Some(left) = window.checked_sub(t0.elapsed()) {
        let Ok(l) = lines.recv_timeout(left) else {
            break;
        };
        if l.split_whitespace().any(|t| t == addr)
            && let Some(v) = l.rsplit(' ').next()
        {
            out.push(v.trim_matches('"').to_owned());
        }
    }
    out
}
