//! Changing the session's shape while it plays: a track added at the
//! end. The engine gets a new graph (swapped in whole, as for a routing
//! change), and every control of the new strip is reported as a change,
//! so every surface shows it without being restarted and the session
//! is saved with it.
//!
//! Thread: hub.

use super::Channels;
use super::{Address, Hub, IntentError, Origin, Param, StripRef};
use crate::model::{Controls, Output, StripSlot, Track, TrackSource};

/// Tracks a session may grow to here (a session file may hold more).
pub const MAX_TRACKS: usize = 256;

impl Hub {
    /// Add a silent track called `name` after the last one, with a new
    /// strip's settings, going to the master. Its controls are reported
    /// as changes from `origin`. Refused when the name is taken or not a
    /// strip name, or the session has [`MAX_TRACKS`] tracks.
    pub fn add_track(
        &mut self,
        origin: Origin,
        name: &str,
        channels: Channels,
    ) -> Result<StripRef, IntentError> {
        let strip = StripRef::Track(self.session.tracks.len());
        let name_at = Address::new(strip, Param::Name);
        if self.session.tracks.len() >= MAX_TRACKS {
            return Err(IntentError::Busy(
                "the session has the most tracks it may have",
            ));
        }
        let name = crate::model::normalize_strip_name(name);
        self.session
            .check_rename(StripSlot::Track(self.session.tracks.len()), &name)
            .map_err(|e| IntentError::BadName(name_at, e))?;
        self.session.tracks.push(Track {
            name,
            channels,
            source: TrackSource::None,
            output: Output::Master,
            controls: Controls::default(),
        });
        self.rebuild();
        for address in self.addresses().into_iter().filter(|a| a.strip == strip) {
            if let Ok(value) = self.get(address) {
                self.changed(address, value, origin);
            }
        }
        let n = self.session.tracks.len();
        tracing::info!("track {n} added: {}", self.session.tracks[n - 1].name);
        Ok(strip)
    }
}
