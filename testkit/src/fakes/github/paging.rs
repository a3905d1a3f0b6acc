//! GitHub's REST paging, shared by the fake's listings: `per_page` 30 by default and at
//! most 100 (larger values are clamped, as GitHub does), `page` from 1, and a `Link`
//! header with absolute `next` and `last` URLs while there are more pages. A page cap
//! below `per_page` makes pages shorter than asked.

use crate::fakes::server::{header, json, RecordedRequest, Reply};

/// GitHub's default `per_page`.
const DEFAULT_PER_PAGE: usize = 30;
/// GitHub's largest `per_page`.
const MAX_PER_PAGE: usize = 100;

/// The page asked for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Page {
    /// `per_page` as asked (clamped), repeated in links.
    per_page: usize,
    /// Entries actually served a page: `per_page` or the cap, whichever is smaller.
    size: usize,
    /// From 1.
    number: usize,
}

impl Page {
    /// The page `req` asks for, served at most `page_cap` entries at a time.
    pub fn of(req: &RecordedRequest, page_cap: usize) -> Page {
        let per_page = req
            .query("per_page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(DEFAULT_PER_PAGE)
            .clamp(1, MAX_PER_PAGE);
        let number = req
            .query("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        Page {
            per_page,
            size: per_page.min(page_cap.max(1)),
            number,
        }
    }

    /// The 200 answer holding this page of `all` as a JSON array. Links are
    /// `<url>?<query>per_page=N&page=P`, so `query` is empty or ends with `&`.
    pub fn reply(self, url: &str, query: &str, all: Vec<serde_json::Value>) -> Reply {
        let pages = all.len().div_ceil(self.size).max(1);
        let body: Vec<serde_json::Value> = all
            .into_iter()
            .skip((self.number - 1) * self.size)
            .take(self.size)
            .collect();
        let mut reply = json(200, &serde_json::Value::Array(body));
        if self.number < pages {
            let link = |p: usize| format!("<{url}?{query}per_page={}&page={p}>", self.per_page);
            let value = format!(
                r#"{}; rel="next", {}; rel="last""#,
                link(self.number + 1),
                link(pages)
            );
            reply = reply.with_header(header("Link", &value));
        }
        reply
    }
}
