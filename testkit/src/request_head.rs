//! Reading HTTP/1.1 requests off a persistent connection one at a time: the head up to
//! its blank line, and how many body bytes follow it (`Content-Length`). Shared by the
//! latency proxy, which forwards the bytes, and the fakes' server, which answers them.

use std::io::{self, BufRead};

/// Longest request head accepted: registry clients send a few hundred bytes of headers.
const HEAD_CAP: usize = 64 * 1024;

/// The next request head (its raw bytes, blank line included) and its body length;
/// `None` when the client closed the connection between requests. Blank lines before a
/// request are skipped; a chunked body is refused, since no client of the testkit's
/// servers sends one.
pub(crate) fn read_head(reader: &mut impl BufRead) -> io::Result<Option<(Vec<u8>, u64)>> {
    let mut head = Vec::new();
    let mut body_len = 0;
    loop {
        let before = head.len();
        if reader.read_until(b'\n', &mut head)? == 0 {
            return Ok(None);
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            if before == 0 {
                head.clear();
                continue;
            }
            return Ok(Some((head, body_len)));
        }
        if head.len() > HEAD_CAP {
            return Err(io::Error::other("request head too large"));
        }
        let text = String::from_utf8_lossy(line).to_ascii_lowercase();
        if let Some(v) = text.strip_prefix("content-length:") {
            body_len = v.trim().parse().map_err(io::Error::other)?;
        }
        if text.starts_with("transfer-encoding:") && text.contains("chunked") {
            return Err(io::Error::other("chunked request bodies are not supported"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read as _};

    use super::*;

    #[test]
    fn heads_are_split_with_their_bodies() {
        let raw = b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nPUT /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcHEAD /b HTTP/1.1\r\n\r\n";
        let mut r = BufReader::new(&raw[..]);
        let (h, n) = read_head(&mut r).unwrap().unwrap();
        assert!(h.starts_with(b"GET /v2/ ") && n == 0);
        let (h, n) = read_head(&mut r).unwrap().unwrap();
        assert!(h.starts_with(b"PUT /a ") && n == 3);
        let mut body = [0; 3];
        r.read_exact(&mut body).unwrap();
        assert_eq!(&body, b"abc");
        let (h, _) = read_head(&mut r).unwrap().unwrap();
        assert!(h.starts_with(b"HEAD /b "));
        assert!(read_head(&mut r).unwrap().is_none());
    }

    #[test]
    fn chunked_bodies_are_refused() {
        let raw = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert!(read_head(&mut BufReader::new(&raw[..])).is_err());
    }
}
