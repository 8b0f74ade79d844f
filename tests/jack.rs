//! The daemon on a real JACK server (jackd's dummy driver): a probe client
//! feeds a known signal into track inputs and reads the mix from the
//! master ports; levels follow the fader and pan law, OSC moves change
//! them, ports are named by interface channel (their display names, JACK
//! metadata, after the tracks, following renames) and auto-connected, and
//! a buffer-size change on the running server keeps the mix right.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::*;
use std::f64::consts::FRAC_PI_2;
use std::process::{Command, Stdio};
use std::time::Duration;

const SESSION: &str = r#"
version: 1
name: jack-levels
tracks:
  - { name: Vox, source: { input: 1 }, gain_db: -6, pan: 0.25, sends: [{ output: 3, gain_db: -6 }] }
  - { name: Keys, channels: stereo, source: { input: 2 }, gain_db: -20, mute: true }
"#;

const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-levels, connect: physical, midi_ports: [Desk] }
"#;

const TOL: f64 = 1e-5;
const WAIT: Duration = Duration::from_secs(3);

/// The display name (JACK metadata) of `port`, as `jack_property` reads it.
fn pretty_name(port: &str) -> Option<String> {
    let out = Command::new("jack_property")
        .args([
            "--port",
            "-l",
            port,
            "http://jack-audio.org/metadata/pretty-name",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn assert_levels(probe: &Probe, want: (f64, f64), what: &str) {
    let got = probe.wait_for(want, TOL, WAIT);
    assert!(
        (f64::from(got.0) - want.0).abs() <= TOL && (f64::from(got.1) - want.1).abs() <= TOL,
        "{what}: master out L/R = {got:?}, want {want:?}"
    );
}

#[test]
fn mix_on_a_jack_server_follows_fader_pan_and_osc() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("levels");
    // Test faults on: the engine is made to fail at the end.
    let mut cmd = faderd();
    cmd.env("FADERD_TEST_FAULTS", "1");
    let run = run_session_with(cmd, SESSION, CONFIG);
    let (ready, mut daemon) = (run.ready.clone(), run.child);
    assert!(
        ready.contains("on the jackd 1.")
            && ready.contains(&format!("(server '{}')", server.name))
            && ready.contains("client 'fd-levels'")
            && ready.contains("48000 Hz / 64 frames"),
        "{ready}"
    );
    let osc = run.osc;

    // Ports named after tracks, connected to the physical ports in order.
    let lsp = server.lsp();
    for (port, peer) in [
        ("fd-levels:in 1", "system:capture_1"),
        ("fd-levels:in 2", "system:capture_2"),
        ("fd-levels:Master out L", "system:playback_1"),
        ("fd-levels:Master out R", "system:playback_2"),
    ] {
        let block: Vec<&str> = lsp
            .lines()
            .skip_while(|l| *l != port)
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .map(str::trim)
            .collect();
        assert!(
            block.contains(&peer),
            "{port} not connected to {peer}:\n{lsp}"
        );
    }
    // Keys is stereo: two ports, the second on interface input 3, which the
    // dummy server does not have (2 capture ports): left unconnected.
    assert!(lsp.lines().any(|l| l == "fd-levels:in 3"), "{lsp}");

    // Ports are named by interface channel; what they carry is their
    // display name (JACK metadata), and it follows a rename live while the
    // port's name (and so every saved connection) stays.
    for (port, shown) in [
        ("fd-levels:in 1", "Vox in"),
        ("fd-levels:in 2", "Keys in L"),
        ("fd-levels:in 3", "Keys in R"),
        ("fd-levels:out 3", "send out 3"),
        ("fd-levels:Master out L", "Master out L"),
    ] {
        assert_eq!(pretty_name(port).as_deref(), Some(shown), "{port}");
    }
    oscsend(osc, &["/strip/1/name", "s", "Lead"]);
    wait_until(WAIT, || {
        pretty_name("fd-levels:in 1").as_deref() == Some("Lead in")
    });
    assert_eq!(pretty_name("fd-levels:in 1").as_deref(), Some("Lead in"));
    let lsp = server.lsp();
    let peers: Vec<&str> = lsp
        .lines()
        .skip_while(|l| *l != "fd-levels:in 1")
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .map(str::trim)
        .collect();
    assert!(
        peers.contains(&"system:capture_1"),
        "the renamed track's port kept its name and connection:\n{lsp}"
    );

    // `faderd devices` shows the server, the interface ports, cpal's JACK
    // host and the daemon's own MIDI ports.
    let out = faderd().arg("devices").output().unwrap();
    assert!(out.status.success());
    let devices = String::from_utf8_lossy(&out.stdout);
    for want in [
        format!("server '{}': 48000 Hz, 64 frames per period", server.name),
        "    system:capture_2".into(),
        "    system:playback_1".into(),
        "    fd-levels:Desk in".into(),
        "    fd-levels:Desk out".into(),
        "output 'JACK Output'".into(),
    ] {
        assert!(devices.contains(&want), "{want:?} not in:\n{devices}");
    }

    let probe = Probe::start("probe-levels", 0.5);
    probe.connect(&probe.port("out"), "fd-levels:in 1");
    probe.connect("fd-levels:Master out L", &probe.port("in_l"));
    probe.connect("fd-levels:Master out R", &probe.port("in_r"));

    // -6 dB fader, pan 0.25 with the -3 dB constant-power law.
    let g = 0.5 * db(-6.0);
    let p = 0.25 * FRAC_PI_2;
    assert_levels(&probe, (g * p.cos(), g * p.sin()), "initial mix");

    // The hardware send: post-fader, -6 dB, centred, on outputs 3 and 4.
    let sends = Probe::start("probe-send", 0.0);
    sends.connect("fd-levels:out 3", &sends.port("in_l"));
    sends.connect("fd-levels:out 4", &sends.port("in_r"));
    let centre = FRAC_PI_2 / 2.0;
    let hw = g * db(-6.0);
    assert_levels(
        &sends,
        (hw * centre.cos(), hw * centre.sin()),
        "hardware send on outputs 3/4",
    );

    // A surface moves the fader to 0.5 (-10 dB) and pans hard right.
    oscsend(osc, &["/strip/1/fader", "f", "0.5"]);
    oscsend(osc, &["/strip/1/pan", "f", "1.0"]);
    assert_levels(&probe, (0.0, 0.5 * db(-10.0)), "after OSC fader and pan");

    // The stereo track comes in when unmuted: balance centre, -20 dB.
    probe.connect(&probe.port("out"), "fd-levels:in 2");
    probe.connect(&probe.port("out"), "fd-levels:in 3");
    oscsend(osc, &["/strip/2/mute", "i", "0"]);
    let k = 0.5 * db(-20.0);
    assert_levels(&probe, (k, 0.5 * db(-10.0) + k), "stereo track unmuted");

    // Master gain applies to both.
    oscsend(osc, &["/master/gain", "f", "-6"]);
    let m = db(-6.0);
    assert_levels(
        &probe,
        (k * m, (0.5 * db(-10.0) + k) * m),
        "master at -6 dB",
    );

    // The server's period grows to 256 frames while running: the engine
    // (built for 64) processes it in pieces and the mix stays right.
    let st = Command::new("jack_bufsize")
        .arg("256")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "jack_bufsize 256");
    probe.set_level(0.25);
    let want = (k * m * 0.5, (0.25 * db(-10.0) + k * 0.5) * m);
    assert_levels(&probe, want, "after the period changed to 256");
    assert!(daemon.0.try_wait().unwrap().is_none(), "the daemon exited");

    // A fault in the engine: reported, and the mix as it was from an
    // engine rebuilt out of the hub's state (the silence between lasts a
    // hub tick or two).
    oscsend(osc, &["/debug/fault/engine"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_levels(&probe, want, "the rebuilt engine plays the mix");
    let st = osc_status(osc);
    assert_eq!(status_number(&st, "/status/engine/faults"), Some(1.0));
    assert_eq!(status_number(&st, "/status/engine/rebuilds"), Some(1.0));

    let status = terminate(&mut daemon.0);
    assert!(status.success(), "faderd exit: {status:?}");
    drop(sends);
    drop(probe);
    drop(server);
}
