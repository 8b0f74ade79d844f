//! Lanes as data: which lane a control lives in, thinning, splicing a
//! written span, the lanes the engine plays (pure functions).

use super::*;

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
pub(super) fn proc_param(p: ProcTarget) -> Param {
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

/// The control that shows a lane (the first of its views).
pub fn lane_control(p: LaneParam) -> Param {
    match p {
        LaneParam::Gain => Param::Fader,
        LaneParam::Trim => Param::Trim,
        LaneParam::Pan => Param::Pan,
        LaneParam::Mute => Param::Mute,
        LaneParam::SendGain(k) => Param::Send(k, SendParam::Fader),
        LaneParam::Proc(t) => proc_param(t),
    }
}

/// The address that shows a lane (the first of its views).
pub fn lane_address(strip: StripRef, p: LaneParam) -> Address {
    Address::new(strip, lane_control(p))
}

/// The parameter table's descriptor of the value lane `p` holds (a gain
/// lane holds dB, not a fader position).
pub fn lane_spec(p: LaneParam) -> crate::mixer::Spec {
    match p {
        LaneParam::Gain => Param::Gain,
        LaneParam::SendGain(k) => Param::Send(k, SendParam::Gain),
        _ => lane_control(p),
    }
    .spec()
}

/// The most a thinned lane departs from the written ride, in the lane's
/// units: the parameter's resolution in the parameter table (0.05 dB for
/// gains and trims, 0.001 of the pan travel, about 0.1 % of a frequency);
/// switches are never thinned (repeats are dropped).
pub fn thin_tolerance(p: LaneParam) -> f64 {
    lane_spec(p).resolution
}

/// The lane an engine coefficient plays.
pub(super) fn lane_of_target(t: AutoTarget) -> LaneParam {
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
pub(super) fn lane_exists(c: &Controls, p: LaneParam) -> bool {
    match p {
        LaneParam::SendGain(k) => k < c.sends.len(),
        _ => true,
    }
}

pub(super) fn engine_target(p: LaneParam) -> AutoTarget {
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
pub fn lane_set(session: &Session, map: &crate::mixer::NodeMap, engine_rate: u32) -> LaneSet {
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
pub(super) const HOLD_DIVISOR: u64 = 20;

/// Record a move: after a pause longer than `hold` frames, the value held
/// until the move is written first, so the lane steps where the live
/// value stepped instead of sloping across the pause.
pub(super) fn push_move(points: &mut Vec<LanePoint>, p: LanePoint, hold: u64) {
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

/// A lane's value at a frame in its natural units, or `None` if it has no
/// points.
pub(super) fn lane_value(lane: Option<&Lane>, p: LaneParam, frame: u64) -> Option<f64> {
    value_at(&lane?.points, p.interp(), frame)
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
