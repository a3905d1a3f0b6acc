//! The HTTP transport: one connection pool, scheme choice, manual redirects, per-host
//! concurrency, announced rate limits, retries and capped body reads.
//!
//! A retry covers the whole exchange: an [`Answer`] remembers its request, so a body that
//! breaks off mid-stream is fetched again by [`read_capped`] under the same budget.
//!
//! Redirects are followed by hand so the `Authorization` header is attached only to the
//! origin the caller meant it for: object-storage redirects for blobs go to other hosts,
//! which must never see registry credentials (S3 even answers 400 when they do).
//! `Accept-Encoding: identity` is sent and reqwest has no decompression feature enabled,
//! so the bytes hashed are the bytes the registry served.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, LOCATION,
    RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::{Host, Url};

use super::error::RegistryError;
use super::options::ClientOptions;
use super::pause::Pause;
use super::ratelimit::{RateLimits, Reservation};
use super::redact::redact_url;
use super::retry::{decide_now, Decision, Fault, Outcome, RetryPolicy, Spent};
use super::stats::{Counters, RequestKind};
use crate::reference::Registry;

/// Redirect hops per request: a registry sends one hop to storage, a CDN perhaps a second;
/// five leaves room and still stops loops early.
pub const MAX_REDIRECTS: usize = 5;
/// Bytes of an error body kept for retry hints and messages: error JSON is short.
const ERROR_BODY_CAP: usize = 4 * 1024;
/// Characters of an error body quoted in an error message.
const EXCERPT_CHARS: usize = 200;
/// The body type of token-server POSTs (the OAuth2 token endpoint's format).
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// One request as the client layer describes it.
#[derive(Clone)]
pub(crate) struct Request {
    /// GET or HEAD.
    pub method: Method,
    /// The first URL; redirects start from here.
    pub url: Url,
    /// What to count the request as.
    pub kind: RequestKind,
    /// `Accept` header, if any.
    pub accept: Option<HeaderValue>,
    /// `Authorization` header, sent only to the origin of `url`.
    pub auth: Option<HeaderValue>,
}

/// A successful (below 400) response, holding its concurrency permits until dropped.
pub(crate) struct Answer {
    /// The response, body unread.
    pub response: reqwest::Response,
    /// The URL that answered (after redirects).
    pub url: Url,
    _permit: Permits,
    /// How to ask again if the body breaks off.
    resume: Box<Resume>,
}

/// The permits one request holds until its body is read: the concurrency slot. (Its
/// rate-limit reservation is released as soon as the answer's headers arrive.)
struct Permits {
    _slot: OwnedSemaphorePermit,
}

/// What [`read_capped`] needs to repeat a request whose body failed.
struct Resume {
    transport: Transport,
    request: Request,
    spent: Spent,
}

/// A final 4xx/5xx answer, body already reduced to an excerpt.
#[derive(Debug)]
pub(crate) struct Rejection {
    /// HTTP status.
    pub status: StatusCode,
    /// The URL that answered.
    pub url: Url,
    /// `WWW-Authenticate`, for 401s.
    pub challenge: Option<String>,
    /// The start of the body.
    pub body: String,
}

/// What [`Transport::execute`] ends with when no transport error occurred.
pub(crate) enum Reply {
    /// Status below 400.
    Accepted(Answer),
    /// Status 400 or above, not (or no longer) retried.
    Rejected(Rejection),
}

impl Reply {
    /// The answer, or the rejection as an error.
    pub fn accepted(self) -> Result<Answer, RegistryError> {
        match self {
            Reply::Accepted(a) => Ok(a),
            Reply::Rejected(r) => Err(r.into_error()),
        }
    }
}

/// The shared HTTP machinery of one registry client. Clones share everything.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    limiter: Arc<Semaphore>,
    counters: Arc<Counters>,
    rate_limits: Arc<RateLimits>,
    policy: RetryPolicy,
    plain_http: Arc<[String]>,
    /// How to wait before a retry.
    pause: Pause,
}

