//! Reading a session: the file's values checked, with their places, and
//! turned into the model (session, buses, tracks, effects, lanes).

use super::SESSION_VERSION;
use super::resolve_strip::range;
use super::schema::*;
use crate::config::error::{ConfigError, Diagnostic};
use crate::dsp::fader_law::{FADER_MAX_DB, GAIN_OFF_DB};
use crate::dsp::generator::{Pulse, ToneSpec, Wave};
use crate::dsp::pan::PanLaw;
use crate::model::{
    AutomationMode, Bus, BusKind, Channels, Controls, DelayFx, Division, Effect, Lane, LaneParam,
    LanePoint, Named, Output, ReverbSpec, Session, StripColour, StripSlot, TEMPO_RANGE, Track,
    TrackSource, normalize_strip_name,
};
use serde_saphyr::{Location, Spanned};
use std::path::{Path, PathBuf};

pub(super) struct Resolver<'a> {
    pub(super) file: &'a Path,
    pub(super) diags: Vec<Diagnostic>,
    /// Valid, but likely not what was meant.
    pub(super) warnings: Vec<Diagnostic>,
    /// The session's rate: lane times in seconds become frames.
    pub(super) rate: u32,
}

impl Resolver<'_> {
    pub(super) fn err(&mut self, loc: Location, message: impl Into<String>) {
        self.diags.push(Diagnostic::at(self.file, loc, message));
    }

    pub(super) fn warn(&mut self, loc: Location, message: impl Into<String>) {
        self.warnings.push(Diagnostic::at(self.file, loc, message));
    }

    pub(super) fn range(&mut self, v: &Spanned<f64>, lo: f64, hi: f64, what: &str) -> f64 {
        if v.value.is_nan() || v.value < lo || v.value > hi {
            self.err(
                v.referenced,
                format!("{what} must be between {lo} and {hi}, not {}", v.value),
            );
            v.value.clamp(lo, hi)
        } else {
            v.value
        }
    }

    pub(super) fn gain(&mut self, v: &Spanned<f64>, what: &str) -> f64 {
        let db = v.value;
        if db == f64::NEG_INFINITY {
            db
        } else if db.is_nan() || db > FADER_MAX_DB || db <= GAIN_OFF_DB {
            self.err(
                v.referenced,
                format!("{what} must be above {GAIN_OFF_DB} and at most +{FADER_MAX_DB} dB, or -.inf for off; not {db}"),
            );
            0.0
        } else {
            db
        }
    }

    pub(super) fn not_here<T>(&mut self, field: &Option<Spanned<T>>, key: &str, kind: &str) {
        if let Some(f) = field {
            self.err(f.referenced, format!("`{key}` does not apply to {kind}"));
        }
    }

    pub(super) fn session(&mut self, raw: SessionFile) -> Result<Session, ConfigError> {
        self.diags.extend(crate::config::yaml::wrong_version(
            &raw.version,
            SESSION_VERSION,
            "session",
            self.file,
        ));
        let mut s = Session::new(&raw.name, raw.sample_rate.value);
        self.rate = raw.sample_rate.value.max(1);
        if !(8_000..=384_000).contains(&raw.sample_rate.value) {
            self.err(
                raw.sample_rate.referenced,
                "sample_rate must be between 8000 and 384000",
            );
        }
        if let Some(len) = &raw.length_s {
            s.length_s = Some(self.range(len, 0.0, 86_400.0, "length_s"));
        }
        if let Some(law) = &raw.pan_law_db {
            match PanLaw::from_centre_db(law.value) {
                Some(l) => s.pan_law = l,
                None => self.err(law.referenced, "pan_law_db must be 0, -3, -4.5 or -6"),
            }
        }
        if let Some(ms) = &raw.smoothing_ms {
            s.smoothing_ms = self.range(ms, 0.0, 1000.0, "smoothing_ms");
        }
        if let Some(bpm) = &raw.tempo_bpm {
            s.tempo_bpm = self.range(bpm, TEMPO_RANGE.0, TEMPO_RANGE.1, "tempo_bpm");
        }

        // Buses first: tracks and sends refer to them by name.
        for b in &raw.buses {
            let bus = self.bus(b);
            if let Some(name) = &b.value.name
                && let Err(e) = s.check_rename(StripSlot::Bus(s.buses.len()), &bus.name)
            {
                self.err(name.referenced, e.to_string());
            }
            s.buses.push(bus);
        }
        for (j, b) in raw.buses.iter().map(|b| &b.value).enumerate() {
            let kind = s.buses[j].kind;
            let sends = self.sends(&b.sends, &s.buses, "bus");
            if kind == BusKind::Aux && !sends.is_empty() {
                self.err(
                    b.sends[0].referenced,
                    "aux buses cannot have sends (only tracks and group buses)",
                );
            }
            s.buses[j].controls.sends = sends;
        }
        for (i, t) in raw.tracks.iter().enumerate() {
            let track = self.track(&t.value, i, &s.buses);
            if let Some(name) = &t.value.name
                && let Err(e) = s.check_rename(StripSlot::Track(i), &track.name)
            {
                self.err(name.referenced, e.to_string());
            }
            s.tracks.push(track);
        }
        if let Some(m) = &raw.master {
            let m = &m.value;
            for (field, key) in [(&m.name, "name"), (&m.output, "output")] {
                self.not_here(field, key, "master");
            }
            self.not_here(&m.kind, "kind", "master");
            self.not_here(&m.channels, "channels", "master");
            self.not_here(&m.source, "source", "master");
            self.not_here(&m.solo, "solo", "master");
            self.not_here(&m.solo_safe, "solo_safe", "master");
            self.not_here(&m.delay, "delay", "master (effects are on aux buses)");
            self.not_here(&m.reverb, "reverb", "master (effects are on aux buses)");
            if let Some(send) = m.sends.first() {
                self.err(send.referenced, "master has no sends");
            }
            s.master = self.controls(m);
        }
        if self.diags.is_empty() {
            Ok(s)
        } else {
            Err(ConfigError::Invalid(std::mem::take(&mut self.diags)))
        }
    }

    pub(super) fn bus(&mut self, spanned: &Spanned<StripFile>) -> Bus {
        let b = &spanned.value;
        self.not_here(&b.channels, "channels", "a bus (buses are stereo)");
        self.not_here(&b.source, "source", "a bus (buses are fed by tracks)");
        self.not_here(&b.output, "output", "a bus (buses feed master)");
        self.not_here(&b.limiter, "limiter", "a bus (the limiter is the master's)");
        let name = match &b.name {
            Some(n) => normalize_strip_name(&n.value),
            None => {
                self.err(spanned.referenced, "every bus needs a name");
                String::new()
            }
        };
        let kind = match &b.kind {
            Some(k) => match k.value {
                BusKindFile::Aux => BusKind::Aux,
                BusKindFile::Group => BusKind::Group,
            },
            None => BusKind::Aux,
        };
        let effect = match (&b.delay, &b.reverb) {
            (Some(d), Some(r)) => {
                self.delay(d);
                self.reverb(r);
                self.err(r.referenced, "a bus has one effect: delay or reverb");
                Effect::None
            }
            (Some(d), None) => Effect::Delay(self.delay(d)),
            (None, Some(r)) => Effect::Reverb(self.reverb(r)),
            (None, None) => Effect::None,
        };
        if kind == BusKind::Group && effect != Effect::None {
            let at = match (&b.delay, &b.reverb) {
                (Some(d), _) => Some(d.referenced),
                (None, Some(r)) => Some(r.referenced),
                (None, None) => None,
            };
            if let Some(at) = at {
                self.err(
                    at,
                    "effects are for aux buses (send to them), not group buses",
                );
            }
        }
        Bus {
            name,
            kind,
            controls: Controls {
                effect,
                ..self.controls(b)
            },
        }
    }

    pub(super) fn delay(&mut self, f: &Spanned<DelayFile>) -> DelayFx {
        use crate::mixer::{DelayParam, Param};
        let v = &f.value;
        let mut d = DelayFx::default();
        let fields = [
            (
                &v.time,
                range(Param::Delay(DelayParam::Time)),
                "delay time",
                &mut d.echo.time_ms,
            ),
            (
                &v.feedback,
                range(Param::Delay(DelayParam::Feedback)),
                "delay feedback",
                &mut d.echo.feedback,
            ),
            (
                &v.hpf,
                range(Param::Delay(DelayParam::Hpf)),
                "delay hpf",
                &mut d.echo.hpf_hz,
            ),
            (
                &v.lpf,
                range(Param::Delay(DelayParam::Lpf)),
                "delay lpf",
                &mut d.echo.lpf_hz,
            ),
        ];
        for (field, range, what, slot) in fields {
            if let Some(x) = self.opt(field, range, what) {
                *slot = x;
            }
        }
        if let Some(p) = v.ping_pong {
            d.echo.ping_pong = p;
        }
        if let Some(sync) = &v.sync {
            d.sync = Division::parse(&sync.value);
            if d.sync.is_none() {
                self.err(
                    sync.referenced,
                    format!(
                        "sync '{}' is not a note value such as 1/4, 1/8d or 1/16t",
                        sync.value
                    ),
                );
            }
        }
        d
    }

    pub(super) fn reverb(&mut self, f: &Spanned<ReverbFile>) -> ReverbSpec {
        use crate::mixer::{Param, ReverbParam};
        let v = &f.value;
        let mut r = ReverbSpec::default();
        let fields = [
            (
                &v.size,
                range(Param::Reverb(ReverbParam::Size)),
                "reverb size",
                &mut r.size,
            ),
            (
                &v.decay,
                range(Param::Reverb(ReverbParam::Decay)),
                "reverb decay",
                &mut r.decay_s,
            ),
            (
                &v.predelay,
                range(Param::Reverb(ReverbParam::Predelay)),
                "reverb predelay",
                &mut r.predelay_ms,
            ),
            (
                &v.damping,
                range(Param::Reverb(ReverbParam::Damping)),
                "reverb damping",
                &mut r.damping,
            ),
            (
                &v.width,
                range(Param::Reverb(ReverbParam::Width)),
                "reverb width",
                &mut r.width,
            ),
        ];
        for (field, range, what, slot) in fields {
            if let Some(x) = self.opt(field, range, what) {
                *slot = x;
            }
        }
        r
    }

    pub(super) fn track(&mut self, t: &StripFile, index: usize, buses: &[Bus]) -> Track {
        self.not_here(&t.kind, "kind", "a track (it is for buses)");
        self.not_here(
            &t.limiter,
            "limiter",
            "a track (the limiter is the master's)",
        );
        self.not_here(&t.delay, "delay", "a track (effects are on aux buses)");
        self.not_here(&t.reverb, "reverb", "a track (effects are on aux buses)");
        let name = t.name.as_ref().map_or_else(
            || format!("Track {}", index + 1),
            |n| normalize_strip_name(&n.value),
        );
        let channels = match t.channels.as_ref().map(|c| c.value) {
            Some(ChannelsFile::Stereo) => Channels::Stereo,
            _ => Channels::Mono,
        };
        let source = match &t.source {
            Some(src) => self.source(src, index),
            None => TrackSource::None,
        };
        let output = match &t.output {
            None => Output::Master,
            Some(o) if o.value.eq_ignore_ascii_case("master") => Output::Master,
            Some(o) => match buses.iter().position(|b| b.name == o.value) {
                Some(b) if buses[b].kind == BusKind::Group => Output::Bus(b),
                Some(_) => {
                    self.err(o.referenced, format!("'{}' is an aux bus: feed it with a send; output takes master or a group bus", o.value));
                    Output::Master
                }
                None => {
                    self.err(
                        o.referenced,
                        format!(
                            "no bus named '{}' (output takes master or a group bus)",
                            o.value
                        ),
                    );
                    Output::Master
                }
            },
        };
        let mut controls = self.controls(t);
        controls.sends = self.sends(&t.sends, buses, "track");
        Track {
            name,
            channels,
            source,
            output,
            controls,
        }
    }

    pub(super) fn source(&mut self, src: &Spanned<SourceFile>, index: usize) -> TrackSource {
        let v = &src.value;
        let given = [v.input.is_some(), v.file.is_some(), v.tone.is_some()];
        if given.iter().filter(|x| **x).count() != 1 {
            self.err(
                src.referenced,
                "source takes exactly one of `input`, `file` or `tone`",
            );
            return TrackSource::None;
        }
        if v.looped.is_some() && v.file.is_none() {
            self.err(src.referenced, "`loop` applies to file sources only");
        }
        if let Some(ch) = &v.input {
            if ch.value == 0 {
                self.err(ch.referenced, "input channels are numbered from 1");
            }
            return TrackSource::Input(ch.value.max(1));
        }
        if let Some(f) = &v.file {
            if f.value.trim().is_empty() {
                self.err(f.referenced, "file path is empty");
            }
            return TrackSource::File {
                path: PathBuf::from(&f.value),
                looped: v.looped.unwrap_or(false),
            };
        }
        let t = v.tone.as_ref().expect("one source kind is set");
        let pulse = t.pulse.as_ref().map(|p| Pulse {
            bpm: self.range(&p.bpm, 1.0, 999.0, "bpm"),
            decay_ms: self.range(&p.decay_ms, 1.0, 60_000.0, "decay_ms"),
            offset_beats: p.offset_beats,
        });
        TrackSource::Tone(ToneSpec {
            wave: match t.wave {
                WaveFile::Sine => Wave::Sine,
                WaveFile::Square => Wave::Square,
                WaveFile::Saw => Wave::Saw,
                WaveFile::White => Wave::White,
                WaveFile::Pink => Wave::Pink,
            },
            freq_hz: self.range(&t.freq_hz, 1.0, 24_000.0, "freq_hz"),
            level_db: self.range(&t.level_db, -120.0, 0.0, "level_db"),
            pulse,
            seed: t.seed.unwrap_or(index as u64 + 1),
        })
    }

    pub(super) fn colour(&mut self, v: &Spanned<String>) -> StripColour {
        self.named(v, "colour")
    }

    /// A named choice: unknown names are an error naming the choices.
    fn named<T: Named + Default>(&mut self, v: &Spanned<String>, what: &str) -> T {
        T::from_name(&v.value).unwrap_or_else(|| {
            let names: Vec<&str> = T::ALL.iter().map(|c| c.name()).collect();
            let (last, rest) = names.split_last().unwrap_or((&"", &[]));
            self.err(
                v.referenced,
                format!("{what} '{}' is not {} or {last}", v.value, rest.join(", ")),
            );
            T::default()
        })
    }

    pub(super) fn mode(&mut self, v: &Spanned<String>) -> AutomationMode {
        self.named(v, "automation")
    }

    /// A strip's lanes; `sends` is how many sends it has.
    pub(super) fn lanes(
        &mut self,
        lanes: &std::collections::BTreeMap<String, Spanned<LaneFile>>,
        sends: usize,
    ) -> std::collections::BTreeMap<LaneParam, Lane> {
        let mut out = std::collections::BTreeMap::new();
        for (name, lane) in lanes {
            let Some(param) = LaneParam::from_name(name) else {
                self.err(
                    lane.referenced,
                    format!("'{name}' is not an automatable parameter (gain, trim, pan, mute, send/N/gain, hpf/on|freq, eq/on, eq/N/on|gain|freq|q, comp/on|threshold|ratio|knee|attack|release|makeup|sc_hpf, gate/on|threshold|ratio|range|attack|hold|release, limiter/ceiling|release, delay/time|feedback|hpf|lpf, reverb/size|decay|predelay|damping|width)"),
                );
                continue;
            };
            if let LaneParam::SendGain(k) = param
                && k >= sends
            {
                self.err(
                    lane.referenced,
                    format!("lane '{name}': this strip has {sends} sends"),
                );
                continue;
            }
            let mode = lane.value.mode.as_ref().map(|m| self.mode(m));
            let mut points: Vec<LanePoint> = Vec::with_capacity(lane.value.points.len());
            for p in &lane.value.points {
                let [t, v] = p.value;
                if !(t.is_finite() && (0.0..=86_400.0).contains(&t)) {
                    self.err(
                        p.referenced,
                        format!("a lane time is 0..=86400 seconds, not {t}"),
                    );
                    continue;
                }
                let frame = (t * f64::from(self.rate)).round() as u64;
                if points.last().is_some_and(|l| l.frame > frame) {
                    self.err(p.referenced, "lane points must be in time order");
                    continue;
                }
                let (lo, hi) = crate::mixer::automation::lane_spec(param).range;
                let value = match param {
                    LaneParam::Gain | LaneParam::SendGain(_) => {
                        if v == f64::NEG_INFINITY || v <= GAIN_OFF_DB {
                            GAIN_OFF_DB
                        } else if v.is_nan() || v > FADER_MAX_DB {
                            self.err(p.referenced, format!("a gain lane value is at most +{FADER_MAX_DB} dB, or -.inf for off; not {v}"));
                            continue;
                        } else {
                            v
                        }
                    }
                    LaneParam::Trim => {
                        if !(lo..=hi).contains(&v) {
                            self.err(
                                p.referenced,
                                format!("a trim lane value is within +/-{hi} dB, not {v}"),
                            );
                            continue;
                        }
                        v
                    }
                    LaneParam::Pan => {
                        if !(lo..=hi).contains(&v) {
                            self.err(
                                p.referenced,
                                format!("a pan lane value is {lo}..={hi}, not {v}"),
                            );
                            continue;
                        }
                        v
                    }
                    LaneParam::Mute => {
                        if v != 0.0 && v != 1.0 {
                            self.err(
                                p.referenced,
                                format!("a mute lane value is 0 or 1, not {v}"),
                            );
                            continue;
                        }
                        v
                    }
                    LaneParam::Proc(target) => {
                        if target.is_switch() && v != 0.0 && v != 1.0 {
                            self.err(
                                p.referenced,
                                format!("{name} lane values are 0 or 1, not {v}"),
                            );
                            continue;
                        }
                        if !(lo..=hi).contains(&v) {
                            self.err(
                                p.referenced,
                                format!("{name} lane values are {lo}..={hi}, not {v}"),
                            );
                            continue;
                        }
                        v
                    }
                };
                points.push(LanePoint { frame, value });
            }
            out.insert(param, Lane { mode, points });
        }
        out
    }
}
