//! The manifests one repository's roots reach. Roots are the digests tags resolve to;
//! indexes are expanded into their children level by level, each distinct digest is
//! fetched once, nesting is bounded and loops end because a digest is never revisited.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tracing::debug;

use super::halt::Halt;
use super::reason;
use crate::cache::{cached_manifest, store_manifest, Cache};
use crate::image::manifest::{
    classify, declared_media_type, EntryKind, ImageManifest, Manifest, SkipKind,
};
use crate::image::{Digest, Platform};
use crate::registry::RegistryClient;

/// Deepest index nesting followed. BuildKit nests one level; anything past a few levels
/// is a loop in disguise or a hostile registry.
pub const MAX_INDEX_DEPTH: usize = 4;

/// Most entries one index may list and still be followed. Real indexes list tens (an
/// image and often an attestation per platform, for a dozen or so platforms), so 1,000
/// leaves room for any honest multi-platform build while keeping a hostile index from
/// making the crawl fetch an unbounded number of children (the 4 MiB a manifest may
/// weigh holds tens of thousands of entries).
pub const MAX_INDEX_ENTRIES: usize = 1_000;

/// What one digest turned out to be.
#[derive(Debug)]
pub enum Node {
    /// An index or manifest list with its children and their platforms.
    Index(Vec<(Digest, Option<Platform>)>),
    /// A runnable image manifest, with its exact bytes.
    Image {
        manifest: ImageManifest,
        bytes: Bytes,
    },
    /// Not an image; counted by kind.
    Skipped(SkipKind),
    /// Could not be fetched or read.
    Failed(String),
}

/// A classified node with the index entries it does not follow.
type ReadNode = (Node, Vec<(Digest, SkipKind)>);

/// Every digest reached from the roots.
#[derive(Debug, Default)]
pub struct Graph {
    /// The nodes by digest.
    pub nodes: HashMap<Digest, Node>,
    /// Index entries skipped without fetching (attestations, artifacts), by digest.
    pub skipped_entries: BTreeMap<Digest, SkipKind>,
    /// Index entries whose stated platform `--platform` rules out, never fetched.
    pub filtered: BTreeSet<Digest>,
}

/// An image reached from the roots, with every tag that reaches it.
#[derive(Debug)]
pub struct Reached<'g> {
    /// Manifest digest.
    pub digest: &'g Digest,
    /// Parsed manifest view.
    pub manifest: &'g ImageManifest,
    /// Exact manifest bytes.
    pub bytes: &'g Bytes,
    /// Platform stated by the nearest index entry, if any.
    pub entry_platform: Option<&'g Platform>,
    /// Tags reaching it, sorted.
    pub tags: BTreeSet<String>,
}

/// Where and how a repository's manifests are fetched.
#[derive(Clone, Copy)]
pub struct Walk<'a> {
    /// The registry.
    pub client: &'a RegistryClient,
    /// The manifest cache.
    pub cache: &'a Cache,
    /// The repository.
    pub repo: &'a str,
    /// Requests in flight.
    pub concurrency: usize,
    /// `--platform`'s verdict on an index entry.
    pub rules_out: &'a (dyn Fn(&Platform) -> bool + Sync),
    /// The run's stop signal: once it fires, no new fetch starts.
    pub halt: &'a Halt,
    /// Digests fetched from the repository even when cached: ones it has not confirmed.
    pub must_fetch: &'a BTreeSet<Digest>,
}

