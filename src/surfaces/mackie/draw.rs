//! What a Mackie unit is sent back.
//!
//! The surface keeps what each unit shows (fader positions, LEDs, rings,
//! LCD cells, colours, meters, 7-segment digits) and sends only the
//! differences from what it should show. What it should show is worked
//! out from the change set, not by re-reading the mix: a change to a
//! strip on a unit redraws that unit's strips at once; the surface's own
//! input, a bank or view change and a value display ending mark its units
//! stale for the next tick; every tick draws the globals (master fader,
//! button LEDs, timecode, assignment, loudness) and the meters. So nothing
//! identical is re-sent, a clamped move is corrected, and a redraw after
//! a reconnection is just "forget what is shown". Faders under a finger
//! (touch, or a recent move on a unit without touch sense) are never
//! driven; on release the fader goes where the mix says.
//!
//! Thread: hub.

use super::codec::{
    self, LedState, MeterValue, Ring, RingMode, ToSurface, encode_to_surface, note,
};
use super::surface::{
    CONFIRM_TIMEOUT, DYNAMICS_VIEW, EQ_VIEW, HANDSHAKE_FALLBACK, HELLO_RETRY, Handshake,
    METER_MIN_INTERVAL, MackieSurface, MidiOut, OVERLOAD_HOLD, VALUE_DISPLAY, VPotView, ValueShown,
    automation_of, mixer_strips,
};
use crate::dsp::amp_to_db;
use crate::mixer::{
    Address, Feedback, Format, Hub, MeterFrame, Param, Spec, StripRef, Taper, Unit, Value,
};
use crate::model::StripColour;
use crate::model::surface::{BindingTarget, SurfaceAction};
use std::time::Instant;

impl MackieSurface {
    /// The hub's next changes. A change from elsewhere to a strip on a
    /// unit shows its value for a moment, and that unit's faders, LEDs and
    /// displays are brought up to date at once (meters wait for the tick),
    /// so a motor fader follows an OSC move without waiting. The surface's
    /// own changes are drawn at the next tick (its input already marked
    /// its units).
    pub fn show(&mut self, hub: &Hub, changes: &[Feedback], now: Instant) -> Vec<MidiOut> {
        // Per unit: the strips hit, and whether the master (drawn with the
        // globals) was.
        let mut hit = vec![([false; 8], false); self.units.len()];
        let mut strips: Option<Vec<StripRef>> = None;
        for f in changes {
            if f.address.param == Param::Colour {
                // Colours go out for a whole unit, at the tick.
                self.mark_stale();
            }
            if f.origin == self.origin {
                continue;
            }
            if f.address.strip == StripRef::Master {
                if let Some(ui) = self.units.iter().position(|u| u.main) {
                    hit[ui].1 = true;
                }
                continue;
            }
            let strips = strips.get_or_insert_with(|| mixer_strips(hub));
            let Some(i) = self.position_in(strips, f.address.strip) else {
                continue;
            };
            let kind = if matches!(f.address.param, Param::Fader | Param::Gain) {
                Some(ValueShown::Fader)
            } else if self
                .vpot_target(f.address.strip)
                .is_some_and(|(a, _)| a.lane() == f.address.lane())
            {
                Some(ValueShown::VPot)
            } else {
                None
            };
            if let Some(kind) = kind {
                self.value_until.insert(i, (now + VALUE_DISPLAY, kind));
            }
            if let Some(ui) = self.unit_of(i)
                && let Some(k) = hit[ui].0.get_mut(i - self.units[ui].first)
            {
                *k = true;
            }
        }
        let mut out = Vec::new();
        if hit
            .iter()
            .any(|(mask, master)| *master || mask.contains(&true))
        {
            let strips = strips.unwrap_or_else(|| mixer_strips(hub));
            for (ui, (mask, master)) in hit.into_iter().enumerate() {
                let what = if master {
                    Draw::Controls
                } else if mask.contains(&true) {
                    Draw::Strips(mask)
                } else {
                    continue;
                };
                if self.units[ui].state == Handshake::Online {
                    self.draw_unit(hub, ui, &strips, what, now, &mut out);
                }
            }
        }
        out
    }

