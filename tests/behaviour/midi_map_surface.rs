//! A generic MIDI controller's map driving the real hub: value in ->
//! parameter -> value out for every 7-bit value, 14-bit pairs with 16384
//! positions, relative encoders that return exactly, soft takeover,
//! buttons and banks. Every message is real MIDI bytes.

use faderd::config::{parse_map, parse_session};
use faderd::engine::EngineConfig;
use faderd::mixer::{Address, ClientId, ClipStore, Hub, Origin, Param, StripRef, Value};
use faderd::surfaces::midi::MidiMapSurface;
use faderd::surfaces::midi::codec::{self, Message, ParamKind};
use std::collections::HashSet;
use std::path::Path;

fn hub(tracks: usize) -> Hub {
    let mut y = String::from("version: 1\nname: m\ntracks:\n");
    for t in 1..=tracks {
        y.push_str(&format!("  - {{ name: T{t} }}\n"));
    }
    crate::common::hub_and_engine(&y, "m.yaml", 48_000, 64).0
}

fn map(motorized: bool) -> MidiMapSurface {
    let text = format!(
        r#"version: 1
name: test
applies_to: [midi]
chart: "test chart"
device: {{ motorized: {motorized} }}
bank: {{ size: 2 }}
bindings:
  - {{ control: fader 1, midi: {{ cc: 7 }}, target: "strip/B1/fader" }}
  - {{ control: fader 2, midi: {{ cc14: 8 }}, target: "strip/B2/fader" }}
  - {{ control: knob 1, midi: {{ cc: 16, relative: twos_complement }}, target: "strip/B1/pan" }}
  - {{ control: knob 2, midi: {{ cc: 17, relative: binary_offset, accel: true }}, target: "strip/B2/pan" }}
  - {{ control: mute 1, midi: {{ note: 36, mode: toggle }}, target: "strip/B1/mute" }}
  - {{ control: solo 1, midi: {{ cc: 32, mode: momentary }}, target: "strip/B1/solo" }}
  - {{ control: master, midi: {{ nrpn: 300, bits: 14 }}, target: "master/fader" }}
  - {{ control: trim, midi: {{ pitchbend: true, channel: 2 }}, target: "strip/1/trim" }}
  - {{ control: next, midi: {{ cc: 59 }}, action: bank_right }}
"#
    );
    let m = parse_map(&text, Path::new("test.yaml")).unwrap();
    MidiMapSurface::new(&m, ClientId(9000)).unwrap()
}

fn cc(controller: u8, value: u8) -> Vec<u8> {
    codec::encode(&Message::Cc {
        channel: 0,
        controller,
        value,
    })
}

/// What the device is sent for the hub's changes since the last call:
/// the change set shown to the surface, then its tick.
fn feedback(s: &mut MidiMapSurface, h: &mut Hub) -> Vec<Vec<u8>> {
    let changes = h.take_feedback();
    let mut out = s.show(h, &changes);
    out.extend(s.tick(h));
    out
}

fn float(hub: &Hub, a: &str) -> f64 {
    match hub.get(Address::parse(a).unwrap()).unwrap() {
        Value::Float(x) => x,
        v => panic!("{v:?}"),
    }
}

#[test]
fn every_7_bit_value_comes_back_out_as_itself() {
    let mut h = hub(4);
    let mut s = map(true);
    for v in 0..=127u8 {
        // Received: applied and echoed exactly.
        let out = s.handle(&mut h, &cc(7, v));
        assert_eq!(out, vec![cc(7, v)], "echo of {v}");
        let pos = float(&h, "strip/1/fader");
        assert!((pos - f64::from(v) / 127.0).abs() < 1e-12, "{v} -> {pos}");
        assert!(
            feedback(&mut s, &mut h).iter().all(|m| m[1] != 7),
            "no second send for {v}"
        );
    }
    // Set elsewhere: sent once, as the same 7-bit value (127 is what the
    // device shows already, so it comes last, from 0).
    for v in (0..=126u8).rev().chain([127]) {
        let a = Address::parse("strip/1/fader").unwrap();
        h.apply(
            Origin::Client(ClientId(1)),
            a,
            Value::Float(f64::from(v) / 127.0),
        )
        .unwrap();
        let out = feedback(&mut s, &mut h);
        assert!(out.contains(&cc(7, v)), "feedback of {v}: {out:?}");
        assert!(feedback(&mut s, &mut h).is_empty());
    }
}

