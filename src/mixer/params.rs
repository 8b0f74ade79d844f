//! The parameter table: what every kind of control is, written once.
//!
//! [`Param::spec`] gives each control's descriptor ([`Spec`]): its unit,
//! the range the hub clamps it to, how it spreads over a control's travel
//! (the taper), the value a reset returns it to, how it reads on a small
//! display, a V-Pot tick, the finest step a lane keeps, whether a finger
//! rides it, and which of the strip's engine settings it moves.
//!
//! Everything that needs one of these facts reads it here: the hub's clamps
//! ([`Hub::apply`](super::Hub::apply)), the lanes' ranges and thinning, the
//! session file's checks, and every surface's scales and labels (a value
//! means the same on a Mackie V-Pot, a serial board's fader, a MIDI knob,
//! an OSC app's `/pos` knob and the browser console). The ranges
//! themselves come from where they are enforced: the DSP kernels' ranges
//! (`dsp::*::*_RANGE`), the fader law, the model's EQ and trim limits; the
//! defaults from a new strip's settings.
//!
//! | group | unit | taper | examples |
//! |---|---|---|---|
//! | fader positions, pan, shares, switches | 0..1 | the value is the travel | `fader`, `pan`, `send/1/fader`, `insert/wet`, `mute` |
//! | gains | dB, off at -90 | the fader law | `gain`, `send/1/gain` |
//! | trims, EQ gains, thresholds, ceilings | dB | linear | `trim`, `eq/2/gain`, `comp/threshold` |
//! | frequencies, Q, ratios, times | Hz, Q, n:1, ms, s | logarithmic | `eq/1/freq`, `comp/ratio`, `gate/attack` |
//! | round trips | samples | typed, never ridden | `insert/latency` |
//!
//! Pure data and functions; any thread.

use super::address::{
    BandParam, CompParam, DelayParam, EqParam, GateParam, InsertParam, LimiterParam, Param,
    ReverbParam, SendParam,
};
use super::build::MAX_INSERT_LATENCY;
use super::push::StripParts;
use crate::dsp::fader_law::{FADER_MAX_DB, GAIN_OFF_DB};
use crate::dsp::{db_to_pos, echo, limiter, pos_to_db, reverb};
use crate::model::{
    CompSpec, EQ_FREQ_RANGE, EQ_GAIN_RANGE_DB, EQ_Q_RANGE, GateSpec, LimiterSpec, TRIM_RANGE_DB,
    f32_range,
};

/// What a control's value is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A fader's position 0..1 on the fader law.
    FaderPosition,
    /// Pan or balance, 0 (left) .. 0.5 (centre) .. 1 (right).
    Pan,
    /// Decibels (a gain or a cut).
    Db,
    /// Decibels below full scale (thresholds).
    Dbfs,
    /// Decibels of true peak (the limiter's ceiling).
    Dbtp,
    /// Hertz.
    Hz,
    /// Milliseconds.
    Ms,
    /// Seconds.
    Seconds,
    /// A ratio n:1 (or 1:n for an expander).
    Ratio,
    /// A filter's Q.
    Q,
    /// A share 0..1 (wet, feedback, damping, width, size).
    Share,
    /// Samples at the current period size.
    Samples,
    /// A filter slope, dB per octave.
    DbPerOctave,
    /// Off (0) or on (1).
    Switch,
    /// One of a few named choices (text, or its number).
    Choice,
    /// Free text (a name, a routing target).
    Text,
}

impl Unit {
    /// The symbol shown after a value ("" where none is).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Db => "dB",
            Unit::Dbfs => "dBFS",
            Unit::Dbtp => "dBTP",
            Unit::Hz => "Hz",
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::Ratio => ":1",
            Unit::Samples => "smp",
            Unit::DbPerOctave => "dB/oct",
            Unit::FaderPosition
            | Unit::Pan
            | Unit::Q
            | Unit::Share
            | Unit::Switch
            | Unit::Choice
            | Unit::Text => "",
        }
    }
}

/// How a value spreads over a control's travel 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taper {
    /// The value is the travel itself (fader positions, pan, shares; a
    /// switch or a choice is sent as it is, and the hub reads it).
    Travel,
    /// A gain in dB through the fader law ([`crate::dsp::fader_law`]).
    FaderLaw,
    /// Even steps of the unit over the range.
    Linear,
    /// Even ratios over the range (frequencies, Q, ratios, times).
    Log,
    /// Typed or measured, never ridden (a round trip in samples): no
    /// control's travel maps onto it, and it is sent as it is.
    Typed,
}

