//! JACK MIDI control latency: two probe clients around a mixer. The first
//! feeds the mixer DC and, on request, one CC at a chosen offset of its
//! cycle; the second watches the mixer's output for the first sample the
//! CC changes. Frames are counted on JACK's frame clock, so the figure is
//! exact whatever the scheduling. Used by the peers benchmark and by the
//! JACK MIDI timing test. Also the JACK xrun counter the benchmarks and
//! tests share ([`XrunCount`]).

use std::time::{Duration, Instant};

/// Shared between the MIDI-latency probe's two clients.
#[derive(Default)]
struct ProbeShared {
    /// A CC to send: `value << 8 | offset in the cycle`, plus one (0: none).
    request: std::sync::atomic::AtomicU32,
    /// JACK frame time of the CC sent and not yet seen in the audio, plus
    /// one (0: none).
    event: std::sync::atomic::AtomicU64,
    /// Frames from the CC to the first changed output sample (may be
    /// negative: a change applied from the start of the CC's cycle), or
    /// `i64::MIN` while none is measured.
    result: std::sync::atomic::AtomicI64,
    /// Xruns the server reported since the probe started.
    xruns: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Counts the server's xruns into its counter (a period some client
/// missed: on a loaded or virtual machine they come without any fault of
/// the mixer's; a change that falls in one is heard a period or more late,
/// a null breaks for a moment). Activate any client with it: JACK tells
/// every client of every xrun.
pub struct XrunCount(pub std::sync::Arc<std::sync::atomic::AtomicU64>);

impl jack::NotificationHandler for XrunCount {
    fn xrun(&mut self, _: &jack::Client) -> jack::Control {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        jack::Control::Continue
    }
}

/// Sends DC into the mixer and, on request, one CC at a chosen offset.
struct ProbeSource {
    midi: jack::Port<jack::MidiOut>,
    dc: jack::Port<jack::AudioOut>,
    shared: std::sync::Arc<ProbeShared>,
}

impl jack::ProcessHandler for ProbeSource {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        use std::sync::atomic::Ordering;
        self.dc.as_mut_slice(ps).fill(0.5);
        let mut w = self.midi.writer(ps);
        let req = self.shared.request.swap(0, Ordering::AcqRel);
        if req != 0 {
            let (value, offset) = (((req - 1) >> 8) as u8, (req - 1) & 0xff);
            let offset = offset.min(ps.n_frames().saturating_sub(1));
            if w.write(&jack::RawMidi {
                time: offset,
                bytes: &[0xB0, 20, value & 0x7f],
            })
            .is_ok()
            {
                let at = u64::from(ps.last_frame_time()) + u64::from(offset);
                self.shared.event.store(at + 1, Ordering::Release);
            }
        }
        jack::Control::Continue
    }
}

/// Watches the mixer's output for the change the CC causes.
struct ProbeSink {
    input: jack::Port<jack::AudioIn>,
    shared: std::sync::Arc<ProbeShared>,
    last: f32,
}

impl jack::ProcessHandler for ProbeSink {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        use std::sync::atomic::Ordering;
        let start = u64::from(ps.last_frame_time());
        let event = self.shared.event.load(Ordering::Acquire);
        for (i, &x) in self.input.as_slice(ps).iter().enumerate() {
            if event != 0 && (x - self.last).abs() > 1e-4 {
                let latency = (start + i as u64) as i64 - (event - 1) as i64;
                self.shared.result.store(latency, Ordering::Release);
                self.shared.event.store(0, Ordering::Release);
                self.last = x;
                return jack::Control::Continue;
            }
            self.last = x;
        }
        jack::Control::Continue
    }
}

/// The two probe clients, active and connected around the mixer.
struct Probe;

type ProbeClients = (
    jack::AsyncClient<(), ProbeSource>,
    jack::AsyncClient<XrunCount, ProbeSink>,
    std::sync::Arc<ProbeShared>,
);

