//! Fetch-through: look in the cache first, and on a miss fetch from the registry and
//! store what came back. The registry client has already verified the bytes.

use bytes::Bytes;
use tracing::trace;

use super::Cache;
use crate::image::Digest;
use crate::registry::{Fetched, RegistryClient, RegistryError};

/// A manifest by digest, from the cache or else from the registry (then cached).
pub async fn cached_manifest(
    client: &RegistryClient,
    cache: &Cache,
    repo: &str,
    digest: &Digest,
) -> Result<Fetched, RegistryError> {
    if let Some((bytes, media_type)) = cache.get_manifest(digest) {
        trace!(%digest, "manifest from the cache");
        return Ok(Fetched {
            bytes,
            digest: digest.clone(),
            media_type,
        });
    }
    let fetched = client.get_manifest(repo, digest.as_str()).await?;
    store_manifest(cache, &fetched);
    Ok(fetched)
}

/// Stores a manifest fetched some other way (by tag, when HEAD gave no digest).
pub fn store_manifest(cache: &Cache, fetched: &Fetched) {
    cache.put_manifest(
        &fetched.digest,
        &fetched.bytes,
        fetched.media_type.as_deref(),
    );
}

/// A config blob by digest, from the cache or else from the registry (then cached).
pub async fn cached_config(
    client: &RegistryClient,
    cache: &Cache,
    repo: &str,
    digest: &Digest,
    cap: usize,
) -> Result<Bytes, RegistryError> {
    if let Some(bytes) = cache.get(digest).filter(|b| b.len() <= cap) {
        trace!(%digest, "config from the cache");
        return Ok(bytes);
    }
    let bytes = client.get_blob(repo, digest, cap).await?;
    cache.put(digest, &bytes);
    Ok(bytes)
}
