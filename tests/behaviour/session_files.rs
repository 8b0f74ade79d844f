//! Session files: strict loading with file:line:column, lossless round
//! trips, atomic saves.

use crate::common;
use faderd::config::{self, ConfigError, load_session, parse_session, save_session};
use std::path::Path;

fn errors(yaml: &str) -> Vec<String> {
    match parse_session(yaml, Path::new("s.yaml")) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e.diagnostics().iter().map(|d| d.to_string()).collect(),
    }
}

#[test]
fn unknown_keys_and_wrong_types_name_file_line_and_column() {
    let e = errors("version: 1\nname: x\ntracks:\n  - name: A\n    gian_db: 3\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("s.yaml:5:5: unknown field `gian_db`"),
        "{e:?}"
    );

    let e = errors("version: 1\nname: x\ntracks:\n  - name: A\n    gain_db: loud\n");
    assert!(e[0].starts_with("s.yaml:5:14: "), "{e:?}");

    let e = errors("version: 1\nname: x\ntracks:\n  - { name: A, channels: quad }\n");
    assert!(
        e[0].starts_with("s.yaml:4:26: unknown variant `quad`"),
        "{e:?}"
    );

    let e = errors("version: 1\nname: x\nname: y\n");
    assert!(
        e[0].starts_with("s.yaml:3:1: duplicate mapping key"),
        "{e:?}"
    );
}

