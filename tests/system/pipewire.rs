//! faderd on PipeWire through its normal `auto` backend, with no `pw-jack`
//! wrapper: a private headless PipeWire (pipewire, wireplumber, a null
//! sink), a tone through a track recorded from the sink at the fader's
//! level, the period asked for granted, a quantum change and a rate change
//! on the running graph, and a PipeWire restart after which the mix plays
//! again as it was; and a faderd started before PipeWire joins it when it
//! starts.

use crate::common;
use common::pipewire::{PipeWire, SINK, peak_of_last, pipewire_available};
use common::*;
use std::time::{Duration, Instant};

/// A 1 kHz sine at -20 dBFS peak through a mono track, centred (the
/// constant-power law: -3 dB a side).
const SESSION: &str = r#"
version: 1
name: pipewire
tracks:
  - { name: Tone, source: { tone: { wave: sine, freq_hz: 1000, level_db: -20 } }, gain_db: -6 }
"#;

fn config() -> String {
    config_for("fd-pw")
}

fn config_for(client: &str) -> String {
    format!(
        "version: 1\naudio: {{ backend: auto, period_frames: 128 }}\njack:\n  client_name: {client}\n  connect: none\n  connections:\n    - {{ port: Master out L, to: \"{SINK}:playback_FL\" }}\n    - {{ port: Master out R, to: \"{SINK}:playback_FR\" }}\n"
    )
}

/// Peak of a side for the track at `gain_db`.
fn side_peak(gain_db: f64) -> f64 {
    db(-20.0) * db(gain_db) * std::f64::consts::FRAC_PI_4.cos()
}

fn send(osc: u16, addr: &str, value: f32) {
    let msg = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args: vec![rosc::OscType::Float(value)],
    }))
    .unwrap();
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&msg, ("127.0.0.1", osc)).unwrap();
}

/// Wait until `/status` shows `addr` = `want`.
fn wait_status(osc: u16, addr: &str, want: f64, within: Duration) -> Vec<(String, rosc::OscType)> {
    let mut st = Vec::new();
    wait_until(within, || {
        st = osc_status(osc);
        status_number(&st, addr) == Some(want)
    });
    st
}

/// Record the sink and check both sides' peak against the fader's level
/// (within 0.1 dB: at 44.1 kHz a 1 kHz sine's samples miss its peak by at
/// most 0.02 dB).
fn assert_sink_level(pw: &PipeWire, rate: u32, gain_db: f64, what: &str) {
    let want = side_peak(gain_db);
    let mut last = (0.0, 0.0);
    // A graph that has just changed may need a moment: three tries.
    for _ in 0..3 {
        let (l, r) = pw.record_sink(1.2, rate);
        let n = rate as usize / 2;
        last = (peak_of_last(&l, n), peak_of_last(&r, n));
        let off = |x: f64| (20.0 * (x / want).log10()).abs();
        if off(last.0) < 0.1 && off(last.1) < 0.1 {
            return;
        }
    }
    panic!("{what}: the sink heard peaks {last:?}, want {want:.5} on both sides");
}

