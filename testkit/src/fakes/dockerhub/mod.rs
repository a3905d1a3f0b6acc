//! `FakeDockerHub`: a fake of Docker Hub's web API (hub.docker.com), not its registry.
//!
//! - `POST /v2/auth/token` `{"identifier","secret"}` → `{"access_token"}` when they match
//!   the account the fake was started with, 401 `{"detail":…}` otherwise;
//! - `GET /v2/namespaces/<ns>/repositories?page_size=N&page=P`: the namespace's
//!   repositories, private ones only to a caller with the access token;
//! - `GET /v2/namespaces/<ns>/repositories/<repo>/tags?page_size=N&page=P`: the tags
//!   with the digest each points at (`digest` left out for a tag configured without
//!   one, as Docker Hub does for old tags). A private repository is 404 to a caller
//!   without the access token, as is an unknown one; faults can be armed with
//!   [`FakeDockerHub::fail_tags`].
//!
//! Both listings page as Docker Hub documents (`page` from 1, `page_size` 10 by default
//! and at most 100, 400 above) with absolute `next`/`previous` URLs built on the `Host`
//! the client sent, so paging through a proxy stays behind it. An unknown namespace is
//! 404 `{"message":"object not found"}`; a wrong token is 401 on every listing.
//!
//! The registry side of docker.io is a real `LocalRegistry` reached through nuccrawl's
//! `--registry-endpoint`.

mod fault;
mod listing;
mod paging;
mod repos;
mod tags;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::json;

use super::server::{json, FakeServer, RecordedRequest, Reply};
use crate::client::Credentials;
use fault::FaultSwitch;

pub use fault::HubFault;
pub use repos::{HubRepo, HubTag};

/// The access token the fake hands out after a good login.
pub const FAKE_HUB_TOKEN: &str = "fake-hub-access-token-6f1d";

/// A running fake of Docker Hub's web API.
pub struct FakeDockerHub {
    server: FakeServer,
    faults: FaultSwitch,
}

impl FakeDockerHub {
    /// Starts the fake with `namespaces` and the one account that may log in.
    pub fn start(
        namespaces: BTreeMap<String, Vec<HubRepo>>,
        account: Credentials,
    ) -> anyhow::Result<Self> {
        let faults = FaultSwitch::default();
        let switch = faults.clone();
        let server =
            FakeServer::start(move |req, addr| handle(req, addr, &namespaces, &account, &switch))?;
        Ok(FakeDockerHub { server, faults })
    }

    /// `http://127.0.0.1:PORT`, for `--hub-api`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `127.0.0.1:PORT`, for a proxy to forward to.
    pub fn addr(&self) -> String {
        self.server.addr().to_string()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Makes the next `times` requests to the tags endpoint (any repository) answer
    /// `fault` instead of the listing; `times` 0 disarms.
    pub fn fail_tags(&self, fault: HubFault, times: usize) {
        self.faults.arm(fault, times);
    }
}

/// 404 for an unknown namespace or repository, or one the caller may not see.
fn not_found() -> Reply {
    json(404, &json!({"message": "object not found", "errinfo": {}}))
}

fn handle(
    req: &RecordedRequest,
    addr: &str,
    namespaces: &BTreeMap<String, Vec<HubRepo>>,
    account: &Credentials,
    faults: &FaultSwitch,
) -> Reply {
    let parts: Vec<&str> = req.path().trim_matches('/').split('/').collect();
    let origin = req.origin(addr);
    match (req.method.as_str(), parts.as_slice()) {
        ("POST", ["v2", "auth", "token"]) => login(req, account),
        ("GET", ["v2", "namespaces", ns, "repositories"]) => {
            let Some(logged_in) = caller(req) else {
                return invalid_token();
            };
            match namespaces.get(*ns) {
                Some(repos) => listing::repositories(req, &origin, ns, repos, logged_in),
                None => not_found(),
            }
        }
        ("GET", ["v2", "namespaces", ns, "repositories", repo, "tags"]) => {
            if let Some(fault) = faults.take() {
                return fault.reply();
            }
            let Some(logged_in) = caller(req) else {
                return invalid_token();
            };
            let found = namespaces
                .get(*ns)
                .and_then(|repos| repos.iter().find(|r| r.name == *repo))
                .filter(|r| logged_in || !r.private);
            match found {
                Some(repo) => tags::tags(req, &origin, ns, repo),
                None => not_found(),
            }
        }
        _ => json(404, &json!({"message": "page not found"})),
    }
}

/// Whether the caller is logged in: `Some(true)` with the access token, `Some(false)`
/// without a token, `None` with a wrong one.
fn caller(req: &RecordedRequest) -> Option<bool> {
    match req.header("authorization") {
        None => Some(false),
        Some(v) if v == format!("Bearer {FAKE_HUB_TOKEN}") => Some(true),
        Some(_) => None,
    }
}

fn invalid_token() -> Reply {
    json(401, &json!({"detail": "Invalid token"}))
}

fn login(req: &RecordedRequest, account: &Credentials) -> Reply {
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap_or_default();
    let good = body["identifier"] == account.username.as_str()
        && body["secret"] == account.password.as_str();
    if good {
        json(200, &json!({ "access_token": FAKE_HUB_TOKEN }))
    } else {
        json(
            401,
            &json!({"detail": "Incorrect authentication credentials", "message": "Incorrect authentication credentials"}),
        )
    }
}
