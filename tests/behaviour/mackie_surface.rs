//! The Mackie surface's state machine against the real hub: handshakes,
//! banking across a main unit and an extender, the motor-fader rules
//! (echo, no driving a touched fader, no duplicates, release goes where the
//! mix is), scribble strips, meters only on change, flip, views and the
//! automation buttons. Every message it emits is decoded with the codec, as
//! a surface would.

use faderd::config::{load_map, load_profile, parse_session};
use faderd::engine::{EngineConfig, MeterReading};
use faderd::mixer::{
    Address, ClientId, ClipStore, Hub, MeterFrame, Origin, Param, StripRef, Value,
};
use faderd::model::AutomationMode;
use faderd::surfaces::mackie::codec::{
    self, FromSurface, LedState, MeterValue, ToSurface, decode_to_surface, device,
    encode_from_surface, note,
};
use faderd::surfaces::mackie::{MackieSurface, MidiOut, UnitConfig, VPotView};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const MAIN: u8 = 0;
const EXT: u8 = 1;

fn session(tracks: usize) -> Hub {
    let mut y =
        String::from("version: 1\nname: m\nbuses:\n  - { name: Verb, kind: aux }\ntracks:\n");
    for t in 1..=tracks {
        writeln!(
            y,
            "  - {{ name: T{t}, source: {{ input: 1 }}, gain_db: -{t}, sends: [{{ bus: Verb, gain_db: -20 }}] }}"
        )
        .unwrap();
    }
    let s = parse_session(&y, Path::new("m.yaml")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 2,
        outputs: 2,
    };
    Hub::new(s, ClipStore::new(), cfg).unwrap().0
}

fn surface(profiles: &[&str]) -> MackieSurface {
    let units = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| UnitConfig {
            profile: load_profile(Path::new(&format!("surfaces/mackie/{p}.yaml"))).unwrap(),
            port: i as u8,
        })
        .collect();
    let map = load_map(Path::new("maps/mackie.yaml")).unwrap();
    MackieSurface::new(units, &map, ClientId(7000)).unwrap()
}

