//! faderd under the New Session Manager (NSM API 1.1.2), on a real jackd.
//! No NSM server is packaged in Debian here, so the server side is a small
//! one written in this test from the NSM API specification: it answers the
//! announce, sends open, save and a second open (switch), and reads what
//! faderd says back (replies, dirty and clean). faderd must not create its
//! JACK client before open, must name it after the client id, keep its
//! session where open says, save there on save, and switch in place.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, jackd_available};
use common::*;
use rosc::{OscMessage, OscPacket, OscType};
use std::io::BufRead;
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The test's NSM server: one UDP socket, messages by address.
struct NsmServer {
    socket: UdpSocket,
    client: Option<std::net::SocketAddr>,
}

impl NsmServer {
    fn start() -> NsmServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        NsmServer {
            socket,
            client: None,
        }
    }

    fn url(&self) -> String {
        format!("osc.udp://{}/", self.socket.local_addr().unwrap())
    }

    /// The next message from the client whose address is `addr`, within
    /// `within` (others are kept out of the way and returned by `seen`).
    fn expect(&mut self, addr: &str, within: Duration) -> OscMessage {
        let t0 = Instant::now();
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        while t0.elapsed() < within {
            let Ok((n, from)) = self.socket.recv_from(&mut buf) else {
                continue;
            };
            self.client = Some(from);
            let (_, p) = rosc::decoder::decode_udp(&buf[..n]).unwrap();
            if let OscPacket::Message(m) = p {
                if m.addr == addr {
                    return m;
                }
                seen.push(m);
            }
        }
        panic!("no {addr} from faderd within {within:?}; it sent {seen:?}");
    }

    fn send(&self, addr: &str, args: &[&str]) {
        let msg = OscPacket::Message(OscMessage {
            addr: addr.into(),
            args: args.iter().map(|a| OscType::String((*a).into())).collect(),
        });
        let bytes = rosc::encoder::encode(&msg).unwrap();
        self.socket
            .send_to(&bytes, self.client.expect("faderd announced itself"))
            .unwrap();
    }
}

/// Prints faderd's log when the test fails.
struct ShowOnPanic(std::path::PathBuf);

impl Drop for ShowOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "faderd's log:\n{}",
                std::fs::read_to_string(&self.0).unwrap_or_default()
            );
        }
    }
}

fn text(m: &OscMessage, i: usize) -> String {
    match m.args.get(i) {
        Some(OscType::String(s)) => s.clone(),
        other => panic!("argument {i} of {} is {other:?}", m.addr),
    }
}

fn int(m: &OscMessage, i: usize) -> i32 {
    match m.args.get(i) {
        Some(OscType::Int(x)) => *x,
        other => panic!("argument {i} of {} is {other:?}", m.addr),
    }
}

/// The JACK clients that have ports now.
fn has_client(server: &JackServer, client: &str) -> bool {
    server
        .lsp()
        .lines()
        .any(|l| l.starts_with(&format!("{client}:")))
}

fn osc_gain(port: u16, db: f32) {
    let msg = rosc::encoder::encode(&OscPacket::Message(OscMessage {
        addr: "/strip/1/gain".into(),
        args: vec![OscType::Float(db)],
    }))
    .unwrap();
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(&msg, ("127.0.0.1", port))
        .unwrap();
}

