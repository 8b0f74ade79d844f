//! Mackie Control surfaces (MCU, XT, Logic Control, X-Touch, iCON ...).
//!
//! [`codec`] is the pure wire format, shared by the driver and the test
//! emulator; [`surface`] is the hub-side state: banks, views, flip,
//! handshakes, and what each unit shows.

pub mod codec;
pub mod surface;

pub use surface::{MackieError, MackieSurface, MidiOut, UnitConfig, VPotView};
