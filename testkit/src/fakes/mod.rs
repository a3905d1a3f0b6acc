//! Fakes of third-party services, each on its own 127.0.0.1 port, serving what the
//! vendors document closely enough for nuccrawl's discovery to be tested against them:
//!
//! - [`FakeDockerHub`]: Docker Hub's web API (login, namespace repository listing, a
//!   repository's tags with their digests, injectable faults);
//! - [`FakeGithubApi`]: GitHub's REST packages API (organisation and user packages, a
//!   container package's versions with their digests and tags);
//! - [`FakeGhcr`]: ghcr.io's registry behaviour in front of a real [`LocalRegistry`]
//!   (no `_catalog`, per-package 403);
//! - [`FakeEcr`]: ECR's registry behaviour in front of a real [`LocalRegistry`] (Basic
//!   `AWS` user, expired-token 403, `n` at most 1000).
//!
//! Every fake records the requests it received so tests can check what nuccrawl sent.
//! None of them ever contacts anything but 127.0.0.1.
//!
//! [`LocalRegistry`]: crate::LocalRegistry

mod content;
mod dockerhub;
mod ecr;
mod ghcr;
mod github;
mod proxy;
mod server;
#[cfg(test)]
mod test_get;

pub use content::push_small_image;
pub use dockerhub::{FakeDockerHub, HubFault, HubRepo, HubTag, FAKE_HUB_TOKEN};
pub use ecr::{FakeEcr, ECR_EXPIRED_MESSAGE};
pub use ghcr::{FakeGhcr, GHCR_DENIED_MESSAGE};
pub use github::{FakeGithubApi, GithubPackage, GithubVersion};
pub use server::RecordedRequest;
