//! Rules for the embedded documents: `image_manifest` must be an image manifest (OCI or
//! Docker v2 schema 2, never an index or list, never a non-image artifact) and
//! `image_config` a JSON object.
//!
//! The manifest's own config descriptor must also name `image_config_digest`: a
//! mismatch means the two fields were taken from different images.

use serde_json::{Map, Value};

use super::{present, Violation};
use crate::asset::Asset;

/// `schemaVersion` of every image manifest both formats define.
const SCHEMA_VERSION: u64 = 2;
/// Manifest media types of a single runnable image.
const IMAGE_MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Media types of multi-platform indexes, which are never assets themselves.
const INDEX_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// Config media types of runnable images; anything else is an OCI artifact.
const IMAGE_CONFIG_TYPES: &[&str] = &[
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// Manifest and config document rules.
pub(super) fn check(asset: &Asset) -> Vec<Violation> {
    let mut found = Vec::new();
    if let Some(text) = &asset.image_manifest {
        let problems = match parse_object(text) {
            Ok(manifest) => manifest_problems(&manifest, present(&asset.image_config_digest)),
            Err(problem) => vec![problem],
        };
        found.extend(
            problems
                .into_iter()
                .map(|p| Violation::new("image_manifest", p)),
        );
    }
    if let Some(text) = &asset.image_config {
        if let Err(problem) = parse_object(text) {
            found.push(Violation::new("image_config", problem));
        }
    }
    found
}

/// The text as a JSON object, or why it is not one.
fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("must be a JSON object".into()),
        Err(e) => Err(format!("is not valid JSON: {e}")),
    }
}

/// Why a JSON object is not the manifest of one runnable image.
fn manifest_problems(manifest: &Map<String, Value>, config_digest: Option<&str>) -> Vec<String> {
    let media_type = manifest.get("mediaType").and_then(Value::as_str);
    if media_type.is_some_and(|t| INDEX_TYPES.contains(&t)) || manifest.contains_key("manifests") {
        return vec![
            "is an index or manifest list; each platform manifest is its own asset".into(),
        ];
    }
    let mut problems = Vec::new();
    if manifest.get("schemaVersion").and_then(Value::as_u64) != Some(SCHEMA_VERSION) {
        problems.push(format!("schemaVersion must be {SCHEMA_VERSION}"));
    }
    if let Some(t) = media_type.filter(|t| !IMAGE_MANIFEST_TYPES.contains(t)) {
        problems.push(format!(
            "mediaType {t:?} is not an OCI or Docker image manifest"
        ));
    }
    if !manifest.get("layers").is_some_and(Value::is_array) {
        problems.push("has no layers list".into());
    }
    match manifest.get("config").and_then(Value::as_object) {
        Some(config) => problems.extend(config_descriptor_problems(config, config_digest)),
        None => problems.push("has no config descriptor".into()),
    }
    problems
}

/// The config descriptor must describe an image config, and the asset's config.
fn config_descriptor_problems(
    config: &Map<String, Value>,
    asset_digest: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    match config.get("mediaType").and_then(Value::as_str) {
        Some(t) if IMAGE_CONFIG_TYPES.contains(&t) => {}
        Some(t) => problems.push(format!(
            "config type {t:?} is an OCI artifact, not a runnable image"
        )),
        None => problems.push("config descriptor has no mediaType".into()),
    }
    let named = config.get("digest").and_then(Value::as_str);
    if let (Some(named), Some(asset_digest)) = (named, asset_digest) {
        if named != asset_digest {
            problems.push(format!(
                "names config {named}, but image_config_digest is {asset_digest}"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_ok, assert_only, good_asset, manifest_for, CONFIG};
    use crate::asset::Asset;
    use crate::image::Digest;

    /// `good_asset` with `manifest` in place of its manifest, digest kept consistent.
    fn with_manifest(manifest: &str) -> Asset {
        let mut a = good_asset();
        a.image_manifest_digest = Some(Digest::of(manifest.as_bytes()).to_string());
        a.image_manifest = Some(manifest.into());
        a
    }

    #[test]
    fn rule_image_manifest_json_object() {
        assert_ok(&good_asset());
        for bad in ["[1,2]", "{\"schemaVersion\":2", "\"text\""] {
            assert_only(&with_manifest(bad), "image_manifest");
        }
    }

    #[test]
    fn rule_image_manifest_docker_v2_schema2() {
        let docker = manifest_for(CONFIG)
            .replace(
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            .replace(
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.docker.container.image.v1+json",
            );
        assert_ok(&with_manifest(&docker));
        let schema1 = docker.replace("\"schemaVersion\":2", "\"schemaVersion\":1");
        assert_only(&with_manifest(&schema1), "image_manifest");
    }

    #[test]
    fn rule_image_manifest_not_an_index() {
        let no_media_type = manifest_for(CONFIG).replace(
            "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",",
            "",
        );
        assert_ok(&with_manifest(&no_media_type));
        let index = concat!(
            r#"{"schemaVersion":2,"#,
            r#""mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
        );
        assert_only(&with_manifest(index), "image_manifest");
        let untyped_list = r#"{"schemaVersion":2,"manifests":[]}"#;
        assert_only(&with_manifest(untyped_list), "image_manifest");
    }

    #[test]
    fn rule_image_manifest_config_and_layers() {
        let m = manifest_for(CONFIG);
        assert_ok(&with_manifest(&m));
        assert_only(
            &with_manifest(&m.replace("\"layers\":[]", "\"blobs\":[]")),
            "image_manifest",
        );
        let no_config = r#"{"schemaVersion":2,"layers":[]}"#;
        assert_only(&with_manifest(no_config), "image_manifest");
    }

    #[test]
    fn rule_image_manifest_config_is_image_config() {
        let helm = manifest_for(CONFIG).replace(
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.cncf.helm.config.v1+json",
        );
        assert_only(&with_manifest(&helm), "image_manifest");
    }

    #[test]
    fn rule_image_manifest_names_image_config_digest() {
        let mut a = good_asset();
        assert_ok(&a);
        a.image_config = Some("{}".into());
        a.image_config_digest = Some(Digest::of(b"{}").to_string());
        assert_only(&a, "image_manifest");
    }

    #[test]
    fn rule_image_config_json_object() {
        let mut a = good_asset();
        a.image_manifest = None;
        a.image_manifest_digest = None;
        for (good, bad) in [("{}", "[]"), ("{\"os\":\"linux\"}", "{os: linux}")] {
            a.image_config = Some(good.into());
            a.image_config_digest = Some(Digest::of(good.as_bytes()).to_string());
            assert_ok(&a);
            a.image_config = Some(bad.into());
            a.image_config_digest = Some(Digest::of(bad.as_bytes()).to_string());
            assert_only(&a, "image_config");
        }
    }
}
