//! `FakeHostileRegistry`: a fake of a Distribution-API registry (not a real one) that serves
//! whatever a test scripts, per path, including what no honest registry would send: wrong
//! digests, HTML pages, truncated bodies, huge bodies, pagination links to other hosts.
//!
//! Bound to 127.0.0.1 on a free port. Each connection carries exactly one exchange and is
//! closed after the response (`Connection: close`). That is what makes a truncated body
//! possible: the fake announces a `Content-Length`, sends fewer bytes and closes, so the
//! client sees end-of-file mid-body at once. tiny_http cannot do this: it keeps the
//! connection open for the next request, and the client would wait for the missing bytes
//! until its timeout.
//!
//! Routes are looked up by method and exact request target (path with query), then by
//! method and path, then by path for any method. A HEAD answers the headers of the GET it
//! matches, without the body. Anything unscripted answers 404 with a Distribution-style
//! error body.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::json;

use crate::digest::sha256_digest;
use crate::images::BuiltManifest;

/// Header lines read per request: test requests carry a handful.
const MAX_HEAD_LINES: usize = 100;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Scripted {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// `Content-Length` to announce when it differs from the body (a truncated body).
    declared_length: Option<usize>,
}

impl Scripted {
    /// A 200 with `body` and `Content-Type`.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::status(200)
            .header("Content-Type", content_type)
            .body(body)
    }

    /// An empty answer with `status`.
    pub fn status(status: u16) -> Self {
        Scripted {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            declared_length: None,
        }
    }

    /// A 200 HTML page, as broken mirrors and captive portals answer.
    pub fn html() -> Self {
        Self::ok(
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>",
        )
    }

    /// The same answer with another status.
    pub fn status_code(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Announces `length` bytes in `Content-Length` whatever the body holds; with a
    /// longer announced length the client gets a truncated body.
    pub fn declare_length(mut self, length: usize) -> Self {
        self.declared_length = Some(length);
        self
    }

    /// The same answer with a `Docker-Content-Digest` of the body's true digest.
    pub fn with_true_digest(self) -> Self {
        let digest = sha256_digest(&self.body);
        self.header("Docker-Content-Digest", &digest)
    }

    fn write_to(&self, stream: &mut TcpStream, head_only: bool) -> std::io::Result<()> {
        let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", self.status);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let length = self.declared_length.unwrap_or(self.body.len());
        head.push_str(&format!("Content-Length: {length}\r\n\r\n"));
        stream.write_all(head.as_bytes())?;
        if !head_only {
            stream.write_all(&self.body)?;
        }
        stream.flush()
    }
}

/// A route key: method (`None` for any) and path or full target.
type Key = (Option<String>, String);

#[derive(Default)]
struct State {
    routes: HashMap<Key, Scripted>,
    requests: Vec<String>,
}

/// The fake registry; stops its accept thread when dropped.
pub struct FakeHostileRegistry {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeHostileRegistry {
    /// Starts the fake on 127.0.0.1 with a free port and only `/v2/` scripted.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || accept_loop(listener, state, stop))
        };
        let fake = FakeHostileRegistry {
            addr,
            state,
            stop,
            thread: Some(thread),
        };
        fake.serve("/v2/", Scripted::ok("application/json", "{}"));
        Ok(fake)
    }

    /// `127.0.0.1:PORT`, the registry part of a target.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Answers `target` (a path, or a path with query) with `answer`, for every method.
    pub fn serve(&self, target: &str, answer: Scripted) {
        self.state().routes.insert((None, target.into()), answer);
    }

    /// Answers `method` on `target` with `answer`, ahead of any-method routes.
    pub fn serve_method(&self, method: &str, target: &str, answer: Scripted) {
        let key = (Some(method.to_ascii_uppercase()), target.into());
        self.state().routes.insert(key, answer);
    }

    /// `/v2/_catalog` lists `repos` in one page.
    pub fn set_catalog(&self, repos: &[&str]) {
        let body = json!({ "repositories": repos }).to_string();
        self.serve("/v2/_catalog", Scripted::ok("application/json", body));
    }

    /// `/v2/<repo>/tags/list` lists `tags` in one page.
    pub fn set_tags(&self, repo: &str, tags: &[&str]) {
        let body = json!({ "name": repo, "tags": tags }).to_string();
        let path = format!("/v2/{repo}/tags/list");
        self.serve(&path, Scripted::ok("application/json", body));
    }

    /// Serves manifest `bytes` by its digest and by each of `tags`, honestly.
    pub fn put_manifest(&self, repo: &str, tags: &[&str], media_type: &str, bytes: &[u8]) {
        let answer = Scripted::ok(media_type, bytes.to_vec()).with_true_digest();
        let digest = sha256_digest(bytes);
        for reference in tags.iter().copied().chain([digest.as_str()]) {
            self.serve(&manifest_path(repo, reference), answer.clone());
        }
    }

    /// Serves a blob by its digest, honestly.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) {
        let digest = sha256_digest(bytes);
        let answer = Scripted::ok("application/octet-stream", bytes.to_vec())
            .header("Docker-Content-Digest", &digest);
        self.serve(&blob_path(repo, &digest), answer);
    }

    /// Serves an image (manifest under `tags`, and its config blob) honestly.
    pub fn put_image(&self, repo: &str, tags: &[&str], image: &BuiltManifest) {
        self.put_manifest(repo, tags, &image.media_type, &image.bytes);
        self.put_blob(repo, &image.config.bytes);
    }

    /// Every request seen, as `METHOD target`, in arrival order.
    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake state lock")
    }
}

impl Drop for FakeHostileRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `/v2/<repo>/manifests/<reference>`.
pub fn manifest_path(repo: &str, reference: &str) -> String {
    format!("/v2/{repo}/manifests/{reference}")
}

/// `/v2/<repo>/blobs/<digest>`.
pub fn blob_path(repo: &str, digest: &str) -> String {
    format!("/v2/{repo}/blobs/{digest}")
}

fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let state = state.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &state);
        });
    }
}

/// Reads one request head and writes the scripted answer.
fn answer(mut stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    for _ in 0..MAX_HEAD_LINES {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(());
    };
    let scripted = {
        let mut state = state.lock().expect("fake state lock");
        state.requests.push(format!("{method} {target}"));
        lookup(&state.routes, method, target)
    };
    let head_only = method.eq_ignore_ascii_case("HEAD");
    scripted.write_to(&mut stream, head_only)
}

fn lookup(routes: &HashMap<Key, Scripted>, method: &str, target: &str) -> Scripted {
    let path = target.split('?').next().unwrap_or_default();
    let method = Some(method.to_ascii_uppercase());
    [
        (method.clone(), target),
        (method, path),
        (None, target),
        (None, path),
    ]
    .into_iter()
    .find_map(|(m, t)| routes.get(&(m, t.to_string())).cloned())
    .unwrap_or_else(|| {
        let body = json!({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "not scripted"}]});
        Scripted::ok("application/json", body.to_string()).status_code(404)
    })
}
