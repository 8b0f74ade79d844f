//! Nothing lost: the session is autosaved to a recovery file while it has
//! unsaved changes, saved to its file when a surface asks (`/session/save`,
//! a Mackie Save button) and at exit, and a save that fails keeps the
//! daemon running, says so (log and `/status`), is tried again, and leaves
//! the mix in a recovery file that could be written.
//!
//! Where the recovery file goes: beside the session (`gig.yaml` ->
//! `gig.recovery.yaml`); if that folder cannot be written, in the user's
//! state folder (`$XDG_STATE_HOME/faderd/recovery/`, by default
//! `~/.local/state/faderd/recovery/`); else in the system's temporary
//! folder. `faderd run` looks in the same places: a recovery file newer
//! than its session is started from (and said so), and the session file
//! is left as it is until the next save.
//!
//! Threads: [`Persistence`] lives on the hub thread and never blocks it;
//! files are written by its own thread ("faderd-save"), one job at a time.

use crate::config::{self, SaveLayout, SessionConfig};
use crate::health::{Health, RateLimited, SaveKind};
use crate::mixer::Hub;
use crate::model::Session;
use crossbeam::channel::{self, Receiver, Sender};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Every place a recovery file of `session` may be, best first, with the
/// state and temporary folders of this process's environment.
pub fn recovery_places(session: &Path) -> Vec<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")));
    recovery_places_in(session, state.as_deref(), &std::env::temp_dir())
}

/// Every place a recovery file of `session` may be, best first: beside
/// it, in `state` (the user's state folder), in `temp`.
pub fn recovery_places_in(session: &Path, state: Option<&Path>, temp: &Path) -> Vec<PathBuf> {
    let stem = session.file_stem().map_or_else(
        || "session".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let beside = session.with_file_name(format!("{stem}.recovery.yaml"));
    // Elsewhere, the name also carries which session it is.
    let absolute = std::fs::canonicalize(session).unwrap_or_else(|_| session.to_path_buf());
    let tagged = format!(
        "{stem}-{:016x}.recovery.yaml",
        fnv1a(absolute.as_os_str().as_encoded_bytes())
    );
    let mut places = vec![beside];
    if let Some(s) = state {
        places.push(s.join("faderd/recovery").join(&tagged));
    }
    places.push(temp.join("faderd-recovery").join(tagged));
    places
}

/// FNV-1a, 64 bits: a stable tag for a path (not a secret).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A recovery file found for a session at start.
#[derive(Debug)]
pub struct Recovered {
    /// The mix it holds.
    pub session: Session,
    /// Where it is.
    pub path: PathBuf,
}

/// The newest recovery file of `session_path` that is newer than the
/// session file itself, read and valid. A recovery file that does not
/// read is reported and left alone.
pub fn find_recovery(session_path: &Path) -> Option<Recovered> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let session_time = modified(session_path).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for p in recovery_places(session_path) {
        if let Some(t) = modified(&p)
            && t > session_time
            && best.as_ref().is_none_or(|(b, _)| t > *b)
        {
            best = Some((t, p));
        }
    }
    let (_, path) = best?;
    match config::load_session(&path) {
        Ok(session) => Some(Recovered { session, path }),
        Err(e) => {
            tracing::error!(
                "a recovery file was found but does not read as a session; starting from the session file: {e}"
            );
            None
        }
    }
}

/// Remove what earlier runs left beside the session and in the recovery
/// places: temporary files of writes that were killed.
pub fn clean_up_after_kills(session_path: &Path) {
    let mut removed = config::remove_stale_temps(session_path);
    for p in recovery_places(session_path) {
        removed += config::remove_stale_temps(&p);
    }
    if removed > 0 {
        tracing::info!(
            "removed {removed} temporary file(s) left by a faderd that was stopped while saving"
        );
    }
}

