//! `GET /orgs/<org>/packages` and `/users/<user>/packages`: an owner's packages of the
//! `package_type` asked for (required: 400 without, as documented).

use serde_json::json;

use super::packages::GithubPackage;
use super::paging::Page;
use crate::fakes::server::{json, RecordedRequest, Reply};

/// One page of `packages` of the type `req` asks for; `url` is the listing's absolute URL.
pub(super) fn packages(
    req: &RecordedRequest,
    url: &str,
    packages: &[GithubPackage],
    page_cap: usize,
) -> Reply {
    let Some(kind) = req.query("package_type") else {
        return json(400, &json!({"message": "package_type is required"}));
    };
    let of_kind = packages
        .iter()
        .filter(|p| p.package_type == kind)
        .map(|p| {
            json!({"id": 1, "name": p.name, "package_type": p.package_type,
                   "visibility": "private"})
        })
        .collect();
    Page::of(req, page_cap).reply(url, &format!("package_type={kind}&"), of_kind)
}
