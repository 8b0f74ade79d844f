//! The JACK backend (and PipeWire through its JACK API): the engine runs in
//! the JACK process callback, one named JACK port per engine channel
//! (`faderd:Vox in`, `faderd:Master out L`), plus a MIDI in/out port pair
//! per surface connection whose bytes cross to the hub on wait-free queues.
//!
//! Threads: [`JackBackend::start`] and everything else here is called from
//! a control thread (the daemon's audio supervisor). The process callback
//! runs on JACK's real-time thread and obeys the engine's rules: it copies
//! port buffers, moves MIDI packets and runs the engine through its
//! [`EngineSlot`], nothing more. A period longer than the engine's
//! block (a buffer-size change) is processed in engine-sized pieces, which
//! the engine renders identically, so nothing is rebuilt for it.
//!
//! When the server goes away the shutdown notification raises a flag
//! ([`JackStats::server_lost`]); the supervisor drops this backend and opens
//! a new one when the server is back. The mixer state lives in the hub, so
//! nothing is lost.
#![allow(unsafe_code)] // port UUIDs come through jack-sys

mod callback;
use callback::{Notifications, Ports, Process};

use super::AudioHooks;
use super::midi::{MidiPorts, MidiRt};
use super::slot::EngineSlot;
use crate::engine::Engine;
use jack::{AudioIn, AudioOut, Client, ClientOptions, ClientStatus, MidiIn, MidiOut, PortFlags};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Why the JACK backend could not start.
#[derive(Debug, thiserror::Error)]
pub enum JackError {
    /// libjack is not installed.
    #[error("the JACK library cannot be loaded ({0}); install JACK or PipeWire's JACK support")]
    Library(String),
    /// No server answered.
    #[error("no JACK server '{server}' is running ({detail})")]
    NoServer {
        /// The server name asked for.
        server: String,
        /// What libjack said.
        detail: String,
    },
    /// A port could not be registered.
    #[error("cannot register the JACK port '{0}'")]
    Port(String),
    /// The client could not be activated.
    #[error("cannot activate the JACK client: {0}")]
    Activate(String),
}

/// The server a client connects to: `$JACK_DEFAULT_SERVER`, else "default".
pub fn server_name() -> String {
    std::env::var("JACK_DEFAULT_SERVER").unwrap_or_else(|_| "default".into())
}

/// The server this process's clients join, in words: "jackd 1.9.21
/// (server 'default')" or "PipeWire 0.3.65 (its JACK API)".
pub fn describe_server() -> String {
    match super::jack_server::server_info() {
        Some(info) => match info.kind {
            super::jack_server::ServerKind::Jackd => {
                format!("{info} (server '{}')", server_name())
            }
            super::jack_server::ServerKind::PipeWire => format!("{info} (its JACK API)"),
        },
        None => format!("JACK server '{}'", server_name()),
    }
}

/// Open a client on the current server (never starting one). `name` may
/// come back suffixed when another client already uses it.
/// The JACK library is chosen first ([`super::jack_server`]): jackd's when
/// jackd runs, else PipeWire's when PipeWire runs.
pub fn open_client(name: &str) -> Result<Client, JackError> {
    let server = server_name();
    if let Err(e) = super::jack_server::prepare_library(&server) {
        return Err(JackError::NoServer {
            server,
            detail: e.to_string(),
        });
    }
    match Client::new(&port_safe(name), ClientOptions::NO_START_SERVER) {
        Ok((client, _status)) => Ok(client),
        Err(jack::Error::LibraryError(e)) => Err(JackError::Library(e)),
        Err(e) => Err(JackError::NoServer {
            detail: match super::jack_server::library_mismatch(&server) {
                Some(why) => why.to_owned(),
                None => plain_error(&e),
            },
            server,
        }),
    }
}

