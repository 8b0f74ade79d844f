//! The OSC surface against the real daemon, with liblo's oscsend/oscdump as
//! an independent OSC implementation, plus raw UDP clients for what those
//! tools cannot do (send from a fixed port, see datagram boundaries).

use crate::common;
use common::*;
use rosc::{OscPacket, OscType};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const SESSION: &str = r#"
version: 1
name: osc-test
buses:
  - { name: Verb, kind: aux, gain_db: -6 }
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }
    gain_db: 0
    sends: [{ bus: Verb, gain_db: -12 }]
  - name: Bass
    source: { tone: { wave: sine, freq_hz: 110, level_db: -6 } }
    gain_db: -4
    pan: 0.25
    mute: true
    automation: read
"#;

/// A faderd started on a session and an ephemeral OSC port; killed on drop.
struct Daemon {
    child: Child,
    osc: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let sess = dir.path().join("s.yaml");
        std::fs::write(&sess, SESSION).unwrap();
        let (child, ready) = start_run(&[sess.to_str().unwrap(), "--osc", "127.0.0.1:0"]);
        let osc = ready
            .split("OSC on udp ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no OSC address in the ready line: {ready}"));
        Daemon {
            child,
            osc,
            _dir: dir,
        }
    }

    fn port(&self) -> String {
        self.osc.port().to_string()
    }

    /// `oscsend localhost PORT ARGS...`; returns when it has sent.
    fn oscsend(&self, args: &[&str]) -> Instant {
        let st = std::process::Command::new("oscsend")
            .args(["localhost", &self.port()])
            .args(args)
            .status()
            .unwrap();
        assert!(st.success());
        Instant::now()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `oscdump -L PORT`: each printed message with the time it arrived.
struct Dump {
    child: Child,
    port: u16,
    lines: Receiver<(Instant, String)>,
}

impl Dump {
    fn start() -> Dump {
        let port = free_port();
        let mut child = std::process::Command::new("oscdump")
            .args(["-L", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                // "<timetag> /address types values": drop the time tag.
                let msg = line
                    .split_once(' ')
                    .map_or(line.clone(), |(_, m)| m.to_owned());
                if tx.send((Instant::now(), msg)).is_err() {
                    return;
                }
            }
        });
        assert!(wait_udp_bound(port), "oscdump never listened");
        Dump { child, port, lines }
    }

    /// The first message starting with `prefix` within `timeout`.
    fn wait_for(&self, prefix: &str, timeout: Duration) -> Option<(Instant, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((t, m)) if m.starts_with(prefix) => return Some((t, m)),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Everything that arrives within `window`.
    fn collect(&self, window: Duration) -> Vec<String> {
        let deadline = Instant::now() + window;
        let mut out = Vec::new();
        while let Ok((_, m)) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            out.push(m);
        }
        out
    }
}

impl Drop for Dump {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client on its own UDP port that both sends and receives, like a
/// tablet app.
struct Client {
    sock: UdpSocket,
    to: SocketAddr,
}

impl Client {
    fn new(to: SocketAddr) -> Client {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        Client { sock, to }
    }

    fn send(&self, addr: &str, args: Vec<OscType>) {
        let bytes = rosc::encoder::encode(&OscPacket::Message(rosc::OscMessage {
            addr: addr.into(),
            args,
        }))
        .unwrap();
        self.sock.send_to(&bytes, self.to).unwrap();
    }

    /// Datagrams received within `window`, raw.
    fn datagrams(&self, window: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + window;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65_536];
        while Instant::now() < deadline {
            if let Ok((n, _)) = self.sock.recv_from(&mut buf) {
                out.push(buf[..n].to_vec());
            }
        }
        out
    }

    /// Messages received within `window`, flattened out of their bundles.
    fn messages(&self, window: Duration) -> Vec<(String, OscType)> {
        let mut out = Vec::new();
        for d in self.datagrams(window) {
            let (_, p) = rosc::decoder::decode_udp(&d).unwrap();
            flatten(p, &mut out);
        }
        out
    }
}

fn flatten(p: OscPacket, out: &mut Vec<(String, OscType)>) {
    match p {
        OscPacket::Message(m) => out.push((m.addr, m.args.into_iter().next().unwrap())),
        OscPacket::Bundle(b) => b.content.into_iter().for_each(|p| flatten(p, out)),
    }
}

