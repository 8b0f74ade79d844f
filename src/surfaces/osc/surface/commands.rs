//! What each OSC command does: set a control, touch, transport,
//! subscriptions and state dumps, MIDI learn, status replies, saves.
//!
//! Thread: hub.

use super::*;
use crate::mixer::automation::{TimelineLane, TimelineView, points_for_view};

impl OscSurface {
    pub(super) fn command(
        &mut self,
        hub: &mut Hub,
        from: SocketAddr,
        origin: Origin,
        cmd: OscCommand,
        out: &mut Vec<Datagram>,
    ) -> Result<(), String> {
        match cmd {
            OscCommand::Set { address, value } => {
                hub.apply(origin, address, value.clone())
                    .map_err(|e| e.to_string())?;
                // The client now shows what it sent.
                if let Some(s) = self.subscribers.iter_mut().find(|s| s.matches(from)) {
                    self.shown.set(address, s.slot, wire_value(&value));
                    if address.param.spec().ridden {
                        s.ridden.insert(address);
                    }
                }
            }
            OscCommand::Touch { address, on } => {
                hub.touch(origin, address, on).map_err(|e| e.to_string())?;
                if let Some(s) = self.subscribers.iter_mut().find(|s| s.matches(from)) {
                    s.ridden.insert(address);
                }
            }
            OscCommand::Transport(r) => {
                let cmd = match r {
                    TransportRequest::Play => TransportCmd::Play,
                    TransportRequest::Stop => TransportCmd::Stop,
                    TransportRequest::Locate(s) => {
                        TransportCmd::Locate((s * f64::from(hub.sample_rate())).round() as u64)
                    }
                    TransportRequest::Loop(range) => {
                        let f = |s: f64| (s * f64::from(hub.sample_rate())).round() as u64;
                        TransportCmd::Loop(range.map(|(a, b)| (f(a), f(b))))
                    }
                };
                hub.transport(cmd);
            }
            OscCommand::EqResponse(strip) => {
                let hz = eq_curve_frequencies();
                let db = hub.eq_response_db(strip, &hz).map_err(|e| e.to_string())?;
                let points = hz.iter().zip(&db).map(|(f, g)| [*f, *g]);
                out.extend(self.curve_reply("/eq/response", strip, points, from));
            }
            OscCommand::DynResponse(strip) => {
                let inputs: Vec<f64> = (0..=80).map(|i| f64::from(i) - 80.0).collect();
                let curves = hub
                    .dynamics_curves(strip, &inputs)
                    .map_err(|e| e.to_string())?;
                let points = inputs.iter().zip(&curves).map(|(x, (c, g))| [*x, *c, *g]);
                out.extend(self.curve_reply("/dyn/response", strip, points, from));
            }
            OscCommand::Lanes { strip, view } => {
                let lanes = hub.timeline_lanes(strip).map_err(|e| e.to_string())?;
                out.extend(self.lanes_reply(strip, &lanes, view, from));
            }
            OscCommand::AddTrack { name, stereo } => {
                let channels = if stereo {
                    crate::mixer::Channels::Stereo
                } else {
                    crate::mixer::Channels::Mono
                };
                hub.add_track(origin, &name, channels)
                    .map_err(|e| e.to_string())?;
            }
            OscCommand::LaneMode { strip, lane, mode } => {
                hub.set_lane_mode(strip, lane, mode)
                    .map_err(|e| e.to_string())?;
            }
            OscCommand::LaneChoices(strip) => {
                let choices = hub.lane_choices(strip).map_err(|e| e.to_string())?;
                out.extend(self.choices_reply(strip, &choices, from));
            }
            OscCommand::AddLane { strip, lane } => {
                hub.add_lane(strip, lane).map_err(|e| e.to_string())?;
            }
            OscCommand::EditLane { strip, lane, edit } => {
                hub.edit_lane(strip, lane, &edit)
                    .map_err(|e| e.to_string())?;
            }
            OscCommand::RemoveTrack(track) => {
                hub.remove_track(origin, track).map_err(|e| e.to_string())?;
            }
            OscCommand::ResetLoudness => {
                hub.reset_loudness();
                tracing::info!("loudness: measurement restarted");
            }
            OscCommand::LoudnessHistory => {
                let blob = hub.loudness_history().flat_map(f32::to_le_bytes).collect();
                let addr = "/master/loudness/history".into();
                out.extend(self.one_datagram(addr, vec![OscType::Blob(blob)], from));
            }
            OscCommand::UndoAutomation => {
                let n = hub.undo_automation().map_err(|e| e.to_string())?;
                tracing::info!("automation: undid the last pass ({n} lanes)");
            }
            OscCommand::Subscribe { port, meters } => {
                let dest = SocketAddr::new(from.ip(), port.unwrap_or(from.port()));
                let now = self.now;
                if let Some(s) = self
                    .subscribers
                    .iter_mut()
                    .find(|s| !s.fixed && s.dest == dest)
                {
                    // Renewed: a second dump only if this host has not
                    // had one just now.
                    s.source = from;
                    s.meters = meters;
                    s.heard = now;
                } else {
                    let from_host = self
                        .subscribers
                        .iter()
                        .filter(|s| !s.fixed && s.dest.ip() == dest.ip())
                        .count();
                    if from_host >= MAX_SUBSCRIPTIONS_PER_HOST {
                        self.health.refuse(Source::Osc);
                        return Err(format!(
                            "subscribe refused: {} already holds {MAX_SUBSCRIPTIONS_PER_HOST} subscriptions",
                            dest.ip()
                        ));
                    }
                    if self.subscribers.len() >= self.options.max_subscribers {
                        self.health.refuse(Source::Osc);
                        return Err(format!(
                            "subscribe refused: {} subscribers already (osc.max_subscribers)",
                            self.options.max_subscribers
                        ));
                    }
                    let id = match origin {
                        Origin::Client(id) => id,
                        Origin::Daemon => ClientId(0),
                    };
                    let who = (id, self.new_slot());
                    self.subscribers
                        .push(Subscriber::new(from, dest, who, meters, false, now));
                    tracing::info!(
                        "osc: {dest} subscribed{}",
                        match meters {
                            MeterStyle::Off => "",
                            MeterStyle::Messages => " with meters",
                            MeterStyle::Blob => " with meters (one blob)",
                        }
                    );
                }
                let window = self.dumps.entry(dest.ip()).or_insert((now, 0));
                if now.duration_since(window.0) >= DUMP_INTERVAL {
                    *window = (now, 0);
                }
                if window.1 >= DUMPS_PER_INTERVAL {
                    self.health.refuse(Source::Osc);
                    return Err(format!(
                        "subscribed without a state dump: {} had {DUMPS_PER_INTERVAL} in the last second",
                        dest.ip()
                    ));
                }
                window.1 += 1;
                let s = self
                    .subscribers
                    .iter_mut()
                    .find(|s| !s.fixed && s.dest == dest)
                    .expect("present");
                begin_dump(hub, s, &mut self.shown);
                out.extend(dump_chunk(
                    hub,
                    s,
                    &mut self.shown,
                    self.options.max_datagram,
                ));
            }
            OscCommand::Unsubscribe { port } => {
                let dest = SocketAddr::new(from.ip(), port.unwrap_or(from.port()));
                if self.drop_subscribers(|s| s.dest == dest || s.source == from) == 0 {
                    return Err("not subscribed".into());
                }
                tracing::info!("osc: {dest} unsubscribed");
            }
            OscCommand::Learn(address) => {
                hub.arm_learn(address).map_err(|e| e.to_string())?;
                tracing::info!("MIDI learn: move a control to bind it to {address}");
                out.extend(
                    encode_bundles(
                        &[OscOut {
                            addr: "/learn/armed".into(),
                            arg: OscType::String(address.to_string()),
                        }],
                        self.options.max_datagram,
                    )
                    .into_iter()
                    .map(|bytes| Datagram { to: from, bytes }),
                );
            }
            #[cfg(debug_assertions)]
            OscCommand::InjectFault(_) | OscCommand::StallHub(_)
                if !crate::health::test_faults_enabled() =>
            {
                return Err("unknown address (test faults are off)".into());
            }
            #[cfg(debug_assertions)]
            OscCommand::InjectFault(site) => match site {
                crate::surfaces::osc::codec::FaultSite::Engine => hub.inject_engine_fault(),
                crate::surfaces::osc::codec::FaultSite::Hub => panic!("a fault injected by a test"),
                // Injected in the listener; never reaches the hub.
                crate::surfaces::osc::codec::FaultSite::Listener => {}
            },
            #[cfg(debug_assertions)]
            OscCommand::StallHub(d) => std::thread::sleep(d),
            OscCommand::SaveSession => hub.request_save(),
            OscCommand::Status => {
                let audio = self.health.audio_status();
                let mut msgs: Vec<OscOut> = [
                    (
                        "/status/accepted",
                        self.stats.accepted.load(Ordering::Relaxed),
                    ),
                    (
                        "/status/rejected",
                        self.stats.rejected.load(Ordering::Relaxed),
                    ),
                    (
                        "/status/osc/waited",
                        self.stats.waited.load(Ordering::Relaxed),
                    ),
                    ("/status/session/dirty", u64::from(hub.is_dirty())),
                    ("/status/engine/commands", hub.engine_strip_commands()),
                    ("/status/automation/points", hub.lane_points() as u64),
                    ("/status/automation/undo_passes", hub.undo_depth() as u64),
                    ("/status/automation/undo_bytes", hub.undo_bytes() as u64),
                    ("/status/clients", self.subscribers.len() as u64),
                    ("/status/xruns", audio.xruns.load(Ordering::Relaxed)),
                    (
                        "/status/audio",
                        u64::from(audio.connected.load(Ordering::Relaxed)),
                    ),
                    (
                        "/status/audio/reconnects",
                        audio.reconnects.load(Ordering::Relaxed),
                    ),
                    ("/status/audio/stalls", audio.stalls.load(Ordering::Relaxed)),
                    (
                        "/status/audio/rate",
                        u64::from(audio.sample_rate.load(Ordering::Relaxed)),
                    ),
                    (
                        "/status/audio/period",
                        u64::from(audio.period_frames.load(Ordering::Relaxed)),
                    ),
                ]
                .map(|(addr, n)| OscOut {
                    addr: addr.into(),
                    arg: OscType::Int(i32::try_from(n).unwrap_or(i32::MAX)),
                })
                .into();
                msgs.push(OscOut {
                    addr: "/status/dsp_load".into(),
                    arg: OscType::Float(f32::from_bits(audio.dsp_load.load(Ordering::Relaxed))),
                });
                let t = hub.transport_state();
                let sync = hub.sync_report();
                msgs.extend([
                    OscOut {
                        addr: "/status/transport/frame".into(),
                        arg: OscType::Double(t.position_frames as f64),
                    },
                    OscOut {
                        addr: "/status/transport/rolling".into(),
                        arg: OscType::Int(i32::from(t.rolling)),
                    },
                ]);
                // The loop, in seconds; -1 for both when not looping.
                let rate = f64::from(hub.sample_rate().max(1));
                let (start, end) = hub
                    .loop_range()
                    .map_or((-1.0, -1.0), |(a, b)| (a as f64 / rate, b as f64 / rate));
                msgs.extend([("start", start), ("end", end)].map(|(k, x)| OscOut {
                    addr: format!("/status/transport/loop_{k}"),
                    arg: OscType::Double(x),
                }));
                if sync.external {
                    msgs.extend([
                        OscOut {
                            addr: "/status/sync/locked".into(),
                            arg: OscType::Int(i32::from(sync.locked)),
                        },
                        OscOut {
                            addr: "/status/sync/lock_ms".into(),
                            arg: OscType::Float(
                                sync.lock_latency.map_or(-1.0, |d| d.as_secs_f32() * 1000.0),
                            ),
                        },
                        OscOut {
                            addr: "/status/sync/relocates".into(),
                            arg: OscType::Int(i32::try_from(sync.relocates).unwrap_or(i32::MAX)),
                        },
                    ]);
                }
                msgs.extend(health_status(&self.health));
                msgs.extend(self.health.online().named().map(|(kind, n)| OscOut {
                    addr: format!("/status/online/{kind}"),
                    arg: OscType::Int(i32::try_from(n).unwrap_or(i32::MAX)),
                }));
                for (k, link) in self.health.link_statuses().iter().enumerate() {
                    let count = |n: u64| OscType::Int(i32::try_from(n).unwrap_or(i32::MAX));
                    for (field, arg) in [
                        (
                            "online",
                            count(u64::from(link.online.load(Ordering::Relaxed))),
                        ),
                        ("bad_frames", count(link.bad_frames.load(Ordering::Relaxed))),
                        ("connects", count(link.connects.load(Ordering::Relaxed))),
                    ] {
                        msgs.push(OscOut {
                            addr: format!("/status/serial/{}/{field}", k + 1),
                            arg,
                        });
                    }
                }
                msgs.extend(super::meters::loudness_figures(&hub.loudness()).iter().map(
                    |(name, x)| OscOut {
                        addr: format!("/master/loudness/{name}"),
                        arg: OscType::Float(*x as f32),
                    },
                ));
                out.extend(
                    encode_bundles(&msgs, self.options.max_datagram)
                        .into_iter()
                        .map(|bytes| Datagram { to: from, bytes }),
                );
            }
        }
        Ok(())
    }
}

