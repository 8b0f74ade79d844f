//! A strip's processing settings: the EQ's bands and limits, the order of
//! EQ and dynamics, the compressor's and gate's numeric settings by name.
//! (Their ranges, scales and displays are the parameter table's,
//! `mixer::params`.)

use super::{BandKind, CompSpec, GateSpec, HpfSlope};

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
