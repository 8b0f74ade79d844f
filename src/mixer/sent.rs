//! What the engine was last told, setting by setting, so that a change
//! sends the engine only the commands whose value differs: one fader move
//! is one command, however many sends and filters its strip has.
//!
//! Thread: the hub's. The engine changes a setting only when told, except
//! through automation: a [`StripParam::Play`] or [`StripParam::Jump`] for
//! a node forgets what it was told, and so does a new graph.

use crate::engine::msg::{CoefSlot, NodeId, StripParam};

/// Slots of a node's own settings (sends' are kept per send).
const OWN_SLOTS: usize = 19;

/// Where a setting is kept: one of the node's own slots, or one of a
/// send's three; `None` for events and for slots out of these ranges
/// (always sent).
enum Place {
    Own(usize),
    Send(usize, usize),
}

fn place(slot: CoefSlot) -> Option<Place> {
    Some(match slot {
        CoefSlot::Trim => Place::Own(0),
        CoefSlot::Polarity => Place::Own(1),
        CoefSlot::Fader => Place::Own(2),
        CoefSlot::Mute => Place::Own(3),
        CoefSlot::SoloGate => Place::Own(4),
        CoefSlot::Pan => Place::Own(5),
        CoefSlot::EqBand(b @ 0..=3) => Place::Own(6 + usize::from(b)),
        CoefSlot::Hpf => Place::Own(10),
        CoefSlot::EqOn => Place::Own(11),
        CoefSlot::Comp => Place::Own(12),
        CoefSlot::Gate => Place::Own(13),
        CoefSlot::DynamicsFirst => Place::Own(14),
        CoefSlot::Limiter => Place::Own(15),
        CoefSlot::Echo => Place::Own(16),
        CoefSlot::Reverb => Place::Own(17),
        CoefSlot::InsertWet => Place::Own(18),
        CoefSlot::SendLevel(k) => Place::Send(usize::from(k), 0),
        CoefSlot::SendPan(k) => Place::Send(usize::from(k), 1),
        CoefSlot::SendPre(k) => Place::Send(usize::from(k), 2),
        CoefSlot::EqBand(_) | CoefSlot::Play(_) | CoefSlot::Jump(_) => return None,
    })
}

/// What one node holds.
#[derive(Debug, Default, Clone)]
struct NodeSent {
    own: [Option<StripParam>; OWN_SLOTS],
    sends: Vec<[Option<StripParam>; 3]>,
}

/// The settings sent to each node, by slot.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    nodes: Vec<NodeSent>,
}

impl Sent {
    /// Whether `param` for `node` must be sent (it is then recorded as
    /// sent): false when the engine already holds exactly that setting.
    pub(crate) fn needs(&mut self, node: NodeId, param: &StripParam) -> bool {
        if !param.is_setting() {
            self.forget_node(node);
            return true;
        }
        let Some(place) = place(param.slot()) else {
            return true;
        };
        let i = usize::from(node.0);
        if self.nodes.len() <= i {
            self.nodes.resize_with(i + 1, NodeSent::default);
        }
        let held = &mut self.nodes[i];
        let cell = match place {
            Place::Own(s) => &mut held.own[s],
            Place::Send(k, s) => {
                if held.sends.len() <= k {
                    held.sends.resize(k + 1, [None; 3]);
                }
                &mut held.sends[k][s]
            }
        };
        cell.replace(*param) != Some(*param)
    }

    /// Forget what node `node` was told (its automation may move it).
    pub(crate) fn forget_node(&mut self, node: NodeId) {
        if let Some(held) = self.nodes.get_mut(usize::from(node.0)) {
            *held = NodeSent::default();
        }
    }

    /// Forget everything (a new graph, a new engine).
    pub(crate) fn forget_all(&mut self) {
        self.nodes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_sent_once_until_it_changes_or_automation_takes_over() {
        let mut sent = Sent::default();
        let node = NodeId(3);
        assert!(sent.needs(node, &StripParam::Fader(0.5)));
        assert!(!sent.needs(node, &StripParam::Fader(0.5)));
        assert!(sent.needs(NodeId(4), &StripParam::Fader(0.5)), "per node");
        assert!(sent.needs(node, &StripParam::Fader(0.25)));
        assert!(sent.needs(node, &StripParam::Mute(1.0)), "per slot");
        let play = StripParam::Play {
            target: crate::engine::msg::AutoTarget::Gain,
            play: crate::engine::msg::AutoPlay::Lane,
        };
        assert!(sent.needs(node, &play));
        assert!(sent.needs(node, &play), "events are always sent");
        assert!(
            sent.needs(node, &StripParam::Fader(0.25)),
            "forgotten after a play change"
        );
        sent.forget_all();
        assert!(sent.needs(NodeId(4), &StripParam::Fader(0.5)));
    }
}