/// How a value reads in a 7-character display cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A fader position, as its gain: `-6.0`, `-inf`.
    FaderDb,
    /// A gain in dB: `-6.0`, `-inf`.
    GainDb,
    /// A pan: `L50`, ` <C>`, `R12`.
    Pan,
    /// A signed tenth: `+3.5` (trims, EQ gains, make-up).
    Signed,
    /// A tenth: `-18.0` (thresholds, ranges, ceilings, knees).
    Tenths,
    /// Two decimals: `0.35` (shares).
    Hundredths,
    /// A frequency: `80`, `2.5k`.
    Hz,
    /// Whole milliseconds: `375ms`.
    Ms,
    /// Milliseconds, with a decimal below 10: `2.5ms`, `120ms`.
    MsFine,
    /// Seconds with a decimal: `1.8s`.
    Seconds,
    /// A Q: `Q0.71`.
    Q,
    /// A ratio: `3.0:1`.
    Ratio,
    /// A whole number: `12`, `256`.
    Whole,
    /// `on` or `off`.
    Switch,
}

impl Format {
    /// `x` as it reads in a display cell.
    pub fn label(self, x: f64) -> String {
        match self {
            Format::FaderDb => Format::GainDb.label(pos_to_db(x)),
            Format::GainDb if x.is_finite() => format!("{x:.1}"),
            Format::GainDb => "-inf".into(),
            Format::Pan => match ((x - 0.5) * 200.0).round() as i64 {
                0 => " <C>".into(),
                o if o < 0 => format!("L{}", -o),
                o => format!("R{o}"),
            },
            Format::Signed => format!("{x:+.1}"),
            Format::Tenths => format!("{x:.1}"),
            Format::Hundredths => format!("{x:.2}"),
            Format::Hz if x >= 1000.0 => format!("{:.1}k", x / 1000.0),
            Format::Hz | Format::Whole => format!("{x:.0}"),
            Format::MsFine if x < 10.0 => format!("{x:.1}ms"),
            Format::Ms | Format::MsFine => format!("{x:.0}ms"),
            Format::Seconds => format!("{x:.1}s"),
            Format::Q => format!("Q{x:.2}"),
            Format::Ratio => format!("{x:.1}:1"),
            Format::Switch if x >= 0.5 => "on".into(),
            Format::Switch => "off".into(),
        }
    }
}

/// How far one V-Pot tick (or an encoder step) moves a control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// 1/63 of the travel (1/255 fine).
    Travel,
    /// A fixed amount of the unit, coarse and fine (trims: 0.5 and 0.1 dB).
    Units { coarse: f64, fine: f64 },
}

/// One control's descriptor: see the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    /// What the value is measured in.
    pub unit: Unit,
    /// The lowest and highest value the hub accepts; anything outside is
    /// clamped to it (gains at or below the fader law's floor are off).
    pub range: (f64, f64),
    /// How the value spreads over a control's travel.
    pub taper: Taper,
    /// Where a reset (a V-Pot press, a double tap) returns it: the
    /// setting a new strip has.
    pub default: f64,
    /// How it reads on a small display.
    pub format: Format,
    /// One encoder tick.
    pub step: Step,
    /// The finest change that matters, in the unit: a thinned lane stays
    /// within it of the written ride (0 for switches: only repeats go).
    pub resolution: f64,
    /// A finger rides it (it can be touched, and a touch holds it against
    /// other surfaces and lanes).
    pub ridden: bool,
    /// Which of the strip's engine settings a change may move.
    pub(super) engine: StripParts,
}

impl Spec {
    fn new(unit: Unit, range: (f64, f64), taper: Taper, default: f64, format: Format) -> Spec {
        Spec {
            unit,
            range,
            taper,
            default,
            format,
            step: Step::Travel,
            resolution: 0.0,
            ridden: false,
            engine: StripParts::Mix,
        }
    }

    /// A control a finger rides, kept in lanes to within `resolution`.
    fn ridden(self, resolution: f64) -> Spec {
        Spec {
            ridden: true,
            resolution,
            ..self
        }
    }

    /// Not ridden, but kept in lanes to within `resolution`.
    fn resolved(self, resolution: f64) -> Spec {
        Spec { resolution, ..self }
    }

