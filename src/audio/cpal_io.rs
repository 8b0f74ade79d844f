//! The cpal backend: CoreAudio, WASAPI, ASIO, ALSA, and cpal's own JACK
//! host, with the host, the devices and the channels chosen by name and
//! number.
//!
//! The engine runs in the output stream's callback. A separate input
//! stream (cpal has no duplex stream) pushes interleaved samples onto a
//! wait-free ring that the output callback drains into the engine's
//! inputs; if the ring runs short, the missing input is silence and the
//! underrun is counted. Periods of any length are processed in
//! engine-sized pieces. Samples are converted from and to the device's
//! format (f32, i16, i32 ...).
//!
//! Thread: [`CpalPlan::open`] and [`CpalBackend::start`] run on a control
//! thread; the callbacks run on cpal's audio threads and obey the engine's
//! rules.

use super::AudioHooks;
use super::slot::{EngineSlot, PeriodIo};
use crate::engine::{Engine, EngineConfig};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest block the engine processes at once; longer device periods are
/// split.
pub const CPAL_ENGINE_BLOCK: usize = 512;

/// Why the cpal backend cannot start.
#[derive(Debug, thiserror::Error)]
pub enum CpalError {
    /// No such host in this build or on this machine.
    #[error("no audio host '{name}' here (available: {available})")]
    NoHost {
        /// What was asked for.
        name: String,
        /// What exists.
        available: String,
    },
    /// No device matches.
    #[error("no {direction} device matching '{name}' on {host} (devices: {available})")]
    NoDevice {
        /// input or output.
        direction: &'static str,
        /// What was asked for ("default" for the host's default).
        name: String,
        /// The host.
        host: String,
        /// What exists.
        available: String,
    },
    /// The device cannot do what the session needs.
    #[error("{0}")]
    Config(String),
    /// cpal refused to build or start a stream.
    #[error("cannot start the {direction} stream on '{device}': {message}")]
    Stream {
        /// input or output.
        direction: &'static str,
        /// The device.
        device: String,
        /// What cpal said.
        message: String,
    },
}

/// What the user asked for (the `cpal:` section of the daemon config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpalOptions {
    /// Host name (jack, alsa, coreaudio, wasapi, asio ...); default: the
    /// platform's default host.
    pub host: Option<String>,
    /// Output device: a case-insensitive part of its name; default: the
    /// host's default output.
    pub output_device: Option<String>,
    /// Input device, likewise.
    pub input_device: Option<String>,
    /// Device output channel (1-based) for each engine output, in order;
    /// empty: 1, 2, 3 ...
    pub output_channels: Vec<u16>,
    /// Device input channel (1-based) for each engine input; empty: 1, 2 ...
    pub input_channels: Vec<u16>,
}

/// Devices and formats chosen, ready to start.
pub struct CpalPlan {
    host_name: String,
    output: cpal::Device,
    output_name: String,
    output_format: SampleFormat,
    output_device_channels: u16,
    /// (engine output, device channel), 0-based.
    output_map: Vec<(usize, usize)>,
    input: Option<InputPlan>,
    /// The engine stream this plan runs.
    pub engine: EngineConfig,
}

struct InputPlan {
    device: cpal::Device,
    name: String,
    format: SampleFormat,
    device_channels: u16,
    /// (device channel, engine input), 0-based.
    map: Vec<(usize, usize)>,
}

impl std::fmt::Debug for CpalPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalPlan")
            .field("host", &self.host_name)
            .field("output", &self.output_name)
            .field("input", &self.input.as_ref().map(|i| &i.name))
            .field("engine", &self.engine)
            .finish()
    }
}

/// Hosts cpal can reach here, by name.
pub fn host_names() -> Vec<&'static str> {
    cpal::available_hosts().iter().map(|h| h.name()).collect()
}

