//! Pure codec for generic MIDI controllers: channel-voice messages to
//! typed events, the parameter-number protocols (NRPN and RPN, 7- and
//! 14-bit, with their increment/decrement forms) and 14-bit CC pairs
//! assembled from their parts, relative encoders in the common encodings,
//! and the encoders back for feedback.
//!
//! Channels are 0-based here (MIDI channel 1 is 0).

use thiserror::Error;

/// One channel-voice message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Message {
    /// Note on with a velocity above 0.
    NoteOn {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        note: u8,
        /// 1..=127.
        velocity: u8,
    },
    /// Note off, or note on with velocity 0.
    NoteOff {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        note: u8,
    },
    /// Control change.
    Cc {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        controller: u8,
        /// 0..=127.
        value: u8,
    },
    /// Program change.
    Program {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        program: u8,
    },
    /// Pitch bend, 0..=16383 (8192 centre).
    PitchBend {
        /// 0..=15.
        channel: u8,
        /// 14-bit value.
        value: u16,
    },
}

/// Why bytes are not a message this codec handles.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MidiError {
    /// Nothing there.
    #[error("empty MIDI message")]
    Empty,
    /// SysEx, clock, aftertouch ... (not bindable).
    #[error("MIDI message not used by maps: {0:02x?}")]
    Unsupported(Vec<u8>),
    /// Wrong length or a data byte with its top bit set.
    #[error("malformed MIDI message: {0:02x?}")]
    Malformed(Vec<u8>),
}

/// Decode one complete message.
pub fn decode(bytes: &[u8]) -> Result<Message, MidiError> {
    let status = *bytes.first().ok_or(MidiError::Empty)?;
    let channel = status & 0x0F;
    let need = match status & 0xF0 {
        0x80 | 0x90 | 0xB0 | 0xE0 => 3,
        0xC0 => 2,
        _ => return Err(MidiError::Unsupported(bytes.to_vec())),
    };
    if bytes.len() != need || bytes[1..].iter().any(|b| *b > 0x7F) {
        return Err(MidiError::Malformed(bytes.to_vec()));
    }
    Ok(match status & 0xF0 {
        0x80 => Message::NoteOff {
            channel,
            note: bytes[1],
        },
        0x90 if bytes[2] == 0 => Message::NoteOff {
            channel,
            note: bytes[1],
        },
        0x90 => Message::NoteOn {
            channel,
            note: bytes[1],
            velocity: bytes[2],
        },
        0xB0 => Message::Cc {
            channel,
            controller: bytes[1],
            value: bytes[2],
        },
        0xC0 => Message::Program {
            channel,
            program: bytes[1],
        },
        _ => Message::PitchBend {
            channel,
            value: u16::from(bytes[1]) | (u16::from(bytes[2]) << 7),
        },
    })
}

/// Encode one message.
pub fn encode(m: &Message) -> Vec<u8> {
    match *m {
        Message::NoteOn {
            channel,
            note,
            velocity,
        } => vec![0x90 | (channel & 15), note & 0x7F, velocity.clamp(1, 127)],
        Message::NoteOff { channel, note } => vec![0x80 | (channel & 15), note & 0x7F, 0],
        Message::Cc {
            channel,
            controller,
            value,
        } => vec![0xB0 | (channel & 15), controller & 0x7F, value & 0x7F],
        Message::Program { channel, program } => vec![0xC0 | (channel & 15), program & 0x7F],
        Message::PitchBend { channel, value } => {
            let v = value.min(16383);
            vec![0xE0 | (channel & 15), (v & 0x7F) as u8, (v >> 7) as u8]
        }
    }
}

/// Which parameter-number protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// Non-registered (CC 99/98).
    Nrpn,
    /// Registered (CC 101/100).
    Rpn,
}

