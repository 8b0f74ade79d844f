//! Native mixer addresses: `strip/3/fader`, `strip/2/send/1/gain`,
//! `bus/1/mute`, `master/fader`. Strips, buses and sends are 1-based in text
//! and 0-based in [`Address`]. A leading `/` (as OSC sends) is accepted.

use std::fmt;

/// Which strip an address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StripRef {
    /// A track, 0-based (`strip/1` is `Track(0)`).
    Track(usize),
    /// A bus, 0-based.
    Bus(usize),
    /// The master strip.
    Master,
}

/// A send's controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendParam {
    /// Level as a fader position (0..1, the fader law).
    Fader,
    /// Level in dB.
    Gain,
    /// Pan into the bus (0..1).
    Pan,
    /// Pre-fader (1) or post-fader (0).
    Pre,
    /// Where it goes (read-only text): the aux bus's name, or `out N-M`
    /// for a hardware send.
    Bus,
}

/// A hardware insert's controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsertParam {
    /// Share of the return, 0..1.
    Wet,
    /// Bypassed 0|1.
    Bypass,
    /// Round trip in samples at the current period size (set by hand or by
    /// a measurement).
    Latency,
    /// Setting it starts a latency measurement; it reads back the last
    /// result as text.
    Measure,
}

/// A control of one EQ band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BandParam {
    /// In the path 0|1.
    On,
    /// Kind: low_shelf, peak, high_shelf, low_pass, high_pass, notch (or 0..5).
    Type,
    /// Frequency, Hz.
    Freq,
    /// Gain, dB.
    Gain,
    /// Q.
    Q,
}

/// A compressor control (`comp/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompParam {
    /// In the path 0|1.
    On,
    /// dBFS.
    Threshold,
    /// n:1.
    Ratio,
    /// Knee width, dB.
    Knee,
    /// ms.
    Attack,
    /// ms.
    Release,
    /// Make-up gain, dB.
    Makeup,
    /// `peak` or `rms`.
    Detect,
    /// Side-chain high-pass, Hz (0 = off).
    ScHpf,
}

/// A gate / expander control (`gate/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GateParam {
    /// In the path 0|1.
    On,
    /// dBFS.
    Threshold,
    /// 1:n below the threshold.
    Ratio,
    /// The most it turns down, dB.
    Range,
    /// ms.
    Attack,
    /// ms.
    Hold,
    /// ms.
    Release,
}

/// A control of the master's true-peak limiter (`limiter/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimiterParam {
    /// In the path 0|1.
    On,
    /// Ceiling, dBTP.
    Ceiling,
    /// Release, ms.
    Release,
}

/// A control of an aux bus's delay (`delay/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelayParam {
    /// Time, ms (when not synced).
    Time,
    /// Note value at the session's tempo (`1/8d`), or `off`.
    Sync,
    /// Share fed back, 0..0.95.
    Feedback,
    /// Feedback high-pass, Hz.
    Hpf,
    /// Feedback low-pass, Hz.
    Lpf,
    /// Ping-pong 0|1.
    PingPong,
}

impl DelayParam {
    const NAMES: [(DelayParam, &'static str); 6] = [
        (DelayParam::Time, "time"),
        (DelayParam::Sync, "sync"),
        (DelayParam::Feedback, "feedback"),
        (DelayParam::Hpf, "hpf"),
        (DelayParam::Lpf, "lpf"),
        (DelayParam::PingPong, "ping_pong"),
    ];

    /// Every control.
    pub fn all() -> impl Iterator<Item = DelayParam> {
        Self::NAMES.into_iter().map(|(p, _)| p)
    }
}

/// A control of an aux bus's reverb (`reverb/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReverbParam {
    /// Room size, 0.3..2.
    Size,
    /// RT60, seconds.
    Decay,
    /// Pre-delay, ms.
    Predelay,
    /// High-frequency damping, 0..1.
    Damping,
    /// Stereo width, 0..1.
    Width,
}

