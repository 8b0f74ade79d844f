//! A fader moved over JACK MIDI is heard exactly one period after the CC,
//! wherever the CC falls in its cycle: the daemon places each change at
//! its own offset in the next cycle instead of at the start of whichever
//! cycle comes next (which moves the latency by up to a period).
//!
//! Real components: a jackd dummy server (48 kHz, 64 frames), the daemon,
//! and two probe clients on JACK's frame clock. One test: the server name
//! is set process-wide.

mod common;
#[path = "../benches/support/midi_probe.rs"]
#[allow(dead_code)]
mod midi_probe;

use common::jack::{JackServer, jackd_available};
use common::{KillOnDrop, start_run_cmd};

const PERIOD: i64 = 64;

#[test]
fn a_cc_is_heard_one_period_later_at_every_offset_of_its_cycle() {
    if !jackd_available() {
        return;
    }
    let _jackd = JackServer::start("midi-timing");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("map.yaml"),
        "version: 1\nname: timing probe\napplies_to: [midi]\nchart: \"CC 20 on channel 1\"\ndevice: { motorized: true }\n\
         bindings:\n  - { control: fader, midi: { cc: 20 }, target: \"strip/1/fader\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "version: 1\naudio: { backend: jack }\njack: { client_name: fd-timing, connect: none }\n\
         surfaces:\n  - midi: { map: map.yaml, port: Ctl }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.yaml"),
        "version: 1\nname: timing\ntracks:\n  - { name: T, channels: stereo, source: { input: 1 } }\n",
    )
    .unwrap();
    let mut cmd = common::faderd();
    cmd.current_dir(dir.path());
    let (child, ready) = start_run_cmd(
        cmd,
        &[
            "s.yaml",
            "--config",
            "config.yaml",
            "--osc",
            "127.0.0.1:0",
            "--log",
            "error",
        ],
    );
    let _daemon = KillOnDrop(child);
    assert!(ready.contains("on the jackd "), "not on JACK: {ready}");
    std::thread::sleep(std::time::Duration::from_millis(300));

    let trials = 30;
    let lat = midi_probe::midi_latency(
        &["fd-timing:in 1".to_owned(), "fd-timing:in 2".to_owned()],
        "fd-timing:Ctl in",
        "fd-timing:Master out L",
        trials,
    );
    // Every CC is heard. A CC heard across an xrun (a period the server
    // dropped, which a virtual machine's timer makes common) is set aside
    // by the probe; of the others a loaded machine may still be late now
    // and then, nearly all must be exact.
    assert_eq!(lat.len(), trials, "CCs heard without an xrun: {lat:?}");
    let exact = lat.iter().filter(|(_, l)| *l == PERIOD).count();
    let offsets: Vec<u32> = lat
        .iter()
        .filter(|(_, l)| *l == PERIOD)
        .map(|(o, _)| *o)
        .collect();
    assert!(
        exact * 10 >= trials * 9,
        "{exact} of {trials} CCs heard exactly {PERIOD} frames later: {lat:?}"
    );
    for o in [0, 16, 32, 48, 63] {
        assert!(offsets.contains(&o), "offset {o} never exact: {lat:?}");
    }
}
