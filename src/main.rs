//! The `faderd` command line. Errors get their context here; exit status 0
//! on success, 1 on a user error (bad file, bad flag), 2 on an environment
//! error (device or server missing).

use faderd::config::{self, BackendChoice, LogLevel};
use faderd::daemon::{self, Failure, RunOptions};
use faderd::media::{self, Dither, WavFormat};
use faderd::render::{RenderJob, StemMode, render};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// The command line's definition, shared with build.rs (man pages and shell
// completions are generated from it at build time).
include!("cli.rs");

/// The command line, with the config file this user's runs would read
/// named in `--config`'s help.
fn cli_command() -> clap::Command {
    use clap::CommandFactory;
    let here = format!("Used now: {}", config::ConfigSource::find(None));
    let mut cmd = Cli::command();
    for sub in ["run", "latency"] {
        cmd = cmd.mut_subcommand(sub, |c| {
            c.mut_arg("config", |a| {
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                a.help(format!("{help}. {here}"))
            })
        });
    }
    cmd
}

fn main() -> ExitCode {
    use clap::FromArgMatches;
    let parsed = cli_command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    let result = match cli.command {
        Command::Run {
            session,
            config,
            backend,
            osc,
            web,
            period,
            log,
            no_recover,
        } => cmd_run(
            session,
            config,
            backend,
            (osc, web),
            period,
            log,
            !no_recover,
        ),
        Command::Render {
            session,
            output,
            stems,
            stem_mode,
            format,
            dither,
            fail_on_clip,
            duration,
            block,
        } => {
            let _log = init_logging(LogLevel::Warn);
            let job = RenderJob {
                output,
                stems,
                stem_mode: match stem_mode {
                    StemModeArg::PreMaster => StemMode::PreMaster,
                    StemModeArg::ThroughMaster => StemMode::ThroughMaster,
                },
                format: match format {
                    FormatArg::Float32 => WavFormat::Float32,
                    FormatArg::Int24 => WavFormat::Int24,
                    FormatArg::Int16 => WavFormat::Int16,
                },
                dither: match dither {
                    DitherArg::Tpdf => Dither::Tpdf,
                    DitherArg::None => Dither::None,
                },
                block,
                duration_s: duration,
                session_file: Some(session.clone()),
            };
            cmd_render(&session, &job, fail_on_clip)
        }
        Command::Check { files } => cmd_check(&files),
        Command::Learn { address, osc } => cmd_learn(&address, osc),
        Command::Devices => {
            let _log = init_logging(LogLevel::Error);
            print!("{}", daemon::devices::report());
            Ok(())
        }
        Command::Latency {
            output,
            input,
            to,
            from,
            config,
        } => {
            let _log = init_logging(LogLevel::Warn);
            cmd_latency(output, input, to, from, config)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("faderd: {}", f.message());
            ExitCode::from(f.code)
        }
    }
}

fn init_logging(level: LogLevel) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let level = match level {
        LogLevel::Error => tracing::Level::ERROR,
        LogLevel::Warn => tracing::Level::WARN,
        LogLevel::Info => tracing::Level::INFO,
        LogLevel::Debug => tracing::Level::DEBUG,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    guard
}

/// `--osc`: IP:PORT or HOST:PORT (see [`config::socket_addr`]).
fn host_port(text: &str) -> Result<SocketAddr, String> {
    config::socket_addr(text).map_err(|e| e.to_string())
}

/// `--web`: HOST:PORT or `off`.
fn web_arg(text: &str) -> Result<WebArg, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(WebArg::Off);
    }
    host_port(text).map(WebArg::At)
}

fn cmd_run(
    session: Option<PathBuf>,
    config_file: Option<PathBuf>,
    backend: Option<BackendArg>,
    (osc, web): (Option<SocketAddr>, Option<WebArg>),
    period: Option<usize>,
    log: Option<LogArg>,
    recover: bool,
) -> Result<(), Failure> {
    let source = config::ConfigSource::find(config_file.as_deref());
    if let config::ConfigSource::UserFolder(_) = &source {
        eprintln!("faderd: config {source}");
    }
    let mut cfg = source.load().map_err(Failure::user)?;
    if let Some(b) = backend {
        cfg.audio.backend = match b {
            BackendArg::Auto => BackendChoice::Auto,
            BackendArg::Dummy => BackendChoice::Dummy,
            BackendArg::Jack => BackendChoice::Jack,
            BackendArg::Cpal => BackendChoice::Cpal,
        };
    }
    if let Some(addr) = osc {
        cfg.osc.listen = addr;
    }
    match web {
        Some(WebArg::Off) => cfg.web.enabled = false,
        Some(WebArg::At(addr)) => {
            cfg.web.enabled = true;
            cfg.web.listen = addr;
            cfg.web.chosen = true;
        }
        None => {}
    }
    if let Some(p) = period {
        if !(1..=8192).contains(&p) {
            return Err(Failure::user(anyhow::anyhow!(
                "--period must be between 1 and 8192 frames"
            )));
        }
        cfg.audio.period_frames = Some(p);
    }
    if let Some(l) = log {
        cfg.log.level = match l {
            LogArg::Error => LogLevel::Error,
            LogArg::Warn => LogLevel::Warn,
            LogArg::Info => LogLevel::Info,
            LogArg::Debug => LogLevel::Debug,
        };
    }
    let _log = init_logging(cfg.log.level);
    // Under the New Session Manager, it says where the session lives.
    if let Some(url) = std::env::var("NSM_URL").ok().filter(|u| !u.is_empty()) {
        if let Some(s) = &session {
            eprintln!(
                "faderd: NSM_URL is set: the session manager chooses the session; {} is not used",
                s.display()
            );
        }
        return daemon::run_nsm(
            &url,
            RunOptions {
                session: None,
                config: cfg,
                recover,
            },
        );
    }
    let session = session.or_else(users_session);
    daemon::run(RunOptions {
        session,
        config: cfg,
        recover,
    })
}

