//! Small read calls against a test registry, for assertions: catalog, tag list, manifest
//! digest.

use anyhow::{bail, Context as _};

use crate::client::{agent, v2_url, Credentials};

/// Page size asked of `/v2/_catalog`: Distribution accepts up to 1000 per page.
const CATALOG_PAGE: usize = 1000;

/// Every `Accept` type a manifest GET should offer (indexes included).
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// GETs `/v2/PATH` and returns the body, failing on any status but 200.
pub fn get(addr: &str, path: &str, auth: Option<&Credentials>) -> anyhow::Result<Vec<u8>> {
    let url = v2_url(addr, path);
    let mut req = agent().get(&url).header("Accept", MANIFEST_ACCEPT);
    if let Some(c) = auth {
        req = req.header("Authorization", c.basic_header());
    }
    let mut resp = req.call().with_context(|| format!("GET {url}"))?;
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()?;
    if resp.status().as_u16() != 200 {
        bail!(
            "GET {url} answered {}: {}",
            resp.status(),
            String::from_utf8_lossy(&body)
        );
    }
    Ok(body)
}

/// The repositories of the registry's catalog (first page of up to 1000).
pub fn catalog(addr: &str, auth: Option<&Credentials>) -> anyhow::Result<Vec<String>> {
    let body = get(addr, &format!("_catalog?n={CATALOG_PAGE}"), auth)?;
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    strings(&v["repositories"])
}

/// The tags of `repo`, sorted (Distribution returns them unsorted).
pub fn tags(addr: &str, repo: &str, auth: Option<&Credentials>) -> anyhow::Result<Vec<String>> {
    let body = get(addr, &format!("{repo}/tags/list"), auth)?;
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    let mut tags = strings(&v["tags"])?;
    tags.sort();
    Ok(tags)
}

/// The raw manifest stored under `reference` in `repo`.
pub fn manifest(
    addr: &str,
    repo: &str,
    reference: &str,
    auth: Option<&Credentials>,
) -> anyhow::Result<Vec<u8>> {
    get(addr, &format!("{repo}/manifests/{reference}"), auth)
}

fn strings(v: &serde_json::Value) -> anyhow::Result<Vec<String>> {
    match v {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).context("non-string entry"))
            .collect(),
        other => bail!("expected a list, got {other}"),
    }
}
