//! Tag → digest as a registry resolves them, read from a real registry so tests and the
//! benchmark can feed vendor fakes (Docker Hub's tags, GitHub's package versions) with
//! the digests of content actually pushed.

use anyhow::{bail, Context as _};

use crate::client::{agent, v2_url};
use crate::query::{self, MANIFEST_ACCEPT};

/// Header a registry uses to report the digest of stored content.
const DIGEST_HEADER: &str = "Docker-Content-Digest";

/// Every tag of `repo` on the anonymous registry at `addr` (`127.0.0.1:PORT`) with the
/// digest it resolves to, sorted by tag: the tag list, then a `HEAD` per tag offering
/// every manifest and index type, read from `Docker-Content-Digest`. An index's tag
/// gives the index digest, as the vendors' APIs do.
pub fn registry_tag_digests(addr: &str, repo: &str) -> anyhow::Result<Vec<(String, String)>> {
    query::tags(addr, repo, None)?
        .into_iter()
        .map(|tag| {
            let digest = head_digest(addr, repo, &tag)?;
            Ok((tag, digest))
        })
        .collect()
}

/// The `Docker-Content-Digest` of `HEAD /v2/<repo>/manifests/<tag>`.
fn head_digest(addr: &str, repo: &str, tag: &str) -> anyhow::Result<String> {
    let url = v2_url(addr, &format!("{repo}/manifests/{tag}"));
    let resp = agent()
        .head(&url)
        .header("Accept", MANIFEST_ACCEPT)
        .call()
        .with_context(|| format!("HEAD {url}"))?;
    if resp.status().as_u16() != 200 {
        bail!("HEAD {url} answered {}", resp.status());
    }
    let digest = resp
        .headers()
        .get(DIGEST_HEADER)
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("HEAD {url} gave no {DIGEST_HEADER}"))?;
    Ok(digest.to_string())
}
