//! A long run, as a night next to a live mix: faderd (release build) on a
//! jackd dummy server with 32 tracks in touch-mode automation, the
//! transport looping, a tablet riding faders over OSC at 50 moves a second
//! (touching and releasing, so every loop writes automation passes), and a
//! meter subscriber. Every 30 s it prints resident memory (all of it, and
//! faderd's own without JACK's shared buffers), whole-process CPU, JACK's
//! DSP load, xruns, and what the lanes and their undo history hold; at the
//! end, whether faderd's own memory levelled off. The undo history is kept
//! short enough to fill in the first third (see [`undo_passes`]).
//! First it measures the xrun floor: how many periods the same server drops
//! per minute with one client that does nothing (on a virtual machine the
//! timer alone drops some).
//!
//!     bench/soak                  # 30 minutes
//!     bench/soak --minutes 5
//!
//! Not part of CI: it takes as long as it says.

mod support;

use std::collections::HashMap;
use std::net::UdpSocket;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TRACKS: usize = 32;
const LOOP_S: f64 = 20.0;

fn session() -> String {
    let mut y = String::from(
        "version: 1\nname: soak\nbuses:\n  - { name: Verb, kind: aux, reverb: { decay: 1.5 } }\ntracks:\n",
    );
    for k in 0..TRACKS {
        y.push_str(&format!(
            "  - {{ name: T{k:02}, source: {{ tone: {{ wave: sine, freq_hz: {}, level_db: -24 }} }}, gain_db: -10, automation: touch, sends: [{{ bus: Verb, gain_db: -18 }}], lanes: {{ gain: {{ points: [[0, -10], [{LOOP_S}, -10]] }} }} }}\n",
            110 + 20 * k
        ));
    }
    y
}

