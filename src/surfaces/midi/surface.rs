//! A generic MIDI controller on the hub thread, driven by its map.
//!
//! Thread: hub. Pure apart from reading and driving the hub: it returns
//! MIDI messages and the driver writes them.
//!
//! - Absolute controls (7-bit CC, 14-bit CC pairs, NRPN/RPN, pitch bend,
//!   program) set their target through the binding's range and curve.
//!   On a device without motors or value-showing LED rings, a control is
//!   picked up only when it reaches the current value (soft takeover), so
//!   the mix never jumps.
//! - Relative encoders step the target evenly in both directions (1/127 of
//!   its range per tick, optionally accelerated); +n then -n ticks return
//!   exactly to the start.
//! - Buttons toggle or act momentarily; actions bank and drive the
//!   transport.
//! - Feedback: on a motorized or LED-ring device every received value is
//!   sent straight back, and changes from elsewhere are sent once.
//! - A move counts as a touch until the hub's touch timeout after it
//!   (DESIGN.md), so touch and latch passes work from plain MIDI.

use super::binding::{Input, Scale, feedback, matches, max_raw};
use super::codec::{self, Assembler, Event, Message, ParamKind};
use crate::mixer::keys::KeyMap;
use crate::mixer::{Address, ClientId, Feedback, Hub, Origin, Value};
use crate::model::surface::{
    BindingTarget, ButtonMode, ControlMap, Curve, MidiBinding, MidiSource, SurfaceAction,
};
use crate::surfaces::target::{BankTarget, bank_or_transport};

/// Why a map cannot drive a controller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MidiMapError {
    /// The map has no MIDI section.
    #[error("map '{0}' is not a MIDI controller map (no midi: in its bindings)")]
    NotMidi(String),
}

#[derive(Debug, Clone)]
enum Target {
    /// A mixer address, maybe bank-relative.
    Address(BankTarget),
    Action(SurfaceAction),
}

#[derive(Debug, Clone)]
struct Bound {
    midi: MidiBinding,
    target: Target,
    /// Soft takeover: the control has reached the current value.
    picked: bool,
    /// The last control value (0..1) seen, for crossing detection.
    last_in: Option<f64>,
    /// What the device shows, in its own units (for feedback diffs).
    shown: Option<u16>,
    /// Relative encoder: (start value, start position 0..1, ticks since).
    anchor: Option<(f64, f64, i32)>,
    /// The value this binding last applied (to notice changes elsewhere).
    applied: Option<f64>,
    /// Pickup LEDs as shown: (up, down).
    pickup_shown: Option<(bool, bool)>,
}

/// A binding made by MIDI learn.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// A name for the control ("cc 21 ch 1").
    pub control: String,
    /// The message it sends.
    pub midi: MidiBinding,
    /// What it now drives.
    pub address: Address,
}

/// See the module docs.
#[derive(Debug)]
pub struct MidiMapSurface {
    bindings: Vec<Bound>,
    assembler: Assembler,
    motorized: bool,
    bank: usize,
    bank_size: usize,
    origin: Origin,
    rejected: u64,
    /// The bindings that show each address (as resolved for the current
    /// bank); `None` until the next full pass (new, connected, banked,
    /// learned).
    shows: Option<KeyMap<Address, Vec<usize>>>,
}

impl MidiMapSurface {
    /// A controller doing what `map` says, acting on the hub as `client`.
    pub fn new(map: &ControlMap, client: ClientId) -> Result<MidiMapSurface, MidiMapError> {
        let midi = map
            .midi
            .as_ref()
            .ok_or_else(|| MidiMapError::NotMidi(map.name.clone()))?;
        let pairs: Vec<u8> = midi
            .bindings
            .iter()
            .filter_map(|b| match b.source {
                MidiSource::Cc14(n) => Some(n),
                _ => None,
            })
            .collect();
        let bindings = map
            .bindings
            .iter()
            .zip(&midi.bindings)
            .filter_map(|(b, m)| {
                let target = match &b.target {
                    BindingTarget::Action(a) => Target::Action(*a),
                    BindingTarget::Address(t) => Target::Address(BankTarget::parse(t)?),
                };
                Some(Bound {
                    midi: *m,
                    target,
                    picked: false,
                    last_in: None,
                    shown: None,
                    anchor: None,
                    applied: None,
                    pickup_shown: None,
                })
            })
            .collect();
        Ok(MidiMapSurface {
            bindings,
            assembler: Assembler::with_pairs(pairs),
            motorized: midi.motorized,
            bank: 0,
            bank_size: usize::from(map.bank_size.max(1)),
            origin: Origin::Client(client),
            rejected: 0,
            shows: None,
        })
    }

