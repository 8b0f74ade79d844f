//! Stems for an offline render: what chosen nodes put out over a whole
//! process call, gathered piece by piece (a block splits at a loop's end,
//! on the channel-strip lanes' grid and at timed changes, and a node's
//! buffers hold only its last piece).
//!
//! A stem taken [through the master](StemTap::ThroughMaster) is what its
//! node adds to the master's input, sent through a replica of the master
//! chain that replays the master's own per-sample gains (trim, gate,
//! compressor, fader, balance, limiter) and follows its EQ. Every part of
//! that chain is then linear in its input, so such stems sum to the mix
//! (to float rounding), whatever the dynamics do.
//!
//! Built off the audio thread (allocates); gathering a piece does not.

use super::graph::{Dest, Node, StereoBuf};
use crate::dsp::eq::{EqPart, StripEq};
use crate::dsp::ramp::{Span, scale_in_place};

/// How a stem is taken from its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StemTap {
    /// What the node puts out, after its fader and pan (before the master).
    Out,
    /// What the node adds to the master's input, through the master chain
    /// with the mix's own dynamics: such stems sum to the mix. A node that
    /// does not feed the master gives silence.
    ThroughMaster,
}

/// What the master's chain did to one piece, sample by sample: all that
/// is needed to send any part of its input through the same chain. Gains
/// are linear. Written by the master's strip when a render asks for it.
#[derive(Debug)]
pub(crate) struct ChainTrace {
    /// Trim × polarity, before the filters.
    pub(crate) gain_in: Box<[f32]>,
    /// The EQ as it stood before the piece (settings and glides).
    pub(crate) eq: StripEq,
    /// The dynamics ran between the high-pass filter and the bands.
    pub(crate) dynamics_first: bool,
    /// Gate × compressor, make-up included.
    pub(crate) gain_dynamics: Box<[f32]>,
    /// Fader × mute and solo × balance, left and right.
    pub(crate) gain_out: [Box<[f32]>; 2],
    /// The limiter ran: its delay line, then this gain per sample.
    pub(crate) limited: bool,
    /// The limiter's gain per output sample.
    pub(crate) gain_limiter: Box<[f32]>,
}

fn buf(frames: usize) -> Box<[f32]> {
    vec![0.0; frames.max(1)].into_boxed_slice()
}

impl ChainTrace {
    fn new(frames: usize, eq: StripEq) -> ChainTrace {
        ChainTrace {
            gain_in: buf(frames),
            eq,
            dynamics_first: false,
            gain_dynamics: buf(frames),
            gain_out: [buf(frames), buf(frames)],
            limited: false,
            gain_limiter: buf(frames),
        }
    }
}

/// Write a gain span into `dst` (its length).
pub(crate) fn write_span(dst: &mut [f32], g: Span<'_>) {
    match g {
        Span::Const(v) => dst.fill(v),
        Span::PerSample(s) => dst.copy_from_slice(&s[..dst.len()]),
    }
}

/// The master chain, once more, for one stem: its own filter memory and
/// limiter delay line, everything else replayed from the trace.
#[derive(Debug)]
struct Replica {
    eq: StripEq,
    line: [Box<[f32]>; 2],
    line_pos: usize,
}

impl Replica {
    /// Send one piece of the stem (`l`, `r`) through the chain as `t`
    /// recorded it; `frame` is the sample clock at the piece's start.
    fn process(&mut self, t: &ChainTrace, frame: u64, l: &mut [f32], r: &mut [f32]) {
        let n = l.len();
        fn gain(g: &[f32], n: usize) -> Span<'_> {
            Span::PerSample(&g[..n])
        }
        scale_in_place(l, gain(&t.gain_in, n));
        scale_in_place(r, gain(&t.gain_in, n));
        self.eq.follow(&t.eq);
        self.eq.process_part(EqPart::HPF, frame, l, Some(r));
        if !t.dynamics_first {
            self.eq.process_part(EqPart::BANDS, frame, l, Some(r));
        }
        scale_in_place(l, gain(&t.gain_dynamics, n));
        scale_in_place(r, gain(&t.gain_dynamics, n));
        if t.dynamics_first {
            self.eq.process_part(EqPart::BANDS, frame, l, Some(r));
        }
        scale_in_place(l, gain(&t.gain_out[0], n));
        scale_in_place(r, gain(&t.gain_out[1], n));
        if t.limited && !self.line[0].is_empty() {
            let len = self.line[0].len();
            for (i, (xl, xr)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
                let p = self.line_pos;
                let g = t.gain_limiter[i];
                let (inl, inr) = (*xl, *xr);
                *xl = self.line[0][p] * g;
                *xr = self.line[1][p] * g;
                self.line[0][p] = inl;
                self.line[1][p] = inr;
                self.line_pos = (p + 1) % len;
            }
        }
    }
}

