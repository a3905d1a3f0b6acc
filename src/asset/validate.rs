//! Checking an asset file against every rule of the Nucleus "Container Image" contract
//! (`FORMAT.md`) before it is written or after it is read back.
//!
//! Validation never stops at the first problem: it returns every [`Violation`] it finds,
//! each naming the asset (by its index in the file), the field and what is wrong, so a
//! user can fix a hand-made file in one pass. The rules themselves live in
//! `asset::rules`, one file per group of fields.

use std::collections::HashMap;
use std::fmt;

use super::model::{Asset, AssetFile, IMPORT_VERSION, SCAN_TOOL, SCAN_TYPE};
use super::rules;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index of the asset in the file's `assets` list (0-based), `None` for file metadata
    /// or when a lone asset was checked.
    pub asset: Option<usize>,
    /// The asset's `image_repo`, when it has a non-empty one, to help find it.
    pub image_repo: Option<String>,
    /// The `FORMAT.md` field the rule is about.
    pub field: &'static str,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl Violation {
    /// A violation of a rule about `field`, not yet tied to an asset.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Violation {
            asset: None,
            image_repo: None,
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.asset, &self.image_repo) {
            (Some(i), Some(repo)) => write!(f, "asset {i} ({repo}): ")?,
            (Some(i), None) => write!(f, "asset {i}: ")?,
            (None, Some(repo)) => write!(f, "{repo}: ")?,
            (None, None) => {}
        }
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Checks the file metadata, every asset, and that no image appears twice.
pub fn validate_file(file: &AssetFile) -> Vec<Violation> {
    let mut found = check_metadata(file);
    for (index, asset) in file.assets.iter().enumerate() {
        found.extend(validate_asset(asset).into_iter().map(|mut v| {
            v.asset = Some(index);
            v
        }));
    }
    found.extend(check_duplicate_images(&file.assets));
    found
}

/// Checks one asset against every per-asset rule of `FORMAT.md`.
pub fn validate_asset(asset: &Asset) -> Vec<Violation> {
    let repo = Some(asset.image_repo.clone()).filter(|r| !r.is_empty());
    rules::check_asset(asset)
        .into_iter()
        .map(|mut v| {
            v.image_repo.clone_from(&repo);
            v
        })
        .collect()
}

/// The three metadata fields must hold nuccrawl's fixed values.
fn check_metadata(file: &AssetFile) -> Vec<Violation> {
    let expected = [
        (
            "nucleus_import_version",
            &file.nucleus_import_version,
            IMPORT_VERSION,
        ),
        ("scan_tool", &file.scan_tool, SCAN_TOOL),
        ("scan_type", &file.scan_type, SCAN_TYPE),
    ];
    expected
        .into_iter()
        .filter(|(_, found, want)| found.as_str() != *want)
        .map(|(field, found, want)| {
            Violation::new(field, format!("must be {want:?}, found {found:?}"))
        })
        .collect()
}

/// The same image (registry, repository, manifest digest) must be one asset, not several.
fn check_duplicate_images(assets: &[Asset]) -> Vec<Violation> {
    let mut first_seen: HashMap<(Option<&str>, &str, &str), usize> = HashMap::new();
    let mut found = Vec::new();
    for (index, asset) in assets.iter().enumerate() {
        let Some(digest) = asset.image_manifest_digest.as_deref() else {
            continue;
        };
        let key = (
            asset.image_registry.as_deref(),
            asset.image_repo.as_str(),
            digest,
        );
        if let Some(first) = first_seen.get(&key) {
            let mut v = Violation::new(
                "image_manifest_digest",
                format!("the same image as asset {first}; merge their tags into one asset"),
            );
            v.asset = Some(index);
            v.image_repo = Some(asset.image_repo.clone()).filter(|r| !r.is_empty());
            found.push(v);
        } else {
            first_seen.insert(key, index);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::rules::fixture::good_asset;

    #[test]
    fn good_file_passes() {
        let file = AssetFile::new(vec![good_asset()]);
        assert_eq!(validate_file(&file), vec![]);
    }

    #[test]
    fn rule_metadata_values() {
        let mut file = AssetFile::new(vec![]);
        assert!(validate_file(&file).is_empty());
        file.nucleus_import_version = "2".into();
        file.scan_tool = "Trivy".into();
        file.scan_type = "Host".into();
        let fields: Vec<_> = validate_file(&file).iter().map(|v| v.field).collect();
        assert_eq!(fields, ["nucleus_import_version", "scan_tool", "scan_type"]);
    }

    #[test]
    fn rule_duplicate_image_across_assets() {
        let a = good_asset();
        let mut other_repo = good_asset();
        other_repo.image_repo = "team/other".into();
        assert!(validate_file(&AssetFile::new(vec![a.clone(), other_repo])).is_empty());
        let found = validate_file(&AssetFile::new(vec![a.clone(), a]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].asset, Some(1));
        assert_eq!(found[0].field, "image_manifest_digest");
    }

    #[test]
    fn display_names_asset_repo_and_field() {
        let mut a = good_asset();
        a.image_tags = vec!["-x".into()];
        let found = validate_file(&AssetFile::new(vec![good_asset(), a]));
        // The second asset duplicates the first image too; find the tag violation.
        let tag = found.iter().find(|v| v.field == "image_tags").unwrap();
        assert_eq!(
            tag.to_string(),
            "asset 1 (team/api): image_tags: tag \"-x\" must not start with '.' or '-'"
        );
    }
}

#[cfg(test)]
mod vendor_example {
    //! The vendor page's own example must fail: its manifest was reformatted after hashing.

    use std::path::PathBuf;

    use super::*;

    /// `/work/shared` or `$NUCCRAWL_SHARED`: the folder beside the repository.
    fn shared_dir() -> PathBuf {
        std::env::var_os("NUCCRAWL_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
    }

    /// The first fenced ```json block of a Markdown page.
    fn first_json_block(page: &str) -> Option<&str> {
        let start = page.find("```json")? + "```json".len();
        let len = page[start..].find("```")?;
        Some(&page[start..start + len])
    }

    #[test]
    fn vendor_example_fails_on_manifest_digest() {
        let path = shared_dir().join("seed/container-images.md");
        // The suite needs ../shared (scripts/test.sh checks it): a missing page fails.
        let page = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (set NUCCRAWL_SHARED)", path.display()));
        let json = first_json_block(&page).expect("the page has a ```json block");
        let file: AssetFile = serde_json::from_str(json).expect("the example is valid JSON");
        assert_eq!(file.assets.len(), 1);
        let found = validate_file(&file);
        let digest = found
            .iter()
            .find(|v| v.field == "image_manifest_digest")
            .unwrap_or_else(|| panic!("no manifest digest violation in {found:#?}"));
        assert_eq!(digest.asset, Some(0));
        assert!(digest.to_string().contains("centos"), "{digest}");
    }
}
