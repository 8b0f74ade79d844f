//! Automation on the hub: which lanes the engine plays, passes written
//! from surface moves, thinning, undo, and playback values fed back to
//! surfaces.
//!
//! The semantics are DESIGN.md's. Per lane (a strip's gain, trim, pan,
//! mute or send level), by its mode (the lane's own, else the strip's):
//! - off: the live value; read: the lane (surface moves are refused);
//! - touch: the lane, except while touched with the transport rolling,
//!   when the live value plays and is written; on release the value
//!   glides back to the lane over the glide time, and the glide is written;
//! - latch: like touch, but after release the last value is written until
//!   the transport stops;
//! - write: from transport start to stop the live value is written (lanes
//!   that exist, and any other parameter of the strip once it is moved);
//!   after the pass the lane is in touch;
//! - trim: the lane plays times the live value, which is a dB offset
//!   (0 dB when trim mode starts); while touched and rolling the offset is
//!   written into the lane, and on release it glides back to 0 dB.
//!
//! A pass is one roll of the transport (play to stop, or to a locate): the
//! lanes it wrote are one undo step. Written spans are thinned with a
//! stated bound ([`thin_tolerance`]).
//!
//! Thread: hub.

use super::keys::KeyMap;
use super::{
    Address, BandParam, CompParam, DelayParam, EqParam, Feedback, GateParam, Hub, IntentError,
    LimiterParam, Origin, Param, ReverbParam, SendParam, StripRef, Value,
};
use crate::dsp::automation::{Interp, LaneCursor, LanePoint, value_at};
use crate::dsp::fader_law::GAIN_OFF_DB;
use crate::dsp::fader_law::{FADER_MAX_DB, db_to_amp, db_to_pos};
use crate::engine::{
    AutoPlay, AutoTarget, LaneSet, NodeId, NodeLanes, ProcTarget, StripParam, ToEngine,
};
use crate::model::{AutomationMode, Controls, Lane, LaneParam, Session, TRIM_RANGE_DB};
use std::time::Duration;

mod edit;
mod lanes;
mod live;
mod pass;
mod play;
mod view;

pub use edit::{LaneEdit, LaneEditError};
pub use lanes::*;
pub(in crate::mixer) use live::*;
pub use view::{TimelineLane, TimelineView, points_for_view};

/// Default glide time on release in touch mode.
pub const DEFAULT_GLIDE: Duration = Duration::from_millis(250);

/// A lane of a strip.
pub type LaneKey = (StripRef, LaneParam);
/// How a lane is being written in the current pass.
#[derive(Debug, Clone)]
struct Writing {
    mode: AutomationMode,
    /// Written so far: values (for trim: offsets in dB) at frames.
    points: Vec<LanePoint>,
    /// Latch: released, still writing the last value until stop.
    released: bool,
}

/// Passes kept for undo unless configured otherwise.
pub const DEFAULT_UNDO_PASSES: usize = 32;

/// The hub's automation state. See the module docs.
#[derive(Debug)]
pub struct AutomationState {
    glide: Duration,
    writing: KeyMap<LaneKey, Writing>,
    /// Lanes as they were before this pass wrote them.
    pass_undo: Vec<(LaneKey, Option<Lane>)>,
    /// The last passes, oldest first, each with one snapshot per lane it
    /// wrote; at most `undo_passes` of them.
    undo: std::collections::VecDeque<Vec<(LaneKey, Option<Lane>)>>,
    undo_passes: usize,
    /// The engine coefficients last told to play something other than
    /// their live value, node by node (absent: live).
    sent: KeyMap<NodeId, Vec<(AutoTarget, AutoPlay)>>,
    /// Trim-mode offsets (dB) per lane; absent is 0 dB.
    offsets: KeyMap<LaneKey, f64>,
    /// Where the current pass started (write mode fills from here).
    pass_start: Option<u64>,
    /// A locate sent to the engine (engine frames), and the number of
    /// transport commands the engine will have applied once it has run it.
    pub(super) locate: Option<(u64, u64)>,
    /// The timeline frame at the last tick (a jump back is a new pass).
    last_frame: u64,
    /// The lanes that play (the engine plays them; the hub reads them to
    /// show their values), in [`Hub::keys`] order, each with where it was
    /// last read.
    reading: Vec<(LaneKey, LaneCursor)>,
    /// What plays was worked out by [`Hub::sync_play`] and nothing it
    /// depends on has changed since: no value, mode or lane was set, no
    /// touch began or ended. (Holds that time out and passes that write
    /// are asked about every tick while there are any.)
    play_settled: bool,
}

