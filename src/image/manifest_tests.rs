//! Tests for [`super::classify`]: hand-written bodies for each rule, then the real
//! manifests of the shared images.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::image::test_images::{archives, Archive};

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

fn classify_json(value: serde_json::Value, served: Option<&str>) -> Manifest {
    classify(value.to_string().as_bytes(), served).expect("classify")
}

fn image_manifest(config_type: &str, layer_types: &[&str]) -> serde_json::Value {
    let layers: Vec<_> = layer_types
        .iter()
        .map(|t| json!({"mediaType": t, "digest": D2, "size": 10}))
        .collect();
    json!({
        "schemaVersion": 2,
        "mediaType": mt::OCI_MANIFEST,
        "config": {"mediaType": config_type, "digest": D1, "size": 1234},
        "layers": layers,
    })
}

fn skipped(value: serde_json::Value) -> SkipKind {
    match classify_json(value, None) {
        Manifest::Skipped(kind) => kind,
        other => panic!("expected a skip, got {other:?}"),
    }
}

#[test]
fn oci_image_manifest_gives_config() {
    let body = image_manifest(
        mt::OCI_CONFIG,
        &["application/vnd.oci.image.layer.v1.tar+gzip"],
    );
    let Manifest::Image(image) = classify_json(body, None) else {
        panic!("not an image");
    };
    assert_eq!(image.config_digest.as_str(), D1);
    assert_eq!(image.config_media_type.as_deref(), Some(mt::OCI_CONFIG));
    assert_eq!(image.config_size, Some(1234));
}

#[test]
fn index_with_attestation_entry() {
    let body = json!({
        "schemaVersion": 2,
        "mediaType": mt::OCI_INDEX,
        "manifests": [
            {"mediaType": mt::OCI_MANIFEST, "digest": D1, "size": 1,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": mt::OCI_MANIFEST, "digest": D2, "size": 1,
             "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                             "vnd.docker.reference.digest": D1}},
            {"mediaType": mt::OCI_INDEX, "digest": D3, "size": 1},
        ]
    });
    let Manifest::Index(index) = classify_json(body, None) else {
        panic!("not an index");
    };
    let kinds: Vec<_> = index.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EntryKind::Image, EntryKind::Attestation, EntryKind::Index]
    );
    let platform = index.entries[0].platform.as_ref().expect("platform");
    assert_eq!(platform.variant.as_deref(), Some("v8"));
    assert!(index.entries[0].kind.is_followed());
    assert_eq!(
        index.entries[1].kind.skip_kind(),
        Some(SkipKind::Attestation)
    );
}

#[test]
fn unknown_platform_with_any_reference_type_is_attestation() {
    let body = json!({"manifests": [
        {"mediaType": mt::OCI_MANIFEST, "digest": D1,
         "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "builder"}},
        {"mediaType": mt::OCI_MANIFEST, "digest": D2,
         "platform": {"os": "unknown", "architecture": "unknown"}},
    ]});
    let Manifest::Index(index) = classify_json(body, Some(mt::OCI_INDEX)) else {
        panic!("not an index");
    };
    assert_eq!(index.entries[0].kind, EntryKind::Attestation);
    assert_eq!(index.entries[1].kind, EntryKind::Image);
}

#[test]
fn one_entry_docker_list() {
    let body = json!({
        "schemaVersion": 2,
        "mediaType": mt::DOCKER_MANIFEST_LIST,
        "manifests": [{"mediaType": mt::DOCKER_MANIFEST_V2, "digest": D1, "size": 528,
                       "platform": {"os": "windows", "architecture": "amd64",
                                    "os.version": "10.0.17763.5458", "os.features": ["win32k"]}}]
    });
    let Manifest::Index(index) = classify_json(body, None) else {
        panic!("not an index");
    };
    assert_eq!(index.entries.len(), 1);
    let platform = index.entries[0].platform.clone().expect("platform");
    assert_eq!(platform.os_version.as_deref(), Some("10.0.17763.5458"));
    assert_eq!(platform.os_features, ["win32k"]);
}

#[test]
fn index_entries_skipped_by_kind() {
    let body = json!({"mediaType": mt::OCI_INDEX, "manifests": [
        {"mediaType": mt::DOCKER_SCHEMA1_SIGNED, "digest": D1},
        {"mediaType": "application/vnd.example.thing", "digest": D2},
        {"mediaType": mt::OCI_MANIFEST, "digest": D3, "artifactType": mt::HELM_CONFIG},
        {"digest": D3},
        {"mediaType": mt::OCI_MANIFEST, "digest": D3, "artifactType": mt::OCI_CONFIG},
    ]});
    let Manifest::Index(index) = classify_json(body, None) else {
        panic!("not an index");
    };
    let kinds: Vec<_> = index.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::Artifact(SkipKind::Schema1),
            EntryKind::Artifact(SkipKind::UnknownMediaType),
            EntryKind::Artifact(SkipKind::HelmChart),
            EntryKind::Image,
            EntryKind::Image,
        ]
    );
}

