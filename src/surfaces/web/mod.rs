//! The browser console: the daemon serves a page (every file embedded in
//! the binary) and a WebSocket at `/osc` whose binary messages are the
//! native OSC packets and bundles the UDP surface speaks, byte for byte.
//! Each browser is an OSC client to the same hub-side logic as a tablet:
//! `/subscribe` gives it the state dump and feedback, touch, no-echo and
//! clamping behave as they do over UDP.
//!
//! Thread: hub ([`WebPort`]); the server runs threads of its own.

pub mod assets;
pub mod http;
pub mod server;
pub mod ws;

use crate::mixer::{Feedback, Hub, MeterFrame};
use crate::surfaces::osc::{Datagram, OscStats, OscSurface, SurfaceOptions};
use crate::surfaces::{Doorbell, Inbox, Surface};
pub use server::{Access, Outbox, WebIn, WebServer, WebStats};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// Events the server may queue for the hub thread.
const EVENT_QUEUE: usize = 1024;
/// Events applied per call, so a flood cannot hold up the tick.
const EVENTS_PER_TURN: usize = 64;
/// Feedback bundles may be this large: a WebSocket message has no MTU.
pub const MAX_BUNDLE_BYTES: usize = 16 * 1024;

/// The console's clients as the hub loop drives them.
#[derive(Debug)]
pub struct WebPort {
    surface: OscSurface,
    /// `None` once stopped.
    server: Option<WebServer>,
    events: Inbox<WebIn>,
    clients: HashMap<u32, Client>,
    local: SocketAddr,
}

#[derive(Debug)]
struct Client {
    outbox: Outbox,
    /// Its queue overflowed: nothing more is queued until it drains, then
    /// it is sent the whole mix again (its newest state, whatever it
    /// missed).
    behind: bool,
}

/// The address a connection goes by in the OSC surface: one of its own,
/// in a private IPv6 range no real peer has (the surface keys clients,
/// their subscriptions and their dumps by address).
fn peer_of(id: u32) -> SocketAddr {
    let [a, b, c, d] = id.to_be_bytes();
    let ip = Ipv6Addr::new(
        0xfd00,
        0xfade,
        0,
        0,
        0,
        0,
        u16::from_be_bytes([a, b]),
        u16::from_be_bytes([c, d]),
    );
    SocketAddr::new(IpAddr::V6(ip), 1)
}

/// The connection a feedback address belongs to.
fn id_of(to: SocketAddr) -> Option<u32> {
    match to.ip() {
        IpAddr::V6(ip) => {
            let s = ip.segments();
            (s[..6] == [0xfd00, 0xfade, 0, 0, 0, 0])
                .then(|| (u32::from(s[6]) << 16) | u32::from(s[7]))
        }
        IpAddr::V4(_) => None,
    }
}

impl WebPort {
    /// Listen on `addr` for the hosts and pages `access` lets in; events
    /// ring `bell`.
    pub fn start(
        addr: SocketAddr,
        access: Access,
        options: SurfaceOptions,
        health: Arc<crate::health::Health>,
        bell: &Doorbell,
    ) -> std::io::Result<WebPort> {
        let (tx, events) = Inbox::channel(EVENT_QUEUE, bell);
        let server = WebServer::start(addr, access, tx)?;
        let surface = OscSurface::new(
            SurfaceOptions {
                max_datagram: MAX_BUNDLE_BYTES,
                static_clients: Vec::new(),
                first_client: crate::mixer::ClientId::FIRST_WEB,
                ..options
            },
            Arc::new(OscStats::default()),
            health,
        );
        Ok(WebPort {
            surface,
            local: server.local_addr(),
            server: Some(server),
            events,
            clients: HashMap::new(),
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The server's counters.
    pub fn stats(&self) -> Option<&Arc<WebStats>> {
        self.server.as_ref().map(WebServer::stats)
    }

    /// Queue feedback for the connections it is for.
    fn send(clients: &mut HashMap<u32, Client>, datagrams: Vec<Datagram>) {
        for d in datagrams {
            let Some(client) = id_of(d.to).and_then(|id| clients.get_mut(&id)) else {
                continue;
            };
            if client.behind {
                continue;
            }
            if !client.outbox.offer(ws::binary(&d.bytes)) {
                client.behind = true;
                tracing::info!(
                    "web: client {} fell behind (its queue is full); it gets the whole mix again when it catches up",
                    id_of(d.to).unwrap_or_default()
                );
            }
        }
    }
}

impl Surface for WebPort {
    fn name(&self) -> &'static str {
        "web console"
    }

    fn has_input(&self) -> bool {
        self.events.has_input()
    }

    fn take_input(&mut self, hub: &mut Hub, now: Instant) {
        let Self {
            events,
            surface,
            clients,
            ..
        } = self;
        events.drain(EVENTS_PER_TURN, |e| match e {
            WebIn::Open { id, outbox, .. } => {
                clients.insert(
                    id,
                    Client {
                        outbox,
                        behind: false,
                    },
                );
            }
            WebIn::Packet { id, commands } => {
                let replies = surface.handle(hub, peer_of(id), commands, now);
                Self::send(clients, replies);
            }
            WebIn::Alive { id } => {
                surface.handle(hub, peer_of(id), Vec::new(), now);
            }
            WebIn::Closed { id } => {
                clients.remove(&id);
                surface.forget(peer_of(id));
            }
        });
    }

    fn show(&mut self, _hub: &Hub, changes: &[Feedback], _now: Instant) {
        self.surface.show(changes);
    }

    fn tick(&mut self, hub: &Hub, meters: &MeterFrame, now: Instant) {
        // A client that fell behind and has caught up: the whole mix
        // again, from this tick on.
        for (id, c) in &mut self.clients {
            // A queue filling up: meters go first, controls keep flowing.
            let filling = c.outbox.queued() > server::OUTBOX_FRAMES / 4;
            self.surface.pause_meters(peer_of(*id), filling);
            if c.behind && c.outbox.is_empty() {
                c.behind = false;
                tracing::info!("web: client {id} caught up; sending it the whole mix");
                self.surface.resync(peer_of(*id));
            }
        }
        let datagrams = self.surface.tick(hub, meters, now);
        Self::send(&mut self.clients, datagrams);
    }

    fn is_active(&self) -> bool {
        self.surface.subscribers() > 0
    }

    fn online(&self) -> crate::health::Online {
        crate::health::Online::of(
            crate::health::OnlineKind::Consoles,
            self.surface.subscribers(),
        )
    }

    fn stop(&mut self) {
        self.clients.clear();
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_connection_has_an_address_of_its_own_that_leads_back_to_it() {
        for id in [1, 2, 65_535, 65_536, u32::MAX] {
            assert_eq!(id_of(peer_of(id)), Some(id));
        }
        assert_ne!(peer_of(1), peer_of(2));
        assert_eq!(id_of("127.0.0.1:1".parse().unwrap()), None);
        assert_eq!(id_of("[fd00:fade::1:0:1]:1".parse().unwrap()), None);
    }
}
