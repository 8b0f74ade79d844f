//! Pure OSC codec for the native address space (DESIGN.md): received bytes
//! to typed commands, feedback to bundles that fit a datagram.
//!
//! Packets are never Display-formatted: rosc 0.11's `Display` panics on the
//! "immediately" time tag that liblo puts on every bundle.

use crate::mixer::{Address, StripRef, Value};
use rosc::{OscMessage, OscPacket, OscType};

/// Bundles nested deeper than this are refused (never recursed into).
pub const MAX_BUNDLE_DEPTH: usize = 4;
/// At most this many messages are taken from one packet; a packet with
/// more is refused whole.
pub const MAX_MESSAGES_PER_PACKET: usize = 256;
/// Longest OSC address accepted, in bytes.
pub const MAX_ADDRESS_BYTES: usize = 256;
/// Most arguments one message may carry.
pub const MAX_ARGUMENTS: usize = 64;
/// Deepest argument array nesting accepted (`[[...]]`).
pub const MAX_ARRAY_DEPTH: usize = 2;
/// Longest string or blob argument accepted, in bytes (a strip name is
/// far shorter; the hub bounds names again).
pub const MAX_STRING_BYTES: usize = 1024;
/// Latest timeline position a locate or loop may name, in seconds (a day).
pub const MAX_TIMELINE_S: f64 = 86_400.0;
/// Largest datagram read; a longer one is cut by the socket and refused.
pub const MAX_PACKET_BYTES: usize = 65_536;
/// Feedback datagrams stay under this size unless configured otherwise:
/// an Ethernet MTU less IP and UDP headers, so a packet to a tablet on
/// Wi-Fi is never fragmented (a lost fragment loses the whole datagram).
pub const DEFAULT_MAX_DATAGRAM: usize = 1472;

/// A transport request as it arrives (seconds, not frames: the codec does
/// not know the sample rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TransportRequest {
    /// `/transport/play`.
    Play,
    /// `/transport/stop`.
    Stop,
    /// `/transport/locate seconds`.
    Locate(f64),
    /// `/transport/loop start end` (seconds); with no arguments or 0: off.
    Loop(Option<(f64, f64)>),
}

/// How a subscriber gets meters (`/subscribe`'s second argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MeterStyle {
    /// None (0).
    #[default]
    Off,
    /// A message per strip and figure, each when it changes (1):
    /// `/strip/N/meter`, `/strip/N/meter/db`, `/strip/N/meter/gr`.
    Messages,
    /// Every strip's meter in one `/meters` blob per meter tick (2): what
    /// a screen showing the whole console wants (see
    /// [`crate::surfaces::osc::surface::meters_blob`] for its layout).
    Blob,
}

/// One decoded OSC message.
#[derive(Debug, Clone, PartialEq)]
pub enum OscCommand {
    /// Set a control: `/strip/1/fader 0.5`.
    Set {
        /// The control.
        address: Address,
        /// The value as received (the hub validates and clamps it).
        value: Value,
    },
    /// `/strip/1/fader/touch 1` (or `/z`): a finger on or off a control.
    Touch {
        /// The control touched.
        address: Address,
        /// On (true) or released.
        on: bool,
    },
    /// Transport.
    Transport(TransportRequest),
    /// `/automation/undo`: undo the last automation pass.
    UndoAutomation,
    /// `/subscribe [port] [meters 0|1|2]`.
    Subscribe {
        /// Feedback port; the source port when absent.
        port: Option<u16>,
        /// Also send meters, and how.
        meters: MeterStyle,
    },
    /// `/unsubscribe [port]`.
    Unsubscribe {
        /// The port given to `/subscribe`, if any.
        port: Option<u16>,
    },
    /// `/status`: counters are sent back to the sender.
    Status,
    /// `/learn s`: bind the next move of a MIDI controller to this address.
    Learn(Address),
    /// `/eq/response s`: the strip's EQ curve (`strip/1`, `bus/2`,
    /// `master`), answered to the sender only.
    EqResponse(crate::mixer::StripRef),
    /// `/dyn/response s`: the strip's compressor and gate curves,
    /// answered to the sender only.
    DynResponse(crate::mixer::StripRef),
    /// `/automation/lanes s [from_s to_s columns]`: the strip's lanes for
    /// a timeline (see [`crate::mixer::automation::TimelineLane`]),
    /// answered to the sender only; with a view, cut to what it draws.
    Lanes {
        strip: crate::mixer::StripRef,
        view: Option<crate::mixer::automation::TimelineView>,
    },
    /// `/master/loudness/reset`: start the loudness measurement again.
    ResetLoudness,
    /// `/master/loudness/history`: the short-term loudness of the last
    /// minute, answered to the sender only.
    LoudnessHistory,
    /// `/session/add_track name [stereo 0|1]`: a new track at the end.
    AddTrack {
        /// Its name.
        name: String,
        /// Stereo rather than mono.
        stereo: bool,
    },
    /// `/automation/lane_mode STRIP LANE MODE`: lane LANE (as session
    /// files name it: `gain`, `pan`, `send/1/gain`) of STRIP plays in MODE;
    /// `strip` follows the strip's mode again.
    LaneMode {
        /// The strip.
        strip: StripRef,
        /// The lane.
        lane: crate::model::LaneParam,
        /// Its own mode; `None` follows the strip's.
        mode: Option<crate::model::AutomationMode>,
    },
    /// `/automation/edit STRIP LANE FROM TO POINTS`: the lane's points
    /// from FROM to TO seconds replaced by POINTS, a blob of (seconds,
    /// control position) f32 pairs, little-endian, as
    /// `/automation/lanes` sends them (empty: deleted).
    EditLane {
        /// The strip.
        strip: StripRef,
        /// The lane.
        lane: crate::model::LaneParam,
        /// The span and its new points.
        edit: crate::mixer::automation::LaneEdit,
    },
    /// `/automation/choices STRIP`: the lanes the strip can have, for a
    /// timeline's menu, answered to the sender only.
    LaneChoices(StripRef),
    /// `/automation/add_lane STRIP LANE`: the lane made to edit by hand,
    /// one point at 0 s holding the live value.
    AddLane {
        /// The strip.
        strip: StripRef,
        /// The lane.
        lane: crate::model::LaneParam,
    },
    /// `/session/remove_track N`: remove track N (1-based); the tracks
    /// after it move up.
    RemoveTrack(usize),
    /// `/session/save`: save the session to its file now.
    SaveSession,
    /// `/debug/fault/engine|hub|listener`: panic there, to prove that the
    /// daemon carries on. Only in builds with debug assertions (tests).
    #[cfg(debug_assertions)]
    InjectFault(FaultSite),
    /// `/debug/stall/hub ms`: the hub thread sleeps (at most 2 s), as a
    /// hub slowed by a burst would. Only in builds with debug assertions.
    #[cfg(debug_assertions)]
    StallHub(std::time::Duration),
}

/// Where a test build injects a fault.
#[cfg(debug_assertions)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultSite {
    /// The engine's next process call.
    Engine,
    /// The hub thread, while it handles the message.
    Hub,
    /// The OSC listener thread, right after decoding the message.
    Listener,
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
    /// The message's arguments do not fit its address.
    #[error("{address}: {expected}")]
    BadArguments {
        /// The OSC address.
        address: String,
        /// What it takes.
        expected: &'static str,
    },
    /// Past one of the bounds above: refused whole, never decoded.
    #[error("refused: {0}")]
    TooLarge(Bound),
    /// A newer value for the same control arrived while this one waited
    /// for the hub (internal: never counted as refused).
    #[error("superseded by a newer value")]
    Superseded,
}

