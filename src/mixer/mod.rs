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
mod effects;
mod insert;
pub mod keys;
mod push;
mod sent;
pub mod solo;
mod touch;

pub use address::{
    Address, AddressError, BandParam, CompParam, DelayParam, EqParam, GateParam, InsertParam,
    LimiterParam, Param, ReverbParam, SendParam, StripRef,
};
use apply::{comp_field, gate_field};
pub use build::{ClipStore, NodeMap};

/// Every strip's meter since the last read. The hub loop reads it once per
/// tick ([`Hub::read_meters`]) and hands the same frame to every surface,
/// each of which keeps its own peaks between its sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeterFrame {
    /// (strip, reading), for every strip.
    pub readings: Vec<(StripRef, MeterReading)>,
}

/// What the audio backend reports, shared with the threads that update it.
#[derive(Debug, Default)]
pub struct AudioStatus {
    /// Xruns (JACK's count, cpal underruns, or the dummy thread's late periods).
    pub xruns: std::sync::atomic::AtomicU64,
    /// Periods processed.
    pub periods: std::sync::atomic::AtomicU64,
    /// Times the audio server came back and the daemon reconnected.
    pub reconnects: std::sync::atomic::AtomicU64,
    /// A backend is running right now.
    pub connected: std::sync::atomic::AtomicBool,
    /// DSP load the audio server reports, percent, as f32 bits (JACK only).
    pub dsp_load: std::sync::atomic::AtomicU32,
    /// Highest DSP load seen, percent, as f32 bits.
    pub peak_dsp_load: std::sync::atomic::AtomicU32,
    /// Times the server stopped running cycles without a word and was
    /// treated as gone (the JACK watchdog).
    pub stalls: std::sync::atomic::AtomicU64,
    /// The stream's sample rate now, Hz.
    pub sample_rate: std::sync::atomic::AtomicU32,
    /// The stream's period now, frames.
    pub period_frames: std::sync::atomic::AtomicU32,
}

/// A serial board's link counters, shared by its I/O thread (open,
/// frames, connections) and the hub (online) with surfaces (`/status`).
#[derive(Debug, Default)]
pub struct LinkStatus {
    /// The board's name (its profile's).
    pub name: String,
    /// The port is open.
    pub open: std::sync::atomic::AtomicBool,
    /// The board answered the handshake.
    pub online: std::sync::atomic::AtomicBool,
    /// Frames dropped: bad COBS, CRC, length or message.
    pub bad_frames: std::sync::atomic::AtomicU64,
    /// Times the port was opened.
    pub connects: std::sync::atomic::AtomicU64,
}

/// How the transport follows an outside clock (MTC, JACK), for surfaces
/// (`/status`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SyncReport {
    /// The transport follows an outside clock.
    pub external: bool,
    /// It is locked to it.
    pub locked: bool,
    /// From the first time code to lock, the last time it locked.
    pub lock_latency: Option<Duration>,
    /// Relocations while locked.
    pub relocates: u64,
}

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

pub use crate::engine::TransportCmd;

/// How long a control without touch sense counts as touched after its last
/// move (DESIGN.md): OSC clients that never send `/…/touch`, plain MIDI.
pub const DEFAULT_TOUCH_TIMEOUT: Duration = Duration::from_millis(500);
/// Lane sets on their way to the engine at most; more wait in the hub,
/// where a newer one replaces a waiting one.
pub const LANE_SETS_IN_FLIGHT: usize = 2;
/// How long a MIDI learn request waits for a control to move.
pub const LEARN_TIMEOUT: Duration = Duration::from_secs(30);

/// The transport as the hub last commanded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportState {
    /// Playing.
    pub rolling: bool,
    /// Timeline position in frames (from the engine, one period behind).
    pub position_frames: u64,
}

/// A value carried by an intent or a feedback event.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number (float or int on the wire).
    Float(f64),
    /// On/off.
    Bool(bool),
    /// Text (names, routing targets).
    Text(String),
}

