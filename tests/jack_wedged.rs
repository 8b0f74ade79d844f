//! A JACK server that stops answering (frozen here with SIGSTOP, as a
//! wedged server is) cannot hold faderd's exit: on SIGTERM it saves the
//! session and exits within seconds, saying it left its client behind.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, jackd_available};
use common::*;
use std::io::Read;
use std::time::{Duration, Instant};

const SESSION: &str = r#"
version: 1
name: jack-wedged
tracks:
  - { name: Vox, source: { input: 1 } }
"#;

const CONFIG: &str = r#"
version: 1
audio: { backend: jack }
jack: { client_name: fd-wedged }
"#;

#[test]
fn faderd_exits_and_saves_when_the_jack_server_stops_answering() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("wedged");
    let run = run_session(SESSION, CONFIG);
    let (sess, mut daemon) = (run.session.clone(), run.child);
    oscsend(run.osc, &["/strip/1/gain", "f", "-9"]);
    assert!(
        wait_until(Duration::from_secs(3), || subscribed_value(
            run.osc,
            "/strip/1/gain"
        ) == Some(-9.0)),
        "the change was not applied"
    );

    server.pause();
    let t0 = Instant::now();
    let st = terminate(&mut daemon.0);
    let took = t0.elapsed();
    server.resume();
    assert!(st.success(), "{st:?}");
    assert!(took < Duration::from_secs(5), "exit took {took:?}");
    let mut log = String::new();
    daemon
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("did not let faderd's client close"), "{log}");
    let saved = faderd::config::load_session(&sess).unwrap();
    assert_eq!(
        saved.tracks[0].controls.gain_db, -9.0,
        "the change is saved"
    );
    drop(server);
}
