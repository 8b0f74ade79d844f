//! The mix graph: every node's buffers, coefficients and routing, allocated
//! up front off the audio thread and swapped in whole.
//!
//! Nodes are stored in processing order: every node feeds only nodes after
//! it (tracks, then group buses, then aux buses, then master), so one pass
//! over the nodes mixes everything.

use super::auto::AutoParam;
use super::ids::NodeId;
use super::meters::MeterBank;
use crate::dsp::delay::DelayLine;
use crate::dsp::generator::{Generator, ToneSpec};
use crate::dsp::meter::MeterState;
use crate::dsp::ramp::Ramp;
use std::sync::Arc;

/// Mono or stereo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    /// One channel, panned into the stereo mix.
    Mono,
    /// Two channels, balanced into the stereo mix.
    Stereo,
}

impl Channels {
    /// 1 or 2.
    pub fn count(self) -> usize {
        match self {
            Channels::Mono => 1,
            Channels::Stereo => 2,
        }
    }
}

/// Decoded audio held in memory, one buffer per channel.
#[derive(Debug)]
pub struct Clip {
    /// Samples per channel, all the same length.
    pub channels: Box<[Box<[f32]>]>,
    /// The timeline frame of the first sample held: 0 for a whole file; an
    /// offline render plays long files a window at a time. A looping track
    /// plays whole files only.
    pub start: u64,
}

impl Clip {
    /// Frames per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, |c| c.len())
    }
}

/// Where a node's signal comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Nothing (silence).
    Silence,
    /// Backend input channels, 0-based; a stereo node reads `first` and `first + 1`.
    Input {
        /// First input channel.
        first: u16,
    },
    /// A clip played from the start of the timeline.
    Clip {
        /// The audio.
        clip: Arc<Clip>,
        /// Start again at the end.
        looped: bool,
    },
    /// A test-tone or demo generator.
    Tone(ToneSpec),
    /// The sum of everything routed or sent to this node (buses).
    Bus,
}

/// Where a node's post-pan output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// Summed into a later node (a group bus or master).
    Node(NodeId),
    /// Written to backend outputs `first` and `first + 1`.
    Output {
        /// First output channel.
        first: u16,
    },
}

/// Where a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendDest {
    /// An aux bus (a later node).
    Node(NodeId),
    /// Backend outputs `first` and `first + 1` (a hardware send).
    Output {
        /// First output channel.
        first: u16,
    },
}

/// A send as the graph builder states it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendSpec {
    /// Where it goes.
    pub dest: SendDest,
    /// Tapped before the fader.
    pub pre: bool,
    /// Linear level (the strip's mute and solo gates apply on top).
    pub gain: f32,
    /// Left and right gains into the bus.
    pub pan: (f32, f32),
    /// Latency-compensation delay on this edge, in samples.
    pub delay: u32,
}

/// A hardware insert: the strip's signal (after trim and polarity) leaves
/// on backend outputs and comes back on backend inputs, replacing (or
/// mixed with) the dry signal before the fader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsertSpec {
    /// First backend output the signal is sent to (a stereo strip uses two).
    pub send_first: u16,
    /// First backend input the return is read from.
    pub return_first: u16,
    /// Share of the return in the mix, 0..1 (0 when bypassed).
    pub wet: f32,
    /// Round trip of the loop in samples: the dry signal is delayed by it
    /// so that dry and return line up.
    pub latency: u32,
}

