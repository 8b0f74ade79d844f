//! faderd against the tools users would otherwise bounce a mix with, in one
//! run on one machine: every figure is a ratio against a peer measured in
//! the same run, interleaved, medians of several repetitions.
//!
//!     bench/run                      # installs the peers, then the full run
//!     cargo bench --bench peers -- [--smoke] [--tracks 8,32,64] [--seconds 60] [--reps 3]
//!                                  [--live 8,32,64,128] [--live-seconds 8]
//!
//! - **Offline bounce** of N mono 48 kHz tracks (amplitude-modulated pink
//!   noise it generates itself) with per-track gain and pan, and again with
//!   a high-pass and low-pass filter and a compressor on every track:
//!   `faderd render` against `ecasound` (one chain per track) and `sox`
//!   (`-M` with a remix matrix; pipes for the filter variant). Wall time and
//!   real-time factor; the mixes are checked to be the same mix (RMS level
//!   within 0.5 dB for gain and pan; the filter variant's peers use their
//!   own filter and compressor designs, so their levels are reported).
//! - **Live DSP load** on a jackd dummy server at 48 kHz / 64 frames, as
//!   JACK reports it, for N = 8, 32, 64, 128 stereo channels with gain,
//!   balance and meters: faderd against jack_mixer (its saved project, the
//!   GUI under Xvfb), each counted above an empty JACK client measured in
//!   the same run (being a client at all costs a few percent here). A feed
//!   client plays noise into every input of the mixer under test (faderd
//!   skips strips resting on silence; on silent inputs the figure would
//!   measure that, not the mixing).
//! - **JACK MIDI control**: a CC moving one channel's volume, sent at
//!   offsets across the cycle; frames from the CC to the first changed
//!   output sample, faderd (a MIDI map) against jack_mixer.
//! - **Daemon footprint**: peak RSS of `faderd run` with 128 tracks on the
//!   dummy backend, and the time from start to its ready line.
//!
//! Results print as a table (figure, faderd, peer, ratio) and go to
//! `target/tmp/bench-peers.json`. `--smoke` runs a few seconds' version
//! (4 tracks of 3 s, one repetition) so CI keeps it working.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;

struct Opts {
    smoke: bool,
    sizes: Vec<usize>,
    seconds: u32,
    reps: usize,
    /// Channel counts of the live comparison (none: skipped).
    live: Vec<usize>,
    /// Seconds of DSP load per sample.
    live_seconds: f64,
    /// Only the whole-process CPU comparison (`--cpu`).
    cpu_only: bool,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let smoke = args.iter().any(|a| a == "--smoke");
    Opts {
        smoke,
        sizes: value("--tracks")
            .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|| if smoke { vec![4] } else { vec![8, 32, 64] }),
        seconds: value("--seconds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(if smoke { 3 } else { 60 }),
        reps: value("--reps")
            .and_then(|s| s.parse().ok())
            .unwrap_or(if smoke { 1 } else { 3 })
            .max(1),
        live: value("--live")
            .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|| if smoke { vec![] } else { vec![8, 32, 64, 128] }),
        live_seconds: value("--live-seconds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(8.0),
        cpu_only: args.iter().any(|a| a == "--cpu"),
    }
}

/// A tool on the PATH, or a note that it is missing.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        eprintln!(
            "SKIPPED: {tool} is not installed (bench/run installs it: apt-get install {tool})"
        );
    }
    ok
}

/// Track `k` (0-based): its gain (dB) and pan position, the same for
/// every tool.
fn track_mix(k: usize, n: usize) -> (f64, f64) {
    let gain_db = -3.0 - (k % 7) as f64;
    let pan = if n > 1 {
        k as f64 / (n - 1) as f64
    } else {
        0.5
    };
    (gain_db, pan)
}

/// Write `n` tracks of amplitude-modulated pink noise (what a mix of
/// instruments looks like to a meter: moving, broadband).
fn material(dir: &Path, n: usize, seconds: u32) -> Vec<PathBuf> {
    use faderd::dsp::generator::{Generator, ToneSpec, Wave};
    std::fs::create_dir_all(dir).unwrap();
    (0..n)
        .map(|k| {
            let path = dir.join(format!("t{:02}.wav", k + 1));
            if !path.exists() {
                let frames = (seconds * RATE) as usize;
                let mut x = vec![0.0f32; frames];
                Generator::new(
                    ToneSpec {
                        wave: Wave::Pink,
                        freq_hz: 0.0,
                        level_db: -12.0,
                        pulse: None,
                        seed: k as u64 + 1,
                    },
                    RATE,
                )
                .fill(0, &mut x);
                let rate_hz = 0.25 + 0.11 * k as f32;
                for (i, v) in x.iter_mut().enumerate() {
                    let t = i as f32 / RATE as f32;
                    *v *= 0.55 + 0.45 * (std::f32::consts::TAU * rate_hz * t).sin();
                }
                let tmp = path.with_extension("part");
                let spec = hound::WavSpec {
                    channels: 1,
                    sample_rate: RATE,
                    bits_per_sample: 32,
                    sample_format: hound::SampleFormat::Float,
                };
                let mut w = hound::WavWriter::create(&tmp, spec).unwrap();
                for v in &x {
                    w.write_sample(*v).unwrap();
                }
                w.finalize().unwrap();
                std::fs::rename(&tmp, &path).unwrap();
            }
            path
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// Gain and pan.
    GainPan,
    /// Plus high-pass 80 Hz, low-pass 12 kHz and a compressor per track.
    FilterComp,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::GainPan => "gain+pan",
            Variant::FilterComp => "HP/LP+comp",
        }
    }
}

fn faderd_session(tracks: &[PathBuf], v: Variant) -> String {
    let n = tracks.len();
    let mut y =
        String::from("version: 1\nname: peers\nsample_rate: 48000\npan_law_db: 0\ntracks:\n");
    for (k, path) in tracks.iter().enumerate() {
        let (g, p) = track_mix(k, n);
        write!(
            y,
            "  - {{ name: T{k}, source: {{ file: \"{}\" }}, gain_db: {g}, pan: {p}",
            path.display()
        )
        .unwrap();
        if v == Variant::FilterComp {
            y.push_str(
                ", eq: { hpf: { freq: 80, slope: 12 }, bands: [{}, {}, {}, { type: low_pass, freq: 12000, q: 0.707 }] }, \
                 comp: { threshold: -20, ratio: 4, knee: 0, attack: 10, release: 100 }",
            );
        }
        y.push_str(" }\n");
    }
    y
}

fn faderd_cmd(session: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_faderd"));
    c.arg("render").arg(session).arg("-o").arg(out);
    c
}