/// Why one attempt ended without a usable response.
enum AttemptError {
    /// reqwest failed; possibly retryable.
    Http(reqwest::Error, Url),
    /// A redirect was refused; final.
    Refused(RegistryError),
}

impl Transport {
    /// Builds the pool and limits from `options`.
    pub fn new(options: &ClientOptions) -> Result<Self, reqwest::Error> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Transport {
            http,
            limiter: Arc::new(Semaphore::new(options.max_concurrency.max(1))),
            counters: Arc::default(),
            rate_limits: Arc::new(RateLimits::new(
                options.on_rate_limit,
                options.max_retry_wait,
                options.max_concurrency,
            )),
            policy: RetryPolicy {
                max_attempts: options.max_attempts.max(1),
                max_total_wait: options.max_retry_wait,
            },
            plain_http: options
                .plain_http
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            pause: Pause::default(),
        })
    }

    /// The same transport waiting before retries by `pause`.
    #[cfg(test)]
    pub fn with_pause(self, pause: Pause) -> Self {
        Transport { pause, ..self }
    }

    /// The live counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The announced per-host request budgets.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// The scheme and host the registry API answers on.
    pub fn base_url(&self, registry: &Registry) -> Result<Url, RegistryError> {
        let host = registry.api_host();
        self.rate_limits.name_host(host, registry.name());
        let plain = registry.is_loopback() || self.plain_http.iter().any(|h| h == host);
        let scheme = if plain { "http" } else { "https" };
        Url::parse(&format!("{scheme}://{host}/")).map_err(|e| RegistryError::InvalidName {
            registry: host.to_string(),
            name: format!("{host} ({e})"),
        })
    }

    /// Whether a secret may travel to `url`: over HTTPS, to loopback, or to a host the
    /// user explicitly allowed over plain HTTP.
    pub fn secret_allowed(&self, url: &Url) -> bool {
        url.scheme() == "https" || is_loopback_url(url) || self.plain_http.contains(&host_port(url))
    }

    /// Sends `req`, following redirects and retrying per [`should_retry`].
    pub async fn execute(&self, req: &Request) -> Result<Reply, RegistryError> {
        self.execute_from(req, None, Spent::default()).await
    }

    /// Like [`execute`](Self::execute), with an `application/x-www-form-urlencoded` body.
    /// The body may hold a secret (a refresh token), so like `Authorization` it is sent
    /// only to the origin of `req.url`; a redirect elsewhere is refused.
    pub async fn execute_with_form(
        &self,
        req: &Request,
        form: Option<&str>,
    ) -> Result<Reply, RegistryError> {
        self.execute_from(req, form, Spent::default()).await
    }

    /// [`execute_with_form`](Self::execute_with_form), with part of the retry budget
    /// already spent.
    async fn execute_from(
        &self,
        req: &Request,
        form: Option<&str>,
        mut spent: Spent,
    ) -> Result<Reply, RegistryError> {
        loop {
            let slot = self
                .limiter
                .clone()
                .acquire_owned()
                .await
                .expect("never closed");
            // Admitted only once a slot is free, so waiting for a slot holds no budget.
            let mut reservation = self.rate_limits.admit(&req.url).await?;
            let permits = Permits { _slot: slot };
            self.counters.request(req.kind);
            spent.attempts += 1;
            let attempt = self.attempt(req, form, &mut reservation).await;
            drop(reservation);
            let (decision, final_result) = match attempt {
                Ok((response, url)) if response.status().as_u16() < 400 => {
                    return Ok(Reply::Accepted(Answer {
                        response,
                        url,
                        _permit: permits,
                        resume: Box::new(Resume {
                            transport: self.clone(),
                            request: req.clone(),
                            spent,
                        }),
                    }));
                }
                Ok((response, url)) => {
                    let rejection = Rejection::read(response, url).await;
                    drop(permits);
                    if self.spent_budget_refusal(&rejection.inner, spent) {
                        // Retrying would only ask again: admission stops (or waits for
                        // the reset) instead.
                        continue;
                    }
                    let retry_after = rejection.retry_after.as_deref();
                    let outcome = Outcome::Status {
                        status: rejection.inner.status.as_u16(),
                        retry_after,
                        body: &rejection.inner.body,
                    };
                    let decision = self.decide(&outcome, spent);
                    (decision, Ok(Reply::Rejected(rejection.inner)))
                }
                Err(AttemptError::Http(e, url)) => {
                    drop(permits);
                    let outcome = Outcome::Transport(fault_of(&e));
                    (
                        self.decide(&outcome, spent),
                        Err(RegistryError::transport(&url, e)),
                    )
                }
                Err(AttemptError::Refused(e)) => return Err(e),
            };
            let Decision::Retry(wait) = decision else {
                return final_result;
            };
            let cause = match &final_result {
                Ok(Reply::Rejected(r)) => format!("HTTP {}", r.status.as_u16()),
                Ok(Reply::Accepted(_)) => String::new(),
                Err(e) => format!("{}", e.kind()),
            };
            self.pause(&req.url, &mut spent, wait, &cause).await;
        }
    }

    /// Whether a rejection is a 429 from a host whose budget is now known to be spent,
    /// to be handed back to admission rather than retried: with `--on-rate-limit stop`
    /// always (admission refuses), with `wait` while attempts are left (admission waits
    /// for the reset).
    fn spent_budget_refusal(&self, rejection: &Rejection, spent: Spent) -> bool {
        rejection.status == StatusCode::TOO_MANY_REQUESTS
            && self.rate_limits.is_spent(&rejection.url)
            && (self.rate_limits.stops() || spent.attempts < self.policy.max_attempts)
    }

    /// Counts a retry and waits `wait` before it.
    async fn pause(&self, url: &Url, spent: &mut Spent, wait: Duration, cause: &str) {
        tracing::debug!(
            url = %redact_url(url),
            attempt = spent.attempts,
            wait_ms = wait.as_millis() as u64,
            %cause,
            "retrying after a transient failure"
        );
        self.counters.retry();
        self.pause.wait(wait).await;
        spent.waited += wait;
    }

    /// Asks the retry policy, with the real clock and a fresh jitter sample.
    fn decide(&self, outcome: &Outcome<'_>, spent: Spent) -> Decision {
        decide_now(outcome, spent, self.policy)
    }

    /// One attempt: the request and any redirects. Each answer's budget headers go to
    /// `reservation`, the first from the reserved host releasing it.
    async fn attempt(
        &self,
        req: &Request,
        form: Option<&str>,
        reservation: &mut Reservation,
    ) -> Result<(reqwest::Response, Url), AttemptError> {
        let origin = req.url.origin();
        let mut url = req.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut builder = self.http.request(req.method.clone(), url.clone());
            if let Some(accept) = &req.accept {
                builder = builder.header(ACCEPT, accept.clone());
            }
            let with_auth = url.origin() == origin && self.secret_allowed(&url);
            if let (Some(auth), true) = (&req.auth, with_auth) {
                builder = builder.header(AUTHORIZATION, auth.clone());
            }
            if let Some(form) = form {
                if url.origin() != origin {
                    return Err(AttemptError::Refused(RegistryError::BadRedirect {
                        url: redact_url(&url),
                    }));
                }
                builder = builder
                    .header(CONTENT_TYPE, FORM_CONTENT_TYPE)
                    .body(form.to_owned());
            }
            let shown = redact_url(&url);
            tracing::trace!(method = %req.method, url = %shown, auth = with_auth, "request");
            let response = builder
                .send()
                .await
                .map_err(|e| AttemptError::Http(e, url.clone()))?;
            reservation.settle(&url, response.headers());
            if !response.status().is_redirection() {
                return Ok((response, url));
            }
            let location = response.headers().get(LOCATION);
            url = redirect_target(&url, location).map_err(AttemptError::Refused)?;
            self.counters.redirect();
        }
        Err(AttemptError::Refused(RegistryError::BadRedirect {
            url: redact_url(&url),
        }))
    }
}

