//! The browser console's bytes from a client: a request head, then
//! WebSocket frames in chunks of any size. Neither reader may panic,
//! allocate without bound, or take a message over its limit; a message
//! that comes out is as large as the frames that made it, at most.

#![no_main]

use faderd::surfaces::web::http;
use faderd::surfaces::web::ws::{FrameReader, Incoming};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    if let Some(n) = http::head_len(data) {
        if let Ok(r) = http::parse_head(&data[..n]) {
            let _ = r.websocket_key();
            assert!(r.path.starts_with('/'));
        }
    }
    // The first byte sets the chunk size the stream arrives in.
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let mut reader = FrameReader::new(LIMIT);
    for chunk in stream.chunks(usize::from(cut).max(1)) {
        reader.push(chunk);
        loop {
            match reader.next_message() {
                Ok(Some(Incoming::Binary(m) | Incoming::Text(m))) => {
                    assert!(m.len() <= LIMIT.min(stream.len()))
                }
                Ok(Some(Incoming::Ping(p))) => assert!(p.len() <= 125),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
