//! faderd as a client of the New Session Manager (NSM, API 1.1.2): when
//! `$NSM_URL` names a server, `faderd run` announces itself, waits for
//! `/nsm/client/open` before it creates its audio client, keeps its session
//! where the server says (`PATH/session.yaml`, PATH from `open`), names its
//! JACK client after the client id, saves on `/nsm/client/save`, reports
//! dirty and clean, sends messages, switches to another session in place
//! on a second `open` (capability `switch`), and quits on SIGTERM without
//! saving (the server saves first when the user wants the changes).
//!
//! Thread: the daemon's main thread; the daemon itself runs as usual.

use super::{AtExit, Daemon, Failure, RunOptions};
use crate::audio::AudioHooks;
use crossbeam::channel::Receiver;
use rosc::{OscMessage, OscPacket, OscType};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The NSM API version spoken.
pub const API: (i32, i32) = (1, 1);
/// What this client can do, as announced.
pub const CAPABILITIES: &str = ":switch:dirty:message:";
/// How long a save may take before the server is told it failed.
pub const SAVE_PATIENCE: Duration = Duration::from_secs(10);
/// NSM's error code for a general failure (ERR_GENERAL).
const ERR_GENERAL: i32 = -1;

/// Why the session manager could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NsmError {
    /// `$NSM_URL` is not `osc.udp://HOST:PORT/`.
    #[error("NSM_URL '{0}' is not an osc.udp://HOST:PORT/ address")]
    BadUrl(String),
    /// The socket could not be opened or used.
    #[error("cannot talk to the session manager: {0}")]
    Io(#[from] std::io::Error),
    /// The server refused the announce.
    #[error("the session manager refused faderd: {0}")]
    Refused(String),
    /// No answer.
    #[error("the session manager at {0} did not answer faderd's announce within 5 s")]
    NoAnswer(SocketAddr),
}

/// The server's address from an `osc.udp://HOST:PORT/` URL.
pub fn server_address(url: &str) -> Result<SocketAddr, NsmError> {
    let rest = url
        .strip_prefix("osc.udp://")
        .ok_or_else(|| NsmError::BadUrl(url.to_owned()))?;
    let host_port = rest.trim_end_matches('/');
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| NsmError::BadUrl(url.to_owned()))
}

/// One request from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FromServer {
    /// Open (or switch to) the session at `path` as `client_id`.
    Open {
        path: PathBuf,
        display_name: String,
        client_id: String,
    },
    /// Save now.
    Save,
    /// The announce was answered.
    Announced {
        server: String,
        capabilities: String,
    },
    /// An error reply to something we sent.
    Error { to: String, message: String },
    /// Anything else (ignored).
    Other,
}

fn decode(bytes: &[u8]) -> Vec<FromServer> {
    let Ok((_, packet)) = rosc::decoder::decode_udp(bytes) else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut stack = vec![packet];
    while let Some(p) = stack.pop() {
        match p {
            OscPacket::Bundle(b) => stack.extend(b.content),
            OscPacket::Message(m) => out.push(from_message(&m)),
        }
    }
    out
}

fn from_message(m: &OscMessage) -> FromServer {
    let text = |i: usize| match m.args.get(i) {
        Some(OscType::String(s)) => Some(s.clone()),
        _ => None,
    };
    match m.addr.as_str() {
        "/nsm/client/open" => match (text(0), text(1), text(2)) {
            (Some(path), Some(display_name), Some(client_id)) => FromServer::Open {
                path: PathBuf::from(path),
                display_name,
                client_id,
            },
            _ => FromServer::Other,
        },
        "/nsm/client/save" => FromServer::Save,
        "/reply" if text(0).as_deref() == Some("/nsm/server/announce") => FromServer::Announced {
            server: text(2).unwrap_or_default(),
            capabilities: text(3).unwrap_or_default(),
        },
        "/error" => FromServer::Error {
            to: text(0).unwrap_or_default(),
            message: text(2).unwrap_or_default(),
        },
        _ => FromServer::Other,
    }
}

struct Link {
    socket: UdpSocket,
    server: SocketAddr,
}

