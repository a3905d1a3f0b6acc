//! Errors of the Distribution-API client.
//!
//! Every variant names the URL that failed, already redacted by
//! [`redact_url`](super::redact::redact_url), so an error can be printed or logged as is.
//! [`RegistryError::kind`] gives a short, stable reason for per-repository summaries.

use std::borrow::Cow;

use url::Url;

use super::redact::redact_url;

/// Why a registry call failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered 404.
    #[error("{url}: not found")]
    NotFound {
        /// The redacted URL.
        url: String,
    },
    /// The registry refused access (403, or a token server's refusal).
    #[error("{url}: access denied (HTTP {status}){}", hint(message))]
    Denied {
        /// The redacted URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The registry's own message, if it gave one.
        message: String,
    },
    /// Authentication failed or was impossible (401 after one auth round).
    #[error("{url}: authentication failed (check credentials or pull rights)")]
    Unauthorized {
        /// The redacted URL.
        url: String,
    },
    /// The bytes served do not hash to the digest that was asked for.
    #[error("{url}: content digest is {actual}, expected {expected}")]
    DigestMismatch {
        /// The redacted URL.
        url: String,
        /// The digest requested.
        expected: String,
        /// The SHA-256 of the bytes received.
        actual: String,
    },
    /// The `Docker-Content-Digest` header disagrees with the bytes served.
    #[error("{url}: Docker-Content-Digest says {header}, body hashes to {actual}")]
    HeaderDigestMismatch {
        /// The redacted URL.
        url: String,
        /// The header value.
        header: String,
        /// The SHA-256 of the bytes received.
        actual: String,
    },
    /// The body exceeded the size cap.
    #[error("{url}: response larger than {limit} bytes")]
    TooLarge {
        /// The redacted URL.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// A pagination link was malformed, left the registry or looped.
    #[error("{url}: refusing pagination link: {reason}")]
    BadPagination {
        /// The redacted URL of the page carrying the link.
        url: String,
        /// What was wrong with the link.
        reason: String,
    },
    /// Any other unexpected HTTP status.
    #[error("{url}: HTTP {status}{}", hint(body_excerpt))]
    Status {
        /// The redacted URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body, sanitised.
        body_excerpt: String,
    },
    /// The request could not be sent or the body not read.
    #[error("{url}: request failed")]
    Transport {
        /// The redacted URL.
        url: String,
        /// The underlying error, stripped of its URL.
        #[source]
        source: reqwest::Error,
    },
    /// A redirect would downgrade HTTPS to HTTP.
    #[error("{url}: refusing redirect from HTTPS to plain HTTP")]
    InsecureRedirect {
        /// The redacted redirect target.
        url: String,
    },
    /// Redirects went on longer than the limit, or had no usable `Location`.
    #[error("{url}: too many or malformed redirects")]
    BadRedirect {
        /// The redacted URL of the last hop.
        url: String,
    },
    /// A repository name or reference that cannot be put in an API path.
    #[error("{registry}: `{name}` is not a valid repository name, tag or digest")]
    InvalidName {
        /// The registry host.
        registry: String,
        /// The offending name.
        name: String,
    },
    /// The credential for the registry could not be looked up (unreadable auth file,
    /// failing helper, inconsistent variables). The message names the source, never a
    /// secret.
    #[error("{registry}: cannot look up credentials: {error}")]
    Credentials {
        /// The registry host as written in output.
        registry: String,
        /// What went wrong, naming the file, helper or variable.
        error: crate::credentials::CredentialError,
    },
    /// The body is not what the API promises (bad JSON, missing field).
    #[error("{url}: malformed response: {reason}")]
    Malformed {
        /// The redacted URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The registry's announced request budget is spent and the crawl must not go on.
    #[error("{message}")]
    RateLimited {
        /// `host[:port]` whose budget is spent.
        host: String,
        /// What is spent, when it resets and why nuccrawl stopped.
        message: String,
    },
}

/// Formats an optional detail as `: detail`.
fn hint(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl RegistryError {
    /// A short stable reason for summaries: "not found", "denied", "auth failed", ….
    pub fn kind(&self) -> Cow<'static, str> {
        match self {
            Self::NotFound { .. } => "not found".into(),
            Self::Denied { .. } => "denied".into(),
            Self::Unauthorized { .. } => "auth failed".into(),
            Self::DigestMismatch { .. } | Self::HeaderDigestMismatch { .. } => {
                "digest mismatch".into()
            }
            Self::TooLarge { .. } => "too large".into(),
            Self::BadPagination { .. } => "bad pagination".into(),
            Self::Status { status, .. } => format!("http {status}").into(),
            Self::Transport { .. } => "transport".into(),
            Self::InsecureRedirect { .. } => "insecure redirect".into(),
            Self::BadRedirect { .. } => "bad redirect".into(),
            Self::Malformed { .. } => "bad response".into(),
            Self::InvalidName { .. } => "invalid name".into(),
            Self::RateLimited { .. } => "rate limited".into(),
            Self::Credentials { .. } => "credentials".into(),
        }
    }

    /// The HTTP status behind the error, when there is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::NotFound { .. } => Some(404),
            Self::Unauthorized { .. } => Some(401),
            Self::Denied { status, .. } | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn transport(url: &Url, source: reqwest::Error) -> Self {
        Self::Transport {
            url: redact_url(url),
            source: source.without_url(),
        }
    }

    pub(crate) fn malformed(url: &Url, reason: impl Into<String>) -> Self {
        Self::Malformed {
            url: redact_url(url),
            reason: reason.into(),
        }
    }

    pub(crate) fn bad_pagination(url: &Url, reason: impl Into<String>) -> Self {
        Self::BadPagination {
            url: redact_url(url),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stable() {
        let url = "https://r.example/v2/".to_string();
        let status = RegistryError::Status {
            url: url.clone(),
            status: 500,
            body_excerpt: String::new(),
        };
        assert_eq!(status.kind(), "http 500");
        assert_eq!(
            RegistryError::NotFound { url: url.clone() }.kind(),
            "not found"
        );
        assert_eq!(RegistryError::Unauthorized { url }.kind(), "auth failed");
    }

    #[test]
    fn messages_carry_redacted_urls() {
        let url = Url::parse("https://u:p@cdn.example/blob?sig=secret").unwrap();
        let err = RegistryError::malformed(&url, "not json");
        let text = err.to_string();
        assert!(text.contains("https://cdn.example/blob?sig=*"), "{text}");
        assert!(!text.contains("secret") && !text.contains("u:p"), "{text}");
    }
}
