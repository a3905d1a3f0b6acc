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

use crate::asset::{AssetFile, Violation};

pub use atomic::{replace_file, write_atomically};
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

/// Reads an asset file in `format`, made by nuccrawl or by hand, forgiving what hand-made
/// files vary in (see the module docs and `tidy`).
pub fn decode(bytes: &[u8], format: Format) -> Result<AssetFile, OutputError> {
    let (file, _) = decode_raw(bytes, format)?;
    Ok(tidy::tidy(file))
}

/// Reads an asset file as `nuccrawl validate` must see it: values exactly as written
/// (only blank optional values read as absent, which FORMAT.md allows), with the
/// violations of the encoding itself that reading had to get past (a misordered CSV
/// header, a duplicate or unknown JSON key, …). Check the returned file with
/// [`validate_file`](crate::asset::validate_file) for the rest.
pub fn decode_checked(
    bytes: &[u8],
    format: Format,
) -> Result<(AssetFile, Vec<Violation>), OutputError> {
    let (file, found) = decode_raw(bytes, format)?;
    Ok((tidy::drop_blank(file), found))
}

/// The file as its decoder read it, with the encoding's violations.
fn decode_raw(bytes: &[u8], format: Format) -> Result<(AssetFile, Vec<Violation>), OutputError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match format {
        Format::Json => json::decode(bytes),
        Format::Xml => xml::decode(bytes),
        Format::Csv => csv::decode(bytes),
    }
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

#[cfg(test)]
mod strict_tests {
    //! `decode_checked` reports what `decode` forgives.

    use super::sample::tricky_file;
    use super::*;
    use crate::asset::validate_file;

    fn problems(text: &str, format: Format) -> Vec<String> {
        let (file, mut found) = decode_checked(text.as_bytes(), format).unwrap();
        found.extend(validate_file(&file));
        found.iter().map(ToString::to_string).collect()
    }

    fn has(found: &[String], needle: &str) -> bool {
        found.iter().any(|f| f.contains(needle))
    }

    #[test]
    fn own_output_has_no_encoding_violations() {
        for format in Format::ALL {
            let mut bytes = Vec::new();
            encode(&tricky_file(), format, &mut bytes).unwrap();
            let (file, found) = decode_checked(&bytes, format).unwrap();
            assert_eq!(found, [], "{format}");
            assert_eq!(file, tricky_file(), "{format}");
        }
    }

    #[test]
    fn json_keys_and_version_type() {
        let text = r#"{"nucleus_import_version": 1, "scan_tool": "Asset",
            "scan_type": "Container Image", "assets": [{"image_repo": "a", "image_repo": "b",
            "image_tag": ["x"], "image_config_digest": " sha256:00"}]}"#;
        let found = problems(text, Format::Json);
        assert!(
            has(&found, "nucleus_import_version: must be the string"),
            "{found:?}"
        );
        assert!(
            has(&found, "asset 0 (b): keys: unknown key \"image_tag\""),
            "{found:?}"
        );
        assert!(
            has(
                &found,
                "asset 0: keys: key `assets[0].image_repo` is given twice"
            ),
            "{found:?}"
        );
        assert!(has(&found, "image_config_digest"), "{found:?}");
        let bad_type = r#"{"nucleus_import_version": "1", "scan_tool": "Asset",
            "scan_type": "Container Image", "assets": [{"image_repo": "a"}, {"image_repo": 5}]}"#;
        let err = decode_checked(bad_type.as_bytes(), Format::Json).unwrap_err();
        assert!(err.to_string().contains("asset 1"), "{err}");
    }

    #[test]
    fn csv_header_rows_and_lists() {
        let mut bytes = Vec::new();
        encode(&tricky_file(), Format::Csv, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let (header, rest) = text.split_once("\r\n").unwrap();
        let swapped = header.replacen("scan_tool,scan_type", "scan_type,scan_tool", 1);
        let found = problems(&format!("{swapped}\r\n{rest}"), Format::Csv);
        assert!(has(&found, "format's order"), "{found:?}");
        let dup = format!("{header},image_repo\r\n{rest}");
        assert!(has(&problems(&dup, Format::Csv), "appears twice"));
        let short = header.strip_suffix(",image_config").unwrap();
        let found = problems(&format!("{short}\r\n{rest}"), Format::Csv);
        assert!(has(&found, "missing column \"image_config\""), "{found:?}");
        assert!(has(&found, "has 18 cells, the header row 17"), "{found:?}");
        let empty_item = text.replacen("1.4.2;stable", "1.4.2;;stable", 1);
        let found = problems(&empty_item, Format::Csv);
        assert!(
            has(&found, "asset 0: image_tags: empty list item"),
            "{found:?}"
        );
        let padded = text.replacen(",team/api,", ", team/api,", 1);
        assert!(has(&problems(&padded, Format::Csv), "image_repo"));
    }

    #[test]
    fn xml_structure_and_whitespace() {
        let mut bytes = Vec::new();
        encode(&tricky_file(), Format::Xml, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let refused = |t: &str| {
            decode_checked(t.as_bytes(), Format::Xml)
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&format!("{text}junk")).contains("after the root"));
        assert!(refused(&format!("{text}<nucleusCustomScan/>")).contains("second root"));
        let body = text.split_once("?>").unwrap().1;
        assert!(refused(&format!("junk{body}")).contains("before the root"));
        let no_assets = "<nucleusCustomScan><nucleus_import_version>1</nucleus_import_version>\
            <scan_tool>Asset</scan_tool><scan_type>Container Image</scan_type>\
            </nucleusCustomScan>";
        assert!(refused(no_assets).contains("no <assets>"));
        let bad_char = text.replacen("<image_repo>solo", "<image_repo>so&#xFFFF;lo", 1);
        let err = refused(&bad_char);
        assert!(err.contains("asset 1, <image_repo>"), "{err}");
        let padded = text.replacen("<image_repo>team/api", "<image_repo> team/api", 1);
        assert!(has(&problems(&padded, Format::Xml), "image_repo"));
        assert_eq!(
            decode(padded.as_bytes(), Format::Xml).unwrap(),
            tricky_file()
        );
    }
}
