//! Dynamics: a compressor (threshold, ratio, soft knee, attack, release,
//! make-up, peak or RMS detection, side-chain high-pass) and a gate /
//! downward expander (threshold, ratio, range, attack, hold, release).
//! Stereo is linked: both channels get the same gain, from the louder.
//!
//! The gain computer works in dB; the ballistics smooth the gain change in
//! dB with one-pole filters whose time constants are the attack and
//! release times (the gain covers 63 % of a step in that time).
//!
//! The detectors give a steady level for a steady sine, so that the gain
//! follows the static curve at any frequency rather than the ripple of
//! the waveform (which the faster attack would follow into extra
//! reduction on bass):
//!
//! | detection | level it reads                                   | on a steady sine (20 Hz - 20 kHz) |
//! |-----------|--------------------------------------------------|-----------------------------------|
//! | peak      | the highest sample of this and the last half-cycle | its sample peak                 |
//! | RMS       | the mean power of the quadrature pair over 10 ms  | its RMS                           |
//!
//! The gate hears the level as peak detection does, so a steady note
//! above its threshold keeps it open between its peaks, bass included.
//!
//! Peak detection rises at once (attack is not slowed); a level that falls
//! is let go of at the next zero crossing after at least
//! [`PEAK_MIN_HALF_CYCLE_MS`], or after [`PEAK_MAX_HALF_CYCLE_MS`] without
//! one (DC and content under 20 Hz). RMS detection squares the signal's
//! quadrature pair ([`super::quadrature`]) instead of the signal, so a
//! sine's power has no ripple at twice its frequency to begin with.
//!
//! Pure, allocation-free, real-time safe.

use super::biquad::{BUTTERWORTH_Q, Coefs, Section};
use super::fastmath;
use super::quadrature::Quadrature;

/// Detector window of RMS detection.
pub const RMS_WINDOW_MS: f64 = 10.0;
/// Peak detection: a half-cycle lasts at least this long (a zero crossing
/// sooner, as noise around zero makes, does not end it).
pub const PEAK_MIN_HALF_CYCLE_MS: f32 = 1.0;
/// Peak detection: a half-cycle ends after this long without a zero
/// crossing (half a period of 20 Hz).
pub const PEAK_MAX_HALF_CYCLE_MS: f32 = 25.0;
/// Levels below this (dBFS) count as silence in the detector.
const FLOOR_DB: f32 = -120.0;

/// How the compressor hears the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Detect {
    /// The sample's magnitude.
    #[default]
    Peak,
    /// The mean square over [`RMS_WINDOW_MS`].
    Rms,
}

/// Compressor settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompSpec {
    /// In the path.
    pub on: bool,
    /// dBFS.
    pub threshold_db: f32,
    /// n:1 (1 = no compression).
    pub ratio: f32,
    /// Knee width, dB (0 = hard).
    pub knee_db: f32,
    /// ms.
    pub attack_ms: f32,
    /// ms.
    pub release_ms: f32,
    /// Make-up gain, dB.
    pub makeup_db: f32,
    /// Peak or RMS.
    pub detect: Detect,
    /// Side-chain high-pass corner, Hz (0 = off): the low end does not
    /// pump the compressor.
    pub sc_hpf_hz: f32,
}

impl Default for CompSpec {
    fn default() -> CompSpec {
        CompSpec {
            on: false,
            threshold_db: -18.0,
            ratio: 3.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 120.0,
            makeup_db: 0.0,
            detect: Detect::Peak,
            sc_hpf_hz: 0.0,
        }
    }
}

/// Gate / expander settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateSpec {
    /// In the path.
    pub on: bool,
    /// dBFS: below it the signal is turned down.
    pub threshold_db: f32,
    /// 1:n below the threshold (large = a gate).
    pub ratio: f32,
    /// The most it turns down, dB (positive: 80 = nearly shut).
    pub range_db: f32,
    /// ms to open.
    pub attack_ms: f32,
    /// ms it stays open after the level falls.
    pub hold_ms: f32,
    /// ms to close.
    pub release_ms: f32,
}

impl Default for GateSpec {
    fn default() -> GateSpec {
        GateSpec {
            on: false,
            threshold_db: -50.0,
            ratio: 10.0,
            range_db: 60.0,
            attack_ms: 1.0,
            hold_ms: 50.0,
            release_ms: 150.0,
        }
    }
}

