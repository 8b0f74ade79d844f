//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod alloc;
pub mod jack;
pub mod mackie_emu;
pub mod pipewire;

use std::path::Path;

/// Deterministic noise in [-0.5, 0.5).
pub fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect()
}

/// Write a float WAV with the given channels.
pub fn write_wav(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for ch in channels {
            w.write_sample(ch[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Read a WAV as (rate, channels).
pub fn read_wav(path: &Path) -> (u32, Vec<Vec<f32>>) {
    let d = faderd::media::read_wav(path).unwrap();
    (d.sample_rate, d.channels)
}

/// `faderd render SESSION -o OUT EXTRA...`, run to completion.
pub fn render_cmd(session: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    faderd()
        .arg("render")
        .arg(session)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The faderd binary under test, with a home of its own: fresh XDG config,
/// data and state folders per command, so no test reads the user's config
/// or keeps its session where another test (or the user) would find it.
pub fn faderd() -> std::process::Command {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let home = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("homes")
        .join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_faderd"));
    cmd.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"));
    cmd
}

pub fn db(x: f64) -> f64 {
    10f64.powf(x / 20.0)
}

/// Every file below `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// `faderd run ARGS...`, waiting for its ready line.
pub fn start_run(args: &[&str]) -> (std::process::Child, String) {
    start_run_cmd(faderd(), args)
}

/// [`start_run`] with `cmd` as the prepared faderd command (environment,
/// working directory).
pub fn start_run_cmd(
    mut cmd: std::process::Command,
    args: &[&str],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd
        .arg("run")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.is_empty() {
        let _ = child.wait();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        panic!("faderd run printed no ready line; stderr:\n{err}");
    }
    (child, line)
}

/// Send `signal` (`-TERM`, `-STOP` ...) to `child`, the test's own.
pub fn signal(child: &std::process::Child, signal: &str) {
    let pid = child.id().to_string();
    let st = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap();
    assert!(st.success(), "kill {signal} {pid} failed");
}

/// `sock.recv` that rides out signals: a receive with a read timeout is
/// not restarted after one (or after this process is stopped and
/// continued, as a machine's freezer does), it fails with EINTR.
pub fn recv(sock: &std::net::UdpSocket, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match sock.recv(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

/// `sock.recv_from`, riding out signals as [`recv`] does.
pub fn recv_from(
    sock: &std::net::UdpSocket,
    buf: &mut [u8],
) -> std::io::Result<(usize, std::net::SocketAddr)> {
    loop {
        match sock.recv_from(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

/// SIGTERM and wait (at most 5 s) for the exit.
pub fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    signal(child, "-TERM");
    let t0 = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(5),
            "no clean exit within 5 s of SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// SIGTERM, assert a clean exit, and return what the process said on
/// stderr.
pub fn terminate_clean(child: &mut KillOnDrop) -> String {
    assert_eq!(terminate(&mut child.0).code(), Some(0), "not a clean exit");
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut err).unwrap();
    }
    err
}

/// Poll `cond` every 50 ms until it holds or `within` has passed; whether
/// it held.
pub fn wait_until(within: std::time::Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = std::time::Instant::now();
    loop {
        if cond() {
            return true;
        }
        if t0.elapsed() >= within {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// True when liblo's oscsend and oscdump can run. When they cannot, says
/// the test is skipped; in CI (which installs them) that is a failure.
pub fn liblo_tools_available() -> bool {
    let runs = |tool: &str| {
        std::process::Command::new(tool)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
    };
    if runs("oscsend") && runs("oscdump") {
        return true;
    }
    eprintln!(
        "SKIPPED: liblo's oscsend/oscdump are not installed (apt-get install liblo-tools); .ci/run installs them"
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install liblo-tools"
    );
    false
}

/// The OSC address in a ready line.
pub fn osc_addr_of(ready: &str) -> std::net::SocketAddr {
    ready
        .split("OSC on udp ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no OSC address in the ready line: {ready}"))
}

/// `oscsend localhost PORT ARGS...` (liblo), asserting it ran.
pub fn oscsend(port: u16, args: &[&str]) {
    let st = std::process::Command::new("oscsend")
        .args(["localhost", &port.to_string()])
        .args(args)
        .status()
        .expect("oscsend runs");
    assert!(st.success(), "oscsend {args:?} failed");
}

/// A child process killed (SIGKILL) when dropped, so a failing test leaves
/// no daemon behind.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `faderd run` on a session and a daemon config written to a temporary
/// folder, OSC on an ephemeral loopback port; killed on drop.
pub struct Running {
    /// Holds the files.
    pub dir: tempfile::TempDir,
    /// The session file (saved back on a clean exit).
    pub session: std::path::PathBuf,
    /// The daemon.
    pub child: KillOnDrop,
    /// Its ready line.
    pub ready: String,
    /// Its OSC port.
    pub osc: u16,
}

/// Start `faderd run SESSION --config CONFIG --osc 127.0.0.1:0`.
pub fn run_session(session_yaml: &str, config_yaml: &str) -> Running {
    run_session_with(faderd(), session_yaml, config_yaml)
}

/// [`run_session`] with `cmd` as the prepared faderd command (environment).
pub fn run_session_with(
    cmd: std::process::Command,
    session_yaml: &str,
    config_yaml: &str,
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let (session, config) = (dir.path().join("s.yaml"), dir.path().join("c.yaml"));
    std::fs::write(&session, session_yaml).unwrap();
    std::fs::write(&config, config_yaml).unwrap();
    let (child, ready) = start_run_cmd(
        cmd,
        &[
            session.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--osc",
            "127.0.0.1:0",
        ],
    );
    let osc = osc_addr_of(&ready).port();
    Running {
        dir,
        session,
        child: KillOnDrop(child),
        ready,
        osc,
    }
}

/// liblo's `oscdump -L PORT` subscribed to the daemon's OSC on `osc_port`:
/// every feedback line as it arrives (earlier ones, from the state dump,
/// already drained).
pub fn osc_subscriber(
    osc_port: u16,
    listen_port: u16,
) -> (KillOnDrop, std::sync::mpsc::Receiver<String>) {
    osc_subscriber_opts(osc_port, listen_port, false)
}

/// [`osc_subscriber`], with meters when `meters`.
pub fn osc_subscriber_opts(
    osc_port: u16,
    listen_port: u16,
    meters: bool,
) -> (KillOnDrop, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new("oscdump")
        .args(["-L", &listen_port.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("oscdump runs");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    assert!(wait_udp_bound(listen_port), "oscdump never listened");
    oscsend(
        osc_port,
        &[
            "/subscribe",
            "ii",
            &listen_port.to_string(),
            if meters { "1" } else { "0" },
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    while rx.try_recv().is_ok() {}
    (KillOnDrop(child), rx)
}

/// Ask `/status`; the reply's (address, argument) pairs (from every
/// datagram of the reply). Asks again when no reply comes within a second
/// (a datagram can be lost when the daemon's receive buffer overflows).
pub fn osc_status(osc_port: u16) -> Vec<(String, rosc::OscType)> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(1)))
        .unwrap();
    let msg = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/status".into(),
        args: vec![],
    }))
    .unwrap();
    let mut buf = [0u8; 65_536];
    let mut n = None;
    for _ in 0..5 {
        sock.send_to(&msg, ("127.0.0.1", osc_port)).unwrap();
        if let Ok(got) = recv(&sock, &mut buf) {
            n = Some(got);
            break;
        }
    }
    let n = n.expect("a /status reply within 5 s");
    let mut out = Vec::new();
    flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut out);
    // The rest of the reply follows at once.
    sock.set_read_timeout(Some(std::time::Duration::from_millis(100)))
        .unwrap();
    while let Ok(n) = recv(&sock, &mut buf) {
        flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut out);
    }
    out
}

/// A `/status` figure as a number (ints and floats alike).
pub fn status_number(status: &[(String, rosc::OscType)], addr: &str) -> Option<f64> {
    status
        .iter()
        .find(|(a, _)| a == addr)
        .and_then(|(_, v)| match v {
            rosc::OscType::Int(i) => Some(f64::from(*i)),
            rosc::OscType::Long(i) => Some(*i as f64),
            rosc::OscType::Float(f) => Some(f64::from(*f)),
            rosc::OscType::Double(f) => Some(*f),
            _ => None,
        })
}

/// Every message of a packet as (address, first argument).
pub fn flatten_osc(p: rosc::OscPacket, out: &mut Vec<(String, rosc::OscType)>) {
    match p {
        rosc::OscPacket::Message(m) => {
            if let Some(a) = m.args.into_iter().next() {
                out.push((m.addr, a));
            }
        }
        rosc::OscPacket::Bundle(b) => b.content.into_iter().for_each(|p| flatten_osc(p, out)),
    }
}

/// A hub and its engine for session `yaml` (its file name `name` for
/// messages), with no audio files and no inputs: `block`-frame process
/// calls into two outputs at `rate`.
pub fn hub_and_engine(
    yaml: &str,
    name: &str,
    rate: u32,
    block: usize,
) -> (faderd::mixer::Hub, faderd::engine::Engine) {
    let session = faderd::config::parse_session(yaml, Path::new(name)).unwrap();
    let cfg = faderd::engine::EngineConfig {
        sample_rate: rate,
        max_block: block,
        inputs: 0,
        outputs: 2,
    };
    faderd::mixer::Hub::new(session, Default::default(), cfg).unwrap()
}

/// The value a fresh OSC subscriber is told for `addr` (a float, such as
/// `/strip/1/fader`), or None when the dump does not hold it.
pub fn subscribed_value(osc_port: u16, addr: &str) -> Option<f32> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let msg = |a: &str| {
        rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
            addr: a.into(),
            args: vec![],
        }))
        .unwrap()
    };
    sock.send_to(&msg("/subscribe"), ("127.0.0.1", osc_port))
        .unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut found = None;
    while let Ok(n) = recv(&sock, &mut buf) {
        let mut msgs = Vec::new();
        flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
        for (a, v) in msgs {
            if let (true, rosc::OscType::Float(x)) = (a == addr, v) {
                found = Some(x);
            }
        }
    }
    sock.send_to(&msg("/unsubscribe"), ("127.0.0.1", osc_port))
        .unwrap();
    found
}

/// Tests that time what a person would see or hear (a browser drawing,
/// a sink recording the mix) take turns with each other: on a small
/// machine, a Chromium and a PipeWire graph at once would time the
/// machine. Held for the test's length.
#[allow(dead_code)] // not every test binary has such tests
pub fn heavy_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Wait (at most 5 s) until something has bound UDP `port` on this
/// machine (a tool started to listen there, which prints nothing when
/// ready): binding it ourselves then fails. True when it is bound.
#[allow(dead_code)] // not every test binary starts listeners
pub fn wait_udp_bound(port: u16) -> bool {
    wait_until(std::time::Duration::from_secs(5), || {
        std::net::UdpSocket::bind(("0.0.0.0", port)).is_err()
    })
}
