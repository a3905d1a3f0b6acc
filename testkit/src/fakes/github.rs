//! `FakeGithubApi`: a fake of GitHub's REST packages API.
//!
//! - `GET /orgs/<org>/packages` and `GET /users/<user>/packages`, also under an
//!   `/api/v3` prefix as GitHub Enterprise Server serves them;
//! - `package_type` is required (400 without, as documented) and filters the packages;
//!   `per_page` defaults to 30, at most 100; `page` starts at 1; `Link` carries absolute
//!   `next` and `last` URLs while there are more pages;
//! - an unknown organisation or user is 404 `{"message":"Not Found"}`;
//! - a missing token is 401 `Requires authentication`, a wrong one 401 `Bad credentials`.
//!
//! A page cap below `per_page` (set at start) emulates a server that sends shorter pages
//! than asked, so paging can be tested without hundreds of packages.

use std::collections::BTreeMap;

use serde_json::json;

use super::server::{header, json, FakeServer, RecordedRequest, Reply};

/// GitHub's default `per_page`.
const DEFAULT_PER_PAGE: usize = 30;
/// GitHub's largest `per_page`.
const MAX_PER_PAGE: usize = 100;
/// The path prefix of GitHub Enterprise Server's REST API.
const GHES_PREFIX: &str = "/api/v3";

/// One package.
#[derive(Debug, Clone)]
pub struct GithubPackage {
    /// Its name; may contain slashes (`team/api`).
    pub name: String,
    /// `container`, `npm`, …
    pub package_type: String,
}

impl GithubPackage {
    /// A container package.
    pub fn container(name: &str) -> Self {
        GithubPackage {
            name: name.into(),
            package_type: "container".into(),
        }
    }

    /// A package of another type, which container listings must not show.
    pub fn other(name: &str, package_type: &str) -> Self {
        GithubPackage {
            name: name.into(),
            package_type: package_type.into(),
        }
    }
}

/// Who owns which packages, and the paging behaviour.
struct Owners {
    orgs: BTreeMap<String, Vec<GithubPackage>>,
    users: BTreeMap<String, Vec<GithubPackage>>,
    token: String,
    page_cap: usize,
}

/// A running fake of GitHub's packages API.
pub struct FakeGithubApi {
    server: FakeServer,
}

impl FakeGithubApi {
    /// Starts the fake. `token` is the only one accepted; pages hold at most
    /// `min(per_page, page_cap)` packages.
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
    let packages = match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["orgs", o, "packages"]) => owners.orgs.get(*o),
        ("GET", ["users", u, "packages"]) => owners.users.get(*u),
        _ => None,
    };
    let Some(packages) = packages else {
        return json(404, &json!({"message": "Not Found"}));
    };
    let Some(kind) = req.query("package_type") else {
        return json(400, &json!({"message": "package_type is required"}));
    };
    let per_page = req
        .query("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let size = per_page.min(owners.page_cap);
    let page = req
        .query("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let of_kind: Vec<&GithubPackage> = packages.iter().filter(|p| p.package_type == kind).collect();
    let body: Vec<serde_json::Value> = of_kind
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|p| json!({"id": 1, "name": p.name, "package_type": p.package_type, "visibility": "private"}))
        .collect();
    let pages = of_kind.len().div_ceil(size).max(1);
    let mut reply = json(200, &serde_json::Value::Array(body));
    if page < pages {
        let link = |p: usize| {
            format!(
                "<http://{addr}{prefix}/{}?package_type={kind}&per_page={per_page}&page={p}>",
                parts.join("/")
            )
        };
        let value = format!(
            r#"{}; rel="next", {}; rel="last""#,
            link(page + 1),
            link(pages)
        );
        reply = reply.with_header(header("Link", &value));
    }
    reply
}
