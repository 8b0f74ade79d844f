//! Whole-process CPU of the daemon for the hub's two heavy jobs, on a
//! jackd dummy server of its own (48 kHz, 64 frames):
//!
//! - flood: 8 OSC clients, subscribed, each moving faders of a 64-track
//!   session (4 sends, EQ and compressor per track) 1,000 times a second,
//!   with an emulated X-Touch and extender on JACK MIDI and a simulated
//!   4-fader serial board (the reference firmware on a pty pair) attached;
//! - playback: the same session with a gain and a pan lane on every
//!   track, playing, with 4 OSC subscribers.
//!
//! Each figure is the daemon's CPU time (every thread, the scheduler's
//! own count) over the measured seconds, as a percentage of one core,
//! and JACK's DSP load over the same time. The work is paced, so two
//! builds measured in the same run do the same work:
//!
//!     cargo bench --bench daemon_cpu [-- --baseline OTHER_FADERD] [--secs N]
//!
//! With `--baseline`, the other binary (e.g. a release build of an older
//! commit) runs each scenario too, alternating with this build, and the
//! ratios are printed. JSON goes to target/tmp/bench-daemon-cpu.json.

mod support;

#[path = "../tests/common/mackie_emu.rs"]
#[allow(dead_code)]
mod mackie_emu;

use fader_firmware::sim::{VirtualBoard, sim_config};
use faderd::surfaces::mackie::codec::ToSurface;
use mackie_emu::Emulator;
use rosc::{OscMessage, OscPacket, OscType};
use std::fmt::Write as _;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::{
    Kill, console_session, cpu_seconds, median, ready_osc_port, release_args, start_faderd_binary,
    start_jackd, thread_cpu_seconds,
};

const TRACKS: usize = 64;
const BUSES: usize = 4;
const FLOOD_CLIENTS: usize = 8;
/// Fader moves each flooding client sends per second.
const MOVES_PER_CLIENT_S: u64 = 1_000;
const PLAYBACK_SUBSCRIBERS: usize = 4;
const LANE_POINTS: usize = 2_000;
const ROUNDS: usize = 3;

