//! Repository discovery: which repositories of a registry match a pattern.
//!
//! Every OCI registry that serves `/v2/_catalog` is listed through it; vendor listing
//! APIs for registries without a catalog (Docker Hub, GHCR) plug in here.

use crate::reference::RepoPattern;
use crate::registry::{RegistryClient, RegistryError};

/// The repositories matching `pattern`, sorted.
pub async fn repositories(
    client: &RegistryClient,
    pattern: &RepoPattern,
) -> Result<Vec<String>, RegistryError> {
    let mut repos: Vec<String> = client
        .catalog()
        .await?
        .into_iter()
        .filter(|r| pattern.matches(r))
        .collect();
    repos.sort();
    repos.dedup();
    Ok(repos)
}
