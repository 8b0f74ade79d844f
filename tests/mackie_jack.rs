//! A Mackie Control surface over JACK MIDI against the real daemon: an
//! emulated X-Touch with one extender (a JACK client with two MIDI port
//! pairs that answers like the hardware) on a jackd dummy server.
//! Handshake; banking across 16 strips; names on the scribble strips;
//! touching and moving a fader changes the engine's output and reaches an
//! OSC subscriber; nothing is sent to a touched fader; silent meters are
//! not re-sent; unplugging and replugging a unit redraws it.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::mackie_emu::Emulator;
use common::{db, liblo_tools_available, osc_subscriber, oscsend, run_session, terminate};
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
    let mut y = String::from("version: 1\nname: mackie\ntracks:\n");
    for t in 1..=20 {
        writeln!(
            y,
            "  - {{ name: T{t}, source: {{ input: {t} }}, gain_db: -20 }}"
        )
        .unwrap();
    }
    y
}

/// The top LCD line of `unit` from the LCD writes in `msgs`.
fn names(msgs: &[(usize, Instant, ToSurface)], unit: usize) -> String {
    let mut cells = [b' '; 56];
    for (u, _, m) in msgs {
        if let (true, ToSurface::Lcd { offset, text, .. }) = (*u == unit, m) {
            for (i, c) in text.iter().enumerate() {
                if let Some(slot) = cells.get_mut(usize::from(*offset) + i) {
                    *slot = *c;
                }
            }
        }
    }
    String::from_utf8_lossy(&cells).into_owned()
}

/// Unit `unit` through its handshake and drawn whole (its last strip's
/// name shown).
fn handshake(emu: &Emulator, unit: usize) -> Vec<(usize, Instant, ToSurface)> {
    let last = if unit == 0 { "T8" } else { "T16" };
    emu.handshake(unit, Emulator::names_drawn(last))
}

#[test]
fn an_emulated_x_touch_with_extender_drives_the_mix_over_jack_midi() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("mackie");
    let run = run_session(&session(), CONFIG);
    let osc = run.osc;
    let mut daemon = run.child;

    let emu = Emulator::start();
    emu.plug(0);
    emu.plug(1);
    // Before its handshake a unit's moves are not echoed, by the backend
    // or the hub (its motor is not being driven yet).
    emu.send(
        0,
        FromSurface::Fader {
            fader: 0,
            value: 1234,
        },
    );
    let early = emu.collect(Duration::from_millis(300));
    assert!(
        !early
            .iter()
            .any(|(_, _, m)| matches!(m, ToSurface::Fader { .. })),
        "{early:?}"
    );
    let main = handshake(&emu, 0);
    let ext = handshake(&emu, 1);
    assert!(
        names(&main, 0).starts_with("T1     T2     T3"),
        "{:?}",
        names(&main, 0)
    );
    assert!(
        names(&ext, 1).starts_with("T9     T10    T11"),
        "{:?}",
        names(&ext, 1)
    );

    // Audio: DC into T1; master L reads it through the fader (-20 dB).
    let probe = Probe::start("probe-mackie", 0.5);
    probe.connect(&probe.port("out"), "fd-mackie:in 1");
    probe.connect("fd-mackie:Master out L", &probe.port("in_l"));
    probe.connect("fd-mackie:Master out R", &probe.port("in_r"));
    let centre = std::f64::consts::FRAC_PI_4.cos();
    let level = |g_db: f64| 0.5 * db(g_db) * centre;
    let got = probe.wait_for((level(-20.0), level(-20.0)), 1e-5, Duration::from_secs(3));
    assert!((f64::from(got.0) - level(-20.0)).abs() < 1e-5, "{got:?}");

    // An OSC client watches.
    let (_dump, osc_lines) = osc_subscriber(osc, 19433);
    emu.take();

    // Touch fader 1 and move it to 0 dB: echoed, mixed, fed back to OSC.
    emu.send(0, FromSurface::Touch { fader: 0, on: true });
    let zero_db = codec::pos_to_fader(0.75);
    emu.send(
        0,
        FromSurface::Fader {
            fader: 0,
            value: zero_db,
        },
    );
    let echo = ToSurface::Fader {
        fader: 0,
        value: zero_db,
    };
    let mut seen = emu.wait(Duration::from_secs(1), |u, m| u == 0 && *m == echo);
    // Echoed once: by the backend in the cycle the move arrived in, and
    // not again by the hub.
    seen.extend(emu.collect(Duration::from_millis(300)));
    let echoes = seen
        .iter()
        .filter(|(u, _, m)| *u == 0 && *m == echo)
        .count();
    assert_eq!(echoes, 1, "{seen:?}");
    let got = probe.wait_for((level(0.0), level(0.0)), 1e-4, Duration::from_secs(2));
    assert!(
        (f64::from(got.0) - level(0.0)).abs() < 1e-4,
        "engine output {got:?}"
    );
    let t0 = Instant::now();
    let fed_back = loop {
        let l = osc_lines
            .recv_timeout(Duration::from_secs(2))
            .expect("OSC feedback");
        if l.contains("/strip/1/fader") {
            break l;
        }
        assert!(t0.elapsed() < Duration::from_secs(2));
    };
    let v: f64 = fed_back.split_whitespace().last().unwrap().parse().unwrap();
    assert!((v - 0.75).abs() < 1e-3, "{fed_back}");

    // While the finger is on it, an OSC move does not drive the motor.
    emu.take();
    oscsend(osc, &["/strip/1/fader", "f", "0.3"]);
    let during = emu.collect(Duration::from_millis(400));
    assert!(
        !during
            .iter()
            .any(|(u, _, m)| *u == 0 && matches!(m, ToSurface::Fader { fader: 0, .. })),
        "a touched fader was driven: {during:?}"
    );
    // Released: it goes where the mix is.
    emu.send(
        0,
        FromSurface::Touch {
            fader: 0,
            on: false,
        },
    );
    let want = codec::pos_to_fader(0.3);
    emu.wait(Duration::from_secs(1), |u, m| {
        u == 0
            && *m
                == ToSurface::Fader {
                    fader: 0,
                    value: want,
                }
    });

    // Silent strips' meters are not re-sent: a second of traffic has none
    // for strips 2..8 of the main unit, or for the extender.
    emu.take();
    let second = emu.collect(Duration::from_secs(1));
    let silent_meters: Vec<_> = second
        .iter()
        .filter(|(u, _, m)| matches!(m, ToSurface::Meter { strip, .. } if *u == 1 || *strip > 0))
        .collect();
    assert!(silent_meters.is_empty(), "{silent_meters:?}");

    // Unplug the extender and plug it back: asked again, redrawn.
    emu.unplug(1);
    std::thread::sleep(Duration::from_millis(300));
    emu.take();
    emu.plug(1);
    let again = handshake(&emu, 1);
    assert!(
        names(&again, 1).starts_with("T9     T10"),
        "{:?}",
        names(&again, 1)
    );

    let st = terminate(&mut daemon.0);
    assert!(st.success(), "{st:?}");
    drop(probe);
    drop(emu);
    drop(server);
}
