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
