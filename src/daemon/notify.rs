//! systemd's service notifications (the `sd_notify` protocol): a
//! `Type=notify` unit learns when faderd is ready, what it is doing, and,
//! with `WatchdogSec=`, that its mixer thread still turns; when the pings
//! stop (a hang), systemd restarts it. Without `$NOTIFY_SOCKET` (not run by
//! systemd) nothing is sent.
//!
//! The protocol is one datagram of `KEY=value` lines to the Unix socket
//! named in `$NOTIFY_SOCKET` (a leading `@` names an abstract socket).
//!
//! Thread: the daemon's main thread.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// A connection to the service manager's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    to: SocketAddr,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` / `$WATCHDOG_PID`;
    /// `None` when no service manager asked for notifications (or its
    /// socket cannot be used, which is logged).
    pub fn from_env() -> Option<Notifier> {
        let name = std::env::var_os("NOTIFY_SOCKET")?;
        let to = match socket_address(&name) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(
                    "NOTIFY_SOCKET is set but unusable ({e}); systemd is not told when faderd is ready"
                );
                return None;
            }
        };
        let socket = match UnixDatagram::unbound() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot open a socket for systemd's notifications: {e}");
                return None;
            }
        };
        Some(Notifier {
            socket,
            to,
            watchdog: watchdog_interval(),
        })
    }

    /// Tell the service manager faderd is ready, with a status line.
    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    /// A watchdog ping: the daemon is alive.
    pub fn ping(&self) {
        self.send("WATCHDOG=1");
    }

    /// Tell the service manager faderd is stopping.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping, saving the session");
    }

    /// How often to ping: half the watchdog time the unit set, when it set
    /// one for this process.
    pub fn ping_every(&self) -> Option<Duration> {
        self.watchdog
    }

    fn send(&self, message: &str) {
        if let Err(e) = self.socket.send_to_addr(message.as_bytes(), &self.to) {
            tracing::debug!("cannot notify systemd: {e}");
        }
    }
}

/// The socket `$NOTIFY_SOCKET` names: a path, or `@name` for an abstract
/// socket (Linux).
fn socket_address(name: &std::ffi::OsStr) -> std::io::Result<SocketAddr> {
    let bytes = name.as_encoded_bytes();
    match bytes.strip_prefix(b"@") {
        #[cfg(target_os = "linux")]
        Some(abstract_name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(abstract_name)
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => Err(std::io::Error::other("abstract sockets are Linux-only")),
        None => SocketAddr::from_pathname(std::path::Path::new(name)),
    }
}

/// Half of `$WATCHDOG_USEC` when it is set for this process (no
/// `$WATCHDOG_PID`, or ours).
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// A status text on one line (the protocol is line-based).
fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
