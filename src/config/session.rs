//! Session files: tracks, buses, sends, routing and initial values.
//!
//! ```yaml
//! version: 1
//! name: My mix
//! sample_rate: 48000
//! pan_law_db: -3          # 0 | -3 | -4.5 | -6
//! buses:
//!   - { name: Reverb, kind: aux }
//!   - { name: Drums, kind: group }
//! tracks:
//!   - name: Kick
//!     source: { file: kick.wav }          # or { input: 1 } or { tone: {...} }
//!     output: Drums                       # master (default) or a group bus
//!     gain_db: -3                         # -.inf is off
//!     sends: [{ bus: Reverb, gain_db: -12, pre: false }]
//!   - name: Snare
//!     source: { input: 2 }
//!     sends: [{ output: 7, gain_db: -10 }]  # hardware send: interface outputs 7/8
//!   - name: Vox
//!     source: { input: 1 }
//!     # outboard compressor on interface output 5 / input 5; the round trip
//!     # is measured (/strip/2/insert/measure) and kept per period size
//!     insert: { output: 5, input: 5, wet: 1.0, bypass: false, latency: { 64: 164 } }
//! master: { gain_db: 0 }
//! ```
//!
//! Loading rejects unknown keys, wrong types and dangling names with
//! file:line:column. Saving is atomic and loses nothing the model holds.

use super::atomic::write_atomic;
use super::error::{ConfigError, Diagnostic};
use crate::dsp::fader_law::{FADER_MAX_DB, GAIN_OFF_DB};
use crate::dsp::generator::{Pulse, ToneSpec, Wave};
use crate::dsp::pan::PanLaw;
use crate::model::{
    AutomationMode, BandKind, Bus, BusKind, COMP_RANGES, Channels, CompSpec, Controls,
    DEFAULT_SMOOTHING_MS, DEFAULT_TEMPO_BPM, DelayFx, Detect, Division, EQ_FREQ_RANGE,
    EQ_GAIN_RANGE_DB, EQ_Q_RANGE, Effect, Eq, GATE_RANGES, GateSpec, HpfSlope, Insert, Lane,
    LaneParam, LanePoint, LimiterSpec, Output, ReverbSpec, Send, SendTarget, Session, StripOrder,
    StripSlot, TEMPO_RANGE, TRIM_RANGE_DB, Track, TrackSource, f32_range, normalize_strip_name,
};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};
use std::path::{Path, PathBuf};

/// The session format version this build reads and writes.
pub const SESSION_VERSION: u32 = 1;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    version: Spanned<u32>,
    name: String,
    #[serde(default = "default_rate")]
    sample_rate: Spanned<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    length_s: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pan_law_db: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    smoothing_ms: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tempo_bpm: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    buses: Vec<Spanned<StripFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tracks: Vec<Spanned<StripFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    master: Option<Spanned<StripFile>>,
}

fn default_rate() -> Spanned<u32> {
    spanless(48_000)
}

/// One struct for tracks, buses and master: fields that do not belong to a
/// kind of strip are reported at their place in the file.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct StripFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<Spanned<BusKindFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channels: Option<Spanned<ChannelsFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<Spanned<SourceFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trim_db: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    invert: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gain_db: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pan: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mute: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    solo: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    solo_safe: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    automation: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sends: Vec<Spanned<SendFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    insert: Option<Spanned<InsertFile>>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    lanes: std::collections::BTreeMap<String, Spanned<LaneFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eq: Option<Spanned<EqFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comp: Option<Spanned<CompFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gate: Option<Spanned<GateFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limiter: Option<Spanned<LimiterFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay: Option<Spanned<DelayFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reverb: Option<Spanned<ReverbFile>>,
}

/// An aux bus's delay: `{ time, sync, feedback, hpf, lpf, ping_pong }`
/// (ms, a note value such as 1/8d, 0..0.95, Hz, Hz, bool).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DelayFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sync: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    feedback: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hpf: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lpf: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ping_pong: Option<bool>,
}

/// An aux bus's reverb: `{ size, decay, predelay, damping, width }`
/// (0.3..2, s, ms, 0..1, 0..1).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ReverbFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decay: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    predelay: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    damping: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    width: Option<Spanned<f64>>,
}

/// The master's true-peak limiter: `{ on, ceiling, release }` (dBTP, ms);
/// on when given.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LimiterFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ceiling: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    release: Option<Spanned<f64>>,
}

/// A compressor: `{ on, threshold, ratio, knee, attack, release, makeup,
/// detect: peak|rms, sc_hpf }` (dB, ms, Hz); on when given.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CompFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threshold: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    knee: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attack: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    release: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    makeup: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detect: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sc_hpf: Option<Spanned<f64>>,
}

/// A gate / expander: `{ on, threshold, ratio, range, attack, hold, release }`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct GateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threshold: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    range: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attack: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hold: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    release: Option<Spanned<f64>>,
}

/// A strip's filter and EQ: `{ on, hpf: { on, freq, slope }, bands: [...] }`,
/// bands in order (low shelf, peak, peak, high shelf by default).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct EqFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hpf: Option<Spanned<HpfFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    bands: Vec<Spanned<BandFile>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct HpfFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    freq: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slope: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BandFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    freq: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gain: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<Spanned<f64>>,
}

/// An automation lane: `[seconds, value]` points in the parameter's
/// natural units (dB, -.inf for off, for gains; 0..1 for pan; 0/1 for
/// mute), and optionally its own mode.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LaneFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<Spanned<String>>,
    points: Vec<Spanned<[f64; 2]>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct InsertFile {
    output: Spanned<u16>,
    input: Spanned<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wet: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "is_false")]
    bypass: bool,
    /// Period size in frames -> measured round trip in samples.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    latency: std::collections::BTreeMap<u32, u32>,
}

