//! The generated sample set: a crawl of the whole registry must give exactly the assets
//! and skipped counts the testkit says it pushed.

use std::collections::BTreeMap;

use nuccrawl::asset::Asset;
use nuccrawl_testkit::sha256_digest as sha256;
use nuccrawl_testkit::{load_samples, ExpectedImage, LocalRegistry};

use crate::support::{nuccrawl_expect, read_assets, read_report, temp_path};

fn assert_matches(asset: &Asset, want: &ExpectedImage, registry: &str) {
    let at = format!("{}@{}", want.repo, want.manifest_digest);
    assert_eq!(asset.image_registry.as_deref(), Some(registry), "{at}");
    assert_eq!(
        asset.image_config_digest.as_deref(),
        Some(want.config_digest.as_str()),
        "{at}"
    );
    assert_eq!(asset.image_tags, want.tags, "{at}");
    assert_eq!(
        asset.image_platform_os.as_deref(),
        Some(want.os.as_str()),
        "{at}"
    );
    assert_eq!(
        asset.image_platform_arch.as_deref(),
        Some(want.arch.as_str()),
        "{at}"
    );
    assert_eq!(asset.image_platform_arch_variant, want.variant, "{at}");
    assert_eq!(asset.image_distro, want.distro, "{at}");
    let manifest = asset.image_manifest.as_deref().expect("manifest embedded");
    let config = asset.image_config.as_deref().expect("config embedded");
    assert_eq!(
        manifest.as_bytes(),
        want.manifest.as_slice(),
        "{at}: manifest bytes"
    );
    assert_eq!(
        config.as_bytes(),
        want.config.as_slice(),
        "{at}: config bytes"
    );
    assert_eq!(sha256(manifest.as_bytes()), want.manifest_digest, "{at}");
    assert_eq!(sha256(config.as_bytes()), want.config_digest, "{at}");
}

#[test]
fn whole_registry_gives_exactly_the_sample_assets() {
    let registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{}/**", registry.addr());
    nuccrawl_expect(
        &[
            &target,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "-q",
        ],
        0,
    );

    let file = read_assets(&out);
    let got: BTreeMap<(String, String), &Asset> = file
        .assets
        .iter()
        .map(|a| {
            (
                (
                    a.image_repo.clone(),
                    a.image_manifest_digest.clone().unwrap(),
                ),
                a,
            )
        })
        .collect();
    assert_eq!(
        got.len(),
        file.assets.len(),
        "one asset per repository and manifest"
    );
    for want in &samples.images {
        let key = (want.repo.clone(), want.manifest_digest.clone());
        let asset = got
            .get(&key)
            .unwrap_or_else(|| panic!("missing asset {key:?}"));
        assert_matches(asset, want, &registry.addr());
    }
    assert_eq!(file.assets.len(), samples.images.len(), "no extra assets");

    let report = read_report(&report);
    let skipped: BTreeMap<String, usize> =
        serde_json::from_value(report["skipped"].clone()).expect("skipped counts");
    assert_eq!(skipped, samples.skipped);
    assert_eq!(report["repositories"], samples.repos.len());
    assert!(
        report["failures"].as_array().unwrap().is_empty(),
        "{report}"
    );
}

#[test]
fn requests_stay_at_the_economy_floor() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{}/samples/many", registry.addr());
    nuccrawl_expect(
        &[
            &target,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        0,
    );
    let report = read_report(&report);
    let requests = &report["requests"];
    // 320 tags over 4 images: one HEAD per tag, one GET per manifest and per config.
    assert_eq!(requests["manifest_head"], 320, "{requests}");
    assert_eq!(requests["manifest_get"], 4, "{requests}");
    assert_eq!(requests["blob_get"], 4, "{requests}");
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 4);
    assert!(file.assets.iter().all(|a| a.image_tags.len() == 80));
}

#[test]
fn tag_platform_and_single_reference_filters() {
    let registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    let addr = registry.addr();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "a.json");
    let out_s = out.to_str().unwrap();

    let alpine = format!("{addr}/samples/alpine");
    let report = temp_path(&dir, "report.json");
    let report_s = report.to_str().unwrap();
    nuccrawl_expect(
        &[
            &alpine, "--tags", "3.19*", "-o", out_s, "--report", report_s,
        ],
        0,
    );
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 1);
    assert_eq!(file.assets[0].image_tags, ["3.19", "3.19.1"]);
    let skipped = read_report(&report)["skipped"].clone();
    assert!(
        skipped.get("signature").is_none(),
        "the signature tag is outside --tags, so not counted: {skipped}"
    );
    nuccrawl_expect(&[&alpine, "-o", out_s, "--report", report_s], 0);
    assert_eq!(read_report(&report)["skipped"]["signature"], 1);

    nuccrawl_expect(&[&alpine, "--exclude-tags", "3.*", "-o", out_s], 0);
    assert_eq!(read_assets(&out).assets[0].image_tags, ["latest"]);

    let multi = format!("{addr}/samples/multi");
    nuccrawl_expect(
        &[
            &multi,
            "--platform",
            "linux/arm64",
            "-o",
            out_s,
            "--report",
            report_s,
        ],
        0,
    );
    // The index and the arm64 manifest only: other platforms are ruled out by their entry.
    let requests = read_report(&report)["requests"].clone();
    assert_eq!(requests["manifest_get"], 2, "{requests}");
    assert_eq!(requests["blob_get"], 1, "{requests}");
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 1);
    assert_eq!(file.assets[0].image_platform_arch.as_deref(), Some("arm64"));
    assert_eq!(
        file.assets[0].image_platform_arch_variant.as_deref(),
        Some("v8")
    );

    let one_tag = format!("{addr}/samples/multi:v1");
    nuccrawl_expect(&[&one_tag, "-o", out_s], 0);
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 3, "three platforms, no attestation");
    assert!(file.assets.iter().all(|a| a.image_tags == ["v1"]));

    let arm = samples
        .images
        .iter()
        .find(|i| i.repo == "samples/multi" && i.arch == "arm")
        .unwrap();
    let by_digest = format!("{addr}/samples/multi@{}", arm.manifest_digest);
    nuccrawl_expect(&[&by_digest, "-o", out_s], 0);
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 1);
    assert_eq!(
        file.assets[0].image_manifest_digest.as_deref(),
        Some(arm.manifest_digest.as_str())
    );
    // Reached by digest alone, the config is the only platform source: no variant there.
    assert_eq!(file.assets[0].image_platform_arch.as_deref(), Some("arm"));
}

#[test]
fn targets_naming_one_repository_are_crawled_once() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let addr = registry.addr();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "a.json");
    let report = temp_path(&dir, "report.json");
    let (v1, stable) = (
        format!("{addr}/samples/multi:v1"),
        format!("{addr}/samples/multi:stable"),
    );
    let args = [
        v1.as_str(),
        stable.as_str(),
        "--no-cache",
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    nuccrawl_expect(&args, 0);
    let report = read_report(&report);
    // Both tags name one index of three images and three attestations.
    assert_eq!(report["skipped"]["attestation"], 3, "{report}");
    assert_eq!(report["requests"]["manifest_head"], 2, "{report}");
    assert_eq!(
        report["requests"]["manifest_get"], 4,
        "index once, each image once"
    );
    assert_eq!(report["requests"]["blob_get"], 3, "{report}");
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 3);
    assert!(file.assets.iter().all(|a| a.image_tags == ["stable", "v1"]));
}
