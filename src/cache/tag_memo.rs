//! Digests of tags the user declared immutable (`--immutable-tags`): once a run has
//! resolved such a tag, later runs take its digest from here instead of a HEAD. Only
//! those tags are kept, since any other tag may move between runs.
//!
//! One small JSON file per repository, `DIR/tags/<sha256 of "registry/repository">.json`,
//! naming its registry and repository (a file naming another is ignored) and mapping tag
//! to digest. It is written atomically like every entry; a damaged file is a miss, and a
//! digest that no longer exists on the registry is rechecked by the crawl, so the memo
//! can only save requests, never lose an image.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tracing::debug;

use super::store::{write_atomically, Cache};
use crate::image::Digest;

/// The file's contents.
#[derive(Debug, Serialize, Deserialize)]
struct Memo {
    registry: String,
    repository: String,
    tags: BTreeMap<String, String>,
}

impl Cache {
    /// The remembered digests of `repository`'s immutable tags; empty when none.
    pub fn immutable_tags(&self, registry: &str, repository: &str) -> BTreeMap<String, Digest> {
        let Some(path) = self.memo_path(registry, repository) else {
            return BTreeMap::new();
        };
        let Some(bytes) = self.read(&path) else {
            return BTreeMap::new();
        };
        match serde_json::from_slice::<Memo>(&bytes) {
            Ok(memo) if memo.registry == registry && memo.repository == repository => memo
                .tags
                .into_iter()
                .filter_map(|(tag, digest)| Some((tag, digest.parse().ok()?)))
                .collect(),
            Ok(_) => BTreeMap::new(),
            Err(e) => {
                debug!(path = %path.display(), error = %e, "unreadable tag memo; a miss");
                BTreeMap::new()
            }
        }
    }

    /// Remembers `tags` (tag → digest) as `repository`'s immutable tags.
    pub fn put_immutable_tags(
        &self,
        registry: &str,
        repository: &str,
        tags: BTreeMap<String, Digest>,
    ) {
        let Some(path) = self.memo_path(registry, repository) else {
            return;
        };
        let memo = Memo {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tags: tags.into_iter().map(|(t, d)| (t, d.to_string())).collect(),
        };
        let bytes = serde_json::to_vec(&memo).expect("a map of strings serialises");
        if let Err(e) = write_atomically(&path, &bytes) {
            self.report(e);
        }
    }

    /// `ROOT/tags/<sha256 hex of "registry/repository">.json`.
    fn memo_path(&self, registry: &str, repository: &str) -> Option<PathBuf> {
        self.repository_file("tags", registry, repository)
    }

    /// `ROOT/<folder>/<sha256 hex of "registry/repository">.json`: one small file per
    /// repository, for what the cache knows about a repository rather than a digest.
    pub(super) fn repository_file(
        &self,
        folder: &str,
        registry: &str,
        repository: &str,
    ) -> Option<PathBuf> {
        let key = Digest::of(format!("{registry}/{repository}").as_bytes());
        Some(
            self.root()?
                .join(folder)
                .join(format!("{}.json", key.hex())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_repository_and_ignores_damage() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().to_path_buf());
        let digest = Digest::of(b"manifest");
        let tags = BTreeMap::from([("v1.0.0".to_string(), digest.clone())]);
        cache.put_immutable_tags("r.example", "team/app", tags.clone());
        assert_eq!(cache.immutable_tags("r.example", "team/app"), tags);
        assert!(cache.immutable_tags("r.example", "team/other").is_empty());
        assert!(cache.immutable_tags("q.example", "team/app").is_empty());

        let path = cache.memo_path("r.example", "team/app").unwrap();
        std::fs::write(&path, b"{\"registry\":").unwrap();
        assert!(cache.immutable_tags("r.example", "team/app").is_empty());
        assert!(Cache::disabled()
            .immutable_tags("r.example", "team/app")
            .is_empty());
    }
}