#[test]
fn helm_chart_is_skipped() {
    let body = image_manifest(mt::HELM_CONFIG, &[mt::HELM_CHART_CONTENT]);
    assert_eq!(skipped(body), SkipKind::HelmChart);
}

#[test]
fn wasm_module_is_skipped() {
    let body = image_manifest(mt::WASM_CONFIG, &[mt::WASM_LAYER]);
    assert_eq!(skipped(body), SkipKind::Wasm);
}

#[test]
fn cosign_signature_with_image_config_is_skipped() {
    let body = image_manifest(mt::OCI_CONFIG, &[mt::COSIGN_SIMPLE_SIGNING]);
    assert_eq!(skipped(body), SkipKind::Signature);
}

#[test]
fn buildkit_in_toto_attestation_is_skipped() {
    let body = image_manifest(mt::OCI_CONFIG, &[mt::IN_TOTO, mt::IN_TOTO]);
    assert_eq!(skipped(body), SkipKind::Attestation);
    let dsse = image_manifest(mt::OCI_CONFIG, &[mt::DSSE_ENVELOPE]);
    assert_eq!(skipped(dsse), SkipKind::Attestation);
}

#[test]
fn sbom_and_artifact_type() {
    let mut body = image_manifest(mt::OCI_EMPTY, &[mt::SPDX_JSON]);
    assert_eq!(skipped(body.clone()), SkipKind::Sbom);
    body["artifactType"] = json!("application/vnd.example.custom");
    assert_eq!(skipped(body), SkipKind::OtherArtifact);
    let mut with_image_layers = image_manifest(mt::OCI_CONFIG, &[mt::OCI_LAYER_PREFIX]);
    with_image_layers["artifactType"] = json!(mt::CYCLONEDX_JSON);
    assert_eq!(skipped(with_image_layers), SkipKind::Sbom);
}

#[test]
fn mixed_layers_stay_an_image() {
    let body = image_manifest(
        mt::DOCKER_CONFIG,
        &[
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            mt::IN_TOTO,
        ],
    );
    assert!(matches!(classify_json(body, None), Manifest::Image(_)));
}

