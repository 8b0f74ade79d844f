//! The hub thread's loop: input from every surface, the changes it caused
//! shown to every surface, the tick.
//!
//! Thread: hub.

use super::engine_watch::EngineWatch;
use super::{
    AudioEvent, HUB_TICK, HubOutcome, IDLE_TICK, RelinkRequest, audio, persist, port_layout,
};
use crate::audio::midi::MidiLink;
use crate::health::{Health, contain};
use crate::mixer::{Feedback, Hub};
use crate::surfaces::{Doorbell, Surface};
use crossbeam::channel::{self, Receiver};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What other threads ask of the hub thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HubRequest {
    /// Save the session to its file now.
    Save,
}

/// What the hub thread owns.
pub(super) struct HubParts {
    /// Requests from other threads (the session manager's save).
    pub(super) requests: Receiver<HubRequest>,
    /// Where renamed strips' port display names go (the JACK supervisor).
    pub(super) live_names: Arc<audio::LivePortNames>,
    pub(super) hub: Hub,
    /// Every surface: OSC, the MIDI surfaces, serial boards.
    pub(super) surfaces: Vec<Box<dyn Surface>>,
    /// Rung by the surfaces' drivers when they have input.
    pub(super) bell: Doorbell,
    /// Where the MIDI link of a rebuilt engine goes (the MIDI surfaces).
    pub(super) midi_links: channel::Sender<Option<MidiLink>>,
    /// Panics caught, refusals, saves.
    pub(super) health: Arc<Health>,
    /// The engine's faults and rebuilds.
    pub(super) watch: EngineWatch,
    /// Autosave, saves asked for, failed saves (none for the demo).
    pub(super) persistence: Option<persist::Persistence>,
}

/// The hub thread: apply what surfaces send as it arrives and show every
/// surface the changes it caused at once; every tick, service the engine
/// link, show the tick's changes and tick every surface; build a new
/// engine when the audio supervisor asks (the JACK server came back).
///
/// It sleeps until a surface's driver rings the doorbell or the next tick
/// is due: every [`HUB_TICK`], every [`IDLE_TICK`] while nothing needs it,
/// and as often as a surface asks to be polled (MIDI surfaces: their
/// queue cannot wake this thread). Input left over from a flood (taken a
/// batch per turn) is taken on the next turn without sleeping. A panic while handling one input or one tick is
/// caught, counted and logged; the hub keeps its state and carries on.
pub(super) fn hub_loop(
    parts: HubParts,
    relinks: Receiver<AudioEvent>,
    stop: &AtomicBool,
) -> HubOutcome {
    let HubParts {
        mut hub,
        mut surfaces,
        bell,
        midi_links,
        health,
        mut watch,
        mut persistence,
        live_names,
        requests,
    } = parts;
    let mut changes: Vec<Feedback> = Vec::new();
    let mut last_tick = Instant::now();
    let mut next_tick = last_tick + HUB_TICK;
    while !stop.load(Ordering::SeqCst) {
        health.hub_turns.fetch_add(1, Ordering::Relaxed);
        // Whatever just arrived may need the hub's full pace again.
        let quiet =
            hub.is_quiet() && watch.is_settled(&hub) && !surfaces.iter().any(|s| s.is_active());
        if !quiet {
            next_tick = next_tick.min(last_tick + HUB_TICK);
        }
        let mut timeout = next_tick.saturating_duration_since(Instant::now());
        for s in surfaces.iter_mut() {
            if let Some(every) = s.poll_every() {
                contain(&health, HubPart(s.name()), || {
                    s.take_input(&mut hub, Instant::now())
                });
                timeout = timeout.min(every);
            }
        }
        show_changes(&mut hub, &mut surfaces, &mut changes, &live_names, &health);
        if !surfaces.iter().any(|s| s.has_input()) {
            bell.wait(timeout);
        }
        for i in 0..surfaces.len() {
            let s = &mut surfaces[i];
            if s.has_input() {
                contain(&health, HubPart(s.name()), || {
                    s.take_input(&mut hub, Instant::now())
                });
                show_changes(&mut hub, &mut surfaces, &mut changes, &live_names, &health);
            }
        }
        let now = Instant::now();
        if now >= next_tick {
            last_tick = next_tick;
            next_tick += if quiet { IDLE_TICK } else { HUB_TICK };
            if next_tick < now {
                last_tick = now;
                next_tick = now + HUB_TICK;
            }
            contain(&health, "faderd-hub (tick)", || {
                while let Ok(event) = relinks.try_recv() {
                    match event {
                        AudioEvent::Relink(req) => relink(&mut hub, &midi_links, &mut watch, req),
                        AudioEvent::Period(frames) => hub.set_period(frames),
                    }
                }
                watch.tick(&mut hub, &health, now);
                while let Ok(request) = requests.try_recv() {
                    match request {
                        HubRequest::Save => hub.request_save(),
                    }
                }
                if let Some(p) = persistence.as_mut() {
                    p.tick(&mut hub, now);
                }
                health
                    .session_dirty
                    .store(hub.is_dirty(), Ordering::Relaxed);
                hub.service();
            });
            show_changes(&mut hub, &mut surfaces, &mut changes, &live_names, &health);
            let meters = hub.read_meters();
            for s in surfaces.iter_mut() {
                contain(&health, HubPart(s.name()), || s.tick(&hub, &meters, now));
            }
            health.set_online(
                surfaces
                    .iter()
                    .fold(crate::health::Online::default(), |n, s| n.plus(s.online())),
            );
        }
    }
    for s in surfaces.iter_mut() {
        s.stop();
    }
    hub.service();
    if let Some(p) = persistence {
        p.finish();
    }
    HubOutcome {
        dirty: hub.is_dirty(),
        position_frames: hub.position_frames(),
        sample_rate: hub.sample_rate(),
        session: hub.session().clone(),
    }
}

/// How a panic in a surface's part of the hub thread is reported
/// ("faderd-hub (OSC packet)"), formatted only if one happens.
struct HubPart(&'static str);

impl std::fmt::Display for HubPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "faderd-hub ({})", self.0)
    }
}

/// Give every surface the changes the hub applied since the last call,
/// once each; a renamed strip's ports get their new display names.
fn show_changes(
    hub: &mut Hub,
    surfaces: &mut [Box<dyn Surface>],
    changes: &mut Vec<Feedback>,
    live_names: &audio::LivePortNames,
    health: &Health,
) {
    hub.take_changes_into(changes);
    if changes.is_empty() {
        return;
    }
    if changes
        .iter()
        .any(|f| f.address.param == crate::mixer::Param::Name)
    {
        live_names.publish(port_layout(hub.session()));
    }
    let now = Instant::now();
    for s in surfaces.iter_mut() {
        contain(health, HubPart(s.name()), || s.show(hub, changes, now));
    }
}

fn relink(
    hub: &mut Hub,
    midi_links: &channel::Sender<Option<MidiLink>>,
    watch: &mut EngineWatch,
    req: RelinkRequest,
) {
    match hub.relink(req.config) {
        Ok(engine) => {
            let _ = midi_links.try_send(req.midi);
            let _ = req.reply.send(watch.slot_for(engine));
        }
        Err(e) => tracing::error!("cannot rebuild the engine for the new audio stream: {e}"),
    }
}
