//! Pure Mackie Control codec: MIDI messages <-> typed events, both ways
//! (host to surface and surface to host), so the daemon's driver and the
//! test emulator share one definition of the wire.
//!
//! The bytes follow the Logic Control / MCU documentation as summarised in
//! the project's protocol reference: SysEx `F0 00 00 66 <device> <cmd> ..
//! F7`, faders as pitch bend on channel = fader (8 = master), buttons and
//! LEDs as notes, V-Pots and rings, the 7-segment digits as CCs, meters as
//! channel pressure. Every function is pure and total: malformed input is
//! an error value, never a panic.

use crate::model::StripColour;
use thiserror::Error;

/// The SysEx manufacturer prefix (Mackie).
pub const SYSEX_PREFIX: [u8; 4] = [0xF0, 0x00, 0x00, 0x66];

/// The device byte of a SysEx header.
pub mod device {
    /// Mackie Control Universal (and most MC-mode surfaces).
    pub const MCU: u8 = 0x14;
    /// Mackie Control XT (extender).
    pub const MCU_XT: u8 = 0x15;
    /// Logic Control.
    pub const LOGIC_CONTROL: u8 = 0x10;
    /// Logic Control XT.
    pub const LOGIC_CONTROL_XT: u8 = 0x11;
}

/// Notes of the strip buttons: base + strip (0..=7).
pub mod note {
    /// Record arm.
    pub const REC: u8 = 0x00;
    /// Solo.
    pub const SOLO: u8 = 0x08;
    /// Mute.
    pub const MUTE: u8 = 0x10;
    /// Select.
    pub const SELECT: u8 = 0x18;
    /// V-Pot push.
    pub const VSELECT: u8 = 0x20;
    /// Fader touch (strips); the master's is `FADER_TOUCH + 8`.
    pub const FADER_TOUCH: u8 = 0x68;
}

/// The global buttons by the names control maps use, and their notes.
pub const BUTTONS: &[(&str, u8)] = &[
    ("track", 0x28),
    ("send", 0x29),
    ("pan", 0x2A),
    ("plugin", 0x2B),
    ("eq", 0x2C),
    ("instrument", 0x2D),
    ("bank_left", 0x2E),
    ("bank_right", 0x2F),
    ("channel_left", 0x30),
    ("channel_right", 0x31),
    ("flip", 0x32),
    ("global_view", 0x33),
    ("name_value", 0x34),
    ("smpte_beats", 0x35),
    ("f1", 0x36),
    ("f2", 0x37),
    ("f3", 0x38),
    ("f4", 0x39),
    ("f5", 0x3A),
    ("f6", 0x3B),
    ("f7", 0x3C),
    ("f8", 0x3D),
    ("shift", 0x46),
    ("option", 0x47),
    ("control", 0x48),
    ("alt", 0x49),
    ("read", 0x4A),
    ("write", 0x4B),
    ("trim", 0x4C),
    ("touch", 0x4D),
    ("latch", 0x4E),
    ("group", 0x4F),
    ("save", 0x50),
    ("undo", 0x51),
    ("cancel", 0x52),
    ("enter", 0x53),
    ("marker", 0x54),
    ("nudge", 0x55),
    ("cycle", 0x56),
    ("drop", 0x57),
    ("replace", 0x58),
    ("click", 0x59),
    ("solo_clear", 0x5A),
    ("rewind", 0x5B),
    ("forward", 0x5C),
    ("stop", 0x5D),
    ("play", 0x5E),
    ("record", 0x5F),
    ("up", 0x60),
    ("down", 0x61),
    ("left", 0x62),
    ("right", 0x63),
    ("zoom", 0x64),
    ("scrub", 0x65),
];

/// The note of the global button called `name`.
pub fn button_note(name: &str) -> Option<u8> {
    BUTTONS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Highest fader index: strips 0..=7, master 8.
pub const MASTER_FADER: u8 = 8;
/// Full scale of a fader.
pub const FADER_MAX: u16 = 16383;
/// Characters in one LCD line.
pub const LCD_LINE: usize = 56;
/// Cells per strip on the LCD.
pub const LCD_CELL: usize = 7;

/// An LED's state (a button's note velocity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedState {
    /// 0x00.
    Off,
    /// 0x7F.
    On,
    /// 0x01: the surface blinks it.
    Flash,
}

/// How a V-Pot's LED ring draws its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RingMode {
    /// One LED.
    Dot,
    /// From the centre out (boost/cut).
    BoostCut,
    /// From the left (wrap/fill).
    Wrap,
    /// Symmetric from the centre (spread/width).
    Spread,
}

/// A V-Pot ring's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ring {
    /// Drawing mode.
    pub mode: RingMode,
    /// 0 = all off, 1..=11 = position.
    pub value: u8,
    /// The centre LED below the ring.
    pub centre: bool,
}

/// A strip meter message's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeterValue {
    /// Level segment 0..=13 (0 below -60 dB, 12 = 0 dB, 13 above).
    Level(u8),
    /// Light the overload LED.
    SetOverload,
    /// Clear it.
    ClearOverload,
}

