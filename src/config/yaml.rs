//! The one way YAML is read: every file (session, daemon config, surface
//! profile, control map) and `faderd check` go through `from_str`, with
//! the same bounds, so `check` accepts exactly what `run` accepts.
//!
//! Bounds (past one the file is refused with its place named): at most
//! [`MAX_FILE_BYTES`], nesting [`MAX_DEPTH`] deep, [`MAX_NODES`] nodes,
//! and aliases that expand to no more than [`MAX_ALIAS_EVENTS`] events
//! (an "alias bomb" is refused, not expanded). Non-finite floats (`.inf`,
//! `-.inf`, documented as "off" for gains) are accepted wherever a number
//! is.

use super::error::{ConfigError, Diagnostic};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Largest file read, in bytes (a session with hours of automation on
/// every strip is a few megabytes).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Deepest nesting of mappings and sequences.
pub const MAX_DEPTH: usize = 32;
/// Most nodes (mappings, sequences and scalars) in one file.
pub const MAX_NODES: usize = 4_000_000;
/// Most events replayed from aliases in one file.
pub const MAX_ALIAS_EVENTS: usize = 100_000;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_FILE_BYTES),
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_events: MAX_NODES * 2,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_EVENTS,
            max_replay_stack_depth: MAX_DEPTH,
        },
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::PassThrough,
    }
}

/// Deserialize `text` (from `file`, named in errors) within the bounds.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, ConfigError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ConfigError::Invalid(vec![Diagnostic {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("the file is larger than {} MB", MAX_FILE_BYTES >> 20),
        }]));
    }
    serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| ConfigError::from_yaml(file, &e))
}

/// A file's text; an unreadable file is an error naming it, and bytes
/// that are not UTF-8 are an error at their line and column.
/// Every kind of file faderd reads carries a format `version:`; this build
/// reads one of each. `None` when `version` is `want`, else the error for
/// `kind` ("session", "config", "profile", "map") at its place.
pub(crate) fn wrong_version(
    version: &serde_saphyr::Spanned<u32>,
    want: u32,
    kind: &str,
    file: &Path,
) -> Option<Diagnostic> {
    (version.value != want).then(|| {
        Diagnostic::at(
            file,
            version.referenced,
            format!(
                "this faderd reads {kind} version {want}, not {}",
                version.value
            ),
        )
    })
}

pub(crate) fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        ConfigError::Invalid(vec![Diagnostic {
            file: path.to_path_buf(),
            line: line as u64,
            column: column as u64,
            message: "the file is not UTF-8 text (save it as UTF-8)".to_owned(),
        }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        std::fs::write(&p, b"version: 1\nname: \xc3\xa9t\xff\n").unwrap();
        let e = read_text(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("s.yaml:2:9: the file is not UTF-8 text (save it as UTF-8)"),
            "{e}"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    struct Any {
        #[allow(dead_code)]
        a: serde::de::IgnoredAny,
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused_with_a_place() {
        let deep = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        let e = from_str::<Any>(&deep, Path::new("d.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("d.yaml:1:"), "{e}");
        let mut bomb = String::from("x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        bomb.push_str("a: *a11\n");
        let t0 = std::time::Instant::now();
        assert!(from_str::<Any>(&bomb, Path::new("b.yaml")).is_err());
        assert!(t0.elapsed() < std::time::Duration::from_secs(2));
    }
}
