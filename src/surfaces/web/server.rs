//! The console's server: HTTP for the embedded page, WebSocket for the
//! OSC packets it exchanges with the hub. Plain threads and blocking
//! sockets, no async runtime: one thread accepts, each connection gets a
//! reader (frames in, to the hub) and, once it is a WebSocket, a writer
//! (frames out, from the hub, and the pings that find dead clients).
//!
//! Who may connect: peers the allow-list lets in (loopback always), and
//! for the WebSocket a page of this server's own origin (or of an origin
//! the config lists), on a host name that is this server's when it
//! listens on loopback (a page elsewhere that renamed itself to this
//! address must not reach the mixer), with the access token when one is
//! set.
//!
//! Thread: its own threads; the hub thread only posts frames to a
//! client's bounded queue ([`Outbox`]) and never waits on a socket.

use super::assets;
use super::http::{self, HeadError, Request};
use super::ws::{self, FrameReader, Incoming};
use crate::surfaces::Post;
use crate::surfaces::osc::{AllowList, OscCommand, OscError, decode};
use crossbeam::channel::{self, Receiver, RecvTimeoutError, Sender, TrySendError};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The largest OSC packet a client may send in one message.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Frames waiting for one client before it counts as stalled: about a
/// second of feedback at the hub's pace. A client further behind than
/// that is better sent the mix as it is now than everything it missed.
pub const OUTBOX_FRAMES: usize = 64;
/// The kernel's send buffer for one client: plenty for a LAN's round
/// trip at the console's rate, and bounded, so a client that stops
/// reading is noticed within about a second, not after megabytes.
const SEND_BUFFER_BYTES: usize = 64 * 1024;
/// A ping goes to a client this long after its last frame out.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// A client that has sent nothing (not even a pong) this long is dropped.
pub const DEAD_AFTER: Duration = Duration::from_secs(20);
/// A client that takes no bytes for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Who may use the console, and how many at once.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Peers allowed when listening beyond loopback (loopback always).
    pub allow: AllowList,
    /// When set, a WebSocket must give it (`?token=...`).
    pub token: Option<String>,
    /// Origins besides the server's own whose pages may connect.
    pub origins: Vec<String>,
    /// WebSocket clients at once.
    pub max_clients: usize,
}

/// Counters the server publishes.
#[derive(Debug, Default)]
pub struct WebStats {
    /// Pages and files served.
    pub served: AtomicU64,
    /// Requests and connections refused (not allowed, malformed, full).
    pub refused: AtomicU64,
    /// WebSocket clients connected now.
    pub clients: AtomicUsize,
    /// WebSocket clients dropped for breaking the protocol, stalling or
    /// going silent.
    pub dropped: AtomicU64,
}

/// What a connection tells the hub thread.
#[derive(Debug)]
pub enum WebIn {
    /// A WebSocket client connected; frames for it go to `outbox`.
    Open {
        /// The connection.
        id: u32,
        /// Where it connected from.
        peer: SocketAddr,
        /// Its queue of frames out.
        outbox: Outbox,
    },
    /// One OSC packet, decoded.
    Packet {
        /// The connection.
        id: u32,
        /// Its messages, in order.
        commands: Vec<Result<OscCommand, OscError>>,
    },
    /// The client answered a ping (it is alive, though it said nothing).
    Alive {
        /// The connection.
        id: u32,
    },
    /// The connection is gone.
    Closed {
        /// The connection.
        id: u32,
    },
}

/// One client's queue of frames out: bounded, so a client that stops
/// reading fills it and is then resynchronised rather than buffered
/// without end (see the hub side).
#[derive(Debug, Clone)]
pub struct Outbox(Sender<Vec<u8>>);

