//! The Mackie Control surface on the hub thread: one or more ganged units
//! (a main unit plus extenders, each on its own MIDI port pair) banked as
//! one wide surface.
//!
//! Thread: hub. Pure apart from reading and driving the hub: it returns
//! MIDI messages and the driver writes them.
//!
//! Feedback model: the surface keeps what each unit shows (fader
//! positions, LEDs, rings, LCD cells, colours, meters, 7-segment digits)
//! and on every tick computes what it should show from the hub; only the
//! differences go out. So nothing identical is re-sent, a clamped move is
//! corrected, and a redraw after a reconnection is just "forget what is
//! shown". Faders under a finger (touch, or a recent move on a unit
//! without touch sense) are never driven; on release the fader goes where
//! the mix says.

use super::codec::{
    self, FromSurface, LedState, MASTER_FADER, MeterValue, Ring, RingMode, ScribbleColour,
    ToSurface, encode_to_surface, note,
};
use crate::dsp::{amp_to_db, pos_to_db};
use crate::mixer::{
    Address, BandParam, ClientId, CompParam, EqParam, Feedback, GateParam, Hub, MeterFrame, Origin,
    Param, SendParam, StripRef, TransportCmd, Value,
};
use crate::model::AutomationMode;
use crate::model::surface::{
    Behaviour, BindingTarget, ControlMap, MackieUnit, SurfaceAction, SurfaceProfile,
};
use crate::surfaces::conv::{Conv, Scale, conv_for};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a moved value stays on the lower LCD line.
pub const VALUE_DISPLAY: Duration = Duration::from_secs(1);
/// A unit that has not answered the device query is asked again this often.
pub const HELLO_RETRY: Duration = Duration::from_secs(2);
/// A unit that has not answered the device query at all this long after
/// its port appeared is driven without the handshake (a clone that skips
/// it), and the log says so.
pub const HANDSHAKE_FALLBACK: Duration = Duration::from_secs(10);
/// A Logic Control that has not confirmed the challenge response this long
/// after it was sent is asked again from the start (the confirmation, or
/// the reply, was lost).
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(2);
/// Channel meter mode sent to units with LCD meters: signal LED, peak
/// hold and LCD level meter.
const LCD_METER_MODE: u8 = 0x07;
/// No strip meter is sent more often than this (20 Hz).
pub const METER_MIN_INTERVAL: Duration = Duration::from_millis(50);
/// How long the overload LED stays lit after the last sample above 0 dBFS.
pub const OVERLOAD_HOLD: Duration = Duration::from_secs(2);

/// One unit of the surface, in left-to-right order.
#[derive(Debug, Clone)]
pub struct UnitConfig {
    /// What the device is.
    pub profile: SurfaceProfile,
    /// Its MIDI port pair (index into the backend's MIDI ports).
    pub port: u8,
}

/// Bytes for one unit's MIDI output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MidiOut {
    /// The unit's port pair.
    pub port: u8,
    /// One complete MIDI message.
    pub bytes: Vec<u8>,
}

/// Why a surface cannot be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MackieError {
    /// The map names a control a Mackie surface does not have.
    #[error("map '{map}': '{control}' is not a Mackie Control control")]
    UnknownControl {
        /// Map name.
        map: String,
        /// The control.
        control: String,
    },
    /// A profile is not a Mackie profile.
    #[error("profile '{0}' is not a Mackie Control profile")]
    NotMackie(String),
    /// No units.
    #[error("a Mackie surface needs at least one unit")]
    NoUnits,
}

/// What the V-Pots control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VPotView {
    /// Pan / balance.
    Pan,
    /// Level of send K (0-based).
    Send(usize),
    /// Input trim.
    Trim,
    /// An EQ setting: index into [`EQ_VIEW`].
    Eq(usize),
    /// A dynamics setting: index into [`DYNAMICS_VIEW`].
    Dynamics(usize),
}

/// The EQ view's settings in the order its button steps through them, with
/// their two-character assignment-display names.
pub const EQ_VIEW: [(Param, &str); 11] = [
    (Param::Eq(EqParam::HpfFreq), "HF"),
    (Param::Eq(EqParam::Band(0, BandParam::Gain)), "1G"),
    (Param::Eq(EqParam::Band(0, BandParam::Freq)), "1F"),
    (Param::Eq(EqParam::Band(1, BandParam::Gain)), "2G"),
    (Param::Eq(EqParam::Band(1, BandParam::Freq)), "2F"),
    (Param::Eq(EqParam::Band(1, BandParam::Q)), "2Q"),
    (Param::Eq(EqParam::Band(2, BandParam::Gain)), "3G"),
    (Param::Eq(EqParam::Band(2, BandParam::Freq)), "3F"),
    (Param::Eq(EqParam::Band(2, BandParam::Q)), "3Q"),
    (Param::Eq(EqParam::Band(3, BandParam::Gain)), "4G"),
    (Param::Eq(EqParam::Band(3, BandParam::Freq)), "4F"),
];

/// The dynamics view's settings, likewise.
pub const DYNAMICS_VIEW: [(Param, &str); 7] = [
    (Param::Comp(CompParam::Threshold), "CT"),
    (Param::Comp(CompParam::Ratio), "CR"),
    (Param::Comp(CompParam::Attack), "CA"),
    (Param::Comp(CompParam::Release), "CL"),
    (Param::Comp(CompParam::Makeup), "CM"),
    (Param::Gate(GateParam::Threshold), "GT"),
    (Param::Gate(GateParam::Range), "GR"),
];

/// The switch that puts the section of `p` in or out of the path.
fn section_switch(p: Param) -> Option<Param> {
    Some(match p {
        Param::Eq(EqParam::HpfFreq) => Param::Eq(EqParam::HpfOn),
        Param::Eq(EqParam::Band(k, _)) => Param::Eq(EqParam::Band(k, BandParam::On)),
        Param::Comp(_) => Param::Comp(CompParam::On),
        Param::Gate(_) => Param::Gate(GateParam::On),
        _ => return None,
    })
}

