//! # fader-link: the serial protocol of faderd's DIY motorized-fader boards
//!
//! `no_std` and allocation-free: the daemon and the reference firmware
//! (`firmware-tests/`) use this same code.
//!
//! ## Framing
//! Each packet is `payload ‖ crc`, COBS-encoded, followed by one `0x00`
//! delimiter. The CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial
//! 0xFFFF, no reflection, no final XOR; `"123456789"` gives 0x29B1) over
//! the payload, appended big-endian. A receiver reads up to each `0x00`,
//! COBS-decodes, checks the CRC and the length, and drops (and counts) any
//! frame that fails: after garbage it is back in step at the next `0x00`.
//! A payload is at most [`MAX_PAYLOAD`] bytes.
//!
//! ## Messages
//! The first payload byte is the type; fields follow, multi-byte fields
//! big-endian. Host to board:
//!
//! | type | message | fields |
//! |---|---|---|
//! | 0x01 | Hello | protocol version (u8) |
//! | 0x02 | SetFader | fader index (u8), position (u16, 0..=16383) |
//! | 0x03 | SetLed | LED index (u8), state (u8: 0 off, 1 on, 2 blink) |
//! | 0x04 | Configure | kp, ki, kd (u16 each, Q8.8), deadband (u16, positions) |
//! | 0x05 | Ping | sequence (u16) |
//!
//! Board to host:
//!
//! | type | message | fields |
//! |---|---|---|
//! | 0x81 | HelloReply | protocol version (u8), firmware version (3 × u8), faders (u8), resolution bits (u8), capabilities (u8: bit 0 touch, 1 buttons, 2 encoders, 3 LEDs), buttons (u8), encoders (u8), LEDs (u8) |
//! | 0x82 | Position | fader index (u8), position (u16) |
//! | 0x83 | Touch | fader index (u8), touched (u8: 0 or 1) |
//! | 0x84 | Button | button index (u8), pressed (u8: 0 or 1) |
//! | 0x85 | Encoder | encoder index (u8), delta (i8) |
//! | 0x86 | Pong | sequence (u16, as pinged) |
//! | 0x87 | Error | code (u8: 1 bad CRC, 2 unknown type, 3 bad length, 4 bad index) |
//!
//! ## Versioning and capabilities
//! The host opens with Hello carrying [`PROTOCOL_VERSION`]; the board
//! answers HelloReply with its own version and what it has. A host talks
//! only to a board of the same major version; capabilities say which of
//! touch, buttons, encoders and LEDs exist, so a host never waits for
//! touch from a board without touch sense.
//!
//! ## Timing and the touch/echo rules
//! - A board reports Touch **before** any Position that the touch causes.
//! - While a fader is touched the board ignores SetFader for it (the hand
//!   wins) and reports the hand's Position; on release it reports Touch 0
//!   and returns to the last set position.
//! - The host does not echo back a Position it caused: a SetFader the board
//!   is moving towards is not sent again, and a reported Position equal to
//!   what the host set is not a user move.
//! - Positions are sent at most every 5 ms per fader; the host sends
//!   SetFader at most every 10 ms per fader and only when the value
//!   changed. Ping every second; two missed Pongs mean the board is gone.
#![no_std]

/// The protocol version spoken by this crate.
pub const PROTOCOL_VERSION: u8 = 1;
/// Longest payload (type byte and fields).
pub const MAX_PAYLOAD: usize = 32;
/// Longest frame on the wire: COBS overhead, CRC and the delimiter.
pub const MAX_FRAME: usize = MAX_PAYLOAD + 2 + 2 + 1;
/// Highest fader position.
pub const POSITION_MAX: u16 = 16383;

