//! A virtual fader board: the reference firmware core driving simulated
//! motorized faders, on a serial port. Try faderd's serial surface without
//! hardware:
//!
//! ```text
//! socat pty,raw,echo=0,link=/tmp/faderd-host pty,raw,echo=0,link=/tmp/faderd-board &
//! cargo run -p fader-firmware --features sim --bin fader-board-sim -- /tmp/faderd-board 4
//! ```
//!
//! and point faderd's `serial:` surface at /tmp/faderd-host. The faders'
//! positions are printed whenever the motors move them.

use fader_firmware::sim::{VirtualBoard, sim_config};
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: fader-board-sim SERIAL-PORT [FADERS (1..=8, default 4)]");
        std::process::exit(1);
    };
    let faders: u8 = match args.next().map(|n| n.parse()) {
        None => 4,
        Some(Ok(n)) if (1..=8).contains(&n) => n,
        Some(_) => {
            eprintln!("fader-board-sim: FADERS is 1..=8");
            std::process::exit(1);
        }
    };
    let board = match VirtualBoard::open(&path, sim_config(faders)) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fader-board-sim: cannot open {path}: {e}");
            std::process::exit(2);
        }
    };
    println!("virtual board on {path}: {faders} motorized faders with touch sense");
    let mut shown = String::new();
    while board.is_running() {
        std::thread::sleep(Duration::from_millis(200));
        let now: Vec<String> = (0..usize::from(faders))
            .map(|i| format!("{:5.1} %", board.position(i) * 100.0))
            .collect();
        let now = now.join("  ");
        if now != shown {
            println!("{now}");
            shown = now;
        }
    }
    println!("the port closed: {}", board.stop());
}
