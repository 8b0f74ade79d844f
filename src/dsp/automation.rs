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
    let first = points.first()?;
    // Index of the first point strictly after `frame`.
    let after = points.partition_point(|p| p.frame <= frame);
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
}
