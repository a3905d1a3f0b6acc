//! Faults a test can make the Docker Hub fake's tags endpoint answer, so a client's
//! fallback from the tags endpoint to the registry can be tested.

use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::fakes::server::{header, json, Reply};

/// What the tags endpoint answers while a fault is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubFault {
    /// This status (500, 502, 503, …) with a JSON message.
    Status(u16),
    /// 429 with `Retry-After: <seconds>`, as Docker Hub answers when rate-limited.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
}

impl HubFault {
    /// The answer sent instead of the listing.
    pub(super) fn reply(self) -> Reply {
        match self {
            HubFault::Status(status) => json(
                status,
                &json!({"message": "fake fault injected by the test", "errinfo": {}}),
            ),
            HubFault::RateLimited { retry_after_secs } => {
                json(429, &json!({"message": "too many requests", "errinfo": {}}))
                    .with_header(header("Retry-After", &retry_after_secs.to_string()))
            }
        }
    }
}

/// The armed fault and how many more requests it answers; shared between the fake's
/// thread and the test.
#[derive(Debug, Clone, Default)]
pub(super) struct FaultSwitch {
    armed: Arc<Mutex<Option<(HubFault, usize)>>>,
}

impl FaultSwitch {
    /// Answers the next `times` tag requests with `fault` (replacing any fault armed).
    pub fn arm(&self, fault: HubFault, times: usize) {
        *self.armed.lock().expect("fault lock") = (times > 0).then_some((fault, times));
    }

    /// The fault this request gets, if one is armed; counts it down.
    pub fn take(&self) -> Option<HubFault> {
        let mut armed = self.armed.lock().expect("fault lock");
        let (fault, left) = (*armed)?;
        *armed = (left > 1).then_some((fault, left - 1));
        Some(fault)
    }
}