impl ReverbParam {
    const NAMES: [(ReverbParam, &'static str); 5] = [
        (ReverbParam::Size, "size"),
        (ReverbParam::Decay, "decay"),
        (ReverbParam::Predelay, "predelay"),
        (ReverbParam::Damping, "damping"),
        (ReverbParam::Width, "width"),
    ];

    /// Every control.
    pub fn all() -> impl Iterator<Item = ReverbParam> {
        Self::NAMES.into_iter().map(|(p, _)| p)
    }
}

impl LimiterParam {
    const NAMES: [(LimiterParam, &'static str); 3] = [
        (LimiterParam::On, "on"),
        (LimiterParam::Ceiling, "ceiling"),
        (LimiterParam::Release, "release"),
    ];

    /// Every control.
    pub fn all() -> impl Iterator<Item = LimiterParam> {
        Self::NAMES.into_iter().map(|(p, _)| p)
    }
}

impl CompParam {
    /// The model's numeric setting this control is (none for the switch
    /// and the detector choice).
    pub fn setting(self) -> Option<crate::model::CompSetting> {
        use crate::model::CompSetting as S;
        Some(match self {
            CompParam::Threshold => S::Threshold,
            CompParam::Ratio => S::Ratio,
            CompParam::Knee => S::Knee,
            CompParam::Attack => S::Attack,
            CompParam::Release => S::Release,
            CompParam::Makeup => S::Makeup,
            CompParam::ScHpf => S::ScHpf,
            CompParam::On | CompParam::Detect => return None,
        })
    }

    const NAMES: [(CompParam, &'static str); 9] = [
        (CompParam::On, "on"),
        (CompParam::Threshold, "threshold"),
        (CompParam::Ratio, "ratio"),
        (CompParam::Knee, "knee"),
        (CompParam::Attack, "attack"),
        (CompParam::Release, "release"),
        (CompParam::Makeup, "makeup"),
        (CompParam::Detect, "detect"),
        (CompParam::ScHpf, "sc_hpf"),
    ];

    /// Every control.
    pub fn all() -> impl Iterator<Item = CompParam> {
        Self::NAMES.into_iter().map(|(p, _)| p)
    }
}

impl GateParam {
    /// The model's numeric setting this control is (none for the switch).
    pub fn setting(self) -> Option<crate::model::GateSetting> {
        use crate::model::GateSetting as S;
        Some(match self {
            GateParam::Threshold => S::Threshold,
            GateParam::Ratio => S::Ratio,
            GateParam::Range => S::Range,
            GateParam::Attack => S::Attack,
            GateParam::Hold => S::Hold,
            GateParam::Release => S::Release,
            GateParam::On => return None,
        })
    }

    const NAMES: [(GateParam, &'static str); 7] = [
        (GateParam::On, "on"),
        (GateParam::Threshold, "threshold"),
        (GateParam::Ratio, "ratio"),
        (GateParam::Range, "range"),
        (GateParam::Attack, "attack"),
        (GateParam::Hold, "hold"),
        (GateParam::Release, "release"),
    ];

    /// Every control.
    pub fn all() -> impl Iterator<Item = GateParam> {
        Self::NAMES.into_iter().map(|(p, _)| p)
    }
}

/// A control of the filter and EQ section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EqParam {
    /// The four bands in the path 0|1 (`eq/on`).
    On,
    /// The high-pass filter in the path 0|1 (`hpf/on`).
    HpfOn,
    /// Its corner, Hz (`hpf/freq`).
    HpfFreq,
    /// Its slope, 12, 18 or 24 dB/octave (`hpf/slope`).
    HpfSlope,
    /// A band's control, 0-based band (`eq/1/gain`).
    Band(usize, BandParam),
}

/// A strip's controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// Fader position 0..1 (the fader law).
    Fader,
    /// Fader gain in dB.
    Gain,
    /// Input trim in dB.
    Trim,
    /// Polarity inverted (1) or not (0).
    Polarity,
    /// Pan or balance 0..1.
    Pan,
    /// Mute 0|1.
    Mute,
    /// Solo 0|1.
    Solo,
    /// Solo-safe 0|1.
    SoloSafe,
    /// Name (text).
    Name,
    /// Where a track's output goes: `master` or a group bus's name (text).
    /// Changing it rebuilds the routing.
    Output,
    /// The strip's automation mode (text: off|read|touch|latch|write|trim,
    /// or its number 0..5 in that order).
    Automation,
    /// The strip's colour (text: none|red|green|yellow|blue|magenta|cyan|
    /// white, or its number 0..7 in that order).
    Colour,
    /// A send's control; the send index is 0-based.
    Send(usize, SendParam),
    /// The hardware insert's control.
    Insert(InsertParam),
    /// The filter and EQ's controls.
    Eq(EqParam),
    /// The compressor's controls.
    Comp(CompParam),
    /// The gate's controls.
    Gate(GateParam),
    /// `eq_dyn` or `dyn_eq`: the order of EQ and dynamics.
    Order,
    /// The limiter's controls (master only).
    Limiter(LimiterParam),
    /// An aux bus's effect: `none`, `delay` or `reverb` (text, or 0..2).
    Fx,
    /// The delay's controls (a bus whose effect is a delay).
    Delay(DelayParam),
    /// The reverb's controls (a bus whose effect is a reverb).
    Reverb(ReverbParam),
}

/// A parsed native address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    /// The strip.
    pub strip: StripRef,
    /// The control on it.
    pub param: Param,
}

/// Why a text is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a mixer address: {reason}")]
pub struct AddressError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Address {
    /// Shorthand constructor.
    pub fn new(strip: StripRef, param: Param) -> Address {
        Address { strip, param }
    }

