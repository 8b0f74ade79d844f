//! The few parts of HTTP/1.1 the console's server speaks, as pure
//! functions: a request's head read and checked, the answers written.
//! Only GET (and HEAD) of the embedded files and the WebSocket upgrade
//! are served; every other request gets a plain error status.
//!
//! Thread: any (no I/O here).

/// The largest request head taken (the rest of a longer one is refused).
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// A request's head, as far as the server looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string after `?`, if any.
    pub query: Option<String>,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when the header `name` lists `token` (case-insensitive, comma
    /// separated, as `Connection: keep-alive, Upgrade`).
    pub fn lists(&self, name: &str, token: &str) -> bool {
        self.header(name)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }

    /// The WebSocket key when this asks for a WebSocket (version 13).
    pub fn websocket_key(&self) -> Option<&str> {
        let asks = self.method == "GET"
            && self.lists("connection", "upgrade")
            && self.lists("upgrade", "websocket")
            && self.header("sec-websocket-version") == Some("13");
        asks.then(|| self.header("sec-websocket-key")).flatten()
    }
}

/// Why a request head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// Longer than [`MAX_HEAD_BYTES`].
    #[error("a request head over {MAX_HEAD_BYTES} bytes")]
    TooLarge,
    /// Not `METHOD PATH HTTP/1.x` and `Name: value` lines.
    #[error("not an HTTP/1.1 request")]
    Malformed,
}

/// The length of the head at the start of `bytes` (through the blank
/// line), if it is all there.
pub fn head_len(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// Parse a whole head (as [`head_len`] found it).
pub fn parse_head(head: &[u8]) -> Result<Request, HeadError> {
    if head.len() > MAX_HEAD_BYTES {
        return Err(HeadError::TooLarge);
    }
    let text = std::str::from_utf8(head).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let first = lines.next().ok_or(HeadError::Malformed)?;
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(HeadError::Malformed);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.is_empty() || name.contains(' ') {
            return Err(HeadError::Malformed);
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Request {
        method: method.to_string(),
        path,
        query,
        headers,
    })
}

/// Headers every answer carries: nothing is cached across builds, the
/// page runs only its own scripts and talks only to its own server, and
/// no other site may frame it.
const COMMON: &str = "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nContent-Security-Policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n";

/// A whole answer with a body (`head_only` for HEAD: the same head, no
/// body).
pub fn response(status: u16, content_type: &str, body: &[u8], head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{COMMON}\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    out
}

/// A plain-text error answer.
pub fn error(status: u16, text: &str) -> Vec<u8> {
    response(status, "text/plain; charset=utf-8", text.as_bytes(), false)
}

/// The answer that switches to WebSocket.
pub fn switching(accept: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_request_is_read_with_its_key_and_origin() {
        let head = b"GET /osc?token=abc HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nOrigin: http://127.0.0.1:8080\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        assert_eq!(head_len(head), Some(head.len()));
        assert_eq!(head_len(&head[..head.len() - 1]), None);
        let r = parse_head(head).unwrap();
        assert_eq!(r.path, "/osc");
        assert_eq!(r.query.as_deref(), Some("token=abc"));
        assert_eq!(r.header("origin"), Some("http://127.0.0.1:8080"));
        assert_eq!(r.websocket_key(), Some("dGhlIHNhbXBsZSBub25jZQ=="));
        let plain = parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(plain.websocket_key(), None);
    }

    #[test]
    fn garbage_heads_are_refused() {
        for bad in [
            &b"\xff\xfe\r\n\r\n"[..],
            b"GET\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET relative HTTP/1.1\r\n\r\n",
            b"GET / SPDY/3\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nbad name: x\r\n\r\n",
        ] {
            assert_eq!(parse_head(bad), Err(HeadError::Malformed), "{bad:?}");
        }
        assert_eq!(
            parse_head(&vec![b'a'; MAX_HEAD_BYTES + 1]),
            Err(HeadError::TooLarge)
        );
    }

    #[test]
    fn answers_carry_their_length_and_the_page_policy() {
        let r = String::from_utf8(response(200, "text/html", b"<p>", false)).unwrap();
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("Content-Length: 3\r\n"), "{r}");
        assert!(r.contains("connect-src 'self'"), "{r}");
        assert!(r.ends_with("\r\n\r\n<p>"), "{r}");
        let h = String::from_utf8(response(200, "text/html", b"<p>", true)).unwrap();
        assert!(h.ends_with("Content-Length: 3\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nContent-Security-Policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n"), "{h}");
    }
}
