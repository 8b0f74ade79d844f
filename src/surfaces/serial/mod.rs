//! DIY motorized-fader boards on a serial line, speaking `fader-link`.
//!
//! [`SerialSurface`] is the hub-side state of one board: the handshake
//! (Hello, retried until the board answers: many boards reset when their
//! port opens), liveness (Ping/Pong), the map from the board's faders,
//! buttons, encoders and LEDs to mixer addresses, and the touch/echo rules
//! of the protocol. It is pure: it consumes [`FromBoard`] messages and
//! returns [`ToBoard`] messages; [`driver`] owns the port and the framing.
//!
//! Map controls are `fader[n]`, `button[n]`, `encoder[n]` and `led[n]`
//! (`n` runs over the bank, `{n}` in the target follows it) or a numbered
//! one, `button[5]`, which wins over a template. Faders and encoders drive
//! continuous targets on the parameter's own scale (a gain fader moves
//! along the fader law); buttons toggle switches or run bank and transport
//! actions; LEDs show switches.
//!
//! Thread: hub.

pub mod boards;
pub mod driver;

use crate::mixer::{Address, ClientId, Feedback, Hub, Origin, Value};
use crate::model::surface::{BindingTarget, ControlMap, SurfaceAction, SurfaceProfile};
use crate::surfaces::target::{BankTarget, bank_or_transport};
use fader_link::{FromBoard, POSITION_MAX, PROTOCOL_VERSION, ToBoard, caps};
use std::time::{Duration, Instant};

/// How often a board is pinged; three missed pongs mean it stopped answering.
pub const PING_INTERVAL: Duration = Duration::from_secs(1);
/// How often Hello is repeated until the board answers.
pub const HELLO_INTERVAL: Duration = Duration::from_secs(1);
/// No fader is sent a setpoint more often than this (automation playback
/// and fast remote moves reach the motors at most at 100 Hz per fader).
pub const SETPOINT_INTERVAL: Duration = Duration::from_millis(10);

/// Kinds of board controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fader,
    Button,
    Encoder,
    Led,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Address(BankTarget),
    Action(SurfaceAction),
}

#[derive(Debug, Clone, Copy)]
struct Bound {
    kind: Kind,
    /// 0-based control index.
    index: u8,
    target: Target,
}

#[derive(Debug, Clone, Copy, Default)]
struct FaderState {
    /// The fader's touch sensor (a hand is on it): no setpoint goes to a
    /// fader under a hand. Who holds the control is the hub's touch model
    /// (`Hub::touch`), which the touch also goes to.
    hand_on: bool,
    /// The last setpoint sent, or where the hand put it.
    shown: Option<u16>,
    sent_at: Option<Instant>,
}

/// What the board said about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardInfo {
    /// Firmware version.
    pub firmware: [u8; 3],
    /// Motor faders.
    pub faders: u8,
    /// [`caps`] bits.
    pub capabilities: u8,
    /// Buttons.
    pub buttons: u8,
    /// Encoders.
    pub encoders: u8,
    /// LEDs.
    pub leds: u8,
}

/// See the module docs.
#[derive(Debug)]
pub struct SerialSurface {
    name: String,
    bindings: Vec<Bound>,
    faders: Vec<FaderState>,
    leds: Vec<Option<u8>>,
    bank: usize,
    bank_size: usize,
    origin: Origin,
    /// The port is open.
    connected: bool,
    /// The board answered Hello.
    online: Option<BoardInfo>,
    hello_at: Option<Instant>,
    last_ping: Option<Instant>,
    last_pong: Option<Instant>,
    ping_seq: u16,
    rejected: u64,
    /// A feedback pass is owed: something it shows may differ from the
    /// mix (a change to one of its addresses, a new bank, a connect, a
    /// setpoint held back by the rate limit or a hand).
    owed: bool,
    /// The addresses its faders and LEDs show in the current bank
    /// (`None` until looked up again after a bank change).
    addresses: Option<Vec<Address>>,
}

/// Why a profile and map cannot drive a board.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    /// A control name the board does not have.
    #[error(
        "map '{map}': '{control}' is not a serial board control (fader[n], button[n], encoder[n], led[n], or one of them numbered: fader[3])"
    )]
    UnknownControl {
        /// The map.
        map: String,
        /// The control.
        control: String,
    },
    /// An action a board's button cannot run.
    #[error(
        "map '{map}': '{control}' runs '{action}', which a serial board does not offer (bank_left, bank_right, channel_left, channel_right, transport_play, transport_stop, transport_rewind, transport_forward, transport_loop, automation_undo, session_save)"
    )]
    UnsupportedAction {
        /// The map.
        map: String,
        /// The control.
        control: String,
        /// The action.
        action: &'static str,
    },
    /// A target that is not a mixer address.
    #[error("map '{map}': '{target}' is not a mixer address")]
    BadTarget {
        /// The map.
        map: String,
        /// The target.
        target: String,
    },
}

