//! A small JSON-over-HTTP client for the vendor listing APIs (Docker Hub, GitHub), which
//! are not Distribution registries and so do not go through `RegistryClient`.
//!
//! The same rules as the registry transport apply: HTTPS unless the API is on loopback;
//! the token goes only to the API's own origin (redirects are followed only within it,
//! and paging links must stay on it); transient failures are retried by the registry's
//! [`should_retry`] policy; bodies are read with a cap; URLs in errors are redacted.

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, LINK, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use url::{Host, Url};

use super::error::DiscoverError;
use super::tally::ApiTally;
use crate::registry::pagination::{find_next, resolve_next, Pager};
use crate::registry::redact::redact_url;
use crate::registry::retry::{decide_now, Decision, Outcome, RetryPolicy, Spent};
use crate::registry::transport::fault_of;
use crate::registry::ClientOptions;

/// Body cap of one API page: 100 GitHub package objects with their owner records run to
/// a few hundred KiB; 8 MiB leaves ample room and still bounds a runaway answer.
const API_BODY_CAP: usize = 8 * 1024 * 1024;
/// Same-origin redirect hops followed: APIs redirect renamed owners once; five stops loops.
const MAX_API_REDIRECTS: usize = 5;
/// Characters of an error message quoted back to the user.
const MESSAGE_CHARS: usize = 200;

/// One successful answer.
pub(crate) struct ApiPage {
    /// The URL that answered.
    pub url: Url,
    /// The body, capped.
    pub body: Bytes,
    /// The unresolved `rel="next"` target of a `Link` header, if any.
    pub link_next: Option<String>,
}

/// A client for one vendor API origin.
pub(crate) struct ApiClient {
    http: reqwest::Client,
    origin: url::Origin,
    bearer: Option<HeaderValue>,
    policy: RetryPolicy,
    /// The name its requests are counted under (`hub_api`, `github_api`).
    name: &'static str,
    tally: ApiTally,
}

impl ApiClient {
    /// A client for the API at `base`, sending `headers` with every request and counting
    /// each request under `name` in `tally`.
    pub fn new(
        base: &Url,
        options: &ClientOptions,
        headers: HeaderMap,
        (name, tally): (&'static str, &ApiTally),
    ) -> Result<Self, DiscoverError> {
        check_api_base(base).map_err(|reason| DiscoverError::BadApiUrl {
            url: redact_url(base),
            reason,
        })?;
        let start = base.origin();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let same_origin = attempt.url().origin() == start;
            if same_origin && attempt.previous().len() <= MAX_API_REDIRECTS {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(policy)
            .build()
            .map_err(|e| DiscoverError::transport(base, e))?;
        Ok(ApiClient {
            http,
            origin: base.origin(),
            bearer: None,
            policy: RetryPolicy {
                max_attempts: options.max_attempts.max(1),
                max_total_wait: options.max_retry_wait,
            },
            name,
            tally: tally.clone(),
        })
    }

    /// Sends `Authorization: Bearer <token>` from now on (to this API's origin only).
    pub fn set_bearer(&mut self, token: &str) -> Result<(), DiscoverError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| DiscoverError::BadToken)?;
        value.set_sensitive(true);
        self.bearer = Some(value);
        Ok(())
    }

    /// GETs `url` and reads the page.
    pub async fn get(&self, url: &Url) -> Result<ApiPage, DiscoverError> {
        self.send(Method::GET, url, None).await
    }