/// ecasound, one chain per track: mono to stereo, gain (percent), balance
/// (0..100, the same law as faderd's `pan_law_db: 0`).
fn ecasound_cmd(tracks: &[PathBuf], v: Variant, out: &Path) -> Command {
    let n = tracks.len();
    let mut c = Command::new("ecasound");
    c.args(["-q", "-z:mixmode,sum", "-b:1024"]);
    for (k, path) in tracks.iter().enumerate() {
        let (g, p) = track_mix(k, n);
        c.arg(format!("-a:{}", k + 1))
            .arg(format!("-i:sndfile,{}", path.display()))
            .arg("-chcopy:1,2")
            .arg(format!("-ea:{:.4}", 100.0 * 10f64.powf(g / 20.0)))
            .arg(format!("-epp:{:.4}", 100.0 * p));
        if v == Variant::FilterComp {
            c.args(["-efh:80", "-efl:12000", "-eca:69,0.5,0.25,1.0"]);
        }
    }
    c.args(["-a:all", "-f:f32_le,2,48000"])
        .arg(format!("-o:{}", out.display()));
    c
}

/// sox: gain and pan as one remix matrix over `-M` (one process), or for
/// the filter variant one pipe per track summed by `-m`.
fn sox_cmd(tracks: &[PathBuf], v: Variant, out: &Path) -> Command {
    let n = tracks.len();
    let gains = |k: usize| {
        let (g, p) = track_mix(k, n);
        let amp = 10f64.powf(g / 20.0);
        let (l, r) = faderd::dsp::pan::PanLaw::Zero.gains(p);
        (amp * l, amp * r)
    };
    let mut c = Command::new("sox");
    match v {
        Variant::GainPan => {
            c.arg("-M");
            for t in tracks {
                c.arg(t);
            }
            c.args(["-e", "floating-point", "-b", "32"]).arg(out);
            let side = |right: bool| {
                (0..n)
                    .map(|k| {
                        let (l, r) = gains(k);
                        format!("{}v{:.6}", k + 1, if right { r } else { l })
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            c.args(["remix", "-m"]).arg(side(false)).arg(side(true));
        }
        Variant::FilterComp => {
            c.arg("-m");
            for (k, t) in tracks.iter().enumerate() {
                let (l, r) = gains(k);
                c.args(["-v", "1"]).arg(format!(
                    "|sox {} -p remix -m 1v{l:.6} 1v{r:.6} highpass 80 lowpass 12000 compand 0.01,0.1 6:-70,-70,-20,-20,0,-15 0 -90 0",
                    t.display()
                ));
            }
            c.args(["-e", "floating-point", "-b", "32"]).arg(out);
        }
    }
    c
}

/// Run `cmd` to completion; its wall time.
fn timed(mut cmd: Command, what: &str) -> Duration {
    let t0 = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let took = t0.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// RMS of a stereo file, dB.
fn rms_db(path: &Path) -> f64 {
    let d = faderd::media::read_wav(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut sum, mut n) = (0.0f64, 0usize);
    for ch in &d.channels {
        for x in ch {
            sum += f64::from(*x).powi(2);
            n += 1;
        }
    }
    10.0 * (sum / n.max(1) as f64).log10()
}

struct Row {
    figure: String,
    faderd: f64,
    peer: String,
    peer_value: Option<f64>,
    /// faderd's advantage (higher is better for faderd).
    ratio: Option<f64>,
    unit: &'static str,
    note: String,
}

/// Peak RSS (kB) and time to ready of `faderd run` with `tracks` tracks on
/// the dummy backend.
fn footprint(dir: &Path, tracks: usize) -> (f64, f64) {
    let mut y = String::from(
        "version: 1\nname: footprint\nbuses:\n  - { name: Verb, kind: aux, reverb: {} }\ntracks:\n",
    );
    for k in 0..tracks {
        writeln!(
            y,
            "  - {{ name: T{k}, source: {{ tone: {{ wave: pink, level_db: -30, seed: {k} }} }}, sends: [{{ bus: Verb, gain_db: -20 }}], \
             eq: {{ hpf: {{ freq: 80 }} }}, comp: {{ threshold: -20 }} }}"
        )
        .unwrap();
    }
    let session = dir.join("footprint.yaml");
    let config = dir.join("footprint-config.yaml");
    std::fs::write(&session, y).unwrap();
    std::fs::write(&config, "version: 1\naudio: { backend: dummy }\n").unwrap();
    let t0 = Instant::now();
    let (child, _ready) = support::start_faderd(&session, &config);
    let ready_ms = t0.elapsed().as_secs_f64() * 1000.0;
    std::thread::sleep(Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.0.id())).unwrap();
    let hwm_kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    drop(child);
    (hwm_kb, ready_ms)
}

/// Memory of process `pid`, MB: (private: anonymous resident pages,
/// resident in all). A JACK client's total counts the server's port
/// buffers (shared memory, ~100 MB on a dummy server) and its libraries.
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("RssAnon:"), field("VmRSS:"))
}

/// faderd on JACK with `n` stereo tracks, each with the full channel
/// strip (HPF 18 dB/oct, 4-band EQ, RMS compressor) and two sends, to a
/// reverb bus and a delay bus; a true-peak limiter on master.
fn faderd_full_session(n: usize) -> String {
    let mut y = String::from(
        "version: 1\nname: full\ntempo_bpm: 120\nbuses:\n  - { name: Verb, kind: aux, reverb: { decay: 1.8 } }\n  - { name: Echo, kind: aux, delay: { sync: 1/8d, feedback: 0.35 } }\ntracks:\n",
    );
    for k in 0..n {
        writeln!(
            y,
            "  - {{ name: in{:03}, channels: stereo, source: {{ input: {} }}, gain_db: -6, pan: 0.5, \
             eq: {{ hpf: {{ freq: 80, slope: 18 }}, bands: [{{ gain: 2 }}, {{ gain: -3 }}, {{ gain: 1.5 }}, {{ gain: 2 }}] }}, \
             comp: {{ threshold: -18, ratio: 3, detect: rms }}, \
             sends: [{{ bus: Verb, gain_db: -12 }}, {{ bus: Echo, gain_db: -18 }}] }}",
            k + 1,
            2 * k + 1
        )
        .unwrap();
    }
    y.push_str("master: { limiter: { ceiling: -1 } }\n");
    y
}

/// jack_mixer 17's project file: `n` stereo inputs (gain -6 dB, balance
/// spread, no direct outputs) into one stereo Main output.
fn jack_mixer_xml(n: usize, volume_cc: Option<u8>) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" ?>\n<jack_mixer geometry=\"1200x600\" paned_position=\"900\" visible=\"True\">\n",
    );
    for k in 0..n {
        let balance = if n > 1 {
            2.0 * k as f64 / (n - 1) as f64 - 1.0
        } else {
            0.0
        };
        writeln!(
            x,
            "  <input_channel name=\"in{:03}\" type=\"stereo\" direct_output=\"False\" volume=\"-6.000000\" balance=\"{balance:.6}\" wide=\"False\" meter_prefader=\"False\"{}/>",
            k + 1,
            match volume_cc {
                Some(cc) if k == 0 => format!(" volume_midi_cc=\"{cc}\""),
                _ => String::new(),
            }
        )
        .unwrap();
    }
    x.push_str("  <output_channel name=\"Main\" type=\"stereo\" volume=\"0.000000\" balance=\"0.000000\" wide=\"True\" meter_prefader=\"False\" color=\"rgb(255,255,255)\"/>\n</jack_mixer>\n");
    x
}

