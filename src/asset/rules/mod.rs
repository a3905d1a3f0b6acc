//! The per-asset rules of `FORMAT.md`, grouped by the fields they read. Each group
//! returns the [`Violation`]s it finds; [`check_asset`] runs them all.

mod digests;
mod documents;
mod names;
mod platform;
mod text;

use super::model::Asset;
use super::validate::Violation;

/// Every per-asset rule, in field order.
pub(crate) fn check_asset(asset: &Asset) -> Vec<Violation> {
    let mut found = names::check_repo(asset);
    found.extend(digests::check(asset));
    found.extend(names::check_tags(asset));
    found.extend(names::check_registries(asset));
    found.extend(platform::check(asset));
    found.extend(text::check(asset));
    found.extend(documents::check(asset));
    found
}

/// A present, non-blank optional value. Nucleus treats a blank field as absent (a blank
/// OS or architecture means `unknown`), and the vendor's own example writes blanks.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A valid asset whose digests really hash its manifest and config.

    use crate::asset::Asset;
    use crate::image::Digest;

    /// A config blob as a registry would serve it.
    pub(crate) const CONFIG: &str =
        r#"{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;

    /// An OCI image manifest pointing at `CONFIG`.
    pub(crate) fn manifest_for(config: &str) -> String {
        format!(
            concat!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
                r#""config":{{"mediaType":"application/vnd.oci.image.config.v1+json","#,
                r#""digest":"{}","size":{}}},"layers":[]}}"#
            ),
            Digest::of(config.as_bytes()),
            config.len()
        )
    }

    /// An asset that passes every rule.
    pub(crate) fn good_asset() -> Asset {
        let manifest = manifest_for(CONFIG);
        Asset {
            image_repo: "team/api".into(),
            image_manifest_digest: Some(Digest::of(manifest.as_bytes()).to_string()),
            image_config_digest: Some(Digest::of(CONFIG.as_bytes()).to_string()),
            image_tags: vec!["1.4.2".into(), "stable".into()],
            image_registry: Some("ghcr.io".into()),
            image_secondary_registries: vec!["127.0.0.1:5000".into()],
            image_distro: Some("Alpine Linux 3.19.1".into()),
            image_platform_os: Some("linux".into()),
            image_platform_arch: Some("arm64".into()),
            image_platform_arch_variant: Some("v8".into()),
            image_manifest: Some(manifest),
            image_config: Some(CONFIG.into()),
            ..Asset::default()
        }
    }

    /// Asserts that `asset` breaks a rule about `field` and no rule about another field.
    pub(crate) fn assert_only(asset: &Asset, field: &str) {
        let found = super::check_asset(asset);
        assert!(!found.is_empty(), "expected a violation of {field}");
        assert!(found.iter().all(|v| v.field == field), "{found:#?}");
    }

    /// Asserts that `asset` passes every rule.
    pub(crate) fn assert_ok(asset: &Asset) {
        let found = super::check_asset(asset);
        assert!(found.is_empty(), "{found:#?}");
    }
}