    /// Called once per hub tick, after [`Self::show`]: handshakes, meters,
    /// the global LEDs and displays, and the strips of every unit marked
    /// stale.
    pub fn tick(&mut self, hub: &Hub, meters: &MeterFrame, now: Instant) -> Vec<MidiOut> {
        let n = mixer_strips(hub).len();
        if self.strip_count.is_some_and(|was| was != n) {
            // The strips moved under the bank: keep it on a strip that
            // exists and draw every unit again.
            self.bank = self.bank.min(n.saturating_sub(1));
            self.peaks.clear();
            self.mark_stale();
        }
        self.strip_count = Some(n);
        self.peaks.absorb(meters);
        let shown_values = self.value_until.len();
        self.value_until.retain(|_, (until, _)| *until > now);
        if self.value_until.len() != shown_values {
            self.mark_stale();
        }
        let out = self.draw(hub, now);
        // Meter peaks start again after each tick that used them.
        self.peaks.clear();
        out
    }

    /// The unit that shows global surface position `i`.
    fn unit_of(&self, i: usize) -> Option<usize> {
        self.units
            .iter()
            .position(|u| i >= u.first && i < u.first + u.strips)
    }

    fn draw(&mut self, hub: &Hub, now: Instant) -> Vec<MidiOut> {
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
            let what = if self.units[ui].stale {
                Draw::All
            } else {
                Draw::Globals
            };
            self.draw_unit(hub, ui, &strips, what, now, &mut out);
        }
        out
    }

    /// Bring unit `ui` up to date with `what` it should show.
    fn draw_unit(
        &mut self,
        hub: &Hub,
        ui: usize,
        strips: &[StripRef],
        what: Draw,
        now: Instant,
        out: &mut Vec<MidiOut>,
    ) {
        let desired = self.desired(hub, ui, strips, what);
        // A fader a hand holds is drawn again once it lets go.
        match what {
            Draw::Globals => {}
            Draw::Strips(_) => self.units[ui].stale |= desired.held,
            Draw::All | Draw::Controls => self.units[ui].stale = desired.held,
        }
        self.diff(ui, desired, now, out);
    }

    /// Global surface position of a mixer strip (`strips` as
    /// [`mixer_strips`] lists them), if it is on the surface.
    fn position_in(&self, strips: &[StripRef], strip: StripRef) -> Option<usize> {
        let i = strips.iter().position(|s| *s == strip)?;
        (i >= self.bank && i < self.bank + self.width).then(|| i - self.bank)
    }

    /// What unit `ui` should show now.
    fn desired(&self, hub: &Hub, ui: usize, strips: &[StripRef], what: Draw) -> Desired {
        let unit = &self.units[ui];
        let mut d = Desired::default();
        if what.meters() {
            for k in 0..unit.strips {
                let strip = strips.get(self.bank + unit.first + k).copied();
                d.meters[k] = Some(strip.map_or(0.0, |s| self.peaks.peak(s)));
            }
        }
        // The loudness figures own the first unit's lower line.
        let lower_line = !(self.loudness_display && ui == 0) || what.globals();
        for k in (0..unit.strips).filter(|k| what.strip(*k)) {
            let global = unit.first + k;
            let strip = strips.get(self.bank + global).copied();
            // Fader.
            let fader = strip.and_then(|s| {
                let (a, spec) = self.fader_control(s)?;
                let held = unit.hand_on[k] || hub.is_touched_by(a, self.origin);
                if held {
                    d.held = true;
                    return Some(None);
                }
                match hub.get(a) {
                    Ok(Value::Float(x)) => Some(Some(codec::pos_to_fader(spec.to_pos(x)))),
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
                let (a, spec) = self.vpot_target(s)?;
                match hub.get(a) {
                    Ok(Value::Float(x)) => Some((spec, x)),
                    _ => None,
                }
            });
            d.rings[k] = Some(match vp {
                Some((spec, x)) => ring(&spec, x),
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
                        Ok(Value::Float(db)) => Format::GainDb.label(db),
                        _ => String::new(),
                    }
                }
                _ => vp.map_or(String::new(), |(spec, x)| spec.label(x)),
            };
            d.lcd[k] = Some(cell(&name));
            if lower_line {
                d.lcd[8 + k] = Some(cell(&lower));
            }
            if !what.globals() {
                // Colours go out for a whole unit.
                continue;
            }
            d.colours.get_or_insert([StripColour::None; 8])[k] = match strip {
                None => StripColour::None,
                Some(s) if self.selected.contains(&s) => StripColour::White,
                Some(s) if let Some(c) = chosen_colour(hub, s) => c,
                Some(StripRef::Track(_)) => StripColour::Cyan,
                Some(_) => StripColour::Yellow,
            };
        }
        if !what.globals() {
            return d;
        }
        if what != Draw::Globals {
            for k in unit.strips..8 {
                d.lcd[k] = Some(cell(""));
                d.lcd[8 + k] = Some(cell(""));
            }
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
                d.lcd[8 + k] = Some(cell(text));
            }
        }
        if unit.main {
            if unit.master_fader {
                let a = self.master.map(|p| Address::new(StripRef::Master, p));
                d.faders[8] = match a {
                    Some(a) if unit.hand_on[8] || hub.is_touched_by(a, self.origin) => None,
                    Some(a) => match hub.get(a) {
                        Ok(Value::Float(x)) => Some(codec::pos_to_fader(a.param.spec().to_pos(x))),
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
                let Some(c) = c else { continue };
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
            if let Some(colours) = d.colours
                && unit.colours
                && unit.shown.colours != Some(colours)
            {
                unit.shown.colours = Some(colours);
                send(ToSurface::Colours {
                    device: unit.device,
                    colours,
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

/// What a redraw of a unit covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draw {
    /// Strips, globals and meters.
    All,
    /// Strips and globals (meters wait for the tick).
    Controls,
    /// Globals (master fader, button LEDs, timecode, assignment, loudness)
    /// and meters; the strips are as they were drawn.
    Globals,
    /// The controls of the unit's strips marked (by position on the unit):
    /// a change from elsewhere, drawn at once; the rest waits for the tick.
    Strips([bool; 8]),
}

impl Draw {
    /// It draws the strip at position `k` on the unit.
    fn strip(self, k: usize) -> bool {
        match self {
            Draw::All | Draw::Controls => true,
            Draw::Globals => false,
            Draw::Strips(mask) => mask.get(k).copied().unwrap_or(false),
        }
    }

    /// It draws the globals (and the unit's colours, all at once).
    fn globals(self) -> bool {
        !matches!(self, Draw::Strips(_))
    }

    /// It draws the meters.
    fn meters(self) -> bool {
        matches!(self, Draw::All | Draw::Globals)
    }
}

/// What one unit should show.
#[derive(Debug, Default)]
struct Desired {
    /// `None`: leave the fader alone (touched).
    faders: [Option<u16>; 9],
    leds: Vec<(u8, LedState)>,
    rings: [Option<Ring>; 8],
    /// `None`: leave the cell as it is.
    lcd: [Option<[u8; codec::LCD_CELL]>; 16],
    colours: Option<[StripColour; 8]>,
    meters: [Option<f32>; 8],
    /// A fader was left alone because a hand holds it.
    held: bool,
    /// Digit 0 (rightmost) first: (code, dot).
    timecode: Option<[(u8, bool); 10]>,
    /// Digit 0 (right) first.
    assignment: Option<[u8; 2]>,
}

/// The V-Pot ring that shows value `x` of a control: a dot for a pan,
/// boost and cut from the centre for a trim or an EQ gain, a growing arc
/// for the rest (empty at a level's or a share's zero).
fn ring(spec: &Spec, x: f64) -> Ring {
    let p = spec.to_pos(x);
    let step = |p: f64| (p * 10.0).round() as u8 + 1;
    if spec.unit == Unit::Pan {
        Ring {
            mode: RingMode::Dot,
            value: step(p),
            centre: (p - 0.5).abs() < 0.01,
        }
    } else if spec.is_centred() {
        Ring {
            mode: RingMode::BoostCut,
            value: step(p),
            centre: x.abs() < 0.05,
        }
    } else if matches!(spec.taper, Taper::Travel | Taper::FaderLaw | Taper::Typed) {
        Ring {
            mode: RingMode::Wrap,
            value: if p <= 0.0 { 0 } else { step(p) },
            centre: false,
        }
    } else {
        Ring {
            mode: RingMode::Wrap,
            value: step(p),
            centre: false,
        }
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

/// The colour the session gives strip `s`, as a scribble strip shows it
/// (`None` when it has none: the surface's own default).
fn chosen_colour(hub: &Hub, s: StripRef) -> Option<StripColour> {
    use crate::model::Named;
    let Ok(Value::Text(name)) = hub.get(Address::new(s, Param::Colour)) else {
        return None;
    };
    StripColour::from_name(&name).filter(|c| *c != StripColour::None)
}
