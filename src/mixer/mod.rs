//! The hub: the one authoritative copy of the mixer state.
//!
//! Thread: hub (the control thread). Every surface driver calls exactly this
//! API: it sends typed intents addressed in the native scheme
//! (`strip/3/fader`), the hub validates and clamps them (NaN and infinities
//! never pass), updates the model, forwards engine coefficients over the
//! wait-free queue, and records a [`Feedback`] for every applied change so
//! every surface can show it.
//!
//! May import: `engine` (its messages and graph builder), `model`, `dsp`.

pub mod address;
pub use crate::dsp::loudness::LoudnessReading;
mod apply;
pub mod automation;
pub mod build;
mod clock;
mod contract;
mod effects;
mod insert;
pub mod keys;
mod learn;
pub mod params;
mod push;
mod read;
mod routing;
mod saving;
mod sent;
pub mod solo;
mod structure;
pub use structure::MAX_TRACKS;
mod touch;
mod transport;

pub use address::{
    Address, AddressError, BandParam, CompParam, DelayParam, EqParam, GateParam, InsertParam,
    LimiterParam, Param, ReverbParam, SendParam, StripRef,
};
use apply::{comp_field, gate_field};
pub use build::{ClipStore, NodeMap};
pub use clock::{HubClock, ManualClock};
pub use contract::{
    ClientId, Feedback, HubError, IntentError, MeterFrame, Origin, StripCounts, TransportState,
    Value,
};
pub use params::{Format, Spec, Step, Taper, Unit};
pub use transport::SyncReport;

use crate::dsp::db_to_pos;
use crate::engine::{
    Engine, EngineConfig, EngineLink, GraphError, MeterBank, MeterReading, MixGraph, NodeId,
    RETIRE_QUEUE_CAPACITY, ToEngine,
};
use crate::model::{BusKind, Controls, Output, SendTarget, Session};
use push::StripParts;
use solo::{SoloMutes, solo_mutes};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use crate::engine::{Channels, TransportCmd};

/// How long a control without touch sense counts as touched after its last
/// move (DESIGN.md): OSC clients that never send `/…/touch`, plain MIDI.
pub const DEFAULT_TOUCH_TIMEOUT: Duration = Duration::from_millis(500);
/// Lane sets on their way to the engine at most; more wait in the hub,
/// where a newer one replaces a waiting one.
pub const LANE_SETS_IN_FLIGHT: usize = 2;
/// How long a MIDI learn request waits for a control to move.
pub const LEARN_TIMEOUT: Duration = Duration::from_secs(30);

/// The hub. See the module docs.
#[derive(Debug)]
pub struct Hub {
    session: Session,
    clips: ClipStore,
    link: EngineLink,
    engine_config: EngineConfig,
    map: NodeMap,
    solo: SoloMutes,
    meters: Arc<MeterBank>,
    feedback: Vec<Feedback>,
    /// What waits to reach the engine, and what is on its way there.
    queue: push::EngineQueue,
    /// Whether the session changed since it was saved, and asks to save.
    saving: saving::Saving,
    /// Who holds which control: the one touch model.
    touches: touch::Touches,
    /// Where the time comes from (the wall clock, or a test's).
    clock: HubClock,
    /// Whether it rolls, its loop, whether an outside clock drives it.
    transport: transport::Transport,
    /// The backend's period in frames: which measured insert latency
    /// applies (it can differ from the engine's block size).
    period: u32,
    /// Insert latency measurements: the one running, each strip's last
    /// result.
    measurements: insert::Measurements,
    auto: automation::AutomationState,
    /// MIDI learn: the address the next controller move binds to, and
    /// until when the request stands.
    learn: Option<(Address, Instant)>,
    /// The master output's loudness since the last reset.
    loudness: crate::dsp::loudness::LoudnessMeter,
    /// While set, the engine applies strip changes at this sample-clock
    /// frame ([`Hub::at_frame`]).
    change_frame: Option<u64>,
    /// What the engine was last told, setting by setting.
    sent: sent::Sent,
}

