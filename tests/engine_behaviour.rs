//! Engine behaviour a listener would notice, measured on rendered samples.

mod common;
use common::*;
use faderd::audio::offline::{OfflineRun, ScheduledChange};
use faderd::config::parse_session;
use faderd::engine::Engine;
use faderd::media::load_clips;
use faderd::mixer::{Address, Origin, StripRef, TransportCmd, Value};
use std::path::Path;

const RATE: u32 = 48_000;

fn session_run(yaml: &str, dir: &Path, block: usize) -> OfflineRun {
    let session = parse_session(yaml, Path::new("test.yaml")).unwrap();
    let clips = load_clips(&session, dir).unwrap();
    OfflineRun::new(session, clips, block).unwrap()
}

/// Render `frames` with `changes`; returns master L and R.
fn render(run: &mut OfflineRun, frames: u64, changes: &[ScheduledChange]) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (Vec::new(), Vec::new());
    run.run(frames, &mut changes.iter().peekable(), |e: &Engine, n| {
        l.extend_from_slice(&e.output(0)[..n]);
        r.extend_from_slice(&e.output(1)[..n]);
        Ok::<(), ()>(())
    })
    .unwrap();
    (l, r)
}

fn change(frame: u64, addr: &str, value: Value) -> ScheduledChange {
    ScheduledChange {
        frame,
        address: Address::parse(addr).unwrap(),
        value,
    }
}

const MIXED: &str = r#"
version: 1
name: blocks
buses:
  - { name: G, kind: group, gain_db: -1 }
  - { name: R, kind: aux, gain_db: -3 }
tracks:
  - { name: File, channels: stereo, source: { file: st.wav, loop: true }, output: G, sends: [{ bus: R, gain_db: -6 }] }
  - { name: Sine, source: { tone: { wave: sine, freq_hz: 997, level_db: -6 } }, pan: 0.3, sends: [{ bus: R, gain_db: -10, pre: true }],
      insert: { output: 3, input: 1, wet: 0.5, latency: { 1: 300, 32: 300, 64: 300, 256: 300, 1000: 300 } } }
  - { name: Pink, channels: stereo, source: { tone: { wave: pink, level_db: -12, pulse: { bpm: 133, decay_ms: 90 } } } }
  - { name: Mono, source: { file: m.wav } }
"#;

fn write_sources(dir: &Path) {
    write_wav(
        &dir.join("st.wav"),
        RATE,
        &[noise(11, 7_000), noise(12, 7_000)],
    );
    write_wav(&dir.join("m.wav"), RATE, &[noise(13, 30_000)]);
}

fn mixed_changes() -> Vec<ScheduledChange> {
    vec![
        change(0, "strip/2/fader", Value::Float(0.0)),
        change(777, "strip/2/fader", Value::Float(0.75)),
        change(1_234, "strip/1/pan", Value::Float(0.9)),
        // The insert's return share ramps; bypass keeps its latency.
        change(3_000, "strip/2/insert/wet", Value::Float(0.2)),
        change(8_000, "strip/2/insert/bypass", Value::Bool(true)),
        change(5_000, "strip/3/mute", Value::Bool(true)),
        change(5_100, "strip/3/mute", Value::Bool(false)),
        change(9_999, "strip/1/send/1/gain", Value::Float(2.0)),
        change(12_001, "strip/2/send/1/pre", Value::Bool(false)),
        change(15_000, "strip/4/solo", Value::Bool(true)),
        change(17_500, "strip/4/solo", Value::Bool(false)),
        change(19_000, "strip/1/polarity", Value::Bool(true)),
        change(21_000, "strip/4/trim", Value::Float(-7.0)),
        // Re-routing rebuilds the graph and swaps it in whole.
        change(23_456, "strip/4/output", Value::Text("G".into())),
        change(26_000, "bus/1/gain", Value::Float(-20.0)),
        change(28_000, "master/pan", Value::Float(0.2)),
    ]
}

#[test]
fn output_is_identical_for_every_block_size() {
    let dir = tempfile::tempdir().unwrap();
    write_sources(dir.path());
    let changes = mixed_changes();
    let mut reference = None;
    for block in [1usize, 32, 64, 256, 1000] {
        let mut run = session_run(MIXED, dir.path(), block);
        let out = render(&mut run, 32_000, &changes);
        assert_eq!(run.hub.engine_bad_commands(), 0);
        match &reference {
            None => reference = Some(out),
            Some(r) => {
                let diff =
                    r.0.iter()
                        .zip(&out.0)
                        .chain(r.1.iter().zip(&out.1))
                        .position(|(a, b)| a != b);
                assert_eq!(
                    diff, None,
                    "block {block} differs from block 1 at sample {diff:?}"
                );
            }
        }
    }
    let (l, _) = reference.unwrap();
    assert!(l.iter().any(|x| x.abs() > 0.05), "the mix is not silent");
}

