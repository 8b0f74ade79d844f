//! The mixer model as plain data: what a session holds and what the hub
//! edits. No threads, no I/O; `config` reads and writes it as YAML, `mixer`
//! owns the live copy.

pub mod surface;

use crate::dsp::generator::ToneSpec;
use crate::dsp::pan::PanLaw;
use std::path::PathBuf;

pub use crate::dsp::automation::{Interp, LanePoint};
pub use crate::dsp::dynamics::{CompSpec, Detect, GateSpec};
pub use crate::dsp::echo::{Division, EchoSpec};
pub use crate::dsp::eq::{BandKind, HpfSlope};
pub use crate::dsp::fader_law::GAIN_OFF_DB;
pub use crate::dsp::limiter::LimiterSpec;
pub use crate::dsp::reverb::ReverbSpec;
pub use crate::engine::{Channels, ProcTarget};

/// Default parameter smoothing time.
pub const DEFAULT_SMOOTHING_MS: f64 = 10.0;
/// Input trim range, dB either way.
pub const TRIM_RANGE_DB: f64 = 20.0;

/// A whole mix: tracks, buses, master and their settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Shown to surfaces and in logs.
    pub name: String,
    /// The rate the session runs and renders at.
    pub sample_rate: u32,
    /// Length of the timeline, for offline render when no file sets it.
    pub length_s: Option<f64>,
    /// Pan law of mono strips.
    pub pan_law: PanLaw,
    /// Parameter smoothing time.
    pub smoothing_ms: f64,
    /// Tracks, addressed `strip/1` ... in this order.
    pub tracks: Vec<Track>,
    /// Aux and group buses, addressed `bus/1` ... in this order.
    pub buses: Vec<Bus>,
    /// The master strip.
    pub master: Controls,
    /// Tempo, quarter notes per minute: tempo-synced delays follow it.
    pub tempo_bpm: f64,
}

/// Longest strip name, in characters (a JACK port name holds it with
/// room for " insert return L").
pub const MAX_STRIP_NAME_CHARS: usize = 48;

/// Why a strip cannot have a name: the one rule for names, whatever sets
/// them (a session file, OSC, any surface).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, or only spaces.
    #[error("a strip name cannot be empty")]
    Empty,
    /// Longer than [`MAX_STRIP_NAME_CHARS`].
    #[error("'{0}' is longer than {MAX_STRIP_NAME_CHARS} characters")]
    TooLong(String),
    /// `master` (in any case): it names the master bus in routing.
    #[error("'{0}' is reserved for the master bus")]
    Reserved(String),
    /// Another track or bus has it (names route sends and outputs, and
    /// name JACK ports).
    #[error("another strip is already named '{0}'")]
    Taken(String),
}

/// A strip of the session, for name checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripSlot {
    /// Track `i` (0-based).
    Track(usize),
    /// Bus `i` (0-based).
    Bus(usize),
}

impl Session {
    /// Whether strip `slot` may be named `name` (normalized): the rule of
    /// [`check_strip_name`], and no other track or bus already has it.
    pub fn check_rename(&self, slot: StripSlot, name: &str) -> Result<(), NameError> {
        check_strip_name(name)?;
        let tracks = self
            .tracks
            .iter()
            .enumerate()
            .filter(|(i, _)| slot != StripSlot::Track(*i))
            .map(|(_, t)| t.name.as_str());
        let buses = self
            .buses
            .iter()
            .enumerate()
            .filter(|(i, _)| slot != StripSlot::Bus(*i))
            .map(|(_, b)| b.name.as_str());
        match tracks.chain(buses).find(|n| *n == name) {
            Some(n) => Err(NameError::Taken(n.to_owned())),
            None => Ok(()),
        }
    }
}

/// A name as every path stores it: control characters (a line break, a
/// tab) dropped, spaces around it trimmed.
pub fn normalize_strip_name(raw: &str) -> String {
    let kept: String = raw.chars().filter(|c| !c.is_control()).collect();
    kept.trim().to_owned()
}

