//! One image's asset: platform from the index entry then the config, distro from the
//! config, tags from the graph, digests and bodies from the exact bytes served.

use std::collections::BTreeSet;

use super::reason::chain;
use crate::asset::Asset;
use crate::config::Config;
use crate::derive::{distro, platform};
use crate::image::{config as image_config, Digest, Platform};
use crate::reference::{output_repo_name, Registry};

/// Everything known about one image when its config has arrived.
#[derive(Debug)]
pub struct ImageInput<'a> {
    /// Where it lives.
    pub registry: &'a Registry,
    /// Full repository path.
    pub repo: &'a str,
    /// Manifest digest (of `manifest_bytes`).
    pub manifest_digest: &'a Digest,
    /// Exact manifest bytes.
    pub manifest_bytes: &'a [u8],
    /// Config digest (verified against `config_bytes` by the client).
    pub config_digest: &'a Digest,
    /// Exact config bytes.
    pub config_bytes: &'a [u8],
    /// Platform from the index entry, when the image came through an index.
    pub entry_platform: Option<&'a Platform>,
    /// Tags reaching the image.
    pub tags: &'a BTreeSet<String>,
}

/// The asset, `Ok(None)` when `--platform` leaves it out, or why the image is refused.
pub fn assemble(input: &ImageInput<'_>, config: &Config) -> Result<Option<Asset>, String> {
    let parsed = image_config::parse(input.config_bytes)
        .map_err(|e| format!("config {}: {}", input.config_digest, chain(&e)))?;
    let platform = platform::resolve(input.entry_platform, &parsed);
    if !config.platforms.is_empty() && !config.platforms.iter().any(|f| f.matches(&platform)) {
        return Ok(None);
    }
    let text = |bytes: &[u8], what: &str| {
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what} is not valid UTF-8"))
    };
    let manifest_text = text(input.manifest_bytes, "manifest")?;
    let config_text = text(input.config_bytes, "config")?;
    let (image_manifest, image_config) = if config.embed_bodies {
        (Some(manifest_text), Some(config_text))
    } else {
        (None, None)
    };
    Ok(Some(Asset {
        image_repo: output_repo_name(input.registry, input.repo).to_owned(),
        image_manifest_digest: Some(input.manifest_digest.to_string()),
        image_config_digest: Some(input.config_digest.to_string()),
        image_tags: input.tags.iter().cloned().collect(),
        image_registry: Some(input.registry.name().to_owned()),
        image_distro: distro::distro(&parsed),
        image_platform_os: platform.os,
        image_platform_arch: platform.architecture,
        image_platform_os_version: platform.os_version,
        image_platform_os_features: platform.os_features,
        image_platform_arch_variant: platform.variant,
        image_platform_arch_features: platform.features,
        image_manifest,
        image_config,
        ..Asset::default()
    }))
}