fn find_host(name: Option<&str>) -> Result<cpal::Host, CpalError> {
    let Some(name) = name else {
        return Ok(cpal::default_host());
    };
    let id = cpal::available_hosts()
        .into_iter()
        .find(|h| h.name().eq_ignore_ascii_case(name.trim()));
    let no_host = || CpalError::NoHost {
        name: name.to_owned(),
        available: host_names().join(", "),
    };
    let id = id.ok_or_else(no_host)?;
    cpal::host_from_id(id).map_err(|_| no_host())
}

fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|x| x.name().to_owned())
        .unwrap_or_else(|_| "?".into())
}

fn find_device(
    host: &cpal::Host,
    want: Option<&str>,
    output: bool,
) -> Result<cpal::Device, CpalError> {
    let direction = if output { "output" } else { "input" };
    let listed = devices(host, output);
    let found = match want {
        None => {
            if output {
                host.default_output_device()
            } else {
                host.default_input_device()
            }
        }
        Some(w) => {
            let w = w.to_lowercase();
            listed
                .iter()
                .find(|d| device_name(d).to_lowercase().contains(&w))
                .cloned()
        }
    };
    found.ok_or_else(|| CpalError::NoDevice {
        direction,
        name: want.unwrap_or("default").to_owned(),
        host: host.id().name().to_owned(),
        available: listed
            .iter()
            .map(device_name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The host's output (or input) devices. Some hosts list every device
/// under both; the device's own description decides.
pub fn devices(host: &cpal::Host, output: bool) -> Vec<cpal::Device> {
    let all: Vec<cpal::Device> = if output {
        host.output_devices()
            .map(|d| d.collect())
            .unwrap_or_default()
    } else {
        host.input_devices()
            .map(|d| d.collect())
            .unwrap_or_default()
    };
    all.into_iter()
        .filter(|d| {
            d.description().is_ok_and(|x| {
                if output {
                    x.supports_output()
                } else {
                    x.supports_input()
                }
            })
        })
        .collect()
}

/// `channels` (1-based, from config) or 1..=count; as 0-based device
/// channels, one per engine channel.
fn channel_map(channels: &[u16], count: usize) -> Vec<usize> {
    if channels.is_empty() {
        (0..count).collect()
    } else {
        channels
            .iter()
            .take(count)
            .map(|c| usize::from(c.max(&1) - 1))
            .collect()
    }
}

impl CpalPlan {
    /// Choose host and devices for an engine with `inputs` and `outputs`
    /// channels, at `rate` if the output device can run it (else its
    /// default rate).
    pub fn open(
        opts: &CpalOptions,
        rate: u32,
        inputs: usize,
        outputs: usize,
    ) -> Result<CpalPlan, CpalError> {
        let host = find_host(opts.host.as_deref())?;
        let host_name = host.id().name().to_owned();
        let output = find_device(&host, opts.output_device.as_deref(), true)?;
        let output_name = device_name(&output);
        let default = output
            .default_output_config()
            .map_err(|e| CpalError::Config(format!("'{output_name}': {e}")))?;
        let out_dev_ch = channel_map(&opts.output_channels, outputs);
        let need = out_dev_ch.iter().max().map_or(2, |c| c + 1).max(2) as u16;
        let ranges: Vec<_> = output
            .supported_output_configs()
            .map(|r| r.collect())
            .unwrap_or_default();
        let supports = |r: u32| {
            ranges.iter().any(|c: &cpal::SupportedStreamConfigRange| {
                c.channels() >= need && c.min_sample_rate() <= r && r <= c.max_sample_rate()
            })
        };
        let rate = if supports(rate) {
            rate
        } else {
            default.sample_rate()
        };
        let output_format = ranges
            .iter()
            .find(|c| c.channels() >= need)
            .map_or(default.sample_format(), |c| c.sample_format());
        let device_channels = ranges
            .iter()
            .filter(|c| c.channels() >= need)
            .map(|c| c.channels())
            .min()
            .unwrap_or(default.channels());
        if device_channels < need {
            return Err(CpalError::Config(format!(
                "'{output_name}' has {device_channels} output channels; the session needs {need}"
            )));
        }
        let output_map: Vec<(usize, usize)> = out_dev_ch.into_iter().enumerate().collect();
        let input = if inputs == 0 {
            None
        } else {
            let device = find_device(&host, opts.input_device.as_deref(), false)?;
            let name = device_name(&device);
            let dev_ch = channel_map(&opts.input_channels, inputs);
            let need_in = dev_ch.iter().max().map_or(1, |c| c + 1) as u16;
            let in_ranges: Vec<_> = device
                .supported_input_configs()
                .map(|r| r.collect())
                .unwrap_or_default();
            // The smallest channel count that holds every mapped channel.
            let fit = in_ranges
                .iter()
                .filter(|c| {
                    c.channels() >= need_in
                        && c.min_sample_rate() <= rate
                        && rate <= c.max_sample_rate()
                })
                .min_by_key(|c| c.channels());
            let Some(fit) = fit else {
                return Err(CpalError::Config(format!(
                    "'{name}' cannot record {need_in} channels at {rate} Hz"
                )));
            };
            Some(InputPlan {
                device,
                name,
                format: fit.sample_format(),
                device_channels: fit.channels(),
                map: dev_ch
                    .into_iter()
                    .enumerate()
                    .map(|(e, d)| (d, e))
                    .collect(),
            })
        };
        Ok(CpalPlan {
            host_name,
            output,
            output_name,
            output_format,
            output_device_channels: device_channels,
            output_map,
            input,
            engine: EngineConfig {
                sample_rate: rate,
                max_block: CPAL_ENGINE_BLOCK,
                inputs,
                outputs,
            },
        })
    }

    /// "host 'JACK', output 'JACK Output' (2 ch), input 'JACK Input' (1 ch)".
    pub fn describe(&self) -> String {
        let mut s = format!(
            "cpal host '{}', output '{}' ({} ch)",
            self.host_name, self.output_name, self.output_device_channels
        );
        if let Some(i) = &self.input {
            s.push_str(&format!(", input '{}' ({} ch)", i.name, i.device_channels));
        }
        s
    }
}

/// Counters from the cpal threads.
#[derive(Debug, Default)]
pub struct CpalStats {
    /// Output callbacks run.
    pub periods: AtomicU64,
    /// Blocks whose input had not arrived (played as silence), plus input
    /// samples dropped because the ring was full.
    pub xruns: AtomicU64,
    /// Errors cpal reported on either stream.
    pub stream_errors: AtomicU64,
}

/// Running cpal streams with the engine in the output callback.
pub struct CpalBackend {
    _output: cpal::Stream,
    _input: Option<cpal::Stream>,
    stats: Arc<CpalStats>,
    description: String,
    /// Its counters as surfaces report them ([`Backend::status`]).
    status: Arc<crate::health::AudioStatus>,
}

impl super::Backend for CpalBackend {
    fn status(&self) -> Arc<crate::health::AudioStatus> {
        super::publish_counts(&self.status, &self.stats.xruns, &self.stats.periods)
    }

    /// The engine lives in the stream's callback and goes with it.
    fn stop(self: Box<Self>) -> Option<Engine> {
        drop(self);
        None
    }
}

impl std::fmt::Debug for CpalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalBackend")
            .field("description", &self.description)
            .field("stats", &self.stats)
            .finish()
    }
}

/// The output callback's view of the input: the ring, the device's
/// channel count, and (device channel, engine input) pairs.
type InputSide = (Consumer<f32>, usize, Vec<(usize, usize)>);

struct OutState {
    slot: EngineSlot,
    hooks: AudioHooks,
    io: OutIo,
}

/// The output callback's device side.
struct OutIo {
    channels: usize,
    map: Vec<(usize, usize)>,
    input: Option<InputSide>,
    stats: Arc<CpalStats>,
}

/// One callback's buffer, as a period's I/O.
struct Buffer<'a, T> {
    io: &'a mut OutIo,
    data: &'a mut [T],
}

impl OutState {
    /// The output callback: real-time, no allocation, lock or I/O.
    fn render<T: SizedSample + FromSample<f32>>(&mut self, data: &mut [T]) {
        let frames = data.len() / self.io.channels.max(1);
        let mut buffer = Buffer {
            io: &mut self.io,
            data,
        };
        self.slot.run_period(&mut self.hooks, frames, &mut buffer);
        self.io.stats.periods.fetch_add(1, Ordering::Relaxed);
    }
}

impl<T: SizedSample + FromSample<f32>> PeriodIo for Buffer<'_, T> {
    /// Move `n` frames of input from the ring into the engine's inputs.
    fn input(&mut self, engine: &mut Engine, _offset: usize, n: usize) {
        let Some((ring, channels, map)) = self.io.input.as_mut() else {
            return;
        };
        let need = n * *channels;
        match ring.read_chunk(need) {
            Ok(chunk) => {
                let (a, b) = chunk.as_slices();
                for &(dch, ech) in map.iter() {
                    let dst = engine.input_mut(ech);
                    for (i, d) in dst.iter_mut().take(n).enumerate() {
                        let k = i * *channels + dch;
                        *d = if k < a.len() { a[k] } else { b[k - a.len()] };
                    }
                }
                chunk.commit_all();
            }
            Err(_) => {
                for &(_, ech) in map.iter() {
                    let dst = engine.input_mut(ech);
                    let len = dst.len().min(n);
                    dst[..len].fill(0.0);
                }
                self.io.stats.xruns.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn output(&mut self, engine: &Engine, offset: usize, n: usize, playing: bool) {
        let channels = self.io.channels;
        for &(ech, dch) in &self.io.map {
            let src = engine.output(ech);
            for i in 0..n {
                let v = if playing {
                    src.get(i).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                if let Some(d) = self.data.get_mut((offset + i) * channels + dch) {
                    *d = T::from_sample(v);
                }
            }
        }
    }
}

fn input_callback<T: SizedSample>(
    mut ring: Producer<f32>,
    stats: Arc<CpalStats>,
) -> impl FnMut(&[T], &cpal::InputCallbackInfo) + Send + 'static
where
    f32: FromSample<T>,
{
    move |data: &[T], _| match ring.write_chunk_uninit(data.len()) {
        Ok(chunk) => {
            chunk.fill_from_iter(
                data.iter()
                    .map(|s| <f32 as FromSample<T>>::from_sample_(*s)),
            );
        }
        Err(_) => {
            stats.xruns.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn build_output<T: SizedSample + FromSample<f32>>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut state: OutState,
    stats: Arc<CpalStats>,
) -> Result<cpal::Stream, cpal::Error> {
    device.build_output_stream::<T, _, _>(
        config,
        move |data: &mut [T], _| state.render(data),
        move |_e| {
            stats.stream_errors.fetch_add(1, Ordering::Relaxed);
        },
        None,
    )
}

fn build_input<T: SizedSample>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    ring: Producer<f32>,
    stats: Arc<CpalStats>,
) -> Result<cpal::Stream, cpal::Error>
where
    f32: FromSample<T>,
{
    let errors = Arc::clone(&stats);
    device.build_input_stream::<T, _, _>(
        config,
        input_callback::<T>(ring, stats),
        move |_e| {
            errors.stream_errors.fetch_add(1, Ordering::Relaxed);
        },
        None,
    )
}

impl CpalBackend {
    /// Start the streams with `engine` (built for `plan.engine`).
    pub fn start(
        plan: CpalPlan,
        engine: impl Into<EngineSlot>,
        hooks: AudioHooks,
    ) -> Result<CpalBackend, CpalError> {
        let stats = Arc::new(CpalStats::default());
        let description = plan.describe();
        let rate = plan.engine.sample_rate;
        let mut input_stream = None;
        let mut input_side = None;
        if let Some(inp) = &plan.input {
            // A quarter second of input between the two callbacks.
            let capacity = (rate as usize / 4).max(4096) * usize::from(inp.device_channels);
            let (producer, consumer) = RingBuffer::new(capacity);
            let config = cpal::StreamConfig {
                channels: inp.device_channels,
                sample_rate: rate,
                buffer_size: cpal::BufferSize::Default,
            };
            let s = Arc::clone(&stats);
            let built = match inp.format {
                SampleFormat::F32 => build_input::<f32>(&inp.device, config, producer, s),
                SampleFormat::I16 => build_input::<i16>(&inp.device, config, producer, s),
                SampleFormat::I32 => build_input::<i32>(&inp.device, config, producer, s),
                SampleFormat::U16 => build_input::<u16>(&inp.device, config, producer, s),
                other => {
                    return Err(CpalError::Config(format!(
                        "'{}' records {other} samples, which faderd does not convert",
                        inp.name
                    )));
                }
            };
            let stream = built.map_err(|e| CpalError::Stream {
                direction: "input",
                device: inp.name.clone(),
                message: e.to_string(),
            })?;
            input_stream = Some(stream);
            input_side = Some((consumer, usize::from(inp.device_channels), inp.map.clone()));
        }
        let state = OutState {
            slot: engine.into(),
            hooks,
            io: OutIo {
                channels: usize::from(plan.output_device_channels),
                map: plan.output_map.clone(),
                input: input_side,
                stats: Arc::clone(&stats),
            },
        };
        let config = cpal::StreamConfig {
            channels: plan.output_device_channels,
            sample_rate: rate,
            buffer_size: cpal::BufferSize::Default,
        };
        let s = Arc::clone(&stats);
        let built = match plan.output_format {
            SampleFormat::F32 => build_output::<f32>(&plan.output, config, state, s),
            SampleFormat::I16 => build_output::<i16>(&plan.output, config, state, s),
            SampleFormat::I32 => build_output::<i32>(&plan.output, config, state, s),
            SampleFormat::U16 => build_output::<u16>(&plan.output, config, state, s),
            other => {
                return Err(CpalError::Config(format!(
                    "'{}' plays {other} samples, which faderd does not convert",
                    plan.output_name
                )));
            }
        };
        let output = built.map_err(|e| CpalError::Stream {
            direction: "output",
            device: plan.output_name.clone(),
            message: e.to_string(),
        })?;
        let play = |s: &cpal::Stream, direction, device: &str| {
            s.play().map_err(|e| CpalError::Stream {
                direction,
                device: device.to_owned(),
                message: e.to_string(),
            })
        };
        if let (Some(s), Some(i)) = (&input_stream, &plan.input) {
            play(s, "input", &i.name)?;
        }
        play(&output, "output", &plan.output_name)?;
        Ok(CpalBackend {
            _output: output,
            _input: input_stream,
            stats,
            description,
            status: Arc::default(),
        })
    }

    /// Counters from the audio threads.
    pub fn stats(&self) -> &Arc<CpalStats> {
        &self.stats
    }

    /// Host and devices, for the ready line.
    pub fn description(&self) -> &str {
        &self.description
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_maps_default_to_identity_and_follow_the_config() {
        assert_eq!(channel_map(&[], 3), vec![0, 1, 2]);
        assert_eq!(channel_map(&[3, 4], 2), vec![2, 3]);
        assert_eq!(channel_map(&[0, 9], 2), vec![0, 8]);
    }

    #[test]
    fn an_unknown_host_lists_the_ones_there_are() {
        let Err(e) = find_host(Some("no-such-host")) else {
            panic!("a host called no-such-host");
        };
        let e = e.to_string();
        assert!(e.contains("no audio host 'no-such-host'"), "{e}");
        assert!(e.contains("available:"), "{e}");
    }
}