/// A strip control's binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StripBinding {
    Param(Param),
    Action(SurfaceAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handshake {
    /// Last asked with a device query then.
    Waiting(Instant),
    /// Answered a Logic Control challenge then; waiting for the
    /// confirmation.
    Confirming(Instant),
    Online,
}

#[derive(Debug)]
struct Unit {
    port: u8,
    device: u8,
    strips: usize,
    /// Global index of its first strip.
    first: usize,
    main: bool,
    master_fader: bool,
    display: bool,
    meters: bool,
    colours: bool,
    /// The profile wants fader moves echoed back (the motor follows the
    /// hand).
    echo: bool,
    /// The backend echoes them itself, within the cycle they arrive in.
    echoed_by_backend: bool,
    challenge: bool,
    no_handshake: bool,
    lcd_meters: bool,
    /// The profile's name, for the log.
    name: String,
    /// When its port last appeared.
    connected_at: Instant,
    /// It has answered the device query since.
    answered: bool,
    timecode: bool,
    assignment: bool,
    meter_refresh: Duration,
    state: Handshake,
    shown: Shown,
    touched: [bool; 9],
}

impl Unit {
    /// Send the device query.
    fn ask(&mut self, now: Instant, out: &mut Vec<MidiOut>) {
        self.state = Handshake::Waiting(now);
        out.push(MidiOut {
            port: self.port,
            bytes: encode_to_surface(&ToSurface::DeviceQuery {
                device: self.device,
            }),
        });
    }

    /// Up: redraw from scratch, and switch its LCD meters on if it has
    /// them.
    fn go_online(&mut self, out: &mut Vec<MidiOut>) {
        self.state = Handshake::Online;
        self.shown = Shown::fresh();
        if self.lcd_meters {
            let device = self.device;
            let mut send = |m: ToSurface| {
                out.push(MidiOut {
                    port: self.port,
                    bytes: encode_to_surface(&m),
                })
            };
            send(ToSurface::LcdMeterMode {
                device,
                vertical: true,
            });
            for strip in 0..self.strips as u8 {
                send(ToSurface::MeterMode {
                    device,
                    strip,
                    mode: LCD_METER_MODE,
                });
            }
        }
    }

    /// The MIDI channels of its motor faders (bit per channel): its strips,
    /// and 8 for a main unit's master fader.
    fn fader_channels(&self) -> u16 {
        let strips = (1u16 << self.strips) - 1;
        if self.main && self.master_fader {
            strips | 1 << MASTER_FADER
        } else {
            strips
        }
    }
}

/// What a unit shows, as far as the surface knows.
#[derive(Debug, Default)]
struct Shown {
    faders: [Option<u16>; 9],
    leds: HashMap<u8, LedState>,
    rings: [Option<Ring>; 8],
    lcd: Vec<Option<[u8; codec::LCD_CELL]>>,
    colours: Option<[ScribbleColour; 8]>,
    meters: [Option<(u8, Instant)>; 8],
    overload: [Option<Instant>; 8],
    timecode: [Option<u8>; 10],
    assignment: [Option<u8>; 2],
}

impl Shown {
    fn fresh() -> Shown {
        Shown {
            lcd: vec![None; 16],
            ..Shown::default()
        }
    }
}

/// Held modifier keys.
#[derive(Debug, Default, Clone, Copy)]
struct Modifiers {
    shift: bool,
    option: bool,
    control: bool,
    alt: bool,
}

/// See the module docs.
#[derive(Debug)]
pub struct MackieSurface {
    units: Vec<Unit>,
    width: usize,
    bank: usize,
    view: VPotView,
    flip: bool,
    /// The lower display line shows the master's loudness.
    loudness_display: bool,
    selected: Vec<StripRef>,
    modifiers: Modifiers,
    strip_bindings: HashMap<&'static str, StripBinding>,
    master: Option<Param>,
    buttons: HashMap<u8, BindingTarget>,
    origin: Origin,
    /// Strip (global index) whose lower line shows a value until then.
    value_until: HashMap<usize, (Instant, ValueShown)>,
    peaks: crate::surfaces::meters::MeterHold,
    rejected: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueShown {
    Fader,
    VPot,
}

const STRIP_CONTROLS: [&str; 7] = ["fader", "vpot", "mute", "solo", "select", "vselect", "rec"];

impl MackieSurface {
    /// Per unit's port pair, the MIDI channels whose fader moves are to be
    /// echoed back now: its motor faders' when its profile wants the echo
    /// and it is online, none otherwise.
    pub fn echo_channels(&self) -> impl Iterator<Item = (u8, u16)> + '_ {
        self.units.iter().map(|u| {
            let on = u.echo && u.state == Handshake::Online;
            (u.port, if on { u.fader_channels() } else { 0 })
        })
    }

    /// Whether the backend echoes those units' fader moves itself (then
    /// this surface does not).
    pub fn set_echoed_by_backend(&mut self, on: bool) {
        for u in &mut self.units {
            u.echoed_by_backend = on;
        }
    }

    /// A surface of `units` (left to right) doing what `map` says, acting
    /// on the hub as `client`.
    pub fn new(
        units: Vec<UnitConfig>,
        map: &ControlMap,
        client: ClientId,
    ) -> Result<MackieSurface, MackieError> {
        if units.is_empty() {
            return Err(MackieError::NoUnits);
        }
        let mut built = Vec::new();
        let mut first = 0;
        for u in units {
            let p = &u.profile;
            let caps = p
                .mackie
                .ok_or_else(|| MackieError::NotMackie(p.name.clone()))?;
            let strips = usize::from(p.strips).min(8);
            built.push(Unit {
                port: u.port,
                device: caps.device_id,
                strips,
                first,
                main: caps.unit == MackieUnit::Main,
                master_fader: p.master_fader,
                display: p.display.is_some(),
                meters: p.meters,
                colours: p.has(Behaviour::ScribbleColours),
                echo: p.has(Behaviour::EchoFaderMoves),
                echoed_by_backend: false,
                challenge: p.has(Behaviour::LogicControlChallenge),
                no_handshake: p.has(Behaviour::NoHandshake),
                lcd_meters: p.has(Behaviour::LcdMeters),
                name: p.name.clone(),
                connected_at: Instant::now(),
                answered: false,
                timecode: caps.timecode_display,
                assignment: caps.assignment_display,
                meter_refresh: Duration::from_millis(u64::from(caps.meter_decay_ms.max(50))),
                state: Handshake::Waiting(Instant::now()),
                shown: Shown::fresh(),
                touched: [false; 9],
            });
            first += strips;
        }
        let mut strip_bindings = HashMap::new();
        let mut buttons = HashMap::new();
        let mut master = None;
        let unknown = |control: &str| MackieError::UnknownControl {
            map: map.name.clone(),
            control: control.to_owned(),
        };
        for b in &map.bindings {
            let c = b.control.as_str();
            if let Some(rest) = c.strip_prefix("strip[n].") {
                let name = STRIP_CONTROLS
                    .iter()
                    .find(|n| **n == rest)
                    .ok_or_else(|| unknown(c))?;
                let binding = match &b.target {
                    BindingTarget::Action(a) => StripBinding::Action(*a),
                    BindingTarget::Address(t) => {
                        StripBinding::Param(template_param(t).ok_or_else(|| unknown(c))?)
                    }
                };
                strip_bindings.insert(*name, binding);
            } else if c == "master.fader" {
                if let BindingTarget::Address(t) = &b.target {
                    master = template_param(t);
                }
            } else {
                let n = codec::button_note(c).ok_or_else(|| unknown(c))?;
                buttons.insert(n, b.target.clone());
            }
        }
        Ok(MackieSurface {
            width: first,
            units: built,
            bank: 0,
            view: VPotView::Pan,
            flip: false,
            loudness_display: false,
            selected: Vec::new(),
            modifiers: Modifiers::default(),
            strip_bindings,
            master,
            buttons,
            origin: Origin::Client(client),
            value_until: HashMap::new(),
            peaks: Default::default(),
            rejected: 0,
        })
    }

    /// Strips across all units.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Index of the first mixer strip on the surface.
    pub fn bank(&self) -> usize {
        self.bank
    }

    /// What the V-Pots control.
    pub fn view(&self) -> VPotView {
        self.view
    }

    /// Faders and V-Pots swapped.
    pub fn flipped(&self) -> bool {
        self.flip
    }

    /// True when the unit on `port` has completed its handshake.
    pub fn is_online(&self, port: u8) -> bool {
        self.units
            .iter()
            .any(|u| u.port == port && u.state == Handshake::Online)
    }

    /// Messages that could not be decoded or applied.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The unit's port (re)appeared: start its handshake and redraw it
    /// from scratch once it is up.
    pub fn connect(&mut self, port: u8, now: Instant) -> Vec<MidiOut> {
        let mut out = Vec::new();
        for u in self.units.iter_mut().filter(|u| u.port == port) {
            u.touched = [false; 9];
            u.connected_at = now;
            u.answered = false;
            if u.no_handshake {
                u.go_online(&mut out);
            } else {
                u.shown = Shown::fresh();
                u.ask(now, &mut out);
            }
        }
        out
    }

    /// The unit's port went away: forget what it shows.
    pub fn disconnect(&mut self, port: u8) {
        for u in self.units.iter_mut().filter(|u| u.port == port) {
            u.state = Handshake::Waiting(Instant::now());
            u.shown = Shown::fresh();
            u.touched = [false; 9];
        }
    }

    /// The mixer strip at global surface position `i` under the bank.
    fn strip_at(&self, hub: &Hub, i: usize) -> Option<StripRef> {
        mixer_strips(hub).get(self.bank + i).copied()
    }

    /// One message from the unit on `port`. Returns messages to send now
    /// (handshake replies, the fader echo).
    pub fn handle(&mut self, hub: &mut Hub, port: u8, bytes: &[u8], now: Instant) -> Vec<MidiOut> {
        let mut out = Vec::new();
        let Some(ui) = self.units.iter().position(|u| u.port == port) else {
            return out;
        };
        let msg = match codec::decode_from_surface(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.rejected += 1;
                tracing::debug!("mackie port {port}: {e}");
                return out;
            }
        };
        let unit = &mut self.units[ui];
        match (&msg, unit.state) {
            (
                FromSurface::ConnectionQuery {
                    serial, challenge, ..
                },
                _,
            ) => {
                unit.answered = true;
                if unit.challenge {
                    unit.state = Handshake::Confirming(now);
                    out.push(MidiOut {
                        port,
                        bytes: encode_to_surface(&ToSurface::ConnectionReply {
                            device: unit.device,
                            serial: *serial,
                            response: codec::challenge_response(*challenge),
                        }),
                    });
                } else {
                    unit.go_online(&mut out);
                }
                return out;
            }
            (FromSurface::ConnectionConfirmed { .. }, _) => {
                unit.answered = true;
                unit.go_online(&mut out);
                return out;
            }
            (FromSurface::ConnectionError { .. }, _) => {
                tracing::error!(
                    "mackie unit on port {port} refused the handshake (wrong challenge response)"
                );
                unit.state = Handshake::Waiting(now);
                return out;
            }
            (FromSurface::Version { .. }, _) => return out,
            (_, Handshake::Online) => {}
            (_, _) if unit.no_handshake => unit.go_online(&mut out),
            // Not up yet: a surface that must handshake is ignored until
            // it has.
            _ => return out,
        }
        match msg {
            FromSurface::Fader { fader, value } => {
                self.fader_moved(hub, ui, fader, value, now, &mut out)
            }
            FromSurface::Touch { fader, on } => self.fader_touched(hub, ui, fader, on),
            FromSurface::Button { note, pressed } => self.button(hub, ui, note, pressed, now),
            FromSurface::VPot { pot, delta } => self.vpot(hub, ui, pot, delta, now),
            _ => {}
        }
        out
    }

    /// The address and value conversion for unit `ui`'s fader `f`.
    fn fader_target(&self, hub: &Hub, ui: usize, f: u8) -> Option<(Address, Conv)> {
        let unit = &self.units[ui];
        if f == MASTER_FADER {
            return (unit.master_fader && unit.main)
                .then_some(self.master)
                .flatten()
                .map(|p| (Address::new(StripRef::Master, p), conv_for(p)));
        }
        if usize::from(f) >= unit.strips {
            return None;
        }
        let strip = self.strip_at(hub, unit.first + usize::from(f))?;
        self.fader_control(strip)
    }

    /// The fader binding's parameter on `strip` (its gain, by default).
    fn gain_target(&self, strip: StripRef) -> Option<(Address, Conv)> {
        match self.strip_bindings.get("fader") {
            Some(StripBinding::Param(p)) => Some((Address::new(strip, *p), conv_for(*p))),
            _ => None,
        }
    }

    /// The V-Pot view's parameter on `strip`.
    fn view_target(&self, strip: StripRef) -> Option<(Address, Conv)> {
        let p = match self.view {
            VPotView::Pan => Param::Pan,
            VPotView::Send(k) => Param::Send(k, SendParam::Fader),
            VPotView::Trim => Param::Trim,
            VPotView::Eq(i) => EQ_VIEW.get(i)?.0,
            VPotView::Dynamics(i) => DYNAMICS_VIEW.get(i)?.0,
        };
        Some((Address::new(strip, p), conv_for(p)))
    }

    /// What the fader of `strip` controls: its gain, or under flip the
    /// V-Pot view's parameter (in every view).
    fn fader_control(&self, strip: StripRef) -> Option<(Address, Conv)> {
        if self.flip {
            self.view_target(strip)
        } else {
            self.gain_target(strip)
        }
    }

    /// What the V-Pot of `strip` controls: the view's parameter, or under
    /// flip the gain.
    fn vpot_target(&self, strip: StripRef) -> Option<(Address, Conv)> {
        if self.flip {
            self.gain_target(strip)
        } else {
            self.view_target(strip)
        }
    }

    fn fader_moved(
        &mut self,
        hub: &mut Hub,
        ui: usize,
        f: u8,
        value: u16,
        now: Instant,
        out: &mut Vec<MidiOut>,
    ) {
        let unit = &mut self.units[ui];
        if let Some(slot) = unit.shown.faders.get_mut(usize::from(f)) {
            // The fader is where the hand put it.
            *slot = Some(value);
        }
        if unit.echo && !unit.echoed_by_backend && unit.fader_channels() & (1 << f) != 0 {
            out.push(MidiOut {
                port: unit.port,
                bytes: encode_to_surface(&ToSurface::Fader { fader: f, value }),
            });
        }
        let first = unit.first;
        let Some((address, conv)) = self.fader_target(hub, ui, f) else {
            return;
        };
        let x = conv.value_at(codec::fader_to_pos(value));
        if hub.apply(self.origin, address, Value::Float(x)).is_err() {
            self.rejected += 1;
        }
        if f != MASTER_FADER {
            self.value_until.insert(
                first + usize::from(f),
                (now + VALUE_DISPLAY, ValueShown::Fader),
            );
        }
    }

    fn fader_touched(&mut self, hub: &mut Hub, ui: usize, f: u8, on: bool) {
        if let Some(t) = self.units[ui].touched.get_mut(usize::from(f)) {
            *t = on;
        }
        if let Some((address, _)) = self.fader_target(hub, ui, f) {
            let _ = hub.touch(self.origin, address, on);
        }
        // On release the next tick puts the fader where the mix says: it
        // stands where the hand left it (its last move), so only a mix
        // that differs moves it.
    }

    fn button(&mut self, hub: &mut Hub, ui: usize, n: u8, pressed: bool, now: Instant) {
        let unit = &self.units[ui];
        // Strip buttons: base + strip.
        let strip_control = match n {
            0x00..=0x07 => Some(("rec", n)),
            0x08..=0x0F => Some(("solo", n - note::SOLO)),
            0x10..=0x17 => Some(("mute", n - note::MUTE)),
            0x18..=0x1F => Some(("select", n - note::SELECT)),
            0x20..=0x27 => Some(("vselect", n - note::VSELECT)),
            _ => None,
        };
        if let Some((control, k)) = strip_control {
            if !pressed || usize::from(k) >= unit.strips {
                return;
            }
            let global = unit.first + usize::from(k);
            let Some(strip) = self.strip_at(hub, global) else {
                return;
            };
            match self.strip_bindings.get(control).copied() {
                Some(StripBinding::Param(p)) => {
                    let a = Address::new(strip, p);
                    let on = matches!(hub.get(a), Ok(Value::Bool(true)));
                    if hub.apply(self.origin, a, Value::Bool(!on)).is_err() {
                        self.rejected += 1;
                    }
                }
                Some(StripBinding::Action(action)) => {
                    self.strip_action(hub, action, strip, global, now)
                }
                None => {}
            }
            return;
        }
        let Some(target) = self.buttons.get(&n).cloned() else {
            return;
        };
        match target {
            BindingTarget::Action(a) => self.global_action(hub, a, pressed),
            BindingTarget::Address(t) => {
                // A button bound to a switch toggles it on press.
                if !pressed {
                    return;
                }
                if let Ok(a) = Address::parse(&t) {
                    let on = matches!(hub.get(a), Ok(Value::Bool(true)));
                    if hub.apply(self.origin, a, Value::Bool(!on)).is_err() {
                        self.rejected += 1;
                    }
                }
            }
        }
    }

    fn strip_action(
        &mut self,
        hub: &mut Hub,
        action: SurfaceAction,
        strip: StripRef,
        global: usize,
        now: Instant,
    ) {
        match action {
            SurfaceAction::Select => {
                let was = self.selected.contains(&strip);
                if self.modifiers.shift {
                    if was {
                        self.selected.retain(|s| *s != strip);
                    } else {
                        self.selected.push(strip);
                    }
                } else if was && self.selected.len() == 1 {
                    self.selected.clear();
                } else {
                    self.selected = vec![strip];
                }
            }
            SurfaceAction::VPotReset => {
                // In the EQ and dynamics views a push switches the section
                // in or out; elsewhere it resets the value.
                let switch = (!self.flip)
                    .then(|| self.vpot_target(strip))
                    .flatten()
                    .and_then(|(a, _)| section_switch(a.param));
                if let Some(p) = switch {
                    let a = Address::new(strip, p);
                    let on = matches!(hub.get(a), Ok(Value::Bool(true)));
                    let _ = hub.apply(self.origin, a, Value::Bool(!on));
                    self.value_until
                        .insert(global, (now + VALUE_DISPLAY, ValueShown::VPot));
                } else if let Some((a, conv)) = self.vpot_target(strip) {
                    let _ = hub.apply(self.origin, a, Value::Float(conv.default()));
                    self.value_until
                        .insert(global, (now + VALUE_DISPLAY, ValueShown::VPot));
                }
            }
            other => self.global_action(hub, other, true),
        }
    }

    fn global_action(&mut self, hub: &mut Hub, action: SurfaceAction, pressed: bool) {
        use SurfaceAction as A;
        match action {
            A::Shift => self.modifiers.shift = pressed,
            A::Option => self.modifiers.option = pressed,
            A::Control => self.modifiers.control = pressed,
            A::Alt => self.modifiers.alt = pressed,
            _ if !pressed => {}
            A::BankLeft => self.bank = self.bank.saturating_sub(self.width),
            A::BankRight => {
                let n = mixer_strips(hub).len();
                if self.bank + self.width < n {
                    self.bank += self.width;
                }
            }
            A::ChannelLeft => self.bank = self.bank.saturating_sub(1),
            A::ChannelRight => {
                let n = mixer_strips(hub).len();
                if self.bank + 1 < n {
                    self.bank += 1;
                }
            }
            A::Flip => self.flip = !self.flip,
            A::ViewPan => self.view = VPotView::Pan,
            A::ViewTrim => self.view = VPotView::Trim,
            A::ViewEq => {
                self.view = match self.view {
                    VPotView::Eq(i) => VPotView::Eq((i + 1) % EQ_VIEW.len()),
                    _ => VPotView::Eq(0),
                };
            }
            A::ViewDynamics => {
                self.view = match self.view {
                    VPotView::Dynamics(i) => VPotView::Dynamics((i + 1) % DYNAMICS_VIEW.len()),
                    _ => VPotView::Dynamics(0),
                };
            }
            A::LoudnessDisplay => self.loudness_display = !self.loudness_display,
            A::ViewSends => {
                let most = mixer_strips(hub)
                    .iter()
                    .filter_map(|s| hub.session().controls(*s).map(|c| c.sends.len()))
                    .max()
                    .unwrap_or(0);
                self.view = match self.view {
                    VPotView::Send(k) if k + 1 < most => VPotView::Send(k + 1),
                    _ => VPotView::Send(0),
                };
            }
            A::AutomationOff
            | A::AutomationRead
            | A::AutomationTouch
            | A::AutomationLatch
            | A::AutomationWrite
            | A::AutomationTrim => {
                let mode = automation_of(action).unwrap_or(AutomationMode::Off);
                let targets: Vec<StripRef> = if self.modifiers.alt {
                    hub.strips().collect()
                } else {
                    self.selected.clone()
                };
                for s in targets {
                    let a = Address::new(s, Param::Automation);
                    if hub
                        .apply(self.origin, a, Value::Text(mode.as_str().into()))
                        .is_err()
                    {
                        self.rejected += 1;
                    }
                }
            }
            A::TransportPlay => hub.transport(TransportCmd::Play),
            A::TransportStop => hub.transport(TransportCmd::Stop),
            A::TransportRewind => hub.transport(TransportCmd::Locate(0)),
            A::TransportForward => {
                let t = hub.transport_state();
                let step = u64::from(hub.sample_rate()) * 10;
                hub.transport(TransportCmd::Locate(t.position_frames.saturating_add(step)));
            }
            A::TransportLoop => hub.toggle_loop(),
            A::AutomationUndo => {
                if let Err(e) = hub.undo_automation() {
                    tracing::info!("undo: {e}");
                }
            }
            A::SessionSave => hub.request_save(),
            A::Select | A::VPotReset => {}
        }
    }

    fn vpot(&mut self, hub: &mut Hub, ui: usize, pot: u8, delta: i8, now: Instant) {
        let unit = &self.units[ui];
        if usize::from(pot) >= unit.strips {
            return;
        }
        let global = unit.first + usize::from(pot);
        let Some(strip) = self.strip_at(hub, global) else {
            return;
        };
        let Some((a, conv)) = self.vpot_target(strip) else {
            return;
        };
        let Ok(Value::Float(now_value)) = hub.get(a) else {
            return;
        };
        let fine = self.modifiers.shift;
        let next = conv.step(now_value, delta, fine);
        if hub.apply(self.origin, a, Value::Float(next)).is_err() {
            self.rejected += 1;
        }
        self.value_until
            .insert(global, (now + VALUE_DISPLAY, ValueShown::VPot));
    }

    /// Called once per hub tick: everything every online unit should show
    /// that it does not show yet.
    pub fn tick(
        &mut self,
        hub: &Hub,
        changed: &[Feedback],
        meters: &MeterFrame,
        now: Instant,
    ) -> Vec<MidiOut> {
        self.peaks.absorb(meters);
        // Changes made elsewhere show their value for a moment too.
        for f in changed {
            if f.origin == self.origin {
                continue;
            }
            if let Some(i) = self.position_of(hub, f.address.strip) {
                let kind = if matches!(f.address.param, Param::Fader | Param::Gain) {
                    ValueShown::Fader
                } else if self
                    .vpot_target(f.address.strip)
                    .is_some_and(|(a, _)| a.lane() == f.address.lane())
                {
                    ValueShown::VPot
                } else {
                    continue;
                };
                self.value_until.insert(i, (now + VALUE_DISPLAY, kind));
            }
        }
        self.value_until.retain(|_, (until, _)| *until > now);
        let out = self.draw(hub, now, true);
        // Meter peaks start again after each tick that used them.
        self.peaks.clear();
        out
    }

    /// Between ticks, right after something changed the mix: send the
    /// faders, LEDs and displays that now differ (meters wait for the
    /// tick), so a motor fader follows an OSC move at once.
    pub fn flush(&mut self, hub: &Hub, now: Instant) -> Vec<MidiOut> {
        self.draw(hub, now, false)
    }

    fn draw(&mut self, hub: &Hub, now: Instant, with_meters: bool) -> Vec<MidiOut> {
        let mut out = Vec::new();
        let strips = mixer_strips(hub);
        for ui in 0..self.units.len() {
            let port = self.units[ui].port;
            let u = &mut self.units[ui];
            match u.state {
                Handshake::Online => {}
                Handshake::Waiting(_)
                    if !u.answered && now.duration_since(u.connected_at) >= HANDSHAKE_FALLBACK =>
                {
                    tracing::warn!(
                        "mackie unit '{}' on MIDI port {port} has not answered the device query in {} s: driving it without the handshake (a unit that never answers wants `no_handshake` in its profile's behaviours)",
                        u.name,
                        HANDSHAKE_FALLBACK.as_secs()
                    );
                    u.go_online(&mut out);
                }
                Handshake::Waiting(asked) => {
                    if now.duration_since(asked) >= HELLO_RETRY {
                        u.ask(now, &mut out);
                    }
                    continue;
                }
                Handshake::Confirming(replied) => {
                    if now.duration_since(replied) >= CONFIRM_TIMEOUT {
                        tracing::warn!(
                            "mackie unit '{}' on MIDI port {port} did not confirm the challenge response in {} s: asking again",
                            u.name,
                            CONFIRM_TIMEOUT.as_secs()
                        );
                        u.ask(now, &mut out);
                    }
                    continue;
                }
            }
            let mut desired = self.desired(hub, ui, &strips);
            if !with_meters {
                desired.meters = [None; 8];
            }
            self.diff(ui, desired, now, &mut out);
        }
        out
    }

    /// Global surface position of a mixer strip, if it is on the surface.
    fn position_of(&self, hub: &Hub, strip: StripRef) -> Option<usize> {
        let i = mixer_strips(hub).iter().position(|s| *s == strip)?;
        (i >= self.bank && i < self.bank + self.width).then(|| i - self.bank)
    }

    /// What unit `ui` should show now.
    fn desired(&self, hub: &Hub, ui: usize, strips: &[StripRef]) -> Desired {
        let unit = &self.units[ui];
        let mut d = Desired::default();
        for k in 0..unit.strips {
            let global = unit.first + k;
            let strip = strips.get(self.bank + global).copied();
            // Fader.
            let fader = strip.and_then(|s| {
                let (a, conv) = self.fader_control(s)?;
                let held = unit.touched[k] || hub.is_touched_by(a, self.origin);
                if held {
                    return Some(None);
                }
                match hub.get(a) {
                    Ok(Value::Float(x)) => Some(Some(codec::pos_to_fader(conv.to_pos(x)))),
                    _ => Some(Some(0)),
                }
            });
            d.faders[k] = match fader {
                None => Some(0),
                Some(v) => v,
            };
            // Strip LEDs.
            let flag = |p: Param| {
                strip.is_some_and(|s| matches!(hub.get(Address::new(s, p)), Ok(Value::Bool(true))))
            };
            let led = |on: bool| if on { LedState::On } else { LedState::Off };
            d.leds.push((note::MUTE + k as u8, led(flag(Param::Mute))));
            d.leds.push((note::SOLO + k as u8, led(flag(Param::Solo))));
            d.leds.push((
                note::SELECT + k as u8,
                led(strip.is_some_and(|s| self.selected.contains(&s))),
            ));
            d.leds.push((note::REC + k as u8, LedState::Off));
            // Ring and LCD.
            let vp = strip.and_then(|s| {
                let (a, conv) = self.vpot_target(s)?;
                match hub.get(a) {
                    Ok(Value::Float(x)) => Some((conv, x)),
                    _ => None,
                }
            });
            d.rings[k] = Some(match vp {
                Some((conv, x)) => conv.ring(x),
                None => Ring {
                    mode: RingMode::Dot,
                    value: 0,
                    centre: false,
                },
            });
            let name = strip.map_or(String::new(), |s| strip_name(hub, s));
            let lower = match (strip, self.value_until.get(&global)) {
                (None, _) => String::new(),
                (Some(s), Some((_, ValueShown::Fader))) => {
                    match hub.get(Address::new(s, Param::Gain)) {
                        Ok(Value::Float(db)) => format_db(db),
                        _ => String::new(),
                    }
                }
                _ => vp.map_or(String::new(), |(conv, x)| conv.label(x)),
            };
            d.lcd[k] = cell(&name);
            d.lcd[8 + k] = cell(&lower);
            d.colours[k] = match strip {
                None => ScribbleColour::Off,
                Some(s) if self.selected.contains(&s) => ScribbleColour::White,
                Some(StripRef::Track(_)) => ScribbleColour::Cyan,
                Some(_) => ScribbleColour::Yellow,
            };
            let peak = strip.map_or(0.0, |s| self.peaks.peak(s));
            d.meters[k] = Some(peak);
        }
        for k in unit.strips..8 {
            d.lcd[k] = cell("");
            d.lcd[8 + k] = cell("");
        }
        if self.loudness_display && ui == 0 {
            // The first five cells of the lower line (six characters each)
            // read the master's loudness: momentary, short-term,
            // integrated, range (LR), true peak (T).
            let l = hub.loudness();
            let fig = |x: f64| {
                if x.is_finite() {
                    format!("{x:.1}")
                } else {
                    "-inf".to_owned()
                }
            };
            let cells = [
                format!("M{:>5}", fig(l.momentary)),
                format!("S{:>5}", fig(l.short_term)),
                format!("I{:>5}", fig(l.integrated)),
                format!("LR{:>4}", fig(l.range)),
                format!("T{:>5}", fig(l.true_peak_dbtp)),
            ];
            for (k, text) in cells.iter().enumerate().take(unit.strips) {
                d.lcd[8 + k] = cell(text);
            }
        }
        if unit.main {
            if unit.master_fader {
                let a = self.master.map(|p| Address::new(StripRef::Master, p));
                d.faders[8] = match a {
                    Some(a) if unit.touched[8] || hub.is_touched_by(a, self.origin) => None,
                    Some(a) => match hub.get(a) {
                        Ok(Value::Float(x)) => {
                            Some(codec::pos_to_fader(conv_for(a.param).to_pos(x)))
                        }
                        _ => None,
                    },
                    None => None,
                };
            }
            // Global button LEDs from what their actions stand for.
            let first_mode = self
                .selected
                .first()
                .and_then(|s| hub.session().controls(*s))
                .map(|c| c.automation);
            let t = hub.transport_state();
            for (n, target) in &self.buttons {
                let BindingTarget::Action(a) = target else {
                    continue;
                };
                let on = match a {
                    SurfaceAction::Flip => self.flip,
                    SurfaceAction::ViewPan => self.view == VPotView::Pan,
                    SurfaceAction::ViewSends => matches!(self.view, VPotView::Send(_)),
                    SurfaceAction::ViewTrim => self.view == VPotView::Trim,
                    SurfaceAction::ViewEq => matches!(self.view, VPotView::Eq(_)),
                    SurfaceAction::ViewDynamics => matches!(self.view, VPotView::Dynamics(_)),
                    SurfaceAction::LoudnessDisplay => self.loudness_display,
                    SurfaceAction::TransportPlay => t.rolling,
                    SurfaceAction::TransportStop => !t.rolling,
                    SurfaceAction::TransportLoop => hub.loop_range().is_some(),
                    SurfaceAction::SessionSave => hub.is_dirty(),
                    other => automation_of(*other).is_some_and(|m| first_mode == Some(m)),
                };
                d.leds
                    .push((*n, if on { LedState::On } else { LedState::Off }));
            }
            if unit.timecode {
                d.timecode = Some(timecode_digits(t.position_frames, hub.sample_rate()));
            }
            if unit.assignment {
                let text = match self.view {
                    VPotView::Pan => "PN".to_owned(),
                    VPotView::Trim => "TR".to_owned(),
                    VPotView::Send(k) => format!("S{}", (k + 1) % 10),
                    VPotView::Eq(i) => EQ_VIEW.get(i).map_or("EQ", |v| v.1).to_owned(),
                    VPotView::Dynamics(i) => DYNAMICS_VIEW.get(i).map_or("DY", |v| v.1).to_owned(),
                };
                let mut chars = text.chars();
                let (a, b) = (chars.next().unwrap_or(' '), chars.next().unwrap_or(' '));
                // Digit 0 is the right one.
                d.assignment = Some([codec::seven_segment(b), codec::seven_segment(a)]);
            }
        }
        d
    }

    /// Send unit `ui` what differs between `d` and what it shows.
    fn diff(&mut self, ui: usize, d: Desired, now: Instant, out: &mut Vec<MidiOut>) {
        let unit = &mut self.units[ui];
        let port = unit.port;
        let mut send = |m: ToSurface| {
            out.push(MidiOut {
                port,
                bytes: encode_to_surface(&m),
            })
        };
        for (f, want) in d.faders.iter().enumerate() {
            let Some(v) = *want else { continue };
            if f == 8 && !(unit.main && unit.master_fader) {
                continue;
            }
            if f < 8 && f >= unit.strips {
                continue;
            }
            if unit.shown.faders[f] != Some(v) {
                unit.shown.faders[f] = Some(v);
                send(ToSurface::Fader {
                    fader: f as u8,
                    value: v,
                });
            }
        }
        for (n, state) in d.leds {
            if unit.shown.leds.get(&n) != Some(&state) {
                unit.shown.leds.insert(n, state);
                send(ToSurface::Led { note: n, state });
            }
        }
        for (k, ring) in d.rings.iter().enumerate().take(unit.strips) {
            if let Some(r) = ring
                && unit.shown.rings[k] != Some(*r)
            {
                unit.shown.rings[k] = Some(*r);
                send(ToSurface::Ring {
                    pot: k as u8,
                    ring: *r,
                });
            }
        }
        if unit.display {
            for (i, c) in d.lcd.iter().enumerate() {
                if unit.shown.lcd[i] != Some(*c) {
                    unit.shown.lcd[i] = Some(*c);
                    let (line, k) = (i / 8, i % 8);
                    send(ToSurface::Lcd {
                        device: unit.device,
                        offset: (line * codec::LCD_LINE + k * codec::LCD_CELL) as u8,
                        text: c.to_vec(),
                    });
                }
            }
            if unit.colours && unit.shown.colours != Some(d.colours) {
                unit.shown.colours = Some(d.colours);
                send(ToSurface::Colours {
                    device: unit.device,
                    colours: d.colours,
                });
            }
        }
        if unit.meters {
            for k in 0..unit.strips {
                let Some(peak) = d.meters[k] else { continue };
                let db = amp_to_db(f64::from(peak));
                let level = codec::meter_level(db);
                let due = match unit.shown.meters[k] {
                    None => true,
                    Some((shown, at)) => {
                        let since = now.duration_since(at);
                        since >= METER_MIN_INTERVAL
                            && (level != shown || (level > 0 && since >= unit.meter_refresh))
                    }
                };
                // Silence is sent once; a steady level only as often as the
                // device needs to keep it lit.
                if due && !(level == 0 && unit.shown.meters[k].is_some_and(|(l, _)| l == 0)) {
                    unit.shown.meters[k] = Some((level, now));
                    send(ToSurface::Meter {
                        strip: k as u8,
                        value: MeterValue::Level(level),
                    });
                }
                if db > 0.0 {
                    if unit.shown.overload[k].is_none() {
                        send(ToSurface::Meter {
                            strip: k as u8,
                            value: MeterValue::SetOverload,
                        });
                    }
                    unit.shown.overload[k] = Some(now);
                } else if unit.shown.overload[k]
                    .is_some_and(|at| now.duration_since(at) >= OVERLOAD_HOLD)
                {
                    unit.shown.overload[k] = None;
                    send(ToSurface::Meter {
                        strip: k as u8,
                        value: MeterValue::ClearOverload,
                    });
                }
            }
        }
        if let Some(digits) = d.timecode {
            for (i, (code, dot)) in digits.iter().enumerate() {
                let byte = code | if *dot { 0x40 } else { 0 };
                if unit.shown.timecode[i] != Some(byte) {
                    unit.shown.timecode[i] = Some(byte);
                    send(ToSurface::TimecodeDigit {
                        digit: i as u8,
                        code: *code,
                        dot: *dot,
                    });
                }
            }
        }
        if let Some(chars) = d.assignment {
            for (i, code) in chars.iter().enumerate() {
                if unit.shown.assignment[i] != Some(*code) {
                    unit.shown.assignment[i] = Some(*code);
                    send(ToSurface::AssignmentDigit {
                        digit: i as u8,
                        code: *code,
                        dot: false,
                    });
                }
            }
        }
    }
}