fn decoded(out: &[MidiOut], port: u8) -> Vec<ToSurface> {
    out.iter()
        .filter(|m| m.port == port)
        .map(|m| decode_to_surface(&m.bytes).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn send(s: &mut MackieSurface, hub: &mut Hub, port: u8, m: FromSurface) -> Vec<MidiOut> {
    s.handle(hub, port, &encode_from_surface(&m), Instant::now())
}

fn hello(dev: u8) -> FromSurface {
    FromSurface::ConnectionQuery {
        device: dev,
        serial: *b"EMULATE",
        challenge: [1, 2, 3, 4],
    }
}

fn tick(s: &mut MackieSurface, hub: &mut Hub, at: Instant) -> Vec<MidiOut> {
    hub.service();
    let changed = hub.take_feedback();
    let mut out = s.show(hub, &changed, at);
    out.extend(s.tick(hub, &MeterFrame::default(), at));
    out
}

/// An X-Touch and an extender, both online and drawn.
fn online(tracks: usize) -> (MackieSurface, Hub, Vec<MidiOut>) {
    let mut hub = session(tracks);
    let mut s = surface(&["x-touch", "x-touch-extender"]);
    let now = Instant::now();
    let mut out = s.connect(MAIN, now);
    out.extend(s.connect(EXT, now));
    assert_eq!(
        decoded(&out, MAIN),
        vec![ToSurface::DeviceQuery {
            device: device::MCU
        }]
    );
    assert_eq!(
        decoded(&out, EXT),
        vec![ToSurface::DeviceQuery {
            device: device::MCU_XT
        }]
    );
    // Nothing is drawn before the handshake.
    assert!(tick(&mut s, &mut hub, now).is_empty());
    send(&mut s, &mut hub, MAIN, hello(device::MCU));
    send(&mut s, &mut hub, EXT, hello(device::MCU_XT));
    assert!(s.is_online(MAIN) && s.is_online(EXT));
    let drawn = tick(&mut s, &mut hub, now);
    (s, hub, drawn)
}

fn lcd_text(msgs: &[ToSurface], line: usize) -> String {
    let mut cells = [b' '; 112];
    for m in msgs {
        if let ToSurface::Lcd { offset, text, .. } = m {
            for (i, c) in text.iter().enumerate() {
                if let Some(slot) = cells.get_mut(usize::from(*offset) + i) {
                    *slot = *c;
                }
            }
        }
    }
    String::from_utf8_lossy(&cells[line * 56..line * 56 + 56]).into_owned()
}

/// Press and release Name/Value (the lower line shows the master's
/// loudness); its note.
fn press_name_value(s: &mut MackieSurface, hub: &mut Hub) -> u8 {
    let nv = codec::button_note("name_value").unwrap();
    for pressed in [true, false] {
        send(s, hub, MAIN, FromSurface::Button { note: nv, pressed });
    }
    nv
}

fn faders(msgs: &[ToSurface]) -> Vec<(u8, u16)> {
    msgs.iter()
        .filter_map(|m| match m {
            ToSurface::Fader { fader, value } => Some((*fader, *value)),
            _ => None,
        })
        .collect()
}

#[test]
fn handshake_then_a_whole_surface_is_drawn_across_both_units() {
    let (_s, hub, drawn) = online(20);
    let main = decoded(&drawn, MAIN);
    let ext = decoded(&drawn, EXT);
    let names_main = lcd_text(&main, 0);
    let names_ext = lcd_text(&ext, 0);
    assert!(names_main.starts_with("T1     T2     T3"), "{names_main:?}");
    assert!(names_ext.starts_with("T9     T10    T11"), "{names_ext:?}");
    // Faders at the mix's positions: T1 at -1 dB.
    let pos = |db: f64| codec::pos_to_fader(faderd::dsp::db_to_pos(db));
    assert!(
        faders(&main).contains(&(0, pos(-1.0))),
        "{:?}",
        faders(&main)
    );
    assert!(
        faders(&ext).contains(&(7, pos(-16.0))),
        "{:?}",
        faders(&ext)
    );
    // Master fader only on the main unit.
    assert!(faders(&main).iter().any(|(f, _)| *f == 8));
    assert!(!faders(&ext).iter().any(|(f, _)| *f == 8));
    // Colours, pan rings, the view on the assignment display.
    assert!(main.iter().any(|m| matches!(m, ToSurface::Colours { .. })));
    assert!(
        main.iter()
            .any(|m| matches!(m, ToSurface::Ring { pot: 0, ring } if ring.centre))
    );
    assert!(main.iter().any(|m| matches!(
        m,
        ToSurface::AssignmentDigit {
            digit: 1,
            code: 0x10,
            ..
        }
    )));
    assert_eq!(hub.session().tracks.len(), 20);
}

#[test]
fn logic_control_is_answered_with_the_challenge_response() {
    let mut hub = session(2);
    let mut s = surface(&["logic-control"]);
    s.connect(MAIN, Instant::now());
    let out = send(&mut s, &mut hub, MAIN, hello(device::LOGIC_CONTROL));
    assert_eq!(
        decoded(&out, MAIN),
        vec![ToSurface::ConnectionReply {
            device: device::LOGIC_CONTROL,
            serial: *b"EMULATE",
            response: codec::challenge_response([1, 2, 3, 4]),
        }]
    );
    assert!(!s.is_online(MAIN));
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::ConnectionConfirmed {
            device: device::LOGIC_CONTROL,
            serial: *b"EMULATE",
        },
    );
    assert!(s.is_online(MAIN));
    // A unit without a handshake is up on its first message.
    let mut s = surface(&["icon-platform-m-plus"]);
    assert!(s.connect(MAIN, Instant::now()).is_empty());
    assert!(s.is_online(MAIN));
}

#[test]
fn banking_moves_sixteen_strips_at_a_time_and_channel_by_one() {
    let (mut s, mut hub, _) = online(20);
    let press = |s: &mut MackieSurface, hub: &mut Hub, name: &str| {
        let n = codec::button_note(name).unwrap();
        send(
            s,
            hub,
            MAIN,
            FromSurface::Button {
                note: n,
                pressed: true,
            },
        );
        send(
            s,
            hub,
            MAIN,
            FromSurface::Button {
                note: n,
                pressed: false,
            },
        );
    };
    press(&mut s, &mut hub, "bank_right");
    assert_eq!(s.bank(), 16);
    let out = tick(&mut s, &mut hub, Instant::now());
    let main = decoded(&out, MAIN);
    // 20 tracks + 1 bus: the main unit shows T17..T20 and Verb, the rest blank.
    assert!(lcd_text(&main, 0).starts_with("T17    T18    T19    T20    Verb          "));
    let ext = decoded(&out, EXT);
    assert_eq!(lcd_text(&ext, 0).trim(), "");
    assert!(faders(&ext).iter().all(|(_, v)| *v == 0));
    // No further bank to the right.
    press(&mut s, &mut hub, "bank_right");
    assert_eq!(s.bank(), 16);
    press(&mut s, &mut hub, "channel_left");
    assert_eq!(s.bank(), 15);
    press(&mut s, &mut hub, "bank_left");
    assert_eq!(s.bank(), 0);
}

#[test]
fn motor_faders_are_echoed_held_while_touched_and_never_sent_twice() {
    let (mut s, mut hub, _) = online(8);
    let t0 = Instant::now();
    // A move on strip 3 is echoed at once and reaches the mix.
    let out = send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Touch { fader: 2, on: true },
    );
    assert!(out.is_empty());
    let out = send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Fader {
            fader: 2,
            value: 8192,
        },
    );
    assert_eq!(
        decoded(&out, MAIN),
        vec![ToSurface::Fader {
            fader: 2,
            value: 8192
        }]
    );
    let fader = Address::new(StripRef::Track(2), Param::Fader);
    let Value::Float(p) = hub.get(fader).unwrap() else {
        panic!()
    };
    assert!((p - codec::fader_to_pos(8192)).abs() < 1e-12);
    // The next tick has nothing for that fader: it shows the hand's value.
    let out = tick(&mut s, &mut hub, t0);
    assert!(
        faders(&decoded(&out, MAIN)).iter().all(|(f, _)| *f != 2),
        "{out:?}"
    );
    // Another surface moves it while the finger is on it: nothing is sent.
    hub.apply(Origin::Client(ClientId(1)), fader, Value::Float(0.2))
        .unwrap();
    let out = tick(&mut s, &mut hub, t0);
    assert!(faders(&decoded(&out, MAIN)).is_empty(), "{out:?}");
    // But its value shows on the lower line.
    assert!(
        lcd_text(&decoded(&out, MAIN), 1).contains("-38.0"),
        "{out:?}"
    );
    // Released: the fader goes where the mix says, once.
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Touch {
            fader: 2,
            on: false,
        },
    );
    let out = tick(&mut s, &mut hub, t0);
    assert_eq!(
        faders(&decoded(&out, MAIN)),
        vec![(2, codec::pos_to_fader(0.2))]
    );
    let out = tick(&mut s, &mut hub, t0);
    assert!(faders(&decoded(&out, MAIN)).is_empty());
}