/// A JACK error in words (the crate's own text shows a debug-formatted
/// status: "client error, status is ClientStatus(FAILURE | SERVER_FAILED)").
pub fn plain_error(e: &jack::Error) -> String {
    let jack::Error::ClientError(status) = e else {
        return e.to_string();
    };
    let said: Vec<&str> = [
        (ClientStatus::SERVER_FAILED, "the server cannot be reached"),
        (
            ClientStatus::SERVER_ERROR,
            "the server could not be talked to",
        ),
        (ClientStatus::NO_SUCH_CLIENT, "no such client"),
        (
            ClientStatus::LOAD_FAILURE,
            "an internal client cannot be loaded",
        ),
        (
            ClientStatus::INIT_FAILURE,
            "an internal client cannot be initialised",
        ),
        (ClientStatus::SHM_FAILURE, "shared memory cannot be reached"),
        (
            ClientStatus::VERSION_ERROR,
            "the server speaks another protocol version",
        ),
        (ClientStatus::BACKEND_ERROR, "the server's backend failed"),
        (
            ClientStatus::CLIENT_ZOMBIE,
            "the client was dropped as too slow",
        ),
        (ClientStatus::INVALID_OPTION, "an option was refused"),
        (ClientStatus::NAME_NOT_UNIQUE, "the client name is taken"),
    ]
    .into_iter()
    .filter(|(flag, _)| status.contains(*flag))
    .map(|(_, words)| words)
    .collect();
    if said.is_empty() {
        "the server refused the client".to_owned()
    } else {
        said.join("; ")
    }
}

/// One JACK port: a short name that stays the same for the life of what
/// the port carries (so saved patchbay connections keep working when a
/// strip is renamed), and the name people see, sent as JACK metadata
/// ([`PRETTY_NAME_KEY`]) that patchbays such as qpwgraph, Carla and
/// Ardour show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortName {
    /// The port's short name ("in 3").
    pub name: String,
    /// Its display name ("Vox in").
    pub pretty: String,
}

impl PortName {
    /// A port whose name is also what people see.
    pub fn plain(name: &str) -> PortName {
        PortName {
            name: name.to_owned(),
            pretty: name.to_owned(),
        }
    }
}

/// JACK's metadata key for a port's display name.
pub const PRETTY_NAME_KEY: &str = "http://jack-audio.org/metadata/pretty-name";

/// Where the backend's ports go, by engine channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortLayout {
    /// One entry per engine input channel: the port, or `None` when
    /// nothing uses the channel (it stays silent).
    pub inputs: Vec<Option<PortName>>,
    /// One entry per engine output channel, as for inputs.
    pub outputs: Vec<Option<PortName>>,
}

/// Which connections the backend makes after activation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connections {
    /// Connect input channel k to the k-th physical capture port and output
    /// channel k to the k-th physical playback port.
    pub physical: bool,
    /// Extra connections: (our port's short name, the other port's full name).
    pub extra: Vec<(String, String)>,
}

/// Counters the JACK threads publish.
#[derive(Debug, Default)]
pub struct JackStats {
    /// Xruns the server reported.
    pub xruns: AtomicU64,
    /// Process callbacks run.
    pub periods: AtomicU64,
    /// The server shut down or dropped this client.
    pub server_lost: AtomicBool,
    /// The server's current period size.
    pub buffer_frames: AtomicU32,
    /// The server's current sample rate.
    pub sample_rate: AtomicU32,
    /// The engine follows the JACK transport (and passes the hub's
    /// transport commands to it).
    pub follow_transport: AtomicBool,
    /// [`JackBackend::stop`] asks the process callback to end its thread.
    quit: AtomicBool,
    /// The process callback has seen `quit` and returns `Control::Quit`.
    quit_seen: AtomicBool,
}

