//! The mixer model as plain data: what a session holds and what the hub
//! edits. No threads, no I/O; `config` reads and writes it as YAML, `mixer`
//! owns the live copy.

mod lanes;
mod processing;
pub mod surface;

pub use lanes::{Lane, LaneParam, f32_range};
pub use processing::{
    Band, CompSetting, EQ_FREQ_RANGE, EQ_GAIN_RANGE_DB, EQ_Q_RANGE, Eq, GateSetting, StripOrder,
};

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
    /// The strip's colour on screens and scribble strips.
    pub colour: StripColour,
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

/// A strip's colour: the ones a Mackie-family scribble strip can show
/// (X-Touch), so every screen and desk agrees; `None` leaves each to its
/// own default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StripColour {
    /// No colour chosen.
    #[default]
    None,
    /// Red.
    Red,
    /// Green.
    Green,
    /// Yellow.
    Yellow,
    /// Blue.
    Blue,
    /// Magenta.
    Magenta,
    /// Cyan.
    Cyan,
    /// White.
    White,
}

impl StripColour {
    /// Every colour, `None` first.
    pub const ALL: [StripColour; 8] = [
        StripColour::None,
        StripColour::Red,
        StripColour::Green,
        StripColour::Yellow,
        StripColour::Blue,
        StripColour::Magenta,
        StripColour::Cyan,
        StripColour::White,
    ];

    /// The lower-case name used in session files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            StripColour::None => "none",
            StripColour::Red => "red",
            StripColour::Green => "green",
            StripColour::Yellow => "yellow",
            StripColour::Blue => "blue",
            StripColour::Magenta => "magenta",
            StripColour::Cyan => "cyan",
            StripColour::White => "white",
        }
    }
}

impl Named for StripColour {
    const ALL: &'static [StripColour] = &StripColour::ALL;
    const EXPECTED: &'static str =
        "none, red, green, yellow, blue, magenta, cyan or white (or 0..7)";

    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// A choice among a few named values (an automation mode, a colour): its
/// lower-case name in session files and on the wire, or its number in
/// [`Named::ALL`].
pub trait Named: Copy + Sized + 'static {
    /// Every value, in the order surfaces number them.
    const ALL: &'static [Self];
    /// What a value may be, for messages ("off, read ... (or 0..5)").
    const EXPECTED: &'static str;

    /// The name.
    fn name(self) -> &'static str;

    /// Parse a name (case-insensitive).
    fn from_name(name: &str) -> Option<Self> {
        <Self as Named>::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The value numbered `index` in [`Named::ALL`].
    fn from_index(index: usize) -> Option<Self> {
        <Self as Named>::ALL.get(index).copied()
    }
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
}

impl Named for AutomationMode {
    const ALL: &'static [AutomationMode] = &AutomationMode::ALL;
    const EXPECTED: &'static str = "off, read, touch, latch, write or trim (or 0..5)";

    fn name(self) -> &'static str {
        self.as_str()
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
            colour: StripColour::None,
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
