//! MIDI Time Code: a pure codec (quarter-frame and full-frame messages,
//! 24, 25, 29.97 drop-frame and 30 fps) and [`MtcChase`], which makes the
//! transport chase an incoming MTC stream.
//!
//! Chasing: a full-frame message locates the transport. Quarter frames
//! come 4 per frame; every 8 of them (2 frames) carry a whole time code,
//! which was valid when the first of them was sent, so the time at the
//! eighth is that plus 1.75 frames. The first whole code after silence
//! locates and starts the transport (lock); later ones only relocate when
//! the transport is more than [`MtcChase::tolerance_frames`] off. When
//! quarter frames stop for [`DROPOUT_FRAMES`] frames the transport stops
//! (drop-out). Quarter frames running backwards are ignored.
//!
//! Thread: hub.

use crate::mixer::{Hub, TransportCmd};
use std::time::{Duration, Instant};

/// Frame rates MTC can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtcRate {
    /// 24 fps (film).
    Fps24,
    /// 25 fps (PAL).
    Fps25,
    /// 29.97 fps drop-frame (NTSC).
    Fps2997Df,
    /// 30 fps.
    Fps30,
}

impl MtcRate {
    /// Frames per second.
    pub fn fps(self) -> f64 {
        match self {
            MtcRate::Fps24 => 24.0,
            MtcRate::Fps25 => 25.0,
            MtcRate::Fps2997Df => 30_000.0 / 1001.0,
            MtcRate::Fps30 => 30.0,
        }
    }

    fn code(self) -> u8 {
        match self {
            MtcRate::Fps24 => 0,
            MtcRate::Fps25 => 1,
            MtcRate::Fps2997Df => 2,
            MtcRate::Fps30 => 3,
        }
    }

    fn from_code(c: u8) -> MtcRate {
        match c & 3 {
            0 => MtcRate::Fps24,
            1 => MtcRate::Fps25,
            2 => MtcRate::Fps2997Df,
            _ => MtcRate::Fps30,
        }
    }

    /// Nominal frames per second in the time code's numbering (30 for 29.97).
    fn nominal(self) -> u32 {
        match self {
            MtcRate::Fps24 => 24,
            MtcRate::Fps25 => 25,
            MtcRate::Fps2997Df | MtcRate::Fps30 => 30,
        }
    }
}

/// A time code: hours, minutes, seconds, frames at a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timecode {
    /// 0..=23.
    pub hours: u8,
    /// 0..=59.
    pub minutes: u8,
    /// 0..=59.
    pub seconds: u8,
    /// 0..(fps).
    pub frames: u8,
    /// The rate.
    pub rate: MtcRate,
}

impl Timecode {
    /// Frames since 00:00:00:00 (drop-frame numbering skips frames 0 and 1
    /// of every minute but every tenth).
    pub fn frame_count(&self) -> u64 {
        let n = u64::from(self.rate.nominal());
        let total_minutes = u64::from(self.hours) * 60 + u64::from(self.minutes);
        let nominal = (total_minutes * 60 + u64::from(self.seconds)) * n + u64::from(self.frames);
        match self.rate {
            MtcRate::Fps2997Df => nominal - 2 * (total_minutes - total_minutes / 10),
            _ => nominal,
        }
    }

    /// The time code of frame `count` at `rate`.
    pub fn from_frame_count(count: u64, rate: MtcRate) -> Timecode {
        let n = u64::from(rate.nominal());
        let nominal = match rate {
            MtcRate::Fps2997Df => {
                // 17982 frames per 10 minutes, 1798 per dropped minute.
                let (tens, rest) = (count / 17_982, count % 17_982);
                let extra = if rest < 2 { 0 } else { 2 * ((rest - 2) / 1798) };
                count + 18 * tens + extra
            }
            _ => count,
        };
        let secs = nominal / n;
        Timecode {
            hours: ((secs / 3600) % 24) as u8,
            minutes: ((secs / 60) % 60) as u8,
            seconds: (secs % 60) as u8,
            frames: (nominal % n) as u8,
            rate,
        }
    }