    fn engine(self, engine: StripParts) -> Spec {
        Spec { engine, ..self }
    }

    fn step(self, coarse: f64, fine: f64) -> Spec {
        Spec {
            step: Step::Units { coarse, fine },
            ..self
        }
    }

    /// A switch: 0|1, the hub reads 0.5 and up as on.
    fn switch(default: bool) -> Spec {
        Spec::new(
            Unit::Switch,
            (0.0, 1.0),
            Taper::Travel,
            f64::from(u8::from(default)),
            Format::Switch,
        )
    }

    /// One of `n` named choices, or its number 0..n-1.
    fn choice(n: usize, default: usize) -> Spec {
        Spec::new(
            Unit::Choice,
            (0.0, (n - 1) as f64),
            Taper::Travel,
            default as f64,
            Format::Whole,
        )
    }

    fn text() -> Spec {
        Spec::new(Unit::Text, (0.0, 0.0), Taper::Travel, 0.0, Format::Whole)
    }

    /// `x` clamped to the range. A gain at or below the fader law's floor
    /// is off (`-inf`), so every gain has a fader position.
    pub fn clamp(&self, x: f64) -> f64 {
        match self.taper {
            Taper::FaderLaw if x <= GAIN_OFF_DB => f64::NEG_INFINITY,
            Taper::FaderLaw => x.min(self.range.1),
            _ => x.clamp(self.range.0, self.range.1),
        }
    }

    /// The control position 0..1 that shows value `x`.
    pub fn to_pos(&self, x: f64) -> f64 {
        let (lo, hi) = self.range;
        match self.taper {
            Taper::Travel | Taper::Typed => x,
            Taper::FaderLaw => db_to_pos(x),
            Taper::Linear => (x - lo) / (hi - lo),
            Taper::Log => (x.max(lo) / lo).ln() / (hi / lo).ln(),
        }
        .clamp(0.0, 1.0)
    }

    /// The value at control position `p` (0..1).
    pub fn value_at(&self, p: f64) -> f64 {
        let (lo, hi) = self.range;
        match self.taper {
            Taper::Travel | Taper::Typed => p,
            Taper::FaderLaw => pos_to_db(p),
            Taper::Linear => lo + p.clamp(0.0, 1.0) * (hi - lo),
            Taper::Log => lo * (hi / lo).powf(p.clamp(0.0, 1.0)),
        }
    }

    /// `ticks` encoder ticks from `x` ([`Step`]).
    pub fn step_from(&self, x: f64, ticks: i8, fine: bool) -> f64 {
        let t = f64::from(ticks);
        match self.step {
            Step::Units { coarse, fine: f } => self.clamp(x + t * if fine { f } else { coarse }),
            Step::Travel => {
                let per = if fine { 1.0 / 255.0 } else { 1.0 / 63.0 };
                self.value_at((self.to_pos(x) + t * per).clamp(0.0, 1.0))
            }
        }
    }

    /// `x` as it reads in a display cell.
    pub fn label(&self, x: f64) -> String {
        self.format.label(x)
    }

    /// True when the value runs on a scale of its own rather than the
    /// travel (a frequency, a threshold, a trim): such a control also has
    /// a position 0..1, for knobs that only run 0..1 (OSC's `/pos`).
    pub fn has_own_scale(&self) -> bool {
        matches!(self.taper, Taper::Linear | Taper::Log)
    }

    /// True when the range has a centre a ring is drawn from (a pan, a
    /// trim, an EQ band's boost and cut).
    pub fn is_centred(&self) -> bool {
        self.unit == Unit::Pan || (self.taper == Taper::Linear && self.range.0 == -self.range.1)
    }
}