/// A running JACK client with the engine in its process callback.
pub struct JackBackend {
    client: jack::AsyncClient<Notifications, Process>,
    stats: Arc<JackStats>,
    name: String,
    /// The MIDI input ports (to see whether a device is connected).
    midi_inputs: Vec<jack::Port<jack::Unowned>>,
    midi_stats: Option<Arc<super::midi::MidiStats>>,
    /// The audio ports' display names, as published.
    pretty: Vec<Pretty>,
}

/// An audio port's metadata subject and the display name it shows.
#[derive(Debug)]
struct Pretty {
    uuid: jack::jack_sys::jack_uuid_t,
    /// Its short name (to find it in a layout).
    name: String,
    shown: String,
}

impl Pretty {
    /// Show `pretty` on `port` (named `short`).
    fn new<PS: jack::PortSpec>(
        client: &Client,
        port: &jack::Port<PS>,
        short: &str,
        pretty: &str,
    ) -> Pretty {
        // SAFETY: `port.raw()` is a live port of a client that outlives this
        // call; jack_port_uuid only reads it.
        let uuid = unsafe { jack::jack_sys::jack_port_uuid(port.raw()) };
        let p = Pretty {
            uuid,
            name: short.to_owned(),
            shown: pretty.to_owned(),
        };
        p.publish(client);
        p
    }

    /// Show `pretty` instead, if it differs.
    fn show(&mut self, client: &Client, pretty: &str) {
        if self.shown != pretty {
            pretty.clone_into(&mut self.shown);
            self.publish(client);
        }
    }

    fn publish(&self, client: &Client) {
        let value = jack::Property::new(&self.shown, Some("text/plain".into()));
        if let Err(e) = client.property_set(self.uuid, PRETTY_NAME_KEY, &value) {
            tracing::debug!(
                "cannot set the display name of the JACK port '{}': {}",
                self.name,
                plain_error(&e)
            );
        }
    }
}

impl std::fmt::Debug for JackBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JackBackend")
            .field("name", &self.name)
            .field("stats", &self.stats)
            .finish()
    }
}

impl JackBackend {
    /// Register the ports of `layout` (and the MIDI pairs of `midi`) on
    /// `client`, activate it with `engine` in the process callback, then
    /// make `connections`. A connection that fails is logged, not fatal.
    pub fn start(
        client: Client,
        engine: impl Into<EngineSlot>,
        layout: &PortLayout,
        midi: Option<(&MidiPorts, MidiRt)>,
        connections: &Connections,
        hooks: AudioHooks,
    ) -> Result<JackBackend, JackError> {
        let stats = Arc::new(JackStats::default());
        stats
            .buffer_frames
            .store(client.buffer_size(), Ordering::Relaxed);
        stats
            .sample_rate
            .store(client.sample_rate(), Ordering::Relaxed);
        let name = client.name().to_owned();
        let mut audio_in = Vec::new();
        let mut pretty = Vec::new();
        for (ch, port) in layout.inputs.iter().enumerate() {
            if let Some(port) = port {
                let short = port_safe(&port.name);
                let p = client
                    .register_port(&short, AudioIn::default())
                    .map_err(|_| JackError::Port(short.clone()))?;
                pretty.push(Pretty::new(&client, &p, &short, &port.pretty));
                audio_in.push((ch, p));
            }
        }
        let mut audio_out = Vec::new();
        for (ch, port) in layout.outputs.iter().enumerate() {
            let Some(port) = port else { continue };
            let short = port_safe(&port.name);
            let p = client
                .register_port(&short, AudioOut::default())
                .map_err(|_| JackError::Port(short.clone()))?;
            pretty.push(Pretty::new(&client, &p, &short, &port.pretty));
            audio_out.push((ch, p));
        }
        let (mut midi_in, mut midi_out, midi_rt) = (Vec::new(), Vec::new(), None);
        let mut midi_stats = None;
        let midi_rt = match midi {
            None => midi_rt,
            Some((ports, rt)) => {
                for n in &ports.names {
                    let (i, o) = (
                        port_safe(&format!("{n} in")),
                        port_safe(&format!("{n} out")),
                    );
                    midi_in.push(
                        client
                            .register_port(&i, MidiIn::default())
                            .map_err(|_| JackError::Port(i.clone()))?,
                    );
                    midi_out.push(
                        client
                            .register_port(&o, MidiOut::default())
                            .map_err(|_| JackError::Port(o.clone()))?,
                    );
                }
                midi_stats = Some(Arc::clone(rt.stats()));
                rt.set_backend_echoes();
                Some(rt)
            }
        };
        let midi_inputs = midi_in.iter().map(|p| p.clone_unowned()).collect();
        let process = Process {
            slot: engine.into(),
            hooks,
            ports: Ports {
                audio_in,
                audio_out,
                midi_in,
                midi_out,
                midi: midi_rt,
                stats: Arc::clone(&stats),
                transport: client.transport(),
            },
        };
        let notifications = Notifications {
            stats: Arc::clone(&stats),
        };
        let client = client
            .activate_async(notifications, process)
            .map_err(|e| JackError::Activate(plain_error(&e)))?;
        let backend = JackBackend {
            client,
            stats,
            name,
            midi_inputs,
            midi_stats,
            pretty,
        };
        backend.update_midi_presence();
        backend.connect(layout, connections);
        Ok(backend)
    }