#[test]
fn a_mix_on_pipewire_reaches_the_sink_and_survives_quantum_rate_and_restart() {
    let _turn = heavy_turn();
    if !pipewire_available() {
        return;
    }
    let mut pw = PipeWire::start("mix");
    let mut cmd = faderd();
    pw.environ(&mut cmd);
    let run = run_session_with(cmd, SESSION, &config());
    let (ready, osc) = (run.ready.clone(), run.osc);

    // `auto` joined PipeWire on its own, said so, and got its period.
    assert!(
        ready.contains("on the PipeWire 0.") || ready.contains("on the PipeWire 1."),
        "{ready}"
    );
    assert!(
        ready.contains("client 'fd-pw', 48000 Hz / 128 frames"),
        "{ready}"
    );
    assert!(pw.wait_port("fd-pw:Master out L", Duration::from_secs(3)));
    let st = osc_status(osc);
    assert_eq!(status_number(&st, "/status/audio/period"), Some(128.0));
    assert_eq!(status_number(&st, "/status/audio/rate"), Some(48000.0));

    // The tone at the fader's level, then a surface moves the fader.
    assert_sink_level(&pw, 48000, -6.0, "at start");
    send(osc, "/strip/1/gain", -12.0);
    assert_sink_level(&pw, 48000, -12.0, "after the fader move");

    // The graph's quantum changes under the running client.
    pw.set_setting("clock.force-quantum", "256");
    let st = wait_status(osc, "/status/audio/period", 256.0, Duration::from_secs(3));
    assert_eq!(status_number(&st, "/status/audio/period"), Some(256.0));
    assert_sink_level(&pw, 48000, -12.0, "after a quantum change to 256");

    // The graph's rate changes: the engine is rebuilt at the new rate.
    pw.set_setting("clock.force-rate", "44100");
    let st = wait_status(osc, "/status/audio/rate", 44100.0, Duration::from_secs(5));
    assert_eq!(status_number(&st, "/status/audio/rate"), Some(44100.0));
    assert_sink_level(&pw, 44100, -12.0, "after a rate change to 44.1 kHz");

    // PipeWire restarts. faderd notices (PipeWire sends its JACK clients
    // no shutdown notice: the watchdog does), keeps the mix, and plays it
    // again when PipeWire is back.
    let t_stop = Instant::now();
    pw.stop_server();
    let st = wait_status(osc, "/status/audio", 0.0, Duration::from_secs(5));
    assert_eq!(
        status_number(&st, "/status/audio"),
        Some(0.0),
        "faderd did not notice PipeWire going away: {st:?}"
    );
    let detected = t_stop.elapsed();
    send(osc, "/strip/1/gain", -9.0); // moved while the server is away
    pw.start_server();
    let t_back = Instant::now();
    let st = wait_status(osc, "/status/audio", 1.0, Duration::from_secs(5));
    assert_eq!(status_number(&st, "/status/audio"), Some(1.0), "{st:?}");
    assert!(status_number(&st, "/status/audio/reconnects") >= Some(1.0));
    assert_sink_level(&pw, 48000, -9.0, "after the PipeWire restart");
    let flowing = t_back.elapsed();
    eprintln!(
        "PipeWire gone noticed after {:.2} s; audio at the fader's level {:.2} s after PipeWire was back",
        detected.as_secs_f64(),
        flowing.as_secs_f64()
    );
    // Noticing within the watchdog's second (plus the status poll), and
    // the mix back within 5 s (the first recording alone takes 1.2 s).
    assert!(detected < Duration::from_secs(3), "{detected:?}");
    assert!(flowing < Duration::from_secs(5), "{flowing:?}");
    let mut daemon = run.child;
    assert_eq!(terminate(&mut daemon.0).code(), Some(0));
}

#[test]
fn auto_started_before_pipewire_joins_it_when_it_starts() {
    let _turn = heavy_turn();
    if !pipewire_available() {
        return;
    }
    let mut pw = PipeWire::prepare("late");
    let mut cmd = faderd();
    pw.environ(&mut cmd);
    let run = run_session_with(cmd, SESSION, &config_for("fd-late"));
    assert!(
        run.ready
            .contains("dummy backend (auto: no JACK server or PipeWire running yet"),
        "{}",
        run.ready
    );
    pw.start_server();
    let t0 = Instant::now();
    assert!(
        pw.wait_port("fd-late:Master out L", Duration::from_secs(5)),
        "faderd did not join PipeWire:\n{}",
        pw.ports()
    );
    eprintln!(
        "joined PipeWire {:.2} s after it was up",
        t0.elapsed().as_secs_f64()
    );
    let st = wait_status(
        run.osc,
        "/status/audio/period",
        128.0,
        Duration::from_secs(3),
    );
    assert_eq!(status_number(&st, "/status/audio/period"), Some(128.0));
    assert_sink_level(&pw, 48000, -6.0, "after joining PipeWire");
    let mut daemon = run.child;
    assert_eq!(terminate(&mut daemon.0).code(), Some(0));
}