#[test]
fn meters_are_sent_on_change_and_silence_once() {
    let (mut s, mut hub, drawn) = online(8);
    let meters = |out: &[MidiOut]| -> Vec<(u8, MeterValue)> {
        decoded(out, MAIN)
            .into_iter()
            .filter_map(|m| match m {
                ToSurface::Meter { strip, value } => Some((strip, value)),
                _ => None,
            })
            .collect()
    };
    // The first draw sets every meter to 0, once.
    assert_eq!(meters(&drawn).len(), 8);
    let mut at = Instant::now();
    for _ in 0..50 {
        at += Duration::from_millis(20);
        let out = tick(&mut s, &mut hub, at);
        assert!(meters(&out).is_empty(), "silence re-sent: {out:?}");
    }
    // A signal on strip 1 at -6 dBFS (segment 8, the -8 dB one): one message, then only the refresh the
    // device needs to keep it lit (every 300 ms), not every tick.
    let frame = MeterFrame {
        readings: vec![(
            StripRef::Track(0),
            MeterReading {
                peak: [0.5, 0.5],
                rms: [0.0; 2],
                ..MeterReading::default()
            },
        )],
    };
    let mut sent = Vec::new();
    for _ in 0..50 {
        at += Duration::from_millis(20);
        hub.service();
        sent.extend(meters(&s.tick(&hub, &frame, at)));
    }
    assert!(
        sent.iter().all(|m| *m == (0, MeterValue::Level(8))),
        "{sent:?}"
    );
    assert!(
        (3..=5).contains(&sent.len()),
        "1 s of a steady level sent {} times",
        sent.len()
    );
}

