//! Deterministic generated images: layers, configs, manifests and indexes.
//!
//! Every builder produces the exact bytes that get pushed, and digests are always computed
//! from those bytes. No clock is read: dates are fixed, tar entries have fixed owners and
//! times, and gzip headers carry no name and mtime 0, so a sample set is the same on every
//! machine and every run.

pub mod config;
pub mod index;
pub mod layer;
pub mod manifest;
pub mod media;

pub use config::ConfigBuilder;
pub use index::{IndexBuilder, IndexEntry};
pub use layer::{gzip_tar, Layer};
pub use manifest::{Blob, BuiltManifest, ManifestBuilder};

/// Date written into generated configs and history: any fixed instant works; this one is
/// recent enough to look like a real build and is not a reproducible-build placeholder.
pub const FIXED_CREATED: &str = "2024-03-01T12:00:00Z";
