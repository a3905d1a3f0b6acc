//! The Nucleus "Container Image" asset file as data: the three metadata fields and one
//! [`Asset`] per runnable platform image, with the field names of `FORMAT.md`.

use serde::{Deserialize, Serialize};

/// `nucleus_import_version` of every file nuccrawl writes.
pub const IMPORT_VERSION: &str = "1";
/// `scan_tool`: an asset-only upload, no findings.
pub const SCAN_TOOL: &str = "Asset";
/// `scan_type` of a Container Image file.
pub const SCAN_TYPE: &str = "Container Image";

/// The asset fields of FORMAT.md, in its order.
pub const ASSET_FIELDS: [&str; 15] = [
    "image_repo",
    "image_manifest_digest",
    "image_config_digest",
    "image_tags",
    "image_registry",
    "image_secondary_registries",
    "image_distro",
    "image_platform_os",
    "image_platform_arch",
    "image_platform_os_version",
    "image_platform_os_features",
    "image_platform_arch_variant",
    "image_platform_arch_features",
    "image_manifest",
    "image_config",
];

/// A whole asset file, as written or as read back for validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetFile {
    /// Always [`IMPORT_VERSION`] when written by nuccrawl.
    pub nucleus_import_version: String,
    /// Always [`SCAN_TOOL`] when written by nuccrawl.
    pub scan_tool: String,
    /// Always [`SCAN_TYPE`] when written by nuccrawl.
    pub scan_type: String,
    /// One entry per platform image.
    pub assets: Vec<Asset>,
}

impl AssetFile {
    /// A file with nuccrawl's fixed metadata around `assets`.
    pub fn new(assets: Vec<Asset>) -> Self {
        AssetFile {
            nucleus_import_version: IMPORT_VERSION.into(),
            scan_tool: SCAN_TOOL.into(),
            scan_type: SCAN_TYPE.into(),
            assets,
        }
    }
}

/// One runnable image: one image manifest with its config. Empty lists and `None`
/// fields are left out of JSON and XML and written as empty CSV cells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Repository path without the registry host (`library/` dropped on Docker Hub).
    pub image_repo: String,
    /// `sha256:` of the manifest bytes as served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_manifest_digest: Option<String>,
    /// `sha256:` of the config blob (the image ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_config_digest: Option<String>,
    /// Every tag of the repository that reaches this manifest, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tags: Vec<String>,
    /// Registry host with optional port; Docker Hub is `docker.io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_registry: Option<String>,
    /// Further registries holding the same image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_secondary_registries: Vec<String>,
    /// OS distribution, only when the config gives reliable evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_distro: Option<String>,
    /// A Go `GOOS` value or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_platform_os: Option<String>,
    /// A Go `GOARCH` value or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_platform_arch: Option<String>,
    /// OS version, e.g. Windows `10.0.17763.5458`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_platform_os_version: Option<String>,
    /// Mandatory OS features, e.g. `win32k`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_platform_os_features: Vec<String>,
    /// CPU variant from the OCI image-index table, e.g. `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_platform_arch_variant: Option<String>,
    /// Architecture features (reserved by OCI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_platform_arch_features: Vec<String>,
    /// The manifest text, byte for byte as served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_manifest: Option<String>,
    /// The config text, byte for byte as served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_config: Option<String>,
}

/// One field's value, as the encoders and format checks walk an asset.
#[derive(Debug, Clone, Copy)]
pub enum FieldValue<'a> {
    /// A text field; `None` when absent.
    One(Option<&'a str>),
    /// A list field (empty when absent).
    Many(&'a [String]),
}

impl Asset {
    /// Every field with its FORMAT.md name, in FORMAT.md order.
    pub fn fields(&self) -> [(&'static str, FieldValue<'_>); 15] {
        fn one(v: &Option<String>) -> FieldValue<'_> {
            FieldValue::One(v.as_deref())
        }
        [
            ("image_repo", FieldValue::One(Some(&self.image_repo))),
            ("image_manifest_digest", one(&self.image_manifest_digest)),
            ("image_config_digest", one(&self.image_config_digest)),
            ("image_tags", FieldValue::Many(&self.image_tags)),
            ("image_registry", one(&self.image_registry)),
            (
                "image_secondary_registries",
                FieldValue::Many(&self.image_secondary_registries),
            ),
            ("image_distro", one(&self.image_distro)),
            ("image_platform_os", one(&self.image_platform_os)),
            ("image_platform_arch", one(&self.image_platform_arch)),
            (
                "image_platform_os_version",
                one(&self.image_platform_os_version),
            ),
            (
                "image_platform_os_features",
                FieldValue::Many(&self.image_platform_os_features),
            ),
            (
                "image_platform_arch_variant",
                one(&self.image_platform_arch_variant),
            ),
            (
                "image_platform_arch_features",
                FieldValue::Many(&self.image_platform_arch_features),
            ),
            ("image_manifest", one(&self.image_manifest)),
            ("image_config", one(&self.image_config)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_walk_and_serde_names_follow_format_md() {
        let asset = Asset::default();
        let walked: Vec<&str> = asset.fields().iter().map(|(name, _)| *name).collect();
        assert_eq!(walked, ASSET_FIELDS);
        let full = Asset {
            image_manifest_digest: Some(String::new()),
            image_config_digest: Some(String::new()),
            image_tags: vec![String::new()],
            image_registry: Some(String::new()),
            image_secondary_registries: vec![String::new()],
            image_distro: Some(String::new()),
            image_platform_os: Some(String::new()),
            image_platform_arch: Some(String::new()),
            image_platform_os_version: Some(String::new()),
            image_platform_os_features: vec![String::new()],
            image_platform_arch_variant: Some(String::new()),
            image_platform_arch_features: vec![String::new()],
            image_manifest: Some(String::new()),
            image_config: Some(String::new()),
            ..Asset::default()
        };
        let json = serde_json::to_value(&full).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = ASSET_FIELDS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
    }
}
