//! The last gate before writing: every asset is checked against every rule of the format.
//! A bad optional field (an exotic variant, say) is dropped with a warning, since no
//! value is better than a wrong one; an asset still breaking a rule is refused and
//! recorded as a failure.

use tracing::warn;

use super::summary::{Failure, Summary};
use crate::asset::validate::validate_asset;
use crate::asset::Asset;

/// The assets that pass, with failures recorded for the rest.
pub fn checked(assets: Vec<Asset>, summary: &mut Summary) -> Vec<Asset> {
    assets
        .into_iter()
        .filter_map(|a| check(a, summary))
        .collect()
}

fn check(mut asset: Asset, summary: &mut Summary) -> Option<Asset> {
    for violation in validate_asset(&asset) {
        if clear_optional(&mut asset, violation.field) {
            warn!(repo = %asset.image_repo, field = violation.field, "{}; field left out", violation.message);
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
    summary.failures.push(Failure {
        registry: asset.image_registry.clone().unwrap_or_default(),
        repository: Some(asset.image_repo.clone()),
        reference: asset.image_manifest_digest.clone(),
        reason: format!("asset breaks the format: {}", reason.join("; ")),
    });
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
