//! Stopping a crawl early and cleanly: the whole-run timeout, `--fail-fast` and a spent
//! rate limit all end the run the same way. Each repository in flight starts no new
//! request, drops the ones in flight and keeps every image it completed; a repository cut
//! short, or not started, is recorded as a failure carrying the reason.

use tokio::sync::watch;

/// A one-shot stop signal shared by every part of one crawl. The first reason wins.
#[derive(Debug)]
pub struct Halt {
    reason: watch::Sender<Option<String>>,
}

impl Default for Halt {
    fn default() -> Self {
        Halt {
            reason: watch::channel(None).0,
        }
    }
}

impl Halt {
    /// Asks the crawl to stop, unless it already was, for an earlier reason.
    pub fn trigger(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.reason.send_if_modified(|r| {
            if r.is_some() {
                return false;
            }
            tracing::debug!(reason, "stopping the crawl");
            *r = Some(reason);
            true
        });
    }

    /// Why the crawl was stopped, if it was.
    pub fn reason(&self) -> Option<String> {
        self.reason.borrow().clone()
    }

    /// Resolves with the reason once the crawl is asked to stop.
    pub async fn wait(&self) -> String {
        let mut rx = self.reason.subscribe();
        let seen = rx.wait_for(Option::is_some).await.map(|r| r.clone());
        seen.ok().flatten().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_reason_wins_and_waiters_see_it() {
        let halt = Halt::default();
        assert_eq!(halt.reason(), None);
        let waiter = halt.wait();
        halt.trigger("run timeout reached");
        halt.trigger("later reason");
        assert_eq!(waiter.await, "run timeout reached");
        assert_eq!(halt.wait().await, "run timeout reached");
        assert_eq!(halt.reason().as_deref(), Some("run timeout reached"));
    }
}
