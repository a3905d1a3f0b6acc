//! The spreadsheet-formula rule for free-text fields.
//!
//! A CSV cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
//! spreadsheets skip before looking for one) is run as a formula when the file is opened
//! in a spreadsheet ("CSV injection"). nuccrawl will not rewrite such a value, say by
//! prefixing `'`, because Nucleus would then store text the image never held, and the
//! same file must mean the same thing as JSON, XML and CSV. Instead the value is a
//! violation: no real distribution name, OS version or feature starts that way, so one
//! that does is a mistake or an attack on whoever opens the file.
//!
//! Only the free-text fields need the rule. The other fields cannot start with these
//! characters under their own rules (names, digests, Go values), and `image_manifest` /
//! `image_config` are JSON objects, which start with `{`.

use super::Violation;
use crate::asset::Asset;

/// First characters that make a spreadsheet evaluate a cell.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Free-text fields must not start like a formula.
pub(super) fn check(asset: &Asset) -> Vec<Violation> {
    let single = [
        ("image_distro", asset.image_distro.as_slice()),
        (
            "image_platform_os_version",
            asset.image_platform_os_version.as_slice(),
        ),
        (
            "image_platform_os_features",
            asset.image_platform_os_features.as_slice(),
        ),
        (
            "image_platform_arch_features",
            asset.image_platform_arch_features.as_slice(),
        ),
    ];
    single
        .into_iter()
        .flat_map(|(field, values)| values.iter().map(move |v| (field, v)))
        .filter(|(_, value)| value.starts_with(FORMULA_LEADS))
        .map(|(field, value)| {
            Violation::new(
                field,
                format!("{value:?} would run as a spreadsheet formula when the CSV is opened"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_ok, assert_only, good_asset};

    #[test]
    fn rule_image_distro_formula() {
        let mut a = good_asset();
        a.image_distro = Some("Debian GNU/Linux 12 (a=b, c+d)".into());
        assert_ok(&a);
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\t=1"] {
            a.image_distro = Some(bad.into());
            assert_only(&a, "image_distro");
        }
    }

    #[test]
    fn rule_image_platform_os_version_formula() {
        let mut a = good_asset();
        a.image_platform_os_version = Some("10.0.17763.5458".into());
        assert_ok(&a);
        a.image_platform_os_version = Some("=cmd|' /C calc'!A0".into());
        assert_only(&a, "image_platform_os_version");
    }

    #[test]
    fn rule_platform_features_formula() {
        let mut a = good_asset();
        a.image_platform_os_features = vec!["win32k".into()];
        a.image_platform_arch_features = vec!["sse4".into()];
        assert_ok(&a);
        a.image_platform_os_features = vec!["win32k".into(), "@x".into()];
        assert_only(&a, "image_platform_os_features");
        a.image_platform_os_features.clear();
        a.image_platform_arch_features = vec!["-y".into()];
        assert_only(&a, "image_platform_arch_features");
    }
}
