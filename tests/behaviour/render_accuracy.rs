//! A rendered session's samples equal an independent computation of the
//! mix: sources x trims x faders x pan gains, sends through aux buses,
//! tracks through a group bus, everything into master.

use crate::common;
use common::*;
use std::f64::consts::FRAC_PI_2;

const RATE: u32 = 48_000;
const N: usize = 48_000; // one second

fn pan_m45(p: f64) -> (f64, f64) {
    // The -4.5 dB law: geometric mean of constant power and linear.
    (
        ((p * FRAC_PI_2).cos() * (1.0 - p)).sqrt(),
        ((p * FRAC_PI_2).sin() * p).sqrt(),
    )
}

fn balance(p: f64) -> (f64, f64) {
    ((2.0 * (1.0 - p)).min(1.0), (2.0 * p).min(1.0))
}

#[test]
fn render_matches_an_independent_mix() {
    let dir = tempfile::tempdir().unwrap();
    let a = noise(1, N);
    let b = noise(2, N);
    let c = noise(3, N);
    let (sl, sr) = (noise(4, N), noise(5, N));
    write_wav(&dir.path().join("a.wav"), RATE, std::slice::from_ref(&a));
    write_wav(&dir.path().join("b.wav"), RATE, std::slice::from_ref(&b));
    write_wav(&dir.path().join("c.wav"), RATE, std::slice::from_ref(&c));
    write_wav(&dir.path().join("st.wav"), RATE, &[sl.clone(), sr.clone()]);
    let session = r#"
version: 1
name: accuracy
sample_rate: 48000
pan_law_db: -4.5
buses:
  - { name: Grp, kind: group, gain_db: -2, pan: 0.4 }
  - { name: Rev, kind: aux, gain_db: -5 }
  - { name: Dly, kind: aux, gain_db: 3, pan: 0.7 }
tracks:
  - name: A
    source: { file: a.wav }
    trim_db: 4
    gain_db: -3
    pan: 0.2
    output: Grp
    sends: [{ bus: Rev, gain_db: -6, pre: true, pan: 0.9 }]
  - name: B
    source: { file: b.wav }
    invert: true
    gain_db: 2.5
    pan: 0.5
    output: Grp
  - name: C
    source: { file: c.wav }
    gain_db: -12
    pan: 0.85
    sends: [{ bus: Rev, gain_db: -1 }, { bus: Dly, gain_db: -9, pan: 0.1 }]
  - name: St
    channels: stereo
    source: { file: st.wav }
    trim_db: -3
    gain_db: -1
    pan: 0.6
    sends: [{ bus: Dly, gain_db: -4, pan: 0.3 }]
master: { gain_db: -3, pan: 0.55 }
"#;
    let sess = dir.path().join("s.yaml");
    std::fs::write(&sess, session).unwrap();
    let out = dir.path().join("mix.wav");
    let st = render_cmd(&sess, &out, &["--block", "333"]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let (rate, got) = read_wav(&out);
    assert_eq!(rate, RATE);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].len(), N, "length follows the longest file");

    let mut worst = 0.0f64;
    for i in 0..N {
        let (a, b, c) = (f64::from(a[i]), f64::from(b[i]), f64::from(c[i]));
        let (sl, sr) = (f64::from(sl[i]), f64::from(sr[i]));
        let mut grp = [0.0; 2];
        let mut rev = [0.0; 2];
        let mut dly = [0.0; 2];
        let mut master = [0.0; 2];
        // A: trim +4, fader -3, pan 0.2 into Grp; pre-fader send to Rev.
        let a_pre = a * db(4.0);
        let (l, r) = pan_m45(0.2);
        grp[0] += a_pre * db(-3.0) * l;
        grp[1] += a_pre * db(-3.0) * r;
        let (l, r) = pan_m45(0.9);
        rev[0] += a_pre * db(-6.0) * l;
        rev[1] += a_pre * db(-6.0) * r;
        // B: inverted, +2.5, centre, into Grp.
        let (l, r) = pan_m45(0.5);
        grp[0] += -b * db(2.5) * l;
        grp[1] += -b * db(2.5) * r;
        // C: -12, pan 0.85 to master; post-fader sends to Rev and Dly.
        let c_post = c * db(-12.0);
        let (l, r) = pan_m45(0.85);
        master[0] += c_post * l;
        master[1] += c_post * r;
        let (l, r) = pan_m45(0.5);
        rev[0] += c_post * db(-1.0) * l;
        rev[1] += c_post * db(-1.0) * r;
        let (l, r) = pan_m45(0.1);
        dly[0] += c_post * db(-9.0) * l;
        dly[1] += c_post * db(-9.0) * r;
        // St: stereo, trim -3, fader -1, balance 0.6; post send to Dly, balance 0.3.
        let (pl, pr) = (sl * db(-3.0) * db(-1.0), sr * db(-3.0) * db(-1.0));
        let (l, r) = balance(0.6);
        master[0] += pl * l;
        master[1] += pr * r;
        let (l, r) = balance(0.3);
        dly[0] += pl * db(-4.0) * l;
        dly[1] += pr * db(-4.0) * r;
        // Buses into master.
        let (l, r) = balance(0.4);
        master[0] += grp[0] * db(-2.0) * l;
        master[1] += grp[1] * db(-2.0) * r;
        master[0] += rev[0] * db(-5.0);
        master[1] += rev[1] * db(-5.0);
        let (l, r) = balance(0.7);
        master[0] += dly[0] * db(3.0) * l;
        master[1] += dly[1] * db(3.0) * r;
        let (l, r) = balance(0.55);
        let expect = [master[0] * db(-3.0) * l, master[1] * db(-3.0) * r];
        for ch in 0..2 {
            let err = (f64::from(got[ch][i]) - expect[ch]).abs();
            worst = worst.max(err);
            assert!(
                err < 1e-6,
                "sample {i} ch {ch}: got {} expected {}",
                got[ch][i],
                expect[ch]
            );
        }
    }
    // The signal is not trivially silent.
    let peak = got[0].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak > 0.1, "peak {peak}");
    eprintln!("worst error {worst:e}");
}