/// Remove every recovery file of `session_path` (it was saved).
pub fn remove_recovery(session_path: &Path) {
    for p in recovery_places(session_path) {
        match std::fs::remove_file(&p) {
            Ok(()) => tracing::debug!("removed {}", p.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot remove the old recovery file {}: {e}", p.display()),
        }
    }
}

/// Write the recovery file of `session_path` in the first place that
/// takes it; where it went.
pub fn write_recovery(session_path: &Path, session: &Session) -> Result<PathBuf, String> {
    let header = format!(
        "faderd recovery of {}: changes not saved to it yet.\nfaderd run on that session starts from this file; delete it to discard them.",
        session_path.display()
    );
    let mut errors = Vec::new();
    for p in recovery_places(session_path) {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        match config::write_session_copy(&p, session, &header) {
            Ok(()) => return Ok(p),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Err(errors.join("; "))
}

enum Job {
    Save {
        session: Box<Session>,
        revision: u64,
    },
    Recover {
        session: Box<Session>,
        revision: u64,
    },
}

enum Outcome {
    Saved {
        revision: u64,
        layout: SaveLayout,
    },
    SaveFailed {
        error: String,
        /// The recovery file written instead: (revision, where).
        kept: Option<(u64, PathBuf)>,
    },
    Recovered {
        revision: u64,
        path: PathBuf,
    },
    RecoverFailed {
        error: String,
    },
}

/// The hub thread's side of keeping the session safe.
#[derive(Debug)]
pub struct Persistence {
    path: PathBuf,
    config: SessionConfig,
    health: Arc<Health>,
    jobs: Option<Sender<Job>>,
    outcomes: Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    busy: bool,
    /// The revision last written to a recovery file (or saved).
    recovered: u64,
    last_recovery: Option<Instant>,
    /// A save was asked for and has not worked yet.
    want_save: bool,
    retry_at: Option<Instant>,
    recovery_at: Option<PathBuf>,
    said: RateLimited,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Save { .. } => "Save",
            Job::Recover { .. } => "Recover",
        })
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Saved { .. } => "Saved",
            Outcome::SaveFailed { .. } => "SaveFailed",
            Outcome::Recovered { .. } => "Recovered",
            Outcome::RecoverFailed { .. } => "RecoverFailed",
        })
    }
}

