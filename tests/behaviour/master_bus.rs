//! The master bus as a user bounces it: `faderd render` prints the mix's
//! loudness, and an independent meter (the ebur128 crate) reading the file
//! it wrote agrees; the true-peak limiter keeps the file under its ceiling.

use crate::common;
use common::*;
use std::path::Path;

const RATE: u32 = 48_000;

/// The figures `faderd render` printed: integrated, range, true peak.
fn printed(stderr: &str) -> (f64, f64, f64) {
    let line = stderr
        .lines()
        .find(|l| l.contains("loudness:"))
        .unwrap_or_else(|| panic!("no loudness line in:\n{stderr}"));
    let after = |key: &str| -> f64 {
        let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
        let word = rest
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches(',');
        if word == "-inf" {
            f64::NEG_INFINITY
        } else {
            word.parse().unwrap()
        }
    };
    (after("integrated "), after("range "), after("true peak "))
}

struct Reference {
    integrated: f64,
    range: f64,
    true_peak_dbtp: f64,
}

fn reference(path: &Path) -> Reference {
    use ebur128::{EbuR128, Mode};
    let (rate, ch) = read_wav(path);
    let mut e = EbuR128::new(2, rate, Mode::I | Mode::LRA | Mode::TRUE_PEAK).unwrap();
    e.add_frames_planar_f32(&[&ch[0], &ch[1]]).unwrap();
    let tp = e.true_peak(0).unwrap().max(e.true_peak(1).unwrap());
    Reference {
        integrated: e.loudness_global().unwrap(),
        range: e.loudness_range().unwrap(),
        true_peak_dbtp: 20.0 * tp.log10(),
    }
}

fn render(dir: &Path, session: &str) -> (String, Reference) {
    let sess = dir.join("s.yaml");
    std::fs::write(&sess, session).unwrap();
    let out = dir.join("mix.wav");
    let st = render_cmd(&sess, &out, &[]);
    let stderr = String::from_utf8_lossy(&st.stderr).into_owned();
    assert!(st.status.success(), "{stderr}");
    (stderr, reference(&out))
}

/// Noise with its top octave tamed, like programme material. (Full-band
/// white noise peaks between samples by amounts that depend on how flat
/// the interpolator is right up to Nyquist; true-peak meters differ there.)
fn soft_noise(seed: u64, n: usize, amp: f32) -> Vec<f32> {
    let mut y = 0.0f32;
    noise(seed, n)
        .iter()
        .map(|x| {
            y += 0.35 * (x - y);
            y * amp
        })
        .collect()
}

/// Loud, quiet (under the relative gate), silent (under the absolute
/// gate), loud again: the gates must drop the same blocks as the reference.
fn passages(seed: u64) -> Vec<f32> {
    let sec = RATE as usize;
    let mut x = soft_noise(seed, 8 * sec, 0.8);
    x.extend(soft_noise(seed + 1, 6 * sec, 0.02));
    x.extend(vec![0.0; 4 * sec]);
    x.extend(
        (0..6 * sec)
            .map(|i| (0.3 * (i as f64 * 440.0 * std::f64::consts::TAU / 48_000.0).sin()) as f32),
    );
    x
}

#[test]
fn render_prints_the_loudness_an_independent_meter_reads_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("p.wav"), RATE, &[passages(1)]);
    let session = r#"
version: 1
name: loudness
sample_rate: 48000
tracks:
  - { name: Passages, source: { file: p.wav }, pan: 0.3 }
  - { name: Pink, channels: stereo, source: { tone: { wave: pink, level_db: -28 } }, gain_db: -6 }
  - { name: Tone, source: { tone: { wave: sine, freq_hz: 997, level_db: -30 } } }
"#;
    let (stderr, e) = render(dir.path(), session);
    let (integrated, range, tp) = printed(&stderr);
    println!(
        "printed I {integrated} LRA {range} TP {tp}; ebur128 I {:.3} LRA {:.3} TP {:.3}",
        e.integrated, e.range, e.true_peak_dbtp
    );
    // Printed to 0.1: within 0.1 LU of the reference once rounded.
    assert!((integrated - e.integrated).abs() <= 0.1, "integrated");
    assert!((range - e.range).abs() <= 0.1, "range");
    assert!((tp - e.true_peak_dbtp).abs() <= 0.2, "true peak");
    assert!(
        range > 3.0,
        "the passages differ in loudness: range {range}"
    );
}

#[test]
fn the_master_limiter_keeps_the_bounce_under_its_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let hot = |limiter: &str| {
        format!(
            r#"
version: 1
name: hot
sample_rate: 48000
length_s: 6
tracks:
  - {{ name: Kick, source: {{ tone: {{ wave: sine, freq_hz: 55, level_db: -3, pulse: {{ bpm: 120, decay_ms: 220 }} }} }} }}
  - {{ name: Hat, source: {{ tone: {{ wave: white, level_db: -6, pulse: {{ bpm: 480, decay_ms: 30 }} }} }}, pan: 0.7 }}
  - {{ name: Lead, source: {{ tone: {{ wave: square, freq_hz: 3217, level_db: -9 }} }}, pan: 0.2 }}
master:
  gain_db: 9
{limiter}
"#
        )
    };
    let (_, open) = render(dir.path(), &hot(""));
    let (stderr, limited) = render(
        dir.path(),
        &hot("  limiter: { ceiling: -1.0, release: 60 }"),
    );
    let (_, _, printed_tp) = printed(&stderr);
    println!(
        "without limiter {:.2} dBTP, with {:.3} dBTP (ebur128), printed {printed_tp}",
        open.true_peak_dbtp, limited.true_peak_dbtp
    );
    assert!(
        open.true_peak_dbtp > 6.0,
        "the mix is hot without the limiter"
    );
    assert!(
        limited.true_peak_dbtp <= -1.0,
        "over the ceiling: {}",
        limited.true_peak_dbtp
    );
    assert!(printed_tp <= -1.0);
    // Limiting, not muting: the bounce stays loud.
    assert!(limited.integrated > open.integrated - 12.0);
}
