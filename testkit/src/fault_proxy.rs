//! `FaultProxy`: a fault-injecting HTTP/1.1 proxy of the project's own, for tests and
//! benchmarks, bound to 127.0.0.1 in front of a [`LocalRegistry`](crate::LocalRegistry).
//!
//! Each client connection gets a thread; each request on it (keep-alive is honoured) is
//! forwarded to the registry on a fresh upstream connection, after an optional latency.
//! With a seed, about one request in [`FAULT_ONE_IN`] is answered with a fault instead:
//! 500, 502, 503, 429 with `Retry-After: 1`, a connection dropped without an answer, or a
//! body cut in half after a full `Content-Length`. Which request gets which fault depends
//! only on the seed, the method, the path and how many times that method and path were
//! asked before, so a run is reproducible however its requests interleave, and a retried
//! request is decided afresh.
//!
//! Two more behaviours serve the stop-early tests: requests whose target contains
//! [`ProxyOptions::stall`] are held without an answer until the proxy is dropped (a crawl
//! that is certainly mid-request), and [`ProxyOptions::budget`] emulates Docker Hub's
//! pull limit as a fake: every response carries `RateLimit-Limit` / `RateLimit-Remaining`
//! (`N;w=21600`), each manifest GET spends one, and a manifest GET past zero gets 429.
//!
//! Only GET and HEAD without bodies are forwarded: the proxy sits in front of crawls, not
//! pushes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::Context as _;

/// One request in this many gets a fault: the issue asks for about a fifth.
pub const FAULT_ONE_IN: u64 = 5;
/// The `Retry-After` sent with injected 429s: honoured by the client, short for tests.
pub const RETRY_AFTER_SECS: u64 = 1;
/// Largest request head read: crawl requests are a few hundred bytes.
const MAX_HEAD: usize = 64 * 1024;

/// The faults the proxy injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 500 Internal Server Error.
    Status500,
    /// 502 Bad Gateway.
    Status502,
    /// 503 Service Unavailable.
    Status503,
    /// 429 Too Many Requests with `Retry-After`.
    TooMany,
    /// The connection is closed without an answer.
    Reset,
    /// Full `Content-Length`, half the body, then the connection is closed. A HEAD has
    /// no body to cut, so it gets [`Fault::Reset`] instead.
    Truncated,
}

const FAULTS: [Fault; 6] = [
    Fault::Status500,
    Fault::Status502,
    Fault::Status503,
    Fault::TooMany,
    Fault::Reset,
    Fault::Truncated,
];

/// How the proxy behaves.
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions {
    /// Seed for fault injection; `None` forwards everything faithfully. See also
    /// [`FaultProxy::set_seed`].
    pub seed: Option<u64>,
    /// Delay before each request is forwarded (a slow link, for benchmarks and for tests
    /// that need a crawl to last).
    pub latency: Duration,
    /// Requests whose target contains this are never answered.
    pub stall: Option<String>,
    /// A fake Docker Hub pull budget: manifest GETs allowed before 429s.
    pub budget: Option<u64>,
    /// With `budget`: every request spends one, not only manifest GETs (a stricter fake
    /// than Docker Hub, under which a crawl's total requests must stay within the budget).
    pub budget_every_request: bool,
}

/// The Docker Hub window the fake budget announces: six hours.
const BUDGET_WINDOW_SECS: u64 = 21600;

