//! The OSC surface as the hub loop drives it: the UDP driver, the packets
//! it decoded, and the hub-side state that answers them.
//!
//! Thread: hub (the driver's listener runs on its own thread).

use super::driver::{AllowList, OscDriver, OscPacketIn, OscStats};
use super::surface::{OscSurface, SurfaceOptions};
use crate::health::Health;
use crate::mixer::{Feedback, Hub, MeterFrame};
use crate::surfaces::{Doorbell, Inbox, Surface};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Datagrams the listener may queue for the hub thread.
const PACKET_QUEUE: usize = 4096;
/// Datagrams applied per call, so a flood cannot hold up the tick.
const PACKETS_PER_TURN: usize = 64;

/// OSC on one UDP socket.
#[derive(Debug)]
pub struct OscPort {
    surface: OscSurface,
    /// `None` once stopped.
    driver: Option<OscDriver>,
    packets: Inbox<OscPacketIn>,
    local: SocketAddr,
    stats: Arc<OscStats>,
}

impl OscPort {
    /// Bind `addr` and start listening to the hosts `allow` lets in;
    /// datagrams ring `bell`.
    pub fn start(
        addr: SocketAddr,
        allow: AllowList,
        options: SurfaceOptions,
        health: Arc<Health>,
        bell: &Doorbell,
    ) -> std::io::Result<OscPort> {
        let (tx, packets) = Inbox::<OscPacketIn>::channel(PACKET_QUEUE, bell);
        let driver = OscDriver::start(addr, allow, tx, Arc::clone(&health))?;
        let stats = Arc::clone(driver.stats());
        let surface = OscSurface::new(options, Arc::clone(&stats), health);
        Ok(OscPort {
            surface,
            local: driver.local_addr(),
            driver: Some(driver),
            packets,
            stats,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Counters.
    pub fn stats(&self) -> &Arc<OscStats> {
        &self.stats
    }

    fn send(&mut self, datagrams: &[super::Datagram]) {
        if let Some(d) = self.driver.as_mut() {
            d.send(datagrams);
        }
    }
}

impl Surface for OscPort {
    fn name(&self) -> &'static str {
        "OSC packet"
    }

    fn has_input(&self) -> bool {
        self.packets.has_input()
    }

    fn take_input(&mut self, hub: &mut Hub, now: Instant) {
        let Self {
            packets,
            surface,
            driver,
            ..
        } = self;
        packets.drain(PACKETS_PER_TURN, |p| {
            let replies = surface.handle(hub, p.from, p.commands, now);
            if let Some(d) = driver.as_mut() {
                d.send(&replies);
            }
        });
    }

    fn show(&mut self, _hub: &Hub, changes: &[Feedback], _now: Instant) {
        self.surface.show(changes);
    }

    fn tick(&mut self, hub: &Hub, meters: &MeterFrame, now: Instant) {
        let datagrams = self.surface.tick(hub, meters, now);
        self.send(&datagrams);
    }

    fn is_active(&self) -> bool {
        self.surface.subscribers() > 0
    }

    fn online(&self) -> crate::health::Online {
        crate::health::Online::of(crate::health::OnlineKind::Osc, self.surface.subscribers())
    }

    fn stop(&mut self) {
        if let Some(d) = self.driver.take() {
            d.stop();
        }
    }
}