/// Which bound a packet went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Bound {
    /// Bundles nested deeper than [`MAX_BUNDLE_DEPTH`].
    #[error("bundles nested deeper than {MAX_BUNDLE_DEPTH}")]
    Depth,
    /// More than [`MAX_MESSAGES_PER_PACKET`] messages.
    #[error("more than {MAX_MESSAGES_PER_PACKET} messages in one packet")]
    Messages,
    /// An address longer than [`MAX_ADDRESS_BYTES`].
    #[error("an address longer than {MAX_ADDRESS_BYTES} bytes")]
    Address,
    /// More than [`MAX_ARGUMENTS`] arguments, or arrays nested deeper than
    /// [`MAX_ARRAY_DEPTH`].
    #[error("more than {MAX_ARGUMENTS} arguments or arrays nested deeper than {MAX_ARRAY_DEPTH}")]
    Arguments,
    /// A string or blob longer than [`MAX_STRING_BYTES`].
    #[error("a string or blob longer than {MAX_STRING_BYTES} bytes")]
    String,
    /// A datagram of [`MAX_PACKET_BYTES`] or more (cut by the socket).
    #[error("a datagram of {MAX_PACKET_BYTES} bytes or more")]
    Packet,
}

impl OscError {
    /// True when the packet went past a bound (counted apart from plain
    /// mistakes: it is a flood or an attack more often than a typo).
    pub fn is_bound(&self) -> bool {
        matches!(self, OscError::TooLarge(_))
    }
}

/// Decode one UDP datagram. Each message that cannot be used yields its own
/// error and the rest still apply. Momentary-button releases
/// (`/transport/play 0`) decode to nothing.
///
/// Total: any bytes give a result, and the work is bounded: the packet's
/// structure is walked first without recursion past [`MAX_BUNDLE_DEPTH`]
/// or decoding, and a packet past any bound is refused whole.
pub fn decode(bytes: &[u8]) -> Vec<Result<OscCommand, OscError>> {
    if bytes.len() >= MAX_PACKET_BYTES {
        return vec![Err(OscError::TooLarge(Bound::Packet))];
    }
    let mut messages = 0;
    if let Err(e) = check_packet(bytes, 0, &mut messages) {
        return vec![Err(e)];
    }
    match rosc::decoder::decode_udp(bytes) {
        Ok((_, packet)) => {
            let mut out = Vec::new();
            flatten(packet, &mut out);
            out
        }
        Err(e) => vec![Err(OscError::Malformed(e.to_string()))],
    }
}

/// Walk a packet's framing within the bounds: bundle nesting, message
/// count, address length, argument count and nesting, string sizes. Also
/// refuses a bundle whose element sizes overrun the datagram (rosc would
/// read it as an empty bundle).
fn check_packet(bytes: &[u8], depth: usize, messages: &mut usize) -> Result<(), OscError> {
    let malformed = |why: &str| OscError::Malformed(why.to_owned());
    if !bytes.starts_with(b"#bundle\0") {
        *messages += 1;
        if *messages > MAX_MESSAGES_PER_PACKET {
            return Err(OscError::TooLarge(Bound::Messages));
        }
        return check_message(bytes);
    }
    if depth >= MAX_BUNDLE_DEPTH {
        return Err(OscError::TooLarge(Bound::Depth));
    }
    let mut rest = bytes
        .get(BUNDLE_HEADER..)
        .ok_or_else(|| malformed("bundle shorter than its header"))?;
    while !rest.is_empty() {
        let size = rest
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| malformed("bundle element size cut short"))?;
        let element = rest
            .get(4..4 + size)
            .ok_or_else(|| malformed("bundle element runs past the end of the packet"))?;
        if size == 0 || size % 4 != 0 {
            return Err(malformed(
                "bundle element size is not a positive multiple of 4",
            ));
        }
        check_packet(element, depth + 1, messages)?;
        rest = &rest[4 + size..];
    }
    Ok(())
}

/// A message's address and type tags within bounds, and its string and
/// blob arguments no longer than [`MAX_STRING_BYTES`]. Other mistakes are
/// left to the decoder.
fn check_message(bytes: &[u8]) -> Result<(), OscError> {
    let Some((address, rest)) = osc_string(bytes) else {
        return Ok(()); // malformed: the decoder says so
    };
    if address.len() > MAX_ADDRESS_BYTES {
        return Err(OscError::TooLarge(Bound::Address));
    }
    let Some((tags, mut args)) = osc_string(rest) else {
        return Ok(());
    };
    let tags = tags.strip_prefix(b",").unwrap_or(&[]);
    let (mut count, mut depth) = (0usize, 0usize);
    for &t in tags {
        match t {
            b'[' => {
                depth += 1;
                if depth > MAX_ARRAY_DEPTH {
                    return Err(OscError::TooLarge(Bound::Arguments));
                }
            }
            b']' => depth = depth.saturating_sub(1),
            _ => {
                count += 1;
                if count > MAX_ARGUMENTS {
                    return Err(OscError::TooLarge(Bound::Arguments));
                }
            }
        }
        // Skip this argument's bytes to find the next string or blob.
        let width = match t {
            b'i' | b'f' | b'c' | b'r' | b'm' => 4,
            b'h' | b'd' | b't' => 8,
            b's' | b'S' => match osc_string(args) {
                Some((s, rest)) => {
                    if s.len() > MAX_STRING_BYTES {
                        return Err(OscError::TooLarge(Bound::String));
                    }
                    args = rest;
                    0
                }
                None => return Ok(()),
            },
            b'b' => {
                let Some(n) = args.get(..4) else {
                    return Ok(());
                };
                let n = u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize;
                if n > MAX_STRING_BYTES {
                    return Err(OscError::TooLarge(Bound::String));
                }
                4 + n.next_multiple_of(4)
            }
            _ => 0,
        };
        args = args.get(width..).unwrap_or(&[]);
    }
    Ok(())
}

/// An OSC string at the start of `bytes` (NUL-terminated, padded to 4
/// bytes) and what follows it.
fn osc_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.iter().position(|&b| b == 0)?;
    let padded = (end + 1).next_multiple_of(4);
    Some((&bytes[..end], bytes.get(padded..).unwrap_or(&[])))
}

/// The messages of a packet already checked by [`check_packet`] (so its
/// nesting is bounded), in order.
fn flatten(packet: OscPacket, out: &mut Vec<Result<OscCommand, OscError>>) {
    match packet {
        OscPacket::Message(m) => {
            if let Some(item) = message(m) {
                out.push(item);
            }
        }
        OscPacket::Bundle(b) => {
            for p in b.content {
                flatten(p, out);
            }
        }
    }
}