impl Hub {
    /// Build the engine for `session` and the hub that drives it. The engine
    /// goes to an audio backend; the hub stays on the control thread.
    pub fn new(
        session: Session,
        clips: ClipStore,
        engine_config: EngineConfig,
    ) -> Result<(Hub, Engine), HubError> {
        let map = build::node_map(&session);
        let solo = solo_mutes(&session);
        let period = engine_config.max_block as u32;
        let graph = Self::graph_for(&session, &map, &solo, &clips, &engine_config, period)?;
        let meters = Arc::clone(graph.meters());
        let (engine, link) = Engine::new(engine_config, graph);
        let hub = Hub {
            session,
            clips,
            link,
            engine_config,
            map,
            solo,
            meters,
            feedback: Vec::new(),
            queue: push::EngineQueue::default(),
            saving: saving::Saving::default(),
            touches: touch::Touches::default(),
            clock: HubClock::Wall,
            transport: transport::Transport::default(),
            period,
            measurements: insert::Measurements::default(),
            auto: automation::AutomationState::default(),
            learn: None,
            loudness: crate::dsp::loudness::LoudnessMeter::new(),
            change_frame: None,
            sent: sent::Sent::default(),
        };
        let mut hub = hub;
        hub.resend_automation(true);
        hub.push_all_strips();
        Ok((hub, engine))
    }

    fn graph_for(
        session: &Session,
        map: &NodeMap,
        solo: &SoloMutes,
        clips: &ClipStore,
        cfg: &EngineConfig,
        period: u32,
    ) -> Result<MixGraph, GraphError> {
        let specs = build::node_specs(session, map, solo, clips, period);
        let ramp_frames =
            (session.smoothing_ms / 1000.0 * f64::from(cfg.sample_rate)).round() as u32;
        MixGraph::new(&specs, cfg.sample_rate, cfg.max_block, ramp_frames)
    }

    /// A fresh engine for the current mixer state, for a new audio stream
    /// (the JACK server came back, maybe at another rate or period). Call
    /// once the old engine's backend has stopped or died: the hub drops its
    /// queues to the old engine. The transport keeps its place (rescaled to
    /// the new rate) and whether it rolls.
    pub fn relink(&mut self, engine_config: EngineConfig) -> Result<Engine, HubError> {
        let graph = Self::graph_for(
            &self.session,
            &self.map,
            &self.solo,
            &self.clips,
            &engine_config,
            engine_config.max_block as u32,
        )?;
        let old = self.transport_state();
        let position = (u128::from(old.position_frames) * u128::from(engine_config.sample_rate)
            / u128::from(self.engine_config.sample_rate.max(1))) as u64;
        self.meters = Arc::clone(graph.meters());
        let (engine, link) = Engine::new(engine_config, graph);
        self.link = link;
        self.engine_config = engine_config;
        self.period = engine_config.max_block as u32;
        self.abandon_measurement("the audio stream restarted");
        self.queue.backlog.clear();
        self.sent.forget_all();
        self.queue.swaps_in_flight = 0;
        self.queue.lanes_in_flight = 0;
        self.queue.rebuild_pending = false;
        self.transport.sent = 0;
        self.auto.locate = None;
        self.push(ToEngine::Transport(TransportCmd::Locate(position)));
        if old.rolling {
            self.push(ToEngine::Transport(TransportCmd::Play));
        }
        if let Some(r) = self.transport.loop_range {
            self.push(ToEngine::Transport(TransportCmd::Loop(Some(r))));
        }
        self.resend_automation(true);
        self.push_all_strips();
        Ok(engine)
    }

    /// The backend's period changed (a JACK buffer-size change): the
    /// engine keeps running, but inserts now use the latency measured for
    /// `frames`-frame periods, so the graph is rebuilt.
    pub fn set_period(&mut self, frames: u32) {
        if frames != self.period && frames > 0 {
            self.period = frames;
            let has_inserts = self
                .strips()
                .any(|s| self.session.controls(s).is_some_and(|c| c.insert.is_some()));
            if has_inserts {
                self.rebuild();
                for strip in self.strips().collect::<Vec<_>>() {
                    let a = Address::new(strip, Param::Insert(InsertParam::Latency));
                    if let Ok(v) = self.get(a) {
                        self.changed(a, v, Origin::Daemon);
                    }
                }
            }
        }
    }

