//! One node's processing, in two parts.
//!
//! [`run_strip`] makes the node's own signal: its source, input gain,
//! effect, EQ and dynamics, (insert,) fader, the levels of its sends, pan,
//! limiter and meters. [`route`] then sums what the node sends into later
//! nodes and the backend's outputs.
//!
//! A node that [stands alone](Node::stands_alone) (its source is not a bus
//! and it has no hardware insert) touches nothing but itself and its scratch
//! in `run_strip`. The strips of such nodes may therefore run in any order,
//! on any threads, before the routes are summed in node order: the output is
//! the same, sample for sample, as running node after node. The live engine
//! runs node after node on the audio thread; an offline render spreads the
//! standing-alone strips over cores ([`StripPool`]).
//!
//! Thread: the audio thread, or (for standing-alone strips) a render
//! worker. No allocation, lock, I/O or panic.

use super::PanLaw;
use super::auto::{LaneConv, LaneView, TimelineClock};
use super::graph::{self, Channels, Node, NodeInput, StereoBuf};
use super::meters::{BlockReduction, MeterBank};
use super::msg::NodeLanes;
use super::source::{Clock, fill_source};
use super::stems::{ChainTrace, write_span};
use crate::dsp::automation::{Interp, LanePoint};
use crate::dsp::ramp::{Span, add_scaled, product, scale_in_place, scale_into};
use crate::dsp::state_words::{StateWords, all_positive_zero};

/// Per-sample coefficient buffers one strip needs at most.
pub(crate) type ScratchBufs = [Box<[f32]>; graph::SCRATCH_BUFFERS];

/// Runs the strips of the nodes that stand alone, for one piece of a
/// block, before the engine sums the routes in node order.
///
/// Implementations call `job(index, node, scratch)` exactly once for every
/// node of `nodes` (the job skips the ones that do not stand alone), on any
/// threads and in any order, each with scratch buffers of at least the
/// graph's `max_block` frames, and return when all calls have returned.
pub(crate) trait StripPool {
    /// Run `job` over `nodes`.
    fn run(&self, nodes: &mut [Node], job: &(dyn Fn(usize, &mut Node, &mut ScratchBufs) + Sync));
}

/// What all strips of one piece of a block share, read-only.
#[derive(Clone, Copy)]
pub(crate) struct Piece<'a> {
    pub(crate) clock: Clock,
    /// Lanes by node index.
    pub(crate) lanes: &'a [NodeLanes],
    pub(crate) pan_law: PanLaw,
    /// The channel-strip lanes' grid point at or before this piece, while
    /// they play.
    pub(crate) proc_grid: Option<u64>,
    /// The backend's inputs, whole blocks.
    pub(crate) inputs: &'a [Box<[f32]>],
    pub(crate) meters: &'a MeterBank,
    /// First frame of the piece within the block.
    pub(crate) off: usize,
    /// Frames in the piece.
    pub(crate) n: usize,
    /// Strips that rest on silence are skipped.
    pub(crate) rest: bool,
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
    /// True when this node's strip needs no other node and no backend
    /// output: its source is not a bus and it has no hardware insert.
    pub(crate) fn stands_alone(&self) -> bool {
        !matches!(self.input, NodeInput::Bus) && self.insert.is_none()
    }

    /// True when the strip may rest at all: it has no hardware insert, no
    /// effect, latency delay or delayed send (their memories are long and
    /// not held in [`StateWords`]), its limiter if any [is
    /// quiet](crate::dsp::limiter::Limiter::is_quiet), and every coefficient
    /// plays its live value (a lane moves with the timeline).
    ///
    /// Why skipping is exact: with silence in, a strip's next state and
    /// output depend only on its state. Ramps, meters, envelopes and the
    /// gate's hold move one way only (their only rests are fixed points,
    /// never cycles); filters rest only with empty memories, which is
    /// checked apart. So a state a piece of silence leaves as it found it,
    /// with exact silence out, gives exact silence and itself again.
    fn may_rest(&self) -> bool {
        self.insert.is_none()
            && self.fx.is_none()
            && self.limiter.as_deref().is_none_or(|l| l.is_quiet())
            && self.dest_delay.is_none()
            && !self.proc_play.contains(&true)
            && [
                &self.trim,
                &self.fader,
                &self.mute,
                &self.pan_l,
                &self.pan_r,
            ]
            .into_iter()
            .all(plays_live)
            && self
                .sends
                .iter()
                .all(|s| s.delay.is_none() && plays_live(&s.level))
    }

    /// Everything of the strip that a piece of audio can change, word by
    /// word: ramps, filter memories and glides, dynamics, meters, sends.
    fn state_words(&self, w: &mut StateWords) {
        w.clear();
        for p in [
            &self.trim,
            &self.fader,
            &self.mute,
            &self.pan_l,
            &self.pan_r,
        ] {
            p.state_words(w);
        }
        self.polarity.state_words(w);
        self.solo.state_words(w);
        self.eq.state_words(w);
        self.gate.state_words(w);
        self.comp.state_words(w);
        for m in &self.meter {
            m.state_words(w);
        }
        for s in self.sends.iter() {
            s.level.state_words(w);
            s.pan_l.state_words(w);
            s.pan_r.state_words(w);
            w.word(u32::from(s.live[0]) | u32::from(s.live[1]) << 1);
        }
    }

    /// True when what the strip put out for `n` frames is exact silence
    /// (`+0.0`): its own signal and every send's.
    fn put_out_silence(&self, n: usize) -> bool {
        let stereo = self.channels == Channels::Stereo;
        all_positive_zero(&self.post.l[..n])
            && (!stereo || all_positive_zero(&self.post.r[..n]))
            && all_positive_zero(&self.out.l[..n])
            && all_positive_zero(&self.out.r[..n])
            && self
                .sends
                .iter()
                .all(|s| all_positive_zero(&s.out.l[..n]) && all_positive_zero(&s.out.r[..n]))
    }

    /// A piece of a resting strip: what processing would give, without
    /// the processing (exact silence out; the state stays as it is).
    fn rest_piece(&mut self, n: usize) {
        if n <= self.silent_frames {
            return;
        }
        self.post.l[..n].fill(0.0);
        self.post.r[..n].fill(0.0);
        self.out.l[..n].fill(0.0);
        self.out.r[..n].fill(0.0);
        for s in self.sends.iter_mut() {
            s.out.l[..n].fill(0.0);
            s.out.r[..n].fill(0.0);
        }
        self.silent_frames = n;
    }
}

