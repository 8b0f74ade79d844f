//! Lanes as a timeline draws them: each lane of a strip with the mode it
//! plays in, its points, and the span the current pass is writing, in
//! seconds and control positions (the fader law for gains), so a screen
//! needs no unit tables of its own.
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
        let controls = self
            .session
            .controls(strip)
            .ok_or(IntentError::NoSuchTarget(Address::new(
                strip,
                Param::Automation,
            )))?;
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
