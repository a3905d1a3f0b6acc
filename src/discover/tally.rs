//! Requests sent to vendor APIs (Docker Hub's, GitHub's), counted per API so the summary
//! and `--report` show them beside the registry's own requests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared counters; clones count into the same totals.
#[derive(Debug, Clone, Default)]
pub struct ApiTally {
    inner: Arc<Mutex<Totals>>,
}

#[derive(Debug, Default)]
struct Totals {
    requests: BTreeMap<&'static str, u64>,
    retries: u64,
}

impl ApiTally {
    /// One request to `api` reached the wire.
    pub(crate) fn request(&self, api: &'static str) {
        *self.lock().requests.entry(api).or_default() += 1;
    }

    /// One request is about to be repeated after a retryable failure.
    pub(crate) fn retry(&self) {
        self.lock().retries += 1;
    }

    /// Requests by API name (`hub_api`, `github_api`), and the retries among them.
    pub fn snapshot(&self) -> (BTreeMap<&'static str, u64>, u64) {
        let totals = self.lock();
        (totals.requests.clone(), totals.retries)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Totals> {
        // A panic while holding this lock cannot leave the counts inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_count_into_one_total() {
        let tally = ApiTally::default();
        let other = tally.clone();
        tally.request("hub_api");
        other.request("hub_api");
        other.request("github_api");
        other.retry();
        let (requests, retries) = tally.snapshot();
        assert_eq!(requests.get("hub_api"), Some(&2));
        assert_eq!(requests.get("github_api"), Some(&1));
        assert_eq!(retries, 1);
    }
}
