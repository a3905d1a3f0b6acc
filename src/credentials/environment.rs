//! Credentials taken from environment variables.
//!
//! - `GITHUB_TOKEN` is used for `ghcr.io` and nowhere else. GHCR accepts any non-empty
//!   username with a personal access token as password, so the username is
//!   `GITHUB_ACTOR` when set (GitHub Actions sets it) and `token` otherwise.
//! - `NUCCRAWL_USERNAME` / `NUCCRAWL_PASSWORD` are used only for the host named in
//!   `NUCCRAWL_REGISTRY`. A pair without a host is refused rather than sent to every
//!   registry the run touches, which would hand one registry's password to another.
//!
//! When `NUCCRAWL_REGISTRY` is `ghcr.io` the explicit pair wins over `GITHUB_TOKEN`.
//! Empty variables count as unset.

use super::credential::Credential;
use super::error::CredentialError;
use super::hosts::key_host;
use super::origin::Origin;

/// The registry `GITHUB_TOKEN` is for.
const GHCR: &str = "ghcr.io";
/// Username sent with `GITHUB_TOKEN` when `GITHUB_ACTOR` is unset; GHCR ignores it.
const GITHUB_FALLBACK_USER: &str = "token";

/// Credentials read from the environment once, at start-up.
#[derive(Clone, Default)]
pub(crate) struct EnvCredentials {
    /// The `NUCCRAWL_*` pair and the canonical host it is for.
    pair: Option<(String, Credential)>,
    /// `GITHUB_TOKEN` as a credential for ghcr.io.
    github: Option<Credential>,
}

impl EnvCredentials {
    /// Reads the variables through `env`; refuses a pair that names no host.
    pub(crate) fn read(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, CredentialError> {
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        let github = var("GITHUB_TOKEN").map(|token| {
            let user = var("GITHUB_ACTOR").unwrap_or_else(|| GITHUB_FALLBACK_USER.into());
            Credential::basic(user, token)
        });
        let pair = read_pair(
            var("NUCCRAWL_USERNAME"),
            var("NUCCRAWL_PASSWORD"),
            var("NUCCRAWL_REGISTRY"),
        )?;
        Ok(EnvCredentials { pair, github })
    }

    /// The credential for `host` (canonical), if the environment has one.
    pub(crate) fn lookup(&self, host: &str) -> Option<(Credential, Origin)> {
        if let Some((pair_host, cred)) = &self.pair {
            if pair_host == host {
                return Some((cred.clone(), Origin::NuccrawlEnv));
            }
        }
        if host == GHCR {
            return self.github.clone().map(|c| (c, Origin::GithubToken));
        }
        None
    }

    /// Which variables are in effect, for `Debug`; no values.
    pub(crate) fn summary(&self) -> (Option<&str>, bool) {
        (
            self.pair.as_ref().map(|p| p.0.as_str()),
            self.github.is_some(),
        )
    }
}

/// Checks the `NUCCRAWL_*` trio is all set or all unset.
fn read_pair(
    user: Option<String>,
    password: Option<String>,
    registry: Option<String>,
) -> Result<Option<(String, Credential)>, CredentialError> {
    let incomplete = |set, missing| Err(CredentialError::EnvIncomplete { set, missing });
    match (user, password, registry) {
        (None, None, None) => Ok(None),
        (Some(_), Some(_), None) => Err(CredentialError::EnvPairWithoutRegistry),
        (Some(_), None, _) => incomplete("NUCCRAWL_USERNAME", "NUCCRAWL_PASSWORD"),
        (None, Some(_), _) => incomplete("NUCCRAWL_PASSWORD", "NUCCRAWL_USERNAME"),
        (None, None, Some(_)) => incomplete("NUCCRAWL_REGISTRY", "NUCCRAWL_USERNAME"),
        (Some(user), Some(password), Some(registry)) => {
            let host = key_host(&registry).ok_or(CredentialError::BadEnvRegistry(registry))?;
            Ok(Some((host, Credential::basic(user, password))))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<EnvCredentials, CredentialError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvCredentials::read(&|name| map.get(name).cloned())
    }

    #[test]
    fn github_token_is_for_ghcr_only() {
        let env = read(&[("GITHUB_TOKEN", "ghp_secret")]).unwrap();
        let (cred, origin) = env.lookup("ghcr.io").unwrap();
        assert_eq!(cred, Credential::basic("token", "ghp_secret"));
        assert_eq!(origin, Origin::GithubToken);
        assert!(env.lookup("docker.io").is_none());
        assert!(env.lookup("ghcr.io.evil.example").is_none());
        assert!(env.lookup("127.0.0.1:5000").is_none());
    }

    #[test]
    fn github_actor_becomes_the_username() {
        let env = read(&[("GITHUB_TOKEN", "t"), ("GITHUB_ACTOR", "octocat")]).unwrap();
        assert_eq!(env.lookup("ghcr.io").unwrap().0.username(), "octocat");
    }

    #[test]
    fn pair_without_registry_is_refused() {
        let err = read(&[
            ("NUCCRAWL_USERNAME", "u"),
            ("NUCCRAWL_PASSWORD", "pw-secret"),
        ])
        .err()
        .unwrap();
        assert!(matches!(err, CredentialError::EnvPairWithoutRegistry));
        assert!(err.to_string().contains("NUCCRAWL_REGISTRY"));
        assert!(!err.to_string().contains("pw-secret"));
    }

    #[test]
    fn partial_trio_is_refused() {
        for vars in [
            &[
                ("NUCCRAWL_USERNAME", "u"),
                ("NUCCRAWL_REGISTRY", "r.example"),
            ][..],
            &[("NUCCRAWL_PASSWORD", "p")][..],
            &[("NUCCRAWL_REGISTRY", "r.example")][..],
        ] {
            let err = read(vars).err().unwrap();
            assert!(
                matches!(err, CredentialError::EnvIncomplete { .. }),
                "{vars:?}"
            );
        }
    }

    #[test]
    fn pair_applies_to_its_host_only_in_any_spelling() {
        let env = read(&[
            ("NUCCRAWL_USERNAME", "u"),
            ("NUCCRAWL_PASSWORD", "p"),
            ("NUCCRAWL_REGISTRY", "index.docker.io"),
        ])
        .unwrap();
        assert_eq!(env.lookup("docker.io").unwrap().1, Origin::NuccrawlEnv);
        assert!(env.lookup("ghcr.io").is_none());
        assert!(env.lookup("quay.io").is_none());
    }

    #[test]
    fn pair_for_ghcr_wins_over_github_token() {
        let env = read(&[
            ("NUCCRAWL_USERNAME", "u"),
            ("NUCCRAWL_PASSWORD", "p"),
            ("NUCCRAWL_REGISTRY", "ghcr.io"),
            ("GITHUB_TOKEN", "t"),
        ])
        .unwrap();
        assert_eq!(env.lookup("ghcr.io").unwrap().1, Origin::NuccrawlEnv);
    }

    #[test]
    fn bad_registry_and_empty_values() {
        let err = read(&[
            ("NUCCRAWL_USERNAME", "u"),
            ("NUCCRAWL_PASSWORD", "p"),
            ("NUCCRAWL_REGISTRY", "https://x y"),
        ])
        .err()
        .unwrap();
        assert!(matches!(err, CredentialError::BadEnvRegistry(_)));
        let env = read(&[("GITHUB_TOKEN", ""), ("NUCCRAWL_USERNAME", "")]).unwrap();
        assert!(env.lookup("ghcr.io").is_none());
    }
}
