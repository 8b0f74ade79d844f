//! The hub API every surface driver uses: validation, clamping, feedback.

use faderd::config::parse_session;
use faderd::engine::EngineConfig;
use faderd::mixer::{Address, ClientId, Hub, HubClock, IntentError, ManualClock, Origin, Value};
use std::path::Path;

fn hub() -> Hub {
    let yaml = r#"
version: 1
name: hub
buses: [{ name: R, kind: aux }, { name: G, kind: group }]
tracks:
  - { name: A, sends: [{ bus: R, gain_db: -6 }] }
  - { name: B, channels: stereo }
"#;
    let s = parse_session(yaml, Path::new("hub.yaml")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 0,
        outputs: 2,
    };
    Hub::new(s, Default::default(), cfg).unwrap().0
}

const ME: Origin = Origin::Client(ClientId(7));

#[test]
fn a_fader_move_feeds_back_fader_and_gain() {
    let mut h = hub();
    let applied = h
        .apply_str(ME, "/strip/1/fader", Value::Float(0.5))
        .unwrap();
    assert_eq!(applied, Value::Float(0.5));
    let fb = h.take_feedback();
    let got: Vec<(String, Value)> = fb
        .iter()
        .map(|f| (f.address.to_string(), f.value.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("strip/1/fader".into(), Value::Float(0.5)),
            ("strip/1/gain".into(), Value::Float(-10.0)),
        ]
    );
    assert!(fb.iter().all(|f| f.origin == ME));
    assert!(h.is_dirty());
    // The same value again changes nothing and says nothing.
    h.apply_str(ME, "strip/1/gain", Value::Float(-10.0))
        .unwrap();
    assert!(h.take_feedback().is_empty());
}

#[test]
fn values_are_clamped_into_range() {
    let mut h = hub();
    let cases = [
        ("strip/1/fader", Value::Float(1.7), Value::Float(1.0)),
        ("strip/1/fader", Value::Float(-3.0), Value::Float(0.0)),
        ("strip/1/gain", Value::Float(40.0), Value::Float(10.0)),
        (
            "strip/1/gain",
            Value::Float(-95.0),
            Value::Float(f64::NEG_INFINITY),
        ),
        ("strip/2/pan", Value::Float(9.0), Value::Float(1.0)),
        ("strip/2/trim", Value::Float(-60.0), Value::Float(-20.0)),
        ("strip/1/send/1/fader", Value::Float(2.0), Value::Float(1.0)),
        ("strip/1/mute", Value::Float(1.0), Value::Bool(true)),
        ("strip/1/mute", Value::Float(0.0), Value::Bool(false)),
    ];
    for (addr, input, want) in cases {
        assert_eq!(
            h.apply_str(ME, addr, input.clone()).unwrap(),
            want,
            "{addr} {input:?}"
        );
        assert_eq!(
            h.get(Address::parse(addr).unwrap()).unwrap(),
            want,
            "{addr} state"
        );
    }
}

#[test]
fn nan_and_infinity_never_pass() {
    let mut h = hub();
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for addr in [
            "strip/1/fader",
            "strip/1/gain",
            "strip/1/pan",
            "strip/1/send/1/gain",
            "master/fader",
        ] {
            let err = h.apply_str(ME, addr, Value::Float(v)).unwrap_err();
            assert!(
                matches!(err, IntentError::NotFinite(_)),
                "{addr} {v}: {err}"
            );
        }
    }
    assert!(h.take_feedback().is_empty());
    assert!(!h.is_dirty());
    assert_eq!(
        h.get(Address::parse("strip/1/gain").unwrap()).unwrap(),
        Value::Float(0.0)
    );
}

