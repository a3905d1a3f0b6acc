//! The digests a repository's registry has served or confirmed, one small JSON file per
//! repository, `DIR/repos/<sha256 of "registry/repository">.json`.
//!
//! Manifests are cached by digest alone, so a cached manifest proves its content, not
//! that this repository holds it. A digest nuccrawl did not ask the registry about (given
//! by a vendor API, remembered for an immutable tag) is taken from the cache only when
//! this repository confirmed it in an earlier run; otherwise it is fetched from the
//! repository, which either serves it (and confirms it) or fails and is rechecked.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tracing::debug;

use super::store::{write_atomically, Cache};
use crate::image::Digest;

/// The file's contents.
#[derive(Debug, Serialize, Deserialize)]
struct Confirmed {
    registry: String,
    repository: String,
    digests: BTreeSet<String>,
}

impl Cache {
    /// The digests `repository` confirmed in earlier runs; empty when none or no cache.
    pub fn confirmed_digests(&self, registry: &str, repository: &str) -> BTreeSet<Digest> {
        let Some(path) = self.repository_file("repos", registry, repository) else {
            return BTreeSet::new();
        };
        let Some(bytes) = self.read(&path) else {
            return BTreeSet::new();
        };
        match serde_json::from_slice::<Confirmed>(&bytes) {
            Ok(c) if c.registry == registry && c.repository == repository => {
                c.digests.iter().filter_map(|d| d.parse().ok()).collect()
            }
            Ok(_) => BTreeSet::new(),
            Err(e) => {
                debug!(path = %path.display(), error = %e, "unreadable confirmed digests; a miss");
                BTreeSet::new()
            }
        }
    }

    /// Records `digests` as confirmed by `repository`.
    pub fn put_confirmed_digests(
        &self,
        registry: &str,
        repository: &str,
        digests: &BTreeSet<Digest>,
    ) {
        let Some(path) = self.repository_file("repos", registry, repository) else {
            return;
        };
        let file = Confirmed {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            digests: digests.iter().map(Digest::to_string).collect(),
        };
        let bytes = serde_json::to_vec(&file).expect("strings serialise");
        if let Err(e) = write_atomically(&path, &bytes) {
            self.report(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmed_per_repository() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().to_path_buf());
        let digests = BTreeSet::from([Digest::of(b"index")]);
        cache.put_confirmed_digests("r.example", "team/app", &digests);
        assert_eq!(cache.confirmed_digests("r.example", "team/app"), digests);
        assert!(cache
            .confirmed_digests("r.example", "team/other")
            .is_empty());
        assert!(Cache::disabled()
            .confirmed_digests("r.example", "team/app")
            .is_empty());
    }
}
