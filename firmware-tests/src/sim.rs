//! A simulated fader board for host tests and for trying faderd without
//! hardware (feature `sim`, which needs `std`).
//!
//! [`FaderPhysics`] is one 100 mm motorized fader: a carriage mass, a DC
//! motor, Coulomb (static and sliding) and viscous friction, end stops and
//! a noisy 12-bit ADC, stepped at 10 kHz. [`SimBoard`] is a set of them
//! behind the core's hardware traits, with a hand that can touch and hold
//! each knob. [`VirtualBoard`] runs the firmware core against a
//! [`SimBoard`] in real time on a serial port (a pseudo-terminal), so the
//! real daemon can talk to it.

extern crate std;

use crate::{Adc, Config, Firmware, Link, Motor, Stats, TouchSense};
use fader_link::{Deframer, MAX_PAYLOAD, POSITION_MAX, ToBoard};
use std::string::String;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use std::vec::Vec;

/// Length of travel.
pub const TRAVEL_M: f64 = 0.1;
/// Carriage and knob.
pub const MASS_KG: f64 = 0.06;
/// Motor force at full drive.
pub const MOTOR_N: f64 = 2.5;
/// Static (breakaway) friction.
pub const STATIC_N: f64 = 0.35;
/// Sliding friction.
pub const SLIDING_N: f64 = 0.25;
/// Viscous friction.
pub const VISCOUS_NS_PER_M: f64 = 3.0;
/// The simulated ADC's full scale (12 bits).
pub const ADC_MAX: u16 = 4095;

/// One physical fader.
#[derive(Debug, Clone)]
pub struct FaderPhysics {
    /// Position, 0..1 of travel.
    pub x: f64,
    /// Velocity, travel per second.
    pub v: f64,
    /// Motor drive, -1..1.
    pub duty: f64,
    /// A hand holding the knob at this position (it wins over the motor).
    pub hand: Option<f64>,
    noise: u32,
}

impl FaderPhysics {
    /// A fader at rest at `x`.
    pub fn new(x: f64) -> FaderPhysics {
        FaderPhysics {
            x,
            v: 0.0,
            duty: 0.0,
            hand: None,
            noise: 0x1234_5678,
        }
    }

    /// 1 ms of physics in 10 steps.
    pub fn step_ms(&mut self) {
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

    /// The position in protocol units (0..=16383).
    pub fn pos14(&self) -> f64 {
        self.x * f64::from(POSITION_MAX)
    }

    /// An ADC reading: the position with +/- 2 LSB of noise.
    pub fn adc(&mut self) -> u16 {
        self.noise = self
            .noise
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        let n = (self.noise >> 29) as i32 - 4;
        let raw = (self.x * f64::from(ADC_MAX)).round() as i32 + n / 2;
        raw.clamp(0, i32::from(ADC_MAX)) as u16
    }
}

/// Faders, touch sensors and a hand: the hardware the core drives.
#[derive(Debug, Clone)]
pub struct SimBoard {
    /// The faders.
    pub faders: Vec<FaderPhysics>,
    /// Raw touch sensor state per fader.
    pub touched: Vec<bool>,
}

impl SimBoard {
    /// `n` faders at rest at the bottom.
    pub fn new(n: usize) -> SimBoard {
        SimBoard {
            faders: (0..n).map(|_| FaderPhysics::new(0.0)).collect(),
            touched: std::vec![false; n],
        }
    }

    /// 1 ms of physics for every fader.
    pub fn step_ms(&mut self) {
        for f in &mut self.faders {
            f.step_ms();
        }
    }
}

impl Motor for SimBoard {
    fn drive(&mut self, index: usize, duty: i16) {
        if let Some(f) = self.faders.get_mut(index) {
            f.duty = f64::from(duty) / 1000.0;
        }
    }
}

impl Adc for SimBoard {
    fn read(&mut self, index: usize) -> u16 {
        self.faders.get_mut(index).map_or(0, FaderPhysics::adc)
    }
}

impl TouchSense for SimBoard {
    fn touched(&mut self, index: usize) -> bool {
        self.touched.get(index).copied().unwrap_or(false)
    }
}

/// A board's configuration for the simulated hardware ([`ADC_MAX`]).
pub fn sim_config(faders: u8) -> Config {
    Config {
        faders,
        adc_max: ADC_MAX,
        ..Config::default()
    }
}

/// Everything a [`VirtualBoard`]'s thread shares with its owner.
#[derive(Debug)]
pub struct BoardState {
    /// The core.
    pub firmware: Firmware,
    /// The hardware.
    pub board: SimBoard,
    /// Raw bytes to write before the next tick (garbage, hand-made frames).
    pub inject: Vec<u8>,
    /// Every byte the board wrote.
    pub written: Vec<u8>,
    /// Every well-formed message the host sent, in order.
    pub received: Vec<ToBoard>,
    log_deframer: Deframer,
}

/// Why a virtual board stopped.
pub type StopReason = String;

/// The firmware core and a [`SimBoard`] on a serial port, ticking at
/// 1 kHz on a thread of its own until dropped or until the port goes away
/// (the far end of a pseudo-terminal closed: the board was unplugged).
#[derive(Debug)]
pub struct VirtualBoard {
    state: Arc<Mutex<BoardState>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<StopReason>>,
}

struct PortLink<'a> {
    port: &'a mut dyn serialport::SerialPort,
    written: &'a mut Vec<u8>,
}

