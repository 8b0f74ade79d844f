//! The OSC surface's state on the hub thread: subscribers, what each one is
//! showing, touch holds, and the feedback bundles of each tick.
//!
//! Thread: hub. Pure apart from reading the hub: it returns datagrams and
//! the driver sends them.
//!
//! Feedback model: for every subscriber the surface remembers the value it
//! believes the client shows at each address (what it last sent there, or
//! what the client itself sent). A changed address is sent only when the
//! applied value differs from that, which gives the echo rule of DESIGN.md
//! (a client is not echoed its own move unless it was clamped) and
//! suppresses duplicates. While a client touches a control, values for it
//! are held back and sent on release, so a finger is never fought.

use super::codec::{
    Datagram, MessageBuf, MeterStyle, OscCommand, OscError, OscOut, TransportRequest,
    encode_bundles, pack_bundles,
};
use super::driver::{OscStats, Warnings};
use super::shown::{Shown, Slot};
use crate::health::{Health, SaveKind, Source};
use crate::mixer::keys::{KeyMap, KeySet};
use crate::mixer::{
    Address, ClientId, Feedback, Hub, MeterFrame, Origin, StripCounts, StripRef, TransportCmd,
    Value,
};
use rosc::OscType;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

mod commands;
mod meters;

pub use meters::{BLOB_STRIP_BYTES, StripMeter, meters_blob};

/// Meters go out at most this often (30 Hz).
pub const METER_INTERVAL: Duration = Duration::from_micros(33_334);
/// Transport position goes out at most this often while rolling.
pub const POSITION_INTERVAL: Duration = Duration::from_millis(100);
/// Meters below this are sent as this (dB): the fader law's floor.
pub const METER_FLOOR_DB: f64 = -90.0;
/// Distinct client addresses remembered before the oldest non-subscriber
/// is forgotten (a flood from random ports cannot grow memory).
pub const MAX_KNOWN_CLIENTS: usize = 1024;
/// Subscribers at most, unless configured otherwise (static clients count).
pub const DEFAULT_MAX_SUBSCRIBERS: usize = 32;
/// A subscriber silent this long is dropped, unless configured otherwise
/// (any message from it counts; static clients never expire).
pub const DEFAULT_SUBSCRIBER_TIMEOUT: Duration = Duration::from_secs(600);
/// Subscriptions one host may hold at once (one per feedback port).
pub const MAX_SUBSCRIPTIONS_PER_HOST: usize = 4;
/// A host gets at most [`DUMPS_PER_INTERVAL`] state dumps in this time; a
/// `/subscribe` past that subscribes (or renews) without a dump.
pub const DUMP_INTERVAL: Duration = Duration::from_secs(1);
/// State dumps one host may get per [`DUMP_INTERVAL`].
pub const DUMPS_PER_INTERVAL: u32 = MAX_SUBSCRIPTIONS_PER_HOST as u32;
/// Messages of a state dump sent to one subscriber per tick: a dump is
/// paced over ticks (about 10 KB a tick), never sent in one burst.
pub const DUMP_MESSAGES_PER_TICK: usize = 256;

/// A client configured to receive feedback without subscribing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticClient {
    /// Where feedback goes. Messages from this IP count as this client.
    pub address: SocketAddr,
    /// Send meters too.
    pub meters: bool,
}

/// Settings of the hub-side OSC surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceOptions {
    /// Largest feedback datagram.
    pub max_datagram: usize,
    /// Clients that always get feedback.
    pub static_clients: Vec<StaticClient>,
    /// Subscribers at most (static clients count).
    pub max_subscribers: usize,
    /// Subscribers silent this long are dropped.
    pub subscriber_timeout: Duration,
    /// Where this surface numbers its clients from (see [`ClientId`]).
    pub first_client: u32,
}

impl Default for SurfaceOptions {
    fn default() -> SurfaceOptions {
        SurfaceOptions {
            max_datagram: super::codec::DEFAULT_MAX_DATAGRAM,
            static_clients: Vec::new(),
            max_subscribers: DEFAULT_MAX_SUBSCRIBERS,
            subscriber_timeout: DEFAULT_SUBSCRIBER_TIMEOUT,
            first_client: ClientId::FIRST_OSC,
        }
    }
}

