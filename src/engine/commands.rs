//! The engine's side of the command queue: which queued commands are due,
//! and applying them.
//!
//! Thread: audio. Bounded work per call; a replaced graph or lane set goes
//! back to the hub on its queue, never freed here.

use super::{Engine, ToEngine, TransportCmd, params};
use std::sync::atomic::Ordering;

impl Engine {
    /// Apply the queued commands that are due, at most `budget` of them
    /// (it is shared by the pieces of the block that began at sample-clock
    /// frame `block_start`). Inside a block only strip changes apply;
    /// anything else waits for the next block's start, and so does
    /// everything behind it.
    pub(super) fn apply_commands(&mut self, budget: &mut usize, block_start: u64) {
        let mid_block = self.frame > block_start;
        while *budget > 0 {
            match self.commands.peek() {
                Err(_) => return,
                // Leave a swap queued until the old graph has somewhere to go:
                // dropping it here would free memory on the audio thread.
                Ok(ToEngine::SwapGraph(_)) if self.retire.slots() == 0 => return,
                Ok(ToEngine::SwapLanes(_)) if self.retire_lanes.slots() == 0 => return,
                // Not yet: the block splits there.
                Ok(ToEngine::StripAt { frame, .. }) if self.is_ahead(*frame) => return,
                Ok(ToEngine::Strip { .. } | ToEngine::StripAt { .. }) => {}
                Ok(_) if mid_block => return,
                Ok(_) => {}
            }
            *budget -= 1;
            // Whatever the command, the graph is mixed again before it may
            // rest whole.
            self.graph_at_rest = false;
            match self.commands.pop() {
                Ok(ToEngine::Strip { node, param }) => {
                    self.strip_commands += 1;
                    if !params::apply_param(&mut self.graph, node, param) {
                        self.shared.bad_commands.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(ToEngine::StripAt { node, param, frame }) => {
                    self.strip_commands += 1;
                    // Late: its frame had played before this block began.
                    if frame < block_start {
                        self.shared.late_commands.fetch_add(1, Ordering::Relaxed);
                    }
                    if !params::apply_param(&mut self.graph, node, param) {
                        self.shared.bad_commands.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(ToEngine::Transport(cmd)) if self.external => {
                    self.transport_commands += 1;
                    // For the backend to pass on; the oldest is dropped when
                    // four are waiting.
                    if let Some(slot) = self.requests.iter_mut().find(|r| r.is_none()) {
                        *slot = Some(cmd);
                    } else {
                        self.requests.rotate_left(1);
                        self.requests[3] = Some(cmd);
                    }
                }
                Ok(ToEngine::Transport(cmd)) => {
                    self.transport_commands += 1;
                    match cmd {
                        TransportCmd::Play => self.rolling = true,
                        TransportCmd::Stop => self.rolling = false,
                        TransportCmd::Locate(f) => self.transport_frame = f,
                        TransportCmd::Loop(range) => {
                            self.loop_range = range.filter(|(s, e)| e > s);
                        }
                    }
                }
                Ok(ToEngine::Measure(m)) => {
                    if self.measuring.is_some() {
                        // One at a time: refuse it (recorded stays 0).
                        if let Err(rtrb::PushError::Full(m)) = self.measured.push(m) {
                            // Unreachable with the hub's one-at-a-time rule;
                            // never free on this thread.
                            std::mem::forget(m);
                        }
                    } else {
                        self.measuring = Some(m);
                    }
                }
                Ok(ToEngine::SwapLanes(new)) => {
                    let old = std::mem::replace(&mut self.lanes, new);
                    for node in self.graph.nodes.iter_mut() {
                        node.lanes_changed();
                    }
                    if let Err(rtrb::PushError::Full(old)) = self.retire_lanes.push(old) {
                        // Unreachable (a slot was checked); never free here.
                        std::mem::forget(old);
                    }
                }
                #[cfg(debug_assertions)]
                Ok(ToEngine::InjectFault) => panic!("a fault injected by a test"),
                Ok(ToEngine::SwapGraph(new)) => {
                    let old = std::mem::replace(&mut self.graph, new);
                    // Cannot fail: a slot was checked above and only this
                    // thread pushes.
                    if let Err(rtrb::PushError::Full(old)) = self.retire.push(old) {
                        // Unreachable; keep the graph alive rather than free it here.
                        std::mem::forget(old);
                    }
                }
                Err(_) => return,
            }
        }
    }
}
