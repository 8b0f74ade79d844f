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
pub mod meters;
pub mod msg;
pub mod rt;

pub use graph::{
    Channels, Clip, Dest, FxSpec, GraphError, InsertSpec, MixGraph, NodeSpec, SendDest, SendSpec,
    Source,
};
pub use meters::{MeterBank, MeterReading};
pub use msg::{
    AutoPlay, AutoTarget, LaneSet, Measurement, NodeId, NodeLanes, ProcTarget, StripParam,
    ToEngine, TransportCmd,
};

/// Channel-strip lanes play on this grid of the timeline, in frames (the
/// EQ's glides run on the same size of grid).
pub const PROC_LANE_GRID: u64 = 32;

use crate::dsp::automation::{Interp, LanePoint};
use crate::dsp::loudness::{LoudnessBlock, LoudnessTap};
use crate::dsp::pan::PanLaw;
use crate::dsp::ramp::{Span, add_scaled, product, scale_in_place, scale_into};
use auto::{AutoParam, LaneConv, LaneView, TimelineClock};
use graph::{Node, NodeInput, StereoBuf};
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

    /// Node `node`'s post-pan output (left, right) from the last process call:
    /// what it feeds its destination. Used for stems.
    pub fn node_output(&self, node: NodeId) -> (&[f32], &[f32]) {
        match self.graph.nodes.get(usize::from(node.0)) {
            Some(n) => (&n.out.l, &n.out.r),
            None => (&[], &[]),
        }
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
        let n = frames.min(self.config.max_block).min(self.graph.max_block);
        self.apply_commands();
        for out in self.outputs.iter_mut() {
            out[..n].fill(0.0);
        }
        // A loop's end splits the block: the frames after it play from the
        // loop's start, in the same block.
        let mut done = 0;
        while done < n {
            let m = (n - done)
                .min(self.frames_to_loop_end())
                .min(self.frames_to_proc_grid());
            self.render(done, m);
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

    /// Frames to the next point of the channel-strip lanes' grid, while
    /// they play and the transport rolls (their values change there).
    fn frames_to_proc_grid(&self) -> usize {
        if self.graph.proc_playing && self.rolling {
            (PROC_LANE_GRID - self.transport_frame % PROC_LANE_GRID) as usize
        } else {
            usize::MAX
        }
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

    /// Mix `n` frames into the outputs from frame `off` of the block.
    fn render(&mut self, off: usize, n: usize) {
        let graph = &mut *self.graph;
        let node_count = graph.nodes.len();
        let clock = Clock {
            frame: self.frame,
            timeline: self.rolling.then_some(self.transport_frame),
            automation: TimelineClock {
                frame: self.transport_frame,
                rolling: self.rolling,
            },
        };
        let pan_law = self.lanes.pan_law;
        for i in 0..node_count {
            let (own_acc, later_accs) = graph.accs.split_at_mut(i + 1);
            let node = &mut graph.nodes[i];
            if graph.proc_playing
                && let Some(lanes) = self.lanes.nodes.get(i)
                && !lanes.proc.is_empty()
            {
                // The grid point at or before this piece: every piece
                // between two grid points plays the same values, however
                // the blocks fall.
                let grid = self.transport_frame - self.transport_frame % PROC_LANE_GRID;
                node.play_proc_lanes(lanes, grid);
            }
            fill_source(node, &mut own_acc[i], &self.inputs, off, clock, n);
            let mut io = Io {
                inputs: &self.inputs,
                outputs: &mut self.outputs,
                off,
            };
            let lanes = Lanes {
                node: self.lanes.nodes.get(i),
                pan_law,
                clock: clock.automation,
                sample_clock: clock.frame,
            };
            mix_node(
                node,
                i,
                &lanes,
                later_accs,
                &mut io,
                &mut graph.scratch.bufs,
                n,
            );
            let (pl, ml) = node.meter[0].block(&node.out.l[..n]);
            let (pr, mr) = node.meter[1].block(&node.out.r[..n]);
            let reduction = node
                .comp
                .take_gain_reduction()
                .min(node.gate.take_gain_reduction())
                .min(
                    node.limiter
                        .as_mut()
                        .map_or(0.0, |l| l.take_gain_reduction()),
                );
            graph.meters.record(i, [pl, pr], [ml, mr], reduction);
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

    fn apply_commands(&mut self) {
        for _ in 0..MAX_COMMANDS_PER_CALL {
            match self.commands.peek() {
                Err(_) => return,
                // Leave a swap queued until the old graph has somewhere to go:
                // dropping it here would free memory on the audio thread.
                Ok(ToEngine::SwapGraph(_)) if self.retire.slots() == 0 => return,
                Ok(ToEngine::SwapLanes(_)) if self.retire_lanes.slots() == 0 => return,
                Ok(_) => {}
            }
            match self.commands.pop() {
                Ok(ToEngine::Strip { node, param }) => {
                    if !apply_param(&mut self.graph, node, param) {
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

fn apply_param(graph: &mut MixGraph, node: NodeId, param: StripParam) -> bool {
    let Some(n) = graph.nodes.get_mut(usize::from(node.0)) else {
        return false;
    };
    match param {
        StripParam::Trim(g) => n.trim.live.set_target(g),
        StripParam::Polarity(g) => n.polarity.set_target(g),
        StripParam::Fader(g) => n.fader.live.set_target(g),
        StripParam::Mute(g) => n.mute.live.set_target(g),
        StripParam::SoloGate(g) => n.solo.set_target(g),
        StripParam::Pan { l, r } => {
            n.pan_l.live.set_target(l);
            n.pan_r.live.set_target(r);
        }
        StripParam::Play { target, play } => match target {
            AutoTarget::Pan => {
                n.pan_l.set_play(play);
                n.pan_r.set_play(play);
            }
            AutoTarget::Proc(p) => {
                let playing = play != AutoPlay::Live;
                n.proc_play[p.index()] = playing;
                if playing {
                    graph.proc_playing = true;
                } else {
                    graph.proc_playing = graph.nodes.iter().any(|n| n.proc_play.contains(&true));
                }
            }
            t => match n.auto_param(t) {
                Some(p) => p.set_play(play),
                None => return false,
            },
        },
        StripParam::Jump { target, value } => match n.auto_param(target) {
            Some(p) if target != AutoTarget::Pan => p.live.jump(value),
            _ => return false,
        },
        StripParam::EqBand { band, spec } => {
            let mut eq = n.eq.spec();
            match eq.bands.get_mut(usize::from(band)) {
                Some(b) => *b = spec,
                None => return false,
            }
            n.eq.set(eq);
        }
        StripParam::Hpf { on, hz, slope } => {
            let mut eq = n.eq.spec();
            eq.hpf_on = on;
            eq.hpf_hz = hz;
            eq.hpf_slope = slope;
            n.eq.set(eq);
        }
        StripParam::EqOn(on) => {
            let mut eq = n.eq.spec();
            eq.on = on;
            n.eq.set(eq);
        }
        StripParam::Comp(spec) => n.comp.set(spec),
        StripParam::Gate(spec) => n.gate.set(spec),
        StripParam::DynamicsFirst(first) => n.dynamics_first = first,
        // Settings for a processor this graph lacks belong to the graph the
        // hub is about to swap in (it adds or removes processors by
        // rebuilding, and the new graph is built with them): not an error.
        StripParam::Limiter(spec) => {
            if let Some(l) = n.limiter.as_mut() {
                l.set(spec);
            }
        }
        StripParam::Echo(spec) => {
            if let Some(graph::Fx::Echo(e)) = n.fx.as_deref_mut() {
                e.set(spec);
            }
        }
        StripParam::Reverb(spec) => {
            if let Some(graph::Fx::Reverb(r)) = n.fx.as_deref_mut() {
                r.set(spec);
            }
        }
        StripParam::SendLevel { send, gain } => match n.sends.get_mut(usize::from(send)) {
            Some(s) => s.level.live.set_target(gain),
            None => return false,
        },
        StripParam::SendPan { send, l, r } => match n.sends.get_mut(usize::from(send)) {
            Some(s) => {
                s.pan_l.set_target(l);
                s.pan_r.set_target(r);
            }
            None => return false,
        },
        StripParam::SendPre { send, pre } => match n.sends.get_mut(usize::from(send)) {
            Some(s) => s.pre = pre,
            None => return false,
        },
        StripParam::InsertWet(w) => match n.insert.as_mut() {
            Some(ins) => ins.wet.set_target(w),
            None => return false,
        },
    }
    true
}

/// The clocks a block is rendered at.
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// Free-running sample clock (generators run on it).
    frame: u64,
    /// Timeline frame while the transport rolls (clips play on it); `None`
    /// when stopped: clips are silent.
    timeline: Option<u64>,
    /// The timeline as automation reads it (also when stopped).
    automation: TimelineClock,
}

/// One node's lanes and how to read them in this block.
struct Lanes<'a> {
    node: Option<&'a NodeLanes>,
    pan_law: PanLaw,
    clock: TimelineClock,
    /// The free-running sample clock at the block's first sample.
    sample_clock: u64,
}

impl Lanes<'_> {
    fn view<'b>(
        &self,
        lane: Option<&'b [LanePoint]>,
        interp: Interp,
        conv: LaneConv,
    ) -> Option<LaneView<'b>> {
        lane.filter(|p| !p.is_empty()).map(|points| LaneView {
            points,
            interp,
            conv,
        })
    }
}

impl Node {
    fn auto_param(&mut self, t: AutoTarget) -> Option<&mut AutoParam> {
        match t {
            AutoTarget::Trim => Some(&mut self.trim),
            AutoTarget::Gain => Some(&mut self.fader),
            AutoTarget::Pan => Some(&mut self.pan_l),
            AutoTarget::Mute => Some(&mut self.mute),
            AutoTarget::SendGain(k) => self.sends.get_mut(usize::from(k)).map(|s| &mut s.level),
            AutoTarget::Proc(_) => None,
        }
    }

    /// Set the channel-strip settings whose lanes play to the lanes' values
    /// at timeline frame `frame`, at once: lanes step on their own grid of
    /// the timeline, so playback and a bounce agree sample for sample.
    fn play_proc_lanes(&mut self, lanes: &NodeLanes, frame: u64) {
        use crate::dsp::automation::value_at;
        let (mut eq, mut comp, mut gate) = (self.eq.spec(), self.comp.spec(), self.gate.spec());
        let mut limiter = self.limiter.as_ref().map(|l| l.spec());
        let (mut echo, mut reverb) = match self.fx.as_deref() {
            Some(graph::Fx::Echo(e)) => (Some(e.spec()), None),
            Some(graph::Fx::Reverb(r)) => (None, Some(r.spec())),
            None => (None, None),
        };
        for (target, points) in lanes.proc.iter() {
            if !self.proc_play[target.index()] {
                continue;
            }
            let interp = if target.is_switch() {
                Interp::Step
            } else {
                Interp::Linear
            };
            let Some(v) = value_at(points, interp, frame) else {
                continue;
            };
            let (v, on) = (v as f32, v >= 0.5);
            let band = |k: u8| usize::from(k.min(3));
            match *target {
                ProcTarget::HpfFreq => eq.hpf_hz = v,
                ProcTarget::BandGain(k) => eq.bands[band(k)].gain_db = v,
                ProcTarget::BandFreq(k) => eq.bands[band(k)].freq_hz = v,
                ProcTarget::BandQ(k) => eq.bands[band(k)].q = v,
                ProcTarget::HpfOn => eq.hpf_on = on,
                ProcTarget::EqOn => eq.on = on,
                ProcTarget::BandOn(k) => eq.bands[band(k)].on = on,
                ProcTarget::CompThreshold => comp.threshold_db = v,
                ProcTarget::CompRatio => comp.ratio = v,
                ProcTarget::CompAttack => comp.attack_ms = v,
                ProcTarget::CompRelease => comp.release_ms = v,
                ProcTarget::CompMakeup => comp.makeup_db = v,
                ProcTarget::CompKnee => comp.knee_db = v,
                ProcTarget::CompScHpf => comp.sc_hpf_hz = v,
                ProcTarget::CompOn => comp.on = on,
                ProcTarget::GateThreshold => gate.threshold_db = v,
                ProcTarget::GateRange => gate.range_db = v,
                ProcTarget::GateRatio => gate.ratio = v,
                ProcTarget::GateAttack => gate.attack_ms = v,
                ProcTarget::GateHold => gate.hold_ms = v,
                ProcTarget::GateRelease => gate.release_ms = v,
                ProcTarget::GateOn => gate.on = on,
                ProcTarget::LimiterCeiling => {
                    if let Some(l) = limiter.as_mut() {
                        l.ceiling_dbtp = v;
                    }
                }
                ProcTarget::LimiterRelease => {
                    if let Some(l) = limiter.as_mut() {
                        l.release_ms = v;
                    }
                }
                ProcTarget::DelayTime
                | ProcTarget::DelayFeedback
                | ProcTarget::DelayHpf
                | ProcTarget::DelayLpf => {
                    if let Some(e) = echo.as_mut() {
                        *match *target {
                            ProcTarget::DelayTime => &mut e.time_ms,
                            ProcTarget::DelayFeedback => &mut e.feedback,
                            ProcTarget::DelayHpf => &mut e.hpf_hz,
                            _ => &mut e.lpf_hz,
                        } = v;
                    }
                }
                ProcTarget::ReverbSize
                | ProcTarget::ReverbDecay
                | ProcTarget::ReverbPredelay
                | ProcTarget::ReverbDamping
                | ProcTarget::ReverbWidth => {
                    if let Some(r) = reverb.as_mut() {
                        *match *target {
                            ProcTarget::ReverbSize => &mut r.size,
                            ProcTarget::ReverbDecay => &mut r.decay_s,
                            ProcTarget::ReverbPredelay => &mut r.predelay_ms,
                            ProcTarget::ReverbDamping => &mut r.damping,
                            _ => &mut r.width,
                        } = v;
                    }
                }
            }
        }
        match (self.fx.as_deref_mut(), echo, reverb) {
            (Some(graph::Fx::Echo(e)), Some(spec), _) if spec != e.spec() => e.jump(spec),
            (Some(graph::Fx::Reverb(r)), _, Some(spec)) if spec != r.spec() => r.jump(spec),
            _ => {}
        }
        if let (Some(l), Some(spec)) = (self.limiter.as_mut(), limiter)
            && spec != l.spec()
        {
            l.set(spec);
        }
        if eq != self.eq.spec() {
            self.eq.jump(eq);
        }
        if comp != self.comp.spec() {
            self.comp.set(comp);
        }
        if gate != self.gate.spec() {
            self.gate.set(gate);
        }
    }

    fn lanes_changed(&mut self) {
        for p in [
            &mut self.trim,
            &mut self.fader,
            &mut self.mute,
            &mut self.pan_l,
            &mut self.pan_r,
        ] {
            p.lane_changed();
        }
        for s in self.sends.iter_mut() {
            s.level.lane_changed();
        }
    }
}

/// Put the node's raw signal into `node.pre[..n]`.
fn fill_source(
    node: &mut Node,
    own_acc: &mut StereoBuf,
    inputs: &[Box<[f32]>],
    off: usize,
    clock: Clock,
    n: usize,
) {
    let stereo = node.channels == Channels::Stereo;
    let pre = &mut node.pre;
    match &mut node.input {
        NodeInput::Silence => {
            pre.l[..n].fill(0.0);
            pre.r[..n].fill(0.0);
        }
        NodeInput::Input { first } => {
            copy_or_silence(&mut pre.l[..n], inputs.get(*first).map(|b| &b[off..]));
            if stereo {
                copy_or_silence(&mut pre.r[..n], inputs.get(*first + 1).map(|b| &b[off..]));
            }
        }
        NodeInput::Clip { clip, looped } => {
            let left = clip.channels.first().map(|c| &c[..]);
            let right = if stereo {
                clip.channels.get(1).map(|c| &c[..]).or(left)
            } else {
                None
            };
            let Some(frame) = clock.timeline else {
                pre.l[..n].fill(0.0);
                pre.r[..n].fill(0.0);
                return;
            };
            play_clip(&mut pre.l[..n], left, frame, *looped);
            if stereo {
                play_clip(&mut pre.r[..n], right, frame, *looped);
            }
        }
        NodeInput::Tone(generator) => {
            generator.fill(clock.frame, &mut pre.l[..n]);
            if stereo {
                let (l, r) = (&pre.l[..n], &mut pre.r[..n]);
                r.copy_from_slice(l);
            }
        }
        NodeInput::Bus => {
            // Take what earlier nodes summed here and clear it for the next
            // block. Invariant: an accumulator is all zeros between blocks
            // (whatever their lengths), so only the first `n` need clearing.
            pre.l[..n].copy_from_slice(&own_acc.l[..n]);
            pre.r[..n].copy_from_slice(&own_acc.r[..n]);
            own_acc.l[..n].fill(0.0);
            own_acc.r[..n].fill(0.0);
        }
    }
}

fn copy_or_silence(dst: &mut [f32], src: Option<&[f32]>) {
    match src {
        Some(s) => dst.copy_from_slice(&s[..dst.len()]),
        None => dst.fill(0.0),
    }
}

fn play_clip(dst: &mut [f32], src: Option<&[f32]>, frame: u64, looped: bool) {
    let Some(src) = src.filter(|s| !s.is_empty()) else {
        dst.fill(0.0);
        return;
    };
    let len = src.len() as u64;
    let mut pos = if looped { frame % len } else { frame };
    let mut written = 0;
    while written < dst.len() {
        if pos >= len {
            if !looped {
                dst[written..].fill(0.0);
                return;
            }
            pos = 0;
        }
        let take = (dst.len() - written).min((len - pos) as usize);
        dst[written..written + take].copy_from_slice(&src[pos as usize..pos as usize + take]);
        written += take;
        pos += take as u64;
    }
}

/// Insert, gains, pan, sends and summing for one node whose source is in
/// `pre`.
fn mix_node(
    node: &mut Node,
    index: usize,
    lanes: &Lanes<'_>,
    later_accs: &mut [StereoBuf],
    io: &mut Io<'_>,
    scratch: &mut [Box<[f32]>; graph::SCRATCH_BUFFERS],
    n: usize,
) {
    let stereo = node.channels == Channels::Stereo;
    let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11] = scratch;
    let (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11) = (
        &mut s0[..n],
        &mut s1[..n],
        &mut s2[..n],
        &mut s3[..n],
        &mut s4[..n],
        &mut s5[..n],
        &mut s6[..n],
        &mut s7[..n],
        &mut s8[..n],
        &mut s9[..n],
        &mut s10[..n],
        &mut s11[..n],
    );
    // A later node's accumulator; `dest > index` is guaranteed by the builder.
    let acc_index = |dest: usize| dest - index - 1;
    let clock = lanes.clock;
    let own = lanes.node;
    fn amp<'b>(lanes: &Lanes<'_>, l: Option<&'b [LanePoint]>) -> Option<LaneView<'b>> {
        lanes.view(l, Interp::Linear, LaneConv::Amp)
    }

    let trim = node.trim.render(
        amp(lanes, own.and_then(|l| l.trim.as_deref())).as_ref(),
        clock,
        s0,
        s1,
    );
    let polarity = node.polarity.render(s2);
    let g_in = product(trim, polarity, s3);
    scale_in_place(&mut node.pre.l[..n], g_in);
    if stereo {
        scale_in_place(&mut node.pre.r[..n], g_in);
    }
    // A bus's effect takes what was sent to it (buses are stereo).
    if let Some(fx) = node.fx.as_deref_mut() {
        fx.process(&mut node.pre.l[..n], &mut node.pre.r[..n]);
    }

    // High-pass filter, then EQ and dynamics in the strip's order.
    {
        use crate::dsp::eq::EqPart;
        let StereoBuf { l, r } = &mut node.pre;
        let (l, mut r) = (&mut l[..n], if stereo { Some(&mut r[..n]) } else { None });
        let clock = lanes.sample_clock;
        node.eq
            .process_part(EqPart::HPF, clock, l, r.as_deref_mut());
        if !node.dynamics_first {
            node.eq
                .process_part(EqPart::BANDS, clock, l, r.as_deref_mut());
        }
        node.gate.process(l, r.as_deref_mut(), s11);
        node.comp.process(l, r.as_deref_mut(), s11);
        if node.dynamics_first {
            node.eq.process_part(EqPart::BANDS, clock, l, r);
        }
    }

    if let Some(ins) = node.insert.as_mut() {
        run_insert(ins, &mut node.pre, stereo, io, s0, s1, n);
    }

    // Mute and solo gates: on the fader and on every send.
    let mute_lane = lanes.view(
        own.and_then(|l| l.mute.as_deref()),
        Interp::Step,
        LaneConv::Gate,
    );
    let mute = node.mute.render(mute_lane.as_ref(), clock, s0, s1);
    let solo = node.solo.render(s2);
    let gate = product(mute, solo, s3);
    let fader = node.fader.render(
        amp(lanes, own.and_then(|l| l.gain.as_deref())).as_ref(),
        clock,
        s4,
        s5,
    );
    let g_fader = product(fader, gate, s6);
    scale_into(&mut node.post.l[..n], &node.pre.l[..n], g_fader);
    if stereo {
        scale_into(&mut node.post.r[..n], &node.pre.r[..n], g_fader);
    }

    for (k, send) in node.sends.iter_mut().enumerate() {
        let (src_l, src_r) = if send.pre {
            (
                &node.pre.l[..n],
                if stereo {
                    &node.pre.r[..n]
                } else {
                    &node.pre.l[..n]
                },
            )
        } else {
            (
                &node.post.l[..n],
                if stereo {
                    &node.post.r[..n]
                } else {
                    &node.post.l[..n]
                },
            )
        };
        let (dst_l, dst_r): (&mut [f32], &mut [f32]) = match send.dest {
            graph::SendTo::Acc(d) => match later_accs.get_mut(acc_index(d)) {
                Some(acc) => (&mut acc.l[..n], &mut acc.r[..n]),
                None => continue,
            },
            graph::SendTo::Output(first) => match io.outputs.get_mut(first..first + 2) {
                Some([l, r]) => (&mut l[io.off..io.off + n], &mut r[io.off..io.off + n]),
                _ => continue,
            },
        };
        let lane = own.and_then(|l| l.sends.get(k)).and_then(|l| l.as_deref());
        let level = send.level.render(amp(lanes, lane).as_ref(), clock, s4, s5);
        let level = product(level, gate, s6);
        let pan_l = send.pan_l.render(s7);
        let pan_r = send.pan_r.render(s8);
        let gain_l = product(level, pan_l, s9);
        let gain_r = product(level, pan_r, s10);
        match send.delay.as_deref_mut() {
            None => {
                add_scaled(dst_l, src_l, gain_l);
                add_scaled(dst_r, src_r, gain_r);
            }
            Some([dl, dr]) => {
                scale_into(s11, src_l, gain_l);
                dl.process(s11);
                add_scaled(dst_l, s11, Span::Const(1.0));
                scale_into(s11, src_r, gain_r);
                dr.process(s11);
                add_scaled(dst_r, s11, Span::Const(1.0));
            }
        }
    }

    let pan_law = (node.channels == Channels::Mono).then_some(lanes.pan_law);
    let pan_lane = own.and_then(|l| l.pan.as_deref());
    let pan_l = node.pan_l.render(
        lanes
            .view(pan_lane, Interp::Linear, LaneConv::PanLeft(pan_law))
            .as_ref(),
        clock,
        s0,
        s1,
    );
    let pan_r = node.pan_r.render(
        lanes
            .view(pan_lane, Interp::Linear, LaneConv::PanRight(pan_law))
            .as_ref(),
        clock,
        s2,
        s3,
    );
    let post_r = if stereo {
        &node.post.r[..n]
    } else {
        &node.post.l[..n]
    };
    scale_into(&mut node.out.l[..n], &node.post.l[..n], pan_l);
    scale_into(&mut node.out.r[..n], post_r, pan_r);
    if let Some(limiter) = node.limiter.as_deref_mut() {
        limiter.process(&mut node.out.l[..n], &mut node.out.r[..n]);
    }

    // What leaves for the destination, delayed for latency compensation
    // when this path is shorter than the others arriving there.
    let (out_l, out_r): (&[f32], &[f32]) = match node.dest_delay.as_deref_mut() {
        None => (&node.out.l[..n], &node.out.r[..n]),
        Some([dl, dr]) => {
            s4.copy_from_slice(&node.out.l[..n]);
            s5.copy_from_slice(&node.out.r[..n]);
            dl.process(s4);
            dr.process(s5);
            (s4, s5)
        }
    };
    match node.dest {
        graph::Dest::Node(d) => {
            if let Some(acc) = later_accs.get_mut(acc_index(usize::from(d.0))) {
                add_scaled(&mut acc.l[..n], out_l, Span::Const(1.0));
                add_scaled(&mut acc.r[..n], out_r, Span::Const(1.0));
            }
        }
        graph::Dest::Output { first } => {
            let first = usize::from(first);
            let off = io.off;
            if let Some(o) = io.outputs.get_mut(first) {
                add_scaled(&mut o[off..off + n], out_l, Span::Const(1.0));
            }
            if let Some(o) = io.outputs.get_mut(first + 1) {
                add_scaled(&mut o[off..off + n], out_r, Span::Const(1.0));
            }
        }
    }
}

/// The backend's channels as one piece of a block sees them: from frame
/// `off` of the block.
struct Io<'a> {
    inputs: &'a [Box<[f32]>],
    outputs: &'a mut [Box<[f32]>],
    off: usize,
}

/// Send `pre` out of the insert's outputs, read the return, and leave
/// dry (delayed by the loop's latency) and return mixed by `wet` in `pre`.
fn run_insert(
    ins: &mut graph::InsertNode,
    pre: &mut StereoBuf,
    stereo: bool,
    io: &mut Io<'_>,
    wet_buf: &mut [f32],
    tmp: &mut [f32],
    n: usize,
) {
    let channels = if stereo { 2 } else { 1 };
    let [dry_l, dry_r] = &mut *ins.dry_delay;
    let wet = ins.wet.render(wet_buf);
    for k in 0..channels {
        let (buf, delay) = if k == 0 {
            (&mut pre.l[..n], &mut *dry_l)
        } else {
            (&mut pre.r[..n], &mut *dry_r)
        };
        let off = io.off;
        if let Some(o) = io.outputs.get_mut(ins.send_first + k) {
            add_scaled(&mut o[off..off + n], buf, Span::Const(1.0));
        }
        delay.process(buf);
        let ret = io
            .inputs
            .get(ins.return_first + k)
            .map(|b| &b[off..off + n]);
        // pre = dry * (1 - wet) + return * wet
        match wet {
            Span::Const(w) => {
                scale_in_place(buf, Span::Const(1.0 - w));
                if let Some(r) = ret {
                    add_scaled(buf, r, Span::Const(w));
                }
            }
            Span::PerSample(w) => {
                for (t, w) in tmp.iter_mut().zip(w) {
                    *t = 1.0 - w;
                }
                scale_in_place(buf, Span::PerSample(tmp));
                if let Some(r) = ret {
                    add_scaled(buf, r, Span::PerSample(w));
                }
            }
        }
    }
}
