//! The console's files, embedded in the binary (nothing is fetched from
//! anywhere else, so the page works on a LAN with no internet), and
//! `console.json`: the facts the page draws with, computed from the same
//! code the hub uses (the fader law's scale marks), never written twice.
//!
//! Thread: any.

use crate::dsp::db_to_pos;
use std::borrow::Cow;
use std::fmt::Write as _;

/// One file to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Cow<'static, [u8]>,
}

/// The embedded files by path.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_bytes!("assets/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "/osc.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/osc.js"),
    ),
    (
        "/detail.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/detail.js"),
    ),
    (
        "/timeline.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/timeline.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/style.css"),
    ),
    (
        "/favicon.svg",
        "image/svg+xml",
        include_bytes!("assets/favicon.svg"),
    ),
];

/// Fader scale marks, in dB (`-inf` is the bottom).
const FADER_MARKS_DB: [f64; 10] = [
    10.0,
    5.0,
    0.0,
    -5.0,
    -10.0,
    -20.0,
    -30.0,
    -40.0,
    -60.0,
    f64::NEG_INFINITY,
];

/// The file at `path`, if there is one.
pub fn find(path: &str) -> Option<Asset> {
    if path == "/console.json" {
        return Some(Asset {
            content_type: "application/json",
            bytes: Cow::Owned(console_json().into_bytes()),
        });
    }
    let path = if path == "/index.html" { "/" } else { path };
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|&(_, content_type, bytes)| Asset {
            content_type,
            bytes: Cow::Borrowed(bytes),
        })
}

/// `{"fader_marks":[["+10",1.0],...],"limiter_ceiling_db":[-24,0]}`:
/// each fader mark's label and travel, and the ranges the page's own
/// controls span (from the DSP's, never written twice).
pub fn console_json() -> String {
    let mut out = String::from("{\"fader_marks\":[");
    for (i, db) in FADER_MARKS_DB.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let label = if db.is_finite() {
            if *db > 0.0 {
                format!("+{db}")
            } else {
                format!("{db}")
            }
        } else {
            "-\u{221e}".to_string()
        };
        let _ = write!(out, "[\"{label}\",{}]", db_to_pos(*db));
    }
    let (lo, hi) = crate::model::f32_range(crate::dsp::limiter::CEILING_RANGE);
    let _ = write!(out, "],\"limiter_ceiling_db\":[{lo},{hi}]}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_file_is_served_and_nothing_else() {
        for path in [
            "/",
            "/index.html",
            "/app.js",
            "/osc.js",
            "/detail.js",
            "/timeline.js",
            "/style.css",
            "/favicon.svg",
            "/console.json",
        ] {
            let a = find(path).unwrap_or_else(|| panic!("{path}"));
            assert!(!a.bytes.is_empty(), "{path}");
        }
        assert_eq!(find("/../Cargo.toml"), None);
        assert_eq!(find("/secret"), None);
    }

    #[test]
    fn the_scale_marks_sit_where_the_fader_law_puts_them() {
        let json = console_json();
        assert!(json.starts_with("{\"fader_marks\":[[\"+10\",1]"), "{json}");
        assert!(json.contains("[\"0\",0.75]"), "{json}");
        assert!(json.contains("[\"-10\",0.5]"), "{json}");
        assert!(json.contains("[\"-30\",0.25]"), "{json}");
        assert!(json.contains("[\"-60\",0.0625]"), "{json}");
        assert!(
            json.ends_with("[\"-\u{221e}\",0]],\"limiter_ceiling_db\":[-24,0]}"),
            "{json}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(parsed["fader_marks"].as_array().map(Vec::len), Some(10));
    }
}