fn packet(addr: &str, args: Vec<rosc::OscType>) -> Vec<u8> {
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

/// A memory figure of `pid` from /proc/PID/status, MB: "VmRSS" (all it
/// has resident, JACK's shared buffers included) or "RssAnon" (its own:
/// heap, stacks).
fn memory_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Undo passes kept per lane in the soak: few enough that every lane's
/// history is full within the first third of the run (a lane gets a pass
/// every `TRACKS` x 2 s), so the last third shows whether anything grows
/// beyond what is bounded by design. The default is 32: at this soak's
/// pace that fills after 34 minutes.
fn undo_passes(minutes: f64) -> usize {
    let pass_every_s = TRACKS as f64 * 2.0;
    ((minutes * 60.0 / 3.0 / pass_every_s).floor() as usize).max(1)
}

/// Every numeric figure of one `/status` reply (it may come in several
/// datagrams, one right after the other).
fn status(sock: &UdpSocket, port: u16) -> HashMap<String, f64> {
    let mut figures = HashMap::new();
    if sock
        .send_to(&packet("/status", vec![]), ("127.0.0.1", port))
        .is_err()
    {
        return figures;
    }
    let mut buf = vec![0u8; 65_536];
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(300) {
        let Ok(n) = sock.recv(&mut buf) else {
            if figures.is_empty() {
                continue;
            }
            break;
        };
        let Ok((_, p)) = rosc::decoder::decode_udp(&buf[..n]) else {
            continue;
        };
        let mut stack = vec![p];
        while let Some(p) = stack.pop() {
            match p {
                rosc::OscPacket::Message(m) => {
                    let value = m.args.first().and_then(|a| match a {
                        rosc::OscType::Int(i) => Some(f64::from(*i)),
                        rosc::OscType::Float(x) => Some(f64::from(*x)),
                        _ => None,
                    });
                    if let Some(v) = value {
                        figures.insert(m.addr, v);
                    }
                }
                rosc::OscPacket::Bundle(b) => stack.extend(b.content),
            }
        }
    }
    figures
}

/// Figure `key` of a [`status`] reply (NaN when missing).
fn figure(status: &HashMap<String, f64>, key: &str) -> f64 {
    status.get(key).copied().unwrap_or(f64::NAN)
}

/// Xruns per minute the server has with one client that does nothing, over
/// `secs`: the floor the machine sets (a virtual machine's timer and
/// scheduling drop periods on their own), to read faderd's count against.
fn xrun_floor_per_min(secs: f64) -> f64 {
    let (client, _) =
        jack::Client::new("soak-floor", jack::ClientOptions::NO_START_SERVER).unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let active = client
        .activate_async(
            support::midi_probe::XrunCount(Arc::clone(&count)),
            jack::contrib::ClosureProcessHandler::new(
                |_: &jack::Client, _: &jack::ProcessScope| jack::Control::Continue,
            ),
        )
        .unwrap();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let _ = active.deactivate();
    count.load(Ordering::Relaxed) as f64 * 60.0 / secs
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let minutes: f64 = args
        .iter()
        .position(|a| a == "--minutes")
        .and_then(|i| args.get(i + 1))
        .and_then(|m| m.parse().ok())
        .unwrap_or(30.0);
    let Some(_jackd) = support::start_jackd("soak") else {
        return;
    };
    let floor_secs = (minutes * 6.0).clamp(10.0, 60.0);
    println!("xrun floor: {floor_secs:.0} s of a client that does nothing on the same server ...");
    let floor = xrun_floor_per_min(floor_secs);
    println!("xrun floor: {floor:.1} per minute");
    let (sampler, _) =
        jack::Client::new("soak-sampler", jack::ClientOptions::NO_START_SERVER).unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("soak");
    std::fs::create_dir_all(&dir).unwrap();
    let (sess, config) = (dir.join("soak.yaml"), dir.join("soak-config.yaml"));
    std::fs::write(&sess, session()).unwrap();
    let passes = undo_passes(minutes);
    std::fs::write(
        &config,
        format!(
            "version: 1\naudio: {{ backend: jack }}\njack: {{ client_name: faderd-soak, connect: none }}\nautomation: {{ undo_passes: {passes} }}\n"
        ),
    )
    .unwrap();
    let (faderd, ready) = support::start_faderd(&sess, &config);
    let pid = faderd.0.id();
    let port = support::ready_osc_port(&ready);
    let control = UdpSocket::bind("127.0.0.1:0").unwrap();
    control
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let send = |addr: &str, args: Vec<rosc::OscType>| {
        let _ = control.send_to(&packet(addr, args), ("127.0.0.1", port));
    };
    send(
        "/transport/loop",
        vec![
            rosc::OscType::Float(0.0),
            rosc::OscType::Float(LOOP_S as f32),
        ],
    );
    send("/transport/play", vec![]);

    let stop = Arc::new(AtomicBool::new(false));
    // A meter subscriber, read and dropped.
    let meters = {
        let stop = Arc::clone(&stop);
        let bytes = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&bytes);
        let t = std::thread::spawn(move || {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let sub = packet(
                "/subscribe",
                vec![rosc::OscType::Int(0), rosc::OscType::Int(1)],
            );
            let mut buf = vec![0u8; 65_536];
            let mut last_sub = Instant::now();
            let _ = s.send_to(&sub, ("127.0.0.1", port));
            while !stop.load(Ordering::Relaxed) {
                if let Ok(n) = s.recv(&mut buf) {
                    seen.fetch_add(n as u64, Ordering::Relaxed);
                }
                // Renewed now and then, as a layout would.
                if last_sub.elapsed() > Duration::from_secs(60) {
                    let _ = s.send_to(&sub, ("127.0.0.1", port));
                    last_sub = Instant::now();
                }
            }
        });
        (t, bytes)
    };
    // A tablet: every 2 s a strip is touched, ridden at 50 Hz for 1 s, released.
    let tablet = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut moves = 0u64;
            let t0 = Instant::now();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let strip = 1 + (n / 100) as usize % TRACKS;
                let phase = n % 100;
                let base = format!("/strip/{strip}/fader");
                if phase == 0 {
                    let _ = s.send_to(
                        &packet(&format!("{base}/touch"), vec![rosc::OscType::Int(1)]),
                        ("127.0.0.1", port),
                    );
                }
                if phase < 50 {
                    let x = 0.6 + 0.1 * (phase as f32 * 0.2).sin();
                    let _ = s.send_to(
                        &packet(&base, vec![rosc::OscType::Float(x)]),
                        ("127.0.0.1", port),
                    );
                    moves += 1;
                }
                if phase == 50 {
                    let _ = s.send_to(
                        &packet(&format!("{base}/touch"), vec![rosc::OscType::Int(0)]),
                        ("127.0.0.1", port),
                    );
                }
                n += 1;
                let due = Duration::from_millis(20 * n);
                if let Some(w) = due.checked_sub(t0.elapsed()) {
                    std::thread::sleep(w);
                }
            }
            moves
        })
    };

    println!(
        "soak: {minutes} min, {TRACKS} tracks in touch automation, loop {LOOP_S} s, a tablet at 50 moves/s, a meter subscriber, {passes} undo passes per lane"
    );
    println!(
        "{:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8}",
        "min", "RSS MB", "own MB", "CPU %", "DSP %", "xruns", "points", "undo MB"
    );
    let t0 = Instant::now();
    let total = Duration::from_secs_f64(minutes * 60.0);
    // (RSS, own memory) per sample, MB.
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let (mut c_last, mut t_last) = (support::cpu_seconds(pid), Instant::now());
    let mut cpu_all = Vec::new();
    let mut dsp_all = Vec::new();
    while t0.elapsed() < total {
        let window = Duration::from_secs(30).min(total - t0.elapsed());
        let w0 = Instant::now();
        let mut dsp = Vec::new();
        while w0.elapsed() < window {
            std::thread::sleep(Duration::from_millis(500));
            dsp.push(f64::from(sampler.cpu_load()));
        }
        let (c, t) = (support::cpu_seconds(pid), Instant::now());
        let cpu = (c - c_last) / t.duration_since(t_last).as_secs_f64() * 100.0;
        (c_last, t_last) = (c, t);
        let dsp = dsp.iter().sum::<f64>() / dsp.len().max(1) as f64;
        let rss = memory_mb(pid, "VmRSS");
        let own = memory_mb(pid, "RssAnon");
        let st = status(&control, port);
        let xruns = figure(&st, "/status/xruns");
        // What the lanes and their undo history hold, against RSS.
        let points = figure(&st, "/status/automation/points");
        let undo_mb = figure(&st, "/status/automation/undo_bytes") / 1e6;
        let m = t0.elapsed().as_secs_f64() / 60.0;
        println!(
            "{m:>6.1} {rss:>8.1} {own:>8.1} {cpu:>8.2} {dsp:>8.2} {xruns:>7.0} {points:>8.0} {undo_mb:>8.3}"
        );
        samples.push((rss, own));
        cpu_all.push(cpu);
        dsp_all.push(dsp);
    }
    stop.store(true, Ordering::Relaxed);
    let moves = tablet.join().unwrap_or(0);
    let _ = meters.0.join();
    let st = status(&control, port);
    let panics = figure(&st, "/status/panics");
    let xruns = figure(&st, "/status/xruns");
    drop(faderd);
    // Levelled off: in the last third faderd's own memory grew no more
    // than the noise. (Its RSS also counts the pages of JACK's shared
    // segment it has touched: the server's memory, shown beside.)
    let third = (samples.len() / 3).max(1).min(samples.len() - 1);
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    let from = samples[samples.len() - 1 - third];
    let late_growth = last.1 - from.1;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    println!(
        "RSS {:.1} MB at the first sample, {:.1} MB at the end (its own memory {:.1} -> {:.1} MB, the rest JACK's shared buffers); own memory in the last third grew {late_growth:+.2} MB",
        first.0, last.0, first.1, last.1
    );
    let per_min = xruns / t0.elapsed().as_secs_f64() * 60.0;
    println!(
        "CPU {:.2} % of a core on average, JACK DSP load {:.2} %, {xruns:.0} xruns ({per_min:.1} per minute against a floor of {floor:.1}), {moves} OSC moves, {:.1} MB of meter feedback, panics {}",
        mean(&cpu_all),
        mean(&dsp_all),
        meters.1.load(Ordering::Relaxed) as f64 / 1e6,
        if panics.is_nan() {
            "?".to_owned()
        } else {
            format!("{panics:.0}")
        }
    );
    let levelled = late_growth.abs() < 1.0;
    println!(
        "memory {}",
        if levelled {
            "levelled off"
        } else {
            "DID NOT LEVEL OFF"
        }
    );
    assert!(
        levelled,
        "own memory grew {late_growth:+.2} MB in the last third"
    );
}