/// Fetches every manifest reachable from `roots`, `concurrency` at a time, through
/// the cache. Index entries whose platform `rules_out` are not followed: on Docker Hub
/// every platform manifest fetched counts against the pull limit.
pub async fn build(
    walk: &Walk<'_>,
    roots: impl IntoIterator<Item = Digest>,
    prefetched: HashMap<Digest, (Bytes, Option<String>)>,
) -> Graph {
    let Walk {
        client,
        cache,
        repo,
        concurrency,
        rules_out,
        halt,
        must_fetch,
    } = *walk;
    let mut graph = Graph::default();
    let mut prefetched = prefetched;
    let mut frontier: Vec<Digest> = roots
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for depth in 0..=MAX_INDEX_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let fetched: Vec<(Digest, ReadNode)> = stream::iter(frontier.drain(..))
            .map(|digest| {
                let ready = prefetched.remove(&digest);
                async move {
                    let node = match ready {
                        Some((bytes, media_type)) => read_node(bytes, media_type.as_deref()),
                        None => {
                            let fresh = must_fetch.contains(&digest);
                            fetch_node(client, cache, repo, &digest, fresh).await
                        }
                    };
                    (digest, node)
                }
            })
            .buffer_unordered(concurrency)
            // A halted run keeps what was fetched; the rest of the level is dropped.
            .take_until(halt.wait())
            .collect()
            .await;
        let mut next = BTreeSet::new();
        for (digest, (mut node, skipped)) in fetched {
            graph.skipped_entries.extend(skipped);
            if let Node::Index(children) = &mut node {
                children.retain(|(child, platform)| {
                    let keep = !platform.as_ref().is_some_and(rules_out);
                    if !keep {
                        graph.filtered.insert(child.clone());
                    }
                    keep
                });
                for (child, _) in children {
                    if !graph.nodes.contains_key(child) && child != &digest {
                        next.insert(child.clone());
                    }
                }
            }
            graph.nodes.insert(digest, node);
        }
        next.retain(|d| !graph.nodes.contains_key(d));
        if depth == MAX_INDEX_DEPTH && !next.is_empty() {
            for d in next {
                let reason = format!("index nesting deeper than {MAX_INDEX_DEPTH} levels");
                graph.nodes.insert(d, Node::Failed(reason));
            }
            break;
        }
        frontier = next.into_iter().collect();
    }
    graph
}

async fn fetch_node(
    client: &RegistryClient,
    cache: &Cache,
    repo: &str,
    digest: &Digest,
    fresh: bool,
) -> ReadNode {
    let fetched = if fresh {
        let fetched = client.get_manifest(repo, digest.as_str()).await;
        if let Ok(f) = &fetched {
            store_manifest(cache, f);
        }
        fetched
    } else {
        cached_manifest(client, cache, repo, digest).await
    };
    match fetched {
        Ok(fetched) => read_node(fetched.bytes, fetched.media_type.as_deref()),
        Err(e) => (Node::Failed(reason::registry(&e)), Vec::new()),
    }
}

/// Classifies fetched bytes into a node, with the index entries it does not follow
/// (attestations, artifacts), which are counted without being fetched.
///
/// A fetched manifest that is an image nuccrawl cannot read (schema 1, an unknown media
/// type) is a failure, not a skip: an image is missing from the inventory, and the user
/// should hear why. Artifacts (signatures, charts, …) are skips: they are not images.
pub fn read_node(bytes: Bytes, media_type: Option<&str>) -> ReadNode {
    let index = match classify(&bytes, media_type) {
        Ok(Manifest::Index(index)) => index,
        Ok(Manifest::Image(manifest)) => return (Node::Image { manifest, bytes }, Vec::new()),
        Ok(Manifest::Skipped(SkipKind::Schema1)) => {
            return (Node::Failed(SCHEMA1_REASON.to_owned()), Vec::new())
        }
        Ok(Manifest::Skipped(SkipKind::UnknownMediaType)) => {
            let reason = unknown_type_reason(&bytes, media_type);
            return (Node::Failed(reason), Vec::new());
        }
        Ok(Manifest::Skipped(kind)) => return (Node::Skipped(kind), Vec::new()),
        Err(e) => {
            let served = media_type.map_or(String::new(), |m| format!(" (served as {m})"));
            let reason = format!("unreadable manifest{served}: {}", reason::chain(&e));
            return (Node::Failed(reason), Vec::new());
        }
    };
    if index.entries.len() > MAX_INDEX_ENTRIES {
        return (
            Node::Failed(too_many_entries(index.entries.len())),
            Vec::new(),
        );
    }
    let mut children = Vec::new();
    let mut skipped = Vec::new();
    for entry in index.entries {
        match entry.kind {
            EntryKind::Image | EntryKind::Index => children.push((entry.digest, entry.platform)),
            EntryKind::Attestation => skipped.push((entry.digest, SkipKind::Attestation)),
            EntryKind::Artifact(kind) => skipped.push((entry.digest, kind)),
        }
    }
    (Node::Index(children), skipped)
}