/// The byte an X-Touch takes for scribble colour `c`: its place in
/// [`StripColour::ALL`] (the model's colours are the eight a scribble
/// strip shows, off first).
fn colour_byte(c: StripColour) -> u8 {
    StripColour::ALL.iter().position(|x| *x == c).unwrap_or(0) as u8
}

/// The scribble colour of byte `b`, if it is one.
fn colour_from_byte(b: u8) -> Option<StripColour> {
    StripColour::ALL.get(usize::from(b)).copied()
}

/// What a host sends to a surface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToSurface {
    /// Device query (`.. 00 F7`).
    DeviceQuery {
        /// Header device byte.
        device: u8,
    },
    /// Host connection reply to a Logic Control challenge (`.. 02 ..`).
    ConnectionReply {
        /// Header device byte.
        device: u8,
        /// The surface's serial number, echoed.
        serial: [u8; 7],
        /// [`challenge_response`] of its challenge.
        response: [u8; 4],
    },
    /// Firmware version request (`.. 13 00 F7`).
    VersionRequest {
        /// Header device byte.
        device: u8,
    },
    /// Move a motor fader.
    Fader {
        /// 0..=7 strips, 8 master.
        fader: u8,
        /// 0..=16383.
        value: u16,
    },
    /// Set a button's LED.
    Led {
        /// The button's note.
        note: u8,
        /// On, off or flashing.
        state: LedState,
    },
    /// Draw a V-Pot ring.
    Ring {
        /// 0..=7.
        pot: u8,
        /// What to draw.
        ring: Ring,
    },
    /// Write LCD characters from `offset` (0..=0x6F; line 2 starts at 0x38).
    Lcd {
        /// Header device byte.
        device: u8,
        /// First cell.
        offset: u8,
        /// 7-bit characters.
        text: Vec<u8>,
    },
    /// X-Touch scribble colours for the 8 strips (`.. 72 c0..c7 F7`).
    Colours {
        /// Header device byte.
        device: u8,
        /// One per strip.
        colours: [StripColour; 8],
    },
    /// One timecode digit (CC 0x40 + digit; digit 0 is the rightmost).
    TimecodeDigit {
        /// 0..=9.
        digit: u8,
        /// 7-segment character code (0x00..=0x3F, see [`seven_segment`]).
        code: u8,
        /// The dot after it.
        dot: bool,
    },
    /// One assignment-display digit (CC 0x4A + digit; digit 0 is the right one).
    AssignmentDigit {
        /// 0..=1.
        digit: u8,
        /// 7-segment character code.
        code: u8,
        /// The dot after it.
        dot: bool,
    },
    /// A strip meter (channel pressure).
    Meter {
        /// 0..=7.
        strip: u8,
        /// Level or overload.
        value: MeterValue,
    },
    /// Channel meter mode (`.. 20 strip mode F7`): bit 0 signal LED, bit 1
    /// peak hold, bit 2 LCD level meter.
    MeterMode {
        /// Header device byte.
        device: u8,
        /// 0..=7.
        strip: u8,
        /// Mode bits.
        mode: u8,
    },
    /// Global LCD meter mode (`.. 21 00|01 F7`): the LCD's meters run
    /// horizontally or vertically.
    LcdMeterMode {
        /// Header device byte.
        device: u8,
        /// Vertical meters (`01`); horizontal otherwise.
        vertical: bool,
    },
    /// Reset the surface's faders to the bottom (`.. 61 F7`).
    FadersToMinimum {
        /// Header device byte.
        device: u8,
    },
    /// All LEDs off (`.. 62 F7`).
    AllLedsOff {
        /// Header device byte.
        device: u8,
    },
}

/// What a surface sends to the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FromSurface {
    /// Host connection query: the surface introduces itself (`.. 01 ..`),
    /// at power-on and in reply to a device query.
    ConnectionQuery {
        /// Header device byte (which kind of unit).
        device: u8,
        /// Serial number.
        serial: [u8; 7],
        /// Logic Control challenge.
        challenge: [u8; 4],
    },
    /// Connection confirmed after a reply (`.. 03 ..`).
    ConnectionConfirmed {
        /// Header device byte.
        device: u8,
        /// Serial number.
        serial: [u8; 7],
    },
    /// Connection refused: the reply was wrong (`.. 04 ..`).
    ConnectionError {
        /// Header device byte.
        device: u8,
        /// Serial number.
        serial: [u8; 7],
    },
    /// Firmware version (`.. 14 v..`).
    Version {
        /// Header device byte.
        device: u8,
        /// Version text.
        version: Vec<u8>,
    },
    /// A fader moved.
    Fader {
        /// 0..=7 strips, 8 master.
        fader: u8,
        /// 0..=16383.
        value: u16,
    },
    /// A fader was touched or released.
    Touch {
        /// 0..=7 strips, 8 master.
        fader: u8,
        /// Touched.
        on: bool,
    },
    /// A button went down or up (every note but the touch notes).
    Button {
        /// Its note.
        note: u8,
        /// Down.
        pressed: bool,
    },
    /// A V-Pot turned: positive clockwise, in ticks.
    VPot {
        /// 0..=7.
        pot: u8,
        /// Ticks, -63..=63 and never 0.
        delta: i8,
    },
    /// The jog wheel turned.
    Jog {
        /// Ticks, positive clockwise.
        delta: i8,
    },
}

