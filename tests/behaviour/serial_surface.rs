//! A serial fader board's surface logic on the real hub, message by
//! message: the handshake and its retries, the fader law on gain targets,
//! encoders, buttons and banks, LEDs, the echo rules and map errors. The
//! wire itself (framing, the port, unplugging) is in serial_board.rs.

use fader_link::{FromBoard, POSITION_MAX, ToBoard, caps};
use faderd::config::{parse_map, parse_profile};
use faderd::dsp::{db_to_pos, pos_to_db};
use faderd::mixer::{Address, ClientId, Hub, Origin, Param, StripRef, Value};
use faderd::surfaces::serial::{HELLO_INTERVAL, PING_INTERVAL, SerialSurface};
use std::path::Path;
use std::time::{Duration, Instant};

fn hub(tracks: usize) -> Hub {
    let mut y = String::from("version: 1\nname: s\ntracks:\n");
    for t in 1..=tracks {
        y.push_str(&format!("  - {{ name: T{t}, gain_db: -{t} }}\n"));
    }
    crate::common::hub_and_engine(&y, "s.yaml", 48_000, 64).0
}

const PROFILE: &str = include_str!("../../surfaces/serial/diy-4-fader.yaml");

fn surface(map: &str) -> Result<SerialSurface, String> {
    let p = parse_profile(PROFILE, Path::new("p.yaml")).unwrap();
    let m = parse_map(map, Path::new("m.yaml")).map_err(|e| e.to_string())?;
    SerialSurface::new(&p, &m, ClientId(7000)).map_err(|e| e.to_string())
}

fn shipped() -> SerialSurface {
    surface(include_str!("../../maps/serial-fader-board.yaml")).unwrap()
}

fn hello(capabilities: u8) -> FromBoard {
    FromBoard::HelloReply {
        version: 1,
        firmware: [1, 2, 3],
        faders: 4,
        resolution_bits: 12,
        capabilities,
        buttons: 6,
        encoders: 4,
        leds: 4,
    }
}

/// A surface past its handshake, with the first tick's output.
fn online(s: &mut SerialSurface, hub: &mut Hub, capabilities: u8) -> (Instant, Vec<ToBoard>) {
    let t0 = Instant::now();
    s.connect(t0);
    s.handle(hub, hello(capabilities), t0);
    let out = s.tick(hub, t0);
    (t0, out)
}

/// What the board is sent for the hub's changes since the last call: the
/// change set shown to the surface, then its tick.
fn feedback(s: &mut SerialSurface, hub: &mut Hub, at: Instant) -> Vec<ToBoard> {
    let changes = hub.take_feedback();
    let mut out = s.show(hub, &changes, at);
    out.extend(s.tick(hub, at));
    out
}

fn strip(n: usize, p: Param) -> Address {
    Address::new(StripRef::Track(n - 1), p)
}

fn setpoints(out: &[ToBoard]) -> Vec<(u8, u16)> {
    out.iter()
        .filter_map(|m| match m {
            ToBoard::SetFader { index, position } => Some((*index, *position)),
            _ => None,
        })
        .collect()
}

fn pos14(x: f64) -> u16 {
    (x * f64::from(POSITION_MAX)).round() as u16
}

#[test]
fn hello_is_repeated_until_the_board_answers_then_every_motor_is_set() {
    let mut hub = hub(6);
    let mut s = shipped();
    let t0 = Instant::now();
    assert_eq!(s.connect(t0), vec![ToBoard::Hello { version: 1 }]);
    assert!(s.tick(&hub, t0 + Duration::from_millis(500)).is_empty());
    assert_eq!(
        s.tick(&hub, t0 + HELLO_INTERVAL),
        vec![ToBoard::Hello { version: 1 }],
        "a board that reset when its port opened gets hello again"
    );
    // A board of another protocol version is not talked to.
    let mut wrong = hello(caps::TOUCH);
    if let FromBoard::HelloReply { version, .. } = &mut wrong {
        *version = 2;
    }
    s.handle(&mut hub, wrong, t0);
    assert_eq!(s.board(), None);
    let t1 = t0 + HELLO_INTERVAL * 2;
    s.handle(&mut hub, hello(caps::TOUCH), t1);
    assert_eq!(s.board().map(|b| b.firmware), Some([1, 2, 3]));
    let out = s.tick(&hub, t1);
    assert!(out.contains(&ToBoard::Ping { seq: 1 }), "{out:?}");
    // Tracks 1..4 at -1..-4 dB: each motor where its fader is.
    let want: Vec<(u8, u16)> = (0..4u8)
        .map(|i| (i, pos14(db_to_pos(-f64::from(i + 1)))))
        .collect();
    assert_eq!(setpoints(&out), want);
    // Nothing changed: nothing re-sent.
    assert!(setpoints(&s.tick(&hub, t1 + Duration::from_millis(50))).is_empty());
}