/// A name on its own (already [normalized](normalize_strip_name)): not
/// empty, not too long, not `master`.
pub fn check_strip_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.chars().count() > MAX_STRIP_NAME_CHARS {
        Err(NameError::TooLong(name.to_owned()))
    } else if name.eq_ignore_ascii_case("master") {
        Err(NameError::Reserved(name.to_owned()))
    } else {
        Ok(())
    }
}

/// Default tempo.
pub const DEFAULT_TEMPO_BPM: f64 = 120.0;
/// Tempo range, bpm.
pub const TEMPO_RANGE: (f64, f64) = (20.0, 400.0);

/// One track.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Name shown on surfaces.
    pub name: String,
    /// Mono or stereo.
    pub channels: Channels,
    /// Where its audio comes from.
    pub source: TrackSource,
    /// Where its output goes.
    pub output: Output,
    /// Fader, pan, mute ... and sends.
    pub controls: Controls,
}

/// A track's audio source.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackSource {
    /// Silence.
    None,
    /// Audio-interface input channel, 1-based; a stereo track takes this
    /// channel and the next.
    Input(u16),
    /// A WAV file, relative to the session file, played from the start.
    File {
        /// Path as written in the session.
        path: PathBuf,
        /// Start again at the end.
        looped: bool,
    },
    /// A generated test tone or demo material.
    Tone(ToneSpec),
}

/// Where a track's output is summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The master bus.
    Master,
    /// A group bus (index into `Session::buses`).
    Bus(usize),
}

/// Kind of bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind {
    /// Fed by sends (effects returns, monitor mixes).
    Aux,
    /// Fed by tracks' outputs (subgroups).
    Group,
}

/// A stereo bus.
#[derive(Debug, Clone, PartialEq)]
pub struct Bus {
    /// Name shown on surfaces.
    pub name: String,
    /// Aux or group.
    pub kind: BusKind,
    /// Fader, balance, mute ... (group buses may also have sends), and
    /// an aux bus's effect.
    pub controls: Controls,
}

/// A bus's built-in effect. The bus returns the effect only (100 % wet):
/// the tracks' send levels set how much of each goes in.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Effect {
    /// None: the bus passes what is sent to it.
    #[default]
    None,
    /// A stereo delay.
    Delay(DelayFx),
    /// An algorithmic reverb.
    Reverb(ReverbSpec),
}

impl Effect {
    /// `none`, `delay` or `reverb`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Effect::None => "none",
            Effect::Delay(_) => "delay",
            Effect::Reverb(_) => "reverb",
        }
    }

    /// The effect of kind `name` with default settings.
    pub fn from_kind_name(name: &str) -> Option<Effect> {
        match name {
            "none" => Some(Effect::None),
            "delay" => Some(Effect::Delay(DelayFx::default())),
            "reverb" => Some(Effect::Reverb(ReverbSpec::default())),
            _ => None,
        }
    }
}

/// A delay's settings: the engine's, plus a note value that sets the time
/// from the session's tempo.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DelayFx {
    /// Time (used when not synced), feedback, filters, ping-pong.
    pub echo: EchoSpec,
    /// Follow the tempo: this note value instead of `echo.time_ms`.
    pub sync: Option<Division>,
}

impl DelayFx {
    /// The settings the engine runs at `tempo_bpm`.
    pub fn engine_spec(&self, tempo_bpm: f64) -> EchoSpec {
        let mut e = self.echo;
        if let Some(d) = self.sync {
            e.time_ms = d.ms(tempo_bpm) as f32;
        }
        e
    }
}

/// The controls every strip has.
#[derive(Debug, Clone, PartialEq)]
pub struct Controls {
    /// Input trim, within +/- [`TRIM_RANGE_DB`].
    pub trim_db: f64,
    /// Polarity inverted.
    pub invert: bool,
    /// Fader gain in dB, `-inf` when off; at most +10.
    pub gain_db: f64,
    /// Pan (mono) or balance (stereo): 0 left, 0.5 centre, 1 right.
    pub pan: f64,
    /// Muted.
    pub mute: bool,
    /// Soloed.
    pub solo: bool,
    /// Never muted by another strip's solo.
    pub solo_safe: bool,
    /// Automation mode of the strip's lanes (fader, pan, mute, sends).
    pub automation: AutomationMode,
    /// Automation lanes by parameter.
    pub lanes: std::collections::BTreeMap<LaneParam, Lane>,
    /// High-pass filter and 4-band parametric EQ.
    pub eq: Eq,
    /// Compressor.
    pub comp: CompSpec,
    /// Gate / expander.
    pub gate: GateSpec,
    /// Where the dynamics sit relative to the EQ (the high-pass filter is
    /// always first).
    pub order: StripOrder,
    /// The true-peak limiter after the fader (master only; off elsewhere).
    pub limiter: LimiterSpec,
    /// A built-in effect at the strip's input (aux buses only).
    pub effect: Effect,
    /// Sends to aux buses.
    pub sends: Vec<Send>,
    /// A hardware insert before the fader.
    pub insert: Option<Insert>,
}

