//! The repositories to crawl, one job each: targets naming the same repository (two tags,
//! a tag and a digest, a pattern that lists a repository also named by hand) become one
//! job, so its manifests are fetched and its skipped artifacts counted once.

use std::collections::{BTreeMap, BTreeSet};

use crate::image::Digest;
use crate::reference::{Registry, Selector};

/// What to take from one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// Every tag, filtered by `--tags` / `--exclude-tags`.
    AllTags,
    /// The tags and digests named on the command line.
    Refs {
        /// Tags, each resolved with one HEAD.
        tags: BTreeSet<String>,
        /// Manifests or indexes by digest.
        digests: BTreeSet<Digest>,
    },
}

impl Wanted {
    /// The references named, for messages about the job (`None` for every tag).
    pub fn references(&self) -> Option<String> {
        match self {
            Wanted::AllTags => None,
            Wanted::Refs { tags, digests } => Some(
                tags.iter()
                    .cloned()
                    .chain(digests.iter().map(Digest::to_string))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }
}

/// One repository to crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoJob {
    /// Where it lives.
    pub registry: Registry,
    /// Its path on the registry.
    pub repo: String,
    /// What to take from it.
    pub wanted: Wanted,
    /// Whether the registry listed it (catalog or vendor API) rather than the user
    /// naming it: a listed repository whose tag list is "not found" has no tags.
    pub listed: bool,
}

/// Jobs being gathered from the targets, merged per repository.
#[derive(Debug, Default)]
pub struct Jobs {
    by_repo: BTreeMap<(Registry, String), RepoJob>,
}

impl Jobs {
    /// Adds `selector` of `repo`; `listed` when the registry listed the repository.
    pub fn add(&mut self, registry: &Registry, repo: &str, selector: &Selector, listed: bool) {
        let job = self
            .by_repo
            .entry((registry.clone(), repo.to_owned()))
            .or_insert_with(|| RepoJob {
                registry: registry.clone(),
                repo: repo.to_owned(),
                wanted: Wanted::Refs {
                    tags: BTreeSet::new(),
                    digests: BTreeSet::new(),
                },
                listed,
            });
        job.listed |= listed;
        match (&mut job.wanted, selector) {
            (Wanted::AllTags, _) => {}
            (wanted, Selector::AllTags) => *wanted = Wanted::AllTags,
            (Wanted::Refs { tags, .. }, Selector::Tag(tag)) => {
                tags.insert(tag.clone());
            }
            (Wanted::Refs { digests, .. }, Selector::Digest(digest)) => {
                digests.insert(digest.clone());
            }
        }
    }

    /// The jobs, sorted by registry and repository.
    pub fn into_vec(self) -> Vec<RepoJob> {
        self.by_repo.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn registry() -> Registry {
        Registry::parse("127.0.0.1:5000").unwrap()
    }

    #[test]
    fn references_to_one_repository_make_one_job() {
        let mut jobs = Jobs::default();
        let digest: Digest = D.parse().unwrap();
        jobs.add(&registry(), "app", &Selector::Tag("1.0".into()), false);
        jobs.add(&registry(), "app", &Selector::Tag("2.0".into()), false);
        jobs.add(&registry(), "app", &Selector::Digest(digest.clone()), false);
        jobs.add(&registry(), "other", &Selector::Tag("1.0".into()), false);
        let jobs = jobs.into_vec();
        assert_eq!(jobs.len(), 2);
        assert_eq!(
            jobs[0].wanted,
            Wanted::Refs {
                tags: ["1.0".to_string(), "2.0".to_string()].into(),
                digests: [digest].into(),
            }
        );
        assert_eq!(
            jobs[0].wanted.references().unwrap(),
            format!("1.0, 2.0, {D}")
        );
    }

    #[test]
    fn every_tag_subsumes_named_references_and_listing_is_remembered() {
        let mut jobs = Jobs::default();
        jobs.add(&registry(), "app", &Selector::Tag("1.0".into()), false);
        jobs.add(&registry(), "app", &Selector::AllTags, true);
        jobs.add(&registry(), "app", &Selector::Tag("2.0".into()), false);
        let jobs = jobs.into_vec();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].wanted, Wanted::AllTags);
        assert!(jobs[0].listed);
        assert_eq!(jobs[0].wanted.references(), None);
    }
}
