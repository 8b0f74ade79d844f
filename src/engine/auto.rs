//! Automation playback inside the engine.
//!
//! An [`AutoParam`] is one coefficient (a fader gain, a trim, a pan side, a
//! mute gate, a send level) that either follows the hub's live value
//! through a smoothing ramp, or plays its automation lane, or plays the
//! lane times the live value (trim mode: the live value is an offset).
//!
//! A lane is read at control points every [`CONTROL_FRAMES`] timeline
//! frames, aligned to the timeline (not to blocks), converted to engine
//! units there and interpolated linearly between: the value at a timeline
//! frame depends only on that frame, so output does not depend on how a
//! period is split into blocks, and a render matches live playback. Where
//! playback starts or jumps (a lane starts playing, a locate) a handover
//! ramp over the smoothing time takes the output from where it was, so
//! nothing clicks.
//!
//! Thread: audio. No allocation, no locks.

use super::ids::AutoPlay;
use crate::dsp::automation::{Interp, LaneCursor, LanePoint};
use crate::dsp::fader_law::gain_db_to_amp;
use crate::dsp::pan::{PanLaw, balance_gains};
use crate::dsp::ramp::{Ramp, Span};

/// Timeline frames between lane control points.
pub const CONTROL_FRAMES: u64 = 32;

/// How a lane's natural value becomes an engine coefficient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LaneConv {
    /// dB to linear amplitude (gains, trims, send levels).
    Amp,
    /// A mute (0/1) to a gate (1/0).
    Gate,
    /// A pan position to the left gain of a mono (law) or stereo (balance) strip.
    PanLeft(Option<PanLaw>),
    /// ... the right gain.
    PanRight(Option<PanLaw>),
}

impl LaneConv {
    #[inline]
    fn apply(self, v: f64) -> f32 {
        let pan = |law: Option<PanLaw>| match law {
            Some(l) => l.gains(v),
            None => balance_gains(v),
        };
        (match self {
            LaneConv::Amp => gain_db_to_amp(v),
            LaneConv::Gate => 1.0 - v.clamp(0.0, 1.0),
            LaneConv::PanLeft(law) => pan(law).0,
            LaneConv::PanRight(law) => pan(law).1,
        }) as f32
    }
}

/// A lane as one parameter reads it.
#[derive(Debug, Clone, Copy)]
pub struct LaneView<'a> {
    /// Breakpoints, sorted by frame, at least one.
    pub points: &'a [LanePoint],
    /// Between points.
    pub interp: Interp,
    /// To engine units.
    pub conv: LaneConv,
}

/// The clocks a block is rendered at, as automation sees them.
#[derive(Debug, Clone, Copy)]
pub struct TimelineClock {
    /// Timeline frame at the block's first sample.
    pub frame: u64,
    /// The timeline advances with the samples.
    pub rolling: bool,
}

/// One automatable coefficient. See the module docs.
#[derive(Debug, Clone)]
pub struct AutoParam {
    /// The hub's value, smoothed.
    pub live: Ramp,
    play: AutoPlay,
    handover: Ramp,
    /// Where the timeline must be at the next block for playback to run on
    /// without a handover.
    next_frame: Option<u64>,
    /// Control points in engine units: (grid frame, value there, value one
    /// step later).
    cache: Option<(u64, f32, f32)>,
    /// Where the lane was last read.
    cursor: LaneCursor,
    /// The last sample produced.
    last: f32,
    /// Nothing rendered yet: a lane playing from the first block starts
    /// on its own value (a render and live playback start alike).
    fresh: bool,
}

impl AutoParam {
    /// Live at `value`, ramping over `ramp_frames` on changes (and on
    /// handovers).
    pub fn new(value: f32, ramp_frames: u32) -> AutoParam {
        AutoParam {
            live: Ramp::new(value, ramp_frames),
            play: AutoPlay::Live,
            handover: Ramp::new(0.0, ramp_frames),
            next_frame: None,
            cache: None,
            cursor: LaneCursor::default(),
            last: value,
            fresh: true,
        }
    }

    /// What it plays.
    pub fn play(&self) -> AutoPlay {
        self.play
    }

    /// Its state, word by word (what a block can change while it plays
    /// live; a lane playing is never at rest).
    pub fn state_words(&self, w: &mut crate::dsp::state_words::StateWords) {
        w.word(match self.play {
            AutoPlay::Live => 0,
            _ => 1 + self.next_frame.map_or(0, |f| f as u32),
        });
        self.live.state_words(w);
        self.handover.state_words(w);
        w.float(self.last);
        w.word(u32::from(self.fresh));
        w.word(u32::from(self.next_frame.is_some()));
    }

    /// Switch what it plays. Leaving the lane, the live value takes over
    /// from the last sample and ramps to its target; entering it, a
    /// handover starts from the last sample.
    pub fn set_play(&mut self, play: AutoPlay) {
        if play == self.play {
            return;
        }
        if play == AutoPlay::Live {
            let target = self.live.target();
            self.live.jump(self.last);
            self.live.set_target(target);
        }
        self.play = play;
        self.next_frame = None;
    }

    /// The lanes were replaced: read the new one from the next block on.
    pub fn lane_changed(&mut self) {
        self.cache = None;
    }

    /// The lane's value in engine units at timeline frame `t`.
    #[inline]
    fn lane_at(&mut self, lane: &LaneView<'_>, t: u64) -> f32 {
        let grid = t - t % CONTROL_FRAMES;
        let (a, b) = match self.cache {
            Some((g, a, b)) if g == grid => (a, b),
            _ => {
                let mut at = |f: u64| {
                    let v = self.cursor.value_at(lane.points, lane.interp, f);
                    lane.conv.apply(v.unwrap_or(0.0))
                };
                let (a, b) = (at(grid), at(grid + CONTROL_FRAMES));
                self.cache = Some((grid, a, b));
                (a, b)
            }
        };
        let f = (t - grid) as f32 / CONTROL_FRAMES as f32;
        a + (b - a) * f
    }