/// Without dither, int24 and int16 files are the float mix rounded to the
/// nearest code, and read back on the same scale they were written on
/// (-1.0 is -2^23, resp. -2^15): within half a step.
#[test]
fn int24_and_int16_outputs_are_the_float_mix_rounded() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"), RATE, &[noise(9, 4800)]);
    std::fs::write(
        dir.path().join("s.yaml"),
        "version: 1\nname: q\ntracks:\n  - { name: A, source: { file: a.wav }, gain_db: -6 }\n",
    )
    .unwrap();
    let f = dir.path().join("f.wav");
    let st = render_cmd(&dir.path().join("s.yaml"), &f, &[]);
    assert!(st.status.success());
    let (_, fl) = read_wav(&f);
    for (fmt, bits) in [("int24", 24u16), ("int16", 16)] {
        let i = dir.path().join(format!("{fmt}.wav"));
        let st = render_cmd(
            &dir.path().join("s.yaml"),
            &i,
            &["--format", fmt, "--dither", "none"],
        );
        assert!(st.status.success());
        let r = hound::WavReader::open(&i).unwrap();
        assert_eq!(r.spec().bits_per_sample, bits);
        assert_eq!(r.spec().sample_format, hound::SampleFormat::Int);
        let step = 1.0 / f64::from(1u32 << (bits - 1));
        let (_, il) = read_wav(&i);
        let worst = fl[0]
            .iter()
            .zip(&il[0])
            .map(|(x, y)| (f64::from(*x) - f64::from(*y)).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 0.5 * step * (1.0 + 1e-6),
            "{fmt}: off by {:.3} steps",
            worst / step
        );
    }
}

/// A sine a third of a 16-bit step high (-100 dBFS) vanishes when rounded
/// plainly, and survives, at its level, under TPDF dither.
#[test]
fn tpdf_dither_keeps_a_signal_below_the_last_bit() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.yaml");
    // -97 dBFS tone, -3 dB pan law: -100 dBFS in each channel.
    std::fs::write(
        &session,
        "version: 1\nname: quiet\nlength_s: 2\ntracks:\n  - { name: T, source: { tone: { wave: sine, freq_hz: 1000, level_db: -96.9897 } } }\n",
    )
    .unwrap();
    let amplitude_in_steps = |dither: &str| {
        let out = dir.path().join(format!("{dither}.wav"));
        let st = render_cmd(&session, &out, &["--format", "int16", "--dither", dither]);
        assert!(st.status.success());
        let (_, ch) = read_wav(&out);
        // Correlate with the sine: its amplitude, in 16-bit steps.
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for (n, x) in ch[0].iter().enumerate() {
            let ph = std::f64::consts::TAU * 1000.0 * n as f64 / 48_000.0;
            s += f64::from(*x) * ph.sin();
            c += f64::from(*x) * ph.cos();
        }
        2.0 * s.hypot(c) / ch[0].len() as f64 * 32_768.0
    };
    let want = 10f64.powf(-100.0 / 20.0) * 32_768.0;
    let plain = amplitude_in_steps("none");
    assert_eq!(plain, 0.0, "rounded plainly, the sine is gone");
    let dithered = amplitude_in_steps("tpdf");
    assert!(
        (dithered - want).abs() < 0.03,
        "dithered: {dithered:.3} steps, the sine is {want:.3}"
    );
}

