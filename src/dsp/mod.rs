//! Pure DSP kernels: plain functions and small state structs.
//!
//! Thread: any. Everything here is real-time safe by construction: no
//! allocation, no locks, no I/O, bounded work per call. May import: nothing
//! else in the crate.

pub mod automation;
pub mod biquad;
pub mod delay;
pub mod dynamics;
pub mod echo;
pub mod eq;
pub mod fader_law;
pub mod fastmath;
pub mod generator;
pub mod latency;
pub mod limiter;
pub mod loudness;
pub mod meter;
pub mod pan;
pub mod quadrature;
pub mod ramp;
pub mod reverb;
pub mod state_words;
pub mod true_peak;

pub use fader_law::{amp_to_db, db_to_amp, db_to_pos, pos_to_db};
