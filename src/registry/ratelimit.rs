//! Per-host request budgets announced by the registry (`RateLimit-Limit` and
//! `RateLimit-Remaining`, as Docker Hub sends them: `100;w=21600`).
//!
//! Admission follows [`HostBudget`]: a request to a host starts only while the budget
//! last announced, less the requests already in flight to that host, is above zero; at or
//! below [`SLOW_DOWN_MARGIN`] (or the concurrency, if higher) requests go one at a time;
//! each answer's headers release its reservation and update the count. So the requests
//! sent never exceed what the host announced. At zero no request is sent, and the
//! [`OnRateLimit`] mode decides: wait until the window resets (within the retry-wait
//! cap), or stop: every later request to the host fails at once with
//! [`RegistryError::RateLimited`] and [`RateLimits::exhausted`] resolves, so the crawl
//! can end cleanly.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use url::Url;

use super::budget::{Admission, Announcement, HostBudget, Ticket};
use super::error::RegistryError;

/// Requests left at or below which a host is slowed to one request at a time, so every
/// answer's count is seen before the next request leaves (the budget may be shared with
/// other clients, whose spending only shows in the answers).
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

/// The budgets of every host one client has talked to.
#[derive(Debug)]
pub(crate) struct RateLimits {
    mode: OnRateLimit,
    max_wait: Duration,
    slow_at: u64,
    /// The clock the budgets' reset times are counted on.
    epoch: Instant,
    hosts: Mutex<HashMap<String, HostBudget>>,
    /// Registry names as written in output, by `host[:port]`, for messages.
    names: Mutex<HashMap<String, String>>,
    /// Signalled whenever a reservation is released or a count changes.
    changed: Notify,
    exhausted: watch::Sender<Option<String>>,
    /// The windows already announced as waited for, per host: every request waiting
    /// for one window is one wait, said once.
    announced: Mutex<HashSet<(String, Duration)>>,
}

/// A request's claim on its host's budget: hand it the first answer's headers with
/// [`settle`](Self::settle); dropped unsettled, the request counts as possibly spent.
pub(crate) struct Reservation {
    limits: Arc<RateLimits>,
    host: String,
    ticket: Option<Ticket>,
}

impl Reservation {
    /// Takes the headers of a response from `url`: the request's own answer if it is
    /// from the reserved host (releasing the reservation), else just an observation.
    pub fn settle(&mut self, url: &Url, headers: &HeaderMap) {
        let host = host_key(url);
        let ticket = if host == self.host {
            self.ticket.take()
        } else {
            None
        };
        self.limits.answer(&host, ticket, headers);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.limits.update(&self.host, |b| b.unanswered(ticket));
        }
    }
}

impl RateLimits {
    /// Budgets acted on per `mode`; `max_wait` caps a wait for a reset; hosts slow down
    /// at `SLOW_DOWN_MARGIN` or `concurrency` left, whichever is higher.
    pub fn new(mode: OnRateLimit, max_wait: Duration, concurrency: usize) -> Self {
        RateLimits {
            mode,
            max_wait,
            slow_at: SLOW_DOWN_MARGIN.max(concurrency as u64),
            epoch: Instant::now(),
            hosts: Mutex::default(),
            names: Mutex::default(),
            changed: Notify::new(),
            exhausted: watch::channel(None).0,
            announced: Mutex::default(),
        }
    }

    /// Names `host[:port]` (as contacted) by the registry name written in output, so a
    /// stop message says `docker.io`, not a mapped endpoint.
    pub fn name_host(&self, api_host: &str, name: &str) {
        let mut names = self.names.lock().unwrap();
        names.insert(api_host.to_ascii_lowercase(), name.to_string());
    }

    /// Whether the budget of `url`'s host is known to be spent.
    pub fn is_spent(&self, url: &Url) -> bool {
        let hosts = self.hosts.lock().unwrap();
        hosts.get(&host_key(url)).is_some_and(HostBudget::is_spent)
    }

    /// Whether a spent budget stops the crawl (rather than waiting for a reset).
    pub fn stops(&self) -> bool {
        self.mode == OnRateLimit::Stop
    }

