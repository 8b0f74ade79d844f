//! Meters and loudness for subscribers that asked for them: read from the
//! hub once a meter tick, sent per strip as messages (`/subscribe PORT
//! 1`) or for the whole console as one blob (`/subscribe PORT 2`), each
//! only when it changed for that subscriber.
//!
//! Thread: hub.

use super::{METER_FLOOR_DB, Subscriber, encode_one};
use crate::dsp::{amp_to_db, db_to_pos};
use crate::mixer::{Hub, StripRef};
use crate::surfaces::osc::codec::{MeterStyle, OscOut};
use rosc::OscType;
use std::borrow::Cow;

/// One strip's meter as subscribers are sent it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripMeter {
    pub strip: StripRef,
    /// The peak as a fader-law position.
    pub pos: f64,
    /// The peak in dBFS, floored at [`METER_FLOOR_DB`].
    pub db: f64,
    /// The RMS as a fader-law position.
    pub rms_pos: f64,
    /// Gain reduction of the strip's dynamics, dB (0 or below, as
    /// `/strip/N/meter/gr` sends it).
    pub gr_db: f64,
    /// Gain reduction of its limiter alone, dB (0 or below).
    pub limiter_db: f64,
}

/// Every strip's meter since the last read; the peaks start again.
pub(super) fn read_meters(
    hub: &Hub,
    held: &mut crate::surfaces::meters::MeterHold,
) -> Vec<StripMeter> {
    let db_of = |amp: f32| amp_to_db(f64::from(amp)).max(METER_FLOOR_DB);
    hub.strips()
        .map(|strip| {
            let h = held.take(strip);
            let db = db_of(h.peak);
            StripMeter {
                strip,
                pos: db_to_pos(db),
                db,
                rms_pos: db_to_pos(db_of(h.rms)),
                gr_db: f64::from(h.reduction_db),
                limiter_db: f64::from(h.limiter_db),
            }
        })
        .collect()
}

/// Bytes per strip in the `/meters` blob.
pub const BLOB_STRIP_BYTES: usize = 6;

/// Every strip's meter in one `/meters` blob, little-endian:
///
/// | bytes | what |
/// |---|---|
/// | u16 | tracks (T) |
/// | u16 | buses (B) |
/// | then for each strip, tracks 1..T, buses 1..B, the master: | |
/// | u16 | peak as a fader-law position x 10000 (0 = off, 7500 = 0 dBFS) |
/// | u16 | RMS, the same way |
/// | u16 | gain reduction in hundredths of a dB (1050: held 10.5 dB down) |
/// | then, once: | |
/// | u16 | the master limiter's own reduction, hundredths of a dB |
///
/// 64 tracks, 8 buses and the master at 30 Hz are 13.3 kB/s.
pub fn meters_blob(meters: &[StripMeter]) -> Vec<u8> {
    let count = |f: fn(&StripRef) -> bool| {
        u16::try_from(meters.iter().filter(|m| f(&m.strip)).count()).unwrap_or(u16::MAX)
    };
    let pos = |p: f64| (p.clamp(0.0, 1.0) * 10_000.0).round() as u16;
    let reduction = |db: f64| (-db.clamp(-655.0, 0.0) * 100.0).round() as u16;
    let mut out = Vec::with_capacity(6 + BLOB_STRIP_BYTES * meters.len());
    out.extend_from_slice(&count(|s| matches!(s, StripRef::Track(_))).to_le_bytes());
    out.extend_from_slice(&count(|s| matches!(s, StripRef::Bus(_))).to_le_bytes());
    for m in meters {
        out.extend_from_slice(&pos(m.pos).to_le_bytes());
        out.extend_from_slice(&pos(m.rms_pos).to_le_bytes());
        out.extend_from_slice(&reduction(m.gr_db).to_le_bytes());
    }
    let limiter = meters
        .iter()
        .find(|m| m.strip == StripRef::Master)
        .map_or(0.0, |m| m.limiter_db);
    out.extend_from_slice(&reduction(limiter).to_le_bytes());
    out
}

