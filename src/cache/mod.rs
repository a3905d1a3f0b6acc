//! The on-disk, content-addressed cache of manifests and configs.
//!
//! Digest-addressed content is immutable, so an entry, once verified, is good forever;
//! tag lists and catalogs change and are never cached. The one exception is opt-in: the
//! digests of tags the user declares immutable (`--immutable-tags`, [`tag_memo`]).
//! Entries live under
//! `DIR/blobs/sha256/<first two hex>/<hex>` holding exactly the bytes the registry
//! served; a manifest also has a `<hex>.type` sidecar with the media type it was served
//! with. Every read is checked against the digest (a corrupt or truncated entry is a miss
//! and is replaced by the next write); every write is a temporary file in the same folder
//! renamed into place, so two runs sharing a cache never see half an entry. A cache that
//! cannot be read or written never fails a crawl: the first error is a warning, the rest
//! are debug lines, and the crawl fetches from the registry as if there were no cache.

mod confirmed;
mod dir;
mod fetch;
mod store;
mod tag_memo;

pub use dir::default_dir;
pub use fetch::{cached_config, cached_manifest, store_manifest};
pub use store::{Cache, CacheError};
