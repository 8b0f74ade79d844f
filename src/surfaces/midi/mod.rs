//! Generic MIDI controllers driven by a map (maps/*.yaml).
//!
//! [`codec`] is the pure wire format: channel messages, NRPN/RPN and
//! 14-bit CC assembly, relative encoder encodings.

mod binding;
pub mod codec;
pub mod surface;

pub use surface::{Learned, MidiMapError, MidiMapSurface};