/// A numeric argument, whatever its OSC type.
/// `/automation/add_lane|lane_mode|edit STRIP LANE ...`: a command on one
/// lane of one strip, the lane named as in session files.
fn lane_command(address: &str, args: &[OscType]) -> Result<OscCommand, OscError> {
    let expected = match address {
        "/automation/add_lane" => {
            "expected the strip and the lane (gain, pan, send/1/gain, eq/2/freq ...)"
        }
        "/automation/lane_mode" => {
            "expected the strip, the lane and a mode (off, read, touch, latch, write, trim, or strip)"
        }
        _ => {
            "expected the strip, the lane, from and to (seconds) and a blob of (seconds, position) f32 pairs"
        }
    };
    let bad = || OscError::BadArguments {
        address: address.to_string(),
        expected,
    };
    let [OscType::String(strip), OscType::String(lane), rest @ ..] = args else {
        return Err(bad());
    };
    let (Ok(strip), Some(lane)) = (
        StripRef::parse(strip),
        crate::model::LaneParam::from_name(lane),
    ) else {
        return Err(bad());
    };
    match (address, rest) {
        ("/automation/add_lane", []) => Ok(OscCommand::AddLane { strip, lane }),
        ("/automation/lane_mode", [OscType::String(mode)]) => {
            let mode = match mode.as_str() {
                "strip" => None,
                m => Some(
                    <crate::model::AutomationMode as crate::model::Named>::from_name(m)
                        .ok_or_else(bad)?,
                ),
            };
            Ok(OscCommand::LaneMode { strip, lane, mode })
        }
        ("/automation/edit", [from, to, OscType::Blob(points)]) => {
            let (Some(from_s), Some(to_s)) = (number(from), number(to)) else {
                return Err(bad());
            };
            if points.len() % 8 != 0 {
                return Err(bad());
            }
            let f = |b: &[u8]| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let points = points
                .chunks_exact(8)
                .map(|p| [f(&p[..4]), f(&p[4..])])
                .collect();
            Ok(OscCommand::EditLane {
                strip,
                lane,
                edit: crate::mixer::automation::LaneEdit {
                    from_s,
                    to_s,
                    points,
                },
            })
        }
        _ => Err(bad()),
    }
}

/// The most columns a timeline view may ask its lanes in (a screen's
/// width in pixels, and then some).
pub const MAX_TIMELINE_COLUMNS: u32 = 8192;

