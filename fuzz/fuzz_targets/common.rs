//! What the targets share: a small real hub, and a byte stream cut into
//! messages (a length byte, then that many bytes).

use faderd::config::parse_session;
use faderd::engine::EngineConfig;
use faderd::mixer::{ClipStore, Hub};
use std::path::Path;

/// A hub over 10 tracks (two banks of a Mackie unit), a group, an aux
/// with a delay, and sends: every kind of strip a surface can reach.
pub fn hub() -> Hub {
    let mut y = String::from(
        "version: 1\nname: fuzz\nbuses:\n  - { name: G, kind: group }\n  - { name: D, kind: aux, delay: { time: 250 } }\ntracks:\n",
    );
    for t in 1..=10 {
        y.push_str(&format!(
            "  - {{ name: T{t}, output: G, sends: [{{ bus: D, gain_db: -10 }}] }}\n"
        ));
    }
    let s = parse_session(&y, Path::new("fuzz.yaml")).expect("the fuzz session parses");
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 2,
        outputs: 2,
    };
    Hub::new(s, ClipStore::new(), cfg).expect("the fuzz hub builds").0
}

/// `data` cut into messages: each is a length byte and that many bytes
/// (the last may be short).
#[allow(dead_code)] // not every target reads messages
pub fn messages(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (&n, rest) = data.split_first()?;
        let n = usize::from(n).min(rest.len());
        let (m, rest) = rest.split_at(n);
        data = rest;
        Some(m)
    })
}
