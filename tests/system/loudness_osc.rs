//! Loudness and gain reduction as a tablet sees them: the daemon on the
//! dummy backend, liblo's oscdump subscribed with meters. The master's
//! loudness arrives on `/master/loudness/...`, a compressor's gain
//! reduction on `/strip/N/meter/gr`, `/master/loudness/history` answers
//! the last minute of short-term readings, and `/master/loudness/reset`
//! restarts the programme measurement and its history.

use crate::common;
use common::*;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// A 997 Hz sine at -20 dBFS, centred with the -3 dB law: -23 dBFS in each
/// channel, which BS.1770 calls -23.0 LUFS. A second strip, muted, has a
/// compressor that is switched on from the tablet (a muted strip's
/// dynamics still work, as on a console).
const SESSION: &str = r#"
version: 1
name: loudness-osc
pan_law_db: -3
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 997, level_db: -20 } }
  - name: Squashed
    source: { tone: { wave: sine, freq_hz: 200, level_db: -6 } }
    mute: true
    comp: { on: false, threshold: -30, ratio: 8, attack: 1, release: 50 }
"#;

const CONFIG: &str = "version: 1\naudio: { backend: dummy }\n";

/// The last value of `addr` seen within `window`.
fn last_value(lines: &Receiver<String>, addr: &str, window: Duration) -> Option<f64> {
    let t0 = Instant::now();
    let mut last = None;
    while let Some(left) = window.checked_sub(t0.elapsed()) {
        let Ok(l) = lines.recv_timeout(left) else {
            break;
        };
        if l.split_whitespace().any(|t| t == addr) {
            last = l.rsplit(' ').next().and_then(|v| v.parse().ok()).or(last);
        }
    }
    last
}

/// Ask `/master/loudness/history`: the short-term figures (LUFS) of its
/// reply, oldest first.
fn loudness_history(osc_port: u16) -> Vec<f32> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let ask = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/master/loudness/history".into(),
        args: vec![],
    }))
    .unwrap();
    let mut buf = [0u8; 65_536];
    let n = (0..5)
        .find_map(|_| {
            sock.send_to(&ask, ("127.0.0.1", osc_port)).unwrap();
            recv(&sock, &mut buf).ok()
        })
        .expect("a /master/loudness/history reply within 5 s");
    let mut msgs = Vec::new();
    flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
    match msgs.as_slice() {
        [(addr, rosc::OscType::Blob(b))] if addr == "/master/loudness/history" => b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        other => panic!("the history reply: {other:?}"),
    }
}

#[test]
fn a_tablet_sees_the_master_loudness_and_gain_reduction() {
    if !liblo_tools_available() {
        return;
    }
    let run = run_session(SESSION, CONFIG);
    let (_dump, lines) = osc_subscriber_opts(run.osc, 19641, true);

    // After 4 s the 3 s window is full of the tone.
    std::thread::sleep(Duration::from_secs(3));
    let short = last_value(
        &lines,
        "/master/loudness/short_term",
        Duration::from_millis(1500),
    )
    .expect("short-term loudness arrives");
    let status = osc_status(run.osc);
    let figure = |name: &str| -> f64 {
        let addr = format!("/master/loudness/{name}");
        match status.iter().find(|(a, _)| *a == addr) {
            Some((_, rosc::OscType::Float(x))) => f64::from(*x),
            other => panic!("{addr} in /status: {other:?}"),
        }
    };
    println!(
        "short-term {short}, status: M {} I {} TP {}",
        figure("momentary"),
        figure("integrated"),
        figure("true_peak")
    );
    assert!((short + 23.0).abs() < 0.1, "short-term {short} LUFS");
    assert!((figure("integrated") + 23.0).abs() < 0.1);
    assert!((figure("momentary") + 23.0).abs() < 0.1);
    assert!((figure("true_peak") + 23.0).abs() < 0.1);

    // The history: a reading every 0.5 s since the start, filling up over
    // the first 3 s (the window counts the time before as silence), then
    // the tone's -23.
    let history = loudness_history(run.osc);
    println!("history: {history:?}");
    assert!(
        (6..=24).contains(&history.len()),
        "{} readings after about 4 s: {history:?}",
        history.len()
    );
    assert!(
        (history[history.len() - 1] + 23.0).abs() < 0.2,
        "{history:?}"
    );
    assert!(
        history[0] < -29.0,
        "the first reading, at 0.5 s: {history:?}"
    );
    assert!(
        history.windows(2).take(5).all(|w| w[1] > w[0]),
        "the window filling: {history:?}"
    );

    // Switch the compressor in: its gain reduction shows.
    oscsend(run.osc, &["/strip/2/comp/on", "i", "1"]);
    let gr = last_value(&lines, "/strip/2/meter/gr", Duration::from_millis(800))
        .expect("gain reduction arrives");
    println!("gain reduction {gr} dB");
    // -6 dBFS peak, threshold -30, 8:1: about 21 dB on peaks.
    assert!(gr < -15.0, "gain reduction {gr}");

    // Silence the mix and restart the measurement: nothing is integrated
    // (silence is below the absolute gate).
    oscsend(run.osc, &["/strip/1/mute", "i", "1"]);
    std::thread::sleep(Duration::from_millis(600));
    oscsend(run.osc, &["/master/loudness/reset", "i", "1"]);
    std::thread::sleep(Duration::from_millis(800));
    let after = osc_status(run.osc);
    let integrated = after
        .iter()
        .find(|(a, _)| a == "/master/loudness/integrated")
        .map(|(_, v)| v.clone());
    assert_eq!(
        integrated,
        Some(rosc::OscType::Float(f32::NEG_INFINITY)),
        "integrated after a reset in silence"
    );
    // The history starts again too, from silence.
    let history = loudness_history(run.osc);
    assert!(history.len() <= 3, "{history:?}");
    assert!(
        history.iter().all(|l| *l == f32::NEG_INFINITY),
        "{history:?}"
    );
}
