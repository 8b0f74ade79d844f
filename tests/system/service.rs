//! faderd as a systemd user service, through the unit file it ships: the
//! unit's own ExecStart line (the binary under test in place of
//! /usr/bin/faderd) run with a notification socket the way systemd runs
//! it. faderd says READY=1 once it listens, pings the watchdog while its
//! mixer thread turns, stops pinging when that thread hangs (systemd would
//! restart it), and says STOPPING=1 on SIGTERM. systemd itself does not
//! run in these containers: the socket is a real Unix datagram socket
//! read here, speaking the protocol systemd documents (sd_notify(3)).

use crate::common;
use common::*;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

const UNIT: &str = include_str!("../../dist/faderd.service");

/// A `Key=value` of the unit's [Service] section.
fn unit_value(key: &str) -> String {
    UNIT.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the unit has no {key}="))
        .to_owned()
}

#[test]
fn the_shipped_unit_starts_faderd_which_notifies_readiness_and_the_watchdog_until_it_hangs() {
    assert_eq!(unit_value("Type"), "notify");
    let watchdog_s: f64 = unit_value("WatchdogSec").parse().unwrap();
    assert!(watchdog_s >= 2.0, "WatchdogSec={watchdog_s}");
    let exec = unit_value("ExecStart");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/bin/faderd"), "{exec}");
    let args: Vec<&str> = words.collect();
    assert_eq!(args.first(), Some(&"run"), "{exec}");

    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut cmd = faderd();
    cmd.env("NOTIFY_SOCKET", &socket_path)
        // A short watchdog for the test: a ping every 200 ms.
        .env("WATCHDOG_USEC", "400000")
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_RUNTIME_DIR", dir.path())
        .env(
            "JACK_DEFAULT_SERVER",
            format!("faderd-no-server-{}", std::process::id()),
        )
        .env("JACK_NO_START_SERVER", "1")
        // A debug build's test faults: the hub can be made to hang.
        .env("FADERD_TEST_FAULTS", "1");
    // The unit's arguments, on a free port for the test.
    let mut run_args: Vec<&str> = args[1..].to_vec();
    run_args.extend(["--osc", "127.0.0.1:0"]);
    let (child, ready) = start_run_cmd(cmd, &run_args);
    let mut daemon = KillOnDrop(child);
    let osc = osc_addr_of(&ready).port();

    // Every datagram with the time it came.
    let t0 = Instant::now();
    let read_for = |within: Duration| -> Vec<(Duration, String)> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(n) = socket.recv(&mut buf) {
                got.push((
                    t0.elapsed(),
                    String::from_utf8_lossy(&buf[..n]).into_owned(),
                ));
            }
        }
        got
    };
    let first = read_for(Duration::from_millis(1500));
    let ready_msg = first
        .iter()
        .find(|(_, m)| m.contains("READY=1"))
        .unwrap_or_else(|| panic!("no READY=1: {first:?}"));
    assert!(
        ready_msg.1.contains("STATUS=faderd ready: session 'Demo'"),
        "{ready_msg:?}"
    );
    let pings = first.iter().filter(|(_, m)| m == "WATCHDOG=1").count();
    assert!(pings >= 4, "{pings} pings in 1.5 s: {first:?}");

    // The mixer thread hangs for 1.5 s: no ping while it does, then they
    // come again.
    let sent = t0.elapsed();
    oscsend_raw(osc, "/debug/stall/hub", 1500.0);
    let during = read_for(Duration::from_millis(4000));
    // From the moment the hang was asked for (the first gap may start there).
    let times: Vec<Duration> = std::iter::once(sent)
        .chain(
            during
                .iter()
                .filter(|(_, m)| m == "WATCHDOG=1")
                .map(|(t, _)| *t),
        )
        .collect();
    let longest_gap = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    assert!(
        longest_gap >= Duration::from_millis(1100),
        "the pings went on while the hub hung (longest gap {longest_gap:?}): {during:?}"
    );
    assert!(
        times
            .last()
            .is_some_and(|t| t0.elapsed() - *t < Duration::from_millis(600)),
        "the pings did not come back after the hang: {during:?}"
    );

    // SIGTERM: STOPPING=1, and a clean exit.
    let status = terminate(&mut daemon.0);
    assert!(status.success(), "{status:?}");
    let last = read_for(Duration::from_millis(300));
    assert!(
        last.iter().any(|(_, m)| m.starts_with("STOPPING=1")),
        "no STOPPING=1: {last:?}"
    );
}

/// One OSC message with a float argument, from a raw UDP socket.
fn oscsend_raw(port: u16, addr: &str, value: f32) {
    let msg = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args: vec![rosc::OscType::Float(value)],
    }))
    .unwrap();
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&msg, ("127.0.0.1", port)).unwrap();
}
