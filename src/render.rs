//! Offline render: the engine driven by a plain loop, as fast as the CPU
//! allows, with changes applied at exact sample positions. No backend and
//! no clock: it drives the hub and the engine itself, on its caller's
//! thread (the strips of a block spread over the cores).
//!
//! May import: `engine`, `mixer`, `media`, `model`.

use crate::engine::graph::{Node, Scratch};
use crate::engine::rt::{process_guarded, process_guarded_spread, with_denormals_flushed};
use crate::engine::{Clip, Dest, Engine, EngineConfig, NodeId, StemTap};
use crate::engine::{ScratchBufs, StripPool};
use crate::media::{MediaError, WavFormat, WavSink, load_clips_except, open_windows};
use crate::mixer::{Address, Hub, HubError, Origin, StripRef, Value};
use crate::model::{Session, TrackSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Frames of each file held at a time by a render (two windows: the one
/// playing and the next, read meanwhile): 64 mono tracks take 33 MB.
pub const STREAM_WINDOW_FRAMES: usize = 1 << 16;

/// A change scheduled at an exact frame of an offline render.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledChange {
    /// Frame at which the change takes effect.
    pub frame: u64,
    /// What changes.
    pub address: Address,
    /// To what.
    pub value: Value,
}

/// An engine and its hub driven without a clock.
#[derive(Debug)]
pub struct OfflineRun {
    /// The hub (apply changes between calls to [`OfflineRun::run`]).
    pub hub: Hub,
    /// The engine.
    pub engine: Engine,
    block: usize,
    /// The strips of a block are spread over the cores.
    spread: bool,
}

impl OfflineRun {
    /// Build hub and engine for `session` with `block`-frame process calls,
    /// the transport rolling from frame 0.
    pub fn new(
        session: Session,
        clips: crate::mixer::ClipStore,
        block: usize,
    ) -> Result<OfflineRun, HubError> {
        let block = block.max(1);
        let cfg = EngineConfig {
            sample_rate: session.sample_rate,
            max_block: block,
            inputs: 0,
            outputs: 2,
        };
        let (mut hub, engine) = Hub::new(session, clips, cfg)?;
        // A bounce plays the timeline from its start.
        hub.transport(crate::mixer::TransportCmd::Play);
        Ok(OfflineRun {
            hub,
            engine,
            block,
            spread: rayon::current_num_threads() > 1,
        })
    }

    /// Process until the engine's position reaches `end_frame`, in blocks
    /// of at most the configured size, applying `changes` (sorted by frame)
    /// at their exact frames. After each block `sink` sees the engine and
    /// the number of frames just produced.
    pub fn run<E>(
        &mut self,
        end_frame: u64,
        changes: &mut std::iter::Peekable<std::slice::Iter<'_, ScheduledChange>>,
        mut sink: impl FnMut(&Engine, usize) -> Result<(), E>,
    ) -> Result<(), E> {
        while self.engine.position_frames() < end_frame {
            let pos = self.engine.position_frames();
            while let Some(c) = changes.next_if(|c| c.frame <= pos) {
                if let Err(e) = self.hub.apply(Origin::Daemon, c.address, c.value.clone()) {
                    tracing::warn!("scheduled change at frame {} refused: {e}", c.frame);
                }
            }
            self.hub.service();
            let until_change = changes.peek().map_or(u64::MAX, |c| c.frame - pos);
            let n = (self.block as u64).min(end_frame - pos).min(until_change) as usize;
            self.process(n);
            sink(&self.engine, n)?;
        }
        self.hub.service();
        Ok(())
    }

    /// Whether the strips that stand alone run spread over the cores (the
    /// default where there are several) or on the calling thread, as the
    /// live engine runs them. The output is the same.
    pub fn set_spread(&mut self, spread: bool) {
        self.spread = spread;
    }

    /// One block, its strips spread over the cores when asked.
    fn process(&mut self, n: usize) {
        if self.spread {
            let pool = Spread { block: self.block };
            process_guarded_spread(&mut self.engine, n, &pool);
        } else {
            process_guarded(&mut self.engine, n);
        }
    }
}

/// Runs strips on rayon's pool, each thread with its own scratch buffers,
/// with denormals flushed as on the engine's thread.
struct Spread {
    block: usize,
}

thread_local! {
    /// A render worker's scratch buffers (allocated on its first strip).
    static SCRATCH: std::cell::RefCell<Option<Scratch>> = const { std::cell::RefCell::new(None) };
}

impl StripPool for Spread {
    fn run(&self, nodes: &mut [Node], job: &(dyn Fn(usize, &mut Node, &mut ScratchBufs) + Sync)) {
        use rayon::prelude::*;
        nodes.par_iter_mut().enumerate().for_each(|(i, node)| {
            SCRATCH.with(|cell| {
                let mut cell = cell.borrow_mut();
                let scratch = match cell.as_mut() {
                    Some(s) if s.bufs[0].len() >= self.block => s,
                    _ => cell.insert(Scratch::new(self.block)),
                };
                with_denormals_flushed(|| job(i, node, &mut scratch.bufs));
            });
        });
    }
}

/// How a render takes its stems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StemMode {
    /// One per track and bus: what the strip puts out (after its fader
    /// and pan), before the master's processing.
    #[default]
    PreMaster,
    /// One per input of the master (each track routed to it, each bus and
    /// group), through the master's chain with the mix's own dynamics, EQ,
    /// fader and limiter gains: the stems sum to the mix. A track routed
    /// into a group is in the group's stem; a send's return is in its
    /// bus's.
    ThroughMaster,
}

