//! The command-line contract: outputs, exit statuses, messages.

use crate::common;
use common::*;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn render_writes_the_demo_mix_and_stems() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mix.wav");
    let stems = dir.path().join("stems");
    let st = faderd()
        .args(["render", "examples/demo.yaml", "-o"])
        .arg(&out)
        .arg("--stems")
        .arg(&stems)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let r = hound::WavReader::open(&out).unwrap();
    assert_eq!(r.spec().channels, 2);
    assert_eq!(r.spec().sample_rate, 48_000);
    assert_eq!(r.duration(), 30 * 48_000, "the demo's length_s");
    let (_, mix) = read_wav(&out);
    let peak = mix[0]
        .iter()
        .chain(&mix[1])
        .fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak > 0.05 && peak < 1.0, "peak {peak}");
    let names: Vec<String> = std::fs::read_dir(&stems)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 8 + 3 + 1, "{names:?}");
    assert!(names.contains(&"01 Kick.wav".to_owned()));
    assert!(names.contains(&"master.wav".to_owned()));
    let (_, master) = read_wav(&stems.join("master.wav"));
    assert_eq!(master, mix, "the master stem is the mix");
    assert!(names.contains(&"bus 02 Reverb.wav".to_owned()));
    let stderr = String::from_utf8_lossy(&st.stderr);
    assert!(stderr.contains("real time"), "{stderr}");
    // No temporary files left behind.
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.'))
    );
}

#[test]
fn a_broken_session_exits_1_with_its_location_and_overwrites_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("broken.yaml");
    std::fs::write(
        &sess,
        "version: 1\nname: b\ntracks:\n  - name: A\n    gain_db: [\n",
    )
    .unwrap();
    let out = dir.path().join("mix.wav");
    std::fs::write(&out, b"an earlier mix").unwrap();
    let st = render_cmd(&sess, &out, &[]);
    assert_eq!(st.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&st.stderr);
    let want = format!("{}:5:", sess.display());
    assert!(stderr.contains(&want), "expected {want} in: {stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"an earlier mix");
}

#[test]
fn a_sample_rate_mismatch_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("cd.wav"), 44_100, &[noise(1, 4410)]);
    let sess = dir.path().join("s.yaml");
    std::fs::write(&sess, "version: 1\nname: r\nsample_rate: 48000\ntracks:\n  - { name: CD, source: { file: cd.wav } }\n").unwrap();
    let out = dir.path().join("mix.wav");
    let st = render_cmd(&sess, &out, &[]);
    assert_eq!(st.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&st.stderr);
    assert!(
        stderr.contains("sample rate 44100 Hz does not match the session's 48000 Hz"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cd.wav") && stderr.contains("'CD'"),
        "{stderr}"
    );
    assert!(!out.exists());
    // check says the same.
    let st = faderd().arg("check").arg(&sess).output().unwrap();
    assert_eq!(st.status.code(), Some(1));
}

#[test]
fn a_session_without_length_asks_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("s.yaml");
    std::fs::write(
        &sess,
        "version: 1\nname: t\ntracks:\n  - { name: T, source: { tone: {} } }\n",
    )
    .unwrap();
    let out = dir.path().join("mix.wav");
    let st = render_cmd(&sess, &out, &[]);
    assert_eq!(st.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&st.stderr).contains("--duration"));
    let st = render_cmd(&sess, &out, &["--duration", "0.5"]);
    assert!(st.status.success());
    assert_eq!(hound::WavReader::open(&out).unwrap().duration(), 24_000);
}

