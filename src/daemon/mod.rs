//! The composition root: load the session, build hub and engine, start the
//! backend and the surface drivers, run the hub loop, shut down cleanly.
//!
//! Thread: the caller's thread becomes the hub thread. May import anything.

use crate::audio::dummy::DummyBackend;
use crate::config::{self, BackendChoice, DaemonConfig};
use crate::engine::EngineConfig;
use crate::media;
use crate::mixer::{Hub, Intent};
use crate::surfaces::osc::driver::OscDriver;
use anyhow::Context;
use crossbeam::channel::{self, Receiver, RecvTimeoutError, Sender};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The demo session built into the binary (the same text as examples/demo.yaml).
pub const DEMO_SESSION: &str = include_str!("../../examples/demo.yaml");
/// How often the hub services the engine link and flushes feedback.
pub const HUB_TICK: Duration = Duration::from_millis(20);

/// How `faderd run` was asked to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Session file; `None` runs the built-in demo.
    pub session: Option<PathBuf>,
    /// Daemon settings (file plus flags).
    pub config: DaemonConfig,
}

/// A failure with the exit status it deserves: 1 for something the user
/// can fix in a file or flag, 2 for a missing device or server.
#[derive(Debug)]
pub struct Failure {
    /// Exit status.
    pub code: u8,
    /// What went wrong, with context.
    pub error: anyhow::Error,
}

impl Failure {
    /// A user error (exit 1).
    pub fn user(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 1,
            error: error.into(),
        }
    }
    /// An environment error (exit 2).
    pub fn env(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 2,
            error: error.into(),
        }
    }
}

/// Run the daemon until SIGINT or SIGTERM.
pub fn run(opts: RunOptions) -> Result<(), Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("cannot install the SIGINT/SIGTERM handler")
            .map_err(Failure::env)?;
    }
    run_until(opts, &stop)
}

/// Run the daemon until `stop` becomes true.
pub fn run_until(opts: RunOptions, stop: &AtomicBool) -> Result<(), Failure> {
    let (session, session_path, base_dir) = match &opts.session {
        Some(path) => {
            let s = config::load_session(path).map_err(Failure::user)?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (s, Some(path.clone()), base)
        }
        None => {
            let s = config::parse_session(DEMO_SESSION, Path::new("examples/demo.yaml (built in)"))
                .map_err(Failure::user)?;
            (s, None, PathBuf::from("."))
        }
    };
    let clips = media::load_clips(&session, &base_dir).map_err(Failure::user)?;
    let audio = &opts.config.audio;
    let backend_note = match audio.backend {
        BackendChoice::Dummy => "dummy backend",
        BackendChoice::Auto => {
            tracing::info!(
                "no real audio backend is available in this build; using the dummy backend (no sound is played)"
            );
            "dummy backend (auto: no audio system backend in this build)"
        }
    };
    let engine_cfg = EngineConfig {
        sample_rate: session.sample_rate,
        max_block: audio.period_frames,
        inputs: audio.inputs,
        outputs: audio.outputs,
    };
    let name = session.name.clone();
    let (tracks, buses) = (session.tracks.len(), session.buses.len());
    let (mut hub, engine) = Hub::new(session, clips, engine_cfg).map_err(Failure::user)?;
    let backend = DummyBackend::start(engine, audio.period_frames)
        .context("cannot start the audio thread")
        .map_err(Failure::env)?;

    let (intent_tx, intent_rx) = channel::bounded::<Intent>(4096);
    let drivers = Drivers::start(&opts.config, intent_tx).map_err(Failure::env)?;

    println!(
        "faderd ready: session '{name}' ({tracks} tracks, {buses} buses) on the {backend_note}, {} Hz / {} frames; {}",
        engine_cfg.sample_rate,
        backend.period_frames(),
        drivers.describe(),
    );
    hub_loop(&mut hub, &intent_rx, stop);
    drivers.stop();
    let xruns = backend.stats().xruns.load(Ordering::Relaxed);
    drop(backend.stop());
    hub.service();
    tracing::info!(
        "stopped after {:.1} s of audio, {xruns} late periods",
        hub.position_frames() as f64 / f64::from(engine_cfg.sample_rate)
    );

    if hub.is_dirty() {
        match &session_path {
            Some(path) => {
                config::save_session(path, hub.session()).map_err(Failure::env)?;
                eprintln!("faderd: saved the changed session to {}", path.display());
            }
            None => eprintln!(
                "faderd: the built-in demo session is not saved; run with a session file to keep changes"
            ),
        }
    }
    Ok(())
}

fn hub_loop(hub: &mut Hub, intents: &Receiver<Intent>, stop: &AtomicBool) {
    let mut next_tick = Instant::now() + HUB_TICK;
    while !stop.load(Ordering::SeqCst) {
        let timeout = next_tick.saturating_duration_since(Instant::now());
        match intents.recv_timeout(timeout) {
            Ok(i) => {
                if let Err(e) = hub.apply(i.origin, i.address, i.value) {
                    tracing::debug!("intent refused: {e}");
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(timeout),
        }
        if Instant::now() >= next_tick {
            next_tick += HUB_TICK;
            hub.service();
            // Surface drivers that show state take this; until they are
            // attached the events are only logged.
            for fb in hub.take_feedback() {
                tracing::debug!("feedback {} = {:?}", fb.address, fb.value);
            }
        }
    }
}

/// The surface drivers running for this daemon.
#[derive(Debug)]
struct Drivers {
    osc: OscDriver,
}

impl Drivers {
    fn start(cfg: &DaemonConfig, intents: Sender<Intent>) -> anyhow::Result<Drivers> {
        let addr: SocketAddr =
            cfg.osc.listen.parse().with_context(|| {
                format!("osc listen address '{}' is not IP:PORT", cfg.osc.listen)
            })?;
        let osc = OscDriver::start(addr, intents).with_context(|| {
            format!("cannot listen for OSC on udp {addr} (is another faderd running? choose another with --osc)")
        })?;
        if !addr.ip().is_loopback() {
            tracing::warn!(
                "OSC is open to the network on {addr}: any host that can reach it can change the mix"
            );
        }
        Ok(Drivers { osc })
    }

    fn describe(&self) -> String {
        format!(
            "OSC on udp {} (native addresses, e.g. /strip/1/fader 0.75)",
            self.osc.local_addr()
        )
    }

    fn stop(self) {
        let rejected = self.osc.stats().rejected.load(Ordering::Relaxed);
        if rejected > 0 {
            tracing::info!("osc: {rejected} messages refused in this run");
        }
        self.osc.stop();
    }
}
