//! The manifests one repository's roots reach. Roots are the digests tags resolve to;
//! indexes are expanded into their children level by level, each distinct digest is
//! fetched once, nesting is bounded and loops end because a digest is never revisited.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tracing::debug;

use crate::cache::{cached_manifest, Cache};
use crate::image::manifest::{classify, EntryKind, ImageManifest, Manifest, SkipKind};
use crate::image::{Digest, Platform};
use crate::registry::RegistryClient;

/// Deepest index nesting followed. BuildKit nests one level; anything past a few levels
/// is a loop in disguise or a hostile registry.
pub const MAX_INDEX_DEPTH: usize = 4;

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

/// Fetches every manifest reachable from `roots`, `concurrency` at a time, through
/// the cache.
pub async fn build(
    client: &RegistryClient,
    cache: &Cache,
    repo: &str,
    roots: impl IntoIterator<Item = Digest>,
    prefetched: HashMap<Digest, (Bytes, Option<String>)>,
    concurrency: usize,
) -> Graph {
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
                        None => fetch_node(client, cache, repo, &digest).await,
                    };
                    (digest, node)
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let mut next = BTreeSet::new();
        for (digest, (node, skipped)) in fetched {
            graph.skipped_entries.extend(skipped);
            if let Node::Index(children) = &node {
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
) -> ReadNode {
    match cached_manifest(client, cache, repo, digest).await {
        Ok(fetched) => read_node(fetched.bytes, fetched.media_type.as_deref()),
        Err(e) => (Node::Failed(e.to_string()), Vec::new()),
    }
}

/// Classifies fetched bytes into a node, with the index entries it does not follow
/// (attestations, artifacts), which are counted without being fetched.
pub fn read_node(bytes: Bytes, media_type: Option<&str>) -> ReadNode {
    let index = match classify(&bytes, media_type) {
        Ok(Manifest::Index(index)) => index,
        Ok(Manifest::Image(manifest)) => return (Node::Image { manifest, bytes }, Vec::new()),
        Ok(Manifest::Skipped(kind)) => return (Node::Skipped(kind), Vec::new()),
        Err(e) => {
            return (
                Node::Failed(format!("unreadable manifest: {e}")),
                Vec::new(),
            )
        }
    };
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

impl Graph {
    /// Walks from each root with its tags and returns every image reached, by digest.
    pub fn images<'g>(
        &'g self,
        roots: &BTreeMap<Digest, BTreeSet<String>>,
    ) -> BTreeMap<&'g Digest, Reached<'g>> {
        let mut out: BTreeMap<&Digest, Reached> = BTreeMap::new();
        for (root, tags) in roots {
            let mut seen = BTreeSet::new();
            self.visit(root, None, tags, &mut seen, &mut out);
        }
        out
    }

    fn visit<'g>(
        &'g self,
        digest: &Digest,
        platform: Option<&'g Platform>,
        tags: &BTreeSet<String>,
        seen: &mut BTreeSet<Digest>,
        out: &mut BTreeMap<&'g Digest, Reached<'g>>,
    ) {
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
                    self.visit(child, child_platform.as_ref().or(platform), tags, seen, out);
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