/// What one unit should show.
#[derive(Debug)]
struct Desired {
    /// `None`: leave the fader alone (touched).
    faders: [Option<u16>; 9],
    leds: Vec<(u8, LedState)>,
    rings: [Option<Ring>; 8],
    lcd: [[u8; codec::LCD_CELL]; 16],
    colours: [ScribbleColour; 8],
    meters: [Option<f32>; 8],
    /// Digit 0 (rightmost) first: (code, dot).
    timecode: Option<[(u8, bool); 10]>,
    /// Digit 0 (right) first.
    assignment: Option<[u8; 2]>,
}

impl Default for Desired {
    fn default() -> Desired {
        Desired {
            faders: [None; 9],
            leds: Vec::new(),
            rings: [None; 8],
            lcd: [[b' '; codec::LCD_CELL]; 16],
            colours: [ScribbleColour::Off; 8],
            meters: [None; 8],
            timecode: None,
            assignment: None,
        }
    }
}

impl Conv {
    fn ring(self, x: f64) -> Ring {
        let p = self.to_pos(x);
        let step = |p: f64| (p * 10.0).round() as u8 + 1;
        match self {
            Conv::TrimDb => Ring {
                mode: RingMode::BoostCut,
                value: step(p),
                centre: x.abs() < 0.05,
            },
            Conv::GainDb | Conv::Level => Ring {
                mode: RingMode::Wrap,
                value: if p <= 0.0 { 0 } else { step(p) },
                centre: false,
            },
            Conv::Pan => Ring {
                mode: RingMode::Dot,
                value: step(p),
                centre: (p - 0.5).abs() < 0.01,
            },
            // Boost and cut from the centre.
            Conv::Scaled(Scale::EqGainDb) => Ring {
                mode: RingMode::BoostCut,
                value: step(p),
                centre: x.abs() < 0.05,
            },
            Conv::Scaled(_) => Ring {
                mode: RingMode::Wrap,
                value: step(p),
                centre: false,
            },
        }
    }

