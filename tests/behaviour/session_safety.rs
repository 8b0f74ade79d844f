//! An evening's work is never lost, and the user's file stays theirs: the
//! real `faderd run` autosaves to a recovery file, saves in place when
//! asked (comments and layout kept), survives a save that fails (a
//! read-only or full filesystem: a real tmpfs when run as root, a
//! read-only folder otherwise), and `kill -9` at any moment leaves every
//! file loadable and the last autosave recoverable.

use crate::common;
use common::*;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const GIG: &str = "# Friday's gig
version: 1
name: Gig   # front of house

tracks:
  - { name: Kick, gain_db: -2 }   # channel 1
  - name: Vox
    gain_db: -3     # lead
    pan: 0.4
master:
  gain_db: 0
# end
";

const CONFIG: &str =
    "version: 1\naudio: { backend: dummy }\nsession: { autosave_ms: 150, save_retry_ms: 200 }\n";

fn osc(port: u16, addr: &str, args: Vec<rosc::OscType>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bytes = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap();
    sock.send_to(&bytes, ("127.0.0.1", port)).unwrap();
}

/// `faderd run SESSION --config CONFIG` with the recovery fallbacks in
/// `state` (XDG_STATE_HOME) and the temporary folder `tmp`.
fn run(session: &Path, config: &Path, state: &Path, extra: &[&str]) -> (KillOnDrop, u16) {
    run_with(faderd(), session, config, state, extra)
}

fn run_with(
    mut cmd: Command,
    session: &Path,
    config: &Path,
    state: &Path,
    extra: &[&str],
) -> (KillOnDrop, u16) {
    cmd.env("XDG_STATE_HOME", state)
        .env("TMPDIR", state.join("tmp"));
    let mut args = vec![
        session.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--osc",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let (child, ready) = start_run_cmd(cmd, &args);
    (KillOnDrop(child), osc_addr_of(&ready).port())
}

fn wait_until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < within,
            "{what} did not happen within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn status(port: u16, addr: &str) -> f64 {
    status_number(&osc_status(port), addr).unwrap_or(f64::NAN)
}

fn stderr_of(child: &mut KillOnDrop) -> String {
    use std::io::Read;
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}

struct Files {
    dir: tempfile::TempDir,
    session: PathBuf,
    config: PathBuf,
    state: PathBuf,
}

fn files(session_text: &str) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("gig.yaml");
    let config = dir.path().join("c.yaml");
    let state = dir.path().join("state");
    std::fs::create_dir_all(state.join("tmp")).unwrap();
    std::fs::write(&session, session_text).unwrap();
    std::fs::write(&config, CONFIG).unwrap();
    Files {
        dir,
        session,
        config,
        state,
    }
}

#[test]
fn a_save_from_osc_edits_the_file_in_place_and_keeps_every_comment() {
    let f = files(GIG);
    let (mut child, port) = run(&f.session, &f.config, &f.state, &[]);
    osc(port, "/strip/1/gain", vec![rosc::OscType::Float(-7.5)]);
    osc(port, "/strip/2/mute", vec![rosc::OscType::Int(1)]);
    std::thread::sleep(Duration::from_millis(100));
    osc(port, "/session/save", vec![]);
    wait_until("the save", Duration::from_secs(5), || {
        status(port, "/status/session/saves") == 1.0
    });
    assert_eq!(status(port, "/status/session/dirty"), 0.0);
    let saved = std::fs::read_to_string(&f.session).unwrap();
    let want = GIG
        .replace(
            "{ name: Kick, gain_db: -2 }",
            "{ name: Kick, gain_db: -7.5 }",
        )
        .replace("    pan: 0.4\n", "    pan: 0.4\n    mute: true\n");
    assert_eq!(saved, want);
    // The recovery file of the unsaved changes went with the save.
    assert!(!f.dir.path().join("gig.recovery.yaml").exists());
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st}");
    // Nothing changed since: the exit does not touch the file again.
    assert_eq!(std::fs::read_to_string(&f.session).unwrap(), want);
    let out = faderd().arg("check").arg(&f.session).output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_rename_to_a_taken_name_or_master_is_refused_and_the_file_stays_loadable() {
    let f = files(GIG);
    let (mut child, port) = run(&f.session, &f.config, &f.state, &[]);
    for name in ["Kick", "master", "Master"] {
        osc(
            port,
            "/strip/2/name",
            vec![rosc::OscType::String(name.into())],
        );
    }
    osc(
        port,
        "/strip/2/name",
        vec![rosc::OscType::String("Lead".into())],
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(status(port, "/status/rejected"), 3.0);
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st}");
    let err = stderr_of(&mut child);
    assert!(
        err.contains("strip/2/name: another strip is already named 'Kick'"),
        "{err}"
    );
    let s = faderd::config::load_session(&f.session).unwrap();
    assert_eq!(s.tracks[1].name, "Lead");
}

