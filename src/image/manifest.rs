//! Classifying a manifest body: an index to walk, an image to record, or something to skip.
//!
//! [`classify`] reads the exact bytes a registry served (it never re-serialises them) and
//! decides what they are. The media type comes from the body's `mediaType`, else from the
//! served `Content-Type` when that names a manifest type, else from the body's shape.
//! Image manifests whose `artifactType`, config type or layer types show an artifact
//! (signature, attestation, SBOM, Helm chart, WASM) are reported as [`Manifest::Skipped`].

use serde_json::Value;
use tracing::debug;

use super::digest::DigestError;
use super::media_type as mt;
use super::skip::{config_kind, content_kind, kind_of_artifact_type};
use super::wire::{json_kind, RawDescriptor, RawManifest};
use super::{Digest, Platform};

pub use super::skip::{skip_kind_for_tag, SkipKind};

/// Annotation BuildKit puts on index entries that describe another entry.
const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
/// Value of [`REFERENCE_TYPE_ANNOTATION`] on BuildKit attestation manifests.
const ATTESTATION_MANIFEST: &str = "attestation-manifest";
/// OS and architecture BuildKit writes on entries that are not for any platform.
const UNKNOWN_PLATFORM: &str = "unknown";
/// `schemaVersion` of the obsolete Docker schema 1 format.
const SCHEMA1_VERSION: u64 = 1;

/// What a manifest body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An OCI index or Docker manifest list.
    Index(Index),
    /// A runnable image manifest (OCI or Docker schema 2).
    Image(ImageManifest),
    /// Not an image; counted in the summary under this kind.
    Skipped(SkipKind),
}

/// The entries of an index, in the order served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// One per child manifest.
    pub entries: Vec<IndexEntry>,
}

/// One child of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The child manifest's digest.
    pub digest: Digest,
    /// The child's media type as the index states it.
    pub media_type: Option<String>,
    /// The platform the index states for the child, as found (not normalised).
    pub platform: Option<Platform>,
    /// Whether the crawler should follow the child, and if not why.
    pub kind: EntryKind,
}

/// What an index entry points at, judged from the entry alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An image manifest (or an entry without a media type): fetch and classify it.
    Image,
    /// A nested index: walk it.
    Index,
    /// A BuildKit attestation manifest: skip.
    Attestation,
    /// Some other artifact or unsupported manifest: skip.
    Artifact(SkipKind),
}

impl EntryKind {
    /// True when the crawler should fetch the child.
    pub fn is_followed(&self) -> bool {
        matches!(self, EntryKind::Image | EntryKind::Index)
    }

    /// The summary kind for an entry that is not followed.
    pub fn skip_kind(&self) -> Option<SkipKind> {
        match self {
            EntryKind::Image | EntryKind::Index => None,
            EntryKind::Attestation => Some(SkipKind::Attestation),
            EntryKind::Artifact(kind) => Some(*kind),
        }
    }
}

/// The parts of an image manifest nuccrawl needs: where its config is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    /// Digest of the config blob (the image ID).
    pub config_digest: Digest,
    /// The config's media type as the manifest states it.
    pub config_media_type: Option<String>,
    /// The config's size as the manifest states it, when it is a non-negative integer.
    pub config_size: Option<u64>,
}

/// Why a manifest body cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The body is not JSON at all (or not UTF-8).
    #[error("manifest is not valid JSON")]
    Json(#[source] serde_json::Error),
    /// The body is JSON but not an object.
    #[error("manifest is a JSON {0}, not an object")]
    NotObject(&'static str),
    /// A field nuccrawl reads has the wrong JSON type.
    #[error("manifest field `{field}` has the wrong JSON type")]
    Shape {
        /// The top-level field at fault (`?` when it cannot be told).
        field: String,
        /// What serde found.
        #[source]
        source: serde_json::Error,
    },
    /// An image manifest without a `config` descriptor.
    #[error("image manifest has no `config` descriptor")]
    MissingConfig,
    /// An image manifest whose config descriptor has no digest.
    #[error("image manifest has no `config.digest`")]
    MissingConfigDigest,
    /// An index without a `manifests` list.
    #[error("index has no `manifests` list")]
    MissingEntries,
    /// An index entry without a digest.
    #[error("index has no digest in `manifests[{0}].digest`")]
    MissingEntryDigest(usize),
    /// A descriptor digest that is not a valid sha256 digest.
    #[error("invalid digest in `{field}`")]
    BadDigest {
        /// Where the digest was, e.g. `config.digest` or `manifests[2].digest`.
        field: String,
        /// What is wrong with it.
        #[source]
        source: DigestError,
    },
}

/// What kind of body a media type (or the body's shape) announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Index,
    Image,
    Skip(SkipKind),
}

