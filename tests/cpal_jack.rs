//! The cpal backend, exercised through cpal's JACK host on a jackd dummy
//! server (the only cpal host that runs on a machine without a sound
//! card): device chosen by name, a known signal into its input stream, the
//! mix read from its output stream, levels following the fader and pan
//! law, an OSC move changing them, and a device that does not exist
//! refused with the list of those that do.
//!
//! One test: the server name is set process-wide (JACK_DEFAULT_SERVER).

mod common;
use common::jack::{JackServer, Probe, jackd_available};
use common::{db, faderd, liblo_tools_available, oscsend, run_session, terminate};
use std::f64::consts::FRAC_PI_2;
use std::time::Duration;

const SESSION: &str = r#"
version: 1
name: cpal-levels
tracks:
  - { name: Vox, source: { input: 2 }, gain_db: -6, pan: 0.25 }
"#;

const CONFIG: &str = r#"
version: 1
audio: { backend: cpal }
cpal: { host: JACK, output_device: output, input_device: input, output_channels: [2, 1] }
"#;

const TOL: f64 = 1e-5;

#[test]
fn cpal_jack_host_mixes_by_the_fader_and_pan_law() {
    if !jackd_available() || !liblo_tools_available() {
        return;
    }
    let server = JackServer::start("cpal");
    let run = run_session(SESSION, CONFIG);
    let (sess, ready, mut daemon) = (run.session.clone(), run.ready.clone(), run.child);
    assert!(
        ready.contains(
            "cpal host 'JACK', output 'JACK Output' (2 ch), input 'JACK Input' (2 ch), 48000 Hz"
        ),
        "{ready}"
    );
    let osc = run.osc;
    let client = format!("cpal_client_{}", daemon.0.id());

    // The track plays device input 2; master L/R go to device outputs 2
    // and 1 (swapped by output_channels).
    let probe = Probe::start("probe-cpal", 0.5);
    probe.connect(&probe.port("out"), &format!("{client}_in:in_1"));
    probe.connect(&format!("{client}_out:out_1"), &probe.port("in_l"));
    probe.connect(&format!("{client}_out:out_0"), &probe.port("in_r"));
    let g = 0.5 * db(-6.0);
    let p = 0.25 * FRAC_PI_2;
    let want = (g * p.cos(), g * p.sin());
    let got = probe.wait_for(want, TOL, Duration::from_secs(3));
    assert!(
        (f64::from(got.0) - want.0).abs() <= TOL && (f64::from(got.1) - want.1).abs() <= TOL,
        "master L/R on device outputs 2/1 = {got:?}, want {want:?}"
    );

    oscsend(osc, &["/strip/1/fader", "f", "0.5"]);
    oscsend(osc, &["/strip/1/pan", "f", "0.5"]);
    let c = 0.5 * db(-10.0) * (FRAC_PI_2 / 2.0).cos();
    let got = probe.wait_for((c, c), TOL, Duration::from_secs(3));
    assert!(
        (f64::from(got.0) - c).abs() <= TOL && (f64::from(got.1) - c).abs() <= TOL,
        "after OSC: {got:?}, want {c}"
    );
    let st = terminate(&mut daemon.0);
    assert!(st.success(), "{st:?}");

    // A device that is not there: exit 2, naming the ones that are.
    let bad = run.dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\naudio: { backend: cpal }\ncpal: { host: jack, output_device: Babyface }\n",
    )
    .unwrap();
    let out = faderd()
        .args(["run", sess.to_str().unwrap(), "--config"])
        .arg(&bad)
        .args(["--osc", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no output device matching 'Babyface' on JACK (devices: JACK Output)"),
        "{err}"
    );
    drop(probe);
    drop(server);
}
