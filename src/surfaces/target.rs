//! Map targets shared by the map-driven surfaces (generic MIDI, serial
//! boards): an address that may follow the surface's bank, and the bank
//! and transport actions every such surface offers.
//!
//! Thread: hub.

use crate::mixer::{Address, Hub, StripRef, TransportCmd};
use crate::model::surface::SurfaceAction;

/// A map's mixer address; `strip/Bk/...` follows the surface's bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankTarget {
    /// The address as written (a `Bk` strip reads as strip k).
    pub template: Address,
    /// Some(k - 1) for a bank-relative `Bk` strip.
    pub bank_slot: Option<usize>,
}

impl BankTarget {
    /// Parse a map target such as `strip/B1/fader` or `bus/FX/mute`.
    pub fn parse(text: &str) -> Option<BankTarget> {
        let mut bank_slot = None;
        let concrete: Vec<String> = text
            .split('/')
            .map(|seg| match seg.strip_prefix('B') {
                Some(rest) if !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit()) => {
                    bank_slot = rest.parse::<usize>().ok().and_then(|k| k.checked_sub(1));
                    rest.to_owned()
                }
                _ => seg.to_owned(),
            })
            .collect();
        let template = Address::parse(&concrete.join("/")).ok()?;
        Some(BankTarget {
            template,
            bank_slot,
        })
    }

    /// A fixed address.
    pub fn absolute(address: Address) -> BankTarget {
        BankTarget {
            template: address,
            bank_slot: None,
        }
    }

    /// The address now, with the bank starting at mixer strip `bank`
    /// (0-based, master excluded); `None` past the last strip.
    pub fn resolve(&self, hub: &Hub, bank: usize) -> Option<Address> {
        match self.bank_slot {
            None => Some(self.template),
            Some(k) => hub
                .strips()
                .filter(|s| *s != StripRef::Master)
                .nth(bank + k)
                .map(|s| Address::new(s, self.template.param)),
        }
    }
}

/// Bank and transport actions: moves `bank` (first strip shown, banks of
/// `bank_size`) or drives the transport. Returns false for an action this
/// helper does not know (the caller's own, or none).
pub fn bank_or_transport(
    hub: &mut Hub,
    bank: &mut usize,
    bank_size: usize,
    a: SurfaceAction,
) -> bool {
    let n = hub.strips().filter(|s| *s != StripRef::Master).count();
    match a {
        SurfaceAction::BankLeft => *bank = bank.saturating_sub(bank_size),
        SurfaceAction::BankRight => {
            if *bank + bank_size < n {
                *bank += bank_size
            }
        }
        SurfaceAction::ChannelLeft => *bank = bank.saturating_sub(1),
        SurfaceAction::ChannelRight => {
            if *bank + 1 < n {
                *bank += 1
            }
        }
        SurfaceAction::TransportPlay => hub.transport(TransportCmd::Play),
        SurfaceAction::TransportStop => hub.transport(TransportCmd::Stop),
        SurfaceAction::TransportRewind => hub.transport(TransportCmd::Locate(0)),
        SurfaceAction::TransportLoop => hub.toggle_loop(),
        SurfaceAction::AutomationUndo => {
            if let Err(e) = hub.undo_automation() {
                tracing::info!("undo: {e}");
            }
        }
        SurfaceAction::SessionSave => hub.request_save(),
        SurfaceAction::TransportForward => {
            let t = hub.transport_state();
            hub.transport(TransportCmd::Locate(
                t.position_frames
                    .saturating_add(u64::from(hub.sample_rate()) * 10),
            ));
        }
        _ => return false,
    }
    true
}
