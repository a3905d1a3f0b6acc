//! Digests not asked of the registry (given by a vendor API, or remembered for an
//! immutable tag) that the registry then could not serve: the API lagging a push, a tag
//! moved after all. Their tags are asked of the registry (a HEAD each); a tag that now
//! points elsewhere is walked at its new digest, so trusting a given digest never costs
//! a tag the registry can still serve. A tag the registry confirms keeps its failure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::stream::{self, StreamExt};

use super::graph::{self, Graph, Node, Walk};
use super::repository::{resolve_tag, Resolved};
use crate::image::Digest;

/// Re-resolves the tags of every root the registry did not confirm (given by the vendor
/// API or remembered as immutable) that failed, moves the tags the registry
/// now places elsewhere, and walks the new digests into `graph`.
pub async fn stale_roots(
    walk: &Walk<'_>,
    graph: &mut Graph,
    roots: &mut BTreeMap<Digest, BTreeSet<String>>,
    unconfirmed: &BTreeMap<Digest, BTreeSet<String>>,
) {
    let suspects: Vec<(Digest, String)> = unconfirmed
        .iter()
        .filter(|(digest, _)| matches!(graph.nodes.get(*digest), Some(Node::Failed(_))))
        .flat_map(|(digest, tags)| tags.iter().map(move |t| (digest.clone(), t.clone())))
        .collect();
    if suspects.is_empty() {
        return;
    }
    let answers: Vec<(Digest, String, Result<Resolved, String>)> = stream::iter(suspects)
        .map(|(old, tag)| async move {
            let now = resolve_tag(walk.client, walk.cache, walk.repo, &tag).await;
            (old, tag, now)
        })
        .buffer_unordered(walk.concurrency)
        .take_until(walk.halt.wait())
        .collect()
        .await;
    let mut prefetched = HashMap::new();
    let mut fresh = BTreeSet::new();
    for (old, tag, now) in answers {
        let Ok(Resolved { digest, body }) = now else {
            continue;
        };
        if digest == old {
            continue;
        }
        tracing::info!(
            repo = walk.repo,
            tag,
            api = %old,
            registry = %digest,
            "the digest given for this tag was stale; using the registry's"
        );
        if let Some(tags) = roots.get_mut(&old) {
            tags.remove(&tag);
            if tags.is_empty() {
                roots.remove(&old);
                graph.nodes.remove(&old);
            }
        }
        if let Some(body) = body {
            prefetched.insert(digest.clone(), body);
        }
        if !graph.nodes.contains_key(&digest) {
            fresh.insert(digest.clone());
        }
        roots.entry(digest).or_default().insert(tag);
    }
    if fresh.is_empty() {
        return;
    }
    let more = graph::build(walk, fresh, prefetched).await;
    for (digest, node) in more.nodes {
        graph.nodes.entry(digest).or_insert(node);
    }
    graph.skipped_entries.extend(more.skipped_entries);
    graph.filtered.extend(more.filtered);
}