fn osc(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    rosc::encoder::encode(&OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

/// `BIN run SESSION --config CONFIG` with errors only; its OSC port.
fn start(bin: &Path, session: &Path, config: &Path) -> (Kill, u16) {
    let (daemon, ready) = start_faderd_binary(bin, session, config);
    (daemon, ready_osc_port(&ready))
}

/// A subscribed OSC client that reads (and drops) its feedback on a
/// thread, and, when given a rate, moves faders until `stop`.
fn client(
    port: u16,
    k: usize,
    moves_per_s: Option<u64>,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let to = format!("127.0.0.1:{port}");
        sock.send_to(&osc("/subscribe", vec![]), &to).unwrap();
        let mut buf = vec![0u8; 65_536];
        let t0 = Instant::now();
        let mut n: u64 = 0;
        let mut renewed = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if let Some(rate) = moves_per_s {
                // Paced: as many moves as are due by now.
                let due = (t0.elapsed().as_secs_f64() * rate as f64) as u64;
                while n < due {
                    let track = (n as usize * FLOOD_CLIENTS + k) % TRACKS + 1;
                    let v = 0.2 + 0.6 * ((n * 37 + k as u64 * 11) % 1000) as f32 / 1000.0;
                    let _ = sock.send_to(
                        &osc(&format!("/strip/{track}/fader"), vec![OscType::Float(v)]),
                        &to,
                    );
                    n += 1;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            if renewed.elapsed() > Duration::from_secs(5) {
                renewed = Instant::now();
                let _ = sock.send_to(&osc("/subscribe", vec![]), &to);
            }
            // Read what arrived; wait at most 1 ms when pacing.
            sock.set_read_timeout(Some(Duration::from_millis(if moves_per_s.is_some() {
                1
            } else {
                20
            })))
            .unwrap();
            while sock.recv(&mut buf).is_ok() {
                sock.set_read_timeout(Some(Duration::from_micros(100)))
                    .unwrap();
            }
        }
    })
}

/// A socat pty pair: `host` for faderd, `board` for the simulated board.
struct Cable {
    _socat: Kill,
    host: PathBuf,
    board: PathBuf,
}

fn cable(dir: &Path) -> Option<Cable> {
    if Command::new("socat").arg("-V").output().is_err() {
        eprintln!("SKIPPED: socat is not installed (apt-get install socat)");
        return None;
    }
    let host = dir.join("host");
    let board = dir.join("board");
    let socat = Kill(
        Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", host.display()))
            .arg(format!("pty,raw,echo=0,link={}", board.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat runs"),
    );
    let t0 = Instant::now();
    while !(host.exists() && board.exists()) {
        assert!(t0.elapsed() < Duration::from_secs(5), "socat made no ptys");
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(Cable {
        _socat: socat,
        host,
        board,
    })
}

/// Bring both emulated Mackie units through their handshake.
fn handshake(emu: &Emulator) {
    for unit in 0..2 {
        emu.plug(unit);
        emu.handshake(unit, |m| matches!(m, ToSurface::Lcd { .. }));
    }
}

/// What one run measured.
struct Measured {
    /// The whole daemon, % of one core.
    cpu: f64,
    /// Its hub thread alone, % of one core.
    hub: f64,
    /// JACK's DSP load, %.
    dsp: f64,
    /// Fader moves sent per second.
    moves: f64,
}

/// One measured run.
fn run(bin: &Path, dir: &Path, scenario: Scenario, secs: f64) -> Measured {
    let session = dir.join(format!("{}.yaml", scenario.name()));
    let config = dir.join(format!("{}-config.yaml", scenario.name()));
    let mut board = None;
    let mut cable_kept = None;
    let mut cfg = String::from(
        "version: 1\naudio: { backend: jack }\njack: { client_name: fd-mackie, connect: none }\n",
    );
    if scenario == Scenario::Flood {
        let c = cable(dir).expect("socat for the serial board");
        write!(
            cfg,
            "surfaces:\n  - mackie:\n      units:\n        - {{ profile: x-touch, midi: X-Touch }}\n        - {{ profile: x-touch-extender, midi: X-Touch Ext }}\n  - serial: {{ device: \"{}\", profile: diy-4-fader }}\n",
            c.host.display()
        )
        .unwrap();
        board = Some(
            VirtualBoard::open(c.board.to_str().unwrap(), sim_config(4)).expect("board end opens"),
        );
        cable_kept = Some(c);
    }
    std::fs::write(&session, scenario.session()).unwrap();
    std::fs::write(&config, cfg).unwrap();
    let (daemon, port) = start(bin, &session, &config);
    let pid = daemon.0.id();
    let emu = (scenario == Scenario::Flood).then(|| {
        let emu = Emulator::start();
        handshake(&emu);
        emu
    });
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (clients, rate) = match scenario {
        Scenario::Flood => (FLOOD_CLIENTS, Some(MOVES_PER_CLIENT_S)),
        Scenario::Playback => (PLAYBACK_SUBSCRIBERS, None),
    };
    let threads: Vec<_> = (0..clients)
        .map(|k| client(port, k, rate, Arc::clone(&stop), Arc::clone(&sent)))
        .collect();
    if scenario == Scenario::Playback {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.send_to(&osc("/transport/play", vec![]), format!("127.0.0.1:{port}"))
            .unwrap();
    }
    let (probe, _) = jack::Client::new("cpu-probe", jack::ClientOptions::NO_START_SERVER).unwrap();
    // Settle, then measure.
    let settle_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < settle_until {
        if let Some(e) = &emu {
            e.take();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let cpu0 = cpu_seconds(pid);
    let hub0 = thread_cpu_seconds(pid, "faderd-hub");
    let sent0 = sent.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let mut loads = Vec::new();
    while t0.elapsed().as_secs_f64() < secs {
        std::thread::sleep(Duration::from_millis(100));
        loads.push(f64::from(probe.cpu_load()));
        if let Some(e) = &emu {
            e.take();
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (cpu_seconds(pid) - cpu0) / elapsed * 100.0;
    let hub = (thread_cpu_seconds(pid, "faderd-hub") - hub0) / elapsed * 100.0;
    let moves = (sent.load(Ordering::Relaxed) - sent0) as f64 / elapsed;
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    if let Some(b) = &board {
        assert!(b.is_running(), "the simulated board stopped");
    }
    drop(emu);
    drop(daemon);
    drop(board);
    drop(cable_kept);
    let dsp = loads.iter().sum::<f64>() / loads.len().max(1) as f64;
    Measured {
        cpu,
        hub,
        dsp,
        moves,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Flood,
    Playback,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Flood => "flood",
            Scenario::Playback => "playback",
        }
    }
    fn session(self) -> String {
        let lanes = (self == Scenario::Playback).then_some(("read", LANE_POINTS, 0.25));
        console_session(TRACKS, BUSES, lanes)
    }
    fn describe(self) -> String {
        match self {
            Scenario::Flood => format!(
                "{FLOOD_CLIENTS} OSC clients x {MOVES_PER_CLIENT_S} fader moves/s, X-Touch + extender, serial board"
            ),
            Scenario::Playback => {
                format!("{TRACKS} tracks x 2 lanes playing, {PLAYBACK_SUBSCRIBERS} OSC subscribers")
            }
        }
    }
}

fn main() {
    let Some(args) = release_args("daemon_cpu") else {
        return;
    };
    let secs: f64 = args.parsed("--secs", 8.0);
    let mut builds: Vec<(String, PathBuf)> = vec![(
        "this build".into(),
        PathBuf::from(env!("CARGO_BIN_EXE_faderd")),
    )];
    if let Some(b) = args.value("--baseline") {
        builds.push(("baseline".into(), PathBuf::from(b)));
    }
    let Some(_jackd) = start_jackd("cpu") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("faderd-bench-cpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "faderd whole-process CPU (% of one core) and JACK DSP load, median of {ROUNDS} x {secs} s"
    );
    let mut json = String::from("{");
    for scenario in [Scenario::Flood, Scenario::Playback] {
        println!("{}: {}", scenario.name(), scenario.describe());
        // Per build: whole-process CPU, hub thread CPU, DSP load, moves/s.
        let mut runs: Vec<[Vec<f64>; 4]> = vec![Default::default(); builds.len()];
        for round in 0..ROUNDS {
            for (i, (name, bin)) in builds.iter().enumerate() {
                let m = run(bin, &dir, scenario, secs);
                eprintln!(
                    "  round {}/{ROUNDS} {name}: {:.1} % CPU (hub thread {:.1} %), DSP {:.1} %, {:.0} moves/s",
                    round + 1,
                    m.cpu,
                    m.hub,
                    m.dsp,
                    m.moves
                );
                for (k, x) in [m.cpu, m.hub, m.dsp, m.moves].into_iter().enumerate() {
                    runs[i][k].push(x);
                }
            }
        }
        let medians: Vec<[f64; 4]> = runs
            .iter()
            .map(|r| std::array::from_fn(|k| median(r[k].clone())))
            .collect();
        write!(json, "\"{}\":{{", scenario.name()).unwrap();
        for (i, (name, _)) in builds.iter().enumerate() {
            let [c, h, l, m] = medians[i];
            println!(
                "  {name:<11} faderd {c:6.1} % CPU   hub thread {h:6.2} %   JACK DSP {l:5.1} %   {m:7.0} moves/s"
            );
            write!(
                json,
                "\"{name}\":{{\"cpu_percent\":{c:.2},\"hub_thread_percent\":{h:.3},\"dsp_load_percent\":{l:.2},\"moves_per_s\":{m:.0}}},"
            )
            .unwrap();
        }
        if builds.len() == 2 {
            let whole = medians[1][0] / medians[0][0];
            let hub = medians[1][1] / medians[0][1];
            println!(
                "  baseline / this build: {whole:.2}x the whole-process CPU, {hub:.2}x the hub thread's"
            );
            write!(json, "\"ratio_cpu\":{whole:.3},\"ratio_hub\":{hub:.3},").unwrap();
        }
        json.pop();
        json.push_str("},");
    }
    json.pop();
    json.push('}');
    let _ = std::fs::remove_dir_all(&dir);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-daemon-cpu.json");
    if std::fs::write(&out, &json).is_ok() {
        println!("results: {}", out.display());
    }
}
