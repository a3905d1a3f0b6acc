//! Rules for the two digests: their form, that at least one is present, and that each
//! equals the SHA-256 of the text it describes when that text is in the asset.
//!
//! Both digests must be lower-case hex: FORMAT.md says so for the manifest digest and the
//! OCI descriptor spec requires it of every `sha256:` digest, config included.

use super::{present, Violation};
use crate::asset::Asset;
use crate::image::Digest;

/// The digest rules for both digest fields.
pub(super) fn check(asset: &Asset) -> Vec<Violation> {
    let manifest_digest = present(&asset.image_manifest_digest);
    let config_digest = present(&asset.image_config_digest);
    let mut found = Vec::new();
    if manifest_digest.is_none() && config_digest.is_none() {
        found.push(Violation::new(
            "image_manifest_digest",
            "at least one of image_manifest_digest and image_config_digest is required",
        ));
    }
    let pairs = [
        (
            "image_manifest_digest",
            manifest_digest,
            &asset.image_manifest,
            "image_manifest",
        ),
        (
            "image_config_digest",
            config_digest,
            &asset.image_config,
            "image_config",
        ),
    ];
    for (field, digest, text, text_field) in pairs {
        if let Some(digest) = digest {
            found.extend(check_one(field, digest, text.as_deref(), text_field));
        }
    }
    found
}

/// One digest: well formed, and the hash of `text` when the text is present.
fn check_one(
    field: &'static str,
    digest: &str,
    text: Option<&str>,
    text_field: &str,
) -> Option<Violation> {
    if let Err(e) = digest.parse::<Digest>() {
        return Some(Violation::new(field, e.to_string()));
    }
    let actual = Digest::of(text?.as_bytes());
    (actual.as_str() != digest).then(|| {
        Violation::new(
            field,
            format!(
                "{digest} is not the SHA-256 of {text_field} ({actual}); the text must be \
                 kept byte for byte as served"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_ok, assert_only, good_asset};

    const UPPER: &str = "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";

    #[test]
    fn rule_image_manifest_digest_form() {
        let mut a = good_asset();
        a.image_manifest = None;
        a.image_manifest_digest = Some(format!("sha256:{}", "0".repeat(64)));
        assert_ok(&a);
        for bad in [
            UPPER,
            "sha512:abcd",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c",
        ] {
            a.image_manifest_digest = Some(bad.into());
            assert_only(&a, "image_manifest_digest");
        }
    }

    #[test]
    fn rule_image_config_digest_form() {
        let mut a = good_asset();
        a.image_config = None;
        a.image_config_digest = Some(format!("sha256:{}", "a".repeat(64)));
        // The manifest names the real config digest; drop it to test the form alone.
        a.image_manifest = None;
        assert_ok(&a);
        a.image_config_digest = Some(UPPER.into());
        assert_only(&a, "image_config_digest");
    }

    #[test]
    fn rule_at_least_one_digest() {
        let mut a = good_asset();
        a.image_manifest_digest = None;
        assert_ok(&a);
        a.image_config_digest = Some(String::new());
        assert_only(&a, "image_manifest_digest");
    }

    #[test]
    fn rule_image_manifest_digest_matches_manifest() {
        let mut a = good_asset();
        assert_ok(&a);
        let reformatted = a.image_manifest.as_ref().unwrap().replace(',', ", ");
        a.image_manifest = Some(reformatted);
        assert_only(&a, "image_manifest_digest");
    }

    #[test]
    fn rule_image_config_digest_matches_config() {
        let mut a = good_asset();
        assert_ok(&a);
        a.image_config = Some(format!("{}\n", a.image_config.unwrap()));
        assert_only(&a, "image_config_digest");
    }
}
