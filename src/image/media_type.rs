//! Media types nuccrawl recognises, and small predicates over them.
//!
//! A registry labels every manifest and blob with a media type. These names decide whether a
//! body is an index to walk, an image manifest to record, or something else to count and
//! skip. Comparisons go through [`essence`], because a served `Content-Type` may carry
//! parameters (`; charset=utf-8`) and odd casing.

/// OCI image index: a list of manifests, usually one per platform.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest: one config plus layers (also used by most OCI artifacts).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image config: the runnable image's JSON configuration.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The OCI "empty" descriptor (`{}`), used as the config of artifacts.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The short-lived OCI 1.1-rc artifact manifest; never an image.
pub const OCI_ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";
/// Prefix shared by every OCI image layer type (tar, gzip, zstd, encrypted, nydus …).
pub const OCI_LAYER_PREFIX: &str = "application/vnd.oci.image.layer.";

/// Docker manifest list: Docker's name for an index.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest, schema version 2.
pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker image config ("container image" JSON).
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Prefix shared by Docker layer types (`rootfs.diff.tar.gzip`, `rootfs.foreign…`).
pub const DOCKER_LAYER_PREFIX: &str = "application/vnd.docker.image.rootfs.";

/// Docker schema 1 manifest (unsigned); obsolete, carries no config blob.
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Docker schema 1 manifest with a JWS signature, as old registries serve it.
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// in-toto statement: BuildKit provenance/SBOM attestations and cosign attestations.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// DSSE envelope wrapping an in-toto statement (cosign `.att` layers).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// cosign "simple signing" payload: the layer of a cosign `.sig` manifest.
pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// cosign's artifact type for a sigstore bundle signature.
pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Notary v2 (notation) signature artifact type.
pub const NOTARY_SIGNATURE: &str = "application/vnd.cncf.notary.signature";

/// SPDX SBOM documents (JSON and tag-value).
pub const SPDX_JSON: &str = "application/spdx+json";
/// SPDX SBOM in tag-value form.
pub const SPDX_TEXT: &str = "text/spdx";
/// CycloneDX SBOM documents.
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";
/// CycloneDX SBOM in XML form.
pub const CYCLONEDX_XML: &str = "application/vnd.cyclonedx+xml";
/// Syft's native SBOM format.
pub const SYFT_JSON: &str = "application/vnd.syft+json";

/// Helm chart config blob (`Chart.yaml` as JSON).
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm chart content layer (the packaged `.tgz`).
pub const HELM_CHART_CONTENT: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Helm chart provenance layer.
pub const HELM_CHART_PROVENANCE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";

/// WASM module config (wasm-to-oci / krustlet convention).
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v1+json";
/// WASM module layer.
pub const WASM_LAYER: &str = "application/vnd.wasm.content.layer.v1+wasm";
/// WASM component config (Bytecode Alliance `wasm-pkg` convention).
pub const WASM_COMPONENT_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// WASM component layer.
pub const WASM_COMPONENT_LAYER: &str = "application/wasm";

/// Media types registries use when they do not know better; they say nothing about the body.
const GENERIC: [&str; 4] = [
    "application/json",
    "application/octet-stream",
    "text/plain",
    "binary/octet-stream",
];

/// The bare `type/subtype` of a media type: parameters dropped, trimmed, lower-cased.
pub fn essence(media_type: &str) -> String {
    let bare = media_type.split(';').next().unwrap_or_default();
    bare.trim().to_ascii_lowercase()
}

/// True for the OCI index and the Docker manifest list.
pub fn is_index(media_type: &str) -> bool {
    let mt = essence(media_type);
    mt == OCI_INDEX || mt == DOCKER_MANIFEST_LIST
}

/// True for the OCI image manifest and the Docker schema 2 manifest.
pub fn is_image_manifest(media_type: &str) -> bool {
    let mt = essence(media_type);
    mt == OCI_MANIFEST || mt == DOCKER_MANIFEST_V2
}

/// True for both flavours of Docker schema 1.
pub fn is_schema1(media_type: &str) -> bool {
    let mt = essence(media_type);
    mt == DOCKER_SCHEMA1 || mt == DOCKER_SCHEMA1_SIGNED
}

/// True for the OCI and Docker image config types.
pub fn is_image_config(media_type: &str) -> bool {
    let mt = essence(media_type);
    mt == OCI_CONFIG || mt == DOCKER_CONFIG
}

/// True for layer types that hold a filesystem tarball of a runnable image.
pub fn is_image_layer(media_type: &str) -> bool {
    let mt = essence(media_type);
    mt.starts_with(OCI_LAYER_PREFIX) || mt.starts_with(DOCKER_LAYER_PREFIX)
}

/// True for a manifest-ish media type nuccrawl knows how to read or knowingly skips.
pub fn is_known_manifest_type(media_type: &str) -> bool {
    is_index(media_type)
        || is_image_manifest(media_type)
        || is_schema1(media_type)
        || essence(media_type) == OCI_ARTIFACT_MANIFEST
}

/// True for catch-all types such as `application/json` that do not identify a manifest.
pub fn is_generic(media_type: &str) -> bool {
    let mt = essence(media_type);
    mt.is_empty() || GENERIC.contains(&mt.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essence_drops_parameters_and_case() {
        assert_eq!(
            essence(" Application/VND.oci.image.index.v1+json ; charset=utf-8"),
            OCI_INDEX
        );
        assert!(is_index(
            "application/vnd.docker.distribution.manifest.list.v2+json"
        ));
        assert!(!is_index(OCI_MANIFEST));
    }

    #[test]
    fn layer_and_config_predicates() {
        assert!(is_image_layer(
            "application/vnd.oci.image.layer.v1.tar+zstd"
        ));
        assert!(is_image_layer(
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
        ));
        assert!(!is_image_layer(IN_TOTO));
        assert!(is_image_config(DOCKER_CONFIG));
        assert!(!is_image_config(HELM_CONFIG));
        assert!(is_schema1(DOCKER_SCHEMA1_SIGNED));
        assert!(is_generic("application/json; charset=utf-8"));
        assert!(!is_generic(OCI_MANIFEST));
    }
}
