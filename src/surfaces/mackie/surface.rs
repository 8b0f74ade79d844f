//! The Mackie Control surface on the hub thread: one or more ganged units
//! (a main unit plus extenders, each on its own MIDI port pair) banked as
//! one wide surface.
//!
//! Thread: hub. Pure apart from reading and driving the hub: it returns
//! MIDI messages and the driver writes them.
//!
//! What a unit is sent back is in `draw`; what its controls do, in
//! `input`.

use super::codec::{self, FromSurface, LedState, MASTER_FADER, Ring, ToSurface, encode_to_surface};
use crate::mixer::{
    Address, BandParam, ClientId, CompParam, EqParam, GateParam, Hub, Origin, Param, SendParam,
    Spec, StripRef,
};
use crate::model::surface::{
    Behaviour, BindingTarget, ControlMap, MackieUnit, SurfaceAction, SurfaceProfile,
};
use crate::model::{AutomationMode, StripColour};
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
pub(super) fn section_switch(p: Param) -> Option<Param> {
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
pub(super) enum StripBinding {
    Param(Param),
    Action(SurfaceAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handshake {
    /// Last asked with a device query then.
    Waiting(Instant),
    /// Answered a Logic Control challenge then; waiting for the
    /// confirmation.
    Confirming(Instant),
    Online,
}

#[derive(Debug)]
pub(super) struct Unit {
    pub(super) port: u8,
    pub(super) device: u8,
    pub(super) strips: usize,
    /// Global index of its first strip.
    pub(super) first: usize,
    pub(super) main: bool,
    pub(super) master_fader: bool,
    pub(super) display: bool,
    pub(super) meters: bool,
    pub(super) colours: bool,
    /// The profile wants fader moves echoed back (the motor follows the
    /// hand).
    pub(super) echo: bool,
    /// The backend echoes them itself, within the cycle they arrive in.
    pub(super) echoed_by_backend: bool,
    pub(super) challenge: bool,
    pub(super) no_handshake: bool,
    pub(super) lcd_meters: bool,
    /// The profile's name, for the log.
    pub(super) name: String,
    /// When its port last appeared.
    pub(super) connected_at: Instant,
    /// It has answered the device query since.
    pub(super) answered: bool,
    pub(super) timecode: bool,
    pub(super) assignment: bool,
    pub(super) meter_refresh: Duration,
    pub(super) state: Handshake,
    pub(super) shown: Shown,
    /// Each fader's touch sensor (a hand is on it): its motor never moves
    /// under a hand, whatever the fader controls after a bank or flip.
    /// Who holds a control is the hub's touch model (`Hub::touch`), which
    /// the touch also goes to.
    pub(super) hand_on: [bool; 9],
    /// Its strips may show something other than the mix: redraw them at
    /// the next tick (after its own input, a bank or view change, a value
    /// display ending, a fader held back by a hand).
    pub(super) stale: bool,
}

impl Unit {
    /// Send the device query.
    pub(super) fn ask(&mut self, now: Instant, out: &mut Vec<MidiOut>) {
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
    pub(super) fn go_online(&mut self, out: &mut Vec<MidiOut>) {
        self.state = Handshake::Online;
        self.shown = Shown::fresh();
        self.stale = true;
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
    pub(super) fn fader_channels(&self) -> u16 {
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
pub(super) struct Shown {
    pub(super) faders: [Option<u16>; 9],
    pub(super) leds: HashMap<u8, LedState>,
    pub(super) rings: [Option<Ring>; 8],
    pub(super) lcd: Vec<Option<[u8; codec::LCD_CELL]>>,
    pub(super) colours: Option<[StripColour; 8]>,
    pub(super) meters: [Option<(u8, Instant)>; 8],
    pub(super) overload: [Option<Instant>; 8],
    pub(super) timecode: [Option<u8>; 10],
    pub(super) assignment: [Option<u8>; 2],
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
pub(super) struct Modifiers {
    pub(super) shift: bool,
    pub(super) option: bool,
    pub(super) control: bool,
    pub(super) alt: bool,
}

/// See the module docs.
#[derive(Debug)]
pub struct MackieSurface {
    pub(super) units: Vec<Unit>,
    pub(super) width: usize,
    pub(super) bank: usize,
    /// How many strips it banked across at the last tick (a track
    /// removed or added redraws every unit).
    pub(super) strip_count: Option<usize>,
    pub(super) view: VPotView,
    pub(super) flip: bool,
    /// The lower display line shows the master's loudness.
    pub(super) loudness_display: bool,
    pub(super) selected: Vec<StripRef>,
    pub(super) modifiers: Modifiers,
    pub(super) strip_bindings: HashMap<&'static str, StripBinding>,
    pub(super) master: Option<Param>,
    pub(super) buttons: HashMap<u8, BindingTarget>,
    pub(super) origin: Origin,
    /// Strip (global index) whose lower line shows a value until then.
    pub(super) value_until: HashMap<usize, (Instant, ValueShown)>,
    pub(super) peaks: crate::surfaces::meters::MeterHold,
    pub(super) rejected: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueShown {
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
                hand_on: [false; 9],
                stale: true,
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
            strip_count: None,
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

    /// How many of its units have completed their handshake.
    pub fn online_units(&self) -> usize {
        self.units
            .iter()
            .filter(|u| u.state == Handshake::Online)
            .count()
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
            u.hand_on = [false; 9];
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
            u.hand_on = [false; 9];
        }
    }

    /// The mixer strip at global surface position `i` under the bank.
    pub(super) fn strip_at(&self, hub: &Hub, i: usize) -> Option<StripRef> {
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
        // Whatever it did (a bank, a view, a selection, a touch, a press)
        // shows at the next tick.
        self.mark_stale();
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
    pub(super) fn fader_target(&self, hub: &Hub, ui: usize, f: u8) -> Option<(Address, Spec)> {
        let unit = &self.units[ui];
        if f == MASTER_FADER {
            return (unit.master_fader && unit.main)
                .then_some(self.master)
                .flatten()
                .map(|p| (Address::new(StripRef::Master, p), p.spec()));
        }
        if usize::from(f) >= unit.strips {
            return None;
        }
        let strip = self.strip_at(hub, unit.first + usize::from(f))?;
        self.fader_control(strip)
    }

    /// The fader binding's parameter on `strip` (its gain, by default).
    pub(super) fn gain_target(&self, strip: StripRef) -> Option<(Address, Spec)> {
        match self.strip_bindings.get("fader") {
            Some(StripBinding::Param(p)) => Some((Address::new(strip, *p), p.spec())),
            _ => None,
        }
    }

    /// The V-Pot view's parameter on `strip`.
    pub(super) fn view_target(&self, strip: StripRef) -> Option<(Address, Spec)> {
        let p = match self.view {
            VPotView::Pan => Param::Pan,
            VPotView::Send(k) => Param::Send(k, SendParam::Fader),
            VPotView::Trim => Param::Trim,
            VPotView::Eq(i) => EQ_VIEW.get(i)?.0,
            VPotView::Dynamics(i) => DYNAMICS_VIEW.get(i)?.0,
        };
        Some((Address::new(strip, p), p.spec()))
    }

    /// What the fader of `strip` controls: its gain, or under flip the
    /// V-Pot view's parameter (in every view).
    pub(super) fn fader_control(&self, strip: StripRef) -> Option<(Address, Spec)> {
        if self.flip {
            self.view_target(strip)
        } else {
            self.gain_target(strip)
        }
    }

    /// What the V-Pot of `strip` controls: the view's parameter, or under
    /// flip the gain.
    pub(super) fn vpot_target(&self, strip: StripRef) -> Option<(Address, Spec)> {
        if self.flip {
            self.gain_target(strip)
        } else {
            self.view_target(strip)
        }
    }

    /// Every unit's strips are to be redrawn at the next tick.
    pub(super) fn mark_stale(&mut self) {
        for u in &mut self.units {
            u.stale = true;
        }
    }
}

/// Tracks then buses: what the surface banks across (the master has its own fader).
pub(super) fn mixer_strips(hub: &Hub) -> Vec<StripRef> {
    hub.strips().filter(|s| *s != StripRef::Master).collect()
}

pub(super) fn template_param(t: &str) -> Option<Param> {
    let concrete = t.replace("B{n}", "1").replace("{n}", "1");
    Address::parse(&concrete).ok().map(|a| a.param)
}

pub(super) fn automation_of(a: SurfaceAction) -> Option<AutomationMode> {
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