/// Highest interface channel a session may name.
pub const MAX_INTERFACE_CHANNEL: u16 = 256;

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum BusKindFile {
    Aux,
    Group,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum ChannelsFile {
    Mono,
    Stereo,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input: Option<Spanned<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<Spanned<String>>,
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    looped: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tone: Option<ToneFile>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ToneFile {
    #[serde(default = "default_wave")]
    wave: WaveFile,
    #[serde(default = "default_freq")]
    freq_hz: Spanned<f64>,
    #[serde(default = "default_tone_level")]
    level_db: Spanned<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pulse: Option<PulseFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

fn default_wave() -> WaveFile {
    WaveFile::Sine
}
fn default_freq() -> Spanned<f64> {
    spanless(440.0)
}
fn default_tone_level() -> Spanned<f64> {
    spanless(-18.0)
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum WaveFile {
    Sine,
    Square,
    Saw,
    White,
    Pink,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PulseFile {
    bpm: Spanned<f64>,
    decay_ms: Spanned<f64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    offset_beats: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SendFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bus: Option<Spanned<String>>,
    /// A hardware send: the first of two interface outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<Spanned<u16>>,
    #[serde(default = "default_send_gain")]
    gain_db: Spanned<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pan: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "is_false")]
    pre: bool,
}

fn default_send_gain() -> Spanned<f64> {
    spanless(f64::NEG_INFINITY)
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `x` in the shortest decimal form that reads back to the same `f32`:
/// parameter values are written as a person would (`0.4`, not
/// `0.4000000059604645`); the engine hears them as `f32` anyway.
/// Infinities and NaN pass unchanged. Not for lane times, which must stay
/// exact to the frame.
pub(crate) fn short(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // `f32`'s Display is its shortest round-trip form.
    format!("{}", x as f32).parse().unwrap_or(x)
}

/// A parameter value for the file, in its [shortest](short) form.
fn sf(x: f64) -> Spanned<f64> {
    spanless(short(x))
}

/// An `f32` parameter value for the file, in its [shortest](short) form.
fn sf32(x: f32) -> Spanned<f64> {
    sf(f64::from(x))
}

fn spanless<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// Read and validate a session file.
pub fn load_session(path: &Path) -> Result<Session, ConfigError> {
    load_session_checked(path).map(|(s, _)| s)
}

/// Read and validate a session file; also what in it is valid but likely
/// not what was meant (lanes that do not play, sends that are off).
pub fn load_session_checked(path: &Path) -> Result<(Session, Vec<Diagnostic>), ConfigError> {
    let text = super::read_text(path)?;
    parse_session_checked(&text, path)
}

/// Validate session text; `file` names it in diagnostics.
pub fn parse_session(text: &str, file: &Path) -> Result<Session, ConfigError> {
    parse_session_checked(text, file).map(|(s, _)| s)
}

/// [`parse_session`], with its warnings.
pub fn parse_session_checked(
    text: &str,
    file: &Path,
) -> Result<(Session, Vec<Diagnostic>), ConfigError> {
    let raw: SessionFile = super::yaml::from_str(text, file)?;
    let mut resolver = Resolver {
        file,
        diags: Vec::new(),
        warnings: Vec::new(),
        rate: 48_000,
    };
    let session = resolver.session(raw)?;
    let mut warnings = resolver.warnings;
    warnings.sort_by_key(|d| (d.line, d.column));
    Ok((session, warnings))
}

/// The session as YAML text, in the format [`parse_session`] reads.
pub fn session_to_yaml(session: &Session) -> String {
    let file = to_file(session);
    let body = serde_saphyr::to_string(&file).unwrap_or_else(|e| {
        // Serialising plain structs of numbers and strings cannot fail; if it
        // ever does, say so in the file rather than write a truncated one.
        format!("# faderd could not serialise this session: {e}\n")
    });
    format!("# faderd session (format {SESSION_VERSION})\n{body}")
}

/// How a save wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveLayout {
    /// The file did not exist: written in faderd's layout.
    New,
    /// Edited in place: only changed values changed.
    Edited,
    /// The file's layout could not be kept (a YAML construct the editor
    /// does not write into); written in faderd's layout, every value kept.
    Rewritten,
}

/// Save `session` to `path`, atomically (a crash, `kill -9` or a full
/// disk leaves the previous file intact). An existing file is edited in
/// place: only the values that changed are rewritten, and its comments,
/// key order, blank lines and flow or block style stay. The result is
/// read back before it is written: it must be exactly `session`.
///
/// A file that no longer reads as a session (edited by hand meanwhile) is
/// not overwritten: that is an error, and the caller keeps the state
/// elsewhere.
pub fn save_session(path: &Path, session: &Session) -> Result<SaveLayout, ConfigError> {
    let new = session_to_yaml(session);
    let (text, layout) = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (new, SaveLayout::New),
        Err(source) => {
            return Err(ConfigError::Read {
                file: path.to_path_buf(),
                source,
            });
        }
        Ok(_) => {
            let user = super::read_text(path)?;
            let old = session_to_yaml(&parse_session(&user, path)?);
            match super::yaml_edit::apply_change(&user, &old, &new) {
                Ok(edited) if reads_back_as(&edited, &new, path) => (edited, SaveLayout::Edited),
                Ok(_) | Err(_) => (new, SaveLayout::Rewritten),
            }
        }
    };
    write_atomic(path, text.as_bytes()).map_err(|source| ConfigError::Write {
        file: path.to_path_buf(),
        source,
    })?;
    Ok(layout)
}

/// True when `text` reads as the session whose canonical text is `canonical`.
fn reads_back_as(text: &str, canonical: &str, file: &Path) -> bool {
    parse_session(text, file).is_ok_and(|s| session_to_yaml(&s) == canonical)
}

/// Write `session` to `path` in faderd's own layout, after the comment
/// lines of `header` (recovery files), atomically.
pub fn write_session_copy(path: &Path, session: &Session, header: &str) -> Result<(), ConfigError> {
    let comment: String = header.lines().map(|l| format!("# {l}\n")).collect();
    let text = format!("{comment}{}", session_to_yaml(session));
    write_atomic(path, text.as_bytes()).map_err(|source| ConfigError::Write {
        file: path.to_path_buf(),
        source,
    })
}

struct Resolver<'a> {
    file: &'a Path,
    diags: Vec<Diagnostic>,
    /// Valid, but likely not what was meant.
    warnings: Vec<Diagnostic>,
    /// The session's rate: lane times in seconds become frames.
    rate: u32,
}

impl Resolver<'_> {
    fn err(&mut self, loc: Location, message: impl Into<String>) {
        self.diags.push(Diagnostic::at(self.file, loc, message));
    }

    fn warn(&mut self, loc: Location, message: impl Into<String>) {
        self.warnings.push(Diagnostic::at(self.file, loc, message));
    }

    fn range(&mut self, v: &Spanned<f64>, lo: f64, hi: f64, what: &str) -> f64 {
        if v.value.is_nan() || v.value < lo || v.value > hi {
            self.err(
                v.referenced,
                format!("{what} must be between {lo} and {hi}, not {}", v.value),
            );
            v.value.clamp(lo, hi)
        } else {
            v.value
        }
    }

    fn gain(&mut self, v: &Spanned<f64>, what: &str) -> f64 {
        let db = v.value;
        if db == f64::NEG_INFINITY {
            db
        } else if db.is_nan() || db > FADER_MAX_DB || db <= GAIN_OFF_DB {
            self.err(
                v.referenced,
                format!("{what} must be above {GAIN_OFF_DB} and at most +{FADER_MAX_DB} dB, or -.inf for off; not {db}"),
            );
            0.0
        } else {
            db
        }
    }

    fn not_here<T>(&mut self, field: &Option<Spanned<T>>, key: &str, kind: &str) {
        if let Some(f) = field {
            self.err(f.referenced, format!("`{key}` does not apply to {kind}"));
        }
    }

    fn session(&mut self, raw: SessionFile) -> Result<Session, ConfigError> {
        if raw.version.value != SESSION_VERSION {
            self.err(
                raw.version.referenced,
                format!(
                    "this faderd reads session version {SESSION_VERSION}, not {}",
                    raw.version.value
                ),
            );
        }
        let mut s = Session::new(&raw.name, raw.sample_rate.value);
        self.rate = raw.sample_rate.value.max(1);
        if !(8_000..=384_000).contains(&raw.sample_rate.value) {
            self.err(
                raw.sample_rate.referenced,
                "sample_rate must be between 8000 and 384000",
            );
        }
        if let Some(len) = &raw.length_s {
            s.length_s = Some(self.range(len, 0.0, 86_400.0, "length_s"));
        }
        if let Some(law) = &raw.pan_law_db {
            match PanLaw::from_centre_db(law.value) {
                Some(l) => s.pan_law = l,
                None => self.err(law.referenced, "pan_law_db must be 0, -3, -4.5 or -6"),
            }
        }
        if let Some(ms) = &raw.smoothing_ms {
            s.smoothing_ms = self.range(ms, 0.0, 1000.0, "smoothing_ms");
        }
        if let Some(bpm) = &raw.tempo_bpm {
            s.tempo_bpm = self.range(bpm, TEMPO_RANGE.0, TEMPO_RANGE.1, "tempo_bpm");
        }

        // Buses first: tracks and sends refer to them by name.
        for b in &raw.buses {
            let bus = self.bus(b);
            if let Some(name) = &b.value.name
                && let Err(e) = s.check_rename(StripSlot::Bus(s.buses.len()), &bus.name)
            {
                self.err(name.referenced, e.to_string());
            }
            s.buses.push(bus);
        }
        for (j, b) in raw.buses.iter().map(|b| &b.value).enumerate() {
            let kind = s.buses[j].kind;
            let sends = self.sends(&b.sends, &s.buses, "bus");
            if kind == BusKind::Aux && !sends.is_empty() {
                self.err(
                    b.sends[0].referenced,
                    "aux buses cannot have sends (only tracks and group buses)",
                );
            }
            s.buses[j].controls.sends = sends;
        }
        for (i, t) in raw.tracks.iter().enumerate() {
            let track = self.track(&t.value, i, &s.buses);
            if let Some(name) = &t.value.name
                && let Err(e) = s.check_rename(StripSlot::Track(i), &track.name)
            {
                self.err(name.referenced, e.to_string());
            }
            s.tracks.push(track);
        }
        if let Some(m) = &raw.master {
            let m = &m.value;
            for (field, key) in [(&m.name, "name"), (&m.output, "output")] {
                self.not_here(field, key, "master");
            }
            self.not_here(&m.kind, "kind", "master");
            self.not_here(&m.channels, "channels", "master");
            self.not_here(&m.source, "source", "master");
            self.not_here(&m.solo, "solo", "master");
            self.not_here(&m.solo_safe, "solo_safe", "master");
            self.not_here(&m.delay, "delay", "master (effects are on aux buses)");
            self.not_here(&m.reverb, "reverb", "master (effects are on aux buses)");
            if let Some(send) = m.sends.first() {
                self.err(send.referenced, "master has no sends");
            }
            s.master = self.controls(m);
        }
        if self.diags.is_empty() {
            Ok(s)
        } else {
            Err(ConfigError::Invalid(std::mem::take(&mut self.diags)))
        }
    }

    fn bus(&mut self, spanned: &Spanned<StripFile>) -> Bus {
        let b = &spanned.value;
        self.not_here(&b.channels, "channels", "a bus (buses are stereo)");
        self.not_here(&b.source, "source", "a bus (buses are fed by tracks)");
        self.not_here(&b.output, "output", "a bus (buses feed master)");
        self.not_here(&b.limiter, "limiter", "a bus (the limiter is the master's)");
        let name = match &b.name {
            Some(n) => normalize_strip_name(&n.value),
            None => {
                self.err(spanned.referenced, "every bus needs a name");
                String::new()
            }
        };
        let kind = match &b.kind {
            Some(k) => match k.value {
                BusKindFile::Aux => BusKind::Aux,
                BusKindFile::Group => BusKind::Group,
            },
            None => BusKind::Aux,
        };
        let effect = match (&b.delay, &b.reverb) {
            (Some(d), Some(r)) => {
                self.delay(d);
                self.reverb(r);
                self.err(r.referenced, "a bus has one effect: delay or reverb");
                Effect::None
            }
            (Some(d), None) => Effect::Delay(self.delay(d)),
            (None, Some(r)) => Effect::Reverb(self.reverb(r)),
            (None, None) => Effect::None,
        };
        if kind == BusKind::Group && effect != Effect::None {
            let at = match (&b.delay, &b.reverb) {
                (Some(d), _) => Some(d.referenced),
                (None, Some(r)) => Some(r.referenced),
                (None, None) => None,
            };
            if let Some(at) = at {
                self.err(
                    at,
                    "effects are for aux buses (send to them), not group buses",
                );
            }
        }
        Bus {
            name,
            kind,
            controls: Controls {
                effect,
                ..self.controls(b)
            },
        }
    }

    fn delay(&mut self, f: &Spanned<DelayFile>) -> DelayFx {
        use crate::dsp::echo::{FEEDBACK_RANGE, HPF_RANGE, LPF_RANGE, TIME_RANGE_MS};
        let v = &f.value;
        let mut d = DelayFx::default();
        let fields = [
            (
                &v.time,
                f32_range(TIME_RANGE_MS),
                "delay time",
                &mut d.echo.time_ms,
            ),
            (
                &v.feedback,
                f32_range(FEEDBACK_RANGE),
                "delay feedback",
                &mut d.echo.feedback,
            ),
            (
                &v.hpf,
                f32_range(HPF_RANGE),
                "delay hpf",
                &mut d.echo.hpf_hz,
            ),
            (
                &v.lpf,
                f32_range(LPF_RANGE),
                "delay lpf",
                &mut d.echo.lpf_hz,
            ),
        ];
        for (field, range, what, slot) in fields {
            if let Some(x) = self.opt(field, range, what) {
                *slot = x;
            }
        }
        if let Some(p) = v.ping_pong {
            d.echo.ping_pong = p;
        }
        if let Some(sync) = &v.sync {
            d.sync = Division::parse(&sync.value);
            if d.sync.is_none() {
                self.err(
                    sync.referenced,
                    format!(
                        "sync '{}' is not a note value such as 1/4, 1/8d or 1/16t",
                        sync.value
                    ),
                );
            }
        }
        d
    }

    fn reverb(&mut self, f: &Spanned<ReverbFile>) -> ReverbSpec {
        use crate::dsp::reverb::{
            DAMPING_RANGE, DECAY_RANGE, PREDELAY_RANGE, SIZE_RANGE, WIDTH_RANGE,
        };
        let v = &f.value;
        let mut r = ReverbSpec::default();
        let fields = [
            (&v.size, f32_range(SIZE_RANGE), "reverb size", &mut r.size),
            (
                &v.decay,
                f32_range(DECAY_RANGE),
                "reverb decay",
                &mut r.decay_s,
            ),
            (
                &v.predelay,
                f32_range(PREDELAY_RANGE),
                "reverb predelay",
                &mut r.predelay_ms,
            ),
            (
                &v.damping,
                f32_range(DAMPING_RANGE),
                "reverb damping",
                &mut r.damping,
            ),
            (
                &v.width,
                f32_range(WIDTH_RANGE),
                "reverb width",
                &mut r.width,
            ),
        ];
        for (field, range, what, slot) in fields {
            if let Some(x) = self.opt(field, range, what) {
                *slot = x;
            }
        }
        r
    }

    fn track(&mut self, t: &StripFile, index: usize, buses: &[Bus]) -> Track {
        self.not_here(&t.kind, "kind", "a track (it is for buses)");
        self.not_here(
            &t.limiter,
            "limiter",
            "a track (the limiter is the master's)",
        );
        self.not_here(&t.delay, "delay", "a track (effects are on aux buses)");
        self.not_here(&t.reverb, "reverb", "a track (effects are on aux buses)");
        let name = t.name.as_ref().map_or_else(
            || format!("Track {}", index + 1),
            |n| normalize_strip_name(&n.value),
        );
        let channels = match t.channels.as_ref().map(|c| c.value) {
            Some(ChannelsFile::Stereo) => Channels::Stereo,
            _ => Channels::Mono,
        };
        let source = match &t.source {
            Some(src) => self.source(src, index),
            None => TrackSource::None,
        };
        let output = match &t.output {
            None => Output::Master,
            Some(o) if o.value.eq_ignore_ascii_case("master") => Output::Master,
            Some(o) => match buses.iter().position(|b| b.name == o.value) {
                Some(b) if buses[b].kind == BusKind::Group => Output::Bus(b),
                Some(_) => {
                    self.err(o.referenced, format!("'{}' is an aux bus: feed it with a send; output takes master or a group bus", o.value));
                    Output::Master
                }
                None => {
                    self.err(
                        o.referenced,
                        format!(
                            "no bus named '{}' (output takes master or a group bus)",
                            o.value
                        ),
                    );
                    Output::Master
                }
            },
        };
        let mut controls = self.controls(t);
        controls.sends = self.sends(&t.sends, buses, "track");
        Track {
            name,
            channels,
            source,
            output,
            controls,
        }
    }

    fn source(&mut self, src: &Spanned<SourceFile>, index: usize) -> TrackSource {
        let v = &src.value;
        let given = [v.input.is_some(), v.file.is_some(), v.tone.is_some()];
        if given.iter().filter(|x| **x).count() != 1 {
            self.err(
                src.referenced,
                "source takes exactly one of `input`, `file` or `tone`",
            );
            return TrackSource::None;
        }
        if v.looped.is_some() && v.file.is_none() {
            self.err(src.referenced, "`loop` applies to file sources only");
        }
        if let Some(ch) = &v.input {
            if ch.value == 0 {
                self.err(ch.referenced, "input channels are numbered from 1");
            }
            return TrackSource::Input(ch.value.max(1));
        }
        if let Some(f) = &v.file {
            if f.value.trim().is_empty() {
                self.err(f.referenced, "file path is empty");
            }
            return TrackSource::File {
                path: PathBuf::from(&f.value),
                looped: v.looped.unwrap_or(false),
            };
        }
        let t = v.tone.as_ref().expect("one source kind is set");
        let pulse = t.pulse.as_ref().map(|p| Pulse {
            bpm: self.range(&p.bpm, 1.0, 999.0, "bpm"),
            decay_ms: self.range(&p.decay_ms, 1.0, 60_000.0, "decay_ms"),
            offset_beats: p.offset_beats,
        });
        TrackSource::Tone(ToneSpec {
            wave: match t.wave {
                WaveFile::Sine => Wave::Sine,
                WaveFile::Square => Wave::Square,
                WaveFile::Saw => Wave::Saw,
                WaveFile::White => Wave::White,
                WaveFile::Pink => Wave::Pink,
            },
            freq_hz: self.range(&t.freq_hz, 1.0, 24_000.0, "freq_hz"),
            level_db: self.range(&t.level_db, -120.0, 0.0, "level_db"),
            pulse,
            seed: t.seed.unwrap_or(index as u64 + 1),
        })
    }

    fn mode(&mut self, v: &Spanned<String>) -> AutomationMode {
        AutomationMode::from_name(&v.value).unwrap_or_else(|| {
            self.err(
                v.referenced,
                format!(
                    "automation '{}' is not off, read, touch, latch, write or trim",
                    v.value
                ),
            );
            AutomationMode::Off
        })
    }

    /// A strip's lanes; `sends` is how many sends it has.
    fn lanes(
        &mut self,
        lanes: &std::collections::BTreeMap<String, Spanned<LaneFile>>,
        sends: usize,
    ) -> std::collections::BTreeMap<LaneParam, Lane> {
        let mut out = std::collections::BTreeMap::new();
        for (name, lane) in lanes {
            let Some(param) = LaneParam::from_name(name) else {
                self.err(
                    lane.referenced,
                    format!("'{name}' is not an automatable parameter (gain, trim, pan, mute, send/N/gain, hpf/on|freq, eq/on, eq/N/on|gain|freq|q, comp/on|threshold|ratio|knee|attack|release|makeup|sc_hpf, gate/on|threshold|ratio|range|attack|hold|release, limiter/ceiling|release, delay/time|feedback|hpf|lpf, reverb/size|decay|predelay|damping|width)"),
                );
                continue;
            };
            if let LaneParam::SendGain(k) = param
                && k >= sends
            {
                self.err(
                    lane.referenced,
                    format!("lane '{name}': this strip has {sends} sends"),
                );
                continue;
            }
            let mode = lane.value.mode.as_ref().map(|m| self.mode(m));
            let mut points: Vec<LanePoint> = Vec::with_capacity(lane.value.points.len());
            for p in &lane.value.points {
                let [t, v] = p.value;
                if !(t.is_finite() && (0.0..=86_400.0).contains(&t)) {
                    self.err(
                        p.referenced,
                        format!("a lane time is 0..=86400 seconds, not {t}"),
                    );
                    continue;
                }
                let frame = (t * f64::from(self.rate)).round() as u64;
                if points.last().is_some_and(|l| l.frame > frame) {
                    self.err(p.referenced, "lane points must be in time order");
                    continue;
                }
                let value = match param {
                    LaneParam::Gain | LaneParam::SendGain(_) => {
                        if v == f64::NEG_INFINITY || v <= GAIN_OFF_DB {
                            GAIN_OFF_DB
                        } else if v.is_nan() || v > FADER_MAX_DB {
                            self.err(p.referenced, format!("a gain lane value is at most +{FADER_MAX_DB} dB, or -.inf for off; not {v}"));
                            continue;
                        } else {
                            v
                        }
                    }
                    LaneParam::Trim => {
                        if !(v.is_finite() && v.abs() <= TRIM_RANGE_DB) {
                            self.err(
                                p.referenced,
                                format!(
                                    "a trim lane value is within +/-{TRIM_RANGE_DB} dB, not {v}"
                                ),
                            );
                            continue;
                        }
                        v
                    }
                    LaneParam::Pan => {
                        if !(0.0..=1.0).contains(&v) {
                            self.err(p.referenced, format!("a pan lane value is 0..=1, not {v}"));
                            continue;
                        }
                        v
                    }
                    LaneParam::Mute => {
                        if v != 0.0 && v != 1.0 {
                            self.err(
                                p.referenced,
                                format!("a mute lane value is 0 or 1, not {v}"),
                            );
                            continue;
                        }
                        v
                    }
                    LaneParam::Proc(target) => {
                        let (lo, hi) = crate::model::proc_range(target);
                        if target.is_switch() && v != 0.0 && v != 1.0 {
                            self.err(
                                p.referenced,
                                format!("{name} lane values are 0 or 1, not {v}"),
                            );
                            continue;
                        }
                        if !(lo..=hi).contains(&v) {
                            self.err(
                                p.referenced,
                                format!("{name} lane values are {lo}..={hi}, not {v}"),
                            );
                            continue;
                        }
                        v
                    }
                };
                points.push(LanePoint { frame, value });
            }
            out.insert(param, Lane { mode, points });
        }
        out
    }

    fn eq(&mut self, f: &Spanned<EqFile>) -> Eq {
        let mut eq = Eq::default();
        let v = &f.value;
        if let Some(on) = v.on {
            eq.on = on;
        }
        let (flo, fhi) = EQ_FREQ_RANGE;
        if let Some(h) = &v.hpf {
            if let Some(on) = h.value.on {
                eq.hpf_on = on;
            } else {
                eq.hpf_on = true;
            }
            if let Some(freq) = &h.value.freq {
                eq.hpf_hz = self.range(freq, flo, fhi, "hpf freq");
            }
            if let Some(sl) = &h.value.slope {
                match HpfSlope::from_db(sl.value) {
                    Some(x) => eq.hpf_slope = x,
                    None => self.err(sl.referenced, "hpf slope is 12, 18 or 24 (dB/octave)"),
                }
            }
        }
        if v.bands.len() > 4 {
            self.err(v.bands[4].referenced, "the EQ has 4 bands");
        }
        for (b, spanned) in eq.bands.iter_mut().zip(&v.bands) {
            let x = &spanned.value;
            if let Some(on) = x.on {
                b.on = on;
            }
            if let Some(k) = &x.kind {
                match BandKind::from_name(&k.value) {
                    Some(kind) => b.kind = kind,
                    None => self.err(
                        k.referenced,
                        format!(
                            "band type '{}' is not low_shelf, peak, high_shelf, low_pass, high_pass or notch",
                            k.value
                        ),
                    ),
                }
            }
            if let Some(freq) = &x.freq {
                b.freq_hz = self.range(freq, flo, fhi, "band freq");
            }
            if let Some(g) = &x.gain {
                b.gain_db = self.range(g, -EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB, "band gain");
            }
            if let Some(q) = &x.q {
                b.q = self.range(q, EQ_Q_RANGE.0, EQ_Q_RANGE.1, "band q");
            }
        }
        eq
    }

    /// `field` if given, checked against `range`.
    fn opt(&mut self, field: &Option<Spanned<f64>>, range: (f64, f64), what: &str) -> Option<f32> {
        field
            .as_ref()
            .map(|v| self.range(v, range.0, range.1, what) as f32)
    }

    fn comp(&mut self, f: &Spanned<CompFile>) -> CompSpec {
        let v = &f.value;
        let mut c = CompSpec {
            on: v.on.unwrap_or(true),
            ..CompSpec::default()
        };
        let r = COMP_RANGES;
        let fields = [
            (&v.threshold, r[0], "comp threshold", &mut c.threshold_db),
            (&v.ratio, r[1], "comp ratio", &mut c.ratio),
            (&v.knee, r[2], "comp knee", &mut c.knee_db),
            (&v.attack, r[3], "comp attack", &mut c.attack_ms),
            (&v.release, r[4], "comp release", &mut c.release_ms),
            (&v.makeup, r[5], "comp makeup", &mut c.makeup_db),
            (&v.sc_hpf, r[6], "comp sc_hpf", &mut c.sc_hpf_hz),
        ];
        for (field, range, what, slot) in fields {
            if let Some(x) = self.opt(field, range, what) {
                *slot = x;
            }
        }
        if let Some(d) = &v.detect {
            c.detect = match d.value.as_str() {
                "peak" => Detect::Peak,
                "rms" => Detect::Rms,
                other => {
                    self.err(d.referenced, format!("detect '{other}' is not peak or rms"));
                    Detect::Peak
                }
            };
        }
        c
    }

    fn limiter(&mut self, f: &Spanned<LimiterFile>) -> LimiterSpec {
        use crate::dsp::limiter::{CEILING_RANGE, RELEASE_RANGE};
        let v = &f.value;
        let mut l = LimiterSpec {
            on: v.on.unwrap_or(true),
            ..LimiterSpec::default()
        };
        if let Some(x) = self.opt(&v.ceiling, f32_range(CEILING_RANGE), "limiter ceiling") {
            l.ceiling_dbtp = x;
        }
        if let Some(x) = self.opt(&v.release, f32_range(RELEASE_RANGE), "limiter release") {
            l.release_ms = x;
        }
        l
    }

    fn gate(&mut self, f: &Spanned<GateFile>) -> GateSpec {
        let v = &f.value;
        let mut g = GateSpec {
            on: v.on.unwrap_or(true),
            ..GateSpec::default()
        };
        let r = GATE_RANGES;
        let fields = [
            (&v.threshold, r[0], "gate threshold", &mut g.threshold_db),
            (&v.ratio, r[1], "gate ratio", &mut g.ratio),
            (&v.range, r[2], "gate range", &mut g.range_db),
            (&v.attack, r[3], "gate attack", &mut g.attack_ms),
            (&v.hold, r[4], "gate hold", &mut g.hold_ms),
            (&v.release, r[5], "gate release", &mut g.release_ms),
        ];
        for (field, range, what, slot) in fields {
            if let Some(x) = self.opt(field, range, what) {
                *slot = x;
            }
        }
        g
    }

    fn controls(&mut self, f: &StripFile) -> Controls {
        let d = Controls::default();
        let lanes = self.lanes(&f.lanes, f.sends.len());
        if f.automation.is_none()
            && let Some((name, lane)) = f.lanes.iter().next()
        {
            self.warn(
                lane.referenced,
                format!(
                    "lane `{name}` does not play: this strip has no `automation:` mode, and the default is off (add `automation: read`)"
                ),
            );
        }
        let eq = f.eq.as_ref().map_or_else(Eq::default, |e| self.eq(e));
        let comp = f
            .comp
            .as_ref()
            .map_or_else(CompSpec::default, |c| self.comp(c));
        let gate = f
            .gate
            .as_ref()
            .map_or_else(GateSpec::default, |g| self.gate(g));
        let order = match &f.order {
            None => StripOrder::default(),
            Some(o) => StripOrder::from_name(&o.value).unwrap_or_else(|| {
                self.err(
                    o.referenced,
                    format!("order '{}' is not eq_dyn or dyn_eq", o.value),
                );
                StripOrder::default()
            }),
        };
        Controls {
            lanes,
            eq,
            comp,
            gate,
            order,
            limiter: f
                .limiter
                .as_ref()
                .map_or_else(LimiterSpec::default, |l| self.limiter(l)),
            // Set by `bus` (effects are the aux buses').
            effect: Effect::None,
            trim_db: f.trim_db.as_ref().map_or(d.trim_db, |v| {
                self.range(v, -TRIM_RANGE_DB, TRIM_RANGE_DB, "trim_db")
            }),
            invert: f.invert.as_ref().is_some_and(|v| v.value),
            gain_db: f
                .gain_db
                .as_ref()
                .map_or(d.gain_db, |v| self.gain(v, "gain_db")),
            pan: f
                .pan
                .as_ref()
                .map_or(d.pan, |v| self.range(v, 0.0, 1.0, "pan")),
            mute: f.mute.as_ref().is_some_and(|v| v.value),
            solo: f.solo.as_ref().is_some_and(|v| v.value),
            solo_safe: f.solo_safe.as_ref().is_some_and(|v| v.value),
            automation: f
                .automation
                .as_ref()
                .map_or(AutomationMode::Off, |v| self.mode(v)),
            sends: Vec::new(),
            insert: f.insert.as_ref().map(|i| self.insert(&i.value)),
        }
    }

    fn insert(&mut self, i: &InsertFile) -> Insert {
        for ch in [&i.output, &i.input] {
            if !(1..=MAX_INTERFACE_CHANNEL).contains(&ch.value) {
                self.err(
                    ch.referenced,
                    format!("an interface channel is 1..={MAX_INTERFACE_CHANNEL}"),
                );
            }
        }
        if i.output.value == 1 || i.output.value == 2 {
            self.err(
                i.output.referenced,
                "interface outputs 1 and 2 carry the master mix; send the insert from 3 up",
            );
        }
        Insert {
            output: i.output.value,
            input: i.input.value,
            wet: i
                .wet
                .as_ref()
                .map_or(1.0, |w| self.range(w, 0.0, 1.0, "insert wet")),
            bypass: i.bypass,
            latency: i.latency.clone(),
        }
    }

    fn sends(&mut self, sends: &[Spanned<SendFile>], buses: &[Bus], from: &str) -> Vec<Send> {
        let mut out = Vec::new();
        for spanned in sends {
            let s = &spanned.value;
            let target = match (&s.bus, &s.output) {
                (Some(bus), None) => match buses.iter().position(|b| b.name == bus.value) {
                    Some(b) if buses[b].kind == BusKind::Aux => SendTarget::Bus(b),
                    Some(_) => {
                        self.err(
                            bus.referenced,
                            format!(
                                "'{}' is a group bus: a {from} sends to aux buses only",
                                bus.value
                            ),
                        );
                        continue;
                    }
                    None => {
                        self.err(bus.referenced, format!("no aux bus named '{}'", bus.value));
                        continue;
                    }
                },
                (None, Some(o)) => {
                    if !(3..MAX_INTERFACE_CHANNEL).contains(&o.value) {
                        self.err(
                            o.referenced,
                            format!(
                                "a hardware send uses interface outputs N and N+1, N in 3..={} (1 and 2 carry the master)",
                                MAX_INTERFACE_CHANNEL - 1
                            ),
                        );
                        continue;
                    }
                    SendTarget::Output(o.value)
                }
                _ => {
                    self.err(
                        spanned.referenced,
                        "a send names exactly one of bus (an aux bus) or output (interface outputs)",
                    );
                    continue;
                }
            };
            if s.gain_db.referenced == Location::UNKNOWN {
                self.warn(
                    spanned.referenced,
                    "this send has no `gain_db`: it is off (-.inf) until a level is set",
                );
            }
            out.push(Send {
                target,
                gain_db: self.gain(&s.gain_db, "send gain_db"),
                pan: s
                    .pan
                    .as_ref()
                    .map_or(0.5, |p| self.range(p, 0.0, 1.0, "send pan")),
                pre: s.pre,
            });
        }
        out
    }
}

