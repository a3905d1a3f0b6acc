//! OCI image indexes and Docker manifest lists.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::manifest::BuiltManifest;
use super::media;
use crate::digest::sha256_digest;

/// One entry of an index: a child manifest with its platform and annotations.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// The child manifest.
    pub manifest: BuiltManifest,
    /// `os`, `architecture`, optional `variant` of the entry, if it has a platform.
    pub platform: Option<(String, String, Option<String>)>,
    /// Entry annotations.
    pub annotations: BTreeMap<String, String>,
}

impl IndexEntry {
    /// An entry for `manifest` on `os`/`arch`[/`variant`].
    pub fn new(manifest: BuiltManifest, os: &str, arch: &str, variant: Option<&str>) -> Self {
        Self {
            manifest,
            platform: Some((os.into(), arch.into(), variant.map(str::to_string))),
            annotations: BTreeMap::new(),
        }
    }

    /// Adds an annotation.
    pub fn annotate(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    fn descriptor(&self) -> Value {
        let mut d = json!({
            "mediaType": self.manifest.media_type,
            "digest": self.manifest.digest(),
            "size": self.manifest.bytes.len(),
        });
        if let Some((os, arch, variant)) = &self.platform {
            d["platform"] = json!({"architecture": arch, "os": os});
            if let Some(v) = variant {
                d["platform"]["variant"] = json!(v);
            }
        }
        if !self.annotations.is_empty() {
            d["annotations"] = json!(self.annotations);
        }
        d
    }
}

/// Builds an OCI index or a Docker manifest list.
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    media_type: String,
    entries: Vec<IndexEntry>,
}

impl IndexBuilder {
    /// An OCI image index.
    pub fn oci() -> Self {
        Self {
            media_type: media::OCI_INDEX.into(),
            entries: Vec::new(),
        }
    }

    /// A Docker manifest list.
    pub fn docker_list() -> Self {
        Self {
            media_type: media::DOCKER_LIST.into(),
            entries: Vec::new(),
        }
    }

    /// Appends an entry.
    pub fn entry(mut self, entry: IndexEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// The entries so far (their manifests must be pushed before the index).
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// The media type of the index.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The index bytes (pretty-printed).
    pub fn build(&self) -> Vec<u8> {
        let v = json!({
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": self.entries.iter().map(IndexEntry::descriptor).collect::<Vec<_>>(),
        });
        serde_json::to_vec_pretty(&v).expect("a JSON value always serialises")
    }

    /// `sha256:` of [`build`](Self::build).
    pub fn digest(&self) -> String {
        sha256_digest(&self.build())
    }
}
