//! DSP load that JACK reports with faderd running on a jackd dummy server
//! at 48 kHz / 64 frames: the server alone, faderd with an empty session
//! (the cost of being a client) and faderd with the 64-track benchmark
//! session (64 stereo tracks on JACK inputs, 2 sends each, 4 aux buses),
//! interleaved, several repetitions, medians reported.
//!
//!     cargo bench --bench jack_load [-- SECONDS_PER_SAMPLE REPS]
//!
//! Needs jackd (Debian jackd2). The load is jackd's own figure
//! (`jack_cpu_load`): time from cycle start to the end of the last client,
//! over the period, smoothed by the server.

mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};
use support::{Kill, dsp_load, start_faderd, start_jackd};

const TRACKS: usize = 64;
const AUX: usize = 4;

fn session_yaml(tracks: usize) -> String {
    let mut y = String::from("version: 1\nname: bench\nbuses:\n");
    for a in 0..AUX {
        writeln!(y, "  - {{ name: Aux{a}, kind: aux, gain_db: -6 }}").unwrap();
    }
    y.push_str(if tracks == 0 {
        "tracks: []\n"
    } else {
        "tracks:\n"
    });
    for t in 0..tracks {
        writeln!(
            y,
            "  - {{ name: T{t}, channels: stereo, source: {{ input: {} }}, gain_db: -12, pan: 0.4, \
             sends: [{{ bus: Aux{}, gain_db: -10 }}, {{ bus: Aux{}, gain_db: -14, pre: true }}] }}",
            2 * t + 1,
            t % AUX,
            (t + 1) % AUX
        )
        .unwrap();
    }
    y
}

fn start(session: &std::path::Path, config: &std::path::Path) -> Kill {
    let (k, line) = start_faderd(session, config);
    assert!(
        line.contains("on the jackd "),
        "faderd is not on JACK: {line}"
    );
    k
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let secs: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(8.0);
    let reps: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let Some(_jackd) = start_jackd("load") else {
        return;
    };
    // A client that is never activated: it reads the server's load and adds
    // nothing to the graph.
    let t0 = Instant::now();
    let client = loop {
        if let Ok((c, _)) = jack::Client::new("load-sampler", jack::ClientOptions::NO_START_SERVER)
        {
            break c;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "jackd did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "version: 1\naudio: { backend: jack }\njack: { client_name: faderd-bench, connect: none }\n",
    )
    .unwrap();
    let empty = dir.path().join("empty.yaml");
    let full = dir.path().join("bench64.yaml");
    std::fs::write(&empty, session_yaml(0)).unwrap();
    std::fs::write(&full, session_yaml(TRACKS)).unwrap();

    let mut results: [(&str, Vec<f64>); 3] = [
        ("jackd alone", Vec::new()),
        ("faderd, empty session", Vec::new()),
        ("faderd, 64 stereo tracks", Vec::new()),
    ];
    eprintln!("{reps} repetitions of {secs} s per configuration, interleaved");
    for rep in 0..reps {
        results[0].1.push(dsp_load(&client, secs));
        for (k, session) in [(1, &empty), (2, &full)] {
            let _faderd = start(session, &config);
            results[k].1.push(dsp_load(&client, secs));
        }
        eprintln!(
            "  rep {}: {:.2} / {:.2} / {:.2} %",
            rep + 1,
            results[0].1[rep],
            results[1].1[rep],
            results[2].1[rep]
        );
    }
    let med: Vec<f64> = results
        .iter()
        .map(|(_, v)| support::median(v.clone()))
        .collect();
    println!("JACK DSP load at 48000 Hz / 64 frames (jackd dummy), median of {reps} x {secs} s:");
    for ((label, _), m) in results.iter().zip(&med) {
        println!("  {label:<28} {m:6.2} %");
    }
    println!(
        "  64-track mix over an empty faderd: {:+.2} % ({:.3} % per stereo track)",
        med[2] - med[1],
        (med[2] - med[1]) / TRACKS as f64
    );
    let json = format!(
        "{{\"period\":64,\"rate\":48000,\"secs\":{secs},\"reps\":{reps},\"idle\":{:.3},\"faderd_empty\":{:.3},\"faderd_64\":{:.3}}}\n",
        med[0], med[1], med[2]
    );
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-jack-load.json");
    let _ = std::fs::write(&out, json);
}
