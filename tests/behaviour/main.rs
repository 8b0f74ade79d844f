//! The behaviour tests: everything that runs in this process or starts only
//! faderd itself (no JACK or PipeWire server, no OSC tools, no serial
//! pair), grouped by what a user notices. One binary, so the suite links
//! once and its tests run side by side. The tests that need a real
//! server or an outside tool are in `tests/system/`.

#[path = "../common/mod.rs"]
mod common;

// The real-time tests count the audio thread's allocations.
#[global_allocator]
static GLOBAL: common::alloc::CountingAlloc = common::alloc::CountingAlloc;

/// The import directions and the engine's real-time rules, read off the
/// source.
mod architecture;

/// The mixer as a listener hears it: engine output, sample for sample.
mod aux_effects;
mod engine_behaviour;
mod engine_commands;
mod master_bus;
mod render_accuracy;
mod render_streaming;

/// Automation: what each mode writes and what plays.
mod automation;
mod automation_render;
mod automation_strip;

/// The hub's contract every surface drives.
mod hub;

/// Surfaces on the real hub, byte for byte.
mod mackie_surface;
mod midi_map_surface;
mod serial_surface;
mod touchosc_layout;

/// Dependability: bad input, floods, faults, the audio thread's rules,
/// never losing a session.
mod dependable;
mod osc_flood;
mod rt_alloc;
mod session_files;
mod session_safety;