    fn connect(&self, layout: &PortLayout, connections: &Connections) {
        let c = self.client.as_client();
        let full = |short: &str| format!("{}:{}", self.name, port_safe(short));
        let mut pairs: Vec<(String, String)> = Vec::new();
        if connections.physical {
            let capture = c.ports(
                None,
                Some(jack::jack_sys::FLOAT_MONO_AUDIO),
                PortFlags::IS_PHYSICAL | PortFlags::IS_OUTPUT,
            );
            let playback = c.ports(
                None,
                Some(jack::jack_sys::FLOAT_MONO_AUDIO),
                PortFlags::IS_PHYSICAL | PortFlags::IS_INPUT,
            );
            for (ch, port) in layout.inputs.iter().enumerate() {
                if let (Some(port), Some(src)) = (port, capture.get(ch)) {
                    pairs.push((src.clone(), full(&port.name)));
                }
            }
            for (ch, port) in layout.outputs.iter().enumerate() {
                if let (Some(port), Some(dst)) = (port, playback.get(ch)) {
                    pairs.push((full(&port.name), dst.clone()));
                }
            }
        }
        for (ours, theirs) in &connections.extra {
            // A config may name our port by its display name ("Vox in").
            let ours = layout
                .inputs
                .iter()
                .chain(layout.outputs.iter())
                .flatten()
                .find(|p| p.pretty == *ours)
                .map_or(ours.as_str(), |p| p.name.as_str());
            let ours = full(ours);
            // Direction follows the port: ours is an input when the other
            // side produces a signal.
            let theirs_is_output = c
                .port_by_name(theirs)
                .is_some_and(|p| p.flags().contains(PortFlags::IS_OUTPUT));
            if theirs_is_output {
                pairs.push((theirs.clone(), ours));
            } else {
                pairs.push((ours, theirs.clone()));
            }
        }
        for (src, dst) in pairs {
            match c.connect_ports_by_name(&src, &dst) {
                Ok(()) | Err(jack::Error::PortAlreadyConnected(..)) => {}
                Err(e) => tracing::warn!("cannot connect JACK ports {src} -> {dst}: {e}"),
            }
        }
    }

    /// Note which MIDI port pairs have a device connected to their input.
    /// Control thread; call it now and then (the supervisor does, every
    /// 50 ms).
    pub fn update_midi_presence(&self) {
        let Some(stats) = &self.midi_stats else {
            return;
        };
        for (port, flag) in self.midi_inputs.iter().zip(stats.connected.iter()) {
            let on = port.connected_count().unwrap_or(0) > 0;
            flag.store(on, Ordering::Relaxed);
        }
    }