#[derive(Debug)]
struct Subscriber {
    /// The address its messages come from (for a static client: its IP).
    source: SocketAddr,
    /// Where its feedback goes.
    dest: SocketAddr,
    id: ClientId,
    /// This subscription in [`OscSurface::shown`].
    slot: Slot,
    meters: MeterStyle,
    /// Meters are not sent for now (its queue is filling: they go first).
    meters_paused: bool,
    /// The last meter blob sent.
    blob_shown: Option<Vec<u8>>,
    fixed: bool,
    /// It has been sent (or is being sent) the whole mix.
    dumped: bool,
    /// Changes held back while the client touches the control.
    held: KeySet<Address>,
    /// Continuous controls this client has moved or touched: the ones its
    /// fingers are on while it holds the lane (its labels still update).
    ridden: KeySet<Address>,
    /// Last meter values sent, per strip: (position, dB) rounded.
    meters_shown: KeyMap<StripRef, (i32, i32)>,
    /// Last gain reduction sent, per strip, in tenths of a dB.
    reduction_shown: KeyMap<StripRef, i32>,
    /// Last loudness figures sent, in tenths.
    loudness_shown: Option<[i64; 5]>,
    /// Last transport state sent: (rolling, position in tenths of seconds).
    transport_shown: Option<(bool, u64)>,
    /// The session's shape last sent (`/session/strips`).
    counts_shown: Option<StripCounts>,
    /// When it was last heard from (subscribed, or sent anything).
    heard: Instant,
    /// What its state dump has still to send (paced over ticks; each value
    /// is read when it goes out, so it is never stale).
    to_dump: std::collections::VecDeque<Address>,
    /// The dump still has the transport to send.
    dump_transport: bool,
}

impl Subscriber {
    fn new(
        source: SocketAddr,
        dest: SocketAddr,
        (id, slot): (ClientId, Slot),
        meters: MeterStyle,
        fixed: bool,
        now: Instant,
    ) -> Subscriber {
        Subscriber {
            source,
            dest,
            id,
            slot,
            meters,
            meters_paused: false,
            blob_shown: None,
            fixed,
            dumped: false,
            held: KeySet::default(),
            ridden: KeySet::default(),
            meters_shown: KeyMap::default(),
            reduction_shown: KeyMap::default(),
            loudness_shown: None,
            transport_shown: None,
            counts_shown: None,
            heard: now,
            to_dump: std::collections::VecDeque::new(),
            dump_transport: false,
        }
    }

    /// True while this client's finger is on the control (a touch, or a
    /// move within the touch timeout): others' changes wait for it.
    fn holds(&self, hub: &Hub, address: Address) -> bool {
        !self.ridden.is_empty()
            && self.ridden.contains(&address)
            && hub.is_touched_by(address, Origin::Client(self.id))
    }