/// A fixed-point render that clips says how much and where; the exit
/// status says so when asked.
#[test]
fn clipping_in_a_fixed_point_render_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.yaml");
    // A square wave at 0 dBFS, +6 dB on the fader, from 0.5 s.
    std::fs::write(
        &session,
        "version: 1\nname: hot\nlength_s: 1\ntracks:\n  - { name: T, source: { tone: { wave: square, freq_hz: 100, level_db: 0 } }, gain_db: -.inf, automation: read, lanes: { gain: { points: [[0, -.inf], [0.5, -.inf], [0.5, 6]] } } }\n",
    )
    .unwrap();
    let out = dir.path().join("hot.wav");
    let st = render_cmd(&session, &out, &["--format", "int24"]);
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(st.status.success(), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("hot.wav: "))
        .unwrap_or_else(|| panic!("no clip report: {err}"));
    assert!(
        line.ends_with(" samples clipped, the first at 0.500 s, the highest at +3.0 dBFS"),
        "{line}"
    );
    // Both channels of half a second of square wave, give or take its
    // band-limited edges.
    let count: u64 = line
        .split("hot.wav: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((47_000..=49_000).contains(&count), "{line}");
    let st = render_cmd(&session, &out, &["--format", "int24", "--fail-on-clip"]);
    assert_eq!(
        st.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(out.exists(), "the file is written all the same");
    let st = render_cmd(&session, &out, &["--fail-on-clip"]);
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(st.status.success(), "float never clips: {err}");
    assert!(!err.contains("clipped"), "{err}");
}

/// With the master limiter on (its lookahead delays the master by 95
/// frames at 48 kHz), the mix still lines up with the stems sample for
/// sample: it does not start late with silence and keeps the programme's
/// last frame.
#[test]
fn the_mix_and_its_stems_line_up_with_the_limiter_on() {
    let dir = tempfile::tempdir().unwrap();
    let frames = 48_000;
    write_wav(&dir.path().join("n.wav"), 48_000, &[noise(7, frames)]);
    let session = dir.path().join("s.yaml");
    std::fs::write(
        &session,
        "version: 1\nname: aligned\ntracks:\n  - { name: N, source: { file: n.wav }, gain_db: -12 }\nmaster:\n  limiter: { ceiling: -0.1, release: 100 }\n",
    )
    .unwrap();
    let out = dir.path().join("mix.wav");
    let stems = dir.path().join("stems");
    let st = render_cmd(&session, &out, &["--stems", stems.to_str().unwrap()]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let (_, mix) = read_wav(&out);
    let (_, stem) = read_wav(&stems.join("01 N.wav"));
    let (_, master) = read_wav(&stems.join("master.wav"));
    assert_eq!(mix[0].len(), frames, "the mix is the programme's length");
    assert_eq!(stem[0].len(), frames);
    assert_eq!(master, mix, "the master stem is the mix");
    // One track into a master that does not limit (-12 dB of noise under
    // a -0.1 dBTP ceiling): the mix is the stem, frame for frame.
    let worst = mix[0]
        .iter()
        .zip(&stem[0])
        .chain(mix[1].iter().zip(&stem[1]))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "mix and stem differ by up to {worst}");
    assert!(
        mix[0][0] != 0.0,
        "the mix starts with the programme, not silence"
    );
    assert!(
        (mix[0][frames - 1] - stem[0][frames - 1]).abs() < 1e-6 && mix[0][frames - 1] != 0.0,
        "the programme's last frame is in the mix"
    );
}

/// A channel-strip lane playing splits every block on its 32-frame grid;
/// a stem is still the whole block's output, so it is the same file
/// whatever `--block` is (and, for one centred track into a master that
/// does nothing, the mix itself).
#[test]
fn stems_do_not_depend_on_the_block_size_while_channel_strip_lanes_play() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("n.wav"), RATE, &[noise(11, N)]);
    let session = dir.path().join("s.yaml");
    std::fs::write(
        &session,
        "version: 1\nname: split\ntracks:\n  - name: N\n    source: { file: n.wav }\n    automation: read\n    lanes:\n      hpf/freq: { points: [[0, 40], [1, 900]] }\n    eq: { hpf: { on: true, freq: 100, slope: 24 } }\n",
    )
    .unwrap();
    let stem_of = |block: &str| {
        let stems = dir.path().join(format!("stems{block}"));
        let out = dir.path().join(format!("mix{block}.wav"));
        let st = render_cmd(
            &session,
            &out,
            &["--stems", stems.to_str().unwrap(), "--block", block],
        );
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        (read_wav(&stems.join("01 N.wav")).1, read_wav(&out).1)
    };
    let (small, mix_small) = stem_of("16");
    let (large, mix_large) = stem_of("4096");
    assert_eq!(mix_small, mix_large);
    assert_eq!(
        small, mix_small,
        "one centred track into a plain master: the stem is the mix"
    );
    assert_eq!(large, small, "the stem does not depend on the block size");
}

