//! Playback: what each engine coefficient plays, the lanes read each
//! tick to show their values, trim offsets.

use super::*;

impl Hub {
    pub(super) fn play_state(&self, key: LaneKey) -> AutoPlay {
        if self.lane(key.0, key.1).is_none() {
            return AutoPlay::Live;
        }
        match self.lane_mode(key.0, key.1) {
            AutomationMode::Off | AutomationMode::Write => AutoPlay::Live,
            AutomationMode::Read => AutoPlay::Lane,
            AutomationMode::Touch | AutomationMode::Latch => {
                if self.auto.writing.contains_key(&key)
                    || self.is_touched(lane_address(key.0, key.1))
                {
                    AutoPlay::Live
                } else {
                    AutoPlay::Lane
                }
            }
            AutomationMode::Trim => {
                if matches!(key.1, LaneParam::Gain | LaneParam::SendGain(_)) {
                    AutoPlay::LaneTimesLive
                } else {
                    AutoPlay::Lane
                }
            }
        }
    }

    /// True when no lane has a point, none is being written and the engine
    /// plays every coefficient live: a tick has nothing to play or tell
    /// (an idle daemon's tick stays cheap).
    pub(in crate::mixer) fn automation_at_rest(&self) -> bool {
        self.auto.writing.is_empty() && self.auto.sent.is_empty() && self.lane_points() == 0
    }

    pub(super) fn keys(&self) -> Vec<LaneKey> {
        let mut keys = Vec::new();
        for strip in self.strips() {
            let Some(c) = self.session.controls(strip) else {
                continue;
            };
            for p in [
                LaneParam::Gain,
                LaneParam::Trim,
                LaneParam::Pan,
                LaneParam::Mute,
            ] {
                keys.push((strip, p));
            }
            for k in 0..c.sends.len() {
                keys.push((strip, LaneParam::SendGain(k)));
            }
            let mut procs: Vec<ProcTarget> = c
                .lanes
                .keys()
                .filter_map(|p| match p {
                    LaneParam::Proc(t) => Some(*t),
                    _ => None,
                })
                .collect();
            procs.sort_by_key(|t| t.index());
            keys.extend(procs.into_iter().map(|t| (strip, LaneParam::Proc(t))));
        }
        keys
    }

    /// Tell the engine what every coefficient plays, where that changed,
    /// and note the lanes that play for [`Self::automation_tick`] to read.
    ///
    /// While a lane plays, the engine's live value for it is not kept up
    /// to date (the hub's is, for the surfaces): when the lane stops
    /// playing (a touch, a mode change) the strip's live values are sent
    /// first, so the engine's handover ramps from what played to them.
    ///
    /// Only lanes with points and coefficients that play something other
    /// than live are looked at: a control without a lane plays live.
    pub(in crate::mixer) fn sync_play(&mut self) {
        let was_reading = std::mem::take(&mut self.auto.reading);
        let mut carried = was_reading.iter().peekable();
        let mut reading = Vec::with_capacity(was_reading.len());
        let mut switches: Vec<(LaneKey, NodeId, AutoPlay)> = Vec::new();
        for strip in self.strips() {
            let (Some(node), Some(c)) = (self.node_of(strip), self.session.controls(strip)) else {
                continue;
            };
            let told = self.auto.sent.get(&node).map_or(&[][..], Vec::as_slice);
            let plays = |p: LaneParam| self.lane(strip, p).is_some();
            for &p in c.lanes.keys().filter(|p| plays(**p)) {
                let key = (strip, p);
                let play = self.play_state(key);
                if play == AutoPlay::Lane {
                    // The same lanes play tick after tick, in the same order.
                    let cursor = carried
                        .next_if(|(k, _)| *k == key)
                        .map(|(_, c)| *c)
                        .unwrap_or_default();
                    reading.push((key, cursor));
                }
                let target = engine_target(p);
                let sent = told
                    .iter()
                    .find(|(t, _)| *t == target)
                    .map_or(AutoPlay::Live, |(_, play)| *play);
                if sent != play {
                    switches.push((key, node, play));
                }
            }
            // Told to play a lane that no longer plays (deleted, emptied).
            for &(target, _) in told {
                let p = lane_of_target(target);
                if !plays(p) {
                    switches.push(((strip, p), node, AutoPlay::Live));
                }
            }
        }
        for ((strip, p), node, play) in switches {
            if play == AutoPlay::Live {
                self.push_strip_parts(strip, lane_control(p).spec().engine);
            }
            let target = engine_target(p);
            let told = self.auto.sent.entry(node).or_default();
            told.retain(|(t, _)| *t != target);
            if play != AutoPlay::Live {
                told.push((target, play));
            }
            if told.is_empty() {
                self.auto.sent.remove(&node);
            }
            self.push(ToEngine::Strip {
                node,
                param: StripParam::Play { target, play },
            });
        }
        self.auto.reading = reading;
        self.auto.play_settled = true;
    }