fn number(arg: &OscType) -> Option<f64> {
    match arg {
        OscType::Float(x) => Some(f64::from(*x)),
        OscType::Double(x) => Some(*x),
        OscType::Int(x) => Some(f64::from(*x)),
        OscType::Long(x) => Some(*x as f64),
        OscType::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// A port argument; absent or 0 means "the sender's own port" (so a
/// layout can ask for meters without knowing its port).
fn port_arg(arg: Option<&OscType>) -> Result<Option<u16>, ()> {
    match arg {
        None => Ok(None),
        Some(a) => match number(a) {
            Some(0.0) => Ok(None),
            Some(p) if (1.0..=65535.0).contains(&p) && p.fract() == 0.0 => Ok(Some(p as u16)),
            _ => Err(()),
        },
    }
}

fn message(m: OscMessage) -> Option<Result<OscCommand, OscError>> {
    let bad = |expected| {
        Some(Err(OscError::BadArguments {
            address: m.addr.clone(),
            expected,
        }))
    };
    let args = m.args.as_slice();
    match m.addr.as_str() {
        "/subscribe" => {
            let Ok(port) = port_arg(args.first()) else {
                return bad("expected [port 0..65535] [meters 0|1|2]");
            };
            let meters = match args.get(1).map(number) {
                None => MeterStyle::Off,
                Some(Some(x)) if x.is_finite() && x < 0.5 => MeterStyle::Off,
                Some(Some(x)) if x.is_finite() && x < 1.5 => MeterStyle::Messages,
                Some(Some(x)) if x.is_finite() => MeterStyle::Blob,
                Some(_) => return bad("expected [port 0..65535] [meters 0|1|2]"),
            };
            if args.len() > 2 {
                return bad("expected [port 0..65535] [meters 0|1|2]");
            }
            return Some(Ok(OscCommand::Subscribe { port, meters }));
        }
        "/unsubscribe" => {
            return match port_arg(args.first()) {
                Ok(port) if args.len() <= 1 => Some(Ok(OscCommand::Unsubscribe { port })),
                _ => bad("expected [port 0..65535]"),
            };
        }
        "/status" => return Some(Ok(OscCommand::Status)),
        #[cfg(debug_assertions)]
        "/debug/fault/engine" => return Some(Ok(OscCommand::InjectFault(FaultSite::Engine))),
        #[cfg(debug_assertions)]
        "/debug/fault/hub" => return Some(Ok(OscCommand::InjectFault(FaultSite::Hub))),
        #[cfg(debug_assertions)]
        "/debug/stall/hub" => {
            return match args.first().and_then(number) {
                Some(ms) if (0.0..=2000.0).contains(&ms) => Some(Ok(OscCommand::StallHub(
                    std::time::Duration::from_secs_f64(ms / 1000.0),
                ))),
                _ => bad("expected milliseconds, 0..2000"),
            };
        }
        #[cfg(debug_assertions)]
        "/debug/fault/listener" => {
            return Some(Ok(OscCommand::InjectFault(FaultSite::Listener)));
        }
        "/session/add_track" => {
            return match args {
                [OscType::String(name)] => Some(Ok(OscCommand::AddTrack {
                    name: name.clone(),
                    stereo: false,
                })),
                [OscType::String(name), flag] => match number(flag) {
                    Some(x) if x.is_finite() => Some(Ok(OscCommand::AddTrack {
                        name: name.clone(),
                        stereo: x >= 0.5,
                    })),
                    _ => bad("expected name [stereo 0|1]"),
                },
                _ => bad("expected name [stereo 0|1]"),
            };
        }
        "/automation/add_lane" | "/automation/lane_mode" | "/automation/edit" => {
            return Some(lane_command(&m.addr, args));
        }
        "/session/remove_track" => {
            return match args {
                [a] => match number(a) {
                    Some(n) if n.fract() == 0.0 && (1.0..=65536.0).contains(&n) => {
                        Some(Ok(OscCommand::RemoveTrack(n as usize - 1)))
                    }
                    _ => bad("expected the track's number, from 1"),
                },
                _ => bad("expected the track's number, from 1"),
            };
        }
        "/master/loudness/reset" => {
            // Like a button: its release (0) does nothing.
            return match args {
                [] => Some(Ok(OscCommand::ResetLoudness)),
                [a] => match number(a) {
                    Some(x) if x >= 0.5 => Some(Ok(OscCommand::ResetLoudness)),
                    Some(x) if x.is_finite() => None,
                    _ => bad("expected no argument or 0|1"),
                },
                _ => bad("expected no argument or 0|1"),
            };
        }
        "/master/loudness/history" => {
            return match args {
                [] => Some(Ok(OscCommand::LoudnessHistory)),
                _ => bad("expected no argument"),
            };
        }
        "/session/save" => {
            // A button's release (0) does nothing.
            return match args {
                [] => Some(Ok(OscCommand::SaveSession)),
                [a] => match number(a) {
                    Some(x) if x >= 0.5 => Some(Ok(OscCommand::SaveSession)),
                    Some(x) if x.is_finite() => None,
                    _ => bad("expected no argument or 0|1"),
                },
                _ => bad("expected no argument or 0|1"),
            };
        }
        "/automation/undo" => {
            // A button's release (0) does nothing.
            return match args {
                [] => Some(Ok(OscCommand::UndoAutomation)),
                [a] => match number(a) {
                    Some(x) if x >= 0.5 => Some(Ok(OscCommand::UndoAutomation)),
                    Some(x) if x.is_finite() => None,
                    _ => bad("expected no argument or 0|1"),
                },
                _ => bad("expected no argument or 0|1"),
            };
        }
        "/eq/response" | "/dyn/response" | "/automation/choices" => {
            return match args {
                [OscType::String(t)] => match StripRef::parse(t) {
                    Ok(strip) => Some(Ok(match m.addr.as_str() {
                        "/eq/response" => OscCommand::EqResponse(strip),
                        "/dyn/response" => OscCommand::DynResponse(strip),
                        _ => OscCommand::LaneChoices(strip),
                    })),
                    Err(_) => Some(Err(OscError::UnknownAddress(t.clone()))),
                },
                _ => bad("expected the strip, as a string (strip/1, bus/2, master)"),
            };
        }
        "/automation/lanes" => {
            const EXPECTED: &str = "expected the strip (strip/1, bus/2, master), then optionally the view: from and to (seconds) and its columns (1..=8192)";
            let (t, view) = match args {
                [OscType::String(t)] => (t, None),
                [OscType::String(t), from, to, columns] => {
                    let columns = number(columns).filter(|c| {
                        c.fract() == 0.0 && (1.0..=f64::from(MAX_TIMELINE_COLUMNS)).contains(c)
                    });
                    let view = match (number(from), number(to), columns) {
                        (Some(a), Some(b), Some(c)) => {
                            crate::mixer::automation::TimelineView::new(a, b, c as u32)
                        }
                        _ => None,
                    };
                    match view {
                        Some(v) => (t, Some(v)),
                        None => return bad(EXPECTED),
                    }
                }
                _ => return bad(EXPECTED),
            };
            return match StripRef::parse(t) {
                Ok(strip) => Some(Ok(OscCommand::Lanes { strip, view })),
                Err(_) => Some(Err(OscError::UnknownAddress(t.clone()))),
            };
        }
        "/learn" => {
            return match args {
                [OscType::String(t)] => match Address::parse(t) {
                    Ok(a) => Some(Ok(OscCommand::Learn(a))),
                    Err(_) => Some(Err(OscError::UnknownAddress(t.clone()))),
                },
                _ => bad("expected the address to learn, as a string"),
            };
        }
        "/transport/play" | "/transport/stop" => {
            // A momentary button sends 1 on press and 0 on release.
            let pressed = match args {
                [] => true,
                [a] => match number(a) {
                    Some(x) if x.is_finite() => x >= 0.5,
                    _ => return bad("expected no argument or 0|1"),
                },
                _ => return bad("expected no argument or 0|1"),
            };
            if !pressed {
                return None;
            }
            let r = if m.addr == "/transport/play" {
                TransportRequest::Play
            } else {
                TransportRequest::Stop
            };
            return Some(Ok(OscCommand::Transport(r)));
        }
        "/transport/loop" => {
            let n: Vec<Option<f64>> = args.iter().map(number).collect();
            return match n.as_slice() {
                [] | [Some(0.0)] => Some(Ok(OscCommand::Transport(TransportRequest::Loop(None)))),
                [Some(a), Some(b)] if *a >= 0.0 && b > a && *b <= MAX_TIMELINE_S => Some(Ok(
                    OscCommand::Transport(TransportRequest::Loop(Some((*a, *b)))),
                )),
                _ => bad(
                    "expected start and end seconds (end after start, at most 86400), or nothing (off)",
                ),
            };
        }
        "/transport/locate" => {
            return match args {
                [a] => match number(a) {
                    Some(s) if (0.0..=MAX_TIMELINE_S).contains(&s) => {
                        Some(Ok(OscCommand::Transport(TransportRequest::Locate(s))))
                    }
                    _ => bad("expected seconds, 0 to 86400"),
                },
                _ => bad("expected seconds, 0 to 86400"),
            };
        }
        _ => {}
    }
    // `/strip/1/eq/2/freq/pos 0.5`: a channel-strip setting by its control
    // position 0..1 on the setting's own scale (log for frequencies).
    if let Some(control) = m.addr.strip_suffix("/pos")
        && let Ok(address) = Address::parse(control)
        && let spec = address.param.spec()
        && spec.has_own_scale()
    {
        return match args {
            [a] => match number(a) {
                Some(p) if p.is_finite() => Some(Ok(OscCommand::Set {
                    address,
                    value: Value::Float(spec.value_at(p.clamp(0.0, 1.0))),
                })),
                _ => bad("expected a position 0..1"),
            },
            _ => bad("expected a position 0..1"),
        };
    }
    // `/strip/1/fader/touch 1` and TouchOSC's `/strip/1/fader/z 1`.
    for suffix in ["/touch", "/z"] {
        if let Some(control) = m.addr.strip_suffix(suffix)
            && let Ok(address) = Address::parse(control)
        {
            if !address.param.spec().ridden {
                return bad(
                    "only continuous controls (faders, levels, pans, trims, EQ and dynamics settings) can be touched",
                );
            }
            return match args {
                [a] => match number(a) {
                    Some(x) if x.is_finite() => Some(Ok(OscCommand::Touch {
                        address,
                        on: x >= 0.5,
                    })),
                    _ => bad("expected 0|1"),
                },
                _ => bad("expected 0|1"),
            };
        }
    }
    let Ok(address) = Address::parse(&m.addr) else {
        return Some(Err(OscError::UnknownAddress(m.addr.clone())));
    };
    let value = match args {
        [OscType::String(s)] => Value::Text(s.clone()),
        [OscType::Bool(b)] => Value::Bool(*b),
        [a] => match number(a) {
            Some(x) => Value::Float(x),
            None => return bad("expected one number, boolean or string argument"),
        },
        _ => return bad("expected one number, boolean or string argument"),
    };
    Some(Ok(OscCommand::Set { address, value }))
}

/// One outgoing OSC message.
#[derive(Debug, Clone, PartialEq)]
pub struct OscOut {
    /// OSC address, with its leading `/`.
    pub addr: String,
    /// The single argument.
    pub arg: OscType,
}

/// A control's value as a feedback argument: numbers as floats, switches
/// as ints 0|1, text as strings.
fn control_arg(value: &Value) -> OscType {
    match value {
        Value::Float(x) => OscType::Float(*x as f32),
        Value::Bool(b) => OscType::Int(i32::from(*b)),
        Value::Text(t) => OscType::String(t.clone()),
    }
}

impl OscOut {
    /// A control's value as feedback: numbers as floats, switches as ints
    /// 0|1, text as strings.
    pub fn control(address: Address, value: &Value) -> OscOut {
        OscOut {
            addr: format!("/{address}"),
            arg: control_arg(value),
        }
    }

    /// The message on the wire (`None` if it cannot be encoded).
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut buf = MessageBuf::default();
        buf.push(format_args!("{}", self.addr), &self.arg)
            .then_some(buf.bytes)
    }

    /// Any message, through the OSC library's encoder.
    fn encode_general(&self) -> Option<Vec<u8>> {
        rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: self.addr.clone(),
            args: vec![self.arg.clone()],
        }))
        .ok()
    }

    /// [`OscOut::control`], and for a channel-strip setting on its own
    /// scale (a frequency, a threshold ...) also its control position 0..1
    /// on `/ADDRESS/pos`, for apps whose knobs run 0..1.
    pub fn controls(address: Address, value: &Value) -> Vec<OscOut> {
        let mut out = vec![OscOut::control(address, value)];
        let spec = address.param.spec();
        if let (true, Value::Float(x)) = (spec.has_own_scale(), value) {
            out.push(OscOut {
                addr: format!("/{address}/pos"),
                arg: OscType::Float(spec.to_pos(*x) as f32),
            });
        }
        out
    }
}

/// Messages written one after another into one buffer (a tick's
/// feedback): no allocation per message, and no copy of an address or an
/// argument on the way. Feedback encodes every change of every tick, and a
/// general encoder's copies and allocations cost more than the rest of
/// building it.
#[derive(Debug, Default)]
pub struct MessageBuf {
    bytes: Vec<u8>,
    /// Where each message ends.
    ends: Vec<usize>,
}