    /// Seconds since 00:00:00:00.
    pub fn seconds(&self) -> f64 {
        self.frame_count() as f64 / self.rate.fps()
    }

    /// The full-frame SysEx for this time.
    pub fn full_frame(&self) -> [u8; 10] {
        [
            0xF0,
            0x7F,
            0x7F,
            0x01,
            0x01,
            (self.rate.code() << 5) | (self.hours & 0x1F),
            self.minutes & 0x3F,
            self.seconds & 0x3F,
            self.frames & 0x1F,
            0xF7,
        ]
    }

    /// The 8 quarter-frame messages (F1 xx) that carry this time, piece 0
    /// first: frames, seconds, minutes, hours (with the rate), low nibble
    /// then high.
    pub fn quarter_frames(&self) -> [[u8; 2]; 8] {
        let vals = [
            self.frames & 0x0F,
            (self.frames >> 4) & 0x01,
            self.seconds & 0x0F,
            (self.seconds >> 4) & 0x03,
            self.minutes & 0x0F,
            (self.minutes >> 4) & 0x03,
            self.hours & 0x0F,
            ((self.hours >> 4) & 0x01) | (self.rate.code() << 1),
        ];
        std::array::from_fn(|i| [0xF1, ((i as u8) << 4) | vals[i]])
    }
}

/// What a message meant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MtcEvent {
    /// A full-frame message: jump here.
    FullFrame(Timecode),
    /// The eighth quarter frame of a forward run: the time then, and the
    /// time code the run carried.
    Quarters(Timecode),
    /// A quarter frame (or a run broken by a missed or backward piece).
    Quarter,
}

/// Assembles quarter frames; parses full frames. Pure.
#[derive(Debug, Clone, Default)]
pub struct MtcDecoder {
    nibbles: [u8; 8],
    /// Pieces received in order since piece 0.
    run: u8,
}

impl MtcDecoder {
    /// One MIDI message (status byte first). `None` for anything that is
    /// not MTC.
    pub fn feed(&mut self, msg: &[u8]) -> Option<MtcEvent> {
        match msg {
            [0xF1, data] => {
                let piece = (data >> 4) & 7;
                let nibble = data & 0x0F;
                if piece == 0 {
                    self.run = 0;
                }
                if piece != self.run {
                    self.run = 0;
                    return Some(MtcEvent::Quarter);
                }
                self.nibbles[usize::from(piece)] = nibble;
                self.run += 1;
                if self.run < 8 {
                    return Some(MtcEvent::Quarter);
                }
                self.run = 0;
                let n = &self.nibbles;
                Some(MtcEvent::Quarters(Timecode {
                    frames: n[0] | ((n[1] & 1) << 4),
                    seconds: n[2] | ((n[3] & 3) << 4),
                    minutes: n[4] | ((n[5] & 3) << 4),
                    hours: n[6] | ((n[7] & 1) << 4),
                    rate: MtcRate::from_code(n[7] >> 1),
                }))
            }
            [0xF0, 0x7F, _, 0x01, 0x01, hr, mn, sc, fr, 0xF7] => {
                self.run = 0;
                Some(MtcEvent::FullFrame(Timecode {
                    hours: hr & 0x1F,
                    minutes: mn & 0x3F,
                    seconds: sc & 0x3F,
                    frames: fr & 0x1F,
                    rate: MtcRate::from_code(hr >> 5),
                }))
            }
            _ => None,
        }
    }
}

/// When a message arrived, on the engine's clocks (from the backend's MIDI
/// ports): the chase then does not depend on how late the hub sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    /// The engine's sample clock at the message.
    pub clock: u64,
    /// The transport's frame at the message, if it was rolling.
    pub timeline: Option<u64>,
}

/// Frames of silence after which a chased stream counts as stopped.
pub const DROPOUT_FRAMES: f64 = 3.0;