/// A value a controller sent, after assembling multi-message forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A plain 7-bit CC (also the MSB half of a 14-bit pair, reported as
    /// such too; the pair's value follows as [`Event::Cc14`], at once with
    /// the LSB taken as 0, and again complete when the LSB arrives).
    Cc {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        controller: u8,
        /// 0..=127.
        value: u8,
    },
    /// A 14-bit CC pair (MSB on `controller` 0..=31, LSB on `controller + 32`).
    Cc14 {
        /// 0..=15.
        channel: u8,
        /// The MSB's controller, 0..=31.
        controller: u8,
        /// 0..=16383.
        value: u16,
    },
    /// A data entry for an NRPN or RPN: 7-bit (MSB only) or 14-bit.
    Param {
        /// 0..=15.
        channel: u8,
        /// NRPN or RPN.
        kind: ParamKind,
        /// The 14-bit parameter number.
        number: u16,
        /// 0..=16383 when 14-bit; 0..=127 when only the MSB was sent.
        value: u16,
        /// True when the LSB was part of it.
        fine: bool,
    },
    /// Data increment (+n) or decrement (-n) for an NRPN or RPN.
    ParamStep {
        /// 0..=15.
        channel: u8,
        /// NRPN or RPN.
        kind: ParamKind,
        /// The parameter number.
        number: u16,
        /// Steps: +1 for CC 96, -1 for CC 97 (times the data byte when > 0).
        steps: i16,
    },
    /// A note pressed or released.
    Note {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        note: u8,
        /// Pressed (velocity), or 0 released.
        velocity: u8,
    },
    /// Program change.
    Program {
        /// 0..=15.
        channel: u8,
        /// 0..=127.
        program: u8,
    },
    /// Pitch bend, 0..=16383.
    PitchBend {
        /// 0..=15.
        channel: u8,
        /// 14-bit value.
        value: u16,
    },
}

/// Per-channel state that turns CC sequences into [`Event`]s: the selected
/// parameter number, and the MSBs of 14-bit pairs and data entries.
#[derive(Debug, Clone, Default)]
pub struct Assembler {
    channels: [ChannelState; 16],
    /// CC numbers 0..=31 whose LSB (n + 32) completes a 14-bit pair.
    pairs: [bool; 32],
}

#[derive(Debug, Clone, Copy, Default)]
struct ChannelState {
    nrpn: [Option<u8>; 2],
    rpn: [Option<u8>; 2],
    /// Which was selected last.
    current: Option<ParamKind>,
    data_msb: Option<u8>,
    cc_msb: [Option<u8>; 32],
}

impl Assembler {
    /// An assembler that treats CC `n` (0..=31) and `n + 32` as a 14-bit
    /// pair for each `n` in `pairs`.
    pub fn with_pairs(pairs: impl IntoIterator<Item = u8>) -> Assembler {
        let mut a = Assembler::default();
        for p in pairs {
            if let Some(slot) = a.pairs.get_mut(usize::from(p)) {
                *slot = true;
            }
        }
        a
    }

    /// Feed one message; returns the events it completes (0, 1 or 2).
    pub fn feed(&mut self, m: Message) -> Vec<Event> {
        match m {
            Message::NoteOn {
                channel,
                note,
                velocity,
            } => vec![Event::Note {
                channel,
                note,
                velocity,
            }],
            Message::NoteOff { channel, note } => vec![Event::Note {
                channel,
                note,
                velocity: 0,
            }],
            Message::Program { channel, program } => vec![Event::Program { channel, program }],
            Message::PitchBend { channel, value } => vec![Event::PitchBend { channel, value }],
            Message::Cc {
                channel,
                controller,
                value,
            } => self.cc(channel, controller, value),
        }
    }

