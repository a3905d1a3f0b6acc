//! GHCR tags through GitHub's package versions,
//! `GET {api}/<orgs|users>/<owner>/packages/container/<package>/versions?per_page=100`,
//! paged through `Link` headers. Each version is one manifest or index: its `name` is the
//! digest and `metadata.container.tags` the tags pointing at it (none for an untagged
//! version). A nested package (`team/api`) is one percent-encoded path segment.

use url::Url;

use super::api::{list_all, ApiClient, ApiPage};
use super::dockerhub::endpoint;
use super::error::DiscoverError;
use super::github::GITHUB_PAGE_SIZE;
use super::vendor_tags::{api_digest, TagDigest};

/// Whose namespace a GitHub owner is: the API has a path for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnerKind {
    /// `/orgs/<owner>/…`.
    Org,
    /// `/users/<owner>/…`.
    User,
}

impl OwnerKind {
    fn segment(self) -> &'static str {
        match self {
            OwnerKind::Org => "orgs",
            OwnerKind::User => "users",
        }
    }
}

/// One package version; other fields are ignored.
#[derive(serde::Deserialize)]
struct Version {
    name: String,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(serde::Deserialize)]
struct Metadata {
    #[serde(default)]
    container: Option<Container>,
}

#[derive(serde::Deserialize)]
struct Container {
    #[serde(default)]
    tags: Vec<String>,
}

/// Every tag of `package` under `owner`, each with its version's digest.
pub(crate) async fn list(
    api: &ApiClient,
    base: &Url,
    kind: OwnerKind,
    owner: &str,
    package: &str,
) -> Result<Vec<TagDigest>, DiscoverError> {
    list_all(api, versions_url(base, kind, owner, package)?, parse_page).await
}

/// `{api}/<orgs|users>/<owner>/packages/container/<package>/versions?per_page=100`.
fn versions_url(
    base: &Url,
    kind: OwnerKind,
    owner: &str,
    package: &str,
) -> Result<Url, DiscoverError> {
    let segments = [
        kind.segment(),
        owner,
        "packages",
        "container",
        package,
        "versions",
    ];
    let mut url = endpoint(base, &segments)?;
    url.query_pairs_mut()
        .append_pair("per_page", &GITHUB_PAGE_SIZE.to_string());
    Ok(url)
}

/// The tags on one page of versions, and the `Link` next target.
fn parse_page(page: &ApiPage) -> Result<(Vec<TagDigest>, Option<String>), DiscoverError> {
    let versions: Vec<Version> = serde_json::from_slice(&page.body)
        .map_err(|e| DiscoverError::malformed(&page.url, e.to_string()))?;
    let tags = versions
        .into_iter()
        .flat_map(|version| {
            let digest = api_digest(&version.name);
            let tags = version
                .metadata
                .and_then(|m| m.container)
                .map(|c| c.tags)
                .unwrap_or_default();
            tags.into_iter().map(move |tag| TagDigest {
                tag,
                digest: digest.clone(),
            })
        })
        .collect();
    Ok((tags, page.link_next.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn encodes_nested_package_names_as_one_segment() {
        let base = Url::parse("https://api.github.com").unwrap();
        let url = versions_url(&base, OwnerKind::Org, "acme", "team/api").unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.github.com/orgs/acme/packages/container/team%2Fapi/versions?per_page=100"
        );
        let ghes = Url::parse("https://github.example/api/v3").unwrap();
        let url = versions_url(&ghes, OwnerKind::User, "bob", "web").unwrap();
        assert_eq!(
            url.as_str(),
            "https://github.example/api/v3/users/bob/packages/container/web/versions?per_page=100"
        );
    }

    #[test]
    fn every_tag_of_a_version_gets_its_digest_and_untagged_versions_none() {
        let body = format!(
            r#"[{{"id":1,"name":"{A}","metadata":{{"package_type":"container","container":{{"tags":["1.0","latest"]}}}}}},
                {{"id":2,"name":"{B}","metadata":{{"package_type":"container","container":{{"tags":[]}}}}}}]"#
        );
        let page = ApiPage {
            url: Url::parse("https://api.github.com/orgs/a/packages/container/b/versions").unwrap(),
            body: body.into_bytes().into(),
            link_next: Some("https://api.github.com/x?page=2".into()),
        };
        let (tags, next) = parse_page(&page).unwrap();
        let pairs: Vec<(&str, &str)> = tags
            .iter()
            .map(|t| (t.tag.as_str(), t.digest.as_ref().unwrap().as_str()))
            .collect();
        assert_eq!(pairs, [("1.0", A), ("latest", A)]);
        assert!(next.is_some());
    }
}