    /// Run `f` with the strip changes it makes heard at sample-clock
    /// frame `frame` (`None`: at the start of the engine's next block).
    /// A surface whose messages carry the backend's timestamps passes their
    /// arrival plus a constant latency, so a fader ride is heard with the
    /// timing it was played with. Graph, lane and transport changes are not
    /// timed.
    pub fn at_frame<R>(&mut self, frame: Option<u64>, f: impl FnOnce(&mut Hub) -> R) -> R {
        let before = std::mem::replace(&mut self.change_frame, frame);
        let r = f(self);
        self.change_frame = before;
        r
    }

    /// The backend period whose insert latencies apply.
    pub fn period(&self) -> u32 {
        self.period
    }

    /// The stream the current engine was built for.
    pub fn engine_config(&self) -> EngineConfig {
        self.engine_config
    }

    /// The current mixer state.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Where each strip sits in the engine graph (for stems and meters).
    pub fn node_map(&self) -> &NodeMap {
        &self.map
    }

    /// Frames from the timeline to each engine node's output, by node id
    /// (see [`build::output_latencies`]).
    pub fn output_latencies(&self) -> Vec<u32> {
        let specs = build::node_specs(
            &self.session,
            &self.map,
            &self.solo,
            &self.clips,
            self.period,
        );
        build::output_latencies(&specs, self.engine_config.sample_rate)
    }

    /// True when a tick has nothing to do for the hub itself: the
    /// transport stands (and no outside transport can start it), nothing is
    /// touched, written or played from a lane, nothing waits for the
    /// engine. The daemon then ticks rarely (see `daemon::IDLE_TICK`).
    pub fn is_quiet(&self) -> bool {
        !self.transport.rolling
            && !self.transport.external
            && self.touches.is_empty()
            && self.queue.backlog.is_empty()
            && self.queue.swaps_in_flight == 0
            && self.queue.lanes_in_flight == 0
            && !self.queue.rebuild_pending
            && self.measurements.running.is_none()
            && self.automation_at_rest()
    }

    /// Lane sets on their way to the engine or waiting for it: at most
    /// [`LANE_SETS_IN_FLIGHT`] plus one, however fast passes end.
    pub fn lane_sets_pending(&self) -> usize {
        self.queue.lanes_in_flight
            + self
                .queue
                .backlog
                .iter()
                .filter(|c| matches!(c, ToEngine::SwapLanes(_)))
                .count()
    }

    /// Take the feedback events recorded since the last call.
    pub fn take_feedback(&mut self) -> Vec<Feedback> {
        std::mem::take(&mut self.feedback)
    }

    /// The change set: what was applied since the last call, in order,
    /// moved into `into` (whose old contents go; its storage is reused,
    /// so taking changes allocates nothing once warm).
    pub fn take_changes_into(&mut self, into: &mut Vec<Feedback>) {
        into.clear();
        std::mem::swap(&mut self.feedback, into);
    }

    /// Frames the engine has processed.
    pub fn position_frames(&self) -> u64 {
        self.link.shared.position_frames.load(Ordering::Relaxed)
    }

    /// Make the engine panic in its next process call (a test build's way
    /// to prove the fault path; absent from release builds).
    #[cfg(debug_assertions)]
    pub fn inject_engine_fault(&mut self) {
        self.push(ToEngine::InjectFault);
    }

    /// Engine faults (panics caught in the audio callback).
    pub fn engine_faults(&self) -> u64 {
        self.link.shared.faults.load(Ordering::Relaxed)
    }

    /// Strip commands the engine has taken, each setting one setting.
    pub fn engine_strip_commands(&self) -> u64 {
        self.link.shared.strip_commands.load(Ordering::Relaxed)
    }

    /// Commands the engine dropped as addressed to nothing (should stay 0).
    pub fn engine_bad_commands(&self) -> u64 {
        self.link.shared.bad_commands.load(Ordering::Relaxed)
    }