/// Classify a manifest body from its exact bytes and the `Content-Type` it was served with.
pub fn classify(bytes: &[u8], served_media_type: Option<&str>) -> Result<Manifest, ManifestError> {
    let value: Value = serde_json::from_slice(bytes).map_err(ManifestError::Json)?;
    if !value.is_object() {
        return Err(ManifestError::NotObject(json_kind(&value)));
    }
    let raw: RawManifest = match serde_json::from_value(value.clone()) {
        Ok(raw) => raw,
        Err(source) => {
            let field = field_at_fault(&value).unwrap_or_else(|| "?".to_owned());
            return Err(ManifestError::Shape { field, source });
        }
    };
    match form_of(&raw, served_media_type) {
        Form::Index => read_index(raw),
        Form::Image => read_image(raw),
        Form::Skip(kind) => Ok(Manifest::Skipped(kind)),
    }
}

/// The media type a body declares (its `mediaType`), else the one it was served with; for
/// failure messages about bodies [`classify`] could not place.
pub fn declared_media_type(bytes: &[u8], served_media_type: Option<&str>) -> Option<String> {
    let raw: Option<RawManifest> = serde_json::from_slice(bytes).ok();
    raw.and_then(|r| r.media_type)
        .filter(|m| !m.trim().is_empty())
        .or_else(|| served_media_type.map(str::to_owned))
}

/// Decide the body's form: its own `mediaType`, else a meaningful served type, else shape.
fn form_of(raw: &RawManifest, served: Option<&str>) -> Form {
    let served = served.filter(|s| !mt::is_generic(s));
    if let Some(body_type) = raw.media_type.as_deref().filter(|m| !m.trim().is_empty()) {
        if let Some(served) = served.filter(|s| mt::essence(s) != mt::essence(body_type)) {
            debug!(
                body_type,
                served, "served media type differs from the body's; using the body's"
            );
        }
        return form_of_media_type(body_type);
    }
    match served.filter(|s| mt::is_known_manifest_type(s)) {
        Some(served) => form_of_media_type(served),
        None => form_of_shape(raw),
    }
}

/// The form a declared media type announces.
fn form_of_media_type(media_type: &str) -> Form {
    if mt::is_index(media_type) {
        Form::Index
    } else if mt::is_image_manifest(media_type) {
        Form::Image
    } else if mt::is_schema1(media_type) {
        Form::Skip(SkipKind::Schema1)
    } else if mt::essence(media_type) == mt::OCI_ARTIFACT_MANIFEST {
        Form::Skip(SkipKind::OtherArtifact)
    } else {
        debug!(media_type, "unknown manifest media type");
        Form::Skip(SkipKind::UnknownMediaType)
    }
}

/// The form a body without any media type has, judged by its fields.
fn form_of_shape(raw: &RawManifest) -> Form {
    let schema1 = raw.schema_version.as_ref().and_then(Value::as_u64) == Some(SCHEMA1_VERSION);
    if raw.manifests.is_some() {
        Form::Index
    } else if raw.config.is_some() && raw.layers.is_some() {
        Form::Image
    } else if schema1 || raw.fs_layers.is_some() {
        Form::Skip(SkipKind::Schema1)
    } else {
        Form::Skip(SkipKind::UnknownMediaType)
    }
}

/// Read an index's entries; an index that declares an `artifactType` is skipped whole.
fn read_index(raw: RawManifest) -> Result<Manifest, ManifestError> {
    if let Some(kind) = declared_artifact(raw.artifact_type.as_deref()) {
        return Ok(Manifest::Skipped(kind));
    }
    let entries = raw.manifests.ok_or(ManifestError::MissingEntries)?;
    let entries = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| read_entry(i, entry))
        .collect::<Result<_, _>>()?;
    Ok(Manifest::Index(Index { entries }))
}

/// Read one index entry and judge whether it is to be followed.
fn read_entry(position: usize, raw: RawDescriptor) -> Result<IndexEntry, ManifestError> {
    let text = raw
        .digest
        .as_deref()
        .ok_or(ManifestError::MissingEntryDigest(position))?;
    let digest = parse_digest(text, || format!("manifests[{position}].digest"))?;
    let kind = entry_kind(&raw);
    Ok(IndexEntry {
        digest,
        media_type: raw.media_type,
        platform: raw.platform.map(Platform::from),
        kind,
    })
}

