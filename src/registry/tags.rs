//! `GET /v2/<repo>/tags/list`: every tag of a repository.
//!
//! Distribution 2.8 ignores `n`/`last` here and returns tags unsorted; the order of the
//! answer is kept as served.

use super::auth::Scope;
use super::client::RegistryClient;
use super::error::RegistryError;
use super::listing::PAGE_SIZE;
use super::stats::RequestKind;

/// One tag-list page.
#[derive(serde::Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl RegistryClient {
    /// All tags of `repo`, following `Link` pagination to the end.
    pub async fn tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        let mut url = self.api_url(Some(repo), &["tags", "list"])?;
        url.query_pairs_mut()
            .append_pair("n", &PAGE_SIZE.to_string());
        let scope = Scope::Repository(repo.to_string());
        self.list_pages(url, RequestKind::Tags, &scope, parse_page)
            .await
    }
}

/// The tags of one page (`tags` is null for a repository whose tags were all deleted).
fn parse_page(body: &[u8]) -> Result<Vec<String>, String> {
    let page: TagsPage = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(page.tags.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pages() {
        assert_eq!(
            parse_page(br#"{"name":"r","tags":["1","latest"]}"#).unwrap(),
            ["1", "latest"]
        );
        assert!(parse_page(br#"{"name":"r","tags":null}"#)
            .unwrap()
            .is_empty());
        assert!(parse_page(b"\"text\"").is_err());
    }
}
