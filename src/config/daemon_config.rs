//! The daemon's own settings (`faderd run --config FILE`). Command-line
//! flags override them.
//!
//! ```yaml
//! version: 1
//! audio: { backend: auto, period_frames: 64, inputs: 8, outputs: 2 }
//! osc:
//!   listen: "127.0.0.1:8000"      # 0.0.0.0:8000 opens it to the LAN
//!   allow: [192.168.1.0/24]       # who may talk when open (loopback always)
//!   clients:                      # always sent feedback, no /subscribe needed
//!     - { address: "192.168.1.20:9000", meters: true }
//!   touch_timeout_ms: 500
//!   max_datagram: 1472
//!   max_subscribers: 32           # /subscribe past this is refused
//!   subscriber_timeout_s: 600     # a subscriber silent this long is dropped
//! jack:                           # used by backend jack (and auto)
//!   client_name: faderd             # ports are faderd:Vox in, faderd:Master out L ...
//!   connect: physical               # track inputs and master to system ports; or none
//!   connections:                    # more, by our port's short name
//!     - { port: "Vox in", to: "system:capture_3" }
//!     - { port: "Master out L", to: "recorder:in_1" }
//!   midi_ports: [X-Touch]           # surface MIDI pairs: "X-Touch in" / "X-Touch out"
//! cpal:                           # used by backend cpal
//!   host: coreaudio                 # jack | alsa | coreaudio | wasapi | asio
//!   output_device: "Babyface"       # part of the name; default: the host's default
//!   input_device: "Babyface"
//!   output_channels: [1, 2, 5, 6]   # device channel per engine output (master L/R first)
//!   input_channels: [1, 2]
//! surfaces:                       # Mackie units left to right, banked as one
//!   - mackie:
//!       map: maps/mackie            # built in, or a file next to this one
//!       units:
//!         - { profile: x-touch, midi: X-Touch }            # built-in profile
//!         - { profile: my-xt.yaml, midi: X-Touch Ext }     # or a file
//! automation: { glide_ms: 250, undo_passes: 32 }
//! session: { autosave_ms: 5000, save_retry_ms: 10000 }   # recovery file, failed saves
//! log: { level: info }
//! ```

use super::error::{ConfigError, Diagnostic};
use crate::model::surface::{ControlMap, Driver, SerialLocator, SurfaceProfile, UsbId};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::path::PathBuf;

/// Which audio backend runs the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// The best available: a real audio system when one runs, else dummy.
    #[default]
    Auto,
    /// A thread that paces the engine in real time, no audio device.
    Dummy,
    /// A JACK server (or PipeWire's JACK API).
    Jack,
    /// cpal: CoreAudio, WASAPI, ASIO, ALSA or cpal's JACK host.
    Cpal,
}

/// cpal settings (`backend: cpal`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpalConfig {
    /// Host: jack, alsa, coreaudio, wasapi, asio (default: the platform's).
    pub host: Option<String>,
    /// Part of the output device's name (default: the host's default).
    pub output_device: Option<String>,
    /// Part of the input device's name.
    pub input_device: Option<String>,
    /// Device output channel for each engine output, 1-based (default 1, 2 ...).
    pub output_channels: Vec<u16>,
    /// Device input channel for each engine input, 1-based.
    pub input_channels: Vec<u16>,
}

/// Most surface MIDI port pairs on the JACK backend.
pub const MAX_MIDI_PORTS: usize = 16;

/// JACK settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JackConfig {
    /// The client name (the prefix of every port name).
    pub client_name: String,
    /// Connect inputs and outputs to the physical ports, in channel order.
    pub connect_physical: bool,
    /// More connections: (our port's short name, the other port's full name).
    pub connections: Vec<(String, String)>,
    /// Surface MIDI port pairs to open.
    pub midi_ports: Vec<String>,
}

impl Default for JackConfig {
    fn default() -> JackConfig {
        JackConfig {
            client_name: "faderd".into(),
            connect_physical: true,
            connections: Vec::new(),
            midi_ports: Vec::new(),
        }
    }
}

/// Which ports the JACK backend connects by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ConnectMode {
    Physical,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JackFile {
    #[serde(default)]
    client_name: Option<Spanned<String>>,
    #[serde(default)]
    connect: Option<ConnectMode>,
    #[serde(default)]
    connections: Vec<JackConnectionFile>,
    #[serde(default)]
    midi_ports: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JackConnectionFile {
    port: Spanned<String>,
    to: Spanned<String>,
}

/// Audio settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Backend.
    pub backend: BackendChoice,
    /// Frames per period asked for: the dummy clock's period, and what is
    /// asked of a JACK server (on PipeWire, the client's node latency).
    /// `None` (not set): [`DEFAULT_PERIOD_FRAMES`] on the dummy clock, and
    /// the server's own period on JACK.
    pub period_frames: Option<usize>,
    /// Input channels the engine exposes.
    pub inputs: usize,
    /// Output channels (first two: master).
    pub outputs: usize,
}