    fn matches(&self, from: SocketAddr) -> bool {
        if self.fixed {
            self.source.ip() == from.ip()
        } else {
            self.source == from || self.dest == from
        }
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct OscSurface {
    options: SurfaceOptions,
    subscribers: Vec<Subscriber>,
    ids: HashMap<SocketAddr, ClientId>,
    id_order: Vec<SocketAddr>,
    next_id: u32,
    last_meters: Option<Instant>,
    /// Peaks (linear) of every strip since meters were last sent.
    held: crate::surfaces::meters::MeterHold,
    /// The most gain reduction (dB, <= 0) of every strip since meters were
    /// last sent.
    last_position: Option<Instant>,
    /// Each host's state dumps: (when its current window began, dumps in it).
    dumps: HashMap<std::net::IpAddr, (Instant, u32)>,
    /// The time of the datagram or tick being handled.
    now: Instant,
    stats: Arc<OscStats>,
    health: Arc<Health>,
    warnings: Warnings,
    /// What each subscriber shows.
    shown: Shown,
    next_slot: u32,
    /// The session's shape at the last tick.
    counts: Option<StripCounts>,
}

impl OscSurface {
    /// A surface with the configured static clients (they get a state dump
    /// on the first tick).
    pub fn new(options: SurfaceOptions, stats: Arc<OscStats>, health: Arc<Health>) -> OscSurface {
        let first_client = options.first_client;
        let mut s = OscSurface {
            options,
            subscribers: Vec::new(),
            ids: HashMap::new(),
            id_order: Vec::new(),
            next_id: first_client,
            last_meters: None,
            held: Default::default(),
            last_position: None,
            dumps: HashMap::new(),
            now: Instant::now(),
            stats,
            health,
            warnings: Warnings::default(),
            shown: Shown::default(),
            next_slot: 0,
            counts: None,
        };
        let now = Instant::now();
        for c in s.options.static_clients.clone() {
            let who = (s.client_id(c.address), s.new_slot());
            s.subscribers.push(Subscriber::new(
                c.address,
                c.address,
                who,
                if c.meters {
                    MeterStyle::Messages
                } else {
                    MeterStyle::Off
                },
                true,
                now,
            ));
        }
        s
    }

    /// A slot for a new subscription.
    fn new_slot(&mut self) -> Slot {
        self.next_slot += 1;
        Slot(self.next_slot)
    }

    /// Number of clients receiving feedback.
    pub fn subscribers(&self) -> usize {
        self.subscribers.len()
    }

    /// Hold back (`paused`) or resume `from`'s meters: a client whose
    /// queue is filling gets its controls first.
    pub fn pause_meters(&mut self, from: SocketAddr, paused: bool) {
        for s in self.subscribers.iter_mut().filter(|s| s.matches(from)) {
            s.meters_paused = paused;
        }
    }

    /// Drop `from`'s subscriptions, if it has any, without a word: a
    /// client whose connection closed (a page that went before it
    /// subscribed is no refused command).
    pub fn forget(&mut self, from: SocketAddr) {
        self.drop_subscribers(|s| s.matches(from));
    }

    /// Drop the subscriptions `gone` picks (never a configured client's)
    /// and what was shown to them; how many went.
    fn drop_subscribers(&mut self, mut gone: impl FnMut(&Subscriber) -> bool) -> usize {
        let before = self.subscribers.len();
        let shown = &mut self.shown;
        self.subscribers.retain(|s| {
            let drop = !s.fixed && gone(s);
            if drop {
                shown.forget(s.slot);
            }
            !drop
        });
        before - self.subscribers.len()
    }

    /// Send `from`'s subscriptions the whole mix again from the next tick
    /// (it lost what it was sent: a queue that overflowed).
    pub fn resync(&mut self, from: SocketAddr) {
        for s in self.subscribers.iter_mut().filter(|s| s.matches(from)) {
            s.dumped = false;
        }
    }

    fn client_id(&mut self, from: SocketAddr) -> ClientId {
        if let Some(s) = self.subscribers.iter().find(|s| s.matches(from)) {
            return s.id;
        }
        if let Some(id) = self.ids.get(&from) {
            return *id;
        }
        if self.id_order.len() >= MAX_KNOWN_CLIENTS {
            let old = self.id_order.remove(0);
            self.ids.remove(&old);
        }
        let id = ClientId(self.next_id);
        self.next_id += 1;
        self.ids.insert(from, id);
        self.id_order.push(from);
        id
    }

    /// Handle one datagram's commands from `from`. Returns datagrams to send
    /// now (a state dump, a status reply).
    pub fn handle(
        &mut self,
        hub: &mut Hub,
        from: SocketAddr,
        commands: Vec<Result<OscCommand, OscError>>,
        now: Instant,
    ) -> Vec<Datagram> {
        self.now = now;
        let mut out = Vec::new();
        let origin = Origin::Client(self.client_id(from));
        for s in self.subscribers.iter_mut().filter(|s| s.matches(from)) {
            s.heard = now;
        }
        for cmd in commands {
            let result = match cmd {
                Ok(cmd) => self.command(hub, from, origin, cmd, &mut out),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(()) => {
                    self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                }
                Err(reason) => {
                    self.stats.rejected.fetch_add(1, Ordering::Relaxed);
                    self.warnings.refused(from, &reason);
                }
            }
        }
        out
    }

    /// The hub's next changes: noted (each address once, with who changed
    /// it last) for the tick to send.
    pub fn show(&mut self, changes: &[Feedback]) {
        for f in changes {
            self.shown.note(f.address, f.origin);
        }
    }

    /// Called once per hub tick, after [`Self::show`] was given the tick's
    /// changes: one bundle (more only if it would not fit a datagram) per
    /// subscriber, meters at most at [`METER_INTERVAL`]. Each changed
    /// value is read once, whatever the number of subscribers.
    pub fn tick(&mut self, hub: &Hub, meter_frame: &MeterFrame, now: Instant) -> Vec<Datagram> {
        let counts = hub.strip_counts();
        if self.counts != Some(counts) {
            // The strips moved: what was held or shown per strip is for
            // other strips now.
            self.counts = Some(counts);
            self.held.clear();
            for s in &mut self.subscribers {
                s.meters_shown.clear();
                s.reduction_shown.clear();
                s.blob_shown = None;
            }
        }
        self.held.absorb(meter_frame);
        let changed = self.shown.take_changes();
        let meters_due = self.subscribers.iter().any(|s| s.meters != MeterStyle::Off)
            && self
                .last_meters
                .is_none_or(|t| now.duration_since(t) >= METER_INTERVAL);
        let meters = if meters_due {
            self.last_meters = Some(now);
            meters::read_meters(hub, &mut self.held)
        } else {
            Vec::new()
        };
        let loudness = meters_due.then(|| meters::loudness_figures(&hub.loudness()));
        let blob = (meters_due
            && self
                .subscribers
                .iter()
                .any(|s| s.meters == MeterStyle::Blob))
        .then(|| meters_blob(&meters));
        let position_due = self
            .last_position
            .is_none_or(|t| now.duration_since(t) >= POSITION_INTERVAL);
        if position_due {
            self.last_position = Some(now);
        }
        let transport = hub.transport_state();
        let tenths = in_tenths_of_a_second(transport.position_frames, hub.sample_rate());
        self.now = now;
        let timeout = self.options.subscriber_timeout;
        self.drop_subscribers(|s| {
            let silent = now.duration_since(s.heard) >= timeout;
            if silent {
                tracing::info!(
                    "osc: {} unsubscribed after {} s without a word from it",
                    s.dest,
                    timeout.as_secs()
                );
            }
            silent
        });
        self.dumps
            .retain(|_, (t, _)| now.duration_since(*t) < DUMP_INTERVAL);

        let mut out = Vec::new();
        // State dumps first; changes to what a client has been sent
        // already go out with the feedback below.
        for s in &mut self.subscribers {
            if !s.dumped {
                // A static client's first tick: show it the whole mix.
                begin_dump(hub, s, &mut self.shown);
            }
            if !s.to_dump.is_empty() || s.dump_transport {
                out.extend(dump_chunk(
                    hub,
                    s,
                    &mut self.shown,
                    self.options.max_datagram,
                ));
            }
        }
        let mut msgs: Vec<Vec<Cow<'_, [u8]>>> = vec![Vec::new(); self.subscribers.len()];
        // What was held back from a client while its finger was on it:
        // read now.
        for (s, msgs) in self.subscribers.iter_mut().zip(&mut msgs) {
            let origin = Origin::Client(s.id);
            for address in std::mem::take(&mut s.held) {
                let id = self.shown.id(address);
                let own = self.shown.changed_by(id, &changed) == Some(origin);
                if !own && s.holds(hub, address) {
                    s.held.insert(address);
                    continue;
                }
                let Ok(v) = hub.get(address) else { continue };
                if self.shown.at(id).update(s.slot, &wire_value(&v)) {
                    msgs.extend(OscOut::controls(address, &v).iter().filter_map(encode_one));
                }
            }
        }
        // The tick's changes, each control read and looked up once for
        // every subscriber, and encoded once if any of them is to be sent
        // it. What others do to a control under a client's finger is held
        // back from it; its own move, if clamped, it sees at once.
        let mut encoded = MessageBuf::default();
        let mut due: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.subscribers.len()];
        for &(id, by) in &changed {
            let row = self.shown.at(id);
            let address = row.address();
            let Ok(value) = hub.get(address) else {
                continue;
            };
            let by = Some(by);
            let wire = wire_value(&value);
            let mut messages: Option<Range<usize>> = None;
            for (s, due) in self.subscribers.iter_mut().zip(&mut due) {
                if by != Some(Origin::Client(s.id)) && s.holds(hub, address) {
                    s.held.insert(address);
                    continue;
                }
                if row.update(s.slot, &wire) {
                    let m = match &messages {
                        Some(m) => m.clone(),
                        None => {
                            let at = row.addresses();
                            encoded.push_controls_at(at, address, &value)
                        }
                    };
                    messages = Some(m.clone());
                    due.push(m);
                }
            }
        }
        self.shown.done_with(changed);
        for (msgs, due) in msgs.iter_mut().zip(due) {
            msgs.extend(
                due.into_iter()
                    .flatten()
                    .map(|i| Cow::Borrowed(encoded.message(i))),
            );
        }
        for (s, mut msgs) in self.subscribers.iter_mut().zip(msgs) {
            if s.counts_shown != Some(counts) {
                // First, so a client drops strips that are gone before it
                // is shown the ones that moved.
                s.counts_shown = Some(counts);
                msgs.splice(0..0, counts_message(counts));
            }
            if s.meters != MeterStyle::Off && !s.meters_paused && meters_due {
                meters::feed(s, &meters, loudness.as_ref(), blob.as_deref(), &mut msgs);
            }
            let shown = s.transport_shown;
            let rolling_changed = shown.is_none_or(|(r, _)| r != transport.rolling);
            let moved = shown.is_none_or(|(_, t)| t != tenths);
            if rolling_changed || (moved && (position_due || !transport.rolling)) {
                s.transport_shown = Some((transport.rolling, tenths));
                msgs.extend(
                    transport_messages(transport.rolling, tenths)
                        .iter()
                        .filter_map(encode_one),
                );
            }
            out.extend(
                pack_bundles(&msgs, self.options.max_datagram)
                    .into_iter()
                    .map(|bytes| Datagram { to: s.dest, bytes }),
            );
        }
        out
    }
}

/// A message of one subscriber's own, encoded.
fn encode_one<'a>(m: &OscOut) -> Option<Cow<'a, [u8]>> {
    m.encode().map(Cow::Owned)
}

/// Values as they survive the wire (numbers are f32 in OSC), so a client's
/// own value compares equal to the applied one.
fn wire_value(v: &Value) -> Value {
    match v {
        Value::Float(x) => Value::Float(f64::from(*x as f32)),
        Value::Bool(b) => Value::Float(f64::from(u8::from(*b))),
        Value::Text(t) => Value::Text(t.clone()),
    }
}

/// A timeline position in whole tenths of a second (no overflow, whatever
/// the position).
fn in_tenths_of_a_second(frames: u64, rate: u32) -> u64 {
    (u128::from(frames) * 10 / u128::from(rate.max(1))) as u64
}

/// `/session/strips TRACKS BUSES`: the session's shape, so a client can
/// drop strips that are gone (a track removed).
fn counts_message<'a>(c: StripCounts) -> Option<Cow<'a, [u8]>> {
    let n = |x: usize| OscType::Int(i32::try_from(x).unwrap_or(i32::MAX));
    rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/session/strips".into(),
        args: vec![n(c.tracks), n(c.buses)],
    }))
    .ok()
    .map(Cow::Owned)
}