/// Why bytes are not a Mackie message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Nothing there.
    #[error("empty message")]
    Empty,
    /// A status byte faderd does not expect here, or a short message.
    #[error("not a Mackie Control message: {0:02x?}")]
    Unknown(Vec<u8>),
    /// SysEx of another manufacturer or a command faderd does not know.
    #[error("unknown SysEx: {0:02x?}")]
    UnknownSysex(Vec<u8>),
    /// A data byte with its top bit set, or a value out of range.
    #[error("malformed message: {0:02x?}")]
    Malformed(Vec<u8>),
}

fn sysex(device: u8, cmd: u8, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(payload.len() + 7);
    m.extend_from_slice(&SYSEX_PREFIX);
    m.push(device & 0x7F);
    m.push(cmd);
    m.extend(payload.iter().map(|b| b & 0x7F));
    m.push(0xF7);
    m
}

/// The 7-bit data of a SysEx message if it is Mackie's: (device, cmd, payload).
fn split_sysex(bytes: &[u8]) -> Result<(u8, u8, &[u8]), DecodeError> {
    if bytes.len() < 7 || bytes[..4] != SYSEX_PREFIX || bytes[bytes.len() - 1] != 0xF7 {
        return Err(DecodeError::UnknownSysex(bytes.to_vec()));
    }
    let body = &bytes[4..bytes.len() - 1];
    if body.iter().any(|b| *b > 0x7F) {
        return Err(DecodeError::Malformed(bytes.to_vec()));
    }
    Ok((body[0], body[1], &body[2..]))
}

fn fixed<const N: usize>(bytes: &[u8], all: &[u8]) -> Result<[u8; N], DecodeError> {
    bytes
        .get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| DecodeError::Malformed(all.to_vec()))
}

fn data_ok(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.len() >= 2 && bytes[1..].iter().all(|b| *b <= 0x7F) {
        Ok(())
    } else {
        Err(DecodeError::Malformed(bytes.to_vec()))
    }
}

fn led_byte(state: LedState) -> u8 {
    match state {
        LedState::Off => 0x00,
        LedState::On => 0x7F,
        LedState::Flash => 0x01,
    }
}

fn ring_byte(r: Ring) -> u8 {
    let mode = match r.mode {
        RingMode::Dot => 0,
        RingMode::BoostCut => 1,
        RingMode::Wrap => 2,
        RingMode::Spread => 3,
    };
    (u8::from(r.centre) << 6) | (mode << 4) | r.value.min(11)
}

fn ring_from_byte(b: u8) -> Ring {
    Ring {
        mode: match (b >> 4) & 3 {
            0 => RingMode::Dot,
            1 => RingMode::BoostCut,
            2 => RingMode::Wrap,
            _ => RingMode::Spread,
        },
        value: (b & 0x0F).min(11),
        centre: b & 0x40 != 0,
    }
}

fn digit_byte(code: u8, dot: bool) -> u8 {
    (code & 0x3F) | if dot { 0x40 } else { 0 }
}

fn meter_nibble(v: MeterValue) -> u8 {
    match v {
        MeterValue::Level(l) => l.min(13),
        MeterValue::SetOverload => 0x0E,
        MeterValue::ClearOverload => 0x0F,
    }
}

fn relative(b: u8) -> i8 {
    // Bit 6 is the direction, bits 0..5 the ticks; 0 ticks count as 1.
    let ticks = (b & 0x3F).max(1) as i8;
    if b & 0x40 != 0 { -ticks } else { ticks }
}

fn relative_byte(delta: i8) -> u8 {
    let ticks = delta.unsigned_abs().clamp(1, 63);
    if delta < 0 { 0x40 | ticks } else { ticks }
}

/// Encode a host-to-surface message.
pub fn encode_to_surface(m: &ToSurface) -> Vec<u8> {
    match m {
        ToSurface::DeviceQuery { device } => sysex(*device, 0x00, &[]),
        ToSurface::ConnectionReply {
            device,
            serial,
            response,
        } => {
            let mut p = serial.to_vec();
            p.extend_from_slice(response);
            sysex(*device, 0x02, &p)
        }
        ToSurface::VersionRequest { device } => sysex(*device, 0x13, &[0x00]),
        ToSurface::Fader { fader, value } => pitch_bend(*fader, *value),
        ToSurface::Led { note, state } => vec![0x90, note & 0x7F, led_byte(*state)],
        ToSurface::Ring { pot, ring } => vec![0xB0, 0x30 + (pot & 7), ring_byte(*ring)],
        ToSurface::Lcd {
            device,
            offset,
            text,
        } => {
            let mut p = vec![offset & 0x7F];
            p.extend(text.iter().map(|c| c & 0x7F));
            sysex(*device, 0x12, &p)
        }
        ToSurface::Colours { device, colours } => {
            let p: Vec<u8> = colours.iter().map(|c| colour_byte(*c)).collect();
            sysex(*device, 0x72, &p)
        }
        ToSurface::TimecodeDigit { digit, code, dot } => {
            vec![0xB0, 0x40 + digit.min(&9), digit_byte(*code, *dot)]
        }
        ToSurface::AssignmentDigit { digit, code, dot } => {
            vec![0xB0, 0x4A + digit.min(&1), digit_byte(*code, *dot)]
        }
        ToSurface::Meter { strip, value } => vec![0xD0, ((strip & 7) << 4) | meter_nibble(*value)],
        ToSurface::MeterMode {
            device,
            strip,
            mode,
        } => sysex(*device, 0x20, &[strip & 7, mode & 7]),
        ToSurface::LcdMeterMode { device, vertical } => {
            sysex(*device, 0x21, &[u8::from(*vertical)])
        }
        ToSurface::FadersToMinimum { device } => sysex(*device, 0x61, &[]),
        ToSurface::AllLedsOff { device } => sysex(*device, 0x62, &[]),
    }
}

