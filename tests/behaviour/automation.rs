//! Automation passes on the real hub and engine, driven block by block:
//! the lanes each mode writes (what a saved session holds), and the level
//! the engine plays (what a listener hears). The same scenarios run
//! through real surfaces in automation_surfaces.rs.

use crate::common;

use faderd::config::parse_session;
use faderd::dsp::{db_to_pos, pos_to_db};
use faderd::engine::Engine;
use faderd::mixer::{
    Address, ClientId, Hub, HubClock, ManualClock, Origin, Param, StripRef, TransportCmd, Value,
};
use faderd::model::{AutomationMode, LaneParam};
use std::path::Path;

const RATE: u32 = 48_000;
const BLOCK: usize = 64;
const ME: Origin = Origin::Client(ClientId(42));

/// A mono track playing a 2 Hz square at -6 dBFS: its output's largest
/// sample over a block is the gain the engine applies (pan centre, -3 dB).
fn session(mode: &str, lane: &str) -> String {
    format!(
        r#"
version: 1
name: auto
tracks:
  - name: Sq
    source: {{ tone: {{ wave: square, freq_hz: 2, level_db: -6 }} }}
    gain_db: -10
    automation: {mode}
    lanes:
      gain: {{ points: {lane} }}
"#
    )
}

struct Rig {
    hub: Hub,
    engine: Engine,
}

impl Rig {
    fn new(yaml: &str) -> Rig {
        let (hub, engine) = common::hub_and_engine(yaml, "a.yaml", RATE, BLOCK);
        let mut r = Rig { hub, engine };
        r.run_ms(20);
        r
    }

    /// Process `ms` of audio; the hub ticks every 20 ms as in the daemon.
    fn run_ms(&mut self, ms: u64) {
        let blocks = ms * u64::from(RATE) / 1000 / BLOCK as u64;
        for b in 0..blocks {
            if b % 15 == 0 {
                self.hub.service();
            }
            self.engine.process(BLOCK);
        }
        self.hub.service();
    }

    fn transport(&mut self, cmd: TransportCmd) {
        self.hub.transport(cmd);
        self.engine.process(BLOCK);
        self.hub.service();
    }

    /// The track's gain as the engine plays it now, in dB.
    fn heard_db(&mut self) -> f64 {
        // Largest sample over 30 ms (spans a half period of the square).
        let mut peak = 0.0f32;
        for _ in 0..(RATE as usize * 30 / 1000 / BLOCK) {
            self.engine.process(BLOCK);
            peak = self.engine.output(0)[..BLOCK]
                .iter()
                .fold(peak, |m, x| m.max(x.abs()));
        }
        // -6 dB source, -3 dB pan centre.
        20.0 * f64::from(peak).log10() + 6.0 + 3.0103
    }

    /// The engine plays the track at `db` (within 0.1 dB) `when`.
    fn assert_heard(&mut self, db: f64, when: &str) {
        let heard = self.heard_db();
        assert!((heard - db).abs() < 0.1, "heard {heard:.2} dB {when}");
    }

    fn fader(&mut self, db: f64) {
        let v = self
            .hub
            .apply(ME, fader(), Value::Float(db_to_pos(db)))
            .unwrap();
        let _ = v;
    }