    /// First mixer strip of the current bank.
    pub fn bank(&self) -> usize {
        self.bank
    }

    /// Messages that could not be decoded or applied.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The device's port came (back): it shows nothing we know of, and no
    /// control has been picked up.
    pub fn connect(&mut self) {
        for b in &mut self.bindings {
            b.shown = None;
            b.picked = false;
            b.last_in = None;
        }
        self.shows = None;
    }

    fn resolve(&self, hub: &Hub, t: &Target) -> Option<Address> {
        match t {
            Target::Address(t) => t.resolve(hub, self.bank),
            Target::Action(_) => None,
        }
    }

    /// MIDI learn: bind the control that sent `bytes` to `address` (an
    /// existing binding of the same message is replaced). `None` until a
    /// whole message has arrived (an NRPN takes several).
    pub fn learn(&mut self, bytes: &[u8], address: Address) -> Option<Learned> {
        let msg = codec::decode(bytes).ok()?;
        let ev = *self.assembler.feed(msg).last()?;
        let switch = !address.param.spec().ridden;
        let (channel, source, name) = match ev {
            Event::Cc {
                channel,
                controller,
                ..
            } => (
                channel,
                MidiSource::Cc(controller),
                format!("cc {controller}"),
            ),
            Event::Cc14 {
                channel,
                controller,
                ..
            } => (
                channel,
                MidiSource::Cc14(controller),
                format!("cc14 {controller}"),
            ),
            Event::Param {
                channel,
                kind,
                number,
                fine,
                ..
            } => match kind {
                ParamKind::Nrpn => (
                    channel,
                    MidiSource::Nrpn { number, fine },
                    format!("nrpn {number}"),
                ),
                ParamKind::Rpn => (
                    channel,
                    MidiSource::Rpn { number, fine },
                    format!("rpn {number}"),
                ),
            },
            Event::ParamStep { .. } => return None,
            Event::Note {
                channel,
                note,
                velocity,
            } => {
                if velocity == 0 {
                    return None;
                }
                (channel, MidiSource::Note(note), format!("note {note}"))
            }
            Event::PitchBend { channel, .. } => {
                (channel, MidiSource::PitchBend, "pitch bend".into())
            }
            Event::Program { channel, .. } => (channel, MidiSource::Program, "program".into()),
        };
        let midi = MidiBinding {
            channel,
            source,
            relative: None,
            accelerate: false,
            mode: if switch {
                ButtonMode::Toggle
            } else {
                ButtonMode::Absolute
            },
            range: None,
            curve: Curve::Linear,
            motorized: None,
            pickup_leds: None,
        };
        self.bindings
            .retain(|b| !(b.midi.source == source && b.midi.channel == channel));
        // Where the control is now counts for soft takeover.
        let last_in = match matches(&midi, &ev) {
            Some(Input::Absolute(x, _)) => Some(x),
            _ => None,
        };
        self.shows = None;
        self.bindings.push(Bound {
            midi,
            target: Target::Address(BankTarget::absolute(address)),
            picked: false,
            last_in,
            shown: None,
            anchor: None,
            applied: None,
            pickup_shown: None,
        });
        Some(Learned {
            control: format!("learned {name} ch {}", channel + 1),
            midi,
            address,
        })
    }

    /// One message from the controller. Returns messages to send now (the
    /// echo of a received value on a motorized device).
    pub fn handle(&mut self, hub: &mut Hub, bytes: &[u8]) -> Vec<Vec<u8>> {
        let msg = match codec::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.rejected += 1;
                tracing::debug!("midi controller: {e}");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for ev in self.assembler.feed(msg) {
            for i in 0..self.bindings.len() {
                if let Some(input) = matches(&self.bindings[i].midi, &ev) {
                    self.apply(hub, i, input, &mut out);
                }
            }
        }
        out
    }

