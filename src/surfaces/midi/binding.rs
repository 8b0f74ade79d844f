//! One map binding's MIDI side: which incoming event it reads (and as
//! what: an absolute value or relative ticks), the bytes that show a value
//! back on the device, and how the control's travel maps onto its target.
//!
//! Pure functions; the hub thread calls them.

use super::codec::{self, Event, Message, ParamKind, Relative};
use crate::mixer::Param;
use crate::model::surface::{Curve, MidiBinding, MidiSource, RelativeEncoding};

/// A received value for a binding: absolute (0..1 and the raw value) or
/// relative ticks.
#[derive(Debug, Clone, Copy)]
pub(super) enum Input {
    Absolute(f64, u16),
    Relative(i8),
}

pub(super) fn max_raw(s: &MidiSource) -> u16 {
    match s {
        MidiSource::Cc14(_) | MidiSource::PitchBend => 16383,
        MidiSource::Nrpn { fine: true, .. } | MidiSource::Rpn { fine: true, .. } => 16383,
        _ => 127,
    }
}

pub(super) fn relative_of(r: RelativeEncoding) -> Relative {
    match r {
        RelativeEncoding::TwosComplement => Relative::TwosComplement,
        RelativeEncoding::SignBit => Relative::SignBit,
        RelativeEncoding::BinaryOffset => Relative::BinaryOffset,
    }
}

/// Does `ev` belong to binding `m`, and with what value?
pub(super) fn matches(m: &MidiBinding, ev: &Event) -> Option<Input> {
    let abs = |raw: u16, max: u16| Input::Absolute(f64::from(raw) / f64::from(max), raw);
    match (m.source, *ev) {
        (
            MidiSource::Cc(n),
            Event::Cc {
                channel,
                controller,
                value,
            },
        ) if channel == m.channel && controller == n => Some(match m.relative {
            Some(r) => Input::Relative(relative_of(r).decode(value)),
            None => abs(u16::from(value), 127),
        }),
        (
            MidiSource::Cc14(n),
            Event::Cc14 {
                channel,
                controller,
                value,
            },
        ) if channel == m.channel && controller == n => Some(abs(value, 16383)),
        (
            MidiSource::Nrpn { number, fine },
            Event::Param {
                channel,
                kind: ParamKind::Nrpn,
                number: got,
                value,
                fine: f,
            },
        )
        | (
            MidiSource::Rpn { number, fine },
            Event::Param {
                channel,
                kind: ParamKind::Rpn,
                number: got,
                value,
                fine: f,
            },
        ) if channel == m.channel && got == number && f == fine => {
            Some(abs(value, if fine { 16383 } else { 127 }))
        }
        (
            MidiSource::Nrpn { number, .. },
            Event::ParamStep {
                channel,
                kind: ParamKind::Nrpn,
                number: got,
                steps,
            },
        )
        | (
            MidiSource::Rpn { number, .. },
            Event::ParamStep {
                channel,
                kind: ParamKind::Rpn,
                number: got,
                steps,
            },
        ) if channel == m.channel && got == number => {
            Some(Input::Relative(steps.clamp(-63, 63) as i8))
        }
        (
            MidiSource::Note(n),
            Event::Note {
                channel,
                note,
                velocity,
            },
        ) if channel == m.channel && note == n => Some(abs(u16::from(velocity), 127)),
        (MidiSource::PitchBend, Event::PitchBend { channel, value }) if channel == m.channel => {
            Some(abs(value, 16383))
        }
        (MidiSource::Program, Event::Program { channel, program }) if channel == m.channel => {
            Some(abs(u16::from(program), 127))
        }
        _ => None,
    }
}

/// The message(s) that show `raw` on the binding's control.
pub(super) fn feedback(m: &MidiBinding, raw: u16) -> Option<Vec<Vec<u8>>> {
    let ch = m.channel;
    let msgs = match m.source {
        MidiSource::Cc(n) => vec![Message::Cc {
            channel: ch,
            controller: n,
            value: raw.min(127) as u8,
        }],
        MidiSource::Cc14(n) => vec![
            Message::Cc {
                channel: ch,
                controller: n,
                value: (raw >> 7) as u8 & 0x7F,
            },
            Message::Cc {
                channel: ch,
                controller: n + 32,
                value: (raw & 0x7F) as u8,
            },
        ],
        MidiSource::Nrpn { number, fine } => {
            codec::encode_param(ch, ParamKind::Nrpn, number, raw, fine)
        }
        MidiSource::Rpn { number, fine } => {
            codec::encode_param(ch, ParamKind::Rpn, number, raw, fine)
        }
        MidiSource::Note(n) => vec![if raw > 0 {
            Message::NoteOn {
                channel: ch,
                note: n,
                velocity: raw.min(127) as u8,
            }
        } else {
            Message::NoteOff {
                channel: ch,
                note: n,
            }
        }],
        MidiSource::PitchBend => vec![Message::PitchBend {
            channel: ch,
            value: raw.min(16383),
        }],
        MidiSource::Program => return None,
    };
    Some(msgs.iter().map(codec::encode).collect())
}

/// Control position (0..1, after the curve) <-> target value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    param: Param,
    range: Option<(f64, f64)>,
    curve: Curve,
}

impl Scale {
    pub(super) fn new(param: Param, m: &MidiBinding) -> Scale {
        Scale {
            param,
            range: m.range,
            curve: m.curve,
        }
    }

    /// Target value for control position `x`.
    pub(super) fn value_at(self, x: f64) -> f64 {
        let x = match self.curve {
            Curve::Linear => x,
            Curve::Exponential => x * x,
            Curve::Logarithmic => x.sqrt(),
        };
        match (self.range, self.param) {
            (Some((lo, hi)), _) => lo + x * (hi - lo),
            (None, p) => p.spec().value_at(x),
        }
    }

    /// Control position for target value `v` (the inverse).
    pub(super) fn to_unit(self, v: f64) -> f64 {
        let x = match (self.range, self.param) {
            (Some((lo, hi)), _) => (v - lo) / (hi - lo),
            (None, p) => p.spec().to_pos(v),
        }
        .clamp(0.0, 1.0);
        match self.curve {
            Curve::Linear => x,
            Curve::Exponential => x.sqrt(),
            Curve::Logarithmic => x * x,
        }
    }
}
