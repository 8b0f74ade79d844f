//! The OSC driver: a UDP socket whose receive side runs on its own thread
//! (decoding datagrams and passing them to the hub thread) and whose send
//! side the hub thread uses for feedback. Binds loopback unless told
//! otherwise; when open to a network, an allow-list can limit who may talk.

use super::codec::{Datagram, MAX_PACKET_BYTES, OscCommand, OscError, decode};
use crate::health::{Health, Source, contain};
use crate::mixer::Address;
use crate::surfaces::Post;
use crossbeam::channel::TrySendError;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters the OSC surface publishes.
#[derive(Debug, Default)]
pub struct OscStats {
    /// Messages applied.
    pub accepted: AtomicU64,
    /// Messages refused (malformed, unknown address, bad arguments, not
    /// allowed, out of range).
    pub rejected: AtomicU64,
    /// Feedback datagrams sent.
    pub sent: AtomicU64,
    /// Datagrams that waited in the listener because the hub's queue was
    /// full (an older value for the same control among them is dropped).
    pub waited: AtomicU64,
}

/// One received datagram, decoded, for the hub thread.
#[derive(Debug, Clone, PartialEq)]
pub struct OscPacketIn {
    /// Who sent it.
    pub from: SocketAddr,
    /// Its messages, in order.
    pub commands: Vec<Result<OscCommand, OscError>>,
}

/// Hosts allowed to talk to a listener that is open to a network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowList {
    nets: Vec<(IpAddr, u8)>,
}

impl AllowList {
    /// Allow these networks (address, prefix length). An empty list allows
    /// everyone.
    pub fn new(nets: Vec<(IpAddr, u8)>) -> AllowList {
        AllowList { nets }
    }

