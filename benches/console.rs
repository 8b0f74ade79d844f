//! The browser console under load, on a jackd dummy server of its own
//! (48 kHz, 64 frames): a 64-track session (4 aux buses) with pink noise
//! on every track so every meter moves, 20 browsers in Debian's headless
//! Chromium, 4 OSC subscribers with meters over UDP, and an emulated
//! X-Touch and extender on JACK MIDI:
//!
//! - change to DOM: a fader moved from one browser until each of the
//!   others shows it, p50 and p99 (goal: p99 under 40 ms);
//! - bytes per second each browser receives, meters included;
//! - frame rate and frame times of one of the pages (goal: 60 fps);
//! - the daemon's whole-process CPU and its hub thread's, and JACK's DSP
//!   load, over the same time.
//!
//!     cargo bench --bench console [-- --pages N] [--sockets N] [--secs N]
//!
//! `--sockets N` adds N WebSocket clients that subscribe as the page does
//! (every meter in one blob) and read everything, without drawing: the
//! other browsers of a real room, each on its own device, where this
//! machine's two cores cannot run twenty Chromium renderers at once.
//!
//! Needs jackd, Chromium and Playwright (`npm ci --prefix tests/browser`).
//! JSON goes to target/tmp/bench-console.json.

mod support;

#[path = "../tests/common/mackie_emu.rs"]
#[allow(dead_code)]
mod mackie_emu;

use faderd::surfaces::mackie::codec::ToSurface;
use mackie_emu::Emulator;
use rosc::{OscMessage, OscPacket, OscType};
use std::io::BufRead;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{
    console_session, cpu_seconds, ready_osc_port, release_args, start_faderd_binary, start_jackd,
    thread_cpu_seconds,
};

const TRACKS: usize = 64;
const BUSES: usize = 4;
const UDP_SUBSCRIBERS: usize = 4;

fn main() {
    let Some(args) = release_args("console") else {
        return;
    };
    let pages: usize = args.parsed("--pages", 20);
    let secs: f64 = args.parsed("--secs", 5.0);
    let sockets: usize = args.parsed("--sockets", 0);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        eprintln!("SKIPPED: Playwright is not installed (npm ci --prefix tests/browser)");
        return;
    }
    let Some(_jackd) = start_jackd("console") else {
        return;
    };
    let bin = root.join("target/release/faderd");
    assert!(bin.exists(), "build faderd first: cargo build --release");
    let dir = root.join(format!("target/tmp/bench-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let session = dir.join("console.yaml");
    let config = dir.join("console-config.yaml");
    std::fs::write(
        &session,
        console_session(TRACKS, BUSES, None).replace(
            "source: { input: 1 }",
            "source: { tone: { wave: pink, level_db: -24 } }",
        ),
    )
    .unwrap();
    std::fs::write(
        &config,
        "version: 1\naudio: { backend: jack }\njack: { client_name: fd-mackie, connect: none }\nweb: { listen: \"127.0.0.1:0\" }\nsurfaces:\n  - mackie:\n      units:\n        - { profile: x-touch, midi: X-Touch }\n        - { profile: x-touch-extender, midi: X-Touch Ext }\n",
    )
    .unwrap();
    let (daemon, ready) = start_faderd_binary(&bin, &session, &config);
    let pid = daemon.0.id();
    let osc = ready_osc_port(&ready);
    let url = ready
        .split("console on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no console in the ready line: {ready}"))
        .to_string();
    let emu = Emulator::start();
    for unit in 0..2 {
        emu.plug(unit);
        emu.handshake(unit, |m| matches!(m, ToSurface::Lcd { .. }));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let subscribers: Vec<_> = (0..UDP_SUBSCRIBERS)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
                sock.set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                let sub = rosc::encoder::encode(&OscPacket::Message(OscMessage {
                    addr: "/subscribe".into(),
                    args: vec![OscType::Int(0), OscType::Int(1)],
                }))
                .unwrap();
                sock.send_to(&sub, ("127.0.0.1", osc)).unwrap();
                let mut buf = vec![0u8; 65_536];
                while !stop.load(Ordering::Relaxed) {
                    let _ = sock.recv(&mut buf);
                }
            })
        })
        .collect();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let socket_clients: Vec<_> = (0..sockets)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let host = host.clone();
            std::thread::spawn(move || {
                let stream = std::net::TcpStream::connect(&host).unwrap();
                let (mut ws, _) =
                    tungstenite::client::client(format!("ws://{host}/osc"), stream).unwrap();
                let sub = rosc::encoder::encode(&OscPacket::Message(OscMessage {
                    addr: "/subscribe".into(),
                    args: vec![OscType::Int(0), OscType::Int(2)],
                }))
                .unwrap();
                ws.send(tungstenite::Message::Binary(sub.into())).unwrap();
                ws.get_mut()
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let _ = ws.read();
                }
            })
        })
        .collect();
    let (probe, _) =
        jack::Client::new("console-probe", jack::ClientOptions::NO_START_SERVER).unwrap();
    println!(
        "console: {TRACKS} tracks + {BUSES} buses metering, {pages} browsers + {sockets} WebSocket clients, {UDP_SUBSCRIBERS} OSC subscribers with meters, X-Touch + extender"
    );
    let mut node = Command::new("node")
        .current_dir(&browser_dir)
        .args(["bench.mjs", &url, &pages.to_string(), &secs.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let out = std::io::BufReader::new(node.stdout.take().unwrap());
    let (mut cpu0, mut hub0, mut t0) = (0.0, 0.0, Instant::now());
    let mut figures = String::new();
    let mut cpu = (0.0, 0.0);
    let mut loads = Vec::new();
    let sampling = Arc::new(AtomicBool::new(false));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut v = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if sampling.load(Ordering::Relaxed) {
                    v.push(f64::from(probe.cpu_load()));
                }
            }
            v
        })
    };
    for line in out.lines().map_while(Result::ok) {
        match line.as_str() {
            "START" => {
                cpu0 = cpu_seconds(pid);
                hub0 = thread_cpu_seconds(pid, "faderd-hub");
                t0 = Instant::now();
                sampling.store(true, Ordering::Relaxed);
            }
            "END" => {}
            l if l.starts_with('{') => {
                let dt = t0.elapsed().as_secs_f64();
                sampling.store(false, Ordering::Relaxed);
                cpu = (
                    (cpu_seconds(pid) - cpu0) / dt * 100.0,
                    (thread_cpu_seconds(pid, "faderd-hub") - hub0) / dt * 100.0,
                );
                figures = l.to_string();
            }
            _ => {}
        }
        emu.take();
    }
    let status = node.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for s in subscribers.into_iter().chain(socket_clients) {
        let _ = s.join();
    }
    loads.extend(sampler.join().unwrap());
    assert!(status.success(), "bench.mjs failed");
    let dsp = loads.iter().sum::<f64>() / loads.len().max(1) as f64;
    println!("browsers: {figures}");
    println!(
        "faderd over the measured time: {:.1} % CPU (hub thread {:.1} %), JACK DSP {dsp:.1} %",
        cpu.0, cpu.1
    );
    let json = format!(
        "{{\"browsers\":{figures},\"faderd_cpu_percent\":{:.2},\"hub_cpu_percent\":{:.2},\"jack_dsp_percent\":{dsp:.2}}}\n",
        cpu.0, cpu.1
    );
    let path = root.join("target/tmp/bench-console.json");
    std::fs::write(&path, json).unwrap();
    println!("results: {}", path.display());
    drop(emu);
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
}
