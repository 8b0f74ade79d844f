//! Lanes as a timeline draws them: each lane of a strip with the mode it
//! plays in, its points, and the span the current pass is writing, in
//! seconds and control positions (the fader law for gains), so a screen
//! needs no unit tables of its own; and those points cut to what a
//! stretch of the timeline drawn in so many columns shows
//! ([`points_for_view`]), so a long evening's lane reaches a screen whole.
//!
//! Thread: hub.

use super::*;

/// One lane of a strip, for a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineLane {
    /// Which lane.
    pub param: LaneParam,
    /// The mode it plays in now (its own, else the strip's).
    pub mode: AutomationMode,
    /// The mode is the lane's own (not the strip's).
    pub own_mode: bool,
    /// Its points: (seconds, control position 0..1).
    pub points: Vec<[f64; 2]>,
    /// What the current pass has written into it so far, not yet in
    /// `points` (empty when nothing is being written): (seconds,
    /// position). A latch released, or a write pass, runs to now.
    pub writing: Vec<[f64; 2]>,
}

impl Hub {
    /// Every lane of `strip` that has points, a mode of its own or is
    /// being written, the gain lane always (first); then in the session
    /// file's order.
    pub fn timeline_lanes(&self, strip: StripRef) -> Result<Vec<TimelineLane>, IntentError> {
        let controls = self.strip_controls(strip)?;
        let mut params: Vec<LaneParam> = std::iter::once(LaneParam::Gain)
            .chain(
                controls
                    .lanes
                    .iter()
                    .filter(|(p, l)| {
                        (!l.points.is_empty() || l.mode.is_some()) && lane_exists(controls, **p)
                    })
                    .map(|(p, _)| *p),
            )
            .chain(
                self.auto
                    .writing
                    .keys()
                    .filter(|(s, _)| *s == strip)
                    .map(|(_, p)| *p),
            )
            .collect();
        // Gain sorts first, so its second mention is a neighbour too.
        params[1..].sort();
        params.dedup();
        let rate = f64::from(self.session.sample_rate.max(1));
        let now = self.now_frame();
        Ok(params
            .into_iter()
            .map(|p| {
                let spec = lane_spec(p);
                let lane = self.lane(strip, p);
                let at = |frame: u64, value: f64| [frame as f64 / rate, spec.to_pos(value)];
                let points = lane
                    .map(|l| l.points.iter().map(|q| at(q.frame, q.value)).collect())
                    .unwrap_or_default();
                let writing = self
                    .auto
                    .writing
                    .get(&(strip, p))
                    .map(|w| {
                        // Trim writes dB offsets: shown on what the lane
                        // (else the live value) gives there.
                        let shown = |q: &LanePoint| match w.mode {
                            AutomationMode::Trim => {
                                let base = lane_value(lane, p, q.frame)
                                    .or_else(|| live_value(controls, p))
                                    .unwrap_or(0.0);
                                at(q.frame, base + q.value)
                            }
                            _ => at(q.frame, q.value),
                        };
                        let mut out: Vec<[f64; 2]> = w.points.iter().map(shown).collect();
                        let runs_on = w.released || w.mode == AutomationMode::Write;
                        if let Some(last) = w.points.last()
                            && runs_on
                            && self.transport.rolling
                            && now > last.frame
                        {
                            out.push(shown(&LanePoint {
                                frame: now,
                                value: last.value,
                            }));
                        }
                        out
                    })
                    .unwrap_or_default();
                TimelineLane {
                    param: p,
                    mode: self.lane_mode(strip, p),
                    own_mode: controls.lanes.get(&p).is_some_and(|l| l.mode.is_some()),
                    points,
                    writing,
                }
            })
            .collect())
    }
}

/// A stretch of the timeline and the columns (pixels) it is drawn in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineView {
    /// Its left edge (seconds).
    pub from_s: f64,
    /// Its right edge (seconds), after `from_s`.
    pub to_s: f64,
    /// Columns across it, at least 1.
    pub columns: u32,
}

impl TimelineView {
    /// The view, or None when its edges are not finite and in order or it
    /// has no columns.
    pub fn new(from_s: f64, to_s: f64, columns: u32) -> Option<TimelineView> {
        (from_s.is_finite() && to_s.is_finite() && from_s < to_s && columns > 0).then_some(
            TimelineView {
                from_s,
                to_s,
                columns,
            },
        )
    }

    /// The column `t_s` falls in (times outside clamp to the edge ones).
    fn column_of(&self, t_s: f64) -> u32 {
        let x = (t_s - self.from_s) / (self.to_s - self.from_s) * f64::from(self.columns);
        // (The cast saturates; NaN cannot occur for finite points.)
        (x.floor().max(0.0) as u32).min(self.columns - 1)
    }

    /// Half the columns (at least one).
    pub fn coarser(self) -> TimelineView {
        TimelineView {
            columns: (self.columns / 2).max(1),
            ..self
        }
    }
}