/// A hardware insert: the strip's signal (after trim and polarity) goes out
/// on interface outputs to outboard gear and comes back on inputs, before
/// the fader. Its round trip is measured per period size and compensated
/// across the whole mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// First interface output, 1-based (a stereo strip uses the next too).
    pub output: u16,
    /// First interface input of the return, 1-based.
    pub input: u16,
    /// Share of the return in the strip's signal, 0..1 (1: fully wet).
    pub wet: f64,
    /// Bypassed: the dry signal passes (still delayed by the round trip, so
    /// bypassing never shifts the strip in time).
    pub bypass: bool,
    /// Measured round trip in samples, by period size in frames.
    pub latency: std::collections::BTreeMap<u32, u32>,
}

/// How a strip's automation lanes behave (DESIGN.md, "Automation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AutomationMode {
    /// Lanes ignored; the live value rules.
    #[default]
    Off,
    /// Lanes drive the values; motorized faders follow.
    Read,
    /// Like read; while touched the live value is written.
    Touch,
    /// Like touch; after release the last value keeps being written.
    Latch,
    /// From transport start to stop the live value is written.
    Write,
    /// Surface moves are a dB offset written on top of the lane.
    Trim,
}

impl AutomationMode {
    /// Every mode, in the order surfaces number them (0 = off ... 5 = trim).
    pub const ALL: [AutomationMode; 6] = [
        AutomationMode::Off,
        AutomationMode::Read,
        AutomationMode::Touch,
        AutomationMode::Latch,
        AutomationMode::Write,
        AutomationMode::Trim,
    ];

    /// The lower-case name used in session files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AutomationMode::Off => "off",
            AutomationMode::Read => "read",
            AutomationMode::Touch => "touch",
            AutomationMode::Latch => "latch",
            AutomationMode::Write => "write",
            AutomationMode::Trim => "trim",
        }
    }

    /// Parse a name (case-insensitive).
    pub fn from_name(name: &str) -> Option<AutomationMode> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The mode numbered `index` in [`AutomationMode::ALL`].
    pub fn from_index(index: usize) -> Option<AutomationMode> {
        Self::ALL.get(index).copied()
    }
}

impl Default for Controls {
    fn default() -> Controls {
        Controls {
            trim_db: 0.0,
            invert: false,
            gain_db: 0.0,
            pan: 0.5,
            mute: false,
            solo: false,
            solo_safe: false,
            automation: AutomationMode::Off,
            lanes: std::collections::BTreeMap::new(),
            eq: Eq::default(),
            comp: CompSpec::default(),
            gate: GateSpec::default(),
            order: StripOrder::default(),
            limiter: LimiterSpec::default(),
            effect: Effect::None,
            sends: Vec::new(),
            insert: None,
        }
    }
}

/// EQ and filter frequency range, Hz.
pub const EQ_FREQ_RANGE: (f64, f64) = (20.0, 20_000.0);
/// EQ band gain range, dB either way.
pub const EQ_GAIN_RANGE_DB: f64 = 18.0;
/// EQ band Q range.
pub const EQ_Q_RANGE: (f64, f64) = (0.1, 16.0);

/// One EQ band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// In the signal path.
    pub on: bool,
    /// What it does.
    pub kind: BandKind,
    /// Centre or corner frequency, Hz.
    pub freq_hz: f64,
    /// Boost or cut, dB (shelves and peaks).
    pub gain_db: f64,
    /// Bandwidth (peaks, notches) or slope (shelves, filters).
    pub q: f64,
}

