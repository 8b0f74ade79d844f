//! The console fader law, the one used everywhere (OSC, MIDI, Mackie, serial).
//!
//! A position `pos` in `[0, 1]` maps piecewise-linearly to dB (the law the
//! Behringer X32-family apps use):
//!
//! | position range     | dB               | ends                      |
//! |--------------------|------------------|---------------------------|
//! | `0.5 ..= 1`        | `40 p - 30`      | 1 -> +10, 0.75 -> 0       |
//! | `0.25 .. 0.5`      | `80 p - 50`      | 0.5 -> -10                |
//! | `0.0625 .. 0.25`   | `160 p - 70`     | 0.25 -> -30               |
//! | `0 < p < 0.0625`   | `480 p - 90`     | 0.0625 -> -60             |
//! | `0`                | `-inf` (off)     |                           |
//!
//! `db_to_pos` is its exact inverse; any dB at or below [`GAIN_OFF_DB`]
//! is "off" (position 0).
//!
//! "Off" has one definition for every gain in faderd: a fader, a send
//! level, a gain or send automation lane, and every surface dialect. A gain
//! at or below [`GAIN_OFF_DB`] (-90 dB) is silence; a session or surface
//! writes it as `-inf`. A lane fading to off is a straight line in dB down
//! to -90 dB, so it passes -45 dB halfway, and the last step (from
//! -90 dB, 3e-5) to silence is inaudible.

/// Gain at the top of the fader travel.
pub const FADER_MAX_DB: f64 = 10.0;
/// "Off": the law's limit as the position approaches 0. Every gain (fader,
/// send, automation lane, any dialect) at or below it is silence.
pub const GAIN_OFF_DB: f64 = -90.0;

/// Fader position (0..=1, clamped) to gain in dB; `-inf` at 0.
///
/// ```
/// use faderd::dsp::pos_to_db;
/// assert_eq!(pos_to_db(0.75), 0.0);
/// assert_eq!(pos_to_db(0.0), f64::NEG_INFINITY);
/// ```
pub fn pos_to_db(pos: f64) -> f64 {
    let p = if pos.is_nan() {
        0.0
    } else {
        pos.clamp(0.0, 1.0)
    };
    if p >= 0.5 {
        40.0 * p - 30.0
    } else if p >= 0.25 {
        80.0 * p - 50.0
    } else if p >= 0.0625 {
        160.0 * p - 70.0
    } else if p > 0.0 {
        480.0 * p - 90.0
    } else {
        f64::NEG_INFINITY
    }
}

/// Gain in dB to fader position, the exact inverse of [`pos_to_db`].
/// Gains above +10 dB clamp to 1; gains at or below -90 dB (and NaN) give 0.
pub fn db_to_pos(gain_db: f64) -> f64 {
    if gain_db.is_nan() || gain_db <= GAIN_OFF_DB {
        0.0
    } else if gain_db >= FADER_MAX_DB {
        1.0
    } else if gain_db >= -10.0 {
        (gain_db + 30.0) / 40.0
    } else if gain_db >= -30.0 {
        (gain_db + 50.0) / 80.0
    } else if gain_db >= -60.0 {
        (gain_db + 70.0) / 160.0
    } else {
        (gain_db + 90.0) / 480.0
    }
}

/// dB to linear amplitude; `-inf` gives exactly 0.
pub fn db_to_amp(gain_db: f64) -> f64 {
    if gain_db == f64::NEG_INFINITY {
        0.0
    } else {
        10f64.powf(gain_db / 20.0)
    }
}

/// A gain (fader, send, lane value) in dB to linear amplitude: at or below
/// [`GAIN_OFF_DB`] it is exactly 0. Pure; safe on the audio thread.
#[inline]
pub fn gain_db_to_amp(gain_db: f64) -> f64 {
    if gain_db <= GAIN_OFF_DB {
        0.0
    } else {
        10f64.powf(gain_db / 20.0)
    }
}

/// Linear amplitude to dB; 0 (or less) gives `-inf`.
pub fn amp_to_db(amp: f64) -> f64 {
    if amp > 0.0 {
        20.0 * amp.log10()
    } else {
        f64::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn law_at_the_breakpoints() {
        assert_eq!(pos_to_db(0.0), f64::NEG_INFINITY);
        assert_eq!(pos_to_db(0.0625), -60.0);
        assert_eq!(pos_to_db(0.25), -30.0);
        assert_eq!(pos_to_db(0.5), -10.0);
        assert_eq!(pos_to_db(0.75), 0.0);
        assert_eq!(pos_to_db(1.0), 10.0);
    }

    #[test]
    fn inverse_at_the_breakpoints() {
        for (p, db) in [
            (0.0625, -60.0),
            (0.25, -30.0),
            (0.5, -10.0),
            (0.75, 0.0),
            (1.0, 10.0),
        ] {
            assert_eq!(db_to_pos(db), p, "db {db}");
        }
        assert_eq!(db_to_pos(f64::NEG_INFINITY), 0.0);
        assert_eq!(db_to_pos(-90.0), 0.0);
        assert_eq!(db_to_pos(f64::NAN), 0.0);
        assert_eq!(db_to_pos(25.0), 1.0);
    }

    #[test]
    fn law_is_continuous_and_monotonic() {
        let mut last = f64::NEG_INFINITY;
        for i in 1..=16383 {
            let db = pos_to_db(i as f64 / 16383.0);
            assert!(db > last, "not increasing at {i}");
            last = db;
        }
        // No jump at the segment joins.
        for p in [0.0625f64, 0.25, 0.5] {
            let below = pos_to_db(p - 1e-12);
            assert!((pos_to_db(p) - below).abs() < 1e-9, "jump at {p}");
        }
    }

    #[test]
    fn amp_and_db_agree() {
        assert_eq!(db_to_amp(0.0), 1.0);
        assert_eq!(db_to_amp(f64::NEG_INFINITY), 0.0);
        assert!((db_to_amp(-6.0) - 0.501_187_233_6).abs() < 1e-9);
        assert_eq!(amp_to_db(0.0), f64::NEG_INFINITY);
        assert!((amp_to_db(0.5) + 6.020_599_913).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn position_round_trips(p in 0.0f64..=1.0) {
            let back = db_to_pos(pos_to_db(p));
            prop_assert!((back - p).abs() < 1e-12, "{p} -> {back}");
        }

        #[test]
        fn db_round_trips(db in -89.99f64..=10.0) {
            let back = pos_to_db(db_to_pos(db));
            prop_assert!((back - db).abs() < 1e-9, "{db} -> {back}");
        }

        #[test]
        fn mackie_14_bit_positions_round_trip(v in 0u16..=16383) {
            let p = v as f64 / 16383.0;
            let again = (db_to_pos(pos_to_db(p)) * 16383.0).round() as u16;
            prop_assert_eq!(again, v);
        }
    }
}
