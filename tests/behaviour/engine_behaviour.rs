//! Engine behaviour a listener would notice, measured on rendered samples.

use crate::common;
use common::*;
use faderd::config::parse_session;
use faderd::engine::Engine;
use faderd::media::load_clips;
use faderd::mixer::{Address, Origin, StripRef, TransportCmd, Value};
use faderd::render::{OfflineRun, ScheduledChange};
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
  - { name: R, kind: aux, gain_db: -3, reverb: { decay: 1.2, predelay: 7 } }
  - { name: E, kind: aux, delay: { time: 40, feedback: 0.6, ping_pong: true } }
tracks:
  - { name: File, channels: stereo, source: { file: st.wav, loop: true }, output: G, sends: [{ bus: R, gain_db: -6 }] }
  - { name: Sine, source: { tone: { wave: sine, freq_hz: 997, level_db: -6 } }, pan: 0.3, sends: [{ bus: R, gain_db: -10, pre: true }],
      insert: { output: 3, input: 1, wet: 0.5, latency: { 1: 300, 32: 300, 64: 300, 256: 300, 1000: 300 } } }
  - { name: Pink, channels: stereo, source: { tone: { wave: pink, level_db: -12, pulse: { bpm: 133, decay_ms: 90 } } }, sends: [{ bus: E, gain_db: -3 }],
      comp: { threshold: -30, ratio: 4, attack: 2, release: 40 }, gate: { threshold: -50, attack: 0.5, hold: 5, release: 30 } }
  - { name: Mono, source: { file: m.wav } }
master: { limiter: { ceiling: -9 } }
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
        // Filter and EQ changes glide on the sample clock's grid.
        change(2_000, "strip/2/eq/2/gain", Value::Float(9.0)),
        change(2_500, "strip/1/hpf/on", Value::Bool(true)),
        change(2_777, "strip/1/hpf/freq", Value::Float(300.0)),
        change(6_000, "strip/3/eq/4/type", Value::Text("low_pass".into())),
        change(6_001, "strip/3/eq/4/freq", Value::Float(2_000.0)),
        change(11_000, "strip/2/eq/on", Value::Bool(false)),
        change(13_333, "strip/2/eq/on", Value::Bool(true)),
        change(14_000, "bus/1/hpf/slope", Value::Float(24.0)),
        change(14_001, "bus/1/hpf/on", Value::Bool(true)),
        // Effects and the master limiter.
        change(16_000, "bus/2/reverb/size", Value::Float(0.6)),
        change(18_000, "bus/3/delay/time", Value::Float(25.0)),
        change(20_000, "master/limiter/ceiling", Value::Float(-12.0)),
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
fn a_solo_safe_track_stays_audible_through_the_group_it_is_routed_to() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = r#"
version: 1
name: safe-group
smoothing_ms: 1
buses:
  - { name: Grp, kind: group }
  - { name: Rev, kind: aux }
tracks:
  - { name: Lead, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } } }
  - { name: Click, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } }, output: Grp, solo_safe: true,
      sends: [{ bus: Rev, gain_db: 0 }] }
  - { name: Pad, source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } }, output: Grp }
"#;
    let mut run = session_run(yaml, dir.path(), 64);
    run.hub
        .apply_str(Origin::Daemon, "strip/1/solo", Value::Bool(true))
        .unwrap();
    let p = stem_peaks(&mut run);
    // [Lead, Click, Pad, Grp, Rev]
    assert!(p[0] > 0.1, "the soloed track plays: {p:?}");
    assert!(p[1] > 0.1, "the solo-safe track plays: {p:?}");
    assert_eq!(p[2], 0.0, "Pad is muted by Lead's solo: {p:?}");
    assert!(
        (p[3] - p[1]).abs() < 0.01,
        "the group carries the solo-safe track, and only it: {p:?}"
    );
    assert!(
        p[4] > 0.1,
        "the bus the safe track sends to stays audible: {p:?}"
    );
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

