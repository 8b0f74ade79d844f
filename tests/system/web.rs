//! The browser console against the real daemon, in Debian's Chromium
//! driven headless by Playwright (tests/browser/console.mjs): what the page
//! shows, and what the engine does when a person uses it. liblo's tools
//! play the tablet beside it.

use crate::common;
use common::*;
use std::path::PathBuf;
use std::time::Duration;

const SESSION: &str = r#"
version: 1
name: web-test
buses:
  - { name: Verb, kind: aux, gain_db: -6 }
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }
    gain_db: 0
    sends: [{ bus: Verb, gain_db: -12 }]
  - name: Bass
    source: { tone: { wave: sine, freq_hz: 110, level_db: -6 } }
    gain_db: -4
  - name: Keys
    gain_db: -10
"#;

/// A faderd with its console on an ephemeral loopback port.
struct Console {
    run: Running,
    url: String,
    _turn: std::sync::MutexGuard<'static, ()>,
}

/// [`SESSION`] with its console, the browser turn taken.
fn start() -> Console {
    let turn = heavy_turn();
    assert!(
        liblo_tools_available(),
        "liblo's oscsend/oscdump are needed (apt-get install liblo-tools)"
    );
    console_for(SESSION, turn)
}

/// A faderd on `session` with its console on an ephemeral loopback port,
/// holding `turn` while it runs.
fn console_for(session: &str, turn: std::sync::MutexGuard<'static, ()>) -> Console {
    let run = run_session(session, "version: 1\nweb: { listen: \"127.0.0.1:0\" }\n");
    let url = run
        .ready
        .split("console on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no console address in the ready line: {}", run.ready))
        .to_string();
    Console {
        run,
        url,
        _turn: turn,
    }
}

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Run a scenario of console.mjs in Chromium; its JSON result.
fn browse(c: &Console, scenario: &str, extra: &[&str]) -> serde_json::Value {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "Playwright is not installed for the browser tests: run `npm ci --prefix tests/browser` (and apt-get install chromium)"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists()
            || std::env::var_os("FADERD_CHROMIUM").is_some(),
        "Chromium is needed for the browser tests (apt-get install chromium)"
    );
    let out = std::process::Command::new("node")
        .current_dir(&dir)
        .arg("console.mjs")
        .args([scenario, &c.url, &c.run.osc.to_string()])
        .args(extra)
        .output()
        .expect("node runs (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "console.mjs {scenario} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(
        v["errors"],
        serde_json::json!([]),
        "the page logged errors: {v}"
    );
    v
}

