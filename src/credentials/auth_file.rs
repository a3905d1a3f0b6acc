//! Docker's `config.json` and Podman's `auth.json`, which share one shape.
//!
//! For a host the file is asked, in Docker's order: `credHelpers[host]`, then
//! `credsStore`, then `auths[host]`. A helper that is named decides alone: when it has
//! nothing, `auths` is not consulted (Docker behaves the same; with a store configured,
//! `auths` entries are empty markers). An `auths` entry holds `auth` (base64 of
//! `user:password`), or `username` and `password`, and may add `identitytoken`, a
//! refresh token that then replaces the password.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;

use super::credential::Credential;
use super::error::CredentialError;
use super::hosts::find_entry;
use super::origin::{AuthFileKind, HelperVia, Origin};

/// The parts of the file nuccrawl reads; everything else (`HttpHeaders`, `psFormat`, …)
/// is ignored.
#[derive(Default, Deserialize)]
struct RawFile {
    #[serde(default)]
    auths: Option<BTreeMap<String, RawAuth>>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

/// One `auths` entry.
#[derive(Default, Deserialize)]
struct RawAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// What a file says about a host.
#[derive(Debug)]
pub(crate) enum Found {
    /// Ask this credential helper.
    Helper {
        /// Its name, without the `docker-credential-` prefix.
        name: String,
        /// Where it came from.
        origin: Origin,
    },
    /// A credential stored in the file.
    Stored(Credential, Origin),
    /// Nothing for this host.
    Nothing,
}

/// A parsed auth file.
pub(crate) struct AuthFile {
    kind: AuthFileKind,
    path: PathBuf,
    raw: RawFile,
}

impl AuthFile {
    /// Reads and parses the file; `Ok(None)` when it does not exist.
    pub(crate) fn load(kind: AuthFileKind, path: &Path) -> Result<Option<Self>, CredentialError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(file = %path.display(), "{kind} not found; skipped");
                return Ok(None);
            }
            Err(e) => {
                return Err(CredentialError::ReadFile {
                    path: path.to_owned(),
                    source: Arc::new(e),
                })
            }
        };
        Self::parse(kind, path, &bytes).map(Some)
    }

    /// Parses file contents; errors give the position, never the offending text.
    pub(crate) fn parse(
        kind: AuthFileKind,
        path: &Path,
        bytes: &[u8],
    ) -> Result<Self, CredentialError> {
        let raw = if bytes.iter().all(u8::is_ascii_whitespace) {
            RawFile::default()
        } else {
            serde_json::from_slice(bytes).map_err(|e| CredentialError::ParseFile {
                path: path.to_owned(),
                what: if e.is_data() {
                    "unexpected value"
                } else {
                    "JSON syntax error"
                },
                line: e.line(),
                column: e.column(),
            })?
        };
        Ok(AuthFile {
            kind,
            path: path.to_owned(),
            raw,
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// What the file says about `host` (canonical).
    pub(crate) fn lookup(&self, host: &str) -> Result<Found, CredentialError> {
        let helpers = self.raw.cred_helpers.as_ref();
        if let Some((_, name)) = helpers.and_then(|h| find_entry(h, host)) {
            return self.helper(name, HelperVia::CredHelpers);
        }
        if let Some(store) = self.raw.creds_store.as_deref().filter(|s| !s.is_empty()) {
            return self.helper(store, HelperVia::CredsStore);
        }
        let auths = self.raw.auths.as_ref();
        match auths.and_then(|a| find_entry(a, host)) {
            Some((key, entry)) => Ok(match self.decode(key, entry)? {
                Some(cred) => Found::Stored(cred, self.origin_auths()),
                None => Found::Nothing,
            }),
            None => Ok(Found::Nothing),
        }
    }

    fn helper(&self, name: &str, via: HelperVia) -> Result<Found, CredentialError> {
        if !is_helper_name(name) {
            return Err(CredentialError::BadHelperName {
                path: self.path.clone(),
                helper: name.to_owned(),
            });
        }
        let origin = Origin::Helper {
            kind: self.kind,
            file: self.path.clone(),
            via,
            helper: name.to_owned(),
        };
        Ok(Found::Helper {
            name: name.to_owned(),
            origin,
        })
    }

    fn origin_auths(&self) -> Origin {
        Origin::Auths {
            kind: self.kind,
            file: self.path.clone(),
        }
    }

    /// Turns an `auths` entry into a credential; `None` for an empty marker entry.
    fn decode(&self, key: &str, entry: &RawAuth) -> Result<Option<Credential>, CredentialError> {
        let (mut user, mut password) = (String::new(), String::new());
        if let Some(auth) = entry
            .auth
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            (user, password) = split_auth(auth).ok_or_else(|| CredentialError::BadAuthField {
                path: self.path.clone(),
                key: key.to_owned(),
            })?;
        }
        if let Some(u) = entry.username.as_deref().filter(|u| !u.is_empty()) {
            user = u.to_owned();
        }
        if let Some(p) = entry.password.as_deref().filter(|p| !p.is_empty()) {
            password = p.to_owned();
        }
        if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credential::identity_token(user, token)));
        }
        if user.is_empty() && password.is_empty() {
            return Ok(None);
        }
        Ok(Some(Credential::basic(user, password)))
    }
}

