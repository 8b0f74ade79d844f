//! Which audio backend runs the engine, and the JACK supervisor that keeps
//! one running: when the server goes away it says so, keeps the mixer
//! state in the hub, retries every second, and when the server is back
//! asks the hub for a fresh engine (at the server's rate and period) and
//! starts a new client with the same ports and connections.
//!
//! Thread: the supervisor has its own thread ("faderd-jack"); it talks to
//! the hub thread only through [`RelinkRequest`]s.

use crate::audio::AudioHooks;
use crate::audio::dummy::DummyBackend;
use crate::audio::jack::{self as jackb, Connections, JackBackend, PortLayout, PortName};
use crate::audio::midi::{MidiLink, MidiPorts, midi_queues};
use crate::audio::slot::EngineSlot;
use crate::config::JackConfig;
use crate::engine::{Engine, EngineConfig};
use crate::model::{Channels, SendTarget, Session, TrackSource};
use crossbeam::channel::{self, Sender};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a lost JACK server is looked for.
pub const RECONNECT_INTERVAL: Duration = Duration::from_secs(1);
/// A client whose process callback has not run for this long (or for
/// [`WATCHDOG_PERIODS`] periods, when that is longer) while its server
/// sent no shutdown notice is treated as having lost its server: PipeWire
/// restarting under its JACK clients sends none.
pub const WATCHDOG_MIN: Duration = Duration::from_secs(1);
/// See [`WATCHDOG_MIN`].
pub const WATCHDOG_PERIODS: u32 = 8;

/// How long a running client may go without a cycle: [`WATCHDOG_MIN`] or
/// [`WATCHDOG_PERIODS`] periods, whichever is longer.
pub fn watchdog_time(sample_rate: u32, period_frames: u32) -> Duration {
    WATCHDOG_MIN.max(jackb::period_duration(sample_rate, period_frames) * WATCHDOG_PERIODS)
}

/// How often new xruns are logged (at most).
pub const XRUN_REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// What the audio supervisor tells the hub thread.
#[derive(Debug)]
pub enum AudioEvent {
    /// Build an engine for a new stream.
    Relink(RelinkRequest),
    /// The server's period changed (the engine keeps running).
    Period(u32),
}

/// The supervisor asks the hub thread for an engine built for a new stream.
#[derive(Debug)]
pub struct RelinkRequest {
    /// The new stream.
    pub config: EngineConfig,
    /// The hub's side of the new client's MIDI queues.
    pub midi: Option<MidiLink>,
    /// Where the engine goes, in the slot the backend runs it from.
    pub reply: Sender<EngineSlot>,
}

/// Counters that survive reconnections (the hub shows them in `/status`).
pub type AudioTotals = crate::health::AudioStatus;

