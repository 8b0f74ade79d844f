//! Whether the session holds changes its file does not, which state a
//! save wrote, and saves asked for by surfaces. The daemon saves (off the
//! hub thread); the hub only keeps count.
//!
//! Thread: the hub's.

use super::Hub;

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct Saving {
    /// Changed since the last save.
    pub(super) dirty: bool,
    /// Counts changes to the session (saves know which state they wrote).
    pub(super) revision: u64,
    /// A surface asked for the session to be saved.
    pub(super) requested: bool,
}

impl Hub {
    /// True when the state changed since the last [`Hub::mark_saved`].
    pub fn is_dirty(&self) -> bool {
        self.saving.dirty
    }

    /// Call after the session was saved.
    pub fn mark_saved(&mut self) {
        self.saving.dirty = false;
    }

    /// The session's revision: it goes up with every change.
    pub fn revision(&self) -> u64 {
        self.saving.revision
    }

    /// The session as it was at `revision` was saved: clean, unless it
    /// changed since.
    pub fn mark_saved_at(&mut self, revision: u64) {
        if revision == self.saving.revision {
            self.saving.dirty = false;
        }
    }

    /// The session holds changes its file does not (it was recovered).
    pub fn mark_unsaved(&mut self) {
        self.mark_changed();
    }

    pub(crate) fn mark_changed(&mut self) {
        self.saving.dirty = true;
        self.saving.revision += 1;
    }

    /// A surface asks for the session to be saved now (the daemon does it
    /// off this thread and reports the outcome in `/status`).
    pub fn request_save(&mut self) {
        self.saving.requested = true;
    }

    /// Whether a save was asked for since the last call.
    pub fn take_save_request(&mut self) -> bool {
        std::mem::take(&mut self.saving.requested)
    }
}
