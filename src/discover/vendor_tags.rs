//! A repository's tags with their digests, read from the registry's vendor API where it
//! has one (Docker Hub's tag listing, GitHub's package versions): one request per 100
//! tags, where the registry's own API needs a HEAD per tag. The crawl still reads the
//! registry's tag list, which decides which tags exist; this only says where they point.
//!
//! The API is an optimisation, never a requirement: whenever it cannot answer (no GitHub
//! token, a path Docker Hub cannot have, an error after retries) or lists no tag at all
//! (one tag-list request confirms that cheaply), the caller asks the registry instead,
//! and a tag listed without a digest is HEADed. After a few failures
//! on one registry the API is left alone for the rest of the run rather than costing a
//! failed request per repository; and until the API has answered once, repositories ask
//! it one at a time, so an API that is down sees a few requests, not one per repository
//! in flight. The digests only say what to fetch: every manifest fetched by digest is
//! still verified against it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

use tokio::sync::OnceCell;

use super::api::ApiClient;
use super::github_versions::OwnerKind;
use super::{
    choose, dockerhub, github, github_versions, hub_tags, may_use_vendor_api, Context,
    DiscoverError, Method,
};
use crate::image::Digest;
use crate::reference::Registry;

/// Failed listings after which a registry's API is no longer tried this run: enough to
/// ride out one bad repository, few enough that an API outage costs a handful of
/// requests rather than one per repository.
const FAILURES_BEFORE_GIVING_UP: u32 = 3;

/// A tag and the digest it points at, when the API knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagDigest {
    /// The tag.
    pub tag: String,
    /// Its digest; `None` means the registry must be asked (a HEAD).
    pub digest: Option<Digest>,
}

/// A digest as a vendor API wrote it, if it is one; anything else means "ask the
/// registry" (a HEAD), never a failure.
pub(crate) fn api_digest(text: &str) -> Option<Digest> {
    match text.parse() {
        Ok(digest) => Some(digest),
        Err(e) => {
            let digest = text.escape_debug().to_string();
            tracing::debug!(digest, error = %e, "API digest ignored");
            None
        }
    }
}

/// One registry's vendor tag listing, shared by all its repositories for the run.
pub struct VendorTags<'a> {
    registry: Registry,
    method: Method,
    ctx: Context<'a>,
    /// The API client, made (and logged in) on first use; `None` when it cannot be.
    api: OnceCell<Option<ApiClient>>,
    /// Which GitHub owners are organisations and which users, as learnt.
    owners: Mutex<HashMap<String, OwnerKind>>,
    failures: AtomicU32,
    /// Whether the API has answered a listing; until then calls take turns on `probe`.
    proven: AtomicBool,
    probe: tokio::sync::Mutex<()>,
}

impl<'a> VendorTags<'a> {
    /// The vendor listing for `registry`, if it has one and `--tag-source` allows it.
    pub fn for_registry(registry: &Registry, ctx: Context<'a>) -> Option<Self> {
        if !ctx.options.vendor_tags {
            return None;
        }
        let method = choose(registry, ctx.options.method);
        if method == Method::Catalog {
            return None;
        }
        if !may_use_vendor_api(registry, ctx.options) {
            tracing::debug!(%registry, "redirected registry, no API named; a HEAD per tag");
            return None;
        }
        Some(VendorTags {
            registry: registry.clone(),
            method,
            ctx,
            api: OnceCell::new(),
            owners: Mutex::new(HashMap::new()),
            failures: AtomicU32::new(0),
            proven: AtomicBool::new(false),
            probe: tokio::sync::Mutex::new(()),
        })
    }

    /// The tags of `repo` with their digests, or `None` when the registry must be asked.
    pub async fn tags(&self, repo: &str) -> Option<Vec<TagDigest>> {
        let _turn = self.take_turn().await;
        if self.failures.load(Ordering::Relaxed) >= FAILURES_BEFORE_GIVING_UP {
            return None;
        }
        let api = self.api.get_or_init(|| self.connect()).await.as_ref()?;
        let listed = match self.method {
            Method::DockerHub => hub_tags::list(api, &self.ctx.options.hub_api, repo).await,
            Method::Github => self.github(api, repo).await,
            Method::Catalog => Ok(None),
        };
        match listed {
            Ok(Some(tags)) if tags.is_empty() => {
                self.proven.store(true, Ordering::Release);
                tracing::debug!(
                    repo,
                    "the vendor API lists no tags; asking the registry to be sure"
                );
                None
            }
            Ok(Some(tags)) => {
                self.proven.store(true, Ordering::Release);
                tracing::debug!(
                    repo,
                    tags = tags.len(),
                    "tags and digests from the vendor API"
                );
                Some(tags)
            }
            Ok(None) => None,
            Err(e) if e.status() == Some(404) => {
                // The API is up; it just does not know this one.
                self.proven.store(true, Ordering::Release);
                tracing::debug!(repo, error = %e, "unknown to the vendor API; asking the registry");
                None
            }
            Err(e) => {
                self.note_failure(repo, &e);
                None
            }
        }
    }