/// faderd with `n` stereo tracks on JACK inputs, gain -6 dB, balance
/// spread, into master: the same work as the jack_mixer project.
fn faderd_live_session(n: usize) -> String {
    let mut y = String::from("version: 1\nname: live\n");
    y.push_str(if n == 0 { "tracks: []\n" } else { "tracks:\n" });
    for k in 0..n {
        let pan = if n > 1 {
            k as f64 / (n - 1) as f64
        } else {
            0.5
        };
        writeln!(
            y,
            "  - {{ name: in{:03}, channels: stereo, source: {{ input: {} }}, gain_db: -6, pan: {pan:.6} }}",
            k + 1,
            2 * k + 1
        )
        .unwrap();
    }
    y
}

/// Wait until `count` ports whose names start with `prefix` exist; false
/// if `child` died first or it takes longer than 30 s.
fn wait_ports(
    client: &jack::Client,
    prefix: &str,
    count: usize,
    child: &mut std::process::Child,
) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        let n = client
            .ports(None, None, jack::PortFlags::empty())
            .iter()
            .filter(|p| p.starts_with(prefix))
            .count();
        if n >= count {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// jack_mixer under Xvfb on `display`, playing `project` (`n` channels),
/// running and with its ports registered (it sometimes crashes while
/// creating channels: up to three tries); it, its JACK client name and the
/// time from starting it to all its ports.
fn start_jack_mixer(
    client: &jack::Client,
    dir: &Path,
    display: &str,
    project: &Path,
    n: usize,
) -> Option<(support::Kill, String, Duration)> {
    let tag = project.file_stem()?.to_string_lossy().into_owned();
    for attempt in 1..=3 {
        let name = format!("{tag}x{attempt}");
        let t0 = Instant::now();
        let mut child = Command::new("jack_mixer")
            .arg("-c")
            .arg(project)
            .arg(&name)
            .env("DISPLAY", display)
            .env("XDG_CONFIG_HOME", dir.join("xdg"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        // n stereo inputs and the Main and Monitor outputs.
        if wait_ports(client, &format!("{name}:"), 2 * n + 4, &mut child) {
            return Some((support::Kill(child), name, t0.elapsed()));
        }
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("jack_mixer with {n} channels did not come up (try {attempt})");
    }
    None
}

/// Order statistics of latencies in frames.
struct Latency {
    min: i64,
    p50: i64,
    p99: i64,
    max: i64,
    count: usize,
}

impl Latency {
    /// `None` for no measurements.
    fn of(values: impl IntoIterator<Item = i64>) -> Option<Latency> {
        let mut v: Vec<i64> = values.into_iter().collect();
        v.sort_unstable();
        let pct = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Some(Latency {
            min: *v.first()?,
            p50: pct(0.5),
            p99: pct(0.99),
            max: *v.last()?,
            count: v.len(),
        })
    }

    fn describe(&self, trials: usize) -> String {
        format!(
            "min {} p50 {} p99 {} max {} frames over {}/{trials}",
            self.min, self.p50, self.p99, self.max, self.count
        )
    }
}

/// A MIDI latency figure (p50) and its note: the statistics and how the
/// latency moves with the CC's offset (a mixer that applies a CC at its
/// own frame shows none).
fn latency_row(who: &str, lat: &[(u32, i64)], trials: usize) -> (f64, String) {
    let stats = Latency::of(lat.iter().map(|(_, l)| *l)).expect("some latencies");
    let mut by_offset: Vec<(u32, i64)> = Vec::new();
    for (o, l) in lat {
        if !by_offset.iter().any(|(x, _)| x == o) {
            by_offset.push((*o, *l));
        }
    }
    by_offset.sort_unstable();
    let shape = by_offset
        .iter()
        .map(|(o, l)| format!("@{o}:{l}"))
        .collect::<Vec<_>>()
        .join(" ");
    (
        stats.p50 as f64,
        format!("{who}: {} CCs; by offset {shape}", stats.describe(trials)),
    )
}

/// One stereo track on JACK input 1 into master: what the latency probes
/// drive.
const PROBE_SESSION: &str = "version: 1\nname: latency\ntracks:\n  - { name: Lat, channels: stereo, source: { input: 1 } }\n";

/// `faderd run` on the benchmark's JACK server; its ready line.
fn faderd_on_jack(session: &Path, config: &Path) -> (support::Kill, String) {
    let (faderd, line) = support::start_faderd(session, config);
    assert!(
        line.contains("on the jackd "),
        "faderd is not on JACK: {line}"
    );
    (faderd, line)
}

/// The MIDI comparison: one channel, its volume on CC 20, in faderd (a
/// MIDI map on JACK MIDI) and in jack_mixer (`volume_midi_cc`).
fn live_midi(work: &Path, display: &str, rows: &mut Vec<Row>, trials: usize) {
    let map = work.join("latency-map.yaml");
    std::fs::write(
        &map,
        "version: 1\nname: latency probe\napplies_to: [midi]\nchart: \"CC 20 on channel 1\"\ndevice: { motorized: true }\n\
         bindings:\n  - { control: fader, midi: { cc: 20 }, target: \"strip/1/fader\" }\n",
    )
    .unwrap();
    let config = work.join("latency-config.yaml");
    std::fs::write(
        &config,
        "version: 1\naudio: { backend: jack }\njack: { client_name: fd-lat, connect: none }\nsurfaces:\n  - midi: { map: latency-map.yaml, port: Ctl }\n",
    )
    .unwrap();
    let session = work.join("latency.yaml");
    std::fs::write(&session, PROBE_SESSION).unwrap();
    let fd = {
        let _faderd = faderd_on_jack(&session, &config);
        std::thread::sleep(Duration::from_millis(500));
        support::midi_probe::midi_latency(
            &["fd-lat:in 1".to_owned(), "fd-lat:in 2".to_owned()],
            "fd-lat:Ctl in",
            "fd-lat:Master out L",
            trials,
        )
    };
    let project = work.join("jmlat.xml");
    std::fs::write(&project, jack_mixer_xml(1, Some(20))).unwrap();
    let (sampler, _) =
        jack::Client::new("probe-ports", jack::ClientOptions::NO_START_SERVER).unwrap();
    let jm = match start_jack_mixer(&sampler, work, display, &project, 1) {
        Some((_jm, name, _)) => {
            std::thread::sleep(Duration::from_millis(500));
            support::midi_probe::midi_latency(
                &[format!("{name}:in001 L"), format!("{name}:in001 R")],
                &format!("{name}:midi in"),
                &format!("{name}:Main L"),
                trials,
            )
        }
        None => Vec::new(),
    };
    if fd.is_empty() {
        eprintln!("no MIDI change came through faderd");
        return;
    }
    let (fd_p50, fd_note) = latency_row("faderd", &fd, trials);
    let (jm_p50, jm_note) = if jm.is_empty() {
        (
            None,
            "jack_mixer: no change seen (or it did not start)".to_owned(),
        )
    } else {
        let (p, n) = latency_row("jack_mixer", &jm, trials);
        (Some(p), n)
    };
    rows.push(Row {
        figure: "JACK MIDI CC to audio, p50 frames".into(),
        faderd: fd_p50,
        peer: "jack_mixer".into(),
        peer_value: jm_p50,
        ratio: None,
        unit: "frames",
        note: format!("{fd_note} | {jm_note}"),
    });
    // How much the latency moves with where the CC falls in its cycle
    // (max - min): what a ride's timing suffers.
    let spread = |v: &[(u32, i64)]| {
        let l = v.iter().map(|(_, l)| *l);
        (l.clone().max().unwrap_or(0) - l.min().unwrap_or(0)) as f64
    };
    let (fd_j, jm_j) = (spread(&fd), (!jm.is_empty()).then(|| spread(&jm)));
    rows.push(Row {
        figure: "JACK MIDI CC to audio, jitter".into(),
        faderd: fd_j,
        peer: "jack_mixer".into(),
        peer_value: jm_j,
        // Lower is better; none when faderd has none to divide by.
        ratio: jm_j.filter(|_| fd_j > 0.0).map(|j| j / fd_j),
        unit: "frames",
        note: "max - min over the CCs: the spread of latency with the CC's offset in its cycle"
            .into(),
    });
}

/// Headless Ardour's tools want these (its /usr/bin wrappers set them;
/// hardour has none), and a home of their own for its configuration.
fn ardour_env(cmd: &mut Command, home: &Path) {
    cmd.env("HOME", home)
        .env("ARDOUR_DATA_PATH", "/usr/share/ardour7")
        .env("ARDOUR_CONFIG_PATH", "/etc/ardour7")
        .env("ARDOUR_DLL_PATH", "/usr/lib/ardour7")
        .env("LD_LIBRARY_PATH", "/usr/lib/ardour7")
        .env("VAMP_PATH", "/usr/lib/ardour7/vamp");
}

/// The hardour binary of the installed Ardour, if any.
fn hardour_bin() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib/ardour7")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("hardour-"))
        })
}

