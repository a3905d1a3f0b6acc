//! `FakeGithubApi`: a fake of GitHub's REST packages API.
//!
//! - `GET /orgs/<org>/packages` and `GET /users/<user>/packages`: `package_type` is
//!   required (400 without, as documented) and filters the packages;
//! - `GET /orgs/<org>/packages/<type>/<package>/versions` and the `/users/<user>/…`
//!   equivalent: the package's versions, each a digest (`name`) with its tags in
//!   `metadata.container.tags` (`[]` when untagged). `<package>` arrives percent-encoded
//!   (`team%2Fapi`); an unknown package is 404 `{"message":"Package not found."}`;
//! - every route also under an `/api/v3` prefix, as GitHub Enterprise Server serves them;
//! - `per_page` defaults to 30, at most 100; `page` starts at 1; `Link` carries absolute
//!   `next` and `last` URLs (on the `Host` the client sent) while there are more pages;
//! - an unknown organisation or user is 404 `{"message":"Not Found"}`;
//! - a missing token is 401 `Requires authentication`, a wrong one 401 `Bad credentials`.
//!
//! A page cap below `per_page` (set at start) emulates a server that sends shorter pages
//! than asked, so paging can be tested without hundreds of packages or versions.

mod listing;
mod packages;
mod paging;
#[cfg(test)]
mod tests;
mod versions;

use std::collections::BTreeMap;

use serde_json::json;

use super::server::{json, percent_decode, FakeServer, RecordedRequest, Reply};

pub use packages::{GithubPackage, GithubVersion};

/// The path prefix of GitHub Enterprise Server's REST API.
const GHES_PREFIX: &str = "/api/v3";

/// Who owns which packages, and the paging behaviour.
struct Owners {
    orgs: BTreeMap<String, Vec<GithubPackage>>,
    users: BTreeMap<String, Vec<GithubPackage>>,
    token: String,
    page_cap: usize,
}

impl Owners {
    /// The packages of an organisation (`orgs`) or a user (`users`).
    fn of(&self, kind: &str, owner: &str) -> Option<&Vec<GithubPackage>> {
        match kind {
            "orgs" => self.orgs.get(owner),
            "users" => self.users.get(owner),
            _ => None,
        }
    }
}

/// A running fake of GitHub's packages API.
pub struct FakeGithubApi {
    server: FakeServer,
}

impl FakeGithubApi {
    /// Starts the fake. `token` is the only one accepted; pages hold at most
    /// `min(per_page, page_cap)` entries.
    pub fn start(
        orgs: BTreeMap<String, Vec<GithubPackage>>,
        users: BTreeMap<String, Vec<GithubPackage>>,
        token: &str,
        page_cap: usize,
    ) -> anyhow::Result<Self> {
        let owners = Owners {
            orgs,
            users,
            token: token.into(),
            page_cap: page_cap.max(1),
        };
        let server = FakeServer::start(move |req, addr| handle(req, addr, &owners))?;
        Ok(FakeGithubApi { server })
    }

    /// `http://127.0.0.1:PORT`, for `--github-api`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}

fn not_found(message: &str) -> Reply {
    json(404, &json!({ "message": message }))
}

fn handle(req: &RecordedRequest, addr: &str, owners: &Owners) -> Reply {
    match req.header("authorization") {
        None => return json(401, &json!({"message": "Requires authentication"})),
        Some(v) if v == format!("Bearer {}", owners.token) => {}
        Some(_) => return json(401, &json!({"message": "Bad credentials"})),
    }
    let path = req.path();
    let (prefix, path) = match path.strip_prefix(GHES_PREFIX) {
        Some(rest) => (GHES_PREFIX, rest),
        None => ("", path),
    };
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let url = format!("{}{prefix}/{}", req.origin(addr), parts.join("/"));
    let cap = owners.page_cap;
    match (req.method.as_str(), parts.as_slice()) {
        ("GET", [kind, owner, "packages"]) => match owners.of(kind, owner) {
            Some(packages) => listing::packages(req, &url, packages, cap),
            None => not_found("Not Found"),
        },
        ("GET", [kind, owner, "packages", package_type, name, "versions"]) => {
            let Some(packages) = owners.of(kind, owner) else {
                return not_found("Not Found");
            };
            let name = percent_decode(name);
            let package = packages
                .iter()
                .find(|p| p.name == name && p.package_type == *package_type);
            match package {
                Some(package) => versions::versions(req, &url, package, cap),
                None => not_found("Package not found."),
            }
        }
        _ => not_found("Not Found"),
    }
}
