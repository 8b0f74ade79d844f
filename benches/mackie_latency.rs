//! Mackie Control latency through the real daemon on a jackd dummy server
//! (48 kHz, 64 frames), with an emulated X-Touch on JACK MIDI:
//!
//! 1. fader move -> engine: from the emulator queueing a pitch bend to the
//!    first master-output block whose level differs (a probe client), over
//!    a DC signal on the track;
//! 2. fader move -> echo: from the emulator queueing a pitch bend to its
//!    process callback receiving it back (the motor following the hand);
//! 3. OSC -> motor fader: from a UDP `/strip/1/fader` datagram to the
//!    emulator's process callback receiving the pitch bend for it.
//!
//!     cargo bench --bench mackie_latency [-- MOVES]
//!
//! Wall-clock times, so they include JACK's period (1.33 ms) and the
//! scheduling of four processes on this machine.

mod support;

#[path = "../tests/common/mackie_emu.rs"]
#[allow(dead_code)]
mod mackie_emu;

use faderd::surfaces::mackie::codec::{self, FromSurface, ToSurface};
use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, ProcessScope};
use mackie_emu::Emulator;
use rosc::{OscMessage, OscPacket, OscType};
use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{start_faderd, start_jackd};

const SESSION: &str =
    "version: 1\nname: lat\ntracks:\n  - { name: T1, source: { input: 1 }, gain_db: -20 }\n";
const CONFIG: &str = "version: 1\naudio: { backend: jack }\njack: { client_name: fd-mackie, connect: none }\nsurfaces:\n  - mackie:\n      units:\n        - { profile: x-touch, midi: X-Touch }\n        - { profile: x-touch-extender, midi: X-Touch Ext }\n";

/// Plays DC, and notes when the input's last sample last changed.
struct Edge {
    out: jack::Port<AudioOut>,
    inp: jack::Port<AudioIn>,
    last: f32,
    changed: Arc<Mutex<Option<Instant>>>,
}

impl jack::ProcessHandler for Edge {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        self.out.as_mut_slice(ps).fill(0.5);
        let now = Instant::now();
        for v in self.inp.as_slice(ps) {
            if (v - self.last).abs() > 1e-6 {
                self.last = *v;
                let mut c = self.changed.lock().unwrap();
                if c.is_none() {
                    *c = Some(now);
                }
            }
        }
        Control::Continue
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, v: &mut [f64]) {
    println!(
        "  {label:<34} p50 {:6.2} ms   p99 {:6.2} ms   max {:6.2} ms   (n = {})",
        percentile(v, 0.5),
        percentile(v, 0.99),
        percentile(v, 1.0),
        v.len()
    );
}

fn main() {
    let moves: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let Some(_jackd) = start_jackd("mackie") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sess, cfg) = (dir.path().join("s.yaml"), dir.path().join("c.yaml"));
    std::fs::write(&sess, SESSION).unwrap();
    std::fs::write(&cfg, CONFIG).unwrap();
    let (_daemon, ready) = start_faderd(&sess, &cfg);
    let osc = support::ready_osc_port(&ready);

    let emu = Emulator::start();
    emu.plug(0);
    emu.plug(1);
    for unit in 0..2 {
        emu.handshake(unit, |m| matches!(m, ToSurface::Lcd { .. }));
    }

    let (c, _) = Client::new("edge", ClientOptions::NO_START_SERVER).unwrap();
    let changed = Arc::new(Mutex::new(None));
    let edge = Edge {
        out: c.register_port("out", AudioOut::default()).unwrap(),
        inp: c.register_port("in", AudioIn::default()).unwrap(),
        last: 0.0,
        changed: Arc::clone(&changed),
    };
    let edge = c.activate_async((), edge).unwrap();
    let ec = edge.as_client();
    ec.connect_ports_by_name("edge:out", "fd-mackie:in 1")
        .unwrap();
    ec.connect_ports_by_name("fd-mackie:Master out L", "edge:in")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    // 1. Fader moves (touched, as a hand would) to alternating positions.
    let (mut to_engine, mut to_echo) = (Vec::new(), Vec::new());
    emu.send(0, FromSurface::Touch { fader: 0, on: true });
    for i in 0..moves {
        std::thread::sleep(Duration::from_millis(25));
        *changed.lock().unwrap() = None;
        emu.take();
        let value = if i % 2 == 0 { 12000 } else { 10000 };
        let sent = emu.send(0, FromSurface::Fader { fader: 0, value });
        let echo = ToSurface::Fader { fader: 0, value };
        let seen = emu.wait(Duration::from_secs(1), |u, m| u == 0 && *m == echo);
        if let Some((_, at, _)) = seen.iter().find(|(u, _, m)| *u == 0 && *m == echo) {
            to_echo.push(at.duration_since(sent).as_secs_f64() * 1000.0);
        }
        let t0 = Instant::now();
        loop {
            if let Some(at) = *changed.lock().unwrap() {
                to_engine.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                break;
            }
            if t0.elapsed() > Duration::from_secs(1) {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    emu.send(
        0,
        FromSurface::Touch {
            fader: 0,
            on: false,
        },
    );
    std::thread::sleep(Duration::from_millis(200));
    emu.take();

    // 2. OSC moves to the motor fader.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut to_motor = Vec::new();
    for i in 0..moves {
        let pos = if i % 2 == 0 { 0.3f32 } else { 0.6 };
        let want = codec::pos_to_fader(f64::from(pos));
        let msg = rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: "/strip/1/fader".into(),
            args: vec![OscType::Float(pos)],
        }))
        .unwrap();
        let sent = Instant::now();
        sock.send_to(&msg, ("127.0.0.1", osc)).unwrap();
        let got = emu.wait(Duration::from_secs(2), |u, m| {
            u == 0
                && *m
                    == ToSurface::Fader {
                        fader: 0,
                        value: want,
                    }
        });
        if let Some((_, at, _)) = got.iter().find(|(u, _, m)| {
            *u == 0
                && *m
                    == ToSurface::Fader {
                        fader: 0,
                        value: want,
                    }
        }) {
            to_motor.push(at.duration_since(sent).as_secs_f64() * 1000.0);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    println!("Mackie Control latency, jackd dummy 48000 Hz / 64 frames ({moves} moves each):");
    report("fader move -> engine output", &mut to_engine);
    report("fader move -> echo to its motor", &mut to_echo);
    report("OSC change -> motor-fader message", &mut to_motor);
    drop(edge);
}
