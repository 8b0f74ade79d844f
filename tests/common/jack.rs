//! A named jackd dummy server per test binary, and a probe client that
//! feeds a known signal and reads levels back.
#![allow(unsafe_code)] // setting JACK_DEFAULT_SERVER for this process

use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, ProcessScope};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A jackd dummy server (`jackd -n NAME -d dummy -r 48000 -p 64`), killed
/// on drop.
pub struct JackServer {
    pub name: String,
    child: Option<Child>,
}

/// True when jackd can run here. When it cannot, says the test is skipped;
/// in CI (which installs jackd2) that is a failure.
pub fn jackd_available() -> bool {
    let ok = Command::new("jackd")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        eprintln!("SKIPPED: jackd is not installed (apt-get install jackd2); .ci/run installs it");
        assert!(std::env::var_os("CI").is_none(), "CI must install jackd2");
    }
    ok
}

impl JackServer {
    /// Start a server named `faderd-test-<tag>` and make it this process's
    /// default. Call first thing in the (single) test of a binary, before
    /// any other thread of the test reads the environment.
    ///
    /// The name is stable per test binary: JACK's shared registry holds 8
    /// servers and frees a dead server's entry only when a server of the
    /// same name starts, so a server killed with SIGKILL would otherwise
    /// leak an entry per run. A leftover server of that name that an
    /// aborted run of this test started (its PID is kept in a file) is
    /// stopped first.
    pub fn start(tag: &str) -> JackServer {
        let name = format!("faderd-test-{tag}");
        stop_leftover(&name);
        // SAFETY: called before this test starts any thread of its own; the
        // harness's other threads do not touch the environment meanwhile
        // (each JACK test binary holds one test).
        unsafe {
            std::env::set_var("JACK_DEFAULT_SERVER", &name);
            std::env::set_var("JACK_NO_START_SERVER", "1");
        }
        let mut s = JackServer { name, child: None };
        let t0 = Instant::now();
        while s.is_up() && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        s.launch();
        s
    }