/// An Ardour session of one mono track (built headless by its Lua
/// session tool), with the OSC surface on; its folder and name.
fn ardour_session(work: &Path) -> Option<(PathBuf, &'static str)> {
    let dir = work.join("ardour");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home")).ok()?;
    let script = dir.join("make.lua");
    std::fs::write(
        &script,
        "AudioEngine:set_backend(\"None (Dummy)\", \"\", \"\")\n\
         local s = create_session(os.getenv(\"SESS_DIR\"), \"osc1\", 48000)\n\
         s:new_audio_track(1, 2, nil, 1, \"T\", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)\n\
         s:save_state(\"\", false, false, false, false, false)\nclose_session()\n",
    )
    .ok()?;
    let session = dir.join("osc1");
    let mut cmd = Command::new("ardour7-lua");
    ardour_env(&mut cmd, &dir.join("home"));
    let ok = cmd
        .arg(&script)
        .env("SESS_DIR", &session)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let file = session.join("osc1.ardour");
    let xml = std::fs::read_to_string(&file).ok().filter(|_| ok)?;
    let on = xml.replace(
        "<Protocol name=\"Open Sound Control (OSC)\" active=\"0\"/>",
        "<Protocol name=\"Open Sound Control (OSC)\" active=\"1\"/>",
    );
    std::fs::write(&file, on).ok()?;
    Some((session, "osc1"))
}

/// hardour on the current JACK server with `session`, its ports up (its
/// first start on a fresh server is sometimes kicked by jackd: up to three
/// tries).
fn start_hardour(
    client: &jack::Client,
    work: &Path,
    session: &Path,
    name: &str,
) -> Option<support::Kill> {
    let bin = hardour_bin()?;
    // Its OSC surface listens on UDP 3819 (another Ardour there would get
    // our messages).
    if std::net::UdpSocket::bind("0.0.0.0:3819").is_err() {
        eprintln!("UDP port 3819 is taken (another Ardour running?): no OSC peer");
        return None;
    }
    for attempt in 1..=3 {
        let mut cmd = Command::new(&bin);
        ardour_env(&mut cmd, &work.join("ardour").join("home"));
        let mut child = cmd
            .args(["-c", "hb"])
            .arg(session)
            .arg(name)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        if wait_ports(client, "hb:T/audio_in", 1, &mut child)
            && wait_ports(client, "hb:Master/audio_out", 2, &mut child)
        {
            return Some(support::Kill(child));
        }
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("hardour did not come up (try {attempt})");
    }
    None
}

