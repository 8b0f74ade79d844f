//! Automation through an emulated X-Touch (Mackie Control over JACK MIDI,
//! on a jackd dummy server) against the real daemon: in read mode the
//! motor fader follows the lane and a hand on it changes nothing it plays;
//! a touch pass from the surface is written and saved; the automation
//! buttons set modes and light.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::mackie_emu::Emulator;
use common::{db, liblo_tools_available, oscsend, run_session, terminate};
use faderd::dsp::{db_to_pos, pos_to_db};
use faderd::model::LaneParam;
use faderd::surfaces::mackie::codec::{self, FromSurface, ToSurface};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-mackie, connect: none }
surfaces:
  - mackie:
      units:
        - { profile: x-touch, midi: X-Touch }
        - { profile: x-touch-extender, midi: X-Touch Ext }
"#;

fn session() -> String {
    let mut y = String::from(
        "version: 1\nname: auto-mackie\ntracks:\n  - { name: T1, source: { input: 1 }, automation: read, lanes: { gain: { points: [[0, -40], [8, 0]] } } }\n  - { name: T2, source: { input: 2 }, gain_db: -20, automation: touch, lanes: { gain: { points: [[0, -20], [60, -20]] } } }\n",
    );
    for t in 3..=16 {
        writeln!(y, "  - {{ name: T{t}, source: {{ input: {t} }} }}").unwrap();
    }
    y
}

/// Unit `unit` through its handshake and drawn whole (its last strip's
/// name shown).
fn handshake(emu: &Emulator, unit: usize) {
    let last = if unit == 0 { "T8" } else { "T16" };
    emu.handshake(unit, Emulator::names_drawn(last));
}

/// Fader positions (0..1) sent to fader `f` of the main unit.
fn motor(msgs: &[(usize, Instant, ToSurface)], f: u8) -> Vec<f64> {
    msgs.iter()
        .filter_map(|(u, _, m)| match m {
            ToSurface::Fader { fader, value } if *u == 0 && *fader == f => {
                Some(f64::from(*value) / 16383.0)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn motor_faders_follow_playback_and_a_touch_pass_from_the_surface_is_written() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("auto-mackie");
    let run = run_session(&session(), CONFIG);
    let osc = run.osc;
    let emu = Emulator::start();
    emu.plug(0);
    emu.plug(1);
    handshake(&emu, 0);
    handshake(&emu, 1);
    // DC into T1; master L is what T1 plays.
    let probe = Probe::start("probe-auto", 0.5);
    probe.connect(&probe.port("out"), "fd-mackie:in 1");
    probe.connect("fd-mackie:Master out L", &probe.port("in_l"));
    let centre = std::f64::consts::FRAC_PI_4.cos();
    let heard_db = |p: &Probe| 20.0 * (f64::from(p.seen().0) / (0.5 * centre)).log10();

    oscsend(osc, &["/transport/play"]);
    std::thread::sleep(Duration::from_millis(300));
    emu.take();

    // Read: the motor follows the lane up (5 dB a second).
    let msgs = emu.collect(Duration::from_millis(800));
    let pos = motor(&msgs, 0);
    assert!(pos.len() >= 8, "{pos:?}");
    assert!(pos.windows(2).all(|w| w[1] >= w[0]), "{pos:?}");
    let rise = pos_to_db(pos[pos.len() - 1]) - pos_to_db(pos[0]);
    assert!(
        (2.0..6.0).contains(&rise),
        "rose {rise} dB in 0.8 s: {pos:?}"
    );

    // A hand pulls fader 1 down: while touched the motor is left alone,
    // and what plays is still the lane.
    let before = heard_db(&probe);
    emu.send(0, FromSurface::Touch { fader: 0, on: true });
    emu.send(
        0,
        FromSurface::Fader {
            fader: 0,
            value: codec::pos_to_fader(0.05),
        },
    );
    std::thread::sleep(Duration::from_millis(300));
    let after = heard_db(&probe);
    assert!(
        after > before && after - before < 3.0,
        "heard {before:.1} then {after:.1} dB: the hand changed the playback"
    );
    emu.take();
    emu.send(
        0,
        FromSurface::Touch {
            fader: 0,
            on: false,
        },
    );
    // Released: the motor goes back to the lane.
    let back = emu.wait(Duration::from_secs(1), |u, m| {
        u == 0
            && matches!(m, ToSurface::Fader { fader: 0, value }
            if pos_to_db(f64::from(*value) / 16383.0) > -36.0)
    });
    assert!(!motor(&back, 0).is_empty());

    // A touch pass on fader 2 (T2, touch mode): ride to -5 dB and let go.
    emu.take();
    emu.send(0, FromSurface::Touch { fader: 1, on: true });
    for k in 1..=8 {
        let db = -20.0 + 15.0 * f64::from(k) / 8.0;
        emu.send(
            0,
            FromSurface::Fader {
                fader: 1,
                value: codec::pos_to_fader(db_to_pos(db)),
            },
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(300));
    // Nothing but echoes of its own moves went to the touched fader.
    let during = motor(&emu.take(), 1);
    assert!(
        during
            .iter()
            .all(|p| (pos_to_db(*p) - -20.0) >= -0.1 && pos_to_db(*p) <= -4.9),
        "{during:?}"
    );
    emu.send(
        0,
        FromSurface::Touch {
            fader: 1,
            on: false,
        },
    );
    // The glide back is played and the motor follows it down to -20 dB.
    let glide = emu.wait(Duration::from_secs(2), |u, m| {
        u == 0
            && matches!(m, ToSurface::Fader { fader: 1, value }
                if (pos_to_db(f64::from(*value) / 16383.0) + 20.0).abs() < 0.3)
    });
    let down = motor(&glide, 1);
    assert!(down.len() >= 2, "{down:?}");
    oscsend(osc, &["/transport/stop"]);
    std::thread::sleep(Duration::from_millis(200));

    drop(probe);
    drop(emu);
    let common::Running {
        mut child,
        session: path,
        dir: _dir,
        ..
    } = run;
    let st = terminate(&mut child.0);
    assert!(st.success(), "{st:?}");
    drop(server);
    let s = faderd::config::load_session(&path).unwrap();
    let lane: Vec<(f64, f64)> = s.tracks[1].controls.lanes[&LaneParam::Gain]
        .points
        .iter()
        .map(|p| (p.frame as f64 / 48_000.0, p.value))
        .collect();
    let top = lane.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    assert!((top + 5.0).abs() < 0.2, "{lane:?}");
    assert_eq!(lane.first(), Some(&(0.0, -20.0)));
    assert_eq!(lane.last(), Some(&(60.0, -20.0)));
    // Read mode left T1's lane alone.
    assert_eq!(s.tracks[0].controls.lanes[&LaneParam::Gain].points.len(), 2);
    let _ = db(0.0);
}