impl Link {
    fn send(&self, addr: &str, args: Vec<OscType>) {
        let packet = OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        });
        match rosc::encoder::encode(&packet) {
            Ok(bytes) => {
                if let Err(e) = self.socket.send_to(&bytes, self.server) {
                    tracing::warn!("cannot send {addr} to the session manager: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot encode {addr}: {e}"),
        }
    }

    fn reply(&self, to: &str, message: &str) {
        self.send(
            "/reply",
            vec![OscType::String(to.into()), OscType::String(message.into())],
        );
    }

    fn error(&self, to: &str, message: &str) {
        self.send(
            "/error",
            vec![
                OscType::String(to.into()),
                OscType::Int(ERR_GENERAL),
                OscType::String(message.into()),
            ],
        );
    }

    /// A message for the session manager's user (0 = information ... 3 =
    /// the most important).
    fn message(&self, priority: i32, text: &str) {
        self.send(
            "/nsm/client/message",
            vec![OscType::Int(priority), OscType::String(text.into())],
        );
    }

    fn receive(&self, within: Duration) -> Vec<FromServer> {
        let _ = self
            .socket
            .set_read_timeout(Some(within.max(Duration::from_millis(1))));
        let mut buf = [0u8; 8192];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) if from.ip() == self.server.ip() => decode(&buf[..n]),
            _ => vec![],
        }
    }
}

/// The session file NSM's `path` stands for: `PATH/session.yaml` (a folder
/// of faderd's own, where its recovery file and audio files can sit too).
pub fn session_file(path: &Path) -> PathBuf {
    path.join("session.yaml")
}

/// Create the session for a new NSM client (the demo, named after the
/// client) when `file` does not exist yet.
fn ensure_session(file: &Path, display_name: &str) -> Result<(), String> {
    if file.exists() {
        return Ok(());
    }
    super::write_demo_session(file, Some(display_name))
        .map_err(|e| format!("cannot create {}: {e}", file.display()))
}

