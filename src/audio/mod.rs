//! Audio backends: they own the audio thread and call the engine, always
//! through [`crate::engine::rt::process_guarded`].
//!
//! - [`dummy`]: a thread that paces the engine at the stream's rate and
//!   period with no device (CI, headless machines, the demo).
//! - [`offline`]: no clock at all; renders a session to WAV as fast as the
//!   CPU allows.
//!
//! May import: `engine`, `mixer`, `media`, `model`.

pub mod dummy;
pub mod offline;
pub mod priority;
