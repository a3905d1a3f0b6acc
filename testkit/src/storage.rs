//! Writing a manifest straight into a [`LocalRegistry`](crate::LocalRegistry)'s filesystem
//! storage.
//!
//! Distribution 2.8 refuses, over the API, an index that names manifests the repository does
//! not hold (`MANIFEST_BLOB_UNKNOWN`). Real fixtures keep whole upstream indexes while holding
//! only a few of their children; to serve those bytes unchanged, this module stores the index
//! the way the registry's filesystem driver lays it out (blob data, revision link, tag links).
//! The registry serves it on the next request: it keeps no cache in the config we write.

use std::fs;
use std::path::{Path, PathBuf};

use crate::digest::{hex_part, sha256_digest};

/// Root of Distribution's layout inside `rootdirectory`.
const V2_ROOT: &str = "docker/registry/v2";

/// Stores `bytes` as a manifest of `repo`, tagged `tag` when given; returns its digest.
pub fn plant_manifest(
    storage: &Path,
    repo: &str,
    tag: Option<&str>,
    bytes: &[u8],
) -> anyhow::Result<String> {
    let digest = sha256_digest(bytes);
    let hex = hex_part(&digest)?;
    let root = storage.join(V2_ROOT);
    let data = root
        .join("blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    write(&data, bytes)?;
    let manifests = root.join("repositories").join(repo).join("_manifests");
    write(
        &manifests.join("revisions/sha256").join(hex).join("link"),
        digest.as_bytes(),
    )?;
    if let Some(tag) = tag {
        let tag_dir = manifests.join("tags").join(tag);
        write(&tag_dir.join("current/link"), digest.as_bytes())?;
        write(
            &tag_dir.join("index/sha256").join(hex).join("link"),
            digest.as_bytes(),
        )?;
    }
    Ok(digest)
}

fn write(path: &PathBuf, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, bytes)?;
    Ok(())
}
