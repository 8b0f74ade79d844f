//! Automation on the hub: which lanes the engine plays, passes written
//! from surface moves, thinning, undo, and playback values fed back to
//! surfaces.
//!
//! The semantics are DESIGN.md's. Per lane (a strip's gain, trim, pan,
//! mute or send level), by its mode (the lane's own, else the strip's):
//! - off: the live value; read: the lane (surface moves are refused);
//! - touch: the lane, except while touched with the transport rolling,
//!   when the live value plays and is written; on release the value
//!   glides back to the lane over the glide time, and the glide is written;
//! - latch: like touch, but after release the last value is written until
//!   the transport stops;
//! - write: from transport start to stop the live value is written (lanes
//!   that exist, and any other parameter of the strip once it is moved);
//!   after the pass the lane is in touch;
//! - trim: the lane plays times the live value, which is a dB offset
//!   (0 dB when trim mode starts); while touched and rolling the offset is
//!   written into the lane, and on release it glides back to 0 dB.
//!
//! A pass is one roll of the transport (play to stop, or to a locate): the
//! lanes it wrote are one undo step. Written spans are thinned with a
//! stated bound ([`thin_tolerance`]).
//!
//! Thread: hub.

use super::keys::KeyMap;
use super::{
    Address, BandParam, CompParam, DelayParam, EqParam, Feedback, GateParam, Hub, IntentError,
    LimiterParam, Origin, Param, ReverbParam, SendParam, StripRef, Value,
};
use crate::dsp::automation::{Interp, LaneCursor, LanePoint, value_at};
use crate::dsp::fader_law::GAIN_OFF_DB;
use crate::dsp::fader_law::{FADER_MAX_DB, db_to_amp, db_to_pos};
use crate::engine::{
    AutoPlay, AutoTarget, LaneSet, NodeId, NodeLanes, ProcTarget, StripParam, ToEngine,
};
use crate::model::{AutomationMode, Controls, Lane, LaneParam, Session, TRIM_RANGE_DB};
use std::time::Duration;

/// Default glide time on release in touch mode.
pub const DEFAULT_GLIDE: Duration = Duration::from_millis(250);

/// A lane of a strip.
pub type LaneKey = (StripRef, LaneParam);

/// The lane an address's value lives in (fader and gain share one).
pub fn lane_param(p: Param) -> Option<LaneParam> {
    match p {
        Param::Fader | Param::Gain => Some(LaneParam::Gain),
        Param::Trim => Some(LaneParam::Trim),
        Param::Pan => Some(LaneParam::Pan),
        Param::Mute => Some(LaneParam::Mute),
        Param::Send(k, SendParam::Fader | SendParam::Gain) => Some(LaneParam::SendGain(k)),
        Param::Eq(EqParam::HpfFreq) => Some(LaneParam::Proc(ProcTarget::HpfFreq)),
        Param::Eq(EqParam::Band(k, b)) if k < 4 => {
            let k = k as u8;
            match b {
                BandParam::Gain => Some(LaneParam::Proc(ProcTarget::BandGain(k))),
                BandParam::Freq => Some(LaneParam::Proc(ProcTarget::BandFreq(k))),
                BandParam::Q => Some(LaneParam::Proc(ProcTarget::BandQ(k))),
                BandParam::On => Some(LaneParam::Proc(ProcTarget::BandOn(k))),
                BandParam::Type => None,
            }
        }
        Param::Eq(EqParam::HpfOn) => Some(LaneParam::Proc(ProcTarget::HpfOn)),
        Param::Eq(EqParam::On) => Some(LaneParam::Proc(ProcTarget::EqOn)),
        Param::Comp(c) => Some(LaneParam::Proc(match c {
            CompParam::Threshold => ProcTarget::CompThreshold,
            CompParam::Ratio => ProcTarget::CompRatio,
            CompParam::Attack => ProcTarget::CompAttack,
            CompParam::Release => ProcTarget::CompRelease,
            CompParam::Makeup => ProcTarget::CompMakeup,
            CompParam::Knee => ProcTarget::CompKnee,
            CompParam::ScHpf => ProcTarget::CompScHpf,
            CompParam::On => ProcTarget::CompOn,
            CompParam::Detect => return None,
        })),
        Param::Gate(g) => Some(LaneParam::Proc(match g {
            GateParam::Threshold => ProcTarget::GateThreshold,
            GateParam::Range => ProcTarget::GateRange,
            GateParam::Ratio => ProcTarget::GateRatio,
            GateParam::Attack => ProcTarget::GateAttack,
            GateParam::Hold => ProcTarget::GateHold,
            GateParam::Release => ProcTarget::GateRelease,
            GateParam::On => ProcTarget::GateOn,
        })),
        Param::Limiter(LimiterParam::Ceiling) => Some(LaneParam::Proc(ProcTarget::LimiterCeiling)),
        Param::Limiter(LimiterParam::Release) => Some(LaneParam::Proc(ProcTarget::LimiterRelease)),
        Param::Delay(d) => Some(LaneParam::Proc(match d {
            DelayParam::Time => ProcTarget::DelayTime,
            DelayParam::Feedback => ProcTarget::DelayFeedback,
            DelayParam::Hpf => ProcTarget::DelayHpf,
            DelayParam::Lpf => ProcTarget::DelayLpf,
            DelayParam::Sync | DelayParam::PingPong => return None,
        })),
        Param::Reverb(r) => Some(LaneParam::Proc(match r {
            ReverbParam::Size => ProcTarget::ReverbSize,
            ReverbParam::Decay => ProcTarget::ReverbDecay,
            ReverbParam::Predelay => ProcTarget::ReverbPredelay,
            ReverbParam::Damping => ProcTarget::ReverbDamping,
            ReverbParam::Width => ProcTarget::ReverbWidth,
        })),
        _ => None,
    }
}