#[test]
fn check_reports_each_file_and_fails_on_any_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\nname: x\ntracks:\n  - { name: A, pna: 0.5 }\n",
    )
    .unwrap();
    let st = faderd()
        .args([
            "check",
            "examples/demo.yaml",
            "surfaces/mackie/x-touch.yaml",
            "maps/mixer-8strip.yaml",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        stdout.contains("examples/demo.yaml: ok (session)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("x-touch.yaml: ok (surface profile)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mixer-8strip.yaml: ok (control map)"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&st.stderr);
    assert!(
        stderr.contains(&format!("{}:4:16: unknown field `pna`", bad.display())),
        "{stderr}"
    );

    let map = dir.path().join("m.yaml");
    std::fs::write(&map, "version: 1\nname: m\napplies_to: [x]\nbindings:\n  - { control: a, target: \"strip/B{n}/volume\" }\n").unwrap();
    let st = faderd().arg("check").arg(&map).output().unwrap();
    assert_eq!(st.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&st.stderr)
            .contains(":5:27: target 'strip/B{n}/volume': unknown control")
    );

    let st = faderd()
        .args(["check", "no/such/file.yaml"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&st.stderr).contains("no/such/file.yaml: cannot read"));
}

#[test]
fn help_is_available_for_every_command() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["render", "--help"],
        &["check", "--help"],
    ] {
        let st = faderd().args(args).output().unwrap();
        assert!(st.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&st.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let st = faderd()
        .args(["run", "--backend", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1), "a bad flag is a user error");
}

/// Start `faderd run` with `args`, wait for its ready line.
#[test]
fn run_says_it_is_ready_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("s.yaml");
    std::fs::copy("examples/demo.yaml", &sess).unwrap();
    let before = std::fs::read(&sess).unwrap();
    let (mut child, ready) = start_run(&[
        sess.to_str().unwrap(),
        "--backend",
        "dummy",
        "--osc",
        "127.0.0.1:0",
    ]);
    assert!(
        ready.starts_with("faderd ready: session 'Demo' (8 tracks, 3 buses)"),
        "{ready}"
    );
    assert!(
        ready.contains("dummy backend") && ready.contains("48000 Hz / 64 frames"),
        "{ready}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let st = terminate(&mut child);
    assert_eq!(st.code(), Some(0));
    assert_eq!(
        std::fs::read(&sess).unwrap(),
        before,
        "an unchanged session is not rewritten"
    );
}

#[test]
fn osc_on_a_host_name_listens_where_it_resolves_and_a_text_without_a_port_is_refused() {
    let (mut child, ready) = start_run(&["--backend", "dummy", "--osc", "localhost:0"]);
    let osc = osc_addr_of(&ready);
    assert_eq!(osc.ip().to_string(), "127.0.0.1", "{ready}");
    // It answers there.
    assert!(
        status_number(&osc_status(osc.port()), "/status/accepted").is_some(),
        "no /status answer on {osc}"
    );
    assert_eq!(terminate(&mut child).code(), Some(0));

    // A host without a port: a usage error in plain words, nothing started.
    let out = faderd()
        .args(["run", "--backend", "dummy", "--osc", "localhost"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "it started");
    assert!(
        err.contains("'localhost' is not HOST:PORT (e.g. 127.0.0.1:8000 or localhost:8000)"),
        "{err}"
    );

    // The same rule in a config file, with the place named.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "version: 1\nosc:\n  listen: \"localhost:8000\"\n  clients:\n    - { address: \"localhost:9000\" }\n",
    )
    .unwrap();
    let out = faderd().arg("check").arg(&good).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\nosc:\n  listen: \"localhost\"\n").unwrap();
    let out = faderd().arg("check").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{}:3:11: osc listen: 'localhost' is not HOST:PORT",
            bad.display()
        )),
        "{err}"
    );
}

#[test]
fn run_with_a_broken_session_exits_1_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("s.yaml");
    std::fs::write(&sess, "version: 2\nname: x\n").unwrap();
    let st = faderd()
        .arg("run")
        .arg(&sess)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&st.stderr).contains(&format!(
        "{}:1:10: this faderd reads session version 1",
        sess.display()
    )));
}