    fn cc(&mut self, channel: u8, controller: u8, value: u8) -> Vec<Event> {
        let st = &mut self.channels[usize::from(channel & 15)];
        let selected = |st: &ChannelState| -> Option<(ParamKind, u16)> {
            let (kind, parts) = match st.current? {
                ParamKind::Nrpn => (ParamKind::Nrpn, st.nrpn),
                ParamKind::Rpn => (ParamKind::Rpn, st.rpn),
            };
            let [Some(msb), Some(lsb)] = parts else {
                return None;
            };
            // RPN 127/127 is "null": nothing selected.
            if kind == ParamKind::Rpn && msb == 127 && lsb == 127 {
                return None;
            }
            Some((kind, (u16::from(msb) << 7) | u16::from(lsb)))
        };
        match controller {
            99 => {
                st.nrpn[0] = Some(value);
                st.current = Some(ParamKind::Nrpn);
                st.data_msb = None;
                vec![]
            }
            98 => {
                st.nrpn[1] = Some(value);
                st.current = Some(ParamKind::Nrpn);
                st.data_msb = None;
                vec![]
            }
            101 => {
                st.rpn[0] = Some(value);
                st.current = Some(ParamKind::Rpn);
                st.data_msb = None;
                vec![]
            }
            100 => {
                st.rpn[1] = Some(value);
                st.current = Some(ParamKind::Rpn);
                st.data_msb = None;
                vec![]
            }
            6 => match selected(st) {
                Some((kind, number)) => {
                    st.data_msb = Some(value);
                    vec![Event::Param {
                        channel,
                        kind,
                        number,
                        value: u16::from(value),
                        fine: false,
                    }]
                }
                None => vec![Event::Cc {
                    channel,
                    controller,
                    value,
                }],
            },
            38 => match (selected(st), st.data_msb) {
                (Some((kind, number)), Some(msb)) => vec![Event::Param {
                    channel,
                    kind,
                    number,
                    value: (u16::from(msb) << 7) | u16::from(value),
                    fine: true,
                }],
                _ => vec![Event::Cc {
                    channel,
                    controller,
                    value,
                }],
            },
            96 | 97 => match selected(st) {
                Some((kind, number)) => {
                    let n = i16::from(value.max(1));
                    vec![Event::ParamStep {
                        channel,
                        kind,
                        number,
                        steps: if controller == 96 { n } else { -n },
                    }]
                }
                None => vec![Event::Cc {
                    channel,
                    controller,
                    value,
                }],
            },
            0..=31 if self.pairs[usize::from(controller)] => {
                st.cc_msb[usize::from(controller)] = Some(value);
                // MIDI 1.0: an MSB on its own sets the value with the LSB
                // at 0 (a controller may send only MSBs); an LSB that
                // follows refines it.
                vec![
                    Event::Cc {
                        channel,
                        controller,
                        value,
                    },
                    Event::Cc14 {
                        channel,
                        controller,
                        value: u16::from(value) << 7,
                    },
                ]
            }
            32..=63 if self.pairs[usize::from(controller - 32)] => {
                let msb_cc = controller - 32;
                match st.cc_msb[usize::from(msb_cc)] {
                    Some(msb) => vec![Event::Cc14 {
                        channel,
                        controller: msb_cc,
                        value: (u16::from(msb) << 7) | u16::from(value),
                    }],
                    None => vec![],
                }
            }
            _ => vec![Event::Cc {
                channel,
                controller,
                value,
            }],
        }
    }
}

/// The messages that send `value` (0..=16383) to a parameter number, MSB
/// then LSB (the 14-bit form), for feedback to a controller.
pub fn encode_param(
    channel: u8,
    kind: ParamKind,
    number: u16,
    value: u16,
    fine: bool,
) -> Vec<Message> {
    let (msb_cc, lsb_cc) = match kind {
        ParamKind::Nrpn => (99, 98),
        ParamKind::Rpn => (101, 100),
    };
    let cc = |controller: u8, value: u8| Message::Cc {
        channel,
        controller,
        value,
    };
    let mut out = vec![
        cc(msb_cc, ((number >> 7) & 0x7F) as u8),
        cc(lsb_cc, (number & 0x7F) as u8),
    ];
    if fine {
        out.push(cc(6, ((value >> 7) & 0x7F) as u8));
        out.push(cc(38, (value & 0x7F) as u8));
    } else {
        out.push(cc(6, (value & 0x7F) as u8));
    }
    out
}

