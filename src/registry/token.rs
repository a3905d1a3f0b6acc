//! Asking a token server (the `realm` of a Bearer challenge) for an access token.
//!
//! Two request shapes, per the Docker token spec and its OAuth2 variant:
//! - `GET realm?service=…&scope=…`, with Basic credentials when there is a username and
//!   password, without any when anonymous;
//! - `POST realm` with the form `grant_type=refresh_token&refresh_token=…&service=…&
//!   scope=…&client_id=nuccrawl` when the credential is a refresh token (Docker's
//!   `identitytoken`, as ACR and Distribution's OAuth endpoint expect).
//!
//! The answer holds `token`, `access_token` or both, and maybe `expires_in`. Nothing here
//! logs or reports a token, a password or a response body: parse errors give a position.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use reqwest::Method;
use url::Url;

use super::auth_header::{basic_value, bearer_value, may_carry_credentials};
use super::challenge::BearerChallenge;
use super::error::RegistryError;
use super::redact::redact_url;
use super::stats::RequestKind;
use super::transport::{read_capped, Request, Transport};
use crate::credentials::{Credential, Secret};

/// Lifetime assumed when the token server omits `expires_in` (the token spec's default).
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// A token is refetched once it has less than this left, so a request sent with it does
/// not race its expiry (a crawl request, retries included, rarely takes longer).
pub(crate) const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(10);
/// Token responses are small JSON; GCR's JWTs run to a few KiB, 1 MiB is generous.
const TOKEN_BODY_CAP: usize = 1024 * 1024;
/// `client_id` sent with refresh-token POSTs; token servers log it, none checks it.
const CLIENT_ID: &str = "nuccrawl";

/// A token ready to send, and when to stop sending it.
#[derive(Clone)]
pub(crate) struct CachedToken {
    /// `Bearer …`, marked sensitive.
    pub header: HeaderValue,
    /// Past this instant the token is refetched.
    pub refresh_at: Instant,
}

impl CachedToken {
    /// Whether the token can still be sent now.
    pub fn is_fresh(&self) -> bool {
        self.refresh_at > Instant::now()
    }
}

/// The token server's answer; `token` and `access_token` are synonyms.
#[derive(serde::Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// Fetches a token for `scope` from the challenge's realm, spending `credential` when the
/// realm may see it.
pub(crate) async fn fetch_token(
    transport: &Transport,
    challenge: &BearerChallenge,
    scope: &str,
    credential: Option<&Credential>,
    registry: &str,
) -> Result<CachedToken, RegistryError> {
    let realm = realm_url(challenge, registry)?;
    let credential = credential.filter(|_| {
        let allowed = may_carry_credentials(&realm);
        if !allowed {
            let realm = redact_url(&realm);
            tracing::warn!(%realm, "not sending credentials to a plain-HTTP token realm");
        }
        allowed
    });
    let (request, form) = match credential.map(Credential::secret) {
        Some(Secret::IdentityToken { token, .. }) => {
            let form = refresh_form(token, challenge.service.as_deref(), scope);
            (token_request(Method::POST, realm.clone(), None), Some(form))
        }
        Some(Secret::Basic { username, password }) => {
            let url = with_query(&realm, challenge.service.as_deref(), scope);
            let auth = Some(basic_value(username, password));
            (token_request(Method::GET, url, auth), None)
        }
        None => {
            let url = with_query(&realm, challenge.service.as_deref(), scope);
            (token_request(Method::GET, url, None), None)
        }
    };
    tracing::debug!(
        scope,
        method = %request.method,
        with_credential = credential.is_some(),
        "requesting a token"
    );
    let answer = transport
        .execute_with_form(&request, form.as_deref())
        .await?
        .accepted()?;
    let body = read_capped(answer, TOKEN_BODY_CAP).await?;
    let token = parse_token(&body, &realm)?;
    tracing::debug!(scope, expires_in_s = token.1.as_secs(), "token fetched");
    Ok(CachedToken {
        header: token.0,
        refresh_at: Instant::now() + usable_lifetime(token.1),
    })
}