/// A node as the graph builder states it; values are the initial coefficients.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// Signal source.
    pub source: Source,
    /// Mono or stereo processing.
    pub channels: Channels,
    /// Where the output goes.
    pub dest: Dest,
    /// Input trim, linear.
    pub trim: f32,
    /// 1, or -1 when the polarity is inverted.
    pub polarity: f32,
    /// Fader gain, linear.
    pub fader: f32,
    /// Mute gate: 1 open, 0 muted.
    pub mute: f32,
    /// Solo gate: 0 when another strip's solo silences this one.
    pub solo: f32,
    /// Pan/balance gains.
    pub pan: (f32, f32),
    /// Sends to aux buses.
    pub sends: Vec<SendSpec>,
    /// A hardware insert before the fader.
    pub insert: Option<InsertSpec>,
    /// Latency-compensation delay on the edge to `dest`, in samples.
    pub dest_delay: u32,
    /// High-pass filter and EQ.
    pub eq: crate::dsp::eq::EqSpec,
    /// Compressor.
    pub comp: crate::dsp::dynamics::CompSpec,
    /// Gate.
    pub gate: crate::dsp::dynamics::GateSpec,
    /// Gate and compressor before the EQ.
    pub dynamics_first: bool,
    /// A true-peak limiter after pan (the master's); it delays the node's
    /// output by its lookahead.
    pub limiter: Option<crate::dsp::limiter::LimiterSpec>,
    /// A built-in effect at the node's input (aux buses), replacing the
    /// signal by the effect's output.
    pub fx: Option<FxSpec>,
}

/// A node's built-in effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FxSpec {
    /// Stereo delay.
    Echo(crate::dsp::echo::EchoSpec),
    /// Reverb.
    Reverb(crate::dsp::reverb::ReverbSpec),
}

/// A running built-in effect (boxed in the node as a whole, so the size
/// difference between variants costs nothing per node).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Fx {
    Echo(crate::dsp::echo::Echo),
    Reverb(crate::dsp::reverb::Reverb),
}

impl Fx {
    fn new(spec: FxSpec, rate: u32) -> Fx {
        match spec {
            FxSpec::Echo(e) => Fx::Echo(crate::dsp::echo::Echo::new(e, rate)),
            FxSpec::Reverb(r) => Fx::Reverb(crate::dsp::reverb::Reverb::new(r, rate)),
        }
    }

    /// Replace a stereo block by the effect's output.
    #[inline]
    pub(crate) fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        match self {
            Fx::Echo(e) => e.process(l, r),
            Fx::Reverb(v) => v.process(l, r),
        }
    }
}

/// Errors in a graph description: a bug in the caller, never user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A node routes or sends to itself or an earlier node.
    #[error("node {node} feeds node {dest}, which is not after it in processing order")]
    NotForward {
        /// The feeding node.
        node: usize,
        /// Its destination.
        dest: usize,
    },
    /// A destination does not exist.
    #[error("node {node} feeds node {dest}, which does not exist")]
    NoSuchNode {
        /// The feeding node.
        node: usize,
        /// Its destination.
        dest: usize,
    },
    /// More nodes than a NodeId can address.
    #[error("too many nodes ({0})")]
    TooManyNodes(usize),
}

#[derive(Debug)]
pub(crate) struct StereoBuf {
    pub(crate) l: Box<[f32]>,
    pub(crate) r: Box<[f32]>,
}