fn float_of(msg: &str) -> f64 {
    msg.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_fader_from_one_client_reaches_the_engine_and_a_second_client_as_fader_and_gain() {
    if !liblo_tools_available() {
        return;
    }
    let d = Daemon::start();
    let dump = Dump::start();
    let port = dump.port.to_string();
    d.oscsend(&["/subscribe", "ii", &port, "1"]);
    // The engine's output level, seen through the meters: the -6 dB sine,
    // fader 0 dB, centred with the -3 dB law peaks at -9 dBFS per side.
    let (_, m) = dump
        .wait_for("/strip/1/meter/db", Duration::from_secs(2))
        .expect("meters for a client that asked");
    assert!((float_of(&m) + 9.0).abs() < 0.3, "{m}");

    let sent = d.oscsend(&["/strip/1/fader", "f", "0.5"]);
    let (t_fader, m) = dump
        .wait_for("/strip/1/fader", Duration::from_secs(1))
        .expect("fader feedback");
    assert_eq!(m, "/strip/1/fader f 0.500000");
    let (t_gain, m) = dump
        .wait_for("/strip/1/gain", Duration::from_secs(1))
        .expect("gain feedback");
    assert_eq!(m, "/strip/1/gain f -10.000000");
    let latency = t_fader.max(t_gain).duration_since(sent);
    assert!(
        latency < Duration::from_millis(50),
        "feedback took {latency:?}"
    );
    // The engine now plays it 10 dB down: the meter settles at -19 dBFS.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some((_, m)) = dump.wait_for("/strip/1/meter/db", Duration::from_millis(200)) {
            last = m;
            if (float_of(&last) + 19.0).abs() < 0.3 {
                return;
            }
        }
    }
    panic!("the engine's level did not follow the fader: last meter {last}");
}

#[test]
fn a_new_subscriber_gets_the_whole_mix() {
    if !liblo_tools_available() {
        return;
    }
    let d = Daemon::start();
    let dump = Dump::start();
    d.oscsend(&["/subscribe", "i", &dump.port.to_string()]);
    let got = dump.collect(Duration::from_millis(400));
    for want in [
        "/strip/1/name s \"Tone\"",
        "/strip/1/fader f 0.750000",
        "/strip/1/gain f 0.000000",
        "/strip/1/send/1/gain f -12.000000",
        "/strip/1/send/1/pre i 0",
        "/strip/2/name s \"Bass\"",
        "/strip/2/pan f 0.250000",
        "/strip/2/mute i 1",
        "/strip/2/solo i 0",
        "/strip/2/automation s \"read\"",
        "/bus/1/name s \"Verb\"",
        "/bus/1/gain f -6.000000",
        "/master/fader f 0.750000",
        "/master/automation s \"off\"",
        "/transport/play i 0",
    ] {
        assert!(
            got.iter().any(|m| m == want),
            "{want} missing from {got:#?}"
        );
    }
    // No meters were asked for.
    assert!(!got.iter().any(|m| m.contains("/meter")), "{got:#?}");
}

#[test]
fn bundles_in_are_applied_and_feedback_comes_out_as_one_bundle_per_tick() {
    if !liblo_tools_available() {
        return;
    }
    let d = Daemon::start();
    let listener = Client::new(d.osc);
    listener.send("/subscribe", vec![]);
    let dump_datagrams = listener.datagrams(Duration::from_millis(300));
    assert!(!dump_datagrams.is_empty());
    assert!(dump_datagrams.iter().all(|g| g.starts_with(b"#bundle\0")));
    assert!(dump_datagrams.iter().all(|g| g.len() <= 1472));

    // One bundle with three changes, built by hand (no OSC library).
    let mut bundle = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    for msg in [
        &b"/strip/1/mute\0\0\0,i\0\0\0\0\0\x01"[..],
        &b"/strip/2/mute\0\0\0,i\0\0\0\0\0\0"[..],
        &b"/bus/1/pan\0\0,f\0\0\x3f\x00\x00\x00"[..],
    ] {
        bundle.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        bundle.extend_from_slice(msg);
    }
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(&bundle, d.osc).unwrap();
    // bus/1/pan 0.5 is its current value: not a change.
    let grams = listener.datagrams(Duration::from_millis(300));
    assert_eq!(grams.len(), 1, "one tick, one datagram");
    assert!(grams[0].starts_with(b"#bundle\0"));
    let mut msgs = Vec::new();
    flatten(rosc::decoder::decode_udp(&grams[0]).unwrap().1, &mut msgs);
    assert_eq!(
        msgs,
        vec![
            ("/strip/1/mute".to_owned(), OscType::Int(1)),
            ("/strip/2/mute".to_owned(), OscType::Int(0)),
        ]
    );
    // oscdump (liblo) reads our feedback bundles too.
    let dump = Dump::start();
    d.oscsend(&["/subscribe", "i", &dump.port.to_string()]);
    assert!(
        dump.wait_for("/strip/1/mute i 1", Duration::from_secs(1))
            .is_some()
    );
}