/// Decodes base64 `user:password`, splitting at the first colon.
fn split_auth(auth: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Whether `name` can safely be appended to `docker-credential-` (no path, no oddities).
fn is_helper_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> AuthFile {
        AuthFile::parse(
            AuthFileKind::Docker,
            Path::new("/cfg/config.json"),
            json.as_bytes(),
        )
        .unwrap()
    }

    fn stored(file: &AuthFile, host: &str) -> Credential {
        match file.lookup(host).unwrap() {
            Found::Stored(cred, _) => cred,
            other => panic!("{host}: {other:?}"),
        }
    }

    #[test]
    fn auth_field_is_base64_user_colon_password() {
        // "alice:pa:ss" — the password keeps its colon.
        let file = parse(r#"{"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6cGE6c3M="}}}"#);
        assert_eq!(
            stored(&file, "127.0.0.1:5000"),
            Credential::basic("alice", "pa:ss")
        );
        assert!(matches!(file.lookup("ghcr.io").unwrap(), Found::Nothing));
    }

    #[test]
    fn username_and_password_fields() {
        let file = parse(r#"{"auths":{"https://quay.io":{"username":"u","password":"p"}}}"#);
        assert_eq!(stored(&file, "quay.io"), Credential::basic("u", "p"));
    }

    #[test]
    fn identitytoken_becomes_a_refresh_token() {
        let file = parse(
            r#"{"auths":{"x.azurecr.io":{"auth":"MDAwMDAwMDAtMDAwMDo=","identitytoken":"rt-1"}}}"#,
        );
        assert_eq!(
            stored(&file, "x.azurecr.io"),
            Credential::identity_token("00000000-0000", "rt-1")
        );
    }

    #[test]
    fn empty_marker_entry_means_nothing() {
        let file = parse(r#"{"auths":{"ghcr.io":{}}}"#);
        assert!(matches!(file.lookup("ghcr.io").unwrap(), Found::Nothing));
    }

    #[test]
    fn bad_base64_names_file_and_key_not_value() {
        let file = parse(r#"{"auths":{"ghcr.io":{"auth":"not base64 s3cr3t!"}}}"#);
        let err = file.lookup("ghcr.io").unwrap_err().to_string();
        assert!(
            err.contains("/cfg/config.json") && err.contains("ghcr.io"),
            "{err}"
        );
        assert!(!err.contains("s3cr3t"), "{err}");
        // Valid base64 without a colon is refused too ("nocolon").
        let file = parse(r#"{"auths":{"ghcr.io":{"auth":"bm9jb2xvbg=="}}}"#);
        assert!(matches!(
            file.lookup("ghcr.io"),
            Err(CredentialError::BadAuthField { .. })
        ));
    }

    #[test]
    fn every_docker_hub_spelling_is_found_for_docker_io() {
        for key in [
            "https://index.docker.io/v1/",
            "index.docker.io",
            "docker.io",
            "registry-1.docker.io",
            "registry.hub.docker.com",
            "https://registry-1.docker.io/v2/",
            "http://index.docker.io/v1",
        ] {
            let json = format!(r#"{{"auths":{{"{key}":{{"username":"hub","password":"pw"}}}}}}"#);
            assert_eq!(
                stored(&parse(&json), "docker.io"),
                Credential::basic("hub", "pw"),
                "{key}"
            );
        }
    }

    #[test]
    fn cred_helpers_win_over_creds_store_and_auths() {
        let file = parse(
            r#"{"credsStore":"desktop","credHelpers":{"1.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"},
               "auths":{"1.dkr.ecr.us-east-1.amazonaws.com":{"auth":"dTpw"}}}"#,
        );
        match file.lookup("1.dkr.ecr.us-east-1.amazonaws.com").unwrap() {
            Found::Helper { name, origin } => {
                assert_eq!(name, "ecr-login");
                assert!(matches!(
                    origin,
                    Origin::Helper {
                        via: HelperVia::CredHelpers,
                        ..
                    }
                ));
            }
            other => panic!("{other:?}"),
        }
        match file.lookup("ghcr.io").unwrap() {
            Found::Helper { name, .. } => assert_eq!(name, "desktop"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_json_names_file_and_position_not_content() {
        let err = AuthFile::parse(
            AuthFileKind::Podman,
            Path::new("/run/auth.json"),
            br#"{"auths":{"ghcr.io":{"auth":12345678}}}"#,
        )
        .err()
        .unwrap();
        let text = err.to_string();
        assert!(
            text.contains("/run/auth.json") && text.contains("line 1"),
            "{text}"
        );
        assert!(!text.contains("12345678"), "{text}");
        let err = AuthFile::parse(AuthFileKind::Docker, Path::new("/c.json"), b"{\"auths\":")
            .err()
            .unwrap();
        assert!(err.to_string().contains("JSON syntax error"), "{err}");
    }

    #[test]
    fn helper_names_with_paths_are_refused() {
        let file = parse(r#"{"credsStore":"../../bin/sh"}"#);
        assert!(matches!(
            file.lookup("ghcr.io"),
            Err(CredentialError::BadHelperName { .. })
        ));
    }

    #[test]
    fn empty_file_and_unknown_fields_are_fine() {
        assert!(matches!(
            parse("  \n").lookup("ghcr.io").unwrap(),
            Found::Nothing
        ));
        let file = parse(r#"{"psFormat":"x","HttpHeaders":{"a":"b"},"credsStore":""}"#);
        assert!(matches!(file.lookup("ghcr.io").unwrap(), Found::Nothing));
    }
}