    fn apply(&mut self, hub: &mut Hub, i: usize, input: Input, out: &mut Vec<Vec<u8>>) {
        let target = self.bindings[i].target.clone();
        if let Target::Action(a) = target {
            let pressed = match input {
                Input::Absolute(x, _) => x > 0.0,
                Input::Relative(t) => t != 0,
            };
            if pressed {
                self.action(hub, a);
            }
            return;
        }
        let Some(address) = self.resolve(hub, &target) else {
            return;
        };
        let b = &self.bindings[i];
        let switch = !address.param.spec().ridden;
        if switch {
            let on_now = matches!(hub.get(address), Ok(Value::Bool(true)));
            let x = match input {
                Input::Absolute(x, _) => x,
                Input::Relative(t) => f64::from(i8::from(t > 0)),
            };
            let new = match b.midi.mode {
                ButtonMode::Toggle if x > 0.0 => Some(!on_now),
                ButtonMode::Toggle => None,
                ButtonMode::Momentary => Some(x > 0.0),
                ButtonMode::Absolute => Some(x >= 0.5),
            };
            if let Some(v) = new
                && hub.apply(self.origin, address, Value::Bool(v)).is_err()
            {
                self.rejected += 1;
            }
            return;
        }
        let Ok(Value::Float(current)) = hub.get(address) else {
            return;
        };
        let scale = Scale::new(address.param, &b.midi);
        let b = &mut self.bindings[i];
        // A change made elsewhere resets takeover and the encoder anchor.
        // The hub stores a fader as its gain, so reading it back can differ
        // from what was applied in the last bits: only a real difference
        // (a hundredth of a 7-bit step) counts.
        if b.applied
            .is_some_and(|a| (scale.to_unit(a) - scale.to_unit(current)).abs() > SAME_VALUE)
        {
            b.picked = false;
            b.anchor = None;
        }
        let value = match input {
            Input::Relative(ticks) => {
                let ticks = if b.midi.accelerate {
                    codec::accelerate(ticks)
                } else {
                    i32::from(ticks)
                };
                let (start, pos0, n) = b.anchor.unwrap_or((current, scale.to_unit(current), 0));
                let n = n + ticks;
                // Clamp the tick count at the ends so turning back starts
                // moving at once. The last tick may be a part of a step: it
                // lands on the end itself (a start between steps reaches 0
                // and 1 too), and one tick back is the exact step before.
                let steps = |x: f64| (x * 127.0 - 1e-9).ceil() as i32;
                let (lo, hi) = (-steps(pos0), steps(1.0 - pos0));
                let n = n.clamp(lo.min(0), hi.max(0));
                b.anchor = Some((start, pos0, n));
                if n == 0 {
                    start
                } else {
                    scale.value_at((pos0 + f64::from(n) / 127.0).clamp(0.0, 1.0))
                }
            }
            Input::Absolute(x, raw) => {
                b.anchor = None;
                let motorized = b.midi.motorized.unwrap_or(self.motorized);
                if !motorized && !b.picked {
                    let c = scale.to_unit(current);
                    let step = 1.0 / 127.0;
                    let crossed = b.last_in.is_some_and(|p| (p - c) * (x - c) <= 0.0);
                    b.last_in = Some(x);
                    if crossed || (x - c).abs() <= step {
                        b.picked = true;
                        pickup_leds(b, (false, false), out);
                    } else {
                        // Show which way to move to pick the value up.
                        pickup_leds(b, (x < c, x > c), out);
                        return;
                    }
                }
                b.last_in = Some(x);
                if motorized {
                    // The device shows what it sent: echo exactly that.
                    b.shown = Some(raw);
                    if let Some(bytes) = feedback(&b.midi, raw) {
                        out.extend(bytes);
                    }
                }
                scale.value_at(x)
            }
        };
        match hub.apply(self.origin, address, Value::Float(value)) {
            Ok(Value::Float(v)) => self.bindings[i].applied = Some(v),
            Ok(_) => {}
            Err(_) => self.rejected += 1,
        }
    }

