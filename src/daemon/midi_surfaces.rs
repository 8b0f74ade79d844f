//! The hub thread's MIDI surfaces, as one [`Surface`]: routes each MIDI
//! packet from the backend's ports to the surface that owns the port,
//! writes what the surfaces answer, and starts a unit's handshake when a
//! device appears on its port (and forgets what it showed when it goes).
//! It owns the backend's MIDI link; a new one (the JACK server came back)
//! arrives on a channel.
//!
//! Thread: hub.

use crate::audio::midi::{MAX_MIDI_MESSAGE, MidiLink};
use crate::config::{DaemonConfig, MapSource, SurfaceSetup};
use crate::health::{Health, RateLimited, Source};
use crate::mixer::{ClientId, Feedback, Hub, MeterFrame};
use crate::surfaces::Surface;
use crate::surfaces::mackie::{MackieSurface, MidiOut, UnitConfig};
use crate::surfaces::midi::MidiMapSurface;
use crate::surfaces::mtc::MtcChase;
use crossbeam::channel::Receiver;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often the hub looks for surface MIDI when MIDI surfaces are
/// configured (the backend's queue cannot wake the hub thread).
pub const MIDI_POLL: Duration = Duration::from_millis(1);

/// Client ids of MIDI surfaces start here (OSC clients count up from 1).
pub(super) const FIRST_CLIENT: u32 = crate::mixer::ClientId::FIRST_CONFIGURED;

/// Every configured MIDI surface, the ports they use, and the link to
/// those ports.
#[derive(Debug)]
pub struct MidiPorts {
    surfaces: MidiSurfaces,
    /// The backend's MIDI ports, when it has them.
    link: Option<MidiLink>,
    /// The link of an engine rebuilt for a new audio stream.
    relinks: Receiver<Option<MidiLink>>,
    health: Arc<Health>,
    /// MIDI refused on the audio thread (empty or too long), counted.
    refused_seen: u64,
    refusals_said: RateLimited,
}

impl MidiPorts {
    /// The surfaces on `link`; a later link comes through `relinks`.
    pub fn new(
        surfaces: MidiSurfaces,
        link: Option<MidiLink>,
        relinks: Receiver<Option<MidiLink>>,
        health: Arc<Health>,
    ) -> MidiPorts {
        MidiPorts {
            surfaces,
            link,
            relinks,
            health,
            refused_seen: 0,
            refusals_said: RateLimited::default(),
        }
    }

    /// Take a new link, if one came.
    fn follow_relinks(&mut self) {
        while let Ok(link) = self.relinks.try_recv() {
            self.link = link;
            self.refused_seen = 0;
        }
    }

    /// Count what the audio thread refused since the last look.
    fn count_refusals(&mut self, now: Instant) {
        let Some(m) = self.link.as_ref() else { return };
        let n = m.stats().refused.load(Ordering::Relaxed);
        if n > self.refused_seen {
            self.health.refuse_many(Source::Midi, n - self.refused_seen);
            self.refused_seen = n;
            if self.refusals_said.hit(now).is_some() {
                tracing::warn!(
                    "midi: {n} message(s) refused so far (empty, or longer than {MAX_MIDI_MESSAGE} bytes)"
                );
            }
        }
    }
}

impl Surface for MidiPorts {
    fn name(&self) -> &'static str {
        "MIDI surfaces"
    }

    fn poll_every(&self) -> Option<Duration> {
        (!self.surfaces.is_empty()).then_some(MIDI_POLL)
    }

    fn take_input(&mut self, hub: &mut Hub, now: Instant) {
        self.follow_relinks();
        if !self.surfaces.is_empty() {
            self.surfaces.poll(hub, self.link.as_mut(), now);
            self.surfaces.chase_tick(hub, now);
        }
    }

    fn show(&mut self, hub: &Hub, changes: &[Feedback], now: Instant) {
        if !self.surfaces.is_empty() {
            self.surfaces.show(hub, self.link.as_mut(), changes, now);
        }
    }

    fn tick(&mut self, hub: &Hub, meters: &MeterFrame, now: Instant) {
        self.follow_relinks();
        if self.surfaces.is_empty() {
            drain_midi(self.link.as_mut());
        } else {
            self.surfaces.tick(hub, self.link.as_mut(), meters, now);
        }
        self.count_refusals(now);
    }

    fn is_active(&self) -> bool {
        !self.surfaces.is_empty() || self.link.is_some()
    }

    fn online(&self) -> crate::health::Online {
        self.surfaces.online()
    }
}

/// Surface MIDI that arrived with no surface configured: logged at debug
/// level so a user can see their controller's bytes arrive.
fn drain_midi(midi: Option<&mut MidiLink>) {
    let Some(midi) = midi else { return };
    while let Some(p) = midi.recv() {
        tracing::debug!("midi in (port {}): {:02x?}", p.port, p.bytes());
    }
}