#[test]
fn bad_targets_are_refused_with_a_reason() {
    let mut h = hub();
    let refused = [
        ("strip/9/fader", Value::Float(0.5)),
        ("bus/3/mute", Value::Bool(true)),
        ("strip/1/send/2/gain", Value::Float(0.0)),
        ("master/solo", Value::Bool(true)),
        ("master/send/1/gain", Value::Float(0.0)),
        ("strip/1/fader", Value::Text("loud".into())),
        ("strip/1/name", Value::Float(1.0)),
        ("strip/1/output", Value::Text("R".into())),
        ("strip/1/output", Value::Text("Nowhere".into())),
        ("bus/1/output", Value::Text("master".into())),
        ("strip/1/volume", Value::Float(1.0)),
    ];
    for (addr, v) in refused {
        let err = h.apply_str(ME, addr, v.clone()).unwrap_err();
        assert!(!err.to_string().is_empty(), "{addr}");
    }
    assert!(h.take_feedback().is_empty());
}

#[test]
fn names_and_routing_change_and_feed_back() {
    let mut h = hub();
    h.apply_str(ME, "strip/2/name", Value::Text("Gtr\u{7}".into()))
        .unwrap();
    h.apply_str(ME, "strip/2/output", Value::Text("G".into()))
        .unwrap();
    let fb = h.take_feedback();
    assert_eq!(
        fb[0].value,
        Value::Text("Gtr".into()),
        "control characters are dropped"
    );
    assert_eq!(fb[1].address.to_string(), "strip/2/output");
    assert_eq!(h.session().tracks[1].name, "Gtr");
    assert_eq!(h.session().tracks[1].output, faderd::model::Output::Bus(1));
}

#[test]
fn a_rename_to_a_taken_name_or_master_is_refused_with_the_reason() {
    let mut h = hub();
    for (addr, name, why) in [
        ("strip/2/name", "A", "another strip is already named 'A'"),
        ("strip/2/name", "R", "another strip is already named 'R'"),
        ("bus/1/name", "G", "another strip is already named 'G'"),
        (
            "strip/1/name",
            "master",
            "'master' is reserved for the master bus",
        ),
        (
            "bus/2/name",
            " MASTER\n",
            "'MASTER' is reserved for the master bus",
        ),
        ("strip/1/name", " \t", "a strip name cannot be empty"),
    ] {
        let err = h.apply_str(ME, addr, Value::Text(name.into())).unwrap_err();
        assert_eq!(err.to_string(), format!("{addr}: {why}"));
    }
    assert!(h.take_feedback().is_empty());
    assert!(!h.is_dirty());
    // Its own name again is no change, and a free name is taken.
    h.apply_str(ME, "strip/1/name", Value::Text("A".into()))
        .unwrap();
    assert!(h.take_feedback().is_empty());
    h.apply_str(ME, "strip/1/name", Value::Text("Lead".into()))
        .unwrap();
    assert_eq!(h.session().tracks[0].name, "Lead");
}

#[test]
fn automation_modes_are_set_by_name_or_number_and_fed_back() {
    let mut h = hub();
    assert_eq!(
        h.apply_str(ME, "strip/1/automation", Value::Text("Latch".into())),
        Ok(Value::Text("latch".into()))
    );
    assert_eq!(
        h.apply_str(ME, "bus/1/automation", Value::Float(5.0)),
        Ok(Value::Text("trim".into()))
    );
    for bad in [
        Value::Text("loud".into()),
        Value::Float(6.0),
        Value::Float(1.5),
    ] {
        assert!(matches!(
            h.apply_str(ME, "strip/1/automation", bad),
            Err(IntentError::WrongType { .. })
        ));
    }
    let fb: Vec<String> = h
        .take_feedback()
        .iter()
        .map(|f| format!("{} {:?}", f.address, f.value))
        .collect();
    assert_eq!(
        fb,
        vec![
            "strip/1/automation Text(\"latch\")",
            "bus/1/automation Text(\"trim\")"
        ]
    );
    let yaml = faderd::config::session_to_yaml(h.session());
    assert!(yaml.contains("automation: latch"), "{yaml}");
}