/// The compressor's static curve: the output level for input level `x`
/// (both dB), before make-up.
pub fn comp_curve(x: f32, threshold: f32, ratio: f32, knee: f32) -> f32 {
    let over = x - threshold;
    let slope = 1.0 / ratio.max(1.0) - 1.0;
    if knee > 0.0 && 2.0 * over.abs() <= knee {
        x + slope * (over + knee / 2.0).powi(2) / (2.0 * knee)
    } else if over > 0.0 {
        x + slope * over
    } else {
        x
    }
}

/// The gate's static curve: the gain change (dB, <= 0) for input level `x`.
pub fn gate_curve(x: f32, threshold: f32, ratio: f32, range: f32) -> f32 {
    if x >= threshold {
        0.0
    } else {
        ((x - threshold) * (ratio.max(1.0) - 1.0)).max(-range.abs())
    }
}

fn coef(ms: f32, rate: f32) -> f32 {
    if ms <= 0.0 {
        0.0
    } else {
        (-1.0 / (ms * 0.001 * rate)).exp()
    }
}

/// The linked side chain: each sample of the louder channel (`l` alone
/// for mono), sign kept. `sc` is as long as `l`.
#[inline]
fn louder_into(sc: &mut [f32], l: &[f32], r: Option<&[f32]>) {
    match r {
        Some(r) => {
            for ((s, a), b) in sc.iter_mut().zip(l).zip(r) {
                *s = if a.abs() >= b.abs() { *a } else { *b };
            }
        }
        None => sc.copy_from_slice(l),
    }
}

#[inline]
fn to_db(x: f32) -> f32 {
    if x > 1e-6 {
        fastmath::amp_to_db(x)
    } else {
        FLOOR_DB
    }
}

#[inline]
fn from_db(db: f32) -> f32 {
    fastmath::db_to_amp(db)
}

/// A running compressor. See the module docs.
#[derive(Debug, Clone)]
pub struct Compressor {
    spec: CompSpec,
    rate: f32,
    att: f32,
    rel: f32,
    rms: f32,
    rms_coef: f32,
    quadrature: Quadrature,
    peak: HalfCyclePeak,
    sc: [Section; 2],
    /// Current gain change, dB (<= 0).
    gr_db: f32,
    /// The most gain reduction since it was last read, dB (<= 0).
    gr_peak: f32,
}

impl Compressor {
    /// A compressor at `spec`, `rate` Hz.
    pub fn new(spec: CompSpec, rate: u32) -> Compressor {
        let rate = rate.max(1) as f32;
        let mut c = Compressor {
            spec,
            rate,
            att: 0.0,
            rel: 0.0,
            rms: 0.0,
            rms_coef: coef(RMS_WINDOW_MS as f32, rate),
            quadrature: Quadrature::default(),
            peak: HalfCyclePeak::new(rate),
            sc: [Section::default(); 2],
            gr_db: 0.0,
            gr_peak: 0.0,
        };
        c.set(spec);
        c
    }

    /// New settings (times and the side chain take effect at once).
    pub fn set(&mut self, spec: CompSpec) {
        if spec.sc_hpf_hz != self.spec.sc_hpf_hz || self.att == 0.0 && self.rel == 0.0 {
            let c = if spec.sc_hpf_hz > 0.0 {
                Coefs::highpass(
                    f64::from(spec.sc_hpf_hz),
                    BUTTERWORTH_Q,
                    f64::from(self.rate),
                )
            } else {
                Coefs::IDENTITY
            };
            for s in &mut self.sc {
                s.set(c);
            }
        }
        self.att = coef(spec.attack_ms, self.rate);
        self.rel = coef(spec.release_ms, self.rate);
        self.spec = spec;
    }

    /// The settings.
    pub fn spec(&self) -> CompSpec {
        self.spec
    }

    /// The most gain reduction since the last call, dB (<= 0); resets.
    /// True when its side-chain filter's memory is empty (its envelope
    /// moves one way only, so a state that a block of silence leaves as it
    /// was is a true rest).
    pub fn side_chain_quiet(&self) -> bool {
        self.sc.iter().all(|s| s.is_empty()) && self.quadrature.is_empty() && self.peak.is_empty()
    }

