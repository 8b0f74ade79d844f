//! The JACK process callback allocates and frees nothing while the mix is
//! being changed and surface MIDI flows both ways through the engine's own
//! JACK MIDI ports; and the MIDI bytes arrive intact on both sides.
//!
//! A peer JACK client plays the surface: it sends note, CC and SysEx
//! messages into faderd's MIDI input every period and records what faderd's
//! MIDI output sends it. Counted: every allocation and free made on the
//! JACK thread between the start and the end of faderd's process callback.
mod common;
use common::alloc::{CountingAlloc, Counts, count_into, stop_counting};
use common::jack::{JackServer, jackd_available};
use faderd::audio::AudioHooks;
use faderd::audio::jack::{Connections, JackBackend, PortLayout, open_client};
use faderd::audio::midi::{MidiPorts, midi_queues};
use faderd::engine::EngineConfig;
use faderd::mixer::{ClipStore, Hub, Origin, Value};
use jack::{Client, ClientOptions, Control, MidiIn, MidiOut, ProcessScope, RawMidi};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const SESSION: &str = r#"
version: 1
name: jack-rt
buses:
  - { name: Verb, kind: aux }
  - { name: Drums, kind: group, sends: [{ bus: Verb, gain_db: -10 }] }
tracks:
  - { name: Kick, source: { input: 1 }, output: Drums }
  - { name: Keys, channels: stereo, source: { input: 2 }, sends: [{ bus: Verb, gain_db: -6 }] }
  - { name: Pad, source: { tone: { wave: pink, level_db: -20 } }, sends: [{ bus: Verb, gain_db: -6, pre: true }] }
"#;

/// What the peer sends each period: a note, a CC and, every 8th period, a
/// 120-byte scribble-strip SysEx.
fn peer_message(seq: u32) -> Vec<u8> {
    match seq % 8 {
        0 => {
            let mut m = vec![0xf0, 0x00, 0x00, 0x66, 0x14, 0x12, (seq % 56) as u8];
            m.extend((0..112).map(|i| b'A' + ((seq + i) % 26) as u8));
            m.push(0xf7);
            m
        }
        k if k % 2 == 1 => vec![0x90, (seq % 128) as u8, 0x7f],
        _ => vec![0xb0, 0x10, (seq % 128) as u8],
    }
}

struct Peer {
    out: jack::Port<MidiOut>,
    inp: jack::Port<MidiIn>,
    seq: u32,
    got: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl jack::ProcessHandler for Peer {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        // Start the numbered stream once faderd listens, so none is lost.
        let connected = self.out.connected_count().unwrap_or(0) > 0;
        let msg = peer_message(self.seq);
        if connected
            && self
                .out
                .writer(ps)
                .write(&RawMidi {
                    time: 0,
                    bytes: &msg,
                })
                .is_ok()
        {
            self.seq += 1;
        }
        let mut got = self.got.lock().unwrap();
        for ev in self.inp.iter(ps) {
            got.push(ev.bytes.to_vec());
        }
        Control::Continue
    }
}

