//! The real-time mixer engine.
//!
//! Thread: audio (real-time). [`Engine::process`] runs inside the audio
//! callback of whatever backend drives it. It never allocates or frees,
//! never locks, never does I/O or logging, and does bounded work per call.
//! Commands arrive on a wait-free SPSC queue ([`ToEngine`]); a replaced graph
//! leaves on another so it is freed by the hub; meters and the sample clock
//! leave through atomics.
//!
//! May import: `dsp`. Nothing here knows about addresses, sessions, YAML or
//! surfaces.

pub mod auto;
pub mod graph;
pub mod ids;
pub mod meters;
pub mod msg;
mod params;
pub mod rt;
mod stems;
mod strip;

pub use graph::{
    Channels, Clip, Dest, FxSpec, GraphError, InsertSpec, MixGraph, NodeSpec, SendDest, SendSpec,
    Source,
};
pub use meters::{MeterBank, MeterReading};
pub use msg::{
    AutoPlay, AutoTarget, LaneSet, Measurement, NodeId, NodeLanes, ProcTarget, StripParam,
    ToEngine, TransportCmd,
};
pub use stems::StemTap;

/// Channel-strip lanes play on this grid of the timeline, in frames (the
/// EQ's glides run on the same size of grid).
pub const PROC_LANE_GRID: u64 = 32;

use crate::dsp::loudness::{LoudnessBlock, LoudnessTap};
use crate::dsp::pan::PanLaw;
use auto::TimelineClock;
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use strip::{Clock, Piece};
pub(crate) use strip::{ScratchBufs, StripPool};

/// Capacity of the hub -> engine command queue. A full fader sweep from a
/// 14-bit surface at 1 kHz on 64 strips is ~64k commands per second, ~90 per
/// 64-frame period; 8192 leaves two orders of magnitude of headroom. The hub
/// coalesces what does not fit and retries on its next tick.
pub const COMMAND_QUEUE_CAPACITY: usize = 8192;
/// Graphs in flight back to the hub. The hub sends a new graph only while a
/// retire slot is free, and the engine leaves a swap queued until one is.
pub const RETIRE_QUEUE_CAPACITY: usize = 8;
/// Lane sets in flight back to the hub; like graphs, a swap waits for a slot.
pub const LANES_RETIRE_CAPACITY: usize = 8;
/// Measurements in flight back to the hub (the hub runs one at a time).
pub const MEASURE_QUEUE_CAPACITY: usize = 4;
/// 100 ms loudness blocks in flight to the hub: 25 s of a stalled hub.
pub const LOUDNESS_QUEUE_CAPACITY: usize = 256;
/// Timed changes ([`ToEngine::StripAt`]) split a block at most this often,
/// in frames: one that falls closer to the last split waits for this many
/// frames after it.
pub const MIN_TIMED_PIECE: usize = 8;
/// Most commands applied per process call (bounded work per period).
pub const MAX_COMMANDS_PER_CALL: usize = 4096;

/// Fixed facts about the audio stream the engine runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Frames per second.
    pub sample_rate: u32,
    /// Largest block `process` is called with.
    pub max_block: usize,
    /// Backend input channels.
    pub inputs: usize,
    /// Backend output channels (at least 2: master L/R).
    pub outputs: usize,
}

/// Counters and clocks the engine publishes to other threads.
#[derive(Debug, Default)]
pub struct EngineShared {
    /// Frames processed since the engine started (the sample clock).
    pub position_frames: AtomicU64,
    /// Process calls that panicked (the engine outputs silence after one).
    pub faults: AtomicU64,
    /// Commands that arrived for a node or send that does not exist.
    pub bad_commands: AtomicU64,
    /// Strip commands taken (each sets one setting of one node).
    pub strip_commands: AtomicU64,
    /// Timestamped commands ([`ToEngine::StripAt`]) that arrived after
    /// their frame had played (applied at once).
    pub late_commands: AtomicU64,
    /// The transport's timeline position in frames.
    pub transport_frames: AtomicU64,
    /// Samples recorded by the latency measurement in progress.
    pub measure_recorded: AtomicU64,
    /// The transport rolls.
    pub transport_rolling: std::sync::atomic::AtomicBool,
    /// Transport commands applied so far (stored after the transport's
    /// position, with release: a hub that counts its own sees whether the
    /// position it reads includes them).
    pub transport_commands: AtomicU64,
}

/// The hub's side of the engine's queues.
#[derive(Debug)]
pub struct EngineLink {
    /// Commands to the engine.
    pub to_engine: Producer<ToEngine>,
    /// Graphs the engine has replaced; drop them here, off the audio thread.
    pub retired: Consumer<Box<MixGraph>>,
    /// Clocks and counters.
    pub shared: Arc<EngineShared>,
    /// Latency measurements that finished (or were refused).
    pub measured: Consumer<Box<Measurement>>,
    /// Lane sets the engine has replaced; drop them here.
    pub retired_lanes: Consumer<Box<LaneSet>>,
    /// The master output's loudness, every 100 ms of audio.
    pub loudness: Consumer<LoudnessBlock>,
}