/// `fader[n]` -> (Fader, None); `fader[3]` -> (Fader, Some(2)).
fn parse_control(c: &str) -> Option<(Kind, Option<u8>)> {
    let (kind, rest) = c.trim().split_once('[')?;
    let inner = rest.strip_suffix(']')?;
    let kind = match kind {
        "fader" => Kind::Fader,
        "button" => Kind::Button,
        "encoder" => Kind::Encoder,
        "led" => Kind::Led,
        _ => return None,
    };
    if inner == "n" {
        return Some((kind, None));
    }
    let n: u8 = inner.parse().ok()?;
    Some((kind, Some(n.checked_sub(1)?)))
}

const BOARD_ACTIONS: [SurfaceAction; 11] = [
    SurfaceAction::BankLeft,
    SurfaceAction::BankRight,
    SurfaceAction::ChannelLeft,
    SurfaceAction::ChannelRight,
    SurfaceAction::TransportPlay,
    SurfaceAction::TransportStop,
    SurfaceAction::TransportRewind,
    SurfaceAction::TransportForward,
    SurfaceAction::TransportLoop,
    SurfaceAction::AutomationUndo,
    SurfaceAction::SessionSave,
];

impl SerialSurface {
    /// A board described by `profile`, doing what `map` says, acting as `client`.
    pub fn new(
        profile: &SurfaceProfile,
        map: &ControlMap,
        client: ClientId,
    ) -> Result<SerialSurface, SerialError> {
        let bank_size = usize::from(map.bank_size.max(1));
        let mut specific = Vec::new();
        let mut templated = Vec::new();
        for b in &map.bindings {
            let (kind, index) =
                parse_control(&b.control).ok_or_else(|| SerialError::UnknownControl {
                    map: map.name.clone(),
                    control: b.control.clone(),
                })?;
            let indices: Vec<u8> = match index {
                Some(i) => vec![i],
                None => (0..bank_size.min(256) as u16).map(|i| i as u8).collect(),
            };
            for i in indices {
                let target = match &b.target {
                    BindingTarget::Action(a) if BOARD_ACTIONS.contains(a) => Target::Action(*a),
                    BindingTarget::Action(a) => {
                        return Err(SerialError::UnsupportedAction {
                            map: map.name.clone(),
                            control: b.control.clone(),
                            action: a.name(),
                        });
                    }
                    BindingTarget::Address(t) => {
                        let t = t.replace("{n}", &(u16::from(i) + 1).to_string());
                        Target::Address(BankTarget::parse(&t).ok_or_else(|| {
                            SerialError::BadTarget {
                                map: map.name.clone(),
                                target: t.clone(),
                            }
                        })?)
                    }
                };
                let bound = Bound {
                    kind,
                    index: i,
                    target,
                };
                if index.is_some() {
                    specific.push(bound);
                } else {
                    templated.push(bound);
                }
            }
        }
        // A numbered control wins over a template.
        templated.retain(|t| {
            !specific
                .iter()
                .any(|s| s.kind == t.kind && s.index == t.index)
        });
        specific.extend(templated);
        Ok(SerialSurface {
            name: profile.name.clone(),
            bindings: specific,
            faders: vec![FaderState::default(); usize::from(profile.strips)],
            leds: Vec::new(),
            bank: 0,
            bank_size,
            origin: Origin::Client(client),
            connected: false,
            online: None,
            hello_at: None,
            last_ping: None,
            last_pong: None,
            ping_seq: 0,
            rejected: 0,
            owed: true,
            addresses: None,
        })
    }

    /// The board's name (from its profile).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the board reported, once it answered Hello.
    pub fn board(&self) -> Option<BoardInfo> {
        self.online
    }

    /// First mixer strip of the current bank.
    pub fn bank(&self) -> usize {
        self.bank
    }

    /// Messages refused (unknown index, a board error, a refused value).
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The port opened: say hello; everything the board shows is unknown.
    pub fn connect(&mut self, now: Instant) -> Vec<ToBoard> {
        self.connected = true;
        self.online = None;
        self.last_pong = None;
        self.last_ping = None;
        for f in &mut self.faders {
            *f = FaderState::default();
        }
        self.leds.clear();
        self.owed = true;
        self.hello_at = Some(now);
        vec![ToBoard::Hello {
            version: PROTOCOL_VERSION,
        }]
    }

    /// The port went away: release whatever the board was touching.
    pub fn disconnect(&mut self, hub: &mut Hub) {
        self.connected = false;
        self.online = None;
        for i in 0..self.faders.len() {
            if self.faders[i].hand_on {
                self.faders[i].hand_on = false;
                if let Some(a) = self.fader_address(hub, i as u8) {
                    let _ = hub.touch(self.origin, a, false);
                }
            }
        }
    }

