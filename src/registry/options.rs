//! Client settings: timeouts, concurrency, retry budget, credentials and plain-HTTP hosts.

use std::fmt;
use std::time::Duration;

use super::ratelimit::OnRateLimit;

/// Concurrent requests per registry host: enough to hide round-trip latency, few enough
/// to stay clear of per-account throttles (ECR) and per-IP connection limits.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// Connect timeout: a registry that has not accepted a TCP/TLS connection in 10 s is
/// down or filtered, and retries will tell.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout: the largest body read is a capped config blob (a few MiB),
/// which a minute covers even on slow links.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts per request including the first: four retries ride out a short 5xx burst
/// or one rate-limit window hint without stalling a crawl for long.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Total time one request may spend waiting between attempts: a minute covers the
/// usual `Retry-After` values while keeping a crawl moving when a registry is down.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// Settings for a [`RegistryClient`](super::RegistryClient).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `host[:port]` values that may be contacted over plain HTTP (loopback always may).
    pub plain_http: Vec<String>,
    /// Concurrent requests per registry host.
    pub max_concurrency: usize,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Timeout for a whole request, body included.
    pub request_timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Total wait between attempts of one request.
    pub max_retry_wait: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Username and password for Basic auth and token servers.
    pub credentials: Option<Credentials>,
    /// What to do when a registry's announced request budget is spent.
    pub on_rate_limit: OnRateLimit,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            plain_http: Vec::new(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            user_agent: concat!("nuccrawl/", env!("CARGO_PKG_VERSION")).to_string(),
            credentials: None,
            on_rate_limit: OnRateLimit::default(),
        }
    }
}

/// A username and password (or token used as password). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username.
    pub username: String,
    /// The password or personal access token.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_password() {
        let c = Credentials {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let shown = format!(
            "{:?}",
            ClientOptions {
                credentials: Some(c),
                ..ClientOptions::default()
            }
        );
        assert!(shown.contains("alice"));
        assert!(!shown.contains("hunter2"));
    }
}