    /// The lane as (seconds, value).
    fn lane(&self) -> Vec<(f64, f64)> {
        self.hub
            .lane(StripRef::Track(0), LaneParam::Gain)
            .map(|l| {
                l.points
                    .iter()
                    .map(|p| (p.frame as f64 / f64::from(RATE), p.value))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The lane's value at `t` seconds.
    fn lane_at(&self, t: f64) -> f64 {
        let l = self.hub.lane(StripRef::Track(0), LaneParam::Gain).unwrap();
        faderd::dsp::automation::value_at(
            &l.points,
            faderd::dsp::automation::Interp::Linear,
            (t * f64::from(RATE)) as u64,
        )
        .unwrap()
    }

    fn now_s(&self) -> f64 {
        self.hub.transport_state().position_frames as f64 / f64::from(RATE)
    }
}

fn fader() -> Address {
    Address::new(StripRef::Track(0), Param::Fader)
}

/// Ride the fader from `from` to `to` dB over `ms`, a move every 20 ms.
fn ride(r: &mut Rig, from: f64, to: f64, ms: u64) {
    let steps = ms / 20;
    for k in 1..=steps {
        r.fader(from + (to - from) * k as f64 / steps as f64);
        r.run_ms(20);
    }
}

const FLAT: &str = "[[0, -10], [10, -10]]";

#[test]
fn a_touch_pass_writes_exactly_the_touched_span_and_glides_back() {
    let mut r = Rig::new(&session("touch", FLAT));
    r.transport(TransportCmd::Play);
    r.run_ms(1000);
    let t_on = r.now_s();
    r.hub.touch(ME, fader(), true).unwrap();
    ride(&mut r, -10.0, -4.0, 400);
    r.run_ms(200);
    let heard = r.heard_db();
    assert!(
        (heard + 4.0).abs() < 0.1,
        "heard {heard:.2} dB while riding"
    );
    let t_off = r.now_s();
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(600);
    // Back on the lane: heard at -10 dB again.
    let heard = r.heard_db();
    assert!(
        (heard + 10.0).abs() < 0.1,
        "heard {heard:.2} dB after the glide"
    );
    r.transport(TransportCmd::Stop);

    let lane = r.lane();
    // Untouched before the touch and after the glide.
    assert_eq!(lane.first(), Some(&(0.0, -10.0)));
    assert_eq!(lane.last(), Some(&(10.0, -10.0)));
    let written: Vec<&(f64, f64)> = lane.iter().filter(|(t, _)| *t > 0.0 && *t < 10.0).collect();
    let (first, last) = (written[0], written[written.len() - 1]);
    assert!(
        (first.0 - t_on).abs() < 0.005,
        "span starts at {first:?}, touch at {t_on}"
    );
    assert!((first.1 + 10.0).abs() < 1e-9, "{first:?}");
    // The glide: 250 ms from the release value back to the lane.
    assert!(
        (last.0 - (t_off + 0.25)).abs() < 0.005,
        "glide ends at {last:?}, release at {t_off}"
    );
    assert!((last.1 + 10.0).abs() < 1e-9);
    assert!((r.lane_at(t_off) + 4.0).abs() < 0.06, "{lane:?}");
    assert!(
        (r.lane_at(t_off + 0.125) + 7.0).abs() < 0.1,
        "mid-glide {}",
        r.lane_at(t_off + 0.125)
    );
    assert!(
        (r.lane_at(t_on + 0.2) + 7.0).abs() < 0.5,
        "mid-ride {}",
        r.lane_at(t_on + 0.2)
    );
}

/// A surface without touch sense holds a touch-mode lane by moving it;
/// when its hold times out, with nothing else happening, the lane plays
/// again (here with the transport stopped, so no pass writes and ends).
#[test]
fn a_lane_moved_without_touch_sense_plays_again_when_the_hold_times_out() {
    let mut r = Rig::new(&session("touch", "[[0, -30], [10, -30]]"));
    let clock = ManualClock::new();
    r.hub.set_clock(HubClock::Manual(clock.clone()));
    r.hub
        .set_touch_timeout(std::time::Duration::from_millis(300));
    r.run_ms(500);
    r.assert_heard(-30.0, "on the lane");
    r.fader(-12.0);
    r.run_ms(100);
    r.assert_heard(-12.0, "under the move");
    // Time passes for the hub; no surface says a word.
    clock.advance(std::time::Duration::from_millis(200));
    r.run_ms(100);
    r.assert_heard(-12.0, "within the hold");
    clock.advance(std::time::Duration::from_millis(200));
    r.run_ms(600);
    r.assert_heard(-30.0, "after the hold timed out");
}

/// The lane plays -30 dB; the strip's gain was -10 dB before it played.
#[test]
fn touching_a_playing_lane_without_moving_keeps_the_level_it_played() {
    let mut r = Rig::new(&session("touch", "[[0, -30], [10, -30]]"));
    r.transport(TransportCmd::Play);
    r.run_ms(1000);
    r.assert_heard(-30.0, "on the lane");
    // A hand on the fader, no move: the live value takes over where the
    // lane was, not where the fader was before playback.
    r.hub.touch(ME, fader(), true).unwrap();
    r.run_ms(100);
    r.assert_heard(-30.0, "under a still hand");
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(600);
    r.assert_heard(-30.0, "after release");
    // And the mode switched off while it plays: the level it played stays.
    r.hub
        .apply(
            ME,
            Address::new(StripRef::Track(0), Param::Automation),
            Value::Text("off".into()),
        )
        .unwrap();
    r.run_ms(100);
    r.assert_heard(-30.0, "with automation off");
}

#[test]
fn a_latch_pass_holds_the_last_value_until_stop() {
    let mut r = Rig::new(&session("latch", FLAT));
    r.transport(TransportCmd::Play);
    r.run_ms(500);
    r.hub.touch(ME, fader(), true).unwrap();
    ride(&mut r, -10.0, -3.0, 200);
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(1000);
    let heard = r.heard_db();
    assert!((heard + 3.0).abs() < 0.1, "latched: heard {heard:.2} dB");
    let t_stop = r.now_s();
    r.transport(TransportCmd::Stop);
    assert!((r.lane_at(t_stop - 0.5) + 3.0).abs() < 1e-6);
    assert!((r.lane_at(t_stop - 0.01) + 3.0).abs() < 1e-6);
    // After the stop the old lane resumes at once.
    assert!(
        (r.lane_at(t_stop + 0.01) + 10.0).abs() < 1e-6,
        "{:?}",
        r.lane()
    );
}

#[test]
fn a_write_pass_replaces_the_lane_from_start_to_stop_then_the_lane_is_in_touch() {
    let mut r = Rig::new(&session("write", "[[0, -20], [1, -20], [2, -5], [10, -5]]"));
    r.hub.transport(TransportCmd::Locate(RATE as u64 / 2));
    r.transport(TransportCmd::Play);
    r.run_ms(500);
    ride(&mut r, -10.0, -6.0, 200);
    r.run_ms(800);
    let t_stop = r.now_s();
    r.transport(TransportCmd::Stop);
    // From the start (0.5 s) the live value, -10 dB, until the ride; then
    // -6 dB until the stop; the old lane before and after.
    assert!((r.lane_at(0.25) + 20.0).abs() < 1e-6);
    assert!((r.lane_at(0.55) + 10.0).abs() < 1e-6, "{:?}", r.lane());
    assert!((r.lane_at(0.95) + 10.0).abs() < 0.1, "{:?}", r.lane());
    assert!((r.lane_at(1.6) + 6.0).abs() < 1e-6);
    assert!((r.lane_at(t_stop - 0.01) + 6.0).abs() < 1e-6);
    assert!((r.lane_at(5.0) + 5.0).abs() < 1e-6);
    assert_eq!(
        r.hub
            .get(Address::new(StripRef::Track(0), Param::Automation)),
        Ok(Value::Text("touch".into()))
    );
    assert_eq!(
        r.hub.session().tracks[0].controls.automation,
        AutomationMode::Touch
    );
}

#[test]
fn a_trim_pass_shifts_the_lane_by_the_moved_amount() {
    let mut r = Rig::new(&session("trim", "[[0, -10], [2, -20], [10, -20]]"));
    // In trim mode the fader is the offset: it starts at 0 dB.
    assert_eq!(r.hub.get(fader()), Ok(Value::Float(db_to_pos(0.0))));
    r.transport(TransportCmd::Play);
    r.run_ms(400);
    r.hub.touch(ME, fader(), true).unwrap();
    ride(&mut r, 0.0, 3.0, 100);
    r.run_ms(900);
    // Heard: the lane plus 3 dB.
    let t = r.now_s();
    let heard = r.heard_db();
    let want = -10.0 - 10.0 * (t + 0.015) / 2.0 + 3.0;
    assert!(
        (heard - want).abs() < 0.15,
        "heard {heard:.2}, want {want:.2}"
    );
    let t_off = r.now_s();
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(600);
    r.transport(TransportCmd::Stop);
    // The offset is in the lane; it glides back to 0 dB over 250 ms.
    assert!(
        (r.lane_at(1.0) - (-15.0 + 3.0)).abs() < 0.06,
        "{:?}",
        r.lane()
    );
    assert!((r.lane_at(t_off + 0.3) - (-10.0 - 5.0 * (t_off + 0.3))).abs() < 0.06);
    assert!((r.lane_at(0.2) + 11.0).abs() < 1e-6);
    assert!((r.lane_at(5.0) + 20.0).abs() < 1e-6);
    // And the fader (the offset) is back at 0 dB.
    let Ok(Value::Float(p)) = r.hub.get(fader()) else {
        panic!()
    };
    assert!((pos_to_db(p)).abs() < 1e-9, "{p}");
}

#[test]
fn read_mode_ignores_surface_moves_and_drives_the_control() {
    let mut r = Rig::new(&session("read", "[[0, -20], [2, 0]]"));
    r.transport(TransportCmd::Play);
    r.run_ms(1000);
    r.hub.take_feedback();
    let applied = r.hub.apply(ME, fader(), Value::Float(0.1)).unwrap();
    let Value::Float(p) = applied else { panic!() };
    assert!(
        (pos_to_db(p) + 10.0).abs() < 0.3,
        "the surface is told the lane: {p}"
    );
    r.run_ms(200);
    let want = -20.0 + 10.0 * (r.now_s() + 0.03);
    let heard = r.heard_db();
    assert!(
        (heard - want).abs() < 0.1,
        "heard {heard:.2}, the lane says {want:.2}"
    );
    // The control follows playback, with feedback every tick.
    r.hub.take_feedback();
    r.run_ms(100);
    let fb = r.hub.take_feedback();
    let gains: Vec<f64> = fb
        .iter()
        .filter(|f| f.address == Address::new(StripRef::Track(0), Param::Gain))
        .filter_map(|f| match f.value {
            Value::Float(v) => Some(v),
            _ => None,
        })
        .collect();
    assert!(gains.len() >= 4, "{fb:?}");
    assert!(gains.windows(2).all(|w| w[1] > w[0]), "{gains:?}");
}

#[test]
fn undo_restores_the_lane_before_the_pass() {
    let mut r = Rig::new(&session("touch", FLAT));
    let before = r.lane();
    r.transport(TransportCmd::Play);
    r.run_ms(300);
    r.hub.touch(ME, fader(), true).unwrap();
    ride(&mut r, -10.0, 0.0, 200);
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(400);
    r.hub.touch(ME, fader(), true).unwrap();
    ride(&mut r, -10.0, -30.0, 200);
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(400);
    r.transport(TransportCmd::Stop);
    assert_ne!(r.lane(), before);
    assert_eq!(
        r.hub.undo_depth(),
        1,
        "two touches in one roll are one pass"
    );
    assert_eq!(r.hub.undo_automation(), Ok(1));
    assert_eq!(r.lane(), before);
    assert_eq!(r.hub.undo_automation(), Ok(0));
}

/// A long night of passes keeps only the last few for undo: memory does
/// not grow with every pass.
#[test]
fn undo_keeps_only_the_configured_number_of_passes() {
    let mut r = Rig::new(&session("touch", FLAT));
    r.hub.set_undo_passes(3);
    let mut lanes = Vec::new();
    for pass in 0..6 {
        lanes.push(r.lane());
        r.transport(TransportCmd::Locate(0));
        r.transport(TransportCmd::Play);
        r.run_ms(100);
        r.hub.touch(ME, fader(), true).unwrap();
        ride(&mut r, -10.0, -20.0 - f64::from(pass), 100);
        r.hub.touch(ME, fader(), false).unwrap();
        r.run_ms(300);
        r.transport(TransportCmd::Stop);
        assert!(r.hub.undo_depth() <= 3, "{}", r.hub.undo_depth());
    }
    assert_eq!(r.hub.undo_depth(), 3);
    // The three undos go back through the last three passes, in order.
    for want in lanes[3..].iter().rev() {
        assert_eq!(r.hub.undo_automation(), Ok(1));
        assert_eq!(&r.lane(), want);
    }
    assert_eq!(r.hub.undo_automation(), Ok(0));
}

/// A flood of transport stops (a stuck or garbage-sending surface) ends a
/// pass each time, and each sends the engine a new copy of every lane: the
/// copies waiting never pile up, even while the engine does not run.
#[test]
fn a_flood_of_transport_stops_keeps_lane_copies_bounded() {
    let mut r = Rig::new(&session("touch", FLAT));
    for _ in 0..5_000 {
        r.hub.transport(TransportCmd::Play);
        r.hub.touch(ME, fader(), true).unwrap();
        r.hub.apply(ME, fader(), Value::Float(0.5)).unwrap();
        r.hub.service();
        r.hub.touch(ME, fader(), false).unwrap();
        r.hub.transport(TransportCmd::Stop);
        r.hub.service();
        assert!(
            r.hub.lane_sets_pending() <= faderd::mixer::LANE_SETS_IN_FLIGHT + 1,
            "{} lane sets pending",
            r.hub.lane_sets_pending()
        );
    }
    // Once the engine runs, everything is delivered and comes back.
    r.run_ms(200);
    assert_eq!(r.hub.lane_sets_pending(), 0);
}

#[test]
fn a_lane_plays_the_same_whatever_the_block_size() {
    let yaml = session("read", "[[0, -40], [0.3, 0], [0.3, -20], [0.6, -6]]");
    let render = |block: usize| -> Vec<f32> {
        let s = parse_session(&yaml, Path::new("a.yaml")).unwrap();
        let mut run = faderd::render::OfflineRun::new(s, Default::default(), block).unwrap();
        let mut out = Vec::new();
        run.run(
            (RATE as u64 * 7) / 10,
            &mut [].iter().peekable(),
            |e: &Engine, n| {
                out.extend_from_slice(&e.output(0)[..n]);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        out
    };
    let reference = render(1);
    for block in [32, 64, 333, 1024] {
        let out = render(block);
        let diff = reference.iter().zip(&out).position(|(a, b)| a != b);
        assert_eq!(diff, None, "block {block} differs at sample {diff:?}");
    }
    // And it is the lane: -40 dB at the start, 0 dB at 0.3 s.
    let peak = |from: f64, to: f64| {
        let (a, b) = ((from * 48_000.0) as usize, (to * 48_000.0) as usize);
        20.0 * f64::from(reference[a..b].iter().fold(0.0f32, |m, x| m.max(x.abs()))).log10()
            + 9.0103
    };
    assert!(
        (peak(0.0, 0.001) + 40.0).abs() < 0.2,
        "{}",
        peak(0.0, 0.001)
    );
    assert!(
        (peak(0.29, 0.2999) - 0.0).abs() < 0.3,
        "{}",
        peak(0.29, 0.2999)
    );
}

#[test]
fn a_sixty_second_ride_thins_within_its_bound() {
    // A hand riding a vocal for a minute: slow phrases plus small
    // corrections, a move every 20 ms (what a surface sends), written in
    // one touch pass.
    let mut r = Rig::new(&session("touch", "[[0, -10], [120, -10]]"));
    r.transport(TransportCmd::Play);
    r.run_ms(100);
    r.hub.touch(ME, fader(), true).unwrap();
    let mut ride: Vec<(u64, f64)> = Vec::new();
    for k in 0..3000 {
        let t = f64::from(k) * 0.02;
        let db =
            -10.0 + 4.0 * (t * 0.3).sin() + 1.5 * (t * 1.7 + 1.0).sin() + 0.4 * (t * 5.3).sin();
        // What the surface can send: a 14-bit fader position.
        let pos = (db_to_pos(db) * 16383.0).round() / 16383.0;
        r.hub.apply(ME, fader(), Value::Float(pos)).unwrap();
        ride.push((r.hub.transport_state().position_frames, pos_to_db(pos)));
        r.run_ms(20);
    }
    r.hub.touch(ME, fader(), false).unwrap();
    r.run_ms(400);
    r.transport(TransportCmd::Stop);
    let lane = r.hub.lane(StripRef::Track(0), LaneParam::Gain).unwrap();
    let points: Vec<faderd::model::LanePoint> = lane.points.clone();
    // The deviation from the ride at every written frame (and between:
    // both are straight lines between their points).
    let ride_points: Vec<faderd::model::LanePoint> = ride
        .iter()
        .map(|&(frame, value)| faderd::model::LanePoint { frame, value })
        .collect();
    let worst = ride_points
        .iter()
        .map(|p| {
            let v = faderd::dsp::automation::value_at(
                &points,
                faderd::dsp::automation::Interp::Linear,
                p.frame,
            )
            .unwrap();
            (v - p.value).abs()
        })
        .fold(0.0f64, f64::max);
    let bound = faderd::mixer::automation::thin_tolerance(LaneParam::Gain);
    eprintln!(
        "60 s ride: {} moves written as {} lane points ({:.1} %), worst deviation {:.3} dB (bound {bound} dB)",
        ride.len(),
        points.len(),
        100.0 * points.len() as f64 / ride.len() as f64,
        worst
    );
    assert!(worst <= bound + 1e-9, "{worst}");
    assert!(points.len() * 4 < ride.len(), "{} points", points.len());
}

#[test]
fn undo_after_a_track_before_it_was_removed_restores_the_lane_where_its_track_went() {
    let yaml = session("touch", FLAT).replace("tracks:\n", "tracks:\n  - { name: Gone }\n");
    let mut r = Rig::new(&yaml);
    let lane = |r: &Rig, track: usize| {
        r.hub
            .lane(StripRef::Track(track), LaneParam::Gain)
            .map(|l| l.points.clone())
    };
    // Sq is the second track; a touch pass rides it up.
    let sq = Address::new(StripRef::Track(1), Param::Fader);
    let before = lane(&r, 1);
    r.transport(TransportCmd::Play);
    r.run_ms(300);
    r.hub.touch(ME, sq, true).unwrap();
    for k in 1..=10 {
        r.hub
            .apply(ME, sq, Value::Float(db_to_pos(-10.0 + f64::from(k))))
            .unwrap();
        r.run_ms(20);
    }
    r.hub.touch(ME, sq, false).unwrap();
    r.run_ms(400);
    // A track cannot be removed while the pass writes.
    r.hub.touch(ME, sq, true).unwrap();
    r.hub.apply(ME, sq, Value::Float(db_to_pos(-5.0))).unwrap();
    assert!(matches!(
        r.hub.remove_track(ME, 0),
        Err(faderd::mixer::IntentError::Busy(_))
    ));
    r.hub.touch(ME, sq, false).unwrap();
    r.run_ms(400);
    r.transport(TransportCmd::Stop);
    assert_ne!(lane(&r, 1), before);
    // The track before it goes: Sq is the first track, its lane with it.
    r.hub.remove_track(ME, 0).unwrap();
    r.run_ms(40);
    assert_eq!(r.hub.undo_depth(), 1);
    assert_eq!(r.hub.undo_automation(), Ok(1));
    assert_eq!(lane(&r, 0), before, "undo put the lane back where Sq is");
    assert_eq!(lane(&r, 1), None, "and on no strip that is not there");
    // And the engine plays the lane as it was: flat at -10 dB.
    r.run_ms(40);
    r.assert_heard(-10.0, "after the undo");
}

#[test]
fn a_lane_with_a_mode_of_its_own_plays_while_its_strip_is_off() {
    let lane = "[[0, -20], [10, -20]]";
    let mut r = Rig::new(&session("off", lane).replace("gain_db: -10", "gain_db: 0"));
    r.assert_heard(0.0, "with the strip off: the live value");
    r.hub
        .set_lane_mode(
            StripRef::Track(0),
            LaneParam::Gain,
            Some(AutomationMode::Read),
        )
        .unwrap();
    r.run_ms(40);
    r.assert_heard(-20.0, "the lane in read mode of its own");
    // A surface's move is answered with the lane's value, and the engine
    // plays on at the lane's level.
    let told = r.hub.apply(ME, fader(), Value::Float(0.1)).unwrap();
    assert_eq!(
        told,
        Value::Float(db_to_pos(-20.0)),
        "the surface is told the lane"
    );
    r.run_ms(40);
    r.assert_heard(-20.0, "after a surface's move");
    // Saved with the session, and back to the strip's mode.
    let saved = faderd::config::session_to_yaml(r.hub.session());
    assert!(saved.contains("mode: read"), "{saved}");
    r.hub
        .set_lane_mode(StripRef::Track(0), LaneParam::Gain, None)
        .unwrap();
    // Following the strip (off) again: the fader stays where playback
    // left it, and a move is the level again.
    r.run_ms(40);
    r.assert_heard(-20.0, "where playback left the fader");
    r.fader(-6.0);
    r.run_ms(40);
    r.assert_heard(-6.0, "following the strip (off) again");
    // A lane for a send the strip does not have is refused.
    assert!(
        r.hub
            .set_lane_mode(
                StripRef::Track(0),
                LaneParam::SendGain(3),
                Some(AutomationMode::Read)
            )
            .is_err()
    );
}

/// An edit of the gain lane of strip 1, as a timeline sends it: the span
/// and its new points (seconds, dB shown as fader positions).
fn edit(from_s: f64, to_s: f64, points: &[(f64, f64)]) -> faderd::mixer::automation::LaneEdit {
    faderd::mixer::automation::LaneEdit {
        from_s,
        to_s,
        points: points.iter().map(|&(t, db)| [t, db_to_pos(db)]).collect(),
    }
}

/// The lane's points, to a microsecond and a micro-dB.
fn rounded(lane: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    lane.into_iter()
        .map(|(t, v)| ((t * 1e6).round() / 1e6, (v * 1e6).round() / 1e6))
        .collect()
}

#[test]
fn points_added_dragged_and_deleted_by_hand_play_and_each_edit_undoes() {
    let mut r = Rig::new(&session("read", FLAT));
    let gain = (StripRef::Track(0), LaneParam::Gain);
    // A dip to -30 dB from 4 s to 6 s, drawn in.
    let added = r.hub.edit_lane(
        gain.0,
        gain.1,
        &edit(4.0, 6.0, &[(4.0, -30.0), (6.0, -30.0)]),
    );
    assert_eq!(added, Ok(4));
    r.hub
        .transport(TransportCmd::Locate(u64::from(RATE) * 9 / 2));
    r.transport(TransportCmd::Play);
    r.run_ms(100);
    r.assert_heard(-30.0, "in the dip drawn by hand");
    r.transport(TransportCmd::Stop);
    // Its end dragged to 7 s and up to -20 dB.
    r.hub
        .edit_lane(gain.0, gain.1, &edit(6.0, 7.0, &[(7.0, -20.0)]))
        .unwrap();
    // Its start deleted.
    r.hub
        .edit_lane(gain.0, gain.1, &edit(4.0, 4.0, &[]))
        .unwrap();
    assert_eq!(
        rounded(r.lane()),
        vec![(0.0, -10.0), (7.0, -20.0), (10.0, -10.0)]
    );
    r.hub.transport(TransportCmd::Locate(u64::from(RATE) * 7));
    r.transport(TransportCmd::Play);
    r.run_ms(10);
    r.transport(TransportCmd::Stop);
    r.run_ms(40);
    let Ok(Value::Float(shown)) = r.hub.get(fader()) else {
        panic!("no fader value")
    };
    assert!(
        (pos_to_db(shown) + 20.0).abs() < 0.2,
        "the fader shows {:.2} dB at the dragged point",
        pos_to_db(shown)
    );
    // Each edit is one undo step.
    assert_eq!(r.hub.undo_depth(), 3);
    r.hub.undo_automation().unwrap();
    r.hub.undo_automation().unwrap();
    assert_eq!(
        rounded(r.lane()),
        vec![(0.0, -10.0), (4.0, -30.0), (6.0, -30.0), (10.0, -10.0)]
    );
    r.hub.undo_automation().unwrap();
    assert_eq!(rounded(r.lane()), vec![(0.0, -10.0), (10.0, -10.0)]);
}

#[test]
fn a_point_an_hour_in_is_found_from_its_time_as_f32_seconds() {
    let t = 3_600.0 + 17_293.0 / f64::from(RATE);
    let mut r = Rig::new(&session("read", &format!("[[0, -10], [{t}, -20]]")));
    let sent = f64::from(t as f32);
    assert_ne!(sent, t, "the test needs a time f32 rounds");
    r.hub
        .edit_lane(StripRef::Track(0), LaneParam::Gain, &edit(sent, sent, &[]))
        .unwrap();
    assert_eq!(rounded(r.lane()), vec![(0.0, -10.0)]);
}

#[test]
fn a_lane_edit_that_makes_no_sense_is_refused_and_changes_nothing() {
    use faderd::mixer::IntentError;
    let mut r = Rig::new(&session("touch", FLAT));
    let before = r.lane();
    let track = StripRef::Track(0);
    for bad in [
        edit(5.0, 4.0, &[]),
        edit(-1.0, 4.0, &[]),
        edit(f64::NAN, 4.0, &[]),
        edit(4.0, 5.0, &[(3.0, -10.0)]),
        edit(4.0, 5.0, &[(4.8, -10.0), (4.2, -10.0)]),
        faderd::mixer::automation::LaneEdit {
            from_s: 4.0,
            to_s: 5.0,
            points: vec![[4.5, 1.5]],
        },
    ] {
        assert!(
            matches!(
                r.hub.edit_lane(track, LaneParam::Gain, &bad),
                Err(IntentError::BadEdit(..))
            ),
            "{bad:?}"
        );
    }
    // A send the strip does not have.
    assert!(matches!(
        r.hub
            .edit_lane(track, LaneParam::SendGain(3), &edit(1.0, 2.0, &[])),
        Err(IntentError::NoSuchTarget(_))
    ));
    // Not while a pass writes.
    r.transport(TransportCmd::Play);
    r.hub.touch(ME, fader(), true).unwrap();
    ride(&mut r, -10.0, -5.0, 100);
    assert!(matches!(
        r.hub
            .edit_lane(track, LaneParam::Gain, &edit(8.0, 9.0, &[])),
        Err(IntentError::Busy(_))
    ));
    r.hub.touch(ME, fader(), false).unwrap();
    r.transport(TransportCmd::Stop);
    r.hub.undo_automation().unwrap();
    assert_eq!(r.lane(), before);
    assert_eq!(r.hub.undo_depth(), 0);
}

#[test]
fn the_lanes_menu_lists_what_each_strip_has_and_a_lane_added_holds_the_live_value() {
    let yaml = "version: 1\nname: c\ntracks:\n  - { name: A, pan: 0.25, sends: [{ bus: Fx, gain_db: -10 }] }\nbuses:\n  - { name: Fx, reverb: {} }\n";
    let (mut hub, _engine) = common::hub_and_engine(yaml, "c.yaml", RATE, BLOCK);
    let names = |hub: &Hub, s| -> Vec<String> {
        hub.lane_choices(s)
            .unwrap()
            .iter()
            .map(|p| p.name())
            .collect()
    };
    let track = names(&hub, StripRef::Track(0));
    assert_eq!(
        track[..6],
        ["gain", "trim", "pan", "mute", "send/1/gain", "comp/attack"],
        "{track:?}"
    );
    assert!(track.contains(&"eq/2/freq".into()) && track.contains(&"gate/on".into()));
    assert!(
        !track
            .iter()
            .any(|n| n.starts_with("reverb/") || n.starts_with("limiter/"))
    );
    let fx = names(&hub, StripRef::Bus(0));
    assert!(fx.contains(&"reverb/decay".into()) && !fx.contains(&"send/1/gain".into()));
    assert!(names(&hub, StripRef::Master).contains(&"limiter/ceiling".into()));
    // Added: one point at 0 s where the pan is now; added again: nothing.
    let pan = (StripRef::Track(0), LaneParam::Pan);
    assert_eq!(hub.add_lane(pan.0, pan.1), Ok(true));
    let lane = hub.lane(pan.0, pan.1).unwrap();
    assert_eq!(lane.points.len(), 1);
    assert_eq!((lane.points[0].frame, lane.points[0].value), (0, 0.25));
    assert_eq!(hub.add_lane(pan.0, pan.1), Ok(false));
    assert_eq!(hub.undo_depth(), 1);
    hub.undo_automation().unwrap();
    assert!(hub.lane(pan.0, pan.1).is_none());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever an edit is, the lane after it is in time order with one
    /// point a frame, the points well outside the span are untouched,
    /// and undo gives the lane back.
    #[test]
    fn any_edit_leaves_the_lane_in_order_and_the_rest_of_it_alone(
        old in proptest::collection::vec(0u32..2_000_000, 0..40),
        from_ms in 0u32..40_000,
        len_ms in 0u32..5_000,
        new in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 0..20),
    ) {
        let mut frames: Vec<u32> = old;
        frames.sort_unstable();
        frames.dedup();
        let lane = frames
            .iter()
            .map(|f| format!("[{}, -10]", f64::from(*f) / f64::from(RATE)))
            .collect::<Vec<_>>()
            .join(", ");
        let (mut hub, _engine) =
            common::hub_and_engine(&session("touch", &format!("[{lane}]")), "p.yaml", RATE, BLOCK);
        let key = (StripRef::Track(0), LaneParam::Gain);
        let before = hub.lane(key.0, key.1).cloned();
        let (a, b) = (f64::from(from_ms) / 1e3, f64::from(from_ms + len_ms) / 1e3);
        let mut points: Vec<[f64; 2]> =
            new.iter().map(|(u, v)| [a + u * (b - a), *v]).collect();
        points.sort_by(|x, y| x[0].total_cmp(&y[0]));
        let edit = faderd::mixer::automation::LaneEdit { from_s: a, to_s: b, points };
        hub.edit_lane(key.0, key.1, &edit).unwrap();
        let after: Vec<u64> = hub
            .lane(key.0, key.1)
            .map(|l| l.points.iter().map(|p| p.frame).collect())
            .unwrap_or_default();
        proptest::prop_assert!(after.windows(2).all(|w| w[0] < w[1]), "{after:?}");
        let rate = f64::from(RATE);
        for f in &frames {
            let t = f64::from(*f) / rate;
            if t < a - 0.001 || t > b + 0.001 {
                proptest::prop_assert!(after.contains(&u64::from(*f)), "{t} s went");
            }
        }
        hub.undo_automation().unwrap();
        proptest::prop_assert_eq!(hub.lane(key.0, key.1).cloned(), before);
    }
}

#[test]
fn a_point_put_on_the_edge_of_its_span_replaces_the_one_on_its_frame() {
    // The span ends 0.6 of a frame past frame 48,000: the new point there
    // rounds to frame 48,001, where the lane has a point already.
    let to_s = 48_000.6 / f64::from(RATE);
    let old_s = 48_001.0 / f64::from(RATE);
    let mut r = Rig::new(&session("read", &format!("[[0, -10], [{old_s}, -20]]")));
    r.hub
        .edit_lane(
            StripRef::Track(0),
            LaneParam::Gain,
            &edit(0.5, to_s, &[(to_s, -6.0)]),
        )
        .unwrap();
    let frames: Vec<u64> = r
        .hub
        .lane(StripRef::Track(0), LaneParam::Gain)
        .unwrap()
        .points
        .iter()
        .map(|p| p.frame)
        .collect();
    assert_eq!(frames, vec![0, 48_001]);
    assert!((r.lane()[1].1 + 6.0).abs() < 1e-6, "{:?}", r.lane());
}