#[test]
fn jack_callback_allocates_nothing_with_midi_flowing() {
    if !jackd_available() {
        return;
    }
    let server = JackServer::start("rtalloc");

    // The counter sees an allocation on a flagged thread.
    let probe = Counts::leaked();
    count_into(probe);
    drop(std::hint::black_box(vec![0u8; 64]));
    stop_counting();
    assert!(probe.allocs() > 0, "the counter works");
    let callback = Counts::leaked();

    let session = faderd::config::parse_session(SESSION, std::path::Path::new("s.yaml")).unwrap();
    let layout: PortLayout = faderd::daemon::port_layout(&session);
    let client = open_client("fd-rt").unwrap();
    let cfg = EngineConfig {
        sample_rate: client.sample_rate(),
        max_block: client.buffer_size() as usize,
        inputs: layout.inputs.len(),
        outputs: layout.outputs.len(),
    };
    let (mut hub, engine) = Hub::new(session, ClipStore::new(), cfg).unwrap();
    let (midi_rt, mut midi) = midi_queues();
    let hooks = AudioHooks {
        before_period: Some(Box::new(move || count_into(callback))),
        after_period: Some(Box::new(|_| stop_counting())),
    };
    let ports = MidiPorts {
        names: vec!["Surface".into()],
    };
    let backend = JackBackend::start(
        client,
        engine,
        &layout,
        Some((&ports, midi_rt)),
        &Connections {
            physical: true,
            extra: vec![],
        },
        hooks,
    )
    .unwrap();

    let (peer_client, _) = Client::new("peer", ClientOptions::NO_START_SERVER).unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let peer = Peer {
        out: peer_client
            .register_port("to_faderd", MidiOut::default())
            .unwrap(),
        inp: peer_client
            .register_port("from_faderd", MidiIn::default())
            .unwrap(),
        seq: 0,
        got: Arc::clone(&got),
    };
    let peer = peer_client.activate_async((), peer).unwrap();
    let pc = peer.as_client();
    pc.connect_ports_by_name("peer:to_faderd", "fd-rt:Surface in")
        .unwrap();
    pc.connect_ports_by_name("fd-rt:Surface out", "peer:from_faderd")
        .unwrap();

    // Two seconds of a busy hub: faders, pans, sends, mutes, solos and
    // MIDI both ways.
    let mut received: Vec<Vec<u8>> = Vec::new();
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let t0 = Instant::now();
    let mut k = 0u32;
    while t0.elapsed() < Duration::from_secs(2) {
        k += 1;
        let x = f64::from(k % 100) / 100.0;
        for (addr, v) in [
            ("strip/1/fader", Value::Float(x)),
            ("strip/2/pan", Value::Float(1.0 - x)),
            ("strip/3/send/1/fader", Value::Float(x)),
            ("bus/2/gain", Value::Float(-20.0 * x)),
            ("strip/2/mute", Value::Bool(k.is_multiple_of(7))),
            ("strip/3/solo", Value::Bool(k.is_multiple_of(11))),
        ] {
            hub.apply_str(Origin::Daemon, addr, v).unwrap();
        }
        hub.service();
        let out = if k.is_multiple_of(5) {
            let mut m = vec![0xf0, 0x00, 0x00, 0x66, 0x14, 0x12, 0x00];
            m.extend((0..112).map(|i| b'a' + ((k + i) % 26) as u8));
            m.push(0xf7);
            m
        } else {
            vec![0x90, (k % 128) as u8, 0x7f]
        };
        if midi.send(0, &out) {
            sent.push(out);
        }
        while let Some(p) = midi.recv() {
            assert_eq!(p.port, 0);
            received.push(p.bytes().to_vec());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(50));
    while let Some(p) = midi.recv() {
        received.push(p.bytes().to_vec());
    }
    let periods = backend.stats().periods.load(Ordering::Relaxed);
    let xruns = backend.stats().xruns.load(Ordering::Relaxed);
    let (allocs, frees) = (callback.allocs(), callback.frees());

    drop(peer);
    let engine = backend.stop();
    assert!(engine.is_some(), "the engine comes back from a live server");
    drop(server);

    assert!(periods > 1000, "only {periods} periods ran");
    assert_eq!(
        (allocs, frees),
        (0, 0),
        "the JACK callback allocated or freed over {periods} periods"
    );
    // Both ways: every message in order, bytes intact. A period the server
    // dropped (an xrun on a loaded machine) loses that period's events, and
    // the client reading a late writer's port gets the period before once
    // more: only with xruns, at most about a period's worth each (the peer
    // sends up to 3 messages a period; the hub's are bunched at times).
    assert!(received.len() > 1000, "{} messages in", received.len());
    let inbound = follow("inbound", &received, |k| Some(peer_message(k as u32)));
    inbound.assert_explained_by(xruns);
    let got = got.lock().unwrap();
    assert!(got.len() > 100, "{} messages out", got.len());
    let outbound = follow("outbound", &got, |k| sent.get(k).cloned());
    outbound.assert_explained_by(xruns);
    assert!(
        sent.len() - outbound.next <= 1,
        "messages lost on the way out"
    );
    assert_eq!(midi.stats().dropped.load(Ordering::Relaxed), 0);
}

/// How a received stream followed the expected one.
struct Followed {
    what: &'static str,
    /// Index of the next expected message.
    next: usize,
    lost: u64,
    repeated: u64,
}

/// Walk `got` against `expected(0..)`: each message is the next expected
/// one, or one a little further on (those between were lost), or one of
/// the last few again (a repeated period); anything else fails.
fn follow(
    what: &'static str,
    got: &[Vec<u8>],
    expected: impl Fn(usize) -> Option<Vec<u8>>,
) -> Followed {
    const REACH: usize = 16;
    let mut f = Followed {
        what,
        next: 0,
        lost: 0,
        repeated: 0,
    };
    for (i, m) in got.iter().enumerate() {
        if let Some(k) = (f.next..=f.next + REACH).find(|&k| expected(k).as_ref() == Some(m)) {
            f.lost += (k - f.next) as u64;
            f.next = k + 1;
        } else if (f.next.saturating_sub(REACH)..f.next).any(|k| expected(k).as_ref() == Some(m)) {
            f.repeated += 1;
        } else {
            panic!("{what} message {i} ({m:02x?}) is not the next in order");
        }
    }
    f
}

impl Followed {
    fn assert_explained_by(&self, xruns: u64) {
        let off = self.lost + self.repeated;
        assert!(
            off == 0 || off <= 4 * xruns,
            "{}: {} messages lost and {} repeated with {xruns} xruns",
            self.what,
            self.lost,
            self.repeated
        );
    }
}