fn pitch_bend(fader: u8, value: u16) -> Vec<u8> {
    let v = value.min(FADER_MAX);
    vec![
        0xE0 | fader.min(MASTER_FADER),
        (v & 0x7F) as u8,
        (v >> 7) as u8,
    ]
}

fn bend_value(bytes: &[u8]) -> u16 {
    u16::from(bytes[1]) | (u16::from(bytes[2]) << 7)
}

/// Decode a host-to-surface message (what an emulated surface receives).
pub fn decode_to_surface(bytes: &[u8]) -> Result<ToSurface, DecodeError> {
    let status = *bytes.first().ok_or(DecodeError::Empty)?;
    let unknown = || DecodeError::Unknown(bytes.to_vec());
    if status == 0xF0 {
        let (device, cmd, p) = split_sysex(bytes)?;
        return Ok(match cmd {
            0x00 if p.is_empty() => ToSurface::DeviceQuery { device },
            0x02 => ToSurface::ConnectionReply {
                device,
                serial: fixed::<7>(p, bytes)?,
                response: fixed::<4>(p.get(7..).unwrap_or(&[]), bytes)?,
            },
            0x13 => ToSurface::VersionRequest { device },
            0x12 if !p.is_empty() => ToSurface::Lcd {
                device,
                offset: p[0],
                text: p[1..].to_vec(),
            },
            0x72 => {
                let raw = fixed::<8>(p, bytes)?;
                let mut colours = [StripColour::None; 8];
                for (c, b) in colours.iter_mut().zip(raw) {
                    *c = colour_from_byte(b)
                        .ok_or_else(|| DecodeError::Malformed(bytes.to_vec()))?;
                }
                ToSurface::Colours { device, colours }
            }
            0x20 => {
                let [strip, mode] = fixed::<2>(p, bytes)?;
                ToSurface::MeterMode {
                    device,
                    strip,
                    mode,
                }
            }
            0x21 => {
                let [mode] = fixed::<1>(p, bytes)?;
                ToSurface::LcdMeterMode {
                    device,
                    vertical: mode == 1,
                }
            }
            0x61 => ToSurface::FadersToMinimum { device },
            0x62 => ToSurface::AllLedsOff { device },
            _ => return Err(DecodeError::UnknownSysex(bytes.to_vec())),
        });
    }
    if bytes.len() < 2 {
        return Err(unknown());
    }
    data_ok(bytes)?;
    match status & 0xF0 {
        0xE0 if bytes.len() == 3 && status & 0x0F <= MASTER_FADER => Ok(ToSurface::Fader {
            fader: status & 0x0F,
            value: bend_value(bytes),
        }),
        0x90 if bytes.len() == 3 && status == 0x90 => Ok(ToSurface::Led {
            note: bytes[1],
            state: match bytes[2] {
                0x00 => LedState::Off,
                0x01 => LedState::Flash,
                _ => LedState::On,
            },
        }),
        0xB0 if bytes.len() == 3 && status == 0xB0 => match bytes[1] {
            0x30..=0x37 => Ok(ToSurface::Ring {
                pot: bytes[1] - 0x30,
                ring: ring_from_byte(bytes[2]),
            }),
            0x40..=0x49 => Ok(ToSurface::TimecodeDigit {
                digit: bytes[1] - 0x40,
                code: bytes[2] & 0x3F,
                dot: bytes[2] & 0x40 != 0,
            }),
            0x4A..=0x4B => Ok(ToSurface::AssignmentDigit {
                digit: bytes[1] - 0x4A,
                code: bytes[2] & 0x3F,
                dot: bytes[2] & 0x40 != 0,
            }),
            _ => Err(unknown()),
        },
        0xD0 if bytes.len() == 2 && status == 0xD0 => Ok(ToSurface::Meter {
            strip: bytes[1] >> 4,
            value: match bytes[1] & 0x0F {
                0x0E => MeterValue::SetOverload,
                0x0F => MeterValue::ClearOverload,
                l => MeterValue::Level(l),
            },
        }),
        _ => Err(unknown()),
    }
}

