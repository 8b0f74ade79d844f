//! Passes: writing lanes from surface moves (touch, latch, write, trim),
//! release and glide, the transport starting and ending passes, undo.

use super::*;

impl Hub {
    /// A value applied to a lane's control (`before` is the strip before
    /// the change); write it if a pass is on.
    /// A surface moved `address`; `before` was its live value in its
    /// lane's units.
    pub(in crate::mixer) fn automation_moved(&mut self, address: Address, before: Option<f64>) {
        let Some(p) = lane_param(address.param) else {
            return;
        };
        let key = (address.strip, p);
        if !self.transport.rolling {
            return;
        }
        let mode = self.lane_mode(key.0, key.1);
        let frame = self.now_frame();
        let Some(value) = self.written_value(key) else {
            return;
        };
        let hold = u64::from(self.session.sample_rate) / HOLD_DIVISOR;
        if let Some(w) = self.auto.writing.get_mut(&key) {
            w.released = false;
            push_move(&mut w.points, LanePoint { frame, value }, hold);
            return;
        }
        let start = match mode {
            AutomationMode::Touch | AutomationMode::Latch | AutomationMode::Trim => {
                // The value the lane had when the hand took over.
                let v0 = if mode == AutomationMode::Trim {
                    0.0
                } else {
                    lane_value(self.lane(key.0, key.1), p, frame)
                        .or(before)
                        .unwrap_or(value)
                };
                LanePoint { frame, value: v0 }
            }
            AutomationMode::Write => {
                let v0 = before.unwrap_or(value);
                LanePoint {
                    frame: self.auto.pass_start.unwrap_or(frame).min(frame),
                    value: v0,
                }
            }
            AutomationMode::Off | AutomationMode::Read => return,
        };
        self.begin_writing(key, mode, start);
        if let Some(w) = self.auto.writing.get_mut(&key) {
            push_move(&mut w.points, LanePoint { frame, value }, hold);
        }
        self.sync_play();
    }

    /// What a pass writes for lane `key` now: the live value, or in trim
    /// mode the offset.
    pub(super) fn written_value(&self, key: LaneKey) -> Option<f64> {
        if self.lane_mode(key.0, key.1) == AutomationMode::Trim {
            return Some(self.auto.offsets.get(&key).copied().unwrap_or(0.0));
        }
        live_value(self.session.controls(key.0)?, key.1)
    }

    pub(super) fn begin_writing(&mut self, key: LaneKey, mode: AutomationMode, first: LanePoint) {
        self.auto.writing.insert(
            key,
            Writing {
                mode,
                points: vec![first],
                released: false,
            },
        );
    }

    /// A touch began or ended on `address` (explicitly or by timeout).
    pub(in crate::mixer) fn automation_touch(&mut self, address: Address, on: bool) {
        let Some(p) = lane_param(address.param) else {
            return;
        };
        let key = (address.strip, p);
        if on {
            if self.transport.rolling
                && !self.auto.writing.contains_key(&key)
                && matches!(
                    self.lane_mode(key.0, key.1),
                    AutomationMode::Touch | AutomationMode::Latch | AutomationMode::Trim
                )
            {
                let frame = self.now_frame();
                if let Some(v) = self.written_value(key) {
                    let mode = self.lane_mode(key.0, key.1);
                    // Touch and latch take over from what played.
                    let v = if mode == AutomationMode::Trim {
                        v
                    } else {
                        lane_value(self.lane(key.0, key.1), p, frame).unwrap_or(v)
                    };
                    self.begin_writing(key, mode, LanePoint { frame, value: v });
                }
            }
        } else if !self.is_touched(address) {
            self.released(key);
        }
        self.sync_play();
    }

    /// The last touch on `key` ended.
    pub(super) fn released(&mut self, key: LaneKey) {
        let Some(w) = self.auto.writing.get(&key) else {
            return;
        };
        match w.mode {
            AutomationMode::Latch | AutomationMode::Write => {
                if let Some(w) = self.auto.writing.get_mut(&key) {
                    w.released = true;
                }
            }
            AutomationMode::Touch | AutomationMode::Trim => {
                let frame = self.now_frame();
                self.finish(key, frame, true);
            }
            AutomationMode::Off | AutomationMode::Read => {
                self.auto.writing.remove(&key);
            }
        }
    }

