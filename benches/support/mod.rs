//! Shared plumbing of the JACK benchmarks: a named jackd dummy server of
//! their own, and the faderd binary under test.
#![allow(dead_code, unsafe_code)]

pub mod midi_probe;

use std::fmt::Write as _;

/// A console session of `tracks` tracks, each fed from input 1 at -6 dB
/// with a send to each of `buses` aux buses (-10 dB), a high-pass, a peak
/// band and a compressor; with `lanes` = (mode, points, seconds apart), a
/// gain lane (-30..0 dB) and a pan lane on every track.
pub fn console_session(tracks: usize, buses: usize, lanes: Option<(&str, usize, f64)>) -> String {
    let mut y = String::from("version: 1\nname: bench\nbuses:\n");
    for b in 0..buses {
        writeln!(y, "  - {{ name: Aux{b}, kind: aux }}").unwrap();
    }
    y.push_str("tracks:\n");
    for t in 0..tracks {
        let sends: Vec<String> = (0..buses)
            .map(|b| format!("{{ bus: Aux{b}, gain_db: -10 }}"))
            .collect();
        writeln!(
            y,
            "  - name: T{}\n    source: {{ input: 1 }}\n    gain_db: -6\n    sends: [{}]\n    \
             eq: {{ hpf: {{ freq: 80 }}, bands: [{{ type: peak, freq: 300, gain: -2, q: 1 }}] }}\n    \
             comp: {{ threshold: -20, ratio: 3 }}",
            t + 1,
            sends.join(", ")
        )
        .unwrap();
        if let Some((mode, points, spacing_s)) = lanes {
            writeln!(y, "    automation: {mode}\n    lanes:").unwrap();
            for (lane, lo, hi) in [("gain", -30.0, 0.0), ("pan", 0.0, 1.0)] {
                let points: Vec<String> = (0..points)
                    .map(|i| {
                        let v = lo + (hi - lo) * ((i * 7 + t) % 100) as f64 / 100.0;
                        format!("[{:.2}, {v:.3}]", i as f64 * spacing_s)
                    })
                    .collect();
                writeln!(y, "      {lane}: {{ points: [{}] }}", points.join(", ")).unwrap();
            }
        }
    }
    y
}

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process stopped with SIGTERM (then SIGKILL) when dropped.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            if self.0.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `jackd -n faderd-bench-<tag>-<pid> -d dummy -r 48000 -p 64`, make
/// it this process's server and wait until it answers. `None` (and a
/// message) when jackd is not installed. Call first thing in `main`.
pub fn start_jackd(tag: &str) -> Option<Kill> {
    if Command::new("jackd").arg("--version").output().is_err() {
        eprintln!("SKIPPED: jackd is not installed (apt-get install jackd2)");
        return None;
    }
    let name = format!("faderd-bench-{tag}-{}", std::process::id());
    // SAFETY: called before the benchmark starts any thread.
    unsafe {
        std::env::set_var("JACK_DEFAULT_SERVER", &name);
        std::env::set_var("JACK_NO_START_SERVER", "1");
    }
    let jackd = Kill(
        Command::new("jackd")
            .args(["-n", &name, "-d", "dummy", "-r", "48000", "-p", "64"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("jackd starts"),
    );
    let t0 = Instant::now();
    while jack::Client::new("bench-wait", jack::ClientOptions::NO_START_SERVER).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "jackd did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(jackd)
}

/// `faderd run SESSION --config CONFIG` (release build, errors only on
/// stderr); returns it and its ready line.
pub fn start_faderd(session: &Path, config: &Path) -> (Kill, String) {
    start_faderd_binary(Path::new(env!("CARGO_BIN_EXE_faderd")), session, config)
}

/// [`start_faderd`] with another build's binary (a baseline).
pub fn start_faderd_binary(bin: &Path, session: &Path, config: &Path) -> (Kill, String) {
    let mut child = Command::new(bin)
        .arg("run")
        .arg(session)
        .arg("--config")
        .arg(config)
        .args(["--osc", "127.0.0.1:0", "--log", "error"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("faderd starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Kill(child), line)
}

/// Mean DSP load JACK reports over `secs`, sampled every 100 ms after a
/// 1 s settle. `client` need not be activated.
pub fn dsp_load(client: &jack::Client, secs: f64) -> f64 {
    std::thread::sleep(Duration::from_secs(1));
    let mut v = Vec::new();
    let t0 = Instant::now();
    while t0.elapsed().as_secs_f64() < secs {
        std::thread::sleep(Duration::from_millis(100));
        v.push(f64::from(client.cpu_load()));
    }
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU seconds process `pid` has used, every thread: the scheduler's
/// own run time of each of its threads (`/proc/PID/task/*/schedstat`, in
/// nanoseconds), else user and system time in clock ticks. Ticks sample
/// which thread runs when the timer fires, and a thread woken by a timer
/// of its own (a dummy backend, a hub tick) is counted off by a good part
/// of its small figure; the scheduler's sum is exact. Threads that
/// already ended are not in it (a daemon's threads live as long as it).
pub fn cpu_seconds(pid: u32) -> f64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"));
    // A thread that ends while being read is left out.
    let run_ns: Vec<u64> = tasks.map_or_else(
        |_| Vec::new(),
        |dir| {
            dir.flatten()
                .filter_map(|t| {
                    std::fs::read_to_string(t.path().join("schedstat"))
                        .ok()
                        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                })
                .collect()
        },
    );
    if run_ns.is_empty() {
        cpu_ticks_seconds(pid)
    } else {
        run_ns.iter().sum::<u64>() as f64 / 1e9
    }
}

/// User and system time of `pid` (every thread, also those that ended),
/// in clock ticks of 1/100 s.
fn cpu_ticks_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in brackets.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime, in clock ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// The OSC port faderd's ready line names ("... OSC on udp ADDR:PORT ...").
pub fn ready_osc_port(ready: &str) -> u16 {
    ready
        .split("OSC on udp ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.port())
        .unwrap_or_else(|| panic!("no OSC port in faderd's ready line: {ready}"))
}

/// Plays two channels of white noise (about -20 dBFS RMS) on
/// `peers-feed:l` and `peers-feed:r`, so that a mixer under test has signal
/// on every input: a mixer may skip inputs that are silent, and a
/// comparison on silence would measure that instead of the mixing. Its own
/// DSP load is part of every empty-client baseline taken while it runs.
pub struct Feed(#[allow(dead_code)] jack::AsyncClient<(), FeedProcess>);

pub struct FeedProcess {
    out: [jack::Port<jack::AudioOut>; 2],
    state: u32,
}

impl jack::ProcessHandler for FeedProcess {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        for port in &mut self.out {
            for v in port.as_mut_slice(ps) {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 17;
                self.state ^= self.state << 5;
                *v = (self.state as f32 / u32::MAX as f32 - 0.5) * 0.35;
            }
        }
        jack::Control::Continue
    }
}

/// Start the noise feed (see [`Feed`]).
#[allow(dead_code)]
pub fn start_feed() -> Feed {
    let (client, _) = jack::Client::new("peers-feed", jack::ClientOptions::NO_START_SERVER)
        .expect("the feed client");
    let out = [
        client
            .register_port("l", jack::AudioOut::default())
            .unwrap(),
        client
            .register_port("r", jack::AudioOut::default())
            .unwrap(),
    ];
    Feed(
        client
            .activate_async(
                (),
                FeedProcess {
                    out,
                    state: 0x9e37_79b9,
                },
            )
            .expect("the feed client activates"),
    )
}

/// Connect the noise feed to every input port whose full name matches
/// `pattern` (a JACK port regex): names ending in `R` get the right
/// channel, the others the left. Returns how many were connected.
#[allow(dead_code)]
pub fn feed_inputs(client: &jack::Client, pattern: &str) -> usize {
    let ports = client.ports(
        Some(pattern),
        Some("32 bit float mono audio"),
        jack::PortFlags::IS_INPUT,
    );
    for p in &ports {
        let from = if p.ends_with('R') {
            "peers-feed:r"
        } else {
            "peers-feed:l"
        };
        client
            .connect_ports_by_name(from, p)
            .unwrap_or_else(|e| panic!("{from} -> {p}: {e}"));
    }
    ports.len()
}

/// CPU seconds of the thread of `pid` named `name` (the scheduler's own
/// count, `/proc/PID/task/*/schedstat`), 0 when there is none.
pub fn thread_cpu_seconds(pid: u32, name: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    dir.flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .filter_map(|t| {
            std::fs::read_to_string(t.path().join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        })
        .sum::<u64>() as f64
        / 1e9
}

/// A release bench's command line: `None` (and says SKIPPED) under
/// `cargo test` or in a debug build, else the arguments.
pub fn release_args(bench: &str) -> Option<BenchArgs> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--test") || cfg!(debug_assertions) {
        eprintln!("SKIPPED: {bench} measures release builds only (cargo bench --bench {bench})");
        return None;
    }
    Some(BenchArgs(args))
}

/// The arguments a bench was given.
pub struct BenchArgs(pub Vec<String>);

impl BenchArgs {
    /// The value after `flag` (`--secs 5`), if given.
    pub fn value(&self, flag: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == flag)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
    }

    /// The value after `flag` read as a `T`, else `default`.
    pub fn parsed<T: std::str::FromStr>(&self, flag: &str, default: T) -> T {
        self.value(flag)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }
}