/// Who caused a change; surfaces use it to avoid echoing a client's own move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Loaded from the session or set by the daemon itself.
    Daemon,
    /// A surface client (an OSC peer, a MIDI device ...).
    Client(ClientId),
}

/// A surface client's identity, assigned by its driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u32);

/// One applied change, for every surface to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// What changed.
    pub address: Address,
    /// Its new value as applied (clamped). Gains of `-inf` mean off.
    pub value: Value,
    /// Who caused it.
    pub origin: Origin,
}

/// Why an intent was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntentError {
    /// The text is not an address.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The strip, bus or send does not exist in this session.
    #[error("{0}: no such strip, bus or send in this session")]
    NoSuchTarget(Address),
    /// The control does not exist on this kind of strip (e.g. master/solo).
    #[error("{0}: this strip has no such control")]
    NotOnThisStrip(Address),
    /// The value has the wrong type.
    #[error("{address}: expected {expected}")]
    WrongType {
        /// The address.
        address: Address,
        /// What it takes.
        expected: &'static str,
    },
    /// NaN or an infinity.
    #[error("{0}: value is not a finite number")]
    NotFinite(Address),
    /// Touch on a control that is not ridden (a mute, a name ...).
    #[error("{0}: only faders, gains, trims, pans and send levels can be touched")]
    NotTouchable(Address),
    /// MIDI learn binds only numbers and switches.
    #[error("{0}: only faders, gains, pans, trims, sends and switches can be learned")]
    NotLearnable(Address),
    /// The address reports something faderd decides; it cannot be set.
    #[error("{0}: read-only (faderd reports it; it cannot be set)")]
    ReadOnly(Address),
    /// A latency measurement is already running.
    #[error("{0}: a latency measurement is already running; wait for its result")]
    MeasurementRunning(Address),
    /// An output that names no group bus.
    #[error("{address}: '{target}' is not 'master' or a group bus")]
    NoSuchOutput {
        /// The address.
        address: Address,
        /// The requested output.
        target: String,
    },
    /// Not now: something in progress must end first.
    #[error("not now: {0}")]
    Busy(&'static str),
    /// A name the strip cannot have (the rule is [`crate::model::check_strip_name`]).
    #[error("{0}: {1}")]
    BadName(Address, crate::model::NameError),
}

