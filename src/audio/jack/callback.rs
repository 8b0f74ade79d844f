//! JACK's side of the backend: the process callback on JACK's real-time
//! thread (ports in, the engine's period through its slot, ports and
//! surface MIDI out, transport requests) and the server's notifications.
//!
//! Thread: JACK's (real-time for the process callback): no allocation,
//! lock, I/O or logging.
#![allow(unsafe_code)] // jack's shutdown notification is an `unsafe fn` to implement

use super::JackStats;
use crate::audio::AudioHooks;
use crate::audio::midi::MidiRt;
use crate::audio::slot::{EngineSlot, PeriodIo};
use crate::engine::Engine;
use jack::{
    AudioIn, AudioOut, Client, ClientStatus, Control, MidiIn, MidiOut, ProcessScope, RawMidi,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) struct Notifications {
    pub(super) stats: Arc<JackStats>,
}

impl jack::NotificationHandler for Notifications {
    unsafe fn shutdown(&mut self, _status: ClientStatus, _reason: &str) {
        // Called on a JACK thread: only raise the flag.
        self.stats.server_lost.store(true, Ordering::SeqCst);
    }

    fn sample_rate(&mut self, _: &Client, srate: jack::Frames) -> Control {
        self.stats.sample_rate.store(srate, Ordering::Relaxed);
        Control::Continue
    }

    fn xrun(&mut self, _: &Client) -> Control {
        self.stats.xruns.fetch_add(1, Ordering::Relaxed);
        Control::Continue
    }
}

/// Pitch bends echoed per cycle at most (a Mackie surface sends one per
/// moving fader per few milliseconds; the rest still reach the hub).
const MAX_ECHOES_PER_CYCLE: usize = 64;

pub(super) struct Process {
    pub(super) slot: EngineSlot,
    pub(super) hooks: AudioHooks,
    pub(super) ports: Ports,
}

/// The client's side of a cycle: its ports, surface MIDI and transport.
pub(super) struct Ports {
    pub(super) audio_in: Vec<(usize, jack::Port<AudioIn>)>,
    pub(super) audio_out: Vec<(usize, jack::Port<AudioOut>)>,
    pub(super) midi_in: Vec<jack::Port<MidiIn>>,
    pub(super) midi_out: Vec<jack::Port<MidiOut>>,
    pub(super) midi: Option<MidiRt>,
    pub(super) stats: Arc<JackStats>,
    pub(super) transport: jack::Transport,
}

/// One process cycle, as a period's I/O.
struct Cycle<'a> {
    ports: &'a mut Ports,
    ps: &'a ProcessScope,
    /// The engine follows JACK's transport.
    follow: bool,
}

impl jack::ProcessHandler for Process {
    /// JACK's real-time thread: no allocation, lock, I/O or logging.
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        if self.ports.stats.quit.load(Ordering::Acquire) {
            // Leave silence and end this thread ourselves (see
            // `JackBackend::stop`).
            for (_, port) in self.ports.audio_out.iter_mut() {
                port.as_mut_slice(ps).fill(0.0);
            }
            self.ports.stats.quit_seen.store(true, Ordering::Release);
            return Control::Quit;
        }
        let follow = self.ports.stats.follow_transport.load(Ordering::Relaxed);
        let mut cycle = Cycle {
            ports: &mut self.ports,
            ps,
            follow,
        };
        self.slot
            .run_period(&mut self.hooks, ps.n_frames() as usize, &mut cycle);
        self.ports.stats.periods.fetch_add(1, Ordering::Relaxed);
        Control::Continue
    }

    fn buffer_size(&mut self, _: &Client, size: jack::Frames) -> Control {
        // Periods are processed in engine-sized pieces: nothing to rebuild.
        self.ports
            .stats
            .buffer_frames
            .store(size, Ordering::Relaxed);
        Control::Continue
    }
}

