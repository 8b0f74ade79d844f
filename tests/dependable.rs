//! A daemon that runs all night: it idles at next to no CPU, one hostile
//! datagram costs at most that datagram, and it answers afterwards. Every
//! test runs the real `faderd run` and talks to it over UDP on loopback.

mod common;
use common::*;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// Eight silent tracks: nothing to do but wait.
const IDLE_SESSION: &str = "version: 1\nname: idle\ntracks:\n  - { name: A }\n  - { name: B }\n  - { name: C }\n  - { name: D }\n  - { name: E }\n  - { name: F }\n  - { name: G }\n  - { name: H }\n";

/// CPU seconds (user + system, all threads) `pid` has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) in brackets.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    // SAFETY-free: the clock tick is 100 Hz on every Linux this runs on.
    ticks / 100.0
}

fn start(session: &str, extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, session).unwrap();
    let mut args = vec![path.to_str().unwrap(), "--osc", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let (child, ready) = start_run(&args);
    let osc = osc_addr_of(&ready).port();
    Running {
        dir,
        session: path,
        child: KillOnDrop(child),
        ready,
        osc,
    }
}

#[test]
fn an_idle_daemon_uses_next_to_no_cpu() {
    let run = start(IDLE_SESSION, &["--backend", "dummy"]);
    let pid = run.child.0.id();
    std::thread::sleep(Duration::from_millis(500));
    let (c0, t0) = (cpu_seconds(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(4));
    let used = (cpu_seconds(pid) - c0) / t0.elapsed().as_secs_f64();
    eprintln!("idle daemon: {:.2} % of a core", used * 100.0);
    // A coarse bound (the figure itself is in BENCHMARKS.md): a busy loop
    // anywhere costs a whole core.
    assert!(
        used < 0.05,
        "an idle daemon used {:.1} % of a core",
        used * 100.0
    );
}

fn send(sock: &UdpSocket, to: u16, bytes: &[u8]) {
    sock.send_to(bytes, ("127.0.0.1", to)).unwrap();
}

fn message(addr: &str, args: Vec<rosc::OscType>) -> Vec<u8> {
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

/// A bundle holding `elements` (raw encoded packets).
fn bundle(elements: &[Vec<u8>]) -> Vec<u8> {
    let mut b = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    for e in elements {
        b.extend((e.len() as u32).to_be_bytes());
        b.extend(e);
    }
    b
}

/// The fader position a fresh subscriber is told for strip 1.
fn fader_of_strip_1(osc: u16) -> Option<f32> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    send(&sock, osc, &message("/subscribe", vec![]));
    let mut buf = vec![0u8; 65_536];
    let mut found = None;
    while let Ok(n) = sock.recv(&mut buf) {
        let mut msgs = Vec::new();
        flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
        for (a, v) in msgs {
            if let ("/strip/1/fader", rosc::OscType::Float(x)) = (a.as_str(), v) {
                found = Some(x);
            }
        }
    }
    send(&sock, osc, &message("/unsubscribe", vec![]));
    found
}

#[test]
fn a_bundle_nested_thousands_deep_is_refused_and_the_daemon_carries_on() {
    let mut run = start(IDLE_SESSION, &["--backend", "dummy"]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    // About 44 KB: a mute nested in 2,700 bundles.
    let mut p = message("/strip/1/mute", vec![rosc::OscType::Int(1)]);
    for _ in 0..2_700 {
        p = bundle(&[p]);
    }
    assert!(p.len() > 40_000 && p.len() < 65_000, "{}", p.len());
    for _ in 0..3 {
        send(&sock, run.osc, &p);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        run.child.0.try_wait().unwrap().is_none(),
        "faderd died on a deep bundle"
    );
    let status = osc_status(run.osc);
    assert_eq!(status_number(&status, "/status/refused/osc"), Some(3.0));
    assert_eq!(status_number(&status, "/status/panics"), Some(0.0));
    // The listener still applies what it is sent.
    send(
        &sock,
        run.osc,
        &message("/strip/1/fader", vec![rosc::OscType::Float(0.5)]),
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(fader_of_strip_1(run.osc), Some(0.5));
    let st = terminate(&mut run.child.0);
    assert!(st.success(), "{st}");
}

#[test]
fn a_flood_that_fills_the_hubs_queue_with_duplicates_keeps_the_listener_alive() {
    let mut run = start(IDLE_SESSION, &["--backend", "dummy"]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Every packet sets strip 1's fader twice and strip 2's once; bursts
    // of them go out until the hub's queue has been full at least once.
    let packet = |i: u32| {
        let x = (i % 1000) as f32 / 1000.0;
        bundle(&[
            message("/strip/1/fader", vec![rosc::OscType::Float(x)]),
            message("/strip/2/fader", vec![rosc::OscType::Float(x)]),
            message("/strip/1/fader", vec![rosc::OscType::Float(x / 2.0)]),
        ])
    };
    let mut waited = 0.0;
    let mut i = 0u32;
    for _burst in 0..20 {
        for _ in 0..20_000 {
            send(&sock, run.osc, &packet(i));
            i += 1;
        }
        waited = status_number(&osc_status(run.osc), "/status/osc/waited").unwrap();
        if waited > 0.0 {
            break;
        }
    }
    assert!(waited > 0.0, "the hub's queue never filled");
    // The last word: strip 1 at 0.25.
    send(
        &sock,
        run.osc,
        &bundle(&[
            message("/strip/1/fader", vec![rosc::OscType::Float(0.9)]),
            message("/strip/1/fader", vec![rosc::OscType::Float(0.25)]),
        ]),
    );
    let t0 = Instant::now();
    let mut last = None;
    while t0.elapsed() < Duration::from_secs(5) {
        last = fader_of_strip_1(run.osc);
        if last == Some(0.25) {
            break;
        }
    }
    assert_eq!(last, Some(0.25), "the listener stopped applying changes");
    let status = osc_status(run.osc);
    assert_eq!(status_number(&status, "/status/panics"), Some(0.0));
    let st = terminate(&mut run.child.0);
    assert!(st.success(), "{st}");
}