#[test]
fn nsm_opens_saves_reports_dirt_and_switches_sessions() {
    if !jackd_available() {
        return;
    }
    let server = JackServer::start("nsm");
    let dir = tempfile::tempdir().unwrap();
    let config_home = dir.path().join("config");
    std::fs::create_dir_all(config_home.join("faderd")).unwrap();
    std::fs::write(
        config_home.join("faderd/config.yaml"),
        "version: 1\naudio: { backend: jack }\nosc: { listen: \"127.0.0.1:0\" }\n",
    )
    .unwrap();
    let mut nsm = NsmServer::start();
    let log = dir.path().join("faderd.log");
    let _show_log = ShowOnPanic(log.clone());
    let child = Command::new(env!("CARGO_BIN_EXE_faderd"))
        .args(["run", "--log", "debug"])
        .env("NSM_URL", nsm.url())
        .env("XDG_CONFIG_HOME", &config_home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut daemon = KillOnDrop(child);
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = daemon.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });

    // The announce, as the specification lays it out.
    let announce = nsm.expect("/nsm/server/announce", Duration::from_secs(5));
    assert_eq!(text(&announce, 0), "faderd");
    let caps = text(&announce, 1);
    for cap in [":switch:", ":dirty:", ":message:"] {
        assert!(caps.contains(cap), "capabilities {caps}");
    }
    assert_eq!((int(&announce, 3), int(&announce, 4)), (1, 1));
    assert_eq!(int(&announce, 5) as u32, daemon.0.id());
    nsm.send(
        "/reply",
        &[
            "/nsm/server/announce",
            "welcome",
            "test-nsm",
            ":server-control:",
        ],
    );
    // No audio client before open.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !server.lsp().lines().any(|l| l.contains("Master out")),
        "faderd made its JACK client before open:\n{}",
        server.lsp()
    );

    // Open: the session in a folder NSM chose, the JACK client named after
    // the client id.
    let path_a = dir.path().join("project/faderd.nAAAA");
    nsm.send(
        "/nsm/client/open",
        &[path_a.to_str().unwrap(), "Session A", "faderd.nAAAA"],
    );
    let reply = nsm.expect("/reply", Duration::from_secs(5));
    assert_eq!(text(&reply, 0), "/nsm/client/open");
    let ready = lines.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(ready.contains("client 'faderd.nAAAA'"), "{ready}");
    let osc = osc_addr_of(&ready).port();
    assert!(
        server.wait_port("faderd.nAAAA:Master out L", Duration::from_secs(3)),
        "{}",
        server.lsp()
    );
    let file_a = path_a.join("session.yaml");
    assert!(file_a.exists());
    assert!(
        std::fs::read_to_string(&file_a)
            .unwrap()
            .contains("name: \"Session A\"")
    );

    // A change makes the client dirty; save writes it where NSM said and
    // the client is clean again.
    osc_gain(osc, -12.0);
    nsm.expect("/nsm/client/is_dirty", Duration::from_secs(3));
    nsm.send("/nsm/client/save", &[]);
    let reply = nsm.expect("/reply", Duration::from_secs(10));
    assert_eq!(text(&reply, 0), "/nsm/client/save");
    nsm.expect("/nsm/client/is_clean", Duration::from_secs(3));
    let saved = faderd::config::load_session(&file_a).unwrap();
    assert_eq!(saved.tracks[0].controls.gain_db, -12.0);

    // Switch: a second open while running reopens another session in
    // place, under the new client id.
    let path_b = dir.path().join("other/faderd.nBBBB");
    nsm.send(
        "/nsm/client/open",
        &[path_b.to_str().unwrap(), "Session B", "faderd.nBBBB"],
    );
    let reply = nsm.expect("/reply", Duration::from_secs(10));
    assert_eq!(text(&reply, 0), "/nsm/client/open");
    let ready = lines.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(ready.contains("client 'faderd.nBBBB'"), "{ready}");
    assert!(server.wait_port("faderd.nBBBB:Master out L", Duration::from_secs(3)));
    assert!(!has_client(&server, "faderd.nAAAA"), "{}", server.lsp());
    let file_b = path_b.join("session.yaml");
    assert!(file_b.exists());
    assert_eq!(daemon.0.try_wait().unwrap(), None, "the same process");

    // SIGTERM quits without saving (the server saves first when wanted).
    let before = std::fs::read_to_string(&file_b).unwrap();
    osc_gain(osc_addr_of(&ready).port(), -30.0);
    nsm.expect("/nsm/client/is_dirty", Duration::from_secs(3));
    let status = terminate(&mut daemon.0);
    assert!(status.success(), "{status:?}");
    assert_eq!(std::fs::read_to_string(&file_b).unwrap(), before);
    assert!(!Path::new(&path_b.join("session.recovery.yaml")).exists());
    drop(server);
}