fn plays_live(p: &super::auto::AutoParam) -> bool {
    p.play() == super::ids::AutoPlay::Live
}

/// The node's own signal for one piece: from its source to `node.out`, its
/// sends' contributions in their buffers, its meters recorded.
///
/// `own_acc` (what earlier nodes summed here) is read by bus nodes and
/// `outputs` is written by a hardware insert; both may be `None` for a node
/// that [stands alone](Node::stands_alone).
///
/// With a `trace` (the master's, for stems taken through it) the strip
/// records what its chain did, and never rests.
pub(crate) fn run_strip(
    node: &mut Node,
    index: usize,
    piece: &Piece<'_>,
    own_acc: Option<&mut StereoBuf>,
    outputs: Option<&mut [Box<[f32]>]>,
    scratch: &mut ScratchBufs,
    trace: Option<&mut ChainTrace>,
) {
    let n = piece.n;
    let own = piece.lanes.get(index);
    if let (Some(grid), Some(lanes)) = (piece.proc_grid, own)
        && !lanes.proc.is_empty()
    {
        // Every piece between two grid points plays the same values,
        // however the blocks fall.
        node.play_proc_lanes(lanes, grid);
    }
    match own_acc {
        Some(acc) if matches!(node.input, NodeInput::Bus) => take_acc(node, acc, n),
        _ => fill_source(node, piece.inputs, piece.off, piece.clock, n),
    }
    // Resting: a strip whose last piece heard exact silence, put out exact
    // silence and left its state as it found it (a fixed point), given
    // exact silence again, would compute the same: it is skipped. Its
    // meters read silence and its dynamics the reduction they hold.
    let silent_in = piece.rest
        && trace.is_none()
        && node.may_rest()
        && all_positive_zero(&node.pre.l[..n])
        && (node.channels == Channels::Mono || all_positive_zero(&node.pre.r[..n]));
    if silent_in && node.resting {
        rest(node, index, piece.meters, n);
        return;
    }
    let mut before = StateWords::default();
    if silent_in {
        node.state_words(&mut before);
    }
    let lanes = Lanes {
        node: own,
        pan_law: piece.pan_law,
        clock: piece.clock.automation,
        sample_clock: piece.clock.frame,
    };
    let io = outputs.map(|outputs| Io {
        inputs: piece.inputs,
        outputs,
        off: piece.off,
    });
    mix_strip(node, &lanes, io, scratch, trace, n);
    let (pl, ml) = node.meter[0].block(&node.out.l[..n]);
    let (pr, mr) = node.meter[1].block(&node.out.r[..n]);
    let limiter_db = node
        .limiter
        .as_mut()
        .map_or(0.0, |l| l.take_gain_reduction());
    let all_db = node
        .comp
        .take_gain_reduction()
        .min(node.gate.take_gain_reduction())
        .min(limiter_db);
    let reduction = BlockReduction { all_db, limiter_db };
    piece.meters.record(index, [pl, pr], [ml, mr], reduction);
    node.silent_frames = 0;
    node.resting = silent_in
        && node.put_out_silence(n)
        && node.eq.is_quiet()
        && node.comp.side_chain_quiet()
        && {
            let mut after = StateWords::default();
            node.state_words(&mut after);
            after == before
        };
}

