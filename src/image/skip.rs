//! Things a registry holds that are not runnable images, and how to recognise them.
//!
//! Signatures, attestations, SBOMs, Helm charts and WASM modules share the registry with
//! images and mostly reuse the image manifest format. They are counted in the run's summary
//! under a [`SkipKind`] rather than written as assets. They are recognised by their
//! `artifactType`, their config media type, their layer media types, or (for cosign) their
//! tag names.

use super::media_type as mt;

/// Why a manifest, index entry or tag is not turned into an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipKind {
    /// An attestation: BuildKit provenance/SBOM manifests, in-toto/DSSE statements.
    Attestation,
    /// A signature: cosign simple signing, notation, sigstore bundles.
    Signature,
    /// A software bill of materials (SPDX, CycloneDX, Syft).
    Sbom,
    /// A Helm chart pushed as an OCI artifact.
    HelmChart,
    /// A WebAssembly module or component.
    Wasm,
    /// Any other OCI artifact (non-image config, `artifactType`, referrers tag).
    OtherArtifact,
    /// A Docker schema 1 manifest: obsolete, no config blob, unsupported.
    Schema1,
    /// A media type nuccrawl does not know.
    UnknownMediaType,
}

impl SkipKind {
    /// A short, human-readable name for the run's summary.
    pub fn label(&self) -> &'static str {
        match self {
            SkipKind::Attestation => "attestation",
            SkipKind::Signature => "signature",
            SkipKind::Sbom => "sbom",
            SkipKind::HelmChart => "helm chart",
            SkipKind::Wasm => "wasm module",
            SkipKind::OtherArtifact => "artifact",
            SkipKind::Schema1 => "schema 1 manifest",
            SkipKind::UnknownMediaType => "unknown media type",
        }
    }
}

/// Prefix of cosign's tag scheme: `sha256-<hex of the subject digest>`.
const COSIGN_TAG_PREFIX: &str = "sha256-";
/// Hex characters in a SHA-256 digest.
const SHA256_HEX_LEN: usize = 64;

/// The kind of artifact a tag names by convention, if it follows one.
///
/// cosign stores `sha256-<hex>.sig`, `.att` and `.sbom` beside the image they describe; the
/// OCI referrers fallback uses the bare `sha256-<hex>` tag for an index of referrers.
pub fn skip_kind_for_tag(tag: &str) -> Option<SkipKind> {
    let rest = tag.strip_prefix(COSIGN_TAG_PREFIX)?;
    let (hex, suffix) = match rest.split_once('.') {
        Some((hex, suffix)) => (hex, Some(suffix)),
        None => (rest, None),
    };
    let lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    if hex.len() != SHA256_HEX_LEN || !hex.chars().all(lower_hex) {
        return None;
    }
    match suffix {
        None => Some(SkipKind::OtherArtifact),
        Some("sig") => Some(SkipKind::Signature),
        Some("att") => Some(SkipKind::Attestation),
        Some("sbom") => Some(SkipKind::Sbom),
        Some(_) => None,
    }
}

/// The kind an `artifactType` (of a manifest or index entry) declares.
pub(crate) fn kind_of_artifact_type(artifact_type: &str) -> SkipKind {
    content_kind(artifact_type)
        .or_else(|| config_kind(artifact_type))
        .unwrap_or(SkipKind::OtherArtifact)
}

/// The kind a non-image config media type declares, if nuccrawl knows it.
pub(crate) fn config_kind(config_media_type: &str) -> Option<SkipKind> {
    let essence = mt::essence(config_media_type);
    match essence.as_str() {
        mt::HELM_CONFIG => Some(SkipKind::HelmChart),
        mt::WASM_CONFIG | mt::WASM_COMPONENT_CONFIG => Some(SkipKind::Wasm),
        _ => None,
    }
}

/// The kind a layer (or artifact) media type reveals, if it is a known artifact payload.
pub(crate) fn content_kind(media_type: &str) -> Option<SkipKind> {
    let essence = mt::essence(media_type);
    let kind = match essence.as_str() {
        mt::IN_TOTO | mt::DSSE_ENVELOPE => SkipKind::Attestation,
        mt::COSIGN_SIMPLE_SIGNING | mt::SIGSTORE_BUNDLE | mt::NOTARY_SIGNATURE => {
            SkipKind::Signature
        }
        mt::SPDX_JSON | mt::SPDX_TEXT | mt::CYCLONEDX_JSON | mt::CYCLONEDX_XML | mt::SYFT_JSON => {
            SkipKind::Sbom
        }
        mt::HELM_CHART_CONTENT | mt::HELM_CHART_PROVENANCE => SkipKind::HelmChart,
        mt::WASM_LAYER | mt::WASM_COMPONENT_LAYER => SkipKind::Wasm,
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "538721340ded10875f4710cad688c70e5d0ecb4dcd5e7d0c161f301f36f79414";

    #[test]
    fn cosign_tags() {
        let tag = |suffix: &str| format!("sha256-{HEX}{suffix}");
        assert_eq!(skip_kind_for_tag(&tag(".sig")), Some(SkipKind::Signature));
        assert_eq!(skip_kind_for_tag(&tag(".att")), Some(SkipKind::Attestation));
        assert_eq!(skip_kind_for_tag(&tag(".sbom")), Some(SkipKind::Sbom));
        assert_eq!(skip_kind_for_tag(&tag("")), Some(SkipKind::OtherArtifact));
        assert_eq!(skip_kind_for_tag(&tag(".txt")), None);
        assert_eq!(
            skip_kind_for_tag(&format!("sha256-{}.sig", &HEX[1..])),
            None
        );
        assert_eq!(skip_kind_for_tag(&tag(".sig").to_uppercase()), None);
        assert_eq!(skip_kind_for_tag("latest"), None);
        assert_eq!(skip_kind_for_tag("sha256-"), None);
    }

    #[test]
    fn labels_are_distinct() {
        let all = [
            SkipKind::Attestation,
            SkipKind::Signature,
            SkipKind::Sbom,
            SkipKind::HelmChart,
            SkipKind::Wasm,
            SkipKind::OtherArtifact,
            SkipKind::Schema1,
            SkipKind::UnknownMediaType,
        ];
        let labels: std::collections::BTreeSet<_> = all.iter().map(SkipKind::label).collect();
        assert_eq!(labels.len(), all.len());
        assert_eq!(SkipKind::Schema1.label(), "schema 1 manifest");
    }

    #[test]
    fn artifact_types() {
        assert_eq!(kind_of_artifact_type(mt::HELM_CONFIG), SkipKind::HelmChart);
        assert_eq!(
            kind_of_artifact_type("application/spdx+json"),
            SkipKind::Sbom
        );
        assert_eq!(
            kind_of_artifact_type("application/example.sbom"),
            SkipKind::OtherArtifact
        );
        assert_eq!(content_kind(mt::DSSE_ENVELOPE), Some(SkipKind::Attestation));
        assert_eq!(content_kind(mt::OCI_LAYER_PREFIX), None);
    }
}