#[test]
fn schema1_by_type_and_by_shape() {
    let body = json!({"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []});
    assert_eq!(skipped(body.clone()), SkipKind::Schema1);
    let served = classify_json(body, Some(mt::DOCKER_SCHEMA1_SIGNED));
    assert_eq!(served, Manifest::Skipped(SkipKind::Schema1));
    let versioned_only = json!({"schemaVersion": 1});
    assert_eq!(skipped(versioned_only), SkipKind::Schema1);
}

#[test]
fn unknown_media_type() {
    let body = json!({"schemaVersion": 2, "mediaType": "application/vnd.example+json"});
    assert_eq!(skipped(body), SkipKind::UnknownMediaType);
    assert_eq!(
        skipped(json!({"hello": "world"})),
        SkipKind::UnknownMediaType
    );
}

#[test]
fn media_type_precedence() {
    let mut body = image_manifest(mt::OCI_CONFIG, &[]);
    body.as_object_mut().expect("object").remove("mediaType");
    let served = "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8";
    assert!(matches!(
        classify_json(body.clone(), Some(served)),
        Manifest::Image(_)
    ));
    // A generic served type is ignored: the shape decides.
    let generic = classify_json(body.clone(), Some("application/json"));
    assert!(matches!(generic, Manifest::Image(_)));
    // The body's own mediaType wins over the served one.
    body["mediaType"] = json!(mt::DOCKER_SCHEMA1);
    let body_wins = classify_json(body, Some(mt::OCI_MANIFEST));
    assert_eq!(body_wins, Manifest::Skipped(SkipKind::Schema1));
}

#[test]
fn artifact_index_is_skipped() {
    let body = json!({"mediaType": mt::OCI_INDEX, "artifactType": "application/example.loop",
                      "manifests": []});
    assert_eq!(skipped(body), SkipKind::OtherArtifact);
}

#[test]
fn malformed_bodies_are_errors() {
    let err = classify(b"{\"schemaVersion\": 2,", None).expect_err("truncated");
    assert!(matches!(err, ManifestError::Json(_)), "{err}");
    let err = classify(b"[1, 2]", None).expect_err("array");
    assert_eq!(err.to_string(), "manifest is a JSON array, not an object");
    let err = classify(b"{\"mediaType\": 7}", None).expect_err("wrong type");
    assert!(matches!(err, ManifestError::Shape { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "manifest field `mediaType` has the wrong JSON type"
    );
    let err = classify(br#"{"schemaVersion":2,"config":"x","layers":[]}"#, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "manifest field `config` has the wrong JSON type"
    );
    let err = classify(b"\xff\xfe{}", None).expect_err("not utf-8");
    assert!(matches!(err, ManifestError::Json(_)), "{err}");
}

#[test]
fn missing_or_bad_digests_name_the_field() {
    let mut body = image_manifest(mt::OCI_CONFIG, &[]);
    body["config"]
        .as_object_mut()
        .expect("object")
        .remove("digest");
    let err = classify(body.to_string().as_bytes(), None).expect_err("no digest");
    assert!(matches!(err, ManifestError::MissingConfigDigest));
    body["config"]["digest"] = json!("sha256:ABC");
    let err = classify(body.to_string().as_bytes(), None).expect_err("bad digest");
    assert_eq!(err.to_string(), "invalid digest in `config.digest`");
    let no_config = json!({"mediaType": mt::OCI_MANIFEST, "layers": []});
    let err = classify(no_config.to_string().as_bytes(), None).expect_err("no config");
    assert!(matches!(err, ManifestError::MissingConfig));

    let index = json!({"mediaType": mt::OCI_INDEX, "manifests": [
        {"mediaType": mt::OCI_MANIFEST, "digest": D1},
        {"mediaType": mt::OCI_MANIFEST, "digest": "sha512:00"},
    ]});
    let err = classify(index.to_string().as_bytes(), None).expect_err("bad entry");
    assert_eq!(err.to_string(), "invalid digest in `manifests[1].digest`");
    let index = json!({"mediaType": mt::OCI_INDEX, "manifests": [{"mediaType": mt::OCI_MANIFEST}]});
    let err = classify(index.to_string().as_bytes(), None).expect_err("no entry digest");
    assert!(matches!(err, ManifestError::MissingEntryDigest(0)));
    let index = json!({"mediaType": mt::OCI_INDEX});
    let err = classify(index.to_string().as_bytes(), None).expect_err("no entries");
    assert!(matches!(err, ManifestError::MissingEntries));
}

#[test]
fn tolerates_odd_optional_fields() {
    let mut body = image_manifest(mt::OCI_CONFIG, &[]);
    body["config"]["size"] = json!(-5);
    body["annotations"] = json!({"n": 1});
    body["layers"] = json!(null);
    let Manifest::Image(image) = classify_json(body, None) else {
        panic!("not an image");
    };
    assert_eq!(image.config_size, None);
}

/// Classify the manifest a layout's root descriptor points at.
fn classify_blob(archive: &Archive, digest: &str) -> Manifest {
    let body = archive.blob(digest).expect("blob present");
    classify(body, None).expect("real manifest classifies")
}

#[test]
fn real_buildkit_attestation_index() {
    let archive = Archive::open("busybox/busybox-arm64-with-attestation.containerd-export.tar");
    let root = &archive.layout_roots()[0];
    let Manifest::Index(index) = classify_blob(&archive, root["digest"].as_str().expect("d"))
    else {
        panic!("root is not an index");
    };
    let kinds: Vec<_> = index.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::Image, EntryKind::Attestation]);
    let image = classify_blob(&archive, index.entries[0].digest.as_str());
    assert!(matches!(image, Manifest::Image(_)));
    // The attestation manifest itself, reached directly, is skipped by its in-toto layers.
    let attestation = classify_blob(&archive, index.entries[1].digest.as_str());
    assert_eq!(attestation, Manifest::Skipped(SkipKind::Attestation));
}

#[test]
fn real_cosign_signature_and_attestation() {
    let archive = Archive::open("artifacts/cosign-sig-att-busybox-amd64.oci-layout.tar");
    let mut found = Vec::new();
    for root in archive.layout_roots() {
        let tag = root["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .expect("tag");
        let kind = classify_blob(&archive, root["digest"].as_str().expect("digest"));
        found.push((skip_kind_for_tag(tag), kind));
    }
    let sig = (
        Some(SkipKind::Signature),
        Manifest::Skipped(SkipKind::Signature),
    );
    let att = (
        Some(SkipKind::Attestation),
        Manifest::Skipped(SkipKind::Attestation),
    );
    assert_eq!(found, [sig, att]);
}

#[test]
fn real_one_entry_docker_list() {
    let archive = Archive::open("alpine/alpine-3.14.9.containerd-export.tar");
    let root = &archive.layout_roots()[0];
    let Manifest::Index(index) = classify_blob(&archive, root["digest"].as_str().expect("d"))
    else {
        panic!("root is not an index");
    };
    assert_eq!(index.entries.len(), 1);
    let Manifest::Image(image) = classify_blob(&archive, index.entries[0].digest.as_str()) else {
        panic!("child is not an image");
    };
    assert_eq!(image.config_media_type.as_deref(), Some(mt::DOCKER_CONFIG));
    let config = archive
        .blob(image.config_digest.as_str())
        .expect("config blob");
    assert_eq!(Digest::of(config), image.config_digest);
}

#[test]
fn real_regclient_repository() {
    let archive = Archive::open("artifacts/regclient-testrepo.oci-layout.tar");
    let mut images = 0;
    let mut skipped = std::collections::BTreeMap::new();
    let mut entry_skips = std::collections::BTreeMap::new();
    for root in archive.layout_roots() {
        let digest = root["digest"].as_str().expect("digest");
        let mut stack = vec![digest.to_owned()];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(digest) = stack.pop() {
            if !seen.insert(digest.clone()) {
                continue;
            }
            let Some(body) = archive.blob(&digest) else {
                continue;
            };
            match classify(body, None).expect("regclient manifest classifies") {
                Manifest::Index(index) => {
                    for entry in index.entries {
                        match entry.kind.skip_kind() {
                            Some(kind) => *entry_skips.entry(kind).or_insert(0) += 1,
                            None => stack.push(entry.digest.to_string()),
                        }
                    }
                }
                Manifest::Image(image) => {
                    images += 1;
                    assert!(archive.blob(image.config_digest.as_str()).is_some());
                }
                Manifest::Skipped(kind) => *skipped.entry(kind).or_insert(0) += 1,
            }
        }
    }
    assert!(images >= 10, "found {images} images");
    assert!(
        entry_skips.contains_key(&SkipKind::Attestation),
        "{entry_skips:?}"
    );
    assert!(
        skipped.contains_key(&SkipKind::OtherArtifact),
        "{skipped:?}"
    );
}

#[test]
fn real_image_manifests_point_at_their_configs() {
    let mut checked = 0;
    for path in archives() {
        for image in Archive::open(&path).images() {
            let Some(manifest) = image.manifest else {
                continue;
            };
            let result = classify(&manifest, None).unwrap_or_else(|e| panic!("{path}: {e}"));
            // The artifact layouts mix images with signatures and other artifacts, and
            // BuildKit's attestation manifests sit under `unknown/unknown` entries.
            let unknown_platform =
                image.entry_platform.as_ref().and_then(|p| p.os.as_deref()) == Some("unknown");
            let may_skip = path.starts_with("artifacts/") || unknown_platform;
            if may_skip && matches!(result, Manifest::Skipped(_)) {
                continue;
            }
            let Manifest::Image(found) = result else {
                panic!("{path}: {result:?}");
            };
            assert_eq!(found.config_digest, Digest::of(&image.config), "{path}");
            assert_eq!(found.config_size, Some(image.config.len() as u64), "{path}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} real manifests checked");
}

proptest! {
    #[test]
    fn classify_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = classify(&bytes, None);
        let _ = classify(&bytes, Some(mt::OCI_INDEX));
    }

    #[test]
    fn classify_never_panics_on_json_like_text(text in r#"\{("[a-zA-Z]{0,12}":( ?[\[\]{}0-9",:a-z.]{0,20}),?){0,6}\}"#) {
        let _ = classify(text.as_bytes(), None);
    }
}

/// Keys a manifest reader looks at, so that generated JSON hits the interesting paths.
const KEYS: [&str; 12] = [
    "schemaVersion",
    "mediaType",
    "artifactType",
    "config",
    "layers",
    "manifests",
    "digest",
    "size",
    "platform",
    "annotations",
    "os",
    "fsLayers",
];

/// Arbitrary JSON built from manifest keys and plausible values.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![
            mt::OCI_INDEX,
            mt::OCI_MANIFEST,
            mt::DOCKER_MANIFEST_V2,
            mt::OCI_CONFIG,
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "sha256:zz",
            "unknown",
            "",
        ])
        .prop_map(Value::from),
        "[a-z:./+]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..6).prop_map(
                |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn classify_never_panics_on_manifest_shaped_json(value in json_value()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let _ = classify(&bytes, None);
        let _ = classify(&bytes, Some(mt::DOCKER_MANIFEST_V2));
        let _ = declared_media_type(&bytes, Some("text/html"));
    }

    #[test]
    fn index_entries_round_trip(
        entries in prop::collection::vec(
            (any::<[u8; 8]>(), "[a-z]{1,8}", "[a-z0-9]{1,8}", prop::option::of("v[0-9]")),
            0..8,
        )
    ) {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .map(|(seed, os, arch, variant)| {
                let mut platform = serde_json::json!({"os": os, "architecture": arch});
                if let Some(v) = variant {
                    platform["variant"] = serde_json::json!(v);
                }
                serde_json::json!({"mediaType": mt::OCI_MANIFEST, "size": 1,
                    "digest": Digest::of(seed).to_string(), "platform": platform})
            })
            .collect();
        let body = serde_json::json!({"schemaVersion": 2, "mediaType": mt::OCI_INDEX,
            "manifests": manifests});
        let Manifest::Index(index) = classify(&serde_json::to_vec(&body).unwrap(), None).unwrap()
        else {
            panic!("not an index");
        };
        prop_assert_eq!(index.entries.len(), entries.len());
        for (entry, (seed, os, arch, variant)) in index.entries.iter().zip(&entries) {
            prop_assert_eq!(&entry.digest, &Digest::of(seed));
            prop_assert_eq!(entry.kind, EntryKind::Image);
            let platform = entry.platform.as_ref().unwrap();
            prop_assert_eq!(platform.os.as_deref(), Some(os.as_str()));
            prop_assert_eq!(platform.architecture.as_deref(), Some(arch.as_str()));
            prop_assert_eq!(&platform.variant, variant);
        }
    }

    #[test]
    fn image_config_descriptor_round_trips(seed in any::<[u8; 8]>(), size in 0u64..1 << 40) {
        let digest = Digest::of(&seed);
        let body = serde_json::json!({"schemaVersion": 2, "mediaType": mt::DOCKER_MANIFEST_V2,
            "config": {"mediaType": mt::DOCKER_CONFIG, "digest": digest.to_string(), "size": size},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": digest.to_string()}]});
        let read = classify(&serde_json::to_vec(&body).unwrap(), None).unwrap();
        prop_assert_eq!(read, Manifest::Image(ImageManifest {
            config_digest: digest,
            config_media_type: Some(mt::DOCKER_CONFIG.to_owned()),
            config_size: Some(size),
        }));
    }
}