    /// End lane `key`'s writing at `frame` (gliding back when `glide`) and
    /// put the result in the lane.
    pub(super) fn finish(&mut self, key: LaneKey, frame: u64, glide: bool) {
        let Some(mut w) = self.auto.writing.remove(&key) else {
            return;
        };
        let Some(v_end) = self.written_value(key) else {
            return;
        };
        let frame = frame.max(w.points.last().map_or(0, |p| p.frame));
        let hold = u64::from(self.session.sample_rate) / HOLD_DIVISOR;
        push_move(
            &mut w.points,
            LanePoint {
                frame,
                value: v_end,
            },
            hold,
        );
        let old = self.lane(key.0, key.1).cloned();
        let old_points = old.as_ref().map(|l| l.points.clone()).unwrap_or_default();
        let p = key.1;
        let glide_end = frame + self.glide_frames();
        let new_span: Vec<LanePoint> = if w.mode == AutomationMode::Trim {
            // Offsets on top of the old lane, gliding back to 0 dB.
            if glide {
                w.points.push(LanePoint {
                    frame: glide_end,
                    value: 0.0,
                });
            }
            let first = w.points[0].frame;
            let last = w.points.last().map_or(first, |q| q.frame);
            let mut frames: Vec<u64> = w
                .points
                .iter()
                .map(|q| q.frame)
                .chain(
                    old_points
                        .iter()
                        .map(|q| q.frame)
                        .filter(|f| (first..=last).contains(f)),
                )
                .collect();
            frames.sort_unstable();
            frames.dedup();
            frames
                .into_iter()
                .map(|f| {
                    let base = value_at(&old_points, p.interp(), f).unwrap_or(0.0);
                    let off = value_at(&w.points, Interp::Linear, f).unwrap_or(0.0);
                    LanePoint {
                        frame: f,
                        value: if base <= GAIN_OFF_DB {
                            GAIN_OFF_DB
                        } else {
                            (base + off).clamp(GAIN_OFF_DB, FADER_MAX_DB)
                        },
                    }
                })
                .collect()
        } else {
            let mut pts = w.points.clone();
            if glide && let Some(back) = value_at(&old_points, p.interp(), glide_end) {
                pts.push(LanePoint {
                    frame: glide_end,
                    value: back,
                });
            }
            pts
        };
        let thinned = thin(&new_span, p.interp(), thin_tolerance(p));
        let merged = splice(&old_points, &thinned, p.interp());
        // One undo snapshot per lane per pass.
        if !self.auto.pass_undo.iter().any(|(k, _)| *k == key) {
            self.auto.pass_undo.push((key, old.clone()));
        }
        let mode = old.as_ref().and_then(|l| l.mode);
        if let Some(c) = self.session.controls_mut(key.0) {
            c.lanes.insert(
                key.1,
                Lane {
                    mode,
                    points: merged,
                },
            );
        }
        self.mark_changed();
        if w.mode == AutomationMode::Trim {
            // The offset is in the lane now.
            self.auto.offsets.remove(&key);
            if let Some(node) = self.node_of(key.0) {
                self.push(ToEngine::Strip {
                    node,
                    param: StripParam::Jump {
                        target: engine_target(key.1),
                        value: 1.0,
                    },
                });
            }
            self.feed_lane_views(key.0, key.1, Origin::Daemon);
        }
        self.resend_automation(false);
    }

    /// The transport started, stopped or moved (called before the engine
    /// hears of it).
    pub(in crate::mixer) fn automation_transport(&mut self, cmd: crate::engine::TransportCmd) {
        use crate::engine::TransportCmd;
        match cmd {
            TransportCmd::Play => {
                if !self.transport.rolling {
                    self.start_pass(self.now_frame());
                }
            }
            TransportCmd::Stop => {
                if self.transport.rolling {
                    self.end_pass(self.now_frame(), true);
                }
            }
            TransportCmd::Loop(_) => {}
            TransportCmd::Locate(to) => {
                // It is the next transport command the hub sends.
                self.auto.locate = Some((to, self.transport.sent + 1));
                self.auto.last_frame = to;
                if self.transport.rolling {
                    self.end_pass(self.now_frame(), false);
                    let to = {
                        let (er, sr) = (self.engine_config.sample_rate, self.session.sample_rate);
                        if er == sr || er == 0 {
                            to
                        } else {
                            (u128::from(to) * u128::from(sr) / u128::from(er)) as u64
                        }
                    };
                    self.start_pass(to);
                }
            }
        }
    }

    pub(super) fn start_pass(&mut self, frame: u64) {
        self.auto.pass_start = Some(frame);
        // Write mode writes every lane that exists from the start.
        for key in self.keys() {
            if self.lane_mode(key.0, key.1) == AutomationMode::Write
                && self.lane(key.0, key.1).is_some()
                && let Some(v) = self.written_value(key)
            {
                self.begin_writing(key, AutomationMode::Write, LanePoint { frame, value: v });
            }
        }
    }

