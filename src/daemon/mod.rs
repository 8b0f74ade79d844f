//! The composition root: load the session, build hub and engine, start the
//! backend and the surface drivers, run the hub loop, shut down cleanly.
//!
//! Thread: the caller's thread becomes the hub thread. May import anything.

mod audio;
mod backend;
pub mod devices;
mod discovery;
mod engine_watch;
mod hub_loop;
pub mod latency;
mod midi_surfaces;
mod notify;
pub mod nsm;
pub mod persist;
mod qr;
mod run;
mod web;

pub use audio::{AudioEvent, AudioTotals, JackPlan, RelinkRequest, port_layout};
use backend::{Chosen, choose_backend, wait_first_period};
use hub_loop::{HubParts, HubRequest, hub_loop};
pub use run::{run, run_nsm, run_until};

use crate::audio::cpal_io::CpalBackend;
use crate::audio::dummy::DummyBackend;
use crate::audio::jack as jackb;
use crate::audio::slot::EngineSlot;
use crate::audio::{AudioHooks, Backend};
use crate::config::{self, DaemonConfig};
use crate::engine::{Engine, EngineConfig};
use crate::health::Health;
use crate::media;
use crate::mixer::Hub;
use crate::model::Session;
use crate::surfaces::osc::{AllowList, OscPort, OscStats, StaticClient, SurfaceOptions};
use crate::surfaces::serial::boards::{BoardSetup, SerialBoards};
use crate::surfaces::{Doorbell, Surface};
use anyhow::Context;
use crossbeam::channel;
use engine_watch::EngineWatch;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The demo session built into the binary (the same text as examples/demo.yaml).
pub const DEMO_SESSION: &str = include_str!("../../examples/demo.yaml");

/// Write the built-in demo session to `path` (its folder made first),
/// named `name` when given: the first session of a user or of a session
/// manager's client. Atomic.
pub fn write_demo_session(path: &Path, name: Option<&str>) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let text = match name {
        Some(n) => {
            let n = n.replace(['\n', '"', '\\'], " ");
            DEMO_SESSION.replacen("name: Demo", &format!("name: \"{n}\""), 1)
        }
        None => DEMO_SESSION.to_owned(),
    };
    config::write_atomic(path, text.as_bytes())
}

/// How often the hub services the engine link and flushes feedback.
pub const HUB_TICK: Duration = Duration::from_millis(20);
/// How often the hub ticks while nothing needs it (no feedback client, no
/// surface, transport stopped, nothing touched or played from a lane):
/// saves, the engine watch and the link still get serviced, a few times a
/// second instead of fifty.
pub const IDLE_TICK: Duration = Duration::from_millis(100);

/// How `faderd run` was asked to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Session file; `None` runs the built-in demo.
    pub session: Option<PathBuf>,
    /// Daemon settings (file plus flags).
    pub config: DaemonConfig,
    /// Start from a recovery file newer than the session, if there is one
    /// (`--no-recover` starts from the session file).
    pub recover: bool,
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

    /// The message for a person: the context and its causes joined by
    /// ": ", each said once (an error that already quotes its cause, as
    /// "cannot read: No such file", is not followed by the cause again).
    pub fn message(&self) -> String {
        let mut out = String::new();
        for cause in self.error.chain() {
            let text = cause.to_string();
            if text.is_empty() || out.contains(&text) {
                continue;
            }
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        out
    }
}

/// What a stopping daemon does with unsaved changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtExit {
    /// Save them to the session file (a plain `faderd run`).
    SaveChanges,
    /// Leave the session file alone: a session manager saves when the
    /// user wants (NSM sends save before it stops a client it keeps).
    LeaveToSessionManager,
}

/// A running daemon: audio backend, hub thread, surface drivers.
#[derive(Debug)]
pub struct Daemon {
    stop: Arc<AtomicBool>,
    /// Requests to the hub thread from outside it.
    requests: channel::Sender<HubRequest>,
    hub_thread: Option<JoinHandle<HubOutcome>>,
    audio: Option<Box<dyn Backend>>,
    /// Surface MIDI through midir when the backend has no MIDI ports.
    _midir: Option<crate::audio::midir_bridge::MidirBridge>,
    osc_addr: SocketAddr,
    osc_stats: Arc<OscStats>,
    health: Arc<Health>,
    ready: String,
    /// The mDNS advertisement of what listens beyond loopback.
    _advertised: Option<discovery::Advertised>,
}

