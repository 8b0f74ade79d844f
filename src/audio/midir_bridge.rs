//! Surface MIDI through midir (ALSA sequencer, CoreMIDI, WinMM) for the
//! backends that have no MIDI ports of their own (cpal, dummy). It feeds
//! the same queues as the JACK backend's MIDI ports, so the hub cannot
//! tell the difference.
//!
//! Thread: its own ("faderd-midir"). Every second it looks for the devices
//! whose port names contain each configured name and connects to them; a
//! device that disappears is noticed and reconnected when it is back.
//! Received messages are pushed from midir's input threads (not real-time
//! threads: locking there is fine); outgoing messages are written every
//! millisecond.
//!
//! Supervised: a panic in a scan, a write or a received message is caught,
//! counted in `/status` and logged with its cause; the bridge carries on
//! with its connections (the queues' lock is taken back from a panic).

use super::midi::{MidiPorts, MidiRt, MidiStats};
use crate::health::{Health, contain};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often devices are looked for.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(1);

/// A running bridge.
#[derive(Debug)]
pub struct MidirBridge {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Connected {
    _input: midir::MidiInputConnection<()>,
    output: midir::MidiOutputConnection,
    name: String,
}

impl MidirBridge {
    /// Bridge `ports` (by name part) to `rt`, panics counted in `health`.
    /// Fails only when the MIDI system cannot be opened at all (no ALSA
    /// sequencer, say).
    pub fn start(ports: MidiPorts, rt: MidiRt, health: Arc<Health>) -> Result<MidirBridge, String> {
        if cfg!(target_os = "linux") && !std::path::Path::new("/dev/snd/seq").exists() {
            return Err("there is no ALSA sequencer here (/dev/snd/seq is missing)".into());
        }
        // Probe once so a missing MIDI system is reported at start.
        midir::MidiInput::new("faderd").map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_t = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("faderd-midir".into())
            .spawn(move || run(&ports, rt, &stop_t, &health))
            .map_err(|e| e.to_string())?;
        Ok(MidirBridge {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for MidirBridge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn find_port<P>(
    ports: &[P],
    name_of: impl Fn(&P) -> Option<String>,
    want: &str,
) -> Option<(usize, String)> {
    let want = want.to_lowercase();
    ports
        .iter()
        .enumerate()
        .filter_map(|(i, p)| name_of(p).map(|n| (i, n)))
        .find(|(_, n)| n.to_lowercase().contains(&want))
}

/// The queues, also after a panic while they were held (what a panic
/// interrupted is one message; the queues themselves stay whole).
fn queues(rt: &Mutex<MidiRt>) -> MutexGuard<'_, MidiRt> {
    rt.lock().unwrap_or_else(PoisonError::into_inner)
}

fn connect(
    index: u8,
    want: &str,
    rt: &Arc<Mutex<MidiRt>>,
    health: &Arc<Health>,
) -> Option<Connected> {
    let input = midir::MidiInput::new("faderd").ok()?;
    let output = midir::MidiOutput::new("faderd").ok()?;
    let in_ports = input.ports();
    let out_ports = output.ports();
    let (ii, name) = find_port(&in_ports, |p| input.port_name(p).ok(), want)?;
    let (oi, _) = find_port(&out_ports, |p| output.port_name(p).ok(), want)?;
    let rt_in = Arc::clone(rt);
    let health = Arc::clone(health);
    let input = input
        .connect(
            &in_ports[ii],
            &format!("faderd {want} in"),
            move |_, bytes, _| {
                contain(&health, "faderd-midir (input)", || {
                    queues(&rt_in).received(index, 0, bytes, None);
                });
            },
            (),
        )
        .ok()?;
    let output = output
        .connect(&out_ports[oi], &format!("faderd {want} out"))
        .ok()?;
    Some(Connected {
        _input: input,
        output,
        name,
    })
}

fn still_there(want: &str) -> bool {
    midir::MidiInput::new("faderd-scan")
        .is_ok_and(|m| find_port(&m.ports(), |p| m.port_name(p).ok(), want).is_some())
}

fn run(ports: &MidiPorts, rt: MidiRt, stop: &AtomicBool, health: &Arc<Health>) {
    let stats: Arc<MidiStats> = Arc::clone(rt.stats());
    let rt = Arc::new(Mutex::new(rt));
    let mut conns: Vec<Option<Connected>> = ports.names.iter().map(|_| None).collect();
    let mut next_scan = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        contain(health, "faderd-midir", || {
            if Instant::now() >= next_scan {
                next_scan = Instant::now() + SCAN_INTERVAL;
                scan(ports, &mut conns, &rt, &stats, health);
            }
            // Outgoing messages to whichever device they are for.
            let mut rt = queues(&rt);
            while let Some(p) = rt.next_outgoing() {
                let ok = conns
                    .get_mut(usize::from(p.port))
                    .and_then(Option::as_mut)
                    .is_some_and(|c| c.output.send(p.bytes()).is_ok());
                rt.note_written(ok);
            }
        });
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Drop the devices that went away, connect the ones that are there.
fn scan(
    ports: &MidiPorts,
    conns: &mut [Option<Connected>],
    rt: &Arc<Mutex<MidiRt>>,
    stats: &MidiStats,
    health: &Arc<Health>,
) {
    for (i, (slot, want)) in conns.iter_mut().zip(&ports.names).enumerate() {
        if slot.is_some() && !still_there(want) {
            tracing::info!("MIDI device '{want}' went away");
            *slot = None;
        }
        if slot.is_none() {
            *slot = connect(i as u8, want, rt, health);
            if let Some(c) = slot {
                tracing::info!("MIDI device '{want}' connected ({})", c.name);
            }
        }
        if let Some(flag) = stats.connected.get(i) {
            flag.store(slot.is_some(), Ordering::Relaxed);
        }
    }
}
