//! What registries serve: media types, digests, manifests, indexes and image configs,
//! read leniently from the exact bytes received.

pub mod config;
pub mod digest;
pub mod manifest;
pub mod media_type;
pub mod platform;
mod skip;
#[cfg(test)]
pub(crate) mod test_images;
mod wire;

pub use digest::Digest;
pub use platform::Platform;
