//! Found without typing an address: when the OSC port or the browser
//! console listens beyond loopback, they are advertised over mDNS/DNS-SD
//! (`_osc._udp` and `_http._tcp`), so a tablet's OSC app lists the mixer
//! and a browser or a bookmark finds `http://HOST.local:PORT/`. Nothing
//! is advertised for loopback listeners. Best effort: when multicast
//! cannot be had (no network, the port refused), a warning says so and
//! the mixer runs on.
//!
//! Thread: mdns-sd runs a thread of its own; this only starts and stops
//! it.

use std::net::{IpAddr, SocketAddr};

/// The running advertisement; ended (with goodbye packets) on drop.
pub(super) struct Advertised {
    daemon: mdns_sd::ServiceDaemon,
}

impl std::fmt::Debug for Advertised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Advertised")
    }
}

impl Drop for Advertised {
    fn drop(&mut self) {
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(std::time::Duration::from_millis(500));
        }
    }
}

/// This machine's name, as mDNS calls it (`HOST.local.`).
fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "faderd".into()
    } else {
        name
    }
}

/// One service: on the address it listens on, or on every address of the
/// machine when it listens on all of them.
fn service(
    ty: &str,
    instance: &str,
    host: &str,
    at: SocketAddr,
    txt: &[(&str, &str)],
) -> Result<mdns_sd::ServiceInfo, mdns_sd::Error> {
    let ips: Vec<IpAddr> = if at.ip().is_unspecified() {
        Vec::new()
    } else {
        vec![at.ip()]
    };
    let info = mdns_sd::ServiceInfo::new(
        ty,
        instance,
        &format!("{host}.local."),
        &ips[..],
        at.port(),
        txt,
    )?;
    Ok(if ips.is_empty() {
        info.enable_addr_auto()
    } else {
        info
    })
}

/// A service to advertise: its DNS-SD type, where it listens, its TXT
/// record.
type Offer = (
    &'static str,
    SocketAddr,
    &'static [(&'static str, &'static str)],
);

/// Advertise what listens beyond loopback; `None` when nothing does (or
/// mDNS cannot start: a warning says why).
pub(super) fn advertise(osc: SocketAddr, web: Option<SocketAddr>) -> Option<Advertised> {
    let open: Vec<Offer> = [
        Some(("_osc._udp.local.", osc, &[("addresses", "native")][..])),
        web.map(|w| ("_http._tcp.local.", w, &[("path", "/")][..])),
    ]
    .into_iter()
    .flatten()
    .filter(|(_, at, _)| !at.ip().is_loopback())
    .collect();
    if open.is_empty() {
        return None;
    }
    let host = host_name();
    let instance = format!("faderd on {host}");
    let daemon = match mdns_sd::ServiceDaemon::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("mDNS: cannot advertise the mixer on the network: {e}");
            return None;
        }
    };
    // Only the network: loopback has no one to find it.
    let _ = daemon.disable_interface(mdns_sd::IfKind::LoopbackV4);
    let _ = daemon.disable_interface(mdns_sd::IfKind::LoopbackV6);
    for (ty, at, txt) in open {
        match service(ty, &instance, &host, at, txt).and_then(|s| daemon.register(s)) {
            Ok(()) => tracing::info!("mDNS: advertising {ty} '{instance}' on port {}", at.port()),
            Err(e) => tracing::warn!("mDNS: cannot advertise {ty}: {e}"),
        }
    }
    Some(Advertised { daemon })
}
