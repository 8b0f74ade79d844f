//! One period of the engine: the commands due, then either a whole-graph
//! rest or the mix (split where timed changes, the lanes' grid and the
//! loop fall), the measurement, loudness, and what the hub reads back.
//!
//! Thread: audio. See the module docs of `engine` for its contract.

use super::auto::TimelineClock;
use super::source::{self, Clock};
use super::strip::{self, Piece, StripPool};
use super::{Engine, MAX_COMMANDS_PER_CALL, MIN_TIMED_PIECE, PROC_LANE_GRID, ToEngine};
use std::sync::atomic::Ordering;

impl Engine {
    /// Process one block of `frames` frames (at most `max_block`; more is
    /// clamped): apply queued commands, mix, write outputs. Returns the
    /// number of frames processed.
    ///
    /// # Real-time safety
    /// No allocation, deallocation, lock, syscall or unbounded loop. Call it
    /// through [`super::rt::process_guarded`] from a real-time callback.
    pub fn process(&mut self, frames: usize) -> usize {
        self.process_in(frames, None)
    }

    /// [`Engine::process`], with the strips that stand alone spread over
    /// `pool`'s threads (an offline render). The output is the same.
    pub(crate) fn process_spread(&mut self, frames: usize, pool: &dyn StripPool) -> usize {
        self.process_in(frames, Some(pool))
    }

    fn process_in(&mut self, frames: usize, pool: Option<&dyn StripPool>) -> usize {
        let mut budget = MAX_COMMANDS_PER_CALL;
        let block_start = self.frame;
        self.apply_commands(&mut budget, block_start);
        let n = frames.min(self.config.max_block).min(self.graph.max_block);
        if self.may_rest_whole(n) {
            self.rest_block(n);
        } else {
            self.mix_block(n, budget, block_start, pool);
        }
        self.run_measurement(n);
        if let [l, r, ..] = &self.outputs[..] {
            let queue = &mut self.loudness_out;
            self.loudness.process(&l[..n], &r[..n], |block| {
                // A hub that stopped reading loses blocks, never the audio.
                let _ = queue.push(block);
            });
        }
        // The transport first, then the count of transport commands with
        // release: a hub that sees its command counted (acquire) also sees
        // where the transport went.
        self.shared
            .position_frames
            .store(self.frame, Ordering::Relaxed);
        self.shared
            .strip_commands
            .store(self.strip_commands, Ordering::Relaxed);
        self.shared
            .transport_frames
            .store(self.transport_frame, Ordering::Relaxed);
        self.shared
            .transport_rolling
            .store(self.rolling, Ordering::Relaxed);
        self.shared
            .transport_commands
            .store(self.transport_commands, Ordering::Release);
        n
    }

    /// True when the next `n` frames need no mixing: every node rested
    /// through the last block, no command was applied or waits, the
    /// transport stands (no clip plays, no lane moves), nothing is being
    /// measured, and every input a node hears is exact silence. Mixing
    /// would then give exact silence everywhere and leave every node as
    /// it is.
    fn may_rest_whole(&self, n: usize) -> bool {
        self.graph_at_rest
            && !self.rolling
            && self.measuring.is_none()
            && self.commands.is_empty()
            && self
                .graph
                .nodes
                .iter()
                .all(|node| source::hears_silence_standing(node, &self.inputs, n))
    }

    /// A block in which the whole graph rests: what mixing would give
    /// (silence out, meters reading silence) without the mixing.
    fn rest_block(&mut self, n: usize) {
        for (i, node) in self.graph.nodes.iter_mut().enumerate() {
            strip::rest(node, i, &self.graph.meters, n);
        }
        if let Some(stems) = self.stems.as_deref_mut() {
            stems.silence(n);
        }
        if n > self.outputs_silent {
            for out in self.outputs.iter_mut() {
                out[..n].fill(0.0);
            }
            self.outputs_silent = n;
        }
        self.frame += n as u64;
    }

    /// Mix one block of `n` frames, applying the commands due inside it.
    fn mix_block(
        &mut self,
        n: usize,
        mut budget: usize,
        block_start: u64,
        pool: Option<&dyn StripPool>,
    ) {
        for out in self.outputs.iter_mut() {
            out[..n].fill(0.0);
        }
        self.outputs_silent = 0;
        // A loop's end splits the block: the frames after it play from the
        // loop's start, in the same block. So does a timed change, at most
        // every MIN_TIMED_PIECE frames (a dense stream of timed changes
        // costs a bounded number of pieces; one closer than that to the
        // last waits for it).
        let mut done = 0;
        let mut next_timed_split = 0usize;
        while done < n {
            if done > 0 {
                self.apply_commands(&mut budget, block_start);
            }
            let to_timed = self.frames_to_stamped_command();
            let to_timed = if to_timed == usize::MAX {
                to_timed
            } else {
                to_timed.max(next_timed_split.saturating_sub(done))
            };
            let m = (n - done)
                .min(self.frames_to_loop_end())
                .min(self.frames_to_proc_grid())
                .min(to_timed);
            if m == to_timed {
                next_timed_split = done + m + MIN_TIMED_PIECE;
            }
            self.render(done, m, pool);
            self.frame += m as u64;
            if self.rolling {
                self.transport_frame += m as u64;
                if let Some((start, end)) = self.loop_range
                    && self.transport_frame == end
                {
                    self.transport_frame = start;
                }
            }
            done += m;
        }
        self.graph_at_rest = self.resting_on && self.graph.nodes.iter().all(|node| node.resting);
    }