/// The address of a channel-strip lane's setting.
fn proc_param(p: ProcTarget) -> Param {
    let band = |k: u8, b| Param::Eq(EqParam::Band(usize::from(k), b));
    match p {
        ProcTarget::HpfFreq => Param::Eq(EqParam::HpfFreq),
        ProcTarget::BandGain(k) => band(k, BandParam::Gain),
        ProcTarget::BandFreq(k) => band(k, BandParam::Freq),
        ProcTarget::BandQ(k) => band(k, BandParam::Q),
        ProcTarget::CompThreshold => Param::Comp(CompParam::Threshold),
        ProcTarget::CompRatio => Param::Comp(CompParam::Ratio),
        ProcTarget::CompAttack => Param::Comp(CompParam::Attack),
        ProcTarget::CompRelease => Param::Comp(CompParam::Release),
        ProcTarget::CompMakeup => Param::Comp(CompParam::Makeup),
        ProcTarget::GateThreshold => Param::Gate(GateParam::Threshold),
        ProcTarget::GateRange => Param::Gate(GateParam::Range),
        ProcTarget::CompKnee => Param::Comp(CompParam::Knee),
        ProcTarget::CompScHpf => Param::Comp(CompParam::ScHpf),
        ProcTarget::CompOn => Param::Comp(CompParam::On),
        ProcTarget::GateRatio => Param::Gate(GateParam::Ratio),
        ProcTarget::GateAttack => Param::Gate(GateParam::Attack),
        ProcTarget::GateHold => Param::Gate(GateParam::Hold),
        ProcTarget::GateRelease => Param::Gate(GateParam::Release),
        ProcTarget::GateOn => Param::Gate(GateParam::On),
        ProcTarget::LimiterCeiling => Param::Limiter(LimiterParam::Ceiling),
        ProcTarget::LimiterRelease => Param::Limiter(LimiterParam::Release),
        ProcTarget::HpfOn => Param::Eq(EqParam::HpfOn),
        ProcTarget::EqOn => Param::Eq(EqParam::On),
        ProcTarget::BandOn(k) => band(k, BandParam::On),
        ProcTarget::DelayTime => Param::Delay(DelayParam::Time),
        ProcTarget::DelayFeedback => Param::Delay(DelayParam::Feedback),
        ProcTarget::DelayHpf => Param::Delay(DelayParam::Hpf),
        ProcTarget::DelayLpf => Param::Delay(DelayParam::Lpf),
        ProcTarget::ReverbSize => Param::Reverb(ReverbParam::Size),
        ProcTarget::ReverbDecay => Param::Reverb(ReverbParam::Decay),
        ProcTarget::ReverbPredelay => Param::Reverb(ReverbParam::Predelay),
        ProcTarget::ReverbDamping => Param::Reverb(ReverbParam::Damping),
        ProcTarget::ReverbWidth => Param::Reverb(ReverbParam::Width),
    }
}

/// The address that shows a lane (the first of its views).
pub fn lane_address(strip: StripRef, p: LaneParam) -> Address {
    Address::new(
        strip,
        match p {
            LaneParam::Gain => Param::Fader,
            LaneParam::Trim => Param::Trim,
            LaneParam::Pan => Param::Pan,
            LaneParam::Mute => Param::Mute,
            LaneParam::SendGain(k) => Param::Send(k, SendParam::Fader),
            LaneParam::Proc(t) => proc_param(t),
        },
    )
}

/// The most a thinned lane departs from the written ride, in the lane's
/// units: 0.05 dB for gains and trims, 0.001 of the pan travel; switches
/// are never thinned (repeats are dropped).
pub fn thin_tolerance(p: LaneParam) -> f64 {
    match p {
        LaneParam::Gain | LaneParam::Trim | LaneParam::SendGain(_) => 0.05,
        LaneParam::Pan => 0.001,
        LaneParam::Mute => 0.0,
        // 0.05 dB; about 0.1 % of a frequency; a hundredth of Q or
        // ratio; a tenth of a millisecond.
        LaneParam::Proc(t) => match t {
            t if t.is_switch() => 0.0,
            ProcTarget::HpfFreq | ProcTarget::BandFreq(_) | ProcTarget::CompScHpf => 0.5,
            ProcTarget::BandQ(_) | ProcTarget::CompRatio | ProcTarget::ReverbDecay => 0.01,
            ProcTarget::DelayFeedback
            | ProcTarget::ReverbSize
            | ProcTarget::ReverbDamping
            | ProcTarget::ReverbWidth => 0.001,
            ProcTarget::DelayHpf | ProcTarget::DelayLpf => 0.5,
            ProcTarget::CompAttack
            | ProcTarget::CompRelease
            | ProcTarget::DelayTime
            | ProcTarget::ReverbPredelay
            | ProcTarget::GateAttack
            | ProcTarget::GateHold
            | ProcTarget::GateRelease
            | ProcTarget::LimiterRelease => 0.1,
            _ => 0.05,
        },
    }
}

/// The lane an engine coefficient plays.
fn lane_of_target(t: AutoTarget) -> LaneParam {
    match t {
        AutoTarget::Gain => LaneParam::Gain,
        AutoTarget::Trim => LaneParam::Trim,
        AutoTarget::Pan => LaneParam::Pan,
        AutoTarget::Mute => LaneParam::Mute,
        AutoTarget::SendGain(k) => LaneParam::SendGain(usize::from(k)),
        AutoTarget::Proc(t) => LaneParam::Proc(t),
    }
}

/// True when the strip has the control lane `p` automates (a lane for a
/// send the strip no longer has plays nothing).
fn lane_exists(c: &Controls, p: LaneParam) -> bool {
    match p {
        LaneParam::SendGain(k) => k < c.sends.len(),
        _ => true,
    }
}

fn engine_target(p: LaneParam) -> AutoTarget {
    match p {
        LaneParam::Gain => AutoTarget::Gain,
        LaneParam::Trim => AutoTarget::Trim,
        LaneParam::Pan => AutoTarget::Pan,
        LaneParam::Mute => AutoTarget::Mute,
        LaneParam::SendGain(k) => AutoTarget::SendGain(k as u16),
        LaneParam::Proc(t) => AutoTarget::Proc(t),
    }
}