/// The daemon's dependability counters in a `/status` reply: refusals past
/// a bound per source, caught panics, engine faults and rebuilds, saves
/// (and the last save's error while saving fails).
fn health_status(h: &Health) -> Vec<OscOut> {
    let count = |n: u64| OscType::Int(i32::try_from(n).unwrap_or(i32::MAX));
    let mut out: Vec<OscOut> = Source::ALL
        .iter()
        .map(|&s| OscOut {
            addr: format!("/status/refused/{}", s.name()),
            arg: count(h.refused(s)),
        })
        .collect();
    for (addr, n) in [
        ("/status/panics", &h.panics),
        ("/status/engine/faults", &h.engine_faults),
        ("/status/engine/rebuilds", &h.engine_rebuilds),
        ("/status/session/saves", &h.saves),
        ("/status/session/autosaves", &h.autosaves),
        ("/status/session/save_failures", &h.save_failures),
    ] {
        out.push(OscOut {
            addr: addr.into(),
            arg: count(n.load(Ordering::Relaxed)),
        });
    }
    for (addr, e) in [
        ("/status/session/error", h.save_error(SaveKind::Session)),
        (
            "/status/session/recovery_error",
            h.save_error(SaveKind::Recovery),
        ),
    ] {
        if let Some(e) = e {
            out.push(OscOut {
                addr: addr.into(),
                arg: OscType::String(e),
            });
        }
    }
    out
}