    fn binding(&self, kind: Kind, index: u8) -> Option<Bound> {
        self.bindings
            .iter()
            .find(|b| b.kind == kind && b.index == index)
            .copied()
    }

    fn address_of(&self, hub: &Hub, b: &Bound) -> Option<Address> {
        match &b.target {
            Target::Address(t) => t.resolve(hub, self.bank),
            Target::Action(_) => None,
        }
    }

    fn fader_address(&self, hub: &Hub, index: u8) -> Option<Address> {
        let b = self.binding(Kind::Fader, index)?;
        self.address_of(hub, &b)
    }

    /// One message from the board; returns what to send back.
    pub fn handle(&mut self, hub: &mut Hub, m: FromBoard, now: Instant) -> Vec<ToBoard> {
        tracing::debug!("serial board '{}' in: {m:?}", self.name);
        match m {
            FromBoard::HelloReply {
                version,
                firmware,
                faders,
                capabilities,
                buttons,
                encoders,
                leds,
                ..
            } => {
                if version != PROTOCOL_VERSION {
                    tracing::error!(
                        "serial board '{}' speaks protocol {version}, faderd {PROTOCOL_VERSION}: update its firmware",
                        self.name
                    );
                    self.rejected += 1;
                    return Vec::new();
                }
                if usize::from(faders) != self.faders.len() {
                    tracing::warn!(
                        "serial board '{}' has {faders} faders, its profile says {}: using the board's count",
                        self.name,
                        self.faders.len()
                    );
                }
                self.online = Some(BoardInfo {
                    firmware,
                    faders,
                    capabilities,
                    buttons,
                    encoders,
                    leds,
                });
                self.last_pong = Some(now);
                self.owed = true;
                self.faders
                    .resize(usize::from(faders), FaderState::default());
                tracing::info!(
                    "serial board '{}' is up: firmware {}.{}.{}, {faders} faders{}",
                    self.name,
                    firmware[0],
                    firmware[1],
                    firmware[2],
                    if capabilities & caps::TOUCH != 0 {
                        " with touch sense"
                    } else {
                        ""
                    }
                );
            }
            FromBoard::Pong { .. } => self.last_pong = Some(now),
            FromBoard::Touch { index, on } => {
                let Some(f) = self.faders.get_mut(usize::from(index)) else {
                    self.rejected += 1;
                    return Vec::new();
                };
                f.hand_on = on;
                if !on {
                    // The next tick puts it where the mix is.
                    f.shown = None;
                    f.sent_at = None;
                    self.owed = true;
                }
                if let Some(a) = self.fader_address(hub, index)
                    && a.param.spec().ridden
                {
                    let _ = hub.touch(self.origin, a, on);
                }
            }
            FromBoard::Position { index, position } => {
                let Some(f) = self.faders.get_mut(usize::from(index)) else {
                    self.rejected += 1;
                    return Vec::new();
                };
                // The motor arriving where we sent it is not a user move.
                if !f.hand_on && f.shown == Some(position) {
                    return Vec::new();
                }
                f.shown = Some(position);
                if let Some(a) = self.fader_address(hub, index) {
                    let pos = f64::from(position.min(POSITION_MAX)) / f64::from(POSITION_MAX);
                    let v = a.param.spec().value_at(pos);
                    if hub.apply(self.origin, a, Value::Float(v)).is_err() {
                        self.rejected += 1;
                    }
                }
            }
            FromBoard::Button { index, pressed } => {
                let Some(b) = self.binding(Kind::Button, index) else {
                    return Vec::new();
                };
                if !pressed {
                    return Vec::new();
                }
                match b.target {
                    Target::Action(a) => {
                        bank_or_transport(hub, &mut self.bank, self.bank_size, a);
                        self.addresses = None;
                        self.owed = true;
                    }
                    Target::Address(_) => {
                        let Some(a) = self.address_of(hub, &b) else {
                            return Vec::new();
                        };
                        let on = matches!(hub.get(a), Ok(Value::Bool(true)));
                        if hub.apply(self.origin, a, Value::Bool(!on)).is_err() {
                            self.rejected += 1;
                        }
                    }
                }
            }
            FromBoard::Encoder { index, delta } => {
                let Some(a) = self
                    .binding(Kind::Encoder, index)
                    .and_then(|b| self.address_of(hub, &b))
                else {
                    return Vec::new();
                };
                let Ok(Value::Float(x)) = hub.get(a) else {
                    self.rejected += 1;
                    return Vec::new();
                };
                let next = a.param.spec().step_from(x, delta, false);
                if hub.apply(self.origin, a, Value::Float(next)).is_err() {
                    self.rejected += 1;
                }
            }
            FromBoard::Error { code } => {
                self.rejected += 1;
                tracing::warn!(
                    "serial board '{}' refused a message (error {code})",
                    self.name
                );
            }
        }
        Vec::new()
    }

