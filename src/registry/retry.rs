//! The retry policy: which outcomes are worth another attempt, and how long to wait.
//!
//! [`should_retry`] is the only place that decides. It is a pure function: the caller
//! passes the clock and a jitter sample, so the policy is tested without sleeping.
//!
//! Retried, with full-jitter exponential backoff unless the server names a wait: 429,
//! 408, 500/502/503/504 (and other 5xx but 501/505), refused connections, timeouts, and
//! connections that drop before the response is complete (reset, or a body cut short of
//! its `Content-Length`). Never retried: 4xx answers (401 is answered by the auth layer,
//! once), TLS and protocol errors. Attempts and total wait per request are capped by
//! [`RetryPolicy`].

use std::time::{Duration, SystemTime};

/// First backoff step; full jitter picks a wait in `[0, step)`.
pub const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Largest computed backoff step: beyond ten seconds a registry is down, not busy, and
/// the total-wait budget ends the request soon anyway.
pub const BACKOFF_CAP: Duration = Duration::from_secs(10);

/// What one attempt produced, reduced to what the policy needs.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The server answered.
    Status {
        /// HTTP status code.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<&'a str>,
        /// The start of the body (for hints inside error JSON).
        body: &'a str,
    },
    /// The request failed below HTTP, before or while the response was read.
    Transport(Fault),
}

/// How a request failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection could not be made (refused, unreachable, DNS).
    Connect,
    /// A connect or request timeout fired.
    Timeout,
    /// The connection closed or was reset before the whole response arrived: no answer
    /// at all, or a body shorter than its `Content-Length`.
    Dropped,
    /// Anything else (TLS, malformed HTTP): repeating it gives the same result.
    Other,
}

/// Limits on retrying one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts including the first.
    pub max_attempts: u32,
    /// Total wait across all retries of one request.
    pub max_total_wait: Duration,
}

/// What has been spent on a request so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    /// Attempts already made (at least 1 when deciding).
    pub attempts: u32,
    /// Time already waited between attempts.
    pub waited: Duration,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Do not retry: the outcome is final or the budget is spent.
    Stop,
}

/// [`should_retry`] with the real clock and a fresh jitter sample, as the transports ask.
pub fn decide_now(outcome: &Outcome<'_>, spent: Spent, policy: RetryPolicy) -> Decision {
    should_retry(
        outcome,
        spent,
        policy,
        SystemTime::now(),
        rand::random::<f64>(),
    )
}

/// Decides whether to retry after `outcome`. `jitter` is a sample from `[0, 1)`.
pub fn should_retry(
    outcome: &Outcome<'_>,
    spent: Spent,
    policy: RetryPolicy,
    now: SystemTime,
    jitter: f64,
) -> Decision {
    let hint = match *outcome {
        // Rate limited: the registry asks us to come back, often saying when (header, or
        // GHCR's hint inside the JSON message).
        Outcome::Status {
            status: 429,
            retry_after,
            body,
        } => Some(
            retry_after
                .and_then(|h| parse_retry_after(h, now))
                .or_else(|| body_hint(body)),
        ),
        // Request timeout: the server gave up waiting for us; a fresh attempt may pass.
        Outcome::Status {
            status: 408,
            retry_after,
            ..
        } => Some(retry_after.and_then(|h| parse_retry_after(h, now))),
        // 501 and 505 say the server cannot do this at all; asking again will not help.
        Outcome::Status {
            status: 501 | 505, ..
        } => None,
        // Other 5xx: overloaded or restarting backends and proxies (502/503/504) recover.
        Outcome::Status {
            status: 500..=599,
            retry_after,
            ..
        } => Some(retry_after.and_then(|h| parse_retry_after(h, now))),
        // Everything else, 400/401/403/404 included, is an answer, not a hiccup; auth is
        // handled one layer up and never by blind repetition.
        Outcome::Status { .. } => None,
        // Refused or timed-out connections are the textbook transient failure.
        Outcome::Transport(Fault::Connect | Fault::Timeout) => Some(None),
        // A connection that died mid-response (a proxy or load balancer recycling it, a
        // reset, a body cut short) says nothing about the next one. GET and HEAD are
        // idempotent, so asking again is safe.
        Outcome::Transport(Fault::Dropped) => Some(None),
        // Other transport failures (TLS, protocol errors) repeat identically.
        Outcome::Transport(Fault::Other) => None,
    };
    let Some(hint) = hint else {
        return Decision::Stop;
    };
    if spent.attempts >= policy.max_attempts {
        return Decision::Stop;
    }
    let wait = hint.unwrap_or_else(|| backoff(spent.attempts, jitter));
    if spent.waited + wait > policy.max_total_wait {
        return Decision::Stop;
    }
    Decision::Retry(wait)
}