#[test]
fn flip_puts_the_vpot_parameter_on_the_fader_in_the_pan_view() {
    let (mut s, mut hub, _) = online(8);
    let flip = codec::button_note("flip").unwrap();
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Button {
            note: flip,
            pressed: true,
        },
    );
    assert!(s.flipped());
    let out = tick(&mut s, &mut hub, Instant::now());
    // Faders now show pan (centre), and the Flip LED is lit.
    let d = decoded(&out, MAIN);
    assert!(faders(&d).contains(&(0, codec::pos_to_fader(0.5))), "{d:?}");
    assert!(d.contains(&ToSurface::Led {
        note: flip,
        state: LedState::On
    }));
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Fader { fader: 0, value: 0 },
    );
    assert_eq!(
        hub.get(Address::new(StripRef::Track(0), Param::Pan))
            .unwrap(),
        Value::Float(0.0)
    );
    // And the V-Pot turns the gain.
    let before = hub.session().tracks[0].controls.gain_db;
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 0, delta: 5 },
    );
    assert!(hub.session().tracks[0].controls.gain_db > before);
}

#[test]
fn vpots_follow_the_view_and_automation_buttons_act_on_the_selection() {
    let (mut s, mut hub, _) = online(8);
    let press = |s: &mut MackieSurface, hub: &mut Hub, n: u8| {
        send(
            s,
            hub,
            MAIN,
            FromSurface::Button {
                note: n,
                pressed: true,
            },
        );
        send(
            s,
            hub,
            MAIN,
            FromSurface::Button {
                note: n,
                pressed: false,
            },
        );
    };
    // Pan view: a V-Pot turn pans.
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 1, delta: -10 },
    );
    assert!(hub.session().tracks[1].controls.pan < 0.5);
    // Sends view: the V-Pot rides send 1.
    press(&mut s, &mut hub, codec::button_note("send").unwrap());
    assert_eq!(s.view(), VPotView::Send(0));
    let before = hub.session().tracks[1].controls.sends[0].gain_db;
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 1, delta: 8 },
    );
    assert!(hub.session().tracks[1].controls.sends[0].gain_db > before);
    // Select strips 2 and 3 (shift adds), then Write.
    press(&mut s, &mut hub, note::SELECT + 1);
    let shift = codec::button_note("shift").unwrap();
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Button {
            note: shift,
            pressed: true,
        },
    );
    press(&mut s, &mut hub, note::SELECT + 2);
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Button {
            note: shift,
            pressed: false,
        },
    );
    press(&mut s, &mut hub, codec::button_note("write").unwrap());
    let modes: Vec<AutomationMode> = hub
        .session()
        .tracks
        .iter()
        .map(|t| t.controls.automation)
        .collect();
    assert_eq!(modes[1], AutomationMode::Write);
    assert_eq!(modes[2], AutomationMode::Write);
    assert_eq!(modes[0], AutomationMode::Off);
    let out = decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN);
    assert!(
        out.contains(&ToSurface::Led {
            note: 0x4B,
            state: LedState::On
        }),
        "{out:?}"
    );
    // Alt + Group: every strip off.
    let alt = codec::button_note("alt").unwrap();
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Button {
            note: alt,
            pressed: true,
        },
    );
    press(&mut s, &mut hub, codec::button_note("group").unwrap());
    assert!(
        hub.session()
            .tracks
            .iter()
            .all(|t| t.controls.automation == AutomationMode::Off)
    );
    // Mute toggles with its LED.
    press(&mut s, &mut hub, note::MUTE + 4);
    assert!(hub.session().tracks[4].controls.mute);
    let out = decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN);
    assert!(out.contains(&ToSurface::Led {
        note: note::MUTE + 4,
        state: LedState::On
    }));
}