/// The vetted `Location` of a redirect: same scheme, or HTTP to HTTPS.
fn redirect_target(from: &Url, location: Option<&HeaderValue>) -> Result<Url, RegistryError> {
    let bad = || RegistryError::BadRedirect {
        url: redact_url(from),
    };
    let location = location.ok_or_else(bad)?.to_str().map_err(|_| bad())?;
    let to = from.join(location).map_err(|_| bad())?;
    match (from.scheme(), to.scheme()) {
        ("https", "https") | ("http", "http") | ("http", "https") => {}
        ("https", "http") => {
            return Err(RegistryError::InsecureRedirect {
                url: redact_url(&to),
            });
        }
        _ => return Err(bad()),
    }
    tracing::debug!(
        from = %redact_url(from),
        to = %redact_url(&to),
        same_origin = from.origin() == to.origin(),
        "following redirect"
    );
    Ok(to)
}

/// A rejection plus the header the retry policy reads.
struct ReadRejection {
    inner: Rejection,
    retry_after: Option<String>,
}

impl Rejection {
    /// Reads the headers and the start of the body of an error response.
    async fn read(mut response: reqwest::Response, url: Url) -> ReadRejection {
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let challenge = header(WWW_AUTHENTICATE);
        let retry_after = header(RETRY_AFTER);
        let status = response.status();
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_CAP {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(ERROR_BODY_CAP);
        let body = String::from_utf8_lossy(&body).into_owned();
        ReadRejection {
            inner: Rejection {
                status,
                url,
                challenge,
                body,
            },
            retry_after,
        }
    }

    /// The error this status means.
    pub fn into_error(self) -> RegistryError {
        let url = redact_url(&self.url);
        match self.status.as_u16() {
            401 => RegistryError::Unauthorized { url },
            403 => RegistryError::Denied {
                url,
                status: 403,
                message: registry_message(&self.body),
            },
            404 => RegistryError::NotFound { url },
            status => RegistryError::Status {
                url,
                status,
                body_excerpt: excerpt(&self.body),
            },
        }
    }
}

/// The `errors[].message` of a Distribution error body, else an excerpt of the text.
fn registry_message(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_str::<Errors>(body) {
        Ok(parsed) if !parsed.errors.is_empty() => {
            let parts: Vec<String> = parsed
                .errors
                .iter()
                .map(|e| format!("{} {}", e.code, e.message).trim().to_string())
                .collect();
            excerpt(&parts.join("; "))
        }
        _ => excerpt(body),
    }
}

/// The first characters of `text`, control characters flattened to spaces.
fn excerpt(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    flat.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the body of `answer`, failing with `TooLarge` past `limit` bytes. A body that
/// breaks off (reset, cut short of its length, timed out) is asked for again, as the
/// retry policy allows, within the budget the request has left.
pub(crate) async fn read_capped(answer: Answer, limit: usize) -> Result<Bytes, RegistryError> {
    let mut answer = answer;
    loop {
        let Answer {
            response,
            url,
            _permit,
            resume,
        } = answer;
        let error = match read_body(response, &url, limit).await {
            Ok(body) => return Ok(body),
            Err(BodyError::TooLarge) => {
                return Err(RegistryError::TooLarge {
                    url: redact_url(&url),
                    limit,
                })
            }
            Err(BodyError::Http(e)) => e,
        };
        drop(_permit);
        let Resume {
            transport,
            request,
            mut spent,
        } = *resume;
        let outcome = Outcome::Transport(fault_of(&error));
        let Decision::Retry(wait) = transport.decide(&outcome, spent) else {
            return Err(RegistryError::transport(&url, error));
        };
        transport
            .pause(&url, &mut spent, wait, "body cut short")
            .await;
        answer = transport
            .execute_from(&request, None, spent)
            .await?
            .accepted()?;
    }
}

/// Why a body read stopped.
enum BodyError {
    /// Past the cap.
    TooLarge,
    /// The connection failed.
    Http(reqwest::Error),
}

/// Reads a body up to `limit` bytes.
async fn read_body(
    mut response: reqwest::Response,
    url: &Url,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        tracing::debug!(url = %redact_url(url), limit, "Content-Length over the cap");
        return Err(BodyError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Http)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// I/O error kinds that mean the peer went away mid-exchange.
const DROPPED_KINDS: [std::io::ErrorKind; 4] = [
    std::io::ErrorKind::ConnectionReset,
    std::io::ErrorKind::ConnectionAborted,
    std::io::ErrorKind::UnexpectedEof,
    std::io::ErrorKind::BrokenPipe,
];

/// What kind of transport fault a reqwest error is, for the retry policy.
pub(crate) fn fault_of(error: &reqwest::Error) -> Fault {
    if error.is_timeout() {
        return Fault::Timeout;
    }
    if error.is_connect() {
        return Fault::Connect;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                return Fault::Dropped;
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if DROPPED_KINDS.contains(&io.kind()) {
                return Fault::Dropped;
            }
        }
        source = e.source();
    }
    Fault::Other
}

/// Whether the URL's host is loopback or `localhost`.
pub(crate) fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `host[:port]` as users write it in `plain_http`.
fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_https_unless_loopback_or_listed() {
        let options = ClientOptions {
            plain_http: vec!["Mirror.lan:5000".into()],
            ..ClientOptions::default()
        };
        let t = Transport::new(&options).unwrap();
        let base = |h: &str| t.base_url(&Registry::parse(h).unwrap()).unwrap();
        assert_eq!(base("127.0.0.1:5000").scheme(), "http");
        assert_eq!(base("localhost:5000").scheme(), "http");
        assert_eq!(base("mirror.lan:5000").scheme(), "http");
        assert_eq!(base("mirror.lan").scheme(), "https");
        assert_eq!(base("docker.io").as_str(), "https://registry-1.docker.io/");
    }

    #[test]
    fn secrets_only_over_https_loopback_or_listed() {
        let options = ClientOptions {
            plain_http: vec!["mirror.lan:5000".into()],
            ..ClientOptions::default()
        };
        let t = Transport::new(&options).unwrap();
        let ok = |u: &str| t.secret_allowed(&Url::parse(u).unwrap());
        assert!(ok("https://r.example/v2/"));
        assert!(ok("http://127.0.0.1:1/v2/"));
        assert!(ok("http://[::1]:1/v2/"));
        assert!(ok("http://mirror.lan:5000/v2/"));
        assert!(!ok("http://r.example/v2/"));
        assert!(!ok("http://mirror.lan/v2/"));
    }

    #[test]
    fn redirects_never_downgrade() {
        let from = Url::parse("https://r.example/v2/x/blobs/sha256:1").unwrap();
        let loc = |s: &'static str| HeaderValue::from_static(s);
        let to = redirect_target(&from, Some(&loc("https://cdn.example/b?sig=1"))).unwrap();
        assert_eq!(to.host_str(), Some("cdn.example"));
        let down = redirect_target(&from, Some(&loc("http://cdn.example/b"))).unwrap_err();
        assert_eq!(down.kind(), "insecure redirect");
        assert!(redirect_target(&from, Some(&loc("ftp://cdn.example/b"))).is_err());
        assert_eq!(
            redirect_target(&from, None).unwrap_err().kind(),
            "bad redirect"
        );
        let plain = Url::parse("http://127.0.0.1:5000/v2/").unwrap();
        let up = redirect_target(&plain, Some(&loc("https://cdn.example/b"))).unwrap();
        assert_eq!(up.scheme(), "https");
        let rel = redirect_target(&plain, Some(&loc("/other"))).unwrap();
        assert_eq!(rel.as_str(), "http://127.0.0.1:5000/other");
    }

    #[test]
    fn error_messages_use_registry_json() {
        let body = r#"{"errors":[{"code":"DENIED","message":"access to the resource is denied"}]}"#;
        assert_eq!(
            registry_message(body),
            "DENIED access to the resource is denied"
        );
        assert_eq!(
            registry_message("<html>\n<b>nope</b>\n</html>"),
            "<html> <b>nope</b> </html>"
        );
    }
}
