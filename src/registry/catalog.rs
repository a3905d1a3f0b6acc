//! `GET /v2/_catalog`: every repository the registry lists for the caller.
//!
//! The catalog is optional in the spec (Docker Hub, GHCR and GCR do not serve it) and
//! with token auth needs scope `registry:catalog:*`.

use super::auth::Scope;
use super::client::RegistryClient;
use super::error::RegistryError;
use super::listing::PAGE_SIZE;
use super::stats::RequestKind;

/// One catalog page.
#[derive(serde::Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

impl RegistryClient {
    /// All repository names, following `Link` pagination to the end.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let mut url = self.api_url(None, &["_catalog"])?;
        url.query_pairs_mut()
            .append_pair("n", &PAGE_SIZE.to_string());
        self.list_pages(url, RequestKind::Catalog, &Scope::Catalog, parse_page)
            .await
    }
}

/// The names of one page (`repositories` may be null or missing on an empty registry).
fn parse_page(body: &[u8]) -> Result<Vec<String>, String> {
    let page: CatalogPage = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(page.repositories.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pages() {
        assert_eq!(
            parse_page(br#"{"repositories":["a","b/c"]}"#).unwrap(),
            ["a", "b/c"]
        );
        assert!(parse_page(br#"{"repositories":null}"#).unwrap().is_empty());
        assert!(parse_page(b"<html>").is_err());
    }
}
