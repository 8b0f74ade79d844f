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
//! web:                            # the browser console
//!   listen: "127.0.0.1:8080"      # 0.0.0.0:8080 opens it to the LAN (osc.allow applies)
//!   token: "a-long-secret"        # asked of browsers as ?token= (for a LAN)
//!   origins: ["http://studio.lan:8080"]   # other pages allowed to connect
//!   max_clients: 32
//!   enabled: true
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

mod audio;
mod osc;
mod surfaces;
mod web;

pub use audio::*;
pub use osc::*;
pub use surfaces::*;
pub use web::*;

use super::error::{ConfigError, Diagnostic};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;

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
    web: Option<WebFile>,
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
    /// The browser console.
    pub web: WebConfig,
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
    if let Some(w) = raw.web {
        web_config(w, file, &mut cfg.web, &mut diags);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::surface::{SerialLocator, UsbId};

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
