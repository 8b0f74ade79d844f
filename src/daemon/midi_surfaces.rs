//! The hub thread's MIDI surfaces: routes each MIDI packet from the
//! backend's ports to the surface that owns the port, writes what the
//! surfaces answer, and starts a unit's handshake when a device appears on
//! its port (and forgets what it showed when it goes).
//!
//! Thread: hub.

use crate::audio::midi::MidiLink;
use crate::config::{DaemonConfig, MapSource, SurfaceSetup};
use crate::mixer::{ClientId, Feedback, Hub, MeterFrame};
use crate::surfaces::mackie::{MackieSurface, MidiOut, UnitConfig};
use crate::surfaces::midi::MidiMapSurface;
use crate::surfaces::mtc::MtcChase;
use std::time::Instant;

/// Client ids of MIDI surfaces start here (OSC clients count up from 1).
pub(super) const FIRST_CLIENT: u32 = 1_000_000;

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

    /// Right after a change from elsewhere (OSC): what the surfaces should
    /// now show, without waiting for the tick.
    pub fn flush(&mut self, hub: &Hub, midi: Option<&mut MidiLink>, now: Instant) {
        let mut out: Vec<MidiOut> = self
            .mackie
            .iter_mut()
            .flat_map(|s| s.flush(hub, now))
            .collect();
        out.extend(self.controller_feedback(hub));
        if let Some(midi) = midi {
            send(midi, &out);
        }
    }

    /// The hub tick, before feedback: a chased MTC stream that went silent
    /// stops the transport.
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
        changed: &[Feedback],
        meters: &MeterFrame,
        now: Instant,
    ) {
        let mut out: Vec<MidiOut> = self
            .mackie
            .iter_mut()
            .flat_map(|s| s.tick(hub, changed, meters, now))
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