/// A 4-band EQ and a high-pass filter set on a strip: the level of a sine
/// through the whole engine, at a set of test frequencies, against the
/// analytic response of the sections the EQ is made of.
#[test]
fn eq_and_high_pass_responses_match_the_analytic_ones_within_a_tenth_of_a_db() {
    use faderd::dsp::eq::StripEq;
    let eq_yaml = "eq: { hpf: { freq: 90, slope: 24 }, bands: [ { type: low_shelf, freq: 200, gain: 4, q: 0.7 }, { type: peak, freq: 800, gain: -6, q: 2 }, { type: peak, freq: 3000, gain: 9, q: 1.2 }, { type: high_shelf, freq: 9000, gain: -3, q: 0.7 } ] }";
    for slope in [12, 18, 24] {
        let yaml_eq = eq_yaml.replace("slope: 24", &format!("slope: {slope}"));
        let mut analytic = None;
        for f in [
            40.0, 90.0, 200.0, 500.0, 800.0, 1_500.0, 3_000.0, 6_000.0, 9_000.0, 15_000.0,
        ] {
            let yaml = format!(
                "version: 1\nname: eq\ntracks:\n  - {{ name: S, source: {{ tone: {{ wave: sine, freq_hz: {f}, level_db: -20 }} }}, {yaml_eq} }}\n"
            );
            let session = parse_session(&yaml, Path::new("eq.yaml")).unwrap();
            let eq = &session.tracks[0].controls.eq;
            let a = analytic.get_or_insert_with(|| {
                StripEq::new(
                    faderd::dsp::eq::EqSpec {
                        on: eq.on,
                        hpf_on: eq.hpf_on,
                        hpf_hz: eq.hpf_hz as f32,
                        hpf_slope: eq.hpf_slope,
                        bands: eq.bands.map(|b| faderd::dsp::eq::BandSpec {
                            on: b.on,
                            kind: b.kind,
                            freq_hz: b.freq_hz as f32,
                            gain_db: b.gain_db as f32,
                            q: b.q as f32,
                        }),
                    },
                    RATE,
                    480,
                )
            });
            let want = a.magnitude_db(f);
            let mut run = OfflineRun::new(session, Default::default(), 256).unwrap();
            let (l, _) = render(&mut run, 48_000, &[]);
            let tail = &l[24_000..];
            let rms = (tail.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / tail.len() as f64)
                .sqrt();
            // -20 dB sine, -3 dB pan law at centre.
            let got = 20.0 * (rms * std::f64::consts::SQRT_2).log10() + 20.0 + 3.0103;
            assert!(
                (got - want).abs() < 0.1,
                "{slope} dB/oct HPF, {f} Hz: measured {got:.3} dB, analytic {want:.3} dB"
            );
        }
    }
}

/// A band's gain jumped from 0 to +12 dB: the level rises smoothly (no
/// step between consecutive 1 ms windows larger than the glide allows).
#[test]
fn an_eq_change_glides_without_zipper() {
    let yaml = "version: 1\nname: z\ntracks:\n  - { name: S, source: { tone: { wave: sine, freq_hz: 1000, level_db: -20 } } }\n";
    let mut run = session_run(yaml, Path::new("."), 64);
    let changes = vec![
        change(4_800, "strip/1/eq/2/freq", Value::Float(1_000.0)),
        change(4_800, "strip/1/eq/2/q", Value::Float(1.0)),
        change(9_600, "strip/1/eq/2/gain", Value::Float(12.0)),
    ];
    let (l, _) = render(&mut run, 24_000, &changes);
    let level = |w: &[f32]| {
        let peak = w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        20.0 * f64::from(peak).log10()
    };
    let windows: Vec<f64> = l[9_600..14_400].chunks(48).map(level).collect();
    let steps: Vec<f64> = windows.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let biggest = steps.iter().fold(0.0f64, |m, s| m.max(*s));
    assert!(
        biggest < 1.5,
        "a {biggest:.2} dB step between 1 ms windows: {windows:?}"
    );
    let (before, after) = (level(&l[8_000..9_600]), level(&l[20_000..24_000]));
    assert!(
        (after - before - 12.0).abs() < 0.1,
        "{before:.2} -> {after:.2} dB"
    );
}