/// CRC-16/CCITT-FALSE of `data`.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// COBS-encode `src` into `dst` (which must hold `src.len() + src.len() /
/// 254 + 1` bytes). Returns the encoded length; the output has no zero.
pub fn cobs_encode(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    let mut code_at = 0;
    let mut out = 1;
    let mut code: u8 = 1;
    for &b in src {
        if b == 0 {
            *dst.get_mut(code_at)? = code;
            code_at = out;
            out += 1;
            code = 1;
        } else {
            *dst.get_mut(out)? = b;
            out += 1;
            code += 1;
            if code == 0xFF {
                *dst.get_mut(code_at)? = code;
                code_at = out;
                out += 1;
                code = 1;
            }
        }
    }
    *dst.get_mut(code_at)? = code;
    Some(out)
}

/// COBS-decode `src` (without its delimiter) into `dst`. Returns the
/// decoded length, or `None` for a malformed block.
pub fn cobs_decode(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    let (mut i, mut out) = (0, 0);
    while i < src.len() {
        let code = src[i];
        if code == 0 {
            return None;
        }
        i += 1;
        for _ in 1..code {
            let b = *src.get(i)?;
            if b == 0 {
                return None;
            }
            *dst.get_mut(out)? = b;
            out += 1;
            i += 1;
        }
        if code != 0xFF && i < src.len() {
            *dst.get_mut(out)? = 0;
            out += 1;
        }
    }
    Some(out)
}

/// A host-to-board message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToBoard {
    /// Open the conversation.
    Hello {
        /// The host's protocol version.
        version: u8,
    },
    /// Move a motor fader.
    SetFader {
        /// Fader index.
        index: u8,
        /// 0..=16383.
        position: u16,
    },
    /// Set an LED.
    SetLed {
        /// LED index.
        index: u8,
        /// 0 off, 1 on, 2 blink.
        state: u8,
    },
    /// Tune the position loop.
    Configure {
        /// Proportional gain, Q8.8.
        kp: u16,
        /// Integral gain, Q8.8.
        ki: u16,
        /// Derivative gain, Q8.8.
        kd: u16,
        /// No drive within this many positions of the target.
        deadband: u16,
    },
    /// Are you there?
    Ping {
        /// Echoed in the Pong.
        seq: u16,
    },
}

/// Capability bits of a HelloReply.
pub mod caps {
    /// Faders report touch.
    pub const TOUCH: u8 = 1;
    /// Has buttons.
    pub const BUTTONS: u8 = 2;
    /// Has encoders.
    pub const ENCODERS: u8 = 4;
    /// Has LEDs.
    pub const LEDS: u8 = 8;
}

/// Error codes a board reports.
pub mod error_code {
    /// A frame's CRC did not match.
    pub const BAD_CRC: u8 = 1;
    /// Unknown message type.
    pub const UNKNOWN_TYPE: u8 = 2;
    /// Wrong length for its type.
    pub const BAD_LENGTH: u8 = 3;
    /// Index beyond what the board has.
    pub const BAD_INDEX: u8 = 4;
}

/// A board-to-host message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromBoard {
    /// The board introduces itself.
    HelloReply {
        /// Its protocol version.
        version: u8,
        /// Firmware version (major, minor, patch).
        firmware: [u8; 3],
        /// Motor faders.
        faders: u8,
        /// Position resolution in bits.
        resolution_bits: u8,
        /// [`caps`] bits.
        capabilities: u8,
        /// Buttons.
        buttons: u8,
        /// Encoders.
        encoders: u8,
        /// LEDs.
        leds: u8,
    },
    /// A fader's position (moved by hand, or reached).
    Position {
        /// Fader index.
        index: u8,
        /// 0..=16383.
        position: u16,
    },
    /// A fader was touched or released.
    Touch {
        /// Fader index.
        index: u8,
        /// Touched.
        on: bool,
    },
    /// A button went down or up.
    Button {
        /// Button index.
        index: u8,
        /// Down.
        pressed: bool,
    },
    /// An encoder turned.
    Encoder {
        /// Encoder index.
        index: u8,
        /// Steps, positive clockwise.
        delta: i8,
    },
    /// Answer to Ping.
    Pong {
        /// As pinged.
        seq: u16,
    },
    /// The board refused something.
    Error {
        /// An [`error_code`].
        code: u8,
    },
}

