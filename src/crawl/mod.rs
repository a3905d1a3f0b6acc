//! The crawl pipeline: targets → repositories → tags → manifests → configs → assets.
//!
//! Repositories are crawled concurrently; inside each, tags and manifests fan out too.
//! The registry clients bound the requests actually in flight per host, so the fan-out
//! here only has to keep them busy. Failures never abort the run: each is recorded with
//! what it concerns, and everything else is kept.

pub mod assemble;
mod check;
pub mod graph;
pub mod repository;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use tracing::debug;

use crate::asset::Asset;
use crate::cache::Cache;
use crate::config::Config;
use crate::discover;
use crate::progress::Reporter;
use crate::reference::{Registry, Selector, Target};
use crate::registry::RegistryClient;
use repository::{RepoJob, RepoResult};
use summary::{Failure, Summary};

/// Fewest repositories crawled at once. Each runs its stages (tags, HEADs, manifests,
/// configs) one after another, and a stage's last requests leave request slots idle;
/// other repositories in flight fill them. Measured with `scripts/bench.sh`: at 8 the
/// 1,000-tag crawl ran at 1.45× its floor, at the per-host concurrency (16) at 1.37×.
const MIN_REPO_PARALLELISM: usize = 8;

/// The result of a crawl.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every asset, merged per (registry, repository, manifest) and sorted.
    pub assets: Vec<Asset>,
    /// What happened.
    pub summary: Summary,
}

impl Outcome {
    /// Whether nothing at all could be crawled (every target failed before a repository
    /// was read), which is exit code 1 rather than 2.
    pub fn nothing_done(&self) -> bool {
        self.summary.repositories == 0 && !self.summary.failures.is_empty()
    }
}

/// Crawls every target in `config`.
pub async fn run(config: &Config, reporter: &dyn Reporter) -> Outcome {
    let mut outcome = Outcome::default();
    let mut clients: BTreeMap<Registry, RegistryClient> = BTreeMap::new();
    let mut jobs: BTreeSet<RepoJob> = BTreeSet::new();
    for target in &config.targets {
        let registry = target.registry().clone();
        let client = match clients.get(&registry) {
            Some(c) => c.clone(),
            None => match RegistryClient::new(&registry, &config.client) {
                Ok(c) => clients.entry(registry.clone()).or_insert(c).clone(),
                Err(e) => {
                    outcome
                        .summary
                        .failures
                        .push(registry_failure(&registry, e.to_string()));
                    continue;
                }
            },
        };
        match target {
            Target::Repository { repo, selector, .. } => {
                jobs.insert(RepoJob {
                    registry,
                    repo: repo.clone(),
                    selector: selector.clone(),
                });
            }
            Target::Pattern { pattern, .. } => match discover::repositories(&client, pattern).await
            {
                Ok(repos) => {
                    debug!(
                        pattern = pattern.as_str(),
                        count = repos.len(),
                        "repositories matched"
                    );
                    jobs.extend(repos.into_iter().map(|repo| RepoJob {
                        registry: registry.clone(),
                        repo,
                        selector: Selector::AllTags,
                    }));
                }
                Err(e) => outcome
                    .summary
                    .failures
                    .push(registry_failure(&registry, e.to_string())),
            },
        }
    }
    let jobs = drop_subsumed(jobs);
    let cache = open_cache(config);
    let cache = &cache;
    reporter.repositories_found(jobs.len() as u64);

    let results: Vec<RepoResult> = stream::iter(jobs)
        .map(|job| {
            let client = clients[&job.registry].clone();
            async move {
                let r = repository::crawl(&client, cache, &job, config, reporter).await;
                reporter.repository_done();
                r
            }
        })
        .buffer_unordered(repo_parallelism(config))
        .collect()
        .await;
    reporter.finish();

    let mut assets = Vec::new();
    for r in results {
        assets.extend(r.assets);
        outcome.summary.merge(r.summary);
    }
    outcome.assets = check::checked(merge_assets(assets), &mut outcome.summary);
    outcome.summary.images = outcome.assets.len() as u64;
    outcome.summary.failures.sort();
    for client in clients.values() {
        let stats = client.stats();
        for (kind, n) in stats.by_kind() {
            *outcome.summary.requests.entry(kind.to_owned()).or_default() += n;
        }
        outcome.summary.retries += stats.retries;
    }
    outcome
}

/// Repositories in flight: as many as requests may be in flight per host, so every
/// request slot has a repository that can use it.
fn repo_parallelism(config: &Config) -> usize {
    config.client.max_concurrency.max(MIN_REPO_PARALLELISM)
}

/// The cache `config` names, or a disabled one.
fn open_cache(config: &Config) -> Cache {
    match &config.cache_dir {
        Some(dir) => {
            debug!(dir = %dir.display(), "manifest and config cache");
            Cache::open(dir.clone())
        }
        None => Cache::disabled(),
    }
}

fn registry_failure(registry: &Registry, reason: String) -> Failure {
    Failure {
        registry: registry.name().to_owned(),
        repository: None,
        reference: None,
        reason,
    }
}

/// A repository asked for whole makes single-tag or single-digest jobs on it redundant.
fn drop_subsumed(jobs: BTreeSet<RepoJob>) -> Vec<RepoJob> {
    let whole: BTreeSet<(Registry, String)> = jobs
        .iter()
        .filter(|j| j.selector == Selector::AllTags)
        .map(|j| (j.registry.clone(), j.repo.clone()))
        .collect();
    jobs.into_iter()
        .filter(|j| {
            j.selector == Selector::AllTags
                || !whole.contains(&(j.registry.clone(), j.repo.clone()))
        })
        .collect()
}

/// One asset per (registry, repository, manifest digest), tags united, sorted.
fn merge_assets(assets: Vec<Asset>) -> Vec<Asset> {
    let mut by_key: BTreeMap<(Option<String>, String, Option<String>), Asset> = BTreeMap::new();
    for asset in assets {
        let key = (
            asset.image_registry.clone(),
            asset.image_repo.clone(),
            asset.image_manifest_digest.clone(),
        );
        match by_key.get_mut(&key) {
            Some(existing) => {
                let tags: BTreeSet<String> = existing
                    .image_tags
                    .drain(..)
                    .chain(asset.image_tags)
                    .collect();
                existing.image_tags = tags.into_iter().collect();
            }
            None => {
                by_key.insert(key, asset);
            }
        }
    }
    by_key.into_values().collect()
}
