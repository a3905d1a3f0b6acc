//! Small deterministic gzipped tar layers.

use std::io::Write as _;

use flate2::{Compression, GzBuilder};

use crate::digest::sha256_digest;

/// Modification time written into tar entries: the epoch, as reproducible builds do.
const TAR_MTIME: u64 = 0;

/// A compressed layer and the digest of its uncompressed tar (the config's `diff_id`).
#[derive(Debug, Clone)]
pub struct Layer {
    /// The gzipped tar as pushed.
    pub gzipped: Vec<u8>,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
}

/// Builds a layer holding `files` (path, content), owned by root, mode 0644.
pub fn gzip_tar(files: &[(&str, &[u8])]) -> anyhow::Result<Layer> {
    let tar = plain_tar(files)?;
    let diff_id = sha256_digest(&tar);
    Ok(Layer {
        gzipped: gzip(&tar)?,
        diff_id,
    })
}

/// Gzips `bytes` with no file name and mtime 0 in the header.
pub fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}

/// A tar of `files` with fixed ownership, mode and time.
pub fn plain_tar(files: &[(&str, &[u8])]) -> anyhow::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(TAR_MTIME);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, *content)?;
    }
    Ok(builder.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_are_byte_for_byte_repeatable() {
        let a = gzip_tar(&[("etc/hello", b"hi\n")]).unwrap();
        let b = gzip_tar(&[("etc/hello", b"hi\n")]).unwrap();
        assert_eq!(a.gzipped, b.gzipped);
        assert_eq!(a.diff_id, b.diff_id);
        let c = gzip_tar(&[("etc/hello", b"ho\n")]).unwrap();
        assert_ne!(a.diff_id, c.diff_id);
    }
}
