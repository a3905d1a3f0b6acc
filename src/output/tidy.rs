//! The leniency every decoder shares: hand-made files pad names with whitespace, leave
//! cells blank and write empty strings for absent values (the vendor's own example does).
//!
//! Names, digests, Go values and list items are trimmed and dropped when empty; free text
//! (`image_distro`, `image_platform_os_version`) and the manifest and config are kept
//! byte for byte, only an empty value becoming absent.

use crate::asset::{Asset, AssetFile};

/// Applies the shared leniency to a freshly decoded file.
pub(crate) fn tidy(mut file: AssetFile) -> AssetFile {
    for meta in [
        &mut file.nucleus_import_version,
        &mut file.scan_tool,
        &mut file.scan_type,
    ] {
        trim_in_place(meta);
    }
    file.assets = file.assets.into_iter().map(tidy_asset).collect();
    file
}

fn tidy_asset(mut a: Asset) -> Asset {
    trim_in_place(&mut a.image_repo);
    for name in [
        &mut a.image_manifest_digest,
        &mut a.image_config_digest,
        &mut a.image_registry,
        &mut a.image_platform_os,
        &mut a.image_platform_arch,
        &mut a.image_platform_arch_variant,
    ] {
        *name = name.take().map(|mut v| {
            trim_in_place(&mut v);
            v
        });
        drop_empty(name);
    }
    for text in [
        &mut a.image_distro,
        &mut a.image_platform_os_version,
        &mut a.image_manifest,
        &mut a.image_config,
    ] {
        drop_empty(text);
    }
    for list in [
        &mut a.image_tags,
        &mut a.image_secondary_registries,
        &mut a.image_platform_os_features,
        &mut a.image_platform_arch_features,
    ] {
        list.iter_mut().for_each(trim_in_place);
        list.retain(|item| !item.is_empty());
    }
    a
}

/// Only what FORMAT.md itself allows: a blank optional value is an absent one. Names
/// keep their whitespace, so that validation reports it.
pub(crate) fn drop_blank(mut file: AssetFile) -> AssetFile {
    for a in &mut file.assets {
        for value in [
            &mut a.image_manifest_digest,
            &mut a.image_config_digest,
            &mut a.image_registry,
            &mut a.image_platform_os,
            &mut a.image_platform_arch,
            &mut a.image_platform_arch_variant,
            &mut a.image_distro,
            &mut a.image_platform_os_version,
            &mut a.image_manifest,
            &mut a.image_config,
        ] {
            drop_empty(value);
        }
    }
    file
}

fn trim_in_place(s: &mut String) {
    let trimmed = s.trim();
    if trimmed.len() != s.len() {
        *s = trimmed.to_owned();
    }
}

fn drop_empty(value: &mut Option<String>) {
    if value.as_deref() == Some("") {
        *value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_names_keeps_text() {
        let a = Asset {
            image_repo: " team/api\n".into(),
            image_tags: vec![" v1 ".into(), "".into()],
            image_platform_arch_variant: Some("".into()),
            image_platform_os: Some(" linux".into()),
            image_distro: Some(" Alpine ".into()),
            image_manifest: Some(" {} ".into()),
            image_config: Some("".into()),
            ..Asset::default()
        };
        let t = tidy(AssetFile::new(vec![a])).assets.remove(0);
        assert_eq!(t.image_repo, "team/api");
        assert_eq!(t.image_tags, ["v1"]);
        assert_eq!(t.image_platform_arch_variant, None);
        assert_eq!(t.image_platform_os.as_deref(), Some("linux"));
        assert_eq!(t.image_distro.as_deref(), Some(" Alpine "));
        assert_eq!(t.image_manifest.as_deref(), Some(" {} "));
        assert_eq!(t.image_config, None);
    }
}