fn rms_db(x: &[f32]) -> f64 {
    let ms = x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64;
    10.0 * ms.log10()
}

/// The compressor's static curve through the engine: a steady sine at
/// several levels and frequencies from 30 Hz to 15 kHz, RMS and peak
/// detection, against threshold, ratio and knee (at the sine's RMS or its
/// peak).
#[test]
fn the_compressor_follows_its_static_curve_from_30_hz_to_15_khz() {
    use faderd::dsp::dynamics::comp_curve;
    let mut misses = Vec::new();
    for detect in ["rms", "peak"] {
        for freq in [30, 40, 50, 100, 1000, 5000, 15000] {
            for level in [-40.0, -24.0, -20.0, -16.0, -4.0] {
                let yaml = format!(
                    "version: 1\nname: c\ntracks:\n  - {{ name: S, source: {{ tone: {{ wave: sine, freq_hz: {freq}, level_db: {level} }} }}, comp: {{ threshold: -24, ratio: 4, knee: 6, attack: 5, release: 80, detect: {detect}, makeup: 3 }} }}\n"
                );
                let mut run = session_run(&yaml, Path::new("."), 128);
                let (l, _) = render(&mut run, 48_000, &[]);
                // Out over in: the -3 dB pan law and the sine's RMS cancel.
                let input_rms = level - 3.0103;
                let got = rms_db(&l[24_000..]) + 3.0103 - input_rms;
                let heard = if detect == "rms" { input_rms } else { level } as f32;
                let want = f64::from(comp_curve(heard, -24.0, 4.0, 6.0) - heard) + 3.0;
                if (got - want).abs() >= 0.25 {
                    misses.push(format!(
                        "{detect}, {freq} Hz at {level} dBFS: gain {got:.2} dB, the curve says {want:.2} dB"
                    ));
                }
            }
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// EQ before or after the dynamics changes what the compressor hears.
#[test]
fn the_order_of_eq_and_dynamics_is_honoured() {
    let level_of = |order: &str| {
        let yaml = format!(
            "version: 1\nname: o\ntracks:\n  - {{ name: S, source: {{ tone: {{ wave: sine, freq_hz: 1000, level_db: -17 }} }}, order: {order}, eq: {{ bands: [{{}}, {{ type: peak, freq: 1000, gain: 12, q: 0.5 }}] }}, comp: {{ threshold: -30, ratio: 4, knee: 0, attack: 2, release: 50, detect: rms }} }}\n"
        );
        let mut run = session_run(&yaml, Path::new("."), 64);
        let (l, _) = render(&mut run, 48_000, &[]);
        rms_db(&l[24_000..]) + 3.0103
    };
    // RMS in -20 dB. EQ first: the compressor hears -8 and leaves -24.5;
    // dynamics first: it hears -20, leaves -27.5, then +12: -15.5.
    let eq_dyn = level_of("eq_dyn");
    let dyn_eq = level_of("dyn_eq");
    assert!((eq_dyn + 24.5).abs() < 0.3, "eq_dyn: {eq_dyn:.2}");
    assert!((dyn_eq + 15.5).abs() < 0.3, "dyn_eq: {dyn_eq:.2}");
}

const TIMED: &str = r#"
version: 1
name: timed
tracks:
  - { name: Level, source: { tone: { wave: square, freq_hz: 1, level_db: -6 } } }
"#;

/// The first frame at which master left differs from its first sample.
fn first_change(l: &[f32]) -> Option<usize> {
    l.iter().position(|x| (x - l[0]).abs() > 1e-6)
}

#[test]
fn a_timed_change_is_heard_at_its_frame_whatever_the_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let fader = Address::parse("strip/1/fader").unwrap();
    for block in [1usize, 64, 100, 1024] {
        for at in [3_000u64, 3_001, 3_063] {
            let mut run = session_run(TIMED, dir.path(), block);
            run.hub
                .at_frame(Some(at), |hub| {
                    hub.apply(Origin::Daemon, fader, Value::Float(-20.0))
                })
                .unwrap();
            let (l, _) = render(&mut run, 6_000, &[]);
            assert_eq!(
                first_change(&l),
                Some(at as usize),
                "block {block}: a change timed for frame {at}"
            );
            assert_eq!(run.hub.engine_late_commands(), 0);
        }
    }
}

/// After 640 frames, a fader change timed for frame `at` and an untimed
/// pan change behind it; rendered to `until`. Returns the level before,
/// master L and R from frame 640, and the run.
fn timed_then_untimed(at: u64, until: u64) -> (f32, Vec<f32>, Vec<f32>, OfflineRun) {
    let dir = tempfile::tempdir().unwrap();
    let mut run = session_run(TIMED, dir.path(), 64);
    let (before, _) = render(&mut run, 640, &[]);
    let fader = Address::parse("strip/1/fader").unwrap();
    run.hub
        .at_frame(Some(at), |hub| {
            hub.apply(Origin::Daemon, fader, Value::Float(-20.0))
        })
        .unwrap();
    let pan = Address::parse("strip/1/pan").unwrap();
    run.hub
        .apply(Origin::Daemon, pan, Value::Float(0.0))
        .unwrap();
    let (l, r) = render(&mut run, until, &[]);
    (before[639], l, r, run)
}

#[test]
fn a_timed_change_that_arrives_late_is_heard_at_once_and_counted() {
    let (level, l, r, run) = timed_then_untimed(100, 1_280);
    assert!(
        (l[0] - level).abs() > 1e-6,
        "heard from the next block's start: {} then {}",
        level,
        l[0]
    );
    // Untimed changes behind it keep their order.
    assert!(r[600].abs() < 1e-6, "the pan change behind it applied too");
    // Counted per engine command (a fader change is several).
    assert!(run.hub.engine_late_commands() > 0);
}

#[test]
fn a_change_stamped_implausibly_far_ahead_does_not_hold_the_mix() {
    // A stamp an hour ahead (a clock mix-up) applies at once; the changes
    // behind it are not held back.
    let hour = 3_600 * u64::from(RATE);
    let (level, l, r, _) = timed_then_untimed(hour, 1_280 + 4_800);
    assert!((l[0] - level).abs() > 1e-6, "the fader moved at once");
    assert!(r[4_000].abs() < 1e-6, "the pan change behind it applied");
}

#[test]
fn timed_changes_closer_than_a_minimum_piece_wait_for_it() {
    // Two timed changes 3 frames apart: the first is heard at its frame,
    // the second MIN_TIMED_PIECE frames after the first (a dense stream
    // of them costs a bounded number of block splits).
    use faderd::engine::MIN_TIMED_PIECE;
    let dir = tempfile::tempdir().unwrap();
    let fader = Address::parse("strip/1/fader").unwrap();
    let mut run = session_run(
        "version: 1\nname: timed\nsmoothing_ms: 0\ntracks:\n  - { name: Level, source: { tone: { wave: square, freq_hz: 1, level_db: -6 } } }\n",
        dir.path(),
        64,
    );
    run.hub
        .at_frame(Some(1_000), |hub| {
            hub.apply(Origin::Daemon, fader, Value::Float(0.6))
        })
        .unwrap();
    run.hub
        .at_frame(Some(1_003), |hub| {
            hub.apply(Origin::Daemon, fader, Value::Float(0.4))
        })
        .unwrap();
    let (l, _) = render(&mut run, 2_000, &[]);
    let steps: Vec<usize> = (1..l.len())
        .filter(|&i| (l[i] - l[i - 1]).abs() > 1e-6)
        .collect();
    assert_eq!(
        steps,
        vec![1_000, 1_000 + MIN_TIMED_PIECE],
        "{:?}",
        &l[995..1_015]
    );
    assert_eq!(run.hub.engine_late_commands(), 0);
}

/// What an A/B run of a skipping and a plain engine saw.
struct RestRun {
    /// The most strips resting at once.
    rested: usize,
    /// Blocks the skipping engine rested whole (no mixing at all).
    whole_blocks: usize,
    /// Strips resting at 7.4 s, in the silence before the changes.
    resting_at_7_4: usize,
}

/// Two engines play `yaml` with the same inputs and changes, one skipping
/// resting strips and one not; every output sample must be the same to the
/// bit, and so must every strip's meters (read every block). Noise for
/// 0.4 s at 0 s and at 9 s (input 4 only the first time), silence between,
/// long enough for tails to die and meters to fall under their floor;
/// strip 1's gain set and strip 2 muted and back in the silence; block
/// lengths that change.
fn skip_and_plain_agree(yaml: &str, rolling: bool) -> RestRun {
    let session = parse_session(yaml, Path::new("rest.yaml")).unwrap();
    let cfg = faderd::engine::EngineConfig {
        sample_rate: RATE,
        max_block: 128,
        inputs: 4,
        outputs: 2,
    };
    let (mut hub_a, mut skipping) =
        faderd::mixer::Hub::new(session.clone(), Default::default(), cfg).unwrap();
    let (mut hub_b, mut plain) = faderd::mixer::Hub::new(session, Default::default(), cfg).unwrap();
    plain.set_resting(false);
    if rolling {
        for h in [&mut hub_a, &mut hub_b] {
            h.transport(TransportCmd::Play);
        }
    }
    let noise_l = noise(7, RATE as usize);
    let noise_r = noise(8, RATE as usize);
    let mut frame = 0usize;
    let mut run = RestRun {
        rested: 0,
        whole_blocks: 0,
        resting_at_7_4: 0,
    };
    let lengths = [64usize, 37, 128, 91, 1, 64];
    let seconds = 12;
    let mut k = 0;
    while frame < seconds * RATE as usize {
        let n = lengths[k % lengths.len()];
        k += 1;
        let t = frame as f64 / f64::from(RATE);
        let burst = t % 9.0 < 0.4;
        for e in [&mut skipping, &mut plain] {
            for ch in 0..4 {
                let dst = &mut e.input_mut(ch)[..n];
                for (i, x) in dst.iter_mut().enumerate() {
                    let j = (frame + i) % noise_l.len();
                    *x = match ch {
                        _ if !burst => 0.0,
                        0 => noise_l[j],
                        1 => noise_r[j] * 0.5,
                        3 if t < 4.0 => noise_r[j] * 0.25,
                        _ => 0.0,
                    };
                }
            }
        }
        let ms = (t * 1000.0) as u64;
        let at = |a: u64, b: u64| ms >= a && ms < b && frame % 4800 < n;
        for h in [&mut hub_a, &mut hub_b] {
            for (from, to, address, value) in [
                (7500, 7600, "strip/1/gain", Value::Float(-12.0)),
                (8000, 8100, "strip/2/mute", Value::Bool(true)),
                (8500, 8600, "strip/2/mute", Value::Bool(false)),
            ] {
                if at(from, to) {
                    h.apply(Origin::Daemon, Address::parse(address).unwrap(), value)
                        .unwrap();
                }
            }
            h.service();
        }
        let rested_before = skipping.rests_whole();
        skipping.process(n);
        plain.process(n);
        if rested_before && skipping.rests_whole() {
            run.whole_blocks += 1;
        }
        for ch in 0..2 {
            let (a, b) = (&skipping.output(ch)[..n], &plain.output(ch)[..n]);
            for i in 0..n {
                assert_eq!(
                    a[i].to_bits(),
                    b[i].to_bits(),
                    "output {ch} differs at frame {} ({t:.3} s): {} vs {}",
                    frame + i,
                    a[i],
                    b[i]
                );
            }
        }
        for strip in hub_a.strips() {
            assert_eq!(
                hub_a.meter(strip),
                hub_b.meter(strip),
                "{strip:?}'s meters differ at {t:.3} s"
            );
        }
        run.rested = run.rested.max(skipping.resting_strips());
        if (7.4..7.5).contains(&t) {
            run.resting_at_7_4 = skipping.resting_strips();
        }
        frame += n;
    }
    assert_eq!(hub_a.loudness(), hub_b.loudness(), "loudness differs");
    run
}

/// Strips resting on silence are skipped, and a listener cannot tell:
/// bursts of noise into EQ'd, compressed and gated strips, then silence;
/// fader moves and mutes in the silence; a lane playing; a strip with its
/// polarity inverted, all while the transport rolls.
#[test]
fn skipping_strips_that_rest_on_silence_changes_no_sample() {
    let yaml = r#"
version: 1
name: rest
buses:
  - { name: Aux, kind: aux, gain_db: -6 }
  - { name: Grp, kind: group }
tracks:
  - { name: A, source: { input: 1 }, eq: { hpf: { freq: 80, slope: 18 }, bands: [{ gain: 6, freq: 200, q: 4 }, { gain: -3 }] },
      comp: { threshold: -30, ratio: 4, attack: 2, release: 20, detect: rms }, sends: [{ bus: Aux, gain_db: -10 }] }
  - { name: B, channels: stereo, source: { input: 2 }, output: Grp,
      gate: { threshold: -40, hold: 20, release: 50 }, sends: [{ bus: Aux, gain_db: -6, pre: true }] }
  - { name: C, source: { input: 4 }, invert: true, pan: 0.2 }
  - { name: D, source: { input: 1 }, comp: { threshold: -20, ratio: 2, sc_hpf: 120 }, automation: read,
      lanes: { gain: { points: [[0, -10], [3, -20], [6, 0]] } } }
  - { name: E, source: { input: 4 } }
"#;
    let run = skip_and_plain_agree(yaml, true);
    assert!(
        run.resting_at_7_4 >= 6,
        "A, B, E, both buses and master rest by 7.4 s ({})",
        run.resting_at_7_4
    );
    // C (inverted: -0.0) and D (a lane plays) never rest, so neither does
    // the whole console.
    assert!(run.rested >= 2, "no strip rested (at most {})", run.rested);
    assert_eq!(run.whole_blocks, 0);
}

/// A stopped console whose every strip rests is not mixed at all until an
/// input or a change wakes it, and a listener cannot tell, nor can its
/// meters (a closed gate still shows the reduction it holds) or the
/// loudness meter.
#[test]
fn a_console_at_rest_skips_mixing_and_sounds_and_meters_the_same() {
    let yaml = r#"
version: 1
name: rest-whole
buses:
  - { name: Aux, kind: aux, gain_db: -6 }
  - { name: Grp, kind: group }
tracks:
  - { name: A, source: { input: 1 }, eq: { hpf: { freq: 80, slope: 18 }, bands: [{ gain: 6, freq: 200, q: 4 }] },
      comp: { threshold: -30, ratio: 4, attack: 2, release: 20 }, sends: [{ bus: Aux, gain_db: -10 }] }
  - { name: B, channels: stereo, source: { input: 2 }, output: Grp,
      gate: { threshold: -40, hold: 20, release: 50 }, sends: [{ bus: Aux, gain_db: -6, pre: true }] }
  - { name: C, source: { input: 4 }, pan: 0.2 }
  - { name: D }
"#;
    let run = skip_and_plain_agree(yaml, false);
    assert_eq!(run.resting_at_7_4, 7, "every strip rests by 7.4 s");
    // Once the first burst's tails and meters have died away (about 6.5 s)
    // the console rests whole until the second burst at 9 s, but for the
    // moments the changes at 7.5, 8 and 8.5 s wake it: some 1,900 blocks.
    assert!(
        run.whole_blocks > 1_500,
        "rested whole for only {} blocks",
        run.whole_blocks
    );
}

#[test]
fn a_post_fader_send_fades_with_a_mute_ramp_exactly_as_the_channel_does() {
    // DC into a mono track panned hard left, its post-fader send panned
    // hard right: master R carries only the send. A mute ramps over 10 ms
    // (480 samples); the send must fade along the same straight line as
    // the channel, not along its square (the gate applied twice).
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("dc.wav"), RATE, &[vec![1.0; 4_800]]);
    let yaml = r#"
version: 1
name: post-send
buses:
  - { name: Aux, kind: aux }
tracks:
  - { name: DC, source: { file: dc.wav }, pan: 0, sends: [{ bus: Aux, gain_db: 0, pan: 1 }] }
"#;
    for block in [1usize, 64] {
        let mut run = session_run(yaml, dir.path(), block);
        let (l, r) = render(
            &mut run,
            4_800,
            &[change(1_000, "strip/1/mute", Value::Float(1.0))],
        );
        let (channel, send) = (l[999], r[999]);
        assert!(channel > 0.5 && send > 0.5, "levels {channel} / {send}");
        for t in [120usize, 240, 360] {
            let want = 1.0 - t as f32 / 480.0;
            let got_channel = l[1_000 + t] / channel;
            let got_send = r[1_000 + t] / send;
            assert!(
                (got_channel - want).abs() < 0.01,
                "block {block}: channel at {t}: {got_channel}, want {want}"
            );
            assert!(
                (got_send - want).abs() < 0.01,
                "block {block}: post-fader send at {t}: {got_send}, want {want} (the channel's {got_channel})"
            );
        }
        assert_eq!(r[1_000 + 480], 0.0, "muted after the ramp");
    }
}

/// What a backend's period I/O saw: the pieces it was asked for and the
/// master's left channel.
#[derive(Default)]
struct Recorded {
    pieces: Vec<(usize, usize)>,
    left: Vec<f32>,
    began: usize,
    ended: usize,
}

impl faderd::audio::slot::PeriodIo for Recorded {
    fn begin(&mut self, _: &mut Engine) {
        self.began += 1;
    }
    fn output(&mut self, engine: &Engine, offset: usize, n: usize, playing: bool) {
        assert!(playing);
        self.pieces.push((offset, n));
        self.left.extend_from_slice(&engine.output(0)[..n]);
    }
    fn end(&mut self, _: &mut Engine) {
        self.ended += 1;
    }
}

/// A device period longer than the engine's block (cpal's buffers, a
/// JACK period over the engine's size) is played in engine-sized pieces,
/// and sounds exactly as the engine run block by block.
#[test]
fn a_long_device_period_plays_in_engine_blocks_sample_for_sample() {
    let yaml = r#"
version: 1
name: t
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 441, level_db: -12 } }
"#;
    let (_hub_a, engine_a) = hub_and_engine(yaml, "a.yaml", RATE, 128);
    let (_hub_b, mut engine_b) = hub_and_engine(yaml, "b.yaml", RATE, 128);
    let mut slot = faderd::audio::slot::EngineSlot::from(engine_a);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&calls);
    let mut hooks = faderd::audio::AudioHooks {
        before_period: Some(Box::new(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })),
        after_period: None,
    };
    let mut io = Recorded::default();
    slot.run_period(&mut hooks, 300, &mut io);
    assert_eq!(io.pieces, [(0, 128), (128, 128), (256, 44)]);
    assert_eq!((io.began, io.ended), (1, 1));
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 1);
    let mut direct = Vec::new();
    for n in [128, 128, 44] {
        engine_b.process(n);
        direct.extend_from_slice(&engine_b.output(0)[..n]);
    }
    assert_eq!(io.left, direct);
    assert!(direct.iter().any(|x| x.abs() > 0.1), "the tone plays");
}
