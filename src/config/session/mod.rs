//! Session files: tracks, buses, sends, routing and initial values.
//!
//! ```yaml
//! version: 1
//! name: My mix
//! sample_rate: 48000
//! pan_law_db: -3          # 0 | -3 | -4.5 | -6
//! buses:
//!   - { name: Reverb, kind: aux }
//!   - { name: Drums, kind: group }
//! tracks:
//!   - name: Kick
//!     source: { file: kick.wav }          # or { input: 1 } or { tone: {...} }
//!     output: Drums                       # master (default) or a group bus
//!     gain_db: -3                         # -.inf is off
//!     sends: [{ bus: Reverb, gain_db: -12, pre: false }]
//!   - name: Snare
//!     source: { input: 2 }
//!     sends: [{ output: 7, gain_db: -10 }]  # hardware send: interface outputs 7/8
//!   - name: Vox
//!     source: { input: 1 }
//!     # outboard compressor on interface output 5 / input 5; the round trip
//!     # is measured (/strip/2/insert/measure) and kept per period size
//!     insert: { output: 5, input: 5, wet: 1.0, bypass: false, latency: { 64: 164 } }
//! master: { gain_db: 0 }
//! ```
//!
//! Loading rejects unknown keys, wrong types and dangling names with
//! file:line:column. Saving is atomic and loses nothing the model holds.

mod resolve;
mod resolve_strip;
mod schema;
mod write;

use super::atomic::write_atomic;
use super::error::{ConfigError, Diagnostic};
use crate::model::Session;
use resolve::Resolver;
use schema::SessionFile;
use serde_saphyr::{Location, Spanned};
use std::path::Path;
use write::to_file;

/// The session format version this build reads and writes.
pub const SESSION_VERSION: u32 = 1;

/// `x` in the shortest decimal form that reads back to the same `f32`:
/// parameter values are written as a person would (`0.4`, not
/// `0.4000000059604645`); the engine hears them as `f32` anyway.
/// Infinities and NaN pass unchanged. Not for lane times, which must stay
/// exact to the frame.
pub(crate) fn short(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // `f32`'s Display is its shortest round-trip form.
    format!("{}", x as f32).parse().unwrap_or(x)
}

/// A parameter value for the file, in its [shortest](short) form.
pub(super) fn sf(x: f64) -> Spanned<f64> {
    spanless(short(x))
}

/// An `f32` parameter value for the file, in its [shortest](short) form.
pub(super) fn sf32(x: f32) -> Spanned<f64> {
    sf(f64::from(x))
}

pub(super) fn spanless<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// Read and validate a session file.
pub fn load_session(path: &Path) -> Result<Session, ConfigError> {
    load_session_checked(path).map(|(s, _)| s)
}

/// Read and validate a session file; also what in it is valid but likely
/// not what was meant (lanes that do not play, sends that are off).
pub fn load_session_checked(path: &Path) -> Result<(Session, Vec<Diagnostic>), ConfigError> {
    let text = super::read_text(path)?;
    parse_session_checked(&text, path)
}

/// Validate session text; `file` names it in diagnostics.
pub fn parse_session(text: &str, file: &Path) -> Result<Session, ConfigError> {
    parse_session_checked(text, file).map(|(s, _)| s)
}

/// [`parse_session`], with its warnings.
pub fn parse_session_checked(
    text: &str,
    file: &Path,
) -> Result<(Session, Vec<Diagnostic>), ConfigError> {
    let raw: SessionFile = super::yaml::from_str(text, file)?;
    let mut resolver = Resolver {
        file,
        diags: Vec::new(),
        warnings: Vec::new(),
        rate: 48_000,
    };
    let session = resolver.session(raw)?;
    let mut warnings = resolver.warnings;
    warnings.sort_by_key(|d| (d.line, d.column));
    Ok((session, warnings))
}

/// The session as YAML text, in the format [`parse_session`] reads.
pub fn session_to_yaml(session: &Session) -> String {
    let file = to_file(session);
    let body = serde_saphyr::to_string(&file).unwrap_or_else(|e| {
        // Serialising plain structs of numbers and strings cannot fail; if it
        // ever does, say so in the file rather than write a truncated one.
        format!("# faderd could not serialise this session: {e}\n")
    });
    format!("# faderd session (format {SESSION_VERSION})\n{body}")
}

/// How a save wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveLayout {
    /// The file did not exist: written in faderd's layout.
    New,
    /// Edited in place: only changed values changed.
    Edited,
    /// The file's layout could not be kept (a YAML construct the editor
    /// does not write into); written in faderd's layout, every value kept.
    Rewritten,
}

/// Save `session` to `path`, atomically (a crash, `kill -9` or a full
/// disk leaves the previous file intact). An existing file is edited in
/// place: only the values that changed are rewritten, and its comments,
/// key order, blank lines and flow or block style stay. The result is
/// read back before it is written: it must be exactly `session`.
///
/// A file that no longer reads as a session (edited by hand meanwhile) is
/// not overwritten: that is an error, and the caller keeps the state
/// elsewhere.
pub fn save_session(path: &Path, session: &Session) -> Result<SaveLayout, ConfigError> {
    let new = session_to_yaml(session);
    let (text, layout) = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (new, SaveLayout::New),
        Err(source) => {
            return Err(ConfigError::Read {
                file: path.to_path_buf(),
                source,
            });
        }
        Ok(_) => {
            let user = super::read_text(path)?;
            let old = session_to_yaml(&parse_session(&user, path)?);
            match super::yaml_edit::apply_change(&user, &old, &new) {
                Ok(edited) if reads_back_as(&edited, &new, path) => (edited, SaveLayout::Edited),
                Ok(_) | Err(_) => (new, SaveLayout::Rewritten),
            }
        }
    };
    write_atomic(path, text.as_bytes()).map_err(|source| ConfigError::Write {
        file: path.to_path_buf(),
        source,
    })?;
    Ok(layout)
}

/// True when `text` reads as the session whose canonical text is `canonical`.
fn reads_back_as(text: &str, canonical: &str, file: &Path) -> bool {
    parse_session(text, file).is_ok_and(|s| session_to_yaml(&s) == canonical)
}

/// Write `session` to `path` in faderd's own layout, after the comment
/// lines of `header` (recovery files), atomically.
pub fn write_session_copy(path: &Path, session: &Session, header: &str) -> Result<(), ConfigError> {
    let comment: String = header.lines().map(|l| format!("# {l}\n")).collect();
    let text = format!("{comment}{}", session_to_yaml(session));
    write_atomic(path, text.as_bytes()).map_err(|source| ConfigError::Write {
        file: path.to_path_buf(),
        source,
    })
}