#[test]
fn osc_changes_from_an_independent_peer_are_saved_on_sigterm() {
    if !liblo_tools_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("s.yaml");
    std::fs::copy("examples/demo.yaml", &sess).unwrap();
    // Find a free port, then hand it to faderd.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let osc = format!("127.0.0.1:{port}");
    let (mut child, ready) = start_run(&[sess.to_str().unwrap(), "--osc", &osc]);
    assert!(ready.contains(&format!("OSC on udp {osc}")), "{ready}");
    let send = |args: &[&str]| {
        let st = std::process::Command::new("oscsend")
            .args(["localhost", &port.to_string()])
            .args(args)
            .status()
            .unwrap();
        assert!(st.success());
    };
    send(&["/strip/1/fader", "f", "0.5"]);
    send(&["/strip/4/mute", "i", "1"]);
    send(&["/bus/2/name", "s", "Plate"]);
    send(&["/strip/99/fader", "f", "0.5"]); // no such strip: refused, harmless
    send(&["/no/such/address", "f", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(terminate(&mut child).code(), Some(0));
    let saved = faderd::config::load_session(&sess).unwrap();
    assert_eq!(
        saved.tracks[0].controls.gain_db, -10.0,
        "fader 0.5 is -10 dB"
    );
    assert!(saved.tracks[3].controls.mute);
    assert_eq!(saved.buses[1].name, "Plate");
    // Sends that named the renamed bus follow it.
    assert!(
        std::fs::read_to_string(&sess)
            .unwrap()
            .contains("bus: Plate")
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("saved the changed session"), "{stderr}");
}

#[test]
fn jack_backend_without_a_server_exits_2_and_auto_falls_back_to_dummy() {
    let nowhere = format!("faderd-no-such-server-{}", std::process::id());
    // No PipeWire either: a runtime folder without its socket.
    let runtime = tempfile::tempdir().unwrap();
    let no_pipewire = runtime.path();
    let out = faderd()
        .args(["run", "--backend", "jack", "--osc", "127.0.0.1:0"])
        .env("JACK_DEFAULT_SERVER", &nowhere)
        .env("JACK_NO_START_SERVER", "1")
        .env("XDG_RUNTIME_DIR", no_pipewire)
        .env_remove("PIPEWIRE_RUNTIME_DIR")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "no JACK server '{nowhere}' is running (neither jackd nor PipeWire is running)"
        )) && err.contains("--backend dummy"),
        "{err}"
    );

    let mut cmd = faderd();
    cmd.env("JACK_DEFAULT_SERVER", &nowhere)
        .env("JACK_NO_START_SERVER", "1")
        .env("XDG_RUNTIME_DIR", no_pipewire)
        .env_remove("PIPEWIRE_RUNTIME_DIR");
    let (child, ready) = start_run_cmd(cmd, &["--backend", "auto", "--osc", "127.0.0.1:0"]);
    let mut child = KillOnDrop(child);
    assert!(
        ready.contains(
            "dummy backend (auto: no JACK server or PipeWire running yet; joins one when it starts)"
        ),
        "{ready}"
    );
    assert_eq!(terminate(&mut child.0).code(), Some(0));

    // `faderd devices` still lists what it can, and says why JACK is empty.
    let out = faderd()
        .arg("devices")
        .env("JACK_DEFAULT_SERVER", &nowhere)
        .env("JACK_NO_START_SERVER", "1")
        .env("XDG_RUNTIME_DIR", no_pipewire)
        .env_remove("PIPEWIRE_RUNTIME_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("no JACK server '{nowhere}' is running")),
        "{text}"
    );
    for section in ["cpal hosts", "MIDI ports", "Serial ports"] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
}

#[test]
fn a_mackie_surface_without_a_midi_system_is_reported_and_the_daemon_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(
        &cfg,
        "version: 1\nsurfaces:\n  - mackie:\n      units:\n        - { profile: x-touch, midi: X-Touch }\n",
    )
    .unwrap();
    let (child, ready) = start_run(&[
        "--backend",
        "dummy",
        "--config",
        cfg.to_str().unwrap(),
        "--osc",
        "127.0.0.1:0",
    ]);
    let mut child = KillOnDrop(child);
    assert!(ready.starts_with("faderd ready"), "{ready}");
    let err = terminate_clean(&mut child);
    if !std::path::Path::new("/dev/snd/seq").exists() {
        assert!(
            err.contains("MIDI surfaces cannot reach their devices"),
            "{err}"
        );
    }

    // A profile that does not exist is a user error naming the place.
    std::fs::write(
        &cfg,
        "version: 1\nsurfaces:\n  - mackie:\n      units:\n        - { profile: x-tuch, midi: X }\n",
    )
    .unwrap();
    let out = faderd().args(["check"]).arg(&cfg).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("c.yaml:5:22: cannot read"), "{err}");
    assert!(
        err.contains("built in: mcu-pro, mcu-xt, logic-control, x-touch"),
        "{err}"
    );
}

#[test]
fn the_users_config_is_found_in_xdg_config_home_and_check_says_which() {
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path().join("xdg");
    // None yet: check and --help say the defaults are used, and where the
    // file would be.
    let out = faderd()
        .arg("check")
        .env("XDG_CONFIG_HOME", &xdg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let path = xdg.join("faderd/config.yaml");
    assert!(
        text.contains(&format!("config: none ({} does not exist)", path.display())),
        "{text}"
    );
    let help = faderd()
        .args(["run", "--help"])
        .env("XDG_CONFIG_HOME", &xdg)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains(&path.display().to_string()), "{help}");

    // The user's file, found without --config: `run` reads it (it asks
    // for the dummy backend, which the ready line shows) and says so.
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "version: 1\naudio: { backend: dummy }\n").unwrap();
    let out = faderd()
        .arg("check")
        .env("XDG_CONFIG_HOME", &xdg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("config: {}", path.display()))
            && text.contains(&format!("{}: ok (daemon config)", path.display())),
        "{text}"
    );
    let mut cmd = faderd();
    cmd.env("XDG_CONFIG_HOME", &xdg);
    let (child, ready) = start_run_cmd(cmd, &["--osc", "127.0.0.1:0"]);
    let mut child = KillOnDrop(child);
    assert!(ready.contains("on the dummy backend, 48000 Hz"), "{ready}");
    let err = terminate_clean(&mut child);
    assert!(
        err.contains(&format!("faderd: config {}", path.display())),
        "{err}"
    );

    // A broken user config is refused with its place, as --config is.
    std::fs::write(&path, "version: 1\naudio: { backend: nope }\n").unwrap();
    let out = faderd()
        .args(["run", "--osc", "127.0.0.1:0"])
        .env("XDG_CONFIG_HOME", &xdg)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:2:", path.display())), "{err}");
}

