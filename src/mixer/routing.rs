//! Where strips go: a track's output (the master, a bus, interface
//! outputs), and names that follow a bus's rename on the strips routed
//! to it.
//!
//! Thread: hub.

use super::*;

impl Hub {
    pub(super) fn set_output(
        &mut self,
        origin: Origin,
        address: Address,
        value: Value,
    ) -> Result<Value, IntentError> {
        let StripRef::Track(i) = address.strip else {
            return Err(IntentError::NotOnThisStrip(address));
        };
        let Value::Text(target) = value else {
            return Err(IntentError::WrongType {
                address,
                expected: "text: 'master' or a group bus name",
            });
        };
        if i >= self.session.tracks.len() {
            return Err(IntentError::NoSuchTarget(address));
        }
        let output = if target.eq_ignore_ascii_case("master") {
            Output::Master
        } else {
            let found = self
                .session
                .buses
                .iter()
                .position(|b| b.kind == BusKind::Group && b.name == target);
            match found {
                Some(b) => Output::Bus(b),
                None => return Err(IntentError::NoSuchOutput { address, target }),
            }
        };
        if self.session.tracks[i].output != output {
            self.session.tracks[i].output = output;
            self.rebuild();
            self.changed(address, Value::Text(target.clone()), origin);
        }
        Ok(Value::Text(target))
    }

    /// What a send's target is called on the surfaces.
    pub(super) fn send_target_name(&self, target: SendTarget) -> String {
        match target {
            SendTarget::Bus(b) => self
                .session
                .buses
                .get(b)
                .map_or_else(String::new, |bus| bus.name.clone()),
            SendTarget::Output(o) => format!("out {o}-{}", o + 1),
        }
    }

    /// Bus `b` has a new name: the tracks routed to it and the sends to it
    /// show it too.
    pub(super) fn bus_renamed(&mut self, b: usize, origin: Origin) {
        let name = self.session.buses[b].name.clone();
        let mut shown = Vec::new();
        for (i, t) in self.session.tracks.iter().enumerate() {
            if t.output == Output::Bus(b) {
                shown.push(Address::new(StripRef::Track(i), Param::Output));
            }
        }
        for strip in self.strips() {
            if let Some(c) = self.session.controls(strip) {
                for (k, s) in c.sends.iter().enumerate() {
                    if s.target == SendTarget::Bus(b) {
                        shown.push(Address::new(strip, Param::Send(k, SendParam::Bus)));
                    }
                }
            }
        }
        for address in shown {
            self.changed(address, Value::Text(name.clone()), origin);
        }
    }
}
