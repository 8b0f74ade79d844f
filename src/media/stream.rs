//! WAV files read a window at a time: an offline render plays files of any
//! length in a few megabytes instead of holding every file whole.
//!
//! Thread: non-real-time (file I/O).

use super::MediaError;
use crate::engine::Clip;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How samples are stored, for the formats read in bulk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleKind {
    F32,
    I16,
    I24,
    I32,
}

impl SampleKind {
    fn bytes(self) -> usize {
        match self {
            SampleKind::I16 => 2,
            SampleKind::I24 => 3,
            SampleKind::F32 | SampleKind::I32 => 4,
        }
    }
}

/// An open WAV file whose sample data is read in pieces, decoded to f32
/// one buffer per channel.
#[derive(Debug)]
pub struct WavStream {
    path: PathBuf,
    file: std::fs::File,
    kind: SampleKind,
    channels: usize,
    sample_rate: u32,
    frames: u64,
    /// Byte offset of the first sample.
    data_start: u64,
    /// Raw bytes of the last read (kept: reads reuse it).
    raw: Vec<u8>,
}

impl WavStream {
    /// Open `path` and read its header. `Ok(None)` for a valid file in a
    /// format read only sample by sample (8-bit, 64-bit float, ...).
    pub fn open(path: &Path) -> Result<Option<WavStream>, MediaError> {
        let err = |source| MediaError::Read {
            path: path.to_path_buf(),
            source,
        };
        let reader = hound::WavReader::open(path).map_err(err)?;
        let spec = reader.spec();
        let kind = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => SampleKind::F32,
            (hound::SampleFormat::Int, 16) => SampleKind::I16,
            (hound::SampleFormat::Int, 24) => SampleKind::I24,
            (hound::SampleFormat::Int, 32) => SampleKind::I32,
            _ => return Ok(None),
        };
        let frames = u64::from(reader.duration());
        // The reader stands at the start of the sample data.
        let mut buffered = reader.into_inner();
        let data_start = buffered
            .stream_position()
            .map_err(|e| err(hound::Error::IoError(e)))?;
        Ok(Some(WavStream {
            path: path.to_path_buf(),
            file: buffered.into_inner(),
            kind,
            channels: usize::from(spec.channels.max(1)),
            sample_rate: spec.sample_rate,
            frames,
            data_start,
            raw: Vec::new(),
        }))
    }

    /// Frames per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels in the file.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Length in frames.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Decode up to `frames` frames from frame `start` into `out` (one
    /// buffer per channel, cleared first; their capacity is reused).
    /// Returns the frames read: fewer at the end of the file, none past it.
    pub fn read(
        &mut self,
        start: u64,
        frames: usize,
        out: &mut [Vec<f32>],
    ) -> Result<usize, MediaError> {
        let take = usize::try_from(self.frames.saturating_sub(start))
            .unwrap_or(usize::MAX)
            .min(frames);
        for ch in out.iter_mut() {
            ch.clear();
            ch.reserve_exact(take);
        }
        if take == 0 {
            return Ok(0);
        }
        let frame_bytes = self.kind.bytes() * self.channels;
        let err = |e| MediaError::Read {
            path: self.path.clone(),
            source: hound::Error::IoError(e),
        };
        self.raw.resize(take * frame_bytes, 0);
        self.file
            .seek(SeekFrom::Start(
                self.data_start + start * frame_bytes as u64,
            ))
            .map_err(err)?;
        self.file.read_exact(&mut self.raw).map_err(err)?;
        let (raw, n_ch) = (&self.raw[..], self.channels);
        match self.kind {
            SampleKind::F32 => deinterleave::<4>(raw, n_ch, out, f32::from_le_bytes),
            SampleKind::I16 => deinterleave::<2>(raw, n_ch, out, |b| {
                f32::from(i16::from_le_bytes(b)) / 32_768.0
            }),
            SampleKind::I24 => deinterleave::<3>(raw, n_ch, out, |b| {
                (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
            }),
            SampleKind::I32 => deinterleave::<4>(raw, n_ch, out, |b| {
                i32::from_le_bytes(b) as f32 / 2_147_483_648.0
            }),
        }
        Ok(take)
    }
}

/// Split interleaved `B`-byte samples into the channels of `out`,
/// converting each with `decode` (generic, so it inlines into a loop the
/// compiler can vectorize).
fn deinterleave<const B: usize>(
    data: &[u8],
    n_ch: usize,
    out: &mut [Vec<f32>],
    decode: impl Fn([u8; B]) -> f32,
) {
    let sample = |b: &[u8]| decode(b.try_into().unwrap_or([0; B]));
    if let [mono] = out {
        mono.extend(data.chunks_exact(B).map(sample));
        return;
    }
    for frame in data.chunks_exact(B * n_ch) {
        for (ch, b) in out.iter_mut().zip(frame.chunks_exact(B)) {
            ch.push(sample(b));
        }
    }
}

/// Files played a window at a time: each [`ClipWindows::read`] gives one
/// clip per file holding the frames from a start, sized to the window.
#[derive(Debug)]
pub struct ClipWindows {
    files: Vec<(PathBuf, WavStream)>,
    window: usize,
    /// Buffers of clips no longer played, reused by the next reads.
    spare: Vec<Vec<f32>>,
}

impl ClipWindows {
    /// Windows of `window` frames over `files` (each opened and checked by
    /// the caller), keyed by the path the session names them by.
    pub fn new(files: Vec<(PathBuf, WavStream)>, window: usize) -> ClipWindows {
        ClipWindows {
            files,
            window: window.max(1),
            spare: Vec::new(),
        }
    }

    /// The session paths of the files.
    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.iter().map(|(p, _)| p)
    }

    /// The longest file's length in frames.
    pub fn longest(&self) -> Option<u64> {
        self.files.iter().map(|(_, f)| f.frames()).max()
    }

    /// One clip per file with the window's frames from `start` (shorter or
    /// empty where a file ends), each clip's `start` set to `start`.
    pub fn read(&mut self, start: u64) -> Result<Vec<(PathBuf, Arc<Clip>)>, MediaError> {
        let mut clips = Vec::with_capacity(self.files.len());
        for (path, file) in &mut self.files {
            let mut channels: Vec<Vec<f32>> = (0..file.channels())
                .map(|_| self.spare.pop().unwrap_or_default())
                .collect();
            file.read(start, self.window, &mut channels)?;
            let clip = Clip {
                channels: channels.into_iter().map(Vec::into_boxed_slice).collect(),
                start,
            };
            clips.push((path.clone(), Arc::new(clip)));
        }
        Ok(clips)
    }

    /// Take back clips that were played; buffers no one else holds are
    /// reused.
    pub fn recycle(&mut self, clips: impl IntoIterator<Item = Arc<Clip>>) {
        for clip in clips {
            if let Ok(clip) = Arc::try_unwrap(clip) {
                self.spare
                    .extend(clip.channels.into_vec().into_iter().map(Vec::from));
            }
        }
    }
}
