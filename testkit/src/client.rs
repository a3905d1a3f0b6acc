//! The blocking HTTP agent used to talk to test registries, and Basic credentials.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;

/// Time allowed for one request: test registries are local, so anything slower is a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A user name and password for a registry protected with Basic auth.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password (never printed by `Debug`).
    pub password: String,
}

impl Credentials {
    /// Builds credentials from a user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The value of an `Authorization` header carrying these credentials.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A blocking agent that returns 4xx/5xx answers as responses instead of errors, so callers
/// can show the registry's error body.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .into()
}

/// `http://ADDR/v2/PATH` for a test registry at `addr` (`127.0.0.1:PORT`).
pub fn v2_url(addr: &str, path: &str) -> String {
    format!("http://{addr}/v2/{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let c = Credentials::new("u", "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.basic_header(), "Basic dTpzM2NyZXQ=");
    }
}