#[test]
fn a_14_bit_pair_gives_16384_positions_and_nrpn_14_bit_round_trips() {
    let mut h = hub(4);
    let mut s = map(true);
    let mut seen = HashSet::new();
    for v in 0u16..16384 {
        s.handle(&mut h, &cc(8, (v >> 7) as u8));
        s.handle(&mut h, &cc(40, (v & 0x7F) as u8));
        seen.insert(float(&h, "strip/2/fader").to_bits());
    }
    assert_eq!(seen.len(), 16384);
    // NRPN 300, 14-bit, on the master fader; a sample of values.
    for v in [0u16, 1, 127, 128, 8191, 12287, 16382, 16383] {
        let mut echo = Vec::new();
        for m in codec::encode_param(0, ParamKind::Nrpn, 300, v, true) {
            echo.extend(s.handle(&mut h, &codec::encode(&m)));
        }
        let pos = float(&h, "master/fader");
        assert!((pos - f64::from(v) / 16383.0).abs() < 1e-12, "{v}");
        let want: Vec<Vec<u8>> = codec::encode_param(0, ParamKind::Nrpn, 300, v, true)
            .iter()
            .map(codec::encode)
            .collect();
        assert_eq!(echo, want, "NRPN echo of {v}");
    }
}

#[test]
fn a_14_bit_control_that_sends_only_its_msb_moves_in_128_steps() {
    // The MIDI spec lets a 14-bit controller send only the MSB (the LSB is
    // then 0): every MSB must land on its own position (a motorized map:
    // no soft takeover in the way).
    let mut h = hub(4);
    let mut s = map(true);
    for msb in [0u8, 1, 64, 100, 127] {
        s.handle(&mut h, &cc(8, msb));
        let pos = float(&h, "strip/2/fader");
        let want = f64::from(u16::from(msb) << 7) / 16383.0;
        assert!((pos - want).abs() < 1e-12, "MSB {msb}: {pos}, want {want}");
    }
    // An LSB after it refines the same MSB.
    s.handle(&mut h, &cc(8, 100));
    s.handle(&mut h, &cc(40, 99));
    let want = f64::from((100u16 << 7) | 99) / 16383.0;
    assert!((float(&h, "strip/2/fader") - want).abs() < 1e-12);
}

#[test]
fn a_relative_encoder_reaches_both_ends_from_between_steps() {
    // From a centred pan (63.5 steps from either end) and from a value set
    // elsewhere between steps, turning far enough lands on 0 and 1 exactly;
    // one tick back from an end is a whole step.
    let mut h = hub(4);
    let mut s = map(false);
    for start in [0.5, 0.123_456] {
        h.apply_str(Origin::Daemon, "strip/1/pan", Value::Float(start))
            .unwrap();
        for _ in 0..200 {
            s.handle(&mut h, &cc(16, 1));
        }
        assert_eq!(float(&h, "strip/1/pan"), 1.0, "right end from {start}");
        s.handle(&mut h, &cc(16, 127)); // -1
        let back = float(&h, "strip/1/pan");
        assert!(back < 1.0 && back > 1.0 - 1.5 / 127.0, "one back: {back}");
        for _ in 0..200 {
            s.handle(&mut h, &cc(16, 127));
        }
        assert_eq!(float(&h, "strip/1/pan"), 0.0, "left end from {start}");
    }
}

