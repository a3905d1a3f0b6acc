//! Credential lookup per registry host: which username and password (or refresh token)
//! to present, and where it came from. First match wins, in this order: the explicit
//! `--username`/`--password-stdin` pair, the environment (`NUCCRAWL_*`, `GITHUB_TOKEN`),
//! Docker's `config.json` with its credential helpers, Podman's `auth.json`, anonymous.
//!
//! This module only finds credentials; the auth handshake that spends them lives in
//! `registry`. Secrets never appear in `Debug` output, logs or error messages.

mod auth_file;
mod credential;
mod environment;
mod error;
mod helper;
mod hosts;
mod keychain;
mod locations;
mod origin;
mod stdin;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use credential::{Credential, Secret};
pub use error::CredentialError;
pub use helper::DEFAULT_HELPER_TIMEOUT;
pub use keychain::{Keychain, Resolved};
pub use origin::{AuthFileKind, HelperVia, Origin};
pub use stdin::{read_password_stdin, MAX_PASSWORD_BYTES};
