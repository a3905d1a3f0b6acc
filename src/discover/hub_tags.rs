//! Docker Hub's tag listing,
//! `GET {hub}/v2/namespaces/<ns>/repositories/<name>/tags?page_size=100`, paged through
//! the absolute `next` URL in the body. Each result names a tag and, for every tag pushed
//! since Hub began recording it, the digest the tag points at: the index of a
//! multi-platform tag, the manifest otherwise. Older tags come without one.

use url::Url;

use super::api::{list_all, ApiClient, ApiPage};
use super::dockerhub::{endpoint, HUB_PAGE_SIZE};
use super::error::DiscoverError;
use super::vendor_tags::{api_digest, TagDigest};

/// One page of a repository's tags.
#[derive(serde::Deserialize)]
struct TagPage {
    #[serde(default)]
    next: Option<String>,
    results: Vec<TagEntry>,
}

#[derive(serde::Deserialize)]
struct TagEntry {
    name: String,
    #[serde(default)]
    digest: Option<String>,
}

/// The tags of `repo` (`<namespace>/<name>`, the only shape Docker Hub has), or `None`
/// for a path of another shape.
pub(crate) async fn list(
    api: &ApiClient,
    base: &Url,
    repo: &str,
) -> Result<Option<Vec<TagDigest>>, DiscoverError> {
    let Some(first) = first_page(base, repo)? else {
        return Ok(None);
    };
    list_all(api, first, parse_page).await.map(Some)
}

/// `{hub}/v2/namespaces/<ns>/repositories/<name>/tags?page_size=100`.
fn first_page(base: &Url, repo: &str) -> Result<Option<Url>, DiscoverError> {
    let Some((namespace, name)) = repo.split_once('/').filter(|(_, n)| !n.contains('/')) else {
        return Ok(None);
    };
    let segments = ["v2", "namespaces", namespace, "repositories", name, "tags"];
    let mut url = endpoint(base, &segments)?;
    url.query_pairs_mut()
        .append_pair("page_size", &HUB_PAGE_SIZE.to_string());
    Ok(Some(url))
}

/// Tags and digests on one page, and the `next` URL.
fn parse_page(page: &ApiPage) -> Result<(Vec<TagDigest>, Option<String>), DiscoverError> {
    let parsed: TagPage = serde_json::from_slice(&page.body)
        .map_err(|e| DiscoverError::malformed(&page.url, e.to_string()))?;
    let tags = parsed
        .results
        .into_iter()
        .map(|entry| TagDigest {
            digest: entry.digest.as_deref().and_then(api_digest),
            tag: entry.name,
        })
        .collect();
    Ok((tags, parsed.next.filter(|n| !n.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn builds_the_tags_url_for_two_segment_paths_only() {
        let base = Url::parse("https://hub.docker.com").unwrap();
        assert_eq!(
            first_page(&base, "library/nginx")
                .unwrap()
                .unwrap()
                .as_str(),
            "https://hub.docker.com/v2/namespaces/library/repositories/nginx/tags?page_size=100"
        );
        assert!(first_page(&base, "a/b/c").unwrap().is_none());
        assert!(first_page(&base, "nginx").unwrap().is_none());
    }

    #[test]
    fn reads_tags_digests_and_next() {
        let body = format!(
            r#"{{"count":3,"next":"https://hub.docker.com/x?page=2","results":[
                {{"name":"1.0","digest":"{DIGEST}","images":[]}},
                {{"name":"old","images":[]}},
                {{"name":"odd","digest":"md5:zz"}}]}}"#
        );
        let page = ApiPage {
            url: Url::parse("https://hub.docker.com/v2/namespaces/a/repositories/b/tags").unwrap(),
            body: body.into_bytes().into(),
            link_next: None,
        };
        let (tags, next) = parse_page(&page).unwrap();
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[0].tag, "1.0");
        assert_eq!(tags[0].digest.as_ref().unwrap().as_str(), DIGEST);
        assert_eq!(
            tags[1].digest, None,
            "a tag without a digest is HEADed instead"
        );
        assert_eq!(tags[2].digest, None, "an unusable digest is HEADed instead");
        assert!(next.unwrap().ends_with("page=2"));
    }

    #[test]
    fn a_page_that_is_not_a_tag_page_is_an_error() {
        let page = ApiPage {
            url: Url::parse("https://hub.docker.com/v2/x").unwrap(),
            body: br#"{"message":"object not found"}"#.to_vec().into(),
            link_next: None,
        };
        assert_eq!(parse_page(&page).unwrap_err().kind(), "bad response");
    }
}
