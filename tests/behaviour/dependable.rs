//! A daemon that runs all night: it idles at next to no CPU, one hostile
//! datagram costs at most that datagram, and it answers afterwards. Every
//! test runs the real `faderd run` and talks to it over UDP on loopback.

use crate::common;
use common::*;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// Eight silent tracks: nothing to do but wait.
const IDLE_SESSION: &str = "version: 1\nname: idle\ntracks:\n  - { name: A }\n  - { name: B }\n  - { name: C }\n  - { name: D }\n  - { name: E }\n  - { name: F }\n  - { name: G }\n  - { name: H }\n";

/// CPU seconds (user + system) of each thread of `pid`, by thread name.
fn cpu_seconds_by_thread(pid: u32) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let t = t.unwrap().path();
        let Ok(stat) = std::fs::read_to_string(t.join("stat")) else {
            continue;
        };
        let name = std::fs::read_to_string(t.join("comm")).unwrap_or_default();
        // Fields after the command name (which may hold spaces) in brackets.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        let ticks = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
        // The kernel's clock tick is 100 Hz on every Linux this runs on.
        out.push((name.trim().to_owned(), ticks / 100.0));
    }
    out
}

fn start(session: &str, extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, session).unwrap();
    let mut args = vec![path.to_str().unwrap(), "--osc", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    // The /debug/... fault addresses of a test build, on.
    let mut cmd = faderd();
    cmd.env("FADERD_TEST_FAULTS", "1");
    let (child, ready) = start_run_cmd(cmd, &args);
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
    let (c0, t0) = (cpu_seconds_by_thread(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(4));
    let c1 = cpu_seconds_by_thread(pid);
    let wall = t0.elapsed().as_secs_f64();
    let used = |audio: bool| {
        c1.iter()
            .filter(|(name, _)| (name == "faderd-audio") == audio)
            .map(|(name, s)| {
                s - c0
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0.0, |(_, s0)| *s0)
            })
            .sum::<f64>()
            / wall
    };
    let (control, audio) = (used(false), used(true));
    eprintln!(
        "idle daemon: control threads {:.2} %, audio thread {:.2} % of a core",
        control * 100.0,
        audio * 100.0
    );
    // Coarse bounds (the figures themselves are in BENCHMARKS.md): a busy
    // loop anywhere costs a whole core. The control threads only wake for
    // their ticks; the audio thread processes silence.
    assert!(
        control < 0.05,
        "the idle daemon's control threads used {:.1} % of a core",
        control * 100.0
    );
    assert!(
        audio < 0.5,
        "the idle daemon's audio thread used {:.1} % of a core",
        audio * 100.0
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
    assert_eq!(subscribed_value(run.osc, "/strip/1/fader"), Some(0.5));
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
    // The hub stalls for a second (as a slow machine's would under a
    // burst) while 6,000 such packets arrive: more than its queue holds.
    send(
        &sock,
        run.osc,
        &message("/debug/stall/hub", vec![rosc::OscType::Float(1000.0)]),
    );
    std::thread::sleep(Duration::from_millis(50));
    for i in 0..6_000 {
        send(&sock, run.osc, &packet(i));
        if i % 500 == 0 {
            // Paced so the kernel's receive buffer keeps them all.
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let waited = status_number(&osc_status(run.osc), "/status/osc/waited").unwrap();
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
        last = subscribed_value(run.osc, "/strip/1/fader");
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

const TONE_SESSION: &str = "version: 1\nname: tone\ntracks:\n  - { name: Tone, source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }, gain_db: -3 }\n";

/// The master meter (dB) a meter subscriber hears, the last within
/// `window`.
fn master_meter_db(sock: &UdpSocket, window: Duration) -> Option<f32> {
    let t0 = Instant::now();
    let mut buf = vec![0u8; 65_536];
    let mut last = None;
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    while t0.elapsed() < window {
        let Ok(n) = sock.recv(&mut buf) else { continue };
        let mut msgs = Vec::new();
        flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
        for (a, v) in msgs {
            if let ("/master/meter/db", rosc::OscType::Float(x)) = (a.as_str(), v) {
                last = Some(x);
            }
        }
    }
    last
}

#[test]
fn an_engine_fault_is_reported_and_the_engine_rebuilt_from_the_mix_within_a_second() {
    let mut run = start(TONE_SESSION, &["--backend", "dummy"]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    send(
        &sock,
        run.osc,
        &message(
            "/subscribe",
            vec![rosc::OscType::Int(0), rosc::OscType::Int(1)],
        ),
    );
    // A change made before the fault: the rebuilt engine must have it.
    send(
        &sock,
        run.osc,
        &message("/strip/1/gain", vec![rosc::OscType::Float(-12.0)]),
    );
    let before = master_meter_db(&sock, Duration::from_millis(1500)).expect("master meters");
    assert!(before > -40.0, "{before}");
    let t0 = Instant::now();
    send(&sock, run.osc, &message("/debug/fault/engine", vec![]));
    // Silence first (the faulted engine plays nothing), then the mix again.
    let mut rebuilt = None;
    while t0.elapsed() < Duration::from_secs(3) {
        let status = osc_status(run.osc);
        if status_number(&status, "/status/engine/rebuilds") == Some(1.0) {
            rebuilt = Some(t0.elapsed());
            assert_eq!(status_number(&status, "/status/engine/faults"), Some(1.0));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let rebuilt = rebuilt.expect("the engine was not rebuilt within 3 s");
    assert!(
        rebuilt < Duration::from_millis(1500),
        "rebuilt after {rebuilt:?}"
    );
    let after = master_meter_db(&sock, Duration::from_millis(1500)).expect("master meters");
    assert!(
        (after - before).abs() < 1.0,
        "the rebuilt mix is not the mix: {before} dB before, {after} dB after"
    );
    let st = terminate(&mut run.child.0);
    assert!(st.success(), "{st}");
    let mut err = String::new();
    use std::io::Read;
    run.child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("the audio engine stopped on an internal error")
            && err.contains("a fault injected by a test"),
        "{err}"
    );
}

#[test]
fn a_panic_in_the_hub_or_the_osc_listener_costs_one_message() {
    let mut run = start(IDLE_SESSION, &["--backend", "dummy"]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    send(&sock, run.osc, &message("/debug/fault/hub", vec![]));
    send(&sock, run.osc, &message("/debug/fault/listener", vec![]));
    std::thread::sleep(Duration::from_millis(200));
    send(
        &sock,
        run.osc,
        &message("/strip/1/fader", vec![rosc::OscType::Float(0.5)]),
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(subscribed_value(run.osc, "/strip/1/fader"), Some(0.5));
    let status = osc_status(run.osc);
    assert_eq!(status_number(&status, "/status/panics"), Some(2.0));
    let st = terminate(&mut run.child.0);
    assert!(st.success(), "{st}");
}

/// `faderd run` with a daemon config.
fn start_with_config(session: &str, config: &str) -> Running {
    run_session(session, config)
}

/// Every datagram that reaches `socks` within `window`: (socket index,
/// arrival, bytes).
fn gather(socks: &[UdpSocket], window: Duration) -> Vec<(usize, Instant, usize)> {
    for s in socks {
        s.set_nonblocking(true).unwrap();
    }
    let t0 = Instant::now();
    let mut buf = vec![0u8; 65_536];
    let mut got = Vec::new();
    while t0.elapsed() < window {
        let mut any = false;
        for (i, s) in socks.iter().enumerate() {
            while let Ok(n) = recv(s, &mut buf) {
                got.push((i, Instant::now(), n));
                any = true;
            }
        }
        if !any {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    got
}

fn many_tracks(n: usize) -> String {
    let mut y = String::from("version: 1\nname: many\ntracks:\n");
    for i in 0..n {
        y.push_str(&format!("  - {{ name: T{i} }}\n"));
    }
    y
}

#[test]
fn subscribers_are_capped_per_host_and_in_all_and_a_burst_of_subscribes_gets_bounded_bytes() {
    let run = start_with_config(
        &many_tracks(16),
        "version: 1\naudio: { backend: dummy }\nosc: { max_subscribers: 6 }\n",
    );
    // One subscriber alone: how big one state dump is.
    let one = UdpSocket::bind("127.0.0.1:0").unwrap();
    send(&one, run.osc, &message("/subscribe", vec![]));
    let dump: usize = gather(std::slice::from_ref(&one), Duration::from_millis(500))
        .iter()
        .map(|(_, _, n)| n)
        .sum();
    assert!(dump > 5_000, "{dump}");
    send(&one, run.osc, &message("/unsubscribe", vec![]));
    std::thread::sleep(Duration::from_millis(1100));

    // A bundle of 256 subscribes (about 10 KB), each to another port of
    // this host: four subscriptions and four dumps at most.
    let socks: Vec<UdpSocket> = (0..256)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let subs: Vec<Vec<u8>> = socks
        .iter()
        .map(|s| {
            message(
                "/subscribe",
                vec![rosc::OscType::Int(i32::from(
                    s.local_addr().unwrap().port(),
                ))],
            )
        })
        .collect();
    let burst = bundle(&subs);
    send(&one, run.osc, &burst);
    let got = gather(&socks, Duration::from_millis(800));
    let out: usize = got.iter().map(|(_, _, n)| n).sum();
    let reached: std::collections::HashSet<usize> = got.iter().map(|(i, _, _)| *i).collect();
    eprintln!(
        "{} bytes in, {out} bytes out ({:.0}x); one dump is {dump} bytes",
        burst.len(),
        out as f64 / burst.len() as f64
    );
    assert_eq!(reached.len(), 4, "subscribers fed: {}", reached.len());
    assert!(
        out <= 4 * dump + 4 * 1500,
        "{out} bytes out for 4 dumps of {dump}"
    );
    let status = osc_status(run.osc);
    assert_eq!(status_number(&status, "/status/clients"), Some(4.0));

    // From other hosts (127.0.0.2, .3 ...): six in all, then refused.
    for host in 2..=3 {
        let s = UdpSocket::bind(("127.0.0.".to_owned() + &host.to_string(), 0)).unwrap();
        for _ in 0..4 {
            let port = UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            send(
                &s,
                run.osc,
                &message("/subscribe", vec![rosc::OscType::Int(i32::from(port))]),
            );
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = osc_status(run.osc);
    assert_eq!(status_number(&status, "/status/clients"), Some(6.0));
    assert!(status_number(&status, "/status/refused/osc").unwrap() >= 252.0 + 6.0);
}

#[test]
fn a_state_dump_is_paced_over_ticks() {
    let run = start_with_config(&many_tracks(64), "version: 1\naudio: { backend: dummy }\n");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    send(&sock, run.osc, &message("/subscribe", vec![]));
    let got = gather(std::slice::from_ref(&sock), Duration::from_millis(1500));
    let bytes: usize = got.iter().map(|(_, _, n)| n).sum();
    let first = got.first().unwrap().1;
    // The most that arrived within any 10 ms: about one tick's share.
    let most_in_10ms = got
        .iter()
        .map(|(_, t, _)| {
            got.iter()
                .filter(|(_, u, _)| *u >= *t && u.duration_since(*t) < Duration::from_millis(10))
                .map(|(_, _, n)| n)
                .sum::<usize>()
        })
        .max()
        .unwrap();
    let spread = got.last().unwrap().1.duration_since(first);
    eprintln!("dump of {bytes} bytes over {spread:?}, at most {most_in_10ms} bytes in 10 ms");
    assert!(bytes > 60_000, "{bytes}");
    assert!(
        most_in_10ms < bytes / 3,
        "{most_in_10ms} of {bytes} in one burst"
    );
}

#[test]
fn a_silent_subscriber_expires_and_a_configured_client_does_not() {
    let fixed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut run = start_with_config(
        IDLE_SESSION,
        &format!(
            "version: 1\naudio: {{ backend: dummy }}\nosc:\n  subscriber_timeout_s: 5\n  clients: [{{ address: \"{}\" }}]\n",
            fixed.local_addr().unwrap()
        ),
    );
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    send(&sock, run.osc, &message("/subscribe", vec![]));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        status_number(&osc_status(run.osc), "/status/clients"),
        Some(2.0)
    );
    std::thread::sleep(Duration::from_millis(5_500));
    assert_eq!(
        status_number(&osc_status(run.osc), "/status/clients"),
        Some(1.0)
    );
    // The configured client still hears changes.
    fixed
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while recv(&fixed, &mut [0u8; 65_536]).is_ok() {}
    // (From another host: messages from the configured client's own IP
    // count as its own moves, which it is not echoed.)
    let mover = UdpSocket::bind("127.0.0.2:0").unwrap();
    send(
        &mover,
        run.osc,
        &message("/strip/2/mute", vec![rosc::OscType::Int(1)]),
    );
    // (A tick is 20 ms; the wait allows for a machine busy with other
    // daemons' real-time audio threads, as when the tests run together.)
    fixed
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut buf = vec![0u8; 65_536];
    let n = match recv(&fixed, &mut buf) {
        Ok(n) => n,
        Err(e) => {
            let status = osc_status(run.osc);
            let log = terminate_clean(&mut run.child);
            panic!("no feedback to the configured client ({e}); /status: {status:?}\n{log}")
        }
    };
    let mut msgs = Vec::new();
    flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
    assert!(msgs.iter().any(|(a, _)| a == "/strip/2/mute"), "{msgs:?}");
}

#[test]
fn fault_addresses_do_nothing_unless_a_test_turns_them_on() {
    let run = start_with_config(IDLE_SESSION, "version: 1\naudio: { backend: dummy }\n");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for addr in [
        "/debug/fault/hub",
        "/debug/fault/listener",
        "/debug/fault/engine",
    ] {
        send(&sock, run.osc, &message(addr, vec![]));
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = osc_status(run.osc);
    assert_eq!(status_number(&status, "/status/panics"), Some(0.0));
    assert_eq!(status_number(&status, "/status/engine/faults"), Some(0.0));
    // All three refused (the listener passes its own to the hub).
    assert_eq!(status_number(&status, "/status/rejected"), Some(3.0));
}
