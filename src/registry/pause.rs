//! The wait before a retry. A run sleeps on tokio's clock. A unit test against a fake
//! registry puts a recorder in its place, which notes each wait and goes on at once: a
//! paused tokio clock cannot stand in there, since it jumps to the next timer whenever
//! the runtime waits for the fake's socket, firing the HTTP client's own timeouts.

#[cfg(test)]
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the transport waits between attempts of one request.
#[derive(Debug, Clone, Default)]
pub(crate) enum Pause {
    /// Sleep on tokio's clock.
    #[default]
    Sleep,
    /// Note the wait and go on at once, for tests that assert the wait without spending it.
    #[cfg(test)]
    Record(Arc<Mutex<Vec<Duration>>>),
}

impl Pause {
    /// Waits `wait` (or records it).
    pub(crate) async fn wait(&self, wait: Duration) {
        match self {
            Pause::Sleep => tokio::time::sleep(wait).await,
            #[cfg(test)]
            Pause::Record(waits) => waits.lock().expect("pause log lock").push(wait),
        }
    }
}
