//! # fader-firmware: the reference firmware core of a motorized-fader board
//!
//! `no_std`, no allocation, no floating point: it ports to small
//! microcontrollers. The board's hardware is reached through four traits
//! ([`Motor`], [`Adc`], [`TouchSense`], [`Link`]); the core does the rest:
//!
//! - the [fader-link](fader_link) protocol: frames in, commands handled,
//!   answers and reports out; malformed frames are dropped and counted;
//! - per fader, a 1 kHz control [`Firmware::tick`]: ADC filtering (an
//!   exponential moving average in fixed point), touch debounce, and a PID
//!   position loop with deadband and integral clamping;
//! - the touch rules: no motor drive while a fader is touched (the hand
//!   wins, SetFader for it is ignored), Touch is reported before any
//!   Position the touch causes, and positions go out only for moves the
//!   host did not command, at most every [`REPORT_TICKS`] ticks.
#![no_std]

#[cfg(feature = "sim")]
pub mod sim;

use fader_link::{
    Deframer, FromBoard, MAX_PAYLOAD, POSITION_MAX, ToBoard, caps, error_code, frame,
};

/// Most faders one core drives.
pub const MAX_FADERS: usize = 8;
/// Most LEDs.
pub const MAX_LEDS: usize = 16;
/// A fader's position is reported at most every this many ticks (5 ms at 1 kHz).
pub const REPORT_TICKS: u16 = 5;
/// Motor drive range: -1000..=1000 (per mille of full power).
pub const DRIVE_MAX: i32 = 1000;

/// A fader motor's driver.
pub trait Motor {
    /// Drive fader `index`'s motor: -1000 (full down) ..= 1000 (full up); 0 stops.
    fn drive(&mut self, index: usize, duty: i16);
}

/// The fader position sensors.
pub trait Adc {
    /// Raw reading of fader `index`, 0..=[`Config::adc_max`].
    fn read(&mut self, index: usize) -> u16;
}

/// The touch sensors (capacitive fader knobs).
pub trait TouchSense {
    /// Is fader `index` being touched (raw, undebounced)?
    fn touched(&mut self, index: usize) -> bool;
}

/// The serial line to the host.
pub trait Link {
    /// Write bytes (a whole frame).
    fn write(&mut self, bytes: &[u8]);
}

/// The board's fixed facts and the loop's tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Motor faders (at most [`MAX_FADERS`]).
    pub faders: u8,
    /// Highest raw ADC value.
    pub adc_max: u16,
    /// Bits the ADC resolves (reported to the host).
    pub resolution_bits: u8,
    /// Faders report touch.
    pub touch_sense: bool,
    /// LEDs (at most [`MAX_LEDS`]).
    pub leds: u8,
    /// Firmware version.
    pub firmware: [u8; 3],
    /// PID gains, Q8.8.
    pub kp: u16,
    /// Integral gain, Q8.8 (per tick).
    pub ki: u16,
    /// Derivative gain, Q8.8.
    pub kd: u16,
    /// No drive within this many positions (14-bit) of the target.
    pub deadband: u16,
    /// Ticks a touch reading must hold before it counts.
    pub touch_debounce: u8,
    /// ADC filter strength: the average moves 1/2^shift of the way per tick.
    pub filter_shift: u8,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            faders: 4,
            adc_max: 4095,
            resolution_bits: 12,
            touch_sense: true,
            leds: 8,
            firmware: [0, 1, 0],
            kp: 3 * 256,
            ki: 2,
            kd: 24 * 256,
            deadband: 24,
            touch_debounce: 3,
            filter_shift: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Fader {
    /// Filtered position, 14-bit << 8.
    filtered: u32,
    primed: bool,
    target: Option<u16>,
    integral: i32,
    prev_err: i32,
    /// Debounced touch, and the raw reading run.
    touched: bool,
    run: u8,
    last_raw_touch: bool,
    /// Last position reported, and ticks since a report.
    reported: Option<u16>,
    since_report: u16,
    /// Where the motor last left it (to tell hand moves from motor moves).
    rest: Option<u16>,
}

/// Counters of what was refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames dropped: bad COBS, CRC or length.
    pub bad_frames: u32,
    /// Messages of an unknown type or wrong length for their type.
    pub bad_messages: u32,
}

/// The firmware core. See the crate docs.
#[derive(Debug)]
pub struct Firmware {
    cfg: Config,
    faders: [Fader; MAX_FADERS],
    leds: [u8; MAX_LEDS],
    deframer: Deframer,
    stats: Stats,
}

fn send(link: &mut impl Link, m: FromBoard) {
    link.write(frame(m.payload().bytes()).bytes());
}

impl Firmware {
    /// A core for a board described by `cfg`.
    pub fn new(mut cfg: Config) -> Firmware {
        cfg.faders = cfg.faders.min(MAX_FADERS as u8);
        cfg.leds = cfg.leds.min(MAX_LEDS as u8);
        Firmware {
            cfg,
            faders: [Fader::default(); MAX_FADERS],
            leds: [0; MAX_LEDS],
            deframer: Deframer::default(),
            stats: Stats::default(),
        }
    }

    /// What was refused so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The LED states the host set (0 off, 1 on, 2 blink).
    pub fn leds(&self) -> &[u8] {
        &self.leds[..usize::from(self.cfg.leds)]
    }

    /// The position fader `index` is driven to, if any.
    pub fn target(&self, index: usize) -> Option<u16> {
        self.faders.get(index).and_then(|f| f.target)
    }

