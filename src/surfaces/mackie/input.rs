//! What a Mackie unit's controls do: faders (with the echo that keeps a
//! motor under the hand), touch, buttons (strip and global actions) and
//! V-Pots.
//!
//! Thread: hub.

use super::codec::{self, MASTER_FADER, ToSurface, encode_to_surface, note};
use super::surface::{
    DYNAMICS_VIEW, EQ_VIEW, MackieSurface, MidiOut, StripBinding, VALUE_DISPLAY, VPotView,
    ValueShown, automation_of, mixer_strips, section_switch,
};
use crate::mixer::{Address, Hub, Param, StripRef, Value};
use crate::model::AutomationMode;
use crate::model::surface::{BindingTarget, SurfaceAction};
use crate::surfaces::target::bank_or_transport;
use std::time::Instant;

impl MackieSurface {
    pub(super) fn fader_moved(
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
        let Some((address, spec)) = self.fader_target(hub, ui, f) else {
            return;
        };
        let x = spec.value_at(codec::fader_to_pos(value));
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

    pub(super) fn fader_touched(&mut self, hub: &mut Hub, ui: usize, f: u8, on: bool) {
        if let Some(t) = self.units[ui].hand_on.get_mut(usize::from(f)) {
            *t = on;
        }
        if let Some((address, _)) = self.fader_target(hub, ui, f) {
            let _ = hub.touch(self.origin, address, on);
        }
        // On release the next tick puts the fader where the mix says: it
        // stands where the hand left it (its last move), so only a mix
        // that differs moves it.
    }

    pub(super) fn button(&mut self, hub: &mut Hub, ui: usize, n: u8, pressed: bool, now: Instant) {
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
                } else if let Some((a, spec)) = self.vpot_target(strip) {
                    let _ = hub.apply(self.origin, a, Value::Float(spec.default));
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
            // Banking and the transport, as every map-driven surface does.
            A::BankLeft
            | A::BankRight
            | A::ChannelLeft
            | A::ChannelRight
            | A::TransportPlay
            | A::TransportStop
            | A::TransportRewind
            | A::TransportForward
            | A::TransportLoop
            | A::AutomationUndo
            | A::SessionSave => {
                bank_or_transport(hub, &mut self.bank, self.width, action);
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
            A::Select | A::VPotReset => {}
        }
    }

    pub(super) fn vpot(&mut self, hub: &mut Hub, ui: usize, pot: u8, delta: i8, now: Instant) {
        let unit = &self.units[ui];
        if usize::from(pot) >= unit.strips {
            return;
        }
        let global = unit.first + usize::from(pot);
        let Some(strip) = self.strip_at(hub, global) else {
            return;
        };
        let Some((a, spec)) = self.vpot_target(strip) else {
            return;
        };
        let Ok(Value::Float(now_value)) = hub.get(a) else {
            return;
        };
        let fine = self.modifiers.shift;
        let next = spec.step_from(now_value, delta, fine);
        if hub.apply(self.origin, a, Value::Float(next)).is_err() {
            self.rejected += 1;
        }
        self.value_until
            .insert(global, (now + VALUE_DISPLAY, ValueShown::VPot));
    }
}
