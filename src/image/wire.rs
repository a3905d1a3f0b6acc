//! Lenient serde views of manifest and index JSON, as registries serve it.
//!
//! Only the fields nuccrawl reads are declared; every one is optional so that a missing
//! field is a decision for [`super::manifest`], not a parse failure. Unknown fields are
//! ignored. These views are never serialised back: the exact bytes stay the truth.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Platform;

/// Any manifest-like body: an index, an image manifest, an artifact or schema 1.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawManifest {
    /// `schemaVersion`: 2 for OCI and Docker schema 2, 1 for the obsolete format.
    pub schema_version: Option<Value>,
    /// The body's own `mediaType`.
    pub media_type: Option<String>,
    /// OCI 1.1 `artifactType`.
    pub artifact_type: Option<String>,
    /// The config descriptor of an image manifest.
    pub config: Option<RawDescriptor>,
    /// The layer descriptors of an image manifest.
    pub layers: Option<Vec<RawDescriptor>>,
    /// The entries of an index.
    pub manifests: Option<Vec<RawDescriptor>>,
    /// Schema 1's layer list; its presence alone marks schema 1.
    pub fs_layers: Option<Value>,
}

/// A content descriptor: what a manifest says about a blob or a child manifest.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawDescriptor {
    /// The blob's media type.
    pub media_type: Option<String>,
    /// The blob's digest, not yet validated.
    pub digest: Option<String>,
    /// The blob's size in bytes; kept as a value so that a bad size is ignored, not fatal.
    pub size: Option<Value>,
    /// OCI 1.1 `artifactType` of the referenced manifest.
    pub artifact_type: Option<String>,
    /// The platform an index entry is for.
    pub platform: Option<RawPlatform>,
    /// Free-form annotations; non-string values are ignored by readers.
    pub annotations: Option<BTreeMap<String, Value>>,
}

impl RawDescriptor {
    /// The string value of annotation `key`, if present and a string.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key)?.as_str()
    }
}

/// The `platform` object of an index entry.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawPlatform {
    /// GOOS-style OS.
    pub os: Option<String>,
    /// GOARCH-style architecture.
    pub architecture: Option<String>,
    /// CPU variant.
    pub variant: Option<String>,
    /// OS version (Windows).
    #[serde(rename = "os.version")]
    pub os_version: Option<String>,
    /// Required OS features (Windows).
    #[serde(rename = "os.features")]
    pub os_features: Option<Vec<String>>,
    /// Architecture features (reserved).
    pub features: Option<Vec<String>>,
}

impl From<RawPlatform> for Platform {
    fn from(raw: RawPlatform) -> Self {
        Platform {
            os: raw.os,
            architecture: raw.architecture,
            variant: raw.variant,
            os_version: raw.os_version,
            os_features: raw.os_features.unwrap_or_default(),
            features: raw.features.unwrap_or_default(),
        }
    }
}

/// The JSON type name of a value, for messages ("array, not an object").
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
