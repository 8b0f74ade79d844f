//! The JACK server dies under the daemon (SIGKILL) and comes back: the
//! daemon keeps running and answering OSC, keeps the mixer state (including
//! changes made while the server was gone), reconnects with the same ports
//! and connections, and saves the session on exit.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::*;
use rosc::OscType;
use std::io::Read;
use std::time::Duration;

const SESSION: &str = r#"
version: 1
name: jack-restart
tracks:
  - { name: Vox, source: { input: 1 } }
"#;

const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-restart }
"#;

const TOL: f64 = 1e-5;

fn check(probe: &Probe, want: (f64, f64), what: &str) {
    let got = probe.wait_for(want, TOL, Duration::from_secs(3));
    assert!(
        (f64::from(got.0) - want.0).abs() <= TOL && (f64::from(got.1) - want.1).abs() <= TOL,
        "{what}: master out L/R = {got:?}, want {want:?}"
    );
}

fn probe_on(name: &str) -> Probe {
    let probe = Probe::start(name, 0.5);
    probe.connect(&probe.port("out"), "fd-restart:in 1");
    probe.connect("fd-restart:Master out L", &probe.port("in_l"));
    probe.connect("fd-restart:Master out R", &probe.port("in_r"));
    probe
}

#[test]
fn daemon_survives_a_jack_server_restart_with_its_mix() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let mut server = JackServer::start("restart");
    let run = run_session(SESSION, CONFIG);
    let (sess, mut daemon) = (run.session.clone(), run.child);
    let osc = run.osc;

    let probe = probe_on("probe-a");
    let centre = std::f64::consts::FRAC_PI_4.cos();
    check(&probe, (0.5 * centre, 0.5 * centre), "before");
    oscsend(osc, &["/strip/1/gain", "f", "-12"]);
    let g = 0.5 * db(-12.0);
    check(&probe, (g * centre, g * centre), "after the gain change");

    // The server dies (the probe leaves first: libjack can abort a process
    // that closes a client of a dead server).
    drop(probe);
    server.kill();
    std::thread::sleep(Duration::from_millis(300));
    assert!(daemon.0.try_wait().unwrap().is_none(), "faderd exited");
    // The daemon still takes surface changes and answers.
    oscsend(osc, &["/strip/1/pan", "f", "0"]);
    let st = osc_status(osc);
    assert!(
        st.contains(&("/status/audio".into(), OscType::Int(0))),
        "/status while the server is gone: {st:?}"
    );

    // The server comes back: same ports, same connections, same mix.
    server.restart();
    assert!(
        server.wait_port("fd-restart:in 1", Duration::from_secs(5)),
        "faderd did not reconnect:\n{}",
        server.lsp()
    );
    let probe = probe_on("probe-b");
    check(&probe, (g, 0.0), "after the restart (pan moved while down)");
    let st = osc_status(osc);
    assert!(
        st.contains(&("/status/audio".into(), OscType::Int(1))),
        "/status after reconnecting: {st:?}"
    );
    let lsp = server.lsp();
    let after_master: Vec<&str> = lsp
        .lines()
        .skip_while(|l| *l != "fd-restart:Master out L")
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .map(str::trim)
        .collect();
    assert!(
        after_master.contains(&"system:playback_1"),
        "physical connection not restored:\n{lsp}"
    );

    drop(probe);
    let st = terminate(&mut daemon.0);
    assert!(st.success(), "{st:?}");
    let mut log = String::new();
    daemon
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("went away"), "{log}");
    assert!(log.contains("reconnected"), "{log}");
    assert!(log.contains("1 reconnections"), "{log}");
    let saved = faderd::config::load_session(&sess).unwrap();
    assert_eq!(saved.tracks[0].controls.gain_db, -12.0);
    assert_eq!(saved.tracks[0].controls.pan, 0.0);
}
