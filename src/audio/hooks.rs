//! Code a backend runs on its audio thread besides the engine: probes for
//! tests and benchmarks (an allocation counter, an output probe), bound by
//! the engine's real-time rules. Every backend takes the same hooks.

use crate::engine::Engine;

/// A probe called on the audio thread after every period.
pub type PeriodProbe = Box<dyn FnMut(&Engine) + Send>;

/// A probe called on the audio thread before every period.
pub type PeriodStart = Box<dyn FnMut() + Send>;

/// Code run on a backend's audio thread (any backend:
/// [`EngineSlot::run_period`](super::slot::EngineSlot::run_period) calls
/// them), for tests and
/// benchmarks that watch the real-time thread (an allocation counter, an
/// output probe). Whatever runs here is bound by the same rules as the
/// engine.
#[derive(Default)]
pub struct AudioHooks {
    /// Called first in every period, before any of the backend's work.
    pub before_period: Option<PeriodStart>,
    /// Called last in every period with the engine that just ran.
    pub after_period: Option<PeriodProbe>,
}

impl std::fmt::Debug for AudioHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioHooks")
            .field("before_period", &self.before_period.is_some())
            .field("after_period", &self.after_period.is_some())
            .finish()
    }
}
