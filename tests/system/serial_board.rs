//! Conformance: the real daemon against the reference firmware core on
//! simulated motorized faders, over a pseudo-terminal pair made by socat
//! (the daemon opens one end as its serial port, the virtual board the
//! other). What a user sees: the mix follows a touched fader (through the
//! engine's meters and OSC feedback), the motors follow the mix, a touched
//! fader is never sent a setpoint, garbage and bad CRCs are dropped and
//! counted, and an unplugged board is found again and put back in step.

use crate::common;
use common::*;
use fader_firmware::sim::{VirtualBoard, sim_config};
use fader_link::{FromBoard, POSITION_MAX, ToBoard, frame};
use faderd::dsp::{db_to_pos, pos_to_db};
use rosc::OscType;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const SESSION: &str = r#"
version: 1
name: serial-test
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }
    gain_db: 0
  - name: Bass
    source: { tone: { wave: sine, freq_hz: 110, level_db: -6 } }
    gain_db: -4
  - { name: Three, source: { tone: { wave: sine, freq_hz: 220, level_db: -20 } } }
  - { name: Four, source: { tone: { wave: sine, freq_hz: 440, level_db: -20 } } }
"#;

/// True when socat can make pseudo-terminal pairs; says the test is
/// skipped otherwise (in CI, which installs it, that is a failure).
fn socat_available() -> bool {
    let ok = std::process::Command::new("socat")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: socat is not installed (apt-get install socat); .ci/run installs it");
        assert!(std::env::var_os("CI").is_none(), "CI must install socat");
    }
    ok
}

/// A pseudo-terminal pair: `host` for the daemon, `board` for the virtual
/// board. Stopping socat is pulling the cable.
struct Cable {
    socat: Option<KillOnDrop>,
    host: PathBuf,
    board: PathBuf,
}

impl Cable {
    fn plug(dir: &Path) -> Cable {
        let mut c = Cable {
            socat: None,
            host: dir.join("host"),
            board: dir.join("board"),
        };
        c.replug();
        c
    }

