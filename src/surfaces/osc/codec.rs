//! Pure OSC codec: received bytes to (address, value) pairs.
//!
//! Packets are never Display-formatted: rosc 0.11's `Display` panics on the
//! "immediately" time tag that liblo puts on every bundle.

use crate::mixer::{Address, Value};

/// Bundles nested deeper than this are refused.
pub const MAX_BUNDLE_DEPTH: usize = 4;
/// At most this many messages are taken from one packet.
pub const MAX_MESSAGES_PER_PACKET: usize = 256;

/// A decoded control message.
#[derive(Debug, Clone, PartialEq)]
pub struct OscIn {
    /// The mixer address.
    pub address: Address,
    /// Its value.
    pub value: Value,
}

/// Why (part of) a packet was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OscError {
    /// Not an OSC packet.
    #[error("malformed packet: {0}")]
    Malformed(String),
    /// Not an address faderd knows.
    #[error("unknown address {0}")]
    UnknownAddress(String),
    /// The message carries no usable value.
    #[error("{0}: expected one number, boolean or string argument")]
    BadArguments(String),
    /// Bundles nested too deep, or too many messages.
    #[error("bundle too large or too deep")]
    TooLarge,
}

/// Decode one UDP datagram into control messages; each message that cannot
/// be used yields its own error and the rest still apply.
pub fn decode(bytes: &[u8]) -> Vec<Result<OscIn, OscError>> {
    match rosc::decoder::decode_udp(bytes) {
        Ok((_, packet)) => {
            let mut out = Vec::new();
            flatten(packet, 0, &mut out);
            out
        }
        Err(e) => vec![Err(OscError::Malformed(format!("{e:?}")))],
    }
}

fn flatten(packet: rosc::OscPacket, depth: usize, out: &mut Vec<Result<OscIn, OscError>>) {
    if out.len() >= MAX_MESSAGES_PER_PACKET {
        return;
    }
    match packet {
        rosc::OscPacket::Message(m) => out.push(message(m)),
        rosc::OscPacket::Bundle(b) => {
            if depth >= MAX_BUNDLE_DEPTH {
                out.push(Err(OscError::TooLarge));
                return;
            }
            for p in b.content {
                if out.len() >= MAX_MESSAGES_PER_PACKET {
                    out.push(Err(OscError::TooLarge));
                    return;
                }
                flatten(p, depth + 1, out);
            }
        }
    }
}

fn message(m: rosc::OscMessage) -> Result<OscIn, OscError> {
    let address = Address::parse(&m.addr).map_err(|_| OscError::UnknownAddress(m.addr.clone()))?;
    let value = match m.args.as_slice() {
        [rosc::OscType::Float(x)] => Value::Float(f64::from(*x)),
        [rosc::OscType::Double(x)] => Value::Float(*x),
        [rosc::OscType::Int(x)] => Value::Float(f64::from(*x)),
        [rosc::OscType::Long(x)] => Value::Float(*x as f64),
        [rosc::OscType::Bool(b)] => Value::Bool(*b),
        [rosc::OscType::String(s)] => Value::Text(s.clone()),
        _ => return Err(OscError::BadArguments(m.addr)),
    };
    Ok(OscIn { address, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::{Param, StripRef};
    use proptest::prelude::*;

    #[test]
    fn golden_fader_message() {
        // oscsend localhost 8000 /strip/1/fader f 0.5
        let bytes = b"/strip/1/fader\0\0,f\0\0\x3f\x00\x00\x00";
        let got = decode(bytes);
        assert_eq!(
            got,
            vec![Ok(OscIn {
                address: Address::new(StripRef::Track(0), Param::Fader),
                value: Value::Float(0.5)
            })]
        );
    }

    #[test]
    fn int_arguments_count_as_numbers_and_bundles_flatten() {
        let msg = |addr: &str, arg| {
            rosc::OscPacket::Message(rosc::OscMessage {
                addr: addr.into(),
                args: vec![arg],
            })
        };
        let bundle = rosc::OscPacket::Bundle(rosc::OscBundle {
            timetag: rosc::OscTime {
                seconds: 0,
                fractional: 1,
            },
            content: vec![
                msg("/strip/2/mute", rosc::OscType::Int(1)),
                msg("/nope", rosc::OscType::Int(1)),
            ],
        });
        let bytes = rosc::encoder::encode(&bundle).unwrap();
        let got = decode(&bytes);
        assert_eq!(
            got[0],
            Ok(OscIn {
                address: Address::parse("strip/2/mute").unwrap(),
                value: Value::Float(1.0)
            })
        );
        assert_eq!(got[1], Err(OscError::UnknownAddress("/nope".into())));
    }

    #[test]
    fn deep_bundles_are_refused() {
        let mut p = rosc::OscPacket::Message(rosc::OscMessage {
            addr: "/master/mute".into(),
            args: vec![rosc::OscType::Int(1)],
        });
        for _ in 0..10 {
            p = rosc::OscPacket::Bundle(rosc::OscBundle {
                timetag: rosc::OscTime {
                    seconds: 0,
                    fractional: 1,
                },
                content: vec![p],
            });
        }
        let got = decode(&rosc::encoder::encode(&p).unwrap());
        assert_eq!(got, vec![Err(OscError::TooLarge)]);
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes);
        }
    }
}