impl MidiSurfaces {
    /// Mackie units through their handshake, and the generic controllers.
    fn online(&self) -> crate::health::Online {
        use crate::health::{Online, OnlineKind};
        Online::of(
            OnlineKind::Mackie,
            self.mackie.iter().map(MackieSurface::online_units).sum(),
        )
        .plus(Online::of(OnlineKind::Midi, self.controllers.len()))
    }
}

/// Every configured MIDI surface and the ports they use.
#[derive(Debug, Default)]
pub struct MidiSurfaces {
    mackie: Vec<MackieSurface>,
    /// Generic controllers and their port pair.
    controllers: Vec<(u8, MidiMapSurface)>,
    /// Each controller's map name and where it came from (for MIDI learn).
    sources: Vec<(String, MapSource)>,
    /// Port pair -> Mackie surface index.
    owner: Vec<(u8, usize)>,
    /// Whether a device was on each used port at the last look.
    present: Vec<(u8, bool)>,
    /// MIDI Time Code chased from this port.
    mtc: Option<(u8, MtcChase)>,
}

impl MidiSurfaces {
    /// Build the surfaces the config names; port numbers are positions in
    /// `jack.midi_ports`.
    pub fn from_config(cfg: &DaemonConfig) -> Result<MidiSurfaces, String> {
        let mut s = MidiSurfaces::default();
        for (i, setup) in cfg.surfaces.iter().enumerate() {
            match setup {
                SurfaceSetup::Mackie { map, units } => {
                    let mut built = Vec::new();
                    for (profile, midi) in units {
                        let port = cfg
                            .jack
                            .midi_ports
                            .iter()
                            .position(|p| p == midi)
                            .ok_or_else(|| format!("no MIDI port pair '{midi}'"))?
                            as u8;
                        built.push(UnitConfig {
                            profile: profile.clone(),
                            port,
                        });
                        s.owner.push((port, s.mackie.len()));
                        s.present.push((port, false));
                    }
                    let surface = MackieSurface::new(built, map, ClientId(FIRST_CLIENT + i as u32))
                        .map_err(|e| e.to_string())?;
                    s.mackie.push(surface);
                }
                SurfaceSetup::Midi { map, port, source } => {
                    let port = cfg
                        .jack
                        .midi_ports
                        .iter()
                        .position(|p| p == port)
                        .ok_or_else(|| format!("no MIDI port pair '{port}'"))?
                        as u8;
                    let c = MidiMapSurface::new(map, ClientId(FIRST_CLIENT + i as u32))
                        .map_err(|e| e.to_string())?;
                    s.controllers.push((port, c));
                    s.sources.push((map.name.clone(), source.clone()));
                    s.present.push((port, false));
                }
                SurfaceSetup::Serial { .. } => {}
            }
        }
        if let crate::config::SyncSource::Mtc { port } = &cfg.sync {
            let p = cfg
                .jack
                .midi_ports
                .iter()
                .position(|x| x == port)
                .ok_or_else(|| format!("no MIDI port pair '{port}'"))? as u8;
            s.mtc = Some((p, MtcChase::default()));
        }
        Ok(s)
    }

    /// True when no surface (and no MTC input) is configured.
    pub fn is_empty(&self) -> bool {
        self.mackie.is_empty() && self.controllers.is_empty() && self.mtc.is_none()
    }

    /// Handle what arrived, and notice devices coming and going. Call as
    /// often as possible: this is the path from a fader to the mix.
    pub fn poll(&mut self, hub: &mut Hub, midi: Option<&mut MidiLink>, now: Instant) {
        let Some(midi) = midi else {
            // No backend ports (yet): every unit is gone.
            for (port, was) in self.present.iter_mut() {
                if *was {
                    *was = false;
                    for s in self.mackie.iter_mut() {
                        s.disconnect(*port);
                    }
                }
            }
            return;
        };
        let mut out: Vec<MidiOut> = Vec::new();
        for (port, was) in self.present.iter_mut() {
            let is = midi.is_connected(*port);
            if is != *was {
                *was = is;
                tracing::info!(
                    "MIDI surface port {port}: {}",
                    if is {
                        "a device is connected"
                    } else {
                        "the device went away"
                    }
                );
                for s in self.mackie.iter_mut() {
                    if is {
                        out.extend(s.connect(*port, now));
                    } else {
                        s.disconnect(*port);
                    }
                }
                for (p, c) in self.controllers.iter_mut() {
                    if p == port {
                        c.connect();
                    }
                }
            }
        }
        while let Some(p) = midi.recv() {
            if let Some((port, chase)) = self.mtc.as_mut()
                && *port == p.port
            {
                let heard = p.at.map(|a| crate::surfaces::mtc::Heard {
                    clock: a.clock,
                    timeline: a.timeline,
                });
                chase.feed(hub, p.bytes(), heard, now);
                report_sync(hub, chase);
                continue;
            }
            let apply_at = p.at.map(|a| a.apply_at);
            if let Some((_, i)) = self.owner.iter().find(|(port, _)| *port == p.port) {
                let mackie = &mut self.mackie[*i];
                out.extend(
                    hub.at_frame(apply_at, |hub| mackie.handle(hub, p.port, p.bytes(), now)),
                );
            } else if let Some(i) = self
                .controllers
                .iter()
                .position(|(port, _)| *port == p.port)
            {
                if let Some(target) = hub.learn_target() {
                    self.learn(hub, i, p.bytes(), target);
                    continue;
                }
                let (port, c) = &mut self.controllers[i];
                out.extend(
                    hub.at_frame(apply_at, |hub| c.handle(hub, p.bytes()))
                        .into_iter()
                        .map(|bytes| MidiOut { port: *port, bytes }),
                );
            } else {
                tracing::debug!("midi in (port {}): {:02x?}", p.port, p.bytes());
            }
        }
        send(midi, &out);
        self.update_echo(midi);
    }