    /// Ask the server for a period of `frames` and wait (up to
    /// `patience`) until it runs one; returns the period it runs then. On
    /// jackd this sets the server's period for every client (as
    /// `jack_bufsize` does); on PipeWire it is this client's node latency,
    /// which the graph honours within its `clock.min-quantum` and
    /// `clock.max-quantum` and beside the other nodes' requests.
    pub fn request_period(&self, frames: u32, patience: std::time::Duration) -> u32 {
        let now = || self.stats.buffer_frames.load(Ordering::Relaxed);
        if now() == frames {
            return frames;
        }
        if let Err(e) = self.client.as_client().set_buffer_size(frames) {
            tracing::warn!(
                "the server refused a period of {frames} frames: {}",
                plain_error(&e)
            );
            return now();
        }
        let t0 = std::time::Instant::now();
        while now() != frames && t0.elapsed() < patience {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        now()
    }

    /// Show the display names of `layout` on this client's ports (those
    /// that changed: a strip was renamed). Control thread.
    pub fn update_pretty_names(&mut self, layout: &PortLayout) {
        let client = self.client.as_client();
        let wanted = layout.inputs.iter().chain(layout.outputs.iter()).flatten();
        for port in wanted {
            let short = port_safe(&port.name);
            if let Some(p) = self.pretty.iter_mut().find(|p| p.name == short) {
                p.show(client, &port.pretty);
            }
        }
    }

    /// The client's name on the server (port names start with it).
    pub fn client_name(&self) -> &str {
        &self.name
    }

    /// Counters from the JACK threads.
    pub fn stats(&self) -> &Arc<JackStats> {
        &self.stats
    }

    /// The server's DSP load in percent (all clients), as JACK computes it.
    pub fn cpu_load(&self) -> f32 {
        self.client.as_client().cpu_load()
    }

    /// True once the server has gone away under this client.
    pub fn is_lost(&self) -> bool {
        self.stats.server_lost.load(Ordering::Relaxed)
    }

    /// Deactivate and take the engine back; `None` when the server is gone
    /// (the engine is then freed here, on the caller's thread).
    ///
    /// jackd's libjack cancels a client's real-time thread asynchronously
    /// when it deactivates it; a thread cancelled inside the process
    /// callback (inside Rust's unwinding guards) aborts the whole process
    /// ("FATAL: exception not rethrown"). So the callback is first asked to
    /// end its thread itself (it returns `Control::Quit`, leaving silence),
    /// and the client is deactivated only once it has.
    pub fn stop(self) -> Option<Engine> {
        self.stats.quit.store(true, Ordering::Release);
        let period = period_duration(
            self.stats.sample_rate.load(Ordering::Relaxed),
            self.stats.buffer_frames.load(Ordering::Relaxed),
        );
        let patience = (period * 4).max(std::time::Duration::from_millis(200));
        let t0 = std::time::Instant::now();
        while !self.stats.quit_seen.load(Ordering::Acquire)
            && !self.is_lost()
            && t0.elapsed() < patience
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // The callback has returned; give its thread time to leave it.
        std::thread::sleep(std::time::Duration::from_millis(10));
        match self.client.deactivate() {
            Ok((_client, _n, process)) => Some(process.slot.into_engine()),
            Err(_) => None,
        }
    }
}

/// How long `frames` last at `sample_rate`.
pub fn period_duration(sample_rate: u32, frames: u32) -> std::time::Duration {
    std::time::Duration::from_secs_f64(f64::from(frames) / f64::from(sample_rate.max(1)))
}

/// A JACK port short name: no ':' (it separates client and port) and no
/// control characters, at most 64 characters.
pub fn port_safe(name: &str) -> String {
    name.chars()
        .map(|c| if c == ':' || c.is_control() { '-' } else { c })
        .take(64)
        .collect()
}
