//! The firmware core against a simulated fader: a 100 mm motorized fader
//! with a carriage mass, a DC motor, Coulomb (static and sliding) and
//! viscous friction, end stops and a noisy 12-bit ADC, stepped at 10 kHz
//! under the core's 1 kHz control loop. Step and ramp responses are
//! measured; the touch and framing rules are checked on the wire.

use fader_firmware::{Adc, Config, Firmware, Link, Motor, TouchSense};
use fader_link::{Deframer, FromBoard, MAX_PAYLOAD, POSITION_MAX, ToBoard, frame};

/// The physical fader.
struct Sim {
    /// Position, 0..1 of travel.
    x: f64,
    /// Velocity, travel per second.
    v: f64,
    duty: f64,
    /// A hand holding the knob at this position (it wins over the motor).
    hand: Option<f64>,
    noise: u32,
}

const TRAVEL_M: f64 = 0.1;
const MASS_KG: f64 = 0.06;
const MOTOR_N: f64 = 2.5;
const STATIC_N: f64 = 0.35;
const SLIDING_N: f64 = 0.25;
const VISCOUS_NS_PER_M: f64 = 3.0;
const ADC_MAX: u16 = 4095;

impl Sim {
    fn new(x: f64) -> Sim {
        Sim {
            x,
            v: 0.0,
            duty: 0.0,
            hand: None,
            noise: 0x1234_5678,
        }
    }

    /// 1 ms of physics in 10 steps.
    fn step_ms(&mut self) {
        if let Some(h) = self.hand {
            self.v = (h - self.x) / 0.001;
            self.x = h;
            return;
        }
        let dt = 0.0001;
        for _ in 0..10 {
            let f_motor = self.duty * MOTOR_N;
            let v_m = self.v * TRAVEL_M;
            let f = if v_m.abs() < 1e-5 {
                if f_motor.abs() <= STATIC_N {
                    self.v = 0.0;
                    continue;
                }
                f_motor - STATIC_N * f_motor.signum()
            } else {
                f_motor - SLIDING_N * v_m.signum() - VISCOUS_NS_PER_M * v_m
            };
            let a = f / MASS_KG / TRAVEL_M;
            let v_new = self.v + a * dt;
            // Friction cannot reverse the motion by itself.
            self.v = if self.v != 0.0
                && v_new.signum() != self.v.signum()
                && f_motor.abs() <= STATIC_N
            {
                0.0
            } else {
                v_new
            };
            self.x += self.v * dt;
            if self.x <= 0.0 {
                self.x = 0.0;
                self.v = self.v.max(0.0);
            }
            if self.x >= 1.0 {
                self.x = 1.0;
                self.v = self.v.min(0.0);
            }
        }
    }

    fn pos14(&self) -> f64 {
        self.x * f64::from(POSITION_MAX)
    }
}

struct Hw<'a>(&'a mut Sim, bool);

impl Motor for Hw<'_> {
    fn drive(&mut self, _index: usize, duty: i16) {
        self.0.duty = f64::from(duty) / 1000.0;
    }
}

impl Adc for Hw<'_> {
    fn read(&mut self, _index: usize) -> u16 {
        // +/- 2 LSB of noise.
        self.0.noise = self
            .0
            .noise
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        let n = (self.0.noise >> 29) as i32 - 4;
        let raw = (self.0.x * f64::from(ADC_MAX)).round() as i32 + n / 2;
        raw.clamp(0, i32::from(ADC_MAX)) as u16
    }
}

impl TouchSense for Hw<'_> {
    fn touched(&mut self, _index: usize) -> bool {
        self.1
    }
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
    Config {
        faders: 1,
        adc_max: ADC_MAX,
        ..Config::default()
    }
}

fn command(fw: &mut Firmware, wire: &mut Wire, m: ToBoard) {
    for b in frame(m.payload().bytes()).bytes() {
        fw.on_byte(*b, wire);
    }
}

/// Run `ms` milliseconds; returns the position (14-bit) after each.
fn run(fw: &mut Firmware, sim: &mut Sim, touched: bool, wire: &mut Wire, ms: usize) -> Vec<f64> {
    let mut trace = Vec::with_capacity(ms);
    for _ in 0..ms {
        fw.tick(&mut Hw(sim, touched), wire);
        sim.step_ms();
        trace.push(sim.pos14());
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
        let mut sim = Sim::new(from);
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
    let mut sim = Sim::new(0.1);
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
    let mut sim = Sim::new(0.5);
    let mut wire = Wire::default();
    run(&mut fw, &mut sim, false, &mut wire, 10);
    // The hand takes the knob and moves it down while the host asks for 0.9.
    sim.hand = Some(0.5);
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
        sim.hand = Some(0.5 - 0.3 * f64::from(k) / 200.0);
        fw.tick(&mut Hw(&mut sim, true), &mut wire);
        drives.push(sim.duty);
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
    sim.hand = None;
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
    assert!((sim.pos14() - 12000.0).abs() < 60.0, "{}", sim.pos14());
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
