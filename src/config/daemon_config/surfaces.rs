//! The daemon config's surfaces: Mackie units, MIDI controllers and
//! serial boards, with their profiles and maps (built in or files).

use super::DaemonConfig;
use crate::config::error::Diagnostic;
use crate::model::surface::{ControlMap, Driver, SerialLocator, SurfaceProfile, UsbId};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;
use std::path::PathBuf;

/// A map's origin: its text, and its file unless it is built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSource {
    /// The file, or `None` for a built-in map.
    pub file: Option<PathBuf>,
    /// Its text as loaded.
    pub text: String,
    /// The folder a learned copy of a built-in map is written to.
    pub learn_dir: PathBuf,
}

/// A control surface the daemon drives, with its profiles and map loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum SurfaceSetup {
    /// Mackie Control units ganged left to right, banked as one surface.
    Mackie {
        /// What the controls do.
        map: ControlMap,
        /// (profile, MIDI port pair name) per unit, left to right.
        units: Vec<(SurfaceProfile, String)>,
    },
    /// A generic MIDI controller driven by its map.
    Midi {
        /// The controller's map (with its MIDI bindings).
        map: ControlMap,
        /// Its MIDI port pair name.
        port: String,
        /// Where the map came from (for MIDI learn to write to).
        source: MapSource,
    },
    /// A DIY motorized-fader board on a serial port.
    Serial {
        /// What the board is.
        profile: SurfaceProfile,
        /// What its controls do.
        map: ControlMap,
        /// Where it is.
        port: SerialLocator,
        /// Line speed.
        baud: u32,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SurfaceFile {
    #[serde(default)]
    pub(super) mackie: Option<Spanned<MackieFile>>,
    #[serde(default)]
    pub(super) midi: Option<Spanned<MidiSurfaceFile>>,
    #[serde(default)]
    pub(super) serial: Option<Spanned<SerialSurfaceFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SerialSurfaceFile {
    #[serde(default)]
    pub(super) device: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) usb: Option<Spanned<UsbId>>,
    pub(super) profile: Spanned<String>,
    #[serde(default)]
    pub(super) map: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) baud: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MidiSurfaceFile {
    pub(super) map: Spanned<String>,
    pub(super) port: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MackieFile {
    #[serde(default)]
    pub(super) map: Option<Spanned<String>>,
    pub(super) units: Vec<UnitFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UnitFile {
    pub(super) profile: Spanned<String>,
    pub(super) midi: Spanned<String>,
}

/// The shipped profiles and maps, built in so `profile: x-touch` works
/// wherever the binary runs.
pub(super) const BUILTIN: &[(&str, &str)] = &[
    (
        "mackie/mcu-pro",
        include_str!("../../../surfaces/mackie/mcu-pro.yaml"),
    ),
    (
        "mackie/mcu-xt",
        include_str!("../../../surfaces/mackie/mcu-xt.yaml"),
    ),
    (
        "mackie/logic-control",
        include_str!("../../../surfaces/mackie/logic-control.yaml"),
    ),
    (
        "mackie/x-touch",
        include_str!("../../../surfaces/mackie/x-touch.yaml"),
    ),
    (
        "mackie/x-touch-extender",
        include_str!("../../../surfaces/mackie/x-touch-extender.yaml"),
    ),
    (
        "mackie/icon-platform-m-plus",
        include_str!("../../../surfaces/mackie/icon-platform-m-plus.yaml"),
    ),
    (
        "mackie/behringer-bcf2000",
        include_str!("../../../surfaces/mackie/behringer-bcf2000.yaml"),
    ),
    ("maps/mackie", include_str!("../../../maps/mackie.yaml")),
    (
        "serial/diy-4-fader",
        include_str!("../../../surfaces/serial/diy-4-fader.yaml"),
    ),
    (
        "maps/serial-fader-board",
        include_str!("../../../maps/serial-fader-board.yaml"),
    ),
    (
        "maps/korg-nanokontrol2",
        include_str!("../../../maps/korg-nanokontrol2.yaml"),
    ),
    (
        "maps/akai-midimix",
        include_str!("../../../maps/akai-midimix.yaml"),
    ),
];

/// A profile or map by name (`x-touch`, `mackie/x-touch`, `maps/mackie`)
/// or by path (relative to `base`): its text and the name its errors use.
/// A name is looked for in the user's and the system's data folders
/// ([`super::data_file`]: `~/.local/share/faderd/surfaces/mackie/x-touch.yaml`,
/// `/usr/share/faderd/...` where a package installs them), then among the
/// profiles built into the binary.
pub(super) fn resolve(name: &str, kind: &str, base: &Path) -> Result<(String, PathBuf), String> {
    if !name.ends_with(".yaml") {
        let key = if name.contains('/') {
            name.to_owned()
        } else {
            format!("{kind}/{name}")
        };
        let relative = if key.starts_with("maps/") {
            format!("{key}.yaml")
        } else {
            format!("surfaces/{key}.yaml")
        };
        if let Some(path) = crate::config::data_file(Path::new(&relative)) {
            return std::fs::read_to_string(&path)
                .map(|t| (t, path.clone()))
                .map_err(|e| format!("cannot read '{}': {e}", path.display()));
        }
        if let Some((k, text)) = BUILTIN.iter().find(|(k, _)| *k == key) {
            return Ok((
                (*text).to_owned(),
                PathBuf::from(format!("{k}.yaml (built in)")),
            ));
        }
    }
    let path = base.join(name);
    std::fs::read_to_string(&path)
        .map(|t| (t, path.clone()))
        .map_err(|e| {
            let known: Vec<&str> = BUILTIN
                .iter()
                .filter(|(k, _)| k.starts_with(kind))
                .map(|(k, _)| k.rsplit('/').next().unwrap_or(k))
                .collect();
            format!(
                "cannot read '{}' ({e}); built in: {}",
                path.display(),
                known.join(", ")
            )
        })
}

/// Load a map by name or path, reporting at `at`.
pub(super) fn load_map_at(
    name: &str,
    at: serde_saphyr::Location,
    file: &Path,
    base: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<ControlMap> {
    match resolve(name, "maps", base) {
        Ok((text, path)) => match crate::config::surface::parse_map(&text, &path) {
            Ok(map) => Some(map),
            Err(e) => {
                diags.push(Diagnostic::at(file, at, e.to_string()));
                None
            }
        },
        Err(e) => {
            diags.push(Diagnostic::at(file, at, e));
            None
        }
    }
}

/// A MIDI port pair name from a surface entry: opened on the backend.
pub(super) fn midi_port_name(
    name: &Spanned<String>,
    file: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    if name.value.trim().is_empty() || name.value.contains(':') {
        diags.push(Diagnostic::at(
            file,
            name.referenced,
            "a MIDI port pair name has no ':'",
        ));
    }
    if !cfg.jack.midi_ports.contains(&name.value) {
        cfg.jack.midi_ports.push(name.value.clone());
    }
}

pub(super) fn midi_surface(
    m: Spanned<MidiSurfaceFile>,
    file: &Path,
    base: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    let v = m.value;
    midi_port_name(&v.port, file, cfg, diags);
    let source = resolve(&v.map.value, "maps", base)
        .ok()
        .map(|(text, path)| MapSource {
            file: (!path.to_string_lossy().ends_with("(built in)")).then_some(path),
            text,
            learn_dir: base.to_path_buf(),
        });
    if let Some(map) = load_map_at(&v.map.value, v.map.referenced, file, base, diags) {
        if map.midi.is_none() {
            diags.push(Diagnostic::at(
                file,
                v.map.referenced,
                format!("'{}' is not a MIDI controller map", map.name),
            ));
            return;
        }
        cfg.surfaces.push(SurfaceSetup::Midi {
            map,
            port: v.port.value,
            source: source.unwrap_or(MapSource {
                file: None,
                text: String::new(),
                learn_dir: base.to_path_buf(),
            }),
        });
    }
}

pub(super) fn mackie_surface(
    m: Spanned<MackieFile>,
    file: &Path,
    base: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    let map = m
        .value
        .map
        .as_ref()
        .map_or("maps/mackie", |v| v.value.as_str());
    let map_at = m.value.map.as_ref().map_or(m.referenced, |v| v.referenced);
    let map = load_map_at(map, map_at, file, base, diags);
    let mut units = Vec::new();
    for u in &m.value.units {
        match resolve(&u.profile.value, "mackie", base) {
            Ok((text, path)) => match crate::config::surface::parse_profile(&text, &path) {
                Ok(p) if p.mackie.is_some() => units.push((p, u.midi.value.clone())),
                Ok(p) => diags.push(Diagnostic::at(
                    file,
                    u.profile.referenced,
                    format!("'{}' is not a Mackie Control profile", p.name),
                )),
                Err(e) => diags.push(Diagnostic::at(file, u.profile.referenced, e.to_string())),
            },
            Err(e) => diags.push(Diagnostic::at(file, u.profile.referenced, e)),
        }
        midi_port_name(&u.midi, file, cfg, diags);
    }
    if m.value.units.is_empty() {
        diags.push(Diagnostic::at(
            file,
            m.referenced,
            "a surface needs at least one unit",
        ));
    }
    if let Some(map) = map {
        cfg.surfaces.push(SurfaceSetup::Mackie { map, units });
    }
}

pub(super) fn serial_surface(
    s: Spanned<SerialSurfaceFile>,
    file: &Path,
    base: &Path,
    cfg: &mut DaemonConfig,
    diags: &mut Vec<Diagnostic>,
) {
    let v = s.value;
    let profile = match resolve(&v.profile.value, "serial", base) {
        Ok((text, path)) => match crate::config::surface::parse_profile(&text, &path) {
            Ok(p) if p.driver == Driver::Serial => Some(p),
            Ok(p) => {
                diags.push(Diagnostic::at(
                    file,
                    v.profile.referenced,
                    format!(
                        "'{}' is not a serial board profile (driver: serial)",
                        p.name
                    ),
                ));
                None
            }
            Err(e) => {
                diags.push(Diagnostic::at(file, v.profile.referenced, e.to_string()));
                None
            }
        },
        Err(e) => {
            diags.push(Diagnostic::at(file, v.profile.referenced, e));
            None
        }
    };
    let map_name = v
        .map
        .as_ref()
        .map_or("maps/serial-fader-board", |m| m.value.as_str());
    let map_at = v.map.as_ref().map_or(s.referenced, |m| m.referenced);
    let map = load_map_at(map_name, map_at, file, base, diags);
    let caps = profile.as_ref().and_then(|p| p.serial);
    let port = match (&v.device, &v.usb) {
        (Some(d), None) if !d.value.trim().is_empty() => Some(SerialLocator::Path(d.value.clone())),
        (None, Some(u)) => Some(SerialLocator::Usb(u.value)),
        (None, None) => match caps.and_then(|c| c.usb) {
            Some(id) => Some(SerialLocator::Usb(id)),
            None => {
                diags.push(Diagnostic::at(
                    file,
                    s.referenced,
                    "say where the board is: device: (a port path) or usb: \"vid:pid\"",
                ));
                None
            }
        },
        _ => {
            diags.push(Diagnostic::at(
                file,
                s.referenced,
                "give either device: or usb:, not both (and not an empty device)",
            ));
            None
        }
    };
    let baud = match &v.baud {
        Some(b) if !(1200..=4_000_000).contains(&b.value) => {
            diags.push(Diagnostic::at(
                file,
                b.referenced,
                "baud must be 1200..=4000000",
            ));
            115_200
        }
        Some(b) => b.value,
        None => caps.map_or(115_200, |c| c.baud),
    };
    if let (Some(profile), Some(map), Some(port)) = (profile, map, port) {
        cfg.surfaces.push(SurfaceSetup::Serial {
            profile,
            map,
            port,
            baud,
        });
    }
}