#[derive(Debug)]
struct Stem {
    node: usize,
    /// `Some` for a stem taken through the master.
    replica: Option<Replica>,
    out: StereoBuf,
}

/// The stems a render asked for, and the master's trace when some are
/// taken through it.
#[derive(Debug)]
pub(crate) struct StemTaps {
    master: usize,
    pub(crate) trace: Option<ChainTrace>,
    stems: Vec<Stem>,
}

impl StemTaps {
    /// Taps on `taps` (node index, how) of a graph whose master is node
    /// `master`, holding `frames` per process call; `eq` and `latency` are
    /// the master's EQ and limiter delay as they stand. Allocates.
    pub(crate) fn new(
        master: usize,
        taps: &[(usize, StemTap)],
        frames: usize,
        eq: &StripEq,
        latency: usize,
    ) -> StemTaps {
        let through = taps.iter().any(|(_, t)| *t == StemTap::ThroughMaster);
        StemTaps {
            master,
            trace: through.then(|| ChainTrace::new(frames, eq.clone())),
            stems: taps
                .iter()
                .map(|&(node, tap)| Stem {
                    node,
                    replica: (tap == StemTap::ThroughMaster).then(|| Replica {
                        eq: eq.clone(),
                        line: [buf(latency), buf(latency)],
                        line_pos: 0,
                    }),
                    out: StereoBuf::new(frames),
                })
                .collect(),
        }
    }

    /// The master's node index, whose strip writes the trace.
    pub(crate) fn master(&self) -> usize {
        self.master
    }

    /// Gather a piece of `n` frames at `off` of the call from `nodes`,
    /// which have just mixed it (and the master its trace); `frame` is the
    /// sample clock at the piece's start.
    pub(crate) fn gather(&mut self, nodes: &[Node], frame: u64, off: usize, n: usize) {
        let master = self.master;
        for stem in self.stems.iter_mut() {
            let (l, r) = (&mut stem.out.l[off..off + n], &mut stem.out.r[off..off + n]);
            let Some(node) = nodes.get(stem.node) else {
                l.fill(0.0);
                r.fill(0.0);
                continue;
            };
            match (&mut stem.replica, self.trace.as_ref()) {
                (None, _) => {
                    l.copy_from_slice(&node.out.l[..n]);
                    r.copy_from_slice(&node.out.r[..n]);
                }
                (Some(replica), Some(trace)) => {
                    // What reaches the master: the output, delayed for
                    // latency compensation where the path has one; nothing
                    // from a resting node (it is not routed).
                    let feeds = matches!(node.dest, Dest::Node(d) if usize::from(d.0) == master);
                    if feeds && !node.resting {
                        let src = node.dest_delay.as_deref().map_or(&node.out, |d| &d.out);
                        l.copy_from_slice(&src.l[..n]);
                        r.copy_from_slice(&src.r[..n]);
                    } else {
                        l.fill(0.0);
                        r.fill(0.0);
                    }
                    replica.process(trace, frame, l, r);
                }
                // Not built so (a replica comes with a trace).
                (Some(_), None) => {
                    l.fill(0.0);
                    r.fill(0.0);
                }
            }
        }
    }

    /// A call of `n` frames in which the whole graph rested: silence.
    pub(crate) fn silence(&mut self, n: usize) {
        for stem in self.stems.iter_mut() {
            stem.out.l[..n].fill(0.0);
            stem.out.r[..n].fill(0.0);
        }
    }

    /// Stem `k` of the last process call, whole (left, right).
    pub(crate) fn stem(&self, k: usize) -> (&[f32], &[f32]) {
        match self.stems.get(k) {
            Some(s) => (&s.out.l, &s.out.r),
            None => (&[], &[]),
        }
    }
}
