//! The session file's schema: what the YAML holds, as read and written.

use super::spanless;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SessionFile {
    pub(super) version: Spanned<u32>,
    pub(super) name: String,
    #[serde(default = "default_rate")]
    pub(super) sample_rate: Spanned<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) length_s: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pan_law_db: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) smoothing_ms: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tempo_bpm: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) buses: Vec<Spanned<StripFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) tracks: Vec<Spanned<StripFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) master: Option<Spanned<StripFile>>,
}

pub(super) fn default_rate() -> Spanned<u32> {
    spanless(48_000)
}

/// One struct for tracks, buses and master: fields that do not belong to a
/// kind of strip are reported at their place in the file.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StripFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<Spanned<BusKindFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) channels: Option<Spanned<ChannelsFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) source: Option<Spanned<SourceFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) output: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) trim_db: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) invert: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gain_db: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pan: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) mute: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) solo: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) solo_safe: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) automation: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) colour: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) sends: Vec<Spanned<SendFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) insert: Option<Spanned<InsertFile>>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(super) lanes: std::collections::BTreeMap<String, Spanned<LaneFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) eq: Option<Spanned<EqFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) comp: Option<Spanned<CompFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gate: Option<Spanned<GateFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) order: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) limiter: Option<Spanned<LimiterFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) delay: Option<Spanned<DelayFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) reverb: Option<Spanned<ReverbFile>>,
}

/// An aux bus's delay: `{ time, sync, feedback, hpf, lpf, ping_pong }`
/// (ms, a note value such as 1/8d, 0..0.95, Hz, Hz, bool).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DelayFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) time: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sync: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) feedback: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) hpf: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) lpf: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) ping_pong: Option<bool>,
}

/// An aux bus's reverb: `{ size, decay, predelay, damping, width }`
/// (0.3..2, s, ms, 0..1, 0..1).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReverbFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) size: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) decay: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) predelay: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) damping: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) width: Option<Spanned<f64>>,
}

/// The master's true-peak limiter: `{ on, ceiling, release }` (dBTP, ms);
/// on when given.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimiterFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) ceiling: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) release: Option<Spanned<f64>>,
}

/// A compressor: `{ on, threshold, ratio, knee, attack, release, makeup,
/// detect: peak|rms, sc_hpf }` (dB, ms, Hz); on when given.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) threshold: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) ratio: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) knee: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) attack: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) release: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) makeup: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) detect: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sc_hpf: Option<Spanned<f64>>,
}

/// A gate / expander: `{ on, threshold, ratio, range, attack, hold, release }`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) threshold: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) ratio: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) range: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) attack: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) hold: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) release: Option<Spanned<f64>>,
}

/// A strip's filter and EQ: `{ on, hpf: { on, freq, slope }, bands: [...] }`,
/// bands in order (low shelf, peak, peak, high shelf by default).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EqFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) hpf: Option<Spanned<HpfFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) bands: Vec<Spanned<BandFile>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HpfFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) freq: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) slope: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BandFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) on: Option<bool>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) freq: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gain: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) q: Option<Spanned<f64>>,
}

/// An automation lane: `[seconds, value]` points in the parameter's
/// natural units (dB, -.inf for off, for gains; 0..1 for pan; 0/1 for
/// mute), and optionally its own mode.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LaneFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) mode: Option<Spanned<String>>,
    pub(super) points: Vec<Spanned<[f64; 2]>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InsertFile {
    pub(super) output: Spanned<u16>,
    pub(super) input: Spanned<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) wet: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(super) bypass: bool,
    /// Period size in frames -> measured round trip in samples.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(super) latency: std::collections::BTreeMap<u32, u32>,
}

/// Highest interface channel a session may name.
pub const MAX_INTERFACE_CHANNEL: u16 = 256;

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum BusKindFile {
    Aux,
    Group,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum ChannelsFile {
    Mono,
    Stereo,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) input: Option<Spanned<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) file: Option<Spanned<String>>,
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub(super) looped: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tone: Option<ToneFile>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ToneFile {
    #[serde(default = "default_wave")]
    pub(super) wave: WaveFile,
    #[serde(default = "default_freq")]
    pub(super) freq_hz: Spanned<f64>,
    #[serde(default = "default_tone_level")]
    pub(super) level_db: Spanned<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pulse: Option<PulseFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) seed: Option<u64>,
}

pub(super) fn default_wave() -> WaveFile {
    WaveFile::Sine
}
pub(super) fn default_freq() -> Spanned<f64> {
    spanless(440.0)
}
pub(super) fn default_tone_level() -> Spanned<f64> {
    spanless(-18.0)
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum WaveFile {
    Sine,
    Square,
    Saw,
    White,
    Pink,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PulseFile {
    pub(super) bpm: Spanned<f64>,
    pub(super) decay_ms: Spanned<f64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) offset_beats: f64,
}

pub(super) fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) bus: Option<Spanned<String>>,
    /// A hardware send: the first of two interface outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) output: Option<Spanned<u16>>,
    #[serde(default = "default_send_gain")]
    pub(super) gain_db: Spanned<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pan: Option<Spanned<f64>>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(super) pre: bool,
}

pub(super) fn default_send_gain() -> Spanned<f64> {
    spanless(f64::NEG_INFINITY)
}

pub(super) fn is_false(b: &bool) -> bool {
    !*b
}