/// What the chaser reports (for `/status`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChaseStatus {
    /// Locked to a running stream.
    pub locked: bool,
    /// The stream's rate, frames per second (0 before any).
    pub fps: f64,
    /// First quarter frame to lock, last time it locked.
    pub lock_latency: Option<Duration>,
    /// Times it relocated while locked (drift or a jump).
    pub relocates: u64,
}

/// Makes the transport chase MTC. See the module docs.
#[derive(Debug)]
pub struct MtcChase {
    decoder: MtcDecoder,
    /// Relocate when the transport is off by more than this many frames.
    pub tolerance_frames: f64,
    last_quarter: Option<Instant>,
    first_quarter: Option<Instant>,
    status: ChaseStatus,
}

impl Default for MtcChase {
    fn default() -> MtcChase {
        MtcChase {
            decoder: MtcDecoder::default(),
            tolerance_frames: 1.0,
            last_quarter: None,
            first_quarter: None,
            status: ChaseStatus::default(),
        }
    }
}

impl MtcChase {
    /// The chase as it stands.
    pub fn status(&self) -> ChaseStatus {
        self.status
    }

    /// A MIDI message from the MTC port, seen by the hub at `now`; `heard`
    /// says when it arrived, if the backend knows.
    pub fn feed(&mut self, hub: &mut Hub, msg: &[u8], heard: Option<Heard>, now: Instant) {
        let Some(ev) = self.decoder.feed(msg) else {
            return;
        };
        let rate = f64::from(hub.sample_rate());
        match ev {
            MtcEvent::FullFrame(tc) => {
                // A jump (a locate on the master): go there, and wait for
                // quarter frames to roll.
                self.status.fps = tc.rate.fps();
                let frame = (tc.seconds() * rate).round() as u64;
                if self.status.locked {
                    self.status.relocates += 1;
                }
                hub.transport(TransportCmd::Locate(frame));
            }
            MtcEvent::Quarter => self.heard_quarter(now),
            MtcEvent::Quarters(tc) => {
                self.heard_quarter(now);
                self.status.fps = tc.rate.fps();
                let secs = tc.seconds() + 1.75 / tc.rate.fps();
                // Where the code was when the message arrived, and where it
                // is now: the frames the engine ran since.
                let at_arrival = (secs * rate).round() as u64;
                let since = heard.map_or(0, |h| hub.sample_clock().saturating_sub(h.clock));
                let target = at_arrival + since;
                let state = hub.transport_state();
                if !self.status.locked || !state.rolling {
                    hub.transport(TransportCmd::Locate(target));
                    hub.transport(TransportCmd::Play);
                    self.status.locked = true;
                    self.status.lock_latency = self.first_quarter.map(|t| now.duration_since(t));
                    tracing::info!(
                        "MTC: locked at {:02}:{:02}:{:02}:{:02} ({} fps)",
                        tc.hours,
                        tc.minutes,
                        tc.seconds,
                        tc.frames,
                        tc.rate.fps()
                    );
                    return;
                }
                // Compare like with like: the transport when the message
                // arrived (if known) with the code then.
                let (ours, theirs) = match heard.and_then(|h| h.timeline) {
                    Some(t) => (t, at_arrival),
                    None => (state.position_frames, target),
                };
                let off = (ours as f64 - theirs as f64).abs() / rate;
                if off * tc.rate.fps() > self.tolerance_frames {
                    self.status.relocates += 1;
                    hub.transport(TransportCmd::Locate(target));
                }
            }
        }
    }

    fn heard_quarter(&mut self, now: Instant) {
        if self.last_quarter.is_none() {
            self.first_quarter = Some(now);
        }
        self.last_quarter = Some(now);
    }

