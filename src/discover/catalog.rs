//! `/v2/_catalog`, for every registry that serves it (Distribution, ECR, ACR, Harbor for
//! admins…). Paging and its limits live in the registry client.

use super::ecr;
use super::error::DiscoverError;
use crate::registry::RegistryClient;

/// Every repository the catalog lists for the caller.
pub async fn list(client: &RegistryClient) -> Result<Vec<String>, DiscoverError> {
    client
        .catalog()
        .await
        .map_err(|e| ecr::explain(client.registry(), e))
}
