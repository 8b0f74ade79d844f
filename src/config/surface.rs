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

/// Which part a Mackie unit plays in a ganged surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MackieUnit {
    /// Strips plus the global section: transport, banking, automation
    /// buttons, master fader, displays.
    #[default]
    Main,
    /// Strips only.
    Extender,
}

/// Mackie Control specifics of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MackieCaps {
    /// SysEx header device byte: 0x14 MCU, 0x15 XT, 0x10 Logic Control,
    /// 0x11 Logic Control XT.
    pub device_id: u8,
    /// Main unit or extender.
    #[serde(default)]
    pub unit: MackieUnit,
    /// Has the 10-digit timecode display.
    #[serde(default)]
    pub timecode_display: bool,
    /// Has the 2-digit assignment display.
    #[serde(default)]
    pub assignment_display: bool,
    /// How fast the device lets an unrefreshed meter fall, per segment
    /// (ms); an unchanged level is refreshed at this interval, never
    /// faster.
    #[serde(default = "default_meter_decay")]
    pub meter_decay_ms: u16,
}

fn default_meter_decay() -> u16 {
    300
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
    #[serde(default)]
    mackie: Option<Spanned<MackieCaps>>,
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
    /// Mackie Control specifics (driver `mackie`).
    pub mackie: Option<MackieCaps>,
}

impl SurfaceProfile {
    /// True when the profile declares behaviour `name`.
    pub fn has(&self, name: &str) -> bool {
        self.behaviours.iter().any(|b| b == name)
    }
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

/// What a surface control does when it is not bound to a mixer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SurfaceAction {
    /// Move the bank by a whole bank to the left.
    BankLeft,
    /// ... to the right.
    BankRight,
    /// Move the bank by one strip to the left.
    ChannelLeft,
    /// ... to the right.
    ChannelRight,
    /// Swap faders and V-Pots.
    Flip,
    /// V-Pots control pan.
    ViewPan,
    /// V-Pots control send levels (again: the next send).
    ViewSends,
    /// V-Pots control input trim.
    ViewTrim,
    /// Automation mode of the selected strips (with `alt` held: of all).
    AutomationOff,
    /// Read.
    AutomationRead,
    /// Touch.
    AutomationTouch,
    /// Latch.
    AutomationLatch,
    /// Write.
    AutomationWrite,
    /// Trim.
    AutomationTrim,
    /// Start the transport.
    TransportPlay,
    /// Stop it.
    TransportStop,
    /// Locate back (to the start).
    TransportRewind,
    /// Locate forward (by ten seconds).
    TransportForward,
    /// Select the strip (with `shift` held: add to the selection).
    Select,
    /// Reset the strip's V-Pot parameter to its default.
    VPotReset,
    /// Modifier keys, held.
    Shift,
    /// Option.
    Option,
    /// Control.
    Control,
    /// Alt (Cmd).
    Alt,
}

impl SurfaceAction {
    /// Every action with its name in map files.
    pub const ALL: [(SurfaceAction, &'static str); 24] = [
        (SurfaceAction::BankLeft, "bank_left"),
        (SurfaceAction::BankRight, "bank_right"),
        (SurfaceAction::ChannelLeft, "channel_left"),
        (SurfaceAction::ChannelRight, "channel_right"),
        (SurfaceAction::Flip, "flip"),
        (SurfaceAction::ViewPan, "view_pan"),
        (SurfaceAction::ViewSends, "view_sends"),
        (SurfaceAction::ViewTrim, "view_trim"),
        (SurfaceAction::AutomationOff, "automation_off"),
        (SurfaceAction::AutomationRead, "automation_read"),
        (SurfaceAction::AutomationTouch, "automation_touch"),
        (SurfaceAction::AutomationLatch, "automation_latch"),
        (SurfaceAction::AutomationWrite, "automation_write"),
        (SurfaceAction::AutomationTrim, "automation_trim"),
        (SurfaceAction::TransportPlay, "transport_play"),
        (SurfaceAction::TransportStop, "transport_stop"),
        (SurfaceAction::TransportRewind, "transport_rewind"),
        (SurfaceAction::TransportForward, "transport_forward"),
        (SurfaceAction::Select, "select"),
        (SurfaceAction::VPotReset, "vpot_reset"),
        (SurfaceAction::Shift, "shift"),
        (SurfaceAction::Option, "option"),
        (SurfaceAction::Control, "control"),
        (SurfaceAction::Alt, "alt"),
    ];

    /// The action called `name`.
    pub fn from_name(name: &str) -> Option<SurfaceAction> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(a, _)| *a)
    }

    /// Its name in map files.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("?", |(_, n)| n)
    }
}

/// What a binding does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingTarget {
    /// A mixer address template; `B{n}` / `B1` are bank-relative strips.
    Address(String),
    /// A surface function.
    Action(SurfaceAction),
}

/// One binding: a control of the surface to a mixer address or an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The surface control (`strip[n].fader`, `master.fader`, `play` ...).
    pub control: String,
    /// What it does.
    pub target: BindingTarget,
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
