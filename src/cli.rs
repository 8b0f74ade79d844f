// The `faderd` command line: its definition only, no behaviour. Included
// by src/main.rs (which parses with it) and by build.rs (which writes the
// man pages and shell completions from it), so both always agree. Value
// parsers are named through `crate::`: each includer provides its own.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "faderd",
    version,
    propagate_version = true,
    about = "A real-time mixer engine driven by control surfaces",
    after_long_help = "Files:\n  $XDG_CONFIG_HOME/faderd/config.yaml (~/.config/faderd/config.yaml)  the daemon config when --config is not given\n  SESSION.recovery.yaml  the autosaved unsaved changes beside a session (else in $XDG_STATE_HOME/faderd)\n\nEnvironment:\n  JACK_DEFAULT_SERVER  the jackd server to join (default: default)\n  XDG_RUNTIME_DIR, PIPEWIRE_RUNTIME_DIR, PIPEWIRE_REMOTE  where PipeWire's socket is looked for\n  NOTIFY_SOCKET, WATCHDOG_USEC  set by systemd for a Type=notify unit (dist/faderd.service)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the mixer daemon (the built-in demo session when none is given).
    Run {
        /// Session file (YAML). Saved back on exit if surfaces changed it.
        session: Option<PathBuf>,
        /// Daemon config file (YAML); flags override it. Default:
        /// $XDG_CONFIG_HOME/faderd/config.yaml (~/.config/faderd/config.yaml)
        /// when it exists.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Audio backend.
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// OSC listen address (default 127.0.0.1:8000; 0.0.0.0:8000 opens it to the LAN;
        /// a host name such as localhost:8000 is resolved).
        #[arg(long, value_name = "HOST:PORT", value_parser = crate::host_port)]
        osc: Option<SocketAddr>,
        /// Browser console address (default 127.0.0.1:8080; 0.0.0.0:8080
        /// opens it to the LAN), or `off`.
        #[arg(long, value_name = "HOST:PORT|off", value_parser = crate::web_arg)]
        web: Option<WebArg>,
        /// Frames per audio period.
        #[arg(long, value_name = "FRAMES")]
        period: Option<usize>,
        /// Log level.
        #[arg(long, value_enum)]
        log: Option<LogArg>,
        /// Start from the session file even when a newer recovery file
        /// (unsaved changes of a run that did not end cleanly) is there.
        #[arg(long)]
        no_recover: bool,
    },
    /// Render a session offline to a WAV file, faster than real time.
    Render {
        /// Session file (YAML).
        session: PathBuf,
        /// The mix file to write.
        #[arg(short, long, value_name = "OUT.wav")]
        output: PathBuf,
        /// Also write stems into this folder (see --stem-mode), and the mix
        /// again as master.wav.
        #[arg(long, value_name = "DIR")]
        stems: Option<PathBuf>,
        /// pre-master: one stem per track and bus, after its fader and pan,
        /// before the master. through-master: one per input of the master
        /// (tracks routed to it, buses, groups), through the master's
        /// chain with the mix's own dynamics, so the stems sum to the mix.
        #[arg(long, value_enum, default_value_t = StemModeArg::PreMaster)]
        stem_mode: StemModeArg,
        /// Sample format.
        #[arg(long, value_enum, default_value_t = FormatArg::Float32)]
        format: FormatArg,
        /// Dither before rounding to int24 or int16.
        #[arg(long, value_enum, default_value_t = DitherArg::Tpdf)]
        dither: DitherArg,
        /// Exit with status 3 when a fixed-point file had to clip samples
        /// (they are always reported).
        #[arg(long)]
        fail_on_clip: bool,
        /// Length in seconds (default: the session's length_s, else its longest file).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Frames per process call (the output does not depend on it).
        #[arg(long, default_value_t = 4096, value_name = "FRAMES")]
        block: usize,
    },
    /// List audio backends, devices and channels, MIDI ports and serial
    /// ports, for filling in the config.
    Devices,
    /// MIDI learn on a running daemon: the next control moved on a generic
    /// MIDI controller is bound to ADDRESS and saved in its map.
    Learn {
        /// The mixer address, e.g. strip/3/fader.
        address: String,
        /// The daemon's OSC address.
        #[arg(long, default_value = "127.0.0.1:8000", value_name = "HOST:PORT", value_parser = crate::host_port)]
        osc: SocketAddr,
    },
    /// Measure the round trip of an outboard loop: a test signal leaves on
    /// interface output N and is found again on input M (JACK).
    Latency {
        /// Interface output (1-based).
        #[arg(long = "out", value_name = "N")]
        output: u16,
        /// Interface input (1-based).
        #[arg(long = "in", value_name = "M")]
        input: u16,
        /// Patch the output to this JACK port instead of the N-th physical output.
        #[arg(long, value_name = "PORT")]
        to: Option<String>,
        /// Patch this JACK port to the input instead of the M-th physical input.
        #[arg(long, value_name = "PORT")]
        from: Option<String>,
        /// Daemon config file (JACK client name). Default:
        /// $XDG_CONFIG_HOME/faderd/config.yaml when it exists.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate sessions, daemon configs, surface profiles and maps.
    /// Without files: the daemon config `faderd run` would use.
    Check {
        /// Files to check.
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BackendArg {
    /// jackd or PipeWire when one runs, else the dummy clock until one starts.
    Auto,
    /// No device: a thread paces the engine in real time.
    Dummy,
    /// A JACK server (or PipeWire's JACK API); $JACK_DEFAULT_SERVER picks it.
    Jack,
    /// cpal: CoreAudio, WASAPI, ASIO, ALSA or cpal's JACK host (config `cpal:`).
    Cpal,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// 32-bit float WAV.
    Float32,
    /// 24-bit integer WAV.
    Int24,
    /// 16-bit integer WAV (CD).
    Int16,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StemModeArg {
    /// Each track and bus after its fader and pan, before the master.
    PreMaster,
    /// Each input of the master through its chain: they sum to the mix.
    ThroughMaster,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DitherArg {
    /// Triangular (TPDF) noise of ±1 LSB: no rounding distortion.
    Tpdf,
    /// Plain rounding.
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogArg {
    Error,
    Warn,
    Info,
    Debug,
}

/// `--web`: where the browser console listens, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebArg {
    /// No console.
    Off,
    /// Listen here.
    At(SocketAddr),
}
