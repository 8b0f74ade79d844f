//! The single choke point for the audio callback: denormals flushed to zero
//! and panics contained. Every backend calls [`process_guarded`] and nothing
//! else from its real-time callback.
#![allow(unsafe_code)]

use super::Engine;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Run `engine.process(frames)` with flush-to-zero / denormals-are-zero set
/// for the duration, and with a panic contained: on panic the outputs are
/// silenced, the fault counter is bumped and `false` is returned. Backends
/// stop calling the engine after a fault and report it.
///
/// # Real-time safety
/// Allocates nothing and takes no lock (a panic itself may; it is the
/// last-resort path, not error handling).
pub fn process_guarded(engine: &mut Engine, frames: usize) -> bool {
    guarded(engine, |e| {
        e.process(frames);
    })
}

/// [`process_guarded`] for an offline render: the strips that stand alone
/// run on `pool`'s threads (each of which must call its jobs through
/// [`with_denormals_flushed`]). The output is the same as
/// [`process_guarded`]'s.
pub(crate) fn process_guarded_spread(
    engine: &mut Engine,
    frames: usize,
    pool: &dyn super::StripPool,
) -> bool {
    guarded(engine, |e| {
        e.process_spread(frames, pool);
    })
}

/// Run `f` on `engine` with denormals flushed and a panic contained.
fn guarded(engine: &mut Engine, f: impl FnOnce(&mut Engine)) -> bool {
    let saved = denormals_off();
    let ok = catch_unwind(AssertUnwindSafe(|| f(engine))).is_ok();
    restore(saved);
    if !ok {
        engine.silence_outputs();
        engine.note_fault();
    }
    ok
}

/// Run `f` on this thread with denormals flushed to zero, as the engine's
/// own thread runs (a strip computed elsewhere must round the same way).
pub(crate) fn with_denormals_flushed<R>(f: impl FnOnce() -> R) -> R {
    let saved = denormals_off();
    let r = f();
    restore(saved);
    r
}

#[cfg(target_arch = "x86_64")]
fn denormals_off() -> u32 {
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr/ldmxcsr only read and write the SSE control register
    // of this thread; setting FTZ (bit 15) and DAZ (bit 6) changes only how
    // subnormal floats are handled, and the old value is restored after.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
        let new = csr | (1 << 15) | (1 << 6);
        std::arch::asm!("ldmxcsr [{}]", in(reg) &new, options(nostack, readonly));
    }
    csr
}

#[cfg(target_arch = "x86_64")]
fn restore(csr: u32) {
    // SAFETY: restores the control register value read by `denormals_off`.
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn denormals_off() -> u32 {
    // NOTE: on aarch64 FPCR.FZ would be the equivalent; unverified here.
    0
}

#[cfg(not(target_arch = "x86_64"))]
fn restore(_csr: u32) {}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn denormals_flush_inside_and_not_outside() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let saved = denormals_off();
        let inside = std::hint::black_box(tiny) / std::hint::black_box(4.0f32);
        restore(saved);
        let outside = std::hint::black_box(tiny) / std::hint::black_box(4.0f32);
        assert_eq!(inside, 0.0);
        assert!(outside > 0.0);
    }
}