#[test]
fn touch_is_held_explicitly_or_for_the_timeout_after_a_move() {
    let mut h = hub();
    let clock = ManualClock::new();
    h.set_clock(HubClock::Manual(clock.clone()));
    h.set_touch_timeout(std::time::Duration::from_millis(100));
    let fader = Address::parse("strip/1/fader").unwrap();
    let gain = Address::parse("strip/1/gain").unwrap();
    let other = Origin::Client(ClientId(8));
    h.touch(ME, gain, true).unwrap();
    assert!(h.is_touched_by(fader, ME), "fader and gain are one lane");
    assert!(!h.is_touched_by(fader, other));
    h.touch(ME, fader, false).unwrap();
    assert!(!h.is_touched(fader));
    assert!(matches!(
        h.touch(ME, Address::parse("strip/1/mute").unwrap(), true),
        Err(IntentError::NotTouchable(_))
    ));
    assert!(matches!(
        h.touch(ME, Address::parse("strip/9/fader").unwrap(), true),
        Err(IntentError::NoSuchTarget(_))
    ));
    // A move without touch sense holds the lane until the timeout.
    h.apply(other, fader, Value::Float(0.4)).unwrap();
    assert!(h.is_touched_by(gain, other));
    clock.advance(std::time::Duration::from_millis(99));
    h.service();
    assert!(h.is_touched_by(gain, other), "held until the timeout");
    clock.advance(std::time::Duration::from_millis(2));
    h.service();
    assert!(!h.is_touched(fader));
    // The daemon's own changes are no touch.
    h.apply(Origin::Daemon, fader, Value::Float(0.2)).unwrap();
    assert!(!h.is_touched(fader));
}

#[test]
fn a_synced_delay_reports_its_time_at_the_sessions_tempo_and_saves_no_stale_time() {
    let yaml = "version: 1\nname: sync\ntempo_bpm: 90\nbuses:\n  - { name: D, kind: aux, delay: { sync: 1/4, feedback: 0.3 } }\n";
    let s = parse_session(yaml, Path::new("sync.yaml")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 0,
        outputs: 2,
    };
    let (mut h, _) = Hub::new(s, Default::default(), cfg).unwrap();
    let time = |h: &Hub| match h.get(Address::parse("bus/1/delay/time").unwrap()) {
        Ok(Value::Float(ms)) => ms,
        v => panic!("{v:?}"),
    };
    // A quarter note at 90 BPM is 666.7 ms.
    assert!((time(&h) - 60_000.0 / 90.0).abs() < 0.01, "{}", time(&h));
    h.take_feedback();
    h.apply_str(ME, "bus/1/delay/sync", Value::Text("1/8".into()))
        .unwrap();
    assert!((time(&h) - 30_000.0 / 90.0).abs() < 0.01, "{}", time(&h));
    // Surfaces are told the new time with the new note value.
    let fed: Vec<(String, Value)> = h
        .take_feedback()
        .into_iter()
        .map(|f| (f.address.to_string(), f.value))
        .collect();
    assert!(
        fed.iter().any(|(a, v)| a == "bus/1/delay/time"
            && matches!(v, Value::Float(ms) if (ms - 30_000.0 / 90.0).abs() < 0.01)),
        "{fed:?}"
    );
    // The saved session holds the note value and no time beside it.
    let saved = faderd::config::session_to_yaml(h.session());
    let delay_line = saved
        .lines()
        .find(|l| l.contains("sync"))
        .unwrap_or_else(|| panic!("{saved}"));
    assert!(
        !saved.contains("time:"),
        "a stale time was saved: {delay_line}\n{saved}"
    );
    // Unsynced, the time is its own again.
    h.apply_str(ME, "bus/1/delay/sync", Value::Text("off".into()))
        .unwrap();
    h.apply_str(ME, "bus/1/delay/time", Value::Float(250.0))
        .unwrap();
    assert_eq!(time(&h), 250.0);
    assert!(faderd::config::session_to_yaml(h.session()).contains("time: 250"));
}

