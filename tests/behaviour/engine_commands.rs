//! What one change costs the engine: a fader, pan, send or EQ move from a
//! surface is one command, however many sends and filters its strip has;
//! the same value again is none.

use crate::common;
use common::hub_and_engine;
use faderd::mixer::{Address, ClientId, Hub, Origin, Value};
use std::fmt::Write;

const TRACKS: usize = 64;
const BUSES: usize = 4;

/// 64 tracks, each with a send to every bus, an HPF, a 4-band EQ and a
/// compressor; four aux buses with effects; a master with a limiter.
fn session() -> String {
    let mut y = String::from("version: 1\nname: count\nbuses:\n");
    for b in 0..BUSES {
        let fx = if b % 2 == 0 {
            "reverb: { size: 1 }"
        } else {
            "delay: { time: 250 }"
        };
        writeln!(y, "  - {{ name: Aux{b}, kind: aux, {fx} }}").unwrap();
    }
    y.push_str("tracks:\n");
    for t in 0..TRACKS {
        let sends: Vec<String> = (0..BUSES)
            .map(|b| format!("{{ bus: Aux{b}, gain_db: -10 }}"))
            .collect();
        writeln!(
            y,
            "  - {{ name: T{t}, source: {{ input: 1 }}, gain_db: -6, pan: 0.3, sends: [{}], \
             eq: {{ hpf: {{ freq: 80 }}, bands: [{{ type: peak, freq: 300, gain: -2, q: 1 }}] }}, \
             comp: {{ threshold: -20, ratio: 3 }} }}",
            sends.join(", ")
        )
        .unwrap();
    }
    y.push_str("master: { limiter: { ceiling: -1 } }\n");
    y
}

/// Hub and engine with every command of the start-up taken by the engine.
fn settled() -> (Hub, faderd::engine::Engine) {
    let (mut hub, mut engine) = hub_and_engine(&session(), "count.yaml", 48_000, 64);
    for _ in 0..100 {
        hub.service();
        engine.process(64);
        if engine.queued_commands() == 0 {
            break;
        }
    }
    assert_eq!(engine.queued_commands(), 0, "the start-up commands drain");
    (hub, engine)
}

/// Commands `change` leaves queued for the engine.
fn commands_for(
    hub: &mut Hub,
    engine: &mut faderd::engine::Engine,
    address: &str,
    value: Value,
) -> usize {
    let origin = Origin::Client(ClientId(7));
    hub.apply(origin, Address::parse(address).unwrap(), value)
        .unwrap_or_else(|e| panic!("{address}: {e}"));
    let n = engine.queued_commands();
    engine.process(64);
    n
}

#[test]
fn one_move_of_one_control_is_one_engine_command() {
    let (mut hub, mut engine) = settled();
    for (address, value) in [
        ("strip/5/fader", Value::Float(0.31)),
        ("strip/5/gain", Value::Float(-12.5)),
        ("strip/5/pan", Value::Float(0.8)),
        ("strip/5/trim", Value::Float(3.0)),
        ("strip/5/mute", Value::Bool(true)),
        ("strip/5/send/3/gain", Value::Float(-3.0)),
        ("strip/5/send/2/pan", Value::Float(0.1)),
        ("strip/5/eq/1/gain", Value::Float(4.0)),
        ("strip/5/comp/threshold", Value::Float(-30.0)),
        ("bus/2/fader", Value::Float(0.6)),
        ("master/fader", Value::Float(0.7)),
    ] {
        let n = commands_for(&mut hub, &mut engine, address, value.clone());
        assert_eq!(
            n, 1,
            "{address} to {value:?} sent {n} commands to the engine"
        );
        let again = commands_for(&mut hub, &mut engine, address, value.clone());
        assert_eq!(
            again, 0,
            "{address} to the same {value:?} again sent {again}"
        );
    }
}

#[test]
fn a_fader_ride_is_one_command_per_step() {
    let (mut hub, mut engine) = settled();
    let mut total = 0;
    for step in 0..200 {
        let pos = 0.2 + 0.003 * f64::from(step);
        total += commands_for(&mut hub, &mut engine, "strip/40/fader", Value::Float(pos));
    }
    assert_eq!(total, 200);
}

#[test]
fn a_solo_tells_the_engine_only_about_the_strips_it_silences() {
    let (mut hub, mut engine) = settled();
    // Soloing track 1 silences the other 63 tracks (their solo gates);
    // the buses it sends to stay open, and nothing else is resent.
    let n = commands_for(&mut hub, &mut engine, "strip/1/solo", Value::Bool(true));
    assert_eq!(n, TRACKS - 1);
}

/// End to end: one `/strip/N/fader` datagram from a tablet to the running
/// daemon (dummy backend) is one setting taken by the engine, on a strip
/// with four sends, a filter, an EQ and a compressor.
#[test]
fn one_osc_fader_message_is_one_command_in_the_running_engine() {
    use common::{osc_status, run_session, status_number, wait_until};
    use std::time::Duration;
    let run = run_session(&session(), "version: 1\naudio: { backend: dummy }\n");
    let taken = || status_number(&osc_status(run.osc), "/status/engine/commands").unwrap();
    // The start-up commands are taken, and nothing else moves.
    let mut settled = taken();
    assert!(
        wait_until(Duration::from_secs(5), || {
            std::thread::sleep(Duration::from_millis(100));
            let now = taken();
            std::mem::replace(&mut settled, now) == now
        }),
        "the engine keeps taking commands with nothing moving"
    );
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for (k, pos) in [0.25f32, 0.5, 0.75].into_iter().enumerate() {
        let msg = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
            addr: "/strip/9/fader".into(),
            args: vec![rosc::OscType::Float(pos)],
        }))
        .unwrap();
        sock.send_to(&msg, ("127.0.0.1", run.osc)).unwrap();
        let want = settled + (k + 1) as f64;
        assert!(
            wait_until(Duration::from_secs(5), || taken() >= want),
            "the move reached the engine"
        );
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            taken(),
            want,
            "move {k}: one fader message, one engine command"
        );
    }
}
