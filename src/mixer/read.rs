//! What the hub shows: every control's value by its address, and every
//! address a session has (what a newly connected surface is sent).
//!
//! Thread: hub.

use super::*;

impl Hub {
    /// The strip's compressor and gate as static curves: for each input
    /// level in `inputs_db` (dBFS at the detector), the compressor's
    /// output level (make-up included) and the gate's, in dB, from the
    /// engine's own curve functions. A processor that is off passes the
    /// level unchanged.
    pub fn dynamics_curves(
        &self,
        strip: StripRef,
        inputs_db: &[f64],
    ) -> Result<Vec<(f64, f64)>, IntentError> {
        use crate::dsp::dynamics::{comp_curve, gate_curve};
        let c = self
            .session
            .controls(strip)
            .ok_or(IntentError::NoSuchTarget(Address::new(strip, Param::Fader)))?;
        let (comp, gate) = (c.comp, c.gate);
        Ok(inputs_db
            .iter()
            .map(|&x| {
                let xf = x as f32;
                let comped = if comp.on {
                    f64::from(
                        comp_curve(xf, comp.threshold_db, comp.ratio, comp.knee_db)
                            + comp.makeup_db,
                    )
                } else {
                    x
                };
                let gated = if gate.on {
                    x + f64::from(gate_curve(xf, gate.threshold_db, gate.ratio, gate.range_db))
                } else {
                    x
                };
                (comped, gated)
            })
            .collect())
    }

    /// The strip's filter and EQ, as set now, at each of `freqs_hz`: the
    /// gain in dB of the very sections the engine runs, at its rate (what
    /// a screen draws as the EQ curve).
    pub fn eq_response_db(
        &self,
        strip: StripRef,
        freqs_hz: &[f64],
    ) -> Result<Vec<f64>, IntentError> {
        let c = self
            .session
            .controls(strip)
            .ok_or(IntentError::NoSuchTarget(Address::new(strip, Param::Fader)))?;
        let eq = crate::dsp::eq::StripEq::new(
            super::build::eq_spec(&c.eq),
            self.engine_config.sample_rate,
            0,
        );
        Ok(freqs_hz.iter().map(|&f| eq.magnitude_db(f)).collect())
    }

    /// Every address that has a value in this session, strip by strip: what
    /// a newly connected surface needs to show the whole mix.
    pub fn addresses(&self) -> Vec<Address> {
        const PARAMS: [Param; 12] = [
            Param::Name,
            Param::Colour,
            Param::Fader,
            Param::Gain,
            Param::Trim,
            Param::Polarity,
            Param::Pan,
            Param::Mute,
            Param::Solo,
            Param::SoloSafe,
            Param::Output,
            Param::Automation,
        ];
        let mut out = Vec::new();
        for strip in self.strips() {
            let sends = self.session.controls(strip).map_or(0, |c| c.sends.len());
            let send_params = (0..sends).flat_map(|k| {
                [
                    SendParam::Fader,
                    SendParam::Gain,
                    SendParam::Pan,
                    SendParam::Pre,
                    SendParam::Bus,
                ]
                .map(|p| Param::Send(k, p))
            });
            let insert_params = [
                InsertParam::Wet,
                InsertParam::Bypass,
                InsertParam::Latency,
                InsertParam::Measure,
            ]
            .map(Param::Insert);
            let eq_params = [
                EqParam::On,
                EqParam::HpfOn,
                EqParam::HpfFreq,
                EqParam::HpfSlope,
            ]
            .into_iter()
            .chain((0..4).flat_map(|k| {
                [
                    BandParam::On,
                    BandParam::Type,
                    BandParam::Freq,
                    BandParam::Gain,
                    BandParam::Q,
                ]
                .map(|b| EqParam::Band(k, b))
            }))
            .map(Param::Eq)
            .chain(CompParam::all().map(Param::Comp))
            .chain(GateParam::all().map(Param::Gate))
            .chain(std::iter::once(Param::Order))
            .chain(LimiterParam::all().map(Param::Limiter))
            .chain(std::iter::once(Param::Fx))
            .chain(DelayParam::all().map(Param::Delay))
            .chain(ReverbParam::all().map(Param::Reverb));
            out.extend(
                PARAMS
                    .into_iter()
                    .chain(send_params)
                    .chain(insert_params)
                    .chain(eq_params)
                    .map(|p| Address::new(strip, p))
                    .filter(|a| self.get(*a).is_ok()),
            );
        }
        out
    }

