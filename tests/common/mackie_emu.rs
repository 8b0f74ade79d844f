//! An emulated Behringer X-Touch with one X-Touch Extender: a JACK client
//! with two MIDI port pairs that speaks Mackie Control like the hardware,
//! for the scenario tests and the latency bench.

use faderd::surfaces::mackie::codec::{
    FromSurface, ToSurface, decode_to_surface, device, encode_from_surface,
};
use jack::{Client, ClientOptions, Control, MidiIn, MidiOut, ProcessScope, RawMidi};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Inbox = Arc<Mutex<Vec<(usize, Instant, Vec<u8>)>>>;
type Outbox = Arc<Mutex<VecDeque<(usize, Vec<u8>)>>>;

/// The emulated hardware's JACK side: two MIDI port pairs.
struct EmuPorts {
    ins: [jack::Port<MidiIn>; 2],
    outs: [jack::Port<MidiOut>; 2],
    inbox: Inbox,
    outbox: Outbox,
}

impl jack::ProcessHandler for EmuPorts {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let now = Instant::now();
        let mut inbox = self.inbox.lock().unwrap();
        for (unit, port) in self.ins.iter().enumerate() {
            for ev in port.iter(ps) {
                inbox.push((unit, now, ev.bytes.to_vec()));
            }
        }
        drop(inbox);
        let mut outbox = self.outbox.lock().unwrap();
        let [a, b] = &mut self.outs;
        let mut writers = [a.writer(ps), b.writer(ps)];
        while let Some((unit, bytes)) = outbox.pop_front() {
            let _ = writers[unit].write(&RawMidi {
                time: 0,
                bytes: &bytes,
            });
        }
        Control::Continue
    }
}

/// An X-Touch (unit 0) with an X-Touch Extender (unit 1), patched to the
/// daemon client `fd-mackie`'s ports `X-Touch` and `X-Touch Ext`.
pub struct Emulator {
    client: jack::AsyncClient<(), EmuPorts>,
    inbox: Inbox,
    outbox: Outbox,
}

impl Emulator {
    pub fn start() -> Emulator {
        let (c, _) = Client::new("xtouch", ClientOptions::NO_START_SERVER).unwrap();
        let inbox = Inbox::default();
        let outbox = Outbox::default();
        let ports = EmuPorts {
            ins: [
                c.register_port("main_in", MidiIn::default()).unwrap(),
                c.register_port("ext_in", MidiIn::default()).unwrap(),
            ],
            outs: [
                c.register_port("main_out", MidiOut::default()).unwrap(),
                c.register_port("ext_out", MidiOut::default()).unwrap(),
            ],
            inbox: Arc::clone(&inbox),
            outbox: Arc::clone(&outbox),
        };
        let client = c.activate_async((), ports).unwrap();
        Emulator {
            client,
            inbox,
            outbox,
        }
    }

    const PAIRS: [(&'static str, &'static str, &'static str, &'static str); 2] = [
        (
            "xtouch:main_out",
            "fd-mackie:X-Touch in",
            "fd-mackie:X-Touch out",
            "xtouch:main_in",
        ),
        (
            "xtouch:ext_out",
            "fd-mackie:X-Touch Ext in",
            "fd-mackie:X-Touch Ext out",
            "xtouch:ext_in",
        ),
    ];

    pub fn plug(&self, unit: usize) {
        let (a, b, c, d) = Self::PAIRS[unit];
        let cl = self.client.as_client();
        cl.connect_ports_by_name(a, b).unwrap();
        cl.connect_ports_by_name(c, d).unwrap();
    }

    pub fn unplug(&self, unit: usize) {
        let (a, b, c, d) = Self::PAIRS[unit];
        let cl = self.client.as_client();
        cl.disconnect_ports_by_name(a, b).unwrap();
        cl.disconnect_ports_by_name(c, d).unwrap();
    }

    pub fn send(&self, unit: usize, m: FromSurface) -> Instant {
        self.outbox
            .lock()
            .unwrap()
            .push_back((unit, encode_from_surface(&m)));
        Instant::now()
    }

    /// Everything received since the last call, decoded.
    pub fn take(&self) -> Vec<(usize, Instant, ToSurface)> {
        std::mem::take(&mut *self.inbox.lock().unwrap())
            .into_iter()
            .map(|(u, t, b)| {
                (
                    u,
                    t,
                    decode_to_surface(&b).unwrap_or_else(|e| panic!("{e}")),
                )
            })
            .collect()
    }

    /// Collect for `d`.
    pub fn collect(&self, d: Duration) -> Vec<(usize, Instant, ToSurface)> {
        std::thread::sleep(d);
        self.take()
    }

    /// Go through unit `unit`'s handshake as the hardware does: wait for
    /// the device query (within 3 s), answer it, then wait (within 3 s)
    /// until the unit is sent a message `drawn` accepts. Returns what the
    /// unit was sent after the answer.
    pub fn handshake(
        &self,
        unit: usize,
        drawn: impl Fn(&ToSurface) -> bool,
    ) -> Vec<(usize, Instant, ToSurface)> {
        let dev = if unit == 0 {
            device::MCU
        } else {
            device::MCU_XT
        };
        self.wait(Duration::from_secs(3), |u, m| {
            u == unit && *m == ToSurface::DeviceQuery { device: dev }
        });
        self.send(
            unit,
            FromSurface::ConnectionQuery {
                device: dev,
                serial: *b"EMU0001",
                challenge: [9, 8, 7, 6],
            },
        );
        self.wait(Duration::from_secs(3), |u, m| u == unit && drawn(m))
    }

    /// Until unit `unit` (whose last strip is named `last`) is drawn whole.
    pub fn names_drawn(last: &str) -> impl Fn(&ToSurface) -> bool + '_ {
        move |m| matches!(m, ToSurface::Lcd { offset: 49, text, .. } if text.starts_with(last.as_bytes()))
    }

    /// Wait until a received message matches; returns everything seen.
    pub fn wait(
        &self,
        within: Duration,
        pred: impl Fn(usize, &ToSurface) -> bool,
    ) -> Vec<(usize, Instant, ToSurface)> {
        let t0 = Instant::now();
        let mut seen = Vec::new();
        loop {
            let new = self.take();
            let hit = new.iter().any(|(u, _, m)| pred(*u, m));
            seen.extend(new);
            if hit {
                return seen;
            }
            assert!(
                t0.elapsed() < within,
                "not received within {within:?}: {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