impl MessageBuf {
    /// Number of messages.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// No message yet.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every message, in order.
    pub fn messages(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.message(i))
    }

    /// Message `i`, encoded.
    pub fn message(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// Append a control's feedback, the messages [`OscOut::controls`]
    /// gives; the range of their indices.
    pub fn push_controls(&mut self, address: Address, value: &Value) -> std::ops::Range<usize> {
        self.push_controls_at(&ControlAddresses::of(address), address, value)
    }

    /// [`Self::push_controls`] with the control's addresses already
    /// written out (a surface keeps them per control: formatting an
    /// address costs more than the rest of its message).
    pub fn push_controls_at(
        &mut self,
        at: &ControlAddresses,
        address: Address,
        value: &Value,
    ) -> std::ops::Range<usize> {
        let first = self.ends.len();
        let arg = control_arg(value);
        if !self.push_at(&at.control, &arg) {
            self.push(format_args!("/{address}"), &arg);
        }
        if let (Value::Float(x), Some(pos_at)) = (value, &at.pos) {
            let pos = OscType::Float(address.param.spec().to_pos(*x) as f32);
            if !self.push_at(pos_at, &pos) {
                self.push(format_args!("/{address}/pos"), &pos);
            }
        }
        first..self.ends.len()
    }

    /// Append one message with one argument; false (and nothing
    /// appended) if it cannot be encoded.
    pub fn push(&mut self, addr: std::fmt::Arguments<'_>, arg: &OscType) -> bool {
        let start = self.bytes.len();
        let written = std::io::Write::write_fmt(&mut self.bytes, addr).is_ok();
        let addr_end = self.bytes.len();
        if written && !self.bytes[start..].contains(&0) {
            terminate(&mut self.bytes);
            if self.put_arg(arg) {
                self.ends.push(self.bytes.len());
                return true;
            }
        }
        // Anything unusual: through the library, or not at all.
        let general = OscOut {
            addr: String::from_utf8_lossy(&self.bytes[start..addr_end]).into_owned(),
            arg: arg.clone(),
        }
        .encode_general();
        self.bytes.truncate(start);
        let Some(m) = general.filter(|_| written) else {
            return false;
        };
        self.bytes.extend_from_slice(&m);
        self.ends.push(self.bytes.len());
        true
    }

    /// Append a message at an address already encoded (padded); false
    /// (nothing appended) for an argument only the library encodes.
    fn push_at(&mut self, address: &[u8], arg: &OscType) -> bool {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(address);
        if self.put_arg(arg) {
            self.ends.push(self.bytes.len());
            true
        } else {
            self.bytes.truncate(start);
            false
        }
    }

    /// The type tag and the argument: floats, ints and strings without a
    /// NUL; false for anything else (the bytes written may then be
    /// partial: the caller truncates).
    fn put_arg(&mut self, arg: &OscType) -> bool {
        match arg {
            OscType::Float(x) => {
                self.bytes.extend_from_slice(b",f\0\0");
                self.bytes.extend_from_slice(&x.to_be_bytes());
            }
            OscType::Int(i) => {
                self.bytes.extend_from_slice(b",i\0\0");
                self.bytes.extend_from_slice(&i.to_be_bytes());
            }
            OscType::String(t) if !t.as_bytes().contains(&0) => {
                self.bytes.extend_from_slice(b",s\0\0");
                self.bytes.extend_from_slice(t.as_bytes());
                terminate(&mut self.bytes);
            }
            _ => return false,
        }
        true
    }
}

/// An OSC string's end: a NUL, then NULs to a 4-byte boundary (every
/// message starts on one).
fn terminate(out: &mut Vec<u8>) {
    out.resize((out.len() + 4) & !3, 0);
}

/// A control's feedback addresses, encoded: `/ADDRESS`, and `/ADDRESS/pos`
/// for a setting on its own scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlAddresses {
    control: Vec<u8>,
    pos: Option<Vec<u8>>,
}

impl ControlAddresses {
    /// The addresses of `address`'s feedback.
    pub fn of(address: Address) -> ControlAddresses {
        let padded = |s: String| {
            let mut b = s.into_bytes();
            terminate(&mut b);
            b
        };
        ControlAddresses {
            control: padded(format!("/{address}")),
            pos: address
                .param
                .spec()
                .has_own_scale()
                .then(|| padded(format!("/{address}/pos"))),
        }
    }
}

/// One datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Destination.
    pub to: std::net::SocketAddr,
    /// Encoded OSC (a bundle).
    pub bytes: Vec<u8>,
}

/// The "immediately" time tag (OSC 1.0: seconds 0, fraction 1).
pub const IMMEDIATELY: rosc::OscTime = rosc::OscTime {
    seconds: 0,
    fractional: 1,
};

const BUNDLE_HEADER: usize = 16; // "#bundle\0" + time tag

/// Pack `messages` into as few bundles as fit in `max_datagram` bytes each
/// (a message too big for any datagram on its own is dropped: it could not
/// be delivered). Order is kept.
pub fn encode_bundles(messages: &[OscOut], max_datagram: usize) -> Vec<Vec<u8>> {
    let encoded: Vec<Vec<u8>> = messages.iter().filter_map(OscOut::encode).collect();
    pack_bundles(&encoded, max_datagram)
}