/// Why a frame was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// COBS did not decode.
    Cobs,
    /// Too long or too short.
    Length,
    /// CRC mismatch.
    Crc,
    /// Unknown message type.
    UnknownType(u8),
}

/// A payload buffer.
#[derive(Debug, Clone, Copy)]
pub struct Payload {
    buf: [u8; MAX_PAYLOAD],
    len: usize,
}

impl Payload {
    fn new() -> Payload {
        Payload {
            buf: [0; MAX_PAYLOAD],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) -> &mut Payload {
        if self.len < MAX_PAYLOAD {
            self.buf[self.len] = b;
            self.len += 1;
        }
        self
    }

    fn u16(&mut self, v: u16) -> &mut Payload {
        self.push((v >> 8) as u8).push(v as u8)
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl ToBoard {
    /// The message's payload.
    pub fn payload(&self) -> Payload {
        let mut p = Payload::new();
        match *self {
            ToBoard::Hello { version } => {
                p.push(0x01).push(version);
            }
            ToBoard::SetFader { index, position } => {
                p.push(0x02).push(index).u16(position.min(POSITION_MAX));
            }
            ToBoard::SetLed { index, state } => {
                p.push(0x03).push(index).push(state);
            }
            ToBoard::Configure {
                kp,
                ki,
                kd,
                deadband,
            } => {
                p.push(0x04).u16(kp).u16(ki).u16(kd).u16(deadband);
            }
            ToBoard::Ping { seq } => {
                p.push(0x05).u16(seq);
            }
        }
        p
    }

    /// Parse a payload.
    pub fn parse(p: &[u8]) -> Result<ToBoard, FrameError> {
        let u16_at = |i: usize| u16::from(p[i]) << 8 | u16::from(p[i + 1]);
        let need = |n: usize| {
            if p.len() == n {
                Ok(())
            } else {
                Err(FrameError::Length)
            }
        };
        match p.first() {
            Some(0x01) => need(2).map(|_| ToBoard::Hello { version: p[1] }),
            Some(0x02) => need(4).map(|_| ToBoard::SetFader {
                index: p[1],
                position: u16_at(2).min(POSITION_MAX),
            }),
            Some(0x03) => need(3).map(|_| ToBoard::SetLed {
                index: p[1],
                state: p[2],
            }),
            Some(0x04) => need(9).map(|_| ToBoard::Configure {
                kp: u16_at(1),
                ki: u16_at(3),
                kd: u16_at(5),
                deadband: u16_at(7),
            }),
            Some(0x05) => need(3).map(|_| ToBoard::Ping { seq: u16_at(1) }),
            Some(t) => Err(FrameError::UnknownType(*t)),
            None => Err(FrameError::Length),
        }
    }
}

impl FromBoard {
    /// The message's payload.
    pub fn payload(&self) -> Payload {
        let mut p = Payload::new();
        match *self {
            FromBoard::HelloReply {
                version,
                firmware,
                faders,
                resolution_bits,
                capabilities,
                buttons,
                encoders,
                leds,
            } => {
                p.push(0x81).push(version);
                for b in firmware {
                    p.push(b);
                }
                p.push(faders)
                    .push(resolution_bits)
                    .push(capabilities)
                    .push(buttons)
                    .push(encoders)
                    .push(leds);
            }
            FromBoard::Position { index, position } => {
                p.push(0x82).push(index).u16(position.min(POSITION_MAX));
            }
            FromBoard::Touch { index, on } => {
                p.push(0x83).push(index).push(u8::from(on));
            }
            FromBoard::Button { index, pressed } => {
                p.push(0x84).push(index).push(u8::from(pressed));
            }
            FromBoard::Encoder { index, delta } => {
                p.push(0x85).push(index).push(delta as u8);
            }
            FromBoard::Pong { seq } => {
                p.push(0x86).u16(seq);
            }
            FromBoard::Error { code } => {
                p.push(0x87).push(code);
            }
        }
        p
    }

    /// Parse a payload.
    pub fn parse(p: &[u8]) -> Result<FromBoard, FrameError> {
        let u16_at = |i: usize| u16::from(p[i]) << 8 | u16::from(p[i + 1]);
        let need = |n: usize| {
            if p.len() == n {
                Ok(())
            } else {
                Err(FrameError::Length)
            }
        };
        match p.first() {
            Some(0x81) => need(11).map(|_| FromBoard::HelloReply {
                version: p[1],
                firmware: [p[2], p[3], p[4]],
                faders: p[5],
                resolution_bits: p[6],
                capabilities: p[7],
                buttons: p[8],
                encoders: p[9],
                leds: p[10],
            }),
            Some(0x82) => need(4).map(|_| FromBoard::Position {
                index: p[1],
                position: u16_at(2).min(POSITION_MAX),
            }),
            Some(0x83) => need(3).map(|_| FromBoard::Touch {
                index: p[1],
                on: p[2] != 0,
            }),
            Some(0x84) => need(3).map(|_| FromBoard::Button {
                index: p[1],
                pressed: p[2] != 0,
            }),
            Some(0x85) => need(3).map(|_| FromBoard::Encoder {
                index: p[1],
                delta: p[2] as i8,
            }),
            Some(0x86) => need(3).map(|_| FromBoard::Pong { seq: u16_at(1) }),
            Some(0x87) => need(2).map(|_| FromBoard::Error { code: p[1] }),
            Some(t) => Err(FrameError::UnknownType(*t)),
            None => Err(FrameError::Length),
        }
    }
}

/// A frame ready to write.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    buf: [u8; MAX_FRAME],
    len: usize,
}

impl Frame {
    /// The bytes, delimiter included.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Frame a payload: CRC, COBS, delimiter.
pub fn frame(payload: &[u8]) -> Frame {
    let mut raw = [0u8; MAX_PAYLOAD + 2];
    let n = payload.len().min(MAX_PAYLOAD);
    raw[..n].copy_from_slice(&payload[..n]);
    let crc = crc16(&raw[..n]);
    raw[n] = (crc >> 8) as u8;
    raw[n + 1] = crc as u8;
    let mut f = Frame {
        buf: [0; MAX_FRAME],
        len: 0,
    };
    // Cannot fail: MAX_FRAME holds the worst case for MAX_PAYLOAD + 2.
    let enc = cobs_encode(&raw[..n + 2], &mut f.buf).unwrap_or(0);
    f.buf[enc] = 0;
    f.len = enc + 1;
    f
}

/// Splits a byte stream into checked payloads; keeps no more than one
/// frame. Bytes of a frame too long for the protocol are dropped up to the
/// next delimiter.
#[derive(Debug, Clone)]
pub struct Deframer {
    buf: [u8; MAX_FRAME],
    len: usize,
    overflow: bool,
}

impl Default for Deframer {
    fn default() -> Deframer {
        Deframer {
            buf: [0; MAX_FRAME],
            len: 0,
            overflow: false,
        }
    }
}

impl Deframer {
    /// Feed one byte. At a delimiter, returns the frame's payload (in
    /// `out`, with its length) or why it was dropped; an empty frame (two
    /// delimiters) is skipped silently.
    pub fn push(
        &mut self,
        b: u8,
        out: &mut [u8; MAX_PAYLOAD],
    ) -> Option<Result<usize, FrameError>> {
        if b != 0 {
            if self.len < MAX_FRAME {
                self.buf[self.len] = b;
                self.len += 1;
            } else {
                self.overflow = true;
            }
            return None;
        }
        let (len, overflow) = (self.len, self.overflow);
        self.len = 0;
        self.overflow = false;
        if len == 0 && !overflow {
            return None;
        }
        if overflow {
            return Some(Err(FrameError::Length));
        }
        let mut raw = [0u8; MAX_FRAME];
        let Some(n) = cobs_decode(&self.buf[..len], &mut raw) else {
            return Some(Err(FrameError::Cobs));
        };
        if !(3..=MAX_PAYLOAD + 2).contains(&n) {
            return Some(Err(FrameError::Length));
        }
        let (payload, crc) = raw[..n].split_at(n - 2);
        if crc16(payload) != (u16::from(crc[0]) << 8 | u16::from(crc[1])) {
            return Some(Err(FrameError::Crc));
        }
        out[..payload.len()].copy_from_slice(payload);
        Some(Ok(payload.len()))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    #[test]
    fn crc_is_ccitt_false() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        assert_eq!(crc16(b""), 0xFFFF);
    }

    #[test]
    fn cobs_matches_the_published_examples() {
        // Examples from the COBS paper / its usual test vectors.
        let cases: [(&[u8], &[u8]); 5] = [
            (&[0x00], &[0x01, 0x01]),
            (&[0x00, 0x00], &[0x01, 0x01, 0x01]),
            (&[0x11, 0x22, 0x00, 0x33], &[0x03, 0x11, 0x22, 0x02, 0x33]),
            (&[0x11, 0x22, 0x33, 0x44], &[0x05, 0x11, 0x22, 0x33, 0x44]),
            (&[0x11, 0x00, 0x00, 0x00], &[0x02, 0x11, 0x01, 0x01, 0x01]),
        ];
        for (raw, enc) in cases {
            let mut buf = [0u8; 16];
            let n = cobs_encode(raw, &mut buf).unwrap();
            assert_eq!(&buf[..n], enc, "{raw:02x?}");
            let mut back = [0u8; 16];
            let m = cobs_decode(enc, &mut back).unwrap();
            assert_eq!(&back[..m], raw);
        }
    }

    /// Golden frames: what goes on the wire for each message.
    #[test]
    fn frames_have_their_bytes() {
        // SetFader 2 to 0x1234: payload 02 02 12 34, CRC 0x140E, one COBS
        // block (no zero anywhere), delimiter.
        let p = ToBoard::SetFader {
            index: 2,
            position: 0x1234,
        }
        .payload();
        assert_eq!(p.bytes(), &[0x02, 0x02, 0x12, 0x34]);
        assert_eq!(
            frame(p.bytes()).bytes(),
            &[0x07, 0x02, 0x02, 0x12, 0x34, 0x14, 0x0E, 0x00]
        );
        // Touch 0 on: 83 00 01, CRC 0xBEB7; the zero index becomes a code.
        let t = FromBoard::Touch { index: 0, on: true }.payload();
        assert_eq!(
            frame(t.bytes()).bytes(),
            &[0x02, 0x83, 0x04, 0x01, 0xBE, 0xB7, 0x00]
        );
        // Ping 7: 05 00 07, CRC 0x578B.
        let g = ToBoard::Ping { seq: 7 }.payload();
        assert_eq!(
            frame(g.bytes()).bytes(),
            &[0x02, 0x05, 0x04, 0x07, 0x57, 0x8B, 0x00]
        );
        // HelloReply layout.
        let h = FromBoard::HelloReply {
            version: 1,
            firmware: [0, 3, 2],
            faders: 4,
            resolution_bits: 10,
            capabilities: caps::TOUCH | caps::BUTTONS,
            buttons: 8,
            encoders: 0,
            leds: 8,
        }
        .payload();
        assert_eq!(h.bytes(), &[0x81, 1, 0, 3, 2, 4, 10, 3, 8, 0, 8]);
    }

    fn deframe_all(bytes: &[u8]) -> Vec<Result<Vec<u8>, FrameError>> {
        let mut d = Deframer::default();
        let mut out = [0u8; MAX_PAYLOAD];
        let mut got = Vec::new();
        for &b in bytes {
            if let Some(r) = d.push(b, &mut out) {
                got.push(r.map(|n| out[..n].to_vec()));
            }
        }
        got
    }

    #[test]
    fn garbage_is_dropped_and_the_next_frame_read() {
        let good = frame(ToBoard::Ping { seq: 7 }.payload().bytes());
        // A well-formed COBS frame whose CRC is wrong.
        let raw = [0x05, 0x00, 0x08, 0x12, 0x34];
        let mut enc = [0u8; 16];
        let n = cobs_encode(&raw, &mut enc).unwrap();
        let mut stream = Vec::from([0x13, 0x37, 0xFF, 0x00]);
        stream.extend_from_slice(&enc[..n]);
        stream.push(0);
        stream.extend_from_slice(&[0xAA; 60]);
        stream.push(0);
        stream.extend_from_slice(good.bytes());
        let got = deframe_all(&stream);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].is_err() && got[2].is_err());
        assert_eq!(got[1], Err(FrameError::Crc));
        assert_eq!(got[2], Err(FrameError::Length));
        assert_eq!(got[3], Ok(Vec::from([0x05, 0x00, 0x07])));
    }

    fn any_to_board() -> impl Strategy<Value = ToBoard> {
        prop_oneof![
            any::<u8>().prop_map(|version| ToBoard::Hello { version }),
            (any::<u8>(), 0u16..=POSITION_MAX)
                .prop_map(|(index, position)| ToBoard::SetFader { index, position }),
            (any::<u8>(), 0u8..3).prop_map(|(index, state)| ToBoard::SetLed { index, state }),
            (any::<u16>(), any::<u16>(), any::<u16>(), any::<u16>()).prop_map(
                |(kp, ki, kd, deadband)| ToBoard::Configure {
                    kp,
                    ki,
                    kd,
                    deadband
                }
            ),
            any::<u16>().prop_map(|seq| ToBoard::Ping { seq }),
        ]
    }

    fn any_from_board() -> impl Strategy<Value = FromBoard> {
        prop_oneof![
            (any::<u8>(), 0u16..=POSITION_MAX)
                .prop_map(|(index, position)| FromBoard::Position { index, position }),
            (any::<u8>(), any::<bool>()).prop_map(|(index, on)| FromBoard::Touch { index, on }),
            (any::<u8>(), any::<bool>())
                .prop_map(|(index, pressed)| FromBoard::Button { index, pressed }),
            (any::<u8>(), any::<i8>())
                .prop_map(|(index, delta)| FromBoard::Encoder { index, delta }),
            any::<u16>().prop_map(|seq| FromBoard::Pong { seq }),
            any::<u8>().prop_map(|code| FromBoard::Error { code }),
            (any::<[u8; 3]>(), any::<u8>(), any::<u8>()).prop_map(|(firmware, faders, leds)| {
                FromBoard::HelloReply {
                    version: 1,
                    firmware,
                    faders,
                    resolution_bits: 12,
                    capabilities: caps::TOUCH,
                    buttons: 0,
                    encoders: 0,
                    leds,
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn host_messages_survive_the_wire(m in any_to_board()) {
            let f = frame(m.payload().bytes());
            let got = deframe_all(f.bytes());
            prop_assert_eq!(got.len(), 1);
            let p = got[0].clone().unwrap();
            prop_assert_eq!(ToBoard::parse(&p).unwrap(), m);
        }

        #[test]
        fn board_messages_survive_the_wire(m in any_from_board()) {
            let f = frame(m.payload().bytes());
            let p = deframe_all(f.bytes())[0].clone().unwrap();
            prop_assert_eq!(FromBoard::parse(&p).unwrap(), m);
        }

        #[test]
        fn cobs_round_trips_and_never_emits_zero(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut enc = [0u8; 310];
            let n = cobs_encode(&data, &mut enc).unwrap();
            prop_assert!(!enc[..n].contains(&0));
            let mut dec = [0u8; 310];
            let m = cobs_decode(&enc[..n], &mut dec).unwrap();
            prop_assert_eq!(&dec[..m], &data[..]);
        }

        #[test]
        fn random_bytes_never_panic_and_resync(noise in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut stream = noise.clone();
            stream.push(0);
            let good = frame(ToBoard::Ping { seq: 42 }.payload().bytes());
            stream.extend_from_slice(good.bytes());
            let got = deframe_all(&stream);
            prop_assert_eq!(got.last().cloned(), Some(Ok(Vec::from([0x05, 0x00, 0x2A]))));
        }
    }
}
