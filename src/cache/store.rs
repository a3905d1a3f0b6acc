//! [`Cache`]: reading and writing digest-addressed entries, verified and atomic.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tracing::{debug, warn};

use crate::image::Digest;

/// Longest media type accepted from a sidecar: RFC 6838 caps each half at 127 characters.
const MEDIA_TYPE_CAP: usize = 255;
/// Suffix of the media-type sidecar beside a manifest entry.
const TYPE_SUFFIX: &str = ".type";

/// Why a cache entry could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A file operation failed.
    #[error("cache entry {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

/// A content-addressed store of manifests and configs; a disabled cache misses always
/// and stores nothing. Shared by reference across the whole crawl.
#[derive(Debug, Default)]
pub struct Cache {
    root: Option<PathBuf>,
    warned: AtomicBool,
}

impl Cache {
    /// A cache rooted at `dir`, created on the first write.
    pub fn open(dir: PathBuf) -> Self {
        Cache {
            root: Some(dir),
            warned: AtomicBool::new(false),
        }
    }

    /// A cache that holds nothing (`--no-cache`, or no cache directory known).
    pub fn disabled() -> Self {
        Cache::default()
    }

    /// The folder entries live under, if the cache is on.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// The bytes stored for `digest`, when present and hashing to it.
    pub fn get(&self, digest: &Digest) -> Option<Bytes> {
        let path = self.entry_path(digest)?;
        let bytes = self.read(&path)?;
        if Digest::of(&bytes) != *digest {
            debug!(path = %path.display(), "cache entry does not hash to its digest; a miss");
            return None;
        }
        Some(Bytes::from(bytes))
    }

    /// A manifest's bytes and the media type it was served with (`None` when the
    /// registry sent none), when both are present and the bytes hash to `digest`.
    pub fn get_manifest(&self, digest: &Digest) -> Option<(Bytes, Option<String>)> {
        let path = self.entry_path(digest)?;
        let raw = self.read(&type_path(&path))?;
        let media_type = parse_media_type(&raw)?;
        Some((self.get(digest)?, media_type))
    }

    /// Stores `bytes` under `digest`; bytes that do not hash to it are not stored.
    pub fn put(&self, digest: &Digest, bytes: &[u8]) {
        let Some(path) = self.entry_path(digest) else {
            return;
        };
        if Digest::of(bytes) != *digest {
            debug!(%digest, "not caching bytes that do not hash to their digest");
            return;
        }
        if let Err(e) = write_atomically(&path, bytes) {
            self.report(e);
        }
    }

    /// Stores a manifest and the media type it was served with. The sidecar goes first,
    /// so a reader that finds the bytes also finds their type.
    pub fn put_manifest(&self, digest: &Digest, bytes: &[u8], media_type: Option<&str>) {
        let Some(path) = self.entry_path(digest) else {
            return;
        };
        let media_type = media_type.unwrap_or_default();
        if parse_media_type(media_type.as_bytes()).is_none() {
            debug!(%digest, "not caching a manifest with an unusable media type");
            return;
        }
        match write_atomically(&type_path(&path), media_type.as_bytes()) {
            Ok(()) => self.put(digest, bytes),
            Err(e) => self.report(e),
        }
    }

    /// `ROOT/blobs/sha256/<ab>/<hex>`.
    fn entry_path(&self, digest: &Digest) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        let hex = digest.hex();
        let prefix = hex.get(..2)?;
        Some(root.join("blobs").join("sha256").join(prefix).join(hex))
    }

    /// A file's bytes; a missing file is a quiet miss, any other error a reported one.
    pub(super) fn read(&self, path: &Path) -> Option<Vec<u8>> {
        match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                self.report(CacheError::Io {
                    path: path.to_path_buf(),
                    source,
                });
                None
            }
        }
    }

    /// The first cache error is a warning; the crawl goes on without the cache's help
    /// where it fails, so later ones are only debug lines.
    pub(super) fn report(&self, error: CacheError) {
        if self.warned.swap(true, Ordering::Relaxed) {
            debug!("{error}");
        } else {
            warn!("{error}; continuing without the cache where it fails");
        }
    }
}

/// `<entry>.type`.
fn type_path(entry: &Path) -> PathBuf {
    let mut name = entry.file_name().unwrap_or_default().to_os_string();
    name.push(TYPE_SUFFIX);
    entry.with_file_name(name)
}

/// A sidecar's media type: empty means none was served; anything but short printable
/// ASCII is a corrupt sidecar, so a miss.
fn parse_media_type(raw: &[u8]) -> Option<Option<String>> {
    if raw.len() > MEDIA_TYPE_CAP || !raw.iter().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let text = std::str::from_utf8(raw).ok()?;
    Some((!text.is_empty()).then(|| text.to_owned()))
}

/// Writes a temporary file beside `path` and renames it into place, so readers see the
/// old entry, no entry or the whole new one, never a part.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let io_err = |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
