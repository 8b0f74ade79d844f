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
    Behaviour, Binding, BindingTarget, ButtonMode, ControlMap, Curve, DisplayCaps, Driver,
    FaderCaps, MackieCaps, MackieUnit, MidiBinding, MidiMap, MidiSource, PortPatterns,
    RelativeEncoding, SerialCaps, SurfaceAction, SurfaceProfile, UsbId,
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
    #[serde(default)]
    serial: Option<Spanned<SerialCaps>>,
}

/// Read and validate a surface profile file.
pub fn load_profile(path: &Path) -> Result<SurfaceProfile, ConfigError> {
    let text = super::read_text(path)?;
    parse_profile(&text, path)
}

/// Read and validate a control map file.
pub fn load_map(path: &Path) -> Result<ControlMap, ConfigError> {
    let text = super::read_text(path)?;
    parse_map(&text, path)
}

/// Read and validate a surface profile.
pub fn parse_profile(text: &str, file: &Path) -> Result<SurfaceProfile, ConfigError> {
    let raw: ProfileFile = super::yaml::from_str(text, file)?;
    let mut diags = Vec::new();
    diags.extend(super::yaml::wrong_version(&raw.version, 1, "profile", file));
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
    let mut behaviours = Vec::new();
    for b in &raw.behaviours {
        if let Some(known) = Behaviour::from_name(&b.value) {
            behaviours.push(known);
        } else {
            let known: Vec<&str> = Behaviour::ALL.iter().map(|b| b.name()).collect();
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
    match (&raw.serial, raw.driver) {
        (Some(s), Driver::Serial) => {
            if raw.strips.value > 32
                || s.value.buttons > 64
                || s.value.encoders > 32
                || s.value.leds > 64
            {
                diags.push(Diagnostic::at(
                    file,
                    s.referenced,
                    "a serial board has at most 32 faders (strips), 64 buttons, 32 encoders and 64 LEDs",
                ));
            }
            if !(1200..=4_000_000).contains(&s.value.baud) {
                diags.push(Diagnostic::at(
                    file,
                    s.referenced,
                    "baud must be 1200..=4000000",
                ));
            }
        }
        (Some(s), _) => diags.push(Diagnostic::at(
            file,
            s.referenced,
            "a serial section belongs to driver: serial",
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
        behaviours,
        mackie: raw.mackie.map(|m| m.value),
        serial: raw.serial.map(|s| s.value),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    version: Spanned<u32>,
    name: String,
    applies_to: Vec<String>,
    #[serde(default)]
    chart: Option<String>,
    #[serde(default)]
    device: Option<DeviceFile>,
    #[serde(default)]
    bank: Option<BankFile>,
    bindings: Vec<Spanned<BindingFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceFile {
    #[serde(default)]
    ports: Option<PortPatterns>,
    #[serde(default)]
    motorized: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RelativeFile {
    TwosComplement,
    SignBit,
    BinaryOffset,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ModeFile {
    Absolute,
    Toggle,
    Momentary,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CurveFile {
    Linear,
    Exponential,
    Logarithmic,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MidiFile {
    #[serde(default)]
    channel: Option<Spanned<u8>>,
    #[serde(default)]
    cc: Option<Spanned<u8>>,
    #[serde(default)]
    cc14: Option<Spanned<u8>>,
    #[serde(default)]
    nrpn: Option<Spanned<u16>>,
    #[serde(default)]
    rpn: Option<Spanned<u16>>,
    #[serde(default)]
    note: Option<Spanned<u8>>,
    #[serde(default)]
    pitchbend: bool,
    #[serde(default)]
    program: bool,
    #[serde(default)]
    bits: Option<Spanned<u8>>,
    #[serde(default)]
    relative: Option<RelativeFile>,
    #[serde(default)]
    accel: bool,
    #[serde(default)]
    mode: Option<ModeFile>,
    #[serde(default)]
    range: Option<Spanned<[f64; 2]>>,
    #[serde(default)]
    curve: Option<CurveFile>,
    #[serde(default)]
    motorized: Option<bool>,
    #[serde(default)]
    pickup_leds: Option<Spanned<PickupLedsFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PickupLedsFile {
    up: u8,
    down: u8,
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
    #[serde(default)]
    midi: Option<Spanned<MidiFile>>,
}

/// The MIDI part of a binding, checked.
fn midi_binding(m: &Spanned<MidiFile>, file: &Path, diags: &mut Vec<Diagnostic>) -> MidiBinding {
    let v = &m.value;
    let mut err = |at, msg: String| diags.push(Diagnostic::at(file, at, msg));
    let channel = match &v.channel {
        Some(c) if !(1..=16).contains(&c.value) => {
            err(c.referenced, "channel is 1..=16".into());
            0
        }
        Some(c) => c.value - 1,
        None => 0,
    };
    let fine = match &v.bits {
        None => false,
        Some(b) if b.value == 7 => false,
        Some(b) if b.value == 14 => true,
        Some(b) => {
            err(b.referenced, "bits is 7 or 14".into());
            false
        }
    };
    let mut sources = Vec::new();
    if let Some(c) = &v.cc {
        if c.value > 127 {
            err(c.referenced, "a controller number is 0..=127".into());
        }
        sources.push(MidiSource::Cc(c.value));
    }
    if let Some(c) = &v.cc14 {
        if c.value > 31 {
            err(
                c.referenced,
                "a 14-bit pair's MSB controller is 0..=31 (its LSB is +32)".into(),
            );
        }
        sources.push(MidiSource::Cc14(c.value));
    }
    for (p, nrpn) in [(&v.nrpn, true), (&v.rpn, false)] {
        if let Some(n) = p {
            if n.value > 16383 {
                err(n.referenced, "a parameter number is 0..=16383".into());
            }
            sources.push(if nrpn {
                MidiSource::Nrpn {
                    number: n.value,
                    fine,
                }
            } else {
                MidiSource::Rpn {
                    number: n.value,
                    fine,
                }
            });
        }
    }
    if let Some(n) = &v.note {
        if n.value > 127 {
            err(n.referenced, "a note is 0..=127".into());
        }
        sources.push(MidiSource::Note(n.value));
    }
    if v.pitchbend {
        sources.push(MidiSource::PitchBend);
    }
    if v.program {
        sources.push(MidiSource::Program);
    }
    if sources.len() != 1 {
        err(
            m.referenced,
            "midi names exactly one of cc, cc14, nrpn, rpn, note, pitchbend or program".into(),
        );
    }
    let source = sources.first().copied().unwrap_or(MidiSource::Cc(0));
    if v.relative.is_some() && !matches!(source, MidiSource::Cc(_)) {
        err(
            m.referenced,
            "relative encoders send plain CCs (use cc with relative)".into(),
        );
    }
    if v.bits.is_some() && !matches!(source, MidiSource::Nrpn { .. } | MidiSource::Rpn { .. }) {
        err(m.referenced, "bits belongs to nrpn or rpn".into());
    }
    let range = v.range.as_ref().map(|r| {
        if !(r.value[0].is_finite() && r.value[1].is_finite()) || r.value[0] == r.value[1] {
            err(r.referenced, "range is two different finite numbers".into());
        }
        (r.value[0], r.value[1])
    });
    MidiBinding {
        channel,
        source,
        relative: v.relative.map(|r| match r {
            RelativeFile::TwosComplement => RelativeEncoding::TwosComplement,
            RelativeFile::SignBit => RelativeEncoding::SignBit,
            RelativeFile::BinaryOffset => RelativeEncoding::BinaryOffset,
        }),
        accelerate: v.accel,
        mode: match v.mode {
            None | Some(ModeFile::Absolute) => ButtonMode::Absolute,
            Some(ModeFile::Toggle) => ButtonMode::Toggle,
            Some(ModeFile::Momentary) => ButtonMode::Momentary,
        },
        range,
        curve: match v.curve {
            None | Some(CurveFile::Linear) => Curve::Linear,
            Some(CurveFile::Exponential) => Curve::Exponential,
            Some(CurveFile::Logarithmic) => Curve::Logarithmic,
        },
        motorized: v.motorized,
        pickup_leds: v.pickup_leds.as_ref().map(|p| {
            if p.value.up > 127 || p.value.down > 127 {
                err(p.referenced, "pickup LEDs are notes 0..=127".into());
            }
            (p.value.up, p.value.down)
        }),
    }
}

/// Read and validate a control map: every target must be a mixer address.
pub fn parse_map(text: &str, file: &Path) -> Result<ControlMap, ConfigError> {
    let raw: MapFile = super::yaml::from_str(text, file)?;
    let mut diags = Vec::new();
    diags.extend(super::yaml::wrong_version(&raw.version, 1, "map", file));
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
    let mut midi = Vec::new();
    let is_midi = raw.bindings.iter().any(|b| b.value.midi.is_some());
    for b in &raw.bindings {
        match (&b.value.midi, is_midi) {
            (Some(m), _) => midi.push(midi_binding(m, file, &mut diags)),
            (None, true) => diags.push(Diagnostic::at(
                file,
                b.referenced,
                "in a MIDI map every binding says which MIDI message it is (midi:)",
            )),
            (None, false) => {}
        }
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
    let midi = if is_midi {
        if raw.chart.as_deref().is_none_or(|c| c.trim().is_empty()) {
            diags.push(Diagnostic::at(
                file,
                raw.version.referenced,
                "a MIDI map names the MIDI implementation chart it follows (chart:)",
            ));
        }
        let device = raw.device.unwrap_or(DeviceFile {
            ports: None,
            motorized: false,
        });
        Some(MidiMap {
            chart: raw.chart.unwrap_or_default(),
            ports: device.ports,
            motorized: device.motorized,
            bindings: midi,
        })
    } else {
        None
    };
    if !diags.is_empty() {
        return Err(ConfigError::Invalid(diags));
    }
    Ok(ControlMap {
        name: raw.name,
        applies_to: raw.applies_to,
        bank_size,
        bindings,
        midi,
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
        assert!(p.has(Behaviour::ScribbleColours) && !p.has(Behaviour::NoHandshake));

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

#[cfg(test)]
mod midi_map_tests {
    use super::*;

    const MAP: &str = r#"version: 1
name: Test controller
applies_to: [midi]
chart: "Test controller MIDI implementation, rev 1"
device: { ports: { input: "Test", output: "Test" }, motorized: false }
bindings:
  - { control: fader 1, midi: { cc: 7, channel: 2 }, target: "strip/B1/fader" }
  - { control: knob 1, midi: { cc: 16, relative: twos_complement, accel: true }, target: "strip/B1/pan" }
  - { control: fine fader, midi: { cc14: 1 }, target: "master/fader" }
  - { control: nrpn, midi: { nrpn: 1234, bits: 14 }, target: "strip/2/gain", }
  - { control: mute 1, midi: { note: 36, mode: toggle }, target: "strip/B1/mute" }
  - { control: gain range, midi: { cc: 20, range: [-40, 6], curve: exponential }, target: "strip/B2/gain" }
  - { control: bank, midi: { cc: 58 }, action: bank_left }
  - { control: bend, midi: { pitchbend: true }, target: "strip/1/trim" }
"#;

    #[test]
    fn midi_maps_read_every_message_kind() {
        let m = parse_map(MAP, Path::new("m.yaml")).unwrap();
        let midi = m.midi.unwrap();
        assert_eq!(midi.bindings.len(), m.bindings.len());
        let b = &midi.bindings;
        assert_eq!((b[0].channel, b[0].source), (1, MidiSource::Cc(7)));
        assert_eq!(b[1].relative, Some(RelativeEncoding::TwosComplement));
        assert!(b[1].accelerate);
        assert_eq!(b[2].source, MidiSource::Cc14(1));
        assert_eq!(
            b[3].source,
            MidiSource::Nrpn {
                number: 1234,
                fine: true
            }
        );
        assert_eq!(
            (b[4].source, b[4].mode),
            (MidiSource::Note(36), ButtonMode::Toggle)
        );
        assert_eq!(
            (b[5].range, b[5].curve),
            (Some((-40.0, 6.0)), Curve::Exponential)
        );
        assert_eq!(b[7].source, MidiSource::PitchBend);
        assert_eq!(midi.chart, "Test controller MIDI implementation, rev 1");
    }

    #[test]
    fn bad_midi_bindings_are_located() {
        let bad = "version: 1\nname: x\napplies_to: [midi]\nbindings:\n  - { control: a, midi: { cc: 7, note: 3 }, target: master/mute }\n  - { control: b, midi: { cc14: 40, channel: 17 }, target: master/fader }\n  - { control: c, target: master/fader }\n  - { control: d, midi: { note: 1, relative: sign_bit }, target: master/mute }\n";
        let e = parse_map(bad, Path::new("m.yaml")).unwrap_err().to_string();
        for want in [
            "m.yaml:5:25: midi names exactly one of",
            "m.yaml:6:33: a 14-bit pair's MSB controller is 0..=31",
            "m.yaml:6:46: channel is 1..=16",
            "m.yaml:7:5: in a MIDI map every binding says which MIDI message",
            "m.yaml:8:25: relative encoders send plain CCs",
            "m.yaml:1:10: a MIDI map names the MIDI implementation chart",
        ] {
            assert!(e.contains(want), "{want}\nnot in\n{e}");
        }
    }
}
