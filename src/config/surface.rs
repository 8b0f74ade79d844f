//! Surface profiles (`surfaces/<driver>/*.yaml`: what a device IS) and
//! control maps (`maps/*.yaml`: what its controls DO).
//!
//! Device quirks are named behaviours listed here, never branches on model
//! names in driver code. The protocol drivers that consume these arrive with
//! their own work; this module already validates the files so a broken
//! shipped profile fails CI.

use super::error::{ConfigError, Diagnostic};
use crate::mixer::Address;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;

/// Protocol family of a surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// Mackie Control (MCU, XT, Logic Control and compatibles).
    Mackie,
    /// Generic MIDI controller.
    Midi,
    /// OSC app (TouchOSC, custom layouts).
    Osc,
    /// DIY motorized-fader board on the serial protocol.
    Serial,
}

/// Named device behaviours a profile may declare.
pub const BEHAVIOURS: &[(&str, &str)] = &[
    (
        "echo_fader_moves",
        "the surface expects every fader move echoed back or its motor fights the hand",
    ),
    (
        "no_handshake",
        "the surface does not answer the Mackie device query; start without it",
    ),
    (
        "logic_control_challenge",
        "the surface needs the Logic Control challenge/response handshake",
    ),
    (
        "scribble_colours",
        "the surface has coloured scribble strips (X-Touch SysEx)",
    ),
];

/// Fader capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaderCaps {
    /// Bits of position resolution (7 for plain MIDI, 14 for Mackie).
    pub resolution_bits: u8,
    /// Has a motor.
    #[serde(default)]
    pub motorized: bool,
    /// Reports touch.
    #[serde(default)]
    pub touch_sense: bool,
}

/// Display capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayCaps {
    /// Text lines.
    pub lines: u8,
    /// Characters per strip and line.
    pub chars_per_strip: u8,
}

/// Port-name patterns that find the device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortPatterns {
    /// Input port name contains this.
    pub input: String,
    /// Output port name contains this.
    pub output: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    version: Spanned<u32>,
    name: String,
    driver: Driver,
    #[serde(default)]
    ports: Option<PortPatterns>,
    strips: Spanned<u16>,
    #[serde(default)]
    master_fader: bool,
    #[serde(default)]
    fader: Option<Spanned<FaderCaps>>,
    #[serde(default)]
    display: Option<DisplayCaps>,
    #[serde(default)]
    meters: bool,
    #[serde(default)]
    behaviours: Vec<Spanned<String>>,
}

/// A validated surface profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceProfile {
    /// Device name.
    pub name: String,
    /// Protocol family.
    pub driver: Driver,
    /// How to find its ports.
    pub ports: Option<PortPatterns>,
    /// Channel strips.
    pub strips: u16,
    /// Has a master fader.
    pub master_fader: bool,
    /// Faders.
    pub fader: Option<FaderCaps>,
    /// Displays.
    pub display: Option<DisplayCaps>,
    /// Meters.
    pub meters: bool,
    /// Named behaviours from [`BEHAVIOURS`].
    pub behaviours: Vec<String>,
}

/// Read and validate a surface profile.
pub fn parse_profile(text: &str, file: &Path) -> Result<SurfaceProfile, ConfigError> {
    let raw: ProfileFile =
        serde_saphyr::from_str(text).map_err(|e| ConfigError::from_yaml(file, &e))?;
    let mut diags = Vec::new();
    if raw.version.value != 1 {
        diags.push(Diagnostic::at(
            file,
            raw.version.referenced,
            "this faderd reads profile version 1",
        ));
    }
    if raw.strips.value == 0 || raw.strips.value > 256 {
        diags.push(Diagnostic::at(
            file,
            raw.strips.referenced,
            "strips must be 1..=256",
        ));
    }
    if let Some(f) = &raw.fader
        && !(7..=16).contains(&f.value.resolution_bits)
    {
        diags.push(Diagnostic::at(
            file,
            f.referenced,
            "fader resolution_bits must be 7..=16",
        ));
    }
    for b in &raw.behaviours {
        if !BEHAVIOURS.iter().any(|(name, _)| *name == b.value) {
            let known: Vec<&str> = BEHAVIOURS.iter().map(|(n, _)| *n).collect();
            diags.push(Diagnostic::at(
                file,
                b.referenced,
                format!(
                    "unknown behaviour '{}', expected one of {}",
                    b.value,
                    known.join(", ")
                ),
            ));
        }
    }
    if !diags.is_empty() {
        return Err(ConfigError::Invalid(diags));
    }
    Ok(SurfaceProfile {
        name: raw.name,
        driver: raw.driver,
        ports: raw.ports,
        strips: raw.strips.value,
        master_fader: raw.master_fader,
        fader: raw.fader.map(|f| f.value),
        display: raw.display,
        meters: raw.meters,
        behaviours: raw.behaviours.into_iter().map(|b| b.value).collect(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    version: Spanned<u32>,
    name: String,
    applies_to: Vec<String>,
    #[serde(default)]
    bank: Option<BankFile>,
    bindings: Vec<Spanned<BindingFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    size: Spanned<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    control: String,
    target: Spanned<String>,
}

/// One binding: a control of the surface to a mixer address template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The surface control (`strip[n].fader`, `master.fader` ...).
    pub control: String,
    /// The mixer address; `B{n}` / `B1` are bank-relative strips.
    pub target: String,
}

/// A validated control map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlMap {
    /// Map name.
    pub name: String,
    /// Profiles (or `driver/*`) it applies to.
    pub applies_to: Vec<String>,
    /// Strips per bank.
    pub bank_size: u16,
    /// Bindings.
    pub bindings: Vec<Binding>,
}

/// Read and validate a control map: every target must be a mixer address.
pub fn parse_map(text: &str, file: &Path) -> Result<ControlMap, ConfigError> {
    let raw: MapFile =
        serde_saphyr::from_str(text).map_err(|e| ConfigError::from_yaml(file, &e))?;
    let mut diags = Vec::new();
    if raw.version.value != 1 {
        diags.push(Diagnostic::at(
            file,
            raw.version.referenced,
            "this faderd reads map version 1",
        ));
    }
    let bank_size = match &raw.bank {
        Some(b) if b.size.value == 0 => {
            diags.push(Diagnostic::at(
                file,
                b.size.referenced,
                "bank size must be at least 1",
            ));
            8
        }
        Some(b) => b.size.value,
        None => 8,
    };
    for b in &raw.bindings {
        let concrete = concrete_address(&b.value.target.value);
        if let Err(e) = Address::parse(&concrete) {
            diags.push(Diagnostic::at(
                file,
                b.value.target.referenced,
                format!("target '{}': {}", b.value.target.value, e.reason),
            ));
        }
    }
    if !diags.is_empty() {
        return Err(ConfigError::Invalid(diags));
    }
    Ok(ControlMap {
        name: raw.name,
        applies_to: raw.applies_to,
        bank_size,
        bindings: raw
            .bindings
            .into_iter()
            .map(|b| Binding {
                control: b.value.control,
                target: b.value.target.value,
            })
            .collect(),
    })
}

/// Replace bank-relative and templated strip numbers (`B{n}`, `B3`, `{n}`)
/// with a concrete one so the address grammar can check the rest.
fn concrete_address(template: &str) -> String {
    template
        .split('/')
        .map(|seg| {
            let seg = seg.replace("{n}", "1");
            match seg.strip_prefix('B') {
                Some(rest) if !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit()) => {
                    rest.to_owned()
                }
                _ => seg,
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