/// A strip's high-pass filter and 4-band parametric EQ, in that order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eq {
    /// The EQ (all four bands) is in the signal path.
    pub on: bool,
    /// The high-pass filter is in the signal path.
    pub hpf_on: bool,
    /// Its corner frequency, Hz (-3 dB).
    pub hpf_hz: f64,
    /// Its slope.
    pub hpf_slope: HpfSlope,
    /// Low shelf, two peaks, high shelf by default; each can be another kind.
    pub bands: [Band; 4],
}

impl Default for Eq {
    fn default() -> Eq {
        let band = |kind, freq_hz, q| Band {
            on: true,
            kind,
            freq_hz,
            gain_db: 0.0,
            q,
        };
        Eq {
            on: true,
            hpf_on: false,
            hpf_hz: 80.0,
            hpf_slope: HpfSlope::Db12,
            bands: [
                band(BandKind::LowShelf, 100.0, std::f64::consts::FRAC_1_SQRT_2),
                band(BandKind::Peak, 400.0, 1.0),
                band(BandKind::Peak, 2_500.0, 1.0),
                band(
                    BandKind::HighShelf,
                    8_000.0,
                    std::f64::consts::FRAC_1_SQRT_2,
                ),
            ],
        }
    }
}

/// The order of a strip's processing after its high-pass filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StripOrder {
    /// EQ, then gate and compressor.
    #[default]
    EqThenDynamics,
    /// Gate and compressor, then EQ.
    DynamicsThenEq,
}

impl StripOrder {
    /// The name in session files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            StripOrder::EqThenDynamics => "eq_dyn",
            StripOrder::DynamicsThenEq => "dyn_eq",
        }
    }

    /// Parse a name.
    pub fn from_name(s: &str) -> Option<StripOrder> {
        match s.trim() {
            "eq_dyn" => Some(StripOrder::EqThenDynamics),
            "dyn_eq" => Some(StripOrder::DynamicsThenEq),
            _ => None,
        }
    }
}

/// A compressor's numeric setting: its name in a session file and its
/// place in a [`CompSpec`]. Its range, scale and display are the
/// parameter table's (`mixer::params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompSetting {
    /// Threshold, dBFS.
    Threshold,
    /// Ratio, :1.
    Ratio,
    /// Soft knee width, dB.
    Knee,
    /// Attack, ms.
    Attack,
    /// Release, ms.
    Release,
    /// Make-up gain, dB.
    Makeup,
    /// Side-chain high-pass, Hz (0: off).
    ScHpf,
}

impl CompSetting {
    /// Every numeric compressor setting.
    pub const ALL: [CompSetting; 7] = [
        CompSetting::Threshold,
        CompSetting::Ratio,
        CompSetting::Knee,
        CompSetting::Attack,
        CompSetting::Release,
        CompSetting::Makeup,
        CompSetting::ScHpf,
    ];

    /// Its key in a session file's `comp:` map.
    pub fn key(self) -> &'static str {
        match self {
            CompSetting::Threshold => "threshold",
            CompSetting::Ratio => "ratio",
            CompSetting::Knee => "knee",
            CompSetting::Attack => "attack",
            CompSetting::Release => "release",
            CompSetting::Makeup => "makeup",
            CompSetting::ScHpf => "sc_hpf",
        }
    }

    /// Where it lives in `c`.
    pub fn field(self, c: &mut CompSpec) -> &mut f32 {
        match self {
            CompSetting::Threshold => &mut c.threshold_db,
            CompSetting::Ratio => &mut c.ratio,
            CompSetting::Knee => &mut c.knee_db,
            CompSetting::Attack => &mut c.attack_ms,
            CompSetting::Release => &mut c.release_ms,
            CompSetting::Makeup => &mut c.makeup_db,
            CompSetting::ScHpf => &mut c.sc_hpf_hz,
        }
    }
}

/// A gate's numeric setting: its name in a session file and its place in
/// a [`GateSpec`], as [`CompSetting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GateSetting {
    /// Threshold, dBFS.
    Threshold,
    /// Expansion ratio below the threshold, 1:n.
    Ratio,
    /// Most attenuation, dB.
    Range,
    /// Attack (opening), ms.
    Attack,
    /// Hold, ms.
    Hold,
    /// Release (closing), ms.
    Release,
}

