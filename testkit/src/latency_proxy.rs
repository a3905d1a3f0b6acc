//! A latency-injecting HTTP/1.1 proxy for benchmarks, bound to 127.0.0.1.
//!
//! Each client connection gets its own upstream connection and two threads: one reads
//! the client's requests one at a time (head up to the blank line, then a
//! `Content-Length` body), waits the fixed delay, counts the request by kind and
//! forwards it; the other copies the upstream's bytes back untouched. Persistent
//! connections therefore stay persistent, and every request, first or fiftieth on its
//! connection, pays the delay once, like a registry that far away.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context as _};

use crate::request_head::read_head;

/// First byte of a TLS record carrying a handshake (a ClientHello, here).
const TLS_HANDSHAKE: u8 = 0x16;

/// Requests seen so far, by kind (`manifest_head`, `manifest_get`, `blob_get`, `tags`,
/// `catalog`, `ping`, `tls_probe`, the Docker Hub kinds `hub_login`, `hub_repositories`,
/// `hub_tags`, and `other`) and in total.
pub type Counts = Arc<Mutex<BTreeMap<String, u64>>>;

/// A running proxy; it lives as long as the process (benchmarks only).
#[derive(Debug, Clone)]
pub struct LatencyProxy {
    addr: String,
    counts: Counts,
}

impl LatencyProxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream` (`HOST:PORT`) with
    /// `delay` added before each request.
    pub fn start(upstream: &str, delay: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the proxy")?;
        let addr = listener.local_addr()?.to_string();
        let counts: Counts = Arc::default();
        let (upstream, shared) = (upstream.to_string(), counts.clone());
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, counts) = (upstream.clone(), shared.clone());
                thread::spawn(move || {
                    let _ = serve(client, &upstream, delay, &counts);
                });
            }
        });
        Ok(LatencyProxy { addr, counts })
    }

    /// `127.0.0.1:PORT` to point clients at.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// A copy of the counts so far, with `total`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut counts = self.counts.lock().expect("not poisoned").clone();
        let total = counts.values().sum();
        counts.insert("total".into(), total);
        counts
    }
}

/// Proxies one client connection until either side closes it.
fn serve(client: TcpStream, upstream: &str, delay: Duration, counts: &Counts) -> io::Result<()> {
    let server = TcpStream::connect(upstream)?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut back_from, mut back_to) = (server.try_clone()?, client.try_clone()?);
    let answers = thread::spawn(move || {
        let _ = io::copy(&mut back_from, &mut back_to);
        let _ = back_to.shutdown(Shutdown::Write);
    });
    let mut reader = BufReader::new(client);
    let mut to_server = server;
    if reader.fill_buf()?.first() == Some(&TLS_HANDSHAKE) {
        // A client probing for HTTPS (skopeo does, before falling back to HTTP): pass
        // the bytes through so the registry refuses it as it would without the proxy.
        thread::sleep(delay);
        count_kind(counts, "tls_probe");
        io::copy(&mut reader, &mut to_server)?;
    }
    while let Some((head, body_len)) = read_head(&mut reader)? {
        thread::sleep(delay);
        count(counts, &head);
        to_server.write_all(&head)?;
        io::copy(&mut (&mut reader).take(body_len), &mut to_server)?;
    }
    let _ = to_server.shutdown(Shutdown::Write);
    let _ = answers.join();
    Ok(())
}

/// Counts a request by what it asks for.
fn count(counts: &Counts, head: &[u8]) {
    let line = String::from_utf8_lossy(head.split(|b| *b == b'\n').next().unwrap_or_default())
        .into_owned();
    let mut parts = line.split_whitespace();
    let kind = kind(parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    count_kind(counts, kind);
}

fn count_kind(counts: &Counts, kind: &str) {
    *counts
        .lock()
        .expect("not poisoned")
        .entry(kind.into())
        .or_default() += 1;
}

/// The request kind, named as nuccrawl's `--report` names them; Docker Hub web API
/// calls (when the proxy fronts a `FakeDockerHub`) are `hub_login`, `hub_repositories`
/// and `hub_tags`.
fn kind(method: &str, path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or(path);
    match (method, path) {
        (_, "/v2/" | "/v2") => "ping",
        (_, "/v2/_catalog") => "catalog",
        (_, p) if p.ends_with("/tags/list") => "tags",
        ("HEAD", p) if p.contains("/manifests/") => "manifest_head",
        ("GET", p) if p.contains("/manifests/") => "manifest_get",
        ("GET", p) if p.contains("/blobs/") => "blob_get",
        (_, p) => hub_kind(p).unwrap_or("other"),
    }
}

/// The kind of a Docker Hub web API path.
fn hub_kind(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["v2", "auth", "token"] => Some("hub_login"),
        ["v2", "namespaces", _, "repositories"] => Some("hub_repositories"),
        ["v2", "namespaces", _, "repositories", _, "tags"] => Some("hub_tags"),
        _ => None,
    }
}

/// Parses `--delay-ms`-style milliseconds.
pub fn parse_delay(ms: &str) -> anyhow::Result<Duration> {
    match ms.parse::<u64>() {
        Ok(n) => Ok(Duration::from_millis(n)),
        Err(_) => bail!("delay must be whole milliseconds, got `{ms}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_report_names() {
        assert_eq!(kind("HEAD", "/v2/a/b/manifests/t1"), "manifest_head");
        assert_eq!(kind("GET", "/v2/a/manifests/sha256:ab"), "manifest_get");
        assert_eq!(kind("GET", "/v2/a/blobs/sha256:ab"), "blob_get");
        assert_eq!(kind("GET", "/v2/a/tags/list?n=100"), "tags");
        assert_eq!(kind("GET", "/v2/_catalog?n=1000"), "catalog");
        assert_eq!(kind("GET", "/v2/"), "ping");
        assert_eq!(kind("POST", "/v2/auth/token"), "hub_login");
        assert_eq!(
            kind("GET", "/v2/namespaces/bulk/repositories?page_size=100"),
            "hub_repositories"
        );
        assert_eq!(
            kind("GET", "/v2/namespaces/bulk/repositories/r0000/tags?page=2"),
            "hub_tags"
        );
        assert_eq!(kind("GET", "/v2/namespaces/tags/list"), "tags");
        assert_eq!(kind("GET", "/elsewhere"), "other");
    }
}