/// Why an index over [`MAX_INDEX_ENTRIES`] is refused; none of its entries is fetched.
fn too_many_entries(count: usize) -> String {
    format!(
        "index lists {count} entries, more than the {MAX_INDEX_ENTRIES} followed; \
         none of them was fetched"
    )
}

/// Why a schema 1 manifest is refused.
const SCHEMA1_REASON: &str =
    "schema 1 manifest not supported (obsolete Docker format without a config blob)";

/// Why a manifest of an unknown media type is refused, naming the type.
fn unknown_type_reason(bytes: &[u8], served: Option<&str>) -> String {
    match declared_media_type(bytes, served) {
        Some(media_type) => format!("unknown manifest media type `{media_type}`"),
        None => "unknown media type: the manifest declares none and has neither \
                 `manifests` nor `config` and `layers`"
            .to_owned(),
    }
}

impl Graph {
    /// Whether every digest reachable from `roots` was fetched (or deliberately not:
    /// skipped entries, entries `--platform` rules out); false after a halt cut the walk.
    pub fn is_complete(&self, roots: &BTreeMap<Digest, BTreeSet<String>>) -> bool {
        let fetched = |d: &Digest| {
            self.nodes.contains_key(d)
                || self.skipped_entries.contains_key(d)
                || self.filtered.contains(d)
        };
        roots.keys().all(fetched)
            && self.nodes.values().all(|node| match node {
                Node::Index(children) => children.iter().all(|(child, _)| fetched(child)),
                _ => true,
            })
    }