/// The points of a lane (seconds, position; in time order) a line drawn
/// across `view` needs: those inside it, and the one either side, where
/// the line comes in and goes out. A column holding more than four keeps
/// only its first, lowest, highest and last (in time order): the line
/// through those crosses the same pixels of that column and joins its
/// neighbours at the same heights, so at most `4 * columns + 2` points
/// draw any lane exactly.
pub fn points_for_view(points: &[[f64; 2]], view: TimelineView) -> Vec<[f64; 2]> {
    let first_in = points.partition_point(|p| p[0] < view.from_s);
    let first_after = points.partition_point(|p| p[0] <= view.to_s);
    let mut out = Vec::new();
    if let Some(before) = first_in.checked_sub(1) {
        out.push(points[before]);
    }
    let inside = &points[first_in..first_after];
    let mut rest = inside;
    while let Some(head) = rest.first() {
        let column = view.column_of(head[0]);
        let len = rest.partition_point(|p| view.column_of(p[0]) == column);
        let (group, tail) = rest.split_at(len.max(1));
        if group.len() <= 4 {
            out.extend_from_slice(group);
        } else {
            let by_value = |a: &&[f64; 2], b: &&[f64; 2]| a[1].total_cmp(&b[1]);
            let low = group.iter().enumerate().min_by(|a, b| by_value(&a.1, &b.1));
            let high = group.iter().enumerate().max_by(|a, b| by_value(&a.1, &b.1));
            let mut keep = [0, low.map_or(0, |l| l.0), high.map_or(0, |h| h.0), len - 1];
            keep.sort_unstable();
            let mut last = None;
            for k in keep {
                if last != Some(k) {
                    out.push(group[k]);
                    last = Some(k);
                }
            }
        }
        rest = tail;
    }
    if let Some(after) = points.get(first_after) {
        out.push(*after);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Per column the lowest and highest height the line through `pts`
    /// reaches, sampled finely.
    fn drawn(pts: &[[f64; 2]], view: TimelineView) -> Vec<(f64, f64)> {
        let mut cols = vec![(f64::INFINITY, f64::NEG_INFINITY); view.columns as usize];
        let at = |t: f64| -> f64 {
            let i = pts.partition_point(|p| p[0] <= t);
            match (i.checked_sub(1).map(|k| pts[k]), pts.get(i)) {
                (Some(a), Some(b)) if b[0] > a[0] => {
                    a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0])
                }
                (Some(a), _) => a[1],
                (None, Some(b)) => b[1],
                (None, None) => 0.0,
            }
        };
        let steps = view.columns as usize * 64;
        for k in 0..=steps {
            let t = view.from_s + (view.to_s - view.from_s) * k as f64 / steps as f64;
            let c = &mut cols[view.column_of(t) as usize];
            let v = at(t);
            *c = (c.0.min(v), c.1.max(v));
        }
        // And every point inside exactly (a spike thinner than a sample).
        for p in pts
            .iter()
            .filter(|p| p[0] >= view.from_s && p[0] <= view.to_s)
        {
            let c = &mut cols[view.column_of(p[0]) as usize];
            *c = (c.0.min(p[1]), c.1.max(p[1]));
        }
        cols
    }

    fn lane() -> impl Strategy<Value = Vec<[f64; 2]>> {
        proptest::collection::vec((0.0f64..0.05, 0.0f64..1.0), 0..2_000).prop_map(|steps| {
            let mut t = 0.0;
            steps
                .into_iter()
                .map(|(dt, v)| {
                    t += dt;
                    [t, v]
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn a_lane_cut_to_a_view_draws_the_same_pixels_in_at_most_four_points_a_column(
            pts in lane(),
            from_s in 0.0f64..40.0,
            len_s in 0.5f64..60.0,
            columns in 1u32..300,
        ) {
            let view = TimelineView::new(from_s, from_s + len_s, columns).unwrap();
            let cut = points_for_view(&pts, view);
            prop_assert!(cut.len() <= 4 * columns as usize + 2);
            prop_assert!(cut.windows(2).all(|w| w[0][0] <= w[1][0]));
            prop_assert!(cut.iter().all(|p| pts.contains(p)));
            for (a, b) in drawn(&pts, view).into_iter().zip(drawn(&cut, view)) {
                prop_assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn a_sparse_lane_is_kept_whole_with_its_neighbours_outside_the_view() {
        let pts = [[1.0, 0.1], [5.0, 0.5], [6.0, 0.6], [20.0, 0.2], [30.0, 0.9]];
        let view = TimelineView::new(4.0, 10.0, 600).unwrap();
        assert_eq!(
            points_for_view(&pts, view),
            vec![[1.0, 0.1], [5.0, 0.5], [6.0, 0.6], [20.0, 0.2]]
        );
        assert_eq!(TimelineView::new(4.0, 4.0, 10), None);
        assert_eq!(TimelineView::new(0.0, f64::NAN, 10), None);
        assert_eq!(TimelineView::new(0.0, 1.0, 0), None);
    }
}