    /// POSTs `body` as JSON to `url`.
    pub async fn post_json(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<ApiPage, DiscoverError> {
        self.send(Method::POST, url, Some(body)).await
    }

    /// Sends with retries; an error status becomes [`DiscoverError::Status`].
    async fn send(
        &self,
        method: Method,
        url: &Url,
        json: Option<&serde_json::Value>,
    ) -> Result<ApiPage, DiscoverError> {
        if url.origin() != self.origin {
            return Err(DiscoverError::OffOrigin {
                url: redact_url(url),
            });
        }
        let mut spent = Spent::default();
        loop {
            spent.attempts += 1;
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(bearer) = &self.bearer {
                request = request.header(AUTHORIZATION, bearer.clone());
            }
            if let Some(json) = json {
                request = request.json(json);
            }
            tracing::trace!(%method, url = %redact_url(url), "API request");
            self.tally.request(self.name);
            let (decision, result) = match request.send().await {
                Ok(response) if response.status().is_success() => {
                    return read_page(response).await;
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = header(&response, RETRY_AFTER);
                    let answered = response.url().clone();
                    let body = read_capped(response, API_BODY_CAP)
                        .await
                        .unwrap_or_default();
                    let text = String::from_utf8_lossy(&body);
                    let outcome = Outcome::Status {
                        status: status.as_u16(),
                        retry_after: retry_after.as_deref(),
                        body: &text,
                    };
                    let error = status_error(&answered, status, &text);
                    (self.decide(&outcome, spent), error)
                }
                Err(e) => {
                    let outcome = Outcome::Transport(fault_of(&e));
                    (
                        self.decide(&outcome, spent),
                        DiscoverError::transport(url, e),
                    )
                }
            };
            let Decision::Retry(wait) = decision else {
                return Err(result);
            };
            tracing::debug!(url = %redact_url(url), attempt = spent.attempts, "retrying API call");
            self.tally.retry();
            tokio::time::sleep(wait).await;
            spent.waited += wait;
        }
    }

    fn decide(&self, outcome: &Outcome<'_>, spent: Spent) -> Decision {
        decide_now(outcome, spent, self.policy)
    }
}

/// Fetches `first` and every page after it. `extract` returns a page's entries and the
/// next-page link it carries (body or `Link` header); links must stay on the API origin.
pub(crate) async fn list_all<T>(
    api: &ApiClient,
    first: Url,
    extract: impl Fn(&ApiPage) -> Result<(Vec<T>, Option<String>), DiscoverError>,
) -> Result<Vec<T>, DiscoverError> {
    let mut pager = Pager::default();
    let mut names = Vec::new();
    let mut next = Some(first);
    while let Some(url) = next.take() {
        pager.visit(&url)?;
        let page = api.get(&url).await?;
        let (entries, link) = extract(&page)?;
        tracing::trace!(
            entries = entries.len(),
            more = link.is_some(),
            "API page read"
        );
        names.extend(entries);
        if let Some(link) = link {
            next = Some(resolve_next(&page.url, &link)?);
        }
    }
    Ok(names)
}

/// Checks an API base URL: HTTP(S), no user info, and HTTPS unless the host is loopback.
pub fn check_api_base(url: &Url) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials do not belong in the URL".into());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err("plain HTTP is allowed only to loopback addresses".into()),
        other => Err(format!("scheme `{other}` is not HTTP")),
    }
}

/// Whether the URL's host is loopback or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn read_page(response: reqwest::Response) -> Result<ApiPage, DiscoverError> {
    let url = response.url().clone();
    let link_next = {
        let values = response.headers().get_all(LINK);
        find_next(values.iter().filter_map(|v| v.to_str().ok())).map(str::to_owned)
    };
    let body = read_capped(response, API_BODY_CAP).await?;
    Ok(ApiPage {
        url,
        body,
        link_next,
    })
}

/// Reads at most `limit` bytes of body, failing past it.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, DiscoverError> {
    let url = response.url().clone();
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| DiscoverError::transport(&url, e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(DiscoverError::Malformed {
                url: redact_url(&url),
                reason: format!("response larger than {limit} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The error for an unsuccessful status, quoting the API's own `message` or `detail`.
fn status_error(url: &Url, status: StatusCode, body: &str) -> DiscoverError {
    DiscoverError::Status {
        url: redact_url(url),
        status: status.as_u16(),
        message: api_message(body),
    }
}

/// GitHub says `message`, Docker Hub `message` or `detail`; otherwise an excerpt.
fn api_message(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Message {
        message: Option<String>,
        detail: Option<String>,
    }
    let text = match serde_json::from_str::<Message>(body) {
        Ok(Message {
            message: Some(m), ..
        })
        | Ok(Message {
            detail: Some(m), ..
        }) => m,
        _ => body.to_string(),
    };
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_CHARS)
        .collect();
    flat.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_must_be_https_unless_loopback() {
        let check = |u: &str| check_api_base(&Url::parse(u).unwrap());
        assert!(check("https://api.github.com").is_ok());
        assert!(check("http://127.0.0.1:8080").is_ok());
        assert!(check("http://localhost:1/api/v3").is_ok());
        assert!(check("http://github.example/api/v3").is_err());
        assert!(check("https://u:p@api.github.com").is_err());
        assert!(check("ftp://api.github.com").is_err());
    }

    #[test]
    fn quotes_the_api_message() {
        assert_eq!(
            api_message(r#"{"message":"Not Found","documentation_url":"x"}"#),
            "Not Found"
        );
        assert_eq!(
            api_message(r#"{"detail":"Incorrect\nauth"}"#),
            "Incorrect auth"
        );
        assert_eq!(api_message("<html>oops</html>"), "<html>oops</html>");
    }
}
