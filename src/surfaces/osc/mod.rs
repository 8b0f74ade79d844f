//! OSC in the native address space (`/strip/3/fader 0.5`): a pure codec,
//! the hub-side surface state (subscribers, feedback, touch holds) and a
//! thin UDP driver.

pub mod codec;
pub mod driver;
pub mod port;
mod shown;
pub mod surface;

pub use codec::{Datagram, MeterStyle, OscCommand, OscError, decode};
pub use driver::{AllowList, OscDriver, OscPacketIn, OscStats};
pub use port::OscPort;
pub use surface::{OscSurface, StaticClient, SurfaceOptions};