impl GateSetting {
    /// Every numeric gate setting.
    pub const ALL: [GateSetting; 6] = [
        GateSetting::Threshold,
        GateSetting::Ratio,
        GateSetting::Range,
        GateSetting::Attack,
        GateSetting::Hold,
        GateSetting::Release,
    ];

    /// Its key in a session file's `gate:` map.
    pub fn key(self) -> &'static str {
        match self {
            GateSetting::Threshold => "threshold",
            GateSetting::Ratio => "ratio",
            GateSetting::Range => "range",
            GateSetting::Attack => "attack",
            GateSetting::Hold => "hold",
            GateSetting::Release => "release",
        }
    }

    /// Where it lives in `g`.
    pub fn field(self, g: &mut GateSpec) -> &mut f32 {
        match self {
            GateSetting::Threshold => &mut g.threshold_db,
            GateSetting::Ratio => &mut g.ratio,
            GateSetting::Range => &mut g.range_db,
            GateSetting::Attack => &mut g.attack_ms,
            GateSetting::Hold => &mut g.hold_ms,
            GateSetting::Release => &mut g.release_ms,
        }
    }
}

/// An automatable parameter of a strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LaneParam {
    /// Fader gain, dB (the lane floor is off).
    Gain,
    /// Input trim, dB.
    Trim,
    /// Pan or balance, 0..1.
    Pan,
    /// Mute, 0 or 1.
    Mute,
    /// A send's level, dB (0-based send index).
    SendGain(usize),
    /// A channel-strip setting (EQ, compressor, gate), natural units.
    Proc(ProcTarget),
}

/// An f32 range (the DSP's) as the f64s a user writes: 0.1, not
/// 0.10000000149. Session checks, surfaces' scales and lanes use it.
pub fn f32_range(r: (f32, f32)) -> (f64, f64) {
    let f = |x: f32| (f64::from(x) * 1e6).round() / 1e6;
    (f(r.0), f(r.1))
}

/// Session-file names of the channel-strip lanes (the address suffixes).
fn proc_name(p: ProcTarget) -> String {
    match p {
        ProcTarget::HpfFreq => "hpf/freq".into(),
        ProcTarget::BandGain(k) => format!("eq/{}/gain", k + 1),
        ProcTarget::BandFreq(k) => format!("eq/{}/freq", k + 1),
        ProcTarget::BandQ(k) => format!("eq/{}/q", k + 1),
        ProcTarget::CompThreshold => "comp/threshold".into(),
        ProcTarget::CompRatio => "comp/ratio".into(),
        ProcTarget::CompAttack => "comp/attack".into(),
        ProcTarget::CompRelease => "comp/release".into(),
        ProcTarget::CompMakeup => "comp/makeup".into(),
        ProcTarget::GateThreshold => "gate/threshold".into(),
        ProcTarget::GateRange => "gate/range".into(),
        ProcTarget::CompKnee => "comp/knee".into(),
        ProcTarget::CompScHpf => "comp/sc_hpf".into(),
        ProcTarget::GateRatio => "gate/ratio".into(),
        ProcTarget::GateAttack => "gate/attack".into(),
        ProcTarget::GateHold => "gate/hold".into(),
        ProcTarget::GateRelease => "gate/release".into(),
        ProcTarget::LimiterCeiling => "limiter/ceiling".into(),
        ProcTarget::LimiterRelease => "limiter/release".into(),
        ProcTarget::HpfOn => "hpf/on".into(),
        ProcTarget::EqOn => "eq/on".into(),
        ProcTarget::BandOn(k) => format!("eq/{}/on", k + 1),
        ProcTarget::CompOn => "comp/on".into(),
        ProcTarget::GateOn => "gate/on".into(),
        ProcTarget::DelayTime => "delay/time".into(),
        ProcTarget::DelayFeedback => "delay/feedback".into(),
        ProcTarget::DelayHpf => "delay/hpf".into(),
        ProcTarget::DelayLpf => "delay/lpf".into(),
        ProcTarget::ReverbSize => "reverb/size".into(),
        ProcTarget::ReverbDecay => "reverb/decay".into(),
        ProcTarget::ReverbPredelay => "reverb/predelay".into(),
        ProcTarget::ReverbDamping => "reverb/damping".into(),
        ProcTarget::ReverbWidth => "reverb/width".into(),
    }
}