impl Cycle<'_> {
    /// Surface MIDI: what arrived goes to the hub (and pitch bends
    /// straight back, for motor faders following the hand), what the hub
    /// sent goes out.
    fn exchange_midi(&mut self, engine: &Engine) {
        let ps = self.ps;
        let p = &mut *self.ports;
        if let Some(midi) = p.midi.as_mut() {
            let clock = engine.position_frames();
            let timeline = engine.is_rolling().then(|| engine.transport_frame());
            // Pitch bends to echo straight back (motor faders following
            // the hand), written after the hub's messages of this cycle.
            let mut echoes: [(u8, u32, [u8; 3]); MAX_ECHOES_PER_CYCLE] =
                [(0, 0, [0; 3]); MAX_ECHOES_PER_CYCLE];
            let mut n_echoes = 0;
            for (i, port) in p.midi_in.iter().enumerate() {
                for ev in port.iter(ps) {
                    let at = crate::audio::midi::Arrival {
                        clock: clock + u64::from(ev.time),
                        timeline: timeline.map(|t| t + u64::from(ev.time)),
                        apply_at: clock + u64::from(ev.time) + u64::from(ps.n_frames()),
                    };
                    midi.received(i as u8, ev.time, ev.bytes, Some(at));
                    if let Some(bytes) = midi.echo_of(i as u8, ev.bytes)
                        && let Some(slot) = echoes.get_mut(n_echoes)
                    {
                        *slot = (i as u8, ev.time, bytes);
                        n_echoes += 1;
                    }
                }
            }
            let mut writers: [Option<jack::MidiWriter<'_>>; 16] = Default::default();
            for (slot, port) in writers.iter_mut().zip(p.midi_out.iter_mut()) {
                *slot = Some(port.writer(ps));
            }
            let echoes = &echoes[..n_echoes];
            // Messages on a port go out in time order: the hub's at the
            // cycle's start, the echoes at their own frames after them.
            let mut last_time = [0u32; 16];
            while let Some(packet) = midi.next_outgoing() {
                let ok = writers
                    .get_mut(usize::from(packet.port))
                    .and_then(Option::as_mut)
                    .is_some_and(|w| {
                        w.write(&RawMidi {
                            time: 0,
                            bytes: packet.bytes(),
                        })
                        .is_ok()
                    });
                midi.note_written(ok);
            }
            for &(port, time, bytes) in echoes {
                let slot = usize::from(port);
                let time = time.max(last_time.get(slot).copied().unwrap_or(0));
                let ok = writers
                    .get_mut(slot)
                    .and_then(Option::as_mut)
                    .is_some_and(|w| {
                        w.write(&RawMidi {
                            time,
                            bytes: &bytes,
                        })
                        .is_ok()
                    });
                if let Some(t) = last_time.get_mut(slot) {
                    *t = time;
                }
                midi.note_written(ok);
            }
        }
    }
}

impl PeriodIo for Cycle<'_> {
    /// Surface MIDI in and out; the transport followed.
    fn begin(&mut self, engine: &mut Engine) {
        self.exchange_midi(engine);
        if self.follow
            && let Ok(t) = self.ports.transport.query()
        {
            let rolling = t.state == jack::TransportState::Rolling;
            engine.follow(u64::from(t.pos.frame()), rolling);
        }
    }

    fn input(&mut self, engine: &mut Engine, offset: usize, n: usize) {
        for (ch, port) in &self.ports.audio_in {
            let src = &port.as_slice(self.ps)[offset..offset + n];
            if let Some(dst) = engine.input_mut(*ch).get_mut(..n) {
                dst.copy_from_slice(src);
            }
        }
    }

    fn output(&mut self, engine: &Engine, offset: usize, n: usize, playing: bool) {
        for (ch, port) in self.ports.audio_out.iter_mut() {
            let dst = &mut port.as_mut_slice(self.ps)[offset..offset + n];
            match engine.output(*ch).get(..n) {
                Some(src) if playing => dst.copy_from_slice(src),
                _ => dst.fill(0.0),
            }
        }
    }

    /// The engine's requests, to JACK's transport.
    fn end(&mut self, engine: &mut Engine) {
        if !self.follow {
            return;
        }
        while let Some(req) = engine.take_transport_request() {
            // Real-time safe requests; JACK applies them within two cycles.
            let _ = match req {
                crate::engine::TransportCmd::Play => self.ports.transport.start(),
                crate::engine::TransportCmd::Stop => self.ports.transport.stop(),
                crate::engine::TransportCmd::Locate(f) => self
                    .ports
                    .transport
                    .locate(u32::try_from(f).unwrap_or(u32::MAX)),
                // JACK's transport has no loop: its master loops.
                crate::engine::TransportCmd::Loop(_) => Ok(()),
            };
        }
    }
}
