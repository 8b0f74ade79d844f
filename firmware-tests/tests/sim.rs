//! The firmware core against a simulated fader: a 100 mm motorized fader
//! with a carriage mass, a DC motor, Coulomb (static and sliding) and
//! viscous friction, end stops and a noisy 12-bit ADC, stepped at 10 kHz
//! under the core's 1 kHz control loop. Step and ramp responses are
//! measured; the touch and framing rules are checked on the wire.

use fader_firmware::sim::{FaderPhysics, SimBoard, sim_config};
use fader_firmware::{Config, Firmware, Link};
use fader_link::{Deframer, FromBoard, MAX_PAYLOAD, POSITION_MAX, ToBoard, frame};

/// A one-fader board at rest at `x`.
fn board_at(x: f64) -> SimBoard {
    let mut b = SimBoard::new(1);
    b.faders[0] = FaderPhysics::new(x);
    b
}

#[derive(Default)]
struct Wire(Vec<u8>);

impl Link for Wire {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn messages(bytes: &[u8]) -> Vec<FromBoard> {
    let mut d = Deframer::default();
    let mut buf = [0u8; MAX_PAYLOAD];
    let mut out = Vec::new();
    for b in bytes {
        if let Some(r) = d.push(*b, &mut buf) {
            out.push(FromBoard::parse(&buf[..r.unwrap()]).unwrap());
        }
    }
    out
}

fn config() -> Config {
    sim_config(1)
}

fn command(fw: &mut Firmware, wire: &mut Wire, m: ToBoard) {
    for b in frame(m.payload().bytes()).bytes() {
        fw.on_byte(*b, wire);
    }
}

/// Run `ms` milliseconds; returns the position (14-bit) after each.
fn run(
    fw: &mut Firmware,
    sim: &mut SimBoard,
    touched: bool,
    wire: &mut Wire,
    ms: usize,
) -> Vec<f64> {
    let mut trace = Vec::with_capacity(ms);
    sim.touched[0] = touched;
    for _ in 0..ms {
        fw.tick(sim, wire);
        sim.step_ms();
        trace.push(sim.faders[0].pos14());
    }
    trace
}

/// Settle time (ms until the position stays within `band` of `target`),
/// overshoot past the target (positions) and the final error.
fn response(trace: &[f64], start: f64, target: f64, band: f64) -> (usize, f64, f64) {
    let settle = trace
        .iter()
        .rposition(|p| (p - target).abs() > band)
        .map_or(0, |i| i + 1);
    let overshoot = if target > start {
        trace.iter().fold(0.0f64, |m, p| m.max(p - target))
    } else {
        trace.iter().fold(0.0f64, |m, p| m.max(target - p))
    };
    (settle, overshoot, (trace.last().unwrap() - target).abs())
}

#[test]
fn a_step_settles_fast_without_overshoot_and_stays_within_the_deadband() {
    let cfg = config();
    let mut worst = (0usize, 0.0f64, 0.0f64);
    for (from, to) in [(0.2, 0.8), (0.8, 0.2), (0.5, 0.55), (0.05, 0.95)] {
        let mut fw = Firmware::new(cfg);
        let mut sim = board_at(from);
        let mut wire = Wire::default();
        run(&mut fw, &mut sim, false, &mut wire, 20);
        let target = (to * f64::from(POSITION_MAX)) as u16;
        command(
            &mut fw,
            &mut wire,
            ToBoard::SetFader {
                index: 0,
                position: target,
            },
        );
        let trace = run(&mut fw, &mut sim, false, &mut wire, 600);
        let band = f64::from(POSITION_MAX) * 0.005; // 0.5 % of travel
        let (settle, overshoot, err) = response(
            &trace,
            from * f64::from(POSITION_MAX),
            f64::from(target),
            band,
        );
        eprintln!(
            "step {from} -> {to}: settle {settle} ms, overshoot {:.2} %, final error {:.0} positions",
            overshoot / f64::from(POSITION_MAX) * 100.0,
            err
        );
        worst = (
            worst.0.max(settle),
            worst.1.max(overshoot),
            worst.2.max(err),
        );
        // No position reports for a move the host commanded.
        assert!(
            !messages(&wire.0)
                .iter()
                .any(|m| matches!(m, FromBoard::Position { .. })),
            "echoed its own move"
        );
    }
    let (settle, overshoot, err) = worst;
    assert!(settle <= 250, "settle {settle} ms");
    assert!(
        overshoot <= f64::from(POSITION_MAX) * 0.01,
        "overshoot {overshoot}"
    );
    assert!(
        err <= f64::from(cfg.deadband) + 16.0,
        "steady-state error {err}"
    );
}

#[test]
fn a_ramp_is_followed_closely() {
    let cfg = config();
    let mut fw = Firmware::new(cfg);
    let mut sim = board_at(0.1);
    let mut wire = Wire::default();
    run(&mut fw, &mut sim, false, &mut wire, 20);
    // 0.1 -> 0.9 of travel over one second, a setpoint every 10 ms.
    let mut worst: f64 = 0.0;
    for k in 0..=100 {
        let want = 0.1 + 0.8 * f64::from(k) / 100.0;
        let target = (want * f64::from(POSITION_MAX)) as u16;
        command(
            &mut fw,
            &mut wire,
            ToBoard::SetFader {
                index: 0,
                position: target,
            },
        );
        let trace = run(&mut fw, &mut sim, false, &mut wire, 10);
        if k > 10 {
            worst = worst.max((trace[9] - f64::from(target)).abs());
        }
    }
    eprintln!(
        "ramp: worst tracking error {:.2} % of travel",
        worst / f64::from(POSITION_MAX) * 100.0
    );
    assert!(worst <= f64::from(POSITION_MAX) * 0.04, "lag {worst}");
}

#[test]
fn a_touched_fader_is_never_driven_and_touch_comes_before_the_move() {
    let cfg = config();
    let mut fw = Firmware::new(cfg);
    let mut sim = board_at(0.5);
    let mut wire = Wire::default();
    run(&mut fw, &mut sim, false, &mut wire, 10);
    // The hand takes the knob and moves it down while the host asks for 0.9.
    sim.faders[0].hand = Some(0.5);
    let mut drives = Vec::new();
    for k in 0..200 {
        if k == 20 {
            command(
                &mut fw,
                &mut wire,
                ToBoard::SetFader {
                    index: 0,
                    position: (0.9 * f64::from(POSITION_MAX)) as u16,
                },
            );
        }
        sim.faders[0].hand = Some(0.5 - 0.3 * f64::from(k) / 200.0);
        sim.touched[0] = true;
        fw.tick(&mut sim, &mut wire);
        drives.push(sim.faders[0].duty);
        sim.step_ms();
    }
    // After the debounce (3 ticks), never any drive.
    assert!(
        drives[3..].iter().all(|d| *d == 0.0),
        "driven while touched"
    );
    assert_eq!(
        fw.target(0),
        None,
        "the setpoint under the hand was ignored"
    );
    let msgs = messages(&wire.0);
    let first_touch = msgs
        .iter()
        .position(|m| *m == FromBoard::Touch { index: 0, on: true })
        .expect("touch reported");
    let first_pos = msgs
        .iter()
        .position(|m| matches!(m, FromBoard::Position { .. }))
        .expect("moves reported");
    assert!(first_touch < first_pos, "{msgs:?}");
    // Positions follow the hand, at most every 5 ms.
    let n = msgs
        .iter()
        .filter(|m| matches!(m, FromBoard::Position { .. }))
        .count();
    assert!((20..=41).contains(&n), "{n} position reports in 200 ms");
    // Released: reported, and the motor answers setpoints again.
    sim.faders[0].hand = None;
    run(&mut fw, &mut sim, false, &mut wire, 10);
    assert!(messages(&wire.0).contains(&FromBoard::Touch {
        index: 0,
        on: false
    }));
    command(
        &mut fw,
        &mut wire,
        ToBoard::SetFader {
            index: 0,
            position: 12000,
        },
    );
    run(&mut fw, &mut sim, false, &mut wire, 400);
    assert!(
        (sim.faders[0].pos14() - 12000.0).abs() < 60.0,
        "{}",
        sim.faders[0].pos14()
    );
}

#[test]
fn malformed_frames_are_dropped_and_counted_and_the_line_recovers() {
    let mut fw = Firmware::new(config());
    let mut wire = Wire::default();
    // Noise, a frame with a bad CRC, an over-long frame.
    for b in [0x13u8, 0x37, 0xFF, 0x00] {
        fw.on_byte(b, &mut wire);
    }
    let mut bad = frame(ToBoard::Ping { seq: 1 }.payload().bytes())
        .bytes()
        .to_vec();
    let last = bad.len() - 2;
    bad[last] ^= 0x01;
    for b in bad {
        fw.on_byte(b, &mut wire);
    }
    for _ in 0..100 {
        fw.on_byte(0xAA, &mut wire);
    }
    fw.on_byte(0, &mut wire);
    assert!(wire.0.is_empty(), "answered garbage");
    assert_eq!(fw.stats().bad_frames, 3);
    // The next good frame is answered.
    command(&mut fw, &mut wire, ToBoard::Ping { seq: 99 });
    assert_eq!(messages(&wire.0), vec![FromBoard::Pong { seq: 99 }]);
    // Hello gets the board's description; a bad index an error.
    wire.0.clear();
    command(&mut fw, &mut wire, ToBoard::Hello { version: 1 });
    command(
        &mut fw,
        &mut wire,
        ToBoard::SetFader {
            index: 7,
            position: 0,
        },
    );
    let msgs = messages(&wire.0);
    assert!(matches!(
        msgs[0],
        FromBoard::HelloReply {
            faders: 1,
            resolution_bits: 12,
            ..
        }
    ));
    assert_eq!(
        msgs[1],
        FromBoard::Error {
            code: fader_link::error_code::BAD_INDEX
        }
    );
}

#[test]
fn the_core_fits_a_small_microcontrollers_ram() {
    // Everything the core keeps, for 8 faders and 16 LEDs, framing buffer
    // included: no heap, and a few hundred bytes of static RAM.
    let bytes = std::mem::size_of::<Firmware>();
    eprintln!("Firmware state: {bytes} bytes");
    assert!(bytes <= 768, "{bytes} bytes");
}
