//! The crawl pipeline: targets → repositories → tags → manifests → configs → assets.
//!
//! Repositories are crawled concurrently; inside each, tags and manifests fan out too.
//! The registry clients bound the requests actually in flight per host, so the fan-out
//! here only has to keep them busy. Failures never abort the run: each is recorded with
//! what it concerns, and everything else is kept.

pub mod assemble;
mod check;
pub mod graph;
mod reason;
pub mod repository;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use tracing::debug;

use crate::asset::Asset;
use crate::config::Config;
use crate::credentials::Secret;
use crate::discover;
use crate::progress::Reporter;
use crate::reference::{repo_name_problem, Registry, Selector, Target};
use crate::registry::{Credentials, RegistryClient};
use repository::{RepoJob, RepoResult};
use summary::{Failure, Summary};

/// Repositories crawled at once. Each fans out its own tag requests, so a few suffice to
/// keep the per-host request limit busy while small repositories finish.
const REPO_PARALLELISM: usize = 8;

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
            None => match new_client(&registry, config).await {
                Ok(c) => clients.entry(registry.clone()).or_insert(c).clone(),
                Err(reason) => {
                    outcome
                        .summary
                        .failures
                        .push(registry_failure(&registry, reason));
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
            Target::Pattern { pattern, .. } => match discover::repositories(
                &client,
                pattern,
                &discover::Context {
                    options: &config.discovery,
                    client: &config.client,
                    keychain: &config.keychain,
                },
            )
            .await
            {
                Ok(repos) => {
                    debug!(
                        pattern = pattern.as_str(),
                        count = repos.len(),
                        "repositories matched"
                    );
                    let repos = valid_names(&registry, repos, &mut outcome.summary);
                    jobs.extend(repos.into_iter().map(|repo| RepoJob {
                        registry: registry.clone(),
                        repo,
                        selector: Selector::AllTags,
                    }));
                }
                Err(e) => {
                    let reason = match &e {
                        crate::discover::DiscoverError::Registry(inner) => {
                            format!("listing repositories: {}", reason::registry(inner))
                        }
                        other => reason::chain(other),
                    };
                    outcome
                        .summary
                        .failures
                        .push(registry_failure(&registry, reason))
                }
            },
        }
    }
    let jobs = drop_subsumed(jobs);
    reporter.repositories_found(jobs.len() as u64);

    let results: Vec<RepoResult> = stream::iter(jobs)
        .map(|job| {
            let client = clients[&job.registry].clone();
            async move {
                let r = repository::crawl(&client, &job, config, reporter).await;
                reporter.repository_done();
                r
            }
        })
        .buffer_unordered(REPO_PARALLELISM)
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

/// A client for `registry` carrying its username/password from the keychain.
///
/// Interim wiring so Basic registries (ECR's `AWS` user) work from a pattern: the
/// registry client does not consult the keychain itself yet.
async fn new_client(registry: &Registry, config: &Config) -> Result<RegistryClient, String> {
    let keychain = std::sync::Arc::clone(&config.keychain);
    let name = registry.name().to_string();
    let found = tokio::task::spawn_blocking(move || keychain.resolve(&name))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let mut options = config.client.clone();
    if let Some((credential, _)) = found {
        if let Secret::Basic { username, password } = credential.secret() {
            options.credentials = Some(Credentials {
                username: username.clone(),
                password: password.clone(),
            });
        }
    }
    RegistryClient::new(registry, &options).map_err(|e| e.to_string())
}

fn registry_failure(registry: &Registry, reason: String) -> Failure {
    Failure {
        registry: registry.name().to_owned(),
        repository: None,
        reference: None,
        reason,
    }
}

/// The listed repository names that FORMAT.md accepts; each other one is a failure.
fn valid_names(registry: &Registry, repos: Vec<String>, summary: &mut Summary) -> Vec<String> {
    repos
        .into_iter()
        .filter(|repo| match repo_name_problem(repo) {
            None => true,
            Some(problem) => {
                summary.failures.push(Failure {
                    registry: registry.name().to_owned(),
                    repository: Some(repo.escape_debug().to_string()),
                    reference: None,
                    reason: format!("repository name breaks the Nucleus name rules: it {problem}"),
                });
                false
            }
        })
        .collect()
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