    /// True when `ip` may send: loopback always, else a listed network, or
    /// anyone when the list is empty.
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.nets.is_empty() || ip.is_loopback() {
            return true;
        }
        self.nets.iter().any(|&(net, bits)| in_net(ip, net, bits))
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let mask = |width: u32| -> u128 {
        if bits == 0 {
            0
        } else {
            (!0u128) << (width - u32::from(bits))
        }
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = mask(32) as u32;
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = mask(128);
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

/// A running OSC listener.
#[derive(Debug)]
pub struct OscDriver {
    socket: UdpSocket,
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<OscStats>,
    send_errors: Warnings,
}

impl OscDriver {
    /// Bind `addr` and start listening; decoded datagrams go to `to_hub`.
    /// The listener is supervised: a panic while handling one datagram is
    /// counted in `health`, logged, and the listener carries on with its
    /// state (only that datagram is lost).
    pub fn start(
        addr: SocketAddr,
        allow: AllowList,
        to_hub: Post<OscPacketIn>,
        health: Arc<Health>,
    ) -> std::io::Result<OscDriver> {
        let socket = bind_udp(addr)?;
        socket.set_read_timeout(Some(IDLE_WAIT))?;
        let local = socket.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(OscStats::default());
        let receiver = socket.try_clone()?;
        let mut listener = Listener {
            socket: receiver,
            allow,
            to_hub,
            stop: Arc::clone(&stop),
            stats: Arc::clone(&stats),
            health: Arc::clone(&health),
            buf: vec![0u8; MAX_PACKET_BYTES],
            warnings: Warnings::default(),
            pending: Pending::default(),
        };
        let thread = std::thread::Builder::new()
            .name("faderd-osc".into())
            .spawn(move || {
                while contain(&health, "faderd-osc", || listener.run()).is_none() {
                    // Carry on with what was pending, re-indexed.
                    listener.pending.reindex();
                }
            })?;
        Ok(OscDriver {
            socket,
            local,
            stop,
            thread: Some(thread),
            stats,
            send_errors: Warnings::default(),
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

    /// Send feedback datagrams (hub thread). A client that went away is
    /// logged, rate-limited; nothing else happens.
    pub fn send(&mut self, datagrams: &[Datagram]) {
        for d in datagrams {
            match self.socket.send_to(&d.bytes, d.to) {
                Ok(_) => {
                    self.stats.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => self.send_errors.refused(d.to, &format!("send failed: {e}")),
            }
        }
    }

    /// Stop listening.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the listener from its wait with an empty datagram to itself
        // (if that cannot be sent, it notices within IDLE_WAIT).
        let mut own = self.local;
        if own.ip().is_unspecified() {
            own.set_ip(match own {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = self.socket.send_to(&[], own);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How long the listener waits for a datagram before it looks at its stop
/// flag (stopping also wakes it at once): an idle listener wakes once a
/// second.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How soon the listener tries again to hand the hub what it held back
/// while the hub's queue was full.
const RETRY_WAIT: Duration = Duration::from_millis(2);

/// Receive buffer asked of the kernel: ~50 ms of a 20,000 message/s flood
/// even when the whole buffer holds small datagrams (the kernel may grant
/// less: it caps at net.core.rmem_max).
pub const RECEIVE_BUFFER_BYTES: usize = 1 << 20;

fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES) {
        tracing::debug!("osc: cannot enlarge the receive buffer: {e}");
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Rate-limited warnings: one line per second at most, with the count of
/// those not printed.
#[derive(Debug, Default)]
pub(crate) struct Warnings(crate::health::RateLimited);

impl Warnings {
    pub(crate) fn refused(&mut self, from: SocketAddr, reason: &str) {
        if let Some(n) = self.0.hit(Instant::now()) {
            tracing::warn!("osc: {from}: {reason} ({n} refused since the last report)");
        }
    }
}

/// Messages waiting while the hub's queue is full, newest value per control
/// (a fader flood collapses to its last position; nothing else is dropped).
#[derive(Debug, Default)]
struct Pending {
    packets: Vec<OscPacketIn>,
    latest: HashMap<(SocketAddr, Address), (usize, usize)>,
}

impl Pending {
    fn push(&mut self, mut packet: OscPacketIn) {
        let index = self.packets.len();
        for k in 0..packet.commands.len() {
            let Ok(OscCommand::Set { address, .. }) = &packet.commands[k] else {
                continue;
            };
            let Some((pi, ci)) = self.latest.insert((packet.from, *address), (index, k)) else {
                continue;
            };
            // An older value for the same control: superseded, whether it
            // waits in an earlier packet or earlier in this one.
            let older = if pi == index {
                packet.commands.get_mut(ci)
            } else {
                self.packets
                    .get_mut(pi)
                    .and_then(|p| p.commands.get_mut(ci))
            };
            if let Some(c) = older {
                *c = Err(OscError::Superseded);
            }
        }
        self.packets.push(packet);
    }

    /// Rebuild the index from the packets (after a panic left it unsure).
    fn reindex(&mut self) {
        self.latest.clear();
        for p in std::mem::take(&mut self.packets) {
            self.push(p);
        }
    }

    /// Hand over as much as fits; true when everything went.
    fn flush(&mut self, to_hub: &Post<OscPacketIn>) -> Result<bool, ()> {
        self.latest.clear();
        let mut queued = std::mem::take(&mut self.packets).into_iter();
        for mut p in queued.by_ref() {
            p.commands.retain(|c| *c != Err(OscError::Superseded));
            if p.commands.is_empty() {
                continue;
            }
            match to_hub.try_send(p) {
                Ok(()) => {}
                Err(TrySendError::Full(p)) => {
                    self.push(p);
                    break;
                }
                Err(TrySendError::Disconnected(_)) => return Err(()),
            }
        }
        // What did not fit waits, re-indexed for coalescing.
        for p in queued {
            self.push(p);
        }
        Ok(self.packets.is_empty())
    }
}

/// The receiving side: its state outlives a panic in [`Listener::run`].
struct Listener {
    socket: UdpSocket,
    allow: AllowList,
    to_hub: Post<OscPacketIn>,
    stop: Arc<AtomicBool>,
    stats: Arc<OscStats>,
    health: Arc<Health>,
    buf: Vec<u8>,
    warnings: Warnings,
    pending: Pending,
}

impl Listener {
    /// Receive until stopped or the hub is gone.
    fn run(&mut self) {
        while !self.stop.load(Ordering::Relaxed) {
            if !self.pending.packets.is_empty() {
                match self.pending.flush(&self.to_hub) {
                    Err(()) => return,
                    Ok(all) => {
                        let wait = if all { IDLE_WAIT } else { RETRY_WAIT };
                        let _ = self.socket.set_read_timeout(Some(wait));
                    }
                }
            }
            let (len, from) = match self.socket.recv_from(&mut self.buf) {
                Ok(x) => x,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            // A receive with a timeout is not restarted
                            // after the daemon is stopped and continued
                            // (Ctrl-Z, `fg`): nothing was refused.
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    continue;
                }
                Err(e) => {
                    // ICMP "port unreachable" from a client that left shows
                    // up here on some systems; it is not our socket's failure.
                    self.warnings
                        .refused(SocketAddr::from(([0, 0, 0, 0], 0)), &e.to_string());
                    continue;
                }
            };
            if self.stop.load(Ordering::Relaxed) {
                // The wake-up datagram of `OscDriver::stop` (or one that
                // came with it): nothing more is handled.
                return;
            }
            if !self.allow.allows(from.ip()) {
                self.stats.rejected.fetch_add(1, Ordering::Relaxed);
                self.warnings.refused(from, "host not in osc.allow");
                continue;
            }
            let commands = decode(&self.buf[..len]);
            #[cfg(debug_assertions)]
            if crate::health::test_faults_enabled()
                && commands.contains(&Ok(OscCommand::InjectFault(
                    super::codec::FaultSite::Listener,
                )))
            {
                panic!("a fault injected by a test");
            }
            if let [Err(e)] = commands.as_slice()
                && e.is_bound()
            {
                self.health.refuse(Source::Osc);
                self.stats.rejected.fetch_add(1, Ordering::Relaxed);
                self.warnings.refused(from, &e.to_string());
                continue;
            }
            let packet = OscPacketIn { from, commands };
            if packet.commands.is_empty() {
                continue;
            }
            if !self.pending.packets.is_empty() {
                self.stats.waited.fetch_add(1, Ordering::Relaxed);
                self.pending.push(packet);
                continue;
            }
            match self.to_hub.try_send(packet) {
                Ok(()) => {}
                Err(TrySendError::Full(p)) => {
                    self.stats.waited.fetch_add(1, Ordering::Relaxed);
                    self.pending.push(p);
                    let _ = self.socket.set_read_timeout(Some(RETRY_WAIT));
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surfaces::{Doorbell, Inbox};

    #[test]
    fn allow_list_matches_hosts_and_networks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let a = AllowList::new(vec![(ip("192.168.1.0"), 24), (ip("10.0.0.7"), 32)]);
        assert!(a.allows("192.168.1.99".parse().unwrap()));
        assert!(a.allows("10.0.0.7".parse().unwrap()));
        assert!(a.allows("127.0.0.1".parse().unwrap()));
        assert!(!a.allows("192.168.2.1".parse().unwrap()));
        assert!(!a.allows("10.0.0.8".parse().unwrap()));
        assert!(AllowList::default().allows("8.8.8.8".parse().unwrap()));
        assert!(AllowList::new(vec![(ip("0.0.0.0"), 0)]).allows(ip("8.8.8.8")));
        assert!(!a.allows(ip("::2")));
    }

    /// `/strip/1/fader x` as decoded.
    fn set(x: f64) -> Result<OscCommand, OscError> {
        Ok(OscCommand::Set {
            address: Address::parse("strip/1/fader").unwrap(),
            value: crate::mixer::Value::Float(x),
        })
    }

    #[test]
    fn pending_keeps_only_the_newest_value_per_control() {
        let from: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut p = Pending::default();
        for i in 0..100 {
            p.push(OscPacketIn {
                from,
                commands: vec![set(f64::from(i) / 100.0)],
            });
        }
        p.push(OscPacketIn {
            from,
            commands: vec![Ok(OscCommand::Status)],
        });
        let (tx, mut rx) = Inbox::channel(10, &Doorbell::default());
        assert_eq!(p.flush(&tx), Ok(true));
        let mut got = Vec::new();
        rx.drain(10, |m| got.push(m));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].commands, vec![set(0.99)]);
        assert_eq!(got[1].commands, vec![Ok(OscCommand::Status)]);
    }

    #[test]
    fn one_packet_setting_a_control_twice_while_pending_keeps_the_last() {
        let from: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut p = Pending::default();
        p.push(OscPacketIn {
            from,
            commands: vec![set(0.1)],
        });
        p.push(OscPacketIn {
            from,
            commands: vec![set(0.2), set(0.3), Ok(OscCommand::Status), set(0.4)],
        });
        let (tx, mut rx) = Inbox::channel(10, &Doorbell::default());
        assert_eq!(p.flush(&tx), Ok(true));
        let mut got = Vec::new();
        rx.drain(10, |p: OscPacketIn| got.push(p.commands));
        assert_eq!(got, vec![vec![Ok(OscCommand::Status), set(0.4)]]);
    }
}