/// How a relative encoder encodes a turn in one 7-bit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relative {
    /// 1..=63 up, 127..=65 down (127 = -1).
    TwosComplement,
    /// 1..=63 up, 65..=127 down (bit 6 is the sign, 65 = -1).
    SignBit,
    /// 65..=127 up, 63..=0 down (64 = no move, 63 = -1).
    BinaryOffset,
}

impl Relative {
    /// Ticks in a received value (never 0 for a value that moves).
    pub fn decode(self, v: u8) -> i8 {
        let v = v & 0x7F;
        match self {
            Relative::TwosComplement => {
                if v < 64 {
                    v as i8
                } else {
                    (i16::from(v) - 128) as i8
                }
            }
            Relative::SignBit => {
                let mag = (v & 0x3F) as i8;
                if v & 0x40 != 0 { -mag } else { mag }
            }
            Relative::BinaryOffset => v as i8 - 64,
        }
    }

    /// The value that sends `ticks` (clamped to what one byte can say).
    pub fn encode(self, ticks: i8) -> u8 {
        let t = ticks.clamp(-63, 63);
        match self {
            Relative::TwosComplement => (t as u8) & 0x7F,
            Relative::SignBit => {
                if t < 0 {
                    0x40 | t.unsigned_abs()
                } else {
                    t as u8
                }
            }
            Relative::BinaryOffset => (t + 64) as u8,
        }
    }
}