/// The JACK ports for `session`, by engine channel. A port is named after
/// the interface channel it carries, which a rename does not change
/// ("in 3", "in 5" and "in 6" for a stereo track, "out 7"; the master
/// pair is "Master out L/R"), so saved patchbay connections survive
/// renames. Its display name says what it carries: "Vox in" (the first
/// track on that input), "Keys in L" / "Keys in R", "Vox insert send" /
/// "Vox insert return" (L/R on stereo strips) and "send out 7" for a
/// hardware send to interface outputs 7 and 8.
pub fn port_layout(session: &Session) -> PortLayout {
    let mut inputs: Vec<Option<PortName>> = Vec::new();
    let mut outputs: Vec<Option<PortName>> = vec![
        Some(PortName::plain("Master out L")),
        Some(PortName::plain("Master out R")),
    ];
    let place = |v: &mut Vec<Option<PortName>>, ch: usize, name: String, pretty: String| {
        if v.len() <= ch {
            v.resize(ch + 1, None);
        }
        if v[ch].is_none() {
            v[ch] = Some(PortName { name, pretty });
        }
    };
    let input = |ch: usize| format!("in {}", ch + 1);
    let output = |ch: usize| format!("out {}", ch + 1);
    let pretty = |base: &str, what: &str, channels: Channels| -> Vec<String> {
        match channels {
            Channels::Mono => vec![format!("{base} {what}")],
            Channels::Stereo => vec![format!("{base} {what} L"), format!("{base} {what} R")],
        }
    };
    for track in &session.tracks {
        if let TrackSource::Input(first) = track.source {
            let first = usize::from(first.max(1)) - 1;
            for (k, shown) in pretty(&track.name, "in", track.channels)
                .into_iter()
                .enumerate()
            {
                place(&mut inputs, first + k, input(first + k), shown);
            }
        }
    }
    let strips = session
        .tracks
        .iter()
        .map(|t| (t.name.as_str(), t.channels, &t.controls))
        .chain(
            session
                .buses
                .iter()
                .map(|b| (b.name.as_str(), Channels::Stereo, &b.controls)),
        )
        .chain(std::iter::once((
            "Master",
            Channels::Stereo,
            &session.master,
        )));
    for (name, channels, controls) in strips {
        for send in &controls.sends {
            if let SendTarget::Output(first) = send.target {
                let first = usize::from(first.max(1)) - 1;
                for k in 0..2 {
                    let ch = first + k;
                    place(&mut outputs, ch, output(ch), format!("send out {}", ch + 1));
                }
            }
        }
        let Some(ins) = &controls.insert else {
            continue;
        };
        let (out, inp) = (
            usize::from(ins.output.max(1)) - 1,
            usize::from(ins.input.max(1)) - 1,
        );
        for (k, shown) in pretty(name, "insert send", channels)
            .into_iter()
            .enumerate()
        {
            place(&mut outputs, out + k, output(out + k), shown);
        }
        for (k, shown) in pretty(name, "insert return", channels)
            .into_iter()
            .enumerate()
        {
            place(&mut inputs, inp + k, input(inp + k), shown);
        }
    }
    PortLayout { inputs, outputs }
}

/// The ports' display names as the session gives them now: the hub thread
/// publishes a new layout after a rename, the JACK supervisor shows it on
/// the running client and uses it for the next one.
#[derive(Debug, Default)]
pub struct LivePortNames {
    generation: AtomicU64,
    layout: Mutex<Option<PortLayout>>,
}