/// Judge an entry from its annotations, `artifactType` and media type.
fn entry_kind(raw: &RawDescriptor) -> EntryKind {
    let reference_type = raw.annotation(REFERENCE_TYPE_ANNOTATION);
    if reference_type == Some(ATTESTATION_MANIFEST)
        || (reference_type.is_some() && has_unknown_platform(raw))
    {
        return EntryKind::Attestation;
    }
    if let Some(kind) = declared_artifact(raw.artifact_type.as_deref()) {
        return EntryKind::Artifact(kind);
    }
    let Some(media_type) = raw.media_type.as_deref() else {
        debug!(digest = ?raw.digest, "index entry has no media type; following it");
        return EntryKind::Image;
    };
    match form_of_media_type(media_type) {
        Form::Index => EntryKind::Index,
        Form::Image => EntryKind::Image,
        Form::Skip(kind) => EntryKind::Artifact(kind),
    }
}

/// True when the entry's platform is BuildKit's `unknown/unknown`.
fn has_unknown_platform(raw: &RawDescriptor) -> bool {
    raw.platform.as_ref().is_some_and(|p| {
        p.os.as_deref() == Some(UNKNOWN_PLATFORM)
            && p.architecture.as_deref() == Some(UNKNOWN_PLATFORM)
    })
}

/// The artifact kind an `artifactType` declares; `None` when absent or an image config type.
fn declared_artifact(artifact_type: Option<&str>) -> Option<SkipKind> {
    let artifact_type = artifact_type.filter(|a| !a.trim().is_empty())?;
    if mt::is_image_config(artifact_type) {
        return None;
    }
    Some(kind_of_artifact_type(artifact_type))
}

/// Read an image manifest, unless its artifact type, config or layers show an artifact.
fn read_image(raw: RawManifest) -> Result<Manifest, ManifestError> {
    let config_media_type = raw.config.as_ref().and_then(|c| c.media_type.as_deref());
    let layers = raw.layers.as_deref().unwrap_or_default();
    if let Some(kind) = artifact_kind(raw.artifact_type.as_deref(), config_media_type, layers) {
        debug!(kind = kind.label(), "image manifest is an artifact");
        return Ok(Manifest::Skipped(kind));
    }
    let config = raw.config.ok_or(ManifestError::MissingConfig)?;
    let text = config
        .digest
        .as_deref()
        .ok_or(ManifestError::MissingConfigDigest)?;
    let config_digest = parse_digest(text, || "config.digest".to_owned())?;
    Ok(Manifest::Image(ImageManifest {
        config_digest,
        config_size: config.size.as_ref().and_then(Value::as_u64),
        config_media_type: config.media_type,
    }))
}

/// The artifact kind of an image-manifest-shaped body, or `None` for a runnable image.
///
/// Checked in order: a declared `artifactType`; a config that is not an image config; and,
/// because BuildKit attestations and cosign signatures use the OCI image config type, layers
/// none of which is a filesystem layer.
fn artifact_kind(
    artifact_type: Option<&str>,
    config_media_type: Option<&str>,
    layers: &[RawDescriptor],
) -> Option<SkipKind> {
    if let Some(kind) = declared_artifact(artifact_type) {
        return Some(kind);
    }
    let config_media_type = config_media_type.filter(|c| !c.trim().is_empty());
    if let Some(config) = config_media_type.filter(|c| !mt::is_image_config(c)) {
        let kind = config_kind(config).or_else(|| layers_kind(layers));
        return Some(kind.unwrap_or(SkipKind::OtherArtifact));
    }
    layers_kind(layers)
}

/// The artifact kind shown by the layers, when there are some and none is an image layer.
///
/// A layer without a media type counts as an image layer: nuccrawl does not skip what it
/// cannot tell apart.
fn layers_kind(layers: &[RawDescriptor]) -> Option<SkipKind> {
    let media_types: Option<Vec<&str>> = layers.iter().map(|l| l.media_type.as_deref()).collect();
    let media_types = media_types?;
    if media_types.is_empty() || media_types.iter().any(|m| mt::is_image_layer(m)) {
        return None;
    }
    let known = media_types.iter().find_map(|m| content_kind(m));
    Some(known.unwrap_or(SkipKind::OtherArtifact))
}

/// Parse a descriptor digest, naming the field on failure.
fn parse_digest(text: &str, field: impl FnOnce() -> String) -> Result<Digest, ManifestError> {
    text.parse().map_err(|source| ManifestError::BadDigest {
        field: field(),
        source,
    })
}

/// The first top-level field that does not read on its own, for naming it in errors.
fn field_at_fault(value: &Value) -> Option<String> {
    value.as_object()?.iter().find_map(|(key, field)| {
        let alone = Value::Object([(key.clone(), field.clone())].into_iter().collect());
        serde_json::from_value::<RawManifest>(alone)
            .is_err()
            .then(|| key.clone())
    })
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