    /// One byte from the host.
    pub fn on_byte(&mut self, b: u8, link: &mut impl Link) {
        let mut buf = [0u8; MAX_PAYLOAD];
        match self.deframer.push(b, &mut buf) {
            None => {}
            Some(Err(_)) => self.stats.bad_frames += 1,
            Some(Ok(n)) => match ToBoard::parse(&buf[..n]) {
                Ok(m) => self.command(m, link),
                Err(fader_link::FrameError::UnknownType(_)) => {
                    self.stats.bad_messages += 1;
                    send(
                        link,
                        FromBoard::Error {
                            code: error_code::UNKNOWN_TYPE,
                        },
                    );
                }
                Err(_) => {
                    self.stats.bad_messages += 1;
                    send(
                        link,
                        FromBoard::Error {
                            code: error_code::BAD_LENGTH,
                        },
                    );
                }
            },
        }
    }

    fn command(&mut self, m: ToBoard, link: &mut impl Link) {
        match m {
            ToBoard::Hello { .. } => send(
                link,
                FromBoard::HelloReply {
                    version: fader_link::PROTOCOL_VERSION,
                    firmware: self.cfg.firmware,
                    faders: self.cfg.faders,
                    resolution_bits: self.cfg.resolution_bits,
                    capabilities: if self.cfg.touch_sense { caps::TOUCH } else { 0 }
                        | if self.cfg.leds > 0 { caps::LEDS } else { 0 },
                    buttons: 0,
                    encoders: 0,
                    leds: self.cfg.leds,
                },
            ),
            ToBoard::SetFader { index, position } => {
                match self.faders[..usize::from(self.cfg.faders)].get_mut(usize::from(index)) {
                    // The hand wins: a touched fader ignores setpoints.
                    Some(f) if f.touched => {}
                    Some(f) => {
                        if f.target != Some(position) {
                            f.integral = 0;
                        }
                        f.target = Some(position.min(POSITION_MAX));
                    }
                    None => send(
                        link,
                        FromBoard::Error {
                            code: error_code::BAD_INDEX,
                        },
                    ),
                }
            }
            ToBoard::SetLed { index, state } => {
                match self.leds[..usize::from(self.cfg.leds)].get_mut(usize::from(index)) {
                    Some(l) => *l = state.min(2),
                    None => send(
                        link,
                        FromBoard::Error {
                            code: error_code::BAD_INDEX,
                        },
                    ),
                }
            }
            ToBoard::Configure {
                kp,
                ki,
                kd,
                deadband,
            } => {
                self.cfg.kp = kp;
                self.cfg.ki = ki;
                self.cfg.kd = kd;
                self.cfg.deadband = deadband;
            }
            ToBoard::Ping { seq } => send(link, FromBoard::Pong { seq }),
        }
    }

    /// One control period (call at 1 kHz): read, debounce, drive, report.
    /// `hw` is the board: its motors, position sensors and touch sensors.
    pub fn tick<H: Motor + Adc + TouchSense>(&mut self, hw: &mut H, link: &mut impl Link) {
        let cfg = self.cfg;
        for (i, f) in self.faders[..usize::from(cfg.faders)]
            .iter_mut()
            .enumerate()
        {
            // ADC to 14-bit, filtered.
            let raw = u32::from(hw.read(i).min(cfg.adc_max));
            let pos14 = raw * u32::from(POSITION_MAX) / u32::from(cfg.adc_max.max(1));
            if !f.primed {
                f.filtered = pos14 << 8;
                f.primed = true;
            } else {
                let target = pos14 << 8;
                f.filtered = if target >= f.filtered {
                    f.filtered + ((target - f.filtered) >> cfg.filter_shift)
                } else {
                    f.filtered - ((f.filtered - target) >> cfg.filter_shift)
                };
            }
            let pos = (f.filtered >> 8) as u16;

            // Touch, debounced; reported before anything it causes.
            if cfg.touch_sense {
                let t = hw.touched(i);
                if t == f.last_raw_touch {
                    f.run = f.run.saturating_add(1);
                } else {
                    f.run = 1;
                    f.last_raw_touch = t;
                }
                if f.run >= cfg.touch_debounce && t != f.touched {
                    f.touched = t;
                    send(
                        link,
                        FromBoard::Touch {
                            index: i as u8,
                            on: t,
                        },
                    );
                    if t {
                        // The hand owns the fader now.
                        f.target = None;
                        f.integral = 0;
                    } else {
                        f.rest = Some(pos);
                    }
                }
            }

            // Drive.
            let duty = match (f.touched, f.target) {
                (false, Some(target)) => {
                    let err = i32::from(target) - i32::from(pos);
                    if err.abs() <= i32::from(cfg.deadband) {
                        f.integral = 0;
                        f.prev_err = err;
                        f.rest = Some(pos);
                        0
                    } else {
                        f.integral = (f.integral + err).clamp(-200_000, 200_000);
                        let d = err - f.prev_err;
                        f.prev_err = err;
                        let u = (i32::from(cfg.kp) * err
                            + i32::from(cfg.ki) * f.integral / 16
                            + i32::from(cfg.kd) * d)
                            >> 8;
                        f.rest = None;
                        u.clamp(-DRIVE_MAX, DRIVE_MAX)
                    }
                }
                _ => 0,
            };
            hw.drive(i, duty as i16);

            // Report moves the host did not command: under the hand, or,
            // on a board without touch, a move away from where the motor
            // left it.
            f.since_report = f.since_report.saturating_add(1);
            let moved_by_hand = f.touched
                || (!cfg.touch_sense
                    && f.target.is_none()
                    && f.rest.is_some_and(|r| r.abs_diff(pos) > cfg.deadband));
            if moved_by_hand
                && f.since_report >= REPORT_TICKS
                && f.reported.is_none_or(|r| r.abs_diff(pos) > 2)
            {
                f.reported = Some(pos);
                f.since_report = 0;
                send(
                    link,
                    FromBoard::Position {
                        index: i as u8,
                        position: pos,
                    },
                );
            }
        }
    }
}