    /// The changes the hub applied since the last call: when one is to an
    /// address a fader or LED of this board shows, the feedback it owes
    /// goes out at once (a motor follows a remote move without waiting for
    /// the tick). Other changes cost a lookup each.
    pub fn show(&mut self, hub: &Hub, changes: &[Feedback], now: Instant) -> Vec<ToBoard> {
        let mut out = Vec::new();
        if !self.owed {
            let addresses = self.addresses(hub);
            self.owed = changes.iter().any(|c| addresses.contains(&c.address));
        }
        if self.owed && self.online.is_some() {
            self.feedback(hub, now, &mut out);
        }
        out
    }

    /// The addresses its faders and LEDs show now.
    fn addresses(&mut self, hub: &Hub) -> &[Address] {
        if self.addresses.is_none() {
            let shown: Vec<Address> = self
                .bindings
                .iter()
                .filter(|b| matches!(b.kind, Kind::Fader | Kind::Led))
                .filter_map(|b| self.address_of(hub, b))
                .collect();
            self.addresses = Some(shown);
        }
        self.addresses.as_deref().unwrap_or_default()
    }

    /// Every hub tick: Hello until the board answers, pings, and a
    /// feedback pass when one is owed.
    pub fn tick(&mut self, hub: &Hub, now: Instant) -> Vec<ToBoard> {
        let mut out = Vec::new();
        if !self.connected {
            return out;
        }
        if self.online.is_none() {
            if self
                .hello_at
                .is_none_or(|t| now.duration_since(t) >= HELLO_INTERVAL)
            {
                self.hello_at = Some(now);
                out.push(ToBoard::Hello {
                    version: PROTOCOL_VERSION,
                });
            }
            return out;
        }
        if self
            .last_pong
            .is_some_and(|t| now.duration_since(t) >= PING_INTERVAL * 3)
        {
            tracing::warn!(
                "serial board '{}' stopped answering; saying hello again",
                self.name
            );
            self.online = None;
            return self.connect(now);
        }
        if self
            .last_ping
            .is_none_or(|t| now.duration_since(t) >= PING_INTERVAL)
        {
            self.last_ping = Some(now);
            self.ping_seq = self.ping_seq.wrapping_add(1);
            out.push(ToBoard::Ping { seq: self.ping_seq });
        }
        if self.owed {
            self.feedback(hub, now, &mut out);
        }
        out
    }

    /// Setpoints for faders whose value changed (never for a touched one,
    /// at most every [`SETPOINT_INTERVAL`]) and LEDs; stays owed while a
    /// setpoint is held back.
    fn feedback(&mut self, hub: &Hub, now: Instant, out: &mut Vec<ToBoard>) {
        let Some(info) = self.online else {
            return;
        };
        self.owed = false;
        let touch_sense = info.capabilities & caps::TOUCH != 0;
        for i in 0..self.faders.len().min(256) {
            let Some(a) = self.fader_address(hub, i as u8) else {
                continue;
            };
            let f = &mut self.faders[i];
            // Without touch sense, a recent hand move holds the fader.
            if f.hand_on {
                continue;
            }
            if !touch_sense && hub.is_touched_by(a, self.origin) {
                self.owed = true;
                continue;
            }
            let Ok(Value::Float(value)) = hub.get(a) else {
                continue;
            };
            let pos = a.param.spec().to_pos(value);
            let want = (pos * f64::from(POSITION_MAX)).round() as u16;
            if f.shown == Some(want) {
                continue;
            }
            if f.sent_at
                .is_none_or(|t| now.duration_since(t) >= SETPOINT_INTERVAL)
            {
                f.shown = Some(want);
                f.sent_at = Some(now);
                out.push(ToBoard::SetFader {
                    index: i as u8,
                    position: want,
                });
            } else {
                self.owed = true;
            }
        }
        let mut leds: Vec<(u8, u8)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.kind == Kind::Led) {
            if b.index >= info.leds {
                continue;
            }
            let state = match self.address_of(hub, b).map(|a| hub.get(a)) {
                Some(Ok(Value::Bool(true))) => 1,
                _ => 0,
            };
            leds.push((b.index, state));
        }
        for (n, state) in leds {
            let i = usize::from(n);
            if self.leds.len() <= i {
                self.leds.resize(i + 1, None);
            }
            if self.leds[i] != Some(state) {
                self.leds[i] = Some(state);
                out.push(ToBoard::SetLed { index: n, state });
            }
        }
    }
}