/// The dummy clock's period when none is asked for.
pub const DEFAULT_PERIOD_FRAMES: usize = 64;

impl AudioConfig {
    /// The period the dummy clock runs: the one asked for, else
    /// [`DEFAULT_PERIOD_FRAMES`].
    pub fn dummy_period_frames(&self) -> usize {
        self.period_frames.unwrap_or(DEFAULT_PERIOD_FRAMES)
    }
}

impl Default for AudioConfig {
    fn default() -> AudioConfig {
        AudioConfig {
            backend: BackendChoice::Auto,
            period_frames: None,
            inputs: 8,
            outputs: 2,
        }
    }
}

/// OSC settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OscConfig {
    /// Address to listen on (a host name resolved when the config is
    /// read); loopback unless opened on purpose.
    pub listen: SocketAddr,
    /// Networks allowed to send when listening beyond loopback (IP,
    /// prefix length). Empty: everyone. Loopback is always allowed.
    pub allow: Vec<(IpAddr, u8)>,
    /// Clients that get feedback without subscribing.
    pub clients: Vec<OscClientConfig>,
    /// How long a move without a touch message holds the control.
    pub touch_timeout_ms: u64,
    /// Largest feedback datagram in bytes.
    pub max_datagram: usize,
    /// Subscribers at most (static clients count).
    pub max_subscribers: usize,
    /// Subscribers silent this long are dropped (static clients never).
    pub subscriber_timeout_s: u64,
}

/// A statically configured OSC feedback client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OscClientConfig {
    /// Where its feedback goes.
    pub address: SocketAddr,
    /// Send it meters.
    pub meters: bool,
}

impl Default for OscConfig {
    fn default() -> OscConfig {
        OscConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            allow: Vec::new(),
            clients: Vec::new(),
            touch_timeout_ms: 500,
            max_datagram: 1472,
            max_subscribers: 32,
            subscriber_timeout_s: 600,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OscFile {
    #[serde(default)]
    listen: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    clients: Vec<Spanned<OscClientFile>>,
    #[serde(default)]
    touch_timeout_ms: Option<Spanned<u64>>,
    #[serde(default)]
    max_datagram: Option<Spanned<u64>>,
    #[serde(default)]
    max_subscribers: Option<Spanned<u64>>,
    #[serde(default)]
    subscriber_timeout_s: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OscClientFile {
    address: Spanned<String>,
    #[serde(default)]
    meters: bool,
}

/// Parse `192.168.1.20` or `192.168.1.0/24` into (address, prefix length).
pub fn parse_ip_net(text: &str) -> Result<(IpAddr, u8), String> {
    let (ip, bits) = match text.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits)),
        None => (text, None),
    };
    let ip: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not an IP address or IP/prefix"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        None => max,
        Some(b) => b
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("'{text}': the prefix length must be 0..={max}"))?,
    };
    Ok((ip, bits))
}

/// Log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// The default.
    #[default]
    Info,
    /// Verbose.
    Debug,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Level.
    pub level: LogLevel,
}

/// A map's origin: its text, and its file unless it is built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSource {
    /// The file, or `None` for a built-in map.
    pub file: Option<PathBuf>,
    /// Its text as loaded.
    pub text: String,
    /// The folder a learned copy of a built-in map is written to.
    pub learn_dir: PathBuf,
}