/// Errors building the engine graph from a session.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The routing does not form a forward graph (a bug: config validates it).
    #[error("invalid routing: {0}")]
    Graph(#[from] GraphError),
}

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
    /// Commands that did not fit in the queue, coalesced, sent on `service`.
    backlog: Vec<ToEngine>,
    swaps_in_flight: usize,
    /// Lane sets sent to the engine and not yet back (at most
    /// [`LANE_SETS_IN_FLIGHT`]; a newer set waiting in the backlog
    /// replaces an older one there, so a flood of transport stops cannot
    /// pile up copies of every lane).
    lanes_in_flight: usize,
    rebuild_pending: bool,
    dirty: bool,
    /// Counts changes to the session (saves know which state they wrote).
    revision: u64,
    /// A surface asked for the session to be saved.
    save_requested: bool,
    touches: touch::Touches,
    touch_timeout: Duration,
    rolling: bool,
    /// The backend's period in frames: which measured insert latency
    /// applies (it can differ from the engine's block size).
    period: u32,
    measuring: Option<insert::Measuring>,
    measure_reports: std::collections::HashMap<StripRef, String>,
    audio: Arc<AudioStatus>,
    links: Vec<Arc<LinkStatus>>,
    sync: SyncReport,
    /// The engine follows an outside transport (JACK): commands are
    /// requests, the engine says what the transport does.
    external_transport: bool,
    /// The loop the transport plays, if looping.
    loop_range: Option<(u64, u64)>,
    /// The last loop set (a loop button turns it back on).
    last_loop: Option<(u64, u64)>,
    auto: automation::AutomationState,
    /// MIDI learn: the address the next controller move binds to, and
    /// until when the request stands.
    learn: Option<(Address, Instant)>,
    /// The master output's loudness since the last reset.
    loudness: crate::dsp::loudness::LoudnessMeter,
    /// Transport commands sent to this engine (it counts those it applied).
    transport_sent: u64,
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
            backlog: Vec::new(),
            swaps_in_flight: 0,
            lanes_in_flight: 0,
            rebuild_pending: false,
            dirty: false,
            revision: 0,
            save_requested: false,
            touches: touch::Touches::default(),
            touch_timeout: DEFAULT_TOUCH_TIMEOUT,
            rolling: false,
            period,
            measuring: None,
            measure_reports: std::collections::HashMap::new(),
            audio: Arc::new(AudioStatus::default()),
            links: Vec::new(),
            sync: SyncReport::default(),
            external_transport: false,
            loop_range: None,
            last_loop: None,
            auto: automation::AutomationState::default(),
            learn: None,
            loudness: crate::dsp::loudness::LoudnessMeter::new(),
            transport_sent: 0,
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
        self.backlog.clear();
        self.sent.forget_all();
        self.swaps_in_flight = 0;
        self.lanes_in_flight = 0;
        self.rebuild_pending = false;
        self.transport_sent = 0;
        self.auto.locate = None;
        self.push(ToEngine::Transport(TransportCmd::Locate(position)));
        if old.rolling {
            self.push(ToEngine::Transport(TransportCmd::Play));
        }
        if let Some(r) = self.loop_range {
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

    /// MIDI learn: the next move of a generic MIDI controller's control
    /// binds it to `address`. The request stands for [`LEARN_TIMEOUT`].
    pub fn arm_learn(&mut self, address: Address) -> Result<(), IntentError> {
        self.get(address)?;
        if matches!(
            address.param,
            Param::Name
                | Param::Output
                | Param::Automation
                | Param::Insert(_)
                | Param::Send(_, SendParam::Bus)
        ) {
            return Err(IntentError::NotLearnable(address));
        }
        self.learn = Some((address, Instant::now() + LEARN_TIMEOUT));
        Ok(())
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

    /// The address MIDI learn is armed for, if any.
    pub fn learn_target(&self) -> Option<Address> {
        self.learn
            .filter(|(_, until)| *until > Instant::now())
            .map(|(a, _)| a)
    }

    /// Disarm MIDI learn (a binding was made).
    pub fn finish_learn(&mut self) {
        self.learn = None;
    }

    /// Share the audio backend's counters with surfaces (`/status`).
    pub fn set_audio_status(&mut self, status: Arc<AudioStatus>) {
        self.audio = status;
    }

    /// The audio backend's counters.
    pub fn audio_status(&self) -> &AudioStatus {
        &self.audio
    }

    /// Share a serial board's link counters with surfaces (`/status`).
    pub fn add_link_status(&mut self, status: Arc<LinkStatus>) {
        self.links.push(status);
    }

    /// Follow an outside transport (JACK): transport commands become
    /// requests to it, and the hub follows what it does.
    pub fn set_external_transport(&mut self, on: bool) {
        self.external_transport = on;
    }

    /// Report how the transport follows an outside clock.
    pub fn set_sync_report(&mut self, report: SyncReport) {
        self.sync = report;
    }

    /// How the transport follows an outside clock.
    pub fn sync_report(&self) -> SyncReport {
        self.sync
    }

    /// Every serial board's link counters, in config order.
    pub fn link_statuses(&self) -> &[Arc<LinkStatus>] {
        &self.links
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
        !self.rolling
            && !self.external_transport
            && self.touches.is_empty()
            && self.backlog.is_empty()
            && self.swaps_in_flight == 0
            && self.lanes_in_flight == 0
            && !self.rebuild_pending
            && self.measuring.is_none()
            && self.automation_at_rest()
    }

    /// True when the state changed since the last [`Hub::mark_saved`].
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Call after the session was saved.
    pub fn mark_saved(&mut self) {
        self.dirty = false;
    }

    /// Lane sets on their way to the engine or waiting for it: at most
    /// [`LANE_SETS_IN_FLIGHT`] plus one, however fast passes end.
    pub fn lane_sets_pending(&self) -> usize {
        self.lanes_in_flight
            + self
                .backlog
                .iter()
                .filter(|c| matches!(c, ToEngine::SwapLanes(_)))
                .count()
    }

    /// The session's revision: it goes up with every change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The session as it was at `revision` was saved: clean, unless it
    /// changed since.
    pub fn mark_saved_at(&mut self, revision: u64) {
        if revision == self.revision {
            self.dirty = false;
        }
    }

    /// The session holds changes its file does not (it was recovered).
    pub fn mark_unsaved(&mut self) {
        self.mark_changed();
    }

    pub(crate) fn mark_changed(&mut self) {
        self.dirty = true;
        self.revision += 1;
    }

    /// A surface asks for the session to be saved now (the daemon does it
    /// off this thread and reports the outcome in `/status`).
    pub fn request_save(&mut self) {
        self.save_requested = true;
    }

    /// Whether a save was asked for since the last call.
    pub fn take_save_request(&mut self) -> bool {
        std::mem::take(&mut self.save_requested)
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

    /// Start the loudness measurement again (integrated, range and the
    /// peaks forget what came before).
    pub fn reset_loudness(&mut self) {
        self.loudness.reset();
    }

    /// Housekeeping, called on every hub tick: free graphs the engine has
    /// replaced, finish a deferred rebuild, resend what did not fit in the
    /// command queue.
    pub fn service(&mut self) {
        self.touches.expire(Instant::now());
        while let Ok(old) = self.link.retired.pop() {
            drop(old);
            self.swaps_in_flight = self.swaps_in_flight.saturating_sub(1);
        }
        while let Ok(old) = self.link.retired_lanes.pop() {
            drop(old);
            self.lanes_in_flight = self.lanes_in_flight.saturating_sub(1);
        }
        while let Ok(block) = self.link.loudness.pop() {
            self.loudness.push(block);
        }
        if self.external_transport {
            let rolling = self.link.shared.transport_rolling.load(Ordering::Relaxed);
            if rolling != self.rolling {
                self.automation_transport(if rolling {
                    TransportCmd::Play
                } else {
                    TransportCmd::Stop
                });
                self.rolling = rolling;
            }
        }
        self.automation_tick();
        self.poll_measurement();
        if self.rebuild_pending {
            self.rebuild();
        }
        let mut backlog = std::mem::take(&mut self.backlog).into_iter();
        for cmd in backlog.by_ref() {
            let lanes = matches!(cmd, ToEngine::SwapLanes(_));
            if lanes && self.lanes_in_flight >= LANE_SETS_IN_FLIGHT {
                self.backlog.push(cmd);
                break;
            }
            if let Err(rtrb::PushError::Full(cmd)) = self.link.to_engine.push(cmd) {
                self.backlog.push(cmd);
                break;
            }
            if lanes {
                self.lanes_in_flight += 1;
            }
        }
        self.backlog.extend(backlog);
    }

    /// A move from a client that holds no explicit touch on `lane` counts
    /// as a touch until the timeout after its last move.
    fn touched_by_move(&mut self, lane: Address, origin: Origin) {
        if origin == Origin::Daemon {
            return;
        }
        self.touches
            .moved(lane, origin, Instant::now() + self.touch_timeout);
    }

    /// An explicit touch (`on`) or release of a continuous control by a
    /// surface with touch sense. Releasing also ends a touch inferred from
    /// moves.
    pub fn touch(&mut self, origin: Origin, address: Address, on: bool) -> Result<(), IntentError> {
        if !address.param.is_continuous() {
            return Err(IntentError::NotTouchable(address));
        }
        self.get(address)?;
        self.touches.touch(address.lane(), origin, on);
        self.automation_touch(address, on);
        Ok(())
    }

    /// True while anyone touches the lane `address` belongs to.
    pub fn is_touched(&self, address: Address) -> bool {
        self.touches.is_held(address.lane(), Instant::now())
    }

    /// True while `origin` touches the lane `address` belongs to.
    pub fn is_touched_by(&self, address: Address, origin: Origin) -> bool {
        self.touches
            .is_held_by(address.lane(), origin, Instant::now())
    }

    /// Set how long a move without touch sense holds its touch.
    pub fn set_touch_timeout(&mut self, timeout: Duration) {
        self.touch_timeout = timeout;
    }

    /// Start, stop or move the transport. Locating to a negative or
    /// non-finite time is refused by the caller's codec; here it clamps.
    pub fn transport(&mut self, cmd: TransportCmd) {
        if self.external_transport {
            // The outside transport decides; service() follows it.
            self.push(ToEngine::Transport(cmd));
            return;
        }
        self.automation_transport(cmd);
        match cmd {
            TransportCmd::Play => self.rolling = true,
            TransportCmd::Stop => self.rolling = false,
            TransportCmd::Locate(_) => {}
            TransportCmd::Loop(range) => {
                self.loop_range = range;
                if range.is_some() {
                    self.last_loop = range;
                }
            }
        }
        self.push(ToEngine::Transport(cmd));
    }

    /// A loop button: loop the last loop set, or stop looping.
    pub fn toggle_loop(&mut self) {
        let next = if self.loop_range.is_some() {
            None
        } else {
            self.last_loop
        };
        if next.is_some() || self.loop_range.is_some() {
            self.transport(TransportCmd::Loop(next));
        }
    }

    /// The loop the transport plays (timeline frames), if looping.
    pub fn loop_range(&self) -> Option<(u64, u64)> {
        self.loop_range
    }

    /// The transport as commanded, with the engine's position.
    pub fn transport_state(&self) -> TransportState {
        TransportState {
            rolling: self.rolling,
            position_frames: self
                .pending_locate()
                .unwrap_or_else(|| self.link.shared.transport_frames.load(Ordering::Relaxed)),
        }
    }

    /// The engine's sample clock (frames processed since it started).
    pub fn sample_clock(&self) -> u64 {
        self.link.shared.position_frames.load(Ordering::Relaxed)
    }

    /// The session's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.engine_config.sample_rate
    }

    /// Every strip of the session: tracks, buses, master.
    pub fn strips(&self) -> impl Iterator<Item = StripRef> + use<> {
        (0..self.session.tracks.len())
            .map(StripRef::Track)
            .chain((0..self.session.buses.len()).map(StripRef::Bus))
            .chain(std::iter::once(StripRef::Master))
    }

    /// Every address that has a value in this session, strip by strip: what
    /// a newly connected surface needs to show the whole mix.
    pub fn addresses(&self) -> Vec<Address> {
        const PARAMS: [Param; 11] = [
            Param::Name,
            Param::Fader,
            Param::Gain,
            Param::Trim,
            Param::Polarity,
            Param::Pan,
            Param::Mute,
            Param::Solo,
            Param::SoloSafe,
            Param::Output,
            Param::Automation,
        ];
        let mut out = Vec::new();
        for strip in self.strips() {
            let sends = self.session.controls(strip).map_or(0, |c| c.sends.len());
            let send_params = (0..sends).flat_map(|k| {
                [
                    SendParam::Fader,
                    SendParam::Gain,
                    SendParam::Pan,
                    SendParam::Pre,
                    SendParam::Bus,
                ]
                .map(|p| Param::Send(k, p))
            });
            let insert_params = [
                InsertParam::Wet,
                InsertParam::Bypass,
                InsertParam::Latency,
                InsertParam::Measure,
            ]
            .map(Param::Insert);
            let eq_params = [
                EqParam::On,
                EqParam::HpfOn,
                EqParam::HpfFreq,
                EqParam::HpfSlope,
            ]
            .into_iter()
            .chain((0..4).flat_map(|k| {
                [
                    BandParam::On,
                    BandParam::Type,
                    BandParam::Freq,
                    BandParam::Gain,
                    BandParam::Q,
                ]
                .map(|b| EqParam::Band(k, b))
            }))
            .map(Param::Eq)
            .chain(CompParam::all().map(Param::Comp))
            .chain(GateParam::all().map(Param::Gate))
            .chain(std::iter::once(Param::Order))
            .chain(LimiterParam::all().map(Param::Limiter))
            .chain(std::iter::once(Param::Fx))
            .chain(DelayParam::all().map(Param::Delay))
            .chain(ReverbParam::all().map(Param::Reverb));
            out.extend(
                PARAMS
                    .into_iter()
                    .chain(send_params)
                    .chain(insert_params)
                    .chain(eq_params)
                    .map(|p| Address::new(strip, p))
                    .filter(|a| self.get(*a).is_ok()),
            );
        }
        out
    }

    /// Read the current value at `address` (for state dumps to a new client).
    pub fn get(&self, address: Address) -> Result<Value, IntentError> {
        if let Some(v) = self.trim_view(address) {
            return Ok(v);
        }
        let c = self
            .session
            .controls(address.strip)
            .ok_or(IntentError::NoSuchTarget(address))?;
        let solo_target = |v: bool| {
            if address.strip == StripRef::Master {
                Err(IntentError::NotOnThisStrip(address))
            } else {
                Ok(Value::Bool(v))
            }
        };
        Ok(match address.param {
            Param::Fx | Param::Delay(_) | Param::Reverb(_) => return self.get_effect(address),
            Param::Fader => Value::Float(db_to_pos(c.gain_db)),
            Param::Gain => Value::Float(c.gain_db),
            Param::Trim => Value::Float(c.trim_db),
            Param::Polarity => Value::Bool(c.invert),
            Param::Pan => Value::Float(c.pan),
            Param::Mute => Value::Bool(c.mute),
            Param::Solo => return solo_target(c.solo),
            Param::SoloSafe => return solo_target(c.solo_safe),
            Param::Name => Value::Text(match address.strip {
                StripRef::Track(i) => self.session.tracks[i].name.clone(),
                StripRef::Bus(i) => self.session.buses[i].name.clone(),
                StripRef::Master => "Master".to_owned(),
            }),
            Param::Output => match address.strip {
                StripRef::Track(i) => Value::Text(match self.session.tracks[i].output {
                    Output::Master => "master".to_owned(),
                    Output::Bus(b) => self.session.buses[b].name.clone(),
                }),
                _ => return Err(IntentError::NotOnThisStrip(address)),
            },
            Param::Automation => Value::Text(c.automation.as_str().to_owned()),
            Param::Insert(p) => {
                let ins = c
                    .insert
                    .as_ref()
                    .ok_or(IntentError::NoSuchTarget(address))?;
                match p {
                    InsertParam::Wet => Value::Float(ins.wet),
                    InsertParam::Bypass => Value::Bool(ins.bypass),
                    InsertParam::Latency => {
                        Value::Float(f64::from(*ins.latency.get(&self.period).unwrap_or(&0)))
                    }
                    InsertParam::Measure => Value::Text(
                        self.measure_reports
                            .get(&address.strip)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                }
            }
            Param::Send(k, p) => {
                let s = c.sends.get(k).ok_or(IntentError::NoSuchTarget(address))?;
                match p {
                    SendParam::Fader => Value::Float(db_to_pos(s.gain_db)),
                    SendParam::Gain => Value::Float(s.gain_db),
                    SendParam::Pan => Value::Float(s.pan),
                    SendParam::Pre => Value::Bool(s.pre),
                    SendParam::Bus => Value::Text(self.send_target_name(s.target)),
                }
            }
            Param::Order => Value::Text(c.order.as_str().to_owned()),
            Param::Comp(CompParam::On) => Value::Bool(c.comp.on),
            Param::Comp(CompParam::Detect) => Value::Text(
                match c.comp.detect {
                    crate::model::Detect::Peak => "peak",
                    crate::model::Detect::Rms => "rms",
                }
                .to_owned(),
            ),
            Param::Comp(p) => {
                let mut comp = c.comp;
                let v = comp_field(&mut comp, p).map_or(0.0, |f| *f.0);
                Value::Float(f64::from(v))
            }
            Param::Limiter(_) if address.strip != StripRef::Master => {
                return Err(IntentError::NotOnThisStrip(address));
            }
            Param::Limiter(LimiterParam::On) => Value::Bool(c.limiter.on),
            Param::Limiter(LimiterParam::Ceiling) => {
                Value::Float(f64::from(c.limiter.ceiling_dbtp))
            }
            Param::Limiter(LimiterParam::Release) => Value::Float(f64::from(c.limiter.release_ms)),
            Param::Gate(GateParam::On) => Value::Bool(c.gate.on),
            Param::Gate(p) => {
                let mut gate = c.gate;
                let v = gate_field(&mut gate, p).map_or(0.0, |f| *f.0);
                Value::Float(f64::from(v))
            }
            Param::Eq(p) => {
                let eq = &c.eq;
                match p {
                    EqParam::On => Value::Bool(eq.on),
                    EqParam::HpfOn => Value::Bool(eq.hpf_on),
                    EqParam::HpfFreq => Value::Float(eq.hpf_hz),
                    EqParam::HpfSlope => Value::Float(f64::from(eq.hpf_slope.db_per_octave())),
                    EqParam::Band(k, b) => {
                        let band = eq.bands.get(k).ok_or(IntentError::NoSuchTarget(address))?;
                        match b {
                            BandParam::On => Value::Bool(band.on),
                            BandParam::Type => Value::Text(band.kind.as_str().to_owned()),
                            BandParam::Freq => Value::Float(band.freq_hz),
                            BandParam::Gain => Value::Float(band.gain_db),
                            BandParam::Q => Value::Float(band.q),
                        }
                    }
                }
            }
        })
    }

    fn set_gain(&mut self, address: Address, gain_db: f64) -> Result<(), IntentError> {
        self.controls_mut(address)?.gain_db = gain_db;
        Ok(())
    }

    fn set_output(
        &mut self,
        origin: Origin,
        address: Address,
        value: Value,
    ) -> Result<Value, IntentError> {
        let StripRef::Track(i) = address.strip else {
            return Err(IntentError::NotOnThisStrip(address));
        };
        let Value::Text(target) = value else {
            return Err(IntentError::WrongType {
                address,
                expected: "text: 'master' or a group bus name",
            });
        };
        if i >= self.session.tracks.len() {
            return Err(IntentError::NoSuchTarget(address));
        }
        let output = if target.eq_ignore_ascii_case("master") {
            Output::Master
        } else {
            let found = self
                .session
                .buses
                .iter()
                .position(|b| b.kind == BusKind::Group && b.name == target);
            match found {
                Some(b) => Output::Bus(b),
                None => return Err(IntentError::NoSuchOutput { address, target }),
            }
        };
        if self.session.tracks[i].output != output {
            self.session.tracks[i].output = output;
            self.rebuild();
            self.changed(address, Value::Text(target.clone()), origin);
        }
        Ok(Value::Text(target))
    }

    /// Rebuild the engine graph from the model and swap it in whole.
    fn rebuild(&mut self) {
        if self.swaps_in_flight >= RETIRE_QUEUE_CAPACITY {
            self.rebuild_pending = true;
            return;
        }
        self.rebuild_pending = false;
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
        self.backlog
            .retain(|c| matches!(c, ToEngine::Transport(_) | ToEngine::Measure(_)));
        self.swaps_in_flight += 1;
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

    /// What a send's target is called on the surfaces.
    fn send_target_name(&self, target: SendTarget) -> String {
        match target {
            SendTarget::Bus(b) => self
                .session
                .buses
                .get(b)
                .map_or_else(String::new, |bus| bus.name.clone()),
            SendTarget::Output(o) => format!("out {o}-{}", o + 1),
        }
    }

    /// Bus `b` has a new name: the tracks routed to it and the sends to it
    /// show it too.
    fn bus_renamed(&mut self, b: usize, origin: Origin) {
        let name = self.session.buses[b].name.clone();
        let mut shown = Vec::new();
        for (i, t) in self.session.tracks.iter().enumerate() {
            if t.output == Output::Bus(b) {
                shown.push(Address::new(StripRef::Track(i), Param::Output));
            }
        }
        for strip in self.strips() {
            if let Some(c) = self.session.controls(strip) {
                for (k, s) in c.sends.iter().enumerate() {
                    if s.target == SendTarget::Bus(b) {
                        shown.push(Address::new(strip, Param::Send(k, SendParam::Bus)));
                    }
                }
            }
        }
        for address in shown {
            self.changed(address, Value::Text(name.clone()), origin);
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

    fn push(&mut self, cmd: ToEngine) {
        match &cmd {
            ToEngine::Transport(_) => self.transport_sent += 1,
            // The engine holds that setting already: nothing to send.
            ToEngine::Strip { node, param } | ToEngine::StripAt { node, param, .. }
                if !self.sent.needs(*node, param) =>
            {
                return;
            }
            ToEngine::SwapGraph(_) => self.sent.forget_all(),
            _ => {}
        }
        let cmd = match (cmd, self.change_frame) {
            (ToEngine::Strip { node, param }, Some(frame)) => {
                ToEngine::StripAt { node, param, frame }
            }
            (cmd, _) => cmd,
        };
        let lanes = matches!(cmd, ToEngine::SwapLanes(_));
        if lanes
            && let Some(slot) = self
                .backlog
                .iter_mut()
                .find(|c| matches!(c, ToEngine::SwapLanes(_)))
        {
            // An older set that never left: the newer one takes its place
            // (the old one is freed here).
            *slot = cmd;
            return;
        }
        if self.backlog.is_empty() && !(lanes && self.lanes_in_flight >= LANE_SETS_IN_FLIGHT) {
            match self.link.to_engine.push(cmd) {
                Ok(()) => {
                    if lanes {
                        self.lanes_in_flight += 1;
                    }
                    return;
                }
                Err(rtrb::PushError::Full(cmd)) => {
                    self.backlog.push(cmd);
                    return;
                }
            }
        }
        // Coalesce: a newer value for the same coefficient replaces the old.
        if let ToEngine::Strip { node, param } | ToEngine::StripAt { node, param, .. } = &cmd
            && let Some(slot) = self.backlog.iter_mut().rev().find(|c| match c {
                ToEngine::Strip { node: n, param: p }
                | ToEngine::StripAt {
                    node: n, param: p, ..
                } => n == node && p.slot() == param.slot(),
                ToEngine::SwapGraph(_)
                | ToEngine::SwapLanes(_)
                | ToEngine::Transport(_)
                | ToEngine::Measure(_) => false,
                #[cfg(debug_assertions)]
                ToEngine::InjectFault => false,
            })
        {
            *slot = cmd;
            return;
        }
        self.backlog.push(cmd);
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