/// A piece of `n` frames of resting node `index`: exact silence out, its
/// meters reading silence and its dynamics the reduction they hold.
pub(crate) fn rest(node: &mut Node, index: usize, meters: &MeterBank, n: usize) {
    node.rest_piece(n);
    let all_db = node
        .comp
        .resting_reduction()
        .min(node.gate.resting_reduction());
    let reduction = BlockReduction {
        all_db,
        limiter_db: 0.0,
    };
    meters.record(index, [0.0; 2], [0.0; 2], reduction);
}

/// Sum what node `index` sends (its sends' buffers, then its output) into
/// later nodes' accumulators (`later_accs[0]` is node `index + 1`'s) and
/// the backend's `outputs` from frame `off`.
pub(crate) fn route(
    node: &Node,
    index: usize,
    later_accs: &mut [StereoBuf],
    outputs: &mut [Box<[f32]>],
    off: usize,
    n: usize,
) {
    // A later node's accumulator; `dest > index` is guaranteed by the builder.
    let acc_index = |dest: usize| dest - index - 1;
    let one = Span::Const(1.0);
    for send in node.sends.iter() {
        let (dst_l, dst_r): (&mut [f32], &mut [f32]) = match send.dest {
            graph::SendTo::Acc(d) => match later_accs.get_mut(acc_index(d)) {
                Some(acc) => (&mut acc.l[..n], &mut acc.r[..n]),
                None => continue,
            },
            graph::SendTo::Output(first) => match outputs.get_mut(first..first + 2) {
                Some([l, r]) => (&mut l[off..off + n], &mut r[off..off + n]),
                _ => continue,
            },
        };
        if send.live[0] {
            add_scaled(dst_l, &send.out.l[..n], one);
        }
        if send.live[1] {
            add_scaled(dst_r, &send.out.r[..n], one);
        }
    }
    // What leaves for the destination, delayed for latency compensation
    // when this path is shorter than the others arriving there.
    let out = match node.dest_delay.as_deref() {
        None => &node.out,
        Some(d) => &d.out,
    };
    let (out_l, out_r) = (&out.l[..n], &out.r[..n]);
    match node.dest {
        graph::Dest::Node(d) => {
            if let Some(acc) = later_accs.get_mut(acc_index(usize::from(d.0))) {
                add_scaled(&mut acc.l[..n], out_l, one);
                add_scaled(&mut acc.r[..n], out_r, one);
            }
        }
        graph::Dest::Output { first } => {
            let first = usize::from(first);
            if let Some(o) = outputs.get_mut(first) {
                add_scaled(&mut o[off..off + n], out_l, one);
            }
            if let Some(o) = outputs.get_mut(first + 1) {
                add_scaled(&mut o[off..off + n], out_r, one);
            }
        }
    }
}

/// Take what earlier nodes summed into a bus node's accumulator, and clear
/// it for the next block. Invariant: an accumulator is all zeros between
/// blocks (whatever their lengths), so only the first `n` need clearing.
fn take_acc(node: &mut Node, acc: &mut StereoBuf, n: usize) {
    node.pre.l[..n].copy_from_slice(&acc.l[..n]);
    node.pre.r[..n].copy_from_slice(&acc.r[..n]);
    acc.l[..n].fill(0.0);
    acc.r[..n].fill(0.0);
}

