//! Writing and reading asset files as JSON, XML and CSV (`FORMAT.md`, "The three
//! encodings").
//!
//! Every encoding carries `image_manifest` and `image_config` byte for byte, so the
//! digests still match after a round trip; a value a format cannot carry exactly is an
//! error, never a silent change. Reading is lenient about what hand-made files vary in:
//! field order, whitespace around names and list items, blank cells and a byte-order
//! mark. Files are replaced atomically, so a failed run leaves the previous file intact.

mod atomic;
mod csv;
mod error;
mod format;
mod json;
#[cfg(test)]
mod proptest_support;
mod representable;
mod tidy;
mod xml;

use std::io::Write;
use std::path::Path;

use crate::asset::AssetFile;

pub use atomic::write_atomically;
pub use error::OutputError;
pub use format::Format;
pub use representable::{representable, Unrepresentable};

/// The UTF-8 byte-order mark some editors (and spreadsheets saving CSV) put first.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes `file` to `w` in `format`.
pub fn encode<W: Write>(file: &AssetFile, format: Format, w: W) -> Result<(), OutputError> {
    check_representable(file, format)?;
    match format {
        Format::Json => json::encode(file, w),
        Format::Xml => xml::encode(file, w),
        Format::Csv => csv::encode(file, w),
    }
}

/// Refuses `file` when `format` cannot carry one of its assets exactly, naming the asset
/// by index, repository and manifest digest.
fn check_representable(file: &AssetFile, format: Format) -> Result<(), OutputError> {
    for (index, asset) in file.assets.iter().enumerate() {
        if let Err(problem) = representable(asset, format) {
            let image = match &asset.image_manifest_digest {
                Some(digest) => format!("{}@{digest}", asset.image_repo),
                None => asset.image_repo.clone(),
            };
            return Err(OutputError::Unrepresentable {
                format,
                asset: Some(index),
                image: Some(image).filter(|i| !i.is_empty()),
                field: problem.field,
                reason: problem.reason,
            });
        }
    }
    Ok(())
}

/// Reads an asset file in `format`, made by nuccrawl or by hand.
pub fn decode(bytes: &[u8], format: Format) -> Result<AssetFile, OutputError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let file = match format {
        Format::Json => json::decode(bytes)?,
        Format::Xml => xml::decode(bytes)?,
        Format::Csv => csv::decode(bytes)?,
    };
    Ok(tidy::tidy(file))
}

/// Reads the asset file at `path`, in `format` or else the one its extension names.
pub fn read_path(path: &Path, format: Option<Format>) -> Result<AssetFile, OutputError> {
    let format = format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| OutputError::UnknownFormat(path.display().to_string()).at(path))?;
    let bytes = std::fs::read(path).map_err(|e| OutputError::from(e).at(path))?;
    decode(&bytes, format).map_err(|e| e.at(path))
}

#[cfg(test)]
pub(crate) mod sample {
    //! A file whose manifest holds every character the encodings must protect.

    use crate::asset::{Asset, AssetFile};
    use crate::image::Digest;

    /// Manifest text with quotes, backslashes, CRLF, tab, Unicode, `]]>`, `<`, `&`, `,`, `;`.
    pub(crate) const TRICKY: &str = "{\"schemaVersion\": 2,\r\n\t\"annotations\": {\"q\": \
        \"a \\\"quoted\\\" \\\\ path, with; ]]> <tag> &amp; & caf\u{e9} \u{1F433}\"},\r\n  \
        \"layers\": [] }  \n";

    /// A two-asset file using `TRICKY` and odd but legal free text.
    pub(crate) fn tricky_file() -> AssetFile {
        let config = "{\"os\":\"windows\",\r\n \"x\":\"<\\u0001>\"}\t";
        let first = Asset {
            image_repo: "team/api".into(),
            image_manifest_digest: Some(Digest::of(TRICKY.as_bytes()).to_string()),
            image_config_digest: Some(Digest::of(config.as_bytes()).to_string()),
            image_tags: vec!["1.4.2".into(), "stable".into()],
            image_registry: Some("ghcr.io".into()),
            image_secondary_registries: vec!["127.0.0.1:5000".into(), "public.ecr.aws".into()],
            image_distro: Some("  Distro, \"quoted\"; with\r\nlines & <stuff>\t".into()),
            image_platform_os: Some("windows".into()),
            image_platform_arch: Some("amd64".into()),
            image_platform_os_version: Some("10.0.17763.5458".into()),
            image_platform_os_features: vec!["win32k".into(), "a,b".into()],
            image_platform_arch_variant: Some("v3".into()),
            image_platform_arch_features: vec!["x\"y".into()],
            image_manifest: Some(TRICKY.into()),
            image_config: Some(config.into()),
        };
        let second = Asset {
            image_repo: "solo".into(),
            image_config_digest: Some(Digest::of(b"{}").to_string()),
            ..Asset::default()
        };
        AssetFile::new(vec![first, second])
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{tricky_file, TRICKY};
    use super::*;
    use crate::image::Digest;

    #[test]
    fn every_format_round_trips_exact_bytes() {
        let file = tricky_file();
        for format in Format::ALL {
            let mut bytes = Vec::new();
            encode(&file, format, &mut bytes).unwrap();
            let back = decode(&bytes, format).unwrap();
            assert_eq!(back, file, "{format}:\n{}", String::from_utf8_lossy(&bytes));
            let manifest = back.assets[0].image_manifest.as_deref().unwrap();
            assert_eq!(manifest, TRICKY);
            assert_eq!(
                Digest::of(manifest.as_bytes()).as_str(),
                back.assets[0].image_manifest_digest.as_deref().unwrap()
            );
        }
    }

    #[test]
    fn decode_skips_a_byte_order_mark() {
        let file = tricky_file();
        for format in Format::ALL {
            let mut bytes = UTF8_BOM.to_vec();
            encode(&file, format, &mut bytes).unwrap();
            assert_eq!(decode(&bytes, format).unwrap(), file, "{format}");
        }
    }

    #[test]
    fn read_path_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = read_path(&path, None).unwrap_err();
        assert!(err.to_string().contains("broken.json"), "{err}");
        let missing = dir.path().join("missing.xml");
        let err = read_path(&missing, None).unwrap_err();
        assert!(err.to_string().contains("missing.xml"), "{err}");
        let err = read_path(&dir.path().join("a.txt"), None).unwrap_err();
        assert!(err.to_string().contains("a.txt"), "{err}");
    }
}
