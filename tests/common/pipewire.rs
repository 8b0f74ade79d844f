//! A private headless PipeWire per test: a session D-Bus, pipewire and
//! wireplumber in a runtime folder of the test's own, with one null sink
//! ("faderd-sink", stereo) whose monitor can be recorded. Nothing of the
//! user's desktop is touched: every process gets the private folders in
//! its environment and is ended by its PID.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The null sink's name.
pub const SINK: &str = "faderd-sink";

/// True when PipeWire, wireplumber, D-Bus and the tools the tests use can
/// run here. When they cannot, says the test is skipped; in CI (which
/// installs them) that is a failure.
pub fn pipewire_available() -> bool {
    let runs = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let ok = runs("pipewire", "--version")
        && runs("wireplumber", "--version")
        && runs("dbus-daemon", "--version")
        && runs("pw-record", "--version")
        && runs("pw-metadata", "--version")
        && runs("pw-jack", "true")
        && Command::new("jack_lsp")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
    if !ok {
        eprintln!(
            "SKIPPED: PipeWire is not installed (apt-get install pipewire pipewire-jack pipewire-bin wireplumber dbus-daemon dbus-session-bus-common jackd2); .ci/run installs it"
        );
        assert!(std::env::var_os("CI").is_none(), "CI must install PipeWire");
    }
    ok
}

/// A running private PipeWire; everything it started ends on drop.
pub struct PipeWire {
    /// The folder holding runtime, config and state.
    pub dir: PathBuf,
    dbus: Option<Child>,
    pipewire: Option<Child>,
    wireplumber: Option<Child>,
}

impl PipeWire {
    /// Start D-Bus, pipewire and wireplumber in
    /// `$CARGO_TARGET_TMPDIR/pw-<tag>-<pid>` and wait for the sink's ports.
    pub fn start(tag: &str) -> PipeWire {
        let mut pw = PipeWire::prepare(tag);
        pw.launch();
        pw
    }

    /// The folders and the session bus only: PipeWire itself starts with
    /// [`PipeWire::start_server`].
    pub fn prepare(tag: &str) -> PipeWire {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pw-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let conf = dir.join("config/pipewire/pipewire.conf.d");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all(dir.join("runtime")).unwrap();
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::write(
            conf.join("faderd-sink.conf"),
            format!(
                "context.objects = [\n  {{ factory = adapter\n    args = {{\n      factory.name = support.null-audio-sink\n      node.name = \"{SINK}\"\n      media.class = \"Audio/Sink\"\n      audio.position = [ FL FR ]\n      object.linger = true\n    }}\n  }}\n]\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("runtime"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        let mut pw = PipeWire {
            dir,
            dbus: None,
            pipewire: None,
            wireplumber: None,
        };
        let bus = pw.dir.join("runtime/bus");
        pw.dbus = Some(
            pw.command("dbus-daemon")
                .args(["--session", "--nofork", "--nopidfile"])
                .arg(format!("--address=unix:path={}", bus.display()))
                .spawn()
                .expect("dbus-daemon starts"),
        );
        super::wait_until(Duration::from_secs(5), || bus.exists());
        pw
    }

    /// Start pipewire and wireplumber and wait until the sink's ports
    /// show through PipeWire's JACK API.
    fn launch(&mut self) {
        let log = |name: &str| {
            std::fs::File::create(self.dir.join(format!("{name}.log")))
                .map_or_else(|_| Stdio::null(), Stdio::from)
        };
        self.pipewire = Some(
            self.command("pipewire")
                .stderr(log("pipewire"))
                .spawn()
                .expect("pipewire starts"),
        );
        let socket = self.runtime().join("pipewire-0");
        super::wait_until(Duration::from_secs(5), || socket.exists());
        self.wireplumber = Some(
            self.command("wireplumber")
                .stderr(log("wireplumber"))
                .spawn()
                .expect("wireplumber starts"),
        );
        if !self.wait_port(&format!("{SINK}:monitor_FR"), Duration::from_secs(15)) {
            let said = std::fs::read_to_string(self.dir.join("pipewire.log")).unwrap_or_default()
                + &std::fs::read_to_string(self.dir.join("wireplumber.log")).unwrap_or_default();
            panic!("PipeWire's sink did not come up:\n{said}");
        }
    }

    /// The runtime folder (`XDG_RUNTIME_DIR` of everything here).
    pub fn runtime(&self) -> PathBuf {
        self.dir.join("runtime")
    }

    /// A command with this PipeWire's environment.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        self.environ(&mut c);
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    /// Point `cmd` at this PipeWire (and at no jackd: the JACK server
    /// name is one no jackd uses).
    pub fn environ(&self, cmd: &mut Command) {
        cmd.env("XDG_RUNTIME_DIR", self.runtime())
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", self.runtime().join("bus").display()),
            )
            .env(
                "JACK_DEFAULT_SERVER",
                format!("faderd-no-jackd-{}", std::process::id()),
            )
            .env("JACK_NO_START_SERVER", "1")
            .env_remove("PIPEWIRE_RUNTIME_DIR")
            .env_remove("PIPEWIRE_REMOTE");
    }