    /// Until the API has answered once, a guard that lets one repository ask at a time;
    /// callers that waited while it was proven go on together.
    async fn take_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.proven.load(Ordering::Acquire) {
            return None;
        }
        let turn = self.probe.lock().await;
        (!self.proven.load(Ordering::Acquire)).then_some(turn)
    }

    /// The client, or `None` (logged) when there can be none.
    async fn connect(&self) -> Option<ApiClient> {
        let made = match self.method {
            Method::DockerHub => dockerhub::connect(&self.registry, &self.ctx)
                .await
                .map(Some),
            Method::Github => github::connect(&self.registry, &self.ctx).await,
            Method::Catalog => Ok(None),
        };
        match made {
            Ok(Some(api)) => Some(api),
            Ok(None) => {
                tracing::debug!(registry = %self.registry, "no packages API token; a HEAD per tag");
                None
            }
            Err(e) => {
                tracing::warn!(
                    registry = %self.registry,
                    "cannot use the vendor API for tags ({e}); asking the registry for each tag"
                );
                None
            }
        }
    }

    /// GHCR `<owner>/<package…>`: the organisation's package, else the user's.
    async fn github(
        &self,
        api: &ApiClient,
        repo: &str,
    ) -> Result<Option<Vec<TagDigest>>, DiscoverError> {
        let Some((owner, package)) = repo.split_once('/') else {
            return Ok(None);
        };
        let base = &self.ctx.options.github_api;
        let known = self.lock_owners().get(owner).copied();
        let kinds = match known {
            Some(kind) => vec![kind],
            None => vec![OwnerKind::Org, OwnerKind::User],
        };
        let mut last = None;
        for kind in kinds {
            match github_versions::list(api, base, kind, owner, package).await {
                Ok(tags) => {
                    self.lock_owners().insert(owner.to_owned(), kind);
                    return Ok(Some(tags));
                }
                Err(e) if e.status() == Some(404) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("at least one owner kind was tried"))
    }

    fn note_failure(&self, repo: &str, error: &DiscoverError) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures == FAILURES_BEFORE_GIVING_UP {
            tracing::warn!(
                registry = %self.registry,
                "the vendor API failed {failures} times (last, for {repo}: {error}); \
                 asking the registry for each tag from now on"
            );
        } else {
            tracing::debug!(repo, error = %error, "vendor API failed; asking the registry");
        }
    }

    fn lock_owners(&self) -> std::sync::MutexGuard<'_, HashMap<String, OwnerKind>> {
        // The map is only a memo: a panic elsewhere cannot leave it wrong.
        self.owners.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirrored_registry_leaves_the_public_api_alone_unless_told() {
        let hub = Registry::parse("docker.io").unwrap();
        let mirror = hub.with_api_host("127.0.0.1:5000").unwrap();

        let keychain = std::sync::Arc::new(crate::credentials::Keychain::anonymous());
        let (client, tally, tokens) = Default::default();
        let defaults = super::super::DiscoveryOptions::default();
        let ctx = |options| Context {
            options,
            client: &client,
            keychain: &keychain,
            tally: &tally,
            hub_tokens: &tokens,
        };
        assert!(VendorTags::for_registry(&hub, ctx(&defaults)).is_some());
        assert!(VendorTags::for_registry(&mirror, ctx(&defaults)).is_none());
        let told = super::super::DiscoveryOptions {
            apis_named: true,
            ..defaults.clone()
        };
        assert!(VendorTags::for_registry(&mirror, ctx(&told)).is_some());
        let off = super::super::DiscoveryOptions {
            vendor_tags: false,
            ..defaults.clone()
        };
        assert!(VendorTags::for_registry(&hub, ctx(&off)).is_none());
    }
}
