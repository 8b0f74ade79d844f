//! The only types that cross into and out of the audio thread.

use super::graph::MixGraph;
pub use super::ids::{AutoPlay, AutoTarget, NodeId, ProcTarget};
use crate::dsp::automation::LanePoint;

/// A coefficient change for one node, in engine units (linear gains). The
/// node's output gain is fader x mute x solo gate; its sends are scaled by
/// mute x solo gate too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StripParam {
    /// Input trim (linear).
    Trim(f32),
    /// Polarity: 1, or -1 when inverted.
    Polarity(f32),
    /// Fader gain (linear).
    Fader(f32),
    /// Mute gate: 1 open, 0 muted.
    Mute(f32),
    /// Solo gate: 0 when another strip's solo silences this one.
    SoloGate(f32),
    /// Pan or balance, as left and right gains.
    Pan {
        /// Left gain.
        l: f32,
        /// Right gain.
        r: f32,
    },
    /// What an automatable coefficient plays.
    Play {
        /// The coefficient.
        target: AutoTarget,
        /// Live, lane, or lane times live.
        play: AutoPlay,
    },
    /// Set a live value at once, without smoothing (for a value the
    /// output already has, e.g. a trim pass whose offset was just written
    /// into the lane). Not for pan.
    Jump {
        /// The coefficient.
        target: AutoTarget,
        /// Its live value.
        value: f32,
    },
    /// One EQ band's settings (0-based band).
    EqBand {
        /// 0..=3.
        band: u8,
        /// Its settings.
        spec: crate::dsp::eq::BandSpec,
    },
    /// The high-pass filter.
    Hpf {
        /// In the path.
        on: bool,
        /// Corner, Hz.
        hz: f32,
        /// Slope.
        slope: crate::dsp::eq::HpfSlope,
    },
    /// The EQ's bands in or out of the path.
    EqOn(bool),
    /// The compressor's settings.
    Comp(crate::dsp::dynamics::CompSpec),
    /// The gate's settings.
    Gate(crate::dsp::dynamics::GateSpec),
    /// Gate and compressor before the EQ (true) or after it.
    DynamicsFirst(bool),
    /// The limiter's settings (nodes built with one).
    Limiter(crate::dsp::limiter::LimiterSpec),
    /// The delay effect's settings (nodes built with one).
    Echo(crate::dsp::echo::EchoSpec),
    /// The reverb's settings (nodes built with one).
    Reverb(crate::dsp::reverb::ReverbSpec),
    /// A send's level (the strip's mute and solo gates apply on top).
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

/// Which value of a node a [`StripParam`] sets: of two commands for one
/// slot, the later replaces the earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoefSlot {
    /// [`StripParam::Trim`].
    Trim,
    /// [`StripParam::Polarity`].
    Polarity,
    /// [`StripParam::Fader`].
    Fader,
    /// [`StripParam::Mute`].
    Mute,
    /// [`StripParam::SoloGate`].
    SoloGate,
    /// [`StripParam::Pan`].
    Pan,
    /// [`StripParam::Play`] of one target.
    Play(AutoTarget),
    /// [`StripParam::Jump`] of one target.
    Jump(AutoTarget),
    /// [`StripParam::EqBand`] of one band.
    EqBand(u8),
    /// [`StripParam::Hpf`].
    Hpf,
    /// [`StripParam::EqOn`].
    EqOn,
    /// [`StripParam::Comp`].
    Comp,
    /// [`StripParam::Gate`].
    Gate,
    /// [`StripParam::DynamicsFirst`].
    DynamicsFirst,
    /// [`StripParam::Limiter`].
    Limiter,
    /// [`StripParam::Echo`].
    Echo,
    /// [`StripParam::Reverb`].
    Reverb,
    /// [`StripParam::SendLevel`] of one send.
    SendLevel(u16),
    /// [`StripParam::SendPan`] of one send.
    SendPan(u16),
    /// [`StripParam::InsertWet`].
    InsertWet,
    /// [`StripParam::SendPre`] of one send.
    SendPre(u16),
}

