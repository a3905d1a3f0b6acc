//! The real public images of `shared/images`, pushed into the real registry: every
//! config digest equals the image ID the archive records, every manifest digest equals
//! the SHA-256 of the bytes the registry serves, and busybox's upstream index gives its
//! platform images and no attestation asset.

use std::collections::BTreeSet;

use nuccrawl_testkit::sha256_digest as sha256;
use nuccrawl_testkit::{load_shared, query, LocalRegistry};

use crate::support::{nuccrawl, read_assets, read_report, temp_path};

#[test]
fn real_images_keep_their_digests() {
    let registry = LocalRegistry::start().expect("registry starts");
    let addr = registry.addr();
    let pushed = load_shared(&registry).expect("shared images load");
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "shared.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{addr}/shared/**");
    let run = nuccrawl(&[
        &target,
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    // busybox's upstream index names platform manifests no fixture holds: those are
    // failures (exit 2), everything else is written.
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = read_report(&report);
    for failure in report["failures"].as_array().unwrap() {
        assert_eq!(
            failure["repository"], "shared/busybox",
            "unexpected failure {failure}"
        );
        assert!(
            failure["reason"].as_str().unwrap().contains("not found"),
            "{failure}"
        );
    }

    let file = read_assets(&out);
    for image in &pushed {
        let assets: Vec<_> = file
            .assets
            .iter()
            .filter(|a| a.image_repo == image.repo && a.image_tags.contains(&image.tag))
            .collect();
        assert!(
            !assets.is_empty(),
            "no asset for {}:{}",
            image.repo,
            image.tag
        );
        if let Some(id) = &image.expected_config_digest {
            assert_eq!(assets.len(), 1, "{}:{}", image.repo, image.tag);
            assert_eq!(
                assets[0].image_config_digest.as_ref(),
                Some(id),
                "{}:{}",
                image.repo,
                image.tag
            );
        }
        let platforms: BTreeSet<String> = assets
            .iter()
            .map(|a| {
                let mut p = format!(
                    "{}/{}",
                    a.image_platform_os.as_deref().unwrap_or("?"),
                    a.image_platform_arch.as_deref().unwrap_or("?")
                );
                if let Some(v) = &a.image_platform_arch_variant {
                    p = format!("{p}/{v}");
                }
                p
            })
            .collect();
        let want: BTreeSet<String> = image.platforms.iter().cloned().collect();
        assert_eq!(platforms, want, "{}:{}", image.repo, image.tag);
    }
    for asset in &file.assets {
        let digest = asset.image_manifest_digest.as_deref().unwrap();
        let served = query::manifest(&addr, &asset.image_repo, digest, None).expect("manifest");
        assert_eq!(sha256(&served), digest, "{}", asset.image_repo);
        assert_eq!(
            asset.image_manifest.as_deref().unwrap().as_bytes(),
            served.as_slice()
        );
        assert_eq!(
            sha256(asset.image_config.as_deref().unwrap().as_bytes()),
            asset.image_config_digest.as_deref().unwrap()
        );
        assert_ne!(
            asset.image_platform_os.as_deref(),
            Some("unknown"),
            "attestation as asset"
        );
    }

    let busybox: Vec<_> = file
        .assets
        .iter()
        .filter(|a| a.image_repo == "shared/busybox" && a.image_tags == ["1.36.1-glibc"])
        .collect();
    assert_eq!(busybox.len(), 3, "amd64, arm/v7 and arm64/v8");
    let arm64 = busybox
        .iter()
        .find(|a| a.image_platform_arch.as_deref() == Some("arm64"))
        .unwrap();
    assert_eq!(
        arm64.image_platform_arch_variant.as_deref(),
        Some("v8"),
        "from the index entry"
    );
    assert!(
        report["skipped"]["attestation"].as_u64().unwrap() >= 1,
        "{report}"
    );

    let alpine = file
        .assets
        .iter()
        .find(|a| a.image_repo == "shared/alpine" && a.image_tags.contains(&"3.22.0".to_owned()))
        .unwrap();
    assert_eq!(alpine.image_distro.as_deref(), Some("Alpine Linux 3.22.0"));
}
