//! Surface MIDI that travels through the audio backend's own MIDI ports
//! (JACK MIDI): whole messages as fixed-size packets on wait-free SPSC
//! queues, so the real-time side neither allocates nor locks.
//!
//! The audio thread owns a [`MidiRt`]; the hub thread owns the matching
//! [`MidiLink`] and hands the bytes to surface codecs. A message longer than
//! [`MAX_MIDI_MESSAGE`] bytes (a bulk SysEx dump, never a surface message)
//! is dropped and counted, as is anything that finds its queue full.

use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};

/// Longest message carried, in bytes. A Mackie Control full-width
/// scribble-strip write is 120 bytes.
pub const MAX_MIDI_MESSAGE: usize = 256;
/// Packets each queue holds. At 64-frame periods a surface would have to
/// send more than 1,000 messages per period to fill it.
pub const MIDI_QUEUE_CAPACITY: usize = 2048;

/// One MIDI message and the port it came from or goes to.
#[derive(Clone, Copy)]
pub struct MidiPacket {
    /// Index of the port pair in [`MidiPorts::names`].
    pub port: u8,
    /// Frame within the period it arrived at (inbound; 0 outbound).
    pub frame: u32,
    /// When it arrived, on the engine's clocks (inbound on a backend that
    /// runs the engine; `None` otherwise).
    pub at: Option<Arrival>,
    len: u16,
    data: [u8; MAX_MIDI_MESSAGE],
}

impl MidiPacket {
    /// A packet holding `bytes`, or `None` when they do not fit.
    pub fn new(port: u8, frame: u32, bytes: &[u8]) -> Option<MidiPacket> {
        if bytes.len() > MAX_MIDI_MESSAGE {
            return None;
        }
        let mut data = [0u8; MAX_MIDI_MESSAGE];
        data[..bytes.len()].copy_from_slice(bytes);
        Some(MidiPacket {
            port,
            frame,
            at: None,
            len: bytes.len() as u16,
            data,
        })
    }

    /// The message bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for MidiPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidiPacket")
            .field("port", &self.port)
            .field("frame", &self.frame)
            .field("bytes", &self.bytes())
            .finish()
    }
}

/// When an inbound message arrived, on the engine's clocks: lets the hub
/// (which sees it a little later) place it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// The engine's sample clock at the message.
    pub clock: u64,
    /// The transport's timeline frame at the message, if it was rolling.
    pub timeline: Option<u64>,
    /// The sample-clock frame a change made by this message is heard at:
    /// one backend period after it, the soonest every message of a period
    /// can be placed at its own offset, so all are heard equally late.
    pub apply_at: u64,
}

/// Names of the MIDI port pairs a backend opens: pair `i` is
/// "`name` in" and "`name` out".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MidiPorts {
    /// One name per surface connection.
    pub names: Vec<String>,
}

/// Counters shared by both sides.
#[derive(Debug, Default)]
pub struct MidiStats {
    /// Messages received from the ports.
    pub received: AtomicU64,
    /// Messages written to the ports.
    pub sent: AtomicU64,
    /// Messages dropped: a full queue, or a full port buffer.
    pub dropped: AtomicU64,
    /// Messages received and refused: empty, or longer than
    /// [`MAX_MIDI_MESSAGE`] (a bulk dump or garbage, never a surface's).
    pub refused: AtomicU64,
    /// Per port pair: something is connected to its input (the device is
    /// there). Written by the backend's supervisor, read by the hub.
    pub connected: [AtomicBool; 16],
    /// Per port pair, the MIDI channels (bit per channel) whose pitch
    /// bends the backend sends straight back out of the same pair in the
    /// same cycle: the motor faders of an online Mackie unit, which must
    /// follow the hand. Written by the hub.
    pub echo_pitch_bends: [AtomicU16; 16],
    /// The backend honours `echo_pitch_bends` (JACK does; the hub echoes
    /// itself otherwise).
    pub backend_echoes: AtomicBool,
}

/// The audio thread's side.
#[derive(Debug)]
pub struct MidiRt {
    to_hub: Producer<MidiPacket>,
    from_hub: Consumer<MidiPacket>,
    stats: Arc<MidiStats>,
}

/// The hub thread's side.
#[derive(Debug)]
pub struct MidiLink {
    from_ports: Consumer<MidiPacket>,
    to_ports: Producer<MidiPacket>,
    stats: Arc<MidiStats>,
}

/// A connected pair of queues.
pub fn midi_queues() -> (MidiRt, MidiLink) {
    let (to_hub, from_ports) = RingBuffer::new(MIDI_QUEUE_CAPACITY);
    let (to_ports, from_hub) = RingBuffer::new(MIDI_QUEUE_CAPACITY);
    let stats = Arc::new(MidiStats::default());
    (
        MidiRt {
            to_hub,
            from_hub,
            stats: Arc::clone(&stats),
        },
        MidiLink {
            from_ports,
            to_ports,
            stats,
        },
    )
}