    /// Its state, word by word (what a block of input can change).
    pub fn state_words(&self, w: &mut super::state_words::StateWords) {
        w.word(u32::from(self.spec.on));
        w.float(self.gr_db);
        w.float(self.gr_peak);
        w.float(self.rms);
        self.quadrature.state_words(w);
        self.peak.state_words(w);
        for s in &self.sc {
            s.state_words(w);
        }
    }

    /// The gain reduction a block leaves to report when its state is a
    /// fixed point: what [`Compressor::take_gain_reduction`] would give.
    pub fn resting_reduction(&self) -> f32 {
        if self.spec.on {
            self.gr_db.min(0.0)
        } else {
            0.0
        }
    }

    pub fn take_gain_reduction(&mut self) -> f32 {
        std::mem::replace(&mut self.gr_peak, 0.0)
    }

    /// Compress a block in place; `r` is `None` for mono. `sc` is scratch
    /// of the block's length (the side-chain signal); afterwards it holds
    /// what [`Compressor::gain_into`] reads.
    pub fn process(&mut self, l: &mut [f32], r: Option<&mut [f32]>, sc: &mut [f32]) {
        if !self.spec.on {
            self.gr_db = 0.0;
            return;
        }
        let n = l.len();
        // Side chain: the louder channel, high-passed.
        louder_into(&mut sc[..n], l, r.as_deref());
        if self.spec.sc_hpf_hz > 0.0 {
            self.sc[0].process(&mut sc[..n]);
        }
        let CompSpec {
            threshold_db,
            ratio,
            knee_db,
            makeup_db,
            detect,
            ..
        } = self.spec;
        let sc = &mut sc[..n];
        // Three passes over the side chain, so that the transcendental
        // math runs as SIMD and only the smoothing is sample by sample:
        // 1. the level in dB and the gain change the curve wants there;
        match detect {
            Detect::Peak => {
                for s in sc.iter_mut() {
                    *s = self.peak.tick(*s);
                }
                for s in sc.iter_mut() {
                    let level = to_db(*s);
                    *s = comp_curve(level, threshold_db, ratio, knee_db) - level;
                }
            }
            Detect::Rms => {
                let mut ms = self.rms;
                for s in sc.iter_mut() {
                    // The pair's power is twice the signal's mean square.
                    let power = 0.5 * self.quadrature.power(*s);
                    ms = self.rms_coef * ms + (1.0 - self.rms_coef) * power;
                    if ms < 1e-30 {
                        ms = 0.0;
                    }
                    *s = ms;
                }
                self.rms = ms;
                for s in sc.iter_mut() {
                    // 10 log10(ms) is the RMS in dB.
                    let level = if *s > 1e-12 {
                        fastmath::power_to_db(*s)
                    } else {
                        FLOOR_DB
                    };
                    *s = comp_curve(level, threshold_db, ratio, knee_db) - level;
                }
            }
        }
        // 2. the gain change, smoothed by attack and release;
        let (att, rel) = (self.att, self.rel);
        let attack_faster = att <= rel;
        let mut g = self.gr_db;
        let mut peak = self.gr_peak;
        for s in sc.iter_mut() {
            let want = *s;
            // Attack while the gain falls, release while it rises. With
            // the faster time constant for attack (att <= rel), the attack
            // step is the lower of the two exactly when the gain falls, so
            // a min chooses without a branch (the choice flips sample to
            // sample while the gain hovers; mispredictions would dominate).
            let by_attack = att * g + (1.0 - att) * want;
            let by_release = rel * g + (1.0 - rel) * want;
            // Comparisons rather than `f32::min`: one instruction each,
            // without NaN fix-ups on the loop's critical path.
            g = if attack_faster {
                if by_release < by_attack {
                    by_release
                } else {
                    by_attack
                }
            } else if want < g {
                by_attack
            } else {
                by_release
            };
            peak = if g < peak { g } else { peak };
            *s = g;
        }
        // 3. applied with the make-up gain (2^0 is exactly 1: no change
        // when neither applies).
        for (x, g) in l.iter_mut().zip(sc.iter()) {
            *x *= from_db(g + makeup_db);
        }
        if let Some(r) = r {
            for (x, g) in r.iter_mut().zip(sc.iter()) {
                *x *= from_db(g + makeup_db);
            }
        }
        // The state runs on exactly (a snap to 0 at the block's end would
        // make the output depend on where blocks end); once the reduction
        // is under ~1e-7 dB the gain rounds to exactly 1.
        self.gr_db = g;
        self.gr_peak = peak;
    }

