//! Mackie Control surfaces (MCU, XT, Logic Control, X-Touch, iCON ...).
//!
//! [`codec`] is the pure wire format, shared by the driver and the test
//! emulator.

pub mod codec;