/// The realm as a URL, HTTP(S) only.
fn realm_url(challenge: &BearerChallenge, registry: &str) -> Result<Url, RegistryError> {
    let url = Url::parse(&challenge.realm).map_err(|_| RegistryError::InvalidName {
        registry: registry.to_owned(),
        name: format!("token realm {}", challenge.realm),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(RegistryError::malformed(
            &url,
            "token realm is not an HTTP URL",
        ));
    }
    Ok(url)
}

fn token_request(method: Method, url: Url, auth: Option<HeaderValue>) -> Request {
    Request {
        method,
        url,
        kind: RequestKind::Token,
        accept: None,
        auth,
    }
}

/// `realm?service=…&scope=…`; no `service` when the challenge named none.
fn with_query(realm: &Url, service: Option<&str>, scope: &str) -> Url {
    let mut url = realm.clone();
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        query.append_pair("scope", scope);
    }
    url
}

/// The refresh-token grant as a urlencoded form.
fn refresh_form(refresh_token: &str, service: Option<&str>, scope: &str) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh_token);
    if let Some(service) = service {
        form.append_pair("service", service);
    }
    form.append_pair("scope", scope)
        .append_pair("client_id", CLIENT_ID);
    form.finish()
}

/// The bearer header and lifetime from a token response. Errors never quote the body.
fn parse_token(body: &[u8], realm: &Url) -> Result<(HeaderValue, Duration), RegistryError> {
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
        let reason = format!(
            "token response is not the expected JSON ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        );
        RegistryError::malformed(realm, reason)
    })?;
    let token = parsed
        .token
        .filter(|t| !t.is_empty())
        .or(parsed.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| RegistryError::malformed(realm, "token response has no token"))?;
    let header = bearer_value(&token)
        .ok_or_else(|| RegistryError::malformed(realm, "token is not a valid header value"))?;
    let lifetime = parsed
        .expires_in
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME);
    Ok((header, lifetime))
}

/// How long a token is reused: its lifetime minus the refresh margin, so a token with less
/// than the margin left is never sent; one that lives no longer than the margin is used
/// for the requests that fetched it only.
pub(crate) fn usable_lifetime(lifetime: Duration) -> Duration {
    lifetime.saturating_sub(TOKEN_REFRESH_MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetime_keeps_a_margin() {
        assert_eq!(
            usable_lifetime(Duration::from_secs(60)),
            Duration::from_secs(50)
        );
        assert_eq!(usable_lifetime(Duration::from_secs(4)), Duration::ZERO);
    }

    #[test]
    fn refresh_form_is_urlencoded() {
        let form = refresh_form("r/t+=", Some("svc"), "repository:a/b:pull");
        assert_eq!(
            form,
            "grant_type=refresh_token&refresh_token=r%2Ft%2B%3D&service=svc&\
             scope=repository%3Aa%2Fb%3Apull&client_id=nuccrawl"
        );
        assert!(!refresh_form("t", None, "s").contains("service="));
    }

    #[test]
    fn parse_errors_never_quote_the_body() {
        let realm = Url::parse("https://auth.example/token").unwrap();
        let err = parse_token(
            br#"{"token": 12345678, "expires_in": "soon-secret"}"#,
            &realm,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            !text.contains("12345678") && !text.contains("soon-secret"),
            "{text}"
        );
        let (header, lifetime) = parse_token(br#"{"access_token":"abc"}"#, &realm).unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer abc");
        assert_eq!(lifetime, DEFAULT_TOKEN_LIFETIME);
        let (header, lifetime) = parse_token(
            br#"{"token":"t1","access_token":"t2","expires_in":300}"#,
            &realm,
        )
        .unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer t1");
        assert_eq!(lifetime, Duration::from_secs(300));
    }
}
