//! What the engine was last told, setting by setting, so that a change
//! sends the engine only the commands whose value differs: one fader move
//! is one command, however many sends and filters its strip has.
//!
//! Thread: the hub's. The engine changes a setting only when told, except
//! through automation: a [`StripParam::Play`] or [`StripParam::Jump`] for
//! a node forgets what it was told, and so does a new graph.

use crate::engine::msg::{CoefSlot, NodeId, StripParam};
use std::collections::HashMap;

/// The settings sent to each node, by slot.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    values: HashMap<(NodeId, CoefSlot), StripParam>,
}

impl Sent {
    /// Whether `param` for `node` must be sent (it is then recorded as
    /// sent): false when the engine already holds exactly that setting.
    pub(crate) fn needs(&mut self, node: NodeId, param: &StripParam) -> bool {
        if !param.is_setting() {
            self.forget_node(node);
            return true;
        }
        self.values.insert((node, param.slot()), *param) != Some(*param)
    }

    /// Forget what node `node` was told (its automation may move it).
    pub(crate) fn forget_node(&mut self, node: NodeId) {
        self.values.retain(|(n, _), _| *n != node);
    }

    /// Forget everything (a new graph, a new engine).
    pub(crate) fn forget_all(&mut self) {
        self.values.clear();
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