impl Persistence {
    /// Keep the session of `path` safe: start the writer thread.
    pub fn start(
        path: PathBuf,
        config: SessionConfig,
        health: Arc<Health>,
    ) -> std::io::Result<Persistence> {
        let (jobs, job_rx) = channel::bounded::<Job>(1);
        let (outcome_tx, outcomes) = channel::bounded::<Outcome>(4);
        let writer_path = path.clone();
        let writer_health = Arc::clone(&health);
        let thread = std::thread::Builder::new()
            .name("faderd-save".into())
            .spawn(move || {
                for job in job_rx {
                    let outcome = crate::health::contain(&writer_health, "faderd-save", || {
                        run_job(&writer_path, job)
                    })
                    .unwrap_or(Outcome::SaveFailed {
                        error: "an internal error while writing".into(),
                        kept: None,
                    });
                    if outcome_tx.send(outcome).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Persistence {
            path,
            config,
            health,
            jobs: Some(jobs),
            outcomes,
            thread: Some(thread),
            busy: false,
            recovered: 0,
            last_recovery: None,
            want_save: false,
            retry_at: None,
            recovery_at: None,
            said: RateLimited::default(),
        })
    }

    /// Call every hub tick: hear how the last write went, then start the
    /// next one that is due (at most one at a time).
    pub fn tick(&mut self, hub: &mut Hub, now: Instant) {
        while let Ok(outcome) = self.outcomes.try_recv() {
            self.busy = false;
            self.heard(outcome, hub, now);
        }
        if hub.take_save_request() {
            self.want_save = true;
            self.retry_at = None;
        }
        if self.busy {
            return;
        }
        let save_due = self.want_save && self.retry_at.is_none_or(|t| now >= t);
        let recovery_due = hub.is_dirty()
            && hub.revision() != self.recovered
            && self.last_recovery.is_none_or(|t| {
                now.duration_since(t) >= Duration::from_millis(self.config.autosave_ms)
            });
        let job = if save_due {
            Job::Save {
                session: Box::new(hub.session().clone()),
                revision: hub.revision(),
            }
        } else if recovery_due {
            self.last_recovery = Some(now);
            Job::Recover {
                session: Box::new(hub.session().clone()),
                revision: hub.revision(),
            }
        } else {
            return;
        };
        if let Some(jobs) = &self.jobs
            && jobs.try_send(job).is_ok()
        {
            self.busy = true;
        }
    }

    fn heard(&mut self, outcome: Outcome, hub: &mut Hub, now: Instant) {
        let name = self.path.display();
        match outcome {
            Outcome::Saved { revision, layout } => {
                hub.mark_saved_at(revision);
                self.recovered = self.recovered.max(revision);
                self.want_save = false;
                self.retry_at = None;
                self.health.note_save(SaveKind::Session, Ok(()));
                match layout {
                    SaveLayout::Rewritten => tracing::warn!(
                        "saved {name}; its layout could not be kept (written in faderd's layout, every value kept)"
                    ),
                    _ => tracing::info!("saved {name}"),
                }
            }
            Outcome::SaveFailed { error, kept } => {
                self.health.note_save(SaveKind::Session, Err(&error));
                let retry = Duration::from_millis(self.config.save_retry_ms);
                self.retry_at = Some(now + retry);
                let kept_in = match kept {
                    Some((revision, path)) => {
                        self.recovered = revision;
                        self.health.note_save(SaveKind::Recovery, Ok(()));
                        format!("the mix is kept in {}", path.display())
                    }
                    None => {
                        // Try the recovery file again at the next tick.
                        self.last_recovery = None;
                        "no recovery file could be written either".to_owned()
                    }
                };
                tracing::error!(
                    "CANNOT SAVE {name}: {error}; {kept_in}; the save is tried again every {:.0} s",
                    retry.as_secs_f64()
                );
            }
            Outcome::Recovered { revision, path } => {
                self.recovered = revision;
                self.health.note_save(SaveKind::Recovery, Ok(()));
                if self.recovery_at.as_ref() != Some(&path) {
                    tracing::info!("unsaved changes are kept in {}", path.display());
                    self.recovery_at = Some(path);
                }
            }
            Outcome::RecoverFailed { error } => {
                self.health.note_save(SaveKind::Recovery, Err(&error));
                if self.said.hit(now).is_some() {
                    tracing::error!(
                        "CANNOT WRITE A RECOVERY FILE for {name} anywhere: {error}; the mix is only in memory"
                    );
                }
            }
        }
    }

    /// Finish the write in flight and stop the writer thread.
    pub fn finish(mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run_job(path: &Path, job: Job) -> Outcome {
    match job {
        Job::Save { session, revision } => match config::save_session(path, &session) {
            Ok(layout) => {
                remove_recovery(path);
                Outcome::Saved { revision, layout }
            }
            Err(e) => Outcome::SaveFailed {
                error: e.to_string(),
                // The mix goes where it can.
                kept: write_recovery(path, &session).ok().map(|p| (revision, p)),
            },
        },
        Job::Recover { session, revision } => match write_recovery(path, &session) {
            Ok(path) => Outcome::Recovered { revision, path },
            Err(error) => Outcome::RecoverFailed { error },
        },
    }
}

/// At exit: save a changed session to its file; if that fails, keep it in
/// a recovery file and say where. `Err` carries the message for the user.
pub fn save_at_exit(path: &Path, session: &Session) -> Result<SaveLayout, String> {
    match config::save_session(path, session) {
        Ok(layout) => {
            remove_recovery(path);
            Ok(layout)
        }
        Err(e) => match write_recovery(path, session) {
            Ok(r) => Err(format!(
                "cannot save {}: {e}; your changes are kept in {} and faderd run on the session starts from them",
                path.display(),
                r.display()
            )),
            Err(r) => Err(format!(
                "cannot save {}: {e}; no recovery file could be written either ({r}): the changes of this run are lost",
                path.display()
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recovery_file_goes_beside_the_session_first() {
        let p = recovery_places(Path::new("/music/gig.yaml"));
        assert_eq!(p[0], Path::new("/music/gig.recovery.yaml"));
        assert!(p.iter().skip(1).all(|x| {
            let n = x.file_name().unwrap().to_string_lossy();
            n.starts_with("gig-") && n.ends_with(".recovery.yaml")
        }));
        assert_ne!(
            recovery_places(Path::new("/a/gig.yaml")).last(),
            recovery_places(Path::new("/b/gig.yaml")).last(),
            "two sessions of one name do not share a recovery file"
        );
    }
}
