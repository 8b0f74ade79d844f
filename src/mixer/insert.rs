//! Hardware-insert latency measurement on the hub's side: start one (the
//! engine plays and records), analyze the recording when it comes back,
//! store the round trip for the current period size and rebuild the graph
//! so the whole mix is compensated.
//!
//! Thread: the hub's. One measurement runs at a time; while it runs the
//! strip's insert return is muted (the dry signal still plays) so nobody
//! hears the test burst.

use super::{Address, Hub, InsertParam, IntentError, Origin, Param, StripRef, Value};
use crate::dsp::latency::LatencyProbe;
use crate::engine::{Measurement, ToEngine};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Insert latency measurements: at most one running, and what each
/// strip's last one reported (`insert/measure` reads it).
#[derive(Debug, Default)]
pub(super) struct Measurements {
    pub(super) running: Option<Measuring>,
    pub(super) reports: std::collections::HashMap<StripRef, String>,
}

/// A measurement in flight.
#[derive(Debug)]
pub(super) struct Measuring {
    pub(super) strip: StripRef,
    probe: LatencyProbe,
    period: u32,
    started: Instant,
    length: usize,
}

impl Hub {
    /// Start measuring the round trip of `address.strip`'s insert.
    pub(super) fn start_measurement(
        &mut self,
        origin: Origin,
        address: Address,
    ) -> Result<Value, IntentError> {
        if self.measurements.running.is_some() {
            return Err(IntentError::MeasurementRunning(address));
        }
        let ins = self
            .session
            .controls(address.strip)
            .ok_or(IntentError::NoSuchTarget(address))?
            .insert
            .clone()
            .ok_or(IntentError::NoSuchTarget(address))?;
        let probe = LatencyProbe::for_rate(self.engine_config.sample_rate);
        let m = Measurement::new(
            usize::from(ins.output.saturating_sub(1)),
            usize::from(ins.input.saturating_sub(1)),
            probe.signal(),
            probe.capture_len(),
        );
        self.measurements.running = Some(Measuring {
            strip: address.strip,
            probe,
            period: self.period,
            started: self.now(),
            length: probe.capture_len(),
        });
        self.push_strip(address.strip);
        self.push(ToEngine::Measure(Box::new(m)));
        let text = "measuring".to_owned();
        self.measurements
            .reports
            .insert(address.strip, text.clone());
        self.changed(address, Value::Text(text.clone()), origin);
        Ok(Value::Text(text))
    }

    /// How far the running measurement is, 0..1; `None` when none runs.
    pub fn measure_progress(&self) -> Option<f64> {
        let m = self.measurements.running.as_ref()?;
        let done = self.link.shared.measure_recorded.load(Ordering::Relaxed) as f64;
        Some((done / m.length.max(1) as f64).clamp(0.0, 1.0))
    }

    /// The last measurement's result for `strip` (empty if none ran).
    pub fn measure_report(&self, strip: StripRef) -> &str {
        self.measurements
            .reports
            .get(&strip)
            .map_or("", String::as_str)
    }

    /// Take a finished measurement from the engine, if any.
    pub(super) fn poll_measurement(&mut self) {
        while let Ok(m) = self.link.measured.pop() {
            let Some(run) = self.measurements.running.take() else {
                continue;
            };
            let report = if !m.is_complete() {
                "failed: the engine was busy with another measurement".to_owned()
            } else {
                match run.probe.analyze(&m.signal, &m.capture) {
                    Ok(r) => {
                        let rate = f64::from(self.engine_config.sample_rate);
                        let latency = Address::new(run.strip, Param::Insert(InsertParam::Latency));
                        if let Some(ins) = self
                            .session
                            .controls_mut(run.strip)
                            .and_then(|c| c.insert.as_mut())
                        {
                            ins.latency.insert(run.period, r.frames as u32);
                        }
                        self.rebuild();
                        self.changed(latency, Value::Float(r.frames as f64), Origin::Daemon);
                        // The return is read one period after the send went
                        // out (a cycle of the audio system); the rest is the
                        // loop itself: converters, cables, the unit.
                        let cycle = (run.period as usize).min(r.frames);
                        format!(
                            "{} frames ({:.2} ms) at {}-frame periods = one {cycle}-frame cycle + {} through the loop; correlation {:.3}, {:.0} dB over the noise{}",
                            r.frames,
                            r.frames as f64 * 1000.0 / rate,
                            run.period,
                            r.frames - cycle,
                            r.correlation,
                            r.snr_db,
                            if r.inverted {
                                "; the unit inverts polarity"
                            } else {
                                ""
                            }
                        )
                    }
                    Err(e) => format!("failed: {e}"),
                }
            };
            self.finish_measurement(run.strip, report);
        }
        let timed_out = self.measurements.running.as_ref().is_some_and(|m| {
            let secs = m.length as f64 / f64::from(self.engine_config.sample_rate.max(1));
            self.now().saturating_duration_since(m.started) > Duration::from_secs_f64(secs + 5.0)
        });
        if timed_out {
            self.abandon_measurement("the audio is not running");
        }
    }

    /// Give up the running measurement (its recording will never come).
    pub(super) fn abandon_measurement(&mut self, why: &str) {
        if let Some(run) = self.measurements.running.take() {
            self.finish_measurement(run.strip, format!("failed: {why}"));
        }
    }

    fn finish_measurement(&mut self, strip: StripRef, report: String) {
        if report.starts_with("failed") {
            tracing::warn!("insert latency of {strip:?}: {report}");
        } else {
            tracing::info!("insert latency of {strip:?}: {report}");
        }
        // Unmute the return.
        self.push_strip(strip);
        self.measurements.reports.insert(strip, report.clone());
        self.changed(
            Address::new(strip, Param::Insert(InsertParam::Measure)),
            Value::Text(report),
            Origin::Daemon,
        );
    }
}