/// Full-jitter exponential backoff after `attempts` attempts.
fn backoff(attempts: u32, jitter: f64) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    let step = BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_CAP);
    step.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Parses `Retry-After` as delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Phrases after which registries put a number of seconds in error messages.
const BODY_HINT_MARKERS: [&str; 2] = ["retry-after", "retry after"];

/// Finds a wait hint like "retry after 3 seconds" or "Retry-After: 3" in an error body.
pub fn body_hint(body: &str) -> Option<Duration> {
    let lower = body.to_ascii_lowercase();
    BODY_HINT_MARKERS.iter().find_map(|marker| {
        let start = lower.find(marker)? + marker.len();
        let rest = lower[start..].trim_start_matches([':', ' ', '\t', '"', '=']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().map(Duration::from_secs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        max_total_wait: Duration::from_secs(30),
    };

    fn status(status: u16, retry_after: Option<&str>, body: &str) -> Decision {
        let first = Spent {
            attempts: 1,
            waited: Duration::ZERO,
        };
        let outcome = Outcome::Status {
            status,
            retry_after,
            body,
        };
        should_retry(&outcome, first, POLICY, SystemTime::UNIX_EPOCH, 0.5)
    }

    #[test]
    fn client_errors_are_final() {
        for code in [400, 401, 403, 404, 405, 200, 501] {
            assert_eq!(status(code, Some("1"), ""), Decision::Stop, "{code}");
        }
    }

    #[test]
    fn transient_statuses_back_off_with_jitter() {
        // attempts = 1: step is the base, half-jitter gives 100 ms.
        for code in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                status(code, None, ""),
                Decision::Retry(Duration::from_millis(100))
            );
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1, 1.0), BACKOFF_BASE);
        assert_eq!(backoff(3, 1.0), BACKOFF_BASE * 4);
        assert_eq!(backoff(30, 1.0), BACKOFF_CAP);
        assert_eq!(backoff(5, 0.0), Duration::ZERO);
    }

    #[test]
    fn honours_retry_after_seconds_and_dates() {
        assert_eq!(
            status(429, Some("3"), ""),
            Decision::Retry(Duration::from_secs(3))
        );
        let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(7));
        assert_eq!(
            status(503, Some(&date), ""),
            Decision::Retry(Duration::from_secs(7))
        );
    }

    #[test]
    fn reads_hint_from_429_body() {
        let ghcr = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"retry after 4 seconds"}]}"#;
        assert_eq!(
            status(429, None, ghcr),
            Decision::Retry(Duration::from_secs(4))
        );
        let other = r#"{"message":"slow down, Retry-After: 2"}"#;
        assert_eq!(
            status(429, None, other),
            Decision::Retry(Duration::from_secs(2))
        );
        assert_eq!(body_hint("no hint here"), None);
    }

    #[test]
    fn budgets_stop_retries() {
        let outcome = Outcome::Status {
            status: 503,
            retry_after: None,
            body: "",
        };
        let spent = Spent {
            attempts: 4,
            waited: Duration::ZERO,
        };
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            should_retry(&outcome, spent, POLICY, now, 0.5),
            Decision::Stop
        );
        let spent = Spent {
            attempts: 1,
            waited: Duration::from_secs(29),
        };
        let long = Outcome::Status {
            status: 429,
            retry_after: Some("5"),
            body: "",
        };
        assert_eq!(should_retry(&long, spent, POLICY, now, 0.5), Decision::Stop);
    }

    #[test]
    fn retries_connect_timeout_and_dropped_only() {
        let first = Spent {
            attempts: 1,
            waited: Duration::ZERO,
        };
        let now = SystemTime::UNIX_EPOCH;
        for fault in [Fault::Connect, Fault::Timeout, Fault::Dropped] {
            assert_eq!(
                should_retry(&Outcome::Transport(fault), first, POLICY, now, 0.5),
                Decision::Retry(Duration::from_millis(100)),
                "{fault:?}"
            );
        }
        assert_eq!(
            should_retry(&Outcome::Transport(Fault::Other), first, POLICY, now, 0.1),
            Decision::Stop
        );
    }

    #[test]
    fn transport_faults_also_respect_the_budgets() {
        let spent = Spent {
            attempts: POLICY.max_attempts,
            waited: Duration::ZERO,
        };
        let now = SystemTime::UNIX_EPOCH;
        let dropped = Outcome::Transport(Fault::Dropped);
        assert_eq!(
            should_retry(&dropped, spent, POLICY, now, 0.5),
            Decision::Stop
        );
        let spent = Spent {
            attempts: 1,
            waited: POLICY.max_total_wait,
        };
        // The budget is spent: any non-zero backoff would exceed it.
        assert_eq!(
            should_retry(&dropped, spent, POLICY, now, 0.99),
            Decision::Stop
        );
    }

    #[test]
    fn past_http_dates_mean_now_and_garbage_is_ignored() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(" 2 ", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
