//! Garbage on the surface MIDI ports of the real daemon on a jackd dummy
//! server: a JACK client writes random bytes, truncated SysEx, SysEx with
//! no F7, oversized SysEx, lone status and data bytes and empty events
//! into a Mackie unit's and a generic controller's ports, every period,
//! for a sustained run. faderd must keep running, keep playing audio,
//! count what it dropped, and still obey a well-formed move afterwards.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::{liblo_tools_available, osc_status, run_session, status_number, terminate};
use jack::{Client, ClientOptions, Control, MidiOut, ProcessScope, RawMidi};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-garbage, connect: none }
surfaces:
  - mackie:
      units:
        - { profile: x-touch, midi: X-Touch }
  - midi: { map: ctl.yaml, port: Ctl }
"#;

const MAP: &str = r#"version: 1
name: garbage test controller
applies_to: [midi]
chart: "CC 7 on channel 1 moves strip 1"
device: { motorized: false }
bindings:
  - { control: fader 1, midi: { cc: 7 }, target: "strip/B1/fader" }
  - { control: mute 1, midi: { note: 16 }, target: "strip/B1/mute" }
  - { control: fine, midi: { cc14: 8 }, target: "strip/B2/fader" }
  - { control: nrpn, midi: { nrpn: 300 }, target: "strip/B3/fader" }
"#;

const SESSION: &str = "version: 1\nname: garbage\ntracks:\n  - { name: T1, source: { input: 1 }, gain_db: 0 }\n  - { name: T2 }\n  - { name: T3 }\n";

/// xorshift64*: deterministic garbage.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// One garbage event of a random kind.
fn garbage(rng: &mut Rng, buf: &mut Vec<u8>) {
    buf.clear();
    match rng.below(9) {
        // Random bytes of any length, up to past the daemon's limit.
        0 | 1 => {
            let n = rng.below(400) as usize;
            buf.extend((0..n).map(|_| rng.byte()));
        }
        // SysEx cut short, or with no F7 at all.
        2 => {
            buf.extend([0xF0, 0x00, 0x00, 0x66, 0x14]);
            let n = rng.below(200) as usize;
            buf.extend((0..n).map(|_| rng.byte() & 0x7F));
        }
        // SysEx far longer than any surface message, properly ended.
        3 => {
            buf.push(0xF0);
            let n = 200 + rng.below(2000) as usize;
            buf.extend((0..n).map(|_| rng.byte() & 0x7F));
            buf.push(0xF7);
        }
        // A lone status byte, or lone data bytes.
        4 => buf.push(0x80 | rng.byte()),
        5 => {
            let n = 1 + rng.below(3) as usize;
            buf.extend((0..n).map(|_| rng.byte() & 0x7F));
        }
        // Nothing at all.
        6 => {}
        // Messages that look right but are cut or padded.
        7 => {
            let status = 0x80 | (rng.byte() & 0x7F);
            buf.push(status);
            let n = rng.below(6) as usize;
            buf.extend((0..n).map(|_| rng.byte()));
        }
        // Well-formed pitch bends and notes (a Mackie fader and touch).
        _ => {
            buf.extend([
                0xE0 | (rng.byte() & 0x0F),
                rng.byte() & 0x7F,
                rng.byte() & 0x7F,
            ]);
        }
    }
}

struct Garbage {
    outs: [jack::Port<MidiOut>; 2],
    rng: Rng,
    buf: Vec<u8>,
    written: Arc<AtomicU64>,
    on: Arc<AtomicBool>,
    /// A final well-formed CC 7 (value) to send once garbage stops.
    cc: Arc<AtomicU64>,
}

impl jack::ProcessHandler for Garbage {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let n_frames = ps.n_frames();
        let [a, b] = &mut self.outs;
        let mut w = [a.writer(ps), b.writer(ps)];
        if self.on.load(Ordering::Relaxed) {
            for w in &mut w {
                let events = self.rng.below(24);
                let mut time = 0;
                for _ in 0..events {
                    garbage(&mut self.rng, &mut self.buf);
                    time = (time + self.rng.below(4) as u32).min(n_frames - 1);
                    if w.write(&RawMidi {
                        time,
                        bytes: &self.buf,
                    })
                    .is_ok()
                    {
                        self.written.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        } else {
            let v = self.cc.swap(u64::MAX, Ordering::Relaxed);
            if v != u64::MAX {
                let _ = w[1].write(&RawMidi {
                    time: 0,
                    bytes: &[0xB0, 7, v as u8],
                });
            }
        }
        Control::Continue
    }
}

#[test]
fn garbage_midi_into_surface_ports_never_stops_the_daemon() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let seconds: u64 = std::env::var("FADERD_GARBAGE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("FADERD_GARBAGE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15);
    let server = JackServer::start("garbage");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ctl.yaml"), MAP).unwrap();
    let config = CONFIG.replace("ctl.yaml", dir.path().join("ctl.yaml").to_str().unwrap());
    let mut run = run_session(SESSION, &config);
    assert!(
        server.wait_port("fd-garbage:X-Touch in", Duration::from_secs(3)),
        "{}",
        server.lsp()
    );

    // Audio goes through while the garbage flows: DC into T1.
    let probe = Probe::start("probe-garbage", 0.5);
    probe.connect(&probe.port("out"), "fd-garbage:T1 in");
    probe.connect("fd-garbage:Master out L", &probe.port("in_l"));

    let (client, _) = Client::new("garbage", ClientOptions::NO_START_SERVER).unwrap();
    let outs = [
        client.register_port("mackie", MidiOut::default()).unwrap(),
        client.register_port("ctl", MidiOut::default()).unwrap(),
    ];
    let written = Arc::new(AtomicU64::new(0));
    let on = Arc::new(AtomicBool::new(true));
    let cc = Arc::new(AtomicU64::new(u64::MAX));
    let active = client
        .activate_async(
            (),
            Garbage {
                outs,
                rng: Rng(seed | 1),
                buf: Vec::with_capacity(4096),
                written: Arc::clone(&written),
                on: Arc::clone(&on),
                cc: Arc::clone(&cc),
            },
        )
        .unwrap();
    let c = active.as_client();
    c.connect_ports_by_name("garbage:mackie", "fd-garbage:X-Touch in")
        .unwrap();
    c.connect_ports_by_name("garbage:ctl", "fd-garbage:Ctl in")
        .unwrap();

    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(250));
        if let Some(st) = run.child.0.try_wait().unwrap() {
            panic!(
                "faderd died after {:.1} s of garbage ({} events): {st}",
                t0.elapsed().as_secs_f64(),
                written.load(Ordering::Relaxed)
            );
        }
    }
    on.store(false, Ordering::Relaxed);
    let events = written.load(Ordering::Relaxed);
    eprintln!("{events} garbage events in {seconds} s");
    assert!(events > seconds * 1000, "only {events} events were written");

    // Still alive and listening: OSC answers, the audio still flows, and
    // a well-formed CC on the generic port still moves strip 1.
    let faults = status_number(&osc_status(run.osc), "/status/engine/faults");
    assert_eq!(faults, Some(0.0), "the engine faulted");
    let before = probe.seen().0;
    assert!(before > 0.1, "no audio after the garbage: {before}");
    std::thread::sleep(Duration::from_millis(200));
    cc.store(0, Ordering::Relaxed);
    let t1 = Instant::now();
    while probe.seen().0 != 0.0 && t1.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        probe.seen().0,
        0.0,
        "a CC 7 of 0 after the garbage did not pull T1 down"
    );
    let st = terminate(&mut run.child.0);
    assert!(st.success(), "{st}");
    drop(active);
}
