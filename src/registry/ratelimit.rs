//! Per-host request budgets announced by the registry (`RateLimit-Limit` and
//! `RateLimit-Remaining`, as Docker Hub sends them: `100;w=21600`).
//!
//! Every response updates its host's budget. While plenty is left, nothing changes. When
//! the budget falls to [`SLOW_DOWN_MARGIN`] (or the concurrency, if higher), requests to
//! that host go one at a time, so the requests already in flight cannot overshoot zero
//! and every answer's count is seen before the next request leaves. At zero, the
//! [`OnRateLimit`] mode decides: wait until the window resets (within the retry-wait
//! cap), or stop: every later request to the host fails at once with
//! [`RegistryError::RateLimited`] and [`RateLimits::exhausted`] resolves, so the crawl
//! can end cleanly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use super::error::RegistryError;

/// Requests left at which a host is slowed to one request at a time: more than the
/// default concurrency (16), so the requests in flight when the count is read cannot
/// spend more than what is left.
pub const SLOW_DOWN_MARGIN: u64 = 20;
/// Window assumed when the registry gives a count but no `w=` and no reset hint: Docker
/// Hub's documented pull-limit window, six hours.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(6 * 60 * 60);

const LIMIT_HEADER: &str = "ratelimit-limit";
const REMAINING_HEADER: &str = "ratelimit-remaining";
/// The IETF draft's seconds-until-reset header; some registries send it.
const RESET_HEADER: &str = "ratelimit-reset";

/// What to do when a host's budget reaches zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnRateLimit {
    /// Wait for the window to reset, if that is within the retry-wait cap; else stop.
    Wait,
    /// Stop asking the host at once; the crawl ends with what it has.
    #[default]
    Stop,
}

/// One host's last announced budget.
#[derive(Debug, Clone)]
struct Budget {
    limit: Option<u64>,
    remaining: u64,
    /// When the budget is whole again, counted from `seen`.
    resets_in: Duration,
    seen: Instant,
}

/// The budgets of every host one client has talked to.
#[derive(Debug)]
pub(crate) struct RateLimits {
    mode: OnRateLimit,
    max_wait: Duration,
    slow_below: u64,
    hosts: Mutex<HashMap<String, Budget>>,
    single_file: Mutex<HashMap<String, Arc<Semaphore>>>,
    exhausted: watch::Sender<Option<String>>,
}

impl RateLimits {
    /// Budgets acted on per `mode`; `max_wait` caps a wait for a reset; hosts slow down
    /// below `SLOW_DOWN_MARGIN` or `concurrency`, whichever is higher.
    pub fn new(mode: OnRateLimit, max_wait: Duration, concurrency: usize) -> Self {
        RateLimits {
            mode,
            max_wait,
            slow_below: SLOW_DOWN_MARGIN.max(concurrency as u64),
            hosts: Mutex::default(),
            single_file: Mutex::default(),
            exhausted: watch::channel(None).0,
        }
    }

    /// Reads the budget headers of a response from `url`.
    pub fn observe(&self, url: &Url, headers: &HeaderMap) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let Some((remaining, window)) = header(REMAINING_HEADER).and_then(parse_quota) else {
            return;
        };
        let limit = header(LIMIT_HEADER).and_then(parse_quota);
        let reset = header(RESET_HEADER)
            .or_else(|| header(RETRY_AFTER.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        let resets_in = reset
            .or(window)
            .or(limit.and_then(|l| l.1))
            .unwrap_or(DEFAULT_WINDOW);
        let budget = Budget {
            limit: limit.map(|l| l.0),
            remaining,
            resets_in,
            seen: Instant::now(),
        };
        tracing::debug!(host = %host_key(url), remaining, limit = ?budget.limit, "rate-limit budget");
        self.hosts.lock().unwrap().insert(host_key(url), budget);
    }

    /// Waits until a request to `url` may go. Returns a permit to hold for the request
    /// when the host is slowed to one at a time, or `RateLimited` when the budget is spent
    /// and the mode (or the wait cap) says stop.
    pub async fn admit(&self, url: &Url) -> Result<Option<OwnedSemaphorePermit>, RegistryError> {
        let host = host_key(url);
        loop {
            let Some(budget) = self.hosts.lock().unwrap().get(&host).cloned() else {
                return Ok(None);
            };
            if budget.remaining > self.slow_below {
                return Ok(None);
            }
            if budget.remaining > 0 {
                let lane = self
                    .lane(&host)
                    .acquire_owned()
                    .await
                    .expect("never closed");
                // The request ahead in the lane may have spent the last one.
                let now = self.hosts.lock().unwrap().get(&host).map(|b| b.remaining);
                if now.is_none_or(|left| left > 0) {
                    return Ok(Some(lane));
                }
                continue;
            }
            let until = budget.seen + budget.resets_in;
            let wait = until.saturating_duration_since(Instant::now());
            if self.mode == OnRateLimit::Stop || wait > self.max_wait {
                return Err(self.stop(&host, &budget, wait));
            }
            tracing::warn!(
                host,
                wait_s = wait.as_secs(),
                "rate limit spent; waiting for the window to reset"
            );
            tokio::time::sleep_until(until).await;
            let mut hosts = self.hosts.lock().unwrap();
            if let Some(b) = hosts.get_mut(&host).filter(|b| b.seen == budget.seen) {
                // The window has reset, but by how much is unknown until the next answer:
                // go one at a time until a response says more is left.
                b.remaining = 1;
            }
        }
    }

    /// Resolves with a message once a host's budget is spent and the crawl should stop.
    pub async fn exhausted(&self) -> String {
        let mut rx = self.exhausted.subscribe();
        let seen = rx.wait_for(Option::is_some).await.map(|v| v.clone());
        match seen {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => std::future::pending().await,
        }
    }

    /// The one-at-a-time lane of `host`.
    fn lane(&self, host: &str) -> Arc<Semaphore> {
        let mut lanes = self.single_file.lock().unwrap();
        lanes
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(1)))
            .clone()
    }

    /// Records the stop and builds the error every refused request carries.
    fn stop(&self, host: &str, budget: &Budget, wait: Duration) -> RegistryError {
        let of = budget.limit.map(|l| format!(" of {l}")).unwrap_or_default();
        let why = match self.mode {
            OnRateLimit::Stop => "stopping (--on-rate-limit stop)".to_string(),
            OnRateLimit::Wait => format!(
                "stopping: that is longer than --max-retry-wait ({} s)",
                self.max_wait.as_secs()
            ),
        };
        let message = format!(
            "rate limit spent on {host}: 0{of} requests left, budget resets in about {} s; {why}",
            wait.as_secs()
        );
        self.exhausted.send_if_modified(|v| {
            let first = v.is_none();
            if first {
                *v = Some(message.clone());
            }
            first
        });
        RegistryError::RateLimited {
            host: host.to_string(),
            message,
        }
    }
}

