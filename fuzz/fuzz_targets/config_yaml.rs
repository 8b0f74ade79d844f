//! A daemon config, surface profile or control map: read within bounds.
#![no_main]

use faderd::config::{parse_daemon_config, parse_map, parse_profile};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match kind % 3 {
        0 => drop(parse_daemon_config(text, Path::new("c.yaml"))),
        1 => drop(parse_profile(text, Path::new("surfaces/p.yaml"))),
        _ => drop(parse_map(text, Path::new("maps/m.yaml"))),
    }
});
