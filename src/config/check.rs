//! `faderd check`: tell what kind of file it is and validate it.

use super::error::ConfigError;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::path::Path;

/// What a YAML file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A session (`tracks:`, `buses:`).
    Session,
    /// A daemon config (`audio:`, `osc:`, `jack:`, `cpal:`, `surfaces:`).
    DaemonConfig,
    /// A surface profile (`driver:`).
    SurfaceProfile,
    /// A control map (`bindings:`).
    ControlMap,
}

impl FileKind {
    /// Lowercase name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Session => "session",
            FileKind::DaemonConfig => "daemon config",
            FileKind::SurfaceProfile => "surface profile",
            FileKind::ControlMap => "control map",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Probe {
    #[serde(default)]
    tracks: Option<IgnoredAny>,
    #[serde(default)]
    buses: Option<IgnoredAny>,
    #[serde(default)]
    master: Option<IgnoredAny>,
    #[serde(default)]
    driver: Option<IgnoredAny>,
    #[serde(default)]
    bindings: Option<IgnoredAny>,
    #[serde(default)]
    applies_to: Option<IgnoredAny>,
    #[serde(default)]
    audio: Option<IgnoredAny>,
    #[serde(default)]
    osc: Option<IgnoredAny>,
    #[serde(default)]
    log: Option<IgnoredAny>,
    #[serde(default)]
    jack: Option<IgnoredAny>,
    #[serde(default)]
    cpal: Option<IgnoredAny>,
    #[serde(default)]
    surfaces: Option<IgnoredAny>,
    #[serde(default)]
    session: Option<IgnoredAny>,
    #[serde(default)]
    automation: Option<IgnoredAny>,
    #[serde(default)]
    transport: Option<IgnoredAny>,
}

/// Decide what kind of file `text` is: by folder (`surfaces/`, `maps/`)
/// first, then by its top-level keys.
pub fn detect_kind(text: &str, file: &Path) -> Result<FileKind, ConfigError> {
    let in_dir = |name: &str| file.components().any(|c| c.as_os_str() == name);
    if in_dir("surfaces") {
        return Ok(FileKind::SurfaceProfile);
    }
    if in_dir("maps") {
        return Ok(FileKind::ControlMap);
    }
    let p: Probe = super::yaml::from_str(text, file)?;
    if p.driver.is_some() {
        Ok(FileKind::SurfaceProfile)
    } else if p.bindings.is_some() || p.applies_to.is_some() {
        Ok(FileKind::ControlMap)
    } else if p.tracks.is_some() || p.buses.is_some() || p.master.is_some() {
        Ok(FileKind::Session)
    } else if p.audio.is_some()
        || p.osc.is_some()
        || p.log.is_some()
        || p.jack.is_some()
        || p.cpal.is_some()
        || p.surfaces.is_some()
        || p.session.is_some()
        || p.automation.is_some()
        || p.transport.is_some()
    {
        Ok(FileKind::DaemonConfig)
    } else {
        Err(ConfigError::Invalid(vec![super::Diagnostic {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: "cannot tell what this file is: a session has `tracks:`, a config `audio:`, `osc:`, `jack:` or `surfaces:`, a surface profile `driver:`, a map `bindings:`".into(),
        }]))
    }
}
