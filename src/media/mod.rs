//! Audio files: decoding WAV sources into clips and writing rendered WAV.
//!
//! Thread: non-real-time only (file I/O). May import: `engine` (the clip
//! type), `model`.

mod stream;

pub use stream::{ClipWindows, WavStream};

use crate::engine::{Channels, Clip};
use crate::mixer::ClipStore;
use crate::model::{Session, TrackSource};
use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why an audio file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The file could not be opened or decoded.
    #[error("{}: cannot read WAV: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: hound::Error,
    },
    /// Its sample rate is not the session's (faderd does not resample).
    #[error("{}: sample rate {file_rate} Hz does not match the session's {session_rate} Hz (track '{track}'); convert it first, e.g. `sox in.wav -r {session_rate} out.wav`", path.display())]
    RateMismatch {
        /// The file.
        path: PathBuf,
        /// The file's rate.
        file_rate: u32,
        /// The session's rate.
        session_rate: u32,
        /// The track using it.
        track: String,
    },
    /// A mono track given a multichannel file, or a file with no channels.
    #[error("{}: has {channels} channel(s), which track '{track}' ({expected}) cannot play", path.display())]
    Channels {
        /// The file.
        path: PathBuf,
        /// The file's channel count.
        channels: u16,
        /// The track using it.
        track: String,
        /// What the track takes.
        expected: &'static str,
    },
    /// An output file could not be written; nothing was replaced.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The encoder's error.
        source: hound::Error,
    },
}

/// A decoded WAV file.
#[derive(Debug)]
pub struct Decoded {
    /// Frames per second.
    pub sample_rate: u32,
    /// Samples per channel.
    pub channels: Vec<Vec<f32>>,
}

/// Decode a WAV file (8/16/24/32-bit integer or 32-bit float) to f32.
/// The data is read in one piece and converted in bulk (a bounce of many
/// tracks spends its time here otherwise).
pub fn read_wav(path: &Path) -> Result<Decoded, MediaError> {
    let Some(mut stream) = WavStream::open(path)? else {
        let reader = hound::WavReader::open(path).map_err(|source| MediaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        return read_wav_by_sample(reader, path);
    };
    let mut channels = vec![Vec::new(); stream.channels()];
    let frames = usize::try_from(stream.frames()).unwrap_or(usize::MAX);
    stream.read(0, frames, &mut channels)?;
    Ok(Decoded {
        sample_rate: stream.sample_rate(),
        channels,
    })
}

/// Any other format, sample by sample through the WAV reader.
fn read_wav_by_sample(
    mut reader: hound::WavReader<std::io::BufReader<std::fs::File>>,
    path: &Path,
) -> Result<Decoded, MediaError> {
    let err = |source| MediaError::Read {
        path: path.to_path_buf(),
        source,
    };
    let spec = reader.spec();
    let n_ch = usize::from(spec.channels.max(1));
    let mut channels = vec![Vec::with_capacity(reader.duration() as usize); n_ch];
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for (i, s) in reader.samples::<f32>().enumerate() {
                channels[i % n_ch].push(s.map_err(err)?);
            }
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            for (i, s) in reader.samples::<i32>().enumerate() {
                channels[i % n_ch].push(s.map_err(err)? as f32 * scale);
            }
        }
    }
    Ok(Decoded {
        sample_rate: spec.sample_rate,
        channels,
    })
}

