//! Garbage on the surface MIDI ports of the real daemon on a jackd dummy
//! server: a JACK client writes random bytes, truncated SysEx, SysEx with
//! no F7, oversized SysEx, lone status and data bytes and empty events
//! into a Mackie unit's and a generic controller's ports, every period,
//! for a sustained run. faderd must keep running, keep playing audio,
//! count what it dropped, and still obey a well-formed fader move afterwards.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::{
    liblo_tools_available, osc_status, oscsend, run_session, status_number, subscribed_value,
    terminate,
};
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
    outs: [jack::Port<MidiOut>; 3],
    rng: Rng,
    buf: Vec<u8>,
    written: Arc<AtomicU64>,
    on: Arc<AtomicBool>,
    /// Once garbage stops and this is set: every Mackie fader released.
    release: Arc<AtomicBool>,
    released: bool,
    /// Once garbage stops and this is set: a fader pulled from top to
    /// bottom on CC 7, one value per period (past soft takeover's point).
    pull: Arc<AtomicBool>,
    pulled: u8,
}

impl jack::ProcessHandler for Garbage {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let n_frames = ps.n_frames();
        let [a, b, c] = &mut self.outs;
        let mut w = [a.writer(ps), b.writer(ps), c.writer(ps)];
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
        } else if self.release.load(Ordering::Relaxed) && !self.released {
            for note in 0x68..=0x70u8 {
                let _ = w[0].write(&RawMidi {
                    time: 0,
                    bytes: &[0x90, note, 0],
                });
            }
            self.released = true;
        } else if self.pull.load(Ordering::Relaxed) && self.pulled <= 127 {
            let _ = w[2].write(&RawMidi {
                time: 0,
                bytes: &[0xB0, 7, 127 - self.pulled],
            });
            self.pulled += 1;
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
    probe.connect(&probe.port("out"), "fd-garbage:in 1");
    probe.connect("fd-garbage:Master out L", &probe.port("in_l"));

    let (client, _) = Client::new("garbage", ClientOptions::NO_START_SERVER).unwrap();
    let outs = [
        client.register_port("mackie", MidiOut::default()).unwrap(),
        client.register_port("mackie2", MidiOut::default()).unwrap(),
        client.register_port("ctl", MidiOut::default()).unwrap(),
    ];
    let written = Arc::new(AtomicU64::new(0));
    let on = Arc::new(AtomicBool::new(seconds > 0));
    let pull = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let active = client
        .activate_async(
            (),
            Garbage {
                outs,
                rng: Rng(seed | 1),
                buf: Vec::with_capacity(4096),
                written: Arc::clone(&written),
                on: Arc::clone(&on),
                pull: Arc::clone(&pull),
                pulled: 0,
                release: Arc::clone(&release),
                released: false,
            },
        )
        .unwrap();
    let c = active.as_client();
    // Two sources into one port: JACK mixes them in faderd's cycle.
    c.connect_ports_by_name("garbage:mackie", "fd-garbage:X-Touch in")
        .unwrap();
    c.connect_ports_by_name("garbage:mackie2", "fd-garbage:X-Touch in")
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
    assert!(
        events >= seconds * 1000,
        "only {events} events were written"
    );

    // Still alive and listening: OSC answers, the audio still flows, and
    // a well-formed CC on the generic port still moves strip 1.
    let status = osc_status(run.osc);
    let faults = status_number(&status, "/status/engine/faults");
    assert_eq!(faults, Some(0.0), "the engine faulted");
    if seconds > 0 {
        // Empty and oversized messages are refused on the audio thread and
        // counted.
        let refused = status_number(&status, "/status/refused/midi").unwrap_or(0.0);
        assert!(refused > 0.0, "no MIDI refused: {status:?}");
    }
    let before = probe.seen().0;
    assert!(before.is_finite(), "the output is not a number: {before}");
    // The garbage may have left fader 1 touched on the Mackie unit (which
    // holds other surfaces off it, as it should) or its automation in
    // read: release the touches as a hand would, and turn automation off.
    release.store(true, Ordering::Relaxed);
    oscsend(run.osc, &["/strip/1/automation", "s", "off"]);
    std::thread::sleep(Duration::from_millis(200));
    pull.store(true, Ordering::Relaxed);
    let t1 = Instant::now();
    let mut fader = None;
    while t1.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(100));
        fader = subscribed_value(run.osc, "/strip/1/fader");
        if fader == Some(0.0) {
            break;
        }
    }
    assert_eq!(
        fader,
        Some(0.0),
        "a fader pulled down on CC 7 after the garbage did not reach strip 1"
    );
    assert_eq!(probe.seen().0, 0.0, "strip 1 pulled down is not silent");
    let st = terminate(&mut run.child.0);
    assert!(st.success(), "{st}");
    drop(active);
}