/// The mixer engine; owned by the audio thread once the backend starts.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    graph: Box<MixGraph>,
    commands: Consumer<ToEngine>,
    retire: Producer<Box<MixGraph>>,
    shared: Arc<EngineShared>,
    inputs: Box<[Box<[f32]>]>,
    outputs: Box<[Box<[f32]>]>,
    frame: u64,
    /// Timeline position (clips play from here while rolling).
    transport_frame: u64,
    rolling: bool,
    measuring: Option<Box<Measurement>>,
    measured: Producer<Box<Measurement>>,
    lanes: Box<LaneSet>,
    retire_lanes: Producer<Box<LaneSet>>,
    /// The transport follows an outside clock ([`Engine::follow`]):
    /// transport commands become requests for it.
    external: bool,
    requests: [Option<TransportCmd>; 4],
    /// Loop from the first frame to (before) the second while rolling.
    loop_range: Option<(u64, u64)>,
    /// Transport commands applied (see [`EngineShared::transport_commands`]).
    transport_commands: u64,
    /// Loudness of outputs 1/2 (the master), measured after everything.
    loudness: LoudnessTap,
    loudness_out: Producer<LoudnessBlock>,
    /// Strips that rest on silence are skipped (see [`strip`]).
    resting_on: bool,
    /// Every node rested through the last mixed block and no command came
    /// since: with silent inputs the next block rests whole
    /// ([`Engine::rest_block`]).
    graph_at_rest: bool,
    /// Frames at the start of every output known to hold exact silence
    /// (written by a resting block, untouched since).
    outputs_silent: usize,
    /// Stems an offline render gathers ([`Engine::tap_stems`]).
    stems: Option<Box<stems::StemTaps>>,
    /// Strip commands taken (published once per call).
    strip_commands: u64,
}

impl Engine {
    /// An engine playing `graph`, and the hub's link to it. Allocates: call
    /// before the audio thread starts. `graph` must have been built with
    /// `max_block >= config.max_block`.
    pub fn new(config: EngineConfig, graph: MixGraph) -> (Engine, EngineLink) {
        let (to_engine, commands) = RingBuffer::new(COMMAND_QUEUE_CAPACITY);
        let (retire, retired) = RingBuffer::new(RETIRE_QUEUE_CAPACITY);
        let (measured_tx, measured) = RingBuffer::new(MEASURE_QUEUE_CAPACITY);
        let (retire_lanes, retired_lanes) = RingBuffer::new(LANES_RETIRE_CAPACITY);
        let (loudness_out, loudness) = RingBuffer::new(LOUDNESS_QUEUE_CAPACITY);
        let shared = Arc::new(EngineShared::default());
        let buffers = |n: usize| -> Box<[Box<[f32]>]> {
            (0..n)
                .map(|_| vec![0.0; config.max_block].into_boxed_slice())
                .collect()
        };
        let engine = Engine {
            config: EngineConfig {
                outputs: config.outputs.max(2),
                ..config
            },
            graph: Box::new(graph),
            commands,
            retire,
            shared: Arc::clone(&shared),
            inputs: buffers(config.inputs),
            outputs: buffers(config.outputs.max(2)),
            frame: 0,
            transport_frame: 0,
            rolling: false,
            measuring: None,
            measured: measured_tx,
            lanes: Box::default(),
            retire_lanes,
            external: false,
            requests: [None; 4],
            loop_range: None,
            transport_commands: 0,
            loudness: LoudnessTap::new(config.sample_rate),
            loudness_out,
            resting_on: true,
            graph_at_rest: false,
            outputs_silent: 0,
            stems: None,
            strip_commands: 0,
        };
        (
            engine,
            EngineLink {
                to_engine,
                retired,
                shared,
                measured,
                retired_lanes,
                loudness,
            },
        )
    }

    /// Swap the clips nodes play: `with(old)` gives the replacement for a
    /// clip, or `None` to keep it. Returns the clips replaced.
    ///
    /// Not real-time (it allocates the returned list): an offline render
    /// calls it between process calls, to play long files a window at a
    /// time.
    pub fn replace_clips(
        &mut self,
        mut with: impl FnMut(&Arc<Clip>) -> Option<Arc<Clip>>,
    ) -> Vec<Arc<Clip>> {
        let mut old = Vec::new();
        for node in self.graph.nodes.iter_mut() {
            if let graph::NodeInput::Clip { clip, .. } = &mut node.input
                && let Some(new) = with(clip)
            {
                old.push(std::mem::replace(clip, new));
            }
        }
        old
    }

    /// The stream facts this engine was built for.
    pub fn config(&self) -> EngineConfig {
        self.config
    }

    /// Backend input channel `ch`, to be filled before [`Engine::process`].
    /// Empty if there is no such channel.
    pub fn input_mut(&mut self, ch: usize) -> &mut [f32] {
        self.inputs.get_mut(ch).map_or(&mut [], |b| &mut b[..])
    }

