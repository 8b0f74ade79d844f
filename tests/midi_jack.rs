//! Generic MIDI controllers over JACK MIDI against the real daemon on a
//! jackd dummy server: a test client plays two controllers (one with
//! motor faders, one without) through their maps. Every 7-bit value goes
//! in and comes back out as itself, OSC changes come out as the value they
//! set, a relative encoder turned +n then -n lands exactly where it began,
//! soft takeover ignores a fader until it reaches the value, and 14-bit
//! pairs arrive at full resolution.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, jackd_available};
use common::{KillOnDrop, liblo_tools_available, osc_subscriber, oscsend, terminate};
use faderd::surfaces::midi::codec::{self, Message};
use jack::{Client, ClientOptions, Control, MidiIn, MidiOut, ProcessScope, RawMidi};
use std::collections::VecDeque;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// 16 tracks: enough for the nanoKONTROL2's bank of 8 to move.
fn session() -> String {
    let mut y = String::from("version: 1\nname: midi\ntracks:\n");
    for t in 1..=16 {
        y.push_str(&format!("  - {{ name: T{t} }}\n"));
    }
    y
}

const MOTOR_MAP: &str = r#"version: 1
name: motor test controller
applies_to: [midi]
chart: "test controller, all CC on channel 1"
device: { motorized: true }
bindings:
  - { control: fader 1, midi: { cc: 7 }, target: "strip/B1/fader" }
  - { control: fine fader, midi: { cc14: 8 }, target: "strip/B2/fader" }
  - { control: knob 1, midi: { cc: 16, relative: twos_complement }, target: "strip/B1/pan" }
"#;

const PLAIN_MAP: &str = r#"version: 1
name: plain test controller
applies_to: [midi]
chart: "test controller, all CC on channel 1"
device: { motorized: false }
bindings:
  - { control: fader 2, midi: { cc: 9 }, target: "strip/B2/fader" }
"#;

const CONFIG: &str = r#"version: 1
audio: { backend: jack }
jack: { client_name: fd-midi, connect: none }
surfaces:
  - midi: { map: motor.yaml, port: Motor }
  - midi: { map: plain.yaml, port: Plain }
  - midi: { map: korg-nanokontrol2, port: Nano }
"#;

type Inbox = Arc<Mutex<Vec<(usize, Vec<u8>)>>>;
type Outbox = Arc<Mutex<VecDeque<(usize, Vec<u8>)>>>;

struct Ports {
    ins: [jack::Port<MidiIn>; 3],
    outs: [jack::Port<MidiOut>; 3],
    inbox: Inbox,
    outbox: Outbox,
}

impl jack::ProcessHandler for Ports {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let mut inbox = self.inbox.lock().unwrap();
        for (i, p) in self.ins.iter().enumerate() {
            for ev in p.iter(ps) {
                inbox.push((i, ev.bytes.to_vec()));
            }
        }
        drop(inbox);
        let [a, b, c] = &mut self.outs;
        let mut w = [a.writer(ps), b.writer(ps), c.writer(ps)];
        let mut outbox = self.outbox.lock().unwrap();
        // At most 32 messages per period, as a controller would pace them.
        for _ in 0..32 {
            let Some((i, bytes)) = outbox.pop_front() else {
                break;
            };
            let _ = w[i].write(&RawMidi {
                time: 0,
                bytes: &bytes,
            });
        }
        Control::Continue
    }
}

struct Controllers {
    _client: jack::AsyncClient<(), Ports>,
    inbox: Inbox,
    outbox: Outbox,
}

impl Controllers {
    fn send(&self, i: usize, m: Message) {
        self.outbox
            .lock()
            .unwrap()
            .push_back((i, codec::encode(&m)));
    }

    fn take(&self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut *self.inbox.lock().unwrap())
    }

    fn wait_for(&self, i: usize, want: &[u8]) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(2) {
            if self.take().iter().any(|(j, b)| *j == i && b == want) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }
}

fn cc(controller: u8, value: u8) -> Message {
    Message::Cc {
        channel: 0,
        controller,
        value,
    }
}

/// The last value of `addr` an OSC subscriber heard, waiting for `want`.
fn osc_value(lines: &Receiver<String>, addr: &str, want: impl Fn(f64) -> bool) -> Option<f64> {
    let t0 = Instant::now();
    let mut last = None;
    while t0.elapsed() < Duration::from_secs(2) {
        if let Ok(l) = lines.recv_timeout(Duration::from_millis(50))
            && l.contains(&format!("{addr} "))
        {
            let v: f64 = l.split_whitespace().last()?.parse().ok()?;
            last = Some(v);
            if want(v) {
                return last;
            }
        }
    }
    last
}

