//! Surface profiles and control maps as plain data: what a device is and
//! what its controls do. `config` reads them from YAML; drivers use them.

use serde::Deserialize;

/// Protocol family of a surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// Mackie Control (MCU, XT, Logic Control and compatibles).
    Mackie,
    /// Generic MIDI controller.
    Midi,
    /// OSC app (TouchOSC, custom layouts).
    Osc,
    /// DIY motorized-fader board on the serial protocol.
    Serial,
}

/// A named device behaviour a profile may declare (a quirk of a device
/// or a family of clones, never a branch on a model name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Every fader move must be echoed back or the motor fights the hand.
    EchoFaderMoves,
    /// Never answers the Mackie device query: online as soon as its port is.
    NoHandshake,
    /// Needs the Logic Control challenge/response handshake.
    LogicControlChallenge,
    /// Coloured scribble strips (X-Touch SysEx).
    ScribbleColours,
    /// Meters on the LCD, switched on by the channel and global meter-mode
    /// SysEx when the unit comes online.
    LcdMeters,
}

impl Behaviour {
    /// Every behaviour, in the order the docs list them.
    pub const ALL: [Behaviour; 5] = [
        Behaviour::EchoFaderMoves,
        Behaviour::NoHandshake,
        Behaviour::LogicControlChallenge,
        Behaviour::ScribbleColours,
        Behaviour::LcdMeters,
    ];

    /// Its name in a profile.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::EchoFaderMoves => "echo_fader_moves",
            Behaviour::NoHandshake => "no_handshake",
            Behaviour::LogicControlChallenge => "logic_control_challenge",
            Behaviour::ScribbleColours => "scribble_colours",
            Behaviour::LcdMeters => "lcd_meters",
        }
    }

    /// What it means, for docs and messages.
    pub fn describe(self) -> &'static str {
        match self {
            Behaviour::EchoFaderMoves => {
                "the surface expects every fader move echoed back or its motor fights the hand"
            }
            Behaviour::NoHandshake => {
                "the surface does not answer the Mackie device query; start without it"
            }
            Behaviour::LogicControlChallenge => {
                "the surface needs the Logic Control challenge/response handshake"
            }
            Behaviour::ScribbleColours => {
                "the surface has coloured scribble strips (X-Touch SysEx)"
            }
            Behaviour::LcdMeters => {
                "the surface shows meters on its LCD once the meter-mode SysEx switches them on"
            }
        }
    }

    /// The behaviour called `name` in a profile.
    pub fn from_name(name: &str) -> Option<Behaviour> {
        Behaviour::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// Fader capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaderCaps {
    /// Bits of position resolution (7 for plain MIDI, 14 for Mackie).
    pub resolution_bits: u8,
    /// Has a motor.
    #[serde(default)]
    pub motorized: bool,
    /// Reports touch.
    #[serde(default)]
    pub touch_sense: bool,
}

/// Display capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayCaps {
    /// Text lines.
    pub lines: u8,
    /// Characters per strip and line.
    pub chars_per_strip: u8,
}

/// Which part a Mackie unit plays in a ganged surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MackieUnit {
    /// Strips plus the global section: transport, banking, automation
    /// buttons, master fader, displays.
    #[default]
    Main,
    /// Strips only.
    Extender,
}

/// Mackie Control specifics of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MackieCaps {
    /// SysEx header device byte: 0x14 MCU, 0x15 XT, 0x10 Logic Control,
    /// 0x11 Logic Control XT.
    pub device_id: u8,
    /// Main unit or extender.
    #[serde(default)]
    pub unit: MackieUnit,
    /// Has the 10-digit timecode display.
    #[serde(default)]
    pub timecode_display: bool,
    /// Has the 2-digit assignment display.
    #[serde(default)]
    pub assignment_display: bool,
    /// How fast the device lets an unrefreshed meter fall, per segment
    /// (ms); an unchanged level is refreshed at this interval, never
    /// faster.
    #[serde(default = "default_meter_decay")]
    pub meter_decay_ms: u16,
}

fn default_meter_decay() -> u16 {
    300
}

/// A serial fader board's specifics (driver `serial`): what it has
/// besides its motor faders (`strips`), and how to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialCaps {
    /// Push buttons.
    #[serde(default)]
    pub buttons: u8,
    /// Endless encoders.
    #[serde(default)]
    pub encoders: u8,
    /// LEDs the host can set.
    #[serde(default)]
    pub leds: u8,
    /// Line speed (ignored by USB CDC boards, needed by UART bridges).
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// USB vendor and product id, to find the board whatever port it
    /// enumerates as.
    #[serde(default)]
    pub usb: Option<UsbId>,
}

fn default_baud() -> u32 {
    115_200
}

/// Where a serial board is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialLocator {
    /// A port path (`/dev/ttyACM0`, `COM3`, a pseudo-terminal).
    Path(String),
    /// The USB serial device with this id, whatever port it gets.
    Usb(UsbId),
}