/// Encode a surface-to-host message (what an emulated surface sends).
pub fn encode_from_surface(m: &FromSurface) -> Vec<u8> {
    match m {
        FromSurface::ConnectionQuery {
            device,
            serial,
            challenge,
        } => {
            let mut p = serial.to_vec();
            p.extend_from_slice(challenge);
            sysex(*device, 0x01, &p)
        }
        FromSurface::ConnectionConfirmed { device, serial } => sysex(*device, 0x03, serial),
        FromSurface::ConnectionError { device, serial } => sysex(*device, 0x04, serial),
        FromSurface::Version { device, version } => sysex(*device, 0x14, version),
        FromSurface::Fader { fader, value } => pitch_bend(*fader, *value),
        FromSurface::Touch { fader, on } => vec![
            0x90,
            note::FADER_TOUCH + fader.min(&MASTER_FADER),
            if *on { 0x7F } else { 0x00 },
        ],
        FromSurface::Button { note, pressed } => {
            vec![0x90, note & 0x7F, if *pressed { 0x7F } else { 0x00 }]
        }
        FromSurface::VPot { pot, delta } => vec![0xB0, 0x10 + (pot & 7), relative_byte(*delta)],
        FromSurface::Jog { delta } => vec![0xB0, 0x3C, relative_byte(*delta)],
    }
}

/// Decode a surface-to-host message (what the daemon receives).
pub fn decode_from_surface(bytes: &[u8]) -> Result<FromSurface, DecodeError> {
    let status = *bytes.first().ok_or(DecodeError::Empty)?;
    let unknown = || DecodeError::Unknown(bytes.to_vec());
    if status == 0xF0 {
        let (device, cmd, p) = split_sysex(bytes)?;
        return Ok(match cmd {
            0x01 => FromSurface::ConnectionQuery {
                device,
                serial: fixed::<7>(p, bytes)?,
                challenge: fixed::<4>(p.get(7..).unwrap_or(&[]), bytes)?,
            },
            0x03 => FromSurface::ConnectionConfirmed {
                device,
                serial: fixed::<7>(p, bytes)?,
            },
            0x04 => FromSurface::ConnectionError {
                device,
                serial: fixed::<7>(p, bytes)?,
            },
            0x14 => FromSurface::Version {
                device,
                version: p.to_vec(),
            },
            _ => return Err(DecodeError::UnknownSysex(bytes.to_vec())),
        });
    }
    if bytes.len() < 3 {
        return Err(unknown());
    }
    data_ok(bytes)?;
    match status & 0xF0 {
        0xE0 if status & 0x0F <= MASTER_FADER => Ok(FromSurface::Fader {
            fader: status & 0x0F,
            value: bend_value(bytes),
        }),
        // Note off (0x80) counts as a release, as does velocity 0.
        0x90 | 0x80 if status & 0x0F == 0 => {
            let pressed = status & 0xF0 == 0x90 && bytes[2] > 0x40;
            match bytes[1] {
                n @ 0x68..=0x70 => Ok(FromSurface::Touch {
                    fader: n - note::FADER_TOUCH,
                    on: pressed,
                }),
                n => Ok(FromSurface::Button { note: n, pressed }),
            }
        }
        0xB0 if status == 0xB0 => match bytes[1] {
            0x10..=0x17 => Ok(FromSurface::VPot {
                pot: bytes[1] - 0x10,
                delta: relative(bytes[2]),
            }),
            0x3C => Ok(FromSurface::Jog {
                delta: relative(bytes[2]),
            }),
            _ => Err(unknown()),
        },
        _ => Err(unknown()),
    }
}

/// The Logic Control handshake: the response to a surface's challenge.
pub fn challenge_response(c: [u8; 4]) -> [u8; 4] {
    let [c0, c1, c2, c3] = c.map(i32::from);
    [
        0x7F & (c0 + (c1 ^ 0x0A) - c3),
        0x7F & ((c2 >> 4) ^ (c0 + c3)),
        0x7F & ((c3 - (c2 << 2)) ^ (c0 | c1)),
        0x7F & (c1 - c2 + (0xF0 ^ (c3 << 4))),
    ]
    .map(|v| v as u8)
}

/// A fader position (0..1, the fader law's position) as 14-bit.
pub fn pos_to_fader(pos: f64) -> u16 {
    if pos.is_nan() {
        return 0;
    }
    (pos.clamp(0.0, 1.0) * f64::from(FADER_MAX)).round() as u16
}

/// A 14-bit fader value as a position 0..1.
pub fn fader_to_pos(value: u16) -> f64 {
    f64::from(value.min(FADER_MAX)) / f64::from(FADER_MAX)
}

/// The meter segment for a level in dBFS: the Mackie scale's thresholds
/// (-60, -50, -40, -30, -20, -14, -10, -8, -6, -4, -2, 0 dB, and above 0).
pub fn meter_level(db: f64) -> u8 {
    const STEPS: [f64; 12] = [
        -60.0, -50.0, -40.0, -30.0, -20.0, -14.0, -10.0, -8.0, -6.0, -4.0, -2.0, 0.0,
    ];
    if db.is_nan() {
        return 0;
    }
    let level = STEPS.iter().take_while(|t| db >= **t).count() as u8;
    if db > 0.0 { 13 } else { level }
}

/// A character as a 7-segment code: letters as their upper case (A=0x01 ..
/// Z=0x1A), digits and punctuation 0x20..=0x3F as themselves, anything
/// else a blank.
pub fn seven_segment(c: char) -> u8 {
    let c = c.to_ascii_uppercase();
    match c as u32 {
        0x40..=0x5F => (c as u32 - 0x40) as u8,
        0x20..=0x3F => c as u8,
        _ => 0x20,
    }
}