/// Where an EQ curve is sampled: 121 points, 20 Hz to 20 kHz, evenly on a
/// log scale (40 a decade).
fn eq_curve_frequencies() -> Vec<f64> {
    (0..=120)
        .map(|i| 20.0 * 10f64.powf(f64::from(i) / 40.0))
        .collect()
}

/// Rows of f32s (little-endian) in one blob.
fn f32_rows<const N: usize>(rows: impl Iterator<Item = [f64; N]>) -> Vec<u8> {
    let mut blob = Vec::new();
    for row in rows {
        for x in row {
            blob.extend_from_slice(&(x as f32).to_le_bytes());
        }
    }
    blob
}

/// The columns a lane asked for without a view is drawn in when it does
/// not fit a datagram whole.
const WHOLE_LANE_COLUMNS: u32 = 1024;

/// Where the last point of `lanes` is (seconds; at least one second).
fn whole_length_s(lanes: &[TimelineLane]) -> f64 {
    lanes
        .iter()
        .flat_map(|l| l.points.last().into_iter().chain(l.writing.last()))
        .map(|p| p[0])
        .fold(1.0, f64::max)
}

impl OscSurface {
    /// `/automation/lanes/STRIP`: per lane five arguments, its name (as in
    /// session files), the mode it plays in, whether that mode is its own
    /// (1) or the strip's (0), its points and the span being written, each
    /// a blob of (seconds, control position) f32 pairs; for `to` only.
    ///
    /// With a `view`, the points are cut to what it draws
    /// ([`points_for_view`]); without, they are all sent when they fit one
    /// datagram, else cut to a view of the whole lane. A view whose points
    /// do not fit is drawn in half the columns until they do.
    fn lanes_reply(
        &self,
        strip: crate::mixer::StripRef,
        lanes: &[TimelineLane],
        view: Option<TimelineView>,
        to: SocketAddr,
    ) -> Vec<Datagram> {
        let encode = |view: Option<TimelineView>| {
            let cut = |points: &[[f64; 2]]| match view {
                Some(v) => f32_rows(points_for_view(points, v).into_iter()),
                None => f32_rows(points.iter().copied()),
            };
            let args: Vec<OscType> = lanes
                .iter()
                .flat_map(|l| {
                    [
                        OscType::String(l.param.name()),
                        OscType::String(l.mode.as_str().into()),
                        OscType::Int(i32::from(l.own_mode)),
                        OscType::Blob(cut(&l.points)),
                        OscType::Blob(cut(&l.writing)),
                    ]
                })
                .collect();
            self.one_datagram(format!("/automation/lanes/{strip}"), args, to)
        };
        let mut view = view;
        if view.is_none() {
            if let Some(d) = encode(None) {
                return vec![d];
            }
            view = TimelineView::new(0.0, whole_length_s(lanes), WHOLE_LANE_COLUMNS);
        }
        while let Some(v) = view {
            if let Some(d) = encode(Some(v)) {
                return vec![d];
            }
            view = (v.columns > 1).then(|| v.coarser());
        }
        tracing::warn!(
            "the lanes of {strip} do not fit one datagram even drawn in one column; not sent to {to}"
        );
        Vec::new()
    }

