//! Changing the session's shape while it plays: a track added at the
//! end, or one removed. The engine gets a new graph (swapped in whole, as
//! for a routing change), and every control of the strips concerned is
//! reported as a change, so every surface shows the new shape without
//! being restarted and the session is saved with it.
//!
//! A removed track's strips after it move up one place. What the hub
//! keeps per strip (touches, trim offsets, the automation undo history,
//! insert measurements' reports, a pending MIDI learn) moves with them;
//! the removed track's goes with it. Surfaces see the strips that moved
//! reported whole, and the strip count ([`Hub::strips`]) one less.
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

    /// Remove track `track` (0-based) with its settings, sends and lanes;
    /// the tracks after it move up one place, and every control of theirs
    /// is reported as a change from `origin`. Returns its name. Refused
    /// while an automation pass is writing or an insert is being measured
    /// (both hold strips by place), and for the last track left.
    pub fn remove_track(&mut self, origin: Origin, track: usize) -> Result<String, IntentError> {
        let strip = StripRef::Track(track);
        if track >= self.session.tracks.len() {
            return Err(IntentError::NoSuchTarget(Address::new(strip, Param::Name)));
        }
        if self.session.tracks.len() == 1 {
            return Err(IntentError::Busy("a session keeps at least one track"));
        }
        if self.pass_writing() {
            return Err(IntentError::Busy(
                "an automation pass is writing; stop the transport first",
            ));
        }
        if self.measurements.running.is_some() {
            return Err(IntentError::Busy(
                "an insert's latency is being measured; wait for its result",
            ));
        }
        let to = |s: StripRef| after_removal(s, track);
        let removed = self.session.tracks.remove(track);
        self.touches.restrip(to);
        self.restrip_automation(to);
        self.measurements.reports = std::mem::take(&mut self.measurements.reports)
            .into_iter()
            .filter_map(|(s, r)| Some((to(s)?, r)))
            .collect();
        self.learn = self
            .learn
            .take()
            .and_then(|(a, until)| Some((Address::new(to(a.strip)?, a.param), until)));
        // Changes not yet shown that name a track from here on name
        // another one now; the moved strips are reported whole below.
        self.feedback
            .retain(|f| !matches!(f.address.strip, StripRef::Track(j) if j >= track));
        self.rebuild();
        self.mark_changed();
        let moved: Vec<Address> = self
            .addresses()
            .into_iter()
            .filter(|a| matches!(a.strip, StripRef::Track(j) if j >= track))
            .collect();
        for address in moved {
            if let Ok(value) = self.get(address) {
                self.changed(address, value, origin);
            }
        }
        tracing::info!("track {} removed: {}", track + 1, removed.name);
        Ok(removed.name)
    }
}

/// Where strip `s` is once track `removed` is gone: the tracks after it
/// one place up; `None` for the removed track itself.
fn after_removal(s: StripRef, removed: usize) -> Option<StripRef> {
    match s {
        StripRef::Track(j) if j == removed => None,
        StripRef::Track(j) if j > removed => Some(StripRef::Track(j - 1)),
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracks_after_a_removed_one_move_up_and_the_rest_stay() {
        assert_eq!(
            after_removal(StripRef::Track(0), 1),
            Some(StripRef::Track(0))
        );
        assert_eq!(after_removal(StripRef::Track(1), 1), None);
        assert_eq!(
            after_removal(StripRef::Track(2), 1),
            Some(StripRef::Track(1))
        );
        assert_eq!(after_removal(StripRef::Bus(1), 1), Some(StripRef::Bus(1)));
        assert_eq!(after_removal(StripRef::Master, 0), Some(StripRef::Master));
    }
}
