//! The daemon's own settings (`faderd run --config FILE`). Command-line
//! flags override them.
//!
//! ```yaml
//! version: 1
//! audio: { backend: auto, period_frames: 64, inputs: 8, outputs: 2 }
//! osc: { listen: "127.0.0.1:8000" }
//! log: { level: info }
//! ```

use super::error::{ConfigError, Diagnostic};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::net::SocketAddr;
use std::path::Path;

/// Which audio backend runs the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// The best available: a real audio system when one runs, else dummy.
    #[default]
    Auto,
    /// A thread that paces the engine in real time, no audio device.
    Dummy,
}

/// Audio settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Backend.
    pub backend: BackendChoice,
    /// Frames per period (block size).
    pub period_frames: usize,
    /// Input channels the engine exposes.
    pub inputs: usize,
    /// Output channels (first two: master).
    pub outputs: usize,
}

impl Default for AudioConfig {
    fn default() -> AudioConfig {
        AudioConfig {
            backend: BackendChoice::Auto,
            period_frames: 64,
            inputs: 8,
            outputs: 2,
        }
    }
}

/// OSC settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OscConfig {
    /// Address to listen on; loopback unless opened on purpose.
    pub listen: String,
}

impl Default for OscConfig {
    fn default() -> OscConfig {
        OscConfig {
            listen: "127.0.0.1:8000".into(),
        }
    }
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DaemonFile {
    version: Spanned<u32>,
    #[serde(default)]
    audio: Option<Spanned<AudioConfig>>,
    #[serde(default)]
    osc: Option<Spanned<OscConfig>>,
    #[serde(default)]
    log: LogConfig,
}

/// The daemon's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DaemonConfig {
    /// Audio.
    pub audio: AudioConfig,
    /// OSC.
    pub osc: OscConfig,
    /// Logging.
    pub log: LogConfig,
}

/// Read and validate a daemon config file.
pub fn load_daemon_config(path: &Path) -> Result<DaemonConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse_daemon_config(&text, path)
}

/// Validate daemon config text; `file` names it in diagnostics.
pub fn parse_daemon_config(text: &str, file: &Path) -> Result<DaemonConfig, ConfigError> {
    let raw: DaemonFile =
        serde_saphyr::from_str(text).map_err(|e| ConfigError::from_yaml(file, &e))?;
    let mut diags = Vec::new();
    if raw.version.value != 1 {
        diags.push(Diagnostic::at(
            file,
            raw.version.referenced,
            "this faderd reads config version 1",
        ));
    }
    let mut cfg = DaemonConfig {
        log: raw.log,
        ..DaemonConfig::default()
    };
    if let Some(a) = raw.audio {
        if !(1..=8192).contains(&a.value.period_frames) {
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
        if o.value.listen.parse::<SocketAddr>().is_err() {
            diags.push(Diagnostic::at(
                file,
                o.referenced,
                format!("osc listen '{}' is not an IP:PORT address", o.value.listen),
            ));
        }
        cfg.osc = o.value;
    }
    if diags.is_empty() {
        Ok(cfg)
    } else {
        Err(ConfigError::Invalid(diags))
    }
}
