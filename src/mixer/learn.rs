//! MIDI learn on the hub: one address armed at a time, until a control
//! moves or [`LEARN_TIMEOUT`] passes.
//!
//! Thread: hub.

use super::*;

impl Hub {
    /// MIDI learn: the next move of a generic MIDI controller's control
    /// binds it to `address`. The request stands for [`LEARN_TIMEOUT`].
    pub fn arm_learn(&mut self, address: Address) -> Result<(), IntentError> {
        self.get(address)?;
        if matches!(
            address.param,
            Param::Name
                | Param::Output
                | Param::Automation
                | Param::Colour
                | Param::Insert(_)
                | Param::Send(_, SendParam::Bus)
        ) {
            return Err(IntentError::NotLearnable(address));
        }
        self.learn = Some((address, self.now() + LEARN_TIMEOUT));
        Ok(())
    }

    /// The address MIDI learn is armed for, if any.
    pub fn learn_target(&self) -> Option<Address> {
        self.learn
            .filter(|(_, until)| *until > self.now())
            .map(|(a, _)| a)
    }

    /// Disarm MIDI learn (a binding was made).
    pub fn finish_learn(&mut self) {
        self.learn = None;
    }
}
