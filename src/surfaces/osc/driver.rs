//! The OSC driver: a UDP socket on its own thread, decoding datagrams and
//! passing intents to the hub. Binds loopback unless told otherwise.

use super::codec::decode;
use crate::mixer::{ClientId, Intent, Origin};
use crossbeam::channel::{Sender, TrySendError};
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters the driver publishes.
#[derive(Debug, Default)]
pub struct OscStats {
    /// Messages passed to the hub.
    pub accepted: AtomicU64,
    /// Messages refused (malformed, unknown address, bad arguments, hub busy).
    pub rejected: AtomicU64,
}

/// A running OSC listener.
#[derive(Debug)]
pub struct OscDriver {
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<OscStats>,
}

impl OscDriver {
    /// Bind `addr` and start listening; intents go to `to_hub`.
    pub fn start(addr: SocketAddr, to_hub: Sender<Intent>) -> std::io::Result<OscDriver> {
        let socket = UdpSocket::bind(addr)?;
        socket.set_read_timeout(Some(Duration::from_millis(100)))?;
        let local = socket.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(OscStats::default());
        let (stop_t, stats_t) = (Arc::clone(&stop), Arc::clone(&stats));
        let thread = std::thread::Builder::new()
            .name("faderd-osc".into())
            .spawn(move || listen(&socket, &to_hub, &stop_t, &stats_t))?;
        Ok(OscDriver {
            local,
            stop,
            thread: Some(thread),
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

    /// Stop listening.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn listen(socket: &UdpSocket, to_hub: &Sender<Intent>, stop: &AtomicBool, stats: &OscStats) {
    let mut buf = vec![0u8; 65_536];
    let mut clients: HashMap<SocketAddr, ClientId> = HashMap::new();
    let mut last_warning = Instant::now() - Duration::from_secs(10);
    let mut unreported = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => {
                tracing::warn!("osc: receive failed: {e}");
                continue;
            }
        };
        let next_id = ClientId(clients.len() as u32 + 1);
        let origin = Origin::Client(*clients.entry(from).or_insert(next_id));
        for item in decode(&buf[..len]) {
            let refused = match item {
                Ok(m) => match to_hub.try_send(Intent {
                    origin,
                    address: m.address,
                    value: m.value,
                }) {
                    Ok(()) => None,
                    Err(TrySendError::Full(_)) => Some("hub busy, message dropped".to_owned()),
                    Err(TrySendError::Disconnected(_)) => return,
                },
                Err(e) => Some(e.to_string()),
            };
            match refused {
                None => {
                    stats.accepted.fetch_add(1, Ordering::Relaxed);
                }
                Some(reason) => {
                    stats.rejected.fetch_add(1, Ordering::Relaxed);
                    unreported += 1;
                    // Rate-limited: one line per second at most.
                    if last_warning.elapsed() >= Duration::from_secs(1) {
                        tracing::warn!(
                            "osc: refused from {from}: {reason} ({unreported} refused since the last report)"
                        );
                        last_warning = Instant::now();
                        unreported = 0;
                    }
                }
            }
        }
    }
}
