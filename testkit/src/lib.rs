//! Test support for nuccrawl.
//!
//! This crate starts a real Distribution registry on 127.0.0.1 ([`LocalRegistry`]), pushes
//! content to it over the registry HTTP API ([`push`]), builds small deterministic images
//! ([`images`]), and loads two content sets: a generated sample set whose expected assets are
//! known exactly ([`samples`]), and the real public images kept under `shared/images`
//! ([`shared`]). It is independent of the `nuccrawl` crate so that tests compare nuccrawl's
//! output against facts computed here, not against nuccrawl's own code.

pub mod bulk;
pub mod bulk_hub;
pub mod client;
pub mod digest;
pub mod fake_http;
pub mod fake_token_server;
pub mod fakes;
pub mod fault_proxy;
pub mod hostile;
pub mod images;
pub mod latency_proxy;
pub mod layout;
mod parallel;
pub mod push;
pub mod query;
pub mod registry;
mod request_head;
pub mod samples;
pub mod shared;
pub mod storage;
pub mod tag_digests;
pub mod token_signer;

pub use client::Credentials;
pub use digest::sha256_digest;
pub use fake_token_server::{FakeTokenPolicy, FakeTokenServer};
pub use fault_proxy::{FaultProxy, ProxyOptions};
pub use hostile::FakeHostileRegistry;
pub use registry::{LocalRegistry, TokenAuth};
pub use samples::{load_samples, ExpectedImage, Samples};
pub use shared::{load_shared, SharedImage};
pub use tag_digests::registry_tag_digests;
