//! What the hub holds of the daemon's status for the surfaces to report
//! (`/status`): the audio backend's counters, the serial links', how the
//! transport follows an outside clock. Updated by the threads that own
//! each; the hub only hands them out.
//!
//! Thread: any (atomics); the accessors, the hub's.

use super::Hub;
use std::sync::Arc;
use std::time::Duration;

/// What the audio backend reports, shared with the threads that update it.
#[derive(Debug, Default)]
pub struct AudioStatus {
    /// Xruns (JACK's count, cpal underruns, or the dummy thread's late periods).
    pub xruns: std::sync::atomic::AtomicU64,
    /// Periods processed.
    pub periods: std::sync::atomic::AtomicU64,
    /// Times the audio server came back and the daemon reconnected.
    pub reconnects: std::sync::atomic::AtomicU64,
    /// A backend is running right now.
    pub connected: std::sync::atomic::AtomicBool,
    /// DSP load the audio server reports, percent, as f32 bits (JACK only).
    pub dsp_load: std::sync::atomic::AtomicU32,
    /// Highest DSP load seen, percent, as f32 bits.
    pub peak_dsp_load: std::sync::atomic::AtomicU32,
    /// Times the server stopped running cycles without a word and was
    /// treated as gone (the JACK watchdog).
    pub stalls: std::sync::atomic::AtomicU64,
    /// The stream's sample rate now, Hz.
    pub sample_rate: std::sync::atomic::AtomicU32,
    /// The stream's period now, frames.
    pub period_frames: std::sync::atomic::AtomicU32,
}

/// A serial board's link counters, shared by its I/O thread (open,
/// frames, connections) and the hub (online) with surfaces (`/status`).
#[derive(Debug, Default)]
pub struct LinkStatus {
    /// The board's name (its profile's).
    pub name: String,
    /// The port is open.
    pub open: std::sync::atomic::AtomicBool,
    /// The board answered the handshake.
    pub online: std::sync::atomic::AtomicBool,
    /// Frames dropped: bad COBS, CRC, length or message.
    pub bad_frames: std::sync::atomic::AtomicU64,
    /// Times the port was opened.
    pub connects: std::sync::atomic::AtomicU64,
}

/// How the transport follows an outside clock (MTC, JACK), for surfaces
/// (`/status`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SyncReport {
    /// The transport follows an outside clock.
    pub external: bool,
    /// It is locked to it.
    pub locked: bool,
    /// From the first time code to lock, the last time it locked.
    pub lock_latency: Option<Duration>,
    /// Relocations while locked.
    pub relocates: u64,
}

impl Hub {
    /// Share the audio backend's counters with surfaces (`/status`).
    pub fn set_audio_status(&mut self, status: Arc<AudioStatus>) {
        self.audio = status;
    }

    /// The audio backend's counters.
    pub fn audio_status(&self) -> &AudioStatus {
        &self.audio
    }

    /// Share a serial board's link counters with surfaces (`/status`).
    pub fn add_link_status(&mut self, status: Arc<LinkStatus>) {
        self.links.push(status);
    }

    /// Report how the transport follows an outside clock.
    pub fn set_sync_report(&mut self, report: SyncReport) {
        self.sync = report;
    }

    /// How the transport follows an outside clock.
    pub fn sync_report(&self) -> SyncReport {
        self.sync
    }

    /// Every serial board's link counters, in config order.
    pub fn link_statuses(&self) -> &[Arc<LinkStatus>] {
        &self.links
    }
}