#[test]
fn relative_encoders_return_exactly_to_where_they_started() {
    let mut h = hub(4);
    let mut s = map(false);
    let start = float(&h, "strip/1/pan");
    for n in [1u8, 5, 20, 63] {
        s.handle(&mut h, &cc(16, n));
        assert!(float(&h, "strip/1/pan") > start);
        s.handle(&mut h, &cc(16, 128 - n)); // -n in two's complement
        assert_eq!(float(&h, "strip/1/pan"), start, "+{n} then -{n}");
    }
    // Even steps: 10 ticks up is 10/127 of the range.
    s.handle(&mut h, &cc(16, 10));
    assert!((float(&h, "strip/1/pan") - (start + 10.0 / 127.0)).abs() < 1e-12);
    // Accelerated binary-offset encoder: fast turns move more, and still cancel.
    let start2 = float(&h, "strip/2/pan");
    s.handle(&mut h, &cc(17, 64 + 8));
    let moved = float(&h, "strip/2/pan") - start2;
    assert!(moved > 8.0 / 127.0 + 1e-9, "accelerated: {moved}");
    s.handle(&mut h, &cc(17, 64 - 8));
    assert_eq!(float(&h, "strip/2/pan"), start2);
}

#[test]
fn soft_takeover_waits_until_the_control_reaches_the_value() {
    let mut h = hub(4);
    let mut s = map(false);
    let a = Address::parse("strip/1/fader").unwrap();
    h.apply(Origin::Client(ClientId(1)), a, Value::Float(0.6))
        .unwrap();
    // The physical fader is low: moves below the value change nothing.
    for v in [10u8, 30, 50, 70] {
        s.handle(&mut h, &cc(7, v));
        assert_eq!(float(&h, "strip/1/fader"), 0.6, "jumped at {v}");
    }
    // It crosses 0.6 (76.2/127): picked up, and follows from then on.
    s.handle(&mut h, &cc(7, 80));
    assert!((float(&h, "strip/1/fader") - 80.0 / 127.0).abs() < 1e-12);
    s.handle(&mut h, &cc(7, 20));
    assert!((float(&h, "strip/1/fader") - 20.0 / 127.0).abs() < 1e-12);
    // Moved elsewhere: taken over again only on reaching the new value.
    h.apply(Origin::Client(ClientId(1)), a, Value::Float(0.9))
        .unwrap();
    s.handle(&mut h, &cc(7, 30));
    assert_eq!(float(&h, "strip/1/fader"), 0.9);
    // No feedback for faders on a device without motors.
    assert!(feedback(&mut s, &mut h).iter().all(|m| m[1] != 7));
}

/// Once picked up, a fader pulled to the bottom step by step is followed
/// to the bottom: reading the stored value back (a gain, converted) never
/// counts as a change made elsewhere.
#[test]
fn a_picked_up_fader_pulled_all_the_way_down_follows_to_the_bottom() {
    let mut h = hub(4);
    let mut s = map(false);
    for v in (0..=127u8).rev() {
        s.handle(&mut h, &cc(7, v));
    }
    assert_eq!(float(&h, "strip/1/fader"), 0.0);
    for v in 0..=127u8 {
        s.handle(&mut h, &cc(7, v));
    }
    assert!((float(&h, "strip/1/fader") - 1.0).abs() < 1e-12);
}