/// `host[:port]` of a URL: budgets are per host.
fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// Parses `100;w=21600` (or a bare `100`) into the count and the window.
pub fn parse_quota(value: &str) -> Option<(u64, Option<Duration>)> {
    let mut parts = value.split(';').map(str::trim);
    let count = parts.next()?.parse().ok()?;
    let window = parts
        .filter_map(|p| p.strip_prefix("w="))
        .find_map(|w| w.trim().parse().ok())
        .map(Duration::from_secs);
    Some((count, window))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(limit: &str, remaining: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(LIMIT_HEADER, HeaderValue::from_str(limit).unwrap());
        h.insert(REMAINING_HEADER, HeaderValue::from_str(remaining).unwrap());
        h
    }

    fn url() -> Url {
        Url::parse("https://registry-1.docker.io/v2/library/alpine/manifests/3").unwrap()
    }

    #[test]
    fn parses_docker_hub_quotas() {
        assert_eq!(
            parse_quota("100;w=21600"),
            Some((100, Some(Duration::from_secs(21600))))
        );
        assert_eq!(parse_quota(" 7 "), Some((7, None)));
        assert_eq!(parse_quota("lots;w=1"), None);
    }

    #[tokio::test]
    async fn plenty_left_changes_nothing_and_little_left_goes_single_file() {
        let limits = RateLimits::new(OnRateLimit::Stop, Duration::from_secs(60), 8);
        assert!(
            limits.admit(&url()).await.unwrap().is_none(),
            "no headers yet"
        );
        limits.observe(&url(), &headers("100;w=21600", "76;w=21600"));
        assert!(limits.admit(&url()).await.unwrap().is_none());
        limits.observe(&url(), &headers("100;w=21600", "20;w=21600"));
        let first = limits.admit(&url()).await.unwrap().expect("slowed");
        // A second request must wait for the first to finish.
        let lane = limits.lane("registry-1.docker.io");
        assert_eq!(lane.available_permits(), 0);
        drop(first);
        assert_eq!(lane.available_permits(), 1);
        // Other hosts keep their own budget.
        let other = Url::parse("https://ghcr.io/v2/").unwrap();
        assert!(limits.admit(&other).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn spent_budget_stops_with_a_clear_message() {
        let limits = RateLimits::new(OnRateLimit::Stop, Duration::from_secs(60), 8);
        limits.observe(&url(), &headers("100;w=21600", "0;w=21600"));
        let err = limits.admit(&url()).await.unwrap_err();
        assert_eq!(err.kind(), "rate limited");
        let text = err.to_string();
        assert!(text.contains("registry-1.docker.io"), "{text}");
        assert!(text.contains("0 of 100"), "{text}");
        assert!(text.contains("--on-rate-limit stop"), "{text}");
        assert_eq!(limits.exhausted().await, text);
    }

    #[tokio::test]
    async fn wait_mode_stops_when_the_reset_is_beyond_the_cap() {
        let limits = RateLimits::new(OnRateLimit::Wait, Duration::from_secs(60), 8);
        limits.observe(&url(), &headers("100;w=21600", "0;w=21600"));
        let err = limits.admit(&url()).await.unwrap_err();
        assert!(err.to_string().contains("--max-retry-wait"), "{err}");
    }

    #[tokio::test]
    async fn wait_mode_waits_for_the_window_then_goes_single_file() {
        let limits = RateLimits::new(OnRateLimit::Wait, Duration::from_secs(60), 8);
        limits.observe(&url(), &headers("100;w=1", "0;w=1"));
        let before = Instant::now();
        let permit = limits.admit(&url()).await.unwrap();
        assert!(
            before.elapsed() >= Duration::from_secs(1),
            "waited for the window"
        );
        assert!(permit.is_some(), "one at a time until a response says more");
    }
}
