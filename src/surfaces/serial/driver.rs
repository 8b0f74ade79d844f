//! The serial board's I/O thread: opens the port (by path, or by USB
//! vendor/product id whatever it enumerates as), splits what arrives into
//! checked frames, writes what the hub sends, and when the port goes away
//! (the board was unplugged) reopens it every second until it is back.
//!
//! Thread: its own. Talks to the hub through crossbeam channels: typed
//! messages in ([`LinkEvent`]), typed messages out ([`ToBoard`]).

use crate::health::LinkStatus;
use crate::model::surface::{SerialLocator, UsbId};
use crate::surfaces::Post;
use crossbeam::channel::{Receiver, Sender};
use fader_link::{Deframer, FrameError, FromBoard, MAX_PAYLOAD, ToBoard, frame};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a missing port is looked for again.
pub const REOPEN_INTERVAL: Duration = Duration::from_secs(1);
/// Longest a message from the hub waits while the thread reads.
pub const READ_SLICE: Duration = Duration::from_millis(2);
/// At most one warning about bad frames per board this often.
const WARN_INTERVAL: Duration = Duration::from_secs(5);

/// What a board's link reports to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// The port opened (the board is plugged in): start the handshake.
    Opened,
    /// A checked message.
    Message(FromBoard),
    /// The port went away, and why.
    Closed(String),
}

/// A running board link. Dropping it stops the thread.
#[derive(Debug)]
pub struct SerialDriver {
    out: Sender<ToBoard>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Where a board is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPlan {
    /// The board's name (for messages).
    pub name: String,
    /// Its port.
    pub locator: SerialLocator,
    /// Line speed.
    pub baud: u32,
}

impl SerialDriver {
    /// Start the link of board number `board`; its events go to `events`
    /// tagged with that number.
    /// The link is supervised: a panic is counted in `health` and logged,
    /// and the link starts again (the port is opened anew).
    pub fn start(
        board: usize,
        plan: PortPlan,
        events: Post<(usize, LinkEvent)>,
        status: Arc<LinkStatus>,
        health: Arc<crate::health::Health>,
    ) -> std::io::Result<SerialDriver> {
        let (out, out_rx) = crossbeam::channel::bounded::<ToBoard>(1024);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("faderd-serial-{}", board + 1))
                .spawn(move || {
                    let name = format!("faderd-serial-{}", board + 1);
                    while crate::health::contain(&health, &name, || {
                        link_thread(board, &plan, &events, &out_rx, &status, &stop);
                    })
                    .is_none()
                    {
                        status.open.store(false, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(100));
                    }
                })?
        };
        Ok(SerialDriver {
            out,
            stop,
            thread: Some(thread),
        })
    }

    /// Queue messages for the board (dropped while it is away).
    pub fn send(&self, msgs: &[ToBoard]) {
        for m in msgs {
            if self.out.try_send(*m).is_err() {
                tracing::debug!("serial out queue full: {m:?} dropped");
            }
        }
    }
}

impl Drop for SerialDriver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The port `locator` names now: a path as is, a USB id looked up among
/// the system's serial ports.
pub fn find_port(locator: &SerialLocator) -> Result<String, String> {
    match locator {
        SerialLocator::Path(p) => Ok(p.clone()),
        SerialLocator::Usb(id) => usb_port(*id),
    }
}

fn usb_port(id: UsbId) -> Result<String, String> {
    // serialport's sysfs scan panics when /sys/class/tty is missing
    // (some containers): look first.
    if cfg!(target_os = "linux") && !std::path::Path::new("/sys/class/tty").is_dir() {
        return Err("this system does not list serial ports (/sys/class/tty)".into());
    }
    let ports = serialport::available_ports().map_err(|e| e.to_string())?;
    ports
        .into_iter()
        .find(|p| {
            matches!(&p.port_type, serialport::SerialPortType::UsbPort(u)
                if u.vid == id.vid && u.pid == id.pid)
        })
        .map(|p| p.port_name)
        .ok_or_else(|| format!("no USB serial device {id} is plugged in"))
}

fn link_thread(
    board: usize,
    plan: &PortPlan,
    events: &Post<(usize, LinkEvent)>,
    out: &Receiver<ToBoard>,
    status: &LinkStatus,
    stop: &AtomicBool,
) {
    let mut last_error = String::new();
    while !stop.load(Ordering::SeqCst) {
        let opened = find_port(&plan.locator).and_then(|path| {
            serialport::new(&path, plan.baud)
                .timeout(READ_SLICE)
                .open()
                .map(|p| (path.clone(), p))
                .map_err(|e| format!("cannot open {path}: {e}"))
        });
        match opened {
            Ok((path, mut port)) => {
                last_error.clear();
                tracing::info!("serial board '{}': {path} is open", plan.name);
                // Whatever was queued while the board was away is stale.
                while out.try_recv().is_ok() {}
                status.open.store(true, Ordering::Relaxed);
                status.connects.fetch_add(1, Ordering::Relaxed);
                if events.send((board, LinkEvent::Opened)).is_err() {
                    return;
                }
                let why = serve(board, plan, &mut *port, events, out, status, stop);
                status.open.store(false, Ordering::Relaxed);
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                tracing::warn!(
                    "serial board '{}': {path} went away ({why}); looking for it every second",
                    plan.name
                );
                if events.send((board, LinkEvent::Closed(why))).is_err() {
                    return;
                }
            }
            Err(e) => {
                if e != last_error {
                    tracing::warn!(
                        "serial board '{}': {e}; trying again every second",
                        plan.name
                    );
                    last_error = e;
                }
            }
        }
        let t0 = Instant::now();
        while t0.elapsed() < REOPEN_INTERVAL && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Read and write until the port fails or `stop`; returns why it ended.
fn serve(
    board: usize,
    plan: &PortPlan,
    port: &mut dyn serialport::SerialPort,
    events: &Post<(usize, LinkEvent)>,
    out: &Receiver<ToBoard>,
    status: &LinkStatus,
    stop: &AtomicBool,
) -> String {
    let mut deframer = Deframer::default();
    let mut payload = [0u8; MAX_PAYLOAD];
    let mut buf = [0u8; 512];
    let mut warned_at: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        for m in out.try_iter() {
            if let Err(e) = port.write_all(frame(m.payload().bytes()).bytes()) {
                return format!("write failed: {e}");
            }
        }
        let n = match port.read(&mut buf) {
            Ok(0) => return "end of file".into(),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return format!("read failed: {e}"),
        };
        for b in &buf[..n] {
            let Some(r) = deframer.push(*b, &mut payload) else {
                continue;
            };
            let parsed = r.and_then(|len| FromBoard::parse(&payload[..len]));
            match parsed {
                Ok(m) => {
                    if events.send((board, LinkEvent::Message(m))).is_err() {
                        return "the daemon is stopping".into();
                    }
                }
                Err(e) => {
                    let total = status.bad_frames.fetch_add(1, Ordering::Relaxed) + 1;
                    if warned_at.is_none_or(|t| t.elapsed() >= WARN_INTERVAL) {
                        warned_at = Some(Instant::now());
                        tracing::warn!(
                            "serial board '{}': dropped a frame ({}); {total} dropped so far",
                            plan.name,
                            describe(e)
                        );
                    }
                }
            }
        }
    }
    "stopped".into()
}

fn describe(e: FrameError) -> String {
    match e {
        FrameError::Cobs => "bad COBS encoding".into(),
        FrameError::Length => "wrong length".into(),
        FrameError::Crc => "CRC mismatch".into(),
        FrameError::UnknownType(t) => format!("unknown message type 0x{t:02x}"),
    }
}
