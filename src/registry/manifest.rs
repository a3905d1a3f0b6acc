//! `HEAD` and `GET /v2/<repo>/manifests/<reference>`.
//!
//! The digest of a manifest is the SHA-256 of the exact bytes served. It is checked
//! against `Docker-Content-Digest` when the registry sends one and against the reference
//! when the reference is a digest; either mismatch rejects the body.

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::Method;

use super::accept::manifest_accept;
use super::auth::Scope;
use super::client::RegistryClient;
use super::error::RegistryError;
use super::redact::redact_url;
use super::stats::RequestKind;
use super::transport::read_capped;
use crate::image::Digest;
use crate::reference::is_tag;

/// Manifest body cap: the spec lets registries refuse manifests above 4 MiB.
pub const MANIFEST_CAP: usize = 4 * 1024 * 1024;
/// The registry's digest header.
const DIGEST_HEADER: &str = "docker-content-digest";
/// Algorithm prefix of digests nuccrawl can verify.
const SHA256_PREFIX: &str = "sha256:";

/// What a manifest HEAD reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadInfo {
    /// `Docker-Content-Digest`, when present and a valid sha256 digest.
    pub digest: Option<Digest>,
    /// `Content-Type`, without parameters.
    pub media_type: Option<String>,
    /// `Content-Length`.
    pub size: Option<u64>,
}

/// A manifest as served.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The exact bytes.
    pub bytes: Bytes,
    /// SHA-256 of `bytes`.
    pub digest: Digest,
    /// `Content-Type`, without parameters.
    pub media_type: Option<String>,
}

impl RegistryClient {
    /// HEADs a manifest. `Ok(None)` when the registry does not support HEAD (405).
    pub async fn head_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Option<HeadInfo>, RegistryError> {
        let url = self.manifest_url(repo, reference)?;
        let scope = Scope::Repository(repo.to_string());
        let answer = match self
            .send(
                Method::HEAD,
                url,
                RequestKind::Head,
                Some(accept_value()),
                &scope,
            )
            .await
        {
            Err(e) if e.status() == Some(405) => {
                tracing::debug!("{e}: HEAD unsupported, caller falls back to GET");
                return Ok(None);
            }
            other => other?,
        };
        let headers = answer.response.headers();
        Ok(Some(HeadInfo {
            digest: header_digest(headers).and_then(|h| h.parse().ok()),
            media_type: media_type(headers),
            size: headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok()),
        }))
    }

    /// GETs a manifest with the full `Accept` list and verifies its digest.
    pub async fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Fetched, RegistryError> {
        let url = self.manifest_url(repo, reference)?;
        let scope = Scope::Repository(repo.to_string());
        let answer = self
            .send(
                Method::GET,
                url,
                RequestKind::ManifestGet,
                Some(accept_value()),
                &scope,
            )
            .await?;
        let header = header_digest(answer.response.headers());
        let media_type = media_type(answer.response.headers());
        let url = answer.url.clone();
        let bytes = read_capped(answer, MANIFEST_CAP).await?;
        let digest = Digest::of(&bytes);
        if let Some(header) = header.filter(|h| h.starts_with(SHA256_PREFIX)) {
            if header != digest.as_str() {
                return Err(RegistryError::HeaderDigestMismatch {
                    url: redact_url(&url),
                    header,
                    actual: digest.to_string(),
                });
            }
        }
        if reference.starts_with(SHA256_PREFIX) && reference != digest.as_str() {
            return Err(RegistryError::DigestMismatch {
                url: redact_url(&url),
                expected: reference.to_string(),
                actual: digest.to_string(),
            });
        }
        Ok(Fetched {
            bytes,
            digest,
            media_type,
        })
    }

    /// The manifest URL, after checking the reference is a tag or a digest.
    fn manifest_url(&self, repo: &str, reference: &str) -> Result<url::Url, RegistryError> {
        if !is_tag(reference) && reference.parse::<Digest>().is_err() {
            return Err(self.invalid_name(reference));
        }
        self.api_url(Some(repo), &["manifests", reference])
    }
}

/// The `Accept` header value for manifests.
fn accept_value() -> HeaderValue {
    HeaderValue::from_str(&manifest_accept()).expect("media types are valid header text")
}

/// `Docker-Content-Digest`, trimmed.
fn header_digest(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(DIGEST_HEADER)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// `Content-Type` without parameters such as `charset`.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let bare = value.split(';').next().unwrap_or_default().trim();
    (!bare.is_empty()).then(|| bare.to_string())
}