    fn replug(&mut self) {
        let child = std::process::Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", self.host.display()))
            .arg(format!("pty,raw,echo=0,link={}", self.board.display()))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("socat runs");
        self.socat = Some(KillOnDrop(child));
        let t0 = Instant::now();
        while !(self.host.exists() && self.board.exists()) {
            assert!(t0.elapsed() < Duration::from_secs(5), "socat made no ptys");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn unplug(&mut self) {
        if let Some(mut s) = self.socat.take() {
            terminate(&mut s.0);
        }
        let t0 = Instant::now();
        while self.host.exists() || self.board.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "socat left its links"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn board(&self) -> VirtualBoard {
        VirtualBoard::open(self.board.to_str().unwrap(), sim_config(4)).expect("board end opens")
    }
}

struct Rig {
    cable: Cable,
    board: VirtualBoard,
    daemon: Running,
}

fn start() -> Option<Rig> {
    if !socat_available() || !liblo_tools_available() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let cable = Cable::plug(dir.path());
    let board = cable.board();
    let config = format!(
        "version: 1\naudio: {{ backend: dummy }}\nsurfaces:\n  - serial: {{ device: \"{}\", profile: diy-4-fader }}\n",
        cable.host.display()
    );
    let daemon = run_session(SESSION, &config);
    // The ptys live in `dir`; keep it as long as the daemon's own.
    std::mem::forget(dir);
    Some(Rig {
        cable,
        board,
        daemon,
    })
}

fn status_of(osc: u16, key: &str) -> i32 {
    osc_status(osc)
        .into_iter()
        .find(|(a, _)| a == key)
        .and_then(|(_, v)| match v {
            OscType::Int(i) => Some(i),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {key} in /status"))
}

/// Wait until `f` holds (polling every 10 ms), or fail saying `what`.
fn wait_until(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < within, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// OSC feedback as it arrives (liblo's oscdump), remembering the last
/// value of every address: meters and faders are sent only when they
/// change, so the last one seen is the current one.
struct Feed {
    lines: Receiver<String>,
    last: HashMap<String, f64>,
}

impl Feed {
    fn new(lines: Receiver<String>) -> Feed {
        Feed {
            lines,
            last: HashMap::new(),
        }
    }

    /// Take what arrives within `window`; the addresses that changed.
    fn pump(&mut self, window: Duration) -> Vec<String> {
        let t0 = Instant::now();
        let mut seen = Vec::new();
        while let Some(left) = window.checked_sub(t0.elapsed()) {
            let Ok(l) = self.lines.recv_timeout(left) else {
                break;
            };
            // oscdump prefixes a bundle's messages with its time tag.
            let Some(addr) = l.split_whitespace().find(|t| t.starts_with('/')) else {
                continue;
            };
            if let Ok(v) = l.rsplit(' ').next().unwrap_or("").parse::<f64>() {
                self.last.insert(addr.to_owned(), v);
                seen.push(addr.to_owned());
            }
        }
        seen
    }

    /// Pump until `addr`'s last value satisfies `ok`, or fail.
    fn wait(&mut self, addr: &str, within: Duration, ok: impl Fn(f64) -> bool) -> f64 {
        let t0 = Instant::now();
        loop {
            if let Some(v) = self.last.get(addr).copied().filter(|v| ok(*v)) {
                return v;
            }
            assert!(
                t0.elapsed() < within,
                "{addr}: last {:?} within {within:?}",
                self.last.get(addr)
            );
            self.pump(Duration::from_millis(20));
        }
    }
}

fn setpoints_for(msgs: &[ToBoard], fader: u8) -> Vec<u16> {
    msgs.iter()
        .filter_map(|m| match m {
            ToBoard::SetFader { index, position } if *index == fader => Some(*position),
            _ => None,
        })
        .collect()
}

#[test]
fn a_touched_fader_rides_the_mix_and_the_motors_follow_it() {
    let Some(rig) = start() else { return };
    let (board, osc) = (&rig.board, rig.daemon.osc);
    // The handshake, then every motor goes where its strip's fader is.
    wait_until(Duration::from_secs(5), "the motors reach the mix", || {
        (board.position(0) - db_to_pos(0.0)).abs() < 0.01
            && (board.position(1) - db_to_pos(-4.0)).abs() < 0.01
    });
    assert_eq!(status_of(osc, "/status/serial/1/online"), 1);
    wait_until(Duration::from_secs(1), "one board counted online", || {
        status_of(osc, "/status/online/serial") == 1
    });
    let (_dump, lines) = osc_subscriber_opts(osc, 19561, true);
    let mut feed = Feed::new(lines);

    // A finger on fader 1 pulls it to the middle of its travel.
    let start_x = board.position(0);
    let mark = board.received().len();
    for k in 0..=30 {
        let x = start_x + (0.5 - start_x) * f64::from(k) / 30.0;
        board.hand(0, Some(x));
        std::thread::sleep(Duration::from_millis(10));
    }
    feed.wait("/strip/1/fader", Duration::from_secs(1), |f| {
        (f - 0.5).abs() < 0.005
    });
    // The engine plays it 10 dB down: the -6 dB sine, centred with the
    // -3 dB pan law, meters -19 dBFS.
    feed.wait("/strip/1/meter/db", Duration::from_secs(3), |m| {
        (m + 19.0).abs() < 0.3
    });
    // Fader and gain feedback agree.
    let (fader, gain) = (feed.last["/strip/1/fader"], feed.last["/strip/1/gain"]);
    assert!((gain - pos_to_db(fader)).abs() < 0.01, "{fader} {gain}");
    // Its own moves are not echoed to a touched fader.
    assert!(
        setpoints_for(&board.received()[mark..], 0).is_empty(),
        "a touched fader was sent setpoints: {:?}",
        &board.received()[mark..]
    );

    // Released: the motor stays where the hand left it (the mix is there).
    board.hand(0, None);
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        (board.position(0) - 0.5).abs() < 0.01,
        "{}",
        board.position(0)
    );

    // The mix moved elsewhere moves the motor, and only that fader's.
    let mark = board.received().len();
    oscsend(osc, &["/strip/2/gain", "f", "-20"]);
    wait_until(Duration::from_secs(2), "fader 2 follows", || {
        (board.position(1) - db_to_pos(-20.0)).abs() < 0.01
    });
    let sent = board.received()[mark..].to_vec();
    let to_2 = setpoints_for(&sent, 1);
    let want = (db_to_pos(-20.0) * f64::from(POSITION_MAX)).round() as u16;
    assert_eq!(to_2, vec![want], "{sent:?}");
    assert!(setpoints_for(&sent, 0).is_empty(), "{sent:?}");
    // A mute from the tablet lights the strip's LED.
    oscsend(osc, &["/strip/2/mute", "i", "1"]);
    wait_until(Duration::from_secs(1), "LED 2 on", || board.leds()[1] == 1);
}

#[test]
fn garbage_and_bad_crcs_are_dropped_and_counted_and_the_line_recovers() {
    let Some(rig) = start() else { return };
    let (board, osc) = (&rig.board, rig.daemon.osc);
    wait_until(Duration::from_secs(5), "the board online", || {
        status_of(osc, "/status/serial/1/online") == 1
    });
    let (_dump, lines) = osc_subscriber(osc, 19562);
    let mut feed = Feed::new(lines);
    // Line noise, then a Position for fader 2 whose CRC is wrong.
    board.inject(&[0x13, 0x37, 0xFF, 0x00]);
    let mut bad = frame(
        FromBoard::Position {
            index: 1,
            position: 2000,
        }
        .payload()
        .bytes(),
    )
    .bytes()
    .to_vec();
    let crc_byte = bad.len() - 2;
    bad[crc_byte] ^= 0x40;
    board.inject(&bad);
    wait_until(Duration::from_secs(2), "two bad frames counted", || {
        status_of(osc, "/status/serial/1/bad_frames") == 2
    });
    let changed = feed.pump(Duration::from_millis(300));
    assert!(
        changed.is_empty(),
        "a bad frame reached the mix: {changed:?}"
    );
    // The next good frame is taken.
    board.inject(
        frame(
            FromBoard::Position {
                index: 1,
                position: 2000,
            }
            .payload()
            .bytes(),
        )
        .bytes(),
    );
    feed.wait("/strip/2/fader", Duration::from_secs(1), |f| {
        (f - 2000.0 / f64::from(POSITION_MAX)).abs() < 1e-3
    });
    assert_eq!(status_of(osc, "/status/serial/1/bad_frames"), 2);
}

#[test]
fn an_unplugged_board_is_found_again_and_put_back_in_step() {
    let Some(mut rig) = start() else { return };
    let osc = rig.daemon.osc;
    oscsend(osc, &["/strip/1/fader", "f", "0.6"]);
    wait_until(Duration::from_secs(5), "fader 1 at 0.6", || {
        (rig.board.position(0) - 0.6).abs() < 0.01
    });
    assert_eq!(status_of(osc, "/status/serial/1/connects"), 1);

    // Pull the cable; the mix changes while the board is away.
    rig.cable.unplug();
    wait_until(Duration::from_secs(3), "the board seen gone", || {
        status_of(osc, "/status/serial/1/online") == 0
    });
    // The count of what is connected (a console's status line) follows.
    wait_until(Duration::from_secs(1), "no board counted online", || {
        status_of(osc, "/status/online/serial") == 0
    });
    assert!(
        !rig.board.is_running() || {
            std::thread::sleep(Duration::from_millis(200));
            !rig.board.is_running()
        }
    );
    oscsend(osc, &["/strip/1/fader", "f", "0.3"]);
    oscsend(osc, &["/strip/3/fader", "f", "0.9"]);

    // Plug it back in: a freshly booted board, faders at the bottom.
    rig.cable.replug();
    rig.board = rig.cable.board();
    let board = &rig.board;
    wait_until(Duration::from_secs(5), "the motors back in step", || {
        (board.position(0) - 0.3).abs() < 0.01 && (board.position(2) - 0.9).abs() < 0.01
    });
    assert_eq!(status_of(osc, "/status/serial/1/online"), 1);
    assert_eq!(status_of(osc, "/status/serial/1/connects"), 2);
    // It said hello again and was pinged.
    let got = board.received();
    assert!(matches!(got[0], ToBoard::Hello { version: 1 }), "{got:?}");
}

const AUTO_SESSION: &str = r#"
version: 1
name: serial-auto
tracks:
  - name: Vox
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }
    gain_db: -20
    automation: touch
    lanes: { gain: { points: [[0, -20], [60, -20]] } }
  - name: Pad
    source: { tone: { wave: sine, freq_hz: 300, level_db: -6 } }
    automation: read
    lanes: { gain: { points: [[0, -40], [4, 0]] } }
  - { name: Three }
  - { name: Four }
"#;

#[test]
fn playback_moves_the_motors_and_a_touch_writes_automation() {
    if !socat_available() || !liblo_tools_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cable = Cable::plug(dir.path());
    let board = cable.board();
    let config = format!(
        "version: 1\naudio: {{ backend: dummy }}\nsurfaces:\n  - serial: {{ device: \"{}\", profile: diy-4-fader }}\n",
        cable.host.display()
    );
    let run = run_session(AUTO_SESSION, &config);
    let osc = run.osc;
    wait_until(Duration::from_secs(5), "the board online", || {
        status_of(osc, "/status/serial/1/online") == 1
    });
    oscsend(osc, &["/transport/play"]);
    // Read: Pad's motor rides the lane up, 10 dB a second.
    std::thread::sleep(Duration::from_millis(500));
    let a = faderd::dsp::pos_to_db(board.position(1));
    std::thread::sleep(Duration::from_millis(500));
    let b = faderd::dsp::pos_to_db(board.position(1));
    assert!(
        (b - a - 5.0).abs() < 1.5,
        "the motor moved {a:.1} -> {b:.1} dB in 0.5 s"
    );

    // Touch: a hand pulls Vox's fader to -10 dB and holds it, then lets go.
    board.hand(0, Some(db_to_pos(-20.0)));
    for k in 1..=10 {
        board.hand(0, Some(db_to_pos(-20.0 + f64::from(k))));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(400));
    board.hand(0, None);
    // The glide back plays, and the motor follows it down.
    wait_until(Duration::from_secs(2), "Vox's motor back at -20 dB", || {
        (faderd::dsp::pos_to_db(board.position(0)) + 20.0).abs() < 0.5
    });
    oscsend(osc, &["/transport/stop"]);
    std::thread::sleep(Duration::from_millis(100));
    let Running {
        mut child,
        session,
        dir: _d,
        ..
    } = run;
    assert!(terminate(&mut child.0).success());
    let s = faderd::config::load_session(&session).unwrap();
    let lane = &s.tracks[0].controls.lanes[&faderd::model::LaneParam::Gain].points;
    let top = lane.iter().map(|p| p.value).fold(f64::MIN, f64::max);
    assert!((top + 10.0).abs() < 0.3, "{lane:?}");
    assert_eq!(lane.first().map(|p| p.value), Some(-20.0));
    assert_eq!(
        lane.last().map(|p| (p.frame, p.value)),
        Some((60 * 48_000, -20.0))
    );
    drop(board);
    drop(cable);
}