/// Every control that takes a number, on every strip of a session with
/// the whole channel strip, both effects, an insert and the limiter:
/// a value far above or below its range is applied as the range's end
/// the parameter table gives, and reads back as that.
#[test]
fn every_number_clamps_to_the_range_the_parameter_table_gives() {
    use faderd::mixer::{Taper, Unit};
    let yaml = r#"
version: 1
name: ranges
buses:
  - { name: Verb, kind: aux, reverb: { size: 1.0 } }
  - { name: Echo, kind: aux, delay: { time: 300 } }
tracks:
  - name: A
    sends: [{ bus: Verb }, { bus: Echo }]
    insert: { output: 3, input: 1 }
    comp: { threshold: -20 }
    gate: { threshold: -50 }
master:
  limiter: { ceiling: -1.0 }
"#;
    let s = parse_session(yaml, Path::new("ranges.yaml")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 2,
        outputs: 4,
    };
    let mut h = Hub::new(s, Default::default(), cfg).unwrap().0;
    let mut checked = 0;
    for a in h.addresses() {
        let spec = a.param.spec();
        // Switches, choices and text are not ranges; a filter's slope is
        // one of three.
        if matches!(
            spec.unit,
            Unit::Switch | Unit::Choice | Unit::Text | Unit::DbPerOctave
        ) {
            continue;
        }
        let floor = if spec.taper == Taper::FaderLaw {
            f64::NEG_INFINITY
        } else {
            spec.range.0
        };
        for (input, want) in [(1e9, spec.range.1), (-1e9, floor)] {
            let applied = h.apply(ME, a, Value::Float(input)).unwrap();
            for (what, got) in [("applied", applied), ("read", h.get(a).unwrap())] {
                let Value::Float(got) = got else {
                    panic!("{a} {what}: {got:?}");
                };
                // Kernel settings are f32s: 0.05 reads 0.0500000007.
                assert!(
                    got == want || (got - want).abs() <= 1e-6 * want.abs(),
                    "{a} {input}: {what} {got}, the table says {want}"
                );
            }
            checked += 1;
        }
    }
    // 139 controls here, both ends of each.
    assert!(checked >= 278, "{checked} checks");
}

/// MIDI learn waits for a control to move for its window, and no longer.
#[test]
fn midi_learn_stays_armed_for_its_window_only() {
    let mut h = hub();
    let clock = ManualClock::new();
    h.set_clock(HubClock::Manual(clock.clone()));
    let pan = Address::parse("strip/2/pan").unwrap();
    h.arm_learn(pan).unwrap();
    clock.advance(faderd::mixer::LEARN_TIMEOUT - std::time::Duration::from_millis(1));
    assert_eq!(h.learn_target(), Some(pan));
    clock.advance(std::time::Duration::from_millis(2));
    assert_eq!(h.learn_target(), None, "the window closed");
}

/// The master's peak over `ms` of audio, ticking the hub as the daemon
/// does.
fn master_peak(h: &mut Hub, e: &mut faderd::engine::Engine, ms: usize) -> f32 {
    let mut peak = 0.0f32;
    for b in 0..(48 * ms / 64) {
        if b % 15 == 0 {
            h.service();
        }
        e.process(64);
        peak = e.output(0)[..64].iter().fold(peak, |m, x| m.max(x.abs()));
    }
    peak
}

/// What surfaces are told since the last look, as `ADDRESS VALUE` lines.
fn told_as_text(h: &mut Hub) -> Vec<String> {
    h.take_feedback()
        .iter()
        .map(|f| format!("{} {:?}", f.address, f.value))
        .collect()
}

