//! `GET /v2/namespaces/<ns>/repositories`: a namespace's repositories, private ones only
//! for the logged-in account.

use serde_json::json;

use super::paging::Page;
use super::repos::HubRepo;
use crate::fakes::server::{RecordedRequest, Reply};

/// One page of the repositories of `ns` the caller may see.
pub(super) fn repositories(
    req: &RecordedRequest,
    origin: &str,
    ns: &str,
    repos: &[HubRepo],
    logged_in: bool,
) -> Reply {
    let page = match Page::of(req) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let visible: Vec<serde_json::Value> = repos
        .iter()
        .filter(|r| logged_in || !r.private)
        .map(|r| {
            json!({"name": r.name, "namespace": ns, "repository_type": "image",
                   "is_private": r.private})
        })
        .collect();
    page.reply(
        &format!("{origin}/v2/namespaces/{ns}/repositories"),
        visible,
    )
}