fn osc_packet(addr: &str, args: Vec<rosc::OscType>) -> Vec<u8> {
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

/// OSC fader message to audio, faderd against headless Ardour (hardour's
/// OSC surface), on the same JACK server: frames from sending to the first
/// changed output sample.
fn live_osc(work: &Path, rows: &mut Vec<Row>, trials: usize) {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let session = work.join("osc-latency.yaml");
    std::fs::write(&session, PROBE_SESSION).unwrap();
    let config = work.join("osc-config.yaml");
    std::fs::write(
        &config,
        "version: 1\naudio: { backend: jack }\njack: { client_name: fd-osc, connect: none }\n",
    )
    .unwrap();
    let fd = {
        let (_faderd, line) = faderd_on_jack(&session, &config);
        let port = support::ready_osc_port(&line);
        std::thread::sleep(Duration::from_millis(300));
        support::midi_probe::osc_latency(
            &["fd-osc:in 1".to_owned(), "fd-osc:in 2".to_owned()],
            "fd-osc:Master out L",
            trials,
            |k| {
                let pos = if k % 2 == 0 { 0.5 } else { 0.8 };
                let p = osc_packet("/strip/1/fader", vec![rosc::OscType::Float(pos)]);
                udp.send_to(&p, ("127.0.0.1", port)).unwrap();
            },
        )
    };
    let (sampler, _) =
        jack::Client::new("osc-ports", jack::ClientOptions::NO_START_SERVER).unwrap();
    let ardour = if have("ardour7-lua") && hardour_bin().is_some() {
        ardour_session(work).and_then(|(dir, name)| {
            let hardour = start_hardour(&sampler, work, &dir, name)?;
            std::thread::sleep(Duration::from_millis(500));
            // Hear the input while stopped.
            let p = osc_packet(
                "/strip/monitor_input",
                vec![rosc::OscType::Int(1), rosc::OscType::Int(1)],
            );
            udp.send_to(&p, ("127.0.0.1", 3819)).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            let lat = support::midi_probe::osc_latency(
                &["hb:T/audio_in 1".to_owned()],
                "hb:Master/audio_out 1",
                trials,
                |k| {
                    let db = if k % 2 == 0 { -20.0 } else { 0.0 };
                    let p = osc_packet(
                        "/strip/gain",
                        vec![rosc::OscType::Int(1), rosc::OscType::Float(db)],
                    );
                    udp.send_to(&p, ("127.0.0.1", 3819)).unwrap();
                },
            );
            drop(hardour);
            Some(lat)
        })
    } else {
        eprintln!("SKIPPED: Ardour is not installed (bench/run installs it): no OSC peer");
        None
    };
    let Some(fd) = Latency::of(fd) else {
        eprintln!("no OSC change came through faderd");
        return;
    };
    let ardour = ardour.and_then(Latency::of);
    let ar_note = ardour.as_ref().map_or_else(
        || "no figure (not installed, or it did not start)".to_owned(),
        |a| a.describe(trials),
    );
    let (fd_p99, ar_p99) = (fd.p99 as f64, ardour.as_ref().map(|a| a.p99 as f64));
    let fd_note = fd.describe(trials);
    rows.push(Row {
        figure: "OSC fader to audio, p99 frames".into(),
        faderd: fd_p99,
        peer: "hardour".into(),
        peer_value: ar_p99,
        ratio: ar_p99.filter(|_| fd_p99 > 0.0).map(|a| a / fd_p99),
        unit: "frames",
        note: format!("faderd: {fd_note} | Ardour 7.3 hardour: {ar_note}; 64-frame periods, from sendto on JACK's frame clock"),
    });
}

/// The live comparison: DSP load of faderd and of jack_mixer for each
/// channel count, above an empty client, interleaved.
fn live(o: &Opts, work: &Path, rows: &mut Vec<Row>) {
    let Some(_jackd) = support::start_jackd("peers") else {
        return;
    };
    if !have("jack_mixer") || !have("Xvfb") {
        eprintln!(
            "SKIPPED: the live comparison needs jack_mixer and Xvfb (bench/run installs them)"
        );
        return;
    }
    let display = format!(":{}", 90 + std::process::id() % 100);
    let _xvfb = support::Kill(
        Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1600x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts"),
    );
    std::thread::sleep(Duration::from_millis(500));
    let (sampler, _) = jack::Client::new("peers-sampler", jack::ClientOptions::NO_START_SERVER)
        .expect("a JACK client");
    // Noise into every mixer's inputs for the whole section.
    let _feed = support::start_feed();
    let config = work.join("live-config.yaml");
    std::fs::write(
        &config,
        "version: 1\naudio: { backend: jack }\njack: { client_name: faderd-live, connect: none }\n",
    )
    .unwrap();
    // What being a client costs: an activated client doing nothing.
    let null_load = |secs: f64| {
        let (c, _) = jack::Client::new("peers-null", jack::ClientOptions::NO_START_SERVER).unwrap();
        let active = c
            .activate_async(
                (),
                jack::contrib::ClosureProcessHandler::new(
                    |_: &jack::Client, _: &jack::ProcessScope| jack::Control::Continue,
                ),
            )
            .unwrap();
        let load = support::dsp_load(&sampler, secs);
        drop(active);
        load
    };
    if o.cpu_only {
        live_cpu(o, work, &display, &sampler, &config, rows);
        return;
    }
    live_midi(work, &display, rows, if o.reps > 1 { 60 } else { 20 });
    live_osc(work, rows, if o.reps > 1 { 100 } else { 30 });
    live_full(o, work, &sampler, &config, &null_load, rows);
    live_cpu(o, work, &display, &sampler, &config, rows);
    for &n in &o.live {
        let session = work.join(format!("live{n}.yaml"));
        std::fs::write(&session, faderd_live_session(n)).unwrap();
        let project = work.join(format!("jm{n}.xml"));
        std::fs::write(&project, jack_mixer_xml(n, None)).unwrap();
        let (mut null, mut fd, mut jm) = (Vec::new(), Vec::new(), Vec::new());
        // Start-up to ready (ms) and peak RSS (MB) after the load window.
        let (mut fd_up, mut jm_up) = (Vec::new(), Vec::new());
        for _ in 0..o.reps {
            null.push(null_load(o.live_seconds));
            {
                let t0 = Instant::now();
                let (faderd, _) = faderd_on_jack(&session, &config);
                let ready = t0.elapsed();
                feed_faderd(&sampler, n);
                fd.push(support::dsp_load(&sampler, o.live_seconds));
                fd_up.push((ready, memory_mb(faderd.0.id())));
            }
            if let Some((jmixer, name, ready)) =
                start_jack_mixer(&sampler, work, &display, &project, n)
            {
                feed_jack_mixer(&sampler, &name, n);
                jm.push(support::dsp_load(&sampler, o.live_seconds));
                jm_up.push((ready, memory_mb(jmixer.0.id())));
            }
        }
        if Some(&n) == o.live.iter().max() && !jm_up.is_empty() {
            footprint_rows(n, &fd_up, &jm_up, rows);
        }
        let null = support::median(null);
        let fd = support::median(fd) - null;
        let note = format!(
            "DSP % above an empty client ({null:.2} %), median of {}",
            o.reps
        );
        if jm.is_empty() {
            eprintln!("jack_mixer with {n} channels never came up: no peer figure");
            rows.push(Row {
                figure: format!("live {n} stereo ch, gain/bal/meters"),
                faderd: fd,
                peer: "jack_mixer".into(),
                peer_value: None,
                ratio: None,
                unit: "DSP %",
                note: "jack_mixer crashed at start-up every try".into(),
            });
            continue;
        }
        let runs = jm.len();
        let jm = support::median(jm) - null;
        // Load: lower is better, so the ratio is the peer's over ours. A
        // faderd within the noise of an empty client has no ratio to speak of.
        let within_noise = fd < 0.1;
        let mut note = if within_noise {
            format!("faderd within the noise of an empty client; {note}")
        } else {
            note
        };
        if runs < o.reps {
            write!(note, "; jack_mixer came up {runs} of {} times", o.reps).unwrap();
        }
        rows.push(Row {
            figure: format!("live {n} stereo ch, gain/bal/meters"),
            faderd: fd,
            peer: "jack_mixer".into(),
            peer_value: Some(jm),
            ratio: (!within_noise).then(|| jm / fd),
            unit: "DSP %",
            note,
        });
    }
}

/// Noise on every input of faderd's `n` stereo tracks (client
/// `faderd-live`).
fn feed_faderd(sampler: &jack::Client, n: usize) {
    let fed = support::feed_inputs(sampler, "^faderd-live:.* in [LR]$");
    assert_eq!(fed, 2 * n, "faderd's track inputs fed");
}

/// Noise on every input of jack_mixer `name`'s `n` stereo channels.
fn feed_jack_mixer(sampler: &jack::Client, name: &str, n: usize) {
    let fed = support::feed_inputs(sampler, &format!("^{name}:in[0-9]+ [LR]$"));
    assert_eq!(fed, 2 * n, "jack_mixer's channel inputs fed");
}

/// Start-up and memory of faderd and jack_mixer on JACK with `n`
/// channels: (time to ready, (private MB, resident MB)) per run.
type Footprint = (Duration, (f64, f64));

fn footprint_rows(n: usize, fd: &[Footprint], jm: &[Footprint], rows: &mut Vec<Row>) {
    let ms = |v: &[Footprint]| support::median(v.iter().map(|x| x.0.as_secs_f64() * 1e3).collect());
    let private = |v: &[Footprint]| support::median(v.iter().map(|x| x.1.0).collect());
    let resident = |v: &[Footprint]| support::median(v.iter().map(|x| x.1.1).collect());
    let (fd_ms, jm_ms) = (ms(fd), ms(jm));
    rows.push(Row {
        figure: format!("JACK start-up to ready, {n} ch"),
        faderd: fd_ms,
        peer: "jack_mixer".into(),
        peer_value: Some(jm_ms),
        ratio: Some(jm_ms / fd_ms),
        unit: "ms",
        note: "spawn to ready line / to all its ports".into(),
    });
    let (fd_mb, jm_mb) = (private(fd), private(jm));
    rows.push(Row {
        figure: format!("JACK private memory, {n} ch"),
        faderd: fd_mb,
        peer: "jack_mixer".into(),
        peer_value: Some(jm_mb),
        ratio: Some(jm_mb / fd_mb),
        unit: "MB",
        note: format!(
            "RssAnon after the load window; resident in all {:.0} / {:.0} MB (JACK's shared port buffers and libraries)",
            resident(fd),
            resident(jm)
        ),
    });
}

/// faderd alone with 64 full stereo strips and two effect buses on JACK
/// (no peer has the strip): its DSP load above an empty client.
fn live_full(
    o: &Opts,
    work: &Path,
    sampler: &jack::Client,
    config: &Path,
    null_load: &dyn Fn(f64) -> f64,
    rows: &mut Vec<Row>,
) {
    let n = 64;
    let session = work.join(format!("full{n}.yaml"));
    std::fs::write(&session, faderd_full_session(n)).unwrap();
    let (mut null, mut fd) = (Vec::new(), Vec::new());
    for _ in 0..o.reps {
        null.push(null_load(o.live_seconds));
        let _faderd = faderd_on_jack(&session, config);
        feed_faderd(sampler, n);
        fd.push(support::dsp_load(sampler, o.live_seconds));
    }
    let null = support::median(null);
    rows.push(Row {
        figure: format!("live {n} full strips + 2 FX buses"),
        faderd: support::median(fd) - null,
        peer: "-".into(),
        peer_value: None,
        ratio: None,
        unit: "DSP %",
        note: format!(
            "HPF, 4-band EQ, RMS comp, 2 sends each; reverb, delay, TP limiter; above an empty client ({null:.2} %), goal < 15 %"
        ),
    });
}

/// Whole-process CPU of `pid` (percent of one core, from the process's
/// own accounting) and JACK's DSP load, over the same `secs` after a 1 s
/// settle.
fn process_load(pid: u32, sampler: Option<&jack::Client>, secs: f64) -> (f64, f64) {
    std::thread::sleep(Duration::from_secs(1));
    let (c0, t0) = (support::cpu_seconds(pid), Instant::now());
    let mut dsp = Vec::new();
    while t0.elapsed().as_secs_f64() < secs {
        std::thread::sleep(Duration::from_millis(100));
        if let Some(s) = sampler {
            dsp.push(f64::from(s.cpu_load()));
        }
    }
    let cpu = (support::cpu_seconds(pid) - c0) / t0.elapsed().as_secs_f64() * 100.0;
    (cpu, dsp.iter().sum::<f64>() / dsp.len().max(1) as f64)
}

/// jack_mixer's project with every channel's volume on its own CC
/// (channel k on CC k, MIDI channel 1), for a CC flood.
fn jack_mixer_xml_all_ccs(n: usize) -> String {
    let mut x = jack_mixer_xml(n, None);
    for k in 0..n.min(120) {
        x = x.replacen(
            &format!("name=\"in{:03}\" ", k + 1),
            &format!("name=\"in{:03}\" volume_midi_cc=\"{k}\" ", k + 1),
            1,
        );
    }
    x
}

/// Clients of the control flood, and moves each sends a second.
const FLOOD_CLIENTS: usize = 8;
const FLOOD_RATE: usize = 500;

/// Eight OSC clients (tablets), each subscribed and riding its eighth of
/// the `n` faders at [`FLOOD_RATE`] moves a second, for `secs`; the
/// feedback they get is read and dropped.
fn osc_flood(port: u16, n: usize, secs: f64) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let socks: Vec<std::net::UdpSocket> = (0..FLOOD_CLIENTS)
            .map(|_| {
                let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                s.set_nonblocking(true).unwrap();
                s.send_to(&osc_packet("/subscribe", vec![]), ("127.0.0.1", port))
                    .unwrap();
                s
            })
            .collect();
        let per = (n / FLOOD_CLIENTS).max(1);
        let t0 = Instant::now();
        let mut buf = vec![0u8; 65_536];
        let mut sent = 0u64;
        let mut tick = 0u64;
        while t0.elapsed().as_secs_f64() < secs {
            for (c, s) in socks.iter().enumerate() {
                let strip = 1 + c * per + (tick as usize % per);
                let x = 0.5 + 0.4 * ((tick as f64) * 0.01 + c as f64).sin();
                let p = osc_packet(
                    &format!("/strip/{strip}/fader"),
                    vec![rosc::OscType::Float(x as f32)],
                );
                if s.send_to(&p, ("127.0.0.1", port)).is_ok() {
                    sent += 1;
                }
                while s.recv(&mut buf).is_ok() {}
            }
            tick += 1;
            // FLOOD_RATE rounds a second, paced on the clock.
            let due = Duration::from_secs_f64(tick as f64 / FLOOD_RATE as f64);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        sent
    })
}