#[test]
fn a_replugged_unit_is_asked_again_and_redrawn_from_scratch() {
    let (mut s, mut hub, first) = online(8);
    let first = decoded(&first, EXT);
    s.disconnect(EXT);
    assert!(!s.is_online(EXT));
    let out = s.connect(EXT, Instant::now());
    assert_eq!(
        decoded(&out, EXT),
        vec![ToSurface::DeviceQuery {
            device: device::MCU_XT
        }]
    );
    send(&mut s, &mut hub, EXT, hello(device::MCU_XT));
    let again = decoded(&tick(&mut s, &mut hub, Instant::now()), EXT);
    assert_eq!(again.len(), first.len(), "the whole unit is redrawn");
    // Garbage from a unit is counted and changes nothing.
    let before = hub.session().clone();
    s.handle(&mut hub, MAIN, &[0xF0, 0x01, 0x02], Instant::now());
    s.handle(&mut hub, MAIN, &[0x90, 0x80, 0x7F], Instant::now());
    assert_eq!(s.rejected(), 2);
    assert_eq!(hub.session(), &before);
}

#[test]
fn the_timecode_display_follows_the_transport() {
    let s = parse_session(
        "version: 1\nname: t\ntracks:\n  - { name: A }\n",
        Path::new("t.yaml"),
    )
    .unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 0,
        outputs: 2,
    };
    let (mut hub, mut engine) = Hub::new(s, ClipStore::new(), cfg).unwrap();
    let mut surf = surface(&["x-touch"]);
    surf.connect(MAIN, Instant::now());
    send(&mut surf, &mut hub, MAIN, hello(device::MCU));
    // 1 h 02 min 03 s and half a second (frame 15 of 30).
    let frames = ((3600 + 2 * 60 + 3) * 48_000 + 24_000) as u64;
    hub.transport(faderd::mixer::TransportCmd::Locate(frames));
    engine.process(64);
    let out = decoded(&tick(&mut surf, &mut hub, Instant::now()), MAIN);
    let mut digits = [b' '; 10];
    for m in &out {
        if let ToSurface::TimecodeDigit { digit, code, .. } = m {
            // 7-segment codes: digits are themselves, blanks 0x20.
            digits[9 - usize::from(*digit)] = *code;
        }
    }
    // Hours (3), minutes, seconds, frames (3), right-aligned groups.
    assert_eq!(&digits, b"  10203 15", "{out:?}");
    // Only changed digits go out next time.
    hub.transport(faderd::mixer::TransportCmd::Locate(frames + 48_000));
    engine.process(64);
    let out = decoded(&tick(&mut surf, &mut hub, Instant::now()), MAIN);
    let changed: Vec<u8> = out
        .iter()
        .filter_map(|m| match m {
            ToSurface::TimecodeDigit { digit, .. } => Some(*digit),
            _ => None,
        })
        .collect();
    assert_eq!(changed, vec![3], "{out:?}");
}

#[test]
fn eq_and_dynamics_views_ride_the_channel_strip_and_a_push_switches_the_section() {
    let (mut s, mut hub, _) = online(8);
    let press = |s: &mut MackieSurface, hub: &mut Hub, n: u8| {
        for pressed in [true, false] {
            send(s, hub, MAIN, FromSurface::Button { note: n, pressed });
        }
    };
    let eq = codec::button_note("eq").unwrap();
    let plugin = codec::button_note("plugin").unwrap();
    // EQ: the first setting is the high-pass frequency; turning it up
    // moves it up on a log scale.
    press(&mut s, &mut hub, eq);
    assert_eq!(s.view(), VPotView::Eq(0));
    let hpf = |hub: &Hub| hub.session().tracks[2].controls.eq.hpf_hz;
    let before = hpf(&hub);
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 2, delta: 5 },
    );
    assert!(hpf(&hub) > before * 1.3, "{} -> {}", before, hpf(&hub));
    // Its push switches the filter in; the assignment display reads HF and
    // the lower display line shows the frequency.
    assert!(!hub.session().tracks[2].controls.eq.hpf_on);
    press(&mut s, &mut hub, note::VSELECT + 2);
    assert!(hub.session().tracks[2].controls.eq.hpf_on);
    let out = decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN);
    assert!(out.contains(&ToSurface::AssignmentDigit {
        digit: 1,
        code: codec::seven_segment('H'),
        dot: false
    }));
    let lower = lcd_text(&out, 1);
    assert!(lower[14..20].trim().parse::<f64>().is_ok(), "{lower}");
    // Again: band 1's gain, boost from the centre.
    press(&mut s, &mut hub, eq);
    assert_eq!(s.view(), VPotView::Eq(1));
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 0, delta: 7 },
    );
    let g = hub.session().tracks[0].controls.eq.bands[0].gain_db;
    assert!(g > 3.0, "band 1 gain {g}");
    let lower = lcd_text(&decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN), 1);
    assert!(lower.starts_with(&format!("{g:+.1}")), "{lower}");

    // Dynamics: compressor threshold; a push switches the compressor.
    press(&mut s, &mut hub, plugin);
    assert_eq!(s.view(), VPotView::Dynamics(0));
    let before = hub.session().tracks[3].controls.comp.threshold_db;
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 3, delta: -6 },
    );
    assert!(hub.session().tracks[3].controls.comp.threshold_db < before - 3.0);
    let was = hub.session().tracks[3].controls.comp.on;
    press(&mut s, &mut hub, note::VSELECT + 3);
    assert_eq!(hub.session().tracks[3].controls.comp.on, !was);
    // Next: the ratio, on a log scale from 1:1 to 20:1.
    press(&mut s, &mut hub, plugin);
    assert_eq!(s.view(), VPotView::Dynamics(1));
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::VPot { pot: 3, delta: 10 },
    );
    let lower = lcd_text(&decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN), 1);
    assert!(lower[21..28].contains(":1"), "{lower}");
}

