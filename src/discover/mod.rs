//! Repository discovery: which repositories of a registry match a pattern.
//!
//! The method is chosen by registry host unless `--discovery` names one:
//! - `docker.io`: Docker Hub's namespace listing API ([`dockerhub`]), which needs the
//!   pattern to start with a literal namespace;
//! - `ghcr.io`: GitHub's organisation (falling back to user) container packages
//!   ([`github`]), which needs a token with `read:packages`;
//! - everything else, ECR and ACR included: `/v2/_catalog` with its paging ([`catalog`],
//!   [`ecr`] for ECR's specifics).
//!
//! Every method returns full repository paths on the registry, filtered by the pattern,
//! sorted and without duplicates. Vendor APIs are spoken to through [`api`], which keeps
//! the transport's rules for tokens, schemes, redirects and paging, and counts requests
//! in an [`ApiTally`].
//!
//! The same vendor APIs also list a repository's tags with their digests
//! ([`vendor_tags`]), which spares a HEAD per tag on the registry.

mod api;
pub mod catalog;
pub mod dockerhub;
pub mod ecr;
mod error;
pub mod github;
mod github_versions;
mod hub_tags;
mod secret;
mod tally;
pub mod vendor_tags;

use std::sync::Arc;

use url::Url;

pub use api::check_api_base;
pub use error::DiscoverError;
pub use tally::ApiTally;

use crate::credentials::Keychain;
use crate::reference::{Registry, RepoPattern, DOCKER_HUB};
use crate::registry::{ClientOptions, RegistryClient};

/// The registry GitHub's packages API lists.
pub const GHCR: &str = "ghcr.io";
/// Default Docker Hub web API.
pub const DEFAULT_HUB_API: &str = "https://hub.docker.com";
/// Default GitHub REST API.
pub const DEFAULT_GITHUB_API: &str = "https://api.github.com";

/// A way of listing repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `/v2/_catalog`.
    Catalog,
    /// Docker Hub's `/v2/namespaces/<ns>/repositories`.
    DockerHub,
    /// GitHub's `/orgs|users/<owner>/packages?package_type=container`.
    Github,
}

/// Discovery settings resolved from the command line.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// The method the user forced; `None` chooses by host.
    pub method: Option<Method>,
    /// Whether tags and their digests are read from the vendor API where there is one
    /// (`--tag-source auto`) rather than from the registry with a HEAD per tag.
    pub vendor_tags: bool,
    /// Base of the GitHub REST API (GitHub Enterprise Server: `https://HOST/api/v3`).
    pub github_api: Url,
    /// Base of Docker Hub's web API.
    pub hub_api: Url,
    /// Whether the user named an API base (`--hub-api`, `--github-api`): only then may a
    /// registry redirected with `--registry-endpoint` use a vendor API.
    pub apis_named: bool,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            method: None,
            vendor_tags: true,
            github_api: Url::parse(DEFAULT_GITHUB_API).expect("valid default"),
            hub_api: Url::parse(DEFAULT_HUB_API).expect("valid default"),
            apis_named: false,
        }
    }
}

/// What discovery needs besides the registry client.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Methods and API bases.
    pub options: &'a DiscoveryOptions,
    /// Timeouts, retry budget and user agent, shared with the registry clients.
    pub client: &'a ClientOptions,
    /// Where the vendor APIs' tokens come from.
    pub keychain: &'a Arc<Keychain>,
    /// Where vendor API requests are counted.
    pub tally: &'a ApiTally,
    /// Docker Hub logins already made this run.
    pub hub_tokens: &'a dockerhub::HubTokens,
}

/// The method for `registry`: the forced one, else by host.
pub fn choose(registry: &Registry, forced: Option<Method>) -> Method {
    if let Some(method) = forced {
        return method;
    }
    match registry.name() {
        DOCKER_HUB => Method::DockerHub,
        GHCR => Method::Github,
        name => {
            if ecr::is_ecr_host(name) {
                tracing::debug!(registry = name, "ECR: listing through _catalog");
            }
            Method::Catalog
        }
    }
}

/// The repositories matching `pattern`, sorted and unique.
pub async fn repositories(
    client: &RegistryClient,
    pattern: &RepoPattern,
    ctx: &Context<'_>,
) -> Result<Vec<String>, DiscoverError> {
    let registry = client.registry();
    let method = choose(registry, ctx.options.method);
    tracing::debug!(registry = %registry, pattern = pattern.as_str(), ?method, "discovering");
    refuse_public_api_for_mirror(registry, pattern, method, ctx.options)?;
    let listed = match method {
        Method::Catalog => catalog::list(client).await?,
        Method::DockerHub => dockerhub::list(registry, pattern, ctx).await?,
        Method::Github => github::list(registry, pattern, ctx).await?,
    };
    let mut repos: Vec<String> = listed.into_iter().filter(|r| pattern.matches(r)).collect();
    repos.sort();
    repos.dedup();
    Ok(repos)
}