/// Encoder acceleration: a fast turn (many ticks in one message) moves more
/// than linearly. `ticks` in, multiplier applied: 1 tick stays 1 step, so
/// slow turns keep full resolution and +n then -n at the same speed
/// returns exactly to where it started.
pub fn accelerate(ticks: i8) -> i32 {
    let t = i32::from(ticks);
    let m = t.abs();
    let factor = match m {
        0..=2 => 1,
        3..=5 => 2,
        6..=10 => 4,
        _ => 8,
    };
    t * factor
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn messages_have_their_bytes() {
        let cases = [
            (
                Message::Cc {
                    channel: 0,
                    controller: 7,
                    value: 100,
                },
                vec![0xB0, 7, 100],
            ),
            (
                Message::NoteOn {
                    channel: 9,
                    note: 36,
                    velocity: 127,
                },
                vec![0x99, 36, 127],
            ),
            (
                Message::NoteOff {
                    channel: 1,
                    note: 60,
                },
                vec![0x81, 60, 0],
            ),
            (
                Message::Program {
                    channel: 2,
                    program: 5,
                },
                vec![0xC2, 5],
            ),
            (
                Message::PitchBend {
                    channel: 0,
                    value: 8192,
                },
                vec![0xE0, 0x00, 0x40],
            ),
        ];
        for (m, b) in cases {
            assert_eq!(encode(&m), b);
            assert_eq!(decode(&b).unwrap(), m);
        }
        assert_eq!(
            decode(&[0x90, 60, 0]).unwrap(),
            Message::NoteOff {
                channel: 0,
                note: 60
            }
        );
        for bad in [
            &[][..],
            &[0xB0, 7][..],
            &[0xB0, 0x80, 1][..],
            &[0xF0, 1, 0xF7][..],
        ] {
            assert!(decode(bad).is_err(), "{bad:02x?}");
        }
    }

    #[test]
    fn nrpn_and_rpn_assemble_in_both_widths_and_steps() {
        let mut a = Assembler::default();
        let cc = |c, v| Message::Cc {
            channel: 3,
            controller: c,
            value: v,
        };
        let mut all = Vec::new();
        for m in encode_param(3, ParamKind::Nrpn, 0x1234, 0x2ABC, true) {
            all.extend(a.feed(m));
        }
        assert_eq!(
            all.last(),
            Some(&Event::Param {
                channel: 3,
                kind: ParamKind::Nrpn,
                number: 0x1234,
                value: 0x2ABC,
                fine: true
            })
        );
        // 7-bit data entry on an RPN, then increment and decrement.
        assert!(a.feed(cc(101, 0)).is_empty());
        assert!(a.feed(cc(100, 2)).is_empty());
        assert_eq!(
            a.feed(cc(6, 64)),
            vec![Event::Param {
                channel: 3,
                kind: ParamKind::Rpn,
                number: 2,
                value: 64,
                fine: false
            }]
        );
        assert_eq!(
            a.feed(cc(96, 0)),
            vec![Event::ParamStep {
                channel: 3,
                kind: ParamKind::Rpn,
                number: 2,
                steps: 1
            }]
        );
        assert_eq!(
            a.feed(cc(97, 3)),
            vec![Event::ParamStep {
                channel: 3,
                kind: ParamKind::Rpn,
                number: 2,
                steps: -3
            }]
        );
        // The RPN null (127/127) deselects: data entry is a plain CC again.
        a.feed(cc(101, 127));
        a.feed(cc(100, 127));
        assert_eq!(
            a.feed(cc(6, 1)),
            vec![Event::Cc {
                channel: 3,
                controller: 6,
                value: 1
            }]
        );
    }

    #[test]
    fn a_14_bit_cc_pair_has_16384_distinct_values() {
        let mut a = Assembler::with_pairs([7]);
        let mut seen = std::collections::HashSet::new();
        for v in 0u16..16384 {
            a.feed(Message::Cc {
                channel: 0,
                controller: 7,
                value: (v >> 7) as u8,
            });
            for e in a.feed(Message::Cc {
                channel: 0,
                controller: 39,
                value: (v & 0x7F) as u8,
            }) {
                if let Event::Cc14 { value, .. } = e {
                    seen.insert(value);
                }
            }
        }
        assert_eq!(seen.len(), 16384);
    }

    #[test]
    fn relative_encodings_decode_as_documented() {
        assert_eq!(Relative::TwosComplement.decode(1), 1);
        assert_eq!(Relative::TwosComplement.decode(127), -1);
        assert_eq!(Relative::TwosComplement.decode(65), -63);
        assert_eq!(Relative::SignBit.decode(65), -1);
        assert_eq!(Relative::SignBit.decode(3), 3);
        assert_eq!(Relative::BinaryOffset.decode(65), 1);
        assert_eq!(Relative::BinaryOffset.decode(63), -1);
        assert_eq!(Relative::BinaryOffset.decode(64), 0);
    }

    proptest! {
        #[test]
        fn relative_round_trips(t in -63i8..=63) {
            for r in [Relative::TwosComplement, Relative::SignBit, Relative::BinaryOffset] {
                prop_assert_eq!(r.decode(r.encode(t)), t);
            }
        }

        #[test]
        fn acceleration_is_odd_so_turns_cancel(t in -63i8..=63) {
            prop_assert_eq!(accelerate(t), -accelerate(-t));
            prop_assert!(accelerate(t).abs() >= i32::from(t).abs());
        }

        #[test]
        fn messages_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..4)) {
            if let Ok(m) = decode(&bytes) {
                let again = encode(&m);
                prop_assert_eq!(decode(&again).unwrap(), m);
            }
        }

        #[test]
        fn params_round_trip(number in 0u16..16384, value in 0u16..16384, nrpn in any::<bool>()) {
            let kind = if nrpn { ParamKind::Nrpn } else { ParamKind::Rpn };
            prop_assume!(!(kind == ParamKind::Rpn && number == 0x3FFF));
            let mut a = Assembler::default();
            let events: Vec<Event> = encode_param(0, kind, number, value, true)
                .into_iter()
                .flat_map(|m| a.feed(m))
                .collect();
            prop_assert_eq!(
                events.last().copied(),
                Some(Event::Param { channel: 0, kind, number, value, fine: true })
            );
        }
    }
}