#[test]
fn name_value_shows_the_master_loudness_on_the_lower_line() {
    let (mut s, mut hub, _) = online(8);
    let nv = press_name_value(&mut s, &mut hub);
    let out = decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN);
    let lower = lcd_text(&out, 1);
    // Nothing plays: every figure is -inf, the range 0.
    assert!(
        lower.starts_with("M -inf S -inf I -inf LR 0.0 T -inf"),
        "{lower}"
    );
    assert!(out.contains(&ToSurface::Led {
        note: nv,
        state: LedState::On
    }));
}

/// A unit that never answers the device query is asked every 2 s, and
/// after 10 s it is driven without the handshake (the log says so).
#[test]
fn a_unit_that_never_answers_the_device_query_lights_up_after_ten_seconds() {
    let mut hub = session(8);
    let mut s = surface(&["x-touch"]);
    let t0 = Instant::now();
    let asked = |out: &[MidiOut]| {
        decoded(out, MAIN).contains(&ToSurface::DeviceQuery {
            device: device::MCU,
        })
    };
    assert!(asked(&s.connect(MAIN, t0)));
    assert!(tick(&mut s, &mut hub, t0 + Duration::from_millis(1_900)).is_empty());
    assert!(asked(&tick(&mut s, &mut hub, t0 + Duration::from_secs(2))));
    let out = tick(&mut s, &mut hub, t0 + Duration::from_millis(9_900));
    assert!(!s.is_online(MAIN) && !faders(&decoded(&out, MAIN)).iter().any(|_| true));
    let out = tick(&mut s, &mut hub, t0 + Duration::from_secs(10));
    assert!(s.is_online(MAIN));
    let drawn = decoded(&out, MAIN);
    assert!(lcd_text(&drawn, 0).starts_with("T1     T2"), "{drawn:?}");
    assert_eq!(
        faders(&drawn).len(),
        9,
        "8 strips and the master: {drawn:?}"
    );
}

/// A Logic Control whose confirmation is lost is asked again after 2 s, and
/// comes up on the second round; it is not driven without the handshake.
#[test]
fn a_logic_control_whose_confirmation_is_lost_is_asked_again() {
    let mut hub = session(2);
    let mut s = surface(&["logic-control"]);
    let t0 = Instant::now();
    s.connect(MAIN, t0);
    let reply = s.handle(
        &mut hub,
        MAIN,
        &encode_from_surface(&hello(device::LOGIC_CONTROL)),
        t0,
    );
    assert!(matches!(
        decoded(&reply, MAIN)[..],
        [ToSurface::ConnectionReply { .. }]
    ));
    // The confirmation never comes.
    assert!(tick(&mut s, &mut hub, t0 + Duration::from_millis(1_900)).is_empty());
    let out = tick(&mut s, &mut hub, t0 + Duration::from_secs(2));
    assert_eq!(
        decoded(&out, MAIN),
        vec![ToSurface::DeviceQuery {
            device: device::LOGIC_CONTROL
        }]
    );
    // It answered once: no fallback, it keeps being asked.
    let out = tick(&mut s, &mut hub, t0 + Duration::from_secs(11));
    assert!(!s.is_online(MAIN), "{out:?}");
    let t1 = t0 + Duration::from_secs(12);
    s.handle(
        &mut hub,
        MAIN,
        &encode_from_surface(&hello(device::LOGIC_CONTROL)),
        t1,
    );
    s.handle(
        &mut hub,
        MAIN,
        &encode_from_surface(&FromSurface::ConnectionConfirmed {
            device: device::LOGIC_CONTROL,
            serial: *b"EMULATE",
        }),
        t1,
    );
    assert!(s.is_online(MAIN));
}

