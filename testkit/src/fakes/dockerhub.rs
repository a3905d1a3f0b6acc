//! `FakeDockerHub`: a fake of Docker Hub's web API (hub.docker.com), not its registry.
//!
//! - `POST /v2/auth/token` `{"identifier","secret"}` → `{"access_token"}` when they match
//!   the account the fake was started with, 401 `{"detail":…}` otherwise;
//! - `GET /v2/namespaces/<ns>/repositories?page_size=N&page=P`: `page_size` defaults to
//!   10 and may be at most 100 (400 above, as documented); the body carries `count`, an
//!   absolute `next` URL (or null) and `results`; private repositories are listed only to
//!   a caller with the access token; an unknown namespace is 404; a wrong token is 401.
//!
//! The registry side of docker.io is a real `LocalRegistry` reached through nuccrawl's
//! `--registry-endpoint`.

use std::collections::BTreeMap;

use serde_json::json;

use super::server::{json, query_param, FakeServer, RecordedRequest, Reply};
use crate::client::Credentials;

/// The access token the fake hands out after a good login.
pub const FAKE_HUB_TOKEN: &str = "fake-hub-access-token-6f1d";
/// Docker Hub's default page size.
const DEFAULT_PAGE_SIZE: usize = 10;
/// Docker Hub's largest page size.
const MAX_PAGE_SIZE: usize = 100;

/// One repository of a namespace.
#[derive(Debug, Clone)]
pub struct HubRepo {
    /// The name inside the namespace.
    pub name: String,
    /// Listed only to the logged-in account.
    pub private: bool,
}

impl HubRepo {
    /// A public repository.
    pub fn public(name: &str) -> Self {
        HubRepo {
            name: name.into(),
            private: false,
        }
    }

    /// A private repository.
    pub fn private(name: &str) -> Self {
        HubRepo {
            name: name.into(),
            private: true,
        }
    }
}

/// A running fake of Docker Hub's web API.
pub struct FakeDockerHub {
    server: FakeServer,
}

impl FakeDockerHub {
    /// Starts the fake with `namespaces` and the one account that may log in.
    pub fn start(
        namespaces: BTreeMap<String, Vec<HubRepo>>,
        account: Credentials,
    ) -> anyhow::Result<Self> {
        let server = FakeServer::start(move |req, addr| handle(req, addr, &namespaces, &account))?;
        Ok(FakeDockerHub { server })
    }

    /// `http://127.0.0.1:PORT`, for `--hub-api`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}

fn handle(
    req: &RecordedRequest,
    addr: &str,
    namespaces: &BTreeMap<String, Vec<HubRepo>>,
    account: &Credentials,
) -> Reply {
    let parts: Vec<&str> = req.path().trim_matches('/').split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("POST", ["v2", "auth", "token"]) => login(req, account),
        ("GET", ["v2", "namespaces", ns, "repositories"]) => match namespaces.get(*ns) {
            Some(repos) => list(req, addr, ns, repos),
            None => json(404, &json!({"message": "object not found", "errinfo": {}})),
        },
        _ => json(404, &json!({"message": "page not found"})),
    }
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

fn list(req: &RecordedRequest, addr: &str, ns: &str, repos: &[HubRepo]) -> Reply {
    let logged_in = match req.header("authorization") {
        None => false,
        Some(v) if v == format!("Bearer {FAKE_HUB_TOKEN}") => true,
        Some(_) => return json(401, &json!({"detail": "Invalid token"})),
    };
    let size = match req.query("page_size").map(|s| s.parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => {
            return json(
                400,
                &json!({"message": "page_size must be between 1 and 100"}),
            )
        }
    };
    let page = query_param(&req.url, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let visible: Vec<&HubRepo> = repos.iter().filter(|r| logged_in || !r.private).collect();
    let start = (page - 1) * size;
    let results: Vec<serde_json::Value> = visible
        .iter()
        .skip(start)
        .take(size)
        .map(|r| json!({"name": r.name, "namespace": ns, "repository_type": "image", "is_private": r.private}))
        .collect();
    let link = |p: usize| {
        format!("http://{addr}/v2/namespaces/{ns}/repositories?page={p}&page_size={size}")
    };
    let next = (start + size < visible.len()).then(|| link(page + 1));
    let previous = (page > 1).then(|| link(page - 1));
    json(
        200,
        &json!({"count": visible.len(), "next": next, "previous": previous, "results": results}),
    )
}