impl StereoBuf {
    pub(crate) fn new(frames: usize) -> StereoBuf {
        StereoBuf {
            l: vec![0.0; frames].into_boxed_slice(),
            r: vec![0.0; frames].into_boxed_slice(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum NodeInput {
    Silence,
    Input { first: usize },
    Clip { clip: Arc<Clip>, looped: bool },
    Tone(Box<Generator>),
    Bus,
}

/// A send's destination in the running graph.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SendTo {
    /// A later node's accumulator (node index).
    Acc(usize),
    /// Backend outputs from this channel.
    Output(usize),
}

#[derive(Debug)]
pub(crate) struct SendNode {
    pub(crate) dest: SendTo,
    pub(crate) pre: bool,
    pub(crate) level: AutoParam,
    pub(crate) pan_l: Ramp,
    pub(crate) pan_r: Ramp,
    pub(crate) delay: Option<Box<[DelayLine; 2]>>,
    /// What this send adds where it goes, this piece of the block.
    pub(crate) out: StereoBuf,
    /// Which sides of `out` to add (a side at constant zero adds nothing).
    pub(crate) live: [bool; 2],
}

/// Latency compensation on a node's way to its destination.
#[derive(Debug)]
pub(crate) struct DestDelay {
    pub(crate) lines: [DelayLine; 2],
    /// The node's output, delayed: what its destination receives.
    pub(crate) out: StereoBuf,
}

#[derive(Debug)]
pub(crate) struct InsertNode {
    pub(crate) send_first: usize,
    pub(crate) return_first: usize,
    pub(crate) wet: Ramp,
    pub(crate) dry_delay: Box<[DelayLine; 2]>,
}

/// Two delay lines of `frames`, or none when there is nothing to delay.
fn stereo_delay(frames: u32) -> Option<Box<[DelayLine; 2]>> {
    (frames > 0).then(|| {
        let d = frames as usize;
        Box::new([DelayLine::new(d), DelayLine::new(d)])
    })
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) input: NodeInput,
    pub(crate) channels: Channels,
    pub(crate) dest: Dest,
    pub(crate) trim: AutoParam,
    pub(crate) polarity: Ramp,
    pub(crate) eq: crate::dsp::eq::StripEq,
    pub(crate) comp: crate::dsp::dynamics::Compressor,
    pub(crate) gate: crate::dsp::dynamics::Gate,
    pub(crate) dynamics_first: bool,
    pub(crate) limiter: Option<Box<crate::dsp::limiter::Limiter>>,
    pub(crate) fx: Option<Box<Fx>>,
    /// Which channel-strip settings play their lanes.
    pub(crate) proc_play: [bool; super::ids::ProcTarget::COUNT],
    pub(crate) fader: AutoParam,
    pub(crate) mute: AutoParam,
    pub(crate) solo: Ramp,
    pub(crate) pan_l: AutoParam,
    pub(crate) pan_r: AutoParam,
    pub(crate) sends: Box<[SendNode]>,
    pub(crate) insert: Option<InsertNode>,
    pub(crate) dest_delay: Option<Box<DestDelay>>,
    /// After the input gain (and the insert).
    pub(crate) pre: StereoBuf,
    /// After the fader, before pan.
    pub(crate) post: StereoBuf,
    /// After pan: what the destination receives and the meter reads.
    pub(crate) out: StereoBuf,
    pub(crate) meter: [MeterState; 2],
    /// The strip rests: its last piece heard exact silence, put out exact
    /// silence and left its whole state as it found it, so the next piece
    /// of silence would do the same and is skipped. Any command to the
    /// node ends it.
    pub(crate) resting: bool,
    /// Frames of `post`, `out` and every send's output known to be `+0.0`
    /// (a resting strip's silence is written once, not every piece).
    pub(crate) silent_frames: usize,
}

/// Per-sample coefficient buffers for ramps in progress.
#[derive(Debug)]
pub(crate) struct Scratch {
    pub(crate) bufs: [Box<[f32]>; SCRATCH_BUFFERS],
}

/// Per-sample coefficient buffers one node needs at most.
pub(crate) const SCRATCH_BUFFERS: usize = 12;

impl Scratch {
    /// Buffers of `max_block` frames. Allocates.
    pub(crate) fn new(max_block: usize) -> Scratch {
        Scratch {
            bufs: std::array::from_fn(|_| vec![0.0; max_block.max(1)].into_boxed_slice()),
        }
    }
}

/// A complete, preallocated mix graph. Built off the audio thread.
#[derive(Debug)]
pub struct MixGraph {
    pub(crate) nodes: Box<[Node]>,
    /// What each node receives from earlier nodes (buses only use theirs).
    pub(crate) accs: Box<[StereoBuf]>,
    pub(crate) scratch: Scratch,
    pub(crate) meters: Arc<MeterBank>,
    pub(crate) max_block: usize,
    /// Some node plays channel-strip lanes (blocks split on their grid).
    pub(crate) proc_playing: bool,
}

impl MixGraph {
    /// Build a graph whose buffers hold `max_block` frames, with parameter
    /// ramps of `ramp_frames` samples. Allocates: call off the audio thread.
    pub fn new(
        specs: &[NodeSpec],
        sample_rate: u32,
        max_block: usize,
        ramp_frames: u32,
    ) -> Result<MixGraph, GraphError> {
        if specs.len() > usize::from(u16::MAX) {
            return Err(GraphError::TooManyNodes(specs.len()));
        }
        let check = |node: usize, dest: NodeId| {
            let dest = usize::from(dest.0);
            if dest >= specs.len() {
                Err(GraphError::NoSuchNode { node, dest })
            } else if dest <= node {
                Err(GraphError::NotForward { node, dest })
            } else {
                Ok(dest)
            }
        };
        let max_block = max_block.max(1);
        let mut nodes = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            if let Dest::Node(d) = spec.dest {
                check(i, d)?;
            }
            let sends = spec
                .sends
                .iter()
                .map(|s| {
                    Ok(SendNode {
                        dest: match s.dest {
                            SendDest::Node(d) => SendTo::Acc(check(i, d)?),
                            SendDest::Output { first } => SendTo::Output(usize::from(first)),
                        },
                        pre: s.pre,
                        level: AutoParam::new(s.gain, ramp_frames),
                        pan_l: Ramp::new(s.pan.0, ramp_frames),
                        pan_r: Ramp::new(s.pan.1, ramp_frames),
                        delay: stereo_delay(s.delay),
                        out: StereoBuf::new(max_block),
                        live: [false; 2],
                    })
                })
                .collect::<Result<Box<[_]>, GraphError>>()?;
            let input = match &spec.source {
                Source::Silence => NodeInput::Silence,
                Source::Input { first } => NodeInput::Input {
                    first: usize::from(*first),
                },
                Source::Clip { clip, looped } => NodeInput::Clip {
                    clip: Arc::clone(clip),
                    looped: *looped,
                },
                Source::Tone(t) => NodeInput::Tone(Box::new(Generator::new(*t, sample_rate))),
                Source::Bus => NodeInput::Bus,
            };
            nodes.push(Node {
                input,
                channels: spec.channels,
                dest: spec.dest,
                trim: AutoParam::new(spec.trim, ramp_frames),
                polarity: Ramp::new(spec.polarity, ramp_frames),
                eq: crate::dsp::eq::StripEq::new(spec.eq, sample_rate, ramp_frames),
                comp: crate::dsp::dynamics::Compressor::new(spec.comp, sample_rate),
                gate: crate::dsp::dynamics::Gate::new(spec.gate, sample_rate),
                dynamics_first: spec.dynamics_first,
                limiter: spec
                    .limiter
                    .map(|l| Box::new(crate::dsp::limiter::Limiter::new(l, sample_rate))),
                fx: spec.fx.map(|f| Box::new(Fx::new(f, sample_rate))),
                proc_play: [false; super::ids::ProcTarget::COUNT],
                fader: AutoParam::new(spec.fader, ramp_frames),
                mute: AutoParam::new(spec.mute, ramp_frames),
                solo: Ramp::new(spec.solo, ramp_frames),
                pan_l: AutoParam::new(spec.pan.0, ramp_frames),
                pan_r: AutoParam::new(spec.pan.1, ramp_frames),
                sends,
                insert: spec.insert.map(|ins| InsertNode {
                    send_first: usize::from(ins.send_first),
                    return_first: usize::from(ins.return_first),
                    wet: Ramp::new(ins.wet, ramp_frames),
                    dry_delay: Box::new([
                        DelayLine::new(ins.latency as usize),
                        DelayLine::new(ins.latency as usize),
                    ]),
                }),
                dest_delay: stereo_delay(spec.dest_delay).map(|lines| {
                    Box::new(DestDelay {
                        lines: *lines,
                        out: StereoBuf::new(max_block),
                    })
                }),
                pre: StereoBuf::new(max_block),
                post: StereoBuf::new(max_block),
                out: StereoBuf::new(max_block),
                meter: [MeterState::new(sample_rate); 2],
                resting: false,
                silent_frames: 0,
            });
        }
        Ok(MixGraph {
            accs: (0..specs.len())
                .map(|_| StereoBuf::new(max_block))
                .collect(),
            nodes: nodes.into_boxed_slice(),
            scratch: Scratch::new(max_block),
            meters: Arc::new(MeterBank::new(specs.len())),
            max_block,
            proc_playing: false,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a graph with no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The meters this graph's nodes write.
    pub fn meters(&self) -> &Arc<MeterBank> {
        &self.meters
    }
}