/// Input gain, effect, EQ and dynamics, insert, fader, sends' levels, pan,
/// limiter and the destination delay, for one node whose source is in
/// `pre`. Writes only the node's own buffers (and, through `io`, the
/// backend's outputs for a hardware insert), and `trace` when given.
fn mix_strip(
    node: &mut Node,
    lanes: &Lanes<'_>,
    io: Option<Io<'_>>,
    scratch: &mut ScratchBufs,
    mut trace: Option<&mut ChainTrace>,
    n: usize,
) {
    let stereo = node.channels == Channels::Stereo;
    let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11] =
        scratch.each_mut().map(|b| &mut b[..n]);
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
    if let Some(t) = trace.as_deref_mut() {
        write_span(&mut t.gain_in[..n], g_in);
        t.eq.clone_from(&node.eq);
        t.dynamics_first = node.dynamics_first;
        t.gain_dynamics[..n].fill(1.0);
    }
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
        if let Some(t) = trace.as_deref_mut() {
            node.gate.gain_into(s11, &mut t.gain_dynamics[..n]);
        }
        node.comp.process(l, r.as_deref_mut(), s11);
        if let Some(t) = trace.as_deref_mut() {
            node.comp.gain_into(s11, &mut t.gain_dynamics[..n]);
        }
        if node.dynamics_first {
            node.eq.process_part(EqPart::BANDS, clock, l, r);
        }
    }

    if let (Some(ins), Some(mut io)) = (node.insert.as_mut(), io) {
        run_insert(ins, &mut node.pre, stereo, &mut io, s0, s1, n);
    }

    // Mute and solo gates: on the fader (so on post-fader sends) and on
    // every pre-fader send.
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
    if let Some(t) = trace.as_deref_mut() {
        for side in t.gain_out.iter_mut() {
            write_span(&mut side[..n], g_fader);
        }
    }
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
        let lane = own.and_then(|l| l.sends.get(k)).and_then(|l| l.as_deref());
        let level = send.level.render(amp(lanes, lane).as_ref(), clock, s4, s5);
        // Mute and solo reach a post-fader send through its source (the
        // post-fader signal already carries them); only a pre-fader send
        // needs them on its level. Applied twice, a send would fade as the
        // gate's square.
        let level = if send.pre {
            product(level, gate, s6)
        } else {
            level
        };
        let pan_l = send.pan_l.render(s7);
        let pan_r = send.pan_r.render(s8);
        let gain_l = product(level, pan_l, s9);
        let gain_r = product(level, pan_r, s10);
        let out = &mut send.out;
        scale_into(&mut out.l[..n], src_l, gain_l);
        scale_into(&mut out.r[..n], src_r, gain_r);
        match send.delay.as_deref_mut() {
            None => {
                // A side at constant zero adds nothing (not even a NaN's
                // product) where it goes.
                send.live = [
                    !matches!(gain_l, Span::Const(0.0)),
                    !matches!(gain_r, Span::Const(0.0)),
                ];
            }
            Some([dl, dr]) => {
                dl.process(&mut out.l[..n]);
                dr.process(&mut out.r[..n]);
                send.live = [true; 2];
            }
        }
    }

    let pan_law = (node.channels == Channels::Mono).then_some(lanes.pan_law);
    let pan_lane = own.and_then(|l| l.pan.as_deref());
    let pan_view = |conv| lanes.view(pan_lane, Interp::Linear, conv);
    let pan_l = node
        .pan_l
        .render(pan_view(LaneConv::PanLeft(pan_law)).as_ref(), clock, s0, s1);
    let pan_r = node.pan_r.render(
        pan_view(LaneConv::PanRight(pan_law)).as_ref(),
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
    if let Some(t) = trace.as_deref_mut() {
        for (side, pan) in t.gain_out.iter_mut().zip([pan_l, pan_r]) {
            scale_in_place(&mut side[..n], pan);
        }
        t.limited = node.limiter.is_some();
    }
    if let Some(limiter) = node.limiter.as_deref_mut() {
        let gain = trace.map(|t| &mut t.gain_limiter[..n]);
        limiter.process_traced(&mut node.out.l[..n], &mut node.out.r[..n], gain);
    }
    if let Some(d) = node.dest_delay.as_deref_mut() {
        d.out.l[..n].copy_from_slice(&node.out.l[..n]);
        d.out.r[..n].copy_from_slice(&node.out.r[..n]);
        d.lines[0].process(&mut d.out.l[..n]);
        d.lines[1].process(&mut d.out.r[..n]);
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
