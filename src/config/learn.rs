//! Writing a binding made by MIDI learn into the controller's map: appended
//! to the map file itself (atomically, everything else in it, comments
//! included, kept as it was), or, for a built-in map, into a copy of it
//! beside the daemon config.

use super::atomic::write_atomic;
use super::daemon_config::MapSource;
use super::error::ConfigError;
use super::surface::parse_map;
use crate::mixer::Address;
use crate::model::surface::{ButtonMode, MidiBinding, MidiSource};
use std::path::{Path, PathBuf};

/// One binding as a map line.
fn binding_line(control: &str, m: &MidiBinding, target: Address) -> String {
    let kind = match m.source {
        MidiSource::Cc(n) => format!("cc: {n}"),
        MidiSource::Cc14(n) => format!("cc14: {n}"),
        MidiSource::Nrpn { number, fine } => {
            format!("nrpn: {number}, bits: {}", if fine { 14 } else { 7 })
        }
        MidiSource::Rpn { number, fine } => {
            format!("rpn: {number}, bits: {}", if fine { 14 } else { 7 })
        }
        MidiSource::Note(n) => format!("note: {n}"),
        MidiSource::PitchBend => "pitchbend: true".into(),
        MidiSource::Program => "program: true".into(),
    };
    let mode = match m.mode {
        ButtonMode::Absolute => "",
        ButtonMode::Toggle => ", mode: toggle",
        ButtonMode::Momentary => ", mode: momentary",
    };
    format!(
        "  - {{ control: \"{control}\", midi: {{ {kind}, channel: {}{mode} }}, target: \"{target}\" }}\n",
        m.channel + 1
    )
}

/// Save a learned binding. Returns the file written.
pub fn save_learned(
    source: &MapSource,
    map_name: &str,
    control: &str,
    midi: &MidiBinding,
    target: Address,
) -> Result<PathBuf, ConfigError> {
    let line = binding_line(control, midi, target);
    let mut text = source.text.clone();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    let before = parse_map(&source.text, Path::new("map")).map_or(0, |m| m.bindings.len());
    let appended_ok =
        parse_map(&text, Path::new("map")).is_ok_and(|m| m.bindings.len() == before + 1);
    let path = match (&source.file, appended_ok) {
        (Some(file), true) => file.clone(),
        _ => {
            // A built-in map (or one whose bindings are not the last list
            // in the file): a learned copy beside the config.
            let stem: String = map_name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            source.learn_dir.join(format!("{stem}.learned.yaml"))
        }
    };
    let text = if appended_ok {
        text
    } else {
        return Err(ConfigError::Invalid(vec![super::error::Diagnostic::at(
            &path,
            serde_saphyr::Location::UNKNOWN,
            "the learned binding could not be appended: the map's bindings are not the last list in the file",
        )]));
    };
    write_atomic(&path, text.as_bytes()).map_err(|source| ConfigError::Write {
        file: path.clone(),
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::surface::Curve;

    fn cc21() -> MidiBinding {
        MidiBinding {
            channel: 0,
            source: MidiSource::Cc(21),
            relative: None,
            accelerate: false,
            mode: ButtonMode::Absolute,
            range: None,
            curve: Curve::Linear,
            motorized: None,
            pickup_leds: None,
        }
    }

    #[test]
    fn a_user_map_gets_the_line_appended_and_keeps_its_comments() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mine.yaml");
        let text = "# my controller\nversion: 1\nname: Mine\napplies_to: [midi]\nchart: \"mine\"\nbindings:\n  # the fader\n  - { control: f, midi: { cc: 7 }, target: \"strip/B1/fader\" }\n";
        std::fs::write(&file, text).unwrap();
        let source = MapSource {
            file: Some(file.clone()),
            text: text.into(),
            learn_dir: dir.path().into(),
        };
        let a = Address::parse("strip/2/pan").unwrap();
        let written = save_learned(&source, "Mine", "learned cc 21 ch 1", &cc21(), a).unwrap();
        assert_eq!(written, file);
        let saved = std::fs::read_to_string(&file).unwrap();
        assert!(saved.starts_with(text), "{saved}");
        assert!(saved.ends_with("  - { control: \"learned cc 21 ch 1\", midi: { cc: 21, channel: 1 }, target: \"strip/2/pan\" }\n"));
        assert_eq!(parse_map(&saved, &file).unwrap().bindings.len(), 2);
    }

    #[test]
    fn a_built_in_map_is_copied_beside_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string("maps/korg-nanokontrol2.yaml").unwrap();
        let source = MapSource {
            file: None,
            text: text.clone(),
            learn_dir: dir.path().into(),
        };
        let a = Address::parse("master/fader").unwrap();
        let written = save_learned(
            &source,
            "Korg nanoKONTROL2",
            "learned cc 21 ch 1",
            &cc21(),
            a,
        )
        .unwrap();
        assert_eq!(written, dir.path().join("korg-nanokontrol2.learned.yaml"));
        let saved = std::fs::read_to_string(&written).unwrap();
        let m = parse_map(&saved, &written).unwrap();
        assert_eq!(
            m.bindings.len(),
            parse_map(&text, Path::new("x")).unwrap().bindings.len() + 1
        );
    }
}
