//! A counting global allocator for the real-time tests: it counts the
//! allocations and frees a thread makes while that thread is marked (the
//! engine's audio thread, or a test thread standing in for it), into the
//! counters the marking names. Counters belong to a test, so tests that
//! run side by side in one binary never see each other's counts.
//!
//! A test binary installs it once:
//! `#[global_allocator] static GLOBAL: CountingAlloc = CountingAlloc;`
#![allow(unsafe_code)] // a global allocator needs it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Allocations and frees counted on marked threads.
#[derive(Debug, Default)]
pub struct Counts {
    allocs: AtomicUsize,
    frees: AtomicUsize,
}

impl Counts {
    /// Zero counts, for a `static`.
    pub const fn new() -> Counts {
        Counts {
            allocs: AtomicUsize::new(0),
            frees: AtomicUsize::new(0),
        }
    }

    /// Fresh counters of a test's own, for as long as the test runs.
    pub fn leaked() -> &'static Counts {
        Box::leak(Box::new(Counts::new()))
    }

    /// Allocations (and reallocations) so far.
    pub fn allocs(&self) -> usize {
        self.allocs.load(Ordering::Relaxed)
    }

    /// Frees so far.
    pub fn frees(&self) -> usize {
        self.frees.load(Ordering::Relaxed)
    }
}

thread_local! {
    static INTO: Cell<Option<&'static Counts>> = const { Cell::new(None) };
}

/// Count this thread's allocations and frees into `counts` from now on.
pub fn count_into(counts: &'static Counts) {
    INTO.with(|c| c.set(Some(counts)));
}

/// Stop counting this thread's allocations.
pub fn stop_counting() {
    INTO.with(|c| c.set(None));
}

/// Run `f` on this thread as the audio thread would, counting into fresh
/// counters: (its result, allocations, frees).
pub fn counted<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let counts = Counts::leaked();
    count_into(counts);
    let r = f();
    stop_counting();
    (r, counts.allocs(), counts.frees())
}

fn bump(which: fn(&Counts) -> &AtomicUsize) {
    // try_with: the thread-local may already be gone while a thread exits.
    if let Ok(Some(counts)) = INTO.try_with(Cell::get) {
        which(counts).fetch_add(1, Ordering::Relaxed);
    }
}

/// The system allocator, counting on marked threads.
pub struct CountingAlloc;

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(|c| &c.allocs);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(|c| &c.frees);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(|c| &c.allocs);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