/// Text for the LCD: 7-bit printable characters; anything else becomes
/// its closest ASCII letter when it is an accented Latin one, else `_`.
pub fn lcd_text(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            'à'..='å' | 'À'..='Å' => b'a' - u8::from(c.is_uppercase()) * 32,
            'è'..='ë' | 'È'..='Ë' => b'e' - u8::from(c.is_uppercase()) * 32,
            'ì'..='ï' | 'Ì'..='Ï' => b'i' - u8::from(c.is_uppercase()) * 32,
            'ò'..='ö' | 'Ò'..='Ö' | 'ø' | 'Ø' => b'o' - u8::from(c.is_uppercase()) * 32,
            'ù'..='ü' | 'Ù'..='Ü' => b'u' - u8::from(c.is_uppercase()) * 32,
            'ñ' => b'n',
            'Ñ' => b'N',
            'ç' => b'c',
            'Ç' => b'C',
            'ß' => b's',
            _ => b'_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Golden bytes: each host-to-surface kind.
    #[test]
    fn host_messages_have_the_documented_bytes() {
        let cases: Vec<(ToSurface, Vec<u8>)> = vec![
            (
                ToSurface::DeviceQuery {
                    device: device::MCU,
                },
                vec![0xF0, 0x00, 0x00, 0x66, 0x14, 0x00, 0xF7],
            ),
            (
                ToSurface::ConnectionReply {
                    device: device::LOGIC_CONTROL,
                    serial: [1, 2, 3, 4, 5, 6, 7],
                    response: [0x11, 0x22, 0x33, 0x44],
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x10, 0x02, 1, 2, 3, 4, 5, 6, 7, 0x11, 0x22, 0x33,
                    0x44, 0xF7,
                ],
            ),
            (
                ToSurface::VersionRequest {
                    device: device::MCU_XT,
                },
                vec![0xF0, 0x00, 0x00, 0x66, 0x15, 0x13, 0x00, 0xF7],
            ),
            // 0 dB on the fader law is position 0.75: 12287 = 0x5FFF.
            (
                ToSurface::Fader {
                    fader: 0,
                    value: 12287,
                },
                vec![0xE0, 0x7F, 0x5F],
            ),
            (
                ToSurface::Fader {
                    fader: MASTER_FADER,
                    value: FADER_MAX,
                },
                vec![0xE8, 0x7F, 0x7F],
            ),
            (
                ToSurface::Led {
                    note: note::MUTE + 2,
                    state: LedState::On,
                },
                vec![0x90, 0x12, 0x7F],
            ),
            (
                ToSurface::Led {
                    note: 0x5F,
                    state: LedState::Flash,
                },
                vec![0x90, 0x5F, 0x01],
            ),
            (
                ToSurface::Led {
                    note: note::SOLO,
                    state: LedState::Off,
                },
                vec![0x90, 0x08, 0x00],
            ),
            // Pan centre as a dot with the centre LED.
            (
                ToSurface::Ring {
                    pot: 0,
                    ring: Ring {
                        mode: RingMode::Dot,
                        value: 6,
                        centre: true,
                    },
                },
                vec![0xB0, 0x30, 0x46],
            ),
            (
                ToSurface::Ring {
                    pot: 7,
                    ring: Ring {
                        mode: RingMode::Spread,
                        value: 3,
                        centre: false,
                    },
                },
                vec![0xB0, 0x37, 0x33],
            ),
            // Strip 3 (index 2), top line, "Vox": offset 0x0E.
            (
                ToSurface::Lcd {
                    device: device::MCU,
                    offset: 0x0E,
                    text: b"Vox    ".to_vec(),
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x14, 0x12, 0x0E, b'V', b'o', b'x', b' ', b' ', b' ',
                    b' ', 0xF7,
                ],
            ),
            (
                ToSurface::Colours {
                    device: device::MCU,
                    colours: [
                        StripColour::Red,
                        StripColour::Green,
                        StripColour::Yellow,
                        StripColour::Blue,
                        StripColour::Magenta,
                        StripColour::Cyan,
                        StripColour::White,
                        StripColour::None,
                    ],
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x14, 0x72, 1, 2, 3, 4, 5, 6, 7, 0, 0xF7,
                ],
            ),
            // Rightmost timecode digit '5', with a dot.
            (
                ToSurface::TimecodeDigit {
                    digit: 0,
                    code: seven_segment('5'),
                    dot: true,
                },
                vec![0xB0, 0x40, 0x75],
            ),
            (
                ToSurface::AssignmentDigit {
                    digit: 1,
                    code: seven_segment('A'),
                    dot: false,
                },
                vec![0xB0, 0x4B, 0x01],
            ),
            (
                ToSurface::Meter {
                    strip: 3,
                    value: MeterValue::Level(12),
                },
                vec![0xD0, 0x3C],
            ),
            (
                ToSurface::Meter {
                    strip: 0,
                    value: MeterValue::SetOverload,
                },
                vec![0xD0, 0x0E],
            ),
            (
                ToSurface::Meter {
                    strip: 7,
                    value: MeterValue::ClearOverload,
                },
                vec![0xD0, 0x7F],
            ),
            (
                ToSurface::MeterMode {
                    device: device::MCU,
                    strip: 2,
                    mode: 0x07,
                },
                vec![0xF0, 0x00, 0x00, 0x66, 0x14, 0x20, 0x02, 0x07, 0xF7],
            ),
            (
                ToSurface::LcdMeterMode {
                    device: device::MCU,
                    vertical: true,
                },
                vec![0xF0, 0x00, 0x00, 0x66, 0x14, 0x21, 0x01, 0xF7],
            ),
            (
                ToSurface::FadersToMinimum {
                    device: device::MCU,
                },
                vec![0xF0, 0x00, 0x00, 0x66, 0x14, 0x61, 0xF7],
            ),
            (
                ToSurface::AllLedsOff {
                    device: device::MCU,
                },
                vec![0xF0, 0x00, 0x00, 0x66, 0x14, 0x62, 0xF7],
            ),
        ];
        for (msg, bytes) in cases {
            assert_eq!(encode_to_surface(&msg), bytes, "{msg:?}");
            assert_eq!(decode_to_surface(&bytes).unwrap(), msg, "{bytes:02x?}");
        }
    }

    /// Golden bytes: each surface-to-host kind.
    #[test]
    fn surface_messages_have_the_documented_bytes() {
        let cases: Vec<(FromSurface, Vec<u8>)> = vec![
            (
                FromSurface::ConnectionQuery {
                    device: device::MCU,
                    serial: *b"SERIAL7",
                    challenge: [0x01, 0x02, 0x03, 0x04],
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x14, 0x01, b'S', b'E', b'R', b'I', b'A', b'L', b'7',
                    1, 2, 3, 4, 0xF7,
                ],
            ),
            (
                FromSurface::ConnectionConfirmed {
                    device: device::LOGIC_CONTROL,
                    serial: *b"LC00001",
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x10, 0x03, b'L', b'C', b'0', b'0', b'0', b'0', b'1',
                    0xF7,
                ],
            ),
            (
                FromSurface::ConnectionError {
                    device: device::LOGIC_CONTROL,
                    serial: *b"LC00001",
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x10, 0x04, b'L', b'C', b'0', b'0', b'0', b'0', b'1',
                    0xF7,
                ],
            ),
            (
                FromSurface::Version {
                    device: device::MCU,
                    version: b"1.22".to_vec(),
                },
                vec![
                    0xF0, 0x00, 0x00, 0x66, 0x14, 0x14, b'1', b'.', b'2', b'2', 0xF7,
                ],
            ),
            (
                FromSurface::Fader {
                    fader: 5,
                    value: 8192,
                },
                vec![0xE5, 0x00, 0x40],
            ),
            (
                FromSurface::Touch { fader: 2, on: true },
                vec![0x90, 0x6A, 0x7F],
            ),
            (
                FromSurface::Touch {
                    fader: MASTER_FADER,
                    on: false,
                },
                vec![0x90, 0x70, 0x00],
            ),
            (
                FromSurface::Button {
                    note: 0x5E,
                    pressed: true,
                },
                vec![0x90, 0x5E, 0x7F],
            ),
            (
                FromSurface::VPot { pot: 1, delta: 3 },
                vec![0xB0, 0x11, 0x03],
            ),
            (
                FromSurface::VPot { pot: 4, delta: -2 },
                vec![0xB0, 0x14, 0x42],
            ),
            (FromSurface::Jog { delta: -1 }, vec![0xB0, 0x3C, 0x41]),
        ];
        for (msg, bytes) in cases {
            assert_eq!(encode_from_surface(&msg), bytes, "{msg:?}");
            assert_eq!(decode_from_surface(&bytes).unwrap(), msg, "{bytes:02x?}");
        }
        // Note off and velocity 0 both release; a velocity of 0 ticks turns by 1.
        assert_eq!(
            decode_from_surface(&[0x80, 0x10, 0x40]).unwrap(),
            FromSurface::Button {
                note: 0x10,
                pressed: false
            }
        );
        assert_eq!(
            decode_from_surface(&[0xB0, 0x10, 0x00]).unwrap(),
            FromSurface::VPot { pot: 0, delta: 1 }
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &[][..],
            &[0x90][..],
            &[0x90, 0x10][..],
            &[0x90, 0x80, 0x7F][..],
            &[0xE9, 0x00, 0x00][..],
            &[0xF0, 0x00, 0x00, 0x66, 0x14, 0x01, 0xF7][..],
            &[0xF0, 0x00, 0x20, 0x32, 0x14, 0x12, 0xF7][..],
            &[0xF0, 0x00, 0x00, 0x66][..],
            &[0xC0, 0x01, 0x02][..],
            &[0xB0, 0x7B, 0x00][..],
        ] {
            assert!(decode_from_surface(bad).is_err(), "{bad:02x?}");
        }
        assert!(
            decode_to_surface(&[
                0xF0, 0x00, 0x00, 0x66, 0x14, 0x72, 9, 0, 0, 0, 0, 0, 0, 0, 0xF7
            ])
            .is_err()
        );
    }

    #[test]
    fn logic_control_challenge_response_matches_the_published_algorithm() {
        // Worked by hand from the formula in the protocol reference.
        // c = [1, 2, 3, 4]:
        // r0 = 0x7F & (1 + (2 ^ 0x0A) - 4) = 0x7F & (1 + 8 - 4) = 5
        // r1 = 0x7F & ((3 >> 4) ^ (1 + 4)) = 5
        // r2 = 0x7F & ((4 - (3 << 2)) ^ (1 | 2)) = 0x7F & (-8 ^ 3) = 0x7F & -5 = 0x7B
        // r3 = 0x7F & (2 - 3 + (0xF0 ^ (4 << 4))) = 0x7F & (-1 + 0xB0) = 0x2F
        assert_eq!(challenge_response([1, 2, 3, 4]), [0x05, 0x05, 0x7B, 0x2F]);
    }

    #[test]
    fn meters_follow_the_mackie_scale() {
        assert_eq!(meter_level(f64::NEG_INFINITY), 0);
        assert_eq!(meter_level(-61.0), 0);
        assert_eq!(meter_level(-60.0), 1);
        assert_eq!(meter_level(-20.0), 5);
        assert_eq!(meter_level(-2.5), 10);
        assert_eq!(meter_level(0.0), 12);
        assert_eq!(meter_level(0.1), 13);
    }

    #[test]
    fn text_is_seven_bit() {
        assert_eq!(lcd_text("Vox 1"), b"Vox 1".to_vec());
        assert_eq!(lcd_text("Ünïcødé ✓"), b"Unicode _".to_vec());
        assert_eq!(seven_segment('a'), 0x01);
        assert_eq!(seven_segment('0'), 0x30);
        assert_eq!(seven_segment('~'), 0x20);
    }

    fn any_to_surface() -> impl Strategy<Value = ToSurface> {
        let dev = prop_oneof![Just(0x14u8), Just(0x15), Just(0x10), Just(0x11)];
        let ring = (0u8..4, 0u8..=11, any::<bool>()).prop_map(|(m, value, centre)| Ring {
            mode: [
                RingMode::Dot,
                RingMode::BoostCut,
                RingMode::Wrap,
                RingMode::Spread,
            ][usize::from(m)],
            value,
            centre,
        });
        prop_oneof![
            dev.clone()
                .prop_map(|device| ToSurface::DeviceQuery { device }),
            (0u8..=8, 0u16..=FADER_MAX)
                .prop_map(|(fader, value)| ToSurface::Fader { fader, value }),
            (0u8..0x68, 0u8..3).prop_map(|(note, s)| ToSurface::Led {
                note,
                state: [LedState::Off, LedState::On, LedState::Flash][usize::from(s)]
            }),
            (0u8..8, ring).prop_map(|(pot, ring)| ToSurface::Ring { pot, ring }),
            (
                dev.clone(),
                0u8..0x70,
                proptest::collection::vec(0x20u8..0x7F, 0..56)
            )
                .prop_map(|(device, offset, text)| ToSurface::Lcd {
                    device,
                    offset,
                    text
                }),
            (0u8..10, 0u8..0x40, any::<bool>())
                .prop_map(|(digit, code, dot)| ToSurface::TimecodeDigit { digit, code, dot }),
            (0u8..8, 0u8..16).prop_map(|(strip, v)| ToSurface::Meter {
                strip,
                value: match v {
                    14 => MeterValue::SetOverload,
                    15 => MeterValue::ClearOverload,
                    l => MeterValue::Level(l),
                }
            }),
        ]
    }

    fn any_from_surface() -> impl Strategy<Value = FromSurface> {
        prop_oneof![
            (0u8..=8, 0u16..=FADER_MAX)
                .prop_map(|(fader, value)| FromSurface::Fader { fader, value }),
            (0u8..=8, any::<bool>()).prop_map(|(fader, on)| FromSurface::Touch { fader, on }),
            (0u8..0x68, any::<bool>())
                .prop_map(|(note, pressed)| FromSurface::Button { note, pressed }),
            (0u8..8, prop_oneof![1i8..=63, -63i8..=-1])
                .prop_map(|(pot, delta)| FromSurface::VPot { pot, delta }),
            (any::<[u8; 7]>(), any::<[u8; 4]>()).prop_map(|(s, c)| FromSurface::ConnectionQuery {
                device: 0x10,
                serial: s.map(|b| b & 0x7F),
                challenge: c.map(|b| b & 0x7F),
            }),
        ]
    }

    proptest! {
        #[test]
        fn host_messages_round_trip(m in any_to_surface()) {
            prop_assert_eq!(decode_to_surface(&encode_to_surface(&m)).unwrap(), m);
        }

        #[test]
        fn surface_messages_round_trip(m in any_from_surface()) {
            prop_assert_eq!(decode_from_surface(&encode_from_surface(&m)).unwrap(), m);
        }

        #[test]
        fn fader_positions_survive_14_bits_within_one_step(p in 0.0f64..=1.0) {
            let back = fader_to_pos(pos_to_fader(p));
            prop_assert!((back - p).abs() <= 0.5 / f64::from(FADER_MAX) + 1e-12);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = decode_from_surface(&bytes);
            let _ = decode_to_surface(&bytes);
        }

        #[test]
        fn meter_levels_rise_with_the_signal(a in -100.0f64..20.0, b in -100.0f64..20.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(meter_level(lo) <= meter_level(hi));
        }
    }
}
