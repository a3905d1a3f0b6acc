//! The keychain: which credential to use for a registry host, first match wins.
//!
//! 1. `--username` with `--password-stdin`, for the hosts of the targets it was given for.
//! 2. The environment: `NUCCRAWL_USERNAME`/`NUCCRAWL_PASSWORD` for the host in
//!    `NUCCRAWL_REGISTRY`, then `GITHUB_TOKEN` for ghcr.io.
//! 3. Docker's `config.json` (`credHelpers`, then `credsStore`, then `auths`).
//! 4. Podman's `auth.json`, same shape; after Docker's because Docker's file is the one
//!    most tools write, and a user with both usually logged in with Docker last.
//! 5. Anonymous.
//!
//! A helper that has nothing for the host counts as "this file has nothing" and the next
//! source is asked. A file that cannot be read or parsed, or a helper that fails, is an
//! error for that host: guessing anonymous would turn a fixable set-up problem into a
//! stream of misleading 401s. Answers, errors included, are cached per host because
//! helpers are slow; files are read once, on first need.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use super::auth_file::{AuthFile, Found};
use super::credential::Credential;
use super::environment::EnvCredentials;
use super::error::CredentialError;
use super::helper::{HelperRunner, DEFAULT_HELPER_TIMEOUT};
use super::hosts::{canonical_host, helper_server};
use super::locations;
use super::origin::{AuthFileKind, Origin};

/// The outcome of a lookup: a credential and where it came from, or `None` (anonymous).
pub type Resolved = Result<Option<(Credential, Origin)>, CredentialError>;

/// One auth file, read on first need.
struct FileSlot {
    kind: AuthFileKind,
    path: Option<PathBuf>,
    loaded: OnceLock<Result<Option<AuthFile>, CredentialError>>,
}

impl FileSlot {
    fn new(kind: AuthFileKind, path: Option<PathBuf>) -> Self {
        FileSlot {
            kind,
            path,
            loaded: OnceLock::new(),
        }
    }

    /// The parsed file, `None` when there is none.
    fn get(&self) -> Result<Option<&AuthFile>, CredentialError> {
        let loaded = self.loaded.get_or_init(|| match &self.path {
            Some(path) => AuthFile::load(self.kind, path),
            None => Ok(None),
        });
        loaded.as_ref().map(Option::as_ref).map_err(Clone::clone)
    }
}

/// Finds the credential for each registry host; safe to share between threads.
///
/// Lookups may run credential helpers and block for up to the helper timeout; from async
/// code call [`Keychain::resolve`] inside `spawn_blocking`.
pub struct Keychain {
    explicit: Option<(BTreeSet<String>, Credential)>,
    env: EnvCredentials,
    files: [FileSlot; 2],
    helpers: HelperRunner,
    cache: Mutex<HashMap<String, Arc<OnceLock<Resolved>>>>,
}

impl Keychain {
    /// Builds the keychain from the user's explicit credential (with the hosts it is for)
    /// and the environment, read through `env` (`|name| std::env::var(name).ok()` in the
    /// binary). `env` also supplies `PATH` (where helpers are looked for), `HOME`,
    /// `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE` and `XDG_RUNTIME_DIR`.
    ///
    /// Fails when the `NUCCRAWL_*` variables are inconsistent (e.g. a username and
    /// password without `NUCCRAWL_REGISTRY`). Files are not touched until needed.
    pub fn from_env(
        explicit: Option<(BTreeSet<String>, Credential)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CredentialError> {
        let explicit = explicit.map(|(hosts, cred)| {
            let hosts = hosts.iter().map(|h| fold_host(h)).collect();
            (hosts, cred)
        });
        let search_path = env("PATH").map(OsString::from);
        Ok(Keychain {
            explicit,
            env: EnvCredentials::read(&env)?,
            files: [
                FileSlot::new(AuthFileKind::Docker, locations::docker_config(&env)),
                FileSlot::new(AuthFileKind::Podman, locations::podman_auth(&env)),
            ],
            helpers: HelperRunner::new(search_path, DEFAULT_HELPER_TIMEOUT),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// A keychain that never finds a credential.
    pub fn anonymous() -> Self {
        Self::from_env(None, |_| None).expect("an empty environment is consistent")
    }

    /// Replaces [`DEFAULT_HELPER_TIMEOUT`], the bound on one credential helper run.
    pub fn with_helper_timeout(mut self, timeout: Duration) -> Self {
        self.helpers.set_timeout(timeout);
        self
    }

    /// The credential for `registry_host` as written in output (`docker.io`, `ghcr.io`,
    /// `127.0.0.1:5000`; Docker Hub's other spellings are accepted), or `None` for
    /// anonymous access. The first answer for a host, error or not, is reused.
    pub fn resolve(&self, registry_host: &str) -> Resolved {
        let host = fold_host(registry_host);
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(cache.entry(host.clone()).or_default())
        };
        // Outside the map lock: a slow helper for one host does not hold up others, and
        // callers asking for the same host wait for the one run instead of starting more.
        slot.get_or_init(|| self.lookup(&host)).clone()
    }

    /// Asks each source in order.
    fn lookup(&self, host: &str) -> Resolved {
        let found = self.lookup_uncached(host);
        match &found {
            Ok(Some((_, origin))) => tracing::debug!(registry = host, %origin, "credentials found"),
            Ok(None) => tracing::debug!(registry = host, "no credentials; anonymous"),
            Err(error) => tracing::debug!(registry = host, %error, "credential lookup failed"),
        }
        found
    }

    fn lookup_uncached(&self, host: &str) -> Resolved {
        if let Some((hosts, cred)) = &self.explicit {
            if hosts.contains(host) {
                return Ok(Some((cred.clone(), Origin::PasswordStdin)));
            }
        }
        if let Some(found) = self.env.lookup(host) {
            return Ok(Some(found));
        }
        for slot in &self.files {
            if let Some(found) = self.ask_file(slot, host)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// What one auth file (or the helper it names) has for `host`.
    fn ask_file(&self, slot: &FileSlot, host: &str) -> Resolved {
        let Some(file) = slot.get()? else {
            return Ok(None);
        };
        match file.lookup(host)? {
            Found::Nothing => Ok(None),
            Found::Stored(cred, origin) => Ok(Some((cred, origin))),
            Found::Helper { name, origin } => {
                let cred = self.helpers.get(&name, helper_server(host), file.path())?;
                Ok(cred.map(|c| (c, origin)))
            }
        }
    }
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (pair_host, github) = self.env.summary();
        f.debug_struct("Keychain")
            .field("explicit_hosts", &self.explicit.as_ref().map(|e| &e.0))
            .field("nuccrawl_registry", &pair_host)
            .field("github_token", &github)
            .field("docker_config", &self.files[0].path)
            .field("podman_auth", &self.files[1].path)
            .field("helper_timeout", &self.helpers.timeout())
            .finish()
    }
}

/// The cache key for a host: its output name, or the lower-cased text if not a host.
fn fold_host(host: &str) -> String {
    canonical_host(host).unwrap_or_else(|| host.trim().to_ascii_lowercase())
}
