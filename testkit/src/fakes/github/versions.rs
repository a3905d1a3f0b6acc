//! `GET /orgs/<org>/packages/<type>/<package>/versions` (and under `/users/<user>`): a
//! package's versions; for a container package each is a manifest or index digest (its
//! `name`) with the tags on it in `metadata.container.tags`.

use serde_json::json;

use super::packages::{GithubPackage, GithubVersion};
use super::paging::Page;
use crate::fakes::server::{RecordedRequest, Reply};

/// The time every version claims it was created and updated: fixed, so answers are the
/// same on every run.
const FAKE_CREATED_AT: &str = "2024-01-02T03:04:05Z";

/// One page of `package`'s versions; `url` is the endpoint's absolute URL as the client
/// spelled it (package name still percent-encoded).
pub(super) fn versions(
    req: &RecordedRequest,
    url: &str,
    package: &GithubPackage,
    page_cap: usize,
) -> Reply {
    let all = package
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| version_json(url, i + 1, &package.package_type, v))
        .collect();
    Page::of(req, page_cap).reply(url, "", all)
}

fn version_json(url: &str, id: usize, package_type: &str, v: &GithubVersion) -> serde_json::Value {
    json!({
        "id": id,
        "name": v.digest,
        "url": format!("{url}/{id}"),
        "created_at": FAKE_CREATED_AT,
        "updated_at": FAKE_CREATED_AT,
        "metadata": {
            "package_type": package_type,
            "container": {"tags": v.tags},
        },
    })
}