fn cmd_learn(address: &str, osc: SocketAddr) -> Result<(), Failure> {
    use rosc::{OscMessage, OscPacket, OscType};
    if faderd::mixer::Address::parse(address).is_err() {
        return Err(Failure::user(anyhow::anyhow!(
            "'{address}' is not a mixer address (strip/N/fader, bus/N/mute ...)"
        )));
    }
    let sock = std::net::UdpSocket::bind("127.0.0.1:0")
        .map_err(|e| Failure::env(anyhow::anyhow!("cannot open a UDP socket: {e}")))?;
    let _ = sock.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let msg = rosc::encoder::encode(&OscPacket::Message(OscMessage {
        addr: "/learn".into(),
        args: vec![OscType::String(address.into())],
    }))
    .map_err(|e| Failure::env(anyhow::anyhow!("{e}")))?;
    sock.send_to(&msg, osc)
        .map_err(|e| Failure::env(anyhow::anyhow!("cannot reach faderd at {osc}: {e}")))?;
    let mut buf = [0u8; 1500];
    match sock.recv(&mut buf) {
        Ok(n) if String::from_utf8_lossy(&buf[..n]).contains("/learn/armed") => {
            println!(
                "faderd: learning {address}: move a control on a MIDI controller (within 30 s)"
            );
            Ok(())
        }
        _ => Err(Failure::env(anyhow::anyhow!(
            "faderd at {osc} did not arm learn for {address} (is it running, and is the address on its mixer?)"
        ))),
    }
}

/// The session `faderd run` keeps when none is named:
/// `$XDG_DATA_HOME/faderd/session.yaml` (`~/.local/share/faderd/`), made
/// from the built-in demo the first time. `None` (the demo, not kept) when
/// there is no such folder and none can be made, which is said.
fn users_session() -> Option<PathBuf> {
    let Some(folder) = config::user_data_folder() else {
        eprintln!("faderd: no home folder: playing the built-in demo; its changes are not kept");
        return None;
    };
    let path = folder.join("session.yaml");
    if path.exists() {
        eprintln!("faderd: your session: {}", path.display());
        return Some(path);
    }
    match daemon::write_demo_session(&path, None) {
        Ok(()) => {
            eprintln!(
                "faderd: your session: {} (new, from the built-in demo; changes are kept in it)",
                path.display()
            );
            Some(path)
        }
        Err(e) => {
            eprintln!(
                "faderd: cannot create {} ({e}): playing the built-in demo; its changes are not kept",
                path.display()
            );
            None
        }
    }
}

fn cmd_latency(
    output: u16,
    input: u16,
    to: Option<String>,
    from: Option<String>,
    config_file: Option<PathBuf>,
) -> Result<(), Failure> {
    if output == 0 || input == 0 {
        return Err(Failure::user(anyhow::anyhow!(
            "--out and --in are interface channels, counted from 1"
        )));
    }
    let config = config::ConfigSource::find(config_file.as_deref())
        .load()
        .map_err(Failure::user)?;
    let opts = daemon::latency::LatencyOptions {
        output,
        input,
        to,
        from,
        config,
    };
    let tty = std::io::stderr().is_terminal();
    eprintln!("faderd: measuring output {output} -> input {input} (about 2 s of test signal)");
    let mut progress = |p: f64| {
        if tty {
            draw_bar(p, &format!("{:3.0}%", p * 100.0));
        }
    };
    let result = daemon::latency::measure(&opts, &mut progress);
    if tty {
        eprintln!();
    }
    let l = result?;
    println!("{}", l.report);
    Ok(())
}

/// Exit status of a render whose fixed-point output clipped, when asked
/// to fail on it.
const EXIT_CLIPPED: u8 = 3;