impl Param {
    /// This control's descriptor: the parameter table.
    pub fn spec(self) -> Spec {
        use Format as F;
        use Taper::{FaderLaw, Linear, Travel};
        use Unit as U;
        let fader = Spec::new(
            U::FaderPosition,
            (0.0, 1.0),
            Travel,
            db_to_pos(0.0),
            F::FaderDb,
        );
        let gain = Spec::new(U::Db, (GAIN_OFF_DB, FADER_MAX_DB), FaderLaw, 0.0, F::GainDb);
        let pan = Spec::new(U::Pan, (0.0, 1.0), Travel, 0.5, F::Pan);
        let all = StripParts::All;
        match self {
            Param::Fader => fader.ridden(0.05).engine(StripParts::Fader),
            Param::Gain => gain.ridden(0.05).engine(StripParts::Fader),
            Param::Trim => Spec::new(
                U::Db,
                (-TRIM_RANGE_DB, TRIM_RANGE_DB),
                Linear,
                0.0,
                F::Signed,
            )
            .step(0.5, 0.1)
            .ridden(0.05),
            Param::Pan => pan.ridden(0.001).engine(StripParts::Pan),
            Param::Polarity | Param::Mute | Param::Solo | Param::SoloSafe => Spec::switch(false),
            Param::Name | Param::Output => Spec::text(),
            Param::Automation => Spec::choice(crate::model::AutomationMode::ALL.len(), 0),
            Param::Colour => Spec::choice(crate::model::StripColour::ALL.len(), 0),
            Param::Send(k, p) => match p {
                SendParam::Fader => fader.ridden(0.05),
                SendParam::Gain => gain.ridden(0.05),
                SendParam::Pan => pan.ridden(0.001),
                SendParam::Pre => Spec::switch(false),
                SendParam::Bus => Spec::text(),
            }
            .engine(StripParts::Send(k)),
            Param::Insert(p) => match p {
                InsertParam::Wet => Spec::new(U::Share, (0.0, 1.0), Travel, 1.0, F::Hundredths),
                InsertParam::Bypass => Spec::switch(false),
                InsertParam::Latency => Spec::new(
                    U::Samples,
                    (0.0, f64::from(MAX_INSERT_LATENCY)),
                    Taper::Typed,
                    0.0,
                    F::Whole,
                ),
                InsertParam::Measure => Spec::text(),
            },
            Param::Eq(p) => eq_spec(p).engine(all),
            Param::Comp(p) => comp_spec(p).engine(all),
            Param::Gate(p) => gate_spec(p).engine(all),
            Param::Order => Spec::choice(2, 0).engine(all),
            Param::Limiter(p) => limiter_spec(p).engine(all),
            Param::Fx => Spec::choice(3, 0).engine(all),
            Param::Delay(p) => delay_spec(p).engine(all),
            Param::Reverb(p) => reverb_spec(p).engine(all),
        }
    }
}