fn lanes_file(
    lanes: &std::collections::BTreeMap<LaneParam, Lane>,
    rate: u32,
) -> std::collections::BTreeMap<String, Spanned<LaneFile>> {
    lanes
        .iter()
        .map(|(param, lane)| {
            let gain = matches!(param, LaneParam::Gain | LaneParam::SendGain(_));
            let points = lane
                .points
                .iter()
                .map(|p| {
                    let v = if gain && p.value <= GAIN_OFF_DB {
                        f64::NEG_INFINITY
                    } else {
                        p.value
                    };
                    spanless([p.frame as f64 / f64::from(rate.max(1)), short(v)])
                })
                .collect();
            (
                param.name(),
                spanless(LaneFile {
                    mode: lane.mode.map(|m| spanless(m.as_str().to_owned())),
                    points,
                }),
            )
        })
        .collect()
}

fn eq_file(eq: &Eq) -> Option<Spanned<EqFile>> {
    let d = Eq::default();
    if *eq == d {
        return None;
    }
    let hpf = (eq.hpf_on != d.hpf_on || eq.hpf_hz != d.hpf_hz || eq.hpf_slope != d.hpf_slope).then(
        || {
            spanless(HpfFile {
                on: Some(eq.hpf_on),
                freq: Some(sf(eq.hpf_hz)),
                slope: Some(spanless(f64::from(eq.hpf_slope.db_per_octave()))),
            })
        },
    );
    let bands = if eq.bands == d.bands {
        Vec::new()
    } else {
        eq.bands
            .iter()
            .map(|b| {
                spanless(BandFile {
                    on: (!b.on).then_some(false),
                    kind: Some(spanless(b.kind.as_str().to_owned())),
                    freq: Some(sf(b.freq_hz)),
                    gain: Some(sf(b.gain_db)),
                    q: Some(sf(b.q)),
                })
            })
            .collect()
    };
    Some(spanless(EqFile {
        on: (!eq.on).then_some(false),
        hpf,
        bands,
    }))
}

