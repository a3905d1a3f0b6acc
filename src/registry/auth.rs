//! Registry authentication: Docker token auth (Bearer) and HTTP Basic.
//!
//! A request first goes out with whatever the client already knows works for its scope
//! (a cached token, or Basic once the registry asked for it). On a 401 the challenge is
//! answered once: a token is fetched from the realm, or Basic credentials are offered, and
//! the request is repeated once. There is never a second round.
//!
//! Tokens are cached per (realm, service, scope); one client serves one registry host and
//! one set of credentials, so the cache key also stands for host and credential. Concurrent
//! requests needing the same token wait on one fetch. Credentials go only to the realm
//! named by the registry's own challenge, never over plain HTTP to a non-loopback host;
//! tokens go only to the registry origin. Logs name scopes, never header values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::HeaderValue;
use reqwest::Method;
use tokio::sync::Mutex as AsyncMutex;
use url::Url;

use super::challenge::{parse_challenge, BearerChallenge, Challenge};
use super::error::RegistryError;
use super::options::Credentials;
use super::redact::redact_url;
use super::stats::RequestKind;
use super::transport::{is_loopback_url, read_capped, Request, Transport};

/// Lifetime assumed when the token server omits `expires_in` (the token spec's default).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Tokens are refreshed this long before they expire, so a request does not race expiry.
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(10);
/// Token responses are small JSON; GCR's JWTs run to a few KiB, 1 MiB is generous.
const TOKEN_BODY_CAP: usize = 1024 * 1024;

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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TokenKey {
    realm: String,
    service: Option<String>,
    scope: String,
}

#[derive(Clone)]
struct CachedToken {
    header: HeaderValue,
    refresh_at: Instant,
}

type TokenSlot = Arc<AsyncMutex<Option<CachedToken>>>;

/// Auth state of one registry client.
pub(crate) struct Auth {
    credentials: Option<Credentials>,
    registry_origin: url::Origin,
    known: Mutex<Option<Known>>,
    tokens: Mutex<HashMap<TokenKey, TokenSlot>>,
}

/// The token server's answer; `token` and `access_token` are synonyms.
#[derive(serde::Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

impl Auth {
    /// Auth for the registry at `base`.
    pub fn new(base: &Url, credentials: Option<Credentials>) -> Self {
        Auth {
            credentials,
            registry_origin: base.origin(),
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
            Some(Known::Basic) => Ok(self.basic_header()),
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
                let basic = self.basic_header();
                if basic.is_none() {
                    tracing::debug!("registry wants Basic auth and no credentials are set");
                }
                Ok(basic.filter(|b| Some(b) != sent))
            }
            None => Ok(None),
        }
    }

    /// Basic credentials as a header, when configured and the registry is safe for them.
    fn basic_header(&self) -> Option<HeaderValue> {
        let creds = self.credentials.as_ref()?;
        let origin_url = Url::parse(&self.registry_origin.ascii_serialization()).ok()?;
        if !may_carry_credentials(&origin_url) {
            tracing::warn!("not sending credentials over plain HTTP to a non-loopback registry");
            return None;
        }
        Some(basic_value(creds))
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
        let key = TokenKey {
            realm: challenge.realm.clone(),
            service: challenge.service.clone(),
            scope: scope.as_param(),
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
            if token.refresh_at > Instant::now() && Some(&token.header) != stale {
                return Ok(token.header.clone());
            }
        }
        let fresh = self.fetch_token(transport, challenge, scope).await?;
        *cached = Some(fresh.clone());
        Ok(fresh.header)
    }

    /// Asks the realm for a token.
    async fn fetch_token(
        &self,
        transport: &Transport,
        challenge: &BearerChallenge,
        scope: &Scope,
    ) -> Result<CachedToken, RegistryError> {
        let mut url = Url::parse(&challenge.realm).map_err(|_| RegistryError::InvalidName {
            registry: self.registry_origin.ascii_serialization(),
            name: format!("token realm {}", challenge.realm),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RegistryError::malformed(
                &url,
                "token realm is not an HTTP URL",
            ));
        }
        let scope_param = scope.as_param();
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = &challenge.service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", &scope_param);
        }
        let auth = match &self.credentials {
            Some(creds) if may_carry_credentials(&url) => Some(basic_value(creds)),
            Some(_) => {
                let realm = redact_url(&url);
                tracing::warn!(%realm, "not sending credentials over plain HTTP");
                None
            }
            None => None,
        };
        let request = Request {
            method: Method::GET,
            url: url.clone(),
            kind: RequestKind::Token,
            accept: None,
            auth,
        };
        let answer = transport.execute(&request).await?.accepted()?;
        let body = read_capped(answer, TOKEN_BODY_CAP).await?;
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| RegistryError::malformed(&url, format!("token response: {e}")))?;
        let token = parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| RegistryError::malformed(&url, "token response has no token"))?;
        let mut header = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| RegistryError::malformed(&url, "token is not a valid header value"))?;
        header.set_sensitive(true);
        let lifetime = parsed
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        tracing::debug!(
            "token for scope {scope_param} fetched, expires in {}s",
            lifetime.as_secs()
        );
        Ok(CachedToken {
            header,
            refresh_at: Instant::now() + usable_lifetime(lifetime),
        })
    }
}

/// How long a token is reused: its lifetime minus the refresh margin, but at least half of
/// it so very short-lived tokens still serve the requests that fetched them.
fn usable_lifetime(lifetime: Duration) -> Duration {
    lifetime
        .saturating_sub(TOKEN_REFRESH_MARGIN)
        .max(lifetime / 2)
}

/// Credentials travel only over HTTPS, or to loopback.
fn may_carry_credentials(url: &Url) -> bool {
    url.scheme() == "https" || is_loopback_url(url)
}

/// `Basic base64(user:pass)`, marked sensitive.
fn basic_value(creds: &Credentials) -> HeaderValue {
    let raw = format!("{}:{}", creds.username, creds.password);
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a valid header value");
    value.set_sensitive(true);
    value
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
    fn token_lifetime_keeps_a_margin() {
        assert_eq!(
            usable_lifetime(Duration::from_secs(60)),
            Duration::from_secs(50)
        );
        assert_eq!(
            usable_lifetime(Duration::from_secs(4)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn credentials_only_over_https_or_loopback() {
        assert!(may_carry_credentials(
            &Url::parse("https://auth.example/token").unwrap()
        ));
        assert!(may_carry_credentials(
            &Url::parse("http://localhost:5000/").unwrap()
        ));
        assert!(!may_carry_credentials(
            &Url::parse("http://auth.example/token").unwrap()
        ));
    }

    #[test]
    fn basic_header_is_sensitive() {
        let v = basic_value(&Credentials {
            username: "u".into(),
            password: "p".into(),
        });
        assert!(v.is_sensitive());
        assert_eq!(v.to_str().unwrap(), "Basic dTpw");
    }
}
