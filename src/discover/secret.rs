//! The registry's own credential, reused for its vendor API: Docker Hub's user and access
//! token for hub.docker.com, the GitHub token stored for ghcr.io for the GitHub API.

use std::sync::Arc;

use super::error::DiscoverError;
use crate::credentials::{Keychain, Secret};

/// A username and password (or token) for a vendor API.
pub(crate) struct UserSecret {
    /// The account name.
    pub username: String,
    /// The password or token; never logged.
    pub secret: String,
}

/// The username/password credential for `registry`, looked up off the async runtime
/// (credential helpers block). Identity tokens are registry-only and are not offered.
pub(crate) async fn user_secret(
    keychain: &Arc<Keychain>,
    registry: &str,
) -> Result<Option<UserSecret>, DiscoverError> {
    let keychain = Arc::clone(keychain);
    let host = registry.to_string();
    let found = tokio::task::spawn_blocking(move || keychain.resolve(&host))
        .await
        .expect("credential lookup does not panic")?;
    Ok(match found {
        Some((credential, origin)) => match credential.secret() {
            Secret::Basic { username, password } => {
                tracing::debug!(registry, %origin, "using stored credentials for the listing API");
                Some(UserSecret {
                    username: username.clone(),
                    secret: password.clone(),
                })
            }
            Secret::IdentityToken { .. } => {
                tracing::warn!(
                    registry,
                    %origin,
                    "an identity token cannot log in to the listing API; listing anonymously"
                );
                None
            }
        },
        None => None,
    })
}