    /// What plays may have changed (a value, a mode, a lane was set; a
    /// touch began or ended): the next tick works it out again.
    pub(in crate::mixer) fn unsettle_play(&mut self) {
        self.auto.play_settled = false;
    }

    /// The engine has a new graph (every coefficient plays live) or new
    /// lanes: send the lanes and what plays.
    pub(in crate::mixer) fn resend_automation(&mut self, new_graph: bool) {
        if new_graph {
            self.auto.sent.clear();
        }
        let set = lane_set(&self.session, &self.map, self.engine_config.sample_rate);
        self.push(ToEngine::SwapLanes(Box::new(set)));
        self.sync_play();
    }

    /// The live value the engine gets for a gain-like lane: the trim-mode
    /// offset while the lane plays times it.
    pub(in crate::mixer) fn trim_offset_db(&self, strip: StripRef, p: LaneParam) -> Option<f64> {
        (self.play_state((strip, p)) == AutoPlay::LaneTimesLive)
            .then(|| self.auto.offsets.get(&(strip, p)).copied().unwrap_or(0.0))
    }

    /// Every hub tick: end touches that timed out, and put what the lanes
    /// play into the controls so every surface (motor faders, tablets)
    /// follows playback.
    pub(in crate::mixer) fn automation_tick(&mut self) {
        let writing: Vec<LaneKey> = self.auto.writing.keys().copied().collect();
        for key in writing {
            if !self.is_touched(lane_address(key.0, key.1)) {
                self.released(key);
            }
        }
        // Nothing to play or tell (an idle daemon's tick stays cheap), and
        // nothing new to tell while the same lanes go on playing.
        let at_rest = self.automation_at_rest();
        let settled =
            self.auto.play_settled && self.auto.writing.is_empty() && self.touches.is_empty();
        if !at_rest && !settled {
            self.sync_play();
        }
        let frame = self.now_frame();
        // The timeline jumped back under a rolling pass (a loop, an outside
        // transport's locate): the pass ends where it was and a new one
        // starts here.
        if self.transport.rolling && frame < self.auto.last_frame && self.auto.pass_start.is_some()
        {
            let was = self.auto.last_frame;
            self.end_pass(was, false);
            self.start_pass(frame);
        }
        self.auto.last_frame = frame;
        if at_rest {
            return;
        }
        // The hub's values follow what plays (the engine is not told: see
        // `sync_play`).
        let mut reading = std::mem::take(&mut self.auto.reading);
        for ((strip, p), cursor) in &mut reading {
            let Some(c) = self.session.controls_mut(*strip) else {
                continue;
            };
            let Some(v) = c
                .lanes
                .get(p)
                .and_then(|l| cursor.value_at(&l.points, p.interp(), frame))
            else {
                continue;
            };
            let before = live_value(c, *p);
            set_live(c, *p, v);
            if live_value(c, *p) != before {
                self.feed_lane_views(*strip, *p, Origin::Daemon);
            }
        }
        self.auto.reading = reading;
    }

    pub(super) fn feed_lane_views(&mut self, strip: StripRef, p: LaneParam, origin: Origin) {
        for a in lane_address(strip, p).views() {
            if let Ok(value) = self.get(a) {
                self.feedback.push(Feedback {
                    address: a,
                    value,
                    origin,
                });
            }
        }
    }
}
