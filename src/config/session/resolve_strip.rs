//! Reading a session: a strip's processing (EQ, dynamics, limiter),
//! controls, insert and sends.

use super::resolve::Resolver;
use super::schema::*;
use crate::mixer::{BandParam, CompParam, EqParam, GateParam, LimiterParam, Param};
use crate::model::{
    AutomationMode, BandKind, Bus, BusKind, CompSetting, CompSpec, Controls, Detect, Effect, Eq,
    GateSetting, GateSpec, HpfSlope, Insert, LimiterSpec, Send, SendTarget, StripColour,
    StripOrder,
};

/// The range the parameter table gives `p`.
pub(super) fn range(p: Param) -> (f64, f64) {
    p.spec().range
}
use serde_saphyr::{Location, Spanned};

impl Resolver<'_> {
    pub(super) fn eq(&mut self, f: &Spanned<EqFile>) -> Eq {
        let mut eq = Eq::default();
        let v = &f.value;
        if let Some(on) = v.on {
            eq.on = on;
        }
        if let Some(h) = &v.hpf {
            if let Some(on) = h.value.on {
                eq.hpf_on = on;
            } else {
                eq.hpf_on = true;
            }
            if let Some(freq) = &h.value.freq {
                let (lo, hi) = range(Param::Eq(EqParam::HpfFreq));
                eq.hpf_hz = self.range(freq, lo, hi, "hpf freq");
            }
            if let Some(sl) = &h.value.slope {
                match HpfSlope::from_db(sl.value) {
                    Some(x) => eq.hpf_slope = x,
                    None => self.err(sl.referenced, "hpf slope is 12, 18 or 24 (dB/octave)"),
                }
            }
        }
        if v.bands.len() > 4 {
            self.err(v.bands[4].referenced, "the EQ has 4 bands");
        }
        for (k, (b, spanned)) in eq.bands.iter_mut().zip(&v.bands).enumerate() {
            let band = |p: BandParam| range(Param::Eq(EqParam::Band(k, p)));
            let x = &spanned.value;
            if let Some(on) = x.on {
                b.on = on;
            }
            if let Some(k) = &x.kind {
                match BandKind::from_name(&k.value) {
                    Some(kind) => b.kind = kind,
                    None => self.err(
                        k.referenced,
                        format!(
                            "band type '{}' is not low_shelf, peak, high_shelf, low_pass, high_pass or notch",
                            k.value
                        ),
                    ),
                }
            }
            if let Some(freq) = &x.freq {
                let (lo, hi) = band(BandParam::Freq);
                b.freq_hz = self.range(freq, lo, hi, "band freq");
            }
            if let Some(g) = &x.gain {
                let (lo, hi) = band(BandParam::Gain);
                b.gain_db = self.range(g, lo, hi, "band gain");
            }
            if let Some(q) = &x.q {
                let (lo, hi) = band(BandParam::Q);
                b.q = self.range(q, lo, hi, "band q");
            }
        }
        eq
    }

    /// `field` if given, checked against `range`.
    pub(super) fn opt(
        &mut self,
        field: &Option<Spanned<f64>>,
        range: (f64, f64),
        what: &str,
    ) -> Option<f32> {
        field
            .as_ref()
            .map(|v| self.range(v, range.0, range.1, what) as f32)
    }

    pub(super) fn comp(&mut self, f: &Spanned<CompFile>) -> CompSpec {
        let v = &f.value;
        let mut c = CompSpec {
            on: v.on.unwrap_or(true),
            ..CompSpec::default()
        };
        for (p, s) in CompParam::all().filter_map(|p| Some((p, p.setting()?))) {
            let field = match s {
                CompSetting::Threshold => &v.threshold,
                CompSetting::Ratio => &v.ratio,
                CompSetting::Knee => &v.knee,
                CompSetting::Attack => &v.attack,
                CompSetting::Release => &v.release,
                CompSetting::Makeup => &v.makeup,
                CompSetting::ScHpf => &v.sc_hpf,
            };
            if let Some(x) = self.opt(field, range(Param::Comp(p)), &format!("comp {}", s.key())) {
                *s.field(&mut c) = x;
            }
        }
        if let Some(d) = &v.detect {
            c.detect = match d.value.as_str() {
                "peak" => Detect::Peak,
                "rms" => Detect::Rms,
                other => {
                    self.err(d.referenced, format!("detect '{other}' is not peak or rms"));
                    Detect::Peak
                }
            };
        }
        c
    }

    pub(super) fn limiter(&mut self, f: &Spanned<LimiterFile>) -> LimiterSpec {
        let v = &f.value;
        let mut l = LimiterSpec {
            on: v.on.unwrap_or(true),
            ..LimiterSpec::default()
        };
        if let Some(x) = self.opt(
            &v.ceiling,
            range(Param::Limiter(LimiterParam::Ceiling)),
            "limiter ceiling",
        ) {
            l.ceiling_dbtp = x;
        }
        if let Some(x) = self.opt(
            &v.release,
            range(Param::Limiter(LimiterParam::Release)),
            "limiter release",
        ) {
            l.release_ms = x;
        }
        l
    }

    pub(super) fn gate(&mut self, f: &Spanned<GateFile>) -> GateSpec {
        let v = &f.value;
        let mut g = GateSpec {
            on: v.on.unwrap_or(true),
            ..GateSpec::default()
        };
        for (p, s) in GateParam::all().filter_map(|p| Some((p, p.setting()?))) {
            let field = match s {
                GateSetting::Threshold => &v.threshold,
                GateSetting::Ratio => &v.ratio,
                GateSetting::Range => &v.range,
                GateSetting::Attack => &v.attack,
                GateSetting::Hold => &v.hold,
                GateSetting::Release => &v.release,
            };
            if let Some(x) = self.opt(field, range(Param::Gate(p)), &format!("gate {}", s.key())) {
                *s.field(&mut g) = x;
            }
        }
        g
    }

    pub(super) fn controls(&mut self, f: &StripFile) -> Controls {
        let d = Controls::default();
        let lanes = self.lanes(&f.lanes, f.sends.len());
        if f.automation.is_none()
            && let Some((name, lane)) = f.lanes.iter().next()
        {
            self.warn(
                lane.referenced,
                format!(
                    "lane `{name}` does not play: this strip has no `automation:` mode, and the default is off (add `automation: read`)"
                ),
            );
        }
        let eq = f.eq.as_ref().map_or_else(Eq::default, |e| self.eq(e));
        let comp = f
            .comp
            .as_ref()
            .map_or_else(CompSpec::default, |c| self.comp(c));
        let gate = f
            .gate
            .as_ref()
            .map_or_else(GateSpec::default, |g| self.gate(g));
        let order = match &f.order {
            None => StripOrder::default(),
            Some(o) => StripOrder::from_name(&o.value).unwrap_or_else(|| {
                self.err(
                    o.referenced,
                    format!("order '{}' is not eq_dyn or dyn_eq", o.value),
                );
                StripOrder::default()
            }),
        };
        Controls {
            lanes,
            eq,
            comp,
            gate,
            order,
            limiter: f
                .limiter
                .as_ref()
                .map_or_else(LimiterSpec::default, |l| self.limiter(l)),
            // Set by `bus` (effects are the aux buses').
            effect: Effect::None,
            trim_db: f.trim_db.as_ref().map_or(d.trim_db, |v| {
                let (lo, hi) = range(Param::Trim);
                self.range(v, lo, hi, "trim_db")
            }),
            invert: f.invert.as_ref().is_some_and(|v| v.value),
            gain_db: f
                .gain_db
                .as_ref()
                .map_or(d.gain_db, |v| self.gain(v, "gain_db")),
            pan: f
                .pan
                .as_ref()
                .map_or(d.pan, |v| self.range(v, 0.0, 1.0, "pan")),
            mute: f.mute.as_ref().is_some_and(|v| v.value),
            solo: f.solo.as_ref().is_some_and(|v| v.value),
            solo_safe: f.solo_safe.as_ref().is_some_and(|v| v.value),
            automation: f
                .automation
                .as_ref()
                .map_or(AutomationMode::Off, |v| self.mode(v)),
            colour: f
                .colour
                .as_ref()
                .map_or(StripColour::None, |v| self.colour(v)),
            sends: Vec::new(),
            insert: f.insert.as_ref().map(|i| self.insert(&i.value)),
        }
    }

    pub(super) fn insert(&mut self, i: &InsertFile) -> Insert {
        for ch in [&i.output, &i.input] {
            if !(1..=MAX_INTERFACE_CHANNEL).contains(&ch.value) {
                self.err(
                    ch.referenced,
                    format!("an interface channel is 1..={MAX_INTERFACE_CHANNEL}"),
                );
            }
        }
        if i.output.value == 1 || i.output.value == 2 {
            self.err(
                i.output.referenced,
                "interface outputs 1 and 2 carry the master mix; send the insert from 3 up",
            );
        }
        Insert {
            output: i.output.value,
            input: i.input.value,
            wet: i
                .wet
                .as_ref()
                .map_or(1.0, |w| self.range(w, 0.0, 1.0, "insert wet")),
            bypass: i.bypass,
            latency: i.latency.clone(),
        }
    }

    pub(super) fn sends(
        &mut self,
        sends: &[Spanned<SendFile>],
        buses: &[Bus],
        from: &str,
    ) -> Vec<Send> {
        let mut out = Vec::new();
        for spanned in sends {
            let s = &spanned.value;
            let target = match (&s.bus, &s.output) {
                (Some(bus), None) => match buses.iter().position(|b| b.name == bus.value) {
                    Some(b) if buses[b].kind == BusKind::Aux => SendTarget::Bus(b),
                    Some(_) => {
                        self.err(
                            bus.referenced,
                            format!(
                                "'{}' is a group bus: a {from} sends to aux buses only",
                                bus.value
                            ),
                        );
                        continue;
                    }
                    None => {
                        self.err(bus.referenced, format!("no aux bus named '{}'", bus.value));
                        continue;
                    }
                },
                (None, Some(o)) => {
                    if !(3..MAX_INTERFACE_CHANNEL).contains(&o.value) {
                        self.err(
                            o.referenced,
                            format!(
                                "a hardware send uses interface outputs N and N+1, N in 3..={} (1 and 2 carry the master)",
                                MAX_INTERFACE_CHANNEL - 1
                            ),
                        );
                        continue;
                    }
                    SendTarget::Output(o.value)
                }
                _ => {
                    self.err(
                        spanned.referenced,
                        "a send names exactly one of bus (an aux bus) or output (interface outputs)",
                    );
                    continue;
                }
            };
            if s.gain_db.referenced == Location::UNKNOWN {
                self.warn(
                    spanned.referenced,
                    "this send has no `gain_db`: it is off (-.inf) until a level is set",
                );
            }
            out.push(Send {
                target,
                gain_db: self.gain(&s.gain_db, "send gain_db"),
                pan: s
                    .pan
                    .as_ref()
                    .map_or(0.5, |p| self.range(p, 0.0, 1.0, "send pan")),
                pre: s.pre,
            });
        }
        out
    }
}
