//! Image manifests (Docker schema 2 and OCI) with the blobs they reference.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::media;
use crate::digest::sha256_digest;

/// A blob to push, with the media type its descriptor carries.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Media type in the referencing descriptor.
    pub media_type: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// Descriptor annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Blob {
    /// A blob without annotations.
    pub fn new(media_type: &str, bytes: Vec<u8>) -> Self {
        Self {
            media_type: media_type.into(),
            bytes,
            annotations: BTreeMap::new(),
        }
    }

    /// Adds a descriptor annotation.
    pub fn annotate(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// `sha256:` of the bytes.
    pub fn digest(&self) -> String {
        sha256_digest(&self.bytes)
    }

    /// The descriptor JSON pointing at this blob.
    pub fn descriptor(&self) -> Value {
        let mut d = json!({
            "mediaType": self.media_type,
            "digest": self.digest(),
            "size": self.bytes.len(),
        });
        if !self.annotations.is_empty() {
            d["annotations"] = json!(self.annotations);
        }
        d
    }
}

/// Builds an image manifest around a config blob and layer blobs.
#[derive(Debug, Clone)]
pub struct ManifestBuilder {
    media_type: String,
    config: Blob,
    layers: Vec<Blob>,
    artifact_type: Option<String>,
}

/// A built manifest: its bytes, media type, and every blob it references.
#[derive(Debug, Clone)]
pub struct BuiltManifest {
    /// `mediaType` of the manifest (also the `Content-Type` of the push).
    pub media_type: String,
    /// The exact manifest bytes.
    pub bytes: Vec<u8>,
    /// The config blob.
    pub config: Blob,
    /// The layer blobs.
    pub layers: Vec<Blob>,
}

impl BuiltManifest {
    /// `sha256:` of the manifest bytes.
    pub fn digest(&self) -> String {
        sha256_digest(&self.bytes)
    }

    /// `sha256:` of the config bytes.
    pub fn config_digest(&self) -> String {
        self.config.digest()
    }
}

impl ManifestBuilder {
    /// A Docker schema 2 manifest: Docker config and layer media types are expected.
    pub fn docker(config: Blob) -> Self {
        Self::with_type(media::DOCKER_MANIFEST, config)
    }

    /// An OCI image manifest.
    pub fn oci(config: Blob) -> Self {
        Self::with_type(media::OCI_MANIFEST, config)
    }

    fn with_type(media_type: &str, config: Blob) -> Self {
        Self {
            media_type: media_type.into(),
            config,
            layers: Vec::new(),
            artifact_type: None,
        }
    }

    /// Appends a layer.
    pub fn layer(mut self, layer: Blob) -> Self {
        self.layers.push(layer);
        self
    }

    /// Sets the OCI `artifactType`.
    pub fn artifact_type(mut self, t: &str) -> Self {
        self.artifact_type = Some(t.into());
        self
    }

    /// Serialises the manifest (pretty-printed, as registries commonly store them).
    pub fn build(self) -> BuiltManifest {
        let mut v = json!({
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.descriptor(),
            "layers": self.layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        if let Some(t) = &self.artifact_type {
            v["artifactType"] = json!(t);
        }
        let bytes = serde_json::to_vec_pretty(&v).expect("a JSON value always serialises");
        BuiltManifest {
            media_type: self.media_type,
            bytes,
            config: self.config,
            layers: self.layers,
        }
    }
}