    /// Frames to the next point of the channel-strip lanes' grid, while
    /// they play and the transport rolls (their values change there).
    fn frames_to_proc_grid(&self) -> usize {
        if self.graph.proc_playing && self.rolling {
            (PROC_LANE_GRID - self.transport_frame % PROC_LANE_GRID) as usize
        } else {
            usize::MAX
        }
    }

    /// Frames until the timestamped command at the queue's head is due.
    fn frames_to_stamped_command(&self) -> usize {
        match self.commands.peek() {
            Ok(ToEngine::StripAt { frame, .. }) if self.is_ahead(*frame) => {
                usize::try_from(frame - self.frame).unwrap_or(usize::MAX)
            }
            _ => usize::MAX,
        }
    }

    /// Whether a change stamped for `frame` is still to come. A stamp
    /// more than half a second ahead cannot be a surface's (they are a
    /// period ahead): it applies at once rather than hold every command
    /// behind it.
    pub(super) fn is_ahead(&self, frame: u64) -> bool {
        frame > self.frame && frame - self.frame <= u64::from(self.config.sample_rate / 2)
    }

    /// Frames until the loop's end, while rolling inside a loop.
    fn frames_to_loop_end(&self) -> usize {
        match self.loop_range {
            Some((_, end)) if self.rolling && self.transport_frame < end => {
                usize::try_from(end - self.transport_frame).unwrap_or(usize::MAX)
            }
            _ => usize::MAX,
        }
    }

    /// Mix `n` frames into the outputs from frame `off` of the block. With
    /// a `pool`, the strips that stand alone run there first; the routes
    /// are then summed in node order, so the output is the same.
    fn render(&mut self, off: usize, n: usize, pool: Option<&dyn StripPool>) {
        let graph = &mut *self.graph;
        let piece = Piece {
            clock: Clock {
                frame: self.frame,
                timeline: self.rolling.then_some(self.transport_frame),
                automation: TimelineClock {
                    frame: self.transport_frame,
                    rolling: self.rolling,
                },
            },
            lanes: &self.lanes.nodes,
            pan_law: self.lanes.pan_law,
            proc_grid: graph
                .proc_playing
                .then(|| self.transport_frame - self.transport_frame % PROC_LANE_GRID),
            inputs: &self.inputs,
            meters: &graph.meters,
            off,
            n,
            rest: self.resting_on,
        };
        if let Some(pool) = pool {
            pool.run(&mut graph.nodes, &|i, node, scratch| {
                if node.stands_alone() {
                    strip::run_strip(node, i, &piece, None, None, scratch, None);
                }
            });
        }
        let mut stems = self.stems.as_deref_mut();
        for (i, node) in graph.nodes.iter_mut().enumerate() {
            let (own_acc, later_accs) = graph.accs.split_at_mut(i + 1);
            if pool.is_none() || !node.stands_alone() {
                // The master (a bus: it never stands alone) records its
                // chain for stems taken through it.
                let trace = stems
                    .as_deref_mut()
                    .filter(|s| s.master() == i)
                    .and_then(|s| s.trace.as_mut());
                strip::run_strip(
                    node,
                    i,
                    &piece,
                    Some(&mut own_acc[i]),
                    Some(&mut self.outputs),
                    &mut graph.scratch.bufs,
                    trace,
                );
            }
            // A resting strip put out exact silence: adding it changes
            // nothing (an accumulator or output is never -0.0 to begin with).
            if !node.resting {
                strip::route(node, i, later_accs, &mut self.outputs, off, n);
            }
        }
        if let Some(stems) = stems {
            stems.gather(&graph.nodes, piece.clock.frame, off, n);
        }
    }

    /// Play and record the latency measurement in progress, if any.
    fn run_measurement(&mut self, n: usize) {
        let Some(m) = self.measuring.as_mut() else {
            return;
        };
        let len = m.capture.len();
        let take = n.min(len - m.recorded.min(len));
        if let Some(out) = self.outputs.get_mut(m.output) {
            for (i, o) in out[..n].iter_mut().enumerate() {
                *o = m.signal.get(m.recorded + i).copied().unwrap_or(0.0);
            }
        }
        let input = self.inputs.get(m.input).map(|b| &b[..take]);
        let dst = &mut m.capture[m.recorded..m.recorded + take];
        match input {
            Some(src) => dst.copy_from_slice(src),
            None => dst.fill(0.0),
        }
        m.recorded += take;
        self.shared
            .measure_recorded
            .store(m.recorded as u64, Ordering::Relaxed);
        if m.recorded >= len
            && let Some(done) = self.measuring.take()
            && let Err(rtrb::PushError::Full(done)) = self.measured.push(done)
        {
            // The hub has not taken earlier ones yet: hand it over later.
            self.measuring = Some(done);
        }
    }
}
