//! The mixer found without typing an address: faderd in one network
//! namespace, listening on the network, and python-zeroconf (an
//! independent mDNS implementation) browsing from another, across a veth
//! pair the test makes. Needs root (network namespaces) and the
//! zeroconf package (FADERD_ZEROCONF_PYTHON, as `.ci/run` sets it up).

use crate::common;
use common::*;
use std::process::{Command, Stdio};

/// Two namespaces joined by a veth pair, 10.77.0.1 (A) and 10.77.0.2
/// (B), named after this process; deleted on drop (which removes the
/// pair too).
struct Lan {
    a: String,
    b: String,
}

fn ip(args: &[&str]) {
    let st = Command::new("ip")
        .args(args)
        .status()
        .expect("ip runs (iproute2)");
    assert!(st.success(), "ip {args:?} failed");
}

impl Lan {
    fn new() -> Lan {
        let tag = std::process::id();
        let lan = Lan {
            a: format!("fd-a-{tag}"),
            b: format!("fd-b-{tag}"),
        };
        let (va, vb) = (
            format!("fda{}", tag % 100_000),
            format!("fdb{}", tag % 100_000),
        );
        ip(&["netns", "add", &lan.a]);
        ip(&["netns", "add", &lan.b]);
        ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb]);
        ip(&["link", "set", &va, "netns", &lan.a]);
        ip(&["link", "set", &vb, "netns", &lan.b]);
        for (ns, dev, addr) in [(&lan.a, &va, "10.77.0.1/24"), (&lan.b, &vb, "10.77.0.2/24")] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        lan
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

#[test]
fn a_tablet_on_the_lan_finds_the_console_and_the_osc_port_by_mdns() {
    let is_root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    if !is_root {
        eprintln!("SKIPPED: network namespaces need root; run the system tests as root (CI does)");
        return;
    }
    let python = std::env::var("FADERD_ZEROCONF_PYTHON").expect(
        "FADERD_ZEROCONF_PYTHON: a python with the zeroconf package (python3 -m venv V && V/bin/pip install zeroconf), as .ci/run sets it up",
    );
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.yaml");
    std::fs::write(
        &session,
        "version: 1\nname: lan\ntracks:\n  - { name: Vox }\n",
    )
    .unwrap();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &lan.a, env!("CARGO_BIN_EXE_faderd")]);
    let (child, ready) = start_run_cmd(
        cmd,
        &[
            session.to_str().unwrap(),
            "--backend",
            "dummy",
            "--osc",
            "0.0.0.0:0",
            "--web",
            "0.0.0.0:0",
        ],
    );
    let mut daemon = KillOnDrop(child);
    let osc_port = osc_addr_of(&ready).port();
    let web_port: u16 = ready
        .split("console on http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no console in {ready}"));
    let browse = Command::new("ip")
        .args(["netns", "exec", &lan.b, &python])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/system/mdns_browse.py"
        ))
        .arg("8")
        .stderr(Stdio::inherit())
        .output()
        .expect("python runs");
    assert!(browse.status.success(), "the browse failed");
    let found: serde_json::Value = serde_json::from_slice(&browse.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?}", browse.stdout));
    for (ty, port) in [
        ("_http._tcp.local.", web_port),
        ("_osc._udp.local.", osc_port),
    ] {
        let services = found[ty].as_array().unwrap();
        let ours = services
            .iter()
            .find(|s| s["name"].as_str().unwrap().starts_with("faderd on "))
            .unwrap_or_else(|| panic!("no faderd in {ty}: {found}"));
        assert_eq!(ours["port"], serde_json::json!(port), "{found}");
        assert!(
            ours["addresses"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!("10.77.0.1")),
            "{found}"
        );
    }
    // And what it found is the console: the page, fetched from the tablet's side.
    let page = Command::new("ip")
        .args(["netns", "exec", &lan.b, &python, "-c"])
        .arg(format!(
            "import urllib.request; print(urllib.request.urlopen('http://10.77.0.1:{web_port}/', timeout=5).read().decode())"
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&page.stdout).contains("<title>faderd console</title>"),
        "{}",
        String::from_utf8_lossy(&page.stderr)
    );
    let log = terminate_clean(&mut daemon);
    assert!(log.contains("mDNS: advertising _http._tcp.local."), "{log}");
}
