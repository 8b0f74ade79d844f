//! `faderd latency --out N --in M`: the round trip of an outboard loop on
//! the audio interface, measured with the same engine path a strip's insert
//! uses (`/strip/N/insert/measure`), from a JACK client of its own.
//!
//! Thread: the caller's; the JACK client runs the engine meanwhile.

use super::Failure;
use super::audio::JackPlan;
use crate::audio::AudioHooks;
use crate::audio::jack::{self as jackb, PortLayout};
use crate::config::DaemonConfig;
use crate::mixer::{ClipStore, Hub, InsertParam, Origin, Param, StripRef, Value};
use crate::model::{Channels, Controls, Insert, Output, Session, Track, TrackSource};
use anyhow::{Context, anyhow};
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    /// Interface output the test signal leaves on (1-based).
    pub output: u16,
    /// Interface input it comes back on (1-based).
    pub input: u16,
    /// Connect the send to this JACK port instead of the physical output.
    pub to: Option<String>,
    /// Connect this JACK port to the return instead of the physical input.
    pub from: Option<String>,
    /// Daemon settings (client name, connections).
    pub config: DaemonConfig,
}

/// A finished measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopLatency {
    /// Round trip in samples.
    pub frames: u32,
    /// The JACK period it was measured at.
    pub period: u32,
    /// The full result line.
    pub report: String,
}

/// Measure; `progress` is called with 0..1 while recording.
pub fn measure(
    opts: &LatencyOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<LoopLatency, Failure> {
    // One silent strip whose insert is the loop. Built directly: unlike a
    // session file's insert, this one may use outputs 1 and 2 (nothing
    // else plays).
    let mut session = Session::new("latency", 48_000);
    session.tracks.push(Track {
        name: "Loop".into(),
        channels: Channels::Mono,
        source: TrackSource::None,
        output: Output::Master,
        controls: Controls {
            insert: Some(Insert {
                output: opts.output,
                input: opts.input,
                wet: 0.0,
                bypass: true,
                latency: Default::default(),
            }),
            ..Controls::default()
        },
    });
    let mut config = opts.config.jack.clone();
    config.client_name = format!("{}-latency", config.client_name);
    config.midi_ports.clear();
    config.connections.clear();
    // Physical ports unless the loop is named port by port.
    config.connect_physical = opts.to.is_none() && opts.from.is_none();
    // Ports named after the interface channels, on those channels (the
    // measurement replaces whatever the mix sends to the output).
    let (out_ch, in_ch) = (usize::from(opts.output) - 1, usize::from(opts.input) - 1);
    let (out_name, in_name) = (format!("out {}", opts.output), format!("in {}", opts.input));
    let mut layout = PortLayout {
        inputs: vec![None; in_ch + 1],
        outputs: vec![None; out_ch.max(1) + 1],
    };
    layout.inputs[in_ch] = Some(jackb::PortName::plain(&in_name));
    layout.outputs[out_ch] = Some(jackb::PortName::plain(&out_name));
    if let Some(to) = &opts.to {
        config.connections.push((out_name, to.clone()));
    }
    if let Some(from) = &opts.from {
        config.connections.push((in_name, from.clone()));
    }
    let plan = JackPlan {
        config,
        layout,
        follow_transport: false,
        period_request: None,
        live_names: Default::default(),
    };
    let client = jackb::open_client(&plan.config.client_name).map_err(|e| {
        Failure::env(anyhow::Error::new(e).context("latency needs a running JACK server"))
    })?;
    let engine_cfg = plan.engine_config(&client);
    let (mut hub, engine) =
        Hub::new(session, ClipStore::new(), engine_cfg).map_err(Failure::user)?;
    let backend = plan
        .start(client, engine.into(), None, AudioHooks::default())
        .context("cannot start the JACK client")
        .map_err(Failure::env)?;
    // Let connections settle for a few periods before playing.
    std::thread::sleep(Duration::from_millis(100));
    let strip = StripRef::Track(0);
    let measure = crate::mixer::Address::new(strip, Param::Insert(InsertParam::Measure));
    hub.apply(Origin::Daemon, measure, Value::Float(1.0))
        .map_err(Failure::user)?;
    let t0 = Instant::now();
    let result = loop {
        std::thread::sleep(Duration::from_millis(20));
        hub.service();
        if backend.is_lost() {
            break Err(Failure::env(anyhow!(
                "the JACK server went away during the measurement"
            )));
        }
        match hub.measure_progress() {
            Some(p) => progress(p),
            None => {
                progress(1.0);
                break Ok(());
            }
        }
        if t0.elapsed() > Duration::from_secs(30) {
            break Err(Failure::env(anyhow!(
                "the measurement did not finish in 30 s"
            )));
        }
    };
    let period = hub.period();
    let report = hub.measure_report(strip).to_owned();
    let frames = hub
        .session()
        .tracks
        .first()
        .and_then(|t| t.controls.insert.as_ref())
        .and_then(|i| i.latency.get(&period).copied());
    drop(backend.stop());
    result?;
    match frames {
        Some(frames) if !report.starts_with("failed") => Ok(LoopLatency {
            frames,
            period,
            report,
        }),
        _ => Err(Failure::env(anyhow!(
            "output {} -> input {}: {}",
            opts.output,
            opts.input,
            report.trim_start_matches("failed: ")
        ))),
    }
}
