//! The last gate before writing: every asset is checked against every rule of the format
//! and against what the chosen encoding can carry exactly (`output::representable`).
//! A bad optional field (an exotic variant, a feature holding `;` for CSV, say) is dropped
//! with a warning, since no value is better than a wrong one; an asset still breaking a
//! rule, or whose manifest or config the encoding cannot carry, is refused and recorded as
//! a failure, so the other images are still written.

use tracing::warn;

use super::summary::{Failure, Summary};
use crate::asset::validate::validate_asset;
use crate::asset::Asset;
use crate::output::{representable, Format};

/// The assets that pass and that `format` can carry, with failures recorded for the rest.
pub fn checked(assets: Vec<Asset>, format: Format, summary: &mut Summary) -> Vec<Asset> {
    assets
        .into_iter()
        .filter_map(|a| check(a, summary).and_then(|a| check_representable(a, format, summary)))
        .collect()
}

/// Drops optional fields `format` cannot carry; refuses the asset when a required one
/// (a name, digest, the manifest or config) is among them.
fn check_representable(mut asset: Asset, format: Format, summary: &mut Summary) -> Option<Asset> {
    loop {
        let Err(problem) = representable(&asset, format) else {
            return Some(asset);
        };
        if clear_optional(&mut asset, problem.field) {
            warn!(
                repo = %asset.image_repo,
                digest = asset.image_manifest_digest.as_deref().unwrap_or_default(),
                field = problem.field,
                "{}; field left out of the {format} file", problem.reason
            );
            continue;
        }
        summary.failures.push(failure(
            &asset,
            format!("cannot be written as {format}: {problem}"),
        ));
        return None;
    }
}

/// A failure about `asset`, named by registry, repository and manifest digest.
fn failure(asset: &Asset, reason: String) -> Failure {
    Failure {
        registry: asset.image_registry.clone().unwrap_or_default(),
        repository: Some(asset.image_repo.clone()),
        reference: asset.image_manifest_digest.clone(),
        reason,
    }
}

fn check(mut asset: Asset, summary: &mut Summary) -> Option<Asset> {
    for violation in validate_asset(&asset) {
        if clear_optional(&mut asset, violation.field) {
            let field = violation.field;
            warn!(repo = %asset.image_repo, field, "{}; field left out", violation.message);
        }
    }
    let remaining = validate_asset(&asset);
    if remaining.is_empty() {
        return Some(asset);
    }
    let reason = remaining
        .iter()
        .map(|v| format!("{}: {}", v.field, v.message))
        .collect::<Vec<_>>();
    summary.failures.push(failure(
        &asset,
        format!("asset breaks the format: {}", reason.join("; ")),
    ));
    None
}

/// Clears a field whose absence the format allows; false for fields that must stay.
fn clear_optional(asset: &mut Asset, field: &str) -> bool {
    match field {
        "image_distro" => asset.image_distro = None,
        "image_platform_os" => asset.image_platform_os = None,
        "image_platform_arch" => asset.image_platform_arch = None,
        "image_platform_os_version" => asset.image_platform_os_version = None,
        "image_platform_os_features" => asset.image_platform_os_features.clear(),
        "image_platform_arch_variant" => asset.image_platform_arch_variant = None,
        "image_platform_arch_features" => asset.image_platform_arch_features.clear(),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Digest;

    /// A valid asset whose config is `config`.
    fn asset_with_config(repo: &str, config: &str) -> Asset {
        let manifest = format!(
            concat!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
                r#""config":{{"mediaType":"application/vnd.oci.image.config.v1+json","#,
                r#""digest":"{}","size":{}}},"layers":[]}}"#
            ),
            Digest::of(config.as_bytes()),
            config.len()
        );
        Asset {
            image_repo: repo.into(),
            image_manifest_digest: Some(Digest::of(manifest.as_bytes()).to_string()),
            image_config_digest: Some(Digest::of(config.as_bytes()).to_string()),
            image_tags: vec!["v1".into()],
            image_registry: Some("127.0.0.1:5000".into()),
            image_platform_os: Some("linux".into()),
            image_platform_arch: Some("amd64".into()),
            image_manifest: Some(manifest),
            image_config: Some(config.into()),
            ..Asset::default()
        }
    }

    #[test]
    fn an_image_xml_cannot_carry_is_a_failure_and_the_others_are_kept() {
        let bad = asset_with_config("team/bad", "{\"os\":\"linux\",\"x\":\"\u{FFFF}\"}");
        let good = asset_with_config("team/good", "{\"os\":\"linux\"}");
        let digest = bad.image_manifest_digest.clone();
        let mut summary = Summary::default();
        let kept = checked(vec![bad.clone(), good.clone()], Format::Xml, &mut summary);
        assert_eq!(kept, std::slice::from_ref(&good));
        assert_eq!(summary.failures.len(), 1, "{:?}", summary.failures);
        let failure = &summary.failures[0];
        assert_eq!(failure.registry, "127.0.0.1:5000");
        assert_eq!(failure.repository.as_deref(), Some("team/bad"));
        assert_eq!(failure.reference, digest);
        assert!(
            failure.reason.contains("image_config"),
            "{}",
            failure.reason
        );
        assert!(failure.reason.contains("U+FFFF"), "{}", failure.reason);
        // JSON carries the same image.
        let mut summary = Summary::default();
        assert_eq!(
            checked(vec![bad, good], Format::Json, &mut summary).len(),
            2
        );
        assert!(summary.failures.is_empty());
    }

    #[test]
    fn an_optional_field_csv_cannot_carry_is_dropped() {
        let mut a = asset_with_config("team/api", "{}");
        a.image_platform_os_features = vec!["win32k".into(), "a;b".into()];
        let mut summary = Summary::default();
        let kept = checked(vec![a.clone()], Format::Csv, &mut summary);
        assert!(summary.failures.is_empty(), "{:?}", summary.failures);
        assert_eq!(kept.len(), 1);
        assert!(kept[0].image_platform_os_features.is_empty());
        assert_eq!(kept[0].image_manifest, a.image_manifest);
        let kept = checked(vec![a.clone()], Format::Json, &mut Summary::default());
        assert_eq!(kept, [a]);
    }
}
