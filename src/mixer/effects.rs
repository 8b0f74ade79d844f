//! An aux bus's built-in effect (`bus/N/fx`, `bus/N/delay/...`,
//! `bus/N/reverb/...`): the hub's side. Changing the kind rebuilds the
//! graph (the effect's memory is allocated there); a changed setting
//! reaches the engine with the strip's other processing
//! (`push_strip_parts`).

use super::address::{Address, DelayParam, Param, ReverbParam, StripRef};
use super::apply::{boolean, float};
use super::{Hub, IntentError, Value};
use crate::model::{BusKind, DelayFx, Division, Effect, ReverbSpec};

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
                let Effect::Delay(d) = effect else {
                    return Err(IntentError::NoSuchTarget(address));
                };
                match p {
                    DelayParam::Time | DelayParam::Feedback | DelayParam::Hpf | DelayParam::Lpf => {
                        let (slot, range) =
                            delay_field(d, p).ok_or(IntentError::NoSuchTarget(address))?;
                        *slot = ranged(float(address, value)?, range);
                        Value::Float(f64::from(*slot))
                    }
                    DelayParam::PingPong => {
                        d.echo.ping_pong = boolean(address, value)?;
                        Value::Bool(d.echo.ping_pong)
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
                }
            }
            Param::Reverb(p) => {
                let Effect::Reverb(r) = effect else {
                    return Err(IntentError::NoSuchTarget(address));
                };
                let (slot, range) = reverb_field(r, p);
                *slot = ranged(float(address, value)?, range);
                Value::Float(f64::from(*slot))
            }
            _ => return Err(IntentError::NoSuchTarget(address)),
        };
        Ok(applied)
    }

    /// Read an effect control.
    pub(super) fn get_effect(&self, address: Address) -> Result<Value, IntentError> {
        let j = self.effect_bus(address)?;
        // A copy to read through the same fields the setters use.
        let mut effect = self.session.buses[j].controls.effect;
        let f = |x: &mut f32| Value::Float(f64::from(*x));
        Ok(match (address.param, &mut effect) {
            (Param::Fx, e) => Value::Text(e.kind_name().to_owned()),
            (Param::Delay(DelayParam::Sync), Effect::Delay(d)) => sync_value(d.sync),
            (Param::Delay(DelayParam::PingPong), Effect::Delay(d)) => Value::Bool(d.echo.ping_pong),
            // A synced delay's time is the note value's at the session's tempo.
            (Param::Delay(DelayParam::Time), Effect::Delay(d)) if d.sync.is_some() => {
                Value::Float(f64::from(d.engine_spec(self.session.tempo_bpm).time_ms))
            }
            (Param::Delay(p), Effect::Delay(d)) => f(delay_field(d, p)
                .ok_or(IntentError::NoSuchTarget(address))?
                .0),
            (Param::Reverb(p), Effect::Reverb(r)) => f(reverb_field(r, p).0),
            _ => return Err(IntentError::NoSuchTarget(address)),
        })
    }
}

/// A delay's numeric setting and its range (`None`: not a number).
fn delay_field(d: &mut DelayFx, p: DelayParam) -> Option<(&mut f32, (f32, f32))> {
    use crate::dsp::echo::{FEEDBACK_RANGE, HPF_RANGE, LPF_RANGE, TIME_RANGE_MS};
    let e = &mut d.echo;
    Some(match p {
        DelayParam::Time => (&mut e.time_ms, TIME_RANGE_MS),
        DelayParam::Feedback => (&mut e.feedback, FEEDBACK_RANGE),
        DelayParam::Hpf => (&mut e.hpf_hz, HPF_RANGE),
        DelayParam::Lpf => (&mut e.lpf_hz, LPF_RANGE),
        DelayParam::Sync | DelayParam::PingPong => return None,
    })
}

/// A reverb's setting and its range.
fn reverb_field(r: &mut ReverbSpec, p: ReverbParam) -> (&mut f32, (f32, f32)) {
    use crate::dsp::reverb::{DAMPING_RANGE, DECAY_RANGE, PREDELAY_RANGE, SIZE_RANGE, WIDTH_RANGE};
    match p {
        ReverbParam::Size => (&mut r.size, SIZE_RANGE),
        ReverbParam::Decay => (&mut r.decay_s, DECAY_RANGE),
        ReverbParam::Predelay => (&mut r.predelay_ms, PREDELAY_RANGE),
        ReverbParam::Damping => (&mut r.damping, DAMPING_RANGE),
        ReverbParam::Width => (&mut r.width, WIDTH_RANGE),
    }
}

fn sync_value(sync: Option<Division>) -> Value {
    Value::Text(sync.map_or_else(|| "off".to_owned(), |d| d.to_string()))
}