/// Decode the files `paths`, on as many threads as there are cores (files
/// are independent; a big session loads in a fraction of the time).
fn decode_all(
    paths: &[&PathBuf],
    base_dir: &Path,
) -> std::collections::HashMap<PathBuf, Result<Decoded, MediaError>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results = Mutex::new(std::collections::HashMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else {
                        break;
                    };
                    let decoded = read_wav(&base_dir.join(path));
                    if let Ok(mut r) = results.lock() {
                        r.insert((*path).clone(), decoded);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// Each file the session's tracks play, once, with the first track playing
/// it, in track order.
fn file_sources(session: &Session) -> Vec<(&PathBuf, &crate::model::Track)> {
    let mut seen = std::collections::HashSet::new();
    session
        .tracks
        .iter()
        .filter_map(|t| match &t.source {
            TrackSource::File { path, .. } if seen.insert(path) => Some((path, t)),
            _ => None,
        })
        .collect()
}

/// Check that `track` can play a file of `channels` channels at
/// `file_rate` in `session`.
fn check_file(
    session: &Session,
    track: &crate::model::Track,
    full: &Path,
    file_rate: u32,
    channels: usize,
) -> Result<(), MediaError> {
    if file_rate != session.sample_rate {
        return Err(MediaError::RateMismatch {
            path: full.to_path_buf(),
            file_rate,
            session_rate: session.sample_rate,
            track: track.name.clone(),
        });
    }
    let ok = match track.channels {
        Channels::Mono => channels == 1,
        Channels::Stereo => channels == 1 || channels == 2,
    };
    if !ok {
        return Err(MediaError::Channels {
            path: full.to_path_buf(),
            channels: channels as u16,
            track: track.name.clone(),
            expected: match track.channels {
                Channels::Mono => "mono: set `channels: stereo` for a stereo file",
                Channels::Stereo => "stereo: one or two channels",
            },
        });
    }
    Ok(())
}

/// Decode every file the session's tracks play, checking rates and channels.
/// Paths are relative to `base_dir` (the session file's folder).
pub fn load_clips(session: &Session, base_dir: &Path) -> Result<ClipStore, MediaError> {
    load_clips_except(session, base_dir, &[])
}

/// [`load_clips`], leaving out the files `except` (played another way).
pub fn load_clips_except(
    session: &Session,
    base_dir: &Path,
    except: &[PathBuf],
) -> Result<ClipStore, MediaError> {
    let sources: Vec<_> = file_sources(session)
        .into_iter()
        .filter(|(path, _)| !except.contains(path))
        .collect();
    let paths: Vec<&PathBuf> = sources.iter().map(|(p, _)| *p).collect();
    let mut decoded = decode_all(&paths, base_dir);
    let mut store = ClipStore::new();
    for (path, track) in sources {
        let Some(result) = decoded.remove(path) else {
            continue;
        };
        let decoded = result?;
        check_file(
            session,
            track,
            &base_dir.join(path),
            decoded.sample_rate,
            decoded.channels.len(),
        )?;
        let clip = Clip {
            channels: decoded
                .channels
                .into_iter()
                .map(Vec::into_boxed_slice)
                .collect(),
            start: 0,
        };
        store.insert(path.clone(), Arc::new(clip));
    }
    Ok(store)
}

/// Open, for playing `window` frames at a time, the files that only
/// non-looping tracks play, in a format read in bulk; checked as
/// [`load_clips`] checks. The others are left for [`load_clips_except`].
pub fn open_windows(
    session: &Session,
    base_dir: &Path,
    window: usize,
) -> Result<ClipWindows, MediaError> {
    let looped: Vec<&PathBuf> = session
        .tracks
        .iter()
        .filter_map(|t| match &t.source {
            TrackSource::File { path, looped: true } => Some(path),
            _ => None,
        })
        .collect();
    let mut files = Vec::new();
    for (path, track) in file_sources(session) {
        if looped.contains(&path) {
            continue;
        }
        let full = base_dir.join(path);
        let Some(stream) = WavStream::open(&full)? else {
            continue;
        };
        check_file(
            session,
            track,
            &full,
            stream.sample_rate(),
            stream.channels(),
        )?;
        files.push((path.clone(), stream));
    }
    Ok(ClipWindows::new(files, window))
}

/// Sample format of a rendered file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WavFormat {
    /// 32-bit IEEE float: lossless, never clips.
    #[default]
    Float32,
    /// 24-bit integer, clipped to full scale.
    Int24,
    /// 16-bit integer (CD), clipped to full scale.
    Int16,
}

impl WavFormat {
    /// Bits per sample in the file.
    pub fn bits(self) -> u16 {
        match self {
            WavFormat::Float32 => 32,
            WavFormat::Int24 => 24,
            WavFormat::Int16 => 16,
        }
    }

    /// Full scale of an integer format: the code of -1.0 is `-full_scale`,
    /// and the largest code is `full_scale - 1` (the convention the reader
    /// uses too, so a file reads back as it was written).
    fn full_scale(self) -> Option<f64> {
        match self {
            WavFormat::Float32 => None,
            f => Some(f64::from(1u32 << (f.bits() - 1))),
        }
    }
}

/// What an integer format adds before rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dither {
    /// Plain rounding.
    #[default]
    None,
    /// Triangular (TPDF) noise of ±1 LSB: the rounding error becomes
    /// steady noise, uncorrelated with the signal, instead of distortion.
    /// Seeded the same way for every render: files are reproducible.
    Tpdf,
}