    /// The pass ends at `frame`: every lane being written is finished there;
    /// on a stop, write-mode lanes switch to touch.
    pub(super) fn end_pass(&mut self, frame: u64, stop: bool) {
        let keys: Vec<LaneKey> = self.auto.writing.keys().copied().collect();
        let mut wrote = Vec::new();
        for key in keys {
            let mode = self.auto.writing.get(&key).map(|w| w.mode);
            self.finish(key, frame, false);
            if mode == Some(AutomationMode::Write) {
                wrote.push(key);
            }
        }
        if stop {
            for (strip, p) in wrote {
                let Some(c) = self.session.controls_mut(strip) else {
                    continue;
                };
                match c.lanes.get_mut(&p) {
                    Some(l) if l.mode == Some(AutomationMode::Write) => {
                        l.mode = Some(AutomationMode::Touch)
                    }
                    _ => {
                        if c.automation == AutomationMode::Write {
                            c.automation = AutomationMode::Touch;
                            let a = Address::new(strip, Param::Automation);
                            if let Ok(v) = self.get(a) {
                                self.changed(a, v, Origin::Daemon);
                            }
                        }
                    }
                }
            }
        }
        let step = std::mem::take(&mut self.auto.pass_undo);
        if !step.is_empty() {
            self.push_undo(step);
        }
        self.auto.pass_start = None;
        self.sync_play();
    }

    /// Keep `step` (lanes as they were before it) as the newest undo
    /// step; the oldest go beyond the configured number.
    pub(super) fn push_undo(&mut self, step: Vec<(LaneKey, Option<Lane>)>) {
        self.auto.undo.push_back(step);
        while self.auto.undo.len() > self.auto.undo_passes {
            self.auto.undo.pop_front();
        }
    }

    /// Undo the last automation pass: every lane it wrote goes back to what
    /// it was. Refused while a pass is writing.
    pub fn undo_automation(&mut self) -> Result<usize, IntentError> {
        if !self.auto.writing.is_empty() {
            return Err(IntentError::Busy("an automation pass is being written"));
        }
        let Some(step) = self.auto.undo.pop_back() else {
            return Ok(0);
        };
        let n = step.len();
        for ((strip, p), lane) in step {
            if let Some(c) = self.session.controls_mut(strip) {
                match lane {
                    Some(l) => c.lanes.insert(p, l),
                    None => c.lanes.remove(&p),
                };
            }
        }
        self.mark_changed();
        self.resend_automation(false);
        Ok(n)
    }

    /// Passes that can be undone.
    pub fn undo_depth(&self) -> usize {
        self.auto.undo.len()
    }

    /// The strip's mode changed: trim offsets start at 0 dB; a lane that
    /// stops playing in trim leaves its control where the lane is.
    pub(in crate::mixer) fn automation_mode_changed(
        &mut self,
        strip: StripRef,
        before: AutomationMode,
    ) {
        let now = self
            .session
            .controls(strip)
            .map_or(AutomationMode::Off, |c| c.automation);
        if before == AutomationMode::Trim && now != AutomationMode::Trim {
            self.auto.offsets.retain(|(s, _), _| *s != strip);
        }
        // Writing that the new mode does not do ends here.
        let frame = self.now_frame();
        let keys: Vec<LaneKey> = self
            .auto
            .writing
            .keys()
            .filter(|(s, _)| *s == strip)
            .copied()
            .collect();
        for key in keys {
            self.finish(key, frame, false);
        }
        if self.transport.rolling && now == AutomationMode::Write {
            for key in self.keys().into_iter().filter(|k| k.0 == strip) {
                if self.lane(key.0, key.1).is_some()
                    && let Some(v) = self.written_value(key)
                {
                    self.begin_writing(key, AutomationMode::Write, LanePoint { frame, value: v });
                }
            }
        }
        self.sync_play();
        self.push_strip(strip);
    }

    /// Trim mode: a move of a gain-like control sets the offset (dB).
    /// Returns the offset applied, or `None` when the control is not in trim.
    pub(in crate::mixer) fn trim_move(&mut self, address: Address, db: f64) -> Option<f64> {
        let p = lane_param(address.param)?;
        if !matches!(p, LaneParam::Gain | LaneParam::SendGain(_))
            || self.play_state((address.strip, p)) != AutoPlay::LaneTimesLive
        {
            return None;
        }
        let db = floor_db(db).clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB);
        self.auto.offsets.insert((address.strip, p), db);
        let node = self.node_of(address.strip)?;
        let gain = db_to_amp(db) as f32;
        let param = match p {
            LaneParam::SendGain(k) => StripParam::SendLevel {
                send: k as u16,
                gain,
            },
            _ => StripParam::Fader(gain),
        };
        self.push(ToEngine::Strip { node, param });
        Some(db)
    }

    /// A trim-mode control's value as surfaces see it (the offset).
    pub(in crate::mixer) fn trim_view(&self, address: Address) -> Option<Value> {
        let p = lane_param(address.param)?;
        let db = self.trim_offset_db(address.strip, p)?;
        Some(Value::Float(match address.param {
            Param::Fader | Param::Send(_, SendParam::Fader) => db_to_pos(db),
            _ => db,
        }))
    }
}