/// A unit whose profile says `lcd_meters` gets the global and channel
/// meter-mode SysEx as it comes online; others do not.
#[test]
fn lcd_meters_are_switched_on_as_an_mcu_pro_comes_online() {
    let mut hub = session(8);
    let mut s = surface(&["mcu-pro"]);
    s.connect(MAIN, Instant::now());
    let out = send(&mut s, &mut hub, MAIN, hello(device::MCU));
    let mut want = vec![ToSurface::LcdMeterMode {
        device: device::MCU,
        vertical: true,
    }];
    want.extend((0..8).map(|strip| ToSurface::MeterMode {
        device: device::MCU,
        strip,
        mode: 0x07,
    }));
    assert_eq!(decoded(&out, MAIN), want);
    let (_, _, drawn) = online(8);
    assert!(!decoded(&drawn, MAIN).iter().any(|m| matches!(
        m,
        ToSurface::MeterMode { .. } | ToSurface::LcdMeterMode { .. }
    )));
}

/// A fader let go where the mix already is gets no message; moves are
/// echoed only once the unit is up and only on its own faders' channels.
#[test]
fn a_release_in_place_sends_nothing_and_the_echo_is_for_online_units_own_faders() {
    let (mut s, mut hub, _) = online(8);
    let t0 = Instant::now();
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Touch { fader: 2, on: true },
    );
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Fader {
            fader: 2,
            value: 8192,
        },
    );
    tick(&mut s, &mut hub, t0);
    send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Touch {
            fader: 2,
            on: false,
        },
    );
    let out = tick(&mut s, &mut hub, t0);
    assert!(
        faders(&decoded(&out, MAIN)).is_empty(),
        "the fader is already where the mix is: {out:?}"
    );
    // The extender has no master fader: a bend on channel 9 is not echoed.
    let out = send(
        &mut s,
        &mut hub,
        EXT,
        FromSurface::Fader {
            fader: 8,
            value: 100,
        },
    );
    assert!(out.is_empty(), "{out:?}");
    let channels: Vec<(u8, u16)> = s.echo_channels().collect();
    assert_eq!(channels, vec![(MAIN, 0x1FF), (EXT, 0xFF)]);

    // Before the handshake nothing is echoed, by the hub or the backend.
    let mut s = surface(&["x-touch"]);
    s.connect(MAIN, t0);
    let out = send(
        &mut s,
        &mut hub,
        MAIN,
        FromSurface::Fader {
            fader: 0,
            value: 100,
        },
    );
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(s.echo_channels().collect::<Vec<_>>(), vec![(MAIN, 0)]);
    let (rt, link) = faderd::audio::midi::midi_queues();
    link.echo_pitch_bends(MAIN, 0x1FF);
    assert_eq!(rt.echo_of(MAIN, &[0xE2, 1, 2]), Some([0xE2, 1, 2]));
    assert_eq!(rt.echo_of(MAIN, &[0xE8, 1, 2]), Some([0xE8, 1, 2]));
    assert_eq!(
        rt.echo_of(MAIN, &[0xE9, 1, 2]),
        None,
        "not a fader's channel"
    );
    assert_eq!(
        rt.echo_of(EXT, &[0xE2, 1, 2]),
        None,
        "not asked on this port"
    );
}