const SOLO: &str = r#"
version: 1
name: solo
smoothing_ms: 1
buses:
  - { name: Rev, kind: aux }
tracks:
  - { name: A, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } }, sends: [{ bus: Rev, gain_db: 0 }] }
  - { name: B, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } }, sends: [{ bus: Rev, gain_db: 0, pre: true }] }
  - { name: Safe, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } }, solo_safe: true }
  - { name: D, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } } }
"#;

/// Render one second in blocks and return each strip's stem peak over the
/// last half (after any ramps).
fn stem_peaks(run: &mut OfflineRun) -> Vec<f32> {
    let map = run.hub.node_map().clone();
    let nodes: Vec<_> = map.tracks.iter().chain(map.buses.iter()).copied().collect();
    let mut peaks = vec![0.0f32; nodes.len()];
    let start = run.engine.position_frames();
    run.run(start + 9_600, &mut [].iter().peekable(), |e: &Engine, n| {
        if e.position_frames() > start + 4_800 {
            for (k, node) in nodes.iter().enumerate() {
                let (l, r) = e.node_output(*node);
                peaks[k] = l[..n]
                    .iter()
                    .chain(&r[..n])
                    .fold(peaks[k], |m, x| m.max(x.abs()));
            }
        }
        Ok::<(), ()>(())
    })
    .unwrap();
    peaks
}

#[test]
fn soloing_a_track_silences_the_others_except_solo_safe_and_what_it_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = session_run(SOLO, dir.path(), 64);
    let before = stem_peaks(&mut run);
    assert!(
        before.iter().all(|p| *p > 0.1),
        "all audible before solo: {before:?}"
    );

    run.hub
        .apply_str(Origin::Daemon, "strip/1/solo", Value::Bool(true))
        .unwrap();
    let p = stem_peaks(&mut run);
    // [A, B, Safe, D, Rev]
    assert!(p[0] > 0.1, "the soloed track plays: {p:?}");
    assert_eq!(
        p[1], 0.0,
        "B is muted by A's solo, its pre-fader send too: {p:?}"
    );
    assert!(p[2] > 0.1, "solo-safe keeps playing: {p:?}");
    assert_eq!(p[3], 0.0, "D is muted: {p:?}");
    assert!(
        p[4] > 0.1,
        "the reverb A sends to stays audible (downstream): {p:?}"
    );

    // Soloing the reverb return keeps every track that feeds it.
    run.hub
        .apply_str(Origin::Daemon, "strip/1/solo", Value::Bool(false))
        .unwrap();
    run.hub
        .apply_str(Origin::Daemon, "bus/1/solo", Value::Bool(true))
        .unwrap();
    let p = stem_peaks(&mut run);
    assert!(
        p[0] > 0.1 && p[1] > 0.1 && p[2] > 0.1 && p[4] > 0.1,
        "{p:?}"
    );
    assert_eq!(p[3], 0.0, "D does not feed the soloed bus: {p:?}");

    run.hub
        .apply_str(Origin::Daemon, "bus/1/solo", Value::Bool(false))
        .unwrap();
    let p = stem_peaks(&mut run);
    assert!(p.iter().all(|x| *x > 0.1), "all back after unsolo: {p:?}");
}

#[test]
fn pre_fader_sends_feed_whatever_the_fader_says() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = r#"
version: 1
name: pre
buses:
  - { name: Pre, kind: aux }
  - { name: Post, kind: aux }
tracks:
  - name: T
    source: { tone: { wave: sine, freq_hz: 200, level_db: -6 } }
    gain_db: -.inf
    sends: [{ bus: Pre, gain_db: 0, pre: true }, { bus: Post, gain_db: 0 }]
"#;
    let mut run = session_run(yaml, dir.path(), 64);
    let p = stem_peaks(&mut run);
    // [T, Pre, Post]; -3 dB pan law on a centred mono send: 0.501 * 0.707.
    let expect = 0.501_187 * std::f32::consts::FRAC_1_SQRT_2;
    assert_eq!(p[0], 0.0, "fader off: the track is silent");
    assert!(
        (p[1] - expect).abs() < 1e-3,
        "pre-fader send at full level: {}",
        p[1]
    );
    assert_eq!(p[2], 0.0, "post-fader send follows the fader");

    run.hub
        .apply_str(Origin::Daemon, "strip/1/fader", Value::Float(1.0))
        .unwrap();
    let p = stem_peaks(&mut run);
    assert!(
        (p[1] - expect).abs() < 1e-3,
        "pre-fader send ignores +10 dB on the fader: {}",
        p[1]
    );
    assert!(
        (p[2] - expect * 3.162_278).abs() < 1e-2,
        "post-fader send follows it: {}",
        p[2]
    );
}

