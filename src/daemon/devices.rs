//! `faderd devices`: what a user can put in config.yaml. Audio backends
//! (the JACK server and its ports, cpal's hosts, devices and channel
//! counts), MIDI ports (JACK MIDI and the ALSA/CoreMIDI/WinMM ports midir
//! sees) and serial ports. Read-only; every section says why it is empty.
//!
//! Thread: the caller's.

use crate::audio::cpal_io;
use crate::audio::jack as jackb;
use cpal::traits::DeviceTrait;
use std::fmt::Write as _;

/// The whole report, as printed.
pub fn report() -> String {
    let mut out = String::new();
    jack_section(&mut out);
    cpal_section(&mut out);
    midi_section(&mut out);
    serial_section(&mut out);
    out
}

fn jack_section(out: &mut String) {
    let server = jackb::server_name();
    let _ = writeln!(out, "JACK (backend: jack)");
    let client = match jackb::open_client("faderd-devices") {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "  {e}\n");
            return;
        }
    };
    let _ = writeln!(
        out,
        "  server '{server}': {} Hz, {} frames per period",
        client.sample_rate(),
        client.buffer_size()
    );
    let audio = Some(::jack::jack_sys::FLOAT_MONO_AUDIO);
    let midi = Some(::jack::jack_sys::RAW_MIDI_TYPE);
    let list = |label: &str, ty: Option<&str>, flags: ::jack::PortFlags, out: &mut String| {
        let ports = client.ports(None, ty, flags);
        let _ = writeln!(out, "  {label} ({}):", ports.len());
        for p in ports {
            let _ = writeln!(out, "    {p}");
        }
    };
    use ::jack::PortFlags as F;
    list(
        "interface inputs (capture; a track's `input: N` is the N-th)",
        audio,
        F::IS_PHYSICAL | F::IS_OUTPUT,
        out,
    );
    list(
        "interface outputs (playback; master on the first two)",
        audio,
        F::IS_PHYSICAL | F::IS_INPUT,
        out,
    );
    list("MIDI sources", midi, F::IS_OUTPUT, out);
    list("MIDI destinations", midi, F::IS_INPUT, out);
    out.push('\n');
}

fn cpal_section(out: &mut String) {
    let _ = writeln!(
        out,
        "cpal hosts (backend: cpal; cpal.host, cpal.output_device, cpal.input_device)"
    );
    for id in cpal::available_hosts() {
        let name = id.name();
        if name.eq_ignore_ascii_case("alsa") && !std::path::Path::new("/dev/snd").exists() {
            let _ = writeln!(out, "  {name}: no sound cards here (/dev/snd is missing)");
            continue;
        }
        let host = match cpal::host_from_id(id) {
            Ok(h) => h,
            Err(e) => {
                let _ = writeln!(out, "  {name}: not usable ({e})");
                continue;
            }
        };
        let _ = writeln!(out, "  {name}:");
        let mut any = false;
        for (output, label) in [(true, "output"), (false, "input")] {
            for d in cpal_io::devices(&host, output) {
                any = true;
                let dev_name = d
                    .description()
                    .map(|x| x.name().to_owned())
                    .unwrap_or_else(|_| "?".into());
                let configs: Vec<cpal::SupportedStreamConfigRange> = if output {
                    d.supported_output_configs()
                        .map(|c| c.collect())
                        .unwrap_or_default()
                } else {
                    d.supported_input_configs()
                        .map(|c| c.collect())
                        .unwrap_or_default()
                };
                let channels = configs.iter().map(|c| c.channels()).max().unwrap_or(0);
                let rates = match (
                    configs.iter().map(|c| c.min_sample_rate()).min(),
                    configs.iter().map(|c| c.max_sample_rate()).max(),
                ) {
                    (Some(lo), Some(hi)) if lo == hi => format!("{lo} Hz"),
                    (Some(lo), Some(hi)) => format!("{lo}-{hi} Hz"),
                    _ => "no usable configuration".into(),
                };
                let _ = writeln!(
                    out,
                    "    {label:<6} '{dev_name}': up to {channels} channels, {rates}"
                );
            }
        }
        if !any {
            let _ = writeln!(out, "    no devices");
        }
    }
    out.push('\n');
}

fn midi_section(out: &mut String) {
    let _ = writeln!(
        out,
        "MIDI ports (midir: ALSA sequencer, CoreMIDI, WinMM; JACK MIDI is listed above)"
    );
    if cfg!(target_os = "linux") && !std::path::Path::new("/dev/snd/seq").exists() {
        let _ = writeln!(
            out,
            "  ALSA sequencer: not available (/dev/snd/seq is missing)\n"
        );
        return;
    }
    match midir::MidiInput::new("faderd-devices") {
        Ok(m) => {
            let ports = m.ports();
            let _ = writeln!(out, "  inputs ({}):", ports.len());
            for p in &ports {
                let _ = writeln!(out, "    {}", m.port_name(p).unwrap_or_else(|_| "?".into()));
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  inputs: not available ({e})");
        }
    }
    match midir::MidiOutput::new("faderd-devices") {
        Ok(m) => {
            let ports = m.ports();
            let _ = writeln!(out, "  outputs ({}):", ports.len());
            for p in &ports {
                let _ = writeln!(out, "    {}", m.port_name(p).unwrap_or_else(|_| "?".into()));
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  outputs: not available ({e})");
        }
    }
    out.push('\n');
}

fn serial_section(out: &mut String) {
    let _ = writeln!(out, "Serial ports (fader boards)");
    match serialport::available_ports() {
        Ok(ports) if ports.is_empty() => {
            let _ = writeln!(out, "  none found");
        }
        Ok(ports) => {
            for p in ports {
                let kind = match &p.port_type {
                    serialport::SerialPortType::UsbPort(u) => format!(
                        "USB {:04x}:{:04x}{}",
                        u.vid,
                        u.pid,
                        u.product
                            .as_ref()
                            .map(|s| format!(" {s}"))
                            .unwrap_or_default()
                    ),
                    serialport::SerialPortType::PciPort => "PCI".into(),
                    serialport::SerialPortType::BluetoothPort => "Bluetooth".into(),
                    serialport::SerialPortType::Unknown => "unknown kind".into(),
                };
                let _ = writeln!(out, "  {} ({kind})", p.port_name);
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  cannot list them: {e}");
        }
    }
}