    fn label(self, x: f64) -> String {
        match self {
            Conv::TrimDb => format!("{x:+.1}"),
            Conv::GainDb => format_db(x),
            Conv::Level => format_db(pos_to_db(x)),
            Conv::Pan => format_pan(x),
            Conv::Scaled(s) => s.label(x),
        }
    }
}

/// A send fader or pan position as shown on the LCD (pan: L50 .. <C> .. R50).
fn format_pan(p: f64) -> String {
    let off = ((p - 0.5) * 200.0).round() as i64;
    match off {
        0 => " <C>".into(),
        o if o < 0 => format!("L{}", -o),
        o => format!("R{o}"),
    }
}

fn format_db(db: f64) -> String {
    if db.is_finite() {
        format!("{db:.1}")
    } else {
        "-inf".into()
    }
}

/// 6 characters centred-left and a separating space.
fn cell(text: &str) -> [u8; codec::LCD_CELL] {
    let mut c = [b' '; codec::LCD_CELL];
    for (d, s) in c.iter_mut().zip(codec::lcd_text(text).into_iter().take(6)) {
        *d = s;
    }
    c
}

fn strip_name(hub: &Hub, s: StripRef) -> String {
    match hub.get(Address::new(s, Param::Name)) {
        Ok(Value::Text(t)) => t,
        _ => String::new(),
    }
}