#[derive(Default)]
struct State {
    seed: Mutex<Option<u64>>,
    seen: Mutex<HashMap<(String, String), u64>>,
    faults: Mutex<HashMap<Fault, u64>>,
    requests: AtomicU64,
    stalled: AtomicU64,
    spent: AtomicU64,
    over_budget: AtomicU64,
    stopping: AtomicBool,
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    addr: String,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1:0 in front of `upstream` (`127.0.0.1:PORT`).
    pub fn start(upstream: &str, options: ProxyOptions) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the fault proxy")?;
        let addr = listener.local_addr()?.to_string();
        let state = Arc::new(State::default());
        *state.seed.lock().unwrap() = options.seed;
        let (accept_state, upstream) = (state.clone(), upstream.to_string());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_state.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, upstream, options) =
                    (accept_state.clone(), upstream.clone(), options.clone());
                thread::spawn(move || serve(stream, &upstream, &options, &state));
            }
        });
        Ok(FaultProxy { addr, state })
    }

    /// `127.0.0.1:PORT` to crawl instead of the registry.
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// Turns fault injection on (with a seed) or off, starting the count afresh, so
    /// one address can serve a clean crawl and then a faulty one.
    pub fn set_seed(&self, seed: Option<u64>) {
        *self.state.seed.lock().unwrap() = seed;
        self.state.seen.lock().unwrap().clear();
        self.state.faults.lock().unwrap().clear();
    }

    /// Requests received so far, faulted or not.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Faults injected so far, by kind.
    pub fn faults(&self) -> HashMap<Fault, u64> {
        self.state.faults.lock().unwrap().clone()
    }

    /// Requests being held by [`ProxyOptions::stall`].
    pub fn stalled(&self) -> u64 {
        self.state.stalled.load(Ordering::SeqCst)
    }

    /// Requests answered 429 because the fake budget was spent.
    pub fn over_budget(&self) -> u64 {
        self.state.over_budget.load(Ordering::SeqCst)
    }

    /// Faults injected so far, all kinds.
    pub fn fault_count(&self) -> u64 {
        self.faults().values().sum()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

/// A request head as read from the client.
struct Head {
    method: String,
    target: String,
    /// Header lines as received, minus hop-by-hop ones.
    headers: Vec<(String, String)>,
    keep_alive: bool,
}

/// Serves one client connection until it closes or a fault closes it.
fn serve(stream: TcpStream, upstream: &str, options: &ProxyOptions, state: &State) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    while let Some(head) = read_head(&mut reader) {
        state.requests.fetch_add(1, Ordering::SeqCst);
        thread::sleep(options.latency);
        if options
            .stall
            .as_ref()
            .is_some_and(|s| head.target.contains(s))
        {
            state.stalled.fetch_add(1, Ordering::SeqCst);
            while !state.stopping.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
            break;
        }
        let seed = *state.seed.lock().unwrap();
        let fault = seed.and_then(|seed| decide(seed, &head, state));
        let budget = options
            .budget
            .map(|limit| spend(limit, options.budget_every_request, &head, state));
        let kept = match (fault, budget) {
            (Some(fault), _) => inject(fault, &head, upstream, &mut out),
            (None, Some((limit, None))) => {
                state.over_budget.fetch_add(1, Ordering::SeqCst);
                over_budget(limit, &mut out)
            }
            (None, budget) => {
                let extra = budget.map(|(limit, left)| budget_headers(limit, left.unwrap_or(0)));
                forward(&head, upstream, &mut out, extra).unwrap_or(false)
            }
        };
        if !kept || !head.keep_alive {
            break;
        }
    }
    let _ = out.shutdown(Shutdown::Both);
}

/// Spends the fake budget on a manifest GET (on any request, with `every`): `(limit, Some(left))`, or `None` left when
/// the request is over budget.
fn spend(limit: u64, every: bool, head: &Head, state: &State) -> (u64, Option<u64>) {
    let counted = every || head.method == "GET" && head.target.contains("/manifests/");
    if !counted {
        let used = state.spent.load(Ordering::SeqCst).min(limit);
        return (limit, Some(limit - used));
    }
    let used = state.spent.fetch_add(1, Ordering::SeqCst) + 1;
    (limit, (used <= limit).then(|| limit - used))
}

fn budget_headers(limit: u64, left: u64) -> Vec<(String, String)> {
    let w = BUDGET_WINDOW_SECS;
    vec![
        ("RateLimit-Limit".into(), format!("{limit};w={w}")),
        ("RateLimit-Remaining".into(), format!("{left};w={w}")),
    ]
}

/// Docker Hub's answer past the pull limit.
fn over_budget(limit: u64, out: &mut TcpStream) -> bool {
    let body = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#;
    let headers = budget_headers(limit, 0);
    let _ = write_response(
        out,
        429,
        "Too Many Requests",
        &headers,
        body.as_bytes(),
        body.len(),
    );
    true
}

/// The fault for this request, if any, counted when injected.
fn decide(seed: u64, head: &Head, state: &State) -> Option<Fault> {
    let nth = {
        let mut seen = state.seen.lock().unwrap();
        let n = seen
            .entry((head.method.clone(), head.target.clone()))
            .or_default();
        *n += 1;
        *n
    };
    let h = mix(
        seed,
        &[
            head.method.as_bytes(),
            head.target.as_bytes(),
            &nth.to_le_bytes(),
        ],
    );
    if !h.is_multiple_of(FAULT_ONE_IN) {
        return None;
    }
    let mut fault = FAULTS[((h / FAULT_ONE_IN) % FAULTS.len() as u64) as usize];
    if fault == Fault::Truncated && head.method == "HEAD" {
        fault = Fault::Reset;
    }
    *state.faults.lock().unwrap().entry(fault).or_default() += 1;
    Some(fault)
}