/// What `faderd render` does.
#[derive(Debug, Clone)]
pub struct RenderJob {
    /// The mix file.
    pub output: PathBuf,
    /// A folder for the stems (as `stem_mode` says) and `master.wav` (the
    /// mix again), all aligned with the mix sample for sample.
    pub stems: Option<PathBuf>,
    /// How stems are taken.
    pub stem_mode: StemMode,
    /// Sample format.
    pub format: WavFormat,
    /// Dither for fixed-point formats.
    pub dither: crate::media::Dither,
    /// Frames per process call.
    pub block: usize,
    /// Length; default: the session's `length_s`, else its longest file.
    pub duration_s: Option<f64>,
    /// The session's own file: no output may replace it.
    pub session_file: Option<PathBuf>,
}

/// What a finished render reports.
#[derive(Debug, Clone)]
pub struct RenderSummary {
    /// Frames written.
    pub frames: u64,
    /// Sample rate.
    pub sample_rate: u32,
    /// Wall-clock time taken.
    pub elapsed: Duration,
    /// Files written (mix first).
    pub files: Vec<PathBuf>,
    /// The files in which samples had to be clipped (fixed-point formats),
    /// with what was clipped.
    pub clipped: Vec<(PathBuf, crate::media::Clipping)>,
    /// Peak of the mix, linear.
    pub peak: f32,
    /// Loudness of the mix (EBU R 128), measured by the engine's meter.
    pub loudness: crate::mixer::LoudnessReading,
}

