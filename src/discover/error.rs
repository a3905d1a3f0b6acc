//! Why a pattern could not be turned into repositories.

use url::Url;

use crate::credentials::CredentialError;
use crate::registry::redact::redact_url;
use crate::registry::RegistryError;

/// A discovery failure; each names the registry, API URL or pattern concerned.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// Listing through the registry itself (`/v2/_catalog`) failed.
    #[error("listing repositories: {0}")]
    Registry(#[from] RegistryError),
    /// ECR refused an expired authorization token.
    #[error(
        "{registry}: the ECR authorization token has expired; get a fresh one with \
         `aws ecr get-login-password` (tokens last 12 hours)"
    )]
    EcrTokenExpired {
        /// The ECR registry.
        registry: String,
        /// The registry's refusal.
        #[source]
        source: RegistryError,
    },
    /// A Docker Hub pattern does not start with a namespace.
    #[error(
        "`{pattern}`: Docker Hub lists repositories per namespace; start the pattern with \
         one, e.g. docker.io/myteam/* or docker.io/myteam/**"
    )]
    NeedsNamespace {
        /// The pattern as written.
        pattern: String,
    },
    /// A GitHub pattern does not start with an owner.
    #[error(
        "`{pattern}`: GitHub lists packages per organisation or user; start the pattern \
         with one, e.g. ghcr.io/myorg/*"
    )]
    NeedsOwner {
        /// The pattern as written.
        pattern: String,
    },
    /// No token for GitHub's packages API.
    #[error(
        "listing {registry}/{owner}/… needs a GitHub token with read:packages: GitHub's \
         packages API does not answer anonymously; {}",
        github_token_hint(registry)
    )]
    GithubTokenMissing {
        /// The registry name.
        registry: String,
        /// The organisation or user.
        owner: String,
    },
    /// Neither an organisation nor a user of that name exists (or the token cannot see it).
    #[error(
        "{url}: no GitHub organisation or user `{owner}` (or the token cannot see its \
         packages; it needs read:packages)"
    )]
    OwnerNotFound {
        /// The user URL tried last.
        url: String,
        /// The owner.
        owner: String,
    },
    /// Docker Hub refused the login.
    #[error(
        "{url}: Docker Hub login as `{username}` failed (HTTP {status}{}); check the \
         username and access token",
        hint(message)
    )]
    HubLogin {
        /// The login URL.
        url: String,
        /// The account name.
        username: String,
        /// The HTTP status.
        status: u16,
        /// Docker Hub's message.
        message: String,
    },
    /// A vendor API answered with an error status.
    #[error("{url}: HTTP {status}{}", hint(message))]
    Status {
        /// The redacted URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The API's own message, if any.
        message: String,
    },
    /// A vendor API request could not be sent or its body not read.
    #[error("{url}: request failed")]
    Transport {
        /// The redacted URL.
        url: String,
        /// The cause, stripped of its URL.
        #[source]
        source: reqwest::Error,
    },
    /// A vendor API answered something that is not what it documents.
    #[error("{url}: malformed response: {reason}")]
    Malformed {
        /// The redacted URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A paging link or request would leave the API's origin.
    #[error("{url}: refusing to leave the API host")]
    OffOrigin {
        /// The redacted URL.
        url: String,
    },
    /// `--github-api` / `--hub-api` is unusable.
    #[error("API URL {url}: {reason}")]
    BadApiUrl {
        /// The redacted URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A token cannot be put in a header.
    #[error("the API token contains characters that cannot be sent in a header")]
    BadToken,
    /// The credential store could not be read.
    #[error("reading credentials: {0}")]
    Credentials(#[from] CredentialError),
    /// The registry is redirected, and listing it would contact the public API the user
    /// did not name.
    #[error(
        "`{pattern}`: {registry} is redirected to {endpoint} by --registry-endpoint, but its \
         repositories can only be listed through {api}; pass {flag} {api} to contact it \
         anyway (or an equivalent on your side), or name repositories instead of a pattern"
    )]
    PublicApiForMirror {
        /// The pattern as written.
        pattern: String,
        /// The registry name.
        registry: String,
        /// Where its traffic goes instead.
        endpoint: String,
        /// The public API base.
        api: String,
        /// The flag that names the API.
        flag: &'static str,
    },
}

impl DiscoverError {
    /// A short stable reason, like [`RegistryError::kind`].
    pub fn kind(&self) -> String {
        match self {
            Self::Registry(e) => e.kind().into_owned(),
            Self::EcrTokenExpired { .. } => "token expired".into(),
            Self::NeedsNamespace { .. } | Self::NeedsOwner { .. } => "bad pattern".into(),
            Self::GithubTokenMissing { .. } | Self::BadToken => "no token".into(),
            Self::OwnerNotFound { .. } => "not found".into(),
            Self::HubLogin { .. } => "auth failed".into(),
            Self::Status { status, .. } => format!("http {status}"),
            Self::Transport { .. } => "transport".into(),
            Self::Malformed { .. } => "bad response".into(),
            Self::OffOrigin { .. } => "bad pagination".into(),
            Self::BadApiUrl { .. } => "bad api url".into(),
            Self::Credentials(_) => "credentials".into(),
            Self::PublicApiForMirror { .. } => "bad pattern".into(),
        }
    }

    /// The HTTP status behind a vendor API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Registry(e) => e.status(),
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
}

/// Where the packages API's token comes from for `registry`. `GITHUB_TOKEN` is read for
/// ghcr.io only; any other registry listed through the API is a GitHub Enterprise
/// Server's, whose token is the credential stored for that registry host.
fn github_token_hint(registry: &str) -> String {
    if registry == super::GHCR {
        return format!("set GITHUB_TOKEN (or log in to {registry} with a token)");
    }
    format!(
        "on GitHub Enterprise Server it is the credential for {registry}, not GITHUB_TOKEN \
         (ghcr.io only): `docker login {registry}`, NUCCRAWL_REGISTRY={registry} with \
         NUCCRAWL_USERNAME/NUCCRAWL_PASSWORD, or --username with --password-stdin"
    )
}

/// Formats an optional detail as `: detail`.
fn hint(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(registry: &str) -> String {
        DiscoverError::GithubTokenMissing {
            registry: registry.into(),
            owner: "acme".into(),
        }
        .to_string()
    }

    #[test]
    fn github_token_hint_fits_the_registry() {
        let ghcr = missing("ghcr.io");
        assert!(ghcr.contains("set GITHUB_TOKEN"), "{ghcr}");
        assert!(!ghcr.contains("Enterprise"), "{ghcr}");
        let ghes = missing("containers.ghe.example");
        for needle in [
            "listing containers.ghe.example/acme/…",
            "GitHub Enterprise Server",
            "not GITHUB_TOKEN (ghcr.io only)",
            "NUCCRAWL_REGISTRY=containers.ghe.example",
            "--password-stdin",
            "`docker login containers.ghe.example`",
        ] {
            assert!(ghes.contains(needle), "{needle:?} missing: {ghes}");
        }
        assert!(!ghes.contains("set GITHUB_TOKEN"), "{ghes}");
    }
}