/// The same number of moves a second as MIDI CCs into jack_mixer's MIDI
/// input (its control path): a JACK client writing them at their times in
/// each cycle. Stops when the returned client is dropped.
struct CcFlood {
    out: jack::Port<jack::MidiOut>,
    n: usize,
    sent: u64,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl jack::ProcessHandler for CcFlood {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let frames = u64::from(ps.n_frames());
        let start = u64::from(ps.last_frame_time());
        let rate = (FLOOD_CLIENTS * FLOOD_RATE) as u64;
        let mut w = self.out.writer(ps);
        // The moves due up to the end of this cycle.
        let due = (start + frames) * rate / u64::from(RATE);
        while self.sent < due {
            let k = (self.sent as usize) % self.n.clamp(1, 120);
            let v = (64.0 + 50.0 * (self.sent as f64 * 0.01).sin()) as u8;
            let at = (self.sent * u64::from(RATE) / rate)
                .saturating_sub(start)
                .min(frames - 1);
            let _ = w.write(&jack::RawMidi {
                time: at as u32,
                bytes: &[0xB0, k as u8, v & 0x7f],
            });
            self.sent += 1;
            self.count
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        jack::Control::Continue
    }
}

fn cc_flood(
    to: &str,
    n: usize,
) -> (
    jack::AsyncClient<(), CcFlood>,
    std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    let (c, _) = jack::Client::new("peers-ccflood", jack::ClientOptions::NO_START_SERVER).unwrap();
    let out = c.register_port("out", jack::MidiOut::default()).unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = u64::from(c.frame_time());
    let rate = (FLOOD_CLIENTS * FLOOD_RATE) as u64;
    let flood = CcFlood {
        out,
        n,
        sent: start * rate / u64::from(RATE),
        count: std::sync::Arc::clone(&count),
    };
    let active = c.activate_async((), flood).unwrap();
    let _ = active
        .as_client()
        .connect_ports_by_name("peers-ccflood:out", to);
    (active, count)
}

/// Whole-process CPU of faderd and jack_mixer doing the same work in the
/// same run: idle (faderd on the dummy backend with 8 silent tracks,
/// jack_mixer with 8 channels on JACK), 64 stereo channels on JACK, and
/// 64 channels under 8 clients' control flood (OSC into faderd, MIDI CCs
/// into jack_mixer: its control path).
fn live_cpu(
    o: &Opts,
    work: &Path,
    display: &str,
    sampler: &jack::Client,
    jack_config: &Path,
    rows: &mut Vec<Row>,
) {
    let secs = o.live_seconds;
    // Idle is a fraction of a percent: a longer window, so that the
    // process's 10 ms accounting ticks resolve it (±0.05 % at 20 s).
    let idle_secs = (3.0 * secs).max(20.0);
    let dummy = work.join("cpu-dummy.yaml");
    std::fs::write(&dummy, "version: 1\naudio: { backend: dummy }\n").unwrap();
    let idle = work.join("cpu-idle.yaml");
    std::fs::write(&idle, "version: 1\nname: idle\ntracks:\n  - { name: A }\n  - { name: B }\n  - { name: C }\n  - { name: D }\n  - { name: E }\n  - { name: F }\n  - { name: G }\n  - { name: H }\n").unwrap();
    let live64 = work.join("cpu64.yaml");
    std::fs::write(&live64, faderd_live_session(64)).unwrap();
    let jm8 = work.join("cpujm8.xml");
    std::fs::write(&jm8, jack_mixer_xml(8, None)).unwrap();
    let jm64 = work.join("cpujm64.xml");
    std::fs::write(&jm64, jack_mixer_xml_all_ccs(64)).unwrap();
    let (mut fd_idle, mut jm_idle) = (Vec::new(), Vec::new());
    let (mut fd64, mut jm64v, mut fd64_dsp, mut jm64_dsp) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut fdf, mut jmf, mut fdf_dsp, mut jmf_dsp) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut moves_fd, mut moves_jm) = (0u64, 0u64);
    for _ in 0..o.reps {
        {
            let (faderd, _) = support::start_faderd(&idle, &dummy);
            fd_idle.push(process_load(faderd.0.id(), None, idle_secs).0);
        }
        if let Some((jm, _, _)) = start_jack_mixer(sampler, work, display, &jm8, 8) {
            jm_idle.push(process_load(jm.0.id(), None, idle_secs).0);
        }
        {
            let (faderd, ready) = faderd_on_jack(&live64, jack_config);
            feed_faderd(sampler, 64);
            let (cpu, dsp) = process_load(faderd.0.id(), Some(sampler), secs);
            fd64.push(cpu);
            fd64_dsp.push(dsp);
            let port = support::ready_osc_port(&ready);
            let flood = osc_flood(port, 64, secs + 1.5);
            let (cpu, dsp) = process_load(faderd.0.id(), Some(sampler), secs);
            moves_fd += flood.join().unwrap_or(0);
            fdf.push(cpu);
            fdf_dsp.push(dsp);
        }
        if let Some((jm, name, _)) = start_jack_mixer(sampler, work, display, &jm64, 64) {
            feed_jack_mixer(sampler, &name, 64);
            let (cpu, dsp) = process_load(jm.0.id(), Some(sampler), secs);
            jm64v.push(cpu);
            jm64_dsp.push(dsp);
            let (flood, count) = cc_flood(&format!("{name}:midi in"), 64);
            let (cpu, dsp) = process_load(jm.0.id(), Some(sampler), secs);
            drop(flood);
            moves_jm += count.load(std::sync::atomic::Ordering::Relaxed);
            jmf.push(cpu);
            jmf_dsp.push(dsp);
        }
    }
    let med = |v: &[f64]| (!v.is_empty()).then(|| support::median(v.to_vec()));
    let row = |figure: &str, fd: &[f64], jm: &[f64], note: String| Row {
        figure: figure.into(),
        faderd: med(fd).unwrap_or(f64::NAN),
        peer: "jack_mixer".into(),
        peer_value: med(jm),
        // Lower is better: the peer's over ours.
        ratio: med(jm)
            .zip(med(fd))
            .filter(|(_, f)| *f > 0.0)
            .map(|(j, f)| j / f),
        unit: "% core",
        note,
    };
    rows.push(row(
        "idle, whole-process CPU",
        &fd_idle,
        &jm_idle,
        "faderd: dummy backend, 8 silent tracks, no clients; jack_mixer: 8 ch on JACK, GUI under Xvfb; goal < 0.5 %".into(),
    ));
    let dsp = |v: &[f64]| med(v).map_or("-".to_owned(), |x| format!("{x:.2}"));
    rows.push(row(
        "live 64 stereo ch, whole-process CPU",
        &fd64,
        &jm64v,
        format!(
            "all threads, noise on every input; JACK DSP load {} / {} %; goal at most half of jack_mixer's",
            dsp(&fd64_dsp),
            dsp(&jm64_dsp)
        ),
    ));
    let reps = o.reps.max(1) as f64;
    rows.push(row(
        "live 64 ch, 8-client control flood",
        &fdf,
        &jmf,
        format!(
            "{} clients x {} moves/s: OSC into faderd (subscribed, feedback read), {:.0} sent/s; MIDI CCs into jack_mixer, {:.0} sent/s; JACK DSP load {} / {} %",
            FLOOD_CLIENTS,
            FLOOD_RATE,
            moves_fd as f64 / reps / (secs + 1.5),
            moves_jm as f64 / reps / (secs + 1.0),
            dsp(&fdf_dsp),
            dsp(&jmf_dsp)
        ),
    ));
}

