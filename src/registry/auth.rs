//! Registry authentication: the handshake of Docker token auth (Bearer) and HTTP Basic.
//!
//! A request first goes out with whatever the client already knows works for its scope
//! (a cached token, or Basic once the registry asked for it). On a 401 the challenge is
//! answered once: a token is fetched from the realm (see `token`), or Basic credentials
//! are offered, and the request is repeated once. There is never a second round.
//!
//! The credential is asked of the [`Keychain`] once per client, for the client's registry,
//! when the registry first challenges (registries that never ask never run a credential
//! helper). The lookup may run a helper, so it runs on the blocking pool.
//!
//! Tokens are cached per (realm, service, scope, credential). Concurrent requests needing
//! the same token wait on one fetch. Credentials go only to this registry's origin and to
//! the realm named by its own challenge, never over plain HTTP to a non-loopback host;
//! tokens go only to the registry origin. Logs name scopes, never header values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::HeaderValue;
use tokio::sync::{Mutex as AsyncMutex, OnceCell};
use url::Url;

use super::auth_header::{basic_value, may_carry_credentials};
use super::challenge::{parse_challenge, BearerChallenge, Challenge};
use super::error::RegistryError;
use super::redact::redact_url;
use super::token::{fetch_token, CachedToken};
use super::transport::Transport;
use crate::credentials::{Credential, CredentialError, Keychain, Secret};

/// What a request needs access to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Pull access to one repository.
    Repository(String),
    /// The registry catalog.
    Catalog,
}

impl Scope {
    /// The token-spec scope string.
    fn as_param(&self) -> String {
        match self {
            Scope::Repository(repo) => format!("repository:{repo}:pull"),
            Scope::Catalog => "registry:catalog:*".to_string(),
        }
    }
}

/// The auth scheme the registry asked for last.
#[derive(Debug, Clone)]
enum Known {
    Bearer(BearerChallenge),
    Basic,
}

/// Which credential a token was fetched with: its kind and account, never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Anonymous,
    Basic(String),
    RefreshToken(String),
}