/// Add to `msgs` the meters and loudness figures `s` has not been shown.
pub(super) fn feed(
    s: &mut Subscriber,
    meters: &[StripMeter],
    loudness: Option<&[(&'static str, f64); 5]>,
    blob: Option<&[u8]>,
    msgs: &mut Vec<Cow<'_, [u8]>>,
) {
    if s.meters == MeterStyle::Messages {
        for m in meters {
            let key = (m.gr_db * 10.0).round() as i32;
            if s.reduction_shown.get(&m.strip) != Some(&key) {
                s.reduction_shown.insert(m.strip, key);
                msgs.extend(encode_one(&OscOut {
                    addr: format!("/{}/meter/gr", m.strip),
                    arg: OscType::Float(m.gr_db as f32),
                }));
            }
        }
    }
    if let Some(figures) = loudness {
        let key = figures.map(|(_, x)| in_tenths(x));
        if s.loudness_shown != Some(key) {
            s.loudness_shown = Some(key);
            msgs.extend(figures.iter().filter_map(|(name, x)| {
                encode_one(&OscOut {
                    addr: format!("/master/loudness/{name}"),
                    arg: OscType::Float(*x as f32),
                })
            }));
        }
    }
    match s.meters {
        MeterStyle::Messages => {
            for m in meters {
                let key = (
                    (m.pos * 1000.0).round() as i32,
                    (m.db * 10.0).round() as i32,
                );
                if s.meters_shown.get(&m.strip) != Some(&key) {
                    s.meters_shown.insert(m.strip, key);
                    msgs.extend(encode_one(&OscOut {
                        addr: format!("/{}/meter", m.strip),
                        arg: OscType::Float(m.pos as f32),
                    }));
                    msgs.extend(encode_one(&OscOut {
                        addr: format!("/{}/meter/db", m.strip),
                        arg: OscType::Float(m.db as f32),
                    }));
                }
            }
        }
        MeterStyle::Blob => {
            if let Some(blob) = blob
                && s.blob_shown.as_deref() != Some(blob)
            {
                s.blob_shown = Some(blob.to_vec());
                msgs.extend(encode_one(&OscOut {
                    addr: "/meters".into(),
                    arg: OscType::Blob(blob.to_vec()),
                }));
            }
        }
        MeterStyle::Off => {}
    }
}

/// The loudness figures as `/master/loudness/NAME` sends them: LUFS, LU
/// and dBTP (silence is -inf).
pub(super) fn loudness_figures(
    l: &crate::dsp::loudness::LoudnessReading,
) -> [(&'static str, f64); 5] {
    [
        ("momentary", l.momentary),
        ("short_term", l.short_term),
        ("integrated", l.integrated),
        ("range", l.range),
        ("true_peak", l.true_peak_dbtp),
    ]
}

/// A figure in tenths (for "has it changed on screen").
fn in_tenths(x: f64) -> i64 {
    if x.is_finite() {
        (x * 10.0).round() as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(strip: StripRef, pos: f64, rms_pos: f64, gr_db: f64, limiter_db: f64) -> StripMeter {
        StripMeter {
            strip,
            pos,
            db: 0.0,
            rms_pos,
            gr_db,
            limiter_db,
        }
    }

    #[test]
    fn the_blob_holds_every_strip_in_order_then_the_limiter() {
        let meters = [
            meter(StripRef::Track(0), 0.75, 0.5, -3.5, 0.0),
            meter(StripRef::Track(1), 0.0, 0.0, 0.0, 0.0),
            meter(StripRef::Bus(0), 0.5, 0.25, 0.0, 0.0),
            meter(StripRef::Master, 1.0, 0.75, -2.0, -1.25),
        ];
        let b = meters_blob(&meters);
        assert_eq!(
            b,
            vec![
                2, 0, 1, 0, // two tracks, one bus
                0x4C, 0x1D, 0x88, 0x13, 0x5E, 0x01, // 7500, 5000, 350
                0, 0, 0, 0, 0, 0, // off
                0x88, 0x13, 0xC4, 0x09, 0, 0, // 5000, 2500
                0x10, 0x27, 0x4C, 0x1D, 0xC8, 0x00, // 10000, 7500, 200
                0x7D, 0x00, // the limiter: 125
            ]
        );
        assert_eq!(b.len(), 4 + BLOB_STRIP_BYTES * meters.len() + 2);
    }
}
