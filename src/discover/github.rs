//! GHCR: an owner's container packages through the GitHub REST API,
//! `GET {api}/orgs/<owner>/packages?package_type=container&per_page=100`, falling back to
//! `/users/<owner>/packages?…` when the organisation endpoint answers 404, paged through
//! `Link` headers. The API needs a token with `read:packages` even for public packages:
//! `GITHUB_TOKEN`, or whatever credential the keychain holds for the registry.
//!
//! A package name with slashes (`team/api`) is the nested repository `<owner>/team/api`.
//! `--github-api https://HOST/api/v3` serves GitHub Enterprise Server.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT};
use url::Url;

use super::api::{list_all, ApiClient, ApiPage};
use super::dockerhub::endpoint;
use super::error::DiscoverError;
use super::secret::user_secret;
use super::{literal_first_segment, Context};
use crate::reference::{Registry, RepoPattern};
use crate::registry::redact::redact_url;

/// Packages per page: the API's maximum `per_page`.
pub const GITHUB_PAGE_SIZE: usize = 100;
/// The name GitHub API requests are counted under.
const GITHUB_API: &str = "github_api";
/// The media type GitHub documents for its REST API.
const GITHUB_ACCEPT: &str = "application/vnd.github+json";
/// The REST API version whose packages endpoints this module reads.
const GITHUB_API_VERSION: &str = "2022-11-28";

/// One package of a listing page; other fields are ignored.
#[derive(serde::Deserialize)]
struct Package {
    name: String,
}

/// The owner's container packages as repository paths `<owner>/<package>`.
pub async fn list(
    registry: &Registry,
    pattern: &RepoPattern,
    ctx: &Context<'_>,
) -> Result<Vec<String>, DiscoverError> {
    let owner = literal_first_segment(pattern).ok_or_else(|| DiscoverError::NeedsOwner {
        pattern: format!("{registry}/{}", pattern.as_str()),
    })?;
    let api = connect(registry, ctx)
        .await?
        .ok_or_else(|| DiscoverError::GithubTokenMissing {
            registry: registry.name().to_string(),
            owner: owner.to_string(),
        })?;
    let packages = owner_packages(&api, &ctx.options.github_api, owner).await?;
    Ok(packages
        .into_iter()
        .map(|name| format!("{owner}/{name}"))
        .collect())
}

/// A client for GitHub's REST API with the token stored for `registry`; `None` without
/// one, since the packages API does not answer anonymously.
pub(crate) async fn connect(
    registry: &Registry,
    ctx: &Context<'_>,
) -> Result<Option<ApiClient>, DiscoverError> {
    let Some(token) = user_secret(ctx.keychain, registry.name()).await? else {
        return Ok(None);
    };
    let mut api = ApiClient::new(
        &ctx.options.github_api,
        ctx.client,
        headers(),
        (GITHUB_API, ctx.tally),
    )?;
    api.set_bearer(&token.secret)?;
    Ok(Some(api))
}

/// The organisation's packages, else the user's.
async fn owner_packages(
    api: &ApiClient,
    base: &Url,
    owner: &str,
) -> Result<Vec<String>, DiscoverError> {
    let org = packages_url(base, "orgs", owner)?;
    match list_all(api, org, parse_page).await {
        Err(e) if e.status() == Some(404) => {
            tracing::debug!(owner, "no such organisation; trying the user's packages");
        }
        other => return other,
    }
    let user = packages_url(base, "users", owner)?;
    match list_all(api, user.clone(), parse_page).await {
        Err(e) if e.status() == Some(404) => Err(DiscoverError::OwnerNotFound {
            url: redact_url(&user),
            owner: owner.to_string(),
        }),
        other => other,
    }
}

/// The headers GitHub documents for REST calls.
fn headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static(GITHUB_ACCEPT));
    headers.insert(
        HeaderName::from_static("x-github-api-version"),
        HeaderValue::from_static(GITHUB_API_VERSION),
    );
    headers
}

/// `{api}/<kind>/<owner>/packages?package_type=container&per_page=100`.
fn packages_url(base: &Url, kind: &str, owner: &str) -> Result<Url, DiscoverError> {
    let mut url = endpoint(base, &[kind, owner, "packages"])?;
    url.query_pairs_mut()
        .append_pair("package_type", "container")
        .append_pair("per_page", &GITHUB_PAGE_SIZE.to_string());
    Ok(url)
}

/// Package names on one page and the `Link` next target.
fn parse_page(page: &ApiPage) -> Result<(Vec<String>, Option<String>), DiscoverError> {
    let packages: Vec<Package> = serde_json::from_slice(&page.body)
        .map_err(|e| DiscoverError::malformed(&page.url, e.to_string()))?;
    let names = packages.into_iter().map(|p| p.name).collect();
    Ok((names, page.link_next.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_package_urls_for_github_and_enterprise() {
        let gh = Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            packages_url(&gh, "orgs", "acme").unwrap().as_str(),
            "https://api.github.com/orgs/acme/packages?package_type=container&per_page=100"
        );
        let ghes = Url::parse("https://github.example/api/v3").unwrap();
        assert_eq!(
            packages_url(&ghes, "users", "bob").unwrap().as_str(),
            "https://github.example/api/v3/users/bob/packages?package_type=container&per_page=100"
        );
    }

    #[test]
    fn reads_names_and_keeps_slashes() {
        let page = ApiPage {
            url: Url::parse("https://api.github.com/orgs/acme/packages").unwrap(),
            body:
                br#"[{"id":1,"name":"team/api","package_type":"container"},{"id":2,"name":"web"}]"#
                    .to_vec()
                    .into(),
            link_next: Some("https://api.github.com/orgs/acme/packages?page=2".into()),
        };
        let (names, next) = parse_page(&page).unwrap();
        assert_eq!(names, ["team/api", "web"]);
        assert!(next.is_some());
        let bad = ApiPage {
            body: br#"{"message":"Not Found"}"#.to_vec().into(),
            ..page
        };
        assert_eq!(parse_page(&bad).unwrap_err().kind(), "bad response");
    }
}
