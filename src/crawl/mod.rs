//! The crawl pipeline: targets → repositories → tags → manifests → configs → assets.
//!
//! Repositories are crawled concurrently; inside each, tags and manifests fan out too.
//! The registry clients bound the requests actually in flight per host, so the fan-out
//! here only has to keep them busy. Failures never abort the run: each is recorded with
//! what it concerns, and everything else is kept. The run stops early only when asked
//! to ([`halt`]): `--timeout`, `--fail-fast` or a spent rate limit.

pub mod assemble;
mod check;
pub mod graph;
pub mod halt;
pub mod jobs;
mod reason;
mod recheck;
pub mod repository;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use futures::future::{self, FutureExt};
use futures::stream::{self, StreamExt};
use tracing::debug;

use crate::asset::Asset;
use crate::cache::Cache;
use crate::config::Config;
use crate::discover::vendor_tags::VendorTags;
use crate::discover::{self, ApiTally};
use crate::progress::Reporter;
use crate::reference::{repo_name_problem, Registry, Selector, Target};
use crate::registry::RegistryClient;
use halt::Halt;
use jobs::{Jobs, Wanted};
use repository::RepoResult;
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
    /// Why the run stopped before finishing, if it did.
    pub stopped: Option<String>,
}

impl Outcome {
    /// Whether the run has no image to show: exit code 1, and the previous output file
    /// is kept rather than replaced by an empty inventory (a typo in a target, `--tags`
    /// or `--platform` of a nightly job must not wipe what Nucleus knows).
    pub fn nothing_done(&self) -> bool {
        self.assets.is_empty()
    }
}

/// Crawls every target in `config`, stopping early only as [`halt`] describes.
pub async fn run(config: &Config, reporter: &dyn Reporter) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome::default();
    let clients = clients_for(config, &mut outcome.summary);
    let halt = Halt::default();
    let watcher = async {
        halt.trigger(stop_condition(config, &clients).await);
        future::pending::<()>().await
    };
    let tally = ApiTally::default();
    let work = crawl_targets(config, &clients, &tally, &halt, reporter, &mut outcome);
    tokio::select! {
        () = work => {}
        () = watcher => {}
    }
    // Work can end just as a stop condition is met (every request refused once a rate
    // limit is spent): the condition is still why the run ended.
    if let Some(reason) = stop_condition(config, &clients).now_or_never() {
        halt.trigger(reason);
    }
    for client in clients.values() {
        let stats = client.stats();
        for (kind, n) in stats.by_kind() {
            *outcome.summary.requests.entry(kind.to_owned()).or_default() += n;
        }
        outcome.summary.retries += stats.retries;
    }
    let (api_requests, api_retries) = tally.snapshot();
    for (api, n) in api_requests {
        *outcome.summary.requests.entry(api.to_owned()).or_default() += n;
    }
    outcome.summary.retries += api_retries;
    outcome.stopped = halt.reason();
    outcome.summary.stopped.clone_from(&outcome.stopped);
    outcome.summary.elapsed_seconds = started.elapsed().as_secs_f64();
    outcome
}

/// One client per registry named by the targets; a registry that cannot have one is a
/// failure.
fn clients_for(config: &Config, summary: &mut Summary) -> BTreeMap<Registry, RegistryClient> {
    let mut clients = BTreeMap::new();
    for target in &config.targets {
        let registry = target.registry();
        if clients.contains_key(registry) {
            continue;
        }
        match RegistryClient::new(registry, &config.client) {
            Ok(c) => {
                clients.insert(registry.clone(), c);
            }
            Err(e) => summary
                .failures
                .push(registry_failure(registry, e.to_string())),
        }
    }
    clients
}

/// Resolves with a reason when the run must stop on its own: the `--timeout` deadline,
/// or a registry whose rate-limit budget is spent.
async fn stop_condition(config: &Config, clients: &BTreeMap<Registry, RegistryClient>) -> String {
    let deadline = async {
        match config.run_timeout {
            Some(limit) => {
                tokio::time::sleep(limit).await;
                format!("run timeout reached (--timeout {})", limit.as_secs())
            }
            None => future::pending().await,
        }
    };
    let budgets = clients.values().map(|c| c.rate_limit_exhausted().boxed());
    let spent = async {
        match budgets.len() {
            0 => future::pending().await,
            _ => future::select_all(budgets).await.0,
        }
    };
    tokio::select! {
        reason = deadline => reason,
        reason = spent => reason,
    }
}

