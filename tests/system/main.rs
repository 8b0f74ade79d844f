//! The system tests: faderd against the real programs around it (the
//! liblo OSC tools, a private PipeWire, a serial pseudo-terminal pair,
//! the service manager's protocol, the command line), one binary so they
//! link once and run side by side. Each test starts what it needs under
//! names of its own and ends only what it started.
//!
//! The JACK tests are binaries of their own (`tests/jack*.rs`,
//! `tests/*_jack.rs`, ...): a JACK client finds its server through this
//! process's environment, so each needs a process, and the dummy server
//! it names, to itself.

#[path = "../common/mod.rs"]
mod common;

/// OSC clients (oscsend, oscdump) driving the daemon: control, feedback,
/// automation, loudness.
mod automation_osc;
mod loudness_osc;
mod osc;

/// The command line and the service manager.
mod cli;
mod service;

/// A private PipeWire reached through faderd's `auto` backend.
mod pipewire;

/// A serial fader board on a pseudo-terminal pair.
mod serial_board;

/// The browser console in a headless Chromium.
mod web;

/// Found on the LAN by mDNS, between two network namespaces.
mod mdns;