impl LivePortNames {
    /// Publish the layout for the session as it is now. Hub thread.
    pub fn publish(&self, layout: PortLayout) {
        *self.layout.lock().unwrap_or_else(|p| p.into_inner()) = Some(layout);
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The layout published since generation `seen` (which it advances),
    /// if any.
    fn newer(&self, seen: &mut u64) -> Option<PortLayout> {
        let now = self.generation.load(Ordering::Acquire);
        if now == *seen {
            return None;
        }
        *seen = now;
        self.layout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A supervised JACK client: its supervisor publishes the counters and
/// the stream's rate and period as they change.
impl crate::audio::Backend for JackSupervisor {
    fn status(&self) -> Arc<AudioTotals> {
        Arc::clone(&self.totals)
    }

    fn publishes_stream(&self) -> bool {
        true
    }

    fn stop(self: Box<Self>) -> Option<Engine> {
        JackSupervisor::stop(*self)
    }
}

/// What the JACK supervisor needs to (re)start a client.
#[derive(Debug, Clone)]
pub struct JackPlan {
    /// Client settings from the config.
    pub config: JackConfig,
    /// Ports by engine channel.
    pub layout: PortLayout,
    /// The engine follows the JACK transport.
    pub follow_transport: bool,
    /// The period asked for (`--period`, `audio.period_frames`), if any.
    pub period_request: Option<u32>,
    /// Display names after renames (the hub publishes them).
    pub live_names: Arc<LivePortNames>,
}

impl JackPlan {
    /// The engine stream for a client on this server.
    pub fn engine_config(&self, client: &::jack::Client) -> EngineConfig {
        EngineConfig {
            sample_rate: client.sample_rate(),
            max_block: (client.buffer_size() as usize).clamp(1, 8192),
            inputs: self.layout.inputs.len(),
            outputs: self.layout.outputs.len(),
        }
    }

    fn connections(&self) -> Connections {
        Connections {
            physical: self.config.connect_physical,
            extra: self.config.connections.clone(),
        }
    }

    fn midi_ports(&self) -> Option<MidiPorts> {
        (!self.config.midi_ports.is_empty()).then(|| MidiPorts {
            names: self.config.midi_ports.clone(),
        })
    }

    /// Start a client on `client` with `engine`; returns the backend and
    /// the hub's MIDI side (when MIDI ports are configured).
    pub fn start(
        &self,
        client: ::jack::Client,
        engine: EngineSlot,
        midi: Option<crate::audio::midi::MidiRt>,
        hooks: AudioHooks,
    ) -> Result<JackBackend, jackb::JackError> {
        let ports = self.midi_ports();
        let midi = ports.as_ref().zip(midi);
        let b = JackBackend::start(
            client,
            engine,
            &self.layout,
            midi,
            &self.connections(),
            hooks,
        )?;
        b.stats()
            .follow_transport
            .store(self.follow_transport, Ordering::Relaxed);
        if let Some(asked) = self.period_request {
            let granted = b.request_period(asked, Duration::from_secs(1));
            if granted == asked {
                tracing::info!(
                    "{} runs the period asked for: {asked} frames",
                    jackb::describe_server()
                );
            } else {
                tracing::warn!(
                    "asked {} for a period of {asked} frames; it runs {granted} (on PipeWire the smallest period any client asks for wins, within clock.min-quantum; pw-metadata -n settings 0 clock.force-quantum {asked} forces it)",
                    jackb::describe_server()
                );
            }
        }
        Ok(b)
    }

    /// Fresh MIDI queues when MIDI ports are configured.
    pub fn midi_queues(
        &self,
    ) -> (
        Option<crate::audio::midi::MidiRt>,
        Option<crate::audio::midi::MidiLink>,
    ) {
        if self.config.midi_ports.is_empty() {
            (None, None)
        } else {
            let (rt, link) = midi_queues();
            (Some(rt), Some(link))
        }
    }
}

/// The thread that keeps a JACK client running.
#[derive(Debug)]
pub struct JackSupervisor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Option<Engine>>>,
    totals: Arc<AudioTotals>,
}

impl JackSupervisor {
    /// Supervise `backend` (already running), reconnecting through `relink`.
    pub fn spawn(
        backend: JackBackend,
        plan: JackPlan,
        relink: Sender<AudioEvent>,
    ) -> std::io::Result<JackSupervisor> {
        Self::spawn_with(Running::Jack(backend), plan, relink)
    }

    /// Run `dummy` (the `auto` backend's clock while no server runs) and
    /// look for a JACK server every [`RECONNECT_INTERVAL`]; when one
    /// appears, stop the dummy clock and join the server through `relink`
    /// (from then on as [`JackSupervisor::spawn`]).
    pub fn spawn_watching(
        dummy: DummyBackend,
        plan: JackPlan,
        relink: Sender<AudioEvent>,
    ) -> std::io::Result<JackSupervisor> {
        Self::spawn_with(Running::Dummy(dummy), plan, relink)
    }

    fn spawn_with(
        start: Running,
        plan: JackPlan,
        relink: Sender<AudioEvent>,
    ) -> std::io::Result<JackSupervisor> {
        let stop = Arc::new(AtomicBool::new(false));
        let totals = Arc::new(AudioTotals::default());
        totals.connected.store(true, Ordering::Relaxed);
        let (stop_t, totals_t) = (Arc::clone(&stop), Arc::clone(&totals));
        let thread = std::thread::Builder::new()
            .name("faderd-jack".into())
            .spawn(move || supervise(start, &plan, &relink, &stop_t, &totals_t))?;
        Ok(JackSupervisor {
            stop,
            thread: Some(thread),
            totals,
        })
    }

    /// Stop the client and the thread, waiting at most
    /// [`CLIENT_CLOSE_TIMEOUT`] for them.
    pub fn stop(mut self) -> Option<Engine> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().and_then(join_or_leave).flatten()
    }
}

impl Drop for JackSupervisor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = join_or_leave(t);
        }
    }
}