/// Pack messages already encoded ([`OscOut::encode`]) into as few bundles
/// as fit in `max_datagram` bytes each, as [`encode_bundles`] does: feedback
/// encodes a change once and packs it for every subscriber.
pub fn pack_bundles<M: AsRef<[u8]>>(messages: &[M], max_datagram: usize) -> Vec<Vec<u8>> {
    let mut datagrams = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for m in messages {
        let bytes = m.as_ref();
        let element = 4 + bytes.len();
        if BUNDLE_HEADER + element > max_datagram {
            continue;
        }
        if !current.is_empty() && current.len() + element > max_datagram {
            datagrams.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.extend_from_slice(b"#bundle\0");
            current.extend_from_slice(&IMMEDIATELY.seconds.to_be_bytes());
            current.extend_from_slice(&IMMEDIATELY.fractional.to_be_bytes());
        }
        current.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        current.extend_from_slice(bytes);
    }
    if !current.is_empty() {
        datagrams.push(current);
    }
    datagrams
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::{Param, StripRef};
    use proptest::prelude::*;

    proptest! {
        /// Feedback's own encoder writes what the OSC library writes, for
        /// every kind of value feedback sends.
        #[test]
        fn feedback_encodes_as_the_osc_library_does(
            addr in "/[a-z0-9/]{0,40}",
            x in proptest::num::f32::ANY,
            i in proptest::num::i32::ANY,
            text in "[ -~]{0,20}",
            kind in 0u8..3,
        ) {
            let arg = match kind {
                0 => OscType::Float(x),
                1 => OscType::Int(i),
                _ => OscType::String(text),
            };
            let m = OscOut { addr, arg };
            prop_assert_eq!(m.encode(), m.encode_general());
        }
    }

    #[test]
    fn a_tick_buffer_holds_each_controls_messages_as_encoded_alone() {
        let mut buf = MessageBuf::default();
        let cases = [
            ("strip/3/fader", Value::Float(0.62)),
            ("strip/3/eq/2/freq", Value::Float(1200.0)),
            ("bus/1/mute", Value::Bool(true)),
            ("strip/2/name", Value::Text("Kick \0 In".into())),
        ];
        for (addr, value) in cases {
            let a = Address::parse(addr).unwrap();
            let range = buf.push_controls(a, &value);
            // From addresses written out once, the same bytes.
            let kept = ControlAddresses::of(a);
            let again = buf.push_controls_at(&kept, a, &value);
            assert_eq!(
                again
                    .clone()
                    .map(|i| buf.message(i).to_vec())
                    .collect::<Vec<_>>(),
                range
                    .clone()
                    .map(|i| buf.message(i).to_vec())
                    .collect::<Vec<_>>(),
            );
            let alone: Vec<Vec<u8>> = OscOut::controls(a, &value)
                .iter()
                .filter_map(OscOut::encode_general)
                .collect();
            let here: Vec<Vec<u8>> = range.map(|i| buf.message(i).to_vec()).collect();
            assert_eq!(here, alone, "{addr}");
        }
    }

    fn set(addr: &str, value: Value) -> Result<OscCommand, OscError> {
        Ok(OscCommand::Set {
            address: Address::parse(addr).unwrap(),
            value,
        })
    }

    fn msg(addr: &str, args: Vec<OscType>) -> Vec<u8> {
        rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        }))
        .unwrap()
    }

    #[test]
    fn golden_fader_message() {
        // oscsend localhost 8000 /strip/1/fader f 0.5
        let bytes = b"/strip/1/fader\0\0,f\0\0\x3f\x00\x00\x00";
        assert_eq!(
            decode(bytes),
            vec![Ok(OscCommand::Set {
                address: Address::new(StripRef::Track(0), Param::Fader),
                value: Value::Float(0.5)
            })]
        );
    }

    #[test]
    fn a_position_sets_a_strip_setting_on_its_own_scale() {
        // Frequencies run logarithmically: the middle of 20 Hz..20 kHz is
        // their geometric mean.
        let got = decode(&msg("/strip/2/eq/3/freq/pos", vec![OscType::Float(0.5)]));
        let Some(Ok(OscCommand::Set {
            address,
            value: Value::Float(hz),
        })) = got.first().cloned()
        else {
            panic!("{got:?}");
        };
        assert_eq!(address, Address::parse("strip/2/eq/3/freq").unwrap());
        assert!((hz - (20.0f64 * 20_000.0).sqrt()).abs() < 0.01, "{hz}");
        // Gains run linearly: 0.75 of -18..+18 dB is +9.
        assert_eq!(
            decode(&msg("/strip/1/eq/1/gain/pos", vec![OscType::Float(0.75)])),
            vec![set("strip/1/eq/1/gain", Value::Float(9.0))]
        );
        // Settings without a scale of their own have no position form.
        assert_eq!(
            decode(&msg("/strip/1/mute/pos", vec![OscType::Float(1.0)])),
            vec![Err(OscError::UnknownAddress("/strip/1/mute/pos".into()))]
        );
        // Feedback carries both forms.
        let out = OscOut::controls(
            Address::parse("strip/1/comp/ratio").unwrap(),
            &Value::Float(20.0),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].addr, "/strip/1/comp/ratio/pos");
        assert_eq!(out[1].arg, OscType::Float(1.0));
    }

    #[test]
    fn golden_feedback_bundle() {
        let out = [OscOut {
            addr: "/strip/1/mute".into(),
            arg: OscType::Int(1),
        }];
        let got = encode_bundles(&out, DEFAULT_MAX_DATAGRAM);
        let mut want = b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x18".to_vec();
        want.extend_from_slice(b"/strip/1/mute\0\0\0,i\0\0\0\0\0\x01");
        assert_eq!(got, vec![want]);
    }

    #[test]
    fn eq_response_names_a_strip() {
        use crate::mixer::StripRef;
        let ask = |t: &str| decode(&msg("/eq/response", vec![OscType::String(t.into())]));
        assert_eq!(
            ask("strip/2"),
            vec![Ok(OscCommand::EqResponse(StripRef::Track(1)))]
        );
        assert_eq!(
            ask("/bus/1"),
            vec![Ok(OscCommand::EqResponse(StripRef::Bus(0)))]
        );
        assert_eq!(
            ask("master"),
            vec![Ok(OscCommand::EqResponse(StripRef::Master))]
        );
        assert!(ask("strip/x").first().is_some_and(Result::is_err));
        assert!(
            decode(&msg("/eq/response", vec![]))
                .first()
                .is_some_and(Result::is_err)
        );
        assert_eq!(
            decode(&msg(
                "/dyn/response",
                vec![OscType::String("strip/1".into())]
            )),
            vec![Ok(OscCommand::DynResponse(StripRef::Track(0)))]
        );
        assert_eq!(
            decode(&msg(
                "/automation/lanes",
                vec![OscType::String("bus/2".into())]
            )),
            vec![Ok(OscCommand::Lanes {
                strip: StripRef::Bus(1),
                view: None
            })]
        );
        assert_eq!(
            decode(&msg(
                "/automation/lanes",
                vec![
                    OscType::String("strip/3".into()),
                    OscType::Float(12.5),
                    OscType::Double(42.5),
                    OscType::Int(880),
                ]
            )),
            vec![Ok(OscCommand::Lanes {
                strip: StripRef::Track(2),
                view: crate::mixer::automation::TimelineView::new(12.5, 42.5, 880),
            })]
        );
        for bad_view in [
            vec![OscType::Float(5.0), OscType::Float(5.0), OscType::Int(10)],
            vec![
                OscType::Float(0.0),
                OscType::Float(f32::INFINITY),
                OscType::Int(10),
            ],
            vec![OscType::Float(0.0), OscType::Float(1.0), OscType::Int(0)],
            vec![
                OscType::Float(0.0),
                OscType::Float(1.0),
                OscType::Int(100_000),
            ],
            vec![
                OscType::Float(0.0),
                OscType::Float(1.0),
                OscType::Float(10.5),
            ],
            vec![OscType::Float(0.0), OscType::Float(1.0)],
        ] {
            let mut args = vec![OscType::String("strip/1".into())];
            args.extend(bad_view.clone());
            assert!(
                decode(&msg("/automation/lanes", args))
                    .first()
                    .is_some_and(Result::is_err),
                "{bad_view:?}"
            );
        }
        // The strip alone: not one of its controls.
        assert!(ask("strip/1/fader").first().is_some_and(Result::is_err));
        assert!(ask("strip/0").first().is_some_and(Result::is_err));
    }

    #[test]
    fn the_loudness_history_is_asked_without_arguments() {
        assert_eq!(
            decode(&msg("/master/loudness/history", vec![])),
            vec![Ok(OscCommand::LoudnessHistory)]
        );
        assert!(
            decode(&msg("/master/loudness/history", vec![OscType::Int(1)]))
                .first()
                .is_some_and(Result::is_err)
        );
    }

    #[test]
    fn the_lanes_menu_and_a_lane_added_name_their_strip_and_lane() {
        use crate::model::LaneParam;
        let s = |t: &str| OscType::String(t.into());
        assert_eq!(
            decode(&msg("/automation/choices", vec![s("master")])),
            vec![Ok(OscCommand::LaneChoices(StripRef::Master))]
        );
        assert_eq!(
            decode(&msg(
                "/automation/add_lane",
                vec![s("strip/3"), s("eq/2/freq")]
            )),
            vec![Ok(OscCommand::AddLane {
                strip: StripRef::Track(2),
                lane: LaneParam::from_name("eq/2/freq").unwrap(),
            })]
        );
        for bad in [
            vec![s("strip/3")],
            vec![s("strip/3"), s("eq/9/freq")],
            vec![s("strip/x"), s("gain")],
        ] {
            assert!(
                decode(&msg("/automation/add_lane", bad.clone()))[0].is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_lane_edit_carries_its_span_and_points_as_the_lanes_reply_does() {
        use crate::model::LaneParam;
        let blob: Vec<u8> = [2.5f32, 0.25, 3.0, 1.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        // STRIP LANE FROM TO [POINTS]
        let edit =
            |strip: &str, lane: &str, from: OscType, to: OscType, points: Option<Vec<u8>>| {
                let mut args = vec![
                    OscType::String(strip.into()),
                    OscType::String(lane.into()),
                    from,
                    to,
                ];
                args.extend(points.map(OscType::Blob));
                args
            };
        let ask = |args| decode(&msg("/automation/edit", args));
        assert_eq!(
            ask(edit(
                "bus/1",
                "pan",
                OscType::Float(2.0),
                OscType::Int(4),
                Some(blob.clone())
            )),
            vec![Ok(OscCommand::EditLane {
                strip: StripRef::Bus(0),
                lane: LaneParam::Pan,
                edit: crate::mixer::automation::LaneEdit {
                    from_s: 2.0,
                    to_s: 4.0,
                    points: vec![[2.5, 0.25], [3.0, 1.0]],
                },
            })]
        );
        let (one, two) = (OscType::Float(1.0), OscType::Float(2.0));
        // Deleting: an empty blob.
        assert!(
            ask(edit(
                "strip/1",
                "gain",
                one.clone(),
                one.clone(),
                Some(Vec::new())
            ))[0]
                .is_ok()
        );
        for bad in [
            // A ragged blob, a lane that is no lane, no blob.
            edit(
                "strip/1",
                "gain",
                one.clone(),
                two.clone(),
                Some(blob[..6].to_vec()),
            ),
            edit(
                "strip/1",
                "volume",
                one.clone(),
                two.clone(),
                Some(blob.clone()),
            ),
            edit("strip/1", "gain", one.clone(), two.clone(), None),
        ] {
            assert!(ask(bad.clone())[0].is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lane_mode_names_the_strip_the_lane_and_the_mode() {
        use crate::model::{AutomationMode, LaneParam};
        let s = |t: &str| OscType::String(t.into());
        let ask = |args| decode(&msg("/automation/lane_mode", args));
        assert_eq!(
            ask(vec![s("strip/2"), s("send/1/gain"), s("latch")]),
            vec![Ok(OscCommand::LaneMode {
                strip: StripRef::Track(1),
                lane: LaneParam::SendGain(0),
                mode: Some(AutomationMode::Latch),
            })]
        );
        assert_eq!(
            ask(vec![s("master"), s("gain"), s("strip")]),
            vec![Ok(OscCommand::LaneMode {
                strip: StripRef::Master,
                lane: LaneParam::Gain,
                mode: None,
            })]
        );
        for bad in [
            vec![s("strip/1"), s("fader"), s("read")],
            vec![s("strip/1"), s("gain"), s("sideways")],
            vec![s("strip/0"), s("gain"), s("read")],
            vec![s("strip/1"), s("gain")],
        ] {
            assert!(ask(bad.clone())[0].is_err(), "{bad:?}");
        }
    }

    #[test]
    fn remove_track_takes_a_number_from_one() {
        let remove = |args| decode(&msg("/session/remove_track", args));
        assert_eq!(
            remove(vec![OscType::Int(3)]),
            vec![Ok(OscCommand::RemoveTrack(2))]
        );
        assert_eq!(
            remove(vec![OscType::Float(1.0)]),
            vec![Ok(OscCommand::RemoveTrack(0))]
        );
        for bad in [
            vec![],
            vec![OscType::Int(0)],
            vec![OscType::Float(1.5)],
            vec![OscType::Float(f32::NAN)],
            vec![OscType::String("Kick".into())],
            vec![OscType::Int(1), OscType::Int(2)],
        ] {
            assert!(remove(bad.clone())[0].is_err(), "{bad:?}");
        }
    }

    #[test]
    fn add_track_takes_a_name_and_maybe_stereo() {
        let add = |args| decode(&msg("/session/add_track", args));
        assert_eq!(
            add(vec![OscType::String("Gtr".into())]),
            vec![Ok(OscCommand::AddTrack {
                name: "Gtr".into(),
                stereo: false
            })]
        );
        assert_eq!(
            add(vec![OscType::String("Keys".into()), OscType::Int(1)]),
            vec![Ok(OscCommand::AddTrack {
                name: "Keys".into(),
                stereo: true
            })]
        );
        assert!(add(vec![]).first().is_some_and(Result::is_err));
        assert!(
            add(vec![OscType::Float(1.0)])
                .first()
                .is_some_and(Result::is_err)
        );
        assert!(
            add(vec![OscType::String("X".into()), OscType::Float(f32::NAN)])
                .first()
                .is_some_and(Result::is_err)
        );
    }

    #[test]
    fn touch_subscribe_and_transport_messages() {
        assert_eq!(
            decode(&msg("/strip/2/fader/touch", vec![OscType::Int(1)])),
            vec![Ok(OscCommand::Touch {
                address: Address::parse("strip/2/fader").unwrap(),
                on: true
            })]
        );
        assert_eq!(
            decode(&msg("/bus/1/send/2/gain/z", vec![OscType::Float(0.0)])),
            vec![Ok(OscCommand::Touch {
                address: Address::parse("bus/1/send/2/gain").unwrap(),
                on: false
            })]
        );
        assert!(matches!(
            decode(&msg("/strip/2/mute/touch", vec![OscType::Int(1)]))[0],
            Err(OscError::BadArguments { .. })
        ));
        assert_eq!(
            decode(&msg(
                "/subscribe",
                vec![OscType::Int(9000), OscType::Float(1.0)]
            )),
            vec![Ok(OscCommand::Subscribe {
                port: Some(9000),
                meters: MeterStyle::Messages
            })]
        );
        assert_eq!(
            decode(&msg("/subscribe", vec![])),
            vec![Ok(OscCommand::Subscribe {
                port: None,
                meters: MeterStyle::Off
            })]
        );
        assert!(decode(&msg("/subscribe", vec![OscType::Int(70000)]))[0].is_err());
        assert_eq!(
            decode(&msg("/transport/play", vec![OscType::Float(1.0)])),
            vec![Ok(OscCommand::Transport(TransportRequest::Play))]
        );
        // A button's release is not a second command.
        assert_eq!(
            decode(&msg("/transport/play", vec![OscType::Float(0.0)])),
            vec![]
        );
        assert_eq!(
            decode(&msg("/transport/locate", vec![OscType::Int(12)])),
            vec![Ok(OscCommand::Transport(TransportRequest::Locate(12.0)))]
        );
        assert!(decode(&msg("/transport/locate", vec![OscType::Float(f32::NAN)]))[0].is_err());
        assert!(decode(&msg("/transport/locate", vec![OscType::Float(-1.0)]))[0].is_err());
        assert_eq!(
            decode(&msg(
                "/transport/loop",
                vec![OscType::Int(2), OscType::Float(4.5)]
            )),
            vec![Ok(OscCommand::Transport(TransportRequest::Loop(Some((
                2.0, 4.5
            )))))]
        );
        assert_eq!(
            decode(&msg("/transport/loop", vec![])),
            vec![Ok(OscCommand::Transport(TransportRequest::Loop(None)))]
        );
        assert!(
            decode(&msg(
                "/transport/loop",
                vec![OscType::Float(3.0), OscType::Float(1.0)]
            ))[0]
                .is_err()
        );
        assert_eq!(
            decode(&msg("/automation/undo", vec![OscType::Int(1)])),
            vec![Ok(OscCommand::UndoAutomation)]
        );
        assert!(decode(&msg("/automation/undo", vec![OscType::Int(0)])).is_empty());
    }

    #[test]
    fn int_arguments_count_as_numbers_and_bundles_flatten() {
        let m = |addr: &str, arg| {
            OscPacket::Message(OscMessage {
                addr: addr.into(),
                args: vec![arg],
            })
        };
        let bundle = OscPacket::Bundle(rosc::OscBundle {
            timetag: IMMEDIATELY,
            content: vec![
                m("/strip/2/mute", OscType::Int(1)),
                m("/nope", OscType::Int(1)),
            ],
        });
        let got = decode(&rosc::encoder::encode(&bundle).unwrap());
        assert_eq!(got[0], set("strip/2/mute", Value::Float(1.0)));
        assert_eq!(got[1], Err(OscError::UnknownAddress("/nope".into())));
    }

    #[test]
    fn wrong_argument_counts_and_types_are_refused() {
        for bytes in [
            msg("/strip/1/fader", vec![]),
            msg(
                "/strip/1/fader",
                vec![OscType::Float(1.0), OscType::Float(1.0)],
            ),
            msg("/strip/1/fader", vec![OscType::Blob(vec![1, 2])]),
        ] {
            assert!(matches!(
                decode(&bytes)[0],
                Err(OscError::BadArguments { .. })
            ));
        }
    }

    #[test]
    fn deep_bundles_are_refused() {
        let mut p = OscPacket::Message(OscMessage {
            addr: "/master/mute".into(),
            args: vec![OscType::Int(1)],
        });
        for _ in 0..10 {
            p = OscPacket::Bundle(rosc::OscBundle {
                timetag: IMMEDIATELY,
                content: vec![p],
            });
        }
        let got = decode(&rosc::encoder::encode(&p).unwrap());
        assert_eq!(got, vec![Err(OscError::TooLarge(Bound::Depth))]);
    }

    /// A bundle nested thousands deep, built by hand (rosc's encoder would
    /// recurse as deep): refused at the bound without recursing further.
    #[test]
    fn a_bundle_nested_thousands_deep_is_refused_without_recursion() {
        let mut p = msg("/master/mute", vec![OscType::Int(1)]);
        for _ in 0..3000 {
            let mut b = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
            b.extend((p.len() as u32).to_be_bytes());
            b.extend(&p);
            p = b;
        }
        assert!(p.len() < MAX_PACKET_BYTES);
        // On a thread with a small stack: any recursion per level would
        // overflow it.
        let got = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || decode(&p))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(got, vec![Err(OscError::TooLarge(Bound::Depth))]);
    }

    #[test]
    fn arguments_past_their_bounds_are_refused() {
        let nested = {
            // ",[[[i]]]" with one int.
            let mut b = b"/strip/1/name\0\0\0,[[[i]]]\0\0\0\0".to_vec();
            b.extend(1i32.to_be_bytes());
            b
        };
        assert_eq!(
            decode(&nested),
            vec![Err(OscError::TooLarge(Bound::Arguments))]
        );
        let many = msg("/strip/1/fader", vec![OscType::Int(1); MAX_ARGUMENTS + 1]);
        assert_eq!(
            decode(&many),
            vec![Err(OscError::TooLarge(Bound::Arguments))]
        );
        let long_name = msg(
            "/strip/1/name",
            vec![OscType::String("x".repeat(MAX_STRING_BYTES + 1))],
        );
        assert_eq!(
            decode(&long_name),
            vec![Err(OscError::TooLarge(Bound::String))]
        );
        let blob = msg(
            "/strip/1/name",
            vec![OscType::Blob(vec![0; MAX_STRING_BYTES + 1])],
        );
        assert_eq!(decode(&blob), vec![Err(OscError::TooLarge(Bound::String))]);
        let long_addr = msg(&format!("/{}", "a".repeat(MAX_ADDRESS_BYTES)), vec![]);
        assert_eq!(
            decode(&long_addr),
            vec![Err(OscError::TooLarge(Bound::Address))]
        );
        // Just inside every bound: decoded as usual.
        let name = msg(
            "/strip/1/name",
            vec![OscType::String("x".repeat(MAX_STRING_BYTES))],
        );
        assert!(matches!(decode(&name)[..], [Ok(OscCommand::Set { .. })]));
        assert_eq!(
            decode(&vec![0u8; MAX_PACKET_BYTES]),
            vec![Err(OscError::TooLarge(Bound::Packet))]
        );
    }

    #[test]
    fn truncated_bundles_are_malformed() {
        for bytes in [
            &b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\xff\xff"[..],
            &b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x10/a\0\0"[..],
            &b"#bundle\0\0\0\0"[..],
        ] {
            assert!(
                matches!(decode(bytes)[..], [Err(OscError::Malformed(_))]),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn huge_bundles_are_refused_whole() {
        let content = (0..2000)
            .map(|i| {
                OscPacket::Message(OscMessage {
                    addr: "/strip/1/fader".into(),
                    args: vec![OscType::Float(i as f32 / 2000.0)],
                })
            })
            .collect();
        let p = OscPacket::Bundle(rosc::OscBundle {
            timetag: IMMEDIATELY,
            content,
        });
        let got = decode(&rosc::encoder::encode(&p).unwrap());
        assert_eq!(got, vec![Err(OscError::TooLarge(Bound::Messages))]);
    }

    #[test]
    fn feedback_splits_into_datagrams_that_fit() {
        let out: Vec<OscOut> = (1..=100)
            .map(|n| OscOut {
                addr: format!("/strip/{n}/fader"),
                arg: OscType::Float(0.75),
            })
            .collect();
        let grams = encode_bundles(&out, 512);
        assert!(grams.len() > 1);
        let mut seen = Vec::new();
        for g in &grams {
            assert!(g.len() <= 512);
            for item in decode(g) {
                let Ok(OscCommand::Set { address, .. }) = item else {
                    panic!("bad item");
                };
                seen.push(format!("/{address}"));
            }
        }
        let want: Vec<String> = out.iter().map(|o| o.addr.clone()).collect();
        assert_eq!(seen, want);
    }

    fn any_control() -> impl Strategy<Value = (Address, Value)> {
        let strip = prop_oneof![
            (0usize..64).prop_map(StripRef::Track),
            (0usize..16).prop_map(StripRef::Bus),
            Just(StripRef::Master),
        ];
        let pv = prop_oneof![
            (0.0f32..=1.0).prop_map(|x| (Param::Fader, Value::Float(f64::from(x)))),
            (-90.0f32..10.0).prop_map(|x| (Param::Gain, Value::Float(f64::from(x)))),
            (0.0f32..=1.0).prop_map(|x| (Param::Pan, Value::Float(f64::from(x)))),
            "[a-zA-Z0-9 ]{0,20}".prop_map(|s| (Param::Name, Value::Text(s))),
        ];
        (strip, pv).prop_map(|(s, (p, v))| (Address::new(s, p), v))
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn feedback_decodes_to_what_was_encoded(
            controls in proptest::collection::vec(any_control(), 1..60),
            max in 128usize..2000,
        ) {
            let out: Vec<OscOut> =
                controls.iter().map(|(a, v)| OscOut::control(*a, v)).collect();
            let mut back = Vec::new();
            for g in encode_bundles(&out, max) {
                prop_assert!(g.len() <= max);
                back.extend(decode(&g));
            }
            let want: Vec<_> = controls
                .iter()
                .filter(|(a, v)| 16 + 4 + rosc::encoder::encode(&OscPacket::Message(OscMessage {
                    addr: format!("/{a}"),
                    args: vec![OscOut::control(*a, v).arg],
                })).unwrap().len() <= max)
                .map(|(a, v)| Ok(OscCommand::Set { address: *a, value: v.clone() }))
                .collect();
            prop_assert_eq!(back, want);
        }
    }
}
