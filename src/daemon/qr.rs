//! The console's address as a QR code on the terminal, for a phone's
//! camera, when the console listens on the network.
//!
//! Thread: the daemon's start.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr, UdpSocket};

/// Modules of blank border around the code, as the standard asks.
const QUIET: usize = 4;

/// `text`'s QR code as rows of modules (true: dark), the quiet zone
/// included; `None` when it is too long for a QR code.
fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let inner = code.width();
    let colors = code.to_colors();
    let side = inner + 2 * QUIET;
    let mut dark = vec![false; side * side];
    for y in 0..inner {
        for x in 0..inner {
            dark[(y + QUIET) * side + x + QUIET] = colors[y * inner + x] == qrcode::Color::Dark;
        }
    }
    Some((side, dark))
}

/// `text` as a QR code in Unicode half blocks, two rows of modules per
/// line, drawn for a terminal with light text on a dark background (the
/// light modules are the drawn ones).
pub(super) fn terminal_qr(text: &str) -> Option<String> {
    let (side, dark) = modules(text)?;
    let light = |x: usize, y: usize| y >= side || !dark[y * side + x];
    let mut out = String::new();
    for y in (0..side).step_by(2) {
        for x in 0..side {
            out.push(match (light(x, y), light(x, y + 1)) {
                (true, true) => '\u{2588}',
                (true, false) => '\u{2580}',
                (false, true) => '\u{2584}',
                (false, false) => ' ',
            });
        }
        let _ = writeln!(out);
    }
    Some(out)
}

/// The address a phone on the LAN would type for `at`: the address of
/// the interface the default route leaves by when `at` listens on all of
/// them (found without sending anything), else `at`'s own.
pub(super) fn lan_url(at: SocketAddr) -> String {
    let ip = if at.ip().is_unspecified() {
        UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
            .and_then(|s| s.local_addr())
            .map(|a| a.ip())
            .unwrap_or(at.ip())
    } else {
        at.ip()
    };
    match ip {
        IpAddr::V6(v6) => format!("http://[{v6}]:{}/", at.port()),
        IpAddr::V4(v4) => format!("http://{v4}:{}/", at.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drawing, read back by a QR decoder of its own (rqrr), from the
    /// characters alone: what a phone's camera would read off the screen.
    #[test]
    fn the_code_drawn_reads_back_as_the_address() {
        let url = "http://192.168.1.20:8080/?token=a-long-secret";
        let drawn = terminal_qr(url).unwrap();
        let rows: Vec<Vec<char>> = drawn.lines().map(|l| l.chars().collect()).collect();
        let (w, h) = (rows[0].len(), rows.len() * 2);
        // Each character is two modules; scale up 4x for the detector.
        let scale = 4;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * scale, h * scale, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            let c = rows[my / 2][mx];
            let top = my % 2 == 0;
            let light = match c {
                '\u{2588}' => true,
                '\u{2580}' => top,
                '\u{2584}' => !top,
                _ => false,
            };
            if light { 255 } else { 0 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().unwrap();
        assert_eq!(text, url);
    }

    #[test]
    fn an_address_on_all_interfaces_becomes_one_a_phone_can_reach() {
        assert_eq!(
            lan_url("10.0.0.5:8080".parse().unwrap()),
            "http://10.0.0.5:8080/"
        );
        let any = lan_url("0.0.0.0:8080".parse().unwrap());
        assert!(
            any.starts_with("http://") && any.ends_with(":8080/"),
            "{any}"
        );
        assert_eq!(
            lan_url("[fe80::1]:80".parse().unwrap()),
            "http://[fe80::1]:80/"
        );
    }
}
