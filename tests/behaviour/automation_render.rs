//! `faderd render` applies automation exactly as live playback does: the
//! same session played on the dummy backend (its transport started from a
//! surface) and bounced offline, at other block sizes, give the same
//! samples at every timeline frame.

use crate::common;
use common::*;
use faderd::audio::AudioHooks;
use faderd::config::{DaemonConfig, parse_session};
use faderd::daemon::{Daemon, RunOptions};
use faderd::engine::Engine;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;

const SESSION: &str = r#"
version: 1
name: auto-render
length_s: 1.2
buses:
  - name: Verb
    kind: aux
    gain_db: -3
    reverb: { decay: 1.5 }
    automation: read
    lanes:
      reverb/size: { points: [[0, 0.5], [1, 1.5]] }
      reverb/decay: { points: [[0, 0.5], [1, 3]] }
      reverb/width: { points: [[0, 0], [1, 1]] }
  - name: Dly
    kind: aux
    delay: { time: 120, feedback: 0.5 }
    automation: read
    lanes:
      delay/time: { points: [[0, 80], [1, 300]] }
      delay/feedback: { points: [[0, 0.2], [1, 0.8]] }
tracks:
  - name: A
    source: { file: a.wav }
    automation: read
    sends: [{ bus: Verb, gain_db: -6 }]
    lanes:
      gain: { points: [[0, -30], [0.4, 0], [0.4, -12], [1.1, -.inf]] }
      pan: { points: [[0, 0], [1, 1]] }
      send/1/gain: { points: [[0, -40], [0.7, 0]] }
      eq/2/gain: { points: [[0, -12], [0.6, 12], [1.0, 0]] }
      comp/threshold: { points: [[0, -10], [0.8, -40]] }
    eq: { bands: [{}, { type: peak, freq: 2000, gain: 0, q: 1 }] }
    comp: { threshold: -20, ratio: 4, attack: 2, release: 60 }
  - name: B
    channels: stereo
    source: { file: b.wav }
    automation: touch
    trim_db: 3
    sends: [{ bus: Dly, gain_db: -3 }]
    lanes:
      mute: { points: [[0, 0], [0.25, 1], [0.5, 0]] }
      trim: { points: [[0, -6], [1, 6]] }
      hpf/freq: { points: [[0, 40], [1, 900]] }
    eq: { hpf: { on: true, freq: 100, slope: 24 } }
"#;

type Blocks = Arc<Mutex<Vec<(u64, Vec<f32>, Vec<f32>)>>>;

#[test]
fn a_bounce_matches_live_playback_sample_for_sample() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"), RATE, &[noise(31, 96_000)]);
    write_wav(
        &dir.path().join("b.wav"),
        RATE,
        &[noise(32, 96_000), noise(33, 96_000)],
    );
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, SESSION).unwrap();

    // Live: the dummy backend, each rolling block kept with its timeline frame.
    let blocks: Blocks = Arc::default();
    let sink = Arc::clone(&blocks);
    let hooks = AudioHooks {
        before_period: None,
        after_period: Some(Box::new(move |e: &Engine| {
            if e.is_rolling() {
                let n = 64;
                sink.lock().unwrap().push((
                    e.transport_frame() - n as u64,
                    e.output(0)[..n].to_vec(),
                    e.output(1)[..n].to_vec(),
                ));
            }
        })),
    };
    let mut config = DaemonConfig::default();
    config.audio.backend = faderd::config::BackendChoice::Dummy;
    config.audio.period_frames = Some(64);
    config.osc.listen = "127.0.0.1:0".parse().unwrap();
    let daemon = Daemon::start(
        RunOptions {
            session: Some(path.clone()),
            config,
            recover: false,
        },
        hooks,
    )
    .unwrap_or_else(|f| panic!("{:#}", f.error));
    std::thread::sleep(Duration::from_millis(100));
    let play = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/transport/play".into(),
        args: vec![],
    }))
    .unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(&play, daemon.osc_addr()).unwrap();
    let t0 = Instant::now();
    while blocks.lock().unwrap().len() * 64 < RATE as usize + 4_800 {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the transport did not roll"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(daemon.stop());
    let live = std::mem::take(&mut *blocks.lock().unwrap());
    assert_eq!(live[0].0, 0, "playback starts at the timeline's start");

    // Offline, in blocks of 333 and 1000.
    for block in [333usize, 1000] {
        let session = parse_session(SESSION, &path).unwrap();
        let clips = faderd::media::load_clips(&session, dir.path()).unwrap();
        let mut run = faderd::render::OfflineRun::new(session, clips, block).unwrap();
        let (mut l, mut r) = (Vec::new(), Vec::new());
        run.run(
            u64::from(RATE),
            &mut [].iter().peekable(),
            |e: &Engine, n| {
                l.extend_from_slice(&e.output(0)[..n]);
                r.extend_from_slice(&e.output(1)[..n]);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        let mut compared = 0;
        for (start, bl, br) in &live {
            let s = *start as usize;
            if s + bl.len() > l.len() {
                break;
            }
            assert_eq!(
                &l[s..s + bl.len()],
                &bl[..],
                "block {block}: L differs in frames {s}.."
            );
            assert_eq!(
                &r[s..s + br.len()],
                &br[..],
                "block {block}: R differs in frames {s}.."
            );
            compared += bl.len();
        }
        assert!(compared >= RATE as usize - 64, "compared {compared} frames");
    }
    // The automation did something audible: silence (mute, -inf) and level.
    let all: Vec<f32> = live.iter().flat_map(|b| b.1.iter().copied()).collect();
    assert!(all.iter().any(|x| x.abs() > 0.1));
    let tail_peak = all[(1.1 * f64::from(RATE)) as usize..]
        .iter()
        .fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(tail_peak > 0.0, "B still plays after A's lane reaches -inf");
}

/// "Off" is one level for lanes and faders: a gain lane fading from 0 dB to
/// `-.inf` is a straight line in dB down to the fader law's off (-90 dB),
/// so halfway it is at -45 dB, and after the last point it is silence.
#[test]
fn a_fade_to_off_passes_minus_45_db_halfway_and_ends_silent() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("fade.yaml");
    std::fs::write(
        &session,
        r#"
version: 1
name: fade
length_s: 1.2
tracks:
  - name: T
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }
    automation: read
    lanes:
      gain: { points: [[0, 0], [1, -.inf]] }
"#,
    )
    .unwrap();
    let out = dir.path().join("fade.wav");
    let st = render_cmd(&session, &out, &[]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let (rate, ch) = read_wav(&out);
    let left = &ch[0];
    // Peak of a 2 ms window (two cycles) centred on `t` seconds.
    let peak_at = |t: f64| {
        let mid = (t * rate as f64) as usize;
        left[mid - 48..mid + 48]
            .iter()
            .fold(0.0f32, |m, x| m.max(x.abs())) as f64
    };
    let start = peak_at(0.002);
    let half_db = 20.0 * (peak_at(0.5) / start).log10();
    assert!(
        (half_db + 45.0).abs() < 0.3,
        "halfway through a fade to off: {half_db:.2} dB (the lane's off at -120 dB would give -60)"
    );
    let near_end_db = 20.0 * (peak_at(0.98) / start).log10();
    assert!(
        (near_end_db + 88.2).abs() < 0.5,
        "20 ms before the end: {near_end_db:.2} dB"
    );
    let tail = &left[(1.01 * rate as f64) as usize..];
    assert!(tail.iter().all(|x| *x == 0.0), "silent after the fade");
}
