//! Real-time scheduling for audio threads a backend creates itself (the
//! dummy backend; JACK and cpal give their callbacks real-time threads on
//! their own).
#![allow(unsafe_code)]

/// SCHED_FIFO priority asked for: below JACK's default (a server's own
/// threads should win), above every normal thread.
pub const AUDIO_PRIORITY: i32 = 70;

/// Why the calling thread could not be made real-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriorityError {
    /// The system refused (no CAP_SYS_NICE or RLIMIT_RTPRIO for this user).
    #[error(
        "real-time scheduling refused (errno {0}); allow it with an rtprio limit (e.g. the 'audio' group) or run under JACK"
    )]
    Refused(i32),
    /// Not supported on this platform.
    #[error("real-time scheduling is not supported on this platform")]
    Unsupported,
}

/// Make the calling thread SCHED_FIFO at [`AUDIO_PRIORITY`] (clamped to
/// what the system allows). Call at the start of the audio thread, before
/// the first period; it does a system call.
#[cfg(target_os = "linux")]
pub fn make_current_thread_realtime() -> Result<(), PriorityError> {
    // SAFETY: sched_get_priority_max only reads its integer argument.
    let max = unsafe { libc::sched_get_priority_max(libc::SCHED_FIFO) };
    let param = libc::sched_param {
        sched_priority: AUDIO_PRIORITY.min(max.max(1)),
    };
    // SAFETY: pthread_self() is always a valid handle for the calling
    // thread, and `param` is a fully initialised sched_param that outlives
    // the call.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PriorityError::Refused(rc))
    }
}

/// Make the calling thread real-time: not supported here.
#[cfg(not(target_os = "linux"))]
pub fn make_current_thread_realtime() -> Result<(), PriorityError> {
    Err(PriorityError::Unsupported)
}