/// A redirected registry (a mirror, an air-gapped copy) contacts no other host unless
/// told: listing it through the public API the user left at its default is refused.
fn refuse_public_api_for_mirror(
    registry: &Registry,
    pattern: &RepoPattern,
    method: Method,
    options: &DiscoveryOptions,
) -> Result<(), DiscoverError> {
    let (api, flag) = match method {
        Method::DockerHub => (&options.hub_api, "--hub-api"),
        Method::Github => (&options.github_api, "--github-api"),
        Method::Catalog => return Ok(()),
    };
    if may_use_vendor_api(registry, options) {
        return Ok(());
    }
    Err(DiscoverError::PublicApiForMirror {
        pattern: format!("{}/{}", registry.name(), pattern.as_str()),
        registry: registry.name().to_owned(),
        endpoint: registry.api_host().to_owned(),
        api: api.as_str().trim_end_matches('/').to_owned(),
        flag,
    })
}

/// Whether `registry` may be spoken about to a vendor API: always, unless
/// `--registry-endpoint` redirects it (a mirror, an air-gapped copy) and the user named no
/// API base, since the default one is a public host the user chose not to contact.
pub(crate) fn may_use_vendor_api(registry: &Registry, options: &DiscoveryOptions) -> bool {
    options.apis_named || !is_mirrored(registry)
}

/// Whether `--registry-endpoint` sends this registry's traffic elsewhere.
fn is_mirrored(registry: &Registry) -> bool {
    Registry::parse(registry.name()).is_ok_and(|usual| usual.api_host() != registry.api_host())
}

/// The first path segment of the pattern when it is literal (`myteam` of `myteam/*`).
fn literal_first_segment(pattern: &RepoPattern) -> Option<&str> {
    let (first, _) = pattern.literal_prefix().split_once('/')?;
    (!first.is_empty()).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Target;

    fn pattern(t: &str) -> (Registry, RepoPattern) {
        match t.parse::<Target>().unwrap() {
            Target::Pattern { registry, pattern } => (registry, pattern),
            other => panic!("not a pattern: {other:?}"),
        }
    }

    #[test]
    fn chooses_by_host_unless_forced() {
        let reg = |h: &str| Registry::parse(h).unwrap();
        assert_eq!(choose(&reg("docker.io"), None), Method::DockerHub);
        assert_eq!(choose(&reg("index.docker.io"), None), Method::DockerHub);
        assert_eq!(choose(&reg("ghcr.io"), None), Method::Github);
        let ecr = reg("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        assert_eq!(choose(&ecr, None), Method::Catalog);
        assert_eq!(choose(&reg("127.0.0.1:5000"), None), Method::Catalog);
        assert_eq!(
            choose(&reg("ghcr.io"), Some(Method::Catalog)),
            Method::Catalog
        );
        let mirrored = reg("ghcr.io").with_api_host("127.0.0.1:1").unwrap();
        assert_eq!(choose(&mirrored, None), Method::Github);
    }

    #[test]
    fn a_redirected_registry_is_not_listed_through_the_public_api_unless_told() {
        let (hub, pattern) = self::pattern("docker.io/team/*");
        let mirror = hub.with_api_host("127.0.0.1:5000").unwrap();
        let defaults = DiscoveryOptions::default();
        let refused = refuse_public_api_for_mirror(&mirror, &pattern, Method::DockerHub, &defaults);
        let text = refused.unwrap_err().to_string();
        assert!(text.contains("--hub-api https://hub.docker.com"), "{text}");
        assert!(text.contains("127.0.0.1:5000"), "{text}");
        assert!(refuse_public_api_for_mirror(&hub, &pattern, Method::DockerHub, &defaults).is_ok());
        let told = DiscoveryOptions {
            apis_named: true,
            ..defaults.clone()
        };
        assert!(refuse_public_api_for_mirror(&mirror, &pattern, Method::DockerHub, &told).is_ok());
        assert!(
            refuse_public_api_for_mirror(&mirror, &pattern, Method::Catalog, &defaults).is_ok()
        );
    }

    #[test]
    fn first_segment_must_be_literal() {
        assert_eq!(
            literal_first_segment(&pattern("ghcr.io/org/*").1),
            Some("org")
        );
        assert_eq!(
            literal_first_segment(&pattern("docker.io/team/**").1),
            Some("team")
        );
        assert_eq!(literal_first_segment(&pattern("ghcr.io/**").1), None);
        assert_eq!(literal_first_segment(&pattern("ghcr.io/or*/x").1), None);
    }
}
