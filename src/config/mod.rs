//! The only module that reads or writes YAML: sessions, the daemon config,
//! surface profiles and control maps. Every error a user can cause names
//! the file, line and column.
//!
//! Thread: any non-real-time thread. May import: `model`, `dsp`,
//! `mixer::address`.

mod address;
mod atomic;
pub mod check;
mod daemon_config;
mod error;
mod learn;
mod location;
mod session;
pub mod surface;
pub mod yaml;
pub mod yaml_edit;

pub use address::{AddressError, socket_addr};
pub use atomic::{remove_stale_temps, write_atomic};
pub use check::{FileKind, detect_kind};
pub use daemon_config::{
    AudioConfig, AutomationConfig, BackendChoice, CpalConfig, DaemonConfig, JackConfig, LogConfig,
    LogLevel, MAX_MIDI_PORTS, MapSource, OscClientConfig, OscConfig, SessionConfig, SurfaceSetup,
    SyncSource, load_daemon_config, parse_daemon_config, parse_ip_net,
};
pub use error::{ConfigError, Diagnostic};
pub use learn::save_learned;
pub use location::{ConfigSource, data_file, user_config_path, user_data_folder};
pub use session::{
    SESSION_VERSION, SaveLayout, load_session, load_session_checked, parse_session,
    parse_session_checked, save_session, session_to_yaml, write_session_copy,
};
pub use surface::{
    Binding, BindingTarget, ControlMap, MackieCaps, MackieUnit, SurfaceAction, SurfaceProfile,
    load_map, load_profile, parse_map, parse_profile,
};

use std::path::Path;

pub(crate) use yaml::read_text;

/// Read `path`, work out what it is, and validate it as that.
pub fn check_file(path: &Path) -> Result<FileKind, ConfigError> {
    let text = read_text(path)?;
    let kind = detect_kind(&text, path)?;
    match kind {
        FileKind::Session => parse_session(&text, path).map(drop),
        FileKind::DaemonConfig => parse_daemon_config(&text, path).map(drop),
        FileKind::SurfaceProfile => parse_profile(&text, path).map(drop),
        FileKind::ControlMap => parse_map(&text, path).map(drop),
    }?;
    Ok(kind)
}
