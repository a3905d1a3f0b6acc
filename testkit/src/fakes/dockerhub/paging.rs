//! Docker Hub's paging, shared by its listings: `page` from 1, `page_size` 10 by default
//! and at most 100 (400 above, as documented); the body carries `count`, absolute `next`
//! and `previous` URLs (or null) and the page's `results`.

use serde_json::json;

use crate::fakes::server::{json, query_param, RecordedRequest, Reply};

/// Docker Hub's default page size.
const DEFAULT_PAGE_SIZE: usize = 10;
/// Docker Hub's largest page size.
const MAX_PAGE_SIZE: usize = 100;

/// The page asked for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Page {
    /// From 1.
    pub number: usize,
    /// Entries a page.
    pub size: usize,
}

impl Page {
    /// The page `req` asks for, or Docker Hub's 400 for a page size out of range.
    pub fn of(req: &RecordedRequest) -> Result<Page, Reply> {
        let size = match req.query("page_size").map(|s| s.parse::<usize>()) {
            None => DEFAULT_PAGE_SIZE,
            Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            Some(_) => {
                return Err(json(
                    400,
                    &json!({"message": "page_size must be between 1 and 100"}),
                ))
            }
        };
        let number = query_param(&req.url, "page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        Ok(Page { number, size })
    }

    /// The 200 answer holding this page of `all`; `url` is the listing's absolute URL
    /// without a query.
    pub fn reply(self, url: &str, all: Vec<serde_json::Value>) -> Reply {
        let count = all.len();
        let start = (self.number - 1) * self.size;
        let results: Vec<serde_json::Value> = all.into_iter().skip(start).take(self.size).collect();
        let link = |p: usize| format!("{url}?page={p}&page_size={}", self.size);
        let next = (start + self.size < count).then(|| link(self.number + 1));
        let previous = (self.number > 1).then(|| link(self.number - 1));
        json(
            200,
            &json!({"count": count, "next": next, "previous": previous, "results": results}),
        )
    }
}