    /// The automation lane / touch target this address moves: a fader and
    /// its gain are one lane, so are a send's fader and gain.
    pub fn lane(self) -> Address {
        let param = match self.param {
            Param::Gain => Param::Fader,
            Param::Send(k, SendParam::Gain) => Param::Send(k, SendParam::Fader),
            p => p,
        };
        Address::new(self.strip, param)
    }

    /// The addresses that show this lane's value (fader and gain both; a
    /// synced delay's note value and the time it makes).
    pub fn views(self) -> impl Iterator<Item = Address> {
        let lane = self.lane();
        let second = match lane.param {
            Param::Fader => Some(Param::Gain),
            Param::Send(k, SendParam::Fader) => Some(Param::Send(k, SendParam::Gain)),
            Param::Delay(DelayParam::Sync) => Some(Param::Delay(DelayParam::Time)),
            _ => None,
        };
        std::iter::once(lane).chain(second.map(|p| Address::new(self.strip, p)))
    }

    /// Parse `strip/N/...`, `bus/N/...` or `master/...`.
    pub fn parse(text: &str) -> Result<Address, AddressError> {
        let err = |reason| AddressError {
            text: text.to_owned(),
            reason,
        };
        let mut parts = text.strip_prefix('/').unwrap_or(text).split('/');
        let strip = StripRef::from_parts(&mut parts).map_err(err)?;
        let param = match parts.next() {
            Some("fader") => Param::Fader,
            Some("gain") => Param::Gain,
            Some("trim") => Param::Trim,
            Some("polarity") => Param::Polarity,
            Some("pan") => Param::Pan,
            Some("mute") => Param::Mute,
            Some("solo") => Param::Solo,
            Some("solo_safe") => Param::SoloSafe,
            Some("name") => Param::Name,
            Some("output") => Param::Output,
            Some("automation") => Param::Automation,
            Some("colour" | "color") => Param::Colour,
            Some("insert") => Param::Insert(match parts.next() {
                Some("wet") => InsertParam::Wet,
                Some("bypass") => InsertParam::Bypass,
                Some("latency") => InsertParam::Latency,
                Some("measure") => InsertParam::Measure,
                _ => return Err(err("an insert has wet, bypass, latency and measure")),
            }),
            Some("order") => Param::Order,
            Some("comp") => {
                let name = parts.next();
                Param::Comp(
                    CompParam::NAMES
                        .iter()
                        .find(|(_, n)| Some(*n) == name)
                        .map(|(p, _)| *p)
                        .ok_or_else(|| {
                            err("a compressor has on, threshold, ratio, knee, attack, release, makeup, detect and sc_hpf")
                        })?,
                )
            }
            Some("fx") => Param::Fx,
            Some("delay") => {
                let name = parts.next();
                Param::Delay(
                    DelayParam::NAMES
                        .iter()
                        .find(|(_, n)| Some(*n) == name)
                        .map(|(p, _)| *p)
                        .ok_or_else(|| {
                            err("a delay has time, sync, feedback, hpf, lpf and ping_pong")
                        })?,
                )
            }
            Some("reverb") => {
                let name = parts.next();
                Param::Reverb(
                    ReverbParam::NAMES
                        .iter()
                        .find(|(_, n)| Some(*n) == name)
                        .map(|(p, _)| *p)
                        .ok_or_else(|| {
                            err("a reverb has size, decay, predelay, damping and width")
                        })?,
                )
            }
            Some("limiter") => {
                let name = parts.next();
                Param::Limiter(
                    LimiterParam::NAMES
                        .iter()
                        .find(|(_, n)| Some(*n) == name)
                        .map(|(p, _)| *p)
                        .ok_or_else(|| err("the limiter has on, ceiling and release"))?,
                )
            }
            Some("gate") => {
                let name = parts.next();
                Param::Gate(
                    GateParam::NAMES
                        .iter()
                        .find(|(_, n)| Some(*n) == name)
                        .map(|(p, _)| *p)
                        .ok_or_else(|| {
                            err("a gate has on, threshold, ratio, range, attack, hold and release")
                        })?,
                )
            }
            Some("hpf") => Param::Eq(match parts.next() {
                Some("on") => EqParam::HpfOn,
                Some("freq") => EqParam::HpfFreq,
                Some("slope") => EqParam::HpfSlope,
                _ => return Err(err("the high-pass filter has on, freq and slope")),
            }),
            Some("eq") => Param::Eq(match parts.next() {
                Some("on") => EqParam::On,
                band => {
                    let k = one_based(band)
                        .filter(|k| *k < 4)
                        .ok_or_else(|| err("expected eq/on or a band 1..4"))?;
                    EqParam::Band(
                        k,
                        match parts.next() {
                            Some("on") => BandParam::On,
                            Some("type") => BandParam::Type,
                            Some("freq") => BandParam::Freq,
                            Some("gain") => BandParam::Gain,
                            Some("q") => BandParam::Q,
                            _ => return Err(err("a band has on, type, freq, gain and q")),
                        },
                    )
                }
            }),
            Some("send") => {
                let k =
                    one_based(parts.next()).ok_or_else(|| err("expected a send number from 1"))?;
                let p = match parts.next() {
                    Some("fader") => SendParam::Fader,
                    Some("gain") => SendParam::Gain,
                    Some("pan") => SendParam::Pan,
                    Some("pre") => SendParam::Pre,
                    Some("bus") => SendParam::Bus,
                    _ => return Err(err("a send has fader, gain, pan and pre")),
                };
                Param::Send(k, p)
            }
            _ => return Err(err("unknown control")),
        };
        if parts.next().is_some() {
            return Err(err("unexpected text after the control"));
        }
        Ok(Address { strip, param })
    }
}

impl StripRef {
    /// Parse the strip's part of an address alone: `strip/1`, `bus/2`,
    /// `master` (a leading `/` is allowed), as its Display writes it.
    pub fn parse(text: &str) -> Result<StripRef, AddressError> {
        let mut parts = text.strip_prefix('/').unwrap_or(text).split('/');
        let strip = StripRef::from_parts(&mut parts);
        let strip = strip.and_then(|s| match parts.next() {
            None => Ok(s),
            Some(_) => Err("only the strip: strip/N, bus/N or master"),
        });
        strip.map_err(|reason| AddressError {
            text: text.to_owned(),
            reason,
        })
    }

