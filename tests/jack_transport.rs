//! `transport: { sync: jack }` against the real daemon on a jackd dummy
//! server: another JACK client starts, locates and stops the JACK
//! transport and the daemon's timeline follows to the period; the daemon's
//! own transport commands (OSC) move the JACK transport.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, jackd_available};
use common::{liblo_tools_available, osc_status, oscsend, run_session};
use jack::{Client, ClientOptions, TransportState};
use rosc::OscType;
use std::time::{Duration, Instant};

const SESSION: &str = "version: 1\nname: jt\ntracks:\n  - { name: A, source: { input: 1 } }\n";
const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-jt, connect: none }
transport: { sync: jack }
"#;

fn daemon(osc: u16) -> (f64, bool) {
    let st = osc_status(osc);
    let frame = st
        .iter()
        .find_map(|(a, v)| match (a.as_str(), v) {
            ("/status/transport/frame", OscType::Double(f)) => Some(*f),
            _ => None,
        })
        .expect("transport frame");
    let rolling = st.contains(&("/status/transport/rolling".into(), OscType::Int(1)));
    (frame, rolling)
}

fn wait(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < within, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_daemon_follows_and_drives_the_jack_transport() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("transport");
    let run = run_session(SESSION, CONFIG);
    let osc = run.osc;
    let (other, _) = Client::new("transport-ctl", ClientOptions::NO_START_SERVER).unwrap();
    let t = other.transport();
    t.stop().unwrap();
    t.locate(0).unwrap();
    std::thread::sleep(Duration::from_millis(100));

    // Another client locates to 5 s and rolls: the daemon follows.
    t.locate(240_000).unwrap();
    t.start().unwrap();
    wait("the daemon rolling", Duration::from_secs(2), || {
        daemon(osc).1
    });
    std::thread::sleep(Duration::from_millis(300));
    let jack_frame = f64::from(t.query().unwrap().pos.frame());
    let (ours, rolling) = daemon(osc);
    assert!(rolling);
    // Read a few ms apart: within 10 ms of each other.
    assert!(
        (ours - jack_frame).abs() < 480.0,
        "daemon at {ours}, JACK at {jack_frame}"
    );
    assert!(ours > 240_000.0);
    t.stop().unwrap();
    wait("the daemon stopped", Duration::from_secs(2), || {
        !daemon(osc).1
    });

    // The daemon's own transport (a surface's play and locate) moves JACK's.
    oscsend(osc, &["/transport/locate", "f", "20"]);
    wait("JACK located to 20 s", Duration::from_secs(2), || {
        t.query().unwrap().pos.frame() == 960_000
    });
    oscsend(osc, &["/transport/play"]);
    wait("JACK rolling", Duration::from_secs(2), || {
        t.query().unwrap().state == TransportState::Rolling
    });
    wait("the daemon past 20 s", Duration::from_secs(2), || {
        let (f, r) = daemon(osc);
        r && f > 960_000.0
    });
    oscsend(osc, &["/transport/stop"]);
    wait("JACK stopped", Duration::from_secs(2), || {
        t.query().unwrap().state == TransportState::Stopped
    });
    drop(other);
    let mut child = run.child;
    common::terminate(&mut child.0);
    drop(server);
}