fn comp_file(c: &CompSpec) -> Option<Spanned<CompFile>> {
    let d = CompSpec::default();
    (*c != d).then(|| {
        let f = |x: f32| Some(sf32(x));
        spanless(CompFile {
            on: Some(c.on),
            threshold: f(c.threshold_db),
            ratio: f(c.ratio),
            knee: f(c.knee_db),
            attack: f(c.attack_ms),
            release: f(c.release_ms),
            makeup: f(c.makeup_db),
            detect: Some(spanless(
                match c.detect {
                    Detect::Peak => "peak",
                    Detect::Rms => "rms",
                }
                .to_owned(),
            )),
            sc_hpf: f(c.sc_hpf_hz),
        })
    })
}

fn delay_file(d: &DelayFx) -> Spanned<DelayFile> {
    let f = |x: f32| Some(sf32(x));
    let e = &d.echo;
    spanless(DelayFile {
        // A synced delay's time comes from its note value and the tempo:
        // a time written beside it would be stale.
        time: if d.sync.is_some() { None } else { f(e.time_ms) },
        sync: d.sync.map(|s| spanless(s.to_string())),
        feedback: f(e.feedback),
        hpf: f(e.hpf_hz),
        lpf: f(e.lpf_hz),
        ping_pong: Some(e.ping_pong),
    })
}

