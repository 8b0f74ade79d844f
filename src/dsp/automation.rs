//! Automation lane evaluation: a breakpoint list read at a timeline frame.
//!
//! Values are in the parameter's natural space (dB for gains, 0..1 for pan,
//! 0/1 for switches) and interpolated there: a gain ride between two points
//! is a straight line in dB. Gain lanes hold dB with off written as
//! [`GAIN_OFF_DB`](crate::dsp::fader_law::GAIN_OFF_DB), the same "off" as
//! the faders', so a ride down to silence interpolates in finite numbers.
//! Pure functions, no allocation: the engine calls
//! them on the audio thread, the hub for feedback and recording.

/// One breakpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanePoint {
    /// Timeline frame.
    pub frame: u64,
    /// Value in the parameter's natural units.
    pub value: f64,
}

/// How values between breakpoints are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    /// A straight line between neighbours (continuous parameters).
    Linear,
    /// The earlier point's value holds until the next (switches).
    Step,
}

/// The lane's value at `frame`: the first point's value before it, the
/// last point's after it, interpolated between. `None` for an empty lane.
/// Points must be sorted by frame (equal frames allowed: a jump).
#[inline]
pub fn value_at(points: &[LanePoint], interp: Interp, frame: u64) -> Option<f64> {
    // Index of the first point strictly after `frame`.
    let after = points.partition_point(|p| p.frame <= frame);
    value_before(points, interp, frame, after)
}

/// Where a lane is being read: the index of the first point after the
/// last frame read. Playback reads a lane at frames that mostly move
/// forward a little at a time; from the cursor the next read looks at one
/// or two neighbouring points instead of searching the whole lane (a
/// long lane searched from scratch misses the cache at every step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneCursor {
    after: usize,
}

/// Steps a cursor walks forward before it searches instead.
const CURSOR_WALK: usize = 4;

impl LaneCursor {
    /// [`value_at`], from and updating the cursor: the same value for any
    /// cursor, any points and any frame (a stale cursor costs a search).
    #[inline]
    pub fn value_at(&mut self, points: &[LanePoint], interp: Interp, frame: u64) -> Option<f64> {
        let fits = |after: usize| {
            after <= points.len()
                && (after == 0 || points[after - 1].frame <= frame)
                && points.get(after).is_none_or(|p| p.frame > frame)
        };
        let mut after = self.after;
        let mut walked = 0;
        while !fits(after) {
            let forward = after < points.len() && points[after].frame <= frame;
            if !forward || walked == CURSOR_WALK {
                after = points.partition_point(|p| p.frame <= frame);
                break;
            }
            after += 1;
            walked += 1;
        }
        self.after = after;
        value_before(points, interp, frame, after)
    }
}

/// The value at `frame` given `after`, the index of the first point after it.
#[inline]
fn value_before(points: &[LanePoint], interp: Interp, frame: u64, after: usize) -> Option<f64> {
    let first = points.first()?;
    if after == 0 {
        return Some(first.value);
    }
    let a = points[after - 1];
    let Some(b) = points.get(after) else {
        return Some(a.value);
    };
    match interp {
        Interp::Step => Some(a.value),
        Interp::Linear => {
            let span = (b.frame - a.frame) as f64;
            let f = (frame - a.frame) as f64 / span;
            Some(a.value + (b.value - a.value) * f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(frame: u64, value: f64) -> LanePoint {
        LanePoint { frame, value }
    }

    #[test]
    fn values_hold_outside_and_interpolate_inside() {
        let lane = [p(100, -10.0), p(200, 0.0), p(200, -20.0), p(300, -20.0)];
        let at = |f| value_at(&lane, Interp::Linear, f).unwrap();
        assert_eq!(at(0), -10.0);
        assert_eq!(at(150), -5.0);
        // A jump: from the second point of a pair at the same frame on.
        assert_eq!(at(200), -20.0);
        assert!((at(199) + 0.1).abs() < 1e-12);
        assert_eq!(at(10_000), -20.0);
        assert_eq!(value_at(&[], Interp::Linear, 5), None);
        let step = |f| value_at(&lane, Interp::Step, f).unwrap();
        assert_eq!(step(150), -10.0);
        assert_eq!(step(250), -20.0);
    }

    proptest::proptest! {
        /// A cursor reads what a search reads, whatever it was left at:
        /// frames forward, backward, far and near, over lanes with jumps.
        #[test]
        fn a_cursor_reads_what_a_search_reads(
            steps in proptest::collection::vec((0u64..50, 0u8..4), 1..40),
            reads in proptest::collection::vec(0u64..3000, 1..200),
            start in 0usize..60,
            step_interp in proptest::bool::ANY,
        ) {
            let mut frame = 0;
            let points: Vec<LanePoint> = steps
                .iter()
                .map(|&(gap, v)| {
                    frame += gap * 10;
                    p(frame, f64::from(v))
                })
                .collect();
            let interp = if step_interp { Interp::Step } else { Interp::Linear };
            let mut cursor = LaneCursor { after: start };
            let mut near = 0u64;
            for (i, &r) in reads.iter().enumerate() {
                // Half the reads move a little forward, as playback does.
                let at = if i % 2 == 0 { near + r % 40 } else { r };
                near = at;
                let want = value_at(&points, interp, at);
                proptest::prop_assert_eq!(cursor.value_at(&points, interp, at), want, "frame {}", at);
            }
            proptest::prop_assert_eq!(LaneCursor::default().value_at(&[], interp, 5), None);
        }
    }
}