/// Discovers and crawls every target, recording into `outcome`.
async fn crawl_targets(
    config: &Config,
    clients: &BTreeMap<Registry, RegistryClient>,
    tally: &ApiTally,
    halt: &Halt,
    reporter: &dyn Reporter,
    outcome: &mut Outcome,
) {
    let hub_tokens = discover::dockerhub::HubTokens::default();
    let context = discover::Context {
        options: &config.discovery,
        client: &config.client,
        keychain: &config.keychain,
        tally,
        hub_tokens: &hub_tokens,
    };
    let mut jobs = Jobs::default();
    for target in &config.targets {
        let registry = target.registry().clone();
        let Some(client) = clients.get(&registry) else {
            continue;
        };
        match target {
            Target::Repository { repo, selector, .. } => {
                jobs.add(&registry, repo, selector, false);
            }
            Target::Pattern { pattern, .. } => {
                let listed = tokio::select! {
                    listed = discover::repositories(client, pattern, &context) => {
                        listed.map_err(|e| listing_failure(&e))
                    }
                    reason = halt.wait() => {
                        Err(format!("{}: not listed: {reason}", pattern.as_str()))
                    }
                };
                match listed {
                    Ok(repos) => {
                        debug!(
                            pattern = pattern.as_str(),
                            count = repos.len(),
                            "repositories matched"
                        );
                        if repos.is_empty() {
                            // A typo in a nightly job must not publish an empty inventory.
                            let reason = format!("no repository matches `{}`", pattern.as_str());
                            outcome
                                .summary
                                .failures
                                .push(registry_failure(&registry, reason));
                        }
                        let repos = valid_names(&registry, repos, &mut outcome.summary);
                        for repo in &repos {
                            jobs.add(&registry, repo, &Selector::AllTags, true);
                        }
                    }
                    Err(reason) => {
                        outcome
                            .summary
                            .failures
                            .push(registry_failure(&registry, reason));
                        if config.fail_fast {
                            halt.trigger(FAIL_FAST_REASON);
                        }
                    }
                }
            }
        }
    }
    let jobs = jobs.into_vec();
    let vendors: BTreeMap<Registry, VendorTags> = jobs
        .iter()
        .filter(|j| j.wanted == Wanted::AllTags)
        .filter_map(|j| {
            let vendor = VendorTags::for_registry(&j.registry, context)?;
            Some((j.registry.clone(), vendor))
        })
        .collect();
    let vendors = &vendors;
    let cache = open_cache(config);
    let cache = &cache;
    reporter.repositories_found(jobs.len() as u64);

    let results: Vec<RepoResult> = stream::iter(jobs)
        .map(|job| {
            let client = clients[&job.registry].clone();
            async move {
                // Each repository stops on its own once halted, keeping what it finished.
                let vendor = vendors.get(&job.registry);
                let r = match halt.reason() {
                    Some(reason) => repository::unfinished(&job, &reason),
                    None => {
                        repository::crawl(&client, vendor, cache, &job, config, reporter, halt)
                            .await
                    }
                };
                if config.fail_fast && !r.summary.failures.is_empty() {
                    halt.trigger(FAIL_FAST_REASON);
                }
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
    outcome.assets = check::checked(merge_assets(assets), config.format, &mut outcome.summary);
    outcome.summary.images = outcome.assets.len() as u64;
    outcome.summary.failures.sort();
}

/// The stop reason `--fail-fast` records.
const FAIL_FAST_REASON: &str = "stopped at the first failure (--fail-fast)";

/// Why a pattern could not be listed, with the registry's error kind first.
fn listing_failure(error: &discover::DiscoverError) -> String {
    match error {
        discover::DiscoverError::Registry(inner) => {
            format!("listing repositories: {}", reason::registry(inner))
        }
        other => reason::chain(other),
    }
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