/// A filesystem that can be made read-only or full under a running
/// daemon: a tmpfs when this runs as root, else a folder made read-only.
struct Shelf {
    dir: PathBuf,
    mounted: bool,
}

impl Shelf {
    /// None when nothing here can make a folder read-only (root in a
    /// container that may not mount): the test says it is skipped.
    fn new(parent: &Path) -> Option<Shelf> {
        let dir = parent.join("shelf");
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        let shelf = Shelf { dir, mounted };
        if !mounted {
            // Not root: a read-only folder stands in for a read-only
            // filesystem, if it really refuses writes.
            shelf.read_only(true);
            let refused = std::fs::write(shelf.dir.join("probe"), "x").is_err();
            shelf.read_only(false);
            if !refused {
                eprintln!(
                    "SKIPPED: cannot make a folder read-only here (may not mount a tmpfs, and permissions do not apply)"
                );
                return None;
            }
        }
        Some(shelf)
    }

    fn read_only(&self, ro: bool) {
        if self.mounted {
            let opt = if ro { "remount,ro" } else { "remount,rw" };
            let st = Command::new("mount")
                .args(["-o", opt])
                .arg(&self.dir)
                .status()
                .unwrap();
            assert!(st.success());
        } else {
            use std::os::unix::fs::PermissionsExt;
            let mode = if ro { 0o555 } else { 0o755 };
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

impl Drop for Shelf {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.dir).status();
        }
    }
}

#[test]
fn a_save_that_fails_keeps_the_daemon_running_and_the_mix_and_is_tried_again() {
    let f = files(GIG);
    let Some(shelf) = Shelf::new(f.dir.path()) else {
        return;
    };
    let session = shelf.dir.join("gig.yaml");
    std::fs::write(&session, GIG).unwrap();
    let (mut child, port) = run(&session, &f.config, &f.state, &[]);
    shelf.read_only(true);
    osc(port, "/strip/1/gain", vec![rosc::OscType::Float(-9.0)]);
    std::thread::sleep(Duration::from_millis(100));
    osc(port, "/session/save", vec![]);
    wait_until("the failed save", Duration::from_secs(5), || {
        status(port, "/status/session/save_failures") >= 1.0
    });
    // It runs on, says why, and the mix is in a recovery file elsewhere.
    assert!(child.0.try_wait().unwrap().is_none(), "faderd exited");
    let st = osc_status(port);
    let error = st
        .iter()
        .find(|(a, _)| a == "/status/session/error")
        .map(|(_, v)| format!("{v:?}"))
        .unwrap_or_default();
    assert!(error.contains("gig.yaml"), "{st:?}");
    let recovery =
        faderd::daemon::persist::recovery_places_in(&session, Some(&f.state), &f.state.join("tmp"))
            [1]
        .clone();
    assert!(recovery.starts_with(&f.state), "{}", recovery.display());
    wait_until("the recovery file", Duration::from_secs(5), || {
        recovery.exists()
    });
    let kept = faderd::config::load_session(&recovery).unwrap();
    assert_eq!(kept.tracks[0].controls.gain_db, -9.0);
    assert_eq!(std::fs::read_to_string(&session).unwrap(), GIG);
    // Writable again: the save is tried again and works.
    shelf.read_only(false);
    wait_until("the retried save", Duration::from_secs(5), || {
        status(port, "/status/session/saves") >= 1.0
    });
    assert_eq!(
        faderd::config::load_session(&session).unwrap().tracks[0]
            .controls
            .gain_db,
        -9.0
    );
    assert!(!recovery.exists(), "a saved session keeps no recovery file");
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st}");
    let err = stderr_of(&mut child);
    assert!(err.contains("CANNOT SAVE"), "{err}");

    // Read-only at exit: the daemon says where the mix went, exit 2.
    let (mut child, port) = run(&session, &f.config, &f.state, &[]);
    osc(port, "/strip/2/gain", vec![rosc::OscType::Float(-1.5)]);
    std::thread::sleep(Duration::from_millis(100));
    shelf.read_only(true);
    let st = terminate(&mut child.0);
    assert_eq!(st.code(), Some(2), "{st}");
    let err = stderr_of(&mut child);
    assert!(
        err.contains("your changes are kept in") && err.contains(&*f.state.to_string_lossy()),
        "{err}"
    );
    shelf.read_only(false);
    // The next run starts from them.
    let (mut child, port) = run(&session, &f.config, &f.state, &[]);
    assert_eq!(status(port, "/status/session/dirty"), 1.0);
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st}");
    assert_eq!(
        faderd::config::load_session(&session).unwrap().tracks[1]
            .controls
            .gain_db,
        -1.5
    );
}