/// Samples of a fixed-point file that did not fit its range.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Clipping {
    /// Samples (either channel) clipped.
    pub samples: u64,
    /// Frame of the first.
    pub first_frame: Option<u64>,
    /// The largest magnitude that had to be clipped (linear, > 1).
    pub peak: f32,
}

/// A WAV file being written. It goes to a temporary name beside the target
/// and replaces the target only on [`WavSink::finish`], so a failed or
/// interrupted render never clobbers an earlier file.
pub struct WavSink {
    target: PathBuf,
    tmp: PathBuf,
    writer: Option<hound::WavWriter<BufWriter<fs::File>>>,
    format: WavFormat,
    dither: Dither,
    /// The dither's noise source.
    noise: u64,
    frames: u64,
    clipping: Clipping,
}

impl std::fmt::Debug for WavSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("target", &self.target)
            .field("format", &self.format)
            .field("dither", &self.dither)
            .finish()
    }
}

impl WavSink {
    /// Start a stereo file at `sample_rate`; `dither` applies to integer
    /// formats.
    pub fn create(
        target: &Path,
        sample_rate: u32,
        format: WavFormat,
        dither: Dither,
    ) -> Result<WavSink, MediaError> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{name}.partial-{}", std::process::id()));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate,
            bits_per_sample: format.bits(),
            sample_format: match format {
                WavFormat::Float32 => hound::SampleFormat::Float,
                WavFormat::Int24 | WavFormat::Int16 => hound::SampleFormat::Int,
            },
        };
        let writer = hound::WavWriter::create(&tmp, spec).map_err(|source| MediaError::Write {
            path: target.to_path_buf(),
            source,
        })?;
        Ok(WavSink {
            target: target.to_path_buf(),
            tmp,
            writer: Some(writer),
            format,
            dither,
            // Each file its own (reproducible) noise: stems summed do not
            // add their dither coherently.
            noise: name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            }) | 1,
            frames: 0,
            clipping: Clipping::default(),
        })
    }

    /// The target's path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Append frames from a left and a right channel of equal length.
    pub fn write(&mut self, left: &[f32], right: &[f32]) -> Result<(), MediaError> {
        let Some(full_scale) = self.format.full_scale() else {
            return self.write_float(left, right);
        };
        let Some(mut w) = self.writer.take() else {
            return Ok(());
        };
        let mut result = Ok(());
        'frames: for (&l, &r) in left.iter().zip(right) {
            for x in [l, r] {
                let code = self.quantise(x, full_scale);
                if let Err(source) = w.write_sample(code) {
                    result = Err(MediaError::Write {
                        path: self.target.clone(),
                        source,
                    });
                    break 'frames;
                }
            }
            self.frames += 1;
        }
        self.writer = Some(w);
        result
    }

    fn write_float(&mut self, left: &[f32], right: &[f32]) -> Result<(), MediaError> {
        let Some(w) = self.writer.as_mut() else {
            return Ok(());
        };
        for (&l, &r) in left.iter().zip(right) {
            for x in [l, r] {
                w.write_sample(x).map_err(|source| MediaError::Write {
                    path: self.target.clone(),
                    source,
                })?;
            }
        }
        self.frames += left.len().min(right.len()) as u64;
        Ok(())
    }

    /// `x` as an integer code of a format whose -1.0 is `-full_scale`,
    /// dithered as asked, clipped to the format's range (and counted).
    fn quantise(&mut self, x: f32, full_scale: f64) -> i32 {
        let (lowest, highest) = (-full_scale, full_scale - 1.0);
        let scaled = f64::from(x) * full_scale;
        if !(lowest..=highest + 0.5).contains(&scaled) {
            let c = &mut self.clipping;
            c.samples += 1;
            c.first_frame.get_or_insert(self.frames);
            c.peak = c.peak.max(x.abs());
        }
        let noise = match self.dither {
            Dither::None => 0.0,
            Dither::Tpdf => self.uniform() - self.uniform(),
        };
        (scaled + noise).round().clamp(lowest, highest) as i32
    }

    /// The next of a uniform sequence in [0, 1) (xorshift64*).
    fn uniform(&mut self) -> f64 {
        let mut v = self.noise;
        v ^= v >> 12;
        v ^= v << 25;
        v ^= v >> 27;
        self.noise = v;
        (v.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Complete the file and move it into place; what had to be clipped.
    pub fn finish(mut self) -> Result<(PathBuf, Clipping), MediaError> {
        let err = |source| MediaError::Write {
            path: self.target.clone(),
            source,
        };
        if let Some(w) = self.writer.take() {
            w.finalize().map_err(err)?;
        }
        fs::rename(&self.tmp, &self.target).map_err(|e| err(hound::Error::IoError(e)))?;
        Ok((self.target.clone(), self.clipping))
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        if self.writer.is_some() {
            // Not finished: leave no partial file behind.
            self.writer = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Write `frames` frames of `channels` channels in `spec`'s format.
    fn write(path: &Path, spec: hound::WavSpec, frames: usize) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        let n = usize::from(spec.channels);
        for i in 0..frames * n {
            let x = ((i * 7919) % 2001) as f64 / 1000.0 - 1.0;
            match spec.sample_format {
                hound::SampleFormat::Float => w.write_sample(x as f32).unwrap(),
                hound::SampleFormat::Int => {
                    let max = ((1i64 << (spec.bits_per_sample - 1)) - 1) as f64;
                    w.write_sample((x * max) as i32).unwrap();
                }
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn bulk_decoding_reads_what_the_sample_reader_reads() {
        let dir = tempfile::tempdir().unwrap();
        for (format, bits) in [
            (hound::SampleFormat::Float, 32),
            (hound::SampleFormat::Int, 16),
            (hound::SampleFormat::Int, 24),
            (hound::SampleFormat::Int, 32),
            (hound::SampleFormat::Int, 8),
        ] {
            for channels in [1u16, 2, 3] {
                let spec = hound::WavSpec {
                    channels,
                    sample_rate: 44_100,
                    bits_per_sample: bits,
                    sample_format: format,
                };
                let path = dir.path().join(format!("{bits}-{channels}.wav"));
                write(&path, spec, 1001);
                let bulk = read_wav(&path).unwrap();
                let slow =
                    read_wav_by_sample(hound::WavReader::open(&path).unwrap(), &path).unwrap();
                assert_eq!(bulk.sample_rate, 44_100);
                assert_eq!(bulk.channels.len(), usize::from(channels));
                assert_eq!(bulk.channels[0].len(), 1001);
                assert_eq!(bulk.channels, slow.channels, "{bits}-bit x {channels}");
            }
        }
    }
}