fn eq_spec(p: EqParam) -> Spec {
    use Taper::{Linear, Log};
    let hz = Spec::new(Unit::Hz, EQ_FREQ_RANGE, Log, 1000.0, Format::Hz).ridden(0.5);
    match p {
        EqParam::On => Spec::switch(true),
        EqParam::HpfOn => Spec::switch(false),
        EqParam::HpfFreq => Spec {
            default: 80.0,
            ..hz
        },
        EqParam::HpfSlope => Spec::new(
            Unit::DbPerOctave,
            (12.0, 24.0),
            Taper::Travel,
            12.0,
            Format::Whole,
        ),
        EqParam::Band(_, b) => match b {
            BandParam::On => Spec::switch(true),
            BandParam::Type => Spec::choice(crate::model::BandKind::ALL.len(), 1),
            BandParam::Freq => hz,
            BandParam::Gain => Spec::new(
                Unit::Db,
                (-EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
                Linear,
                0.0,
                Format::Signed,
            )
            .ridden(0.05),
            BandParam::Q => Spec::new(
                Unit::Q,
                EQ_Q_RANGE,
                Log,
                std::f64::consts::FRAC_1_SQRT_2,
                Format::Q,
            )
            .ridden(0.01),
        },
    }
}

fn comp_spec(p: CompParam) -> Spec {
    use Taper::{Linear, Log};
    let d = CompSpec::default();
    let at = |x: f32| f64::from(x);
    match p {
        CompParam::On => Spec::switch(d.on),
        CompParam::Detect => Spec::choice(2, 0),
        CompParam::Threshold => Spec::new(
            Unit::Dbfs,
            (-60.0, 0.0),
            Linear,
            at(d.threshold_db),
            Format::Tenths,
        )
        .ridden(0.05),
        CompParam::Ratio => {
            Spec::new(Unit::Ratio, (1.0, 20.0), Log, at(d.ratio), Format::Ratio).ridden(0.01)
        }
        CompParam::Knee => {
            Spec::new(Unit::Db, (0.0, 24.0), Linear, at(d.knee_db), Format::Tenths).ridden(0.05)
        }
        CompParam::Attack => {
            Spec::new(Unit::Ms, (0.1, 200.0), Log, at(d.attack_ms), Format::MsFine).ridden(0.1)
        }
        CompParam::Release => Spec::new(
            Unit::Ms,
            (5.0, 5_000.0),
            Log,
            at(d.release_ms),
            Format::MsFine,
        )
        .ridden(0.1),
        CompParam::Makeup => Spec::new(
            Unit::Db,
            (-12.0, 24.0),
            Linear,
            at(d.makeup_db),
            Format::Signed,
        )
        .ridden(0.05),
        // 0 is off, so the scale is linear.
        CompParam::ScHpf => {
            Spec::new(Unit::Hz, (0.0, 500.0), Linear, at(d.sc_hpf_hz), Format::Hz).resolved(0.5)
        }
    }
}

fn gate_spec(p: GateParam) -> Spec {
    use Taper::{Linear, Log};
    let d = GateSpec::default();
    let at = |x: f32| f64::from(x);
    match p {
        GateParam::On => Spec::switch(d.on),
        GateParam::Threshold => Spec::new(
            Unit::Dbfs,
            (-90.0, 0.0),
            Linear,
            at(d.threshold_db),
            Format::Tenths,
        )
        .ridden(0.05),
        GateParam::Ratio => {
            Spec::new(Unit::Ratio, (1.0, 100.0), Log, at(d.ratio), Format::Ratio).resolved(0.01)
        }
        GateParam::Range => Spec::new(
            Unit::Db,
            (0.0, 90.0),
            Linear,
            at(d.range_db),
            Format::Tenths,
        )
        .ridden(0.05),
        GateParam::Attack => Spec::new(
            Unit::Ms,
            (0.05, 100.0),
            Log,
            at(d.attack_ms),
            Format::MsFine,
        )
        .resolved(0.1),
        // 0 is no hold, so the scale is linear.
        GateParam::Hold => {
            Spec::new(Unit::Ms, (0.0, 2_000.0), Linear, at(d.hold_ms), Format::Ms).resolved(0.1)
        }
        GateParam::Release => Spec::new(
            Unit::Ms,
            (5.0, 5_000.0),
            Log,
            at(d.release_ms),
            Format::MsFine,
        )
        .resolved(0.1),
    }
}

fn limiter_spec(p: LimiterParam) -> Spec {
    let d = LimiterSpec::default();
    match p {
        LimiterParam::On => Spec::switch(d.on),
        LimiterParam::Ceiling => Spec::new(
            Unit::Dbtp,
            f32_range(limiter::CEILING_RANGE),
            Taper::Linear,
            f64::from(d.ceiling_dbtp),
            Format::Tenths,
        )
        .resolved(0.05),
        LimiterParam::Release => Spec::new(
            Unit::Ms,
            f32_range(limiter::RELEASE_RANGE),
            Taper::Log,
            f64::from(d.release_ms),
            Format::Ms,
        )
        .resolved(0.1),
    }
}

fn delay_spec(p: DelayParam) -> Spec {
    use Taper::{Linear, Log};
    let d = echo::EchoSpec::default();
    let at = |x: f32| f64::from(x);
    match p {
        DelayParam::Time => Spec::new(
            Unit::Ms,
            f32_range(echo::TIME_RANGE_MS),
            Log,
            at(d.time_ms),
            Format::Ms,
        )
        .ridden(0.1),
        DelayParam::Sync => Spec::text(),
        DelayParam::Feedback => Spec::new(
            Unit::Share,
            f32_range(echo::FEEDBACK_RANGE),
            Linear,
            at(d.feedback),
            Format::Hundredths,
        )
        .ridden(0.001),
        DelayParam::Hpf => Spec::new(
            Unit::Hz,
            f32_range(echo::HPF_RANGE),
            Log,
            at(d.hpf_hz),
            Format::Hz,
        )
        .ridden(0.5),
        DelayParam::Lpf => Spec::new(
            Unit::Hz,
            f32_range(echo::LPF_RANGE),
            Log,
            at(d.lpf_hz),
            Format::Hz,
        )
        .ridden(0.5),
        DelayParam::PingPong => Spec::switch(d.ping_pong),
    }
}

fn reverb_spec(p: ReverbParam) -> Spec {
    use Taper::{Linear, Log};
    let d = reverb::ReverbSpec::default();
    let at = |x: f32| f64::from(x);
    let share = |r, x| Spec::new(Unit::Share, f32_range(r), Linear, at(x), Format::Hundredths);
    match p {
        ReverbParam::Size => Spec::new(
            Unit::Share,
            f32_range(reverb::SIZE_RANGE),
            Log,
            at(d.size),
            Format::Hundredths,
        )
        .ridden(0.001),
        ReverbParam::Decay => Spec::new(
            Unit::Seconds,
            f32_range(reverb::DECAY_RANGE),
            Log,
            at(d.decay_s),
            Format::Seconds,
        )
        .ridden(0.01),
        ReverbParam::Predelay => Spec::new(
            Unit::Ms,
            f32_range(reverb::PREDELAY_RANGE),
            Linear,
            at(d.predelay_ms),
            Format::Ms,
        )
        .ridden(0.1),
        ReverbParam::Damping => share(reverb::DAMPING_RANGE, d.damping).ridden(0.001),
        ReverbParam::Width => share(reverb::WIDTH_RANGE, d.width).ridden(0.001),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::Address;

    /// One of every kind of control (the send, band and effect indices do
    /// not change a descriptor but the engine parts).
    fn every_param() -> Vec<Param> {
        let mut all = vec![
            Param::Fader,
            Param::Gain,
            Param::Trim,
            Param::Polarity,
            Param::Pan,
            Param::Mute,
            Param::Solo,
            Param::SoloSafe,
            Param::Name,
            Param::Output,
            Param::Automation,
            Param::Colour,
            Param::Order,
            Param::Fx,
            Param::Eq(EqParam::On),
            Param::Eq(EqParam::HpfOn),
            Param::Eq(EqParam::HpfFreq),
            Param::Eq(EqParam::HpfSlope),
        ];
        for p in [
            SendParam::Fader,
            SendParam::Gain,
            SendParam::Pan,
            SendParam::Pre,
            SendParam::Bus,
        ] {
            all.push(Param::Send(1, p));
        }
        for p in [
            InsertParam::Wet,
            InsertParam::Bypass,
            InsertParam::Latency,
            InsertParam::Measure,
        ] {
            all.push(Param::Insert(p));
        }
        for p in [
            BandParam::On,
            BandParam::Type,
            BandParam::Freq,
            BandParam::Gain,
            BandParam::Q,
        ] {
            all.push(Param::Eq(EqParam::Band(2, p)));
        }
        all.extend(CompParam::all().map(Param::Comp));
        all.extend(GateParam::all().map(Param::Gate));
        all.extend(LimiterParam::all().map(Param::Limiter));
        all.extend(DelayParam::all().map(Param::Delay));
        all.extend(ReverbParam::all().map(Param::Reverb));
        all
    }

    #[test]
    fn every_default_lies_in_its_range_and_every_range_runs_upward() {
        for p in every_param() {
            let s = p.spec();
            let (lo, hi) = s.range;
            assert!(lo <= hi, "{p:?}: range {lo}..{hi}");
            assert!(
                lo <= s.default && s.default <= hi,
                "{p:?}: default {} outside {lo}..{hi}",
                s.default
            );
            assert_eq!(s.clamp(s.default), s.default, "{p:?}");
            if s.taper == Taper::Log {
                assert!(lo > 0.0, "{p:?}: a log scale from {lo}");
            }
        }
    }

    #[test]
    fn a_position_and_its_value_map_back_onto_each_other() {
        for p in every_param() {
            let s = p.spec();
            for k in 0..=20 {
                let pos = f64::from(k) / 20.0;
                let back = s.to_pos(s.value_at(pos));
                assert!((back - pos).abs() < 1e-9, "{p:?} at {pos}: {back}");
            }
            if s.has_own_scale() {
                assert_eq!(s.value_at(0.0), s.range.0, "{p:?}");
                assert!((s.value_at(1.0) - s.range.1).abs() < 1e-9, "{p:?}");
            }
        }
    }

    #[test]
    fn the_dynamics_defaults_are_a_new_strips_and_the_clamps_the_kernels() {
        let c = CompSpec::default();
        let g = GateSpec::default();
        for p in CompParam::all() {
            if let Some(s) = p.setting() {
                let mut c = c;
                assert_eq!(Param::Comp(p).spec().default, f64::from(*s.field(&mut c)));
            }
        }
        for p in GateParam::all() {
            if let Some(s) = p.setting() {
                let mut g = g;
                assert_eq!(Param::Gate(p).spec().default, f64::from(*s.field(&mut g)));
            }
        }
        let ceiling = Param::Limiter(LimiterParam::Ceiling).spec();
        assert_eq!(ceiling.clamp(3.0), 0.0);
        assert_eq!(ceiling.clamp(-40.0), -24.0);
        let feedback = Param::Delay(DelayParam::Feedback).spec();
        assert_eq!(feedback.clamp(2.0), 0.95);
    }

    #[test]
    fn gains_clamp_to_ten_db_and_go_off_at_the_floor() {
        let s = Param::Gain.spec();
        assert_eq!(s.clamp(40.0), 10.0);
        assert_eq!(s.clamp(-90.0), f64::NEG_INFINITY);
        assert_eq!(s.clamp(-89.9), -89.9);
        assert_eq!(s.to_pos(f64::NEG_INFINITY), 0.0);
        assert_eq!(s.value_at(db_to_pos(-6.0)), -6.0);
    }

    #[test]
    fn labels_read_as_on_a_console() {
        let label = |p: Param, x: f64| p.spec().label(x);
        let band = |b| Param::Eq(EqParam::Band(0, b));
        assert_eq!(label(Param::Fader, 0.0), "-inf");
        assert_eq!(label(Param::Fader, db_to_pos(-6.0)), "-6.0");
        assert_eq!(label(Param::Gain, -12.04), "-12.0");
        assert_eq!(label(Param::Pan, 0.25), "L50");
        assert_eq!(label(Param::Pan, 0.5), " <C>");
        assert_eq!(label(Param::Pan, 0.56), "R12");
        assert_eq!(label(Param::Trim, 3.5), "+3.5");
        assert_eq!(label(band(BandParam::Freq), 80.0), "80");
        assert_eq!(label(band(BandParam::Freq), 2500.0), "2.5k");
        assert_eq!(label(band(BandParam::Q), 0.707), "Q0.71");
        assert_eq!(label(band(BandParam::Gain), -4.0), "-4.0");
        assert_eq!(label(Param::Comp(CompParam::Ratio), 3.0), "3.0:1");
        assert_eq!(label(Param::Comp(CompParam::Attack), 2.5), "2.5ms");
        assert_eq!(label(Param::Comp(CompParam::Release), 120.0), "120ms");
        assert_eq!(label(Param::Reverb(ReverbParam::Decay), 1.8), "1.8s");
        assert_eq!(label(Param::Mute, 1.0), "on");
        assert_eq!(Unit::Dbfs.symbol(), "dBFS");
    }

    #[test]
    fn a_trim_ticks_in_half_decibels_and_the_rest_in_sixty_thirds_of_the_travel() {
        let trim = Param::Trim.spec();
        assert_eq!(trim.step_from(0.0, 3, false), 1.5);
        assert!((trim.step_from(0.0, -2, true) + 0.2).abs() < 1e-12);
        assert_eq!(trim.step_from(19.8, 3, false), 20.0);
        let q = Param::Eq(EqParam::Band(0, BandParam::Q)).spec();
        let x = q.step_from(1.0, 63, false);
        assert!((x - q.range.1).abs() < 1e-9, "{x}");
    }

    #[test]
    fn only_ridden_controls_are_touched_and_each_moves_its_own_engine_setting() {
        let ridden: Vec<Param> = every_param()
            .into_iter()
            .filter(|p| p.spec().ridden)
            .collect();
        assert!(ridden.contains(&Param::Fader) && ridden.contains(&Param::Send(1, SendParam::Pan)));
        assert!(!ridden.contains(&Param::Mute) && !ridden.contains(&Param::Name));
        assert_eq!(Param::Gain.spec().engine, StripParts::Fader);
        assert_eq!(
            Param::Send(3, SendParam::Gain).spec().engine,
            StripParts::Send(3)
        );
        assert_eq!(Param::Mute.spec().engine, StripParts::Mix);
        assert_eq!(Param::Comp(CompParam::Knee).spec().engine, StripParts::All);
        // Addresses name a control, the table says what it is.
        let a = Address::parse("strip/2/eq/3/freq").unwrap();
        assert_eq!(a.param.spec().unit, Unit::Hz);
    }
}
