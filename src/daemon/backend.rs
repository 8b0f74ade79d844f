//! Choosing the audio backend for a run, before the engine exists.

use super::{Failure, JackPlan, audio, port_layout};
use crate::audio::cpal_io::{CpalOptions, CpalPlan};
use crate::audio::dummy::DummyBackend;
use crate::audio::jack as jackb;
use crate::config::{self, BackendChoice, DaemonConfig};
use crate::model::Session;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The backend picked for this run, before the engine exists.
pub(super) enum Chosen {
    Dummy(&'static str),
    /// `auto` with no server yet: the dummy clock, and a JACK client as
    /// soon as a server runs.
    Watching(JackPlan),
    Jack(::jack::Client, JackPlan),
    Cpal(Box<CpalPlan>),
}

/// `backend: jack` must find a server (exit 2 if not); `auto` uses one when
/// it runs and otherwise the dummy clock, saying so, until one starts.
pub(super) fn choose_backend(
    config: &DaemonConfig,
    session: &Session,
    live_names: &Arc<audio::LivePortNames>,
) -> Result<Chosen, Failure> {
    let plan = || JackPlan {
        config: config.jack.clone(),
        layout: port_layout(session),
        follow_transport: config.sync == config::SyncSource::Jack,
        period_request: config
            .audio
            .period_frames
            .and_then(|p| u32::try_from(p).ok()),
        live_names: Arc::clone(live_names),
    };
    match config.audio.backend {
        BackendChoice::Dummy => Ok(Chosen::Dummy("dummy backend")),
        BackendChoice::Jack => match jackb::open_client(&config.jack.client_name) {
            Ok(client) => Ok(Chosen::Jack(client, plan())),
            Err(e) => Err(Failure::env(anyhow::Error::new(e).context(
                "the JACK backend was asked for (start jackd, or run with --backend dummy)",
            ))),
        },
        BackendChoice::Cpal => {
            let layout = port_layout(session);
            let c = &config.cpal;
            let opts = CpalOptions {
                host: c.host.clone(),
                output_device: c.output_device.clone(),
                input_device: c.input_device.clone(),
                output_channels: c.output_channels.clone(),
                input_channels: c.input_channels.clone(),
            };
            CpalPlan::open(
                &opts,
                session.sample_rate,
                layout.inputs.len(),
                layout.outputs.len(),
            )
            .map(|p| Chosen::Cpal(Box::new(p)))
            .map_err(|e| {
                Failure::env(
                    anyhow::Error::new(e).context("the cpal backend cannot open its devices"),
                )
            })
        }
        BackendChoice::Auto => match jackb::open_client(&config.jack.client_name) {
            Ok(client) => Ok(Chosen::Jack(client, plan())),
            Err(e) => {
                tracing::info!(
                    "{e}; using the dummy backend (no sound is played) until a server starts"
                );
                Ok(Chosen::Watching(plan()))
            }
        },
    }
}

/// Give the dummy thread its first period, then say whether it got
/// real-time scheduling.
pub(super) fn wait_first_period(backend: &DummyBackend) {
    let t0 = Instant::now();
    while backend.stats().periods.load(Ordering::Relaxed) == 0
        && t0.elapsed() < Duration::from_millis(200)
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    if backend.stats().realtime.load(Ordering::Relaxed) {
        tracing::info!("the audio thread runs with real-time scheduling");
    } else {
        tracing::warn!(
            "the audio thread could not get real-time scheduling (no rtprio for this user): periods may be late under load"
        );
    }
}
