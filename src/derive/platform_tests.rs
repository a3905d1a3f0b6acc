//! Tests for platform resolution and filters.

use super::*;
use crate::image::config;
use crate::image::test_images::Archive;

fn platform(os: &str, arch: &str, variant: Option<&str>) -> Platform {
    Platform {
        os: Some(os.into()),
        architecture: Some(arch.into()),
        variant: variant.map(Into::into),
        ..Platform::default()
    }
}

fn config_of(os: &str, arch: &str, variant: Option<&str>) -> ImageConfig {
    ImageConfig {
        os: Some(os.into()),
        architecture: Some(arch.into()),
        variant: variant.map(Into::into),
        ..ImageConfig::default()
    }
}

#[test]
fn entry_variant_fills_config_gap() {
    let entry = platform("linux", "arm64", Some("v8"));
    let resolved = resolve(Some(&entry), &config_of("linux", "arm64", None));
    assert_eq!(resolved, platform("linux", "arm64", Some("v8")));
}

#[test]
fn config_only() {
    let config = ImageConfig {
        os_version: Some("10.0.17763.5458".into()),
        os_features: vec!["win32k".into()],
        ..config_of("Windows", "AMD64", None)
    };
    let resolved = resolve(None, &config);
    assert_eq!(resolved.os.as_deref(), Some("windows"));
    assert_eq!(resolved.architecture.as_deref(), Some("amd64"));
    assert_eq!(resolved.os_version.as_deref(), Some("10.0.17763.5458"));
    assert_eq!(resolved.os_features, ["win32k"]);
}

#[test]
fn variant_spellings() {
    for (found, expected) in [
        ("armv7", "v7"),
        ("7", "v7"),
        ("V7", "v7"),
        ("v6", "v6"),
        ("8", "v8"),
        ("8.1", "v8.1"),
        ("armv8.2", "v8.2"),
        ("power9", "power9"),
        ("RVA20U64", "rva20u64"),
    ] {
        let p = normalize(&platform("linux", "arm", Some(found)));
        assert_eq!(p.variant.as_deref(), Some(expected), "{found}");
    }
    assert_eq!(
        normalize(&platform("linux", "arm", Some("  "))).variant,
        None
    );
    let config = config_of("linux", "arm64", Some("8"));
    assert_eq!(resolve(None, &config).variant.as_deref(), Some("v8"));
}

#[test]
fn architecture_aliases() {
    assert_eq!(
        normalize(&platform("Linux", "x86_64", None))
            .architecture
            .as_deref(),
        Some("amd64")
    );
    assert_eq!(
        normalize(&platform("linux", "aarch64", None))
            .architecture
            .as_deref(),
        Some("arm64")
    );
    assert_eq!(
        normalize(&platform("linux", "ppc64le", None))
            .architecture
            .as_deref(),
        Some("ppc64le")
    );
}

#[test]
fn disagreement_keeps_the_index_value() {
    let entry = platform("linux", "arm", Some("v7"));
    let resolved = resolve(Some(&entry), &config_of("linux", "arm", Some("v6")));
    assert_eq!(resolved.variant.as_deref(), Some("v7"));
    // Equal after normalisation is not a disagreement, and the entry's spelling is canonical.
    let resolved = resolve(
        Some(&platform("linux", "arm", Some("7"))),
        &config_of("linux", "arm", Some("armv7")),
    );
    assert_eq!(resolved.variant.as_deref(), Some("v7"));
}

#[test]
fn disagreeing_architecture_does_not_lend_its_variant() {
    let entry = platform("linux", "arm64", None);
    let resolved = resolve(Some(&entry), &config_of("linux", "arm", Some("v7")));
    assert_eq!(resolved.architecture.as_deref(), Some("arm64"));
    assert_eq!(resolved.variant, None);
}

#[test]
fn entry_without_fields_uses_config() {
    let resolved = resolve(
        Some(&Platform::default()),
        &config_of("linux", "s390x", None),
    );
    assert_eq!(resolved, platform("linux", "s390x", None));
}