impl std::fmt::Display for SerialLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SerialLocator::Path(p) => f.write_str(p),
            SerialLocator::Usb(id) => write!(f, "USB {id}"),
        }
    }
}

/// A USB vendor/product id pair, written `"2e8a:000a"` (hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsbId {
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
}

impl UsbId {
    /// Parse `vvvv:pppp` (hex).
    pub fn parse(text: &str) -> Option<UsbId> {
        let (v, p) = text.trim().split_once(':')?;
        let hex = |t: &str| {
            (!t.is_empty() && t.len() <= 4)
                .then(|| u16::from_str_radix(t, 16).ok())
                .flatten()
        };
        Some(UsbId {
            vid: hex(v)?,
            pid: hex(p)?,
        })
    }
}

impl std::fmt::Display for UsbId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vid, self.pid)
    }
}

impl<'de> Deserialize<'de> for UsbId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<UsbId, D::Error> {
        let text = String::deserialize(d)?;
        UsbId::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{text}' is not a USB id: write vendor:product in hex, e.g. \"2e8a:000a\""
            ))
        })
    }
}

/// Port-name patterns that find the device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortPatterns {
    /// Input port name contains this.
    pub input: String,
    /// Output port name contains this.
    pub output: String,
}

/// A validated surface profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceProfile {
    /// Device name.
    pub name: String,
    /// Protocol family.
    pub driver: Driver,
    /// How to find its ports.
    pub ports: Option<PortPatterns>,
    /// Channel strips.
    pub strips: u16,
    /// Has a master fader.
    pub master_fader: bool,
    /// Faders.
    pub fader: Option<FaderCaps>,
    /// Displays.
    pub display: Option<DisplayCaps>,
    /// Meters.
    pub meters: bool,
    /// Named behaviours.
    pub behaviours: Vec<Behaviour>,
    /// Mackie Control specifics (driver `mackie`).
    pub mackie: Option<MackieCaps>,
    /// Serial board specifics (driver `serial`).
    pub serial: Option<SerialCaps>,
}

impl SurfaceProfile {
    /// True when the profile declares behaviour `b`.
    pub fn has(&self, b: Behaviour) -> bool {
        self.behaviours.contains(&b)
    }
}

/// What a surface control does when it is not bound to a mixer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SurfaceAction {
    /// Move the bank by a whole bank to the left.
    BankLeft,
    /// ... to the right.
    BankRight,
    /// Move the bank by one strip to the left.
    ChannelLeft,
    /// ... to the right.
    ChannelRight,
    /// Swap faders and V-Pots.
    Flip,
    /// V-Pots control pan.
    ViewPan,
    /// V-Pots control send levels (again: the next send).
    ViewSends,
    /// V-Pots control input trim.
    ViewTrim,
    /// V-Pots control an EQ setting (again: the next one).
    ViewEq,
    /// V-Pots control a dynamics setting (again: the next one).
    ViewDynamics,
    /// The lower display line shows the master's loudness (again: back).
    LoudnessDisplay,
    /// Automation mode of the selected strips (with `alt` held: of all).
    AutomationOff,
    /// Read.
    AutomationRead,
    /// Touch.
    AutomationTouch,
    /// Latch.
    AutomationLatch,
    /// Write.
    AutomationWrite,
    /// Trim.
    AutomationTrim,
    /// Start the transport.
    TransportPlay,
    /// Stop it.
    TransportStop,
    /// Locate back (to the start).
    TransportRewind,
    /// Locate forward (by ten seconds).
    TransportForward,
    /// Loop the last loop set, or stop looping.
    TransportLoop,
    /// Undo the last automation pass.
    AutomationUndo,
    /// Save the session to its file (its LED shows unsaved changes).
    SessionSave,
    /// Select the strip (with `shift` held: add to the selection).
    Select,
    /// Reset the strip's V-Pot parameter to its default.
    VPotReset,
    /// Modifier keys, held.
    Shift,
    /// Option.
    Option,
    /// Control.
    Control,
    /// Alt (Cmd).
    Alt,
}

