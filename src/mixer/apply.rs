//! Applying one intent: validate, clamp, update the model, tell the engine
//! what changed and record the feedback ([`Hub::apply`]).

use super::{
    Address, BandParam, CompParam, EqParam, GateParam, Hub, InsertParam, IntentError, LimiterParam,
    Origin, Param, SendParam, StripRef, Value, automation,
};
use crate::dsp::{db_to_pos, pos_to_db};
use crate::model::{AutomationMode, Named, StripSlot};

impl Hub {
    /// Parse `address` and apply it; see [`Hub::apply`].
    pub fn apply_str(
        &mut self,
        origin: Origin,
        address: &str,
        value: Value,
    ) -> Result<Value, IntentError> {
        self.apply(origin, Address::parse(address)?, value)
    }

    /// Apply one intent: validate, clamp, update the model, forward to the
    /// engine and record feedback. Returns the value as applied.
    pub fn apply(
        &mut self,
        origin: Origin,
        address: Address,
        value: Value,
    ) -> Result<Value, IntentError> {
        self.unsettle_play();
        if let Value::Float(x) = value
            && !x.is_finite()
        {
            return Err(IntentError::NotFinite(address));
        }
        // A lane in read mode drives its control: surface moves are refused
        // (the surface is told the value that plays).
        if origin != Origin::Daemon && self.reads_lane(address) {
            return self.get(address);
        }
        let spec = address.param.spec();
        // A number, clamped to the parameter table's range.
        let number = |value: &Value| float(address, value).map(|x| spec.clamp(x));
        // Trim mode: gain controls set a dB offset on top of the lane.
        let trim_db = match (address.param, &value) {
            (Param::Fader | Param::Send(_, SendParam::Fader), Value::Float(p)) => {
                Some(pos_to_db(spec.clamp(*p)))
            }
            (Param::Gain | Param::Send(_, SendParam::Gain), Value::Float(db)) => Some(*db),
            _ => None,
        };
        let before = self.before_change(address);
        if let Some(db) = trim_db
            && let Some(applied_db) = self.trim_move(address, db)
        {
            self.record_change(address, origin);
            self.touched_by_move(address.lane(), origin);
            self.automation_moved(address, before.live);
            return Ok(match address.param {
                Param::Fader | Param::Send(_, SendParam::Fader) => {
                    Value::Float(db_to_pos(applied_db))
                }
                _ => Value::Float(applied_db),
            });
        }
        let applied = match address.param {
            Param::Fx | Param::Delay(_) | Param::Reverb(_) => self.apply_effect(address, &value)?,
            Param::Fader => {
                let pos = number(&value)?;
                self.set_gain(address, pos_to_db(pos))?;
                Value::Float(pos)
            }
            Param::Gain => {
                let db = number(&value)?;
                self.set_gain(address, db)?;
                Value::Float(db)
            }
            Param::Trim => {
                let db = number(&value)?;
                self.controls_mut(address)?.trim_db = db;
                Value::Float(db)
            }
            Param::Polarity => {
                let on = boolean(address, &value)?;
                self.controls_mut(address)?.invert = on;
                Value::Bool(on)
            }
            Param::Pan => {
                let p = number(&value)?;
                self.controls_mut(address)?.pan = p;
                Value::Float(p)
            }
            Param::Mute => {
                let on = boolean(address, &value)?;
                self.controls_mut(address)?.mute = on;
                Value::Bool(on)
            }
            Param::Solo | Param::SoloSafe => {
                if address.strip == StripRef::Master {
                    return Err(IntentError::NotOnThisStrip(address));
                }
                let on = boolean(address, &value)?;
                let c = self.controls_mut(address)?;
                if address.param == Param::Solo {
                    c.solo = on;
                } else {
                    c.solo_safe = on;
                }
                Value::Bool(on)
            }
            Param::Name => {
                let Value::Text(name) = value else {
                    return Err(IntentError::WrongType {
                        address,
                        expected: "text",
                    });
                };
                let name = crate::model::normalize_strip_name(&name);
                let strip = match address.strip {
                    StripRef::Track(i) => StripSlot::Track(i),
                    StripRef::Bus(i) => StripSlot::Bus(i),
                    StripRef::Master => return Err(IntentError::NotOnThisStrip(address)),
                };
                let slot = match strip {
                    StripSlot::Track(i) => self.session.tracks.get(i).map(|t| &t.name),
                    StripSlot::Bus(i) => self.session.buses.get(i).map(|b| &b.name),
                };
                if slot.ok_or(IntentError::NoSuchTarget(address))? == &name {
                    return Ok(Value::Text(name));
                }
                self.session
                    .check_rename(strip, &name)
                    .map_err(|e| IntentError::BadName(address, e))?;
                let slot = match strip {
                    StripSlot::Track(i) => &mut self.session.tracks[i].name,
                    StripSlot::Bus(i) => &mut self.session.buses[i].name,
                };
                if *slot != name {
                    *slot = name.clone();
                    self.changed(address, Value::Text(name.clone()), origin);
                    if let StripSlot::Bus(b) = strip {
                        self.bus_renamed(b, origin);
                    }
                }
                return Ok(Value::Text(name));
            }
            Param::Output => return self.set_output(origin, address, value),
            Param::Automation => {
                let mode: AutomationMode = named(address, &value)?;
                self.controls_mut(address)?.automation = mode;
                Value::Text(mode.as_str().to_owned())
            }
            Param::Colour => {
                let colour: crate::model::StripColour = named(address, &value)?;
                self.controls_mut(address)?.colour = colour;
                Value::Text(colour.as_str().to_owned())
            }
            Param::Insert(InsertParam::Measure) => {
                // A button's release (0) starts nothing.
                let pressed = match &value {
                    Value::Float(x) => *x >= 0.5,
                    Value::Bool(b) => *b,
                    Value::Text(_) => true,
                };
                if !pressed {
                    return self.get(address);
                }
                return self.start_measurement(origin, address);
            }
            Param::Insert(p) => {
                let period = self.period;
                let ins = self
                    .controls_mut(address)?
                    .insert
                    .as_mut()
                    .ok_or(IntentError::NoSuchTarget(address))?;
                match p {
                    InsertParam::Wet => {
                        ins.wet = number(&value)?;
                        Value::Float(ins.wet)
                    }
                    InsertParam::Bypass => {
                        ins.bypass = boolean(address, &value)?;
                        Value::Bool(ins.bypass)
                    }
                    InsertParam::Latency | InsertParam::Measure => {
                        let frames = number(&value)?.round() as u32;
                        if ins.latency.insert(period, frames) != Some(frames) {
                            // New compensation delays everywhere.
                            self.rebuild();
                        }
                        Value::Float(f64::from(frames))
                    }
                }
            }
            Param::Order => {
                let order = match &value {
                    Value::Text(t) => crate::model::StripOrder::from_name(t),
                    _ => None,
                }
                .ok_or(IntentError::WrongType {
                    address,
                    expected: "eq_dyn or dyn_eq",
                })?;
                self.controls_mut(address)?.order = order;
                Value::Text(order.as_str().to_owned())
            }
            Param::Comp(CompParam::On) => {
                let on = boolean(address, &value)?;
                self.controls_mut(address)?.comp.on = on;
                Value::Bool(on)
            }
            Param::Comp(CompParam::Detect) => {
                let d = match &value {
                    Value::Text(t) if t == "peak" => crate::model::Detect::Peak,
                    Value::Text(t) if t == "rms" => crate::model::Detect::Rms,
                    Value::Float(x) if *x == 0.0 => crate::model::Detect::Peak,
                    Value::Float(x) if *x == 1.0 => crate::model::Detect::Rms,
                    _ => {
                        return Err(IntentError::WrongType {
                            address,
                            expected: "peak or rms (or 0|1)",
                        });
                    }
                };
                self.controls_mut(address)?.comp.detect = d;
                Value::Text(
                    match d {
                        crate::model::Detect::Peak => "peak",
                        crate::model::Detect::Rms => "rms",
                    }
                    .to_owned(),
                )
            }
            Param::Comp(p) => {
                let x = number(&value)?;
                let c = &mut self.controls_mut(address)?.comp;
                let slot = comp_field(c, p).ok_or(IntentError::NoSuchTarget(address))?;
                *slot = x as f32;
                Value::Float(f64::from(*slot))
            }
            Param::Limiter(p) => {
                if address.strip != StripRef::Master {
                    return Err(IntentError::NotOnThisStrip(address));
                }
                let l = &mut self.session.master.limiter;
                match p {
                    LimiterParam::On => {
                        let on = boolean(address, &value)?;
                        if on != l.on {
                            l.on = on;
                            // In or out of the graph (its lookahead is latency).
                            self.rebuild();
                        }
                        Value::Bool(on)
                    }
                    LimiterParam::Ceiling => {
                        l.ceiling_dbtp = number(&value)? as f32;
                        Value::Float(f64::from(l.ceiling_dbtp))
                    }
                    LimiterParam::Release => {
                        l.release_ms = number(&value)? as f32;
                        Value::Float(f64::from(l.release_ms))
                    }
                }
            }
            Param::Gate(GateParam::On) => {
                let on = boolean(address, &value)?;
                self.controls_mut(address)?.gate.on = on;
                Value::Bool(on)
            }
            Param::Gate(p) => {
                let x = number(&value)?;
                let g = &mut self.controls_mut(address)?.gate;
                let slot = gate_field(g, p).ok_or(IntentError::NoSuchTarget(address))?;
                *slot = x as f32;
                Value::Float(f64::from(*slot))
            }
            Param::Eq(p) => {
                use crate::model::{BandKind, HpfSlope};
                match p {
                    EqParam::On => {
                        let on = boolean(address, &value)?;
                        self.controls_mut(address)?.eq.on = on;
                        Value::Bool(on)
                    }
                    EqParam::HpfOn => {
                        let on = boolean(address, &value)?;
                        self.controls_mut(address)?.eq.hpf_on = on;
                        Value::Bool(on)
                    }
                    EqParam::HpfFreq => {
                        let hz = number(&value)?;
                        self.controls_mut(address)?.eq.hpf_hz = hz;
                        Value::Float(hz)
                    }
                    EqParam::HpfSlope => {
                        let slope = HpfSlope::from_db(float(address, &value)?).ok_or(
                            IntentError::WrongType {
                                address,
                                expected: "12, 18 or 24 (dB/octave)",
                            },
                        )?;
                        self.controls_mut(address)?.eq.hpf_slope = slope;
                        Value::Float(f64::from(slope.db_per_octave()))
                    }
                    EqParam::Band(k, b) => {
                        let kind = match (b, &value) {
                            (BandParam::Type, Value::Text(t)) => BandKind::from_name(t),
                            (BandParam::Type, Value::Float(x)) if x.fract() == 0.0 && *x >= 0.0 => {
                                BandKind::ALL.get(*x as usize).copied()
                            }
                            _ => None,
                        };
                        let band = self
                            .controls_mut(address)?
                            .eq
                            .bands
                            .get_mut(k)
                            .ok_or(IntentError::NoSuchTarget(address))?;
                        match b {
                            BandParam::On => {
                                band.on = boolean(address, &value)?;
                                Value::Bool(band.on)
                            }
                            BandParam::Type => {
                                band.kind = kind.ok_or(IntentError::WrongType {
                                    address,
                                    expected: "low_shelf, peak, high_shelf, low_pass, high_pass or notch (or 0..5)",
                                })?;
                                Value::Text(band.kind.as_str().to_owned())
                            }
                            BandParam::Freq => {
                                band.freq_hz = number(&value)?;
                                Value::Float(band.freq_hz)
                            }
                            BandParam::Gain => {
                                band.gain_db = number(&value)?;
                                Value::Float(band.gain_db)
                            }
                            BandParam::Q => {
                                band.q = number(&value)?;
                                Value::Float(band.q)
                            }
                        }
                    }
                }
            }
            Param::Send(k, p) => {
                self.send_mut(address, k)?;
                match p {
                    SendParam::Fader => {
                        let pos = number(&value)?;
                        self.send_mut(address, k)?.gain_db = pos_to_db(pos);
                        Value::Float(pos)
                    }
                    SendParam::Gain => {
                        let db = number(&value)?;
                        self.send_mut(address, k)?.gain_db = db;
                        Value::Float(db)
                    }
                    SendParam::Pan => {
                        let pan = number(&value)?;
                        self.send_mut(address, k)?.pan = pan;
                        Value::Float(pan)
                    }
                    SendParam::Pre => {
                        let pre = boolean(address, &value)?;
                        self.send_mut(address, k)?.pre = pre;
                        Value::Bool(pre)
                    }
                    SendParam::Bus => return Err(IntentError::ReadOnly(address)),
                }
            }
        };
        if spec.ridden {
            self.touched_by_move(address.lane(), origin);
        }
        let changed = before.value.is_none() || self.get(address).ok() != before.value;
        if changed {
            if matches!(address.param, Param::Solo | Param::SoloSafe) {
                self.resolo();
            }
            self.push_strip_parts(address.strip, spec.engine);
            self.record_change(address, origin);
            if let Some(mode) = before.mode {
                if address.param == Param::Automation {
                    self.automation_mode_changed(address.strip, mode);
                } else if origin != Origin::Daemon {
                    self.automation_moved(address, before.live);
                }
            }
        }
        Ok(applied)
    }