    /// The strip at the front of `parts`.
    fn from_parts<'a>(parts: &mut impl Iterator<Item = &'a str>) -> Result<StripRef, &'static str> {
        match parts.next() {
            Some("strip") => one_based(parts.next())
                .map(StripRef::Track)
                .ok_or("expected a strip number from 1"),
            Some("bus") => one_based(parts.next())
                .map(StripRef::Bus)
                .ok_or("expected a bus number from 1"),
            Some("master") => Ok(StripRef::Master),
            _ => Err("it must start with strip/N, bus/N or master"),
        }
    }
}

fn one_based(part: Option<&str>) -> Option<usize> {
    let n: usize = part?.parse().ok()?;
    n.checked_sub(1)
}

/// The strip's part of an address: `strip/1`, `bus/2`, `master`.
impl fmt::Display for StripRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StripRef::Track(i) => write!(f, "strip/{}", i + 1),
            StripRef::Bus(i) => write!(f, "bus/{}", i + 1),
            StripRef::Master => f.write_str("master"),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.strip)?;
        let name = match self.param {
            Param::Fader => "fader",
            Param::Gain => "gain",
            Param::Trim => "trim",
            Param::Polarity => "polarity",
            Param::Pan => "pan",
            Param::Mute => "mute",
            Param::Solo => "solo",
            Param::SoloSafe => "solo_safe",
            Param::Name => "name",
            Param::Output => "output",
            Param::Automation => "automation",
            Param::Colour => "colour",
            Param::Send(k, p) => {
                let p = match p {
                    SendParam::Fader => "fader",
                    SendParam::Gain => "gain",
                    SendParam::Pan => "pan",
                    SendParam::Pre => "pre",
                    SendParam::Bus => "bus",
                };
                return write!(f, "send/{}/{p}", k + 1);
            }
            Param::Insert(p) => match p {
                InsertParam::Wet => "insert/wet",
                InsertParam::Bypass => "insert/bypass",
                InsertParam::Latency => "insert/latency",
                InsertParam::Measure => "insert/measure",
            },
            Param::Order => "order",
            Param::Comp(p) => {
                let n = CompParam::NAMES
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map_or("?", |(_, n)| n);
                return write!(f, "comp/{n}");
            }
            Param::Fx => "fx",
            Param::Delay(p) => {
                let n = DelayParam::NAMES
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map_or("?", |(_, n)| n);
                return write!(f, "delay/{n}");
            }
            Param::Reverb(p) => {
                let n = ReverbParam::NAMES
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map_or("?", |(_, n)| n);
                return write!(f, "reverb/{n}");
            }
            Param::Limiter(p) => {
                let n = LimiterParam::NAMES
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map_or("?", |(_, n)| n);
                return write!(f, "limiter/{n}");
            }
            Param::Gate(p) => {
                let n = GateParam::NAMES
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map_or("?", |(_, n)| n);
                return write!(f, "gate/{n}");
            }
            Param::Eq(p) => match p {
                EqParam::On => "eq/on",
                EqParam::HpfOn => "hpf/on",
                EqParam::HpfFreq => "hpf/freq",
                EqParam::HpfSlope => "hpf/slope",
                EqParam::Band(k, b) => {
                    let b = match b {
                        BandParam::On => "on",
                        BandParam::Type => "type",
                        BandParam::Freq => "freq",
                        BandParam::Gain => "gain",
                        BandParam::Q => "q",
                    };
                    return write!(f, "eq/{}/{b}", k + 1);
                }
            },
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_native_examples() {
        assert_eq!(
            Address::parse("strip/3/fader").unwrap(),
            Address::new(StripRef::Track(2), Param::Fader)
        );
        assert_eq!(
            Address::parse("/strip/2/send/1/gain").unwrap(),
            Address::new(StripRef::Track(1), Param::Send(0, SendParam::Gain))
        );
        assert_eq!(
            Address::parse("bus/1/mute").unwrap(),
            Address::new(StripRef::Bus(0), Param::Mute)
        );
        assert_eq!(
            Address::parse("master/fader").unwrap(),
            Address::new(StripRef::Master, Param::Fader)
        );
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "strip",
            "strip/0/fader",
            "strip/x/fader",
            "strip/1",
            "strip/1/volume",
            "strip/1/fader/extra",
            "strip/1/send/0/gain",
            "strip/1/send/1/level",
            "track/1/fader",
            "strip/-1/fader",
            "strip/99999999999999999999999/fader",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad} parsed");
        }
    }

    fn any_address() -> impl Strategy<Value = Address> {
        let strip = prop_oneof![
            (0usize..500).prop_map(StripRef::Track),
            (0usize..50).prop_map(StripRef::Bus),
            Just(StripRef::Master),
        ];
        let send = prop_oneof![
            Just(SendParam::Fader),
            Just(SendParam::Gain),
            Just(SendParam::Pan),
            Just(SendParam::Pre),
            Just(SendParam::Bus)
        ];
        let param = prop_oneof![
            Just(Param::Fader),
            Just(Param::Gain),
            Just(Param::Trim),
            Just(Param::Polarity),
            Just(Param::Pan),
            Just(Param::Mute),
            Just(Param::Solo),
            Just(Param::SoloSafe),
            Just(Param::Name),
            Just(Param::Output),
            Just(Param::Automation),
            Just(Param::Colour),
            ((0usize..16), send).prop_map(|(k, p)| Param::Send(k, p)),
            prop_oneof![
                Just(InsertParam::Wet),
                Just(InsertParam::Bypass),
                Just(InsertParam::Latency),
                Just(InsertParam::Measure)
            ]
            .prop_map(Param::Insert),
            prop_oneof![
                Just(EqParam::On),
                Just(EqParam::HpfOn),
                Just(EqParam::HpfFreq),
                Just(EqParam::HpfSlope),
                (
                    0usize..4,
                    prop_oneof![
                        Just(BandParam::On),
                        Just(BandParam::Type),
                        Just(BandParam::Freq),
                        Just(BandParam::Gain),
                        Just(BandParam::Q)
                    ]
                )
                    .prop_map(|(k, b)| EqParam::Band(k, b))
            ]
            .prop_map(Param::Eq),
            (0usize..9).prop_map(|k| Param::Comp(CompParam::NAMES[k].0)),
            (0usize..7).prop_map(|k| Param::Gate(GateParam::NAMES[k].0)),
            Just(Param::Order),
            (0usize..3).prop_map(|k| Param::Limiter(LimiterParam::NAMES[k].0)),
            Just(Param::Fx),
            (0usize..6).prop_map(|k| Param::Delay(DelayParam::NAMES[k].0)),
            (0usize..5).prop_map(|k| Param::Reverb(ReverbParam::NAMES[k].0)),
        ];
        (strip, param).prop_map(|(s, p)| Address::new(s, p))
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(a in any_address()) {
            prop_assert_eq!(Address::parse(&a.to_string()).unwrap(), a);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Address::parse(&s);
        }
    }
}