    /// The next `out.len()` samples. `lane` is this parameter's lane, if it
    /// has one; without one it plays live whatever its mode. `tmp` is
    /// scratch of the same length.
    #[inline]
    pub fn render<'a>(
        &mut self,
        lane: Option<&LaneView<'_>>,
        clock: TimelineClock,
        out: &'a mut [f32],
        tmp: &mut [f32],
    ) -> Span<'a> {
        let lane = match (self.play, lane) {
            (AutoPlay::Live, _) | (_, None) => {
                let s = self.live.render(out);
                self.last = self.live.current();
                self.next_frame = None;
                self.fresh = false;
                return s;
            }
            (_, Some(l)) => l,
        };
        let n = out.len();
        let offset = match self.play {
            AutoPlay::LaneTimesLive => Some(self.live.render(tmp)),
            _ => None,
        };
        let live_at = |i: usize| match offset {
            Some(Span::Const(c)) => c,
            Some(Span::PerSample(v)) => v[i],
            None => 1.0,
        };
        let t0 = clock.frame;
        if self.fresh {
            self.handover.jump(0.0);
        } else if self.next_frame != Some(t0) {
            // Start or jump: hand over from where the output was.
            let v0 = self.lane_at(lane, t0) * live_at(0);
            self.handover.jump(self.last - v0);
            self.handover.set_target(0.0);
        }
        self.fresh = false;
        for (i, o) in out.iter_mut().enumerate() {
            let t = if clock.rolling { t0 + i as u64 } else { t0 };
            *o = self.lane_at(lane, t) * live_at(i) + self.handover.next_value();
        }
        self.last = out.last().copied().unwrap_or(self.last);
        self.next_frame = Some(if clock.rolling { t0 + n as u64 } else { t0 });
        Span::PerSample(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::automation::value_at;

    fn p(frame: u64, value: f64) -> LanePoint {
        LanePoint { frame, value }
    }

    fn run(param: &mut AutoParam, lane: &LaneView<'_>, start: u64, blocks: &[usize]) -> Vec<f32> {
        let mut out = Vec::new();
        let mut t = start;
        for &n in blocks {
            let (mut o, mut tmp) = (vec![0.0; n], vec![0.0; n]);
            let clock = TimelineClock {
                frame: t,
                rolling: true,
            };
            match param.render(Some(lane), clock, &mut o, &mut tmp) {
                Span::Const(c) => out.extend(std::iter::repeat_n(c, n)),
                Span::PerSample(v) => out.extend_from_slice(v),
            }
            t += n as u64;
        }
        out
    }

    #[test]
    fn playback_depends_on_the_timeline_frame_not_the_block_split() {
        let points = [p(0, -20.0), p(1000, 0.0), p(1000, -40.0), p(3000, -6.0)];
        let lane = LaneView {
            points: &points,
            interp: Interp::Linear,
            conv: LaneConv::Amp,
        };
        let fresh = || {
            let mut a = AutoParam::new(gain_db_to_amp(-20.0) as f32, 480);
            a.set_play(AutoPlay::Lane);
            a
        };
        let whole = run(&mut fresh(), &lane, 0, &[4000]);
        let split = run(&mut fresh(), &lane, 0, &[1, 63, 64, 7, 1000, 2865]);
        assert_eq!(whole, split);
        // On the control grid the value is the lane's, converted.
        for t in [64usize, 512, 2048, 3968] {
            let want = gain_db_to_amp(value_at(&points, Interp::Linear, t as u64).unwrap());
            assert!((f64::from(whole[t]) - want).abs() < 1e-6, "{t}");
        }
    }

    #[test]
    fn starting_and_leaving_the_lane_never_jump() {
        let points = [p(0, 0.0)]; // unity
        let lane = LaneView {
            points: &points,
            interp: Interp::Linear,
            conv: LaneConv::Amp,
        };
        let mut a = AutoParam::new(0.25, 480);
        let live = run(&mut a, &lane, 0, &[64]);
        assert!(live.iter().all(|v| *v == 0.25));
        a.set_play(AutoPlay::Lane);
        let into = run(&mut a, &lane, 64, &[64; 10]);
        let steps: Vec<f32> = std::iter::once(0.25)
            .chain(into.iter().copied())
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .collect();
        assert!(steps.iter().all(|s| *s <= 0.75 / 480.0 + 1e-5), "{steps:?}");
        assert!((into[500] - 1.0).abs() < 1e-6);
        // Back to live (0.25): from 1.0, ramped.
        a.set_play(AutoPlay::Live);
        let out = run(&mut a, &lane, 704, &[64; 10]);
        assert!((out[0] - 1.0).abs() < 0.01 && (out[500] - 0.25).abs() < 1e-6);
    }

    #[test]
    fn trim_plays_the_lane_times_the_live_offset() {
        let points = [p(0, -6.0)];
        let lane = LaneView {
            points: &points,
            interp: Interp::Linear,
            conv: LaneConv::Amp,
        };
        let mut a = AutoParam::new(0.5, 1);
        a.set_play(AutoPlay::LaneTimesLive);
        let out = run(&mut a, &lane, 0, &[2048]);
        let want = (gain_db_to_amp(-6.0) * 0.5) as f32;
        assert!((out[2047] - want).abs() < 1e-6, "{}", out[2047]);
    }
}