/// FNV-1a over the parts, then a SplitMix64 finaliser: stable across Rust versions,
/// unlike `DefaultHasher`.
fn mix(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Answers with `fault`; returns whether the connection may be kept.
fn inject(fault: Fault, head: &Head, upstream: &str, out: &mut TcpStream) -> bool {
    let mut status = |code: u16, extra: &str| {
        let body = format!(r#"{{"errors":[{{"code":"FAULT","message":"injected {code}"}}]}}"#);
        let text = format!(
            "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        );
        let _ = out.write_all(text.as_bytes());
        true
    };
    match fault {
        Fault::Status500 => status(500, ""),
        Fault::Status502 => status(502, ""),
        Fault::Status503 => status(503, ""),
        Fault::TooMany => status(429, &format!("Retry-After: {RETRY_AFTER_SECS}\r\n")),
        Fault::Reset => false,
        Fault::Truncated => {
            if let Ok((code, reason, headers, body)) = fetch(head, upstream) {
                let whole = body.len();
                let _ = write_response(out, code, &reason, &headers, &body[..whole / 2], whole);
            }
            false
        }
    }
}

/// Forwards faithfully; returns whether the connection may be kept.
fn forward(
    head: &Head,
    upstream: &str,
    out: &mut TcpStream,
    extra: Option<Vec<(String, String)>>,
) -> anyhow::Result<bool> {
    let (code, reason, mut headers, body) = fetch(head, upstream)?;
    headers.extend(extra.unwrap_or_default());
    let length = if head.method == "HEAD" {
        content_length(&headers).unwrap_or(0)
    } else {
        body.len()
    };
    write_response(out, code, &reason, &headers, &body, length)?;
    Ok(true)
}

/// An upstream answer: status, reason, end-to-end headers, body.
type Upstream = (u16, String, Vec<(String, String)>, Vec<u8>);

/// Asks upstream with HTTP/1.0 (no chunking, the body ends at close) and reads it all.
fn fetch(head: &Head, upstream: &str) -> anyhow::Result<Upstream> {
    let mut conn = TcpStream::connect(upstream).context("connecting upstream")?;
    let mut text = format!("{} {} HTTP/1.0\r\n", head.method, head.target);
    for (k, v) in &head.headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("Connection: close\r\n\r\n");
    conn.write_all(text.as_bytes())?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("upstream sent no header end")?;
    let head_text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next();
    let code = parts.next().unwrap_or("502").parse().unwrap_or(502);
    let reason = parts.next().unwrap_or("").to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !is_hop_by_hop(k))
        .collect();
    Ok((code, reason, headers, raw[split + 4..].to_vec()))
}

/// Writes a response with `Content-Length: length` and `body` (which may be shorter).
fn write_response(
    out: &mut TcpStream,
    code: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
    length: usize,
) -> std::io::Result<()> {
    let mut text = format!("HTTP/1.1 {code} {reason}\r\n");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("content-length") {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    text.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    out.write_all(text.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

fn content_length(headers: &[(String, String)]) -> Option<usize> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
}

fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "proxy-connection",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Reads one request head; `None` at the end of the connection or on garbage.
fn read_head(reader: &mut BufReader<TcpStream>) -> Option<Head> {
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut parts = first.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let http10 = parts.next() == Some("HTTP/1.0");
    let mut headers = Vec::new();
    let mut size = first.len();
    let mut keep_alive = !http10;
    loop {
        let mut line = String::new();
        size += reader.read_line(&mut line).ok()?;
        if size > MAX_HEAD {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        if k.eq_ignore_ascii_case("connection") {
            keep_alive = !v.eq_ignore_ascii_case("close");
        }
        if !is_hop_by_hop(&k) {
            headers.push((k, v));
        }
    }
    Some(Head {
        method,
        target,
        headers,
        keep_alive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_a_fifth_of_requests_fault_and_every_kind_occurs() {
        let state = State::default();
        let mut faulted = 0;
        for i in 0..1000 {
            let head = Head {
                method: "GET".into(),
                target: format!("/v2/r{i}/manifests/t"),
                headers: Vec::new(),
                keep_alive: true,
            };
            faulted += u64::from(decide(7, &head, &state).is_some());
        }
        assert!((150..=250).contains(&faulted), "{faulted}");
        assert_eq!(state.faults.lock().unwrap().len(), FAULTS.len());
    }

    #[test]
    fn decisions_depend_only_on_seed_request_and_repetition() {
        let head = |t: &str| Head {
            method: "GET".into(),
            target: t.into(),
            headers: Vec::new(),
            keep_alive: true,
        };
        let run = |seed| {
            let state = State::default();
            (0..50)
                .map(|i| decide(seed, &head(&format!("/v2/a/{}", i % 10)), &state))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }
}