/// A session whose saves take a while: 16 tracks with gain lanes.
fn big_session() -> String {
    let mut y = String::from("# a long show\nversion: 1\nname: Big\ntracks:\n");
    for t in 0..16 {
        y.push_str(&format!(
            "  - name: T{t}   # strip {t}\n    lanes:\n      gain: {{ points: ["
        ));
        let points: Vec<String> = (0..300)
            .map(|i| format!("[{}, {}]", f64::from(i) * 0.1, -f64::from((i * 7 + t) % 40)))
            .collect();
        y.push_str(&points.join(", "));
        y.push_str("] }\n");
    }
    y
}

#[test]
fn kill_9_during_autosaves_and_saves_leaves_every_file_loadable_and_recovers_the_last_autosave() {
    let f = files(&big_session());
    let original = std::fs::read_to_string(&f.session).unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let recovery = f.dir.path().join("gig.recovery.yaml");
    let mut saves_seen = false;
    // Temporary files left by a kill in the middle of a write.
    let mut torn_writes = 0;
    // At least 8 rounds, and more (up to 24) until a kill has landed in
    // the middle of a write: each round's kill is at a random moment.
    let mut round = 0;
    while round < 8 || (torn_writes == 0 && round < 24) {
        round += 1;
        // Every write pauses half-way (a test-build hook), so a kill lands
        // in the middle of one as often as not.
        let mut cmd = faderd();
        cmd.env("FADERD_TEST_WRITE_PAUSE_MS", "100");
        let (mut child, port) = run_with(cmd, &f.session, &f.config, &f.state, &[]);
        // Changes all the time, autosaves every 150 ms, and a save asked
        // for now and then; the kill comes at a random moment.
        let t0 = Instant::now();
        let until = Duration::from_millis(200 + rnd(2300));
        let mut i = 0u32;
        while t0.elapsed() < until {
            osc(
                port,
                &format!("/strip/{}/gain", 1 + i % 16),
                vec![rosc::OscType::Float(-((i % 60) as f32))],
            );
            if i % 40 == 39 {
                osc(port, "/session/save", vec![]);
            }
            i += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
        saves_seen |= status(port, "/status/session/saves") >= 1.0;
        let _ = child.0.kill();
        let _ = child.0.wait();
        // Every file there reads as a session: never a torn one.
        for entry in std::fs::read_dir(f.dir.path()).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains(".tmp-") {
                torn_writes += 1;
            }
            if name.ends_with(".yaml") && name != "c.yaml" {
                faderd::config::load_session(&p)
                    .unwrap_or_else(|e| panic!("round {round}: {name} does not load: {e}"));
            }
        }
    }
    assert!(saves_seen, "no save completed in any round");
    assert!(torn_writes > 0, "no kill landed in the middle of a write");
    // The last round: a change, its autosave, and then the kill.
    let (mut child, port) = run(&f.session, &f.config, &f.state, &[]);
    osc(port, "/strip/3/gain", vec![rosc::OscType::Float(-33.0)]);
    wait_until("its autosave", Duration::from_secs(10), || {
        faderd::config::load_session(&recovery).is_ok_and(|s| s.tracks[2].controls.gain_db == -33.0)
    });
    let _ = child.0.kill();
    let _ = child.0.wait();
    assert!(recovery.exists(), "no recovery file after the kills");
    // The last autosave is what the next run starts from; the session file
    // is left alone until the next save, and left-over temporaries go.
    let autosaved = faderd::config::load_session(&recovery).unwrap();
    assert_eq!(autosaved.tracks[2].controls.gain_db, -33.0);
    let before = std::fs::read(&f.session).unwrap();
    let (mut child, port) = run(&f.session, &f.config, &f.state, &[]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let sub = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/subscribe".into(),
        args: vec![],
    }))
    .unwrap();
    sock.send_to(&sub, ("127.0.0.1", port)).unwrap();
    let mut gains = std::collections::HashMap::new();
    let mut buf = vec![0u8; 65_536];
    while let Ok(n) = recv(&sock, &mut buf) {
        let mut msgs = Vec::new();
        flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
        for (a, v) in msgs {
            if let (Some(rest), rosc::OscType::Float(x)) = (a.strip_prefix("/strip/"), v)
                && let Some(Ok(n)) = rest.strip_suffix("/gain").map(str::parse::<usize>)
            {
                gains.insert(n, x);
            }
        }
    }
    for (i, t) in autosaved.tracks.iter().enumerate() {
        assert_eq!(
            f64::from(gains[&(i + 1)]),
            t.controls.gain_db,
            "strip {}",
            i + 1
        );
    }
    assert_eq!(std::fs::read(&f.session).unwrap(), before);
    let temps: Vec<String> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st}");
    let err = stderr_of(&mut child);
    assert!(
        err.contains("starting from the unsaved changes in"),
        "{err}"
    );
    // Saved at exit, in place: its comments are still there.
    let saved = std::fs::read_to_string(&f.session).unwrap();
    assert!(saved.contains("# a long show") && saved.contains("   # strip 15"));
    assert_ne!(saved, original);
}
