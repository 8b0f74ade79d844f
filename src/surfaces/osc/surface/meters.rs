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

/// One strip's meter: (strip, fader-law position, dB floored at
/// [`METER_FLOOR_DB`], gain reduction dB: 0 or below, as
/// `/strip/N/meter/gr` sends it).
pub(super) type StripMeter = (StripRef, f64, f64, f64);

/// Every strip's meter since the last read; the peaks start again.
pub(super) fn read_meters(
    hub: &Hub,
    held: &mut crate::surfaces::meters::MeterHold,
) -> Vec<StripMeter> {
    hub.strips()
        .map(|strip| {
            let (peak, gr) = held.take(strip);
            let db = amp_to_db(f64::from(peak)).max(METER_FLOOR_DB);
            (strip, db_to_pos(db), db, f64::from(gr))
        })
        .collect()
}

/// Every strip's meter in one `/meters` blob, little-endian:
///
/// | bytes | what |
/// |---|---|
/// | u16 | tracks (T) |
/// | u16 | buses (B) |
/// | then for each strip, tracks 1..T, buses 1..B, the master: | |
/// | u16 | peak as a fader-law position x 10000 (0 = off, 7500 = 0 dBFS) |
/// | u16 | gain reduction in hundredths of a dB (1050: held 10.5 dB down) |
///
/// 64 tracks, 8 buses and the master at 30 Hz are 8.8 kB/s.
pub fn meters_blob(meters: &[StripMeter]) -> Vec<u8> {
    let count = |f: fn(&StripRef) -> bool| {
        u16::try_from(meters.iter().filter(|m| f(&m.0)).count()).unwrap_or(u16::MAX)
    };
    let mut out = Vec::with_capacity(4 + 4 * meters.len());
    out.extend_from_slice(&count(|s| matches!(s, StripRef::Track(_))).to_le_bytes());
    out.extend_from_slice(&count(|s| matches!(s, StripRef::Bus(_))).to_le_bytes());
    for (_, pos, _, gr) in meters {
        let pos = (pos.clamp(0.0, 1.0) * 10_000.0).round() as u16;
        let gr = (-gr.clamp(-655.0, 0.0) * 100.0).round() as u16;
        out.extend_from_slice(&pos.to_le_bytes());
        out.extend_from_slice(&gr.to_le_bytes());
    }
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
        for (strip, _, _, gr) in meters {
            let key = (gr * 10.0).round() as i32;
            if s.reduction_shown.get(strip) != Some(&key) {
                s.reduction_shown.insert(*strip, key);
                msgs.extend(encode_one(&OscOut {
                    addr: format!("/{strip}/meter/gr"),
                    arg: OscType::Float(*gr as f32),
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
            for (strip, pos, db, _) in meters {
                let key = ((pos * 1000.0).round() as i32, (db * 10.0).round() as i32);
                if s.meters_shown.get(strip) != Some(&key) {
                    s.meters_shown.insert(*strip, key);
                    msgs.extend(encode_one(&OscOut {
                        addr: format!("/{strip}/meter"),
                        arg: OscType::Float(*pos as f32),
                    }));
                    msgs.extend(encode_one(&OscOut {
                        addr: format!("/{strip}/meter/db"),
                        arg: OscType::Float(*db as f32),
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

    #[test]
    fn the_blob_holds_every_strip_in_order_in_four_bytes() {
        let meters = [
            (StripRef::Track(0), 0.75, 0.0, -3.5),
            (StripRef::Track(1), 0.0, -90.0, 0.0),
            (StripRef::Bus(0), 0.5, -10.0, 0.0),
            (StripRef::Master, 1.0, 10.0, 0.0),
        ];
        let b = meters_blob(&meters);
        assert_eq!(
            b,
            vec![
                2, 0, 1, 0, // two tracks, one bus
                0x4C, 0x1D, 0x5E, 0x01, // 7500, 350
                0, 0, 0, 0, // off
                0x88, 0x13, 0, 0, // 5000
                0x10, 0x27, 0, 0, // 10000
            ]
        );
    }
}
