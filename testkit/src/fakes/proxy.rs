//! A registry-behaviour fake in front of a real `LocalRegistry`: a gate answers the
//! requests the vendor would answer differently (missing catalog, 403, auth), and every
//! other request is forwarded unchanged, so manifests, digests and blobs stay real.

use std::io::Cursor;

use tiny_http::{Response, StatusCode};

use super::server::{header, FakeServer, RecordedRequest, Reply};
use crate::client::agent;

/// Response headers a registry client reads, passed through from upstream.
const FORWARDED_HEADERS: [&str; 4] = [
    "content-type",
    "docker-content-digest",
    "link",
    "docker-distribution-api-version",
];

/// A forwarding fake; the gate's `Some` answers instead of the upstream registry.
pub(crate) struct RegistryProxy {
    server: FakeServer,
}

impl RegistryProxy {
    /// Starts forwarding to `upstream` (`127.0.0.1:PORT`), asking `gate` first.
    pub fn start<G>(upstream: &str, gate: G) -> anyhow::Result<Self>
    where
        G: Fn(&RecordedRequest) -> Option<Reply> + Send + Sync + 'static,
    {
        let upstream = upstream.to_string();
        let server =
            FakeServer::start(move |req, _| gate(req).unwrap_or_else(|| forward(&upstream, req)))?;
        Ok(RegistryProxy { server })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.server.addr().to_string()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}

/// Sends `req` to the upstream registry (without its `Authorization`) and relays the answer.
pub(crate) fn forward(upstream: &str, req: &RecordedRequest) -> Reply {
    match try_forward(upstream, req) {
        Ok(reply) => reply,
        Err(e) => {
            Response::from_data(format!("fake proxy: {e}").into_bytes()).with_status_code(502)
        }
    }
}

fn try_forward(upstream: &str, req: &RecordedRequest) -> anyhow::Result<Reply> {
    let url = format!("http://{upstream}{}", req.url);
    let agent = agent();
    let accept = req.header("accept").unwrap_or("*/*").to_string();
    let mut response = match req.method.as_str() {
        "HEAD" => agent.head(&url).header("Accept", &accept).call()?,
        "GET" => agent.get(&url).header("Accept", &accept).call()?,
        other => anyhow::bail!("the fake forwards GET and HEAD only, not {other}"),
    };
    let status = response.status().as_u16();
    let headers: Vec<_> = FORWARDED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(*name)?.to_str().ok()?;
            Some(header(name, value))
        })
        .collect();
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let body = if req.method == "HEAD" {
        Vec::new()
    } else {
        response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()?
    };
    let length = if req.method == "HEAD" {
        length
    } else {
        Some(body.len())
    };
    Ok(Response::new(
        StatusCode(status),
        headers,
        Cursor::new(body),
        length,
        None,
    ))
}
