//! Pushing blobs and manifests over the Distribution HTTP API.
//!
//! Blobs go up in one monolithic upload (`POST /blobs/uploads/`, then `PUT <location>?digest=`)
//! after a `HEAD` shows they are missing; manifests go up with `PUT /manifests/<reference>`
//! and the exact bytes given, so the digest a test expects is the digest the registry stores.

use anyhow::{bail, Context as _};

use crate::client::{agent, v2_url, Credentials};
use crate::digest::sha256_digest;
use crate::images::{BuiltManifest, IndexBuilder};

/// Header a registry uses to report the digest of stored content.
const DIGEST_HEADER: &str = "Docker-Content-Digest";

/// Uploads `bytes` as a blob of `repo` unless it is already there; returns its digest.
pub fn push_blob(
    addr: &str,
    repo: &str,
    bytes: &[u8],
    auth: Option<&Credentials>,
) -> anyhow::Result<String> {
    let digest = sha256_digest(bytes);
    if blob_exists(addr, repo, &digest, auth)? {
        return Ok(digest);
    }
    let location = start_upload(addr, repo, auth)?;
    let sep = if location.contains('?') { '&' } else { '?' };
    let url = format!("{location}{sep}digest={digest}");
    let mut req = agent()
        .put(&url)
        .header("Content-Type", "application/octet-stream");
    if let Some(c) = auth {
        req = req.header("Authorization", c.basic_header());
    }
    let mut resp = req
        .send(bytes)
        .with_context(|| format!("PUT blob {digest} to {repo}"))?;
    if resp.status().as_u16() != 201 {
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        bail!(
            "blob upload of {digest} to {repo} answered {}: {body}",
            resp.status()
        );
    }
    Ok(digest)
}

/// Whether `repo` already holds the blob `digest`.
pub fn blob_exists(
    addr: &str,
    repo: &str,
    digest: &str,
    auth: Option<&Credentials>,
) -> anyhow::Result<bool> {
    let url = v2_url(addr, &format!("{repo}/blobs/{digest}"));
    let mut req = agent().head(&url);
    if let Some(c) = auth {
        req = req.header("Authorization", c.basic_header());
    }
    let resp = req.call().with_context(|| format!("HEAD {url}"))?;
    match resp.status().as_u16() {
        200 => Ok(true),
        404 => Ok(false),
        other => bail!("HEAD {url} answered {other}"),
    }
}

/// Opens an upload session and returns its absolute location URL.
fn start_upload(addr: &str, repo: &str, auth: Option<&Credentials>) -> anyhow::Result<String> {
    let url = v2_url(addr, &format!("{repo}/blobs/uploads/"));
    let mut req = agent().post(&url);
    if let Some(c) = auth {
        req = req.header("Authorization", c.basic_header());
    }
    let mut resp = req.send_empty().with_context(|| format!("POST {url}"))?;
    if resp.status().as_u16() != 202 {
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        bail!("POST {url} answered {}: {body}", resp.status());
    }
    let location = resp
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .context("upload answer has no Location header")?;
    Ok(absolute(addr, location))
}

/// Makes a `Location` value absolute: Distribution answers absolute URLs, others relative.
fn absolute(addr: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        format!("http://{addr}{location}")
    }
}

/// Stores `bytes` as manifest `reference` (a tag or a digest) of `repo` with `media_type`;
/// returns the SHA-256 digest of the bytes after checking the registry reported the same.
pub fn push_manifest(
    addr: &str,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
    auth: Option<&Credentials>,
) -> anyhow::Result<String> {
    let digest = sha256_digest(bytes);
    let url = v2_url(addr, &format!("{repo}/manifests/{reference}"));
    let mut req = agent().put(&url).header("Content-Type", media_type);
    if let Some(c) = auth {
        req = req.header("Authorization", c.basic_header());
    }
    let mut resp = req.send(bytes).with_context(|| format!("PUT {url}"))?;
    if resp.status().as_u16() != 201 {
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        return Err(ManifestRejected {
            url,
            status: resp.status().as_u16(),
            body,
        }
        .into());
    }
    let reported = resp
        .headers()
        .get(DIGEST_HEADER)
        .and_then(|v| v.to_str().ok());
    if reported != Some(digest.as_str()) {
        bail!("PUT {url}: registry reported digest {reported:?}, bytes hash to {digest}");
    }
    Ok(digest)
}

/// A registry refused a manifest; the body holds its error codes (e.g. `MANIFEST_BLOB_UNKNOWN`
/// when an index names manifests the repository does not hold).
#[derive(Debug)]
pub struct ManifestRejected {
    /// The manifest URL.
    pub url: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The error body answered.
    pub body: String,
}

impl std::fmt::Display for ManifestRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PUT {} answered {}: {}",
            self.url, self.status, self.body
        )
    }
}

impl std::error::Error for ManifestRejected {}

/// Pushes an image manifest's blobs, then the manifest under `reference` (tag or digest);
/// returns the manifest digest.
pub fn push_image(
    addr: &str,
    repo: &str,
    reference: &str,
    image: &BuiltManifest,
    auth: Option<&Credentials>,
) -> anyhow::Result<String> {
    push_blob(addr, repo, &image.config.bytes, auth)?;
    for layer in &image.layers {
        push_blob(addr, repo, &layer.bytes, auth)?;
    }
    push_manifest(addr, repo, reference, &image.media_type, &image.bytes, auth)
}

/// Pushes every child of `index` by digest, then the index under `tag`; returns its digest.
pub fn push_index(
    addr: &str,
    repo: &str,
    tag: &str,
    index: &IndexBuilder,
    auth: Option<&Credentials>,
) -> anyhow::Result<String> {
    for entry in index.entries() {
        push_image(addr, repo, &entry.manifest.digest(), &entry.manifest, auth)?;
    }
    push_manifest(addr, repo, tag, index.media_type(), &index.build(), auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_locations_are_made_absolute() {
        assert_eq!(
            absolute("127.0.0.1:1", "/v2/a/blobs/uploads/x"),
            "http://127.0.0.1:1/v2/a/blobs/uploads/x"
        );
        assert_eq!(absolute("h:1", "http://h:1/v2/x"), "http://h:1/v2/x");
    }
}