    /// Motor faders follow the hand fastest when the backend echoes their
    /// moves within the cycle they arrive in: tell it which channels of
    /// which ports (online units' own faders only), and tell the surfaces
    /// whether it does. Called after whatever can bring a unit online or
    /// take it off (a poll, a tick).
    fn update_echo(&mut self, midi: &MidiLink) {
        let mut by_backend = None;
        for s in &self.mackie {
            for (port, channels) in s.echo_channels() {
                by_backend = Some(midi.echo_pitch_bends(port, channels));
            }
        }
        if let Some(by_backend) = by_backend {
            for s in self.mackie.iter_mut() {
                s.set_echoed_by_backend(by_backend);
            }
        }
    }

    /// MIDI learn on controller `i`: bind what it just sent to `target`
    /// and save the binding in its map.
    fn learn(&mut self, hub: &mut Hub, i: usize, bytes: &[u8], target: crate::mixer::Address) {
        let Some(l) = self.controllers[i].1.learn(bytes, target) else {
            return;
        };
        hub.finish_learn();
        let (name, source) = &self.sources[i];
        match crate::config::save_learned(source, name, &l.control, &l.midi, l.address) {
            Ok(path) => tracing::info!(
                "MIDI learn: {} now drives {}; saved in {}",
                l.control,
                l.address,
                path.display()
            ),
            Err(e) => tracing::warn!(
                "MIDI learn: {} now drives {} (this run only): {e}",
                l.control,
                l.address
            ),
        }
    }

    /// The hub's next changes: what the surfaces should now show, sent
    /// without waiting for the tick.
    pub fn show(
        &mut self,
        hub: &Hub,
        midi: Option<&mut MidiLink>,
        changes: &[Feedback],
        now: Instant,
    ) {
        let mut out: Vec<MidiOut> = self
            .mackie
            .iter_mut()
            .flat_map(|s| s.show(hub, changes, now))
            .collect();
        for (port, c) in self.controllers.iter_mut() {
            out.extend(
                c.show(hub, changes)
                    .into_iter()
                    .map(|bytes| MidiOut { port: *port, bytes }),
            );
        }
        if let Some(midi) = midi {
            send(midi, &out);
        }
    }

    /// At each poll: a chased MTC stream that went silent stops the
    /// transport.
    pub fn chase_tick(&mut self, hub: &mut Hub, now: Instant) {
        if let Some((_, chase)) = self.mtc.as_mut() {
            chase.tick(hub, now);
            report_sync(hub, chase);
        }
    }

    /// The hub tick: every surface's feedback.
    pub fn tick(
        &mut self,
        hub: &Hub,
        midi: Option<&mut MidiLink>,
        meters: &MeterFrame,
        now: Instant,
    ) {
        let mut out: Vec<MidiOut> = self
            .mackie
            .iter_mut()
            .flat_map(|s| s.tick(hub, meters, now))
            .collect();
        out.extend(self.controller_feedback(hub));
        if let Some(midi) = midi {
            send(midi, &out);
            // A unit the tick brought online (the handshake fallback).
            self.update_echo(midi);
        }
    }

    fn controller_feedback(&mut self, hub: &Hub) -> Vec<MidiOut> {
        let mut out = Vec::new();
        for (port, c) in self.controllers.iter_mut() {
            out.extend(
                c.tick(hub)
                    .into_iter()
                    .map(|bytes| MidiOut { port: *port, bytes }),
            );
        }
        out
    }
}

fn report_sync(hub: &mut Hub, chase: &MtcChase) {
    let st = chase.status();
    hub.set_sync_report(crate::mixer::SyncReport {
        external: true,
        locked: st.locked,
        lock_latency: st.lock_latency,
        relocates: st.relocates,
    });
}

fn send(midi: &mut MidiLink, out: &[MidiOut]) {
    for m in out {
        if !midi.send(m.port, &m.bytes) {
            tracing::debug!(
                "MIDI out queue full: a message to port {} was dropped",
                m.port
            );
        }
    }
}