fn main() {
    let o = opts();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("peers");
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let (eca, sox) = (have("ecasound"), have("sox"));
    println!(
        "faderd vs peers: {} s of 48 kHz mono tracks, N = {:?}, {} repetition(s), interleaved; medians",
        o.seconds, o.sizes, o.reps
    );
    let mut rows: Vec<Row> = Vec::new();
    let sizes = if o.cpu_only {
        Vec::new()
    } else {
        o.sizes.clone()
    };
    for &n in &sizes {
        let tracks = material(&root.join(format!("material-{}s", o.seconds)), n, o.seconds);
        for v in [Variant::GainPan, Variant::FilterComp] {
            let tag = format!("{n}-{}", if v == Variant::GainPan { "gp" } else { "fc" });
            let session = work.join(format!("{tag}.yaml"));
            std::fs::write(&session, faderd_session(&tracks, v)).unwrap();
            let out = |tool: &str| work.join(format!("{tag}-{tool}.wav"));
            let (mut t_fd, mut t_eca, mut t_sox) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..o.reps {
                t_fd.push(
                    timed(faderd_cmd(&session, &out("faderd")), "faderd render").as_secs_f64(),
                );
                if eca {
                    t_eca.push(
                        timed(ecasound_cmd(&tracks, v, &out("ecasound")), "ecasound").as_secs_f64(),
                    );
                }
                if sox {
                    t_sox.push(timed(sox_cmd(&tracks, v, &out("sox")), "sox").as_secs_f64());
                }
            }
            let audio_s = f64::from(o.seconds);
            let fd = audio_s / support::median(t_fd);
            let level_fd = rms_db(&out("faderd"));
            for (peer, times, ok) in [("ecasound", t_eca, eca), ("sox", t_sox, sox)] {
                if !ok {
                    continue;
                }
                let speed = audio_s / support::median(times);
                let delta = rms_db(&out(peer)) - level_fd;
                let note = match v {
                    Variant::GainPan if delta.abs() <= 0.5 => format!("same mix ({delta:+.2} dB)"),
                    Variant::GainPan => format!("MIX DIFFERS ({delta:+.2} dB)"),
                    Variant::FilterComp => format!("level {delta:+.2} dB (own filters/compressor)"),
                };
                rows.push(Row {
                    figure: format!("bounce {n} tracks, {}", v.name()),
                    faderd: fd,
                    peer: peer.to_owned(),
                    peer_value: Some(speed),
                    ratio: Some(fd / speed),
                    unit: "x realtime",
                    note,
                });
                if v == Variant::GainPan && delta.abs() > 0.5 {
                    eprintln!("the {peer} and faderd mixes of {n} tracks differ by {delta:+.2} dB");
                }
            }
        }
    }
    if !o.live.is_empty() || o.cpu_only {
        live(&o, &work, &mut rows);
    }
    let (hwm_kb, ready_ms) = footprint(&work, if o.smoke { 8 } else { 128 });
    let tracks_fp = if o.smoke { 8 } else { 128 };
    rows.push(Row {
        figure: format!("daemon peak RSS, {tracks_fp} tracks"),
        faderd: hwm_kb / 1024.0,
        peer: "-".into(),
        peer_value: None,
        ratio: None,
        unit: "MB",
        note: "faderd run, dummy backend, full strips + reverb bus".into(),
    });
    rows.push(Row {
        figure: format!("start-up to ready, {tracks_fp} tracks"),
        faderd: ready_ms,
        peer: "-".into(),
        peer_value: None,
        ratio: None,
        unit: "ms",
        note: String::new(),
    });

    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>8}  {:<11} note",
        "figure", "faderd", "peer", "value", "ratio", "unit"
    );
    let mut json = String::from("[");
    for r in &rows {
        let num = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{x:.2}"));
        println!(
            "{:<34} {:>10.2} {:>10} {:>10} {:>8}  {:<11} {}",
            r.figure,
            r.faderd,
            r.peer,
            num(r.peer_value),
            r.ratio.map_or("-".to_owned(), |x| format!("{x:.2}x")),
            r.unit,
            r.note
        );
        write!(
            json,
            "{{\"figure\":\"{}\",\"faderd\":{:.4},\"peer\":\"{}\",\"peer_value\":{},\"ratio\":{},\"unit\":\"{}\",\"note\":\"{}\"}},",
            r.figure,
            r.faderd,
            r.peer,
            r.peer_value.map_or("null".into(), |x| format!("{x:.4}")),
            r.ratio.map_or("null".into(), |x| format!("{x:.4}")),
            r.unit,
            r.note
        )
        .unwrap();
    }
    if json.ends_with(',') {
        json.pop();
    }
    json.push(']');
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-peers.json");
    std::fs::write(&path, json).unwrap();
    println!("results: {}", path.display());
    let mismatched = rows.iter().any(|r| r.note.starts_with("MIX DIFFERS"));
    assert!(!mismatched, "a peer's gain+pan mix is not faderd's mix");
}