#[test]
fn midi_controllers_drive_the_mix_through_their_maps_over_jack() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("midi");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motor.yaml"), MOTOR_MAP).unwrap();
    std::fs::write(dir.path().join("plain.yaml"), PLAIN_MAP).unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let sess = dir.path().join("s.yaml");
    std::fs::write(&sess, session()).unwrap();
    let (child, ready) = common::start_run(&[
        sess.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--osc",
        "127.0.0.1:0",
    ]);
    let mut daemon = KillOnDrop(child);
    let osc = common::osc_addr_of(&ready).port();

    let (c, _) = Client::new("ctl", ClientOptions::NO_START_SERVER).unwrap();
    let inbox = Inbox::default();
    let outbox = Outbox::default();
    let ports = Ports {
        ins: [
            c.register_port("motor_in", MidiIn::default()).unwrap(),
            c.register_port("plain_in", MidiIn::default()).unwrap(),
            c.register_port("nano_in", MidiIn::default()).unwrap(),
        ],
        outs: [
            c.register_port("motor_out", MidiOut::default()).unwrap(),
            c.register_port("plain_out", MidiOut::default()).unwrap(),
            c.register_port("nano_out", MidiOut::default()).unwrap(),
        ],
        inbox: Arc::clone(&inbox),
        outbox: Arc::clone(&outbox),
    };
    let client = c.activate_async((), ports).unwrap();
    for (a, b) in [
        ("ctl:motor_out", "fd-midi:Motor in"),
        ("fd-midi:Motor out", "ctl:motor_in"),
        ("ctl:plain_out", "fd-midi:Plain in"),
        ("fd-midi:Plain out", "ctl:plain_in"),
        ("ctl:nano_out", "fd-midi:Nano in"),
        ("fd-midi:Nano out", "ctl:nano_in"),
    ] {
        client.as_client().connect_ports_by_name(a, b).unwrap();
    }
    let ctl = Controllers {
        _client: client,
        inbox,
        outbox,
    };
    std::thread::sleep(Duration::from_millis(200));

    // An OSC subscriber watches the mix.
    let (_dump, lines) = osc_subscriber(osc, 19455);
    ctl.take();

    // Every 7-bit value: in, applied, echoed as itself.
    for v in 0..=127u8 {
        ctl.send(0, cc(7, v));
        assert!(ctl.wait_for(0, &codec::encode(&cc(7, v))), "no echo of {v}");
    }
    let last = osc_value(&lines, "/strip/1/fader", |x| (x - 1.0).abs() < 1e-6);
    assert_eq!(last, Some(1.0), "the mix follows the fader");

    // OSC moves come out as the 7-bit value they set.
    for v in [0u8, 1, 42, 64, 100, 126] {
        let x = f64::from(v) / 127.0;
        oscsend(osc, &["/strip/1/fader", "f", &format!("{x}")]);
        assert!(
            ctl.wait_for(0, &codec::encode(&cc(7, v))),
            "no feedback of {v}"
        );
    }

    // A relative encoder: +5 then -5 lands exactly where it began.
    while lines.try_recv().is_ok() {}
    ctl.send(0, cc(16, 5));
    let up = osc_value(&lines, "/strip/1/pan", |x| x > 0.5).unwrap();
    assert!((up - (0.5 + 5.0 / 127.0)).abs() < 1e-6, "{up}");
    ctl.send(0, cc(16, 128 - 5));
    let back = osc_value(&lines, "/strip/1/pan", |x| x == 0.5).unwrap();
    assert_eq!(back, 0.5);

    // A 14-bit pair: values a 7-bit CC cannot tell apart arrive distinct.
    while lines.try_recv().is_ok() {}
    for v in [8192u16, 8193] {
        ctl.send(0, cc(8, (v >> 7) as u8));
        ctl.send(0, cc(40, (v & 0x7F) as u8));
        let want = f64::from(v) / 16383.0;
        let got = osc_value(&lines, "/strip/2/fader", |x| (x - want).abs() < 1e-6).unwrap();
        assert!((got - want).abs() < 1e-6, "{v}: {got}");
    }

    // Soft takeover on the plain controller: strip 2 is at 8193/16383
    // (about 0.5); moves below it change nothing, crossing picks it up.
    while lines.try_recv().is_ok() {}
    for v in [0u8, 20, 40, 60] {
        ctl.send(1, cc(9, v));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        osc_value(&lines, "/strip/2/fader", |_| true).is_none(),
        "the fader jumped before reaching the value"
    );
    ctl.send(1, cc(9, 70));
    let got = osc_value(&lines, "/strip/2/fader", |x| {
        (x - 70.0 / 127.0).abs() < 1e-6
    });
    assert_eq!(got.map(|x| (x * 127.0).round()), Some(70.0));
    // No feedback goes to a controller without motors.
    assert!(ctl.take().iter().all(|(i, _)| *i == 0));

    // MIDI learn from the command line: the next control moved on the
    // plain controller drives strip 1's pan, and the binding is saved in
    // its map file.
    let learn = common::faderd()
        .args(["learn", "strip/1/pan", "--osc", &format!("127.0.0.1:{osc}")])
        .output()
        .unwrap();
    assert!(learn.status.success(), "{learn:?}");
    ctl.send(1, cc(21, 0));
    std::thread::sleep(Duration::from_millis(100));
    while lines.try_recv().is_ok() {}
    ctl.send(1, cc(21, 127)); // crosses the pan (0.5): picked up
    let pan = osc_value(&lines, "/strip/1/pan", |x| x == 1.0);
    if pan != Some(1.0) {
        terminate(&mut daemon.0);
        let mut err = String::new();
        std::io::Read::read_to_string(&mut daemon.0.stderr.take().unwrap(), &mut err).unwrap();
        panic!("the learned control does not drive the pan ({pan:?}); faderd said:\n{err}");
    }
    let saved = std::fs::read_to_string(dir.path().join("plain.yaml")).unwrap();
    assert!(
        saved.contains("midi: { cc: 21, channel: 1 }, target: \"strip/1/pan\""),
        "{saved}"
    );
    assert!(
        saved.starts_with(PLAIN_MAP),
        "the rest of the map is kept as it was"
    );
    let reread = faderd::config::parse_map(&saved, &dir.path().join("plain.yaml")).unwrap();
    assert_eq!(reread.bindings.len(), 2);

    // Every binding of the shipped nanoKONTROL2 map, end to end: MIDI in,
    // the mix changes, an OSC subscriber hears it.
    let text = std::fs::read_to_string("maps/korg-nanokontrol2.yaml").unwrap();
    let nano = faderd::config::parse_map(&text, std::path::Path::new("nano")).unwrap();
    let hear = |addr: &str, want: f64| {
        let got = osc_value(&lines, addr, |x| (x - want).abs() < 1e-6);
        assert_eq!(got, Some(want), "{addr}");
    };
    let mut driven = 0;
    for n in 1..=8u8 {
        while lines.try_recv().is_ok() {}
        // Slider and knob: swept end to end (crossing picks them up).
        ctl.send(2, cc(n - 1, 0));
        ctl.send(2, cc(n - 1, 127));
        hear(&format!("/strip/{n}/fader"), 1.0);
        ctl.send(2, cc(15 + n, 127));
        ctl.send(2, cc(15 + n, 0));
        hear(&format!("/strip/{n}/pan"), 0.0);
        // S and M: a press (127, then 0 on release) switches on.
        for (c, what) in [(31 + n, "solo"), (47 + n, "mute")] {
            ctl.send(2, cc(c, 127));
            ctl.send(2, cc(c, 0));
            hear(&format!("/strip/{n}/{what}"), 1.0);
        }
        driven += 4;
    }
    let press = |c: u8| {
        ctl.send(2, cc(c, 127));
        ctl.send(2, cc(c, 0));
    };
    while lines.try_recv().is_ok() {}
    press(41);
    hear("/transport/play", 1.0);
    press(42);
    hear("/transport/stop", 1.0);
    // Stopped: FF moves ten seconds on, rewind back to the start.
    press(44);
    let on = osc_value(&lines, "/transport/locate", |x| x >= 10.0);
    assert!(on.is_some_and(|x| x >= 10.0), "ff: {on:?}");
    press(43);
    hear("/transport/locate", 0.0);
    // Track >: slider 1 now rides strip 9; track <: back to strip 1.
    press(59);
    ctl.send(2, cc(0, 0));
    ctl.send(2, cc(0, 127));
    hear("/strip/9/fader", 1.0);
    press(58);
    ctl.send(2, cc(0, 0));
    ctl.send(2, cc(0, 60));
    hear("/strip/1/fader", (60.0f64 / 127.0 * 1e6).round() / 1e6);
    // Marker >: one strip on; marker <: back.
    press(62);
    ctl.send(2, cc(16, 0));
    ctl.send(2, cc(16, 127));
    hear("/strip/2/pan", 1.0); // knob 1 on strip 2
    press(61);
    driven += 8;
    assert_eq!(
        driven,
        nano.bindings.len(),
        "every nanoKONTROL2 binding driven"
    );

    let st = terminate(&mut daemon.0);
    assert!(st.success(), "{st:?}");
    drop(ctl);
    drop(server);
}