    /// Called at least every hub tick (the daemon calls it at each MIDI
    /// poll): a stream that went silent stops the transport.
    pub fn tick(&mut self, hub: &mut Hub, now: Instant) {
        let Some(last) = self.last_quarter else {
            return;
        };
        let fps = if self.status.fps > 0.0 {
            self.status.fps
        } else {
            25.0
        };
        if now.duration_since(last).as_secs_f64() * fps > DROPOUT_FRAMES {
            self.last_quarter = None;
            self.first_quarter = None;
            if self.status.locked {
                self.status.locked = false;
                hub.transport(TransportCmd::Stop);
                tracing::info!("MTC: the stream stopped; transport stopped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden_bytes() {
        let tc = Timecode {
            hours: 1,
            minutes: 2,
            seconds: 3,
            frames: 4,
            rate: MtcRate::Fps25,
        };
        assert_eq!(
            tc.full_frame(),
            [0xF0, 0x7F, 0x7F, 0x01, 0x01, 0x21, 0x02, 0x03, 0x04, 0xF7]
        );
        assert_eq!(
            tc.quarter_frames(),
            [
                [0xF1, 0x04],
                [0xF1, 0x10],
                [0xF1, 0x23],
                [0xF1, 0x30],
                [0xF1, 0x42],
                [0xF1, 0x50],
                [0xF1, 0x61],
                [0xF1, 0x72]
            ]
        );
        assert_eq!(tc.frame_count(), (3600 + 120 + 3) * 25 + 4);
    }

    #[test]
    fn drop_frame_numbering_skips_two_frames_a_minute_but_every_tenth() {
        let df = |m: u8, s: u8, f: u8| Timecode {
            hours: 0,
            minutes: m,
            seconds: s,
            frames: f,
            rate: MtcRate::Fps2997Df,
        };
        // 00:00:59;29 is followed by 00:01:00;02.
        assert_eq!(df(0, 59, 29).frame_count() + 1, df(1, 0, 2).frame_count());
        assert_eq!(
            Timecode::from_frame_count(df(0, 59, 29).frame_count() + 1, MtcRate::Fps2997Df),
            df(1, 0, 2)
        );
        // ... but 00:09:59;29 by 00:10:00;00.
        assert_eq!(df(9, 59, 29).frame_count() + 1, df(10, 0, 0).frame_count());
        // An hour of 29.97 df is 107892 frames, 3600 s of real time within 4 ms.
        let hour = Timecode {
            hours: 1,
            minutes: 0,
            seconds: 0,
            frames: 0,
            rate: MtcRate::Fps2997Df,
        };
        assert_eq!(hour.frame_count(), 107_892);
        assert!((hour.seconds() - 3600.0).abs() < 0.004);
    }

    #[test]
    fn a_broken_run_is_not_taken() {
        let tc = Timecode {
            hours: 0,
            minutes: 0,
            seconds: 1,
            frames: 0,
            rate: MtcRate::Fps30,
        };
        let q = tc.quarter_frames();
        let mut d = MtcDecoder::default();
        for m in &q[..5] {
            d.feed(m);
        }
        // Piece 6 missed: the run restarts at the next piece 0.
        assert_eq!(d.feed(&q[7]), Some(MtcEvent::Quarter));
        for m in &q[..7] {
            assert_eq!(d.feed(m), Some(MtcEvent::Quarter));
        }
        assert_eq!(d.feed(&q[7]), Some(MtcEvent::Quarters(tc)));
        assert_eq!(d.feed(&[0x90, 60, 100]), None);
    }

    proptest! {
        #[test]
        fn time_codes_round_trip_through_both_messages_and_frame_counts(
            count in 0u64..2_000_000, rate in 0u8..4
        ) {
            let rate = MtcRate::from_code(rate);
            let count = count % (24 * 3600 * rate.fps() as u64);
            let tc = Timecode::from_frame_count(count, rate);
            prop_assert_eq!(tc.frame_count(), count);
            let mut d = MtcDecoder::default();
            prop_assert_eq!(d.feed(&tc.full_frame()), Some(MtcEvent::FullFrame(tc)));
            let mut last = None;
            for m in tc.quarter_frames() {
                last = d.feed(&m);
            }
            prop_assert_eq!(last, Some(MtcEvent::Quarters(tc)));
        }
    }
}
