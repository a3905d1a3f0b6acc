//! The JSON encoding: one pretty-printed object, lists as arrays, the manifest and config
//! as strings holding their raw text.

use std::io::Write;

use serde_json::Value;

use super::OutputError;
use crate::asset::AssetFile;

/// Writes `file` as 2-space pretty-printed JSON with a final newline.
pub(super) fn encode<W: Write>(file: &AssetFile, mut w: W) -> Result<(), OutputError> {
    serde_json::to_writer_pretty(&mut w, file)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(())
}

/// Reads a JSON asset file. Hand-written files may give `nucleus_import_version` as the
/// number `1` and `null` for absent fields; both are accepted.
pub(super) fn decode(bytes: &[u8]) -> Result<AssetFile, OutputError> {
    let mut value: Value = serde_json::from_slice(bytes)?;
    if let Some(version) = value.get_mut("nucleus_import_version") {
        if let Value::Number(n) = version {
            *version = Value::String(n.to_string());
        }
    }
    if let Some(Value::Array(assets)) = value.get_mut("assets") {
        for asset in assets.iter_mut().filter_map(Value::as_object_mut) {
            asset.retain(|_, v| !v.is_null());
        }
    }
    Ok(serde_json::from_value(value)?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::output::proptest_support::{asset_file, tricky_text};

    use super::*;
    use crate::output::sample::tricky_file;
    use crate::output::tidy::tidy;

    #[test]
    fn layout_matches_format_md() {
        let mut out = Vec::new();
        encode(&tricky_file(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("{\n  \"nucleus_import_version\": \"1\",\n  \"scan_tool\""));
        assert!(
            text.contains("\n    {\n      \"image_repo\": \"team/api\""),
            "{text}"
        );
        assert!(text.contains("\"image_manifest\": \"{\\\"schemaVersion\\\": 2,\\r\\n\\t"));
        assert!(!text.contains("\"image_distro\": null"));
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn hand_written_leniency() {
        let text = r#"{"assets": [{"image_platform_os": null, "image_repo": "centos",
            "image_tags": ["latest"], "image_distro": null}],
            "scan_type": "Container Image", "scan_tool": "Asset", "nucleus_import_version": 1}"#;
        let file = decode(text.as_bytes()).unwrap();
        assert_eq!(file.nucleus_import_version, "1");
        assert_eq!(file.assets[0].image_repo, "centos");
        assert_eq!(file.assets[0].image_platform_os, None);
        assert!(decode(b"[]").is_err());
    }

    proptest! {
        #[test]
        fn round_trips_any_text(file in asset_file(tricky_text(any::<String>()))) {
            let mut out = Vec::new();
            encode(&file, &mut out).unwrap();
            prop_assert_eq!(tidy(decode(&out).unwrap()), file);
        }
    }
}