/// A fader moved from elsewhere (an OSC client) reaches its motor at
/// once, before any tick, and only that strip is sent: the other strips,
/// and the loudness figures on the lower line, stay as they are.
#[test]
fn a_move_from_elsewhere_moves_its_motor_at_once_and_touches_nothing_else() {
    let (mut s, mut hub, _) = online(16);
    let nv = press_name_value(&mut s, &mut hub);
    tick(&mut s, &mut hub, Instant::now());
    let osc = faderd::mixer::Origin::Client(ClientId(42));
    hub.apply(
        osc,
        faderd::mixer::Address::parse("strip/3/fader").unwrap(),
        faderd::mixer::Value::Float(0.25),
    )
    .unwrap();
    let changed = hub.take_feedback();
    let out = s.show(&hub, &changed, Instant::now());
    let main = decoded(&out, MAIN);
    assert_eq!(
        faders(&main),
        vec![(2, codec::pos_to_fader(0.25))],
        "{main:?}"
    );
    assert!(decoded(&out, EXT).is_empty(), "the extender is not touched");
    // The strip's value shows on its lower cell except where the loudness
    // figures are: nothing on the lower line changes.
    assert!(
        main.iter().all(|m| match m {
            ToSurface::Lcd { offset, .. } => usize::from(*offset) < 56,
            _ => true,
        }),
        "{main:?}"
    );
    assert!(
        !main
            .iter()
            .any(|m| matches!(m, ToSurface::Led { note, .. } if *note == nv)),
        "no global is redrawn: {main:?}"
    );
}

#[test]
fn a_track_removed_moves_the_strips_after_it_over_and_blanks_the_slot_left_over() {
    let (mut s, mut hub, drawn) = online(4);
    let names = lcd_text(&decoded(&drawn, MAIN), 0);
    assert!(
        names.starts_with("T1     T2     T3     T4     Verb"),
        "{names:?}"
    );
    hub.remove_track(Origin::Daemon, 1).unwrap();
    let main = decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN);
    // Only cells that change are sent: slot 1 (T1) is not.
    let names = lcd_text(&main, 0);
    assert!(
        names.starts_with("       T3     T4     Verb          "),
        "{names:?}"
    );
    // Slot 5's cells were sent, as blanks.
    assert!(
        main.iter()
            .any(|m| matches!(m, ToSurface::Lcd { offset, text, .. }
            if usize::from(*offset) <= 28 && usize::from(*offset) + text.len() >= 34)),
        "{main:?}"
    );
    // Slot 2's motor goes to T3's -3 dB; slot 5 has no strip now.
    let pos = |db: f64| codec::pos_to_fader(faderd::dsp::db_to_pos(db));
    assert!(
        faders(&main).contains(&(1, pos(-3.0))),
        "{:?}",
        faders(&main)
    );
    assert!(faders(&main).contains(&(4, 0)), "{:?}", faders(&main));
}

#[test]
fn a_strip_coloured_elsewhere_lights_its_scribble_strip_in_that_colour() {
    let (mut s, mut hub, drawn) = online(4);
    let colours = |msgs: &[ToSurface]| {
        msgs.iter().rev().find_map(|m| match m {
            ToSurface::Colours { colours, .. } => Some(*colours),
            _ => None,
        })
    };
    // Tracks cyan and the bus yellow until a colour is chosen.
    let first = colours(&decoded(&drawn, MAIN)).expect("colours drawn");
    assert_eq!(first[1], faderd::model::StripColour::Cyan);
    hub.apply_str(
        Origin::Client(ClientId(1)),
        "strip/2/colour",
        Value::Text("red".into()),
    )
    .unwrap();
    hub.apply_str(
        Origin::Client(ClientId(1)),
        "bus/1/color",
        Value::Float(4.0),
    )
    .unwrap();
    let now = decoded(&tick(&mut s, &mut hub, Instant::now()), MAIN);
    let c = colours(&now).expect("the colours sent again");
    assert_eq!(c[1], faderd::model::StripColour::Red);
    assert_eq!(
        c[4],
        faderd::model::StripColour::Blue,
        "bus 1 by number: blue"
    );
    assert_eq!(c[0], faderd::model::StripColour::Cyan);
    // A colour that is not one is refused.
    assert!(
        hub.apply_str(
            Origin::Client(ClientId(1)),
            "strip/1/colour",
            Value::Text("teal".into())
        )
        .is_err()
    );
}