#[test]
fn buttons_toggle_or_follow_and_a_bank_button_moves_the_strips() {
    let mut h = hub(5);
    let mut s = map(false);
    let note = |v: u8| {
        codec::encode(&Message::NoteOn {
            channel: 0,
            note: 36,
            velocity: v.max(1),
        })
    };
    let mute = Address::new(StripRef::Track(0), Param::Mute);
    s.handle(&mut h, &note(127));
    assert_eq!(h.get(mute).unwrap(), Value::Bool(true));
    s.handle(
        &mut h,
        &codec::encode(&Message::NoteOff {
            channel: 0,
            note: 36,
        }),
    );
    assert_eq!(
        h.get(mute).unwrap(),
        Value::Bool(true),
        "toggle ignores release"
    );
    s.handle(&mut h, &note(100));
    assert_eq!(h.get(mute).unwrap(), Value::Bool(false));
    // Momentary solo.
    let solo = Address::new(StripRef::Track(0), Param::Solo);
    s.handle(&mut h, &cc(32, 127));
    assert_eq!(h.get(solo).unwrap(), Value::Bool(true));
    s.handle(&mut h, &cc(32, 0));
    assert_eq!(h.get(solo).unwrap(), Value::Bool(false));
    // The LED of the mute shows the state set elsewhere.
    h.apply(Origin::Client(ClientId(1)), mute, Value::Bool(true))
        .unwrap();
    assert!(
        feedback(&mut s, &mut h).contains(&codec::encode(&Message::NoteOn {
            channel: 0,
            note: 36,
            velocity: 127
        }))
    );
    // Bank right by 2: fader 1 now drives strip 3.
    s.handle(&mut h, &cc(59, 127));
    assert_eq!(s.bank(), 2);
    s.handle(&mut h, &cc(7, 0)); // pick up needs crossing: 0.75 default
    s.handle(&mut h, &cc(7, 127));
    assert_eq!(float(&h, "strip/3/fader"), 1.0);
    // Pitch bend on channel 2 sets the trim across its range.
    s.handle(
        &mut h,
        &codec::encode(&Message::PitchBend {
            channel: 1,
            value: 16383,
        }),
    );
    // Takeover applies to pitch bend too: from -20 it needs to cross 0 dB.
    s.handle(
        &mut h,
        &codec::encode(&Message::PitchBend {
            channel: 1,
            value: 0,
        }),
    );
    s.handle(
        &mut h,
        &codec::encode(&Message::PitchBend {
            channel: 1,
            value: 16383,
        }),
    );
    assert_eq!(float(&h, "strip/1/trim"), 20.0);
    // Garbage is counted.
    s.handle(&mut h, &[0xB0, 0x80]);
    assert_eq!(s.rejected(), 1);
}

#[test]
fn every_binding_of_the_shipped_nanokontrol2_map_does_what_it_says() {
    let text = std::fs::read_to_string("maps/korg-nanokontrol2.yaml").unwrap();
    let m = parse_map(&text, Path::new("maps/korg-nanokontrol2.yaml")).unwrap();
    let mut y = String::from("version: 1\nname: m\ntracks:\n");
    for t in 1..=16 {
        y.push_str(&format!("  - {{ name: T{t} }}\n"));
    }
    let session = parse_session(&y, Path::new("m.yaml")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 0,
        outputs: 2,
    };
    let (mut h, mut engine) = Hub::new(session, ClipStore::new(), cfg).unwrap();
    let mut s = MidiMapSurface::new(&m, ClientId(9001)).unwrap();
    let strip = |n: usize, p: Param| Address::new(StripRef::Track(n), p);
    let mut exercised = 0;
    for n in 0..8u8 {
        // Slider and knob: picked up when crossing, then at full scale.
        s.handle(&mut h, &cc(n, 0));
        s.handle(&mut h, &cc(n, 127));
        assert_eq!(
            h.get(strip(usize::from(n), Param::Fader)).unwrap(),
            Value::Float(1.0)
        );
        s.handle(&mut h, &cc(16 + n, 0));
        s.handle(&mut h, &cc(16 + n, 127));
        assert_eq!(
            h.get(strip(usize::from(n), Param::Pan)).unwrap(),
            Value::Float(1.0)
        );
        // S and M toggle on press, ignore release.
        for (c, p) in [(32 + n, Param::Solo), (48 + n, Param::Mute)] {
            s.handle(&mut h, &cc(c, 127));
            s.handle(&mut h, &cc(c, 0));
            assert_eq!(
                h.get(strip(usize::from(n), p)).unwrap(),
                Value::Bool(true),
                "cc {c}"
            );
        }
        exercised += 4;
    }
    let press = |s: &mut MidiMapSurface, h: &mut Hub, c: u8| {
        s.handle(h, &cc(c, 127));
        s.handle(h, &cc(c, 0));
    };
    press(&mut s, &mut h, 59);
    assert_eq!(s.bank(), 8, "track >");
    press(&mut s, &mut h, 58);
    assert_eq!(s.bank(), 0, "track <");
    press(&mut s, &mut h, 62);
    assert_eq!(s.bank(), 1, "marker >");
    press(&mut s, &mut h, 61);
    assert_eq!(s.bank(), 0, "marker <");
    press(&mut s, &mut h, 41);
    assert!(h.transport_state().rolling, "play");
    press(&mut s, &mut h, 42);
    assert!(!h.transport_state().rolling, "stop");
    // FF moves ten seconds on, rewind back to the start.
    press(&mut s, &mut h, 44);
    engine.process(64);
    assert_eq!(h.transport_state().position_frames, 480_000, "ff");
    press(&mut s, &mut h, 43);
    engine.process(64);
    assert_eq!(h.transport_state().position_frames, 0, "rew");
    exercised += 8;
    assert_eq!(exercised, m.bindings.len(), "every binding exercised");
    assert_eq!(s.rejected(), 0);
}

