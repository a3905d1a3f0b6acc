//! The OCI Distribution API client: listing repositories and tags, reading manifests and
//! config blobs, verified by digest.
//!
//! The layers are kept apart so each question has one file to open:
//! - `transport`: connection pool, scheme choice, redirects, concurrency, capped reads;
//! - [`retry`]: which failures are retried and how long to wait; `pause`: the wait;
//! - [`ratelimit`]: announced per-host request budgets, slowing down and stopping;
//! - [`challenge`], `auth`, `token` and `auth_header`: `WWW-Authenticate` parsing, the
//!   auth handshake, token-server requests and the secret-bearing header values;
//! - [`pagination`]: `Link` headers;
//! - `catalog`, `tags`, `manifest`, `blob`: one API call each, on [`RegistryClient`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), nuccrawl::registry::RegistryError> {
//! use nuccrawl::reference::Registry;
//! use nuccrawl::registry::{ClientOptions, RegistryClient, CONFIG_CAP};
//!
//! let registry = Registry::parse("127.0.0.1:5000").expect("valid host");
//! let client = RegistryClient::new(&registry, &ClientOptions::default())?;
//! for repo in client.catalog().await? {
//!     for tag in client.tags(&repo).await? {
//!         let manifest = client.get_manifest(&repo, &tag).await?;
//!         println!("{repo}:{tag} {}", manifest.digest);
//!     }
//! }
//! # let _ = CONFIG_CAP;
//! # Ok(()) }
//! ```

pub mod accept;
mod auth;
mod auth_header;
mod blob;
mod budget;
mod catalog;
pub mod challenge;
mod client;
mod error;
mod listing;
mod manifest;
mod options;
pub mod pagination;
mod pause;
pub mod ratelimit;
pub mod redact;
pub mod retry;
mod stats;
mod tags;
mod token;
pub(crate) mod transport;

#[cfg(test)]
mod auth_tests;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;

pub use blob::CONFIG_CAP;
pub use client::RegistryClient;
pub use error::RegistryError;
pub use listing::{LIST_PAGE_CAP, PAGE_SIZE};
pub use manifest::{Fetched, HeadInfo, MANIFEST_CAP};
pub use options::{
    ClientOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRY_WAIT, DEFAULT_REQUEST_TIMEOUT,
};
pub use ratelimit::OnRateLimit;
pub use stats::{RequestKind, RequestStats};