/// How long faderd waits for its JACK client to close when it stops. A
/// server that has wedged (stopped, or blocked writing notifications to a
/// client that is closing) would otherwise hold faderd's exit for ever;
/// once faderd is gone the server sees its client gone and carries on.
pub const CLIENT_CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// The supervisor thread's result if it ends within
/// [`CLIENT_CLOSE_TIMEOUT`]; else it is left to the process's exit, and
/// the log says so.
fn join_or_leave(t: JoinHandle<Option<Engine>>) -> Option<Option<Engine>> {
    let deadline = Instant::now() + CLIENT_CLOSE_TIMEOUT;
    while !t.is_finished() {
        if Instant::now() >= deadline {
            tracing::warn!(
                "the JACK server did not let faderd's client close within {} s; leaving it (the server drops the client when faderd exits)",
                CLIENT_CLOSE_TIMEOUT.as_secs()
            );
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    t.join().ok()
}

/// Running totals of one client's counters, folded in when it ends.
#[derive(Debug, Default)]
struct Base {
    xruns: u64,
    periods: u64,
}

/// The running stream's counters, on top of what earlier ones counted.
fn publish_stream(
    totals: &AudioTotals,
    base: &Base,
    xruns: u64,
    periods: u64,
    rate: u32,
    period: u32,
) {
    totals.xruns.store(base.xruns + xruns, Ordering::Relaxed);
    totals
        .periods
        .store(base.periods + periods, Ordering::Relaxed);
    totals.sample_rate.store(rate, Ordering::Relaxed);
    totals.period_frames.store(period, Ordering::Relaxed);
}

fn publish(totals: &AudioTotals, base: &Base, b: &JackBackend) {
    b.update_midi_presence();
    let s = b.stats();
    publish_stream(
        totals,
        base,
        s.xruns.load(Ordering::Relaxed),
        s.periods.load(Ordering::Relaxed),
        s.sample_rate.load(Ordering::Relaxed),
        s.buffer_frames.load(Ordering::Relaxed),
    );
    let load = b.cpu_load();
    totals.dsp_load.store(load.to_bits(), Ordering::Relaxed);
    let peak = f32::from_bits(totals.peak_dsp_load.load(Ordering::Relaxed));
    if load.is_finite() && load > peak {
        totals
            .peak_dsp_load
            .store(load.to_bits(), Ordering::Relaxed);
    }
}

/// What the supervisor starts with.
enum Running {
    /// A JACK client.
    Jack(JackBackend),
    /// The dummy clock, until a server appears (`auto`).
    Dummy(DummyBackend),
}

/// Copy the dummy clock's counters into `totals`.
fn publish_dummy(totals: &AudioTotals, base: &Base, d: &DummyBackend) {
    let s = d.stats();
    publish_stream(
        totals,
        base,
        s.xruns.load(Ordering::Relaxed),
        s.periods.load(Ordering::Relaxed),
        d.sample_rate(),
        u32::try_from(d.period_frames()).unwrap_or(u32::MAX),
    );
}

fn supervise(
    start: Running,
    plan: &JackPlan,
    relink: &Sender<AudioEvent>,
    stop: &AtomicBool,
    totals: &AudioTotals,
) -> Option<Engine> {
    let server = jackb::server_name();
    let mut base = Base::default();
    // The layout a new client gets: display names follow renames.
    let mut plan = plan.clone();
    let mut names_seen = 0u64;
    let (mut current, mut dummy) = match start {
        Running::Jack(b) => (Some(b), None),
        Running::Dummy(d) => (None, Some(d)),
    };
    let mut rate = current
        .as_ref()
        .map_or(0, |b| b.stats().sample_rate.load(Ordering::Relaxed));
    let mut period = current
        .as_ref()
        .map_or(0, |b| b.stats().buffer_frames.load(Ordering::Relaxed));
    let mut next_try = Instant::now();
    let mut said_waiting = false;
    let (mut xrun_check, mut xruns_seen) = (Instant::now(), 0u64);
    // The watchdog: when the process callback last ran.
    let (mut cycles_seen, mut last_cycle) = (0u64, Instant::now());
    let mut first = true;
    while !stop.load(Ordering::SeqCst) {
        // The first turn publishes at once (`/status` is right from the start).
        if !std::mem::take(&mut first) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(layout) = plan.live_names.newer(&mut names_seen) {
            if let Some(b) = current.as_mut() {
                b.update_pretty_names(&layout);
            }
            plan.layout = layout;
        }
        if let Some(b) = &current {
            publish(totals, &base, b);
            let cycles = b.stats().periods.load(Ordering::Relaxed);
            if cycles != cycles_seen {
                (cycles_seen, last_cycle) = (cycles, Instant::now());
            }
            let silent_for = last_cycle.elapsed();
            let stalled = silent_for >= watchdog_time(rate, period);
            if xrun_check.elapsed() >= XRUN_REPORT_INTERVAL {
                xrun_check = Instant::now();
                let now = totals.xruns.load(Ordering::Relaxed);
                if now > xruns_seen {
                    tracing::warn!(
                        "JACK reported {} xruns in the last {} s (DSP load {:.1} %)",
                        now - xruns_seen,
                        XRUN_REPORT_INTERVAL.as_secs(),
                        f32::from_bits(totals.dsp_load.load(Ordering::Relaxed))
                    );
                }
                xruns_seen = now;
            }
            let rate_now = b.stats().sample_rate.load(Ordering::Relaxed);
            let period_now = b.stats().buffer_frames.load(Ordering::Relaxed);
            if period_now != period && !b.is_lost() {
                tracing::info!("the JACK period changed from {period} to {period_now} frames");
                period = period_now;
                let _ = relink.send(AudioEvent::Period(period_now));
            }
            let lost = b.is_lost();
            if lost || stalled || rate_now != rate {
                if lost {
                    tracing::error!(
                        "the JACK server '{server}' went away; the mixer keeps its state and reconnects when the server is back"
                    );
                } else if stalled {
                    tracing::error!(
                        "{} has run no audio cycle for {:.1} s without saying it stopped: treating it as gone; the mixer keeps its state and reconnects when the server is back",
                        jackb::describe_server(),
                        silent_for.as_secs_f64()
                    );
                    totals.stalls.fetch_add(1, Ordering::Relaxed);
                } else {
                    tracing::warn!(
                        "the JACK server changed its rate from {rate} to {rate_now} Hz; rebuilding the engine"
                    );
                }
                let b = current.take().expect("checked");
                base.xruns += b.stats().xruns.load(Ordering::Relaxed);
                base.periods += b.stats().periods.load(Ordering::Relaxed);
                totals.connected.store(false, Ordering::Relaxed);
                // Frees the old engine here, off the audio thread.
                drop(b.stop());
                next_try = Instant::now();
                said_waiting = false;
            }
            continue;
        }
        if let Some(d) = &dummy {
            publish_dummy(totals, &base, d);
        }
        if Instant::now() < next_try {
            continue;
        }
        next_try = Instant::now() + RECONNECT_INTERVAL;
        let client = match jackb::open_client(&plan.config.client_name) {
            Ok(c) => c,
            Err(e) => {
                if !said_waiting && dummy.is_none() {
                    tracing::info!("waiting for the audio server: {e}");
                    said_waiting = true;
                }
                continue;
            }
        };
        if let Some(d) = dummy.take() {
            tracing::info!(
                "{} is running now: leaving the dummy clock to join it",
                jackb::describe_server()
            );
            base.xruns += d.stats().xruns.load(Ordering::Relaxed);
            base.periods += d.stats().periods.load(Ordering::Relaxed);
            // Its engine is freed here, off any audio thread.
            drop(d.stop());
        }
        let config = plan.engine_config(&client);
        let (midi_rt, midi_link) = plan.midi_queues();
        let (reply, engine_rx) = channel::bounded(1);
        if relink
            .send(AudioEvent::Relink(RelinkRequest {
                config,
                midi: midi_link,
                reply,
            }))
            .is_err()
        {
            break; // the hub is gone: shutting down
        }
        let Ok(engine) = engine_rx.recv_timeout(Duration::from_secs(5)) else {
            tracing::error!("the hub did not build a new engine; retrying");
            continue;
        };
        match plan.start(client, engine, midi_rt, AudioHooks::default()) {
            Ok(b) => {
                rate = config.sample_rate;
                period = b.stats().buffer_frames.load(Ordering::Relaxed);
                totals.reconnects.fetch_add(1, Ordering::Relaxed);
                totals.connected.store(true, Ordering::Relaxed);
                tracing::info!(
                    "reconnected to {} as '{}' ({} Hz / {} frames); the mix is as it was",
                    jackb::describe_server(),
                    b.client_name(),
                    config.sample_rate,
                    period
                );
                (cycles_seen, last_cycle) = (0, Instant::now());
                current = Some(b);
            }
            Err(e) => tracing::error!("cannot restart the JACK client: {e}; retrying"),
        }
    }
    if let Some(d) = dummy {
        publish_dummy(totals, &base, &d);
        return d.stop();
    }
    current.and_then(|b| {
        publish(totals, &base, &b);
        b.stop()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, display name) of each channel's port.
    fn names(ports: &[Option<PortName>]) -> Vec<Option<(&str, &str)>> {
        ports
            .iter()
            .map(|p| p.as_ref().map(|p| (p.name.as_str(), p.pretty.as_str())))
            .collect()
    }

    #[test]
    fn inserts_get_send_and_return_ports_on_their_channels() {
        let text = "version: 1\nname: t\nbuses:\n  - { name: Drums, kind: group, insert: { output: 3, input: 1 } }\ntracks:\n  - { name: Vox, source: { input: 5 }, insert: { output: 6, input: 6 }, sends: [{ output: 7 }] }\n";
        let s = crate::config::parse_session(text, std::path::Path::new("t.yaml")).unwrap();
        let l = port_layout(&s);
        assert_eq!(
            names(&l.outputs),
            vec![
                Some(("Master out L", "Master out L")),
                Some(("Master out R", "Master out R")),
                Some(("out 3", "Drums insert send L")),
                Some(("out 4", "Drums insert send R")),
                None,
                Some(("out 6", "Vox insert send")),
                Some(("out 7", "send out 7")),
                Some(("out 8", "send out 8")),
            ]
        );
        assert_eq!(
            names(&l.inputs),
            vec![
                Some(("in 1", "Drums insert return L")),
                Some(("in 2", "Drums insert return R")),
                None,
                None,
                Some(("in 5", "Vox in")),
                Some(("in 6", "Vox insert return")),
            ]
        );
    }

    #[test]
    fn ports_are_named_by_channel_and_shown_by_the_tracks_that_use_them() {
        let text = "version: 1\nname: t\ntracks:\n  - { name: Vox, source: { input: 3 } }\n  - { name: Keys, channels: stereo, source: { input: 5 } }\n  - { name: \"A:B\", source: { input: 1 } }\n  - { name: Dup, source: { input: 3 } }\n  - { name: Tone, source: { tone: { wave: sine } } }\n";
        let mut s = crate::config::parse_session(text, std::path::Path::new("t.yaml")).unwrap();
        let l = port_layout(&s);
        assert_eq!(
            names(&l.inputs),
            vec![
                Some(("in 1", "A:B in")),
                None,
                Some(("in 3", "Vox in")),
                None,
                Some(("in 5", "Keys in L")),
                Some(("in 6", "Keys in R")),
            ]
        );
        // A rename changes what is shown, never the port's name.
        s.tracks[0].name = "Lead".into();
        let renamed = port_layout(&s);
        assert_eq!(
            renamed.inputs[2],
            Some(PortName {
                name: "in 3".into(),
                pretty: "Lead in".into()
            })
        );
        assert_eq!(
            renamed
                .inputs
                .iter()
                .flatten()
                .map(|p| &p.name)
                .collect::<Vec<_>>(),
            l.inputs
                .iter()
                .flatten()
                .map(|p| &p.name)
                .collect::<Vec<_>>()
        );
    }
}