#[test]
fn learn_binds_the_next_control_moved() {
    let mut h = hub(4);
    let mut s = map(false);
    let a = Address::parse("strip/2/pan").unwrap();
    let l = s.learn(&cc(21, 0), a).expect("learned");
    assert_eq!(l.control, "learned cc 21 ch 1");
    s.handle(&mut h, &cc(21, 127));
    assert_eq!(float(&h, "strip/2/pan"), 1.0);
    // A switch target learns a toggle.
    let mute = Address::parse("strip/3/mute").unwrap();
    let note = codec::encode(&Message::NoteOn {
        channel: 4,
        note: 60,
        velocity: 100,
    });
    let l = s.learn(&note, mute).unwrap();
    assert_eq!(l.midi.mode, faderd::model::surface::ButtonMode::Toggle);
    s.handle(&mut h, &note);
    assert_eq!(h.get(mute).unwrap(), Value::Bool(true));
}

#[test]
fn the_shipped_midimix_map_rides_its_strips_and_lights_its_mute_leds() {
    let text = std::fs::read_to_string("maps/akai-midimix.yaml").unwrap();
    let m = parse_map(&text, Path::new("maps/akai-midimix.yaml")).unwrap();
    let mut h = hub(10);
    let mut s = MidiMapSurface::new(&m, ClientId(9002)).unwrap();
    // Fader 5 is CC 49: picked up on crossing, then full scale.
    s.handle(&mut h, &cc(49, 0));
    s.handle(&mut h, &cc(49, 127));
    assert_eq!(float(&h, "strip/5/fader"), 1.0);
    // Mute 3 is note 7: it toggles, and its LED follows.
    let press = codec::encode(&Message::NoteOn {
        channel: 0,
        note: 7,
        velocity: 127,
    });
    s.handle(&mut h, &press);
    assert_eq!(
        h.get(Address::new(StripRef::Track(2), Param::Mute))
            .unwrap(),
        Value::Bool(true)
    );
    assert!(feedback(&mut s, &mut h).contains(&press));
    // Bank right (note 26) moves fader 1 to strip 9.
    s.handle(
        &mut h,
        &codec::encode(&Message::NoteOn {
            channel: 0,
            note: 26,
            velocity: 127,
        }),
    );
    assert_eq!(s.bank(), 8);
}