/// The subcommands `faderd --help` lists.
fn subcommands() -> Vec<String> {
    let out = faderd().arg("--help").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_has_a_man_page_and_shell_completions_that_know_it() {
    let generated = std::path::Path::new(env!("FADERD_GENERATED"));
    let commands = subcommands();
    assert!(commands.len() >= 6, "{commands:?}");
    let top = std::fs::read_to_string(generated.join("man/faderd.1")).unwrap();
    assert!(top.contains(".TH faderd 1"), "{top}");
    for c in &commands {
        let page = std::fs::read_to_string(generated.join(format!("man/faderd-{c}.1")))
            .unwrap_or_else(|e| panic!("no man page for {c}: {e}"));
        assert!(page.contains(&format!(".TH faderd-{c} 1")), "{page}");
        assert!(
            top.contains(&format!("faderd\\-{c}(1)")),
            "faderd(1) does not list {c}"
        );
        // Every option `faderd C --help` shows is on its page.
        let help = faderd().args([c.as_str(), "--help"]).output().unwrap();
        for option in String::from_utf8_lossy(&help.stdout)
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
        {
            let option = option.trim_end_matches(',').replace('-', "\\-");
            let option = option.split('<').next().unwrap_or_default().trim();
            assert!(page.contains(option), "{option} missing from faderd-{c}(1)");
        }
    }
    // bash completes subcommands and options, through bash itself.
    let bash = generated.join("completions/faderd.bash");
    let complete = |words: &str, cword: usize| -> String {
        let script = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; _faderd faderd \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[@]}}\"",
            bash.display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(complete("faderd ru", 1), "run");
    assert_eq!(complete("faderd run --ba", 2), "--backend");
    // zsh and fish get theirs (those shells are not installed here).
    for (file, wants) in [
        ("_faderd", "#compdef faderd"),
        ("faderd.fish", "complete -c faderd"),
    ] {
        let text = std::fs::read_to_string(generated.join("completions").join(file)).unwrap();
        assert!(text.contains(wants), "{file}");
        for c in &commands {
            assert!(text.contains(c.as_str()), "{file} does not know {c}");
        }
    }
}

#[test]
fn profiles_and_maps_are_found_by_name_in_the_data_folders() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.yaml");
    // Not built into the binary: only a data folder can have it.
    std::fs::write(
        &config,
        "version: 1\nsurfaces:\n  - midi: { map: behringer-x-touch-mini, port: Ctl }\n",
    )
    .unwrap();
    let empty = dir.path().join("empty");
    let check = |data_home: &std::path::Path| {
        faderd()
            .args(["check", config.to_str().unwrap()])
            .env("XDG_DATA_HOME", data_home)
            .env("XDG_DATA_DIRS", &empty)
            .output()
            .unwrap()
    };
    let out = check(&empty);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("behringer-x-touch-mini"), "{err}");

    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("faderd/maps")).unwrap();
    std::fs::copy(
        "maps/behringer-x-touch-mini.yaml",
        data.join("faderd/maps/behringer-x-touch-mini.yaml"),
    )
    .unwrap();
    let out = check(&data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_error_says_its_cause_once_and_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let out = faderd()
        .args(["run", missing.to_str().unwrap(), "--osc", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot read"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    // No Rust debug formatting in what a person reads.
    for debug in ["ClientStatus(", "Os {", "kind:", "Error {"] {
        assert!(!err.contains(debug), "{err}");
    }
}

#[test]
fn run_without_a_session_keeps_the_users_own_in_the_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let file = data.join("faderd/session.yaml");
    let start = || {
        let mut cmd = faderd();
        cmd.env("XDG_DATA_HOME", &data);
        let (child, ready) = start_run_cmd(cmd, &["--osc", "127.0.0.1:0", "--backend", "dummy"]);
        (KillOnDrop(child), osc_addr_of(&ready).port())
    };
    // The first run makes it from the demo, and keeps what a surface did.
    let (mut first, osc) = start();
    assert!(file.exists(), "no session at {}", file.display());
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let msg = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/strip/1/gain".into(),
        args: vec![rosc::OscType::Float(-7.0)],
    }))
    .unwrap();
    sock.send_to(&msg, ("127.0.0.1", osc)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let err = terminate_clean(&mut first);
    assert!(
        err.contains(&format!(
            "your session: {} (new, from the built-in demo",
            file.display()
        )),
        "{err}"
    );
    let saved = faderd::config::load_session(&file).unwrap();
    assert_eq!(saved.tracks[0].controls.gain_db, -7.0);
    // The next run starts from it.
    let (mut second, _) = start();
    let err = terminate_clean(&mut second);
    assert!(
        err.contains(&format!("your session: {}\n", file.display())),
        "{err}"
    );
}