impl Default for AutomationState {
    fn default() -> AutomationState {
        AutomationState {
            glide: DEFAULT_GLIDE,
            writing: KeyMap::default(),
            pass_undo: Vec::new(),
            undo: std::collections::VecDeque::new(),
            undo_passes: DEFAULT_UNDO_PASSES,
            sent: KeyMap::default(),
            offsets: KeyMap::default(),
            pass_start: None,
            locate: None,
            last_frame: 0,
            reading: Vec::new(),
            play_settled: false,
        }
    }
}

impl Hub {
    /// Set the glide time on release in touch mode.
    pub fn set_glide(&mut self, glide: Duration) {
        self.auto.glide = glide;
    }

    /// Keep at most `passes` passes for undo (at least one); older ones
    /// are forgotten. Each pass holds a copy of every lane it wrote as it
    /// was before, so undo costs at most `passes` copies of any lane.
    pub fn set_undo_passes(&mut self, passes: usize) {
        self.auto.undo_passes = passes.max(1);
        while self.auto.undo.len() > self.auto.undo_passes {
            self.auto.undo.pop_front();
        }
    }

    /// Points in every lane of the session, for `/status`.
    pub fn lane_points(&self) -> usize {
        self.strips()
            .filter_map(|s| self.session.controls(s))
            .flat_map(|c| c.lanes.values())
            .map(|l| l.points.len())
            .sum()
    }

    /// Bytes the undo history holds (lane points), for `/status`.
    pub fn undo_bytes(&self) -> usize {
        self.auto
            .undo
            .iter()
            .flatten()
            .filter_map(|(_, lane)| lane.as_ref())
            .map(|l| l.points.len() * std::mem::size_of::<crate::dsp::automation::LanePoint>())
            .sum()
    }

    fn glide_frames(&self) -> u64 {
        (self.auto.glide.as_secs_f64() * f64::from(self.session.sample_rate)).round() as u64
    }

    /// The timeline frame now, at the session's rate (a locate the engine
    /// has not run yet counts as done).
    fn now_frame(&self) -> u64 {
        let f = self.transport_state().position_frames;
        let (er, sr) = (self.engine_config.sample_rate, self.session.sample_rate);
        if er == sr || er == 0 {
            f
        } else {
            (u128::from(f) * u128::from(sr) / u128::from(er)) as u64
        }
    }

    /// A locate sent to the engine that it has not run yet (it runs at the
    /// start of its next block): where the transport is about to be.
    pub(super) fn pending_locate(&self) -> Option<u64> {
        let (to, seq) = self.auto.locate?;
        (self
            .link
            .shared
            .transport_commands
            .load(std::sync::atomic::Ordering::Acquire)
            < seq)
            .then_some(to)
    }

    /// The strips moved (a track was removed; no pass is writing): trim
    /// offsets and the undo history follow their strips to where `to`
    /// puts them, or go with them.
    pub(in crate::mixer) fn restrip_automation(
        &mut self,
        to: impl Fn(StripRef) -> Option<StripRef>,
    ) {
        let key = |(s, p): LaneKey| Some((to(s)?, p));
        let snapshots = |pass: Vec<(LaneKey, Option<Lane>)>| -> Vec<(LaneKey, Option<Lane>)> {
            pass.into_iter()
                .filter_map(|(k, lane)| Some((key(k)?, lane)))
                .collect()
        };
        let a = &mut self.auto;
        a.offsets = std::mem::take(&mut a.offsets)
            .into_iter()
            .filter_map(|(k, v)| Some((key(k)?, v)))
            .collect();
        a.pass_undo = snapshots(std::mem::take(&mut a.pass_undo));
        a.undo = std::mem::take(&mut a.undo)
            .into_iter()
            .map(snapshots)
            .filter(|pass| !pass.is_empty())
            .collect();
        // Where each lane was read is worked out again for the new graph.
        a.reading.clear();
        a.play_settled = false;
    }