impl Outbox {
    /// Queue `frame`; false when the queue is full (or the client gone).
    pub fn offer(&self, frame: Vec<u8>) -> bool {
        match self.0.try_send(frame) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// Nothing waits in the queue.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Frames waiting.
    pub fn queued(&self) -> usize {
        self.0.len()
    }
}

/// A running server.
#[derive(Debug)]
pub struct WebServer {
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<WebStats>,
    open: Arc<Mutex<Vec<(u32, TcpStream)>>>,
}

/// What every connection's threads share.
struct Shared {
    access: Access,
    local: SocketAddr,
    to_hub: Post<WebIn>,
    stats: Arc<WebStats>,
    next_id: AtomicU32,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<(u32, TcpStream)>>>,
}

impl WebServer {
    /// Listen on `addr`; clients' packets go to `to_hub`.
    pub fn start(addr: SocketAddr, access: Access, to_hub: Post<WebIn>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(WebStats::default());
        let open = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            access,
            local,
            to_hub,
            stats: Arc::clone(&stats),
            next_id: AtomicU32::new(1),
            stop: Arc::clone(&stop),
            open: Arc::clone(&open),
        });
        let thread = std::thread::Builder::new()
            .name("faderd-web".into())
            .spawn(move || accept_loop(&listener, &shared))?;
        Ok(WebServer {
            local,
            stop,
            thread: Some(thread),
            stats,
            open,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Counters.
    pub fn stats(&self) -> &Arc<WebStats> {
        &self.stats
    }

    /// Stop accepting and close every connection.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept with a connection to itself.
        let mut own = self.local;
        if own.ip().is_unspecified() {
            own.set_ip(match own {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&own, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        for (_, s) in lock(&self.open).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    // Warnings of the accept loop: a line a second at most.
    let mut said = crate::health::RateLimited::default();
    let mut warn = |what: String| {
        if let Some(n) = said.hit(std::time::Instant::now()) {
            tracing::warn!("{what} ({n} since the last report)");
        }
    };
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                warn(format!("web: cannot accept a connection: {e}"));
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        if !shared.access.allow.allows(peer.ip()) {
            shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            warn(format!("web: {peer}: host not in osc.allow"));
            continue;
        }
        let shared = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("faderd-web-conn".into())
            .spawn(move || serve(stream, peer, &shared));
        if let Err(e) = spawned {
            warn(format!("web: cannot start a connection's thread: {e}"));
        }
    }
}

/// One connection: its request, then a file or a WebSocket session.
fn serve(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(HEAD_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER_BYTES);
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let head_end = loop {
        if let Some(n) = http::head_len(&buf) {
            break n;
        }
        if buf.len() > http::MAX_HEAD_BYTES {
            refuse(&mut stream, shared, 431, "request head too large");
            return;
        }
        match stream.read(&mut chunk) {
            // (A read with a timeout is not restarted after the daemon is
            // stopped and continued, as by Ctrl-Z and `fg`.)
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let request = match http::parse_head(&buf[..head_end]) {
        Ok(r) => r,
        Err(HeadError::TooLarge) => {
            return refuse(&mut stream, shared, 431, "request head too large");
        }
        Err(HeadError::Malformed) => {
            return refuse(&mut stream, shared, 400, "not an HTTP/1.1 request");
        }
    };
    if request.path == "/osc" {
        let rest = buf[head_end..].to_vec();
        return websocket(stream, peer, &request, rest, shared);
    }
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        return refuse(&mut stream, shared, 405, "only GET");
    }
    match assets::find(&request.path) {
        Some(asset) => {
            shared.stats.served.fetch_add(1, Ordering::Relaxed);
            let _ = stream.write_all(&http::response(
                200,
                asset.content_type,
                &asset.bytes,
                head_only,
            ));
        }
        None => {
            let _ = stream.write_all(&http::error(404, "no such page"));
        }
    }
}

fn refuse(stream: &mut TcpStream, shared: &Shared, status: u16, why: &str) {
    shared.stats.refused.fetch_add(1, Ordering::Relaxed);
    let _ = stream.write_all(&http::error(status, why));
}

/// Whether `request` may open the console's WebSocket (see the module
/// docs); the reason if not.
pub fn admit(request: &Request, local: SocketAddr, access: &Access) -> Result<(), &'static str> {
    let host = request.header("host").ok_or("no Host header")?;
    if local.ip().is_loopback() && !is_loopback_host(host) {
        return Err("a Host that is not this machine's");
    }
    if let Some(origin) = request.header("origin") {
        let own = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
        if !own && !access.origins.iter().any(|o| o == origin) {
            return Err("a page of another origin");
        }
    }
    if let Some(token) = &access.token {
        let given = request
            .query
            .as_deref()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
        if given != Some(token.as_str()) {
            return Err("no or a wrong access token");
        }
    }
    Ok(())
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn websocket(
    mut stream: TcpStream,
    peer: SocketAddr,
    request: &Request,
    early: Vec<u8>,
    shared: &Shared,
) {
    let Some(key) = request.websocket_key() else {
        return refuse(&mut stream, shared, 426, "this address is a WebSocket");
    };
    if let Err(why) = admit(request, shared.local, &shared.access) {
        tracing::warn!("web: {peer}: refused: {why}");
        return refuse(&mut stream, shared, 403, why);
    }
    if shared.stats.clients.load(Ordering::SeqCst) >= shared.access.max_clients {
        tracing::warn!(
            "web: {peer}: refused: {} clients already (web.max_clients)",
            shared.access.max_clients
        );
        return refuse(&mut stream, shared, 503, "too many clients");
    }
    if stream
        .write_all(&http::switching(&ws::accept_key(key)))
        .is_err()
    {
        return;
    }
    let (Ok(reader_stream), Ok(writer_stream)) = (stream.try_clone(), stream.try_clone()) else {
        return;
    };
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = channel::bounded::<Vec<u8>>(OUTBOX_FRAMES);
    let outbox = Outbox(tx.clone());
    shared.stats.clients.fetch_add(1, Ordering::SeqCst);
    lock(&shared.open).push((id, stream));
    tracing::info!("web: {peer} connected (client {id})");
    if shared
        .to_hub
        .send(WebIn::Open { id, peer, outbox })
        .is_err()
    {
        return;
    }
    let writer = std::thread::Builder::new()
        .name("faderd-web-out".into())
        .spawn(move || write_loop(writer_stream, &rx));
    let why = read_loop(reader_stream, id, early, &tx, shared);
    drop(tx);
    match why {
        Ok(()) => tracing::info!("web: {peer} disconnected (client {id})"),
        Err(why) => {
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("web: {peer} dropped (client {id}): {why}");
        }
    }
    let _ = shared.to_hub.send(WebIn::Closed { id });
    if let Ok(w) = writer {
        let _ = w.join();
    }
    let mut open = lock(&shared.open);
    if let Some(i) = open.iter().position(|(c, _)| *c == id) {
        let (_, s) = open.swap_remove(i);
        let _ = s.shutdown(Shutdown::Both);
    }
    shared.stats.clients.fetch_sub(1, Ordering::SeqCst);
}

/// Frames in until the client closes (Ok) or breaks the protocol, goes
/// silent or the socket fails (the reason).
fn read_loop(
    mut stream: TcpStream,
    id: u32,
    early: Vec<u8>,
    out: &Sender<Vec<u8>>,
    shared: &Shared,
) -> Result<(), String> {
    let _ = stream.set_read_timeout(Some(DEAD_AFTER));
    let mut frames = FrameReader::new(MAX_MESSAGE_BYTES);
    frames.push(&early);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        loop {
            let message = match frames.next_message() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    let _ = out.try_send(ws::close(e.close_code()));
                    return Err(e.to_string());
                }
            };
            match message {
                Incoming::Binary(packet) => {
                    let commands = decode(&packet);
                    if shared.to_hub.send(WebIn::Packet { id, commands }).is_err() {
                        return Ok(());
                    }
                }
                Incoming::Text(_) => {
                    let _ = out.try_send(ws::close(1003));
                    return Err("a text message (the console speaks binary OSC)".into());
                }
                Incoming::Ping(payload) => {
                    let _ = out.try_send(ws::pong(&payload));
                }
                Incoming::Pong => {
                    if shared.to_hub.send(WebIn::Alive { id }).is_err() {
                        return Ok(());
                    }
                }
                Incoming::Close(_) => {
                    let _ = out.try_send(ws::close(1000));
                    return Ok(());
                }
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => frames.push(&chunk[..n]),
            // (Stopped and continued: the read is not restarted.)
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("silent for {} s", DEAD_AFTER.as_secs()));
            }
            Err(e) => {
                if shared.stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                return Err(e.to_string());
            }
        }
    }
}

/// Frames out as the hub (or the reader) queues them, and a ping every
/// [`PING_EVERY`] however busy the connection is (a client that only
/// listens answers pings, which is how the reader knows it is alive).
/// Ends when every sender is gone or the client stops taking bytes (then
/// the connection is shut).
fn write_loop(mut stream: TcpStream, frames: &Receiver<Vec<u8>>) {
    let mut pinged = std::time::Instant::now();
    loop {
        let frame = match frames.recv_timeout(PING_EVERY.saturating_sub(pinged.elapsed())) {
            Ok(f) => Some(f),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if pinged.elapsed() >= PING_EVERY {
            pinged = std::time::Instant::now();
            if stream.write_all(&ws::ping(b"faderd")).is_err() {
                break;
            }
        }
        if let Some(f) = frame
            && stream.write_all(&f).is_err()
        {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: &str, origin: Option<&str>, query: Option<&str>) -> Request {
        let mut headers = vec![("host".to_string(), host.to_string())];
        if let Some(o) = origin {
            headers.push(("origin".into(), o.into()));
        }
        Request {
            method: "GET".into(),
            path: "/osc".into(),
            query: query.map(String::from),
            headers,
        }
    }

    #[test]
    fn only_the_consoles_own_pages_may_open_its_socket() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let open = Access {
            max_clients: 4,
            ..Access::default()
        };
        let own = request("127.0.0.1:8080", Some("http://127.0.0.1:8080"), None);
        assert_eq!(admit(&own, local, &open), Ok(()));
        let named = request("localhost:8080", Some("http://localhost:8080"), None);
        assert_eq!(admit(&named, local, &open), Ok(()));
        // A script with no page: no Origin.
        assert_eq!(
            admit(&request("[::1]:8080", None, None), local, &open),
            Ok(())
        );
        // Another site's page in the user's browser.
        let other = request("127.0.0.1:8080", Some("http://evil.example"), None);
        assert!(admit(&other, local, &open).is_err());
        // A site that points its own name at this machine.
        let rebound = request("evil.example:8080", Some("http://evil.example:8080"), None);
        assert!(admit(&rebound, local, &open).is_err());
        // Listed origins.
        let listed = Access {
            origins: vec!["http://evil.example".into()],
            ..open.clone()
        };
        assert_eq!(admit(&other, local, &listed), Ok(()));
        // On a LAN, any host name; the token when one is set.
        let lan: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let tokened = Access {
            token: Some("s3cret".into()),
            ..open.clone()
        };
        let by_ip = |q| request("192.168.1.5:8080", Some("http://192.168.1.5:8080"), q);
        assert_eq!(admit(&by_ip(None), lan, &open), Ok(()));
        assert!(admit(&by_ip(None), lan, &tokened).is_err());
        assert!(admit(&by_ip(Some("token=wrong")), lan, &tokened).is_err());
        assert_eq!(
            admit(&by_ip(Some("a=1&token=s3cret")), lan, &tokened),
            Ok(())
        );
    }
}