#[test]
fn semantic_errors_point_at_the_offending_value() {
    let yaml = "version: 1
name: x
buses:
  - { name: R, kind: aux }
  - { name: G, kind: group }
tracks:
  - { name: A, output: R }
  - { name: B, output: Nope, pan: 1.5 }
  - { name: C, sends: [{ bus: G, gain_db: -3 }] }
  - { name: D, gain_db: 12, source: { input: 1, file: x.wav } }
  - { name: A }
  - { name: E, automation: rewind }
  - { name: H, insert: { output: 2, input: 0, wet: 2 } }
  - { name: I, sends: [{ output: 2 }] }
";
    let e = errors(yaml);
    let want = [
        "s.yaml:7:24: 'R' is an aux bus",
        "s.yaml:8:24: no bus named 'Nope'",
        "s.yaml:8:35: pan must be between 0 and 1",
        "s.yaml:9:31: 'G' is a group bus",
        "s.yaml:10:37: source takes exactly one of",
        "s.yaml:10:25: gain_db must be above -90",
        "s.yaml:11:13: another strip is already named 'A'",
        "s.yaml:12:28: automation 'rewind' is not off, read, touch, latch, write or trim",
        "s.yaml:13:44: an interface channel is 1..=256",
        "s.yaml:13:34: interface outputs 1 and 2 carry the master mix",
        "s.yaml:13:52: insert wet must be between 0 and 1",
        "s.yaml:14:34: a hardware send uses interface outputs N and N+1",
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for (got, want) in e.iter().zip(want) {
        assert!(got.starts_with(want), "got {got:?}, want {want:?}");
    }
}

#[test]
fn names_follow_one_rule_in_files() {
    let e = errors(
        "version: 1\nname: x\nbuses:\n  - { name: Drums, kind: group }\n  - { name: Master, kind: aux }\ntracks:\n  - { name: Drums }\n  - { name: \"  \" }\n",
    );
    assert_eq!(
        e,
        vec![
            "s.yaml:5:13: 'Master' is reserved for the master bus".to_owned(),
            "s.yaml:7:13: another strip is already named 'Drums'".to_owned(),
            "s.yaml:8:13: a strip name cannot be empty".to_owned(),
        ]
    );
}

#[test]
fn saved_values_are_written_in_their_shortest_form() {
    let s = parse_session(
        "version: 1\nname: x\nbuses:\n  - { name: D, kind: aux, delay: { time: 250, feedback: 0.4, hpf: 150, lpf: 5000 } }\ntracks:\n  - { name: A, gain_db: -24.8 }\n",
        Path::new("s.yaml"),
    )
    .unwrap();
    let text = config::session_to_yaml(&s);
    assert!(text.contains("feedback: 0.4\n"), "{text}");
    assert!(text.contains("gain_db: -24.8\n"), "{text}");
    assert!(!text.contains("00000"), "{text}");
}

#[test]
fn check_and_run_read_off_and_non_utf8_alike() {
    let dir = tempfile::tempdir().unwrap();
    let off = dir.path().join("off.yaml");
    std::fs::write(
        &off,
        "version: 1\nname: x\ntracks:\n  - { name: A, gain_db: -.inf, sends: [] }\n",
    )
    .unwrap();
    assert_eq!(config::check_file(&off).unwrap(), config::FileKind::Session);
    assert_eq!(
        load_session(&off).unwrap().tracks[0].controls.gain_db,
        f64::NEG_INFINITY
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, b"version: 1\nname: \xff\n").unwrap();
    for e in [
        config::check_file(&bad).unwrap_err().to_string(),
        load_session(&bad).unwrap_err().to_string(),
    ] {
        assert!(
            e.contains("bad.yaml:2:7: the file is not UTF-8 text"),
            "{e}"
        );
    }
}

/// A session as a person writes it: comments everywhere, blank lines,
/// flow and block style, keys in their own order, values as typed.
const HAND_WRITTEN: &str = r#"# Friday's gig: front of house
version: 1
name: Gig   # shown on the surfaces

sample_rate: 48000
buses:
  # effects
  - { name: Verb, kind: aux, gain_db: -6, reverb: { size: 1.2 } }
  - { name: Drums, kind: group }   # kick and snare go here

tracks:
  - name: Kick      # channel 1
    source: { input: 1 }
    output: Drums
    gain_db: -2
    mute: true      # muted in soundcheck

  - name: Vox
    source: { input: 2 }
    pan: 0.4
    gain_db: -3.0
    sends:
      - bus: Verb
        gain_db: -12   # a little room
    lanes:
      gain: { mode: touch, points: [[0, -3], [10, -6]] }   # the bridge

master:
  gain_db: 0
  limiter: { ceiling: -1.0 }
# end of file
"#;

#[test]
fn saving_edits_only_what_changed_and_keeps_every_comment_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gig.yaml");
    std::fs::write(&p, HAND_WRITTEN).unwrap();
    let mut s = load_session(&p).unwrap();
    s.tracks[0].controls.mute = false; // back to the default
    s.tracks[0].controls.gain_db = -4.5;
    s.tracks[1].name = "Lead".into();
    s.tracks[1].controls.sends[0].gain_db = -10.0;
    s.tracks[1].controls.solo = true; // a key the file did not have
    s.buses[1].controls.gain_db = -1.0; // a key its flow mapping lacks
    let lane = s.tracks[1].controls.lanes.values_mut().next().unwrap();
    lane.points.push(faderd::dsp::automation::LanePoint {
        frame: 20 * 48_000,
        value: -3.0,
    });
    assert_eq!(save_session(&p, &s).unwrap(), config::SaveLayout::Edited);
    let saved = std::fs::read_to_string(&p).unwrap();
    let want = HAND_WRITTEN
        .replace(
            "    gain_db: -2\n    mute: true      # muted in soundcheck\n",
            "    gain_db: -4.5\n",
        )
        .replace("  - name: Vox\n", "  - name: Lead\n")
        .replace(
            "gain_db: -12   # a little room",
            "gain_db: -10.0   # a little room",
        )
        .replace(
            "points: [[0, -3], [10, -6]] }",
            "points: [[0.0, -3.0], [10.0, -6.0], [20.0, -3.0]] }",
        )
        .replace(
            "  - { name: Drums, kind: group }",
            "  - { name: Drums, kind: group, gain_db: -1.0 }",
        );
    // The new key of Vox's block mapping goes after its last line.
    let want = want.replace(
        "[20.0, -3.0]] }   # the bridge\n",
        "[20.0, -3.0]] }   # the bridge\n    solo: true\n",
    );
    assert_eq!(saved, want);
    // It reads back as what was saved, and check accepts it.
    assert_eq!(load_session(&p).unwrap().tracks[1].name, "Lead");
    assert_eq!(config::check_file(&p).unwrap(), config::FileKind::Session);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever changes, the file reads back as exactly the session saved,
    /// edited in place, with every comment still there.
    #[test]
    fn any_change_saved_in_place_reads_back_exactly(
        gains in proptest::collection::vec(proptest::option::of(-60.0f64..10.0), 4),
        mutes in proptest::collection::vec(proptest::bool::ANY, 3),
        pan in proptest::option::of(0.0f64..1.0),
        send in proptest::option::of(-40.0f64..0.0),
        name in proptest::option::of("[A-Za-z][A-Za-z0-9 ]{0,10}"),
        points in proptest::collection::vec((0u64..100, -40.0f64..6.0), 0..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gig.yaml");
        std::fs::write(&p, HAND_WRITTEN).unwrap();
        let mut s = load_session(&p).unwrap();
        let strips: [&mut faderd::model::Controls; 4] = {
            let [t0, t1] = &mut s.tracks[..] else { unreachable!() };
            let [_, b1] = &mut s.buses[..] else { unreachable!() };
            [&mut t0.controls, &mut t1.controls, &mut b1.controls, &mut s.master]
        };
        for (c, g) in strips.into_iter().zip(&gains) {
            if let Some(g) = g {
                c.gain_db = *g;
            }
        }
        s.tracks[0].controls.mute = mutes[0];
        s.tracks[1].controls.mute = mutes[1];
        s.buses[0].controls.mute = mutes[2];
        if let Some(x) = pan {
            s.tracks[1].controls.pan = x;
        }
        if let Some(x) = send {
            s.tracks[1].controls.sends[0].gain_db = x;
        }
        if let Some(n) = name.filter(|n| s.check_rename(faderd::model::StripSlot::Track(0), n.trim()).is_ok()) {
            s.tracks[0].name = n.trim().to_owned();
        }
        let lane = s.tracks[1].controls.lanes.values_mut().next().unwrap();
        let mut frames: Vec<u64> = points.iter().map(|(t, _)| 11 * 48_000 + t * 4_800).collect();
        frames.sort_unstable();
        frames.dedup();
        for (f, (_, v)) in frames.iter().zip(&points) {
            lane.points.push(faderd::dsp::automation::LanePoint { frame: *f, value: *v });
        }
        let layout = save_session(&p, &s).unwrap();
        proptest::prop_assert_eq!(layout, config::SaveLayout::Edited);
        let text = std::fs::read_to_string(&p).unwrap();
        let back = load_session(&p).unwrap();
        proptest::prop_assert_eq!(config::session_to_yaml(&back), config::session_to_yaml(&s));
        for comment in HAND_WRITTEN.lines().filter_map(|l| l.find('#').map(|i| &l[i..])) {
            if comment != "# muted in soundcheck" || mutes[0] {
                proptest::prop_assert!(text.contains(comment), "lost {:?}:\n{}", comment, text);
            }
        }
    }
}

#[test]
fn the_demo_session_round_trips_losslessly() {
    let demo = load_session(Path::new("examples/demo.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("demo.yaml");
    save_session(&p, &demo).unwrap();
    let again = load_session(&p).unwrap();
    assert_eq!(again, demo);
    // And the text is stable from then on.
    let text1 = std::fs::read_to_string(&p).unwrap();
    save_session(&p, &again).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), text1);
}

#[test]
fn every_field_survives_a_round_trip() {
    let yaml = r#"
version: 1
name: "everything: quoted # and 'odd'"
sample_rate: 44100
length_s: 12.5
pan_law_db: -4.5
smoothing_ms: 3
tempo_bpm: 97.5
buses:
  - { name: G, kind: group, gain_db: -.inf, pan: 0.25, mute: true, solo: true, sends: [{ bus: R, gain_db: -7.25 }] }
  - { name: R, kind: aux, trim_db: -2, invert: true, solo_safe: true, automation: trim, insert: { output: 7, input: 5, wet: 0.25, bypass: true, latency: { 64: 164, 256: 356 } } }
  - { name: D, kind: aux, delay: { sync: 1/8t, feedback: 0.45, hpf: 200, lpf: 4000, ping_pong: true } }
  - { name: V, kind: aux, reverb: { size: 1.5, decay: 3.25, predelay: 12, damping: 0.2, width: 0.8 } }
  - { name: D2, kind: aux, delay: { time: 333, feedback: 0.2 } }
tracks:
  - { name: In, channels: stereo, source: { input: 3 }, output: G, gain_db: 9.999, pan: 0.1, sends: [{ bus: R, gain_db: -3, pan: 0.2, pre: true }, { output: 9, gain_db: -1, pre: true }] }
  - { name: F, source: { file: "sub dir/x.wav", loop: true }, insert: { output: 3, input: 3 } }
  - { name: T, source: { tone: { wave: pink, freq_hz: 1, level_db: -40, pulse: { bpm: 97.5, decay_ms: 33, offset_beats: 0.5 }, seed: 99 } } }
  - { name: "Ünïcødé ✓" }
  - name: Auto
    automation: touch
    sends: [{ bus: R, gain_db: -6 }]
    lanes:
      gain: { points: [[0, -.inf], [0.5, -3.25], [0.5, 0], [1.0000208333333333, 10]] }
      trim: { mode: trim, points: [[0, 0], [2, -12]] }
      pan: { mode: read, points: [[0, 0.5], [3, 1]] }
      mute: { points: [[0, 0], [1, 1], [2, 0]] }
      send/1/gain: { mode: latch, points: [[0, -20]] }
    eq: { on: false, hpf: { on: true, freq: 120, slope: 18 }, bands: [{ type: notch, freq: 60, gain: 0, q: 8 }, { type: peak, freq: 700, gain: -4.5, q: 2, on: false }, { type: low_pass, freq: 12000, gain: 0, q: 0.7 }, { type: high_shelf, freq: 9000, gain: 2, q: 0.7 }] }
    comp: { threshold: -22.5, ratio: 3.5, knee: 4, attack: 3, release: 250, makeup: 2, detect: rms, sc_hpf: 100 }
    gate: { on: false, threshold: -55, ratio: 2, range: 20, attack: 0.5, hold: 30, release: 200 }
    order: dyn_eq
master: { gain_db: -0.1, mute: true, pan: 0.6, automation: write, eq: { hpf: { freq: 30 } }, limiter: { ceiling: -1.5, release: 80 } }
"#;
    let s1 = parse_session(yaml, Path::new("all.yaml")).unwrap();
    let text = config::session_to_yaml(&s1);
    let s2 =
        parse_session(&text, Path::new("saved.yaml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(s1, s2);
    assert_eq!(s2.buses[0].controls.gain_db, f64::NEG_INFINITY);
    let ins = s2.buses[1].controls.insert.as_ref().unwrap();
    assert_eq!(
        (ins.output, ins.input, ins.wet, ins.bypass),
        (7, 5, 0.25, true)
    );
    assert_eq!(ins.latency.get(&256), Some(&356));
    assert_eq!(
        s2.tracks[0].controls.sends[1].target,
        faderd::model::SendTarget::Output(9)
    );
    // Lanes: times to the sample at the session's rate, off kept as off.
    let lanes = &s2.tracks[4].controls.lanes;
    let gain = &lanes[&faderd::model::LaneParam::Gain];
    assert_eq!(gain.points[0].value, faderd::model::GAIN_OFF_DB);
    assert_eq!(gain.points[3].frame, 44_101);
    assert_eq!(
        lanes[&faderd::model::LaneParam::SendGain(0)].mode,
        Some(faderd::model::AutomationMode::Latch)
    );
    assert!(text.contains("send/1/gain"), "{text}");
    let eq = &s2.tracks[4].controls.eq;
    assert!(!eq.on && eq.hpf_on);
    assert_eq!(eq.hpf_slope, faderd::model::HpfSlope::Db18);
    assert_eq!(eq.bands[0].kind, faderd::model::BandKind::Notch);
    assert!(!eq.bands[1].on);
    assert!(s2.master.eq.hpf_on && s2.master.eq.hpf_hz == 30.0);
    let c = &s2.tracks[4].controls;
    assert!(c.comp.on && c.comp.detect == faderd::model::Detect::Rms && c.comp.sc_hpf_hz == 100.0);
    assert!(!c.gate.on && c.gate.range_db == 20.0);
    assert_eq!(c.order, faderd::model::StripOrder::DynamicsThenEq);
    let l = s2.master.limiter;
    assert!(l.on && l.ceiling_dbtp == -1.5 && l.release_ms == 80.0);
    assert_eq!(s2.tempo_bpm, 97.5);
    match s2.buses[2].controls.effect {
        faderd::model::Effect::Delay(d) => {
            assert_eq!(d.sync.map(|s| s.to_string()).as_deref(), Some("1/8t"));
            assert!(d.echo.ping_pong && d.echo.lpf_hz == 4000.0);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(s2.buses[4].controls.effect, faderd::model::Effect::Delay(d) if d.sync.is_none() && d.echo.time_ms == 333.0)
    );
    assert!(
        matches!(s2.buses[3].controls.effect, faderd::model::Effect::Reverb(r) if r.decay_s == 3.25)
    );
}

#[test]
fn bad_lanes_are_located() {
    let got = errors(
        r#"
version: 1
name: s
tracks:
  - name: A
    lanes:
      fader: { points: [[0, 0]] }
      gain: { points: [[1, 0], [0.5, -3], [2, 11]] }
      pan: { mode: sideways, points: [[0, 2]] }
      mute: { points: [[0, 0.5]] }
      send/2/gain: { points: [[0, 0]] }
      eq/3/freq: { points: [[0, 5]] }
      comp/on: { points: [[0, 0.5]] }
"#,
    );
    for want in [
        "s.yaml:7:14: 'fader' is not an automatable parameter (gain, trim, pan, mute, send/N/gain, hpf/on|freq, eq/on, eq/N/on|gain|freq|q, comp/on|threshold|ratio|knee|attack|release|makeup|sc_hpf, gate/on|threshold|ratio|range|attack|hold|release, limiter/ceiling|release, delay/time|feedback|hpf|lpf, reverb/size|decay|predelay|damping|width)",
        "s.yaml:12:29: eq/3/freq lane values are 20..=20000, not 5",
        "s.yaml:13:27: comp/on lane values are 0 or 1, not 0.5",
        "s.yaml:8:32: lane points must be in time order",
        "s.yaml:8:43: a gain lane value is at most +10 dB, or -.inf for off; not 11",
        "s.yaml:9:20: automation 'sideways' is not off, read, touch, latch, write or trim",
        "s.yaml:9:39: a pan lane value is 0..=1, not 2",
        "s.yaml:10:24: a mute lane value is 0 or 1, not 0.5",
        "s.yaml:11:20: lane 'send/2/gain': this strip has 0 sends",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}\nnot in\n{got:#?}");
    }
}

#[test]
fn a_failed_save_keeps_the_saved_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.yaml");
    let demo = load_session(Path::new("examples/demo.yaml")).unwrap();
    save_session(&p, &demo).unwrap();
    let before = std::fs::read(&p).unwrap();
    // A read-only folder: the temporary file cannot be created.
    let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(dir.path(), perms.clone()).unwrap();
    let result = save_session(&p, &demo);
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(dir.path(), perms).unwrap();
    if nix_root() {
        // root ignores folder permissions; nothing more to check.
        return;
    }
    assert!(matches!(result, Err(ConfigError::Write { .. })));
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

fn nix_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

#[test]
fn every_shipped_file_validates() {
    let mut checked = 0;
    for dir in ["examples", "surfaces", "maps"] {
        for entry in common::files_under(Path::new(dir)) {
            if entry.extension().is_some_and(|e| e == "yaml") {
                config::check_file(&entry).unwrap_or_else(|e| panic!("{e}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "only {checked} files checked");
}

#[test]
fn bad_eq_settings_are_located() {
    let got = errors(
        r#"
version: 1
name: s
tracks:
  - name: A
    eq: { hpf: { slope: 36, freq: 5 }, bands: [{ type: bell }, { gain: 30 }, { q: 0 }, {}, {}] }
"#,
    );
    for want in [
        "s.yaml:6:35: hpf freq must be between 20 and 20000, not 5",
        "s.yaml:6:25: hpf slope is 12, 18 or 24 (dB/octave)",
        "s.yaml:6:56: band type 'bell' is not low_shelf, peak, high_shelf, low_pass, high_pass or notch",
        "s.yaml:6:72: band gain must be between -18 and 18, not 30",
        "s.yaml:6:83: band q must be between 0.1 and 16, not 0",
        "s.yaml:6:92: the EQ has 4 bands",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}\nnot in\n{got:#?}");
    }
}

#[test]
fn a_limiter_belongs_to_master_only() {
    let got = errors(
        r#"
version: 1
name: s
tracks:
  - { name: A, limiter: { ceiling: -1 } }
master: { limiter: { ceiling: 3, release: 1 } }
"#,
    );
    for want in [
        "s.yaml:5:25: `limiter` does not apply to a track (the limiter is the master's)",
        "s.yaml:6:31: limiter ceiling must be between -24 and 0, not 3",
        "s.yaml:6:43: limiter release must be between 5 and 2000, not 1",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}\nnot in\n{got:#?}");
    }
}

#[test]
fn effects_belong_to_aux_buses() {
    let got = errors(
        r#"
version: 1
name: s
buses:
  - { name: G, kind: group, reverb: {} }
  - { name: A, kind: aux, delay: { sync: 1/5x }, reverb: { decay: 99 } }
tracks:
  - { name: T, delay: {} }
"#,
    );
    for want in [
        "effects are for aux buses (send to them), not group buses",
        "a bus has one effect: delay or reverb",
        "sync '1/5x' is not a note value such as 1/4, 1/8d or 1/16t",
        "reverb decay must be between 0.1 and 20, not 99",
        "`delay` does not apply to a track (effects are on aux buses)",
    ] {
        assert!(
            got.iter().any(|g| g.contains(want)),
            "{want}\nnot in\n{got:#?}"
        );
    }
}

#[test]
fn a_strip_colour_is_read_written_and_a_wrong_one_located() {
    let yaml = "version: 1\nname: s\ntracks:\n  - { name: A, colour: Magenta }\n  - { name: B }\n";
    let s = parse_session(yaml, Path::new("s.yaml")).unwrap();
    assert_eq!(
        s.tracks[0].controls.colour,
        faderd::model::StripColour::Magenta
    );
    assert_eq!(
        s.tracks[1].controls.colour,
        faderd::model::StripColour::None
    );
    let saved = faderd::config::session_to_yaml(&s);
    assert!(saved.contains("colour: magenta"), "{saved}");
    assert_eq!(saved.matches("colour").count(), 1, "{saved}");
    let got = errors("version: 1\nname: s\ntracks:\n  - { name: A, colour: teal }\n");
    let want =
        "s.yaml:4:24: colour 'teal' is not none, red, green, yellow, blue, magenta, cyan or white";
    assert!(got.iter().any(|g| g == want), "{want}\nnot in\n{got:#?}");
}
