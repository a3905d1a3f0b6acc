//! Content digests: the SHA-256 of exact bytes, as `sha256:<64 lower-case hex>`.
//!
//! Every manifest and config nuccrawl records is identified by the digest of the bytes
//! the registry served, never of a re-serialised form.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// The only algorithm Nucleus accepts.
const ALGORITHM_PREFIX: &str = "sha256:";
/// Hex characters in a SHA-256 digest.
const HEX_LEN: usize = 64;

/// A validated `sha256:` digest.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

/// Why a string is not a digest nuccrawl can use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a sha256 digest (expected sha256: and 64 lower-case hex characters)")]
pub struct DigestError(pub String);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Digest(format!(
            "{ALGORITHM_PREFIX}{}",
            hex::encode(Sha256::digest(bytes))
        ))
    }

    /// The full `sha256:<hex>` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex characters without the algorithm.
    pub fn hex(&self) -> &str {
        &self.0[ALGORITHM_PREFIX.len()..]
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s
            .strip_prefix(ALGORITHM_PREFIX)
            .ok_or_else(|| DigestError(s.into()))?;
        let lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if hex.len() != HEX_LEN || !hex.chars().all(lower_hex) {
            return Err(DigestError(s.into()));
        }
        Ok(Digest(s.to_owned()))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_exact_bytes() {
        let d = Digest::of(b"");
        assert_eq!(
            d.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.hex().len(), 64);
    }

    #[test]
    fn parses_only_lower_hex_sha256() {
        let good = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(good.parse::<Digest>().is_ok());
        assert!(good.to_uppercase().parse::<Digest>().is_err());
        assert!("sha512:abcd".parse::<Digest>().is_err());
        assert!(good[..70].parse::<Digest>().is_err());
    }
}
