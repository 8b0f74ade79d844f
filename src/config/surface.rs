//! Surface profiles (`surfaces/<driver>/*.yaml`: what a device IS) and
//! control maps (`maps/*.yaml`: what its controls DO).
//!
//! Device quirks are named behaviours listed here, never branches on model
//! names in driver code. The protocol drivers that consume these arrive with
//! their own work; this module already validates the files so a broken
//! shipped profile fails CI.

use super::error::{ConfigError, Diagnostic};
use crate::mixer::Address;
pub use crate::model::surface::{
    BEHAVIOURS, Binding, BindingTarget, ControlMap, DisplayCaps, Driver, FaderCaps, MackieCaps,
    MackieUnit, PortPatterns, SurfaceAction, SurfaceProfile,
};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;

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
    #[serde(default)]
    mackie: Option<Spanned<MackieCaps>>,
}

/// Read and validate a surface profile file.
pub fn load_profile(path: &Path) -> Result<SurfaceProfile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse_profile(&text, path)
}

/// Read and validate a control map file.
pub fn load_map(path: &Path) -> Result<ControlMap, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse_map(&text, path)
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
    match (&raw.mackie, raw.driver) {
        (Some(m), Driver::Mackie) => {
            if ![0x10, 0x11, 0x14, 0x15].contains(&m.value.device_id) {
                diags.push(Diagnostic::at(
                    file,
                    m.referenced,
                    "device_id is 0x14 (MCU), 0x15 (XT), 0x10 (Logic Control) or 0x11 (LC XT)",
                ));
            }
        }
        (Some(m), _) => diags.push(Diagnostic::at(
            file,
            m.referenced,
            "a mackie section belongs to driver: mackie",
        )),
        (None, Driver::Mackie) => diags.push(Diagnostic::at(
            file,
            raw.strips.referenced,
            "a mackie profile needs a mackie section (device_id, unit)",
        )),
        (None, _) => {}
    }
    if raw.driver == Driver::Mackie && raw.strips.value > 8 {
        diags.push(Diagnostic::at(
            file,
            raw.strips.referenced,
            "a Mackie unit has at most 8 strips (gang units for more)",
        ));
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
        mackie: raw.mackie.map(|m| m.value),
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
    #[serde(default)]
    target: Option<Spanned<String>>,
    #[serde(default)]
    action: Option<Spanned<String>>,
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
    let mut bindings = Vec::new();
    for b in &raw.bindings {
        let target = match (&b.value.target, &b.value.action) {
            (Some(t), None) => {
                let concrete = concrete_address(&t.value);
                if let Err(e) = Address::parse(&concrete) {
                    diags.push(Diagnostic::at(
                        file,
                        t.referenced,
                        format!("target '{}': {}", t.value, e.reason),
                    ));
                }
                BindingTarget::Address(t.value.clone())
            }
            (None, Some(a)) => match SurfaceAction::from_name(&a.value) {
                Some(action) => BindingTarget::Action(action),
                None => {
                    let known: Vec<&str> = SurfaceAction::ALL.iter().map(|(_, n)| *n).collect();
                    diags.push(Diagnostic::at(
                        file,
                        a.referenced,
                        format!(
                            "unknown action '{}', expected one of {}",
                            a.value,
                            known.join(", ")
                        ),
                    ));
                    continue;
                }
            },
            _ => {
                diags.push(Diagnostic::at(
                    file,
                    b.referenced,
                    "a binding has exactly one of target (a mixer address) or action",
                ));
                continue;
            }
        };
        bindings.push(Binding {
            control: b.value.control.clone(),
            target,
        });
    }
    if !diags.is_empty() {
        return Err(ConfigError::Invalid(diags));
    }
    Ok(ControlMap {
        name: raw.name,
        applies_to: raw.applies_to,
        bank_size,
        bindings,
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

#[cfg(test)]
mod mackie_tests {
    use super::*;

    #[test]
    fn mackie_sections_read_hex_ids_and_bad_ones_are_located() {
        let p = parse_profile(
            &std::fs::read_to_string("surfaces/mackie/x-touch-extender.yaml").unwrap(),
            Path::new("x.yaml"),
        )
        .unwrap();
        let m = p.mackie.unwrap();
        assert_eq!((m.device_id, m.unit), (0x15, MackieUnit::Extender));
        assert!(p.has("scribble_colours") && !p.has("no_handshake"));

        let bad = "version: 1\nname: x\ndriver: mackie\nstrips: 9\nmackie: { device_id: 0x66 }\n";
        let e = parse_profile(bad, Path::new("b.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.yaml:5:9: device_id is 0x14"), "{e}");
        assert!(
            e.contains("b.yaml:4:9: a Mackie unit has at most 8 strips"),
            "{e}"
        );
    }

    #[test]
    fn map_bindings_are_a_target_or_a_known_action() {
        let m = parse_map(
            &std::fs::read_to_string("maps/mackie.yaml").unwrap(),
            Path::new("m.yaml"),
        )
        .unwrap();
        assert!(m.bindings.iter().any(|b| b.control == "group"
            && b.target == BindingTarget::Action(SurfaceAction::AutomationOff)));
        let bad = "version: 1\nname: x\napplies_to: [mackie/*]\nbindings:\n  - { control: play, action: dance }\n  - { control: stop }\n";
        let e = parse_map(bad, Path::new("m.yaml")).unwrap_err().to_string();
        assert!(e.contains("m.yaml:5:30: unknown action 'dance'"), "{e}");
        assert!(
            e.contains("m.yaml:6:5: a binding has exactly one of target"),
            "{e}"
        );
    }
}
