//! Plain data the graph, the automation lanes and the messages share: node
//! ids and what an automatable coefficient plays. Imports nothing of the
//! engine, so the engine's modules form no import circle.

/// Dense index of a node (track or bus) in the engine's current graph, in
/// processing order. Only meaningful for the graph generation it was built
/// with; the hub translates addresses to node ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u16);

/// What an automatable coefficient plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoPlay {
    /// The hub's live value.
    #[default]
    Live,
    /// Its automation lane.
    Lane,
    /// Its lane times the live value (trim mode: the live value is an
    /// offset).
    LaneTimesLive,
}

/// An automatable coefficient of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoTarget {
    /// Input trim.
    Trim,
    /// Fader gain.
    Gain,
    /// Pan or balance (both sides).
    Pan,
    /// Mute gate.
    Mute,
    /// A send's level.
    SendGain(u16),
    /// A channel-strip setting (played by the engine on a 32-frame grid of
    /// the timeline, gliding as the EQ does).
    Proc(ProcTarget),
}

/// An automatable channel-strip setting, in its natural units (switches:
/// 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcTarget {
    /// High-pass frequency, Hz.
    HpfFreq,
    /// A band's gain, dB (0-based band).
    BandGain(u8),
    /// A band's frequency, Hz.
    BandFreq(u8),
    /// A band's Q.
    BandQ(u8),
    /// Compressor threshold, dBFS.
    CompThreshold,
    /// Compressor ratio.
    CompRatio,
    /// Compressor attack, ms.
    CompAttack,
    /// Compressor release, ms.
    CompRelease,
    /// Compressor make-up, dB.
    CompMakeup,
    /// Gate threshold, dBFS.
    GateThreshold,
    /// Gate range, dB.
    GateRange,
    /// Compressor knee, dB.
    CompKnee,
    /// Compressor side-chain high-pass, Hz (0 off).
    CompScHpf,
    /// Gate ratio.
    GateRatio,
    /// Gate attack, ms.
    GateAttack,
    /// Gate hold, ms.
    GateHold,
    /// Gate release, ms.
    GateRelease,
    /// Limiter ceiling, dBTP.
    LimiterCeiling,
    /// Limiter release, ms.
    LimiterRelease,
    /// The high-pass filter in or out.
    HpfOn,
    /// The four bands in or out.
    EqOn,
    /// A band in or out.
    BandOn(u8),
    /// The compressor in or out.
    CompOn,
    /// The gate in or out.
    GateOn,
    /// Delay time, ms.
    DelayTime,
    /// Delay feedback, 0..0.95.
    DelayFeedback,
    /// Delay feedback high-pass, Hz.
    DelayHpf,
    /// Delay feedback low-pass, Hz.
    DelayLpf,
    /// Reverb size.
    ReverbSize,
    /// Reverb decay, s.
    ReverbDecay,
    /// Reverb pre-delay, ms.
    ReverbPredelay,
    /// Reverb damping, 0..1.
    ReverbDamping,
    /// Reverb width, 0..1.
    ReverbWidth,
}

impl ProcTarget {
    /// How many there are (the size of a per-node table).
    pub const COUNT: usize = 45;

    /// Every target, in table order.
    pub fn all() -> impl Iterator<Item = ProcTarget> {
        (0..Self::COUNT).filter_map(ProcTarget::from_index)
    }

    /// An in/out switch (its lane steps between 0 and 1).
    pub fn is_switch(self) -> bool {
        matches!(
            self,
            ProcTarget::HpfOn
                | ProcTarget::EqOn
                | ProcTarget::BandOn(_)
                | ProcTarget::CompOn
                | ProcTarget::GateOn
        )
    }

    /// Its slot in a per-node table.
    pub fn index(self) -> usize {
        let band = |k: u8| usize::from(k.min(3));
        match self {
            ProcTarget::HpfFreq => 0,
            ProcTarget::BandGain(k) => 1 + band(k),
            ProcTarget::BandFreq(k) => 5 + band(k),
            ProcTarget::BandQ(k) => 9 + band(k),
            ProcTarget::CompThreshold => 13,
            ProcTarget::CompRatio => 14,
            ProcTarget::CompAttack => 15,
            ProcTarget::CompRelease => 16,
            ProcTarget::CompMakeup => 17,
            ProcTarget::GateThreshold => 18,
            ProcTarget::GateRange => 19,
            ProcTarget::CompKnee => 20,
            ProcTarget::CompScHpf => 21,
            ProcTarget::GateRatio => 22,
            ProcTarget::GateAttack => 23,
            ProcTarget::GateHold => 24,
            ProcTarget::GateRelease => 25,
            ProcTarget::LimiterCeiling => 26,
            ProcTarget::LimiterRelease => 27,
            ProcTarget::HpfOn => 28,
            ProcTarget::EqOn => 29,
            ProcTarget::BandOn(k) => 30 + band(k),
            ProcTarget::CompOn => 34,
            ProcTarget::GateOn => 35,
            ProcTarget::DelayTime => 36,
            ProcTarget::DelayFeedback => 37,
            ProcTarget::DelayHpf => 38,
            ProcTarget::DelayLpf => 39,
            ProcTarget::ReverbSize => 40,
            ProcTarget::ReverbDecay => 41,
            ProcTarget::ReverbPredelay => 42,
            ProcTarget::ReverbDamping => 43,
            ProcTarget::ReverbWidth => 44,
        }
    }

    /// The target in slot `i`.
    pub fn from_index(i: usize) -> Option<ProcTarget> {
        Some(match i {
            0 => ProcTarget::HpfFreq,
            1..=4 => ProcTarget::BandGain((i - 1) as u8),
            5..=8 => ProcTarget::BandFreq((i - 5) as u8),
            9..=12 => ProcTarget::BandQ((i - 9) as u8),
            13 => ProcTarget::CompThreshold,
            14 => ProcTarget::CompRatio,
            15 => ProcTarget::CompAttack,
            16 => ProcTarget::CompRelease,
            17 => ProcTarget::CompMakeup,
            18 => ProcTarget::GateThreshold,
            19 => ProcTarget::GateRange,
            20 => ProcTarget::CompKnee,
            21 => ProcTarget::CompScHpf,
            22 => ProcTarget::GateRatio,
            23 => ProcTarget::GateAttack,
            24 => ProcTarget::GateHold,
            25 => ProcTarget::GateRelease,
            26 => ProcTarget::LimiterCeiling,
            27 => ProcTarget::LimiterRelease,
            28 => ProcTarget::HpfOn,
            29 => ProcTarget::EqOn,
            30..=33 => ProcTarget::BandOn((i - 30) as u8),
            34 => ProcTarget::CompOn,
            35 => ProcTarget::GateOn,
            36 => ProcTarget::DelayTime,
            37 => ProcTarget::DelayFeedback,
            38 => ProcTarget::DelayHpf,
            39 => ProcTarget::DelayLpf,
            40 => ProcTarget::ReverbSize,
            41 => ProcTarget::ReverbDecay,
            42 => ProcTarget::ReverbPredelay,
            43 => ProcTarget::ReverbDamping,
            44 => ProcTarget::ReverbWidth,
            _ => return None,
        })
    }
}
