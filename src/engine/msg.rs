//! The only types that cross into and out of the audio thread.

use super::graph::MixGraph;

/// Dense index of a node (track or bus) in the engine's current graph, in
/// processing order. Only meaningful for the graph generation it was built
/// with; the hub translates addresses to node ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u16);

/// A coefficient change for one node. Values are already in engine units
/// (linear gains); the hub has folded mute, solo and polarity into them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StripParam {
    /// Input gain: trim times polarity (negative when inverted).
    InGain(f32),
    /// Output gain: fader times mute (0 when muted or solo-muted).
    OutGain(f32),
    /// Pan or balance, as left and right gains.
    Pan {
        /// Left gain.
        l: f32,
        /// Right gain.
        r: f32,
    },
    /// A send's level (0 when the sending strip is muted).
    SendLevel {
        /// Index of the send on this node.
        send: u16,
        /// Linear gain.
        gain: f32,
    },
    /// A send's pan into its (stereo) bus.
    SendPan {
        /// Index of the send on this node.
        send: u16,
        /// Left gain.
        l: f32,
        /// Right gain.
        r: f32,
    },
    /// The hardware insert's return share, 0..1 (0 when bypassed).
    InsertWet(f32),
    /// Whether a send taps before (true) or after (false) the fader.
    SendPre {
        /// Index of the send on this node.
        send: u16,
        /// Pre-fader.
        pre: bool,
    },
}

/// Hub -> engine, through a wait-free SPSC queue.
#[derive(Debug)]
pub enum ToEngine {
    /// Change one coefficient of one node; it ramps over the smoothing time.
    Strip {
        /// The node.
        node: NodeId,
        /// The new value.
        param: StripParam,
    },
    /// Replace the whole graph (new routing). The engine sends the old graph
    /// back on the retire queue so it is freed off the audio thread.
    SwapGraph(Box<MixGraph>),
    /// Start, stop or move the transport (the timeline clips play on).
    Transport(TransportCmd),
    /// Play a test signal on one output and record one input (latency
    /// measurement). It comes back on the measured queue when recorded.
    Measure(Box<Measurement>),
}

/// A latency measurement: while it runs, `signal` replaces whatever the mix
/// sends to backend output `output`, and backend input `input` is recorded
/// into `capture`, sample for sample from the same start.
#[derive(Debug)]
pub struct Measurement {
    /// Backend output channel (0-based).
    pub output: usize,
    /// Backend input channel (0-based).
    pub input: usize,
    /// What to play; silence after its end.
    pub signal: Box<[f32]>,
    /// What came back; its length is the measurement's length.
    pub capture: Box<[f32]>,
    /// Samples recorded so far (equal to the capture length when done).
    pub recorded: usize,
}

impl Measurement {
    /// A measurement playing `signal` and recording `capture_len` samples.
    /// Allocates: build it off the audio thread.
    pub fn new(output: usize, input: usize, signal: Vec<f32>, capture_len: usize) -> Measurement {
        Measurement {
            output,
            input,
            signal: signal.into_boxed_slice(),
            capture: vec![0.0; capture_len].into_boxed_slice(),
            recorded: 0,
        }
    }

    /// True when every sample was recorded (false: aborted).
    pub fn is_complete(&self) -> bool {
        self.recorded >= self.capture.len()
    }
}

/// A transport command. Applied at the start of the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCmd {
    /// Roll from the current position.
    Play,
    /// Stop where it is.
    Stop,
    /// Move to this timeline frame (rolling or not).
    Locate(u64),
}