impl LaneParam {
    /// How the lane is read between points.
    pub fn interp(self) -> Interp {
        match self {
            LaneParam::Mute => Interp::Step,
            LaneParam::Proc(t) if t.is_switch() => Interp::Step,
            _ => Interp::Linear,
        }
    }

    /// The name in session files (`gain`, `trim`, `pan`, `mute`,
    /// `send/1/gain`).
    pub fn name(self) -> String {
        match self {
            LaneParam::Gain => "gain".into(),
            LaneParam::Trim => "trim".into(),
            LaneParam::Pan => "pan".into(),
            LaneParam::Mute => "mute".into(),
            LaneParam::SendGain(k) => format!("send/{}/gain", k + 1),
            LaneParam::Proc(p) => proc_name(p),
        }
    }

    /// Parse a session-file name.
    pub fn from_name(name: &str) -> Option<LaneParam> {
        match name {
            "gain" => Some(LaneParam::Gain),
            "trim" => Some(LaneParam::Trim),
            "pan" => Some(LaneParam::Pan),
            "mute" => Some(LaneParam::Mute),
            _ if let Some(p) = ProcTarget::all().find(|p| proc_name(*p) == name) => {
                Some(LaneParam::Proc(p))
            }
            _ => {
                let k = name.strip_prefix("send/")?.strip_suffix("/gain")?;
                let k: usize = k.parse().ok()?;
                Some(LaneParam::SendGain(k.checked_sub(1)?))
            }
        }
    }
}

/// An automation lane: breakpoints in the parameter's natural units, sorted
/// by frame, and the mode it plays in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lane {
    /// This lane's own mode; `None` follows the strip's mode.
    pub mode: Option<AutomationMode>,
    /// Breakpoints (timeline frames at the session's rate).
    pub points: Vec<LanePoint>,
}

/// Where a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendTarget {
    /// An aux bus (index into `Session::buses`).
    Bus(usize),
    /// Interface outputs: this one and the next, 1-based (a hardware send
    /// to outboard gear, e.g. a reverb unit whose return comes back on a
    /// track).
    Output(u16),
}

/// A send to an aux bus or to interface outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Send {
    /// Where it goes.
    pub target: SendTarget,
    /// Level in dB, `-inf` when off.
    pub gain_db: f64,
    /// Pan into the bus.
    pub pan: f64,
    /// Tapped before the fader.
    pub pre: bool,
}

impl Session {
    /// An empty session at `sample_rate`.
    pub fn new(name: &str, sample_rate: u32) -> Session {
        Session {
            name: name.to_owned(),
            sample_rate,
            length_s: None,
            pan_law: PanLaw::default(),
            smoothing_ms: DEFAULT_SMOOTHING_MS,
            tracks: Vec::new(),
            buses: Vec::new(),
            master: Controls::default(),
            tempo_bpm: DEFAULT_TEMPO_BPM,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Their defaults lie in the parameter table's ranges: see
    // `mixer::params`'s tests.
    #[test]
    fn every_dynamics_setting_has_its_own_field() {
        let mut c = CompSpec::default();
        for s in CompSetting::ALL {
            *s.field(&mut c) = -1234.0;
        }
        let mut g = GateSpec::default();
        for s in GateSetting::ALL {
            *s.field(&mut g) = -1234.0;
        }
        // Each setting wrote its own field: none is left at its default.
        assert_eq!(
            [
                c.threshold_db,
                c.ratio,
                c.knee_db,
                c.attack_ms,
                c.release_ms,
                c.makeup_db,
                c.sc_hpf_hz
            ],
            [-1234.0; 7]
        );
        assert_eq!(
            [
                g.threshold_db,
                g.ratio,
                g.range_db,
                g.attack_ms,
                g.hold_ms,
                g.release_ms
            ],
            [-1234.0; 6]
        );
    }
}
