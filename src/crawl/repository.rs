//! One repository, start to finish: list and filter its tags, resolve each tag to a
//! digest (from the vendor API's listing when it gave one, else with one HEAD), walk the
//! manifests those digests reach, then fetch each distinct config once and turn every
//! image into an asset.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tracing::debug;

use super::assemble::{assemble, ImageInput};
use super::graph::{self, Node};
use super::halt::Halt;
pub use super::jobs::RepoJob;
use super::jobs::Wanted;
use super::summary::{Failure, Summary};
use super::{reason, recheck};
use crate::asset::Asset;
use crate::cache::{cached_config, store_manifest, Cache};
use crate::config::Config;
use crate::discover::vendor_tags::{TagDigest, VendorTags};
use crate::image::manifest::skip_kind_for_tag;
use crate::image::Digest;
use crate::image::Platform;
use crate::progress::Reporter;
use crate::reference::tag_problem;
use crate::registry::{RegistryClient, RegistryError};

/// Upper bound on a config blob: real configs are a few KiB; the largest seen in the
/// wild (long histories, big label sets) stay well under 1 MiB.
pub const CONFIG_SIZE_CAP: usize = 4 * 1024 * 1024;

/// What one repository gave.
#[derive(Debug, Default)]
pub struct RepoResult {
    /// Its assets.
    pub assets: Vec<Asset>,
    /// Its counts and failures.
    pub summary: Summary,
}

/// Crawls one repository; never fails as a whole, failures land in the summary.
pub async fn crawl(
    client: &RegistryClient,
    vendor: Option<&VendorTags<'_>>,
    cache: &Cache,
    job: &RepoJob,
    config: &Config,
    reporter: &dyn Reporter,
    halt: &Halt,
) -> RepoResult {
    let mut out = RepoResult::default();
    let failure = |reference: Option<String>, reason: String| Failure {
        registry: job.registry.name().to_owned(),
        repository: Some(job.repo.clone()),
        reference,
        reason,
    };
    let listed = tokio::select! {
        biased;
        reason = halt.wait() => return unfinished(job, &reason),
        listed = list_tags(client, vendor, job, config, &mut out.summary) => listed,
    };
    let tags = match listed {
        Ok(tags) => tags,
        Err(reason) => {
            out.summary.failures.push(failure(None, reason));
            return out;
        }
    };
    reporter.tags_found(tags.len() as u64);
    let concurrency = config.client.max_concurrency;
    let memo = tag_memo(cache, job);
    let usable = |tag: &str| config.is_immutable(tag).then(|| memo.get(tag).cloned())?;
    let tags: Vec<TagDigest> = tags
        .into_iter()
        .map(|TagDigest { tag, digest }| TagDigest {
            digest: digest.or_else(|| usable(&tag)),
            tag,
        })
        .collect();

    let wanted_tags = tags.len();
    let resolved: Vec<(String, bool, Result<Resolved, String>)> = stream::iter(tags)
        .map(|TagDigest { tag, digest }| async move {
            // Given by the vendor API or remembered as immutable, not asked of the registry.
            let unconfirmed = digest.is_some();
            let r = match digest {
                Some(digest) => Ok(Resolved { digest, body: None }),
                None => resolve_tag(client, cache, &job.repo, &tag).await,
            };
            reporter.tag_done();
            (tag, unconfirmed, r)
        })
        .buffer_unordered(concurrency)
        // A halted run keeps the tags resolved so far and starts no more.
        .take_until(halt.wait())
        .collect()
        .await;
    let mut cut = resolved.len() < wanted_tags;

    let mut roots: BTreeMap<Digest, BTreeSet<String>> = BTreeMap::new();
    let mut unconfirmed: BTreeMap<Digest, BTreeSet<String>> = BTreeMap::new();
    let mut prefetched = HashMap::new();
    for (tag, api, r) in resolved {
        match r {
            Ok(Resolved { digest, body }) => {
                out.summary.tags += 1;
                if let Some(body) = body {
                    prefetched.insert(digest.clone(), body);
                }
                if api {
                    unconfirmed
                        .entry(digest.clone())
                        .or_default()
                        .insert(tag.clone());
                }
                roots.entry(digest).or_default().insert(tag);
            }
            Err(reason) => out.summary.failures.push(failure(Some(tag), reason)),
        }
    }
    if let Wanted::Refs { digests, .. } = &job.wanted {
        for d in digests {
            roots.entry(d.clone()).or_default();
        }
    }
    if give_up(config, &out) {
        return out;
    }

    let rules_out = |platform: &Platform| {
        !config.platforms.is_empty() && config.platforms.iter().all(|f| f.rules_out(platform))
    };
    let confirmed = match cache.root() {
        Some(_) => cache.confirmed_digests(job.registry.name(), &job.repo),
        None => BTreeSet::new(),
    };
    let must_fetch: BTreeSet<Digest> = unconfirmed
        .keys()
        .filter(|d| !confirmed.contains(*d))
        .cloned()
        .collect();
    let walk = graph::Walk {
        client,
        cache,
        repo: &job.repo,
        concurrency,
        rules_out: &rules_out,
        halt,
        must_fetch: &must_fetch,
    };
    let mut graph = graph::build(&walk, roots.keys().cloned(), prefetched).await;
    recheck::stale_roots(&walk, &mut graph, &mut roots, &unconfirmed).await;
    remember_tags(cache, job, config, &roots, &graph, memo);
    remember_confirmed(cache, job, &graph, confirmed);
    out.summary.filtered_by_platform += graph.filtered.len() as u64;
    for (digest, node) in &graph.nodes {
        match node {
            Node::Skipped(kind) => out.summary.skip(kind.label()),
            Node::Failed(reason) => out
                .summary
                .failures
                .push(failure(Some(digest.to_string()), reason.clone())),
            Node::Index(_) | Node::Image { .. } => {}
        }
    }
    for kind in graph.skipped_entries.values() {
        out.summary.skip(kind.label());
    }
    for (index, ancestor) in graph.loops(roots.keys()) {
        let reason = format!("index loop: it lists {ancestor}, which leads back to it");
        out.summary
            .failures
            .push(failure(Some(index.to_string()), reason));
    }
    if give_up(config, &out) {
        return out;
    }

    let images = graph.images(&roots);
    let configs = fetch_configs(&walk, images.values().map(|i| &i.manifest.config_digest)).await;
    cut |= !graph.is_complete(&roots)
        || images
            .values()
            .any(|i| !configs.contains_key(&i.manifest.config_digest));
    for image in images.values() {
        let config_digest = &image.manifest.config_digest;
        let config_bytes = match configs.get(config_digest) {
            Some(Ok(bytes)) => bytes,
            Some(Err(reason)) => {
                out.summary
                    .failures
                    .push(failure(Some(image.digest.to_string()), reason.clone()));
                continue;
            }
            None => continue,
        };
        let input = ImageInput {
            registry: &job.registry,
            repo: &job.repo,
            manifest_digest: image.digest,
            manifest_bytes: image.bytes,
            config_digest,
            config_bytes,
            entry_platform: image.entry_platform,
            tags: &image.tags,
        };
        match assemble(&input, config) {
            Ok(Some(asset)) => {
                out.summary.images += 1;
                out.assets.push(asset);
            }
            Ok(None) => out.summary.filtered_by_platform += 1,
            Err(reason) => out
                .summary
                .failures
                .push(failure(Some(image.digest.to_string()), reason)),
        }
    }
    match halt.reason() {
        Some(reason) if cut => {
            let kept = out.assets.len();
            let reason = format!("not finished: {reason} (kept the {kept} images completed)");
            out.summary.failures.push(failure(None, reason));
        }
        _ => out.summary.repositories += 1,
    }
    out
}

