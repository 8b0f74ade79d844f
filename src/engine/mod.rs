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
mod commands;
pub mod graph;
pub mod ids;
pub mod meters;
pub mod msg;
mod params;
mod process;
pub mod rt;
mod source;
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
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

    pub(crate) fn silence_outputs(&mut self) {
        for out in self.outputs.iter_mut() {
            out.fill(0.0);
        }
    }

    pub(crate) fn note_fault(&self) {
        self.shared.faults.fetch_add(1, Ordering::Relaxed);
    }
}