/// Drop points the line through their neighbours already gives within
/// `tolerance` (Douglas-Peucker on the value axis, so the bound is the
/// largest vertical error of the result against the input's line). Step
/// lanes lose only repeats.
pub fn thin(points: &[LanePoint], interp: Interp, tolerance: f64) -> Vec<LanePoint> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    if interp == Interp::Step {
        let mut out: Vec<LanePoint> = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            let last = i + 1 == points.len();
            if last || out.last().is_none_or(|q| q.value != p.value) {
                out.push(*p);
            }
        }
        return out;
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0usize, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (points[a], points[b]);
        let mut worst = (0.0f64, a);
        for (i, p) in points.iter().enumerate().take(b).skip(a + 1) {
            let line = if pb.frame == pa.frame {
                pb.value
            } else {
                pa.value
                    + (pb.value - pa.value) * (p.frame - pa.frame) as f64
                        / (pb.frame - pa.frame) as f64
            };
            let err = (p.value - line).abs();
            if err > worst.0 {
                worst = (err, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// The largest difference between two lanes, read at every point of both.
pub fn max_deviation(a: &[LanePoint], b: &[LanePoint], interp: Interp) -> f64 {
    a.iter()
        .chain(b)
        .map(|p| {
            let va = value_at(a, interp, p.frame).unwrap_or(0.0);
            let vb = value_at(b, interp, p.frame).unwrap_or(0.0);
            (va - vb).abs()
        })
        .fold(0.0, f64::max)
}

/// Frames between a written span and the old lane it joins: the old
/// curve resumes this close to the span's edges.
pub const GUARD_FRAMES: u64 = 64;

/// `old` with the span `new` covers (its first to last frame) replaced by
/// `new`. Outside the span the old curve stays exactly as it was: guard
/// points a few frames outside the span pin it where the span's edge
/// values differ from it.
pub fn splice(old: &[LanePoint], new: &[LanePoint], interp: Interp) -> Vec<LanePoint> {
    let (Some(first), Some(last)) = (new.first().copied(), new.last().copied()) else {
        return old.to_vec();
    };
    let mut out: Vec<LanePoint> = old
        .iter()
        .filter(|p| p.frame < first.frame)
        .copied()
        .collect();
    if let Some(before) = first.frame.checked_sub(GUARD_FRAMES)
        && out.last().is_some_and(|p| p.frame < before)
        && let Some(v) = value_at(old, interp, before)
        && v != first.value
    {
        out.push(LanePoint {
            frame: before,
            value: v,
        });
    }
    out.extend_from_slice(new);
    let after = last.frame + GUARD_FRAMES;
    if old.iter().any(|p| p.frame > after)
        && let Some(v) = value_at(old, interp, after)
        && v != last.value
    {
        out.push(LanePoint {
            frame: after,
            value: v,
        });
    }
    out.extend(old.iter().filter(|p| p.frame > after).copied());
    out
}

/// The engine's lanes for `session`, frames rescaled from the session's
/// rate to the engine's.
pub fn lane_set(session: &Session, map: &super::NodeMap, engine_rate: u32) -> LaneSet {
    let mut nodes = vec![NodeLanes::default(); usize::from(map.master.0) + 1];
    let scale = |f: u64| -> u64 {
        if engine_rate == session.sample_rate {
            f
        } else {
            (u128::from(f) * u128::from(engine_rate) / u128::from(session.sample_rate.max(1)))
                as u64
        }
    };
    let lanes_of = |c: &Controls| -> NodeLanes {
        let get = |p: LaneParam| -> Option<Box<[LanePoint]>> {
            c.lanes.get(&p).filter(|l| !l.points.is_empty()).map(|l| {
                l.points
                    .iter()
                    .map(|x| LanePoint {
                        frame: scale(x.frame),
                        value: x.value,
                    })
                    .collect()
            })
        };
        NodeLanes {
            trim: get(LaneParam::Trim),
            gain: get(LaneParam::Gain),
            pan: get(LaneParam::Pan),
            mute: get(LaneParam::Mute),
            sends: (0..c.sends.len())
                .map(|k| get(LaneParam::SendGain(k)))
                .collect(),
            // The channel-strip lanes the strip has (not every target
            // asked for in turn), in target order.
            proc: {
                let mut proc: Vec<(ProcTarget, Box<[LanePoint]>)> = c
                    .lanes
                    .keys()
                    .filter_map(|p| match p {
                        LaneParam::Proc(t) => get(*p).map(|points| (*t, points)),
                        _ => None,
                    })
                    .collect();
                proc.sort_by_key(|(t, _)| t.index());
                proc.into_boxed_slice()
            },
        }
    };
    for (i, t) in session.tracks.iter().enumerate() {
        nodes[usize::from(map.tracks[i].0)] = lanes_of(&t.controls);
    }
    for (j, b) in session.buses.iter().enumerate() {
        nodes[usize::from(map.buses[j].0)] = lanes_of(&b.controls);
    }
    nodes[usize::from(map.master.0)] = lanes_of(&session.master);
    LaneSet {
        pan_law: session.pan_law,
        nodes: nodes.into_boxed_slice(),
    }
}

/// A move this long (a twentieth of a second) after the last one held the
/// old value until it: the value is written as held, then stepping.
const HOLD_DIVISOR: u64 = 20;

/// Record a move: after a pause longer than `hold` frames, the value held
/// until the move is written first, so the lane steps where the live
/// value stepped instead of sloping across the pause.
fn push_move(points: &mut Vec<LanePoint>, p: LanePoint, hold: u64) {
    if let Some(last) = points.last().copied()
        && p.frame > last.frame + hold
        && last.value != p.value
    {
        points.push(LanePoint {
            frame: p.frame,
            value: last.value,
        });
    }
    points.push(p);
}

/// How a lane is being written in the current pass.
#[derive(Debug, Clone)]
struct Writing {
    mode: AutomationMode,
    /// Written so far: values (for trim: offsets in dB) at frames.
    points: Vec<LanePoint>,
    /// Latch: released, still writing the last value until stop.
    released: bool,
}

/// Passes kept for undo unless configured otherwise.
pub const DEFAULT_UNDO_PASSES: usize = 32;

/// The hub's automation state. See the module docs.
#[derive(Debug)]
pub struct AutomationState {
    glide: Duration,
    writing: KeyMap<LaneKey, Writing>,
    /// Lanes as they were before this pass wrote them.
    pass_undo: Vec<(LaneKey, Option<Lane>)>,
    /// The last passes, oldest first, each with one snapshot per lane it
    /// wrote; at most `undo_passes` of them.
    undo: std::collections::VecDeque<Vec<(LaneKey, Option<Lane>)>>,
    undo_passes: usize,
    /// The engine coefficients last told to play something other than
    /// their live value, node by node (absent: live).
    sent: KeyMap<NodeId, Vec<(AutoTarget, AutoPlay)>>,
    /// Trim-mode offsets (dB) per lane; absent is 0 dB.
    offsets: KeyMap<LaneKey, f64>,
    /// Where the current pass started (write mode fills from here).
    pass_start: Option<u64>,
    /// A locate sent to the engine (engine frames), and the number of
    /// transport commands the engine will have applied once it has run it.
    pub(super) locate: Option<(u64, u64)>,
    /// The timeline frame at the last tick (a jump back is a new pass).
    last_frame: u64,
    /// The lanes that play (the engine plays them; the hub reads them to
    /// show their values), in [`Hub::keys`] order, each with where it was
    /// last read.
    reading: Vec<(LaneKey, LaneCursor)>,
}

impl Default for AutomationState {
    fn default() -> AutomationState {
        AutomationState {
            glide: DEFAULT_GLIDE,
            writing: KeyMap::default(),
            pass_undo: Vec::new(),
            undo: std::collections::VecDeque::new(),
            undo_passes: DEFAULT_UNDO_PASSES,
            sent: KeyMap::default(),
            offsets: KeyMap::default(),
            pass_start: None,
            locate: None,
            last_frame: 0,
            reading: Vec::new(),
        }
    }
}

/// A lane's value at a frame in its natural units, or `None` if it has no
/// points.
fn lane_value(lane: Option<&Lane>, p: LaneParam, frame: u64) -> Option<f64> {
    value_at(&lane?.points, p.interp(), frame)
}

/// Where a channel-strip setting lives in a strip's controls.
enum Slot<'a> {
    F64(&'a mut f64),
    F32(&'a mut f32),
    Switch(&'a mut bool),
}

impl Slot<'_> {
    /// The value in the lane's natural units (switches 0/1).
    fn get(&self) -> f64 {
        match self {
            Slot::F64(x) => **x,
            Slot::F32(x) => f64::from(**x),
            Slot::Switch(on) => f64::from(u8::from(**on)),
        }
    }

    fn set(self, v: f64) {
        match self {
            Slot::F64(x) => *x = v,
            Slot::F32(x) => *x = v as f32,
            Slot::Switch(on) => *on = v >= 0.5,
        }
    }
}

/// A strip's processing settings (plain data): what channel-strip lanes
/// drive.
#[derive(Clone, Copy)]
struct Processing {
    eq: crate::model::Eq,
    comp: crate::model::CompSpec,
    gate: crate::model::GateSpec,
    limiter: crate::model::LimiterSpec,
    effect: crate::model::Effect,
}

impl Processing {
    fn of(c: &Controls) -> Processing {
        Processing {
            eq: c.eq,
            comp: c.comp,
            gate: c.gate,
            limiter: c.limiter,
            effect: c.effect,
        }
    }

    fn store(self, c: &mut Controls) {
        c.eq = self.eq;
        c.comp = self.comp;
        c.gate = self.gate;
        c.limiter = self.limiter;
        c.effect = self.effect;
    }

    /// The setting lane `t` drives, if the strip has it (a bus's effect
    /// of the right kind).
    fn slot(&mut self, t: ProcTarget) -> Option<Slot<'_>> {
        use crate::model::Effect;
        let Processing {
            eq,
            comp,
            gate,
            limiter,
            effect,
        } = self;
        let bands = &mut eq.bands;
        Some(match t {
            ProcTarget::HpfFreq => Slot::F64(&mut eq.hpf_hz),
            ProcTarget::HpfOn => Slot::Switch(&mut eq.hpf_on),
            ProcTarget::EqOn => Slot::Switch(&mut eq.on),
            ProcTarget::BandGain(k) => Slot::F64(&mut bands.get_mut(usize::from(k))?.gain_db),
            ProcTarget::BandFreq(k) => Slot::F64(&mut bands.get_mut(usize::from(k))?.freq_hz),
            ProcTarget::BandQ(k) => Slot::F64(&mut bands.get_mut(usize::from(k))?.q),
            ProcTarget::BandOn(k) => Slot::Switch(&mut bands.get_mut(usize::from(k))?.on),
            ProcTarget::CompThreshold => Slot::F32(&mut comp.threshold_db),
            ProcTarget::CompRatio => Slot::F32(&mut comp.ratio),
            ProcTarget::CompAttack => Slot::F32(&mut comp.attack_ms),
            ProcTarget::CompRelease => Slot::F32(&mut comp.release_ms),
            ProcTarget::CompMakeup => Slot::F32(&mut comp.makeup_db),
            ProcTarget::CompKnee => Slot::F32(&mut comp.knee_db),
            ProcTarget::CompScHpf => Slot::F32(&mut comp.sc_hpf_hz),
            ProcTarget::CompOn => Slot::Switch(&mut comp.on),
            ProcTarget::GateThreshold => Slot::F32(&mut gate.threshold_db),
            ProcTarget::GateRange => Slot::F32(&mut gate.range_db),
            ProcTarget::GateRatio => Slot::F32(&mut gate.ratio),
            ProcTarget::GateAttack => Slot::F32(&mut gate.attack_ms),
            ProcTarget::GateHold => Slot::F32(&mut gate.hold_ms),
            ProcTarget::GateRelease => Slot::F32(&mut gate.release_ms),
            ProcTarget::GateOn => Slot::Switch(&mut gate.on),
            ProcTarget::LimiterCeiling => Slot::F32(&mut limiter.ceiling_dbtp),
            ProcTarget::LimiterRelease => Slot::F32(&mut limiter.release_ms),
            t => Slot::F32(match (effect, t) {
                (Effect::Delay(d), ProcTarget::DelayTime) => &mut d.echo.time_ms,
                (Effect::Delay(d), ProcTarget::DelayFeedback) => &mut d.echo.feedback,
                (Effect::Delay(d), ProcTarget::DelayHpf) => &mut d.echo.hpf_hz,
                (Effect::Delay(d), ProcTarget::DelayLpf) => &mut d.echo.lpf_hz,
                (Effect::Reverb(r), ProcTarget::ReverbSize) => &mut r.size,
                (Effect::Reverb(r), ProcTarget::ReverbDecay) => &mut r.decay_s,
                (Effect::Reverb(r), ProcTarget::ReverbPredelay) => &mut r.predelay_ms,
                (Effect::Reverb(r), ProcTarget::ReverbDamping) => &mut r.damping,
                (Effect::Reverb(r), ProcTarget::ReverbWidth) => &mut r.width,
                _ => return None,
            }),
        })
    }
}

/// The live value of the control `param` moves, in its lane's natural
/// units (None for a control with no lane).
pub(super) fn live_value_of(c: &Controls, param: Param) -> Option<f64> {
    live_value(c, lane_param(param)?)
}

/// A control's live value in a lane's natural units.
fn live_value(c: &Controls, p: LaneParam) -> Option<f64> {
    Some(match p {
        LaneParam::Gain => floor_db(c.gain_db),
        LaneParam::Trim => c.trim_db,
        LaneParam::Pan => c.pan,
        LaneParam::Mute => f64::from(u8::from(c.mute)),
        LaneParam::SendGain(k) => floor_db(c.sends.get(k)?.gain_db),
        LaneParam::Proc(t) => {
            // A copy of the (small, plain) processing settings to read from.
            Processing::of(c).slot(t)?.get()
        }
    })
}

fn floor_db(db: f64) -> f64 {
    if db <= GAIN_OFF_DB { GAIN_OFF_DB } else { db }
}

/// Set a control from a lane value (natural units).
fn set_live(c: &mut Controls, p: LaneParam, v: f64) {
    let gain = |v: f64| {
        if v <= crate::dsp::fader_law::GAIN_OFF_DB {
            f64::NEG_INFINITY
        } else {
            v.min(FADER_MAX_DB)
        }
    };
    match p {
        LaneParam::Gain => c.gain_db = gain(v),
        LaneParam::Trim => c.trim_db = v.clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB),
        LaneParam::Pan => c.pan = v.clamp(0.0, 1.0),
        LaneParam::Mute => c.mute = v >= 0.5,
        LaneParam::SendGain(k) => {
            if let Some(s) = c.sends.get_mut(k) {
                s.gain_db = gain(v);
            }
        }
        LaneParam::Proc(t) => {
            let (lo, hi) = crate::model::proc_range(t);
            let mut parts = Processing::of(c);
            if let Some(slot) = parts.slot(t) {
                slot.set(v.clamp(lo, hi));
                parts.store(c);
            }
        }
    }
}

impl Hub {
    /// Set the glide time on release in touch mode.
    pub fn set_glide(&mut self, glide: Duration) {
        self.auto.glide = glide;
    }

    /// Keep at most `passes` passes for undo (at least one); older ones
    /// are forgotten. Each pass holds a copy of every lane it wrote as it
    /// was before, so undo costs at most `passes` copies of any lane.
    pub fn set_undo_passes(&mut self, passes: usize) {
        self.auto.undo_passes = passes.max(1);
        while self.auto.undo.len() > self.auto.undo_passes {
            self.auto.undo.pop_front();
        }
    }

    /// Points in every lane of the session, for `/status`.
    pub fn lane_points(&self) -> usize {
        self.strips()
            .filter_map(|s| self.session.controls(s))
            .flat_map(|c| c.lanes.values())
            .map(|l| l.points.len())
            .sum()
    }

    /// Bytes the undo history holds (lane points), for `/status`.
    pub fn undo_bytes(&self) -> usize {
        self.auto
            .undo
            .iter()
            .flatten()
            .filter_map(|(_, lane)| lane.as_ref())
            .map(|l| l.points.len() * std::mem::size_of::<crate::dsp::automation::LanePoint>())
            .sum()
    }

    fn glide_frames(&self) -> u64 {
        (self.auto.glide.as_secs_f64() * f64::from(self.session.sample_rate)).round() as u64
    }

    /// The timeline frame now, at the session's rate (a locate the engine
    /// has not run yet counts as done).
    fn now_frame(&self) -> u64 {
        let f = self.transport_state().position_frames;
        let (er, sr) = (self.engine_config.sample_rate, self.session.sample_rate);
        if er == sr || er == 0 {
            f
        } else {
            (u128::from(f) * u128::from(sr) / u128::from(er)) as u64
        }
    }

    /// A locate sent to the engine that it has not run yet (it runs at the
    /// start of its next block): where the transport is about to be.
    pub(super) fn pending_locate(&self) -> Option<u64> {
        let (to, seq) = self.auto.locate?;
        (self
            .link
            .shared
            .transport_commands
            .load(std::sync::atomic::Ordering::Acquire)
            < seq)
            .then_some(to)
    }

    /// The mode lane `p` of `strip` plays in.
    pub fn lane_mode(&self, strip: StripRef, p: LaneParam) -> AutomationMode {
        let mode = self
            .session
            .controls(strip)
            .map_or(AutomationMode::Off, |c| {
                c.lanes.get(&p).and_then(|l| l.mode).unwrap_or(c.automation)
            });
        // Trim writes dB offsets on gains; a channel-strip setting under a
        // strip in trim mode is written like touch.
        match (mode, p) {
            (AutomationMode::Trim, LaneParam::Proc(_)) => AutomationMode::Touch,
            _ => mode,
        }
    }

    /// The lane `p` of `strip`, if it has points.
    pub fn lane(&self, strip: StripRef, p: LaneParam) -> Option<&Lane> {
        self.session
            .controls(strip)?
            .lanes
            .get(&p)
            .filter(|l| !l.points.is_empty())
    }

    /// True when surface moves of `address` are refused because its lane
    /// plays in read mode.
    pub(super) fn reads_lane(&self, address: Address) -> bool {
        lane_param(address.param).is_some_and(|p| {
            self.lane_mode(address.strip, p) == AutomationMode::Read
                && self.lane(address.strip, p).is_some()
        })
    }

    fn play_state(&self, key: LaneKey) -> AutoPlay {
        if self.lane(key.0, key.1).is_none() {
            return AutoPlay::Live;
        }
        match self.lane_mode(key.0, key.1) {
            AutomationMode::Off | AutomationMode::Write => AutoPlay::Live,
            AutomationMode::Read => AutoPlay::Lane,
            AutomationMode::Touch | AutomationMode::Latch => {
                if self.auto.writing.contains_key(&key)
                    || self.is_touched(lane_address(key.0, key.1))
                {
                    AutoPlay::Live
                } else {
                    AutoPlay::Lane
                }
            }
            AutomationMode::Trim => {
                if matches!(key.1, LaneParam::Gain | LaneParam::SendGain(_)) {
                    AutoPlay::LaneTimesLive
                } else {
                    AutoPlay::Lane
                }
            }
        }
    }

    /// True when no lane has a point, none is being written and the engine
    /// plays every coefficient live: a tick has nothing to play or tell
    /// (an idle daemon's tick stays cheap).
    pub(super) fn automation_at_rest(&self) -> bool {
        self.auto.writing.is_empty() && self.auto.sent.is_empty() && self.lane_points() == 0
    }

    fn keys(&self) -> Vec<LaneKey> {
        let mut keys = Vec::new();
        for strip in self.strips() {
            let Some(c) = self.session.controls(strip) else {
                continue;
            };
            for p in [
                LaneParam::Gain,
                LaneParam::Trim,
                LaneParam::Pan,
                LaneParam::Mute,
            ] {
                keys.push((strip, p));
            }
            for k in 0..c.sends.len() {
                keys.push((strip, LaneParam::SendGain(k)));
            }
            let mut procs: Vec<ProcTarget> = c
                .lanes
                .keys()
                .filter_map(|p| match p {
                    LaneParam::Proc(t) => Some(*t),
                    _ => None,
                })
                .collect();
            procs.sort_by_key(|t| t.index());
            keys.extend(procs.into_iter().map(|t| (strip, LaneParam::Proc(t))));
        }
        keys
    }

    /// Tell the engine what every coefficient plays, where that changed,
    /// and note the lanes that play for [`Self::automation_tick`] to read.
    ///
    /// While a lane plays, the engine's live value for it is not kept up
    /// to date (the hub's is, for the surfaces): when the lane stops
    /// playing (a touch, a mode change) the strip's live values are sent
    /// first, so the engine's handover ramps from what played to them.
    ///
    /// Only lanes with points and coefficients that play something other
    /// than live are looked at: a control without a lane plays live.
    pub(super) fn sync_play(&mut self) {
        let was_reading = std::mem::take(&mut self.auto.reading);
        let mut carried = was_reading.iter().peekable();
        let mut reading = Vec::with_capacity(was_reading.len());
        let mut switches: Vec<(LaneKey, NodeId, AutoPlay)> = Vec::new();
        for strip in self.strips() {
            let (Some(node), Some(c)) = (self.node_of(strip), self.session.controls(strip)) else {
                continue;
            };
            let told = self.auto.sent.get(&node).map_or(&[][..], Vec::as_slice);
            let plays = |p: LaneParam| {
                lane_exists(c, p) && c.lanes.get(&p).is_some_and(|l| !l.points.is_empty())
            };
            for &p in c.lanes.keys().filter(|p| plays(**p)) {
                let key = (strip, p);
                let play = self.play_state(key);
                if play == AutoPlay::Lane {
                    // The same lanes play tick after tick, in the same order.
                    let cursor = carried
                        .next_if(|(k, _)| *k == key)
                        .map(|(_, c)| *c)
                        .unwrap_or_default();
                    reading.push((key, cursor));
                }
                let target = engine_target(p);
                let sent = told
                    .iter()
                    .find(|(t, _)| *t == target)
                    .map_or(AutoPlay::Live, |(_, play)| *play);
                if sent != play {
                    switches.push((key, node, play));
                }
            }
            // Told to play a lane that no longer plays (deleted, emptied).
            for &(target, _) in told {
                let p = lane_of_target(target);
                if !plays(p) {
                    switches.push(((strip, p), node, AutoPlay::Live));
                }
            }
        }
        for ((strip, p), node, play) in switches {
            if play == AutoPlay::Live {
                self.push_strip_parts(strip, super::push::StripParts::of_lane(p));
            }
            let target = engine_target(p);
            let told = self.auto.sent.entry(node).or_default();
            told.retain(|(t, _)| *t != target);
            if play != AutoPlay::Live {
                told.push((target, play));
            }
            if told.is_empty() {
                self.auto.sent.remove(&node);
            }
            self.push(ToEngine::Strip {
                node,
                param: StripParam::Play { target, play },
            });
        }
        self.auto.reading = reading;
    }

    /// The engine has a new graph (every coefficient plays live) or new
    /// lanes: send the lanes and what plays.
    pub(super) fn resend_automation(&mut self, new_graph: bool) {
        if new_graph {
            self.auto.sent.clear();
        }
        let set = lane_set(&self.session, &self.map, self.engine_config.sample_rate);
        self.push(ToEngine::SwapLanes(Box::new(set)));
        self.sync_play();
    }

    /// The live value the engine gets for a gain-like lane: the trim-mode
    /// offset while the lane plays times it.
    pub(super) fn trim_offset_db(&self, strip: StripRef, p: LaneParam) -> Option<f64> {
        (self.play_state((strip, p)) == AutoPlay::LaneTimesLive)
            .then(|| self.auto.offsets.get(&(strip, p)).copied().unwrap_or(0.0))
    }

    /// A value applied to a lane's control (`before` is the strip before
    /// the change); write it if a pass is on.
    /// A surface moved `address`; `before` was its live value in its
    /// lane's units.
    pub(super) fn automation_moved(&mut self, address: Address, before: Option<f64>) {
        let Some(p) = lane_param(address.param) else {
            return;
        };
        let key = (address.strip, p);
        if !self.rolling {
            return;
        }
        let mode = self.lane_mode(key.0, key.1);
        let frame = self.now_frame();
        let Some(value) = self.written_value(key) else {
            return;
        };
        let hold = u64::from(self.session.sample_rate) / HOLD_DIVISOR;
        if let Some(w) = self.auto.writing.get_mut(&key) {
            w.released = false;
            push_move(&mut w.points, LanePoint { frame, value }, hold);
            return;
        }
        let start = match mode {
            AutomationMode::Touch | AutomationMode::Latch | AutomationMode::Trim => {
                // The value the lane had when the hand took over.
                let v0 = if mode == AutomationMode::Trim {
                    0.0
                } else {
                    lane_value(self.lane(key.0, key.1), p, frame)
                        .or(before)
                        .unwrap_or(value)
                };
                LanePoint { frame, value: v0 }
            }
            AutomationMode::Write => {
                let v0 = before.unwrap_or(value);
                LanePoint {
                    frame: self.auto.pass_start.unwrap_or(frame).min(frame),
                    value: v0,
                }
            }
            AutomationMode::Off | AutomationMode::Read => return,
        };
        self.begin_writing(key, mode, start);
        if let Some(w) = self.auto.writing.get_mut(&key) {
            push_move(&mut w.points, LanePoint { frame, value }, hold);
        }
        self.sync_play();
    }

    /// What a pass writes for lane `key` now: the live value, or in trim
    /// mode the offset.
    fn written_value(&self, key: LaneKey) -> Option<f64> {
        if self.lane_mode(key.0, key.1) == AutomationMode::Trim {
            return Some(self.auto.offsets.get(&key).copied().unwrap_or(0.0));
        }
        live_value(self.session.controls(key.0)?, key.1)
    }

    fn begin_writing(&mut self, key: LaneKey, mode: AutomationMode, first: LanePoint) {
        self.auto.writing.insert(
            key,
            Writing {
                mode,
                points: vec![first],
                released: false,
            },
        );
    }

    /// A touch began or ended on `address` (explicitly or by timeout).
    pub(super) fn automation_touch(&mut self, address: Address, on: bool) {
        let Some(p) = lane_param(address.param) else {
            return;
        };
        let key = (address.strip, p);
        if on {
            if self.rolling
                && !self.auto.writing.contains_key(&key)
                && matches!(
                    self.lane_mode(key.0, key.1),
                    AutomationMode::Touch | AutomationMode::Latch | AutomationMode::Trim
                )
            {
                let frame = self.now_frame();
                if let Some(v) = self.written_value(key) {
                    let mode = self.lane_mode(key.0, key.1);
                    // Touch and latch take over from what played.
                    let v = if mode == AutomationMode::Trim {
                        v
                    } else {
                        lane_value(self.lane(key.0, key.1), p, frame).unwrap_or(v)
                    };
                    self.begin_writing(key, mode, LanePoint { frame, value: v });
                }
            }
        } else if !self.is_touched(address) {
            self.released(key);
        }
        self.sync_play();
    }

    /// The last touch on `key` ended.
    fn released(&mut self, key: LaneKey) {
        let Some(w) = self.auto.writing.get(&key) else {
            return;
        };
        match w.mode {
            AutomationMode::Latch | AutomationMode::Write => {
                if let Some(w) = self.auto.writing.get_mut(&key) {
                    w.released = true;
                }
            }
            AutomationMode::Touch | AutomationMode::Trim => {
                let frame = self.now_frame();
                self.finish(key, frame, true);
            }
            AutomationMode::Off | AutomationMode::Read => {
                self.auto.writing.remove(&key);
            }
        }
    }

    /// End lane `key`'s writing at `frame` (gliding back when `glide`) and
    /// put the result in the lane.
    fn finish(&mut self, key: LaneKey, frame: u64, glide: bool) {
        let Some(mut w) = self.auto.writing.remove(&key) else {
            return;
        };
        let Some(v_end) = self.written_value(key) else {
            return;
        };
        let frame = frame.max(w.points.last().map_or(0, |p| p.frame));
        let hold = u64::from(self.session.sample_rate) / HOLD_DIVISOR;
        push_move(
            &mut w.points,
            LanePoint {
                frame,
                value: v_end,
            },
            hold,
        );
        let old = self.lane(key.0, key.1).cloned();
        let old_points = old.as_ref().map(|l| l.points.clone()).unwrap_or_default();
        let p = key.1;
        let glide_end = frame + self.glide_frames();
        let new_span: Vec<LanePoint> = if w.mode == AutomationMode::Trim {
            // Offsets on top of the old lane, gliding back to 0 dB.
            if glide {
                w.points.push(LanePoint {
                    frame: glide_end,
                    value: 0.0,
                });
            }
            let first = w.points[0].frame;
            let last = w.points.last().map_or(first, |q| q.frame);
            let mut frames: Vec<u64> = w
                .points
                .iter()
                .map(|q| q.frame)
                .chain(
                    old_points
                        .iter()
                        .map(|q| q.frame)
                        .filter(|f| (first..=last).contains(f)),
                )
                .collect();
            frames.sort_unstable();
            frames.dedup();
            frames
                .into_iter()
                .map(|f| {
                    let base = value_at(&old_points, p.interp(), f).unwrap_or(0.0);
                    let off = value_at(&w.points, Interp::Linear, f).unwrap_or(0.0);
                    LanePoint {
                        frame: f,
                        value: if base <= GAIN_OFF_DB {
                            GAIN_OFF_DB
                        } else {
                            (base + off).clamp(GAIN_OFF_DB, FADER_MAX_DB)
                        },
                    }
                })
                .collect()
        } else {
            let mut pts = w.points.clone();
            if glide && let Some(back) = value_at(&old_points, p.interp(), glide_end) {
                pts.push(LanePoint {
                    frame: glide_end,
                    value: back,
                });
            }
            pts
        };
        let thinned = thin(&new_span, p.interp(), thin_tolerance(p));
        let merged = splice(&old_points, &thinned, p.interp());
        // One undo snapshot per lane per pass.
        if !self.auto.pass_undo.iter().any(|(k, _)| *k == key) {
            self.auto.pass_undo.push((key, old.clone()));
        }
        let mode = old.as_ref().and_then(|l| l.mode);
        if let Some(c) = self.session.controls_mut(key.0) {
            c.lanes.insert(
                key.1,
                Lane {
                    mode,
                    points: merged,
                },
            );
        }
        self.mark_changed();
        if w.mode == AutomationMode::Trim {
            // The offset is in the lane now.
            self.auto.offsets.remove(&key);
            if let Some(node) = self.node_of(key.0) {
                self.push(ToEngine::Strip {
                    node,
                    param: StripParam::Jump {
                        target: engine_target(key.1),
                        value: 1.0,
                    },
                });
            }
            self.feed_lane_views(key.0, key.1, Origin::Daemon);
        }
        self.resend_automation(false);
    }

    /// The transport started, stopped or moved (called before the engine
    /// hears of it).
    pub(super) fn automation_transport(&mut self, cmd: crate::engine::TransportCmd) {
        use crate::engine::TransportCmd;
        match cmd {
            TransportCmd::Play => {
                if !self.rolling {
                    self.start_pass(self.now_frame());
                }
            }
            TransportCmd::Stop => {
                if self.rolling {
                    self.end_pass(self.now_frame(), true);
                }
            }
            TransportCmd::Loop(_) => {}
            TransportCmd::Locate(to) => {
                // It is the next transport command the hub sends.
                self.auto.locate = Some((to, self.transport_sent + 1));
                self.auto.last_frame = to;
                if self.rolling {
                    self.end_pass(self.now_frame(), false);
                    let to = {
                        let (er, sr) = (self.engine_config.sample_rate, self.session.sample_rate);
                        if er == sr || er == 0 {
                            to
                        } else {
                            (u128::from(to) * u128::from(sr) / u128::from(er)) as u64
                        }
                    };
                    self.start_pass(to);
                }
            }
        }
    }

    fn start_pass(&mut self, frame: u64) {
        self.auto.pass_start = Some(frame);
        // Write mode writes every lane that exists from the start.
        for key in self.keys() {
            if self.lane_mode(key.0, key.1) == AutomationMode::Write
                && self.lane(key.0, key.1).is_some()
                && let Some(v) = self.written_value(key)
            {
                self.begin_writing(key, AutomationMode::Write, LanePoint { frame, value: v });
            }
        }
    }

    /// The pass ends at `frame`: every lane being written is finished there;
    /// on a stop, write-mode lanes switch to touch.
    fn end_pass(&mut self, frame: u64, stop: bool) {
        let keys: Vec<LaneKey> = self.auto.writing.keys().copied().collect();
        let mut wrote = Vec::new();
        for key in keys {
            let mode = self.auto.writing.get(&key).map(|w| w.mode);
            self.finish(key, frame, false);
            if mode == Some(AutomationMode::Write) {
                wrote.push(key);
            }
        }
        if stop {
            for (strip, p) in wrote {
                let Some(c) = self.session.controls_mut(strip) else {
                    continue;
                };
                match c.lanes.get_mut(&p) {
                    Some(l) if l.mode == Some(AutomationMode::Write) => {
                        l.mode = Some(AutomationMode::Touch)
                    }
                    _ => {
                        if c.automation == AutomationMode::Write {
                            c.automation = AutomationMode::Touch;
                            let a = Address::new(strip, Param::Automation);
                            if let Ok(v) = self.get(a) {
                                self.changed(a, v, Origin::Daemon);
                            }
                        }
                    }
                }
            }
        }
        let step = std::mem::take(&mut self.auto.pass_undo);
        if !step.is_empty() {
            self.auto.undo.push_back(step);
            while self.auto.undo.len() > self.auto.undo_passes {
                self.auto.undo.pop_front();
            }
        }
        self.auto.pass_start = None;
        self.sync_play();
    }

    /// Undo the last automation pass: every lane it wrote goes back to what
    /// it was. Refused while a pass is writing.
    pub fn undo_automation(&mut self) -> Result<usize, IntentError> {
        if !self.auto.writing.is_empty() {
            return Err(IntentError::Busy("an automation pass is being written"));
        }
        let Some(step) = self.auto.undo.pop_back() else {
            return Ok(0);
        };
        let n = step.len();
        for ((strip, p), lane) in step {
            if let Some(c) = self.session.controls_mut(strip) {
                match lane {
                    Some(l) => c.lanes.insert(p, l),
                    None => c.lanes.remove(&p),
                };
            }
        }
        self.mark_changed();
        self.resend_automation(false);
        Ok(n)
    }

    /// Passes that can be undone.
    pub fn undo_depth(&self) -> usize {
        self.auto.undo.len()
    }

    /// The strip's mode changed: trim offsets start at 0 dB; a lane that
    /// stops playing in trim leaves its control where the lane is.
    pub(super) fn automation_mode_changed(&mut self, strip: StripRef, before: AutomationMode) {
        let now = self
            .session
            .controls(strip)
            .map_or(AutomationMode::Off, |c| c.automation);
        if before == AutomationMode::Trim && now != AutomationMode::Trim {
            self.auto.offsets.retain(|(s, _), _| *s != strip);
        }
        // Writing that the new mode does not do ends here.
        let frame = self.now_frame();
        let keys: Vec<LaneKey> = self
            .auto
            .writing
            .keys()
            .filter(|(s, _)| *s == strip)
            .copied()
            .collect();
        for key in keys {
            self.finish(key, frame, false);
        }
        if self.rolling && now == AutomationMode::Write {
            for key in self.keys().into_iter().filter(|k| k.0 == strip) {
                if self.lane(key.0, key.1).is_some()
                    && let Some(v) = self.written_value(key)
                {
                    self.begin_writing(key, AutomationMode::Write, LanePoint { frame, value: v });
                }
            }
        }
        self.sync_play();
        self.push_strip(strip);
    }

    /// Trim mode: a move of a gain-like control sets the offset (dB).
    /// Returns the offset applied, or `None` when the control is not in trim.
    pub(super) fn trim_move(&mut self, address: Address, db: f64) -> Option<f64> {
        let p = lane_param(address.param)?;
        if !matches!(p, LaneParam::Gain | LaneParam::SendGain(_))
            || self.play_state((address.strip, p)) != AutoPlay::LaneTimesLive
        {
            return None;
        }
        let db = floor_db(db).clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB);
        self.auto.offsets.insert((address.strip, p), db);
        let node = self.node_of(address.strip)?;
        let gain = db_to_amp(db) as f32;
        let param = match p {
            LaneParam::SendGain(k) => StripParam::SendLevel {
                send: k as u16,
                gain,
            },
            _ => StripParam::Fader(gain),
        };
        self.push(ToEngine::Strip { node, param });
        Some(db)
    }

    /// A trim-mode control's value as surfaces see it (the offset).
    pub(super) fn trim_view(&self, address: Address) -> Option<Value> {
        let p = lane_param(address.param)?;
        let db = self.trim_offset_db(address.strip, p)?;
        Some(Value::Float(match address.param {
            Param::Fader | Param::Send(_, SendParam::Fader) => db_to_pos(db),
            _ => db,
        }))
    }

    /// Every hub tick: end touches that timed out, and put what the lanes
    /// play into the controls so every surface (motor faders, tablets)
    /// follows playback.
    pub(super) fn automation_tick(&mut self) {
        let writing: Vec<LaneKey> = self.auto.writing.keys().copied().collect();
        for key in writing {
            if !self.is_touched(lane_address(key.0, key.1)) {
                self.released(key);
            }
        }
        // Nothing to play or tell (an idle daemon's tick stays cheap).
        let at_rest = self.automation_at_rest();
        if !at_rest {
            self.sync_play();
        }
        let frame = self.now_frame();
        // The timeline jumped back under a rolling pass (a loop, an outside
        // transport's locate): the pass ends where it was and a new one
        // starts here.
        if self.rolling && frame < self.auto.last_frame && self.auto.pass_start.is_some() {
            let was = self.auto.last_frame;
            self.end_pass(was, false);
            self.start_pass(frame);
        }
        self.auto.last_frame = frame;
        if at_rest {
            return;
        }
        // The hub's values follow what plays (the engine is not told: see
        // `sync_play`).
        let mut reading = std::mem::take(&mut self.auto.reading);
        for ((strip, p), cursor) in &mut reading {
            let Some(c) = self.session.controls_mut(*strip) else {
                continue;
            };
            let Some(v) = c
                .lanes
                .get(p)
                .and_then(|l| cursor.value_at(&l.points, p.interp(), frame))
            else {
                continue;
            };
            let before = live_value(c, *p);
            set_live(c, *p, v);
            if live_value(c, *p) != before {
                self.feed_lane_views(*strip, *p, Origin::Daemon);
            }
        }
        self.auto.reading = reading;
    }

    fn feed_lane_views(&mut self, strip: StripRef, p: LaneParam, origin: Origin) {
        for a in lane_address(strip, p).views() {
            if let Ok(value) = self.get(a) {
                self.feedback.push(Feedback {
                    address: a,
                    value,
                    origin,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(frame: u64, value: f64) -> LanePoint {
        LanePoint { frame, value }
    }

    #[test]
    fn every_lane_is_played_by_the_coefficient_that_plays_it() {
        let mut lanes = vec![
            LaneParam::Gain,
            LaneParam::Trim,
            LaneParam::Pan,
            LaneParam::Mute,
            LaneParam::SendGain(0),
            LaneParam::SendGain(7),
        ];
        lanes.extend(ProcTarget::all().map(LaneParam::Proc));
        for p in lanes {
            assert_eq!(lane_of_target(engine_target(p)), p);
        }
    }

    #[test]
    fn splicing_replaces_exactly_the_written_span() {
        let old = [p(0, -10.0), p(1000, -10.0), p(2000, -20.0), p(3000, -20.0)];
        let new = [p(1000, -5.0), p(1500, -4.0), p(2500, -6.0)];
        assert_eq!(
            splice(&old, &new, Interp::Linear),
            vec![
                p(0, -10.0),
                p(936, -10.0),
                p(1000, -5.0),
                p(1500, -4.0),
                p(2500, -6.0),
                p(2564, -20.0),
                p(3000, -20.0)
            ]
        );
        assert_eq!(splice(&old, &[], Interp::Linear), old.to_vec());
        // Into an empty lane: just the span.
        assert_eq!(splice(&[], &new, Interp::Linear), new.to_vec());
    }

    #[test]
    fn step_lanes_lose_only_repeats() {
        let pts = [
            p(0, 0.0),
            p(10, 0.0),
            p(20, 1.0),
            p(30, 1.0),
            p(40, 0.0),
            p(50, 0.0),
        ];
        assert_eq!(
            thin(&pts, Interp::Step, 0.0),
            vec![p(0, 0.0), p(20, 1.0), p(40, 0.0), p(50, 0.0)]
        );
    }

    proptest! {
        #[test]
        fn thinning_stays_within_its_bound(
            steps in proptest::collection::vec((1u64..2000, -3.0f64..3.0), 2..400)
        ) {
            let mut frame = 0;
            let mut value = -10.0;
            let ride: Vec<LanePoint> = steps
                .iter()
                .map(|(df, dv)| {
                    frame += df;
                    value = (value + dv).clamp(-60.0, 10.0);
                    p(frame, value)
                })
                .collect();
            let tol = thin_tolerance(LaneParam::Gain);
            let thinned = thin(&ride, Interp::Linear, tol);
            prop_assert!(thinned.len() <= ride.len());
            prop_assert_eq!(thinned.first(), ride.first());
            prop_assert_eq!(thinned.last(), ride.last());
            let dev = max_deviation(&ride, &thinned, Interp::Linear);
            prop_assert!(dev <= tol + 1e-9, "deviation {}", dev);
        }
    }
}
