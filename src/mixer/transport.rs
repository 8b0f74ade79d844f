//! The transport as the hub commands it (its own, or an outside one it
//! follows) and the clocks it reads back from the engine.
//!
//! Thread: hub.

use super::*;

/// How the transport follows an outside clock (MTC, JACK), for surfaces
/// (`/status`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SyncReport {
    /// The transport follows an outside clock.
    pub external: bool,
    /// It is locked to it.
    pub locked: bool,
    /// From the first time code to lock, the last time it locked.
    pub lock_latency: Option<std::time::Duration>,
    /// Relocations while locked.
    pub relocates: u64,
}

/// The transport as the hub commands it.
#[derive(Debug, Default)]
pub(super) struct Transport {
    /// It rolls (as commanded; an outside transport says so itself).
    pub(super) rolling: bool,
    /// The engine follows an outside transport (JACK): commands are
    /// requests, the engine says what the transport does.
    pub(super) external: bool,
    /// The loop it plays, if looping.
    pub(super) loop_range: Option<(u64, u64)>,
    /// The last loop set (a loop button turns it back on).
    pub(super) last_loop: Option<(u64, u64)>,
    /// How it follows an outside clock, for `/status`.
    pub(super) sync: SyncReport,
    /// Commands sent to this engine (it counts those it applied).
    pub(super) sent: u64,
}

impl Hub {
    /// Report how the transport follows an outside clock.
    pub fn set_sync_report(&mut self, report: SyncReport) {
        self.transport.sync = report;
    }

    /// How the transport follows an outside clock.
    pub fn sync_report(&self) -> SyncReport {
        self.transport.sync
    }

    /// Follow an outside transport (JACK): transport commands become
    /// requests to it, and the hub follows what it does.
    pub fn set_external_transport(&mut self, on: bool) {
        self.transport.external = on;
    }

    /// Start, stop or move the transport. Locating to a negative or
    /// non-finite time is refused by the caller's codec; here it clamps.
    pub fn transport(&mut self, cmd: TransportCmd) {
        if self.transport.external {
            // The outside transport decides; service() follows it.
            self.push(ToEngine::Transport(cmd));
            return;
        }
        self.automation_transport(cmd);
        match cmd {
            TransportCmd::Play => self.transport.rolling = true,
            TransportCmd::Stop => self.transport.rolling = false,
            TransportCmd::Locate(_) => {}
            TransportCmd::Loop(range) => {
                self.transport.loop_range = range;
                if range.is_some() {
                    self.transport.last_loop = range;
                }
            }
        }
        self.push(ToEngine::Transport(cmd));
    }

    /// A loop button: loop the last loop set, or stop looping.
    pub fn toggle_loop(&mut self) {
        let next = if self.transport.loop_range.is_some() {
            None
        } else {
            self.transport.last_loop
        };
        if next.is_some() || self.transport.loop_range.is_some() {
            self.transport(TransportCmd::Loop(next));
        }
    }

    /// The loop the transport plays (timeline frames), if looping.
    pub fn loop_range(&self) -> Option<(u64, u64)> {
        self.transport.loop_range
    }

    /// The transport as commanded, with the engine's position.
    pub fn transport_state(&self) -> TransportState {
        TransportState {
            rolling: self.transport.rolling,
            position_frames: self
                .pending_locate()
                .unwrap_or_else(|| self.link.shared.transport_frames.load(Ordering::Relaxed)),
        }
    }

    /// The engine's sample clock (frames processed since it started).
    pub fn sample_clock(&self) -> u64 {
        self.link.shared.position_frames.load(Ordering::Relaxed)
    }

    /// The session's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.engine_config.sample_rate
    }
}