#[test]
fn a_track_added_while_playing_joins_the_mix_and_every_surface_is_told() {
    let yaml = "version: 1\nname: grow\ntracks:\n  - { name: Tone, source: { tone: { wave: sine, freq_hz: 500, level_db: -6 } } }\n";
    let (mut h, mut e) = crate::common::hub_and_engine(yaml, "grow.yaml", 48_000, 64);
    assert!(master_peak(&mut h, &mut e, 50) > 0.1, "the tone plays");
    h.take_feedback();
    let added = h
        .add_track(ME, "Guitar", faderd::engine::Channels::Mono)
        .unwrap();
    assert_eq!(added, faderd::mixer::StripRef::Track(1));
    // Surfaces are told of the new strip: its name and its controls.
    let told = told_as_text(&mut h);
    for want in [
        "strip/2/name Text(\"Guitar\")",
        "strip/2/fader Float(0.75)",
        "strip/2/gain Float(0.0)",
        "strip/2/mute Bool(false)",
    ] {
        assert!(told.iter().any(|t| t == want), "{want} not in {told:?}");
    }
    // The mix played on across the new graph, and the new strip is in
    // it: soloing it (silent) silences the tone; unsoloing brings it back.
    assert!(master_peak(&mut h, &mut e, 50) > 0.1, "the tone plays on");
    h.apply_str(ME, "strip/2/solo", Value::Float(1.0)).unwrap();
    master_peak(&mut h, &mut e, 50);
    assert!(
        master_peak(&mut h, &mut e, 50) < 1e-4,
        "soloing the new track silences the rest"
    );
    h.apply_str(ME, "strip/2/solo", Value::Float(0.0)).unwrap();
    master_peak(&mut h, &mut e, 50);
    assert!(master_peak(&mut h, &mut e, 50) > 0.1, "the tone is back");
    // Saved with the session.
    let saved = faderd::config::session_to_yaml(h.session());
    assert!(saved.contains("Guitar"), "{saved}");
    assert!(h.is_dirty());
    // A name that is taken is refused, and nothing is added.
    assert!(matches!(
        h.add_track(ME, "Tone", faderd::engine::Channels::Mono),
        Err(IntentError::BadName(..))
    ));
    assert_eq!(h.session().tracks.len(), 2);
}

#[test]
fn a_track_removed_while_playing_leaves_the_mix_and_the_tracks_after_it_move_up() {
    let yaml = "version: 1\nname: shrink\ntracks:\n  - { name: Low, source: { tone: { wave: sine, freq_hz: 500, level_db: -6 } } }\n  - { name: High, solo: true, source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } } }\n  - { name: Quiet }\n";
    let (mut h, mut e) = crate::common::hub_and_engine(yaml, "shrink.yaml", 48_000, 64);
    assert!(
        master_peak(&mut h, &mut e, 50) > 0.1,
        "the soloed tone plays"
    );
    // A tablet holds High's fader.
    let tablet = Origin::Client(faderd::mixer::ClientId(8));
    let high_fader = Address::parse("strip/2/fader").unwrap();
    h.touch(tablet, high_fader, true).unwrap();
    h.take_feedback();
    assert_eq!(h.remove_track(ME, 0).unwrap(), "Low");
    // Surfaces are told the strips that moved, whole, and nothing of a
    // third strip.
    let told = told_as_text(&mut h);
    for want in [
        "strip/1/name Text(\"High\")",
        "strip/1/solo Bool(true)",
        "strip/2/name Text(\"Quiet\")",
    ] {
        assert!(told.iter().any(|t| t == want), "{want} not in {told:?}");
    }
    assert!(!told.iter().any(|t| t.starts_with("strip/3/")), "{told:?}");
    let counts = h.strip_counts();
    assert_eq!((counts.tracks, counts.buses), (2, 0));
    // The hand on High's fader moved with it.
    assert!(h.is_touched(Address::parse("strip/1/fader").unwrap()));
    assert!(!h.is_touched(Address::parse("strip/2/fader").unwrap()));
    // The soloed tone plays on through the new graph.
    master_peak(&mut h, &mut e, 50);
    assert!(
        master_peak(&mut h, &mut e, 50) > 0.1,
        "the soloed tone plays on"
    );
    // Removing it takes its solo too: the silent track is all that is left.
    h.touch(tablet, Address::parse("strip/1/fader").unwrap(), false)
        .unwrap();
    assert_eq!(h.remove_track(ME, 0).unwrap(), "High");
    master_peak(&mut h, &mut e, 50);
    assert!(master_peak(&mut h, &mut e, 50) < 1e-4, "silence");
    let saved = faderd::config::session_to_yaml(h.session());
    assert!(!saved.contains("Low") && !saved.contains("High"), "{saved}");
    assert!(saved.contains("Quiet"), "{saved}");
    assert!(h.is_dirty());
    // A track that is not there, and the last one, are refused.
    assert!(matches!(
        h.remove_track(ME, 3),
        Err(IntentError::NoSuchTarget(..))
    ));
    assert!(matches!(h.remove_track(ME, 0), Err(IntentError::Busy(..))));
    assert_eq!(h.session().tracks.len(), 1);
}