    /// `/automation/choices/STRIP`: per lane the strip can have, its name
    /// and whether it steps (1: a switch) or is a line (0); for `to` only.
    fn choices_reply(
        &self,
        strip: crate::mixer::StripRef,
        choices: &[crate::model::LaneParam],
        to: SocketAddr,
    ) -> Vec<Datagram> {
        let args = choices
            .iter()
            .flat_map(|p| {
                let steps = p.interp() == crate::dsp::automation::Interp::Step;
                [OscType::String(p.name()), OscType::Int(i32::from(steps))]
            })
            .collect();
        let reply = self.one_datagram(format!("/automation/choices/{strip}"), args, to);
        if reply.is_none() {
            tracing::warn!("the lanes menu of {strip} does not fit one datagram; not sent to {to}");
        }
        reply.into_iter().collect()
    }

    /// One message `addr` with `args` for `to`, if it fits one datagram.
    fn one_datagram(&self, addr: String, args: Vec<OscType>, to: SocketAddr) -> Option<Datagram> {
        rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage { addr, args }))
            .ok()
            .filter(|bytes| bytes.len() <= self.options.max_datagram)
            .map(|bytes| Datagram { to, bytes })
    }

    /// `ADDRESS/STRIP` with a blob of `points`, each a row of f32 values
    /// (little-endian), for `to` only.
    fn curve_reply<const N: usize>(
        &self,
        address: &str,
        strip: crate::mixer::StripRef,
        points: impl Iterator<Item = [f64; N]>,
        to: SocketAddr,
    ) -> Vec<Datagram> {
        let mut msgs = MessageBuf::default();
        msgs.push(
            format_args!("{address}/{strip}"),
            &OscType::Blob(f32_rows(points)),
        );
        pack_bundles(
            &msgs.messages().collect::<Vec<_>>(),
            self.options.max_datagram,
        )
        .into_iter()
        .map(|bytes| Datagram { to, bytes })
        .collect()
    }
}