    /// Backend output channel `ch` as written by the last [`Engine::process`]
    /// (its first `frames` samples). Empty if there is no such channel.
    pub fn output(&self, ch: usize) -> &[f32] {
        self.outputs.get(ch).map_or(&[], |b| &b[..])
    }

    /// Gather stems from the next process call on: one per `taps` entry
    /// (node, how), taken through the master node `master` where asked.
    /// Read them with [`Engine::stem`]. For an offline render: allocates,
    /// so call it before processing, and the graph must stay the same.
    pub fn tap_stems(&mut self, master: NodeId, taps: &[(NodeId, StemTap)]) {
        let index = |n: NodeId| usize::from(n.0);
        let taps: Vec<(usize, StemTap)> = taps.iter().map(|&(n, t)| (index(n), t)).collect();
        let (eq, latency) = match self.graph.nodes.get(index(master)) {
            Some(m) => (m.eq.clone(), m.limiter.as_ref().map_or(0, |l| l.latency())),
            None => return,
        };
        let frames = self.config.max_block;
        self.stems = Some(Box::new(stems::StemTaps::new(
            index(master),
            &taps,
            frames,
            &eq,
            latency,
        )));
        // A node's taps see every piece it mixes.
        self.graph_at_rest = false;
    }

    /// Stem `k` (in [`Engine::tap_stems`]' order) of the last process
    /// call, left and right, whole: its first `n` frames are the call's.
    pub fn stem(&self, k: usize) -> (&[f32], &[f32]) {
        self.stems.as_deref().map_or((&[], &[]), |s| s.stem(k))
    }

    /// Where node `node` sends its output, if it exists.
    pub fn destination(&self, node: NodeId) -> Option<Dest> {
        self.graph.nodes.get(usize::from(node.0)).map(|n| n.dest)
    }

    /// Node `node`'s post-pan output (left, right) from the last piece
    /// mixed: what it feeds its destination.
    pub fn node_output(&self, node: NodeId) -> (&[f32], &[f32]) {
        match self.graph.nodes.get(usize::from(node.0)) {
            Some(n) => (&n.out.l, &n.out.r),
            None => (&[], &[]),
        }
    }

    /// Whether strips that rest on silence are skipped (on by default;
    /// the output is the same either way, sample for sample: tests and
    /// benchmarks compare).
    pub fn set_resting(&mut self, on: bool) {
        self.resting_on = on;
        self.graph_at_rest = false;
        if !on {
            for n in self.graph.nodes.iter_mut() {
                n.resting = false;
            }
        }
    }

    /// True when every node rested through the last mixed block and no
    /// command came since: the next block, given silent inputs, is not
    /// mixed at all.
    pub fn rests_whole(&self) -> bool {
        self.graph_at_rest
    }

    /// How many strips rest (are skipped) now.
    pub fn resting_strips(&self) -> usize {
        self.graph.nodes.iter().filter(|n| n.resting).count()
    }

    /// Commands waiting for the next process call (a test counts what one
    /// change sends).
    pub fn queued_commands(&self) -> usize {
        self.commands.slots()
    }

    /// Frames processed so far.
    pub fn position_frames(&self) -> u64 {
        self.frame
    }

    /// Follow an outside transport (JACK's): from now on the backend sets
    /// the position and state at the start of each cycle, and transport
    /// commands from the hub wait in [`Engine::take_transport_request`]
    /// for the backend to pass on. Real-time safe.
    pub fn follow(&mut self, frame: u64, rolling: bool) {
        self.external = true;
        self.transport_frame = frame;
        self.rolling = rolling;
    }

    /// The oldest transport command the hub asked for while following an
    /// outside transport. Real-time safe.
    pub fn take_transport_request(&mut self) -> Option<TransportCmd> {
        let first = self.requests[0].take();
        self.requests.rotate_left(1);
        first
    }

    /// The transport's timeline frame (after the last block).
    pub fn transport_frame(&self) -> u64 {
        self.transport_frame
    }

    /// True while the transport rolls.
    pub fn is_rolling(&self) -> bool {
        self.rolling
    }

    /// Process one block of `frames` frames (at most `max_block`; more is
    /// clamped): apply queued commands, mix, write outputs. Returns the
    /// number of frames processed.
    ///
    /// # Real-time safety
    /// No allocation, deallocation, lock, syscall or unbounded loop. Call it
    /// through [`rt::process_guarded`] from a real-time callback.
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
                .all(|node| strip::hears_silence_standing(node, &self.inputs, n))
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
    fn is_ahead(&self, frame: u64) -> bool {
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

    pub(crate) fn silence_outputs(&mut self) {
        for out in self.outputs.iter_mut() {
            out.fill(0.0);
        }
    }

    pub(crate) fn note_fault(&self) {
        self.shared.faults.fetch_add(1, Ordering::Relaxed);
    }

    /// Apply the queued commands that are due, at most `budget` of them
    /// (it is shared by the pieces of the block that began at sample-clock
    /// frame `block_start`). Inside a block only strip changes apply;
    /// anything else waits for the next block's start, and so does
    /// everything behind it.
    fn apply_commands(&mut self, budget: &mut usize, block_start: u64) {
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
