//! Bulk content for benchmarks: `repos` repositories × `tags_per_repo` tags of generated
//! images, `tags_per_image` tags per image ([`TAGS_PER_IMAGE`] by default), every [`INDEX_EVERY`]th image a two-platform
//! index. Pushed over HTTP by a few threads, one repository at a time per thread.
//!
//! [`BulkStats`] says what a full crawl must fetch at least, so a benchmark can compare
//! the requests made with the minimum.

use std::sync::Mutex;

use anyhow::Context as _;

use crate::images::{
    gzip_tar, media, Blob, BuiltManifest, ConfigBuilder, IndexBuilder, IndexEntry, ManifestBuilder,
};
use crate::parallel::each_index;
use crate::push::{push_blob, push_index, push_manifest};

/// Tags pointing at each image: nightly builds typically carry a version, a minor, a
/// major and a moving tag.
pub const TAGS_PER_IMAGE: usize = 4;
/// One image in this many is a multi-platform index (linux/amd64 + linux/arm64).
pub const INDEX_EVERY: usize = 10;
/// Pushing threads: the local registry is CPU-bound well before this.
const PUSH_THREADS: usize = 4;

/// What was pushed, and so what a crawl of every repository must fetch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BulkStats {
    /// Repositories.
    pub repos: usize,
    /// Tags, over all repositories.
    pub tags: usize,
    /// Distinct manifests (indexes and image manifests).
    pub manifests: usize,
    /// Distinct configs.
    pub configs: usize,
    /// Runnable images, i.e. assets a crawl writes.
    pub images: usize,
}

/// Pushes `repos` × `tags_per_repo` tags to the anonymous registry at `addr`; the
/// repositories are `bulk/r0000`, `bulk/r0001`, … ([`repo_name`]).
pub fn load_bulk(
    addr: &str,
    repos: usize,
    tags_per_repo: usize,
    tags_per_image: usize,
) -> anyhow::Result<BulkStats> {
    let per_image = tags_per_image.max(1);
    let total = Mutex::new(BulkStats::default());
    each_index(repos, PUSH_THREADS, |r| {
        let stats = push_repo(addr, r, tags_per_repo, per_image)?;
        add(&mut total.lock().expect("not poisoned"), stats);
        Ok(())
    })?;
    Ok(total.into_inner().expect("not poisoned"))
}

fn add(total: &mut BulkStats, s: BulkStats) {
    total.repos += s.repos;
    total.tags += s.tags;
    total.manifests += s.manifests;
    total.configs += s.configs;
    total.images += s.images;
}

/// The namespace (first path segment) of every bulk repository.
pub const BULK_NAMESPACE: &str = "bulk";

/// The repository path of bulk repository `r`.
pub fn repo_name(r: usize) -> String {
    format!("{BULK_NAMESPACE}/r{r:04}")
}

fn push_repo(addr: &str, r: usize, tags: usize, per_image: usize) -> anyhow::Result<BulkStats> {
    let repo = repo_name(r);
    let layer = gzip_tar(&[("etc/bulk-marker", repo.as_bytes())])?;
    let layer_blob = Blob::new(media::OCI_LAYER_GZIP, layer.gzipped.clone());
    push_blob(addr, &repo, &layer.gzipped, None).with_context(|| format!("layer of {repo}"))?;
    let mut stats = BulkStats {
        repos: 1,
        ..BulkStats::default()
    };
    for i in 0..tags.div_ceil(per_image) {
        let names: Vec<String> = (i * per_image..((i + 1) * per_image).min(tags))
            .map(|n| format!("t{n:05}"))
            .collect();
        let image = |arch: &str| {
            let cfg = ConfigBuilder::new("linux", arch)
                .env(&format!("BULK_IMAGE={repo}/{i}"))
                .layer_step("COPY marker /etc/bulk-marker", &layer.diff_id)
                .cmd(&["/bin/sh"]);
            ManifestBuilder::oci(Blob::new(media::OCI_CONFIG, cfg.build()))
                .layer(layer_blob.clone())
                .build()
        };
        let (bytes, media_type) = if i % INDEX_EVERY == 0 {
            let index = IndexBuilder::oci()
                .entry(IndexEntry::new(image("amd64"), "linux", "amd64", None))
                .entry(IndexEntry::new(
                    image("arm64"),
                    "linux",
                    "arm64",
                    Some("v8"),
                ));
            push_index(addr, &repo, &names[0], &index, None)?;
            stats.manifests += 3;
            stats.configs += 2;
            stats.images += 2;
            (index.build(), index.media_type().to_string())
        } else {
            let m: BuiltManifest = image("amd64");
            push_blob(addr, &repo, &m.config.bytes, None)?;
            push_manifest(addr, &repo, &names[0], &m.media_type, &m.bytes, None)?;
            stats.manifests += 1;
            stats.configs += 1;
            stats.images += 1;
            (m.bytes, m.media_type)
        };
        for tag in &names[1..] {
            push_manifest(addr, &repo, tag, &media_type, &bytes, None)?;
        }
        stats.tags += names.len();
    }
    Ok(stats)
}