    /// Multiply `gain` by the linear gain the last [`Compressor::process`]
    /// applied to each sample, given the `sc` it left (a render replays
    /// the master's dynamics on stems with it).
    pub fn gain_into(&self, sc: &[f32], gain: &mut [f32]) {
        if !self.spec.on {
            return;
        }
        let makeup_db = self.spec.makeup_db;
        for (g, s) in gain.iter_mut().zip(sc) {
            *g *= from_db(s + makeup_db);
        }
    }
}

/// Peak detection's level: the highest magnitude of the current and the
/// last completed half-cycle (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
struct HalfCyclePeak {
    /// The last completed half-cycle's peak.
    last: f32,
    /// The current half-cycle's peak so far.
    current: f32,
    /// The sign of the last non-zero sample.
    positive: bool,
    /// Samples into the current half-cycle.
    age: u32,
    min_len: u32,
    max_len: u32,
}

impl HalfCyclePeak {
    fn new(rate: f32) -> HalfCyclePeak {
        let frames = |ms: f32| ((ms * 0.001 * rate) as u32).max(1);
        HalfCyclePeak {
            last: 0.0,
            current: 0.0,
            positive: true,
            age: 0,
            min_len: frames(PEAK_MIN_HALF_CYCLE_MS),
            max_len: frames(PEAK_MAX_HALF_CYCLE_MS),
        }
    }

    /// The level after sample `x`.
    #[inline]
    fn tick(&mut self, x: f32) -> f32 {
        let a = x.abs();
        let crossed = x != 0.0 && (x > 0.0) != self.positive;
        if crossed {
            self.positive = !self.positive;
        }
        self.age += 1;
        if (crossed && self.age >= self.min_len) || self.age >= self.max_len {
            self.last = self.current;
            self.current = a;
            self.age = 0;
        } else if a > self.current {
            self.current = a;
        }
        if self.last == 0.0 && self.current == 0.0 {
            // Silence: one state, wherever the half-cycle stood.
            self.age = 0;
        }
        self.last.max(self.current)
    }

    fn is_empty(&self) -> bool {
        self.last.to_bits() == 0 && self.current.to_bits() == 0
    }

    fn state_words(&self, w: &mut super::state_words::StateWords) {
        w.float(self.last);
        w.float(self.current);
        w.word(u32::from(self.positive));
        w.word(self.age);
    }
}

/// A running gate / expander. See the module docs.
#[derive(Debug, Clone)]
pub struct Gate {
    spec: GateSpec,
    rate: f32,
    /// The level it hears: the peak of this and the last half-cycle, so a
    /// steady bass note above the threshold keeps it open between peaks.
    peak: HalfCyclePeak,
    att: f32,
    rel: f32,
    hold_frames: u32,
    held: u32,
    /// Current gain change, dB (<= 0).
    g: f32,
    /// The most gain reduction since it was last read, dB (<= 0).
    gr_peak: f32,
}

impl Gate {
    /// A gate at `spec`, `rate` Hz, starting closed if `spec` says so.
    pub fn new(spec: GateSpec, rate: u32) -> Gate {
        let rate = rate.max(1) as f32;
        let mut g = Gate {
            spec,
            rate,
            peak: HalfCyclePeak::new(rate),
            att: 0.0,
            rel: 0.0,
            hold_frames: 0,
            held: 0,
            g: 0.0,
            gr_peak: 0.0,
        };
        g.set(spec);
        g
    }

    /// New settings.
    pub fn set(&mut self, spec: GateSpec) {
        self.att = coef(spec.attack_ms, self.rate);
        self.rel = coef(spec.release_ms, self.rate);
        self.hold_frames = (spec.hold_ms.max(0.0) * 0.001 * self.rate) as u32;
        self.spec = spec;
    }

    /// The settings.
    pub fn spec(&self) -> GateSpec {
        self.spec
    }

    /// The most gain reduction since the last call, dB (<= 0); resets.
    pub fn take_gain_reduction(&mut self) -> f32 {
        std::mem::replace(&mut self.gr_peak, 0.0)
    }

    /// Gate a block in place (`r`: `None` for mono). `sc` is scratch of
    /// the block's length.
    /// Its state, word by word (what a block of input can change).
    pub fn state_words(&self, w: &mut super::state_words::StateWords) {
        w.word(u32::from(self.spec.on));
        w.float(self.g);
        w.word(self.held);
        w.float(self.gr_peak);
        self.peak.state_words(w);
    }