    /// Start jackd and wait until it answers. A server that exits at once
    /// (the remains of one that was killed can still be going away) is
    /// started again; what it said is in the panic if it never comes up.
    fn launch(&mut self) {
        let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{}.jackd.log", self.name));
        let t0 = Instant::now();
        self.child = Some(self.spawn(&log));
        while !self.is_up() {
            if t0.elapsed() > Duration::from_secs(10) {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("jackd '{}' did not come up:\n{said}", self.name);
            }
            let exited = self
                .child
                .as_mut()
                .is_some_and(|c| c.try_wait().ok().flatten().is_some());
            if exited {
                std::thread::sleep(Duration::from_millis(500));
                self.child = Some(self.spawn(&log));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn spawn(&self, log: &std::path::Path) -> Child {
        let child = Command::new("jackd")
            .args(["-n", &self.name, "-d", "dummy", "-r", "48000", "-p", "64"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).map_or_else(|_| Stdio::null(), Stdio::from))
            .spawn()
            .expect("jackd starts");
        let _ = std::fs::write(pid_file(&self.name), child.id().to_string());
        child
    }

    fn is_up(&self) -> bool {
        Command::new("jack_lsp")
            .env("JACK_DEFAULT_SERVER", &self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// SIGKILL the server (the harshest way it can go away).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Freeze the server (SIGSTOP): it answers nothing until
    /// [`JackServer::resume`], as a wedged server does.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Let a paused server run again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let pid = c.id().to_string();
            let _ = Command::new("kill").args([sig, &pid]).status();
        }
    }

    /// Start it again under the same name.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// `jack_lsp -c` output: every port with its connections.
    pub fn lsp(&self) -> String {
        let out = Command::new("jack_lsp")
            .arg("-c")
            .env("JACK_DEFAULT_SERVER", &self.name)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until `port` exists on the server.
    pub fn wait_port(&self, port: &str, within: Duration) -> bool {
        super::wait_until(within, || self.lsp().lines().any(|l| l == port))
    }
}

/// Where the PID of the server named `name` is kept while it runs.
fn pid_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.jackd.pid"))
}

/// End the server an earlier run of this test started and left running
/// (killed before its cleanup): the PID from its file, and only if that
/// process still is `jackd -n NAME`.
fn stop_leftover(name: &str) {
    let Some(pid) = std::fs::read_to_string(pid_file(name))
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
    else {
        return;
    };
    let ours = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
        let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
        args.first().is_some_and(|a| a.ends_with(b"jackd"))
            && args
                .windows(2)
                .any(|w| w[0] == b"-n" && w[1] == name.as_bytes())
    });
    if ours {
        // A server whose clients died with the run may not end on TERM.
        let pid = pid.to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let t0 = Instant::now();
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            if t0.elapsed() > Duration::from_secs(3) {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = std::fs::remove_file(pid_file(name));
}

impl Drop for JackServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(pid_file(&self.name));
        if let Some(mut c) = self.child.take() {
            let pid = c.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(3) {
                if c.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A JACK client with one output playing a constant `level` (DC) and two
/// inputs whose latest sample is readable.
pub struct Probe {
    client: jack::AsyncClient<(), ProbeProcess>,
    level: Arc<AtomicU32>,
    seen: Arc<[AtomicU32; 2]>,
}

struct ProbeProcess {
    out: jack::Port<AudioOut>,
    ins: [jack::Port<AudioIn>; 2],
    level: Arc<AtomicU32>,
    seen: Arc<[AtomicU32; 2]>,
}

impl jack::ProcessHandler for ProbeProcess {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let level = f32::from_bits(self.level.load(Ordering::Relaxed));
        self.out.as_mut_slice(ps).fill(level);
        for (port, seen) in self.ins.iter().zip(self.seen.iter()) {
            if let Some(last) = port.as_slice(ps).last() {
                seen.store(last.to_bits(), Ordering::Relaxed);
            }
        }
        Control::Continue
    }
}

impl Probe {
    /// Open client `name` with ports `out`, `in_l`, `in_r`.
    pub fn start(name: &str, level: f32) -> Probe {
        let (client, _) = Client::new(name, ClientOptions::NO_START_SERVER).expect("probe client");
        let out = client.register_port("out", AudioOut::default()).unwrap();
        let ins = [
            client.register_port("in_l", AudioIn::default()).unwrap(),
            client.register_port("in_r", AudioIn::default()).unwrap(),
        ];
        let level = Arc::new(AtomicU32::new(level.to_bits()));
        let seen = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let process = ProbeProcess {
            out,
            ins,
            level: Arc::clone(&level),
            seen: Arc::clone(&seen),
        };
        let client = client.activate_async((), process).expect("probe activates");
        Probe {
            client,
            level,
            seen,
        }
    }

    /// Full name of one of the probe's ports.
    pub fn port(&self, short: &str) -> String {
        format!("{}:{short}", self.client.as_client().name())
    }

    /// Connect two ports by full name.
    pub fn connect(&self, from: &str, to: &str) {
        self.client
            .as_client()
            .connect_ports_by_name(from, to)
            .unwrap_or_else(|e| panic!("connect {from} -> {to}: {e}"));
    }

    /// Change the DC level played.
    pub fn set_level(&self, level: f32) {
        self.level.store(level.to_bits(), Ordering::Relaxed);
    }

    /// The latest samples on in_l and in_r.
    pub fn seen(&self) -> (f32, f32) {
        (
            f32::from_bits(self.seen[0].load(Ordering::Relaxed)),
            f32::from_bits(self.seen[1].load(Ordering::Relaxed)),
        )
    }

    /// Wait until (L, R) are within `tol` of `want`; returns what was seen
    /// last.
    pub fn wait_for(&self, want: (f64, f64), tol: f64, within: Duration) -> (f32, f32) {
        let t0 = Instant::now();
        loop {
            let s = self.seen();
            let close =
                (f64::from(s.0) - want.0).abs() <= tol && (f64::from(s.1) - want.1).abs() <= tol;
            if close || t0.elapsed() > within {
                return s;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
