//! The daemon config's OSC section: where it listens, who may talk,
//! who is always fed.

use crate::config::error::Diagnostic;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// OSC settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OscConfig {
    /// Address to listen on (a host name resolved when the config is
    /// read); loopback unless opened on purpose.
    pub listen: SocketAddr,
    /// Networks allowed to send when listening beyond loopback (IP,
    /// prefix length). Empty: everyone. Loopback is always allowed.
    pub allow: Vec<(IpAddr, u8)>,
    /// Clients that get feedback without subscribing.
    pub clients: Vec<OscClientConfig>,
    /// How long a move without a touch message holds the control.
    pub touch_timeout_ms: u64,
    /// Largest feedback datagram in bytes.
    pub max_datagram: usize,
    /// Subscribers at most (static clients count).
    pub max_subscribers: usize,
    /// Subscribers silent this long are dropped (static clients never).
    pub subscriber_timeout_s: u64,
}

/// A statically configured OSC feedback client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OscClientConfig {
    /// Where its feedback goes.
    pub address: SocketAddr,
    /// Send it meters.
    pub meters: bool,
}

impl Default for OscConfig {
    fn default() -> OscConfig {
        OscConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            allow: Vec::new(),
            clients: Vec::new(),
            touch_timeout_ms: 500,
            max_datagram: 1472,
            max_subscribers: 32,
            subscriber_timeout_s: 600,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OscFile {
    #[serde(default)]
    pub(super) listen: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) allow: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) clients: Vec<Spanned<OscClientFile>>,
    #[serde(default)]
    pub(super) touch_timeout_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) max_datagram: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) max_subscribers: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) subscriber_timeout_s: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OscClientFile {
    pub(super) address: Spanned<String>,
    #[serde(default)]
    pub(super) meters: bool,
}

/// Parse `192.168.1.20` or `192.168.1.0/24` into (address, prefix length).
pub fn parse_ip_net(text: &str) -> Result<(IpAddr, u8), String> {
    let (ip, bits) = match text.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits)),
        None => (text, None),
    };
    let ip: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not an IP address or IP/prefix"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        None => max,
        Some(b) => b
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("'{text}': the prefix length must be 0..={max}"))?,
    };
    Ok((ip, bits))
}

pub(super) fn osc_config(
    o: OscFile,
    file: &Path,
    cfg: &mut OscConfig,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(listen) = o.listen {
        match crate::config::socket_addr(&listen.value) {
            Ok(addr) => cfg.listen = addr,
            Err(e) => diags.push(Diagnostic::at(
                file,
                listen.referenced,
                format!("osc listen: {e}"),
            )),
        }
    }
    for a in o.allow {
        match parse_ip_net(&a.value) {
            Ok(net) => cfg.allow.push(net),
            Err(e) => diags.push(Diagnostic::at(file, a.referenced, e)),
        }
    }
    for c in o.clients {
        match crate::config::socket_addr(&c.value.address.value) {
            Ok(address) => cfg.clients.push(OscClientConfig {
                address,
                meters: c.value.meters,
            }),
            Err(e) => diags.push(Diagnostic::at(
                file,
                c.value.address.referenced,
                format!("osc client: {e}"),
            )),
        }
    }
    let mut in_range = |v: Option<Spanned<u64>>, lo: u64, hi: u64, what: &str| {
        let v = v?;
        if !(lo..=hi).contains(&v.value) {
            diags.push(Diagnostic::at(
                file,
                v.referenced,
                format!("{what} must be between {lo} and {hi}"),
            ));
        }
        Some(v.value)
    };
    if let Some(t) = in_range(o.touch_timeout_ms, 50, 10_000, "touch_timeout_ms") {
        cfg.touch_timeout_ms = t;
    }
    if let Some(m) = in_range(o.max_datagram, 512, 65_507, "max_datagram (bytes)") {
        cfg.max_datagram = m as usize;
    }
    if let Some(m) = in_range(o.max_subscribers, 1, 1024, "max_subscribers") {
        cfg.max_subscribers = m as usize;
    }
    if let Some(t) = in_range(o.subscriber_timeout_s, 5, 86_400, "subscriber_timeout_s") {
        cfg.subscriber_timeout_s = t;
    }
}