    /// The gain reduction a block leaves to report when its state is a
    /// fixed point: what [`Gate::take_gain_reduction`] would give.
    pub fn resting_reduction(&self) -> f32 {
        if self.spec.on { self.g.min(0.0) } else { 0.0 }
    }

    pub fn process(&mut self, l: &mut [f32], r: Option<&mut [f32]>, sc: &mut [f32]) {
        if !self.spec.on {
            self.g = 0.0;
            return;
        }
        let GateSpec {
            threshold_db,
            ratio,
            range_db,
            ..
        } = self.spec;
        let sc = &mut sc[..l.len()];
        // As the compressor: the wanted gain change as SIMD, the smoothing
        // (with its hold) sample by sample, the gain as SIMD.
        // The louder channel's sample, then the half-cycle peak of it.
        louder_into(sc, l, r.as_deref());
        for s in sc.iter_mut() {
            *s = self.peak.tick(*s);
        }
        for s in sc.iter_mut() {
            *s = gate_curve(to_db(*s), threshold_db, ratio, range_db);
        }
        let mut g = self.g;
        for s in sc.iter_mut() {
            let want = *s;
            if want >= g {
                // Opening (or open): at the attack rate; hold restarts.
                g = self.att * g + (1.0 - self.att) * want;
                if want == 0.0 {
                    self.held = self.hold_frames;
                }
            } else if self.held > 0 {
                self.held -= 1;
            } else {
                g = self.rel * g + (1.0 - self.rel) * want;
            }
            self.gr_peak = self.gr_peak.min(g);
            *s = g;
        }
        self.g = g;
        for (x, g) in l.iter_mut().zip(sc.iter()) {
            *x *= from_db(*g);
        }
        if let Some(r) = r {
            for (x, g) in r.iter_mut().zip(sc.iter()) {
                *x *= from_db(*g);
            }
        }
    }