impl SurfaceAction {
    /// Every action with its name in map files.
    pub const ALL: [(SurfaceAction, &'static str); 30] = [
        (SurfaceAction::BankLeft, "bank_left"),
        (SurfaceAction::BankRight, "bank_right"),
        (SurfaceAction::ChannelLeft, "channel_left"),
        (SurfaceAction::ChannelRight, "channel_right"),
        (SurfaceAction::Flip, "flip"),
        (SurfaceAction::ViewPan, "view_pan"),
        (SurfaceAction::ViewSends, "view_sends"),
        (SurfaceAction::ViewTrim, "view_trim"),
        (SurfaceAction::ViewEq, "view_eq"),
        (SurfaceAction::ViewDynamics, "view_dynamics"),
        (SurfaceAction::LoudnessDisplay, "loudness_display"),
        (SurfaceAction::AutomationOff, "automation_off"),
        (SurfaceAction::AutomationRead, "automation_read"),
        (SurfaceAction::AutomationTouch, "automation_touch"),
        (SurfaceAction::AutomationLatch, "automation_latch"),
        (SurfaceAction::AutomationWrite, "automation_write"),
        (SurfaceAction::AutomationTrim, "automation_trim"),
        (SurfaceAction::TransportPlay, "transport_play"),
        (SurfaceAction::TransportStop, "transport_stop"),
        (SurfaceAction::TransportRewind, "transport_rewind"),
        (SurfaceAction::TransportForward, "transport_forward"),
        (SurfaceAction::TransportLoop, "transport_loop"),
        (SurfaceAction::AutomationUndo, "automation_undo"),
        (SurfaceAction::SessionSave, "session_save"),
        (SurfaceAction::Select, "select"),
        (SurfaceAction::VPotReset, "vpot_reset"),
        (SurfaceAction::Shift, "shift"),
        (SurfaceAction::Option, "option"),
        (SurfaceAction::Control, "control"),
        (SurfaceAction::Alt, "alt"),
    ];

    /// The action called `name`.
    pub fn from_name(name: &str) -> Option<SurfaceAction> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(a, _)| *a)
    }

    /// Its name in map files.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("?", |(_, n)| n)
    }
}

/// What a binding does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingTarget {
    /// A mixer address template; `B{n}` / `B1` are bank-relative strips.
    Address(String),
    /// A surface function.
    Action(SurfaceAction),
}

/// One binding: a control of the surface to a mixer address or an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The surface control (`strip[n].fader`, `master.fader`, `play` ...).
    pub control: String,
    /// What it does.
    pub target: BindingTarget,
}

/// A validated control map.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlMap {
    /// Map name.
    pub name: String,
    /// Profiles (or `driver/*`) it applies to.
    pub applies_to: Vec<String>,
    /// Strips per bank.
    pub bank_size: u16,
    /// Bindings.
    pub bindings: Vec<Binding>,
    /// For a generic MIDI controller: the device, its chart and the MIDI
    /// message of each binding (same order as `bindings`).
    pub midi: Option<MidiMap>,
}

/// The MIDI side of a controller map.
#[derive(Debug, Clone, PartialEq)]
pub struct MidiMap {
    /// Where the bindings come from (the manufacturer's MIDI chart).
    pub chart: String,
    /// Port-name patterns that find the device.
    pub ports: Option<PortPatterns>,
    /// The device's faders and knobs move by themselves (motors, LED rings
    /// that show any value): feedback instead of soft takeover.
    pub motorized: bool,
    /// One per binding, in order.
    pub bindings: Vec<MidiBinding>,
}

/// Which MIDI message a control sends (and receives as feedback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MidiSource {
    /// A 7-bit controller.
    Cc(u8),
    /// A 14-bit controller pair: MSB on this (0..=31), LSB on this + 32.
    Cc14(u8),
    /// A non-registered parameter number, 7- or 14-bit.
    Nrpn {
        /// 0..=16383.
        number: u16,
        /// Data is MSB and LSB.
        fine: bool,
    },
    /// A registered parameter number.
    Rpn {
        /// 0..=16383.
        number: u16,
        /// Data is MSB and LSB.
        fine: bool,
    },
    /// A note (key or pad).
    Note(u8),
    /// Pitch bend (14-bit).
    PitchBend,
    /// Program change.
    Program,
}

/// How a button-like control acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ButtonMode {
    /// The value follows the control (faders, knobs).
    Absolute,
    /// Each press flips a switch.
    Toggle,
    /// On while held.
    Momentary,
}

/// How a value maps between the control's range and the target's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// Straight.
    Linear,
    /// Slow at the bottom (x^2): fine control at low values.
    Exponential,
    /// Fast at the bottom (sqrt).
    Logarithmic,
}

/// The MIDI part of one binding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MidiBinding {
    /// Channel, 0-based.
    pub channel: u8,
    /// What it sends.
    pub source: MidiSource,
    /// Relative encoder encoding, if the control is an endless encoder.
    pub relative: Option<RelativeEncoding>,
    /// Speed up fast encoder turns.
    pub accelerate: bool,
    /// Button behaviour.
    pub mode: ButtonMode,
    /// The part of the target's range the control covers (target units:
    /// a fader position, dB for gains, 0..1 for pans).
    pub range: Option<(f64, f64)>,
    /// Control-to-target curve.
    pub curve: Curve,
    /// This control shows values sent to it (a motor, an LED ring) or
    /// not, whatever the device's `motorized` says.
    pub motorized: Option<bool>,
    /// Soft takeover direction LEDs (notes on the binding's channel): lit
    /// while the control must move up (first) or down (second) to reach
    /// the value and be picked up.
    pub pickup_leds: Option<(u8, u8)>,
}

/// Relative encoder encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelativeEncoding {
    /// 1..63 up, 127..65 down.
    TwosComplement,
    /// Bit 6 is the sign.
    SignBit,
    /// 64 is no move.
    BinaryOffset,
}
