//! `GET /v2/<repo>/blobs/<digest>`: small blobs (image configs), verified by digest.
//!
//! Blobs are often answered with a redirect to object storage on another host; the
//! transport follows it without the `Authorization` header. Every blob is verified
//! against its digest: broken mirrors have served the same HTML page for every digest.

use bytes::Bytes;
use reqwest::Method;

use super::auth::Scope;
use super::client::RegistryClient;
use super::error::RegistryError;
use super::redact::redact_url;
use super::stats::RequestKind;
use super::transport::read_capped;
use crate::image::Digest;

/// Config blob cap: configs rarely exceed 1 MiB, but images with thousands of history
/// entries or large labels reach several; 8 MiB keeps those and still bounds memory.
pub const CONFIG_CAP: usize = 8 * 1024 * 1024;

impl RegistryClient {
    /// Fetches a blob of at most `cap` bytes and checks it hashes to `digest`.
    pub async fn get_blob(
        &self,
        repo: &str,
        digest: &Digest,
        cap: usize,
    ) -> Result<Bytes, RegistryError> {
        let url = self.api_url(Some(repo), &["blobs", digest.as_str()])?;
        let scope = Scope::Repository(repo.to_string());
        let answer = self
            .send(Method::GET, url, RequestKind::BlobGet, None, &scope)
            .await?;
        let url = answer.url.clone();
        let bytes = read_capped(answer, cap).await?;
        let actual = Digest::of(&bytes);
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                url: redact_url(&url),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}