#[test]
fn fader_jump_from_off_to_0db_ramps_within_the_smoothing_time() {
    // Full-scale DC into a centred mono track (-3 dB law): the worst case
    // for a step. With 10 ms smoothing at 48 kHz the output may change by at
    // most 1/480 of the final level per sample, and reaches it after
    // exactly 480 samples.
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("dc.wav"), RATE, &[vec![1.0; 4_800]]);
    let yaml = "version: 1\nname: step\ntracks:\n  - { name: DC, source: { file: dc.wav }, gain_db: -.inf }\n";
    for block in [1usize, 64, 1000] {
        let mut run = session_run(yaml, dir.path(), block);
        let (l, _) = render(
            &mut run,
            4_800,
            &[change(1_000, "strip/1/gain", Value::Float(0.0))],
        );
        let level = std::f32::consts::FRAC_1_SQRT_2;
        assert!(l[..1_000].iter().all(|x| *x == 0.0));
        let max_step = l
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max);
        assert!(
            max_step <= level / 480.0 * 1.0001,
            "block {block}: step {max_step}"
        );
        assert!(l[1_000 + 478] < level, "still ramping at 479 samples");
        assert_eq!(
            l[1_000 + 479],
            level,
            "block {block}: at 0 dB after 480 samples"
        );
        assert!(l[1_480..].iter().all(|x| *x == level));
    }
}

#[test]
fn meters_read_peak_and_rms_of_each_strip() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "version: 1\nname: m\npan_law_db: 0\ntracks:\n  - { name: S, source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } } }\n";
    let mut run = session_run(yaml, dir.path(), 64);
    // Three seconds: ten RMS time constants.
    let _ = render(&mut run, 3 * 48_000, &[]);
    let m = run.hub.meter(StripRef::Track(0));
    assert!((m.peak[0] - 0.501).abs() < 1e-3, "{m:?}");
    assert!(
        (m.rms[0] - 0.501 * std::f32::consts::FRAC_1_SQRT_2).abs() < 5e-3,
        "{m:?}"
    );
    // Reading resets the held peak.
    assert_eq!(run.hub.meter(StripRef::Track(0)).peak[0], 0.0);
}

#[test]
fn files_play_on_the_transport_timeline_and_are_silent_when_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let ramp: Vec<f32> = (0..RATE as usize).map(|i| i as f32 / RATE as f32).collect();
    write_wav(
        &dir.path().join("ramp.wav"),
        RATE,
        std::slice::from_ref(&ramp),
    );
    let yaml =
        "version: 1\nname: t\ntracks:\n  - { name: F, source: { file: ramp.wav }, pan: 0 }\n";
    let mut run = session_run(yaml, dir.path(), 64);
    // OfflineRun rolls from 0: the first block is the file's start.
    let (l, _) = render(&mut run, 64, &[]);
    assert_eq!(l[10], ramp[10]);
    run.hub.transport(TransportCmd::Stop);
    let (l, _) = render(&mut run, 128, &[]);
    assert!(l.iter().all(|&s| s == 0.0), "stopped: silence");
    run.hub.transport(TransportCmd::Locate(24_000));
    run.hub.transport(TransportCmd::Play);
    let (l, _) = render(&mut run, 192, &[]);
    assert_eq!(l[0], ramp[24_000], "plays from the located frame");
    assert_eq!(l[63], ramp[24_063]);
    assert_eq!(run.hub.transport_state().position_frames, 24_064);
}

#[test]
fn a_loop_wraps_sample_accurately_whatever_the_block_size() {
    let dir = tempfile::tempdir().unwrap();
    write_sources(dir.path());
    let yaml = "version: 1\nname: loop\ntracks:\n  - { name: M, source: { file: m.wav } }\n";
    let mut reference: Option<Vec<f32>> = None;
    for block in [1usize, 64, 333, 1000] {
        let mut run = session_run(yaml, dir.path(), block);
        run.hub.transport(TransportCmd::Loop(Some((4_800, 9_600))));
        let (l, _) = render(&mut run, 20_000, &[]);
        // The loop plays again and again: 4800..9600, then the same.
        assert_eq!(&l[9_600..14_400], &l[4_800..9_600], "block {block}");
        assert_eq!(&l[14_400..19_200], &l[4_800..9_600], "block {block}");
        assert!(l[4_800..9_600].iter().any(|x| x.abs() > 0.01));
        match &reference {
            None => reference = Some(l),
            Some(r) => assert_eq!(r, &l, "block {block} differs"),
        }
    }
}
