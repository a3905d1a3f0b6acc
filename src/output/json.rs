//! The JSON encoding: one pretty-printed object, lists as arrays, the manifest and config
//! as strings holding their raw text.

use std::io::Write;

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Format, OutputError};
use crate::asset::{Asset, AssetFile, Violation, IMPORT_VERSION};

/// Writes `file` as 2-space pretty-printed JSON with a final newline.
pub(super) fn encode<W: Write>(file: &AssetFile, mut w: W) -> Result<(), OutputError> {
    serde_json::to_writer_pretty(&mut w, file)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(())
}

/// The top-level keys of FORMAT.md.
const FILE_KEYS: [&str; 4] = ["nucleus_import_version", "scan_tool", "scan_type", "assets"];
/// The asset keys of FORMAT.md.
const ASSET_KEYS: [&str; 15] = crate::asset::ASSET_FIELDS;

/// Reads a JSON asset file, with what it breaks of the JSON encoding beyond what the
/// model keeps: duplicate and unknown keys, a numeric `nucleus_import_version`. Those are
/// still read (the last of duplicate keys wins, unknown keys are ignored, `1` becomes
/// `"1"`) and `null` stands for an absent field.
pub(super) fn decode(bytes: &[u8]) -> Result<(AssetFile, Vec<Violation>), OutputError> {
    let mut found = duplicate_keys(bytes)?;
    let mut value: Value = serde_json::from_slice(bytes)?;
    let Value::Object(top) = &mut value else {
        return Err(OutputError::structure(
            Format::Json,
            "the document is not a JSON object",
        ));
    };
    found.extend(unknown_keys(top, &FILE_KEYS, None));
    if let Some(version) = top.get_mut("nucleus_import_version") {
        if let Value::Number(n) = version {
            found.push(Violation::new(
                "nucleus_import_version",
                format!("must be the string \"{IMPORT_VERSION}\", found the number {n}"),
            ));
            *version = Value::String(n.to_string());
        }
    }
    let assets = match top.remove("assets") {
        Some(Value::Array(assets)) => assets,
        Some(other) => return Err(structure(format!("`assets` is {other}, expected a list"))),
        None => return Err(structure("missing field `assets`".to_owned())),
    };
    top.insert("assets".into(), Value::Array(Vec::new()));
    let mut file: AssetFile =
        serde_json::from_value(value).map_err(|e| structure(format!("file metadata: {e}")))?;
    for (index, mut asset) in assets.into_iter().enumerate() {
        let Value::Object(fields) = &mut asset else {
            return Err(structure(format!(
                "asset {index} is {asset}, expected an object"
            )));
        };
        found.extend(unknown_keys(fields, &ASSET_KEYS, Some(index)));
        fields.retain(|_, v| !v.is_null());
        let asset: Asset =
            serde_json::from_value(asset).map_err(|e| structure(format!("asset {index}: {e}")))?;
        file.assets.push(asset);
    }
    Ok((file, found))
}

fn structure(reason: String) -> OutputError {
    OutputError::structure(Format::Json, reason)
}

/// A violation for every key of `object` that FORMAT.md does not name.
fn unknown_keys(
    object: &serde_json::Map<String, Value>,
    known: &[&str],
    asset: Option<usize>,
) -> Vec<Violation> {
    let repo = object
        .get("image_repo")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    object
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|key| {
            let mut v = Violation::new(
                "keys",
                format!(
                    "unknown key {key:?} (the Container Image format has no such field; a typo?)"
                ),
            );
            v.asset = asset;
            v.image_repo = repo.map(str::to_owned);
            v
        })
        .collect()
}

/// A violation for every object key given twice (a JSON reader keeps only one of them).
fn duplicate_keys(bytes: &[u8]) -> Result<Vec<Violation>, OutputError> {
    let found = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Walk {
        path: String::new(),
        asset: None,
        found: &found,
    }
    .deserialize(&mut de)?;
    Ok(found.into_inner())
}

/// Walks any JSON value, noting duplicate keys with their path.
struct Walk<'a> {
    path: String,
    asset: Option<usize>,
    found: &'a RefCell<Vec<Violation>>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let item = Walk {
                path: format!("{}[{index}]", self.path),
                asset: if self.path == "assets" {
                    Some(index)
                } else {
                    self.asset
                },
                found: self.found,
            };
            if seq.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                let mut v = Violation::new(
                    "keys",
                    format!("key `{path}` is given twice; readers keep only one of them"),
                );
                v.asset = self.asset;
                self.found.borrow_mut().push(v);
            }
            map.next_value_seed(Walk {
                path,
                asset: self.asset,
                found: self.found,
            })?;
        }
        Ok(())
    }
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
        let (file, found) = decode(text.as_bytes()).unwrap();
        assert_eq!(file.nucleus_import_version, "1");
        assert_eq!(file.assets[0].image_repo, "centos");
        assert_eq!(file.assets[0].image_platform_os, None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "nucleus_import_version");
        assert!(decode(b"[]").is_err());
    }

    proptest! {
        #[test]
        fn round_trips_any_text(file in asset_file(tricky_text(any::<String>()))) {
            let mut out = Vec::new();
            encode(&file, &mut out).unwrap();
            prop_assert_eq!(tidy(decode(&out).unwrap().0), file);
        }
    }
}