/// The result of a repository the run stopped before finishing: one failure saying why.
pub fn unfinished(job: &RepoJob, reason: &str) -> RepoResult {
    let reference = job.wanted.references();
    let mut out = RepoResult::default();
    out.summary.failures.push(Failure {
        registry: job.registry.name().to_owned(),
        repository: Some(job.repo.clone()),
        reference,
        reason: format!("not finished: {reason}"),
    });
    out
}

/// The digests remembered for this repository's immutable tags (`--immutable-tags`);
/// read whenever there is a cache, so a run without the flag can correct them too.
fn tag_memo(cache: &Cache, job: &RepoJob) -> BTreeMap<String, Digest> {
    match cache.root() {
        Some(_) => cache.immutable_tags(job.registry.name(), &job.repo),
        None => BTreeMap::new(),
    }
}

/// Remembers the digests of the immutable tags resolved this run, and corrects any
/// remembered tag this run saw elsewhere (with or without the flag); a tag whose manifest
/// could not be read is left as it was.
fn remember_tags(
    cache: &Cache,
    job: &RepoJob,
    config: &Config,
    roots: &BTreeMap<Digest, BTreeSet<String>>,
    graph: &graph::Graph,
    before: BTreeMap<String, Digest>,
) {
    if config.immutable_tags.is_none() && before.is_empty() {
        return;
    }
    let mut now = before.clone();
    for (digest, tags) in roots {
        if matches!(graph.nodes.get(digest), Some(Node::Failed(_)) | None) {
            continue;
        }
        for tag in tags {
            if config.is_immutable(tag) || before.contains_key(tag) {
                now.insert(tag.clone(), digest.clone());
            }
        }
    }
    if now != before {
        cache.put_immutable_tags(job.registry.name(), &job.repo, now);
    }
}

/// Records every digest this repository served or vouched for this run (its indexes'
/// children included), so a later run may take them from the cache when a vendor API or
/// the immutable-tag memory gives them.
fn remember_confirmed(
    cache: &Cache,
    job: &RepoJob,
    graph: &graph::Graph,
    before: BTreeSet<Digest>,
) {
    if cache.root().is_none() {
        return;
    }
    let mut now = before.clone();
    for (digest, node) in &graph.nodes {
        if !matches!(node, Node::Failed(_)) {
            now.insert(digest.clone());
        }
    }
    if now != before {
        cache.put_confirmed_digests(job.registry.name(), &job.repo, &now);
    }
}

