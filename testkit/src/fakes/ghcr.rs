//! `FakeGhcr`: ghcr.io's registry behaviour in front of a real `LocalRegistry`.
//!
//! GHCR does not serve `/v2/_catalog` (404), and a package the token may not read answers
//! 403 `DENIED` on every call; everything else is the upstream registry's own answer.

use std::collections::BTreeSet;

use serde_json::json;

use super::proxy::RegistryProxy;
use super::server::{json, RecordedRequest};

/// The message of the fake's per-package 403.
pub const GHCR_DENIED_MESSAGE: &str =
    "permission_denied: The token provided does not match expected scopes.";

/// A running ghcr.io fake.
pub struct FakeGhcr {
    proxy: RegistryProxy,
}

impl FakeGhcr {
    /// Fronts the registry at `upstream`; repositories in `denied` answer 403.
    pub fn start(upstream: &str, denied: &[&str]) -> anyhow::Result<Self> {
        let denied: BTreeSet<String> = denied.iter().map(|d| d.to_string()).collect();
        let proxy = RegistryProxy::start(upstream, move |req: &RecordedRequest| {
            let path = req.path();
            if path == "/v2/_catalog" {
                let body =
                    json!({"errors": [{"code": "NOT_FOUND", "message": "404 page not found"}]});
                return Some(json(404, &body));
            }
            let repo = path.strip_prefix("/v2/").and_then(repo_of)?;
            denied.contains(repo).then(|| {
                json(
                    403,
                    &json!({"errors": [{"code": "DENIED", "message": GHCR_DENIED_MESSAGE}]}),
                )
            })
        })?;
        Ok(FakeGhcr { proxy })
    }

    /// `127.0.0.1:PORT`, for `--registry-endpoint ghcr.io=…`.
    pub fn addr(&self) -> String {
        self.proxy.addr()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.proxy.requests()
    }
}

/// The repository of an API path after `/v2/` (`a/b/tags/list` → `a/b`).
pub(crate) fn repo_of(rest: &str) -> Option<&str> {
    ["/tags/", "/manifests/", "/blobs/"]
        .iter()
        .find_map(|marker| rest.find(marker).map(|i| &rest[..i]))
}
