//! Every configured serial board as one [`Surface`]: one link thread per
//! board, their events applied to the hub, and each board's feedback
//! (setpoints, LEDs, pings) sent right after a change it shows and every
//! tick.
//!
//! Thread: hub (the links run on their own threads).

use super::SerialSurface;
use super::driver::{LinkEvent, PortPlan, SerialDriver};
use crate::health::Health;
use crate::health::LinkStatus;
use crate::mixer::{ClientId, Feedback, Hub, MeterFrame};
use crate::model::surface::{ControlMap, SerialLocator, SurfaceProfile};
use crate::surfaces::{Doorbell, Inbox, Surface};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Events taken per call, so a chattering board cannot hold up the tick.
const EVENTS_PER_TURN: usize = 256;

/// One board the configuration names.
#[derive(Debug, Clone)]
pub struct BoardSetup {
    /// What the board is.
    pub profile: SurfaceProfile,
    /// What its controls do.
    pub map: ControlMap,
    /// Where it is.
    pub port: SerialLocator,
    /// Line speed.
    pub baud: u32,
    /// Who it is to the hub.
    pub client: ClientId,
}

#[derive(Debug)]
struct Board {
    surface: SerialSurface,
    /// Dropped last: stops the link thread.
    driver: SerialDriver,
    status: Arc<LinkStatus>,
}

impl Board {
    fn send(&self, out: &[fader_link::ToBoard]) {
        self.driver.send(out);
        self.status
            .online
            .store(self.surface.board().is_some(), Ordering::Relaxed);
    }
}

/// Every configured serial board.
#[derive(Debug)]
pub struct SerialBoards {
    boards: Vec<Board>,
    events: Inbox<(usize, LinkEvent)>,
}

impl SerialBoards {
    /// Start a link for each board (a board that is not plugged in yet is
    /// looked for every second). Their link counters are shared with
    /// surfaces through `health` (`/status`); their messages ring `bell`.
    pub fn start(
        setups: Vec<BoardSetup>,
        health: &Arc<Health>,
        bell: &Doorbell,
    ) -> Result<SerialBoards, String> {
        let (tx, events) = Inbox::<(usize, LinkEvent)>::channel(4096, bell);
        let mut boards = Vec::new();
        for setup in setups {
            let surface = SerialSurface::new(&setup.profile, &setup.map, setup.client)
                .map_err(|e| e.to_string())?;
            let status = Arc::new(LinkStatus {
                name: setup.profile.name.clone(),
                ..LinkStatus::default()
            });
            let plan = PortPlan {
                name: setup.profile.name.clone(),
                locator: setup.port,
                baud: setup.baud,
            };
            let driver = SerialDriver::start(
                boards.len(),
                plan,
                tx.clone(),
                Arc::clone(&status),
                Arc::clone(health),
            )
            .map_err(|e| format!("cannot start the serial link thread: {e}"))?;
            health.add_link_status(Arc::clone(&status));
            boards.push(Board {
                surface,
                driver,
                status,
            });
        }
        Ok(SerialBoards { boards, events })
    }
}

/// Apply one event from board `i`'s link.
fn handle(boards: &mut [Board], hub: &mut Hub, (i, event): (usize, LinkEvent), now: Instant) {
    let Some(b) = boards.get_mut(i) else {
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
    b.send(&out);
}

impl Surface for SerialBoards {
    fn name(&self) -> &'static str {
        "serial board"
    }

    fn has_input(&self) -> bool {
        self.events.has_input()
    }

    fn take_input(&mut self, hub: &mut Hub, now: Instant) {
        let Self { boards, events } = self;
        events.drain(EVENTS_PER_TURN, |e| handle(boards, hub, e, now));
    }

    fn show(&mut self, hub: &Hub, changes: &[Feedback], now: Instant) {
        for b in &mut self.boards {
            let out = b.surface.show(hub, changes, now);
            b.send(&out);
        }
    }

    fn tick(&mut self, hub: &Hub, _meters: &MeterFrame, now: Instant) {
        for b in &mut self.boards {
            let out = b.surface.tick(hub, now);
            b.send(&out);
        }
    }

    fn is_active(&self) -> bool {
        !self.boards.is_empty()
    }

    fn online(&self) -> crate::health::Online {
        let said_hello = self
            .boards
            .iter()
            .filter(|b| b.surface.board().is_some())
            .count();
        crate::health::Online::of(crate::health::OnlineKind::Serial, said_hello)
    }
}
