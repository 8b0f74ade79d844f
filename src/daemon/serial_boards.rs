//! The hub thread's serial fader boards: one link thread per board, their
//! events applied to the hub, and each board's feedback (setpoints, LEDs,
//! pings) sent every tick and right after a change from elsewhere.
//!
//! Thread: hub (the links run on their own threads).

use super::midi_surfaces::FIRST_CLIENT;
use crate::config::{DaemonConfig, SurfaceSetup};
use crate::mixer::{ClientId, Hub, LinkStatus};
use crate::surfaces::serial::SerialSurface;
use crate::surfaces::serial::driver::{LinkEvent, PortPlan, SerialDriver};
use crossbeam::channel::{Receiver, Sender};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[derive(Debug)]
struct Board {
    surface: SerialSurface,
    /// Dropped last: stops the link thread.
    driver: SerialDriver,
    status: Arc<LinkStatus>,
}

/// Every configured serial board.
#[derive(Debug)]
pub struct SerialBoards {
    boards: Vec<Board>,
    events: Receiver<(usize, LinkEvent)>,
}

impl SerialBoards {
    /// True when no serial board is configured.
    pub fn is_empty(&self) -> bool {
        self.boards.is_empty()
    }

    /// Build the boards the config names and start their links (a board
    /// that is not plugged in yet is looked for every second). Their link
    /// counters are shared with `hub` for `/status`.
    pub fn start(
        cfg: &DaemonConfig,
        hub: &mut Hub,
        health: &Arc<crate::health::Health>,
    ) -> Result<SerialBoards, String> {
        let (tx, events): (Sender<(usize, LinkEvent)>, _) = crossbeam::channel::bounded(4096);
        let mut boards = Vec::new();
        for (i, setup) in cfg.surfaces.iter().enumerate() {
            let SurfaceSetup::Serial {
                profile,
                map,
                port,
                baud,
            } = setup
            else {
                continue;
            };
            let surface = SerialSurface::new(profile, map, ClientId(FIRST_CLIENT + i as u32))
                .map_err(|e| e.to_string())?;
            let status = Arc::new(LinkStatus {
                name: profile.name.clone(),
                ..LinkStatus::default()
            });
            let plan = PortPlan {
                name: profile.name.clone(),
                locator: port.clone(),
                baud: *baud,
            };
            let driver = SerialDriver::start(
                boards.len(),
                plan,
                tx.clone(),
                Arc::clone(&status),
                Arc::clone(health),
            )
            .map_err(|e| format!("cannot start the serial link thread: {e}"))?;
            hub.add_link_status(Arc::clone(&status));
            boards.push(Board {
                surface,
                driver,
                status,
            });
        }
        Ok(SerialBoards { boards, events })
    }

    /// Where the hub loop waits for board events.
    pub fn events(&self) -> &Receiver<(usize, LinkEvent)> {
        &self.events
    }

    /// Apply one event from board `i`'s link.
    pub fn handle(&mut self, hub: &mut Hub, (i, event): (usize, LinkEvent), now: Instant) {
        let Some(b) = self.boards.get_mut(i) else {
            return;
        };
        let out = match event {
            LinkEvent::Opened => b.surface.connect(now),
            LinkEvent::Message(m) => b.surface.handle(hub, m, now),
            LinkEvent::Closed(_) => {
                b.surface.disconnect(hub);
                Vec::new()
            }
        };
        b.driver.send(&out);
        b.status
            .online
            .store(b.surface.board().is_some(), Ordering::Relaxed);
    }

    /// Every board's feedback: call each hub tick and after changes from
    /// other surfaces (the setpoint rate is bounded inside).
    pub fn tick(&mut self, hub: &Hub, now: Instant) {
        for b in &mut self.boards {
            let out = b.surface.tick(hub, now);
            b.driver.send(&out);
            b.status
                .online
                .store(b.surface.board().is_some(), Ordering::Relaxed);
        }
    }
}