    /// What a change to `address` needs to know of the state before it:
    /// the control's value (to tell whether anything changed), its live
    /// value in its lane's units and the strip's automation mode.
    fn before_change(&self, address: Address) -> Before {
        let controls = self.session.controls(address.strip);
        Before {
            value: self.get(address).ok(),
            live: controls.and_then(|c| automation::live_value_of(c, address.param)),
            mode: controls.map(|c| c.automation),
        }
    }
}

/// A compressor's numeric setting.
pub(super) fn comp_field(c: &mut crate::model::CompSpec, p: CompParam) -> Option<&mut f32> {
    Some(p.setting()?.field(c))
}

/// A gate's numeric setting.
pub(super) fn gate_field(g: &mut crate::model::GateSpec, p: GateParam) -> Option<&mut f32> {
    Some(p.setting()?.field(g))
}

/// The state a change starts from ([`Hub::before_change`]).
struct Before {
    value: Option<Value>,
    live: Option<f64>,
    mode: Option<crate::model::AutomationMode>,
}

pub(super) fn float(address: Address, value: &Value) -> Result<f64, IntentError> {
    match value {
        Value::Float(x) => Ok(*x),
        _ => Err(IntentError::WrongType {
            address,
            expected: "a number",
        }),
    }
}

pub(super) fn boolean(address: Address, value: &Value) -> Result<bool, IntentError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Float(x) => Ok(*x >= 0.5),
        Value::Text(_) => Err(IntentError::WrongType {
            address,
            expected: "0 or 1",
        }),
    }
}

/// A named choice (an automation mode, a colour) given by its name or its
/// number.
fn named<T: Named>(address: Address, value: &Value) -> Result<T, IntentError> {
    match value {
        Value::Text(t) => T::from_name(t),
        Value::Float(x) if *x >= 0.0 && x.fract() == 0.0 => T::from_index(*x as usize),
        _ => None,
    }
    .ok_or(IntentError::WrongType {
        address,
        expected: T::EXPECTED,
    })
}
