//! A flood: 20,000 OSC messages per second for 5 seconds from several
//! clients, into the real daemon (in process, dummy backend, UDP on
//! loopback). The engine ends on the last values sent, feedback stays at one
//! bundle per tick, and the audio thread neither allocates nor misses a
//! period.
use crate::common::alloc::{Counts, count_into};
use faderd::audio::AudioHooks;
use faderd::config::DaemonConfig;
use faderd::daemon::{Daemon, HUB_TICK, RunOptions};
use faderd::dsp::{db_to_amp, pos_to_db};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

const SESSION: &str = r#"
version: 1
name: flood
tracks:
  - { name: A, source: { input: 1 } }
  - { name: B, source: { input: 2 } }
  - { name: C, source: { input: 3 } }
  - { name: D, source: { input: 4 } }
"#;

const CLIENTS: usize = 4;
const RATE_PER_SECOND: usize = 20_000;
const SECONDS: u64 = 5;

fn fader_message(strip: usize, pos: f32) -> Vec<u8> {
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: format!("/strip/{}/fader", strip + 1),
        args: vec![rosc::OscType::Float(pos)],
    }))
    .unwrap()
}

#[test]
fn a_flood_ends_on_the_last_values_with_bounded_feedback_and_undisturbed_audio() {
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("flood.yaml");
    std::fs::write(&sess, SESSION).unwrap();
    let mut config = DaemonConfig::default();
    config.osc.listen = "127.0.0.1:0".parse().unwrap();
    // Count from the end of the first period on.
    let audio = Counts::leaked();
    let hooks = AudioHooks {
        before_period: None,
        after_period: Some(Box::new(move |_| count_into(audio))),
    };
    let daemon = Daemon::start(
        RunOptions {
            session: Some(sess.clone()),
            config,
            recover: false,
        },
        hooks,
    )
    .unwrap_or_else(|f| panic!("{:#}", f.error));
    let osc = daemon.osc_addr();

    // A subscriber that counts feedback datagrams (meters too).
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    listener
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let subscribe = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/subscribe".into(),
        args: vec![],
    }))
    .unwrap();
    listener.send_to(&subscribe, osc).unwrap();
    let mut buf = vec![0u8; 65_536];
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(300) {
        let _ = listener.recv_from(&mut buf); // the state dump
    }

    let counting = std::thread::spawn(move || {
        let mut datagrams = 0usize;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(SECONDS) {
            if listener.recv_from(&mut buf).is_ok() {
                datagrams += 1;
            }
        }
        datagrams
    });

    // The flood: each client rides its own strip's fader; the last value
    // each sends is different.
    let last: Vec<f32> = (0..CLIENTS).map(|c| 0.2 + 0.15 * c as f32).collect();
    let clients: Vec<UdpSocket> = (0..CLIENTS)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let total = RATE_PER_SECOND * SECONDS as usize;
    let per_ms = RATE_PER_SECOND / 1000;
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        for _ in 0..per_ms {
            let c = sent % CLIENTS;
            let pos = if sent + CLIENTS >= total {
                last[c]
            } else {
                ((sent as f32) * 0.001).sin() * 0.5 + 0.5
            };
            clients[c].send_to(&fader_message(c, pos), osc).unwrap();
            sent += 1;
        }
        let due = start + Duration::from_micros(sent as u64 * 1_000_000 / RATE_PER_SECOND as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let flood_time = start.elapsed();
    let datagrams = counting.join().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Before stopping: the thread's exit frees what it owns, legitimately.
    let audio_allocs = audio.allocs();
    let stopped = daemon.stop();

    // The rate really was ~20k/s.
    assert!(
        flood_time < Duration::from_millis(SECONDS * 1000 + 500),
        "the flood took {flood_time:?}"
    );
    assert_eq!(stopped.osc_rejected, 0);
    assert_eq!(
        stopped.osc_accepted as usize,
        total + 1,
        "every message applied"
    );
    // Feedback: at most one bundle per hub tick.
    let ticks = (SECONDS * 1000 / HUB_TICK.as_millis() as u64) as usize;
    assert!(
        datagrams <= ticks + 2,
        "{datagrams} feedback datagrams in {ticks} ticks"
    );
    assert!(datagrams >= ticks / 2, "feedback kept flowing: {datagrams}");
    // The audio thread: no allocation, and no run of missed periods. A few
    // late periods in the 3,750 of the flood (0.3 %) are allowed: on a
    // shared 2-core VM the hypervisor alone sometimes takes the CPU for
    // longer than a period (seen with this test's code unchanged, once in
    // CI with nothing else running, and once in a full local test run);
    // a flood that disturbed the audio thread would miss hundreds.
    assert!(stopped.xruns <= 10, "{} missed periods", stopped.xruns);
    assert!(stopped.periods > 0);
    assert_eq!(audio_allocs, 0, "audio thread allocated");

    // The mix ends on the last values: in the model ...
    for (c, pos) in last.iter().enumerate() {
        let want_db = pos_to_db(f64::from(*pos));
        let got = stopped.session.tracks[c].controls.gain_db;
        assert!(
            (got - want_db).abs() < 1e-6,
            "strip {c}: {got} dB, sent {want_db}"
        );
    }
    // ... and in the engine's output: feed 1.0 into every input and let the
    // ramps settle; each strip's left output is fader gain x centre pan.
    let mut engine = stopped.engine.expect("engine back from the audio thread");
    for _ in 0..40 {
        for ch in 0..CLIENTS {
            engine.input_mut(ch).fill(1.0);
        }
        engine.process(64);
    }
    for (c, pos) in last.iter().enumerate() {
        let (l, _) = engine.node_output(faderd::engine::NodeId(c as u16));
        let want = db_to_amp(pos_to_db(f64::from(*pos))) * std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (f64::from(l[0]) - want).abs() < 1e-5,
            "strip {c}: engine plays {} for a fader sent to {pos} ({want})",
            l[0]
        );
    }
}
