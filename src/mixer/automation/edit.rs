//! Lanes edited by hand, as a timeline edits them: the points of a span
//! replaced (a point added, dragged or deleted, a stretch drawn), in
//! seconds and control positions like [`super::TimelineLane`]. The new
//! points are thinned as a pass's are ([`thin_tolerance`]); each edit is
//! one undo step, as a pass is.
//!
//! Thread: hub.

use super::*;

/// One edit of a lane: the span it replaces and the points it puts there.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneEdit {
    /// The span replaced (seconds, inclusive; `from_s <= to_s`). Times
    /// given as f32 seconds are rounded: a point within f32's resolution
    /// of an edge counts as inside.
    pub from_s: f64,
    /// See `from_s`.
    pub to_s: f64,
    /// The new points (seconds, control position 0..1), in time order,
    /// inside the span. None: the span's points deleted.
    pub points: Vec<[f64; 2]>,
}

/// Why an edit is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LaneEditError {
    /// The span is not finite, starts before 0 or ends before it starts.
    #[error("the span must be from 0 s on, its end not before its start")]
    BadSpan,
    /// A point is not finite, its position is not in 0..1, it is outside
    /// the span or before the point ahead of it.
    #[error("point {0}: its time must be in the span, after the one before, its position in 0..1")]
    BadPoint(usize),
}

impl LaneEdit {
    fn check(&self) -> Result<(), LaneEditError> {
        let span_ok = self.from_s.is_finite()
            && self.to_s.is_finite()
            && self.from_s >= 0.0
            && self.to_s >= self.from_s;
        if !span_ok {
            return Err(LaneEditError::BadSpan);
        }
        let mut last = self.from_s;
        for (i, [t, pos]) in self.points.iter().copied().enumerate() {
            let ok = t.is_finite() && (0.0..=1.0).contains(&pos) && t >= last && t <= self.to_s;
            if !ok {
                return Err(LaneEditError::BadPoint(i + 1));
            }
            last = t;
        }
        Ok(())
    }
}

/// Lane `p`'s value at control position `pos` (0..1): its natural units,
/// a gain at the bottom of the fader is off, a switch is 0 or 1.
pub(super) fn value_at_pos(p: LaneParam, pos: f64) -> f64 {
    let spec = lane_spec(p);
    let v = spec.clamp(spec.value_at(pos));
    match p {
        LaneParam::Gain | LaneParam::SendGain(_) => floor_db(v),
        LaneParam::Mute => f64::from(u8::from(v >= 0.5)),
        _ => v,
    }
}

/// The slack at time `t_s` for a time sent as f32 seconds.
fn f32_slack_s(t_s: f64) -> f64 {
    (t_s.abs() * f64::from(f32::EPSILON)).max(1e-6)
}

impl Hub {
    /// Replace lane `p` of `strip`'s points in `edit`'s span with its
    /// points: one undo step. The lane is made when the strip has none
    /// (with the strip's mode). Refused while a pass writes, and for a
    /// lane of a control the strip does not have. Returns the lane's
    /// points after.
    pub fn edit_lane(
        &mut self,
        strip: StripRef,
        p: LaneParam,
        edit: &LaneEdit,
    ) -> Result<usize, IntentError> {
        let address = lane_address(strip, p);
        let c = self.lane_controls(strip, p)?;
        if self.pass_writing() {
            return Err(IntentError::Busy(
                "an automation pass is being written; stop the transport first",
            ));
        }
        edit.check().map_err(|e| IntentError::BadEdit(address, e))?;
        let rate = f64::from(self.session.sample_rate.max(1));
        let frame = |t_s: f64| (t_s * rate).round() as u64;
        let old = c.lanes.get(&p).cloned();
        let mut points: Vec<LanePoint> = old.as_ref().map(|l| l.points.clone()).unwrap_or_default();
        let mut new: Vec<LanePoint> = edit
            .points
            .iter()
            .map(|[t, pos]| LanePoint {
                frame: frame(*t),
                value: value_at_pos(p, *pos),
            })
            .collect();
        // Two points on one frame: the later stands.
        new.dedup_by(|b, a| {
            let same = a.frame == b.frame;
            if same {
                a.value = b.value;
            }
            same
        });
        // A stretch drawn by hand is thinned as a pass is.
        let new = thin(&new, p.interp(), thin_tolerance(p));
        // The span, widened to the new points' frames (rounded, they may
        // fall just outside it): no old point shares a frame with one.
        let from = ((edit.from_s - f32_slack_s(edit.from_s)).max(0.0) * rate).ceil() as u64;
        let to = ((edit.to_s + f32_slack_s(edit.to_s)) * rate).floor() as u64;
        let from = new.first().map_or(from, |q| q.frame.min(from));
        let to = new.last().map_or(to, |q| q.frame.max(to));
        let start = points.partition_point(|q| q.frame < from);
        let end = points.partition_point(|q| q.frame <= to);
        points.splice(start..end, new);
        let n = points.len();
        let mode = old.as_ref().and_then(|l| l.mode);
        let Some(c) = self.session.controls_mut(strip) else {
            return Err(IntentError::NoSuchTarget(address));
        };
        if points.is_empty() && mode.is_none() {
            c.lanes.remove(&p);
        } else {
            c.lanes.insert(p, Lane { mode, points });
        }
        self.push_undo(vec![((strip, p), old)]);
        self.mark_changed();
        self.resend_automation(false);
        Ok(n)
    }

    /// The lanes `strip` can have, for a timeline's menu: its gain, trim,
    /// pan and mute, a gain per send, then every channel-strip setting it
    /// has by name (so each section's settings are together).
    pub fn lane_choices(&self, strip: StripRef) -> Result<Vec<LaneParam>, IntentError> {
        let c = self.strip_controls(strip)?;
        let has = |p: &LaneParam| {
            lane_exists(c, *p)
                && live_value(c, *p).is_some()
                && self.get(lane_address(strip, *p)).is_ok()
        };
        let mut settings: Vec<LaneParam> = crate::engine::ProcTarget::all()
            .map(LaneParam::Proc)
            .filter(has)
            .collect();
        settings.sort_by_cached_key(|p| p.name());
        Ok([
            LaneParam::Gain,
            LaneParam::Trim,
            LaneParam::Pan,
            LaneParam::Mute,
        ]
        .into_iter()
        .chain((0..c.sends.len()).map(LaneParam::SendGain))
        .filter(has)
        .chain(settings)
        .collect())
    }

    /// Give `strip` lane `p` to edit by hand: one point at 0 s holding the
    /// live value, so nothing plays differently (one undo step). False,
    /// and nothing done, when the lane has points already.
    pub fn add_lane(&mut self, strip: StripRef, p: LaneParam) -> Result<bool, IntentError> {
        let c = self.lane_controls(strip, p)?;
        if self.lane(strip, p).is_some() {
            return Ok(false);
        }
        let live = live_value(c, p).ok_or(IntentError::NoSuchTarget(lane_address(strip, p)))?;
        let edit = LaneEdit {
            from_s: 0.0,
            to_s: 0.0,
            points: vec![[0.0, lane_spec(p).to_pos(live)]],
        };
        self.edit_lane(strip, p, &edit)?;
        Ok(true)
    }
}