#[test]
fn real_busybox_arm64_index_says_v8_config_says_nothing() {
    let archive = Archive::open("busybox/busybox-1.36.1-glibc-arm64v8.containerd-export.tar");
    let images = archive.images();
    assert_eq!(
        images.len(),
        1,
        "only the arm64 image's blobs are in the export"
    );
    let found = &images[0];
    let config = config::parse(&found.config).expect("config parses");
    assert_eq!(config.variant, None);
    let resolved = resolve(found.entry_platform.as_ref(), &config);
    assert_eq!(resolved, platform("linux", "arm64", Some("v8")));
}

#[test]
fn real_busybox_armv7_agrees() {
    let archive = Archive::open("busybox/busybox-1.36.1-glibc-armv7.containerd-export.tar");
    let found = &archive.images()[0];
    let config = config::parse(&found.config).expect("config parses");
    let resolved = resolve(found.entry_platform.as_ref(), &config);
    assert_eq!(resolved, platform("linux", "arm", Some("v7")));
}

#[test]
fn filter_parsing() {
    let filter: PlatformFilter = "Linux/ARM64/8".parse().expect("parses");
    assert_eq!(
        (filter.os(), filter.architecture(), filter.variant()),
        ("linux", "arm64", Some("v8"))
    );
    assert_eq!(filter.to_string(), "linux/arm64/v8");
    assert_eq!(
        "linux/amd64"
            .parse::<PlatformFilter>()
            .expect("parses")
            .variant(),
        None
    );
    for bad in [
        "linux",
        "linux/",
        "/amd64",
        "linux/arm/v7/extra",
        "",
        "linux/arm/",
    ] {
        let err = bad.parse::<PlatformFilter>().expect_err(bad);
        assert_eq!(err.input, bad);
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
}

#[test]
fn filter_matching() {
    let arm64_v8: PlatformFilter = "linux/arm64/v8".parse().expect("parses");
    assert!(arm64_v8.matches(&platform("linux", "arm64", None)));
    assert!(arm64_v8.matches(&platform("linux", "aarch64", Some("8"))));
    assert!(!arm64_v8.matches(&platform("linux", "arm64", Some("v8.2"))));
    assert!(!arm64_v8.matches(&platform("windows", "arm64", None)));
    let arm: PlatformFilter = "linux/arm".parse().expect("parses");
    assert!(arm.matches(&platform("linux", "arm", Some("v6"))));
    assert!(arm.matches(&platform("linux", "arm", None)));
    assert!(!arm.matches(&platform("linux", "arm64", None)));
    let arm_v7: PlatformFilter = "linux/arm/v7".parse().expect("parses");
    assert!(
        !arm_v7.matches(&platform("linux", "arm", None)),
        "32-bit arm has no default"
    );
    assert!(arm_v7.matches(&platform("linux", "arm", Some("armv7"))));
    assert!(!arm_v7.matches(&Platform::default()));
}

#[test]
fn rules_out_only_what_an_entry_states() {
    let filter: PlatformFilter = "linux/arm/v7".parse().unwrap();
    let entry = |os: Option<&str>, arch: Option<&str>, variant: Option<&str>| Platform {
        os: os.map(str::to_owned),
        architecture: arch.map(str::to_owned),
        variant: variant.map(str::to_owned),
        ..Platform::default()
    };
    assert!(filter.rules_out(&entry(Some("linux"), Some("amd64"), None)));
    assert!(filter.rules_out(&entry(Some("linux"), Some("arm"), Some("v6"))));
    assert!(filter.rules_out(&entry(Some("windows"), Some("arm"), Some("v7"))));
    assert!(!filter.rules_out(&entry(Some("linux"), Some("arm"), Some("v7"))));
    assert!(
        !filter.rules_out(&entry(Some("linux"), Some("arm"), None)),
        "config may say v7"
    );
    assert!(!filter.rules_out(&entry(None, None, None)));
}
