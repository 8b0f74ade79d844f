//! Automation of channel-strip settings on the real hub and engine: an EQ
//! band's gain lane is heard as the level of a tone at the band's
//! frequency, a compressor threshold lane as the compressed level; a touch
//! pass on a setting writes its lane, which the session file keeps. (That
//! a bounce plays these lanes exactly as live playback does is in
//! automation_render.rs.)

use crate::common;

use faderd::config::{parse_session, session_to_yaml};
use faderd::engine::Engine;
use faderd::mixer::{Address, ClientId, Hub, Origin, TransportCmd, Value};
use faderd::model::{LaneParam, ProcTarget};
use std::path::Path;

const RATE: u32 = 48_000;
const BLOCK: usize = 64;
const ME: Origin = Origin::Client(ClientId(9));

struct Rig {
    hub: Hub,
    engine: Engine,
}

impl Rig {
    fn new(yaml: &str) -> Rig {
        let (hub, engine) = common::hub_and_engine(yaml, "strip.yaml", RATE, BLOCK);
        let mut r = Rig { hub, engine };
        r.hub.service();
        r
    }

    /// Process `ms`; the hub ticks every 20 ms as in the daemon. Returns
    /// the RMS in dB of the left output over the last 20 ms.
    fn run_ms(&mut self, ms: u64) -> f64 {
        let blocks = ms * u64::from(RATE) / 1000 / BLOCK as u64;
        let tail = (u64::from(RATE) / 50 / BLOCK as u64).min(blocks);
        let (mut sum, mut n) = (0.0f64, 0usize);
        for b in 0..blocks {
            if b % 15 == 0 {
                self.hub.service();
            }
            self.engine.process(BLOCK);
            if b >= blocks - tail {
                for x in &self.engine.output(0)[..BLOCK] {
                    sum += f64::from(*x).powi(2);
                    n += 1;
                }
            }
        }
        self.hub.service();
        10.0 * (sum / n.max(1) as f64).log10()
    }

    fn transport(&mut self, cmd: TransportCmd) {
        self.hub.transport(cmd);
        self.engine.process(BLOCK);
        self.hub.service();
    }
}

/// A 1 kHz tone through a peak band at 1 kHz whose gain rides a lane from
/// -12 to +12 dB over two seconds.
const EQ_LANE: &str = r#"
version: 1
name: eq-lane
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -20 } }
    automation: read
    eq: { bands: [{}, { type: peak, freq: 1000, gain: 0, q: 2 }] }
    lanes:
      eq/2/gain: { points: [[0, -12], [2, 12]] }
"#;

#[test]
fn an_eq_gain_lane_is_heard_at_the_bands_frequency() {
    let mut r = Rig::new(EQ_LANE);
    let still = r.run_ms(200);
    r.transport(TransportCmd::Play);
    // Read mode plays the lane while stopped too: at 0 s it is -12 dB.
    // (-20 dBFS sine, pan centre -3 dB: -26 dB RMS at 0 dB of EQ.)
    assert!((still - (-26.0 - 12.0)).abs() < 0.3, "stopped: {still:.2}");
    let mut t_ms = 0;
    for (at_ms, want_db) in [(500, -6.0), (1000, 0.0), (1500, 6.0), (1990, 12.0)] {
        let heard = r.run_ms(at_ms - t_ms) + 26.0;
        t_ms = at_ms;
        // The lane moves 0.24 dB over the 20 ms measured; the RMS sits
        // in the middle of that.
        let expected = want_db - 0.12;
        println!("{at_ms} ms: band gain heard {heard:+.2} dB, lane {want_db:+.1}");
        assert!(
            (heard - expected).abs() < 0.3,
            "at {at_ms} ms: {heard:.2} dB"
        );
    }
    // The hub shows what plays: a surface sees the band's gain move.
    let shown = r.hub.get(Address::parse("strip/1/eq/2/gain").unwrap());
    match shown {
        Ok(Value::Float(g)) => assert!(g > 11.0, "shown {g}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_compressor_threshold_lane_changes_how_hard_it_squeezes() {
    let yaml = r#"
version: 1
name: comp-lane
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 500, level_db: -6 } }
    automation: read
    comp: { threshold: 0, ratio: 10, knee: 0, attack: 30, release: 30, detect: rms }
    lanes:
      comp/threshold: { points: [[0, 0], [1, 0], [1, -30]] }
"#;
    let mut r = Rig::new(yaml);
    r.transport(TransportCmd::Play);
    let open = r.run_ms(900);
    let squeezed = r.run_ms(400);
    println!("threshold 0 dB: {open:.2} dB RMS; -30 dB: {squeezed:.2} dB RMS");
    // The sine's RMS is 3 dB under its peak: with the threshold at -30 the
    // RMS detector sees -9 dB, 21 dB over, and takes 19 dB off at 10:1.
    assert!((open - (-12.0)).abs() < 0.3, "{open}");
    assert!((open - squeezed - 18.9).abs() < 0.6, "{squeezed}");
}

#[test]
fn a_touch_pass_on_an_eq_frequency_writes_its_lane_and_the_session_keeps_it() {
    let yaml = r#"
version: 1
name: write-eq
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -20 } }
    automation: touch
    eq: { bands: [{}, { type: peak, freq: 500, gain: 6, q: 1 }] }
