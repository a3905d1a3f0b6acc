//! Client settings: timeouts, concurrency, retry budget, credentials and plain-HTTP hosts.

use std::sync::Arc;
use std::time::Duration;

use super::ratelimit::OnRateLimit;
use crate::credentials::Keychain;

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
    /// What to do when a registry's announced request budget is spent.
    pub on_rate_limit: OnRateLimit,
    /// Where each registry's credential comes from. A client asks it once, for its own
    /// registry, when the registry first asks for authentication.
    pub keychain: Arc<Keychain>,
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
            on_rate_limit: OnRateLimit::default(),
            keychain: Arc::new(Keychain::anonymous()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credential;

    #[test]
    fn debug_hides_secrets() {
        let hosts = ["r.example".to_string()].into();
        let keychain =
            Keychain::from_env(Some((hosts, Credential::basic("alice", "hunter2"))), |_| {
                None
            })
            .unwrap();
        let shown = format!(
            "{:?}",
            ClientOptions {
                keychain: Arc::new(keychain),
                ..ClientOptions::default()
            }
        );
        assert!(shown.contains("r.example"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
