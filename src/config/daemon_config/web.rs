//! The daemon config's web section: the browser console's server.

use crate::config::error::Diagnostic;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::net::SocketAddr;
use std::path::Path;

/// The console's default address: loopback, port 8080.
pub const DEFAULT_WEB_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// Browser console settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Serve the console at all.
    pub enabled: bool,
    /// Where to listen; loopback unless opened on purpose (then
    /// `osc.allow` says who may connect).
    pub listen: SocketAddr,
    /// The address was chosen (in the file or with `--web`), not the
    /// default: failing to listen on it stops the daemon. A default
    /// address that is taken only leaves the console off, with a warning.
    pub chosen: bool,
    /// An access token WebSocket clients must give (`?token=`), for use
    /// on a LAN.
    pub token: Option<String>,
    /// Origins besides the console's own whose pages may connect.
    pub origins: Vec<String>,
    /// Browser clients at once.
    pub max_clients: usize,
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            enabled: true,
            listen: DEFAULT_WEB_LISTEN,
            chosen: false,
            token: None,
            origins: Vec::new(),
            max_clients: 32,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebFile {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    listen: Option<Spanned<String>>,
    #[serde(default)]
    token: Option<Spanned<String>>,
    #[serde(default)]
    origins: Vec<Spanned<String>>,
    #[serde(default)]
    max_clients: Option<Spanned<u64>>,
}

pub(super) fn web_config(
    w: WebFile,
    file: &Path,
    cfg: &mut WebConfig,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(on) = w.enabled {
        cfg.enabled = on;
    }
    if let Some(listen) = w.listen {
        match crate::config::socket_addr(&listen.value) {
            Ok(addr) => {
                cfg.listen = addr;
                cfg.chosen = true;
            }
            Err(e) => diags.push(Diagnostic::at(
                file,
                listen.referenced,
                format!("web listen: {e}"),
            )),
        }
    }
    if let Some(t) = w.token {
        if t.value.len() < 8
            || !t
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            diags.push(Diagnostic::at(
                file,
                t.referenced,
                "web token: at least 8 characters, letters, digits, - and _ only (it goes in a URL)",
            ));
        } else {
            cfg.token = Some(t.value);
        }
    }
    for o in w.origins {
        let ok = (o.value.starts_with("http://") || o.value.starts_with("https://"))
            && !o.value.ends_with('/');
        if ok {
            cfg.origins.push(o.value);
        } else {
            diags.push(Diagnostic::at(
                file,
                o.referenced,
                format!(
                    "web origin '{}' is not scheme://host[:port] (as a browser sends it, no path)",
                    o.value
                ),
            ));
        }
    }
    if let Some(m) = w.max_clients {
        if (1..=256).contains(&m.value) {
            cfg.max_clients = m.value as usize;
        } else {
            diags.push(Diagnostic::at(
                file,
                m.referenced,
                "max_clients must be between 1 and 256",
            ));
        }
    }
}
