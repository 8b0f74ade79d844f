//! How input reaches the hub thread: each surface's driver thread posts
//! into a bounded channel of its own and rings the hub's one doorbell; the
//! hub thread sleeps on the doorbell (or until its next tick) and then
//! takes what is waiting from every surface that has input.
//!
//! The doorbell parks the hub thread outright: waiting on several
//! channels at once (a select) spins and yields before it sleeps, and a
//! hub woken thousands of times a second by a fader flood spent a fifth
//! of its time there.

use crossbeam::channel::{Receiver, SendError, Sender, TryRecvError, TrySendError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Wakes the hub thread when a driver posted input. Cloned into every
/// driver; waited on by the hub thread alone.
#[derive(Debug, Clone, Default)]
pub struct Doorbell(Arc<Bell>);

#[derive(Debug, Default)]
struct Bell {
    /// Input was posted since the hub last looked.
    rung: AtomicBool,
    /// The thread that waits (the first to call [`Doorbell::wait`]).
    waiter: OnceLock<Thread>,
}

impl Doorbell {
    /// A driver posted input. Cheap when the hub is awake or already
    /// rung (one atomic swap); wakes it otherwise.
    pub fn ring(&self) {
        if !self.0.rung.swap(true, Ordering::AcqRel)
            && let Some(t) = self.0.waiter.get()
        {
            t.unpark();
        }
    }

    /// Hub thread: sleep until the bell rings or `timeout` passes; true
    /// when it rang. Always called from the same thread.
    pub fn wait(&self, timeout: Duration) -> bool {
        self.0.waiter.get_or_init(std::thread::current);
        let deadline = Instant::now() + timeout;
        loop {
            if self.0.rung.swap(false, Ordering::AcqRel) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            std::thread::park_timeout(deadline - now);
        }
    }
}

/// A driver's side of its inbox: a bounded channel to the hub that rings
/// the doorbell with every message.
#[derive(Debug)]
pub struct Post<T> {
    tx: Sender<T>,
    bell: Doorbell,
}

impl<T> Clone for Post<T> {
    fn clone(&self) -> Self {
        Post {
            tx: self.tx.clone(),
            bell: self.bell.clone(),
        }
    }
}

impl<T> Post<T> {
    /// Post `m` if there is room.
    pub fn try_send(&self, m: T) -> Result<(), TrySendError<T>> {
        self.tx.try_send(m)?;
        self.bell.ring();
        Ok(())
    }

    /// Post `m`, waiting for room (driver threads only: never the hub).
    pub fn send(&self, m: T) -> Result<(), SendError<T>> {
        self.tx.send(m)?;
        self.bell.ring();
        Ok(())
    }
}

/// A surface's input from its driver thread, as the hub takes it: a
/// bounded batch at a time (so a flood cannot hold up the tick).
#[derive(Debug)]
pub struct Inbox<T> {
    rx: Receiver<T>,
}

impl<T> Inbox<T> {
    /// A channel of `capacity` messages whose posts ring `bell`.
    pub fn channel(capacity: usize, bell: &Doorbell) -> (Post<T>, Inbox<T>) {
        let (tx, rx) = crossbeam::channel::bounded(capacity);
        (
            Post {
                tx,
                bell: bell.clone(),
            },
            Inbox { rx },
        )
    }

    /// Something is waiting.
    pub fn has_input(&self) -> bool {
        !self.rx.is_empty()
    }

    /// Hand at most `most` waiting messages to `each`, without waiting.
    pub fn drain(&mut self, most: usize, mut each: impl FnMut(T)) {
        for _ in 0..most {
            match self.rx.try_recv() {
                Ok(m) => each(m),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_from_another_thread_wakes_the_waiter_at_once() {
        let bell = Doorbell::default();
        let (post, mut inbox) = Inbox::<u32>::channel(4, &bell);
        assert!(!bell.wait(Duration::from_millis(1)), "not rung yet");
        let t0 = Instant::now();
        let poster = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            post.try_send(7).unwrap();
        });
        assert!(bell.wait(Duration::from_secs(10)));
        let waited = t0.elapsed();
        assert!(waited < Duration::from_secs(5), "woke after {waited:?}");
        assert!(inbox.has_input());
        let mut got = Vec::new();
        inbox.drain(8, |m| got.push(m));
        assert_eq!(got, [7]);
        assert!(!inbox.has_input());
        poster.join().unwrap();
        // Rung once, consumed once: the next wait times out.
        assert!(!bell.wait(Duration::from_millis(1)));
    }
}