#[test]
fn a_silent_board_is_greeted_again() {
    let mut hub = hub(4);
    let mut s = shipped();
    let (t0, _) = online(&mut s, &mut hub, caps::TOUCH);
    s.handle(&mut hub, FromBoard::Pong { seq: 1 }, t0 + PING_INTERVAL);
    assert!(s.board().is_some());
    let out = s.tick(&hub, t0 + PING_INTERVAL * 4 + Duration::from_millis(1));
    assert_eq!(out, vec![ToBoard::Hello { version: 1 }]);
    assert_eq!(s.board(), None);
}

#[test]
fn a_gain_fader_moves_along_the_fader_law_both_ways() {
    let map = r#"version: 1
name: gains
applies_to: [serial/*]
bank: { size: 4 }
bindings:
  - { control: "fader[1]", target: "strip/1/gain" }
  - { control: "fader[2]", target: "strip/2/trim" }
"#;
    let mut hub = hub(2);
    let mut s = surface(map).unwrap();
    let (t0, out) = online(&mut s, &mut hub, caps::TOUCH);
    // -1 dB shown where the fader law puts it; trim 0 dB in the middle.
    assert_eq!(
        setpoints(&out),
        vec![(0, pos14(db_to_pos(-1.0))), (1, pos14(0.5))]
    );
    s.handle(&mut hub, FromBoard::Touch { index: 0, on: true }, t0);
    s.handle(
        &mut hub,
        FromBoard::Position {
            index: 0,
            position: 4000,
        },
        t0,
    );
    let Ok(Value::Float(db)) = hub.get(strip(1, Param::Gain)) else {
        panic!()
    };
    let want = pos_to_db(4000.0 / f64::from(POSITION_MAX));
    assert!((db - want).abs() < 1e-9, "{db} vs {want}");
    s.handle(
        &mut hub,
        FromBoard::Position {
            index: 1,
            position: POSITION_MAX,
        },
        t0,
    );
    assert_eq!(hub.get(strip(2, Param::Trim)), Ok(Value::Float(20.0)));
}

#[test]
fn no_setpoint_reaches_a_touched_fader_and_release_puts_it_where_the_mix_is() {
    let mut hub = hub(4);
    let mut s = shipped();
    let (t0, _) = online(&mut s, &mut hub, caps::TOUCH);
    s.handle(&mut hub, FromBoard::Touch { index: 0, on: true }, t0);
    for (k, p) in [9000u16, 9100, 9200].into_iter().enumerate() {
        let t = t0 + Duration::from_millis(20 * k as u64);
        s.handle(
            &mut hub,
            FromBoard::Position {
                index: 0,
                position: p,
            },
            t,
        );
        assert!(
            setpoints(&feedback(&mut s, &mut hub, t)).is_empty(),
            "echoed to the hand"
        );
    }
    // Someone else moves it while the hand is on it: still nothing.
    hub.apply(
        Origin::Client(ClientId(1)),
        strip(1, Param::Fader),
        Value::Float(0.25),
    )
    .unwrap();
    let t = t0 + Duration::from_millis(100);
    assert!(setpoints(&s.tick(&hub, t)).is_empty());
    // Released: the motor goes where the mix is.
    s.handle(
        &mut hub,
        FromBoard::Touch {
            index: 0,
            on: false,
        },
        t,
    );
    assert_eq!(setpoints(&s.tick(&hub, t)), vec![(0, pos14(0.25))]);
    // A position equal to the setpoint is the motor arriving: not a move.
    let before = hub.take_feedback().len();
    assert!(before > 0);
    s.handle(
        &mut hub,
        FromBoard::Position {
            index: 0,
            position: pos14(0.25),
        },
        t,
    );
    assert!(hub.take_feedback().is_empty());
}

#[test]
fn setpoints_are_rate_bounded_per_fader() {
    let mut hub = hub(4);
    let mut s = shipped();
    let (t0, _) = online(&mut s, &mut hub, caps::TOUCH);
    // Automation-like stream: a new value every millisecond for 100 ms.
    let mut sent = 0;
    for ms in 1..=100u64 {
        hub.apply(
            Origin::Daemon,
            strip(1, Param::Fader),
            Value::Float(0.2 + 0.005 * ms as f64),
        )
        .unwrap();
        sent += setpoints(&feedback(&mut s, &mut hub, t0 + Duration::from_millis(ms))).len();
    }
    assert!((9..=11).contains(&sent), "{sent} setpoints in 100 ms");
}

#[test]
fn buttons_toggle_and_bank_and_leds_follow() {
    let mut hub = hub(10);
    let mut s = shipped();
    let (t0, out) = online(&mut s, &mut hub, caps::TOUCH | caps::BUTTONS | caps::LEDS);
    assert!(out.contains(&ToBoard::SetLed { index: 0, state: 0 }));
    let press = |s: &mut SerialSurface, hub: &mut Hub, i: u8| {
        s.handle(
            hub,
            FromBoard::Button {
                index: i,
                pressed: true,
            },
            t0,
        );
        s.handle(
            hub,
            FromBoard::Button {
                index: i,
                pressed: false,
            },
            t0,
        );
    };
    press(&mut s, &mut hub, 1);
    assert_eq!(hub.get(strip(2, Param::Mute)), Ok(Value::Bool(true)));
    let out = feedback(&mut s, &mut hub, t0 + Duration::from_millis(20));
    assert_eq!(out, vec![ToBoard::SetLed { index: 1, state: 1 }]);
    // Button 6 banks right: the faders now show tracks 5..8.
    press(&mut s, &mut hub, 5);
    assert_eq!(s.bank(), 4);
    let out = feedback(&mut s, &mut hub, t0 + Duration::from_millis(40));
    let want: Vec<(u8, u16)> = (0..4u8)
        .map(|i| (i, pos14(db_to_pos(-f64::from(i + 5)))))
        .collect();
    assert_eq!(setpoints(&out), want);
    assert!(out.contains(&ToBoard::SetLed { index: 1, state: 0 }));
    press(&mut s, &mut hub, 0);
    assert_eq!(hub.get(strip(5, Param::Mute)), Ok(Value::Bool(true)));
    // Button 5 banks back.
    press(&mut s, &mut hub, 4);
    assert_eq!(s.bank(), 0);
}

#[test]
fn encoders_step_evenly_and_return_exactly() {
    let mut hub = hub(4);
    let mut s = shipped();
    let (t0, _) = online(&mut s, &mut hub, caps::TOUCH | caps::ENCODERS);
    let pan = strip(3, Param::Pan);
    for _ in 0..5 {
        s.handle(&mut hub, FromBoard::Encoder { index: 2, delta: 3 }, t0);
    }
    let Ok(Value::Float(p)) = hub.get(pan) else {
        panic!()
    };
    assert!((p - (0.5 + 15.0 / 63.0)).abs() < 1e-9, "{p}");
    s.handle(
        &mut hub,
        FromBoard::Encoder {
            index: 2,
            delta: -15,
        },
        t0,
    );
    let Ok(Value::Float(p)) = hub.get(pan) else {
        panic!()
    };
    assert!((p - 0.5).abs() < 1e-9, "{p}");
}

#[test]
fn a_numbered_control_wins_over_a_template_and_bad_maps_say_why() {
    let map = |extra: &str| {
        format!(
            "version: 1\nname: m\napplies_to: [serial/*]\nbank: {{ size: 4 }}\nbindings:\n  - {{ control: \"fader[n]\", target: \"strip/B{{n}}/fader\" }}\n{extra}"
        )
    };
    let mut hub = hub(8);
    let mut s = surface(&map(
        "  - { control: \"fader[2]\", target: \"strip/8/pan\" }\n",
    ))
    .unwrap();
    let (t0, _) = online(&mut s, &mut hub, caps::TOUCH);
    s.handle(
        &mut hub,
        FromBoard::Position {
            index: 1,
            position: 0,
        },
        t0,
    );
    assert_eq!(hub.get(strip(8, Param::Pan)), Ok(Value::Float(0.0)));
    assert_ne!(hub.get(strip(2, Param::Fader)), Ok(Value::Float(0.0)));

    let e = surface(&map(
        "  - { control: \"knob[1]\", target: \"strip/1/pan\" }\n",
    ))
    .unwrap_err();
    assert!(
        e.contains("map 'm': 'knob[1]' is not a serial board control"),
        "{e}"
    );
    let e = surface(&map("  - { control: \"button[1]\", action: flip }\n")).unwrap_err();
    assert!(e.contains("'button[1]' runs 'flip'"), "{e}");
}
