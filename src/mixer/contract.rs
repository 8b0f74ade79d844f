//! What surfaces and the hub say to each other: values, who caused a
//! change, the change itself, why an intent was refused, and the meter
//! frame every surface gets per tick.
//!
//! Plain data; any thread.

use super::{Address, AddressError, StripRef};
use crate::engine::{GraphError, MeterReading};

/// Every strip's meter since the last read. The hub loop reads it once per
/// tick ([`super::Hub::read_meters`]) and hands the same frame to every surface,
/// each of which keeps its own peaks between its sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeterFrame {
    /// (strip, reading), for every strip.
    pub readings: Vec<(StripRef, MeterReading)>,
}

/// The transport as the hub last commanded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportState {
    /// Playing.
    pub rolling: bool,
    /// Timeline position in frames (from the engine, one period behind).
    pub position_frames: u64,
}

/// The session's shape: how many tracks and buses (one master always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StripCounts {
    /// Tracks.
    pub tracks: usize,
    /// Buses.
    pub buses: usize,
}

/// A value carried by an intent or a feedback event.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number (float or int on the wire).
    Float(f64),
    /// On/off.
    Bool(bool),
    /// Text (names, routing targets).
    Text(String),
}

/// Who caused a change; surfaces use it to avoid echoing a client's own move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Loaded from the session or set by the daemon itself.
    Daemon,
    /// A surface client (an OSC peer, a MIDI device ...).
    Client(ClientId),
}

/// A surface client's identity, assigned by its driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u32);

impl ClientId {
    /// OSC clients over UDP are numbered from here, as each first speaks.
    /// Each kind of surface numbers from a block of its own, far from the
    /// others, so two surfaces never give one id to two clients (the
    /// touch model and echo rules tell clients apart by it).
    pub const FIRST_OSC: u32 = 1;
    /// Configured MIDI and serial surfaces, by their place in the config.
    pub const FIRST_CONFIGURED: u32 = 1_000_000_000;
    /// Browser consoles, numbered as they connect.
    pub const FIRST_WEB: u32 = 2_000_000_000;
}

/// One applied change, for every surface to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// What changed.
    pub address: Address,
    /// Its new value as applied (clamped). Gains of `-inf` mean off.
    pub value: Value,
    /// Who caused it.
    pub origin: Origin,
}

/// Why an intent was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntentError {
    /// The text is not an address.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The strip, bus or send does not exist in this session.
    #[error("{0}: no such strip, bus or send in this session")]
    NoSuchTarget(Address),
    /// The control does not exist on this kind of strip (e.g. master/solo).
    #[error("{0}: this strip has no such control")]
    NotOnThisStrip(Address),
    /// The value has the wrong type.
    #[error("{address}: expected {expected}")]
    WrongType {
        /// The address.
        address: Address,
        /// What it takes.
        expected: &'static str,
    },
    /// NaN or an infinity.
    #[error("{0}: value is not a finite number")]
    NotFinite(Address),
    /// Touch on a control that is not ridden (a mute, a name ...).
    #[error(
        "{0}: only continuous controls (faders, levels, pans, trims, EQ and dynamics settings) can be touched"
    )]
    NotTouchable(Address),
    /// MIDI learn binds only numbers and switches.
    #[error("{0}: only faders, gains, pans, trims, sends and switches can be learned")]
    NotLearnable(Address),
    /// The address reports something faderd decides; it cannot be set.
    #[error("{0}: read-only (faderd reports it; it cannot be set)")]
    ReadOnly(Address),
    /// A latency measurement is already running.
    #[error("{0}: a latency measurement is already running; wait for its result")]
    MeasurementRunning(Address),
    /// An output that names no group bus.
    #[error("{address}: '{target}' is not 'master' or a group bus")]
    NoSuchOutput {
        /// The address.
        address: Address,
        /// The requested output.
        target: String,
    },
    /// Not now: something in progress must end first.
    #[error("not now: {0}")]
    Busy(&'static str),
    /// A lane edit that cannot be made.
    #[error("{0}: {1}")]
    BadEdit(Address, crate::mixer::automation::LaneEditError),
    /// A name the strip cannot have (the rule is [`crate::model::check_strip_name`]).
    #[error("{0}: {1}")]
    BadName(Address, crate::model::NameError),
}

/// Errors building the engine graph from a session.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The routing does not form a forward graph (a bug: config validates it).
    #[error("invalid routing: {0}")]
    Graph(#[from] GraphError),
}