"#;
    let mut r = Rig::new(yaml);
    let freq = Address::parse("strip/1/eq/2/freq").unwrap();
    r.transport(TransportCmd::Play);
    r.run_ms(200);
    r.hub.touch(ME, freq, true).unwrap();
    for hz in [600.0, 800.0, 1200.0, 2000.0] {
        r.hub.apply(ME, freq, Value::Float(hz)).unwrap();
        r.run_ms(100);
    }
    r.hub.touch(ME, freq, false).unwrap();
    r.run_ms(600);
    r.transport(TransportCmd::Stop);
    let lane = r
        .hub
        .lane(
            faderd::mixer::StripRef::Track(0),
            LaneParam::Proc(ProcTarget::BandFreq(1)),
        )
        .expect("the pass wrote a lane")
        .points
        .clone();
    let values: Vec<f64> = lane.iter().map(|p| p.value).collect();
    println!("written: {values:?}");
    for hz in [600.0, 800.0, 1200.0, 2000.0] {
        assert!(values.contains(&hz), "{hz} in {values:?}");
    }
    // The pass starts from the value the hand took over from.
    assert_eq!(values.first(), Some(&500.0));
    let text = session_to_yaml(r.hub.session());
    assert!(text.contains("eq/2/freq"), "{text}");
    let again = parse_session(&text, Path::new("again.yaml")).unwrap();
    assert_eq!(
        again.tracks[0].controls.lanes,
        r.hub.session().tracks[0].controls.lanes
    );
}

#[test]
fn switch_lanes_step_a_band_in_and_a_limiter_ceiling_lane_moves_the_ceiling() {
    // Band 2 (+12 dB at the tone's frequency) switched in at 0.5 s; the
    // master limiter's ceiling lowered from 0 to -20 dBTP at 1 s.
    let yaml = r#"
version: 1
name: switches
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -20 } }
    automation: read
    eq: { bands: [{}, { type: peak, freq: 1000, gain: 12, q: 2, on: false }] }
    lanes:
      eq/2/on: { points: [[0, 0], [0.5, 1]] }
master:
  automation: read
  limiter: { ceiling: 0, release: 50 }
  lanes:
    limiter/ceiling: { points: [[0, 0], [1, 0], [1, -20]] }
"#;
    let mut r = Rig::new(yaml);
    r.transport(TransportCmd::Play);
    let out = r.run_ms(480);
    let band_in = r.run_ms(400);
    println!("band out {out:.2} dB, in {band_in:.2} dB");
    assert!((out - (-26.0)).abs() < 0.3, "{out}");
    assert!((band_in - (-14.0)).abs() < 0.3, "{band_in}");
    // -14 dB RMS is -11 dB peak: under a 0 dBTP ceiling nothing changes,
    // under -20 dBTP the peaks are held at -20.2 (the limiter's margin).
    let limited = r.run_ms(600);
    println!("limited {limited:.2} dB");
    assert!((limited - (-23.2)).abs() < 0.5, "{limited}");
}

#[test]
fn an_effect_lane_plays_and_a_pass_on_an_effect_setting_writes_one() {
    let yaml = r#"
version: 1
name: fx-lanes
buses:
  - name: Echo
    kind: aux
    delay: { time: 100 }
    automation: touch
  - name: Room
    kind: aux
    reverb: { decay: 1 }
    automation: read
    lanes:
      reverb/decay: { points: [[0, 1], [1, 5]] }
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 300, level_db: -20, pulse: { bpm: 120, decay_ms: 50 } } }
    sends: [{ bus: Echo, gain_db: -6 }, { bus: Room, gain_db: -6 }]
"#;
    let mut r = Rig::new(yaml);
    let decay = Address::parse("bus/2/reverb/decay").unwrap();
    let time = Address::parse("bus/1/delay/time").unwrap();
    r.transport(TransportCmd::Play);
    r.run_ms(500);
    // The hub shows what the lane plays (3 s at 0.5 s).
    match r.hub.get(decay) {
        Ok(Value::Float(s)) => assert!((s - 3.0).abs() < 0.1, "decay shown {s}"),
        other => panic!("{other:?}"),
    }
    // A tablet rides the delay time in touch mode.
    r.hub.touch(ME, time, true).unwrap();
    for ms in [150.0, 250.0, 400.0] {
        r.hub.apply(ME, time, Value::Float(ms)).unwrap();
        r.run_ms(100);
    }
    r.hub.touch(ME, time, false).unwrap();
    r.run_ms(400);
    r.transport(TransportCmd::Stop);
    let lane = r
        .hub
        .lane(
            faderd::mixer::StripRef::Bus(0),
            LaneParam::Proc(ProcTarget::DelayTime),
        )
        .expect("the pass wrote a delay-time lane");
    let values: Vec<f64> = lane.points.iter().map(|p| p.value).collect();
    for ms in [100.0, 150.0, 250.0, 400.0] {
        assert!(values.contains(&ms), "{ms} in {values:?}");
    }
    assert!(session_to_yaml(r.hub.session()).contains("delay/time"));
}