    /// Read the current value at `address` (for state dumps to a new client).
    pub fn get(&self, address: Address) -> Result<Value, IntentError> {
        if let Some(v) = self.trim_view(address) {
            return Ok(v);
        }
        let c = self
            .session
            .controls(address.strip)
            .ok_or(IntentError::NoSuchTarget(address))?;
        let solo_target = |v: bool| {
            if address.strip == StripRef::Master {
                Err(IntentError::NotOnThisStrip(address))
            } else {
                Ok(Value::Bool(v))
            }
        };
        Ok(match address.param {
            Param::Fx | Param::Delay(_) | Param::Reverb(_) => return self.get_effect(address),
            Param::Fader => Value::Float(db_to_pos(c.gain_db)),
            Param::Gain => Value::Float(c.gain_db),
            Param::Trim => Value::Float(c.trim_db),
            Param::Polarity => Value::Bool(c.invert),
            Param::Pan => Value::Float(c.pan),
            Param::Mute => Value::Bool(c.mute),
            Param::Solo => return solo_target(c.solo),
            Param::SoloSafe => return solo_target(c.solo_safe),
            Param::Name => Value::Text(match address.strip {
                StripRef::Track(i) => self.session.tracks[i].name.clone(),
                StripRef::Bus(i) => self.session.buses[i].name.clone(),
                StripRef::Master => "Master".to_owned(),
            }),
            Param::Output => match address.strip {
                StripRef::Track(i) => Value::Text(match self.session.tracks[i].output {
                    Output::Master => "master".to_owned(),
                    Output::Bus(b) => self.session.buses[b].name.clone(),
                }),
                _ => return Err(IntentError::NotOnThisStrip(address)),
            },
            Param::Automation => Value::Text(c.automation.as_str().to_owned()),
            Param::Colour => Value::Text(c.colour.as_str().to_owned()),
            Param::Insert(p) => {
                let ins = c
                    .insert
                    .as_ref()
                    .ok_or(IntentError::NoSuchTarget(address))?;
                match p {
                    InsertParam::Wet => Value::Float(ins.wet),
                    InsertParam::Bypass => Value::Bool(ins.bypass),
                    InsertParam::Latency => {
                        Value::Float(f64::from(*ins.latency.get(&self.period).unwrap_or(&0)))
                    }
                    InsertParam::Measure => Value::Text(
                        self.measurements
                            .reports
                            .get(&address.strip)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                }
            }
            Param::Send(k, p) => {
                let s = c.sends.get(k).ok_or(IntentError::NoSuchTarget(address))?;
                match p {
                    SendParam::Fader => Value::Float(db_to_pos(s.gain_db)),
                    SendParam::Gain => Value::Float(s.gain_db),
                    SendParam::Pan => Value::Float(s.pan),
                    SendParam::Pre => Value::Bool(s.pre),
                    SendParam::Bus => Value::Text(self.send_target_name(s.target)),
                }
            }
            Param::Order => Value::Text(c.order.as_str().to_owned()),
            Param::Comp(CompParam::On) => Value::Bool(c.comp.on),
            Param::Comp(CompParam::Detect) => Value::Text(
                match c.comp.detect {
                    crate::model::Detect::Peak => "peak",
                    crate::model::Detect::Rms => "rms",
                }
                .to_owned(),
            ),
            Param::Comp(p) => {
                let mut comp = c.comp;
                let v = comp_field(&mut comp, p).map_or(0.0, |f| *f);
                Value::Float(f64::from(v))
            }
            Param::Limiter(_) if address.strip != StripRef::Master => {
                return Err(IntentError::NotOnThisStrip(address));
            }
            Param::Limiter(LimiterParam::On) => Value::Bool(c.limiter.on),
            Param::Limiter(LimiterParam::Ceiling) => {
                Value::Float(f64::from(c.limiter.ceiling_dbtp))
            }
            Param::Limiter(LimiterParam::Release) => Value::Float(f64::from(c.limiter.release_ms)),
            Param::Gate(GateParam::On) => Value::Bool(c.gate.on),
            Param::Gate(p) => {
                let mut gate = c.gate;
                let v = gate_field(&mut gate, p).map_or(0.0, |f| *f);
                Value::Float(f64::from(v))
            }
            Param::Eq(p) => {
                let eq = &c.eq;
                match p {
                    EqParam::On => Value::Bool(eq.on),
                    EqParam::HpfOn => Value::Bool(eq.hpf_on),
                    EqParam::HpfFreq => Value::Float(eq.hpf_hz),
                    EqParam::HpfSlope => Value::Float(f64::from(eq.hpf_slope.db_per_octave())),
                    EqParam::Band(k, b) => {
                        let band = eq.bands.get(k).ok_or(IntentError::NoSuchTarget(address))?;
                        match b {
                            BandParam::On => Value::Bool(band.on),
                            BandParam::Type => Value::Text(band.kind.as_str().to_owned()),
                            BandParam::Freq => Value::Float(band.freq_hz),
                            BandParam::Gain => Value::Float(band.gain_db),
                            BandParam::Q => Value::Float(band.q),
                        }
                    }
                }
            }
        })
    }
}
