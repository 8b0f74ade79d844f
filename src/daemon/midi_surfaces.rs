//! The hub thread's MIDI surfaces: routes each MIDI packet from the
//! backend's ports to the surface that owns the port, writes what the
//! surfaces answer, and starts a unit's handshake when a device appears on
//! its port (and forgets what it showed when it goes).
//!
//! Thread: hub.

use crate::audio::midi::MidiLink;
use crate::config::{DaemonConfig, SurfaceSetup};
use crate::mixer::{ClientId, Feedback, Hub, MeterFrame};
use crate::surfaces::mackie::{MackieSurface, MidiOut, UnitConfig};
use std::time::Instant;

/// Client ids of MIDI surfaces start here (OSC clients count up from 1).
const FIRST_CLIENT: u32 = 1_000_000;

/// Every configured MIDI surface and the ports they use.
#[derive(Debug, Default)]
pub struct MidiSurfaces {
    mackie: Vec<MackieSurface>,
    /// Port pair -> (surface index).
    owner: Vec<(u8, usize)>,
    /// Whether a device was on each used port at the last look.
    present: Vec<(u8, bool)>,
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
            }
        }
        Ok(s)
    }

    /// True when no surface is configured.
    pub fn is_empty(&self) -> bool {
        self.mackie.is_empty()
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
                for s in self.mackie.iter_mut() {
                    if is {
                        tracing::info!("MIDI surface port {port}: a device is connected");
                        out.extend(s.connect(*port, now));
                    } else {
                        tracing::info!("MIDI surface port {port}: the device went away");
                        s.disconnect(*port);
                    }
                }
            }
        }
        while let Some(p) = midi.recv() {
            match self.owner.iter().find(|(port, _)| *port == p.port) {
                Some((_, i)) => out.extend(self.mackie[*i].handle(hub, p.port, p.bytes(), now)),
                None => tracing::debug!("midi in (port {}): {:02x?}", p.port, p.bytes()),
            }
        }
        send(midi, &out);
    }

    /// Right after a change from elsewhere (OSC): what the surfaces should
    /// now show, without waiting for the tick.
    pub fn flush(&mut self, hub: &Hub, midi: Option<&mut MidiLink>, now: Instant) {
        let out: Vec<MidiOut> = self
            .mackie
            .iter_mut()
            .flat_map(|s| s.flush(hub, now))
            .collect();
        if let Some(midi) = midi {
            send(midi, &out);
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
        let out: Vec<MidiOut> = self
            .mackie
            .iter_mut()
            .flat_map(|s| s.tick(hub, changed, meters, now))
            .collect();
        if let Some(midi) = midi {
            send(midi, &out);
        }
    }
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
