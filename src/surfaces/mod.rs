//! Protocol drivers, one folder per kind of surface: a pure codec (bytes to
//! typed intents and back) plus a thin driver that owns the byte pipe.
//!
//! Thread: each driver's own I/O thread; intents reach the hub over a
//! crossbeam channel. May import: `mixer` (addresses, values), `model`
//! (profiles, maps) and `dsp`; the daemon passes its types in.

pub mod conv;
pub mod mackie;
pub mod meters;
pub mod midi;
pub mod mtc;
pub mod osc;
pub mod serial;
pub mod target;