impl Probe {
    /// Clients `{name}-src` (DC to `dc_to`, CCs to `midi_to`) and
    /// `{name}-sink` (watching `out_from`), settled for half a second.
    fn start(name: &str, dc_to: &[String], out_from: &str, midi_to: Option<&str>) -> ProbeClients {
        use std::sync::atomic::Ordering;
        let shared = std::sync::Arc::new(ProbeShared::default());
        shared.result.store(i64::MIN, Ordering::Relaxed);
        let (src_name, sink_name) = (format!("{name}-src"), format!("{name}-sink"));
        let (src, _) = jack::Client::new(&src_name, jack::ClientOptions::NO_START_SERVER).unwrap();
        let (sink, _) =
            jack::Client::new(&sink_name, jack::ClientOptions::NO_START_SERVER).unwrap();
        let source = ProbeSource {
            midi: src.register_port("cc", jack::MidiOut::default()).unwrap(),
            dc: src.register_port("dc", jack::AudioOut::default()).unwrap(),
            shared: std::sync::Arc::clone(&shared),
        };
        let watcher = ProbeSink {
            input: sink.register_port("in", jack::AudioIn::default()).unwrap(),
            shared: std::sync::Arc::clone(&shared),
            last: 0.0,
        };
        let src = src.activate_async((), source).unwrap();
        let sink = sink
            .activate_async(XrunCount(std::sync::Arc::clone(&shared.xruns)), watcher)
            .unwrap();
        for to in dc_to {
            src.as_client()
                .connect_ports_by_name(&format!("{src_name}:dc"), to)
                .unwrap();
        }
        if let Some(to) = midi_to {
            src.as_client()
                .connect_ports_by_name(&format!("{src_name}:cc"), to)
                .unwrap();
        }
        sink.as_client()
            .connect_ports_by_name(out_from, &format!("{sink_name}:in"))
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        (src, sink, shared)
    }
}

/// JACK MIDI CC in to the first changed output sample, in frames, for
/// `trials` CCs at offsets across the cycle: (offset, latency) pairs. The
/// mixer under test takes DC on `dc_to`, CC 20 on `midi_to`, and gives its
/// output on `out_from`. A CC during which the server reported an xrun is
/// set aside and tried again (up to three times `trials` in all), one never
/// heard within 300 ms is left out; how many of each is printed.
pub fn midi_latency(
    dc_to: &[String],
    midi_to: &str,
    out_from: &str,
    trials: usize,
) -> Vec<(u32, i64)> {
    use std::sync::atomic::Ordering;
    /// The xrun report comes from another thread, a little after the
    /// period it spoiled.
    const REPORT_GRACE: Duration = Duration::from_millis(20);
    let (src, sink, shared) = Probe::start("probe", dc_to, out_from, Some(midi_to));
    let offsets = [0u32, 16, 32, 48, 63];
    let mut out = Vec::new();
    let (mut set_aside, mut unheard) = (0, 0);
    for t in 0..trials * 3 {
        if out.len() == trials {
            break;
        }
        let value: u32 = if t % 2 == 0 { 90 } else { 120 };
        let offset = offsets[t % offsets.len()];
        let xruns = shared.xruns.load(Ordering::Relaxed);
        shared.result.store(i64::MIN, Ordering::Release);
        shared
            .request
            .store(((value << 8) | offset) + 1, Ordering::Release);
        let t0 = Instant::now();
        let mut heard = None;
        while t0.elapsed() < Duration::from_millis(300) {
            let r = shared.result.load(Ordering::Acquire);
            if r != i64::MIN {
                heard = Some(r);
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        shared.event.store(0, Ordering::Release);
        std::thread::sleep(REPORT_GRACE);
        match heard {
            Some(_) if shared.xruns.load(Ordering::Relaxed) != xruns => set_aside += 1,
            Some(r) => out.push((offset, r)),
            None => unheard += 1,
        }
        // Let the gain ramp settle before the next.
        std::thread::sleep(Duration::from_millis(40));
    }
    if set_aside + unheard > 0 {
        eprintln!(
            "midi latency: {set_aside} CCs heard across an xrun set aside, {unheard} never heard"
        );
    }
    drop(sink);
    drop(src);
    out
}

/// OSC in to the first changed output sample, in frames of JACK's clock,
/// for `trials` messages: `send(k)` sends message `k` (alternate two
/// values) over UDP. The time of sending is JACK's frame-clock estimate
/// just before it (so a change heard inside a cycle that had already begun
/// reads negative). The mixer takes DC on `dc_to` and gives its output on
/// `out_from`.
pub fn osc_latency(
    dc_to: &[String],
    out_from: &str,
    trials: usize,
    mut send: impl FnMut(usize),
) -> Vec<i64> {
    use std::sync::atomic::Ordering;
    let (src, sink, shared) = Probe::start("oscp", dc_to, out_from, None);
    let mut out = Vec::new();
    for k in 0..trials {
        shared.result.store(i64::MIN, Ordering::Release);
        let at = u64::from(src.as_client().frame_time());
        shared.event.store(at + 1, Ordering::Release);
        send(k);
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(300) {
            let r = shared.result.load(Ordering::Acquire);
            if r != i64::MIN {
                out.push(r);
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        shared.event.store(0, Ordering::Release);
        // Let the gain ramp settle, and land the next at another phase.
        std::thread::sleep(Duration::from_millis(60 + (k as u64 * 7) % 11));
    }
    drop(sink);
    drop(src);
    out
}
