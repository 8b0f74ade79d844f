//! Running the daemon as a program: until a signal, under a service
//! manager's watchdog, or until a caller's stop.
//!
//! Thread: the main thread (it waits; the daemon's threads work).

use super::{AtExit, Daemon, Failure, RunOptions, notify, nsm};
use crate::audio::AudioHooks;
use anyhow::Context;
use crossbeam::channel::{self, Receiver};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often the main thread copies the dummy or cpal backend's counters
/// for `/status` while it waits for a signal.
const STATUS_REFRESH: Duration = Duration::from_millis(250);

/// Run the daemon until SIGINT or SIGTERM.
pub fn run(opts: RunOptions) -> Result<(), Failure> {
    run_until(opts, &stop_on_signal()?)
}

/// Run under the NSM session manager at `url` (from `$NSM_URL`) until
/// SIGINT/SIGTERM: see [`nsm`].
pub fn run_nsm(url: &str, opts: RunOptions) -> Result<(), Failure> {
    nsm::run(url, opts, &stop_on_signal()?)
}

/// Install the panic hook and a SIGINT/SIGTERM handler; the receiver gets
/// a message when a signal comes.
pub(super) fn stop_on_signal() -> Result<Receiver<()>, Failure> {
    crate::health::install_panic_hook();
    let (stop_tx, stop) = channel::bounded::<()>(1);
    ctrlc::set_handler(move || {
        let _ = stop_tx.try_send(());
    })
    .context("cannot install the SIGINT/SIGTERM handler")
    .map_err(Failure::env)?;
    Ok(stop)
}

/// Run the daemon until something arrives on `stop` (or its sender is
/// gone): start it, print the ready line, wait, stop it and save the
/// session if it changed.
pub fn run_until(opts: RunOptions, stop: &Receiver<()>) -> Result<(), Failure> {
    let session_path = opts.session.clone();
    let daemon = Daemon::start(opts, AudioHooks::default())?;
    println!("{}", daemon.ready_line());
    let service = notify::Notifier::from_env();
    if let Some(n) = &service {
        n.ready(daemon.ready_line());
    }
    let mut watchdog = ServiceWatchdog::new(service.as_ref());
    while let Err(channel::RecvTimeoutError::Timeout) = stop.recv_timeout(watchdog.wake()) {
        daemon.refresh_audio_status();
        watchdog.tick(&daemon);
    }
    if let Some(n) = &service {
        n.stopping();
    }
    daemon.finish(session_path.as_deref(), AtExit::SaveChanges)
}

/// The service watchdog is pinged only while the hub thread turns: a hung
/// mixer thread stops the pings and systemd restarts faderd.
struct ServiceWatchdog<'a> {
    service: Option<&'a notify::Notifier>,
    ping_every: Option<Duration>,
    turns_seen: u64,
    last_ping: Instant,
}

impl<'a> ServiceWatchdog<'a> {
    fn new(service: Option<&'a notify::Notifier>) -> Self {
        ServiceWatchdog {
            service,
            ping_every: service.and_then(notify::Notifier::ping_every),
            turns_seen: 0,
            last_ping: Instant::now(),
        }
    }

    /// How long the main thread may wait before the next [`Self::tick`].
    fn wake(&self) -> Duration {
        self.ping_every
            .map_or(STATUS_REFRESH, |p| p.min(STATUS_REFRESH))
    }

    fn tick(&mut self, daemon: &Daemon) {
        if let (Some(n), Some(every)) = (self.service, self.ping_every)
            && self.last_ping.elapsed() >= every
        {
            let turns = daemon.health.hub_turns.load(Ordering::Relaxed);
            if turns != self.turns_seen {
                n.ping();
                (self.turns_seen, self.last_ping) = (turns, Instant::now());
            }
        }
    }
}