impl MidiRt {
    /// Counters and port presence, shared with the hub.
    pub fn stats(&self) -> &Arc<MidiStats> {
        &self.stats
    }

    /// Pass a received message to the hub; one that is empty or too long
    /// is refused (counted) before anything is copied. Real-time safe.
    pub fn received(&mut self, port: u8, frame: u32, bytes: &[u8], at: Option<Arrival>) {
        let counter = match MidiPacket::new(port, frame, bytes) {
            Some(mut p) if !bytes.is_empty() => {
                p.at = at;
                if self.to_hub.push(p).is_ok() {
                    &self.stats.received
                } else {
                    &self.stats.dropped
                }
            }
            _ => &self.stats.refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Say that this backend echoes pitch bends where asked.
    pub fn set_backend_echoes(&self) {
        self.stats.backend_echoes.store(true, Ordering::Relaxed);
    }

    /// If a message just received on port pair `port` is to be echoed
    /// straight back (a pitch bend where the hub asked for that), the
    /// bytes to send. Real-time safe.
    pub fn echo_of(&self, port: u8, bytes: &[u8]) -> Option<[u8; 3]> {
        let channels = self
            .stats
            .echo_pitch_bends
            .get(usize::from(port))?
            .load(Ordering::Relaxed);
        match bytes {
            [status, lsb, msb]
                if status & 0xF0 == 0xE0 && channels & (1 << (status & 0x0F)) != 0 =>
            {
                Some([*status, *lsb, *msb])
            }
            _ => None,
        }
    }

    /// The next message the hub wants sent, if any. Real-time safe.
    pub fn next_outgoing(&mut self) -> Option<MidiPacket> {
        self.from_hub.pop().ok()
    }

    /// Count a message written to a port (`true`) or lost there.
    pub fn note_written(&self, ok: bool) {
        let counter = if ok {
            &self.stats.sent
        } else {
            &self.stats.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl MidiLink {
    /// The next message received on any port.
    pub fn recv(&mut self) -> Option<MidiPacket> {
        self.from_ports.pop().ok()
    }

    /// Queue `bytes` for port pair `port`; false (and counted) when it is
    /// too long or the queue is full.
    pub fn send(&mut self, port: u8, bytes: &[u8]) -> bool {
        let ok = MidiPacket::new(port, 0, bytes).is_some_and(|p| self.to_ports.push(p).is_ok());
        if !ok {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Counters.
    pub fn stats(&self) -> &Arc<MidiStats> {
        &self.stats
    }

    /// Ask the backend to echo pitch bends on port pair `port`'s MIDI
    /// `channels` (bit per channel; 0: none); true when it will (then the
    /// hub must not).
    pub fn echo_pitch_bends(&self, port: u8, channels: u16) -> bool {
        if let Some(c) = self.stats.echo_pitch_bends.get(usize::from(port)) {
            c.store(channels, Ordering::Relaxed);
        }
        self.stats.backend_echoes.load(Ordering::Relaxed)
    }

    /// True when a device is connected to port pair `port`'s input.
    pub fn is_connected(&self, port: u8) -> bool {
        self.stats
            .connected
            .get(usize::from(port))
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cross_whole_and_oversized_ones_are_counted() {
        let (mut rt, mut link) = midi_queues();
        rt.received(1, 17, &[0x90, 0x68, 0x7f], None);
        let sysex: Vec<u8> = [0xf0, 0, 0, 0x66, 0x14, 0x12, 0]
            .into_iter()
            .chain(std::iter::repeat_n(b'A', 112))
            .chain([0xf7])
            .collect();
        assert!(link.send(0, &sysex));
        assert!(!link.send(0, &[0u8; MAX_MIDI_MESSAGE + 1]));
        let got = link.recv().unwrap();
        assert_eq!(
            (got.port, got.frame, got.bytes()),
            (1, 17, &[0x90, 0x68, 0x7f][..])
        );
        assert_eq!(rt.next_outgoing().unwrap().bytes(), &sysex[..]);
        assert!(rt.next_outgoing().is_none());
        assert_eq!(link.stats().dropped.load(Ordering::Relaxed), 1);
        assert_eq!(link.stats().received.load(Ordering::Relaxed), 1);
        rt.received(0, 0, &[], None);
        rt.received(0, 0, &[0xF0; MAX_MIDI_MESSAGE + 1], None);
        assert_eq!(link.stats().refused.load(Ordering::Relaxed), 2);
        assert!(link.recv().is_none());
    }
}
