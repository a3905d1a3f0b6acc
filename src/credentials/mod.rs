//! Credential lookup per registry host: which username and password (or refresh token)
//! to present, and where it came from.
//!
//! This module only finds credentials; the auth handshake that spends them lives in
//! `registry`. Secrets never appear in `Debug` output, logs or error messages.

mod credential;
mod error;
#[allow(dead_code)] // Used by the lookup sources added next.
mod hosts;
mod origin;
mod stdin;

pub use credential::{Credential, Secret};
pub use error::CredentialError;
pub use origin::{AuthFileKind, HelperVia, Origin};
pub use stdin::{read_password_stdin, MAX_PASSWORD_BYTES};
