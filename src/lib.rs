//! faderd: a real-time mixer engine driven by control surfaces.
//!
//! # Architecture
//!
//! ```text
//!  surfaces/*.yaml  maps/*.yaml   session.yaml  config.yaml
//!         |             |              |            |
//!   [surfaces: protocol drivers] <- UDP ...  [config: the only YAML code]
//!         | intents (native addresses)  ^ feedback
//!         v                             |
//!   [mixer::Hub: the one copy of the mixer state]      (hub thread)
//!         | ToEngine over rtrb (wait-free)  ^ retired graphs, meters (atomics)
//!         v                                 |
//!   [engine::Engine: inside the audio callback]        (audio thread)
//!         |
//!   [audio backends: JACK | cpal | dummy clock]   [render: offline, no clock]
//! ```
//!
//! | module   | thread | may import |
//! |----------|--------|------------|
//! | `dsp`    | any (pure kernels) | nothing |
//! | `engine` | audio  | `dsp` |
//! | `model`  | any (plain data) | `dsp`, `engine` (types) |
//! | `mixer`  | hub    | `engine`, `model`, `dsp` |
//! | `config` | any    | `model`, `mixer` (addresses, the parameter table), `dsp` |
//! | `health` | any non-RT (counters) | nothing |
//! | `media`  | non-RT | `engine` (clip type), `model`, `mixer` (the clip store) |
//! | `audio`  | owns the audio thread | `engine`, `mixer`, `media`, `health` |
//! | `render` | its caller's (offline) | `engine`, `mixer`, `media`, `model` |
//! | `surfaces` | driver I/O threads | `mixer`, `model` (profiles, maps), `dsp` (the fader law), `health` |
//! | `daemon` | wiring | everything |
//!
//! Imports point toward the engine; `tests/behaviour/architecture.rs` reads
//! this table and enforces it.

pub mod audio;
pub mod config;
pub mod daemon;
pub mod dsp;
pub mod engine;
pub mod health;
pub mod media;
pub mod mixer;
pub mod model;
pub mod render;
pub mod surfaces;
