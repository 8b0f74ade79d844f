//! `faderd render` plays long files a window at a time and spreads the
//! strips over cores; its file must equal, sample for sample, the same
//! session played from whole files on one thread.

use crate::common;
use common::*;
use faderd::config::parse_session;
use faderd::media::load_clips;
use faderd::render::{OfflineRun, STREAM_WINDOW_FRAMES};
use std::path::Path;

const RATE: u32 = 48_000;

/// Write `x` (one channel) as 16- or 24-bit integer WAV.
fn write_int_wav(path: &Path, bits: u16, x: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let full = f32::from(1u16 << (bits.min(16) - 1)) * if bits == 24 { 256.0 } else { 1.0 };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in x {
        w.write_sample((s * full) as i32).unwrap();
    }
    w.finalize().unwrap();
}

const SESSION: &str = r#"
version: 1
name: streaming
buses:
  - { name: Rev, kind: aux, reverb: { decay: 0.8 } }
tracks:
  - { name: Long, source: { file: long.wav }, gain_db: -3, pan: 0.2,
      eq: { hpf: { freq: 90, slope: 18 } }, comp: { threshold: -24, ratio: 3, attack: 3, release: 80 },
      sends: [{ bus: Rev, gain_db: -8 }] }
  - { name: Long again, source: { file: long.wav }, gain_db: -9, pan: 0.9 }
  - { name: Stereo, channels: stereo, source: { file: st.wav }, gain_db: -4 }
  - { name: Loop, source: { file: loop.wav, loop: true }, gain_db: -10 }
  - { name: Int16, source: { file: i16.wav }, pan: 0.7 }
  - { name: Int24, source: { file: i24.wav }, pan: 0.3 }
"#;

#[test]
fn a_streamed_spread_render_equals_whole_files_on_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    let w = STREAM_WINDOW_FRAMES;
    // Longer than two windows; ending inside the second window; a short
    // loop; integer formats ending between windows.
    let long = 2 * w + 7_001;
    write_wav(&dir.path().join("long.wav"), RATE, &[noise(1, long)]);
    write_wav(
        &dir.path().join("st.wav"),
        RATE,
        &[noise(2, w + 999), noise(3, w + 999)],
    );
    write_wav(&dir.path().join("loop.wav"), RATE, &[noise(4, 10_007)]);
    write_int_wav(&dir.path().join("i16.wav"), 16, &noise(5, w - 5));
    write_int_wav(&dir.path().join("i24.wav"), 24, &noise(6, w + 1));
    let sess = dir.path().join("s.yaml");
    std::fs::write(&sess, SESSION).unwrap();

    // The reference: whole files, the engine driven node after node.
    let session = parse_session(SESSION, Path::new("s.yaml")).unwrap();
    let clips = load_clips(&session, dir.path()).unwrap();
    let mut run = OfflineRun::new(session, clips, 256).unwrap();
    run.set_spread(false);
    let (mut l, mut r) = (Vec::new(), Vec::new());
    run.run(long as u64, &mut [].iter().peekable(), |e, n| {
        l.extend_from_slice(&e.output(0)[..n]);
        r.extend_from_slice(&e.output(1)[..n]);
        Ok::<(), ()>(())
    })
    .unwrap();
    assert!(l[2 * w..].iter().any(|x| x.abs() > 0.01), "the end plays");

    for block in ["4096", "333"] {
        let out = dir.path().join(format!("mix-{block}.wav"));
        let st = render_cmd(&sess, &out, &["--block", block]);
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let (_, got) = read_wav(&out);
        assert_eq!(got[0].len(), long, "the length follows the longest file");
        for (ch, (got, want)) in got.iter().zip([&l, &r]).enumerate() {
            let at = got.iter().zip(want.iter()).position(|(a, b)| a != b);
            assert_eq!(
                at, None,
                "block {block}, channel {ch}: differs at frame {at:?} (windows of {w})"
            );
        }
    }
}
