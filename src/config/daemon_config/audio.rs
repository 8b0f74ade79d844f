//! The daemon config's audio sections: the backend, JACK and cpal.

use crate::config::error::Diagnostic;
use serde::Deserialize;
use serde_saphyr::Spanned;
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
pub(super) enum ConnectMode {
    Physical,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JackFile {
    #[serde(default)]
    pub(super) client_name: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) connect: Option<ConnectMode>,
    #[serde(default)]
    pub(super) connections: Vec<JackConnectionFile>,
    #[serde(default)]
    pub(super) midi_ports: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JackConnectionFile {
    pub(super) port: Spanned<String>,
    pub(super) to: Spanned<String>,
}

/// Audio settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Backend.
    pub backend: BackendChoice,
    /// Frames per period asked for: the dummy clock's period, and what is
    /// asked of a JACK server (on PipeWire, the client's node latency).
    /// `None` (not set): `DEFAULT_PERIOD_FRAMES` (64) on the dummy clock, and
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
    /// `DEFAULT_PERIOD_FRAMES` (64).
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

pub(super) fn jack_config(
    j: JackFile,
    file: &Path,
    cfg: &mut JackConfig,
    diags: &mut Vec<Diagnostic>,
) {
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