/// What a stopped daemon leaves behind.
#[derive(Debug)]
pub struct Stopped {
    /// The mixer state at the end.
    pub session: Session,
    /// True when it changed since it was loaded.
    pub dirty: bool,
    /// The engine, back from the audio thread (None if that thread died).
    pub engine: Option<Engine>,
    /// Seconds of audio processed.
    pub seconds: f64,
    /// Periods the audio thread missed (JACK: xruns the server reported).
    pub xruns: u64,
    /// Times the JACK server came back and the daemon reconnected.
    pub reconnects: u64,
    /// Periods processed.
    pub periods: u64,
    /// OSC messages applied.
    pub osc_accepted: u64,
    /// OSC messages refused.
    pub osc_rejected: u64,
    /// OSC feedback datagrams sent.
    pub osc_sent: u64,
    /// The hub thread died: `session` is not the mix (never saved).
    pub hub_lost: bool,
}

#[derive(Debug)]
struct HubOutcome {
    session: Session,
    dirty: bool,
    position_frames: u64,
    sample_rate: u32,
}

impl Daemon {
    /// Load the session (or the built-in demo), build hub and engine, start
    /// the audio backend (with `hooks` on its thread), the OSC driver and the
    /// hub thread.
    pub fn start(opts: RunOptions, hooks: AudioHooks) -> Result<Daemon, Failure> {
        let mut recovered = false;
        let (session, base_dir) = match &opts.session {
            Some(path) => {
                let (s, warnings) = config::load_session_checked(path).map_err(Failure::user)?;
                for w in &warnings {
                    tracing::warn!("{w}");
                }
                persist::clean_up_after_kills(path);
                let s = match persist::find_recovery(path) {
                    Some(r) if opts.recover => {
                        eprintln!(
                            "faderd: starting from the unsaved changes in {} (newer than {}); {} is left as it is until the next save (--no-recover starts from it instead)",
                            r.path.display(),
                            path.display(),
                            path.display()
                        );
                        recovered = true;
                        r.session
                    }
                    Some(r) => {
                        eprintln!(
                            "faderd: --no-recover: starting from {}; the unsaved changes in {} are replaced by this run's",
                            path.display(),
                            r.path.display()
                        );
                        s
                    }
                    None => s,
                };
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (s, base)
            }
            None => {
                let s =
                    config::parse_session(DEMO_SESSION, Path::new("examples/demo.yaml (built in)"))
                        .map_err(Failure::user)?;
                (s, PathBuf::from("."))
            }
        };
        let clips = media::load_clips(&session, &base_dir).map_err(Failure::user)?;
        let audio = &opts.config.audio;
        let live_names = Arc::new(audio::LivePortNames::default());
        let chosen = choose_backend(&opts.config, &session, &live_names)?;
        let engine_cfg = match &chosen {
            Chosen::Jack(client, plan) => {
                let cfg = plan.engine_config(client);
                if cfg.sample_rate != session.sample_rate {
                    tracing::warn!(
                        "the session is {} Hz but the JACK server runs at {} Hz: the mix runs at {} Hz and audio files play at the wrong speed",
                        session.sample_rate,
                        cfg.sample_rate,
                        cfg.sample_rate
                    );
                }
                cfg
            }
            Chosen::Cpal(plan) => {
                if plan.engine.sample_rate != session.sample_rate {
                    tracing::warn!(
                        "the session is {} Hz but the device runs at {} Hz: audio files play at the wrong speed",
                        session.sample_rate,
                        plan.engine.sample_rate
                    );
                }
                plan.engine
            }
            Chosen::Dummy(_) | Chosen::Watching(_) => {
                // Enough channels for every insert the session names.
                let layout = port_layout(&session);
                EngineConfig {
                    sample_rate: session.sample_rate,
                    max_block: audio.dummy_period_frames(),
                    inputs: audio.inputs.max(layout.inputs.len()),
                    outputs: audio.outputs.max(layout.outputs.len()),
                }
            }
        };
        let name = session.name.clone();
        let (tracks, buses) = (session.tracks.len(), session.buses.len());
        let (mut hub, engine) = Hub::new(session, clips, engine_cfg).map_err(Failure::user)?;
        let (engine, dock) = EngineSlot::new(engine);
        hub.set_touch_timeout(Duration::from_millis(opts.config.osc.touch_timeout_ms));
        hub.set_glide(Duration::from_millis(opts.config.automation.glide_ms));
        hub.set_undo_passes(opts.config.automation.undo_passes);
        if recovered {
            hub.mark_unsaved();
        }
        match (&opts.config.sync, &chosen) {
            (config::SyncSource::Jack, Chosen::Jack(..)) => {
                hub.set_external_transport(true);
                hub.set_sync_report(crate::mixer::SyncReport {
                    external: true,
                    locked: true,
                    ..Default::default()
                });
            }
            (config::SyncSource::Jack, _) => tracing::warn!(
                "transport sync: jack needs the JACK backend; the transport is faderd's own"
            ),
            _ => {}
        }

        let osc_cfg = &opts.config.osc;
        let addr = osc_cfg.listen;
        let health = Arc::new(Health::default());
        // Every surface's driver rings it when it has input for the hub.
        let bell = Doorbell::default();
        let osc = OscPort::start(
            addr,
            AllowList::new(osc_cfg.allow.clone()),
            SurfaceOptions {
                max_datagram: osc_cfg.max_datagram,
                max_subscribers: osc_cfg.max_subscribers,
                subscriber_timeout: Duration::from_secs(osc_cfg.subscriber_timeout_s),
                static_clients: osc_cfg
                    .clients
                    .iter()
                    .map(|c| StaticClient {
                        address: c.address,
                        meters: c.meters,
                    })
                    .collect(),
                ..SurfaceOptions::default()
            },
            Arc::clone(&health),
            &bell,
        )
            .with_context(|| {
                format!("cannot listen for OSC on udp {addr} (is another faderd running? choose another with --osc)")
            })
            .map_err(Failure::env)?;
        if !addr.ip().is_loopback() {
            if osc_cfg.allow.is_empty() {
                tracing::warn!(
                    "OSC is open to the network on {addr}: any host that can reach it can change the mix (limit it with osc.allow)"
                );
            } else {
                tracing::info!("OSC is open on {addr} to the hosts in osc.allow");
            }
        }
        let osc_addr = osc.local_addr();
        let osc_stats = Arc::clone(osc.stats());
        let web = web::start(&opts.config, &health, &bell)?;
        let web_note = match &web {
            Some(w) => format!("; console on http://{}/", w.local_addr()),
            None => String::new(),
        };
        let advertised = discovery::advertise(osc_addr, web.as_ref().map(|w| w.local_addr()));
        // On the network: the address for a phone, and its QR code when a
        // person is watching the terminal.
        if let Some(at) = web
            .as_ref()
            .map(|w| w.local_addr())
            .filter(|a| !a.ip().is_loopback())
        {
            let url = match &opts.config.web.token {
                // The phone needs the token too.
                Some(t) => format!("{}?token={t}", qr::lan_url(at)),
                None => qr::lan_url(at),
            };
            use std::io::IsTerminal;
            match qr::terminal_qr(&url).filter(|_| std::io::stderr().is_terminal()) {
                Some(code) => eprintln!("faderd: the console for a phone: {url}\n{code}"),
                None => eprintln!("faderd: the console for a phone: {url}"),
            }
        }

        let midi_surfaces = midi_surfaces::MidiSurfaces::from_config(&opts.config)
            .map_err(|e| Failure::user(anyhow::anyhow!(e)))?;
        let serial = SerialBoards::start(serial_setups(&opts.config), &health, &bell)
            .map_err(|e| Failure::user(anyhow::anyhow!(e)))?;
        let (relink_tx, relink_rx) = channel::bounded::<AudioEvent>(8);
        let start_dummy = |engine: EngineSlot, hooks: AudioHooks, note: &str| {
            let backend = DummyBackend::start_with(engine, audio.dummy_period_frames(), hooks)
                .context("cannot start the audio thread")
                .map_err(Failure::env)?;
            wait_first_period(&backend);
            let note = format!(
                "{note}, {} Hz / {} frames",
                engine_cfg.sample_rate,
                backend.period_frames()
            );
            Ok::<_, Failure>((backend, note))
        };
        let (runner, backend_note, midi) = match chosen {
            Chosen::Dummy(note) => {
                let (backend, note) = start_dummy(engine, hooks, note)?;
                (Box::new(backend) as Box<dyn Backend>, note, None)
            }
            Chosen::Watching(plan) => {
                let (backend, note) = start_dummy(
                    engine,
                    hooks,
                    "dummy backend (auto: no JACK server or PipeWire running yet; joins one when it starts)",
                )?;
                let sup = audio::JackSupervisor::spawn_watching(backend, plan, relink_tx.clone())
                    .context("cannot start the JACK supervisor thread")
                    .map_err(Failure::env)?;
                (Box::new(sup) as Box<dyn Backend>, note, None)
            }
            Chosen::Cpal(plan) => {
                let backend = CpalBackend::start(*plan, engine, hooks)
                    .context("cannot start the cpal streams")
                    .map_err(Failure::env)?;
                let note = format!("{}, {} Hz", backend.description(), engine_cfg.sample_rate);
                (Box::new(backend) as Box<dyn Backend>, note, None)
            }
            Chosen::Jack(client, plan) => {
                let (midi_rt, midi_link) = plan.midi_queues();
                let backend = plan
                    .start(client, engine, midi_rt, hooks)
                    .context("cannot start the JACK client")
                    .map_err(Failure::env)?;
                let note = format!(
                    "{} as client '{}', {} Hz / {} frames",
                    jackb::describe_server(),
                    backend.client_name(),
                    engine_cfg.sample_rate,
                    backend.stats().buffer_frames.load(Ordering::Relaxed)
                );
                let sup = audio::JackSupervisor::spawn(backend, plan, relink_tx.clone())
                    .context("cannot start the JACK supervisor thread")
                    .map_err(Failure::env)?;
                (Box::new(sup) as Box<dyn Backend>, note, midi_link)
            }
        };
        drop(relink_tx);
        // Without JACK, surface MIDI goes through midir (ALSA, CoreMIDI, WinMM).
        let mut midi = midi;
        let mut midir = None;
        if midi.is_none() && !opts.config.jack.midi_ports.is_empty() {
            let (rt, link) = crate::audio::midi::midi_queues();
            let ports = crate::audio::midi::MidiPorts {
                names: opts.config.jack.midi_ports.clone(),
            };
            match crate::audio::midir_bridge::MidirBridge::start(ports, rt, Arc::clone(&health)) {
                Ok(b) => {
                    midir = Some(b);
                    midi = Some(link);
                }
                Err(e) => tracing::warn!(
                    "MIDI surfaces cannot reach their devices: {e} (they work on the JACK backend's MIDI ports, or where the system has MIDI)"
                ),
            }
        }
        let totals = runner.status();
        totals.connected.store(true, Ordering::Relaxed);
        if !runner.publishes_stream() {
            totals
                .sample_rate
                .store(engine_cfg.sample_rate, Ordering::Relaxed);
            totals.period_frames.store(
                u32::try_from(engine_cfg.max_block).unwrap_or(u32::MAX),
                Ordering::Relaxed,
            );
        }
        health.set_audio_status(Arc::clone(&totals));
        let ready = format!(
            "faderd ready: session '{name}' ({tracks} tracks, {buses} buses) on the {backend_note}; OSC on udp {osc_addr} (native addresses, e.g. /strip/1/fader 0.75; /subscribe for feedback){web_note}",
        );
        let persistence = match &opts.session {
            Some(path) => Some(
                persist::Persistence::start(path.clone(), opts.config.session, Arc::clone(&health))
                    .context("cannot start the session writer thread")
                    .map_err(Failure::env)?,
            ),
            None => None,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stop_hub = Arc::clone(&stop);
        let (requests, requests_rx) = channel::bounded::<HubRequest>(4);
        let hub_health = Arc::clone(&health);
        let (midi_links, midi_relinks) = channel::unbounded();
        let mut surfaces: Vec<Box<dyn Surface>> = vec![
            Box::new(osc),
            Box::new(midi_surfaces::MidiPorts::new(
                midi_surfaces,
                midi,
                midi_relinks,
                Arc::clone(&health),
            )),
            Box::new(serial),
        ];
        surfaces.extend(web.map(|w| Box::new(w) as Box<dyn Surface>));
        let hub_thread = std::thread::Builder::new()
            .name("faderd-hub".into())
            .spawn(move || {
                hub_loop(
                    HubParts {
                        hub,
                        surfaces,
                        bell,
                        midi_links,
                        health: hub_health,
                        watch: EngineWatch::new(Some(dock)),
                        persistence,
                        live_names,
                        requests: requests_rx,
                    },
                    relink_rx,
                    &stop_hub,
                )
            })
            .context("cannot start the hub thread")
            .map_err(Failure::env)?;
        Ok(Daemon {
            stop,
            requests,
            hub_thread: Some(hub_thread),
            audio: Some(runner),
            _midir: midir,
            osc_addr,
            osc_stats,
            health,
            ready,
            _advertised: advertised,
        })
    }

    /// Stop, log what the run did, and deal with unsaved changes of the
    /// session at `session_path` as `at_exit` says.
    pub fn finish(self, session_path: Option<&Path>, at_exit: AtExit) -> Result<(), Failure> {
        let stopped = self.stop();
        tracing::info!(
            "stopped after {:.1} s of audio, {} xruns, {} reconnections; osc: {} applied, {} refused",
            stopped.seconds,
            stopped.xruns,
            stopped.reconnects,
            stopped.osc_accepted,
            stopped.osc_rejected
        );
        if stopped.hub_lost {
            return Err(Failure::env(anyhow::anyhow!(
                "the mixer thread died; the session file was not touched (the last autosave is in its recovery file)"
            )));
        }
        match (session_path, stopped.dirty, at_exit) {
            (Some(path), true, AtExit::SaveChanges) => {
                match persist::save_at_exit(path, &stopped.session) {
                    Ok(config::SaveLayout::Rewritten) => eprintln!(
                        "faderd: saved the changed session to {} (its layout could not be kept; every value is)",
                        path.display()
                    ),
                    Ok(_) => eprintln!("faderd: saved the changed session to {}", path.display()),
                    Err(message) => return Err(Failure::env(anyhow::anyhow!(message))),
                }
            }
            // Nothing unsaved (or changes the session manager's user chose
            // not to save): a recovery file is stale.
            (Some(path), false, _) | (Some(path), true, AtExit::LeaveToSessionManager) => {
                persist::remove_recovery(path);
            }
            (None, true, _) => eprintln!(
                "faderd: the built-in demo session is not saved; run with a session file to keep changes"
            ),
            (None, false, _) => {}
        }
        Ok(())
    }

    /// Ask the hub to save the session now (to its file); the result shows
    /// in [`Health`]'s save counters. Any thread.
    pub fn request_save(&self) {
        let _ = self.requests.try_send(HubRequest::Save);
    }

    /// Whether the session has changes not yet saved to its file (as of
    /// the hub's last tick).
    pub fn is_dirty(&self) -> bool {
        self.health.session_dirty.load(Ordering::Relaxed)
    }

    /// Copy the dummy or cpal backend's counters into the status surfaces
    /// read (the JACK supervisor publishes its own).
    pub fn refresh_audio_status(&self) {
        if let Some(r) = &self.audio {
            let _ = r.status();
        }
    }

    /// The one line `faderd run` prints when ready.
    pub fn ready_line(&self) -> &str {
        &self.ready
    }

    /// Where OSC listens.
    pub fn osc_addr(&self) -> SocketAddr {
        self.osc_addr
    }

    /// The daemon's dependability counters.
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// Stop drivers, hub and audio; return the final state.
    pub fn stop(mut self) -> Stopped {
        self.stop.store(true, Ordering::SeqCst);
        let outcome = self.hub_thread.take().and_then(|t| t.join().ok());
        let hub_lost = outcome.is_none();
        let runner = self.audio.take().expect("started");
        // Refreshes the dummy thread's counters before it stops.
        let _ = runner.status();
        let engine = runner.stop();
        let totals = self.health.audio_status();
        let xruns = totals.xruns.load(Ordering::Relaxed);
        let periods = totals.periods.load(Ordering::Relaxed);
        let outcome = outcome.unwrap_or_else(|| {
            tracing::error!("the hub thread panicked; the session is not saved");
            HubOutcome {
                session: config::parse_session(DEMO_SESSION, Path::new("demo"))
                    .expect("built-in demo parses"),
                dirty: false,
                position_frames: 0,
                sample_rate: 48_000,
            }
        });
        Stopped {
            session: outcome.session,
            dirty: outcome.dirty,
            engine,
            seconds: outcome.position_frames as f64 / f64::from(outcome.sample_rate.max(1)),
            xruns,
            reconnects: totals.reconnects.load(Ordering::Relaxed),
            periods,
            osc_accepted: self.osc_stats.accepted.load(Ordering::Relaxed),
            osc_rejected: self.osc_stats.rejected.load(Ordering::Relaxed),
            osc_sent: self.osc_stats.sent.load(Ordering::Relaxed),
            hub_lost,
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.hub_thread.take() {
            let _ = t.join();
        }
    }
}

/// The serial boards the configuration names; client ids follow the
/// surfaces' order in it, as the MIDI surfaces' do.
fn serial_setups(cfg: &DaemonConfig) -> Vec<BoardSetup> {
    cfg.surfaces
        .iter()
        .enumerate()
        .filter_map(|(i, setup)| match setup {
            config::SurfaceSetup::Serial {
                profile,
                map,
                port,
                baud,
            } => Some(BoardSetup {
                profile: profile.clone(),
                map: map.clone(),
                port: port.clone(),
                baud: *baud,
                client: crate::mixer::ClientId(midi_surfaces::FIRST_CLIENT + i as u32),
            }),
            _ => None,
        })
        .collect()
}
