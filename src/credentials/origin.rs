//! Where a credential was found, for debug logs and error hints; never the secret.

use std::fmt;
use std::path::PathBuf;

/// Which family of auth file a credential came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFileKind {
    /// Docker's `config.json`.
    Docker,
    /// Podman's (containers-auth) `auth.json`.
    Podman,
}

impl fmt::Display for AuthFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthFileKind::Docker => "docker config",
            AuthFileKind::Podman => "podman auth.json",
        })
    }
}

/// Which part of an auth file named the credential helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelperVia {
    /// A per-host entry of `credHelpers`.
    CredHelpers,
    /// The catch-all `credsStore`.
    CredsStore,
}

impl fmt::Display for HelperVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HelperVia::CredHelpers => "credHelpers",
            HelperVia::CredsStore => "credsStore",
        })
    }
}

/// Where a credential came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--username` with `--password-stdin`.
    PasswordStdin,
    /// `GITHUB_TOKEN` (ghcr.io only).
    GithubToken,
    /// `NUCCRAWL_USERNAME` / `NUCCRAWL_PASSWORD` (the host in `NUCCRAWL_REGISTRY` only).
    NuccrawlEnv,
    /// A `docker-credential-<helper>` program named by an auth file.
    Helper {
        /// The file family that named the helper.
        kind: AuthFileKind,
        /// The file that named the helper.
        file: PathBuf,
        /// The section that named it.
        via: HelperVia,
        /// The helper's name without the `docker-credential-` prefix.
        helper: String,
    },
    /// An `auths` entry stored in the file itself.
    Auths {
        /// The file family.
        kind: AuthFileKind,
        /// The file.
        file: PathBuf,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::PasswordStdin => f.write_str("--password-stdin"),
            Origin::GithubToken => f.write_str("GITHUB_TOKEN"),
            Origin::NuccrawlEnv => f.write_str("NUCCRAWL_USERNAME/NUCCRAWL_PASSWORD"),
            Origin::Helper {
                kind,
                file,
                via,
                helper,
            } => write!(f, "{kind} {via} (helper: {helper}, {})", file.display()),
            Origin::Auths { kind, file } => write!(f, "{kind} auths ({})", file.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_source() {
        let helper = Origin::Helper {
            kind: AuthFileKind::Docker,
            file: "/h/.docker/config.json".into(),
            via: HelperVia::CredHelpers,
            helper: "ecr-login".into(),
        };
        assert_eq!(
            helper.to_string(),
            "docker config credHelpers (helper: ecr-login, /h/.docker/config.json)"
        );
        let auths = Origin::Auths {
            kind: AuthFileKind::Podman,
            file: "/run/a.json".into(),
        };
        assert_eq!(auths.to_string(), "podman auth.json auths (/run/a.json)");
        assert_eq!(Origin::PasswordStdin.to_string(), "--password-stdin");
    }
}
