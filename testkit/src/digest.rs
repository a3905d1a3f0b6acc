//! Content digests as registries write them (`sha256:<64 lower-case hex>`).

use sha2::{Digest as _, Sha256};

/// Prefix of every digest this crate computes.
pub const SHA256_PREFIX: &str = "sha256:";

/// Returns `sha256:<hex>` of `bytes`, the digest a registry gives content with these bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("{SHA256_PREFIX}{}", hex::encode(Sha256::digest(bytes)))
}

/// Returns the hex part of a `sha256:<hex>` digest, or an error for any other algorithm.
pub fn hex_part(digest: &str) -> anyhow::Result<&str> {
    digest
        .strip_prefix(SHA256_PREFIX)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| anyhow::anyhow!("not a sha256 digest: {digest:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_is_the_well_known_value() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_part_rejects_other_algorithms() {
        assert!(hex_part("sha512:abcd").is_err());
        assert!(hex_part(&sha256_digest(b"x")).is_ok());
    }
}