/// Whether `--fail-fast` ends this repository here.
fn give_up(config: &Config, out: &RepoResult) -> bool {
    config.fail_fast && !out.summary.failures.is_empty()
}

/// The tags to resolve, with their digests where the vendor API gave them: listed and
/// filtered, or the one the user named. Signature, attestation and SBOM tags are counted
/// and dropped here, before any request for them.
async fn list_tags(
    client: &RegistryClient,
    vendor: Option<&VendorTags<'_>>,
    job: &RepoJob,
    config: &Config,
    summary: &mut Summary,
) -> Result<Vec<TagDigest>, String> {
    if let Wanted::Refs { tags, .. } = &job.wanted {
        let named = |tag: &String| TagDigest {
            tag: tag.clone(),
            digest: None,
        };
        return Ok(tags.iter().map(named).collect());
    }
    // The registry says which tags exist; the vendor API, asked at the same time, only
    // says where they point. A tag the API has not seen yet is HEADed, and one it still
    // lists after its deletion is dropped.
    let from_vendor = async {
        match vendor {
            Some(vendor) => vendor.tags(&job.repo).await,
            None => None,
        }
    };
    let (from_vendor, from_registry) = tokio::join!(from_vendor, client.tags(&job.repo));
    let existing = match from_registry {
        Ok(tags) => tags,
        // Distribution answers NAME_UNKNOWN for a repository holding only untagged
        // manifests, though its catalog lists it.
        Err(RegistryError::NotFound { .. }) if job.listed => {
            debug!(repo = %job.repo, "listed repository has no tag list: no tags");
            Vec::new()
        }
        Err(e) => {
            return Err(format!("{}: listing tags: {}", e.kind(), reason::chain(&e)));
        }
    };
    let mut pointed: HashMap<String, Digest> = HashMap::new();
    for TagDigest { tag, digest } in from_vendor.into_iter().flatten() {
        if let Some(digest) = digest {
            pointed.entry(tag).or_insert(digest);
        }
    }
    let listed: BTreeMap<String, Option<Digest>> = existing
        .into_iter()
        .map(|tag| {
            let digest = pointed.get(&tag).cloned();
            (tag, digest)
        })
        .collect();
    let mut kept = Vec::with_capacity(listed.len());
    // `--tags`/`--exclude-tags` first: a tag the user left out is neither counted as
    // skipped nor reported as breaking the Nucleus rules.
    for (tag, digest) in listed.into_iter().filter(|(t, _)| config.tags.keeps(t)) {
        if let Some(kind) = skip_kind_for_tag(&tag) {
            summary.skip(kind.label());
        } else if let Some(problem) = tag_problem(&tag) {
            summary.failures.push(Failure {
                registry: job.registry.name().to_owned(),
                repository: Some(job.repo.clone()),
                reference: Some(tag.escape_debug().to_string()),
                reason: format!("tag breaks the Nucleus tag rules: it {problem}"),
            });
        } else {
            kept.push(TagDigest { tag, digest });
        }
    }
    Ok(kept)
}

/// A tag's digest, and the body when it had to be fetched to learn it.
pub(super) struct Resolved {
    /// The digest the tag points at.
    pub digest: Digest,
    /// The manifest and its media type, when fetched by tag.
    pub body: Option<(Bytes, Option<String>)>,
}

/// One HEAD; a GET by tag only when HEAD gives no digest (unsupported or header missing).
pub(super) async fn resolve_tag(
    client: &RegistryClient,
    cache: &Cache,
    repo: &str,
    tag: &str,
) -> Result<Resolved, String> {
    match client.head_manifest(repo, tag).await {
        Ok(Some(head)) if head.digest.is_some() => {
            return Ok(Resolved {
                digest: head.digest.expect("checked"),
                body: None,
            })
        }
        Ok(_) => debug!(
            repo,
            tag, "HEAD gave no digest; fetching the manifest by tag"
        ),
        Err(e) => return Err(reason::registry(&e)),
    }
    let fetched = client
        .get_manifest(repo, tag)
        .await
        .map_err(|e| reason::registry(&e))?;
    store_manifest(cache, &fetched);
    Ok(Resolved {
        digest: fetched.digest,
        body: Some((fetched.bytes, fetched.media_type)),
    })
}

/// Each distinct config once, from the cache or the registry, verified by digest.
/// A halted run keeps the configs fetched so far.
async fn fetch_configs<'a>(
    walk: &graph::Walk<'_>,
    digests: impl Iterator<Item = &'a Digest>,
) -> HashMap<Digest, Result<Bytes, String>> {
    let distinct: BTreeSet<Digest> = digests.cloned().collect();
    stream::iter(distinct)
        .map(|digest| async move {
            let r =
                cached_config(walk.client, walk.cache, walk.repo, &digest, CONFIG_SIZE_CAP).await;
            let r = r.map_err(|e| format!("config {digest}: {}", reason::registry(&e)));
            (digest, r)
        })
        .buffer_unordered(walk.concurrency)
        .take_until(walk.halt.wait())
        .collect()
        .await
}
