//! The HTTP server every fake runs on: tiny_http on 127.0.0.1:0 with `TCP_NODELAY`, one
//! blocking thread, every request recorded, stopped and joined on drop.

use std::io::Cursor;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tiny_http::{Header, Request, Response, Server};

/// A response body as every fake builds it.
pub(crate) type Reply = Response<Cursor<Vec<u8>>>;

/// One request as a fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, as sent.
    pub url: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, lossily decoded.
    pub body: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or_default()
    }

    /// The value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        query_param(&self.url, name)
    }

    /// `http://HOST` as the client addressed this fake: its `Host` header, else `addr`
    /// (the fake's own `127.0.0.1:PORT`). Paging links are built on it, so a client that
    /// reaches the fake through a proxy is sent back through the same proxy.
    pub fn origin(&self, addr: &str) -> String {
        format!("http://{}", self.header("host").unwrap_or(addr))
    }
}

/// Decodes `%XX` escapes in one path segment (`team%2Fapi` → `team/api`); a malformed
/// escape is kept as it is.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of query parameter `name` in a path-and-query string (values not escaped
/// beyond what the fakes' own links use).
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.replace("%2F", "/").replace("%2f", "/"))
    })
}

/// A running fake server.
pub(crate) struct FakeServer {
    server: Arc<Server>,
    addr: String,
    log: Arc<Mutex<Vec<RecordedRequest>>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Serves `handler` on a fresh port of 127.0.0.1 until dropped.
    pub fn start<H>(handler: H) -> anyhow::Result<Self>
    where
        H: Fn(&RecordedRequest, &str) -> Reply + Send + 'static,
    {
        let server = Arc::new(
            Server::from_listener(no_delay_listener()?, None)
                .map_err(|e| anyhow::anyhow!("starting a fake: {e}"))?,
        );
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| anyhow::anyhow!("fake has no IP address"))?
            .to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (server, log, addr) = (Arc::clone(&server), Arc::clone(&log), addr.clone());
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let recorded = record(&mut request);
                    log.lock().expect("log lock").push(recorded.clone());
                    let _ = request.respond(handler(&recorded, &addr));
                }
            })
        };
        Ok(FakeServer {
            server,
            addr,
            log,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.lock().expect("log lock").clone()
    }
}

/// A listener on a fresh port of 127.0.0.1 whose connections send without delay.
///
/// tiny_http writes a response in several small writes; with Nagle's algorithm on, the
/// last one waits for the client's delayed ACK (about 40 ms on Linux) on every kept-alive
/// connection, which a benchmark would take for the vendor's latency. Linux gives
/// accepted sockets the listener's `TCP_NODELAY`, so setting it here covers them all.
fn no_delay_listener() -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    socket2::SockRef::from(&listener).set_tcp_nodelay(true)?;
    Ok(listener)
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn record(request: &mut Request) -> RecordedRequest {
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    RecordedRequest {
        method: request.method().as_str().to_string(),
        url: request.url().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_string(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A JSON reply with `status`.
pub(crate) fn json(status: u16, value: &serde_json::Value) -> Reply {
    Response::from_data(serde_json::to_vec(value).expect("JSON serialises"))
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
}

/// A header, which the fakes only build from valid ASCII.
pub(crate) fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_reads_escapes_and_keeps_malformed_ones() {
        assert_eq!(percent_decode("team%2Fapi"), "team/api");
        assert_eq!(percent_decode("a%2fb%20c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
    }

    #[test]
    fn origin_follows_the_host_header() {
        let mut req = RecordedRequest {
            method: "GET".into(),
            url: "/x".into(),
            headers: Vec::new(),
            body: String::new(),
        };
        assert_eq!(req.origin("127.0.0.1:1"), "http://127.0.0.1:1");
        req.headers.push(("host".into(), "127.0.0.1:2".into()));
        assert_eq!(req.origin("127.0.0.1:1"), "http://127.0.0.1:2");
    }
}
