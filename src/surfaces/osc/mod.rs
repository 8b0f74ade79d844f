//! OSC in the native address space (`/strip/3/fader 0.5`).

pub mod codec;
pub mod driver;
