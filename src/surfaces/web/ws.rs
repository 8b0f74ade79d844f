//! WebSocket (RFC 6455), the server's side, as a pure codec: the opening
//! handshake's answer, frames read from a byte stream, frames written.
//! Total over any input: bad bytes are a typed error, never a panic.
//!
//! Thread: any (no I/O here).

use base64::Engine as _;

/// The GUID RFC 6455 appends to a client's key.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &str) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(client_key.trim().as_bytes());
    sha.update(ACCEPT_GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.digest().bytes())
}

/// A whole message or control frame from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A binary message (here: one OSC packet).
    Binary(Vec<u8>),
    /// A text message (not part of the protocol: refused by the driver).
    Text(Vec<u8>),
    /// A ping, with its payload to answer with.
    Ping(Vec<u8>),
    /// A pong (the client is alive).
    Pong,
    /// The client closes, with its status code if it gave one.
    Close(Option<u16>),
}

/// Why the client's bytes are not a WebSocket stream this server takes.
/// Each maps to the close code the connection ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// A client frame without a mask (RFC 6455 5.1).
    #[error("a frame from the client was not masked")]
    Unmasked,
    /// Reserved bits set, or an opcode RFC 6455 does not define.
    #[error("a frame with reserved bits or an unknown opcode ({0:#x})")]
    Reserved(u8),
    /// A control frame fragmented or longer than 125 bytes.
    #[error("a control frame that is fragmented or over 125 bytes")]
    BadControl,
    /// A continuation frame with no message to continue, or a new
    /// message while one is unfinished.
    #[error("a continuation frame out of order")]
    BadContinuation,
    /// A message larger than the limit.
    #[error("a message of more than {0} bytes")]
    TooLarge(usize),
}

impl WsError {
    /// The close status code to answer with (RFC 6455 7.4.1).
    pub fn close_code(self) -> u16 {
        match self {
            WsError::TooLarge(_) => 1009,
            _ => 1002,
        }
    }
}

/// Frame opcodes.
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Reads frames from the bytes a client sends, reassembling fragmented
/// messages up to a size limit.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// A fragmented message being reassembled: its opcode and bytes.
    partial: Option<(u8, Vec<u8>)>,
    max_message: usize,
}

impl FrameReader {
    /// A reader taking messages of at most `max_message` bytes.
    pub fn new(max_message: usize) -> FrameReader {
        FrameReader {
            buf: Vec::new(),
            partial: None,
            max_message,
        }
    }

    /// Bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message or control frame, `None` when more bytes
    /// are needed. After an error the stream is unusable (close it).
    pub fn next_message(&mut self) -> Result<Option<Incoming>, WsError> {
        loop {
            let Some(frame) = self.frame()? else {
                return Ok(None);
            };
            match frame.opcode {
                CLOSE => {
                    let code = (frame.payload.len() >= 2)
                        .then(|| u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
                    return Ok(Some(Incoming::Close(code)));
                }
                PING => return Ok(Some(Incoming::Ping(frame.payload))),
                PONG => return Ok(Some(Incoming::Pong)),
                CONTINUATION => {
                    let Some((opcode, mut bytes)) = self.partial.take() else {
                        return Err(WsError::BadContinuation);
                    };
                    bytes.extend_from_slice(&frame.payload);
                    if bytes.len() > self.max_message {
                        return Err(WsError::TooLarge(self.max_message));
                    }
                    if frame.fin {
                        return Ok(Some(message(opcode, bytes)));
                    }
                    self.partial = Some((opcode, bytes));
                }
                opcode => {
                    if self.partial.is_some() {
                        return Err(WsError::BadContinuation);
                    }
                    if frame.fin {
                        return Ok(Some(message(opcode, frame.payload)));
                    }
                    self.partial = Some((opcode, frame.payload));
                }
            }
        }
    }

    /// One frame off the front of the buffer, unmasked.
    fn frame(&mut self) -> Result<Option<Frame>, WsError> {
        let b = &self.buf;
        if b.len() < 2 {
            return Ok(None);
        }
        let fin = b[0] & 0x80 != 0;
        if b[0] & 0x70 != 0 {
            return Err(WsError::Reserved(b[0]));
        }
        let opcode = b[0] & 0x0F;
        if !matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG) {
            return Err(WsError::Reserved(opcode));
        }
        if b[1] & 0x80 == 0 {
            return Err(WsError::Unmasked);
        }
        let (len, mut at) = match b[1] & 0x7F {
            126 => {
                if b.len() < 4 {
                    return Ok(None);
                }
                (u64::from(u16::from_be_bytes([b[2], b[3]])), 4)
            }
            127 => {
                if b.len() < 10 {
                    return Ok(None);
                }
                let mut n = [0u8; 8];
                n.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(n), 10)
            }
            n => (u64::from(n), 2),
        };
        let control = opcode >= CLOSE;
        if control && (!fin || len > 125) {
            return Err(WsError::BadControl);
        }
        let len = match usize::try_from(len) {
            Ok(n) if n <= self.max_message => n,
            _ => return Err(WsError::TooLarge(self.max_message)),
        };
        if b.len() < at + 4 + len {
            return Ok(None);
        }
        let mask = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        at += 4;
        let payload: Vec<u8> = b[at..at + len]
            .iter()
            .zip(mask.iter().cycle())
            .map(|(x, m)| x ^ m)
            .collect();
        self.buf.drain(..at + len);
        Ok(Some(Frame {
            fin,
            opcode,
            payload,
        }))
    }
}

struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

fn message(opcode: u8, bytes: Vec<u8>) -> Incoming {
    if opcode == TEXT {
        Incoming::Text(bytes)
    } else {
        Incoming::Binary(bytes)
    }
}