impl RenderSummary {
    /// Audio seconds rendered per wall-clock second.
    pub fn speed(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Why a render failed. Nothing was overwritten.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A source file could not be used.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The session's routing could not be built.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// No length was given and none can be derived.
    #[error(
        "the session has no length: set `length_s` in it, give it a file source, or pass --duration"
    )]
    NoLength,
    /// An output names a file the render reads (the session, or a track's
    /// audio file): refused, nothing written.
    #[error("{}: is {what}; the render will not overwrite it (choose another output)", path.display())]
    WouldOverwrite {
        /// The output asked for.
        path: PathBuf,
        /// What the file is ("the session file", "the audio file track 'Vox' plays").
        what: String,
    },
    /// The stems folder could not be created.
    #[error("{}: cannot create stems folder: {source}", path.display())]
    StemsDir {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Whether `a` and `b` are one file (by identity: symbolic and hard links
/// count); false when either does not exist.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// The files a render of `session` reads, each with what it is: the
/// session's own file and every audio file a track plays.
fn files_read(session: &Session, base_dir: &Path, job: &RenderJob) -> Vec<(PathBuf, String)> {
    let mut read: Vec<(PathBuf, String)> = session
        .tracks
        .iter()
        .filter_map(|t| match &t.source {
            crate::model::TrackSource::File { path, .. } => Some((
                base_dir.join(path),
                format!("the audio file track '{}' plays", t.name),
            )),
            _ => None,
        })
        .collect();
    if let Some(f) = &job.session_file {
        read.push((f.clone(), "the session file".to_owned()));
    }
    read
}

/// Refuse outputs (`outputs`) that would replace a file the render reads
/// (`read`, from [`files_read`]).
fn refuse_overwrites(read: &[(PathBuf, String)], outputs: &[PathBuf]) -> Result<(), RenderError> {
    for out in outputs {
        if let Some((_, what)) = read.iter().find(|(src, _)| same_file(out, src)) {
            return Err(RenderError::WouldOverwrite {
                path: out.clone(),
                what: what.clone(),
            });
        }
    }
    Ok(())
}

/// Render `session` (whose files are relative to `base_dir`) as `job` says.
/// `progress(done, total)` is called every few blocks.
pub fn render(
    mut session: Session,
    base_dir: &Path,
    job: &RenderJob,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RenderSummary, RenderError> {
    let started = Instant::now();
    // Outboard gear cannot play faster than real time: hardware inserts
    // render bypassed (dry, without their latency), and say so.
    let strips = session
        .tracks
        .iter_mut()
        .map(|t| (t.name.clone(), &mut t.controls))
        .chain(
            session
                .buses
                .iter_mut()
                .map(|b| (b.name.clone(), &mut b.controls)),
        )
        .chain(std::iter::once(("Master".to_owned(), &mut session.master)));
    for (name, controls) in strips {
        if controls.insert.take().is_some() {
            tracing::warn!(
                "'{name}' has a hardware insert: an offline render plays it bypassed (outboard gear runs in real time only)"
            );
        }
    }
    // Files play a window at a time (memory stays small whatever their
    // length); looping tracks' files load whole.
    let mut windows = open_windows(&session, base_dir, STREAM_WINDOW_FRAMES)?;
    let streamed: Vec<PathBuf> = windows.paths().cloned().collect();
    let mut clips = load_clips_except(&session, base_dir, &streamed)?;
    let rate = session.sample_rate;
    let total = match job.duration_s.or(session.length_s) {
        Some(s) => (s * f64::from(rate)).round() as u64,
        None => clips
            .values()
            .map(|c| c.frames() as u64)
            .chain(windows.longest())
            .max()
            .ok_or(RenderError::NoLength)?,
    };
    let mut playing: Vec<(PathBuf, Arc<Clip>)> = windows.read(0)?;
    clips.extend(playing.iter().cloned());
    let stem_names: Vec<(StripRef, String)> = session
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| (StripRef::Track(i), format!("{:02} {}", i + 1, t.name)))
        .chain(
            session
                .buses
                .iter()
                .enumerate()
                .map(|(j, b)| (StripRef::Bus(j), format!("bus {:02} {}", j + 1, b.name))),
        )
        .chain(std::iter::once((StripRef::Master, "master".to_owned())))
        .collect();
    if session
        .tracks
        .iter()
        .any(|t| matches!(t.source, TrackSource::Input(_)))
    {
        tracing::warn!("tracks with an interface input as source are silent in an offline render");
    }
    let read = files_read(&session, base_dir, job);
    let mut run = OfflineRun::new(session, clips, job.block)?;
    let master = run.hub.node_map().master;
    // Which stems, from which node, taken how.
    let taps: Vec<(String, NodeId, StemTap)> = match &job.stems {
        None => Vec::new(),
        Some(_) => stem_names
            .into_iter()
            .filter_map(|(strip, name)| {
                let node = match strip {
                    StripRef::Track(i) => run.hub.node_map().tracks[i],
                    StripRef::Bus(j) => run.hub.node_map().buses[j],
                    StripRef::Master => master,
                };
                let tap = match (job.stem_mode, strip) {
                    (StemMode::PreMaster, _) | (_, StripRef::Master) => StemTap::Out,
                    (StemMode::ThroughMaster, _) => match run.engine.destination(node)? {
                        Dest::Node(d) if d == master => StemTap::ThroughMaster,
                        // Straight to the mix's own outputs: in it as it is.
                        Dest::Output { first: 0 } => StemTap::Out,
                        // Into a group (in the group's stem) or elsewhere.
                        _ => return None,
                    },
                };
                Some((name, node, tap))
            })
            .collect(),
    };
    let stem_files: Vec<PathBuf> = job.stems.as_ref().map_or_else(Vec::new, |dir| {
        taps.iter()
            .map(|(name, _, _)| dir.join(format!("{}.wav", sanitize(name))))
            .collect()
    });
    let outputs: Vec<PathBuf> = std::iter::once(job.output.clone())
        .chain(stem_files.iter().cloned())
        .collect();
    refuse_overwrites(&read, &outputs)?;
    // Every output is read as late as its own latency (the master
    // limiter's lookahead, say), so the mix and the stems line up with the
    // timeline sample for sample, and the engine runs on until the latest
    // has its last frame.
    let latencies = run.hub.output_latencies();
    let latency_of = |node: NodeId| u64::from(latencies[usize::from(node.0)]);
    let mut mix = Aligned::new(
        WavSink::create(&job.output, rate, job.format, job.dither)?,
        latency_of(master),
        total,
    );
    let mut stems = Vec::new();
    if let Some(dir) = &job.stems {
        std::fs::create_dir_all(dir).map_err(|source| RenderError::StemsDir {
            path: dir.clone(),
            source,
        })?;
        for ((_, node, tap), file) in taps.iter().zip(&stem_files) {
            let sink = WavSink::create(file, rate, job.format, job.dither)?;
            let latency = match tap {
                StemTap::Out => latency_of(*node),
                StemTap::ThroughMaster => latency_of(master),
            };
            stems.push(Aligned::new(sink, latency, total));
        }
        let tapped: Vec<(NodeId, StemTap)> = taps.iter().map(|(_, n, t)| (*n, *t)).collect();
        run.engine.tap_stems(master, &tapped);
    }
    let run_total = total + latencies.iter().copied().max().map_or(0, u64::from);
    let mut peak = 0.0f32;
    let mut since_progress = 0u64;
    let report_every = u64::from(rate) / 10;
    let no_changes: Vec<ScheduledChange> = Vec::new();
    let mut window_start = 0;
    while window_start < run_total {
        let window_end = (window_start + STREAM_WINDOW_FRAMES as u64).min(run_total);
        // The next window is read on another thread while this one plays.
        let (played, next) = std::thread::scope(|scope| {
            let reader = (window_end < run_total).then(|| scope.spawn(|| windows.read(window_end)));
            let played = run.run(
                window_end,
                &mut no_changes.iter().peekable(),
                |engine, n| {
                    let (l, r) = (&engine.output(0)[..n], &engine.output(1)[..n]);
                    let (l, r) = mix.write(l, r)?;
                    peak = l.iter().chain(r).fold(peak, |m, x| m.max(x.abs()));
                    for (k, sink) in stems.iter_mut().enumerate() {
                        let (sl, sr) = engine.stem(k);
                        sink.write(&sl[..n], &sr[..n])?;
                    }
                    since_progress += n as u64;
                    if since_progress >= report_every {
                        since_progress = 0;
                        progress(mix.written(), total);
                    }
                    Ok::<(), MediaError>(())
                },
            );
            let next = reader.map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            (played, next)
        });
        played?;
        if let Some(next) = next {
            let next = next?;
            let old = run.engine.replace_clips(|clip| {
                let (path, _) = playing.iter().find(|(_, c)| Arc::ptr_eq(c, clip))?;
                next.iter()
                    .find(|(p, _)| p == path)
                    .map(|(_, c)| Arc::clone(c))
            });
            playing = next;
            windows.recycle(old);
        }
        window_start = window_end;
    }
    progress(total, total);
    let mut files = Vec::new();
    let mut clipped = Vec::new();
    for sink in std::iter::once(mix.sink).chain(stems.into_iter().map(|s| s.sink)) {
        let (path, clipping) = sink.finish()?;
        if clipping.samples > 0 {
            clipped.push((path.clone(), clipping));
        }
        files.push(path);
    }
    Ok(RenderSummary {
        frames: total,
        sample_rate: rate,
        elapsed: started.elapsed(),
        files,
        clipped,
        peak,
        loudness: run.hub.loudness(),
    })
}

/// An output of the render read `latency` frames late: the engine's first
/// `latency` frames of it are dropped and `total` frames are kept.
struct Aligned {
    sink: WavSink,
    skip: u64,
    left: u64,
    total: u64,
}

impl Aligned {
    fn new(sink: WavSink, latency: u64, total: u64) -> Aligned {
        Aligned {
            sink,
            skip: latency,
            left: total,
            total,
        }
    }

    /// Write what of this block belongs to the output; returns it.
    fn write<'a>(
        &mut self,
        l: &'a [f32],
        r: &'a [f32],
    ) -> Result<(&'a [f32], &'a [f32]), MediaError> {
        let n = l.len() as u64;
        let from = self.skip.min(n);
        self.skip -= from;
        let to = from + (n - from).min(self.left);
        self.left -= to - from;
        let (l, r) = (
            &l[from as usize..to as usize],
            &r[from as usize..to as usize],
        );
        self.sink.write(l, r)?;
        Ok((l, r))
    }

    /// Frames written so far.
    fn written(&self) -> u64 {
        self.total - self.left
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}