#[test]
fn the_page_shows_every_strip_of_the_session_with_its_name_and_level() {
    let c = start();
    let v = browse(&c, "load", &[]);
    let strips: Vec<(String, String, String)> = v["strips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["strip"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
                s["gain"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("strip/1", "Tone", "0.0"),
        ("strip/2", "Bass", "-4.0"),
        ("strip/3", "Keys", "-10.0"),
        ("bus/1", "Verb", "-6.0"),
        ("master", "Master", "0.0"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(strips, want, "{v}");
    // The faders sit where the fader law puts their gain: 0 dB at 0.75,
    // -10 dB at 0.5.
    assert!(
        (v["strips"][0]["fader"].as_f64().unwrap() - 0.75).abs() < 1e-3,
        "{v}"
    );
    assert!(
        (v["strips"][2]["fader"].as_f64().unwrap() - 0.5).abs() < 1e-3,
        "{v}"
    );
    // The meters arrive in one blob: the tone's strip shows the level a
    // UDP subscriber is told (its peak, -6 dBFS less the -3 dB pan law),
    // the silent one shows nothing.
    let udp_db = strip1_meter_db(c.run.osc);
    let page = v["strips"][0]["meter"].as_f64().unwrap();
    assert!(
        (page - faderd::dsp::db_to_pos(udp_db)).abs() < 0.01,
        "page {page}, UDP {udp_db} dB: {v}"
    );
    // Its RMS bar stands 3 dB under the peak, as a sine's does.
    let rms = v["strips"][0]["rms"].as_f64().unwrap();
    assert!(
        (rms - faderd::dsp::db_to_pos(udp_db - 3.01)).abs() < 0.01,
        "RMS {rms}, UDP peak {udp_db} dB: {v}"
    );
    let silent = v["strips"][2]["meter"].as_f64().unwrap();
    assert!((0.0..0.01).contains(&silent), "{v}");
    assert_eq!(v["strips"][2]["rms"].as_f64(), Some(0.0), "{v}");
}

#[test]
fn a_track_added_while_the_page_is_open_appears_without_a_reload() {
    let c = start();
    let v = browse(&c, "add", &[]);
    assert_eq!(v["same_document"], serde_json::json!(true), "{v}");
    assert_eq!(v["strips_before"], serde_json::json!(5), "{v}");
    // In its place: after the other tracks, before the bus and the master.
    assert_eq!(
        v["strips"],
        serde_json::json!([
            ["strip/1", "Tone"],
            ["strip/2", "Bass"],
            ["strip/3", "Keys"],
            ["strip/4", "Guitar"],
            ["bus/1", "Verb"],
            ["master", "Master"]
        ]),
        "{v}"
    );
    assert!(v["shown_after_ms"].as_f64().unwrap() < 500.0, "{v}");
    // The daemon has it too: a new subscriber is told its fader.
    assert_eq!(subscribed_value(c.run.osc, "/strip/4/fader"), Some(0.75));
}

#[test]
fn a_track_removed_from_the_page_leaves_the_engine_every_surface_and_the_file() {
    let c = start();
    let tone_bass = meter_db(c.run.osc, "/master/meter/db");
    let v = browse(&c, "remove", &[]);
    assert_eq!(v["strips_before"], serde_json::json!(5), "{v}");
    assert!(v["asked"].as_str().unwrap().contains("Bass"), "{v}");
    // Bass is gone; Keys moved up into its place, with its own level.
    assert_eq!(
        v["strips"],
        serde_json::json!([
            ["strip/1", "Tone", "0.0"],
            ["strip/2", "Keys", "-10.0"],
            ["bus/1", "Verb", "-6.0"],
            ["master", "Master", "0.0"]
        ]),
        "{v}"
    );
    // A tablet is told the new shape, and strip 2 is Keys: silent.
    let told = subscribed(c.run.osc, 1, Duration::from_millis(800));
    assert!(
        told.iter()
            .any(|(a, v)| a == "/session/strips" && *v == rosc::OscType::Int(2)),
        "{told:?}"
    );
    assert_eq!(subscribed_value(c.run.osc, "/strip/2/gain"), Some(-10.0));
    assert!(meter_db(c.run.osc, "/strip/2/meter/db") <= -85.0);
    // The engine no longer plays the bass: the master meters the tone's
    // level alone, lower than both together.
    let tone = meter_db(c.run.osc, "/master/meter/db");
    assert!(
        tone < tone_bass - 0.5,
        "master {tone_bass} dB before, {tone} dB after"
    );
    // Nothing is lost: the recovery file has it within the autosave time,
    // and a save writes it to the session file.
    let recovery = c.run.session.with_file_name("s.recovery.yaml");
    let has_it = |path: &std::path::Path| {
        let f = std::fs::read_to_string(path).unwrap_or_default();
        !f.contains("Bass") && f.contains("Keys")
    };
    assert!(
        wait_until(Duration::from_secs(8), || has_it(&recovery)),
        "{}",
        std::fs::read_to_string(&recovery).unwrap_or_default()
    );
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(
        &osc_bytes("/session/save", vec![]),
        ("127.0.0.1", c.run.osc),
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || has_it(&c.run.session)),
        "{}",
        std::fs::read_to_string(&c.run.session).unwrap()
    );
}

#[test]
fn the_high_pass_put_in_and_dragged_on_the_page_cuts_the_bass_in_the_engine() {
    let c = start();
    let before = meter_db(c.run.osc, "/strip/2/meter/db");
    let v = browse(&c, "hpf", &[]);
    assert_eq!(v["before"], serde_json::json!("false"), "{v}");
    assert_eq!(v["after"], serde_json::json!("true"), "{v}");
    let hz = v["hz"].as_f64().unwrap();
    assert!((hz - 500.0).abs() < 60.0, "{v}");
    // The daemon has the frequency the page shows ...
    let told = subscribed_value(c.run.osc, "/strip/2/hpf/freq").unwrap();
    assert!(
        (f64::from(told) - hz).abs() < 1.0,
        "daemon {told}, page {hz}"
    );
    // ... and the 110 Hz tone is cut well down by a high-pass over two
    // octaves above it.
    let after = meter_db(c.run.osc, "/strip/2/meter/db");
    assert!(
        after < before - 20.0,
        "{before} dB before, {after} dB after"
    );
}

#[test]
fn a_colour_chosen_on_the_page_reaches_the_daemon_and_a_tablets_shows_on_the_page() {
    let c = start();
    let v = browse(&c, "colour", &[]);
    assert_eq!(v["checked"], serde_json::json!("red"), "{v}");
    // Strip 1's band is the page's own red at once, strip 2's the
    // tablet's blue.
    assert_eq!(v["band"][0], serde_json::json!("rgb(229, 72, 77)"), "{v}");
    assert_eq!(v["band"][1], serde_json::json!("rgb(61, 123, 253)"), "{v}");
    // The daemon has them, and tells every other client.
    let told = subscribed(c.run.osc, 0, Duration::from_millis(600));
    let colour = |strip: &str| {
        told.iter().find_map(|(a, v)| match v {
            rosc::OscType::String(s) if a == &format!("/{strip}/colour") => Some(s.clone()),
            _ => None,
        })
    };
    assert_eq!(colour("strip/1").as_deref(), Some("red"), "{told:?}");
    assert_eq!(colour("strip/2").as_deref(), Some("blue"), "{told:?}");
    assert_eq!(colour("strip/3").as_deref(), Some("none"), "{told:?}");
}

#[test]
fn after_a_network_blip_the_page_reconnects_and_shows_what_changed_meanwhile() {
    let c = start();
    // A tablet subscribed over UDP meanwhile (it stays for the test).
    let tablet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    tablet
        .send_to(
            &osc_bytes("/subscribe", vec![rosc::OscType::Int(0)]),
            ("127.0.0.1", c.run.osc),
        )
        .unwrap();
    let v = browse(&c, "blip", &[]);
    assert_eq!(
        v["link_while_down"],
        serde_json::json!("reconnecting"),
        "{v}"
    );
    assert_eq!(v["link_after"], serde_json::json!("live"), "{v}");
    assert!(v["restored_after_ms"].as_f64().unwrap() < 3000.0, "{v}");
    // The status line: audio running, no xruns on the dummy clock, one
    // console, nothing unsaved before the tablet's move.
    let status = v["status"].as_str().unwrap();
    assert!(status.starts_with("audio \u{b7} DSP "), "{status}");
    assert!(
        status.contains("1 console \u{b7} 1 tablet \u{b7}"),
        "{status}"
    );
}

#[test]
fn the_mute_button_mutes_the_engine_and_shows_it_at_once() {
    let c = start();
    assert!(strip1_meter_db(c.run.osc) > -12.0, "the tone plays");
    let v = browse(&c, "mute", &[]);
    assert_eq!(v["before"], serde_json::json!("false"), "{v}");
    assert_eq!(
        v["after"],
        serde_json::json!("true"),
        "lit on the click: {v}"
    );
    assert!(strip1_meter_db(c.run.osc) <= -85.0, "muted in the engine");
    // A new page is told it is muted; a click unmutes.
    let v = browse(&c, "mute", &[]);
    assert_eq!(v["before"], serde_json::json!("true"), "{v}");
    assert_eq!(v["after"], serde_json::json!("false"), "{v}");
    assert!(strip1_meter_db(c.run.osc) > -12.0, "the tone plays again");
}

#[test]
fn a_send_in_the_strip_detail_shows_its_bus_and_level_and_moves_the_engine() {
    let c = start();
    // The tone reaches the aux through the send.
    let fed = meter_db(c.run.osc, "/bus/1/meter/db");
    assert!(fed > -40.0, "the aux meters {fed} dB");
    let v = browse(&c, "sends", &[]);
    assert_eq!(v["bus"], serde_json::json!("Verb"), "{v}");
    assert_eq!(v["db"], serde_json::json!("-12.0"), "{v}");
    // -12 dB on the fader law: 0.475 of the travel (80 p - 50 dB).
    assert!((v["pos"].as_f64().unwrap() - 0.475).abs() < 1e-3, "{v}");
    assert_eq!(v["pre"], serde_json::json!("true"), "{v}");
    let now = dump_values(c.run.osc);
    assert_eq!(
        now.get("/strip/1/send/1/fader"),
        Some(&0.0),
        "dragged off: {now:?}"
    );
    assert_eq!(
        now.get("/strip/1/send/1/pre"),
        Some(&1.0),
        "pre-fader: {now:?}"
    );
    // Sent nothing now: the aux is silent.
    let left = meter_db(c.run.osc, "/bus/1/meter/db");
    assert!(left <= -85.0, "the aux still meters {left} dB");
}

#[test]
fn the_master_detail_shows_the_loudness_the_daemon_measures() {
    let c = start();
    // The figures settle over the first seconds (short-term is a 3 s
    // window): wait until the daemon's stop moving, so the page's reading
    // and the one asked after it can be compared.
    let reading = || {
        let s = osc_status(c.run.osc);
        ["short_term", "integrated"]
            .map(|k| status_number(&s, &format!("/master/loudness/{k}")).unwrap_or(f64::NAN))
    };
    let mut last = reading();
    let settled = wait_until(Duration::from_secs(8), || {
        let now = reading();
        let still = now.iter().zip(&last).all(|(a, b)| (a - b).abs() < 0.05);
        last = now;
        still
    });
    assert!(settled, "the loudness never settled: {last:?}");
    let v = browse(&c, "loudness", &[]);
    let page = |k: &str| -> f64 {
        v["loudness"][k]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{k}: {v}"))
    };
    let status = osc_status(c.run.osc);
    let told = |k: &str| -> f64 {
        status_number(&status, &format!("/master/loudness/{k}"))
            .unwrap_or_else(|| panic!("/status has no {k}"))
    };
    // Two steady sines: what the page shows is what the daemon measures
    // (the page's figure may be up to a meter tick older).
    for k in ["integrated", "true_peak", "short_term", "momentary"] {
        assert!(
            (page(k) - told(k)).abs() < 0.2,
            "{k}: the page shows {}, the daemon says {}",
            page(k),
            told(k)
        );
    }
    assert!(
        page("integrated") > -30.0 && page("integrated") < -5.0,
        "{v}"
    );
    // The history reaches back before the page: the daemon's minute (it
    // had played for seconds before the page opened), twice a second.
    let first = v["history_points"].as_f64().unwrap();
    let open_first_s = v["page_open_s_first"].as_f64().unwrap();
    assert!(
        first >= 2.0 * open_first_s + 4.0,
        "{first} points after the page was open {open_first_s:.1} s: {v}"
    );
    // The history is the page's whole time (twice a second), not only
    // while the detail was open.
    let open_s = v["page_open_s"].as_f64().unwrap();
    let reopened = v["history_points_reopened"].as_f64().unwrap();
    assert!(
        reopened >= 2.0 * open_s - 3.0,
        "opened again after {open_s:.1} s, the history has {reopened} points: {v}"
    );
}

#[test]
fn the_master_limiter_put_in_from_the_page_holds_the_ceiling_and_shows_its_reduction() {
    // A 1 kHz sine at -6 dBFS, centred: -9 dBFS on each side of the
    // master, against a -15 dBTP ceiling.
    let session = r#"
version: 1
name: limiter-test
tracks:
  - name: Tone
    source: { tone: { wave: sine, freq_hz: 1000, level_db: -6 } }
master:
  limiter: { on: false, ceiling: -15 }
"#;
    let c = console_for(session, heavy_turn());
    let before = meter_db(c.run.osc, "/master/meter/db");
    assert!((before + 9.0).abs() < 0.3, "the master meters {before} dB");
    let v = browse(&c, "limiter", &[]);
    assert_eq!(v["before"], serde_json::json!("false"), "{v}");
    assert_eq!(v["ceiling"], serde_json::json!("-15.0 dBTP"), "{v}");
    assert_eq!(v["after"], serde_json::json!("true"), "{v}");
    // The engine now holds the ceiling ...
    let after = meter_db(c.run.osc, "/master/meter/db");
    assert!(
        after <= -14.8 && after > -16.0,
        "the master meters {after} dB"
    );
    // ... and the page shows what that takes off.
    let shown = v["reduction_db"].as_f64().unwrap();
    assert!(
        (shown - (before - after)).abs() < 0.75,
        "the page shows {shown} dB of limiting; the master went from {before} to {after} dB"
    );
}

#[test]
fn on_a_phone_and_a_tablet_every_control_is_at_least_44_px_each_way() {
    let c = start();
    for size in ["390x844", "820x1180"] {
        let v = browse(&c, "targets", &[size]);
        assert!(v["checked"].as_u64().unwrap() > 20, "{v}");
        // Four bands and the high-pass.
        assert_eq!(v["handles"], serde_json::json!(5), "{v}");
        for view in ["mixer", "strip", "master", "timeline"] {
            assert_eq!(
                v["small"][view],
                serde_json::json!([]),
                "{size}, {view}: controls under 44 px: {v}"
            );
        }
        // On a phone a timeline lane has more travel under a finger than
        // the desktop's 72 px.
        let lane_px = v["lane_px"].as_f64().unwrap();
        if size == "390x844" {
            assert!(lane_px >= 100.0, "a lane is {lane_px} px tall on a phone");
        }
    }
}

/// A lane as a client is told it: name, mode, points (seconds, position).
type ToldLane = (String, String, Vec<[f32; 2]>);

/// Strip 1's lanes as a UDP client is told them (`/automation/lanes`).
fn lanes_over_udp(osc_port: u16) -> Vec<ToldLane> {
    lanes_over_udp_in(osc_port, &[]).1
}

/// Strip 1's lanes as a UDP client asking for `view` (from, to, columns;
/// or nothing) is told them, and the datagram's size.
fn lanes_over_udp_in(osc_port: u16, view: &[rosc::OscType]) -> (usize, Vec<ToldLane>) {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut args = vec![rosc::OscType::String("strip/1".into())];
    args.extend_from_slice(view);
    sock.send_to(
        &osc_bytes("/automation/lanes", args),
        ("127.0.0.1", osc_port),
    )
    .unwrap();
    let mut buf = vec![0u8; 65_536];
    let n = recv(&sock, &mut buf).expect("an answer to /automation/lanes");
    let Ok((_, rosc::OscPacket::Message(m))) = rosc::decoder::decode_udp(&buf[..n]) else {
        panic!("not one OSC message")
    };
    assert_eq!(m.addr, "/automation/lanes/strip/1");
    let lanes = m
        .args
        .chunks(5)
        .map(|lane| match lane {
            [
                rosc::OscType::String(name),
                rosc::OscType::String(mode),
                rosc::OscType::Int(_),
                rosc::OscType::Blob(points),
                rosc::OscType::Blob(_),
            ] => {
                let points = points
                    .chunks_exact(8)
                    .map(|p| {
                        let f = |b: &[u8]| f32::from_le_bytes(b.try_into().unwrap());
                        [f(&p[..4]), f(&p[4..])]
                    })
                    .collect();
                (name.clone(), mode.clone(), points)
            }
            _ => panic!("a lane is five arguments: {lane:?}"),
        })
        .collect();
    (n, lanes)
}

/// A lane two hours long: 20,000 points of a slow ride (seconds, dB).
fn evening_lane() -> Vec<[f64; 2]> {
    (0..20_000)
        .map(|k| {
            let t = f64::from(k) * 0.36;
            [t, -30.0 + 20.0 * (t * 0.7).sin() * (t / 3_000.0).cos()]
        })
        .collect()
}

/// The lane's times a line drawn from `from_s` to `to_s` needs: those
/// inside, and the one either side.
fn times_for_view(lane: &[[f64; 2]], from_s: f64, to_s: f64) -> Vec<f64> {
    let first = lane.partition_point(|p| p[0] < from_s).saturating_sub(1);
    let end = (lane.partition_point(|p| p[0] <= to_s) + 1).min(lane.len());
    lane[first..end].iter().map(|p| p[0]).collect()
}

/// The times of `points` are `expected` (to a millisecond; f32 seconds).
fn assert_times(points: &[[f32; 2]], expected: &[f64]) {
    assert_eq!(points.len(), expected.len(), "{points:?}");
    for (p, t) in points.iter().zip(expected) {
        assert!((f64::from(p[0]) - t).abs() < 1e-3, "{p:?} against {t}");
    }
}

#[test]
fn a_lane_hours_long_reaches_the_page_and_a_tablet_cut_to_what_they_draw() {
    assert!(
        liblo_tools_available(),
        "liblo's oscsend is needed (apt-get install liblo-tools)"
    );
    let lane = evening_lane();
    let points: Vec<String> = lane
        .iter()
        .map(|p| format!("[{:.2}, {:.4}]", p[0], p[1]))
        .collect();
    let session = format!(
        "version: 1\nname: evening\ntracks:\n  - name: Tone\n    source: {{ tone: {{ wave: sine, freq_hz: 440, level_db: -20 }} }}\n    automation: read\n    lanes: {{ gain: {{ points: [{}] }} }}\n",
        points.join(", ")
    );
    // (The file holds the points to a ten-thousandth of a dB.)
    let lane: Vec<[f64; 2]> = points
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let c = console_for(&session, heavy_turn());
    // A tablet that asks for the whole lane gets it in one datagram (20,000
    // points: 160 kB whole), from its first point to its last, its
    // highest and lowest kept.
    let (bytes, lanes) = lanes_over_udp_in(c.run.osc, &[]);
    assert!(bytes <= 1472, "{bytes} bytes");
    let whole = &lanes
        .iter()
        .find(|l| l.0 == "gain")
        .expect("the gain lane")
        .2;
    assert!(whole.len() > 100 && whole.len() < 2_000, "{}", whole.len());
    let at = |i: usize| f64::from(whole[i][0]);
    assert!(at(0) == 0.0 && (at(whole.len() - 1) - lane[lane.len() - 1][0]).abs() < 1e-2);
    let by_db = |a: &&[f64; 2], b: &&[f64; 2]| a[1].total_cmp(&b[1]);
    for extreme in [lane.iter().max_by(by_db), lane.iter().min_by(by_db)] {
        let t = extreme.unwrap()[0];
        assert!(
            whole.iter().any(|p| (f64::from(p[0]) - t).abs() < 1e-2),
            "the point at {t} s is not among {whole:?}"
        );
    }
    // A view an hour in, as a tablet's timeline asks for it: every point
    // in it, and the one either side.
    let view = [
        rosc::OscType::Float(3_600.0),
        rosc::OscType::Float(3_630.0),
        rosc::OscType::Int(600),
    ];
    let (_, lanes) = lanes_over_udp_in(c.run.osc, &view);
    let gain = &lanes.iter().find(|l| l.0 == "gain").unwrap().2;
    assert_times(gain, &times_for_view(&lane, 3_600.0, 3_630.0));
    // The page draws its view's points; paged an hour on, the new view's.
    let v = browse(&c, "long", &[]);
    for key in ["start", "later"] {
        let shown = &v[key];
        let from = shown["from"].as_f64().unwrap();
        let to = from + shown["span"].as_f64().unwrap();
        let drawn: Vec<[f32; 2]> = serde_json::from_value(shown["points"].clone()).unwrap();
        assert_times(&drawn, &times_for_view(&lane, from, to));
    }
    assert!(v["later"]["from"].as_f64().unwrap() > 3_500.0, "{v}");
}

#[test]
fn a_pass_written_from_the_page_is_drawn_as_it_is_written_and_undone_from_it() {
    let c = start();
    let v = browse(&c, "automation", &[]);
    // While the fader was ridden, the span being written was drawn.
    assert!(v["writing_seen"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(v["writing_after"], serde_json::json!(0), "{v}");
    // The playhead moved with the transport.
    let heads: Vec<f64> = serde_json::from_value(v["heads"].clone()).unwrap();
    assert!(
        heads.windows(2).all(|w| w[1] >= w[0]) && heads[heads.len() - 1] - heads[0] > 0.8,
        "{v}"
    );
    // A write pass leaves the lane in touch.
    assert_eq!(v["mode_shown"], serde_json::json!("touch"), "{v}");
    // What the page drew is the lane the daemon holds.
    let lanes = lanes_over_udp(c.run.osc);
    let (_, mode, points) = lanes.iter().find(|l| l.0 == "gain").expect("a gain lane");
    assert_eq!(mode, "touch");
    let drawn: Vec<[f32; 2]> = serde_json::from_value(v["points"].clone()).unwrap();
    assert_eq!(&drawn, points, "{v}");
    // It rides down from 0 dB (the fader law's 0.75).
    assert!((points[0][1] - 0.75).abs() < 0.01, "{points:?}");
    assert!(points[points.len() - 1][1] < 0.6, "{points:?}");
    // The ruler located to 5 s and looped 2 s to 4 s.
    let status = osc_status(c.run.osc);
    let n = |k: &str| status_number(&status, k).unwrap_or_else(|| panic!("no {k}"));
    let rate = n("/status/audio/rate");
    assert!(
        (n("/status/transport/frame") / rate - 5.0).abs() < 0.2,
        "{status:?}"
    );
    assert!((n("/status/transport/loop_start") - 2.0).abs() < 0.2);
    assert!((n("/status/transport/loop_end") - 4.0).abs() < 0.2);
    assert!(v["loop_span"].as_f64().unwrap() > 10.0, "{v}");
    // Undo from the page takes the pass back in the daemon.
    let u = browse(&c, "undo", &[]);
    assert_eq!(u["points_before"], serde_json::json!(points.len()), "{u}");
    assert_eq!(u["points_after"], serde_json::json!(0), "{u}");
    let lanes = lanes_over_udp(c.run.osc);
    assert!(
        lanes.iter().all(|(_, _, p)| p.is_empty()),
        "the daemon still holds {lanes:?}"
    );
    // The lane's own mode, set on the page: the strip stays in touch.
    assert_eq!(u["lane_mode"], serde_json::json!("read"), "{u}");
    assert_eq!(u["strip_mode"], serde_json::json!("touch"), "{u}");
    let lanes = lanes_over_udp(c.run.osc);
    let gain = lanes.iter().find(|l| l.0 == "gain").expect("a gain lane");
    assert_eq!(gain.1, "read", "{lanes:?}");
}

#[test]
fn points_added_dragged_and_deleted_on_the_page_are_the_daemons_lane_and_play() {
    let c = console_with_a_lane();
    let v = browse(&c, "edit", &[]);
    let pts = |k: &str| -> Vec<[f32; 2]> { serde_json::from_value(v[k].clone()).unwrap() };
    let near =
        |p: [f32; 2], t: f32, pos: f32, dt: f32| (p[0] - t).abs() < dt && (p[1] - pos).abs() < 0.03;
    // Added where it was double-clicked, between the two.
    let added = pts("added");
    assert!(near(added[1], 10.0, 0.3, 0.1), "{v}");
    // Dragged to 12 s, halfway up.
    let dragged = pts("dragged");
    assert_eq!(dragged.len(), 3, "{v}");
    assert!(near(dragged[1], 12.0, 0.5, 0.1), "{v}");
    // The one at 20 s deleted.
    let deleted = pts("deleted");
    assert_eq!(deleted, vec![pts("before")[0], dragged[1]], "{v}");
    // Picked and moved with the arrow keys: ten steps of 0.1 s right,
    // five of 0.01 up. What the page drew is the daemon's lane.
    let nudged = pts("nudged");
    assert_eq!(nudged.len(), 2, "{v}");
    assert!(
        near(nudged[1], dragged[1][0] + 1.0, dragged[1][1] + 0.05, 0.01),
        "{v}"
    );
    // Dragged to the top of the lane, where the ruler's reach begins,
    // and from there back down: the point moved both times, the
    // transport did not.
    let top: [f32; 2] = serde_json::from_value(v["at_top"].clone()).unwrap();
    let back: [f32; 2] = serde_json::from_value(v["from_top"].clone()).unwrap();
    assert!(near(top, nudged[1][0], 0.95, 0.01), "{v}");
    assert!(near(back, nudged[1][0], 0.6, 0.01), "{v}");
    assert_eq!(
        status_number(&osc_status(c.run.osc), "/status/transport/frame"),
        Some(0.0)
    );
    let lanes = lanes_over_udp(c.run.osc);
    let gain = &lanes.iter().find(|l| l.0 == "gain").expect("a gain lane").2;
    assert_eq!(gain, &vec![nudged[0], back], "{v}");
    for _ in 0..2 {
        oscsend(c.run.osc, &["/automation/undo"]);
    }
    assert_eq!(&lanes_over_udp(c.run.osc)[0].2, &nudged, "{v}");
    // It plays: at the point the fader stands where the point was put.
    oscsend(
        c.run.osc,
        &["/transport/locate", "f", &nudged[1][0].to_string()],
    );
    assert!(
        wait_until(Duration::from_secs(2), || subscribed_value(
            c.run.osc,
            "/strip/1/fader"
        )
        .is_some_and(|f| (f - nudged[1][1]).abs() < 0.01)),
        "the fader is at {:?}, the point at {}",
        subscribed_value(c.run.osc, "/strip/1/fader"),
        nudged[1][1]
    );
    // Each edit undoes on its own, the last first; a run of keys is one.
    for step in [&deleted, &dragged, &added, &pts("before")] {
        oscsend(c.run.osc, &["/automation/undo"]);
        assert_eq!(&lanes_over_udp(c.run.osc)[0].2, step);
    }
}

/// A track whose gain lane has a point at 0 s and at 20 s (-10 dB), in
/// read mode, with its console.
fn console_with_a_lane() -> Console {
    assert!(
        liblo_tools_available(),
        "liblo's oscsend is needed (apt-get install liblo-tools)"
    );
    console_for(
        "version: 1\nname: edit\ntracks:\n  - name: Tone\n    source: { tone: { wave: sine, freq_hz: 440, level_db: -20 } }\n    automation: read\n    lanes: { gain: { points: [[0, -10], [20, -10]] } }\n",
        heavy_turn(),
    )
}

#[test]
fn a_stretch_drawn_with_the_pen_is_the_daemons_lane_thinned_and_plays() {
    let c = console_with_a_lane();
    let v = browse(&c, "draw", &[]);
    assert_eq!(v["pen"], serde_json::json!("true"), "{v}");
    assert_eq!(v["stroke_shown"], serde_json::json!(1), "{v}");
    let drawn: Vec<[f32; 2]> = serde_json::from_value(v["drawn"].clone()).unwrap();
    let before: Vec<[f32; 2]> = serde_json::from_value(v["before"].clone()).unwrap();
    // The points outside the stroke stay; inside, the stroke rises from
    // 0.2 to 0.8, thinned from its 31 samples.
    assert_eq!(drawn[0], before[0], "{v}");
    assert_eq!(drawn[drawn.len() - 1], before[1], "{v}");
    let inside = &drawn[1..drawn.len() - 1];
    assert!(inside.len() >= 2 && inside.len() < 31, "{v}");
    assert!(
        (inside[0][0] - 2.0).abs() < 0.15 && (inside[0][1] - 0.2).abs() < 0.03,
        "{v}"
    );
    let end = inside[inside.len() - 1];
    assert!(
        (end[0] - 8.0).abs() < 0.15 && (end[1] - 0.8).abs() < 0.03,
        "{v}"
    );
    assert!(
        inside
            .windows(2)
            .all(|w| w[1][0] > w[0][0] && w[1][1] >= w[0][1] - 0.01),
        "{v}"
    );
    // A stretch picked from 3 s to 7 s and deleted: the points outside
    // it stay.
    assert_eq!(v["range_shown"], serde_json::json!(1), "{v}");
    let kept: Vec<[f32; 2]> = drawn
        .iter()
        .copied()
        .filter(|p| p[0] <= 3.0 || p[0] >= 7.0)
        .collect();
    assert!(kept.len() < drawn.len(), "{v}");
    let after: Vec<[f32; 2]> = serde_json::from_value(v["range_deleted"].clone()).unwrap();
    assert_eq!(after, kept, "{v}");
    assert_eq!(lanes_over_udp(c.run.osc)[0].2, kept);
    oscsend(c.run.osc, &["/automation/undo"]);
    let lanes = lanes_over_udp(c.run.osc);
    assert_eq!(lanes[0].2, drawn);
    // It plays: halfway along, the fader is halfway up the stroke.
    oscsend(c.run.osc, &["/transport/locate", "f", "5"]);
    assert!(
        wait_until(Duration::from_secs(2), || subscribed_value(
            c.run.osc,
            "/strip/1/fader"
        )
        .is_some_and(|f| (f - 0.5).abs() < 0.04)),
        "the fader is at {:?}",
        subscribed_value(c.run.osc, "/strip/1/fader")
    );
}

#[test]
fn a_lane_added_from_the_menu_starts_at_the_live_value_and_a_switch_is_drawn_in_steps() {
    let c = console_with_a_lane();
    let v = browse(&c, "addlane", &[]);
    let menu: Vec<String> = serde_json::from_value(v["menu"].clone()).unwrap();
    // Every lane the strip can have but the one shown, from the daemon.
    assert_eq!(menu[..4], ["trim", "pan", "mute", "comp/attack"], "{v}");
    assert!(!menu.contains(&"gain".to_string()), "{v}");
    // Pan added: one point at 0 s, where the pan is (centre).
    let pan: Vec<[f32; 2]> = serde_json::from_value(v["pan"].clone()).unwrap();
    assert_eq!(pan, vec![[0.0, 0.5]], "{v}");
    let after: Vec<String> = serde_json::from_value(v["menu_after"].clone()).unwrap();
    assert_eq!(after.len(), menu.len() - 2, "{v}");
    assert_eq!(
        v["lanes"],
        serde_json::json!(["gain", "pan", "comp/on"]),
        "{v}"
    );
    // The compressor switch drawn off to on: it steps (a vertical rise,
    // no slope), and the daemon holds it.
    let comp: Vec<[f32; 2]> = serde_json::from_value(v["comp_on"].clone()).unwrap();
    assert!(comp.iter().all(|p| p[1] == 0.0 || p[1] == 1.0), "{v}");
    assert_eq!(comp[comp.len() - 1][1], 1.0, "{v}");
    let line: Vec<[f64; 2]> = serde_json::from_value(v["comp_on_line"].clone()).unwrap();
    assert!(
        line.windows(2)
            .any(|w| w[0][0] == w[1][0] && (w[0][1] - w[1][1]).abs() > 30.0),
        "{v}"
    );
    assert!(
        line.windows(2)
            .all(|w| w[0][0] == w[1][0] || w[0][1] == w[1][1]),
        "{v}"
    );
    let lanes = lanes_over_udp(c.run.osc);
    let daemon = &lanes.iter().find(|l| l.0 == "comp/on").expect("comp/on").2;
    assert_eq!(daemon, &comp);
}

#[test]
fn play_stop_and_return_to_zero_from_the_page_move_the_daemons_transport() {
    let c = start();
    let v = browse(&c, "transport", &[]);
    // About a second in while rolling, the play button lit.
    let t = v["rolling"].as_str().unwrap();
    assert!(t.starts_with("0:0") && t != "0:00.0", "{v}");
    assert_eq!(v["play_lit"], serde_json::json!(true), "{v}");
    assert_eq!(v["after_rtz"], serde_json::json!("0:00.0"), "{v}");
    assert_eq!(v["play_lit_after_stop"], serde_json::json!(false), "{v}");
    // The daemon's transport: stopped at the start.
    let status = osc_status(c.run.osc);
    assert_eq!(
        status_number(&status, "/status/transport/rolling"),
        Some(0.0)
    );
    assert_eq!(status_number(&status, "/status/transport/frame"), Some(0.0));
}

#[test]
fn a_tablets_move_shows_on_the_page_within_100_ms() {
    let c = start();
    let v = browse(&c, "follow", &[]);
    let ms: Vec<f64> = v["latency_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(ms.len(), 10, "{v}");
    let worst = ms.iter().copied().fold(0.0, f64::max);
    // From starting oscsend (a process) to the fader drawn where it says.
    assert!(worst < 100.0, "oscsend to the page: {ms:?} ms");
}

#[test]
fn a_page_that_cannot_keep_up_draws_its_meters_less_often_and_still_follows_the_faders() {
    let c = start();
    // Each of the page's frames takes 40 ms for a while (a phone too slow
    // for what it draws), then frames are quick again. The tone on strip 1
    // peaks at -6 dBFS.
    let v = browse(&c, "slow", &[]);
    let rate = |phase: &str, what: &str| v[phase][what].as_f64().unwrap();
    for phase in ["fast", "again"] {
        assert!(rate(phase, "blobs_per_s") >= 10.0, "{v}");
        assert!(
            rate(phase, "frames_per_s") >= 0.7 * rate(phase, "blobs_per_s"),
            "a page that keeps up draws every meter blob: {v}"
        );
    }
    // Without pacing the slow page draws about 23 meter frames a second
    // of the 25 blobs; paced, meters take one frame in several.
    let slow = rate("slow", "frames_per_s");
    assert!(
        slow <= rate("slow", "blobs_per_s") / 3.0,
        "a page behind still draws most meter blobs: {v}"
    );
    assert!(slow >= 1.5, "the meters stopped on the slow page: {v}");
    // A peak in a blob the slow page never drew still reaches its meter.
    assert_eq!(v["clip_before"], false, "{v}");
    assert_eq!(
        v["clip_after"], true,
        "a 30 ms burst over 0 dBFS did not light the slow page's clip: {v}"
    );
    assert!(
        v["follow_ms"].as_f64().unwrap() < 1_000.0,
        "the slow page did not follow a tablet's fader: {v}"
    );
}

#[test]
fn dragging_a_fader_in_the_browser_turns_the_engine_down() {
    let c = start();
    // The tone plays at -6 dBFS through a 0 dB fader, centre pan.
    let before = strip1_meter_db(c.run.osc);
    assert!(
        before > -12.0,
        "the tone meters {before} dB before the drag"
    );
    let v = browse(&c, "drag", &[]);
    assert!(v["fader_after"].as_f64().unwrap() < 0.01, "{v}");
    // Dragged to the bottom: the engine no longer plays it.
    let after = strip1_meter_db(c.run.osc);
    assert!(after <= -85.0, "strip 1 meters {after} dB after the drag");
    assert!(
        subscribed_value(c.run.osc, "/strip/1/fader").unwrap() < 0.01,
        "the hub's fader"
    );
}

/// Strip 1's meter as a new OSC subscriber with meters is told it (dB).
fn strip1_meter_db(osc_port: u16) -> f64 {
    meter_db(osc_port, "/strip/1/meter/db")
}

/// A meter (`/strip/1/meter/db`, `/bus/1/meter/db` ...) as a new OSC
/// subscriber with meters is told it (dB).
fn meter_db(osc_port: u16, meter: &str) -> f64 {
    subscribed(osc_port, 1, Duration::from_millis(600))
        .into_iter()
        .rev()
        .find_map(|(a, v)| match v {
            rosc::OscType::Float(x) if a == meter => Some(f64::from(x)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a subscriber with meters is told {meter}"))
}

/// Every message a new OSC subscriber (`/subscribe 0 METERS`) is sent
/// over `window`, in order; it unsubscribes after.
fn subscribed(osc_port: u16, meters: i32, window: Duration) -> Vec<(String, rosc::OscType)> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let subscribe = osc_bytes(
        "/subscribe",
        vec![rosc::OscType::Int(0), rosc::OscType::Int(meters)],
    );
    sock.send_to(&subscribe, ("127.0.0.1", osc_port)).unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut msgs = Vec::new();
    let until = std::time::Instant::now() + window;
    while std::time::Instant::now() < until {
        if let Ok(n) = sock.recv(&mut buf) {
            flatten_osc(rosc::decoder::decode_udp(&buf[..n]).unwrap().1, &mut msgs);
        }
    }
    sock.send_to(&osc_bytes("/unsubscribe", vec![]), ("127.0.0.1", osc_port))
        .unwrap();
    msgs
}

#[test]
fn a_fader_held_in_the_browser_is_not_moved_by_a_tablet_until_released() {
    let c = start();
    let v = browse(&c, "hold", &[]);
    let before = v["before"].as_f64().unwrap();
    // Under the finger: where the finger is, though the tablet moved it.
    assert!(
        (v["held_at"].as_f64().unwrap() - before).abs() < 1e-3,
        "{v}"
    );
    // Released: the tablet's value.
    assert!(
        (v["released_at"].as_f64().unwrap() - 0.2).abs() < 1e-3,
        "{v}"
    );
    assert!((subscribed_value(c.run.osc, "/strip/1/fader").unwrap() - 0.2).abs() < 1e-3);
}

/// A WebSocket client of another implementation (tungstenite) on the
/// console's socket, with `origin` as a page would send it; the HTTP
/// status when the server refuses.
fn ws_connect(
    url: &str,
    origin: Option<&str>,
) -> Result<tungstenite::WebSocket<std::net::TcpStream>, u16> {
    use tungstenite::client::IntoClientRequest;
    use tungstenite::handshake::HandshakeError;
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut req = format!("ws://{host}/osc").into_client_request().unwrap();
    if let Some(o) = origin {
        req.headers_mut().insert("Origin", o.parse().unwrap());
    }
    let stream = std::net::TcpStream::connect(host).unwrap();
    match tungstenite::client::client(req, stream) {
        Ok((ws, _)) => Ok(ws),
        Err(HandshakeError::Failure(tungstenite::Error::Http(r))) => Err(r.status().as_u16()),
        Err(e) => panic!("the handshake failed: {e}"),
    }
}

fn osc_bytes(addr: &str, args: Vec<rosc::OscType>) -> Vec<u8> {
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

/// Every message of the binary frames read until `until` is true of one
/// or a second passes.
fn read_until(
    ws: &mut tungstenite::WebSocket<std::net::TcpStream>,
    until: impl Fn(&str, &rosc::OscType) -> bool,
) -> Vec<(String, rosc::OscType)> {
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(1);
    let mut all = Vec::new();
    while std::time::Instant::now() < end {
        match ws.read() {
            Ok(tungstenite::Message::Binary(b)) => {
                let mut msgs = Vec::new();
                flatten_osc(rosc::decoder::decode_udp(&b).unwrap().1, &mut msgs);
                let done = msgs.iter().any(|(a, v)| until(a, v));
                all.extend(msgs);
                if done {
                    break;
                }
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => panic!("the console's socket failed: {e}"),
        }
    }
    all
}

#[test]
fn the_socket_speaks_the_native_osc_packets_to_any_websocket_client() {
    let c = start();
    let mut ws = ws_connect(&c.url, None).unwrap();
    ws.send(tungstenite::Message::Binary(
        osc_bytes("/subscribe", vec![]).into(),
    ))
    .unwrap();
    // The state dump, as a tablet gets it.
    let dump = read_until(&mut ws, |a, _| a == "/strip/3/name");
    assert!(
        dump.contains(&("/strip/1/name".into(), rosc::OscType::String("Tone".into()))),
        "{dump:?}"
    );
    // A move from the socket reaches the hub, clamped as over UDP.
    ws.send(tungstenite::Message::Binary(
        osc_bytes("/strip/2/fader", vec![rosc::OscType::Float(1.7)]).into(),
    ))
    .unwrap();
    // Its own move is not echoed, but the clamp is.
    let fed = read_until(&mut ws, |a, _| a == "/strip/2/fader");
    assert!(
        fed.contains(&("/strip/2/fader".into(), rosc::OscType::Float(1.0))),
        "{fed:?}"
    );
    assert_eq!(subscribed_value(c.run.osc, "/strip/2/fader"), Some(1.0));
    // A tablet's move reaches the socket.
    oscsend(c.run.osc, &["/strip/3/fader", "f", "0.25"]);
    let fed = read_until(&mut ws, |a, _| a == "/strip/3/fader");
    assert!(
        fed.contains(&("/strip/3/fader".into(), rosc::OscType::Float(0.25))),
        "{fed:?}"
    );
}

#[test]
fn pages_of_other_sites_cannot_open_the_socket() {
    let c = start();
    let own = c.url.trim_end_matches('/').to_string();
    assert!(ws_connect(&c.url, Some(&own)).is_ok());
    let refused = |origin: &str| {
        ws_connect(&c.url, Some(origin))
            .map(|_| ())
            .expect_err("a page of another site opened the socket")
    };
    assert_eq!(refused("http://evil.example"), 403);
    assert_eq!(refused("http://localhost.evil.example:8080"), 403);
    // A site that points its own name at this machine: the Host is not
    // this machine's.
    use std::io::{Read, Write};
    let host = c.url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /osc HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
}

/// Every number a fresh OSC subscriber's state dump holds (switches as
/// 0 or 1).
fn dump_values(osc_port: u16) -> std::collections::HashMap<String, f32> {
    subscribed(osc_port, 0, Duration::from_millis(600))
        .into_iter()
        .filter_map(|(a, v)| match v {
            rosc::OscType::Float(x) => Some((a, x)),
            rosc::OscType::Int(i) => Some((a, i as f32)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_browser_that_stops_reading_delays_no_other_and_catches_up_when_it_reads() {
    const TRACKS: usize = 32;
    let turn = heavy_turn();
    let mut session = String::from("version: 1\nname: stall\ntracks:\n");
    for k in 1..=TRACKS {
        session.push_str(&format!("  - {{ name: T{k}, gain_db: -10 }}\n"));
    }
    let mut c = console_for(&session, turn);
    let url = c.url.clone();
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    // The stalled browser: a small receive window, and it never reads.
    let stalled_tcp = {
        use socket2::{Domain, Socket, Type};
        let addr: std::net::SocketAddr = host.parse().unwrap();
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.set_recv_buffer_size(4096).unwrap();
        s.connect(&addr.into()).unwrap();
        std::net::TcpStream::from(s)
    };
    let req =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{host}/osc"))
            .unwrap();
    let (mut stalled, _) = tungstenite::client::client(req, stalled_tcp).unwrap();
    let subscribe = osc_bytes(
        "/subscribe",
        vec![rosc::OscType::Int(0), rosc::OscType::Int(1)],
    );
    stalled
        .send(tungstenite::Message::Binary(subscribe.clone().into()))
        .unwrap();
    let mut live = ws_connect(&url, None).unwrap();
    live.send(tungstenite::Message::Binary(subscribe.into()))
        .unwrap();
    let last_name = format!("/strip/{TRACKS}/name");
    read_until(&mut live, |a, _| a == last_name);
    // Tablets ride every fader, a thousand moves a second.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = std::sync::Arc::clone(&stop);
        let osc = c.run.osc;
        std::thread::spawn(move || {
            let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut k = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                k = k.wrapping_add(1);
                let strip = 1 + (k as usize % (TRACKS - 1));
                let x = (k % 997) as f32 / 997.0;
                let m = osc_bytes(
                    &format!("/strip/{strip}/fader"),
                    vec![rosc::OscType::Float(x)],
                );
                let _ = sock.send_to(&m, ("127.0.0.1", osc));
                std::thread::sleep(Duration::from_micros(1000));
            }
        })
    };
    // Meanwhile: how long the live browser waits for a change.
    let mut waits_ms = Vec::new();
    let pan = format!("/strip/{TRACKS}/pan");
    for i in 0..20 {
        let x = 0.3 + 0.01 * f64::from(i);
        let t0 = std::time::Instant::now();
        oscsend(
            c.run.osc,
            &[&format!("/strip/{TRACKS}/pan"), "f", &x.to_string()],
        );
        let want = rosc::OscType::Float(x as f32);
        let seen = read_until(&mut live, |a, v| a == pan && *v == want);
        assert!(
            seen.iter()
                .any(|(a, v)| a == &format!("/strip/{TRACKS}/pan") && *v == want),
            "the live browser never saw pan {x}"
        );
        waits_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flood.join().unwrap();
    let worst = waits_ms.iter().copied().fold(0.0, f64::max);
    assert!(worst < 150.0, "the live browser waited {waits_ms:?} ms");
    // The stalled browser reads again: it ends up showing the mix as it is.
    let mut shown = std::collections::HashMap::new();
    stalled
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < end {
        match stalled.read() {
            Ok(tungstenite::Message::Binary(b)) => {
                let mut msgs = Vec::new();
                flatten_osc(rosc::decoder::decode_udp(&b).unwrap().1, &mut msgs);
                for (a, v) in msgs {
                    if let rosc::OscType::Float(x) = v {
                        shown.insert(a, x);
                    }
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let now = dump_values(c.run.osc);
    for k in 1..=TRACKS {
        let a = format!("/strip/{k}/fader");
        assert_eq!(
            shown.get(&a),
            now.get(&a),
            "{a} on the browser that stalled"
        );
    }
    // It did stall: its queue filled, and it was sent the mix again.
    let log = terminate_clean(&mut c.run.child);
    assert!(log.contains("fell behind"), "{log}");
    assert!(log.contains("caught up"), "{log}");
}

#[test]
fn a_subscriber_can_take_every_meter_in_one_blob() {
    let c = start();
    let (mut blob, mut per_strip) = (None, false);
    for (a, v) in subscribed(c.run.osc, 2, Duration::from_millis(800)) {
        per_strip |= a.ends_with("/meter") || a.ends_with("/meter/db");
        if let (true, rosc::OscType::Blob(b)) = (a == "/meters", v) {
            blob = Some(b);
        }
    }
    assert!(!per_strip, "meters came as messages too");
    let b = blob.expect("a /meters blob");
    // Three tracks and a bus, then the master: 6 bytes each, then the
    // master limiter's reduction.
    assert_eq!(&b[..4], &[3, 0, 1, 0]);
    assert_eq!(b.len(), 4 + 5 * 6 + 2);
    let word = |at: usize| f64::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let peak = |i: usize| word(4 + 6 * i) / 10_000.0;
    let rms = |i: usize| word(6 + 6 * i) / 10_000.0;
    let udp_db = strip1_meter_db(c.run.osc);
    let pos = faderd::dsp::db_to_pos;
    assert!((peak(0) - pos(udp_db)).abs() < 0.01, "{b:?}");
    // A sine's RMS is 3.01 dB under its peak.
    assert!((rms(0) - pos(udp_db - 3.01)).abs() < 0.01, "{b:?}");
    assert_eq!(peak(2), 0.0, "the silent track");
    assert_eq!(rms(2), 0.0, "the silent track");
}

/// Channel 0 of the engine playing `yaml` for `ms` (the hub ticking as in
/// the daemon), with each of `switches` set on or off: its last 100 ms.
fn engine_output(yaml: &str, switches: &[&str], on: bool, ms: usize) -> Vec<f32> {
    let (mut h, mut e) = common::hub_and_engine(yaml, "measure.yaml", 48_000, 64);
    for a in switches {
        h.apply_str(
            faderd::mixer::Origin::Daemon,
            a,
            faderd::mixer::Value::Float(if on { 1.0 } else { 0.0 }),
        )
        .unwrap();
    }
    let blocks = 48_000 * ms / 1000 / 64;
    let mut last = Vec::new();
    for b in 0..blocks {
        if b % 15 == 0 {
            h.service();
        }
        e.process(64);
        if b >= blocks - 48_000 * 100 / 1000 / 64 {
            last.extend_from_slice(&e.output(0)[..64]);
        }
    }
    last
}

/// A track with the filter and all four bands at work.
const EQ_TRACK: &str = "eq: { hpf: { freq: 90, slope: 24 }, bands: [ { type: low_shelf, freq: 200, gain: 4, q: 0.7 }, { type: peak, freq: 800, gain: -6, q: 2 }, { type: peak, freq: 3000, gain: 9, q: 1.2 }, { type: high_shelf, freq: 9000, gain: -3, q: 0.7 } ] }";

/// The engine's gain at `hz` through [`EQ_TRACK`]'s EQ, measured: a sine
/// at `hz` through the strip with the EQ on, against the same with it
/// off (RMS over the last 100 ms of 400), in dB.
fn engine_eq_gain_db(hz: f64) -> f64 {
    let track =
        format!("source: {{ tone: {{ wave: sine, freq_hz: {hz}, level_db: -20 }} }}, {EQ_TRACK}");
    switched_gain_db(&track, &["strip/1/eq/on", "strip/1/hpf/on"], 400, rms)
}

/// What switching `switches` on does to the engine's output level of a
/// one-track session (the track's YAML fields `track`), in dB: `level`
/// of the last 100 ms of `ms` with them on, against them off.
fn switched_gain_db(track: &str, switches: &[&str], ms: usize, level: fn(&[f32]) -> f64) -> f64 {
    let yaml = format!("version: 1\nname: measure\ntracks:\n  - {{ name: S, {track} }}\n");
    let at = |on: bool| level(&engine_output(&yaml, switches, on, ms));
    20.0 * (at(true) / at(false)).log10()
}

fn rms(out: &[f32]) -> f64 {
    (out.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / out.len() as f64).sqrt()
}

fn peak(out: &[f32]) -> f64 {
    f64::from(out.iter().fold(0.0f32, |m, x| m.max(x.abs())))
}

#[test]
fn the_eq_curve_drawn_is_the_engines_response_within_a_tenth_of_a_db() {
    let turn = heavy_turn();
    let session = format!("version: 1\nname: eq\ntracks:\n  - {{ name: Eq, {EQ_TRACK} }}\n");
    let c = console_for(&session, turn);
    let v = browse(&c, "eq", &[]);
    let eq = &v["eq"];
    let num = |k: &str| eq[k].as_f64().unwrap();
    let (fmin, fmax, dbmin, dbmax, w, h) = (
        num("fmin"),
        num("fmax"),
        num("dbmin"),
        num("dbmax"),
        num("width"),
        num("height"),
    );
    // The drawn line, back in Hz and dB through the plot's axes.
    let drawn: Vec<(f64, f64)> = eq["points"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            (
                fmin * (fmax / fmin).powf(x / w),
                dbmax - y / h * (dbmax - dbmin),
            )
        })
        .collect();
    assert!(drawn.len() > 100, "{v}");
    let drawn_at = |hz: f64| {
        let i = drawn.iter().position(|(f, _)| *f >= hz).unwrap();
        let ((f0, d0), (f1, d1)) = (drawn[i - 1], drawn[i]);
        let t = (hz.ln() - f0.ln()) / (f1.ln() - f0.ln());
        d0 + t * (d1 - d0)
    };
    // At the points the line was drawn through (40 a decade from 20 Hz):
    // no interpolation between them is being judged.
    for hz in [50.24, 100.0, 199.5, 501.2, 1000.0, 3162.3, 10_000.0] {
        let engine = engine_eq_gain_db(hz);
        let page = drawn_at(hz);
        assert!(
            (page - engine).abs() < 0.1,
            "at {hz} Hz the page draws {page:.3} dB, the engine plays {engine:.3} dB"
        );
    }
    // A handle per band, where the band is set: band 3 at 3 kHz, +9 dB.
    let handles = eq["handles"].as_array().unwrap();
    assert_eq!(handles.len(), 4, "{v}");
    let h3 = handles.iter().find(|h| h[0] == 3).unwrap();
    let f3 = fmin * (fmax / fmin).powf(h3[1].as_f64().unwrap() / w);
    let g3 = dbmax - h3[2].as_f64().unwrap() / h * (dbmax - dbmin);
    assert!((f3 - 3000.0).abs() < 1.0 && (g3 - 9.0).abs() < 0.01, "{h3}");
}

/// A compressor that works on peaks: -20 dB threshold, 4:1, hard knee,
/// and a gate below -50 dB.
const DYN_TRACK: &str = "comp: { threshold: -20, ratio: 4, knee: 0, attack: 1, release: 50, detect: peak }, gate: { threshold: -50, ratio: 4, range: 40 }";

/// The gain change the engine applies to a sine whose peak is `level_db`
/// through [`DYN_TRACK`]'s dynamics, measured: its output peak (over the
/// last 100 ms of 600) with compressor and gate on, against them off.
fn engine_dyn_gain_db(level_db: f64) -> f64 {
    let track = format!(
        "source: {{ tone: {{ wave: sine, freq_hz: 1000, level_db: {level_db} }} }}, {DYN_TRACK}"
    );
    switched_gain_db(&track, &["strip/1/comp/on", "strip/1/gate/on"], 600, peak)
}

#[test]
fn the_dynamics_curves_drawn_are_what_the_engine_does_and_the_reduction_is_live() {
    let turn = heavy_turn();
    let session = format!(
        "version: 1\nname: dyn\ntracks:\n  - {{ name: Dyn, source: {{ tone: {{ wave: sine, freq_hz: 1000, level_db: -6 }} }}, {DYN_TRACK} }}\n"
    );
    let c = console_for(&session, turn);
    let v = browse(&c, "dyn", &[]);
    let d = &v["dyn"];
    let (min, size) = (d["min"].as_f64().unwrap(), d["size"].as_f64().unwrap());
    // A drawn line, back in dB (input across, output up).
    let line = |k: &str| -> Vec<(f64, f64)> {
        d[k].as_str()
            .unwrap()
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                (min + x / size * -min, min + (size - y) / size * -min)
            })
            .collect()
    };
    let comp = line("comp");
    let at = |l: &[(f64, f64)], db: f64| {
        l.iter()
            .find(|(x, _)| (x - db).abs() < 1e-3)
            .map(|(_, y)| *y)
            .unwrap_or_else(|| panic!("no point at {db} dB"))
    };
    // The gain change the line shows against what the engine does.
    for level in [-40.0, -20.0, -10.0, -6.0] {
        let drawn = at(&comp, level) - level;
        let engine = engine_dyn_gain_db(level);
        assert!(
            (drawn - engine).abs() < 0.3,
            "at {level} dB the page draws {drawn:.2} dB, the engine does {engine:.2} dB"
        );
    }
    // The gate: unity above its threshold, 4:1 below, down 40 dB at most.
    let gate = line("gate");
    assert!((at(&gate, -40.0) + 40.0).abs() < 0.01);
    assert!((at(&gate, -55.0) - (-55.0 - 15.0)).abs() < 0.01);
    // (-120 dB: drawn at the plot's floor.)
    assert!((at(&gate, -80.0) - min).abs() < 0.01);
    // Live: the -6 dB tone is held 10.5 dB down (14 dB over, 4:1).
    let gr = v["reduction_db"].as_f64().unwrap();
    assert!(
        (gr - 10.5).abs() < 0.5,
        "the page shows {gr} dB of reduction"
    );
}

#[test]
fn a_daemon_stopped_and_continued_keeps_its_pages_and_tablets_and_warns_of_nothing() {
    let mut c = start();
    let mut ws = ws_connect(&c.url, None).unwrap();
    ws.send(tungstenite::Message::Binary(
        osc_bytes("/subscribe", vec![rosc::OscType::Int(0)]).into(),
    ))
    .unwrap();
    read_until(&mut ws, |a, _| a == "/strip/3/name");
    // A page closed before it subscribed (no warning for it either).
    drop(ws_connect(&c.url, None).unwrap());
    // Ctrl-Z, then `fg` a second and a half later (or a machine that
    // freezes the daemon's cgroup a while): every receive with a timeout
    // it was waiting in ends with EINTR.
    signal(&c.run.child.0, "-STOP");
    std::thread::sleep(Duration::from_millis(1_500));
    signal(&c.run.child.0, "-CONT");
    std::thread::sleep(Duration::from_millis(300));
    // The page's socket still carries moves both ways.
    ws.send(tungstenite::Message::Binary(
        osc_bytes("/strip/2/fader", vec![rosc::OscType::Float(0.3)]).into(),
    ))
    .unwrap();
    assert!(wait_until(Duration::from_secs(2), || subscribed_value(
        c.run.osc,
        "/strip/2/fader"
    ) == Some(0.3)));
    oscsend(c.run.osc, &["/strip/3/fader", "f", "0.25"]);
    let fed = read_until(&mut ws, |a, _| a == "/strip/3/fader");
    assert!(
        fed.contains(&("/strip/3/fader".into(), rosc::OscType::Float(0.25))),
        "{fed:?}"
    );
    // The page never left, and nothing was refused on the way.
    let status = osc_status(c.run.osc);
    assert_eq!(status_number(&status, "/status/online/consoles"), Some(1.0));
    assert_eq!(status_number(&status, "/status/rejected"), Some(0.0));
    let log = terminate_clean(&mut c.run.child);
    for line in log.lines() {
        assert!(
            !line.contains("WARN") && !line.contains("Interrupted"),
            "{log}"
        );
    }
}

#[test]
fn a_busy_connection_is_pinged_too_so_a_client_that_only_listens_stays() {
    let c = console_for(
        "version: 1\nname: busy\ntracks:\n  - { name: Noise, source: { tone: { wave: pink, level_db: -20 } } }\n",
        heavy_turn(),
    );
    let mut ws = ws_connect(&c.url, None).unwrap();
    ws.send(tungstenite::Message::Binary(
        osc_bytes(
            "/subscribe",
            vec![rosc::OscType::Int(0), rosc::OscType::Int(2)],
        )
        .into(),
    ))
    .unwrap();
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // Meters flow every tick; a ping still comes within the ping period.
    let t0 = std::time::Instant::now();
    let (mut frames, mut pinged) = (0, None);
    while t0.elapsed() < Duration::from_secs(8) && pinged.is_none() {
        match ws.read() {
            Ok(tungstenite::Message::Binary(_)) => frames += 1,
            Ok(tungstenite::Message::Ping(_)) => pinged = Some(t0.elapsed()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => panic!("the socket failed: {e}"),
        }
    }
    let pinged = pinged.expect("no ping in 8 s on a busy connection");
    assert!(pinged < Duration::from_secs(6), "pinged after {pinged:?}");
    assert!(
        frames > 50,
        "only {frames} frames: the connection was not busy"
    );
}