#[test]
fn a_client_is_not_echoed_its_own_unchanged_value_but_is_told_a_clamped_one() {
    if !liblo_tools_available() {
        return;
    }
    let d = Daemon::start();
    let tablet = Client::new(d.osc);
    tablet.send("/subscribe", vec![]);
    tablet.messages(Duration::from_millis(300)); // the state dump
    let other = Dump::start();
    d.oscsend(&["/subscribe", "i", &other.port.to_string()]);
    other.collect(Duration::from_millis(300));

    tablet.send("/strip/1/fader", vec![OscType::Float(0.5)]);
    let got = tablet.messages(Duration::from_millis(200));
    assert_eq!(
        got,
        vec![("/strip/1/gain".to_owned(), OscType::Float(-10.0))],
        "the gain label updates; the fader it moved is not echoed"
    );
    assert!(
        other
            .wait_for("/strip/1/fader f 0.500000", Duration::from_millis(500))
            .is_some()
    );

    tablet.send("/strip/1/gain", vec![OscType::Float(24.0)]);
    let got = tablet.messages(Duration::from_millis(200));
    assert!(
        got.contains(&("/strip/1/gain".to_owned(), OscType::Float(10.0))),
        "clamped to +10 dB and told so: {got:?}"
    );
    assert!(got.contains(&("/strip/1/fader".to_owned(), OscType::Float(1.0))));
}

#[test]
fn a_touched_fader_is_not_fought_and_gets_the_final_value_on_release() {
    if !liblo_tools_available() {
        return;
    }
    let d = Daemon::start();
    let tablet = Client::new(d.osc);
    tablet.send("/subscribe", vec![]);
    tablet.messages(Duration::from_millis(300));

    tablet.send("/strip/1/fader/z", vec![OscType::Float(1.0)]);
    std::thread::sleep(Duration::from_millis(50));
    d.oscsend(&["/strip/1/fader", "f", "0.3"]);
    let held = tablet.messages(Duration::from_millis(300));
    assert!(
        !held.iter().any(|(a, _)| a == "/strip/1/fader"),
        "nothing sent to a touched fader: {held:?}"
    );
    assert!(
        held.contains(&("/strip/1/gain".to_owned(), OscType::Float(-26.0))),
        "its dB label still follows: {held:?}"
    );
    let released = Instant::now();
    tablet.send("/strip/1/fader/z", vec![OscType::Float(0.0)]);
    let mut got = Vec::new();
    while released.elapsed() < Duration::from_millis(200) && got.len() < 2 {
        got.extend(tablet.messages(Duration::from_millis(20)));
    }
    assert!(
        got.contains(&("/strip/1/fader".to_owned(), OscType::Float(0.3))),
        "{got:?}"
    );

    // Without touch messages, a move holds the fader for the timeout
    // (500 ms) after the last move.
    tablet.send("/strip/1/fader", vec![OscType::Float(0.6)]);
    std::thread::sleep(Duration::from_millis(30));
    d.oscsend(&["/strip/1/fader", "f", "0.2"]);
    let held = tablet.messages(Duration::from_millis(250));
    assert!(
        !held.iter().any(|(a, _)| a == "/strip/1/fader"),
        "held during the touch timeout: {held:?}"
    );
    let later = tablet.messages(Duration::from_millis(600));
    assert!(
        later.contains(&("/strip/1/fader".to_owned(), OscType::Float(0.2))),
        "after the timeout the fader shows the mix: {later:?}"
    );
}

#[test]
fn garbage_is_counted_and_nothing_unclamped_reaches_the_mix() {
    if !liblo_tools_available() {
        return;
    }
    let d = Daemon::start();
    let c = Client::new(d.osc);
    let junk: Vec<Vec<u8>> = vec![
        vec![],
        b"hello".to_vec(),
        b"/strip/1/fader\0\0,f\0\0\x7f\xc0\x00\x00".to_vec(), // NaN
        b"/strip/1/fader\0\0,f\0\0\x7f\x80\x00\x00".to_vec(), // +inf
        b"/strip/1/fader\0\0,s\0\0loud\0\0\0\0".to_vec(),
        b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\xff\xff".to_vec(), // truncated
        b"/strip/99/mute\0\0,i\0\0\0\0\0\x01".to_vec(),
        b"/nowhere\0\0\0\0,i\0\0\0\0\0\x01".to_vec(),
    ];
    for j in &junk {
        c.sock.send_to(j, d.osc).unwrap();
    }
    // The rosc "immediately" Display panic: a bundle with that time tag.
    let mut b = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    let m = b"/strip/1/solo\0\0\0,i\0\0\0\0\0\x01";
    b.extend_from_slice(&(m.len() as u32).to_be_bytes());
    b.extend_from_slice(m);
    c.sock.send_to(&b, d.osc).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    c.send("/status", vec![]);
    let status = c.messages(Duration::from_millis(300));
    let rejected = status
        .iter()
        .find(|(a, _)| a == "/status/rejected")
        .map(|(_, v)| v.clone());
    // Eight refused: empty and "hello" are malformed, NaN, inf, a string
    // fader, strip 99 and an unknown address. The truncated bundle is one
    // malformed packet.
    assert_eq!(rejected, Some(OscType::Int(8)), "{status:?}");
    let dump = Dump::start();
    d.oscsend(&["/subscribe", "i", &dump.port.to_string()]);
    let got = dump.collect(Duration::from_millis(400));
    assert!(
        got.contains(&"/strip/1/fader f 0.750000".to_owned()),
        "{got:?}"
    );
    assert!(got.contains(&"/strip/1/solo i 1".to_owned()), "{got:?}");
}