    /// Every port PipeWire's JACK API shows (`pw-jack jack_lsp`).
    pub fn ports(&self) -> String {
        let out = self
            .command("pw-jack")
            .arg("jack_lsp")
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until `port` exists.
    pub fn wait_port(&self, port: &str, within: Duration) -> bool {
        super::wait_until(within, || self.ports().lines().any(|l| l == port))
    }

    /// `pw-metadata -n settings 0 KEY VALUE`: the graph's clock settings
    /// (`clock.force-quantum`, `clock.force-rate`).
    pub fn set_setting(&self, key: &str, value: &str) {
        let st = self
            .command("pw-metadata")
            .args(["-n", "settings", "0", key, value])
            .status()
            .unwrap();
        assert!(st.success(), "pw-metadata {key} {value} failed");
    }

    /// Record the sink's monitor for `secs` seconds at `rate`: (left,
    /// right) samples.
    pub fn record_sink(&self, secs: f64, rate: u32) -> (Vec<f32>, Vec<f32>) {
        let file = self.dir.join("sink.wav");
        let _ = std::fs::remove_file(&file);
        let mut child = self
            .command("pw-record")
            .args(["-P", "{ stream.capture.sink = true }", "--target", SINK])
            .args(["--format", "f32", "--channels", "2"])
            .arg(format!("--rate={rate}"))
            .arg(&file)
            .spawn()
            .expect("pw-record starts");
        std::thread::sleep(Duration::from_secs_f64(secs));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let _ = child.wait();
        let d = faderd::media::read_wav(&file).expect("pw-record wrote a WAV");
        let mut ch = d.channels.into_iter();
        (ch.next().unwrap_or_default(), ch.next().unwrap_or_default())
    }

    /// Stop pipewire and wireplumber (SIGTERM, as a service manager's
    /// restart does).
    pub fn stop_server(&mut self) {
        end(self.wireplumber.take());
        end(self.pipewire.take());
    }

    /// Start them again (after [`PipeWire::stop_server`]) and wait for the
    /// sink.
    pub fn start_server(&mut self) {
        self.launch();
    }
}

/// SIGTERM, then SIGKILL after 3 s.
fn end(child: Option<Child>) {
    let Some(mut c) = child else { return };
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
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

impl Drop for PipeWire {
    fn drop(&mut self) {
        end(self.wireplumber.take());
        end(self.pipewire.take());
        end(self.dbus.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Peak of the last `n` samples of `x`.
pub fn peak_of_last(x: &[f32], n: usize) -> f64 {
    x[x.len().saturating_sub(n)..]
        .iter()
        .fold(0.0f64, |m, s| m.max(f64::from(s.abs())))
}