    /// True while a pass is writing any lane.
    pub(in crate::mixer) fn pass_writing(&self) -> bool {
        !self.auto.writing.is_empty()
    }

    /// Give lane `p` of `strip` a mode of its own (`None`: it follows the
    /// strip's again), from `origin`. Refused while a pass writes that
    /// lane, and for a lane of a control the strip does not have.
    pub fn set_lane_mode(
        &mut self,
        strip: StripRef,
        p: LaneParam,
        mode: Option<AutomationMode>,
    ) -> Result<(), IntentError> {
        let address = lane_address(strip, p);
        self.lane_controls(strip, p)?;
        if self.auto.writing.contains_key(&(strip, p)) {
            return Err(IntentError::Busy(
                "a pass is writing this lane; stop the transport first",
            ));
        }
        let Some(c) = self.session.controls_mut(strip) else {
            return Err(IntentError::NoSuchTarget(address));
        };
        match (c.lanes.get_mut(&p), mode) {
            (Some(lane), _) => {
                if lane.mode == mode {
                    return Ok(());
                }
                lane.mode = mode;
                if mode.is_none() && lane.points.is_empty() {
                    c.lanes.remove(&p);
                }
            }
            (None, None) => return Ok(()),
            (None, Some(_)) => {
                c.lanes.insert(
                    p,
                    Lane {
                        mode,
                        points: Vec::new(),
                    },
                );
            }
        }
        self.mark_changed();
        self.unsettle_play();
        self.sync_play();
        Ok(())
    }

    /// `strip`'s controls, for its lanes.
    pub(super) fn strip_controls(&self, strip: StripRef) -> Result<&Controls, IntentError> {
        self.session
            .controls(strip)
            .ok_or(IntentError::NoSuchTarget(Address::new(
                strip,
                Param::Automation,
            )))
    }

    /// `strip`'s controls, when it has the control lane `p` automates.
    pub(super) fn lane_controls(
        &self,
        strip: StripRef,
        p: LaneParam,
    ) -> Result<&Controls, IntentError> {
        self.session
            .controls(strip)
            .filter(|c| lane_exists(c, p))
            .ok_or(IntentError::NoSuchTarget(lane_address(strip, p)))
    }

    /// The mode lane `p` of `strip` plays in.
    pub fn lane_mode(&self, strip: StripRef, p: LaneParam) -> AutomationMode {
        let mode = self
            .session
            .controls(strip)
            .map_or(AutomationMode::Off, |c| {
                c.lanes.get(&p).and_then(|l| l.mode).unwrap_or(c.automation)
            });
        // Trim writes dB offsets on gains; a channel-strip setting under a
        // strip in trim mode is written like touch.
        match (mode, p) {
            (AutomationMode::Trim, LaneParam::Proc(_)) => AutomationMode::Touch,
            _ => mode,
        }
    }

    /// The lane `p` of `strip`, if it has points and the strip has the
    /// control it automates.
    pub fn lane(&self, strip: StripRef, p: LaneParam) -> Option<&Lane> {
        let c = self.session.controls(strip)?;
        c.lanes
            .get(&p)
            .filter(|l| !l.points.is_empty() && lane_exists(c, p))
    }

    /// True when surface moves of `address` are refused because its lane
    /// plays in read mode.
    pub(super) fn reads_lane(&self, address: Address) -> bool {
        lane_param(address.param).is_some_and(|p| {
            self.lane_mode(address.strip, p) == AutomationMode::Read
                && self.lane(address.strip, p).is_some()
        })
    }
}