/// Run under the session manager at `url`: announce, wait for `open`, run
/// the daemon on the session it names, answer save and open (switch), and
/// stop on `stop` (SIGTERM) without saving.
pub fn run(url: &str, opts: RunOptions, stop: &Receiver<()>) -> Result<(), Failure> {
    let server = server_address(url).map_err(|e| Failure::user(anyhow::Error::new(e)))?;
    let bind: SocketAddr = if server.ip().is_loopback() {
        (std::net::Ipv4Addr::LOCALHOST, 0).into()
    } else {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let socket =
        UdpSocket::bind(bind).map_err(|e| Failure::env(anyhow::Error::new(NsmError::Io(e))))?;
    let link = Link { socket, server };
    link.send(
        "/nsm/server/announce",
        vec![
            OscType::String("faderd".into()),
            OscType::String(CAPABILITIES.into()),
            OscType::String(
                std::env::args()
                    .next()
                    .unwrap_or_else(|| "faderd".to_owned()),
            ),
            OscType::Int(API.0),
            OscType::Int(API.1),
            OscType::Int(i32::try_from(std::process::id()).unwrap_or(i32::MAX)),
        ],
    );
    let t0 = Instant::now();
    let mut pending_open = None;
    let mut announced = false;
    while !announced {
        if t0.elapsed() > Duration::from_secs(5) {
            return Err(Failure::env(anyhow::Error::new(NsmError::NoAnswer(server))));
        }
        if stop.try_recv().is_ok() {
            return Ok(());
        }
        for m in link.receive(Duration::from_millis(100)) {
            match m {
                FromServer::Announced {
                    server: name,
                    capabilities,
                } => {
                    tracing::info!("joined the session manager '{name}' ({capabilities})");
                    announced = true;
                }
                FromServer::Error { to, message } if to == "/nsm/server/announce" => {
                    return Err(Failure::env(anyhow::Error::new(NsmError::Refused(message))));
                }
                open @ FromServer::Open { .. } => pending_open = Some(open),
                _ => {}
            }
        }
    }
    eprintln!("faderd: under the session manager at {url}; waiting for it to open a session");
    let mut current: Option<(Daemon, PathBuf)> = None;
    let mut said_dirty = false;
    loop {
        if stop.try_recv().is_ok() {
            break;
        }
        let mut requests = link.receive(Duration::from_millis(50));
        if let Some(open) = pending_open.take() {
            requests.insert(0, open);
        }
        for request in requests {
            match request {
                FromServer::Open {
                    path,
                    display_name,
                    client_id,
                } => {
                    if let Some((daemon, file)) = current.take() {
                        tracing::info!("switching from {} to {}", file.display(), path.display());
                        if let Err(e) = daemon.finish(Some(&file), AtExit::LeaveToSessionManager) {
                            tracing::error!("{}", e.message());
                        }
                    }
                    match open(&opts, &path, &display_name, &client_id) {
                        Ok((daemon, file)) => {
                            println!("{}", daemon.ready_line());
                            link.reply("/nsm/client/open", &format!("opened {}", file.display()));
                            said_dirty = daemon.is_dirty();
                            if said_dirty {
                                link.send("/nsm/client/is_dirty", vec![]);
                            }
                            current = Some((daemon, file));
                        }
                        Err(message) => {
                            tracing::error!("{message}");
                            link.error("/nsm/client/open", &message);
                        }
                    }
                }
                FromServer::Save => match &current {
                    Some((daemon, file)) => match save(daemon) {
                        Ok(()) => {
                            link.reply("/nsm/client/save", &format!("saved {}", file.display()));
                        }
                        Err(message) => {
                            link.error("/nsm/client/save", &message);
                            link.message(3, &message);
                        }
                    },
                    None => link.error("/nsm/client/save", "no session is open yet"),
                },
                _ => {}
            }
        }
        if let Some((daemon, _)) = &current {
            daemon.refresh_audio_status();
            let dirty = daemon.is_dirty();
            if dirty != said_dirty {
                said_dirty = dirty;
                let what = if dirty { "is_dirty" } else { "is_clean" };
                link.send(&format!("/nsm/client/{what}"), vec![]);
            }
        }
    }
    match current {
        Some((daemon, file)) => daemon.finish(Some(&file), AtExit::LeaveToSessionManager),
        None => Ok(()),
    }
}

/// Start the daemon on the session NSM's `path` stands for, as JACK
/// client `client_id`.
fn open(
    opts: &RunOptions,
    path: &Path,
    display_name: &str,
    client_id: &str,
) -> Result<(Daemon, PathBuf), String> {
    let file = session_file(path);
    ensure_session(&file, display_name)?;
    let mut config = opts.config.clone();
    config.jack.client_name = client_id.to_owned();
    let run = RunOptions {
        session: Some(file.clone()),
        config,
        recover: opts.recover,
    };
    Daemon::start(run, AudioHooks::default())
        .map(|d| (d, file.clone()))
        .map_err(|f| format!("cannot open {}: {}", file.display(), f.message()))
}

/// Save the session now and wait for the result.
fn save(daemon: &Daemon) -> Result<(), String> {
    let health = &daemon.health;
    let (saves, failures) = (
        health.saves.load(Ordering::Relaxed),
        health.save_failures.load(Ordering::Relaxed),
    );
    daemon.request_save();
    let t0 = Instant::now();
    while t0.elapsed() < SAVE_PATIENCE {
        if health.saves.load(Ordering::Relaxed) > saves {
            return Ok(());
        }
        if health.save_failures.load(Ordering::Relaxed) > failures {
            return Err(health
                .save_error(crate::health::SaveKind::Session)
                .unwrap_or_else(|| "the save failed".to_owned()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!(
        "the save did not finish within {} s",
        SAVE_PATIENCE.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server() {
        assert_eq!(
            server_address("osc.udp://127.0.0.1:7777/").unwrap(),
            "127.0.0.1:7777".parse::<SocketAddr>().unwrap()
        );
        assert!(matches!(
            server_address("http://x:1/"),
            Err(NsmError::BadUrl(_))
        ));
    }
}