fn reverb_file(r: &ReverbSpec) -> Spanned<ReverbFile> {
    let f = |x: f32| Some(sf32(x));
    spanless(ReverbFile {
        size: f(r.size),
        decay: f(r.decay_s),
        predelay: f(r.predelay_ms),
        damping: f(r.damping),
        width: f(r.width),
    })
}

fn gate_file(g: &GateSpec) -> Option<Spanned<GateFile>> {
    (*g != GateSpec::default()).then(|| {
        let f = |x: f32| Some(sf32(x));
        spanless(GateFile {
            on: Some(g.on),
            threshold: f(g.threshold_db),
            ratio: f(g.ratio),
            range: f(g.range_db),
            attack: f(g.attack_ms),
            hold: f(g.hold_ms),
            release: f(g.release_ms),
        })
    })
}

fn to_file(s: &Session) -> SessionFile {
    let some_if = |cond: bool, v: f64| cond.then(|| sf(v));
    let controls = |c: &Controls, buses: &[Bus]| StripFile {
        trim_db: some_if(c.trim_db != 0.0, c.trim_db),
        invert: c.invert.then(|| spanless(true)),
        gain_db: Some(sf(c.gain_db)),
        pan: some_if(c.pan != 0.5, c.pan),
        mute: c.mute.then(|| spanless(true)),
        solo: c.solo.then(|| spanless(true)),
        solo_safe: c.solo_safe.then(|| spanless(true)),
        automation: (c.automation != AutomationMode::Off)
            .then(|| spanless(c.automation.as_str().to_owned())),
        sends: c
            .sends
            .iter()
            .map(|x| {
                spanless(SendFile {
                    bus: match x.target {
                        SendTarget::Bus(b) => Some(spanless(buses[b].name.clone())),
                        SendTarget::Output(_) => None,
                    },
                    output: match x.target {
                        SendTarget::Bus(_) => None,
                        SendTarget::Output(o) => Some(spanless(o)),
                    },
                    gain_db: sf(x.gain_db),
                    pan: some_if(x.pan != 0.5, x.pan),
                    pre: x.pre,
                })
            })
            .collect(),
        insert: c.insert.as_ref().map(|i| {
            spanless(InsertFile {
                output: spanless(i.output),
                input: spanless(i.input),
                wet: some_if(i.wet != 1.0, i.wet),
                bypass: i.bypass,
                latency: i.latency.clone(),
            })
        }),
        lanes: lanes_file(&c.lanes, s.sample_rate),
        eq: eq_file(&c.eq),
        comp: comp_file(&c.comp),
        gate: gate_file(&c.gate),
        order: (c.order != StripOrder::default()).then(|| spanless(c.order.as_str().to_owned())),
        limiter: (c.limiter != LimiterSpec::default()).then(|| {
            spanless(LimiterFile {
                on: Some(c.limiter.on),
                ceiling: Some(sf32(c.limiter.ceiling_dbtp)),
                release: Some(sf32(c.limiter.release_ms)),
            })
        }),
        ..StripFile::default()
    };
    SessionFile {
        version: spanless(SESSION_VERSION),
        name: s.name.clone(),
        sample_rate: spanless(s.sample_rate),
        length_s: s.length_s.map(spanless),
        pan_law_db: Some(sf(s.pan_law.centre_db())),
        smoothing_ms: some_if(s.smoothing_ms != DEFAULT_SMOOTHING_MS, s.smoothing_ms),
        tempo_bpm: some_if(s.tempo_bpm != DEFAULT_TEMPO_BPM, s.tempo_bpm),
        buses: s
            .buses
            .iter()
            .map(|b| {
                spanless(StripFile {
                    name: Some(spanless(b.name.clone())),
                    kind: Some(spanless(match b.kind {
                        BusKind::Aux => BusKindFile::Aux,
                        BusKind::Group => BusKindFile::Group,
                    })),
                    delay: match b.controls.effect {
                        Effect::Delay(d) => Some(delay_file(&d)),
                        _ => None,
                    },
                    reverb: match b.controls.effect {
                        Effect::Reverb(r) => Some(reverb_file(&r)),
                        _ => None,
                    },
                    ..controls(&b.controls, &s.buses)
                })
            })
            .collect(),
        tracks: s
            .tracks
            .iter()
            .map(|t| {
                spanless(StripFile {
                    name: Some(spanless(t.name.clone())),
                    channels: Some(spanless(match t.channels {
                        Channels::Mono => ChannelsFile::Mono,
                        Channels::Stereo => ChannelsFile::Stereo,
                    })),
                    source: match &t.source {
                        TrackSource::None => None,
                        other => Some(spanless(source_file(other))),
                    },
                    output: match t.output {
                        Output::Master => None,
                        Output::Bus(b) => Some(spanless(s.buses[b].name.clone())),
                    },
                    ..controls(&t.controls, &s.buses)
                })
            })
            .collect(),
        master: Some(spanless(controls(&s.master, &s.buses))),
    }
}

fn source_file(src: &TrackSource) -> SourceFile {
    match src {
        TrackSource::None => SourceFile::default(),
        TrackSource::Input(ch) => SourceFile {
            input: Some(spanless(*ch)),
            ..SourceFile::default()
        },
        TrackSource::File { path, looped } => SourceFile {
            file: Some(spanless(path.to_string_lossy().into_owned())),
            looped: looped.then_some(true),
            ..SourceFile::default()
        },
        TrackSource::Tone(t) => SourceFile {
            tone: Some(ToneFile {
                wave: match t.wave {
                    Wave::Sine => WaveFile::Sine,
                    Wave::Square => WaveFile::Square,
                    Wave::Saw => WaveFile::Saw,
                    Wave::White => WaveFile::White,
                    Wave::Pink => WaveFile::Pink,
                },
                freq_hz: sf(t.freq_hz),
                level_db: sf(t.level_db),
                pulse: t.pulse.map(|p| PulseFile {
                    bpm: sf(p.bpm),
                    decay_ms: sf(p.decay_ms),
                    offset_beats: p.offset_beats,
                }),
                seed: Some(t.seed),
            }),
            ..SourceFile::default()
        },
    }
}