    /// Waits until a request to `url` may start and reserves budget for it, or fails with
    /// `RateLimited` when the budget is spent and the mode (or the wait cap) says stop.
    pub async fn admit(self: &Arc<Self>, url: &Url) -> Result<Reservation, RegistryError> {
        let host = host_key(url);
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            // An admission frees nothing, so it wakes no one (waking this very loop would
            // spin it).
            let admission = self.budget(&host, |b| b.admit(self.slow_at));
            let (limit, resets_at) = match admission {
                Admission::Go(ticket) => {
                    return Ok(Reservation {
                        limits: self.clone(),
                        host,
                        ticket: Some(ticket),
                    })
                }
                Admission::Wait => {
                    changed.await;
                    continue;
                }
                Admission::Spent { limit, resets_at } => (limit, resets_at),
            };
            let until = self.epoch + resets_at;
            let wait = until.saturating_duration_since(Instant::now());
            if self.mode == OnRateLimit::Stop || wait > self.max_wait {
                return Err(self.stop(&host, limit, wait));
            }
            let first = self
                .announced
                .lock()
                .unwrap()
                .insert((host.clone(), resets_at));
            if first {
                tracing::warn!(
                    host = self.display(&host),
                    wait_s = wait.as_secs(),
                    "rate limit spent; waiting for the window to reset"
                );
            }
            tokio::time::sleep_until(until).await;
            self.update(&host, |b| b.window_reset(resets_at));
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

    /// Applies an answer from `host` (with the request's ticket, if it was reserved on
    /// `host`) to the host's budget.
    fn answer(&self, host: &str, ticket: Option<Ticket>, headers: &HeaderMap) {
        let said = announcement(headers);
        if let Some(said) = &said {
            let (remaining, limit) = (said.remaining, said.limit);
            tracing::debug!(host, remaining, limit = ?limit, "rate-limit budget");
        }
        let now = self.epoch.elapsed();
        self.update(host, |b| b.answer(ticket, said, now));
    }

    /// Runs `f` on `host`'s budget and wakes requests waiting for a change.
    fn update(&self, host: &str, f: impl FnOnce(&mut HostBudget)) {
        self.budget(host, f);
        self.changed.notify_waiters();
    }

    /// Runs `f` on `host`'s budget.
    fn budget<T>(&self, host: &str, f: impl FnOnce(&mut HostBudget) -> T) -> T {
        f(self
            .hosts
            .lock()
            .unwrap()
            .entry(host.to_string())
            .or_default())
    }

    /// The registry name of `host`, if known, else `host`.
    fn display(&self, host: &str) -> String {
        let names = self.names.lock().unwrap();
        names.get(host).cloned().unwrap_or_else(|| host.to_string())
    }

    /// Records the stop and builds the error every refused request carries.
    fn stop(&self, host: &str, limit: Option<u64>, wait: Duration) -> RegistryError {
        let of = limit.map(|l| format!(" of {l}")).unwrap_or_default();
        let why = match self.mode {
            OnRateLimit::Stop => "stopping (--on-rate-limit stop)".to_string(),
            OnRateLimit::Wait => format!(
                "stopping: that is longer than --max-retry-wait ({} s)",
                self.max_wait.as_secs()
            ),
        };
        let name = self.display(host);
        let message = format!(
            "rate limit spent on {name}: 0{of} requests left, budget resets in about {} s; {why}",
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
            host: name,
            message,
        }
    }
}

/// What a response's budget headers announce, if it has them.
fn announcement(headers: &HeaderMap) -> Option<Announcement> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (remaining, window) = header(REMAINING_HEADER).and_then(parse_quota)?;
    let limit = header(LIMIT_HEADER).and_then(parse_quota);
    let reset = header(RESET_HEADER)
        .or_else(|| header(RETRY_AFTER.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .map(Duration::from_secs);
    let resets_in = reset
        .or(window)
        .or(limit.and_then(|l| l.1))
        .unwrap_or(DEFAULT_WINDOW);
    Some(Announcement {
        remaining,
        limit: limit.map(|l| l.0),
        resets_in,
    })
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
    use futures::FutureExt;
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

    fn limits(mode: OnRateLimit) -> Arc<RateLimits> {
        let limits = Arc::new(RateLimits::new(mode, Duration::from_secs(60), 8));
        limits.name_host("registry-1.docker.io", "docker.io");
        limits
    }

    /// One request to `url()` answered with `remaining` of 100 left, window `w` seconds.
    async fn answered(limits: &Arc<RateLimits>, remaining: u64, w: u64) {
        let mut r = limits.admit(&url()).await.unwrap();
        let h = headers(&format!("100;w={w}"), &format!("{remaining};w={w}"));
        r.settle(&url(), &h);
    }

    #[tokio::test]
    async fn requests_in_flight_count_against_the_budget() {
        let limits = limits(OnRateLimit::Stop);
        let first = limits.admit(&url()).await.unwrap();
        assert!(
            limits.admit(&url()).now_or_never().is_none(),
            "nothing known yet: the first request goes alone"
        );
        drop(first);
        answered(&limits, 40, 21600).await;
        // 40 left: 40 may be in flight, the 41st waits.
        let mut held = Vec::new();
        for _ in 0..40 {
            held.push(
                limits
                    .admit(&url())
                    .now_or_never()
                    .expect("admitted")
                    .unwrap(),
            );
        }
        assert!(limits.admit(&url()).now_or_never().is_none(), "41st waits");
        // Other hosts keep their own budget.
        let other = Url::parse("https://ghcr.io/v2/").unwrap();
        assert!(limits.admit(&other).now_or_never().is_some());
        // An answer that spent one leaves 39 for the 39 still in flight: none may go.
        held[0].settle(&url(), &headers("100;w=21600", "39;w=21600"));
        assert!(limits.admit(&url()).now_or_never().is_none());
        // One the host did not count (a HEAD on Docker Hub) releases its reservation.
        held[1].settle(&url(), &headers("100;w=21600", "39;w=21600"));
        assert!(limits.admit(&url()).now_or_never().is_some());
    }

    #[tokio::test]
    async fn little_left_goes_single_file() {
        let limits = limits(OnRateLimit::Stop);
        answered(&limits, 20, 21600).await;
        let mut first = limits.admit(&url()).await.unwrap();
        assert!(
            limits.admit(&url()).now_or_never().is_none(),
            "one at a time"
        );
        first.settle(&url(), &headers("100;w=21600", "19;w=21600"));
        assert!(limits.admit(&url()).now_or_never().is_some());
    }

    #[tokio::test]
    async fn spent_budget_stops_with_a_clear_message() {
        let limits = limits(OnRateLimit::Stop);
        answered(&limits, 0, 21600).await;
        assert!(limits.is_spent(&url()));
        let err = limits.admit(&url()).await.err().expect("refused");
        assert_eq!(err.kind(), "rate limited");
        let text = err.to_string();
        assert!(text.contains("rate limit spent on docker.io:"), "{text}");
        assert!(!text.contains("registry-1"), "{text}");
        assert!(text.contains("0 of 100"), "{text}");
        assert!(text.contains("--on-rate-limit stop"), "{text}");
        assert_eq!(limits.exhausted().await, text);
    }

    #[tokio::test]
    async fn wait_mode_stops_when_the_reset_is_beyond_the_cap() {
        let limits = limits(OnRateLimit::Wait);
        answered(&limits, 0, 21600).await;
        let err = limits.admit(&url()).await.err().expect("refused");
        assert!(err.to_string().contains("--max-retry-wait"), "{err}");
    }

    /// On tokio's paused clock: the wait for the window moves virtual time only, so the
    /// test measures it exactly and spends none of it.
    #[tokio::test(start_paused = true)]
    async fn wait_mode_waits_for_the_window_then_goes_single_file() {
        let limits = limits(OnRateLimit::Wait);
        answered(&limits, 0, 1).await;
        let before = Instant::now();
        let first = limits.admit(&url()).await.unwrap();
        let waited = before.elapsed();
        assert!(
            waited >= Duration::from_secs(1) && waited < Duration::from_secs(2),
            "waited for the one-second window, not more: {waited:?}"
        );
        assert!(
            limits.admit(&url()).now_or_never().is_none(),
            "one at a time until a response says more"
        );
        drop(first);
    }

    /// Log lines written while a test runs, for asserting what the user is told.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_waiting_for_one_window_warn_once() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::WARN)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let limits = limits(OnRateLimit::Wait);
        answered(&limits, 0, 1).await;
        let target = url();
        let plenty = headers("100;w=21600", "99;w=21600");
        let waiting = (0..5).map(|_| async {
            let mut admitted = limits.admit(&target).await?;
            admitted.settle(&target, &plenty);
            Ok::<_, RegistryError>(())
        });
        let admitted = futures::future::join_all(waiting).await;
        assert!(admitted.iter().all(Result::is_ok));
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            log.matches("waiting for the window to reset").count(),
            1,
            "{log}"
        );
    }
}