impl Identity {
    fn of(credential: Option<&Credential>) -> Self {
        match credential.map(Credential::secret) {
            None => Identity::Anonymous,
            Some(Secret::Basic { username, .. }) => Identity::Basic(username.clone()),
            Some(Secret::IdentityToken { username, .. }) => {
                Identity::RefreshToken(username.clone())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TokenKey {
    realm: String,
    service: Option<String>,
    scope: String,
    identity: Identity,
}

type TokenSlot = Arc<AsyncMutex<Option<CachedToken>>>;
type Resolved = Result<Option<Credential>, CredentialError>;

/// Auth state of one registry client.
pub(crate) struct Auth {
    keychain: Arc<Keychain>,
    /// The registry as written in output (`docker.io`, `127.0.0.1:5000`): the keychain key.
    registry: String,
    registry_origin: url::Origin,
    credential: OnceCell<Resolved>,
    known: Mutex<Option<Known>>,
    tokens: Mutex<HashMap<TokenKey, TokenSlot>>,
}

impl Auth {
    /// Auth for `registry` (its output name) served at `base`.
    pub fn new(base: &Url, registry: &str, keychain: Arc<Keychain>) -> Self {
        Auth {
            keychain,
            registry: registry.to_owned(),
            registry_origin: base.origin(),
            credential: OnceCell::new(),
            known: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The header to send up front, from what earlier challenges taught.
    pub async fn preemptive(
        &self,
        transport: &Transport,
        scope: &Scope,
    ) -> Result<Option<HeaderValue>, RegistryError> {
        let known = self.known.lock().expect("auth state lock").clone();
        match known {
            Some(Known::Bearer(challenge)) => self
                .token(transport, &challenge, scope, None)
                .await
                .map(Some),
            Some(Known::Basic) => self.basic_header().await,
            None => Ok(None),
        }
    }

    /// Answers a 401 from `url` once. `sent` is what the refused request carried.
    /// `None` means there is nothing more to try.
    pub async fn answer(
        &self,
        transport: &Transport,
        challenge: Option<&str>,
        scope: &Scope,
        sent: Option<&HeaderValue>,
        url: &Url,
    ) -> Result<Option<HeaderValue>, RegistryError> {
        if url.origin() != self.registry_origin {
            tracing::debug!(url = %redact_url(url), "ignoring a challenge from another host");
            return Ok(None);
        }
        match challenge.and_then(parse_challenge) {
            Some(Challenge::Bearer(bearer)) => {
                *self.known.lock().expect("auth state lock") = Some(Known::Bearer(bearer.clone()));
                self.token(transport, &bearer, scope, sent).await.map(Some)
            }
            Some(Challenge::Basic { .. }) => {
                *self.known.lock().expect("auth state lock") = Some(Known::Basic);
                let basic = self.basic_header().await?;
                Ok(basic.filter(|b| Some(b) != sent))
            }
            None => Ok(None),
        }
    }

    /// The registry's credential, looked up once (on the blocking pool: helpers block).
    async fn credential(&self) -> Result<Option<&Credential>, RegistryError> {
        let resolved = self
            .credential
            .get_or_init(|| async {
                let keychain = Arc::clone(&self.keychain);
                let registry = self.registry.clone();
                let lookup = move || keychain.resolve(&registry).map(|f| f.map(|(c, _)| c));
                tokio::task::spawn_blocking(lookup)
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            })
            .await;
        resolved
            .as_ref()
            .map(Option::as_ref)
            .map_err(|error| RegistryError::Credentials {
                registry: self.registry.clone(),
                error: error.clone(),
            })
    }

    /// Basic credentials as a header, when there is a password and the registry is safe
    /// for it.
    async fn basic_header(&self) -> Result<Option<HeaderValue>, RegistryError> {
        let Some(credential) = self.credential().await? else {
            tracing::debug!("registry wants Basic auth and there are no credentials");
            return Ok(None);
        };
        let Secret::Basic { username, password } = credential.secret() else {
            tracing::debug!("registry wants Basic auth; a refresh token cannot answer it");
            return Ok(None);
        };
        let origin = Url::parse(&self.registry_origin.ascii_serialization()).ok();
        if !origin.as_ref().is_some_and(may_carry_credentials) {
            tracing::warn!("not sending credentials over plain HTTP to a non-loopback registry");
            return Ok(None);
        }
        Ok(Some(basic_value(username, password)))
    }

    /// A valid token for `scope`, fetched at most once across concurrent callers.
    /// A cached token equal to `stale` (just refused) is replaced.
    async fn token(
        &self,
        transport: &Transport,
        challenge: &BearerChallenge,
        scope: &Scope,
        stale: Option<&HeaderValue>,
    ) -> Result<HeaderValue, RegistryError> {
        let credential = self.credential().await?;
        let key = TokenKey {
            realm: challenge.realm.clone(),
            service: challenge.service.clone(),
            scope: scope.as_param(),
            identity: Identity::of(credential),
        };
        let slot = self
            .tokens
            .lock()
            .expect("token cache lock")
            .entry(key)
            .or_default()
            .clone();
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            if token.is_fresh() && Some(&token.header) != stale {
                return Ok(token.header.clone());
            }
        }
        let scope_param = scope.as_param();
        let fresh = fetch_token(
            transport,
            challenge,
            &scope_param,
            credential,
            &self.registry,
        )
        .await?;
        *cached = Some(fresh.clone());
        Ok(fresh.header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_token_spec() {
        assert_eq!(
            Scope::Repository("a/b".into()).as_param(),
            "repository:a/b:pull"
        );
        assert_eq!(Scope::Catalog.as_param(), "registry:catalog:*");
    }

    #[test]
    fn identity_names_the_account_not_the_secret() {
        let basic = Credential::basic("alice", "pw-secret");
        let refresh = Credential::identity_token("alice", "rt-secret");
        assert_ne!(Identity::of(Some(&basic)), Identity::of(Some(&refresh)));
        assert_eq!(Identity::of(None), Identity::Anonymous);
        let shown = format!(
            "{:?} {:?}",
            Identity::of(Some(&basic)),
            Identity::of(Some(&refresh))
        );
        assert!(!shown.contains("secret"), "{shown}");
    }
}
