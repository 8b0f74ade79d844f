//! Starting the browser console from the daemon's config.

use super::Failure;
use crate::config::DaemonConfig;
use crate::health::Health;
use crate::surfaces::Doorbell;
use crate::surfaces::osc::{AllowList, SurfaceOptions};
use crate::surfaces::web::{Access, WebPort};
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;

/// The console's surface, listening; `None` when it is off, or when its
/// default address is taken (a warning says so: the mixer runs without
/// it). An address the user chose that cannot be had is an error.
pub(super) fn start(
    cfg: &DaemonConfig,
    health: &Arc<Health>,
    bell: &Doorbell,
) -> Result<Option<WebPort>, Failure> {
    let web = &cfg.web;
    if !web.enabled {
        return Ok(None);
    }
    let access = Access {
        allow: AllowList::new(cfg.osc.allow.clone()),
        token: web.token.clone(),
        origins: web.origins.clone(),
        max_clients: web.max_clients,
    };
    let options = SurfaceOptions {
        max_subscribers: web.max_clients,
        subscriber_timeout: Duration::from_secs(cfg.osc.subscriber_timeout_s),
        ..SurfaceOptions::default()
    };
    match WebPort::start(web.listen, access, options, Arc::clone(health), bell) {
        Ok(port) => {
            let at = port.local_addr();
            if !at.ip().is_loopback() {
                if cfg.osc.allow.is_empty() && web.token.is_none() {
                    tracing::warn!(
                        "the console is open to the network on {at}: any host that can reach it can change the mix (limit it with osc.allow or web.token)"
                    );
                } else {
                    tracing::info!("the console is open on {at} to the hosts in osc.allow");
                }
            }
            Ok(Some(port))
        }
        Err(e) if !web.chosen => {
            tracing::warn!(
                "the browser console is off: cannot listen on tcp {}: {e} (choose another address with --web HOST:PORT, or --web off)",
                web.listen
            );
            Ok(None)
        }
        Err(e) => Err(e)
            .with_context(|| {
                format!(
                    "cannot serve the browser console on tcp {} (choose another with --web, or --web off)",
                    web.listen
                )
            })
            .map_err(Failure::env),
    }
}
