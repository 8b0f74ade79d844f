//! Mackie Control surfaces (MCU, XT, Logic Control, X-Touch, iCON ...).
//!
//! [`codec`] is the pure wire format, shared by the driver and the test
//! emulator; [`surface`] is the hub-side state: banks, views, flip,
//! handshakes; `input` is what the units' controls do, and `draw` what
//! each unit is sent back.

pub mod codec;
mod draw;
mod input;
pub mod surface;

pub use surface::{MackieError, MackieSurface, MidiOut, UnitConfig, VPotView};
