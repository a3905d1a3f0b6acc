//! Small images for the fakes' registries: one distinct image per repository.

use crate::images::{gzip_tar, media, Blob, ConfigBuilder, ManifestBuilder};
use crate::push::push_image;

/// Pushes a one-layer linux/amd64 Docker image whose config names `repo` (so every
/// repository gets its own config digest) under `tag`; returns the manifest digest.
pub fn push_small_image(addr: &str, repo: &str, tag: &str) -> anyhow::Result<String> {
    let layer = gzip_tar(&[("etc/fake-marker", repo.as_bytes())])?;
    let config = ConfigBuilder::new("linux", "amd64")
        .label("org.example.repository", repo)
        .layer_step("COPY marker /etc/fake-marker", &layer.diff_id)
        .build();
    let image = ManifestBuilder::docker(Blob::new(media::DOCKER_CONFIG, config))
        .layer(Blob::new(media::DOCKER_LAYER_GZIP, layer.gzipped))
        .build();
    push_image(addr, repo, tag, &image, None)
}
