//! Media types nuccrawl asks for, and the `Accept` header built from them.
//!
//! Registries pick the manifest flavour from `Accept`: without the OCI types GHCR, GitLab,
//! ACR and Distribution answer 404, and without the list type Docker Hub serves the amd64
//! child instead of the tag's own index. Schema 1 is accepted last, at a low weight, only
//! so an old registry answers with something nuccrawl can name as unsupported.

use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};

/// OCI image index.
pub const OCI_INDEX: &str = OCI_IMAGE_INDEX_MEDIA_TYPE;
/// OCI image manifest.
pub const OCI_MANIFEST: &str = OCI_IMAGE_MEDIA_TYPE;
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = IMAGE_MANIFEST_LIST_MEDIA_TYPE;
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST_V2: &str = IMAGE_MANIFEST_MEDIA_TYPE;
/// Docker signed schema 1 manifest (deprecated; reported as unsupported).
pub const DOCKER_MANIFEST_V1_SIGNED: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Weight of schema 1: below every supported type so a registry only falls back to it.
const SCHEMA1_QUALITY: &str = "0.1";

/// The `Accept` header for manifest requests.
pub fn manifest_accept() -> String {
    format!(
        "{OCI_INDEX}, {OCI_MANIFEST}, {DOCKER_MANIFEST_LIST}, {DOCKER_MANIFEST_V2}, \
         {DOCKER_MANIFEST_V1_SIGNED};q={SCHEMA1_QUALITY}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_type_with_schema1_last() {
        let accept = manifest_accept();
        for t in [
            OCI_INDEX,
            OCI_MANIFEST,
            DOCKER_MANIFEST_LIST,
            DOCKER_MANIFEST_V2,
        ] {
            assert!(accept.contains(t), "{t} missing");
        }
        assert!(accept.ends_with("prettyjws;q=0.1"));
    }
}