/// Stems taken through the master go through its chain with the mix's own
/// gains: with a compressor, a gate, an EQ that moves, a fader lane and a
/// limiter all working hard on the master, the stems still sum to the mix.
/// Tracks routed into a group are in the group's stem; a send's return is
/// in its bus's.
#[test]
fn stems_taken_through_the_master_sum_to_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let loud = |seed, gain: f32| -> Vec<f32> { noise(seed, N).iter().map(|x| x * gain).collect() };
    write_wav(&dir.path().join("a.wav"), RATE, &[loud(21, 1.5)]);
    write_wav(&dir.path().join("b.wav"), RATE, &[loud(22, 0.7)]);
    write_wav(&dir.path().join("c.wav"), RATE, &[loud(23, 1.2)]);
    write_wav(
        &dir.path().join("st.wav"),
        RATE,
        &[loud(24, 0.9), loud(25, 0.4)],
    );
    let session = dir.path().join("s.yaml");
    std::fs::write(
        &session,
        r#"
version: 1
name: summing
sample_rate: 48000
buses:
  - { name: Grp, kind: group, gain_db: -1, comp: { threshold: -20, ratio: 3 } }
  - { name: Verb, kind: aux, reverb: { size: 1.0, decay: 1.5 } }
tracks:
  - { name: A, source: { file: a.wav }, output: Grp, pan: 0.3 }
  - { name: B, source: { file: b.wav }, output: Grp, sends: [{ bus: Verb, gain_db: -6 }] }
  - { name: C, source: { file: c.wav }, pan: 0.8, sends: [{ bus: Verb, gain_db: -3 }] }
  - { name: St, channels: stereo, source: { file: st.wav }, gain_db: 2 }
master:
  gain_db: -1
  pan: 0.45
  trim_db: 4
  automation: read
  lanes:
    gain: { points: [[0, -6], [0.5, 0], [1, -3]] }
    eq/2/gain: { points: [[0, -9], [1, 9]] }
  eq:
    hpf: { freq: 60, slope: 12 }
    bands: [{}, { type: peak, freq: 1500, gain: 0, q: 1 }]
  gate: { threshold: -30, ratio: 4, range: 20, attack: 1, hold: 5, release: 50 }
  comp: { threshold: -24, ratio: 6, attack: 3, release: 80, makeup: 4 }
  limiter: { ceiling: -6, release: 60 }
"#,
    )
    .unwrap();
    let render = |mode: &str| {
        let stems = dir.path().join(mode);
        let out = dir.path().join(format!("{mode}.wav"));
        let st = render_cmd(
            &session,
            &out,
            &[
                "--stems",
                stems.to_str().unwrap(),
                "--stem-mode",
                mode,
                "--block",
                "1000",
            ],
        );
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let mut names: Vec<String> = std::fs::read_dir(&stems)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut sum = vec![vec![0.0f64; N]; 2];
        for name in names.iter().filter(|n| *n != "master.wav") {
            let (_, s) = read_wav(&stems.join(name));
            for (acc, ch) in sum.iter_mut().zip(&s) {
                assert_eq!(ch.len(), N, "{name} is the programme's length");
                for (a, x) in acc.iter_mut().zip(ch) {
                    *a += f64::from(*x);
                }
            }
        }
        let (_, mix) = read_wav(&out);
        let worst = mix
            .iter()
            .zip(&sum)
            .flat_map(|(m, s)| m.iter().zip(s).map(|(a, b)| (f64::from(*a) - b).abs()))
            .fold(0.0f64, f64::max);
        let peak = mix.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
        (names, worst, peak)
    };
    let (names, worst, peak) = render("through-master");
    assert_eq!(
        names,
        [
            "03 C.wav",
            "04 St.wav",
            "bus 01 Grp.wav",
            "bus 02 Verb.wav",
            "master.wav"
        ],
        "one stem per input of the master"
    );
    assert!(peak > 0.3, "the mix is not silent (peak {peak})");
    assert!(
        worst < 2e-6,
        "the stems sum to the mix within float rounding; they differ by up to {worst}"
    );
    // The same session's stems taken before the master do not: the master
    // really is doing something the sum has to account for.
    let (_, worst_pre, _) = render("pre-master");
    assert!(
        worst_pre > 0.1,
        "pre-master stems differ from the mix by only {worst_pre}"
    );
}