/// Tracks then buses: what the surface banks across (the master has its own fader).
fn mixer_strips(hub: &Hub) -> Vec<StripRef> {
    hub.strips().filter(|s| *s != StripRef::Master).collect()
}

fn template_param(t: &str) -> Option<Param> {
    let concrete = t.replace("B{n}", "1").replace("{n}", "1");
    Address::parse(&concrete).ok().map(|a| a.param)
}

fn automation_of(a: SurfaceAction) -> Option<AutomationMode> {
    Some(match a {
        SurfaceAction::AutomationOff => AutomationMode::Off,
        SurfaceAction::AutomationRead => AutomationMode::Read,
        SurfaceAction::AutomationTouch => AutomationMode::Touch,
        SurfaceAction::AutomationLatch => AutomationMode::Latch,
        SurfaceAction::AutomationWrite => AutomationMode::Write,
        SurfaceAction::AutomationTrim => AutomationMode::Trim,
        _ => return None,
    })
}

/// The 10 timecode digits for `frames` at `rate`, as hours (3), minutes,
/// seconds and frames (30 per second, 3 digits), rightmost first, with a
/// dot after each group.
fn timecode_digits(frames: u64, rate: u32) -> [(u8, bool); 10] {
    let rate = u64::from(rate.max(1));
    let secs = frames / rate;
    let sub = (frames % rate) * 30 / rate;
    let text = format!(
        "{:>3}{:02}{:02}{:>3}",
        secs / 3600 % 1000,
        secs / 60 % 60,
        secs % 60,
        sub
    );
    let mut d = [(0x20, false); 10];
    for (i, c) in text.chars().rev().enumerate().take(10) {
        // Dots after hours, minutes and seconds (digit 7, 5, 3 from the right).
        d[i] = (codec::seven_segment(c), matches!(i, 3 | 5 | 7));
    }
    d
}