fn cmd_render(session_path: &Path, job: &RenderJob, fail_on_clip: bool) -> Result<(), Failure> {
    let (session, warnings) = config::load_session_checked(session_path).map_err(Failure::user)?;
    for w in &warnings {
        eprintln!("faderd: warning: {w}");
    }
    if let Some(d) = job.duration_s
        && !(d.is_finite() && d > 0.0)
    {
        return Err(Failure::user(anyhow::anyhow!(
            "--duration must be a positive number of seconds"
        )));
    }
    if !(1..=65_536).contains(&job.block) {
        return Err(Failure::user(anyhow::anyhow!(
            "--block must be between 1 and 65536 frames"
        )));
    }
    let base = session_path.parent().unwrap_or(Path::new(""));
    let rate = session.sample_rate;
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: u64, total: u64| {
        if tty {
            draw_progress(done, total, rate);
        }
    };
    let summary = render(session, base, job, &mut progress).map_err(Failure::user)?;
    if tty {
        eprintln!();
    }
    let peak_db = faderd::dsp::amp_to_db(f64::from(summary.peak));
    eprintln!(
        "faderd: rendered {:.1} s in {:.2} s ({:.0}x real time), mix peak {:.1} dBFS",
        summary.frames as f64 / f64::from(summary.sample_rate),
        summary.elapsed.as_secs_f64(),
        summary.speed(),
        peak_db,
    );
    let l = summary.loudness;
    let fig = |x: f64| {
        if x.is_finite() {
            format!("{x:.1}")
        } else {
            "-inf".to_owned()
        }
    };
    eprintln!(
        "faderd: loudness: integrated {} LUFS, range {:.1} LU, true peak {} dBTP, max momentary {} LUFS, last short-term {} LUFS",
        fig(l.integrated),
        l.range,
        fig(l.true_peak_dbtp),
        fig(l.max_momentary),
        fig(l.short_term),
    );
    for f in &summary.files {
        println!("{}", f.display());
    }
    for (file, c) in &summary.clipped {
        eprintln!(
            "faderd: {}: {} samples clipped, the first at {:.3} s, the highest at {:+.1} dBFS",
            file.display(),
            c.samples,
            c.first_frame.unwrap_or(0) as f64 / f64::from(summary.sample_rate),
            faderd::dsp::amp_to_db(f64::from(c.peak)),
        );
    }
    if fail_on_clip && !summary.clipped.is_empty() {
        return Err(Failure {
            code: EXIT_CLIPPED,
            error: anyhow::anyhow!(
                "{} of the rendered files clipped (--fail-on-clip)",
                summary.clipped.len()
            ),
        });
    }
    Ok(())
}

fn draw_progress(done: u64, total: u64, rate: u32) {
    let frac = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    draw_bar(
        frac,
        &format!(
            "{:3.0}%  {:.1} / {:.1} s",
            frac * 100.0,
            done as f64 / f64::from(rate),
            total as f64 / f64::from(rate),
        ),
    );
}

/// A progress bar on stderr, redrawn in place.
fn draw_bar(frac: f64, label: &str) {
    const WIDTH: usize = 30;
    let filled = ((frac * WIDTH as f64).round() as usize).min(WIDTH);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r  [{}{}] {label}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
    );
    let _ = err.flush();
}

fn cmd_check(files: &[PathBuf]) -> Result<(), Failure> {
    if files.is_empty() {
        let source = config::ConfigSource::find(None);
        println!("config: {source}");
        return match source.path() {
            Some(p) => cmd_check(&[p.to_path_buf()]),
            None => Ok(()),
        };
    }
    let mut failed = 0usize;
    for file in files {
        match check_one(file) {
            Ok((kind, warnings)) => {
                for w in &warnings {
                    eprintln!("warning: {w}");
                }
                let noted = match warnings.len() {
                    0 => String::new(),
                    1 => ", 1 warning".to_owned(),
                    n => format!(", {n} warnings"),
                };
                println!("{}: ok ({kind}{noted})", file.display());
            }
            Err(msg) => {
                failed += 1;
                eprintln!("{msg}");
            }
        }
    }
    if failed > 0 {
        Err(Failure::user(anyhow::anyhow!(
            "{failed} of {} file(s) failed the check",
            files.len()
        )))
    } else {
        Ok(())
    }
}

/// A file's kind and its warnings (valid, but likely not what was meant).
fn check_one(file: &Path) -> Result<(&'static str, Vec<config::Diagnostic>), String> {
    let kind = config::check_file(file).map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    if kind == config::FileKind::Session {
        // Also check that the audio files it plays exist and fit.
        let (session, w) = config::load_session_checked(file).map_err(|e| e.to_string())?;
        let base = file.parent().unwrap_or(Path::new(""));
        media::load_clips(&session, base).map_err(|e| e.to_string())?;
        warnings = w;
    }
    Ok((kind.describe(), warnings))
}