#[test]
fn render_refuses_to_write_over_the_files_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("01 Vox.wav");
    write_wav(&wav, 48_000, &[vec![0.25; 4_800]]);
    let session = dir.path().join("s.yaml");
    std::fs::write(
        &session,
        "version: 1\nname: r\ntracks:\n  - { name: Vox, source: { file: \"01 Vox.wav\" } }\n",
    )
    .unwrap();
    let (wav_before, session_before) = (
        std::fs::read(&wav).unwrap(),
        std::fs::read(&session).unwrap(),
    );
    // The mix onto the track's own file (named another way), the mix onto
    // the session, and a stem onto the track's file (the stem of track 1,
    // Vox, is "01 Vox.wav").
    let stems = dir.path().to_path_buf();
    for (out, extra, what) in [
        (
            dir.path().join("./01 Vox.wav"),
            vec![],
            "the audio file track 'Vox' plays",
        ),
        (session.clone(), vec![], "the session file"),
        (
            dir.path().join("mix.wav"),
            vec!["--stems", stems.to_str().unwrap()],
            "the audio file track 'Vox' plays",
        ),
    ] {
        let out_run = render_cmd(&session, &out, &extra);
        let err = String::from_utf8_lossy(&out_run.stderr);
        assert_eq!(out_run.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("is {what}; the render will not overwrite it")),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&wav).unwrap(),
            wav_before,
            "the audio file changed"
        );
        assert_eq!(
            std::fs::read(&session).unwrap(),
            session_before,
            "the session changed"
        );
    }
    assert!(
        !dir.path().join("mix.wav").exists(),
        "nothing written on refusal"
    );
}

/// Valid but likely unmeant: lanes on a strip without an automation mode
/// (they do not play) and a send without a level (it is off). `check`
/// passes the file and warns with the place of each; `render` warns too.
#[test]
fn check_and_render_warn_of_lanes_that_do_not_play_and_sends_that_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("w.yaml");
    std::fs::write(
        &session,
        "version: 1\nname: w\nlength_s: 0.1\nbuses:\n  - { name: Rev, kind: aux }\ntracks:\n  - name: A\n    source: { tone: { wave: sine, freq_hz: 100, level_db: -6 } }\n    sends: [{ bus: Rev }]\n    lanes:\n      gain: { points: [[0, 0], [1, -6]] }\n  - name: B\n    automation: read\n    sends: [{ bus: Rev, gain_db: -.inf }]\n    lanes:\n      gain: { points: [[0, 0], [1, -6]] }\n",
    )
    .unwrap();
    let st = faderd().arg("check").arg(&session).output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&st.stdout),
        String::from_utf8_lossy(&st.stderr),
    );
    assert!(st.status.success(), "{err}");
    assert!(out.contains("w.yaml: ok (session, 2 warnings)"), "{out}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "only A's send and A's lanes: {err}");
    assert!(
        lines[0].ends_with(
            "w.yaml:9:13: this send has no `gain_db`: it is off (-.inf) until a level is set"
        ),
        "{err}"
    );
    assert!(
        lines[1].ends_with("w.yaml:11:13: lane `gain` does not play: this strip has no `automation:` mode, and the default is off (add `automation: read`)"),
        "{err}"
    );
    let st = render_cmd(&session, &dir.path().join("w.wav"), &[]);
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(st.status.success(), "{err}");
    assert_eq!(err.matches("faderd: warning: ").count(), 2, "{err}");
}