    /// Walks from each root with its tags and returns every image reached, by digest.
    pub fn images<'g>(
        &'g self,
        roots: &BTreeMap<Digest, BTreeSet<String>>,
    ) -> BTreeMap<&'g Digest, Reached<'g>> {
        let mut out: BTreeMap<&Digest, Reached> = BTreeMap::new();
        for (root, tags) in roots {
            let mut seen = BTreeSet::new();
            self.visit(root, None, tags, 0, &mut seen, &mut out);
        }
        out
    }

    /// Index loops reachable from `roots`: each index listing one of its own ancestors
    /// (or itself), with the ancestor it points back to. The walk itself always ends (a
    /// digest is fetched once); this is for telling the user.
    pub fn loops<'g>(
        &self,
        roots: impl IntoIterator<Item = &'g Digest>,
    ) -> BTreeMap<Digest, Digest> {
        let mut done = BTreeSet::new();
        let mut found = BTreeMap::new();
        for root in roots {
            self.find_loops(root, &mut Vec::new(), &mut done, &mut found);
        }
        found
    }

    /// Depth-first: a child already on the path closes a loop.
    fn find_loops(
        &self,
        digest: &Digest,
        path: &mut Vec<Digest>,
        done: &mut BTreeSet<Digest>,
        found: &mut BTreeMap<Digest, Digest>,
    ) {
        if done.contains(digest) || path.len() > MAX_INDEX_DEPTH {
            return;
        }
        if let Some(Node::Index(children)) = self.nodes.get(digest) {
            path.push(digest.clone());
            for (child, _) in children {
                if path.contains(child) {
                    found.insert(digest.clone(), child.clone());
                } else {
                    self.find_loops(child, path, done, found);
                }
            }
            path.pop();
        }
        done.insert(digest.clone());
    }

    fn visit<'g>(
        &'g self,
        digest: &Digest,
        platform: Option<&'g Platform>,
        tags: &BTreeSet<String>,
        depth: usize,
        seen: &mut BTreeSet<Digest>,
        out: &mut BTreeMap<&'g Digest, Reached<'g>>,
    ) {
        // Bounded like the fetch, so a hostile chain of sibling indexes cannot recurse deep.
        if depth > MAX_INDEX_DEPTH {
            return;
        }
        if !seen.insert(digest.clone()) {
            debug!(%digest, "index loop: digest already visited from this root");
            return;
        }
        let Some((key, node)) = self.nodes.get_key_value(digest) else {
            return;
        };
        match node {
            Node::Index(children) => {
                for (child, child_platform) in children {
                    let platform = child_platform.as_ref().or(platform);
                    self.visit(child, platform, tags, depth + 1, seen, out);
                }
            }
            Node::Image { manifest, bytes } => {
                let reached = out.entry(key).or_insert_with(|| Reached {
                    digest: key,
                    manifest,
                    bytes,
                    entry_platform: platform,
                    tags: BTreeSet::new(),
                });
                reached.tags.extend(tags.iter().cloned());
                if reached.entry_platform.is_none() {
                    reached.entry_platform = platform;
                }
            }
            Node::Skipped(_) | Node::Failed(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u8) -> Digest {
        Digest::of(&[n])
    }

    fn index(children: &[u8]) -> Node {
        Node::Index(children.iter().map(|&c| (digest(c), None)).collect())
    }

    fn image() -> Node {
        Node::Image {
            manifest: ImageManifest {
                config_digest: digest(99),
                config_media_type: None,
                config_size: None,
            },
            bytes: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn loops_are_found_and_walks_end() {
        // 1 → [2, 3]; 2 → [1, 4]; 3 → [3]; 4 is an image.
        let mut graph = Graph::default();
        graph.nodes.insert(digest(1), index(&[2, 3]));
        graph.nodes.insert(digest(2), index(&[1, 4]));
        graph.nodes.insert(digest(3), index(&[3]));
        graph.nodes.insert(digest(4), image());
        let roots = BTreeMap::from([(digest(1), BTreeSet::from(["t".to_owned()]))]);
        let loops = graph.loops(roots.keys());
        assert_eq!(
            loops,
            BTreeMap::from([(digest(2), digest(1)), (digest(3), digest(3))])
        );
        let images = graph.images(&roots);
        assert_eq!(images.len(), 1);
        assert_eq!(images[&digest(4)].tags, BTreeSet::from(["t".to_owned()]));
    }

    #[test]
    fn diamonds_are_not_loops() {
        // 1 → [2, 3]; 2 → [4]; 3 → [4].
        let mut graph = Graph::default();
        graph.nodes.insert(digest(1), index(&[2, 3]));
        graph.nodes.insert(digest(2), index(&[4]));
        graph.nodes.insert(digest(3), index(&[4]));
        graph.nodes.insert(digest(4), image());
        assert!(graph.loops([&digest(1)]).is_empty());
    }

    /// An OCI index listing `count` distinct image manifests.
    fn wide_index(count: usize) -> Bytes {
        let entries: Vec<_> = (0..count)
            .map(|i| {
                serde_json::json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": Digest::of(i.to_string().as_bytes()).to_string(),
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "amd64"},
                })
            })
            .collect();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries,
        });
        Bytes::from(index.to_string())
    }

    #[test]
    fn an_index_over_the_entry_cap_fails_without_children() {
        let (node, skipped) = read_node(wide_index(MAX_INDEX_ENTRIES), None);
        assert!(
            matches!(&node, Node::Index(c) if c.len() == MAX_INDEX_ENTRIES),
            "{node:?}"
        );
        assert!(skipped.is_empty());
        let over = MAX_INDEX_ENTRIES + 1;
        let (node, skipped) = read_node(wide_index(over), None);
        let Node::Failed(reason) = node else {
            panic!("an index of {over} entries was followed: {node:?}");
        };
        assert!(
            reason.contains(&format!("lists {over} entries")),
            "{reason}"
        );
        assert!(skipped.is_empty());
    }

    #[test]
    fn schema1_and_unknown_types_fail_with_reasons() {
        let (node, _) = read_node(
            Bytes::from_static(br#"{"schemaVersion":1,"fsLayers":[]}"#),
            None,
        );
        assert!(
            matches!(node, Node::Failed(r) if r.starts_with("schema 1 manifest not supported"))
        );
        let (node, _) = read_node(
            Bytes::from_static(br#"{"schemaVersion":2,"mediaType":"application/x-odd"}"#),
            None,
        );
        assert!(
            matches!(node, Node::Failed(r) if r == "unknown manifest media type `application/x-odd`")
        );
        let (node, _) = read_node(Bytes::from_static(b"<html>"), Some("text/html"));
        assert!(matches!(node, Node::Failed(r) if r.contains("(served as text/html)")));
    }
}