/// A control surface the daemon drives, with its profiles and map loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum SurfaceSetup {
    /// Mackie Control units ganged left to right, banked as one surface.
    Mackie {
        /// What the controls do.
        map: ControlMap,
        /// (profile, MIDI port pair name) per unit, left to right.
        units: Vec<(SurfaceProfile, String)>,
    },
    /// A generic MIDI controller driven by its map.
    Midi {
        /// The controller's map (with its MIDI bindings).
        map: ControlMap,
        /// Its MIDI port pair name.
        port: String,
        /// Where the map came from (for MIDI learn to write to).
        source: MapSource,
    },
    /// A DIY motorized-fader board on a serial port.
    Serial {
        /// What the board is.
        profile: SurfaceProfile,
        /// What its controls do.
        map: ControlMap,
        /// Where it is.
        port: SerialLocator,
        /// Line speed.
        baud: u32,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SurfaceFile {
    #[serde(default)]
    mackie: Option<Spanned<MackieFile>>,
    #[serde(default)]
    midi: Option<Spanned<MidiSurfaceFile>>,
    #[serde(default)]
    serial: Option<Spanned<SerialSurfaceFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerialSurfaceFile {
    #[serde(default)]
    device: Option<Spanned<String>>,
    #[serde(default)]
    usb: Option<Spanned<UsbId>>,
    profile: Spanned<String>,
    #[serde(default)]
    map: Option<Spanned<String>>,
    #[serde(default)]
    baud: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MidiSurfaceFile {
    map: Spanned<String>,
    port: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MackieFile {
    #[serde(default)]
    map: Option<Spanned<String>>,
    units: Vec<UnitFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitFile {
    profile: Spanned<String>,
    midi: Spanned<String>,
}

/// The shipped profiles and maps, built in so `profile: x-touch` works
/// wherever the binary runs.
const BUILTIN: &[(&str, &str)] = &[
    (
        "mackie/mcu-pro",
        include_str!("../../surfaces/mackie/mcu-pro.yaml"),
    ),
    (
        "mackie/mcu-xt",
        include_str!("../../surfaces/mackie/mcu-xt.yaml"),
    ),
    (
        "mackie/logic-control",
        include_str!("../../surfaces/mackie/logic-control.yaml"),
    ),
    (
        "mackie/x-touch",
        include_str!("../../surfaces/mackie/x-touch.yaml"),
    ),
    (
        "mackie/x-touch-extender",
        include_str!("../../surfaces/mackie/x-touch-extender.yaml"),
    ),
    (
        "mackie/icon-platform-m-plus",
        include_str!("../../surfaces/mackie/icon-platform-m-plus.yaml"),
    ),
    (
        "mackie/behringer-bcf2000",
        include_str!("../../surfaces/mackie/behringer-bcf2000.yaml"),
    ),
    ("maps/mackie", include_str!("../../maps/mackie.yaml")),
    (
        "serial/diy-4-fader",
        include_str!("../../surfaces/serial/diy-4-fader.yaml"),
    ),
    (
        "maps/serial-fader-board",
        include_str!("../../maps/serial-fader-board.yaml"),
    ),
    (
        "maps/korg-nanokontrol2",
        include_str!("../../maps/korg-nanokontrol2.yaml"),
    ),
    (
        "maps/akai-midimix",
        include_str!("../../maps/akai-midimix.yaml"),
    ),
];

/// A profile or map by name (`x-touch`, `mackie/x-touch`, `maps/mackie`)
/// or by path (relative to `base`): its text and the name its errors use.
/// A name is looked for in the user's and the system's data folders
/// ([`super::data_file`]: `~/.local/share/faderd/surfaces/mackie/x-touch.yaml`,
/// `/usr/share/faderd/...` where a package installs them), then among the
/// profiles built into the binary.
fn resolve(name: &str, kind: &str, base: &Path) -> Result<(String, PathBuf), String> {
    if !name.ends_with(".yaml") {
        let key = if name.contains('/') {
            name.to_owned()
        } else {
            format!("{kind}/{name}")
        };
        let relative = if key.starts_with("maps/") {
            format!("{key}.yaml")
        } else {
            format!("surfaces/{key}.yaml")
        };
        if let Some(path) = super::data_file(Path::new(&relative)) {
            return std::fs::read_to_string(&path)
                .map(|t| (t, path.clone()))
                .map_err(|e| format!("cannot read '{}': {e}", path.display()));
        }
        if let Some((k, text)) = BUILTIN.iter().find(|(k, _)| *k == key) {
            return Ok((
                (*text).to_owned(),
                PathBuf::from(format!("{k}.yaml (built in)")),
            ));
        }
    }
    let path = base.join(name);
    std::fs::read_to_string(&path)
        .map(|t| (t, path.clone()))
        .map_err(|e| {
            let known: Vec<&str> = BUILTIN
                .iter()
                .filter(|(k, _)| k.starts_with(kind))
                .map(|(k, _)| k.rsplit('/').next().unwrap_or(k))
                .collect();
            format!(
                "cannot read '{}' ({e}); built in: {}",
                path.display(),
                known.join(", ")
            )
        })
}

/// Where the transport's time comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SyncSource {
    /// faderd's own transport, driven by surfaces.
    #[default]
    Internal,
    /// Follow the JACK transport (JACK backend only).
    Jack,
    /// Chase MIDI Time Code arriving on this MIDI port pair.
    Mtc {
        /// The port pair's name.
        port: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransportFile {
    sync: Spanned<String>,
    #[serde(default)]
    midi: Option<Spanned<String>>,
}

/// Automation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationConfig {
    /// Touch mode: how long a released control takes to glide back to its
    /// lane (the glide is written).
    pub glide_ms: u64,
    /// Passes each lane keeps for undo (the oldest is forgotten first).
    pub undo_passes: usize,
}

impl Default for AutomationConfig {
    fn default() -> AutomationConfig {
        AutomationConfig {
            glide_ms: 250,
            undo_passes: 32,
        }
    }
}

/// How the session is kept safe while the daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// How often a changed mix is written to the recovery file.
    pub autosave_ms: u64,
    /// How often a save that failed is tried again.
    pub save_retry_ms: u64,
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            autosave_ms: 5_000,
            save_retry_ms: 10_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DaemonFile {
    version: Spanned<u32>,
    #[serde(default)]
    audio: Option<Spanned<AudioConfig>>,
    #[serde(default)]
    osc: Option<OscFile>,
    #[serde(default)]
    jack: Option<JackFile>,
    #[serde(default)]
    cpal: Option<Spanned<CpalConfig>>,
    #[serde(default)]
    surfaces: Vec<SurfaceFile>,
    #[serde(default)]
    automation: Option<Spanned<AutomationConfig>>,
    #[serde(default)]
    session: Option<Spanned<SessionConfig>>,
    #[serde(default)]
    transport: Option<Spanned<TransportFile>>,
    #[serde(default)]
    log: LogConfig,
}

/// The daemon's settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DaemonConfig {
    /// Audio.
    pub audio: AudioConfig,
    /// OSC.
    pub osc: OscConfig,
    /// JACK.
    pub jack: JackConfig,
    /// cpal.
    pub cpal: CpalConfig,
    /// Control surfaces.
    pub surfaces: Vec<SurfaceSetup>,
    /// Automation.
    pub automation: AutomationConfig,
    /// Autosave and save retries.
    pub session: SessionConfig,
    /// Transport sync.
    pub sync: SyncSource,
    /// Logging.
    pub log: LogConfig,
}

/// Read and validate a daemon config file.
pub fn load_daemon_config(path: &Path) -> Result<DaemonConfig, ConfigError> {
    let text = super::read_text(path)?;
    parse_daemon_config(&text, path)
}

/// Validate daemon config text; `file` names it in diagnostics.
pub fn parse_daemon_config(text: &str, file: &Path) -> Result<DaemonConfig, ConfigError> {
    let raw: DaemonFile = super::yaml::from_str(text, file)?;
    let mut diags = Vec::new();
    diags.extend(super::yaml::wrong_version(&raw.version, 1, "config", file));
    let mut cfg = DaemonConfig {
        log: raw.log,
        ..DaemonConfig::default()
    };
    if let Some(a) = raw.audio {
        if let Some(p) = a.value.period_frames
            && !(1..=8192).contains(&p)
        {
            diags.push(Diagnostic::at(
                file,
                a.referenced,
                "period_frames must be between 1 and 8192",
            ));
        }
        if a.value.outputs < 2 || a.value.outputs > 256 || a.value.inputs > 256 {
            diags.push(Diagnostic::at(
                file,
                a.referenced,
                "outputs must be 2..=256 and inputs at most 256",
            ));
        }
        cfg.audio = a.value;
    }
    if let Some(o) = raw.osc {
        osc_config(o, file, &mut cfg.osc, &mut diags);
    }
    if let Some(a) = raw.automation {
        if a.value.glide_ms > 10_000 {
            diags.push(Diagnostic::at(
                file,
                a.referenced,
                "glide_ms must be at most 10000",
            ));
        }
        if !(1..=10_000).contains(&a.value.undo_passes) {
            diags.push(Diagnostic::at(
                file,
                a.referenced,
                "undo_passes must be between 1 and 10000",
            ));
        }
        cfg.automation = a.value;
    }
    if let Some(s) = raw.session {
        for (ms, name, lo) in [
            (s.value.autosave_ms, "autosave_ms", 100),
            (s.value.save_retry_ms, "save_retry_ms", 100),
        ] {
            if !(lo..=3_600_000).contains(&ms) {
                diags.push(Diagnostic::at(
                    file,
                    s.referenced,
                    format!("{name} must be between {lo} and 3600000"),
                ));
            }
        }
        cfg.session = s.value;
    }
    if let Some(j) = raw.jack {
        jack_config(j, file, &mut cfg.jack, &mut diags);
    }
    let base = file.parent().unwrap_or(Path::new("")).to_path_buf();
    for sf in raw.surfaces {
        match (sf.mackie, sf.midi, sf.serial) {
            (Some(m), None, None) => mackie_surface(m, file, &base, &mut cfg, &mut diags),
            (None, Some(m), None) => midi_surface(m, file, &base, &mut cfg, &mut diags),
            (None, None, Some(s)) => serial_surface(s, file, &base, &mut cfg, &mut diags),
            _ => diags.push(Diagnostic::at(
                file,
                raw.version.referenced,
                "each surface is one of mackie:, midi: or serial:",
            )),
        }
    }
    if let Some(t) = raw.transport {
        let v = t.value;
        match (v.sync.value.as_str(), v.midi) {
            ("internal", None) => cfg.sync = SyncSource::Internal,
            ("jack", None) => cfg.sync = SyncSource::Jack,
            ("mtc", Some(port)) => {
                midi_port_name(&port, file, &mut cfg, &mut diags);
                cfg.sync = SyncSource::Mtc { port: port.value };
            }
            ("mtc", None) => diags.push(Diagnostic::at(
                file,
                t.referenced,
                "sync: mtc needs midi: (the MIDI port pair the time code arrives on)",
            )),
            ("internal" | "jack", Some(m)) => diags.push(Diagnostic::at(
                file,
                m.referenced,
                "midi: belongs to sync: mtc",
            )),
            (other, _) => diags.push(Diagnostic::at(
                file,
                v.sync.referenced,
                format!("sync '{other}' is not internal, jack or mtc"),
            )),
        }
    }
    if cfg.jack.midi_ports.len() > MAX_MIDI_PORTS {
        diags.push(Diagnostic::at(
            file,
            raw.version.referenced,
            format!("at most {MAX_MIDI_PORTS} MIDI port pairs in all"),
        ));
    }
    if let Some(c) = raw.cpal {
        if c.value
            .output_channels
            .iter()
            .chain(&c.value.input_channels)
            .any(|ch| *ch == 0 || *ch > 256)
        {
            diags.push(Diagnostic::at(
                file,
                c.referenced,
                "cpal channels are device channel numbers, 1..=256",
            ));
        }
        cfg.cpal = c.value;
    }
    if diags.is_empty() {
        Ok(cfg)
    } else {
        Err(ConfigError::Invalid(diags))
    }
}

/// Load a map by name or path, reporting at `at`.
fn load_map_at(
    name: &str,
    at: serde_saphyr::Location,
    file: &Path,
    base: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<ControlMap> {
    match resolve(name, "maps", base) {
        Ok((text, path)) => match super::surface::parse_map(&text, &path) {
            Ok(map) => Some(map),
            Err(e) => {
                diags.push(Diagnostic::at(file, at, e.to_string()));
                None
            }
        },
        Err(e) => {
            diags.push(Diagnostic::at(file, at, e));
            None
        }
    }
}

/// A MIDI port pair name from a surface entry: opened on the backend.
fn midi_port_name(
    name: &Spanned<String>,
    file: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    if name.value.trim().is_empty() || name.value.contains(':') {
        diags.push(Diagnostic::at(
            file,
            name.referenced,
            "a MIDI port pair name has no ':'",
        ));
    }
    if !cfg.jack.midi_ports.contains(&name.value) {
        cfg.jack.midi_ports.push(name.value.clone());
    }
}

fn midi_surface(
    m: Spanned<MidiSurfaceFile>,
    file: &Path,
    base: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    let v = m.value;
    midi_port_name(&v.port, file, cfg, diags);
    let source = resolve(&v.map.value, "maps", base)
        .ok()
        .map(|(text, path)| MapSource {
            file: (!path.to_string_lossy().ends_with("(built in)")).then_some(path),
            text,
            learn_dir: base.to_path_buf(),
        });
    if let Some(map) = load_map_at(&v.map.value, v.map.referenced, file, base, diags) {
        if map.midi.is_none() {
            diags.push(Diagnostic::at(
                file,
                v.map.referenced,
                format!("'{}' is not a MIDI controller map", map.name),
            ));
            return;
        }
        cfg.surfaces.push(SurfaceSetup::Midi {
            map,
            port: v.port.value,
            source: source.unwrap_or(MapSource {
                file: None,
                text: String::new(),
                learn_dir: base.to_path_buf(),
            }),
        });
    }
}

fn mackie_surface(
    m: Spanned<MackieFile>,
    file: &Path,
    base: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    let map = m
        .value
        .map
        .as_ref()
        .map_or("maps/mackie", |v| v.value.as_str());
    let map_at = m.value.map.as_ref().map_or(m.referenced, |v| v.referenced);
    let map = load_map_at(map, map_at, file, base, diags);
    let mut units = Vec::new();
    for u in &m.value.units {
        match resolve(&u.profile.value, "mackie", base) {
            Ok((text, path)) => match super::surface::parse_profile(&text, &path) {
                Ok(p) if p.mackie.is_some() => units.push((p, u.midi.value.clone())),
                Ok(p) => diags.push(Diagnostic::at(
                    file,
                    u.profile.referenced,
                    format!("'{}' is not a Mackie Control profile", p.name),
                )),
                Err(e) => diags.push(Diagnostic::at(file, u.profile.referenced, e.to_string())),
            },
            Err(e) => diags.push(Diagnostic::at(file, u.profile.referenced, e)),
        }
        midi_port_name(&u.midi, file, cfg, diags);
    }
    if m.value.units.is_empty() {
        diags.push(Diagnostic::at(
            file,
            m.referenced,
            "a surface needs at least one unit",
        ));
    }
    if let Some(map) = map {
        cfg.surfaces.push(SurfaceSetup::Mackie { map, units });
    }
}

fn serial_surface(
    s: Spanned<SerialSurfaceFile>,
    file: &Path,
    base: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    let v = s.value;
    let profile = match resolve(&v.profile.value, "serial", base) {
        Ok((text, path)) => match super::surface::parse_profile(&text, &path) {
            Ok(p) if p.driver == Driver::Serial => Some(p),
            Ok(p) => {
                diags.push(Diagnostic::at(
                    file,
                    v.profile.referenced,
                    format!(
                        "'{}' is not a serial board profile (driver: serial)",
                        p.name
                    ),
                ));
                None
            }
            Err(e) => {
                diags.push(Diagnostic::at(file, v.profile.referenced, e.to_string()));
                None
            }
        },
        Err(e) => {
            diags.push(Diagnostic::at(file, v.profile.referenced, e));
            None
        }
    };
    let map_name = v
        .map
        .as_ref()
        .map_or("maps/serial-fader-board", |m| m.value.as_str());
    let map_at = v.map.as_ref().map_or(s.referenced, |m| m.referenced);
    let map = load_map_at(map_name, map_at, file, base, diags);
    let caps = profile.as_ref().and_then(|p| p.serial);
    let port = match (&v.device, &v.usb) {
        (Some(d), None) if !d.value.trim().is_empty() => Some(SerialLocator::Path(d.value.clone())),
        (None, Some(u)) => Some(SerialLocator::Usb(u.value)),
        (None, None) => match caps.and_then(|c| c.usb) {
            Some(id) => Some(SerialLocator::Usb(id)),
            None => {
                diags.push(Diagnostic::at(
                    file,
                    s.referenced,
                    "say where the board is: device: (a port path) or usb: \"vid:pid\"",
                ));
                None
            }
        },
        _ => {
            diags.push(Diagnostic::at(
                file,
                s.referenced,
                "give either device: or usb:, not both (and not an empty device)",
            ));
            None
        }
    };
    let baud = match &v.baud {
        Some(b) if !(1200..=4_000_000).contains(&b.value) => {
            diags.push(Diagnostic::at(
                file,
                b.referenced,
                "baud must be 1200..=4000000",
            ));
            115_200
        }
        Some(b) => b.value,
        None => caps.map_or(115_200, |c| c.baud),
    };
    if let (Some(profile), Some(map), Some(port)) = (profile, map, port) {
        cfg.surfaces.push(SurfaceSetup::Serial {
            profile,
            map,
            port,
            baud,
        });
    }
}

fn jack_config(j: JackFile, file: &Path, cfg: &mut JackConfig, diags: &mut Vec<Diagnostic>) {
    let name_ok = |v: &Spanned<String>, what: &str, diags: &mut Vec<Diagnostic>| {
        let bad = v.value.trim().is_empty()
            || v.value.contains(':')
            || v.value.chars().any(char::is_control)
            || v.value.len() > 60;
        if bad {
            diags.push(Diagnostic::at(
                file,
                v.referenced,
                format!(
                    "{what} '{}' must be 1 to 60 characters without ':'",
                    v.value
                ),
            ));
        }
    };
    if let Some(n) = j.client_name {
        name_ok(&n, "client_name", diags);
        cfg.client_name = n.value;
    }
    for m in &j.midi_ports {
        name_ok(m, "MIDI port", diags);
    }
    for c in &j.connections {
        name_ok(&c.port, "port", diags);
        if !c.to.value.contains(':') {
            diags.push(Diagnostic::at(
                file,
                c.to.referenced,
                format!(
                    "'{}' is not a full JACK port name (client:port)",
                    c.to.value
                ),
            ));
        }
    }
    if let Some(extra) = j.midi_ports.get(MAX_MIDI_PORTS) {
        diags.push(Diagnostic::at(
            file,
            extra.referenced,
            format!("at most {MAX_MIDI_PORTS} MIDI port pairs"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for m in &j.midi_ports {
        if !seen.insert(m.value.as_str()) {
            diags.push(Diagnostic::at(
                file,
                m.referenced,
                format!("MIDI port '{}' is listed twice", m.value),
            ));
        }
    }
    if let Some(mode) = j.connect {
        cfg.connect_physical = mode == ConnectMode::Physical;
    }
    cfg.connections = j
        .connections
        .into_iter()
        .map(|c| (c.port.value, c.to.value))
        .collect();
    cfg.midi_ports = j.midi_ports.into_iter().map(|m| m.value).collect();
}

fn osc_config(o: OscFile, file: &Path, cfg: &mut OscConfig, diags: &mut Vec<Diagnostic>) {
    if let Some(listen) = o.listen {
        match super::socket_addr(&listen.value) {
            Ok(addr) => cfg.listen = addr,
            Err(e) => diags.push(Diagnostic::at(
                file,
                listen.referenced,
                format!("osc listen: {e}"),
            )),
        }
    }
    for a in o.allow {
        match parse_ip_net(&a.value) {
            Ok(net) => cfg.allow.push(net),
            Err(e) => diags.push(Diagnostic::at(file, a.referenced, e)),
        }
    }
    for c in o.clients {
        match super::socket_addr(&c.value.address.value) {
            Ok(address) => cfg.clients.push(OscClientConfig {
                address,
                meters: c.value.meters,
            }),
            Err(e) => diags.push(Diagnostic::at(
                file,
                c.value.address.referenced,
                format!("osc client: {e}"),
            )),
        }
    }
    let mut in_range = |v: Option<Spanned<u64>>, lo: u64, hi: u64, what: &str| {
        let v = v?;
        if !(lo..=hi).contains(&v.value) {
            diags.push(Diagnostic::at(
                file,
                v.referenced,
                format!("{what} must be between {lo} and {hi}"),
            ));
        }
        Some(v.value)
    };
    if let Some(t) = in_range(o.touch_timeout_ms, 50, 10_000, "touch_timeout_ms") {
        cfg.touch_timeout_ms = t;
    }
    if let Some(m) = in_range(o.max_datagram, 512, 65_507, "max_datagram (bytes)") {
        cfg.max_datagram = m as usize;
    }
    if let Some(m) = in_range(o.max_subscribers, 1, 1024, "max_subscribers") {
        cfg.max_subscribers = m as usize;
    }
    if let Some(t) = in_range(o.subscriber_timeout_s, 5, 86_400, "subscriber_timeout_s") {
        cfg.subscriber_timeout_s = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc_settings_are_read() {
        let text = "version: 1\nosc:\n  listen: \"0.0.0.0:8000\"\n  allow: [192.168.1.0/24, 10.0.0.7]\n  clients:\n    - { address: \"192.168.1.20:9000\", meters: true }\n  touch_timeout_ms: 300\n";
        let cfg = parse_daemon_config(text, Path::new("c.yaml")).unwrap();
        assert_eq!(cfg.osc.listen, "0.0.0.0:8000".parse().unwrap());
        assert_eq!(
            cfg.osc.allow,
            vec![
                ("192.168.1.0".parse().unwrap(), 24),
                ("10.0.0.7".parse().unwrap(), 32)
            ]
        );
        assert_eq!(
            cfg.osc.clients,
            vec![OscClientConfig {
                address: "192.168.1.20:9000".parse().unwrap(),
                meters: true
            }]
        );
        assert_eq!(cfg.osc.touch_timeout_ms, 300);
        assert_eq!(cfg.osc.max_datagram, 1472);
    }

    #[test]
    fn jack_settings_are_read_and_bad_ones_located() {
        let text = "version: 1\naudio: { backend: jack }\njack:\n  client_name: desk\n  connect: none\n  connections:\n    - { port: \"Vox in\", to: \"system:capture_3\" }\n  midi_ports: [X-Touch, XT]\n";
        let cfg = parse_daemon_config(text, Path::new("c.yaml")).unwrap();
        assert_eq!(cfg.audio.backend, BackendChoice::Jack);
        assert_eq!(
            cfg.jack,
            JackConfig {
                client_name: "desk".into(),
                connect_physical: false,
                connections: vec![("Vox in".into(), "system:capture_3".into())],
                midi_ports: vec!["X-Touch".into(), "XT".into()],
            }
        );
        let bad = "version: 1\njack:\n  client_name: \"a:b\"\n  connections:\n    - { port: Vox, to: capture_3 }\n  midi_ports: [X, X]\n";
        let err = parse_daemon_config(bad, Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        for want in [
            "c.yaml:3:16: client_name 'a:b' must be 1 to 60 characters without ':'",
            "c.yaml:5:24: 'capture_3' is not a full JACK port name",
            "c.yaml:6:19: MIDI port 'X' is listed twice",
        ] {
            assert!(err.contains(want), "{want}\nnot in\n{err}");
        }
    }

    #[test]
    fn bad_osc_settings_point_at_their_values() {
        let text = "version: 1\nosc:\n  allow: [tablet, 10.0.0.0/40]\n  clients:\n    - { address: \"nowhere\" }\n  touch_timeout_ms: 5\n";
        let err = parse_daemon_config(text, Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        for want in [
            "c.yaml:3:11: 'tablet' is not an IP address",
            "c.yaml:3:19: '10.0.0.0/40': the prefix length must be 0..=32",
            "c.yaml:5:18: osc client: 'nowhere' is not HOST:PORT",
            "c.yaml:6:21: touch_timeout_ms must be between 50 and 10000",
        ] {
            assert!(err.contains(want), "{want}\nnot in\n{err}");
        }
    }

    #[test]
    fn serial_boards_are_found_by_path_or_usb_id_and_mistakes_are_located() {
        let text = "version: 1\nsurfaces:\n  - serial: { device: /dev/ttyACM0, profile: diy-4-fader }\n  - serial: { usb: \"2E8A:000a\", profile: diy-4-fader, map: maps/serial-fader-board, baud: 9600 }\n";
        let cfg = parse_daemon_config(text, Path::new("c.yaml")).unwrap();
        let ports: Vec<(SerialLocator, u32, String)> = cfg
            .surfaces
            .iter()
            .filter_map(|s| match s {
                SurfaceSetup::Serial {
                    port,
                    baud,
                    profile,
                    map,
                } => {
                    assert_eq!(profile.strips, 4);
                    assert_eq!(map.name, "Serial fader board");
                    Some((port.clone(), *baud, profile.name.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            ports,
            vec![
                (
                    SerialLocator::Path("/dev/ttyACM0".into()),
                    115_200,
                    "DIY 4-fader board".into()
                ),
                (
                    SerialLocator::Usb(UsbId {
                        vid: 0x2e8a,
                        pid: 0x000a
                    }),
                    9600,
                    "DIY 4-fader board".into()
                ),
            ]
        );
        let bad = "version: 1\nsurfaces:\n  - serial: { profile: diy-4-fader }\n  - serial: { device: /dev/x, profile: mackie/x-touch }\n  - serial: { device: /dev/x, profile: diy-4-fader, baud: 7 }\n";
        let err = parse_daemon_config(bad, Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        for want in [
            "c.yaml:3:13: say where the board is: device: (a port path) or usb: \"vid:pid\"",
            "c.yaml:4:40: 'Behringer X-Touch (MC mode)' is not a serial board profile (driver: serial)",
            "c.yaml:5:59: baud must be 1200..=4000000",
        ] {
            assert!(err.contains(want), "{want}\nnot in\n{err}");
        }
        let bad = "version: 1\nsurfaces:\n  - serial: { usb: \"2e8a\", profile: diy-4-fader }\n";
        let err = parse_daemon_config(bad, Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("c.yaml:3:20: '2e8a' is not a USB id: write vendor:product in hex"),
            "{err}"
        );
    }

    #[test]
    fn transport_sync_and_automation_settings() {
        let cfg = parse_daemon_config(
            "version: 1\ntransport: { sync: mtc, midi: MTC }\nautomation: { glide_ms: 400 }\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(cfg.sync, SyncSource::Mtc { port: "MTC".into() });
        assert_eq!(cfg.jack.midi_ports, vec!["MTC".to_string()]);
        assert_eq!(cfg.automation.glide_ms, 400);
        let cfg = parse_daemon_config(
            "version: 1\ntransport: { sync: jack }\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(cfg.sync, SyncSource::Jack);
        let err = parse_daemon_config(
            "version: 1\ntransport: { sync: ltc }\nautomation: { glide_ms: 99999 }\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        for want in [
            "c.yaml:2:20: sync 'ltc' is not internal, jack or mtc",
            "c.yaml:3:13: glide_ms must be at most 10000",
        ] {
            assert!(err.contains(want), "{want}\nnot in\n{err}");
        }
        let err = parse_daemon_config(
            "version: 1\ntransport: { sync: mtc }\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("sync: mtc needs midi:"), "{err}");
    }
}
