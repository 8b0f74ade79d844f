//! The daemon's status counters that surfaces report (`/status`): the
//! audio backend's and each serial link's. Updated by the threads that own
//! each (the audio supervisor, a link's I/O thread); read by anyone.
//!
//! Thread: any (atomics).

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