/// A server frame (unmasked, whole) with `opcode` and `payload`.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | opcode);
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A binary message as one frame.
pub fn binary(payload: &[u8]) -> Vec<u8> {
    frame(BINARY, payload)
}

/// A ping with `payload` (at most 125 bytes).
pub fn ping(payload: &[u8]) -> Vec<u8> {
    frame(PING, &payload[..payload.len().min(125)])
}

/// The answer to a ping.
pub fn pong(payload: &[u8]) -> Vec<u8> {
    frame(PONG, &payload[..payload.len().min(125)])
}

/// A close frame with `code`.
pub fn close(code: u16) -> Vec<u8> {
    frame(CLOSE, &code.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: masked with `mask`.
    fn client(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut f = vec![first];
        match payload.len() {
            n @ 0..=125 => f.push(0x80 | n as u8),
            n @ 126..=0xFFFF => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&mask);
        f.extend(payload.iter().zip(mask.iter().cycle()).map(|(x, m)| x ^ m));
        f
    }

    #[test]
    fn the_accept_key_is_rfc_6455s_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn masked_frames_arrive_whole_however_the_bytes_are_cut() {
        let big = vec![7u8; 70_000];
        let mut stream = client(0x82, b"/strip/1/fader", [1, 2, 3, 4]);
        stream.extend(client(0x89, b"hi", [9, 9, 9, 9]));
        stream.extend(client(0x82, &big, [5, 6, 7, 8]));
        stream.extend(client(0x88, &1000u16.to_be_bytes(), [0, 1, 0, 1]));
        for cut in [1, 3, 7, 1000] {
            let mut r = FrameReader::new(100_000);
            let mut got = Vec::new();
            for chunk in stream.chunks(cut) {
                r.push(chunk);
                while let Some(m) = r.next_message().unwrap() {
                    got.push(m);
                }
            }
            assert_eq!(
                got,
                vec![
                    Incoming::Binary(b"/strip/1/fader".to_vec()),
                    Incoming::Ping(b"hi".to_vec()),
                    Incoming::Binary(big.clone()),
                    Incoming::Close(Some(1000)),
                ],
                "cut every {cut} bytes"
            );
        }
    }

    #[test]
    fn fragments_join_with_pings_between_them() {
        let mut r = FrameReader::new(100);
        r.push(&client(0x02, b"ab", [1, 1, 1, 1]));
        r.push(&client(0x89, b"", [1, 1, 1, 1]));
        r.push(&client(0x00, b"cd", [2, 2, 2, 2]));
        r.push(&client(0x80, b"e", [3, 3, 3, 3]));
        assert_eq!(r.next_message(), Ok(Some(Incoming::Ping(Vec::new()))));
        assert_eq!(
            r.next_message(),
            Ok(Some(Incoming::Binary(b"abcde".to_vec())))
        );
        assert_eq!(r.next_message(), Ok(None));
    }

    #[test]
    fn bad_streams_are_refused_with_their_close_code() {
        let refused = |bytes: Vec<u8>, max: usize| {
            let mut r = FrameReader::new(max);
            r.push(&bytes);
            r.next_message().unwrap_err()
        };
        // Unmasked.
        assert_eq!(refused(vec![0x82, 0x01, b'x'], 10), WsError::Unmasked);
        // Reserved bit, unknown opcode.
        assert_eq!(
            refused(client(0xC2, b"x", [0; 4]), 10),
            WsError::Reserved(0xC2)
        );
        assert_eq!(
            refused(client(0x83, b"x", [0; 4]), 10),
            WsError::Reserved(3)
        );
        // A fragmented ping; a ping of 126 bytes.
        assert_eq!(refused(client(0x09, b"", [0; 4]), 10), WsError::BadControl);
        assert_eq!(
            refused(client(0x89, &[0; 126], [0; 4]), 1000),
            WsError::BadControl
        );
        // A continuation of nothing; a new message inside another.
        assert_eq!(
            refused(client(0x80, b"x", [0; 4]), 10),
            WsError::BadContinuation
        );
        let mut two = client(0x02, b"a", [0; 4]);
        two.extend(client(0x82, b"b", [0; 4]));
        assert_eq!(refused(two, 10), WsError::BadContinuation);
        // Too large, in one frame (known from its header alone) or in
        // fragments; a length of 2^63.
        let mut header = vec![0x82, 0x80 | 127];
        header.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert_eq!(refused(header, 10), WsError::TooLarge(10));
        assert_eq!(
            refused(client(0x82, &[0; 11], [0; 4]), 10),
            WsError::TooLarge(10)
        );
        let mut parts = client(0x02, &[0; 6], [0; 4]);
        parts.extend(client(0x80, &[0; 6], [0; 4]));
        assert_eq!(refused(parts, 10), WsError::TooLarge(10));
        assert_eq!(WsError::TooLarge(10).close_code(), 1009);
        assert_eq!(WsError::Unmasked.close_code(), 1002);
    }

    #[test]
    fn server_frames_use_the_shortest_length() {
        assert_eq!(binary(b"ab"), vec![0x82, 2, b'a', b'b']);
        let f = binary(&[0; 300]);
        assert_eq!(&f[..4], &[0x82, 126, 1, 44]);
        assert_eq!(f.len(), 304);
        let f = binary(&[0; 70_000]);
        assert_eq!(&f[..2], &[0x82, 127]);
        assert_eq!(f.len(), 70_010);
        assert_eq!(close(1001), vec![0x88, 2, 0x03, 0xE9]);
        assert_eq!(pong(b"x"), vec![0x8A, 1, b'x']);
    }
}