#[test]
fn x_touch_mini_rings_get_feedback_and_its_fader_is_picked_up() {
    let text = std::fs::read_to_string("maps/behringer-x-touch-mini.yaml").unwrap();
    let m = parse_map(&text, Path::new("maps/behringer-x-touch-mini.yaml")).unwrap();
    let mut h = hub(8);
    let mut s = MidiMapSurface::new(&m, ClientId(9003)).unwrap();
    let ch11 = |controller: u8, value: u8| {
        codec::encode(&Message::Cc {
            channel: 10,
            controller,
            value,
        })
    };
    // Encoder 2 (CC 2): applied at once and echoed to its ring.
    assert_eq!(s.handle(&mut h, &ch11(2, 100)), vec![ch11(2, 100)]);
    assert!((float(&h, "strip/2/pan") - 100.0 / 127.0).abs() < 1e-12);
    // A pan changed elsewhere shows on the ring.
    let a = Address::parse("strip/2/pan").unwrap();
    h.apply(Origin::Client(ClientId(1)), a, Value::Float(0.0))
        .unwrap();
    assert!(feedback(&mut s, &mut h).contains(&ch11(2, 0)));
    // The fader (CC 9) has no motor: master at 0.75 is picked up on
    // crossing, and nothing is echoed.
    assert!(s.handle(&mut h, &ch11(9, 10)).is_empty());
    assert_eq!(float(&h, "master/fader"), 0.75);
    s.handle(&mut h, &ch11(9, 120));
    assert!((float(&h, "master/fader") - 120.0 / 127.0).abs() < 1e-12);
}

#[test]
fn bcf2000_motor_faders_follow_and_launch_control_xl_sends_ride() {
    let load = |f: &str| {
        let text = std::fs::read_to_string(f).unwrap();
        parse_map(&text, Path::new(f)).unwrap()
    };
    // BCF2000: fader 3 is CC 83 with motors: applied at once and echoed.
    let mut h = hub(8);
    let mut s = MidiMapSurface::new(&load("maps/behringer-bcf2000.yaml"), ClientId(9004)).unwrap();
    assert_eq!(s.handle(&mut h, &cc(83, 64)), vec![cc(83, 64)]);
    assert!((float(&h, "strip/3/fader") - 64.0 / 127.0).abs() < 1e-12);
    // Its upper button 2 (CC 66) mutes strip 2 and its LED follows.
    s.handle(&mut h, &cc(66, 127));
    assert_eq!(
        h.get(Address::new(StripRef::Track(1), Param::Mute))
            .unwrap(),
        Value::Bool(true)
    );
    s.handle(&mut h, &cc(66, 0));
    assert_eq!(
        h.get(Address::new(StripRef::Track(1), Param::Mute))
            .unwrap(),
        Value::Bool(false)
    );
    // Launch Control XL: pan knob 1 is CC 49 (picked up at the centre).
    let mut h = hub(8);
    let mut s = MidiMapSurface::new(
        &load("maps/novation-launch-control-xl.yaml"),
        ClientId(9005),
    )
    .unwrap();
    s.handle(&mut h, &cc(49, 60));
    s.handle(&mut h, &cc(49, 70));
    assert!((float(&h, "strip/1/pan") - 70.0 / 127.0).abs() < 1e-12);
    // Track select right (CC 107) banks by 8.
    s.handle(&mut h, &cc(107, 127));
    assert_eq!(s.bank(), 0, "only 8 strips: nothing to the right");
}

#[test]
fn pickup_leds_show_which_way_to_move() {
    let text = r#"version: 1
name: leds
applies_to: [midi]
chart: "test"
bindings:
  - { control: f, midi: { cc: 7, pickup_leds: { up: 100, down: 101 } }, target: "strip/1/fader" }
"#;
    let m = parse_map(text, Path::new("leds.yaml")).unwrap();
    let mut h = hub(2);
    let mut s = MidiMapSurface::new(&m, ClientId(9006)).unwrap();
    let on = |n| {
        codec::encode(&Message::NoteOn {
            channel: 0,
            note: n,
            velocity: 127,
        })
    };
    let off = |n| {
        codec::encode(&Message::NoteOff {
            channel: 0,
            note: n,
        })
    };
    // The fader is at 0 dB (0.75); the control is low: "move up".
    assert_eq!(s.handle(&mut h, &cc(7, 10)), vec![on(100), off(101)]);
    assert!(s.handle(&mut h, &cc(7, 20)).is_empty(), "no repeats");
    // It overshoots from below: picked up, both off.
    assert_eq!(s.handle(&mut h, &cc(7, 120)), vec![off(100), off(101)]);
    assert!((float(&h, "strip/1/fader") - 120.0 / 127.0).abs() < 1e-12);
}
