//! Docker Hub: `GET {hub}/v2/namespaces/<ns>/repositories?page_size=100`, paged through
//! the absolute `next` URL in the body.
//!
//! With Docker Hub credentials (a user and a personal access token, from any credential
//! source for `docker.io`) nuccrawl first logs in with `POST {hub}/v2/auth/token`
//! `{"identifier", "secret"}` and sends the returned `access_token` as a Bearer token, so
//! private repositories are listed too; the older `/v2/users/login` is deprecated by
//! Docker. Without credentials only public repositories are listed.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use url::Url;

use super::api::{list_all, ApiClient, ApiPage};
use super::error::DiscoverError;
use super::secret::{user_secret, UserSecret};
use super::{literal_first_segment, Context};
use crate::reference::{Registry, RepoPattern};
use crate::registry::redact::redact_url;

/// Repositories per page: Docker Hub's maximum `page_size`.
pub const HUB_PAGE_SIZE: usize = 100;
/// The name Docker Hub API requests are counted under.
const HUB_API: &str = "hub_api";

/// Docker Hub access tokens of this run by account, so discovery and the tag listing
/// log in once between them. Kept in memory only.
#[derive(Default)]
pub struct HubTokens {
    by_user: Mutex<HashMap<String, String>>,
}

impl HubTokens {
    fn get(&self, username: &str) -> Option<String> {
        self.lock().get(username).cloned()
    }

    fn put(&self, username: &str, token: &str) {
        self.lock().insert(username.to_owned(), token.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A map of strings cannot be left half-written by a panic elsewhere.
        self.by_user.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for HubTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HubTokens(..)")
    }
}

/// One page of the namespace listing.
#[derive(serde::Deserialize)]
struct RepositoryPage {
    #[serde(default)]
    next: Option<String>,
    results: Vec<RepositoryEntry>,
}

#[derive(serde::Deserialize)]
struct RepositoryEntry {
    name: String,
}

/// The answer of `/v2/auth/token`.
#[derive(serde::Deserialize)]
struct AccessToken {
    access_token: String,
}

/// The repositories of the pattern's namespace, as `<ns>/<name>`.
pub async fn list(
    registry: &Registry,
    pattern: &RepoPattern,
    ctx: &Context<'_>,
) -> Result<Vec<String>, DiscoverError> {
    let namespace =
        literal_first_segment(pattern).ok_or_else(|| DiscoverError::NeedsNamespace {
            pattern: format!("{registry}/{}", pattern.as_str()),
        })?;
    let api = connect(registry, ctx).await?;
    let base = &ctx.options.hub_api;
    let first = page_url(base, namespace)?;
    let names = list_all(&api, first, parse_page).await?;
    Ok(names
        .into_iter()
        .map(|name| format!("{namespace}/{name}"))
        .collect())
}

/// A client for Docker Hub's API, logged in when the keychain holds credentials for
/// `registry` (then private repositories and their tags are visible too).
pub(crate) async fn connect(
    registry: &Registry,
    ctx: &Context<'_>,
) -> Result<ApiClient, DiscoverError> {
    let base = &ctx.options.hub_api;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut api = ApiClient::new(base, ctx.client, headers, (HUB_API, ctx.tally))?;
    match user_secret(ctx.keychain, registry.name()).await? {
        Some(secret) => {
            let token = match ctx.hub_tokens.get(&secret.username) {
                Some(token) => token,
                None => {
                    let token = log_in(&api, base, &secret).await?;
                    ctx.hub_tokens.put(&secret.username, &token);
                    token
                }
            };
            api.set_bearer(&token)?;
        }
        None => tracing::debug!("no Docker Hub credentials; using the API anonymously"),
    }
    Ok(api)
}

/// Trades the user and access token for a short-lived Bearer token.
async fn log_in(api: &ApiClient, base: &Url, user: &UserSecret) -> Result<String, DiscoverError> {
    let url = endpoint(base, &["v2", "auth", "token"])?;
    let body = serde_json::json!({ "identifier": user.username, "secret": user.secret });
    let page = api.post_json(&url, &body).await.map_err(|e| match e {
        DiscoverError::Status {
            status: status @ (401 | 403),
            message,
            ..
        } => DiscoverError::HubLogin {
            url: redact_url(&url),
            username: user.username.clone(),
            status,
            message,
        },
        other => other,
    })?;
    let token: AccessToken = serde_json::from_slice(&page.body)
        .map_err(|e| DiscoverError::malformed(&url, format!("login answer: {e}")))?;
    tracing::debug!(username = user.username, "logged in to Docker Hub's API");
    Ok(token.access_token)
}

/// `{hub}/v2/namespaces/<ns>/repositories?page_size=100`.
fn page_url(base: &Url, namespace: &str) -> Result<Url, DiscoverError> {
    let mut url = endpoint(base, &["v2", "namespaces", namespace, "repositories"])?;
    url.query_pairs_mut()
        .append_pair("page_size", &HUB_PAGE_SIZE.to_string());
    Ok(url)
}

/// `base` with `segments` appended to its path.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, DiscoverError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| DiscoverError::BadApiUrl {
            url: redact_url(base),
            reason: "not a base URL".into(),
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Names on one page and the `next` URL.
fn parse_page(page: &ApiPage) -> Result<(Vec<String>, Option<String>), DiscoverError> {
    let parsed: RepositoryPage = serde_json::from_slice(&page.body)
        .map_err(|e| DiscoverError::malformed(&page.url, e.to_string()))?;
    let names = parsed.results.into_iter().map(|r| r.name).collect();
    Ok((names, parsed.next.filter(|n| !n.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_listing_url_under_any_base() {
        let base = Url::parse("https://hub.docker.com").unwrap();
        assert_eq!(
            page_url(&base, "myteam").unwrap().as_str(),
            "https://hub.docker.com/v2/namespaces/myteam/repositories?page_size=100"
        );
        let prefixed = Url::parse("http://127.0.0.1:9/hub/").unwrap();
        assert_eq!(
            page_url(&prefixed, "x").unwrap().as_str(),
            "http://127.0.0.1:9/hub/v2/namespaces/x/repositories?page_size=100"
        );
    }

    #[test]
    fn reads_names_and_next() {
        let page = ApiPage {
            url: Url::parse("https://hub.docker.com/v2/namespaces/t/repositories").unwrap(),
            body: br#"{"count":2,"next":"https://hub.docker.com/v2/namespaces/t/repositories?page=2","results":[{"name":"a","namespace":"t"}]}"#.to_vec().into(),
            link_next: None,
        };
        let (names, next) = parse_page(&page).unwrap();
        assert_eq!(names, ["a"]);
        assert!(next.unwrap().ends_with("page=2"));
        let last = ApiPage {
            body: br#"{"count":1,"next":null,"results":[]}"#.to_vec().into(),
            ..page
        };
        assert_eq!(parse_page(&last).unwrap().1, None);
    }
}
