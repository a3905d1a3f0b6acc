//! `GET /v2/namespaces/<ns>/repositories/<repo>/tags`: a repository's tags with the
//! digest each points at, as Docker Hub's API documents them.

use serde_json::json;

use super::paging::Page;
use super::repos::{HubRepo, HubTag};
use crate::fakes::server::{RecordedRequest, Reply};

/// The time every tag claims it was pushed: fixed, so answers are the same on every run.
const FAKE_PUSHED_AT: &str = "2024-01-02T03:04:05.000000Z";

/// One page of `repo`'s tags (the caller has been checked to see `repo`).
pub(super) fn tags(req: &RecordedRequest, origin: &str, ns: &str, repo: &HubRepo) -> Reply {
    let page = match Page::of(req) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let all = repo
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| tag_json(i + 1, t))
        .collect();
    let url = format!(
        "{origin}/v2/namespaces/{ns}/repositories/{}/tags",
        repo.name
    );
    page.reply(&url, all)
}

/// A tag as the endpoint lists it; `digest` and `media_type` only when known.
fn tag_json(id: usize, tag: &HubTag) -> serde_json::Value {
    let mut value = json!({
        "id": id,
        "name": tag.name,
        "content_type": "image",
        "tag_status": "active",
        "last_updated": FAKE_PUSHED_AT,
        "tag_last_pushed": FAKE_PUSHED_AT,
        "images": [],
    });
    if let Some(digest) = &tag.digest {
        value["digest"] = json!(digest);
    }
    if let Some(media_type) = &tag.media_type {
        value["media_type"] = json!(media_type);
    }
    value
}