impl Link for PortLink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.written.extend_from_slice(bytes);
        let _ = std::io::Write::write_all(self.port, bytes);
    }
}

impl VirtualBoard {
    /// Open `path` and start the board: `cfg` describes it, its faders start
    /// at the bottom.
    pub fn open(path: &str, cfg: Config) -> Result<VirtualBoard, serialport::Error> {
        let mut port = serialport::new(path, 115_200)
            .timeout(Duration::from_millis(1))
            .open()?;
        let state = Arc::new(Mutex::new(BoardState {
            firmware: Firmware::new(cfg),
            board: SimBoard::new(usize::from(cfg.faders)),
            inject: Vec::new(),
            written: Vec::new(),
            received: Vec::new(),
            log_deframer: Deframer::default(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || run(&mut *port, &state, &stop))
        };
        Ok(VirtualBoard {
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// The board's state, locked (the thread waits meanwhile: keep it short).
    pub fn lock(&self) -> MutexGuard<'_, BoardState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fader `i`'s position, 0..1.
    pub fn position(&self, i: usize) -> f64 {
        self.lock().board.faders[i].x
    }

    /// A finger on fader `i` (`Some(x)`: touching and holding it at `x`),
    /// or off it.
    pub fn hand(&self, i: usize, at: Option<f64>) {
        let mut s = self.lock();
        s.board.touched[i] = at.is_some();
        s.board.faders[i].hand = at;
    }

    /// Write raw bytes on the line.
    pub fn inject(&self, bytes: &[u8]) {
        self.lock().inject.extend_from_slice(bytes);
    }

    /// What the core refused so far.
    pub fn stats(&self) -> Stats {
        self.lock().firmware.stats()
    }

    /// Every well-formed message the host sent so far.
    pub fn received(&self) -> Vec<ToBoard> {
        self.lock().received.clone()
    }

    /// The LED states the host set.
    pub fn leds(&self) -> Vec<u8> {
        self.lock().firmware.leds().to_vec()
    }

    /// True while the board runs (its port is open).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stop the board and say why it stopped.
    pub fn stop(mut self) -> StopReason {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .map_or_else(String::new, |t| t.join().unwrap_or_default())
    }
}

impl Drop for VirtualBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    port: &mut dyn serialport::SerialPort,
    state: &Mutex<BoardState>,
    stop: &AtomicBool,
) -> StopReason {
    let mut buf = [0u8; 256];
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now < next {
            // Until the next tick, take what the host sends.
            let _ = port.set_timeout(next - now);
            let n = match std::io::Read::read(port, &mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => 0,
                Err(e) => return std::format!("read: {e}"),
            };
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            let BoardState {
                firmware,
                written,
                received,
                log_deframer,
                ..
            } = &mut *s;
            let mut link = PortLink { port, written };
            let mut payload = [0u8; MAX_PAYLOAD];
            for b in &buf[..n] {
                firmware.on_byte(*b, &mut link);
                if let Some(Ok(len)) = log_deframer.push(*b, &mut payload)
                    && let Ok(m) = ToBoard::parse(&payload[..len])
                {
                    received.push(m);
                }
            }
            continue;
        }
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        let BoardState {
            firmware,
            board,
            inject,
            written,
            ..
        } = &mut *s;
        if !inject.is_empty() {
            written.extend_from_slice(inject);
            if let Err(e) = std::io::Write::write_all(port, inject) {
                return std::format!("write: {e}");
            }
            inject.clear();
        }
        firmware.tick(board, &mut PortLink { port, written });
        board.step_ms();
        drop(s);
        next += Duration::from_millis(1);
        if Instant::now().saturating_duration_since(next) > Duration::from_millis(50) {
            // Far behind (a loaded machine): do not try to catch up.
            next = Instant::now();
        }
    }
    String::from("stopped")
}
