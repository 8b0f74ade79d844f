//! A session file: read within its bounds; one that reads is written and
//! read again (it must), and saving a change into it in place either
//! works or is refused, never panics.
#![no_main]

use faderd::config::{parse_session, session_to_yaml, yaml_edit};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("fuzz.yaml");
    let Ok(session) = parse_session(text, file) else {
        return;
    };
    let canonical = session_to_yaml(&session);
    let again = parse_session(&canonical, file).expect("a written session reads back");
    assert_eq!(session_to_yaml(&again), canonical, "writing is stable");
    // A change: every track's gain one dB down.
    let mut changed = session.clone();
    for t in &mut changed.tracks {
        t.controls.gain_db = (t.controls.gain_db - 1.0).max(-89.0);
    }
    let _ = yaml_edit::apply_change(text, &canonical, &session_to_yaml(&changed));
});