fn transport_messages(rolling: bool, tenths: u64) -> [OscOut; 3] {
    [
        OscOut {
            addr: "/transport/play".into(),
            arg: OscType::Int(i32::from(rolling)),
        },
        OscOut {
            addr: "/transport/stop".into(),
            arg: OscType::Int(i32::from(!rolling)),
        },
        OscOut {
            addr: "/transport/locate".into(),
            arg: OscType::Float(tenths as f32 / 10.0),
        },
    ]
}

/// Start showing one client the whole mix: every control, then the
/// transport, sent [`DUMP_MESSAGES_PER_TICK`] messages at a time by
/// [`dump_chunk`].
fn begin_dump(hub: &Hub, s: &mut Subscriber, shown: &mut Shown) {
    shown.forget(s.slot);
    s.dumped = true;
    s.meters_shown.clear();
    s.reduction_shown.clear();
    s.blob_shown = None;
    s.loudness_shown = None;
    s.counts_shown = None;
    s.held.clear();
    s.to_dump = hub.addresses().into();
    s.dump_transport = true;
}

/// The next part of a client's state dump, each value as it is now.
fn dump_chunk(
    hub: &Hub,
    s: &mut Subscriber,
    shown: &mut Shown,
    max_datagram: usize,
) -> Vec<Datagram> {
    let mut msgs = MessageBuf::default();
    while msgs.len() < DUMP_MESSAGES_PER_TICK {
        let Some(address) = s.to_dump.pop_front() else {
            break;
        };
        if let Ok(value) = hub.get(address) {
            let row = shown.row(address);
            row.set(s.slot, wire_value(&value));
            msgs.push_controls_at(row.addresses(), address, &value);
        }
    }
    if s.to_dump.is_empty() && s.dump_transport {
        s.dump_transport = false;
        let t = hub.transport_state();
        let tenths = in_tenths_of_a_second(t.position_frames, hub.sample_rate());
        s.transport_shown = Some((t.rolling, tenths));
        for m in transport_messages(t.rolling, tenths) {
            msgs.push(format_args!("{}", m.addr), &m.arg);
        }
    }
    pack_bundles(&msgs.messages().collect::<Vec<_>>(), max_datagram)
        .into_iter()
        .map(|bytes| Datagram { to: s.dest, bytes })
        .collect()
}