    fn action(&mut self, hub: &mut Hub, a: SurfaceAction) {
        let bank = self.bank;
        bank_or_transport(hub, &mut self.bank, self.bank_size, a);
        if self.bank != bank {
            self.shows = None;
        }
        // The new bank's controls are where they are: pick them up again.
        for b in &mut self.bindings {
            b.picked = false;
            b.anchor = None;
        }
    }

    /// The changes the hub applied since the last call (from anywhere,
    /// this device's own clamped moves included), sent to a device that
    /// can show them (motors, LED rings, button LEDs): only the bindings
    /// that show a changed address are looked at. After a connect, a bank
    /// change or a learn, every binding is brought up to date first.
    pub fn show(&mut self, hub: &Hub, changes: &[Feedback]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let Some(shows) = &self.shows else {
            self.show_all(hub, &mut out);
            return out;
        };
        let mut due: Vec<usize> = Vec::new();
        for c in changes {
            if let Some(bound) = shows.get(&c.address) {
                for i in bound {
                    if !due.contains(i) {
                        due.push(*i);
                    }
                }
            }
        }
        for i in due {
            if let Some(address) = self.resolve(hub, &self.bindings[i].target) {
                show_binding(
                    hub,
                    &mut self.bindings[i],
                    address,
                    self.motorized,
                    &mut out,
                );
            }
        }
        out
    }

    /// Called every hub tick: what a full pass owes the device (after a
    /// connect, a bank change or a learn); nothing otherwise, as changes
    /// reach it through [`Self::show`].
    pub fn tick(&mut self, hub: &Hub) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if self.shows.is_none() {
            self.show_all(hub, &mut out);
        }
        out
    }

    /// Every binding's value, and the index of who shows what.
    fn show_all(&mut self, hub: &Hub, out: &mut Vec<Vec<u8>>) {
        let mut shows: KeyMap<Address, Vec<usize>> = KeyMap::default();
        for i in 0..self.bindings.len() {
            let Some(address) = self.resolve(hub, &self.bindings[i].target) else {
                continue;
            };
            shows.entry(address).or_default().push(i);
            show_binding(hub, &mut self.bindings[i], address, self.motorized, out);
        }
        self.shows = Some(shows);
    }
}

/// Send binding `b` the value at `address` if the device can show it and
/// shows something else.
fn show_binding(
    hub: &Hub,
    b: &mut Bound,
    address: Address,
    motorized: bool,
    out: &mut Vec<Vec<u8>>,
) {
    let raw = match hub.get(address) {
        Ok(Value::Bool(on)) => {
            if on {
                max_raw(&b.midi.source)
            } else {
                0
            }
        }
        Ok(Value::Float(v)) => {
            if !b.midi.motorized.unwrap_or(motorized) || b.midi.relative.is_some() {
                return;
            }
            let scale = Scale::new(address.param, &b.midi);
            (scale.to_unit(v) * f64::from(max_raw(&b.midi.source))).round() as u16
        }
        _ => return,
    };
    if b.shown != Some(raw) {
        b.shown = Some(raw);
        if let Some(bytes) = feedback(&b.midi, raw) {
            out.extend(bytes);
        }
    }
}

/// Two control positions closer than this are the same value (a hundredth
/// of a 7-bit step; far above the rounding of a value stored as a gain).
const SAME_VALUE: f64 = 1.0 / 12_700.0;

/// Light the binding's pickup LEDs as `want` (up, down), if it has them
/// and they show something else.
fn pickup_leds(b: &mut Bound, want: (bool, bool), out: &mut Vec<Vec<u8>>) {
    let Some((up, down)) = b.midi.pickup_leds else {
        return;
    };
    if b.pickup_shown == Some(want) {
        return;
    }
    b.pickup_shown = Some(want);
    for (note, on) in [(up, want.0), (down, want.1)] {
        let m = if on {
            Message::NoteOn {
                channel: b.midi.channel,
                note,
                velocity: 127,
            }
        } else {
            Message::NoteOff {
                channel: b.midi.channel,
                note,
            }
        };
        out.push(codec::encode(&m));
    }
}
