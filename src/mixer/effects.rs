//! An aux bus's built-in effect (`bus/N/fx`, `bus/N/delay/...`,
//! `bus/N/reverb/...`): the hub's side. Changing the kind rebuilds the
//! graph (the effect's memory is allocated there); changing a setting sends
//! the engine the new settings.

use super::address::{Address, DelayParam, Param, ReverbParam, StripRef};
use super::{Hub, IntentError, Value, boolean, float};
use crate::engine::{StripParam, ToEngine};
use crate::model::{BusKind, Division, Effect};

impl Hub {
    /// The aux bus `address` names, or why it has no effect controls.
    fn effect_bus(&self, address: Address) -> Result<usize, IntentError> {
        let StripRef::Bus(j) = address.strip else {
            return Err(IntentError::NotOnThisStrip(address));
        };
        let bus = self
            .session
            .buses
            .get(j)
            .ok_or(IntentError::NoSuchTarget(address))?;
        if bus.kind != BusKind::Aux {
            return Err(IntentError::NotOnThisStrip(address));
        }
        Ok(j)
    }

    /// Set an effect control; the value applied.
    pub(super) fn apply_effect(
        &mut self,
        address: Address,
        value: &Value,
    ) -> Result<Value, IntentError> {
        let j = self.effect_bus(address)?;
        let tempo = self.session.tempo_bpm;
        let effect = &mut self.session.buses[j].controls.effect;
        let ranged = |x: f64, r: (f32, f32)| x.clamp(f64::from(r.0), f64::from(r.1)) as f32;
        let applied = match address.param {
            Param::Fx => {
                let kind = match value {
                    Value::Text(t) => Effect::from_kind_name(t),
                    Value::Float(x) => ["none", "delay", "reverb"]
                        .get(x.round().clamp(0.0, 3.0) as usize)
                        .and_then(|n| Effect::from_kind_name(n)),
                    Value::Bool(_) => None,
                }
                .ok_or(IntentError::WrongType {
                    address,
                    expected: "none, delay or reverb (or 0..2)",
                })?;
                if kind.kind_name() != effect.kind_name() {
                    *effect = kind;
                    self.rebuild();
                }
                return Ok(Value::Text(kind.kind_name().to_owned()));
            }
            Param::Delay(p) => {
                use crate::dsp::echo::{FEEDBACK_RANGE, HPF_RANGE, LPF_RANGE, TIME_RANGE_MS};
                let Effect::Delay(d) = effect else {
                    return Err(IntentError::NoSuchTarget(address));
                };
                let e = &mut d.echo;
                let v = match p {
                    DelayParam::Time => {
                        e.time_ms = ranged(float(address, value)?, TIME_RANGE_MS);
                        Value::Float(f64::from(e.time_ms))
                    }
                    DelayParam::Feedback => {
                        e.feedback = ranged(float(address, value)?, FEEDBACK_RANGE);
                        Value::Float(f64::from(e.feedback))
                    }
                    DelayParam::Hpf => {
                        e.hpf_hz = ranged(float(address, value)?, HPF_RANGE);
                        Value::Float(f64::from(e.hpf_hz))
                    }
                    DelayParam::Lpf => {
                        e.lpf_hz = ranged(float(address, value)?, LPF_RANGE);
                        Value::Float(f64::from(e.lpf_hz))
                    }
                    DelayParam::PingPong => {
                        e.ping_pong = boolean(address, value)?;
                        Value::Bool(e.ping_pong)
                    }
                    DelayParam::Sync => {
                        d.sync = match value {
                            Value::Text(t) if t == "off" || t.is_empty() => None,
                            Value::Text(t) => {
                                Some(Division::parse(t).ok_or(IntentError::WrongType {
                                    address,
                                    expected: "a note value such as 1/4, 1/8d or 1/16t, or off",
                                })?)
                            }
                            _ => {
                                return Err(IntentError::WrongType {
                                    address,
                                    expected: "a note value such as 1/4, 1/8d or 1/16t, or off",
                                });
                            }
                        };
                        sync_value(d.sync)
                    }
                };
                let spec = d.engine_spec(tempo);
                self.push_effect(j, StripParam::Echo(spec));
                v
            }
            Param::Reverb(p) => {
                use crate::dsp::reverb::{
                    DAMPING_RANGE, DECAY_RANGE, PREDELAY_RANGE, SIZE_RANGE, WIDTH_RANGE,
                };
                let Effect::Reverb(r) = effect else {
                    return Err(IntentError::NoSuchTarget(address));
                };
                let x = float(address, value)?;
                let slot = match p {
                    ReverbParam::Size => {
                        r.size = ranged(x, SIZE_RANGE);
                        r.size
                    }
                    ReverbParam::Decay => {
                        r.decay_s = ranged(x, DECAY_RANGE);
                        r.decay_s
                    }
                    ReverbParam::Predelay => {
                        r.predelay_ms = ranged(x, PREDELAY_RANGE);
                        r.predelay_ms
                    }
                    ReverbParam::Damping => {
                        r.damping = ranged(x, DAMPING_RANGE);
                        r.damping
                    }
                    ReverbParam::Width => {
                        r.width = ranged(x, WIDTH_RANGE);
                        r.width
                    }
                };
                let spec = *r;
                self.push_effect(j, StripParam::Reverb(spec));
                Value::Float(f64::from(slot))
            }
            _ => return Err(IntentError::NoSuchTarget(address)),
        };
        Ok(applied)
    }

    fn push_effect(&mut self, bus: usize, param: StripParam) {
        if let Some(&node) = self.map.buses.get(bus) {
            self.push(ToEngine::Strip { node, param });
        }
    }

    /// Read an effect control.
    pub(super) fn get_effect(&self, address: Address) -> Result<Value, IntentError> {
        let j = self.effect_bus(address)?;
        let effect = &self.session.buses[j].controls.effect;
        let f = |x: f32| Value::Float(f64::from(x));
        Ok(match (address.param, effect) {
            (Param::Fx, e) => Value::Text(e.kind_name().to_owned()),
            (Param::Delay(p), Effect::Delay(d)) => match p {
                DelayParam::Time => f(d.echo.time_ms),
                DelayParam::Sync => sync_value(d.sync),
                DelayParam::Feedback => f(d.echo.feedback),
                DelayParam::Hpf => f(d.echo.hpf_hz),
                DelayParam::Lpf => f(d.echo.lpf_hz),
                DelayParam::PingPong => Value::Bool(d.echo.ping_pong),
            },
            (Param::Reverb(p), Effect::Reverb(r)) => f(match p {
                ReverbParam::Size => r.size,
                ReverbParam::Decay => r.decay_s,
                ReverbParam::Predelay => r.predelay_ms,
                ReverbParam::Damping => r.damping,
                ReverbParam::Width => r.width,
            }),
            _ => return Err(IntentError::NoSuchTarget(address)),
        })
    }
}

fn sync_value(sync: Option<Division>) -> Value {
    Value::Text(sync.map_or_else(|| "off".to_owned(), |d| d.to_string()))
}