impl StripParam {
    /// The value this command sets.
    pub fn slot(&self) -> CoefSlot {
        match *self {
            StripParam::Trim(_) => CoefSlot::Trim,
            StripParam::Polarity(_) => CoefSlot::Polarity,
            StripParam::Fader(_) => CoefSlot::Fader,
            StripParam::Mute(_) => CoefSlot::Mute,
            StripParam::SoloGate(_) => CoefSlot::SoloGate,
            StripParam::Pan { .. } => CoefSlot::Pan,
            StripParam::Play { target, .. } => CoefSlot::Play(target),
            StripParam::Jump { target, .. } => CoefSlot::Jump(target),
            StripParam::EqBand { band, .. } => CoefSlot::EqBand(band),
            StripParam::Hpf { .. } => CoefSlot::Hpf,
            StripParam::EqOn(_) => CoefSlot::EqOn,
            StripParam::Comp(_) => CoefSlot::Comp,
            StripParam::Gate(_) => CoefSlot::Gate,
            StripParam::DynamicsFirst(_) => CoefSlot::DynamicsFirst,
            StripParam::Limiter(_) => CoefSlot::Limiter,
            StripParam::Echo(_) => CoefSlot::Echo,
            StripParam::Reverb(_) => CoefSlot::Reverb,
            StripParam::SendLevel { send, .. } => CoefSlot::SendLevel(send),
            StripParam::SendPan { send, .. } => CoefSlot::SendPan(send),
            StripParam::InsertWet(_) => CoefSlot::InsertWet,
            StripParam::SendPre { send, .. } => CoefSlot::SendPre(send),
        }
    }

    /// True for a setting the engine keeps until told otherwise (sending
    /// it again changes nothing); false for [`StripParam::Play`] and
    /// [`StripParam::Jump`], which change what the node plays (its
    /// automation may then move the other settings' live values).
    pub fn is_setting(&self) -> bool {
        !matches!(self, StripParam::Play { .. } | StripParam::Jump { .. })
    }
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
    /// [`ToEngine::Strip`] at sample-clock frame `frame`, inside the block
    /// that holds it (at once if it has passed). A surface message that
    /// arrived with a timestamp is heard a constant time after it, not at
    /// the start of whichever block follows. Commands behind it wait.
    StripAt {
        /// The node.
        node: NodeId,
        /// The new value.
        param: StripParam,
        /// When, on the engine's sample clock.
        frame: u64,
    },
    /// Replace the whole graph (new routing). The engine sends the old graph
    /// back on the retire queue so it is freed off the audio thread.
    SwapGraph(Box<MixGraph>),
    /// Replace every automation lane (after an edit, a pass, a new graph).
    /// The old set goes back on the lanes' retire queue.
    SwapLanes(Box<LaneSet>),
    /// Start, stop or move the transport (the timeline clips play on).
    Transport(TransportCmd),
    /// Play a test signal on one output and record one input (latency
    /// measurement). It comes back on the measured queue when recorded.
    Measure(Box<Measurement>),
    /// Panic inside the process call that applies it: how a test build
    /// proves that a fault is reported and the engine rebuilt. Only in
    /// builds with debug assertions.
    #[cfg(debug_assertions)]
    InjectFault,
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

/// Every automation lane, by node in graph order: what the engine plays.
/// Built off the audio thread; swapped in whole.
#[derive(Debug, Clone, Default)]
pub struct LaneSet {
    /// Pan law of mono strips (pan lanes convert through it).
    pub pan_law: crate::dsp::pan::PanLaw,
    /// One per node, in graph order (missing nodes have no lanes).
    pub nodes: Box<[NodeLanes]>,
}

/// One node's lanes (breakpoints in natural units, sorted by frame, at
/// least one point each).
#[derive(Debug, Clone, Default)]
pub struct NodeLanes {
    /// Trim, dB.
    pub trim: Option<Box<[LanePoint]>>,
    /// Fader gain, dB.
    pub gain: Option<Box<[LanePoint]>>,
    /// Pan or balance, 0..1.
    pub pan: Option<Box<[LanePoint]>>,
    /// Mute, 0/1.
    pub mute: Option<Box<[LanePoint]>>,
    /// Send levels, dB, by send index.
    pub sends: Box<[Option<Box<[LanePoint]>>]>,
    /// Channel-strip settings, in their natural units.
    pub proc: Box<[(ProcTarget, Box<[LanePoint]>)]>,
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
    /// Loop from the first frame to (before) the second while rolling, or
    /// stop looping. Playing from before the loop's end wraps at it,
    /// sample-accurately; from after it, plays on.
    Loop(Option<(u64, u64)>),
}

#[cfg(test)]
mod tests {
    use super::ProcTarget;

    #[test]
    fn every_channel_strip_target_has_its_own_slot() {
        let all: Vec<ProcTarget> = ProcTarget::all().collect();
        assert_eq!(all.len(), ProcTarget::COUNT);
        for (i, t) in all.iter().enumerate() {
            assert_eq!(t.index(), i);
            assert_eq!(ProcTarget::from_index(i), Some(*t));
        }
    }
}