    /// Multiply `gain` by the linear gain the last [`Gate::process`]
    /// applied to each sample, given the `sc` it left.
    pub fn gain_into(&self, sc: &[f32], gain: &mut [f32]) {
        if !self.spec.on {
            return;
        }
        for (g, s) in gain.iter_mut().zip(sc) {
            *g *= from_db(*s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_curve_has_its_threshold_ratio_and_knee() {
        // Below: unchanged; above: 1/ratio; in the knee: between, smooth.
        assert_eq!(comp_curve(-40.0, -20.0, 4.0, 0.0), -40.0);
        assert_eq!(comp_curve(0.0, -20.0, 4.0, 0.0), -15.0);
        assert_eq!(comp_curve(-20.0, -20.0, 4.0, 0.0), -20.0);
        // Soft knee: at the threshold, a quarter of the knee's reduction.
        let at = comp_curve(-20.0, -20.0, 4.0, 10.0);
        assert!((at - (-20.0 - 0.75 * 25.0 / 20.0)).abs() < 1e-5, "{at}");
        // Continuous at the knee's edges.
        assert!((comp_curve(-25.0, -20.0, 4.0, 10.0) - -25.0).abs() < 1e-5);
        assert!((comp_curve(-15.0, -20.0, 4.0, 10.0) - -18.75).abs() < 1e-5);
        assert_eq!(gate_curve(-30.0, -40.0, 10.0, 60.0), 0.0);
        assert_eq!(gate_curve(-42.0, -40.0, 10.0, 60.0), -18.0);
        assert_eq!(gate_curve(-90.0, -40.0, 10.0, 60.0), -60.0);
    }

    #[test]
    fn the_output_does_not_depend_on_the_block_size() {
        // A loud burst, then a quiet tone under the threshold for the
        // release to run out on (it must settle the same way in any block).
        let x: Vec<f32> = (0..96_000)
            .map(|i| {
                let level = if i < 4_800 { 0.5 } else { 0.01 };
                level * (i as f32 * 0.031).sin()
            })
            .collect();
        let comp = CompSpec {
            on: true,
            threshold_db: -30.0,
            ratio: 4.0,
            attack_ms: 1.0,
            release_ms: 20.0,
            ..CompSpec::default()
        };
        let gate = GateSpec {
            on: true,
            threshold_db: -60.0,
            attack_ms: 0.5,
            release_ms: 20.0,
            ..GateSpec::default()
        };
        let run = |block: usize| {
            let (mut c, mut g) = (Compressor::new(comp, 48_000), Gate::new(gate, 48_000));
            let mut y = x.clone();
            let mut sc = vec![0.0; block];
            for piece in y.chunks_mut(block) {
                g.process(piece, None, &mut sc);
                c.process(piece, None, &mut sc);
            }
            y
        };
        let reference = run(4096);
        for block in [1, 37, 1000] {
            let y = run(block);
            let at = y.iter().zip(&reference).position(|(a, b)| a != b);
            assert_eq!(at, None, "block {block}");
        }
    }

    /// A 1 kHz sine at `level` for `ms`, continuing the phase at `*n`;
    /// the gain (dB, output over input) where the sine is away from its
    /// zero crossings, NaN elsewhere.
    fn step_response(c: &mut Compressor, n: &mut usize, ms: usize, level: f32) -> Vec<f32> {
        let x: Vec<f32> = (*n..*n + ms * 48)
            .map(|i| level * (std::f32::consts::TAU * i as f32 / 48.0).sin())
            .collect();
        *n += x.len();
        let mut l = x.clone();
        let mut sc = vec![0.0; l.len()];
        c.process(&mut l, None, &mut sc);
        l.iter()
            .zip(&x)
            .map(|(y, x)| {
                if x.abs() > 0.3 * level {
                    20.0 * (y / x).log10()
                } else {
                    f32::NAN
                }
            })
            .collect()
    }

    #[test]
    fn attack_and_release_take_their_time_constants() {
        let spec = CompSpec {
            on: true,
            threshold_db: -30.0,
            ratio: 4.0,
            knee_db: 0.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            ..CompSpec::default()
        };
        let mut c = Compressor::new(spec, 48_000);
        let mut n = 0;
        // Quiet, then a step to a -10 dBFS peak: the gain falls to -15 dB,
        // 63 % of the way in the attack time (peak detection rises at once).
        step_response(&mut c, &mut n, 50, 0.001);
        let down = step_response(&mut c, &mut n, 200, 0.316_227_8);
        let t63 = down.iter().position(|g| *g <= -15.0 * 0.632).unwrap() as f32 / 48.0;
        assert!((t63 - 10.0).abs() < 0.5, "attack: 63 % after {t63} ms");
        let settled = down.iter().rev().find(|g| !g.is_nan()).unwrap();
        assert!((settled + 15.0).abs() < 0.01, "settled at {settled} dB");
        // And back: 63 % of the recovery in the release time, counted from
        // the step (the detector lets the loud half-cycles go within two
        // half-cycles of at least 1 ms: within the stated 5 %).
        let up = step_response(&mut c, &mut n, 600, 0.001);
        let t63 = up.iter().position(|g| *g >= -15.0 * 0.368).unwrap() as f32 / 48.0;
        assert!(
            (t63 - 100.0).abs() < 5.0 && t63 >= 100.0,
            "release: 63 % after {t63} ms"
        );
        assert!(c.take_gain_reduction() <= -14.9);
    }

    /// The gain a steady sine at `freq_hz` and `peak_dbfs` settles on with
    /// `detect`, against the static curve at its peak (peak detection) or
    /// its RMS: (got, wanted), dB.
    fn steady_gain(detect: Detect, freq_hz: f32, peak_dbfs: f32) -> (f32, f32) {
        let spec = CompSpec {
            on: true,
            threshold_db: -24.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 5.0,
            release_ms: 80.0,
            detect,
            ..CompSpec::default()
        };
        let mut c = Compressor::new(spec, 48_000);
        let amp = 10f32.powf(peak_dbfs / 20.0);
        let x: Vec<f64> = (0..96_000)
            .map(|i| {
                f64::from(amp)
                    * (std::f64::consts::TAU * f64::from(freq_hz) * i as f64 / 48_000.0).sin()
            })
            .collect();
        let mut y: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let mut sc = vec![0.0; 480];
        for piece in y.chunks_mut(480) {
            c.process(piece, None, &mut sc);
        }
        // Over the second second: output power over input power.
        let power = |v: &mut dyn Iterator<Item = f64>| v.map(|s| s * s).sum::<f64>();
        let got = 10.0
            * (power(&mut y[48_000..].iter().map(|v| f64::from(*v)))
                / power(&mut x[48_000..].iter().copied()))
            .log10();
        let level = match detect {
            Detect::Peak => peak_dbfs,
            Detect::Rms => peak_dbfs - 3.010_3,
        };
        (got as f32, comp_curve(level, -24.0, 4.0, 6.0) - level)
    }

    #[test]
    fn a_steady_sine_gets_the_static_curve_from_30_hz_to_15_khz() {
        for detect in [Detect::Peak, Detect::Rms] {
            for freq in [30.0, 40.0, 50.0, 100.0, 1_000.0, 5_000.0, 15_000.0] {
                for peak in [-30.0, -20.0, -10.0] {
                    let (got, want) = steady_gain(detect, freq, peak);
                    assert!(
                        (got - want).abs() < 0.25,
                        "{detect:?}, {freq} Hz at {peak} dBFS peak: {got:.2} dB, the curve says {want:.2}"
                    );
                }
            }
        }
    }

    /// A 40 Hz sine above the threshold, with no hold and a fast release:
    /// the gate stays open through the waveform's zero crossings.
    #[test]
    fn a_steady_bass_note_keeps_the_gate_open_between_its_peaks() {
        let spec = GateSpec {
            on: true,
            threshold_db: -30.0,
            ratio: 100.0,
            range_db: 60.0,
            attack_ms: 0.5,
            hold_ms: 0.0,
            release_ms: 5.0,
        };
        let mut g = Gate::new(spec, 48_000);
        let amp = 0.25f32;
        let x: Vec<f32> = (0..48_000)
            .map(|i| amp * (std::f32::consts::TAU * 40.0 * i as f32 / 48_000.0).sin())
            .collect();
        let mut y = x.clone();
        let mut sc = vec![0.0; 480];
        for piece in y.chunks_mut(480) {
            g.process(piece, None, &mut sc);
        }
        // Over the second half second, wherever the input is not tiny.
        let worst = x[24_000..]
            .iter()
            .zip(&y[24_000..])
            .filter(|(x, _)| x.abs() > 0.05 * amp)
            .map(|(x, y)| 20.0 * (y / x).log10())
            .fold(0.0f32, f32::min);
        assert!(
            worst > -0.01,
            "the gate closed by {worst:.2} dB between peaks"
        );
    }

    #[test]
    fn the_gate_holds_then_closes_to_its_range() {
        let spec = GateSpec {
            on: true,
            threshold_db: -40.0,
            ratio: 100.0,
            range_db: 60.0,
            attack_ms: 0.5,
            hold_ms: 20.0,
            release_ms: 10.0,
        };
        let mut g = Gate::new(spec, 48_000);
        // A 1 kHz tone at `level`; the gain where it is away from its zero
        // crossings, the last known gain elsewhere.
        let mut n = 0usize;
        let mut gain = |g: &mut Gate, ms: usize, level: f32| -> Vec<f32> {
            let x: Vec<f32> = (n..n + ms * 48)
                .map(|i| level * (std::f32::consts::TAU * i as f32 / 48.0).sin())
                .collect();
            n += x.len();
            let mut l = x.clone();
            let mut sc = vec![0.0; l.len()];
            g.process(&mut l, None, &mut sc);
            let mut last = 0.0;
            l.iter()
                .zip(&x)
                .map(|(y, x)| {
                    if x.abs() > 0.3 * level {
                        last = 20.0 * (y / x).log10();
                    }
                    last
                })
                .collect()
        };
        let open = gain(&mut g, 20, 0.1);
        assert!(
            open.last().unwrap().abs() < 0.01,
            "open: {}",
            open.last().unwrap()
        );
        let closing = gain(&mut g, 120, 0.001);
        // Held open for 20 ms (from when the level lets go: within two
        // half-cycles of at least 1 ms), then closing (63 % in 10 ms) to
        // -60 dB.
        assert!(closing[19 * 48].abs() < 0.01, "{}", closing[19 * 48]);
        assert!(
            closing[(20 + 2 + 10) * 48] < -60.0 * 0.6,
            "{}",
            closing[32 * 48]
        );
        assert!(
            closing[(20 + 10) * 48] > -60.0 * 0.7,
            "the let-go takes no more than 2 ms: {}",
            closing[30 * 48]
        );
        assert!((closing.last().unwrap() + 60.0).abs() < 0.1);
    }
}
