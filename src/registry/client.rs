//! [`RegistryClient`]: one registry host, its transport and auth state, and the request
//! flow every API call shares (pre-emptive auth, one challenge round, status mapping).
//!
//! The API calls themselves live one per file: `catalog`, `tags`, `manifest`, `blob`.

use std::sync::Arc;

use reqwest::header::HeaderValue;
use reqwest::Method;
use url::Url;

use super::auth::{Auth, Scope};
use super::error::RegistryError;
use super::options::ClientOptions;
use super::stats::{RequestKind, RequestStats};
use super::transport::{Answer, Reply, Request, Transport};
use crate::reference::{is_repo_component, Registry};

/// A Distribution-API client for one registry. Clones share the connection pool, the
/// per-host concurrency limit, the token cache and the counters.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    base: Url,
    transport: Transport,
    auth: Auth,
}

impl RegistryClient {
    /// A client for `registry`: HTTPS unless the host is loopback or in `plain_http`.
    pub fn new(registry: &Registry, options: &ClientOptions) -> Result<Self, RegistryError> {
        let transport = Transport::new(options).map_err(|source| RegistryError::Transport {
            url: registry.api_host().to_string(),
            source,
        })?;
        Self::over(registry, options, transport)
    }

    /// A client like [`new`](Self::new) whose retries wait by `pause`.
    #[cfg(test)]
    pub(crate) fn with_pause(
        registry: &Registry,
        options: &ClientOptions,
        pause: super::pause::Pause,
    ) -> Result<Self, RegistryError> {
        let transport = Transport::new(options).expect("test transport builds");
        Self::over(registry, options, transport.with_pause(pause))
    }

    /// A client for `registry` over `transport`.
    fn over(
        registry: &Registry,
        options: &ClientOptions,
        transport: Transport,
    ) -> Result<Self, RegistryError> {
        let base = transport.base_url(registry)?;
        let auth = Auth::new(&base, registry.name(), Arc::clone(&options.keychain));
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                registry: registry.clone(),
                base,
                transport,
                auth,
            }),
        })
    }

    /// The registry this client talks to.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The API base, e.g. `https://registry-1.docker.io/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Resolves with a message once this registry's announced request budget is spent
    /// and the client stops asking (see [`OnRateLimit`](super::OnRateLimit)).
    pub async fn rate_limit_exhausted(&self) -> String {
        self.inner.transport.rate_limits().exhausted().await
    }

    /// Request counters so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.transport.counters().snapshot()
    }

    /// `/v2/<repo>/<tail…>` (or `/v2/<tail…>` without a repository), each part escaped.
    pub(crate) fn api_url(&self, repo: Option<&str>, tail: &[&str]) -> Result<Url, RegistryError> {
        if let Some(repo) = repo {
            if !repo.split('/').all(is_repo_component) {
                return Err(self.invalid_name(repo));
            }
        }
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|_| self.invalid_name(self.inner.registry.api_host()))?
            .clear()
            .push("v2")
            .extend(repo.into_iter().flat_map(|r| r.split('/')))
            .extend(tail);
        Ok(url)
    }

    /// The error for a name that cannot go into a path.
    pub(crate) fn invalid_name(&self, name: &str) -> RegistryError {
        RegistryError::InvalidName {
            registry: self.inner.registry.name().to_string(),
            name: name.to_string(),
        }
    }

    /// Sends a request with auth, answering one 401 challenge, and maps error statuses.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        kind: RequestKind,
        accept: Option<HeaderValue>,
        scope: &Scope,
    ) -> Result<Answer, RegistryError> {
        let Inner {
            transport, auth, ..
        } = &*self.inner;
        let mut request = Request {
            method,
            url,
            kind,
            accept,
            auth: auth.preemptive(transport, scope).await?,
        };
        let mut challenged = false;
        loop {
            let rejection = match transport.execute(&request).await? {
                Reply::Accepted(answer) => return Ok(answer),
                Reply::Rejected(r) if r.status.as_u16() == 401 && !challenged => r,
                Reply::Rejected(r) => return Err(r.into_error()),
            };
            challenged = true;
            let challenge = rejection.challenge.as_deref();
            let sent = request.auth.as_ref();
            match auth
                .answer(transport, challenge, scope, sent, &rejection.url)
                .await?
            {
                Some(header) => request.auth = Some(header),
                None => return Err(rejection.into_error()),
            }
        }
    }
}
