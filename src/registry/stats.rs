//! Request counters by kind, for the crawl summary and for tests that count round trips.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `GET /v2/_catalog`.
    Catalog,
    /// `GET /v2/<repo>/tags/list`.
    Tags,
    /// `HEAD /v2/<repo>/manifests/<ref>`.
    Head,
    /// `GET /v2/<repo>/manifests/<ref>`.
    ManifestGet,
    /// `GET /v2/<repo>/blobs/<digest>`.
    BlobGet,
    /// A token-server request.
    Token,
}

/// A snapshot of the counters. Each attempt that reached the wire counts once;
/// redirect hops count under `redirects`, not again under their kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// Catalog pages requested.
    pub catalog: u64,
    /// Tag-list pages requested.
    pub tags: u64,
    /// Manifest HEADs.
    pub head: u64,
    /// Manifest GETs (what Docker Hub counts against the pull limit).
    pub manifest_get: u64,
    /// Blob GETs.
    pub blob_get: u64,
    /// Token requests.
    pub token: u64,
    /// Attempts repeated after a retryable failure.
    pub retries: u64,
    /// Redirects followed.
    pub redirects: u64,
}

impl RequestStats {
    /// The counters by request kind, with the names the summary and `--report` use.
    pub fn by_kind(&self) -> [(&'static str, u64); 7] {
        [
            ("catalog", self.catalog),
            ("tags", self.tags),
            ("manifest_head", self.head),
            ("manifest_get", self.manifest_get),
            ("blob_get", self.blob_get),
            ("token", self.token),
            ("redirects", self.redirects),
        ]
    }
}

/// Live atomic counters shared by clones of a client.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    catalog: AtomicU64,
    tags: AtomicU64,
    head: AtomicU64,
    manifest_get: AtomicU64,
    blob_get: AtomicU64,
    token: AtomicU64,
    retries: AtomicU64,
    redirects: AtomicU64,
}

impl Counters {
    pub(crate) fn request(&self, kind: RequestKind) {
        let counter = match kind {
            RequestKind::Catalog => &self.catalog,
            RequestKind::Tags => &self.tags,
            RequestKind::Head => &self.head,
            RequestKind::ManifestGet => &self.manifest_get,
            RequestKind::BlobGet => &self.blob_get,
            RequestKind::Token => &self.token,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn redirect(&self) {
        self.redirects.fetch_add(1, Ordering::Relaxed);
    }

    /// The current values.
    pub(crate) fn snapshot(&self) -> RequestStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RequestStats {
            catalog: get(&self.catalog),
            tags: get(&self.tags),
            head: get(&self.head),
            manifest_get: get(&self.manifest_get),
            blob_get: get(&self.blob_get),
            token: get(&self.token),
            retries: get(&self.retries),
            redirects: get(&self.redirects),
        }
    }
}