    /// Timed strip changes ([`Hub::at_frame`]) that reached the engine
    /// after their frame had played (they applied at once).
    pub fn engine_late_commands(&self) -> u64 {
        self.link.shared.late_commands.load(Ordering::Relaxed)
    }

    /// Read and reset every strip's meter.
    pub fn read_meters(&self) -> MeterFrame {
        MeterFrame {
            readings: self.strips().map(|s| (s, self.meter(s))).collect(),
        }
    }

    /// Read and reset a strip's meter.
    pub fn meter(&self, strip: StripRef) -> MeterReading {
        match self.node_of(strip) {
            Some(node) => self.meters.take(usize::from(node.0)),
            None => MeterReading::default(),
        }
    }

    /// The master output's loudness (EBU R 128) since the last
    /// [`Hub::reset_loudness`], as of the last [`Hub::service`].
    pub fn loudness(&self) -> LoudnessReading {
        self.loudness.reading()
    }

    /// The master's short-term loudness (LUFS, `-inf` for silence) every
    /// 0.5 s of programme over the last minute since the reset, oldest
    /// first, as of the last [`Hub::service`].
    pub fn loudness_history(&self) -> impl ExactSizeIterator<Item = f32> + '_ {
        self.loudness.history()
    }

    /// Start the loudness measurement again (integrated, range, the peaks
    /// and the history forget what came before).
    pub fn reset_loudness(&mut self) {
        self.loudness.reset();
    }

    /// Housekeeping, called on every hub tick: free graphs the engine has
    /// replaced, finish a deferred rebuild, resend what did not fit in the
    /// command queue.
    pub fn service(&mut self) {
        if self.touches.expire(self.now()) {
            self.unsettle_play();
        }
        while let Ok(old) = self.link.retired.pop() {
            drop(old);
            self.queue.swaps_in_flight = self.queue.swaps_in_flight.saturating_sub(1);
        }
        while let Ok(old) = self.link.retired_lanes.pop() {
            drop(old);
            self.queue.lanes_in_flight = self.queue.lanes_in_flight.saturating_sub(1);
        }
        while let Ok(block) = self.link.loudness.pop() {
            self.loudness.push(block);
        }
        if self.transport.external {
            let rolling = self.link.shared.transport_rolling.load(Ordering::Relaxed);
            if rolling != self.transport.rolling {
                self.automation_transport(if rolling {
                    TransportCmd::Play
                } else {
                    TransportCmd::Stop
                });
                self.transport.rolling = rolling;
            }
        }
        self.automation_tick();
        self.poll_measurement();
        if self.queue.rebuild_pending {
            self.rebuild();
        }
        let mut backlog = std::mem::take(&mut self.queue.backlog).into_iter();
        for cmd in backlog.by_ref() {
            let lanes = matches!(cmd, ToEngine::SwapLanes(_));
            if lanes && self.queue.lanes_in_flight >= LANE_SETS_IN_FLIGHT {
                self.queue.backlog.push(cmd);
                break;
            }
            if let Err(rtrb::PushError::Full(cmd)) = self.link.to_engine.push(cmd) {
                self.queue.backlog.push(cmd);
                break;
            }
            if lanes {
                self.queue.lanes_in_flight += 1;
            }
        }
        self.queue.backlog.extend(backlog);
    }

    /// How many tracks and buses the session has (the shape surfaces
    /// show; it changes when a track is added or removed).
    pub fn strip_counts(&self) -> StripCounts {
        StripCounts {
            tracks: self.session.tracks.len(),
            buses: self.session.buses.len(),
        }
    }

    /// Every strip of the session: tracks, buses, master.
    pub fn strips(&self) -> impl Iterator<Item = StripRef> + use<> {
        (0..self.session.tracks.len())
            .map(StripRef::Track)
            .chain((0..self.session.buses.len()).map(StripRef::Bus))
            .chain(std::iter::once(StripRef::Master))
    }

    fn set_gain(&mut self, address: Address, gain_db: f64) -> Result<(), IntentError> {
        self.controls_mut(address)?.gain_db = gain_db;
        Ok(())
    }

    /// Rebuild the engine graph from the model and swap it in whole.
    fn rebuild(&mut self) {
        if self.queue.swaps_in_flight >= RETIRE_QUEUE_CAPACITY {
            self.queue.rebuild_pending = true;
            return;
        }
        self.queue.rebuild_pending = false;
        let map = build::node_map(&self.session);
        let solo = solo_mutes(&self.session);
        let graph = match Self::graph_for(
            &self.session,
            &map,
            &solo,
            &self.clips,
            &self.engine_config,
            self.period,
        ) {
            Ok(g) => g,
            Err(e) => {
                tracing::error!("routing rebuild refused: {e}");
                return;
            }
        };
        self.meters = Arc::clone(graph.meters());
        self.map = map;
        self.solo = solo;
        // Coefficient commands still queued for the old graph are moot: the
        // new one is built from the current state. Transport commands stay.
        self.queue
            .backlog
            .retain(|c| matches!(c, ToEngine::Transport(_) | ToEngine::Measure(_)));
        self.queue.swaps_in_flight += 1;
        self.push(ToEngine::SwapGraph(Box::new(graph)));
        self.resend_automation(true);
        self.push_all_strips();
    }

    /// Record feedback for a changed control and the controls that show the
    /// same value another way (a fader's gain in dB, a send's too).
    fn record_change(&mut self, address: Address, origin: Origin) {
        for a in address.views() {
            if let Ok(v) = self.get(a) {
                self.changed(a, v, origin);
            }
        }
    }

    fn changed(&mut self, address: Address, value: Value, origin: Origin) {
        self.mark_changed();
        self.feedback.push(Feedback {
            address,
            value,
            origin,
        });
    }

    /// Solo or solo-safe changed: work out who is silenced again and tell
    /// the engine about the strips whose solo gate moved.
    fn resolo(&mut self) {
        let solo = solo_mutes(&self.session);
        let old = std::mem::replace(&mut self.solo, solo);
        for i in 0..self.session.tracks.len() {
            if old.tracks.get(i) != self.solo.tracks.get(i) {
                self.push_strip_parts(StripRef::Track(i), StripParts::Mix);
            }
        }
        for j in 0..self.session.buses.len() {
            if old.buses.get(j) != self.solo.buses.get(j) {
                self.push_strip_parts(StripRef::Bus(j), StripParts::Mix);
            }
        }
    }

    fn node_of(&self, strip: StripRef) -> Option<NodeId> {
        match strip {
            StripRef::Track(i) => self.map.tracks.get(i).copied(),
            StripRef::Bus(j) => self.map.buses.get(j).copied(),
            StripRef::Master => Some(self.map.master),
        }
    }

    fn controls_mut(&mut self, address: Address) -> Result<&mut Controls, IntentError> {
        self.session
            .controls_mut(address.strip)
            .ok_or(IntentError::NoSuchTarget(address))
    }

    fn send_mut(
        &mut self,
        address: Address,
        k: usize,
    ) -> Result<&mut crate::model::Send, IntentError> {
        if address.strip == StripRef::Master {
            return Err(IntentError::NotOnThisStrip(address));
        }
        self.controls_mut(address)?
            .sends
            .get_mut(k)
            .ok_or(IntentError::NoSuchTarget(address))
    }
}

impl Session {
    /// The controls of `strip`, if it exists.
    pub fn controls(&self, strip: StripRef) -> Option<&Controls> {
        match strip {
            StripRef::Track(i) => self.tracks.get(i).map(|t| &t.controls),
            StripRef::Bus(j) => self.buses.get(j).map(|b| &b.controls),
            StripRef::Master => Some(&self.master),
        }
    }

    /// The controls of `strip`, mutable, if it exists.
    pub fn controls_mut(&mut self, strip: StripRef) -> Option<&mut Controls> {
        match strip {
            StripRef::Track(i) => self.tracks.get_mut(i).map(|t| &mut t.controls),
            StripRef::Bus(j) => self.buses.get_mut(j).map(|b| &mut b.controls),
            StripRef::Master => Some(&mut self.master),
        }
    }
}
