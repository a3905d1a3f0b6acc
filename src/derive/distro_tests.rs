//! Tests for distro derivation: each rule on hand-written configs, then every real image.

use std::collections::BTreeMap;

use super::*;
use crate::image::config;
use crate::image::test_images::{archives, Archive};

fn with_labels(labels: &[(&str, &str)]) -> ImageConfig {
    ImageConfig {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ImageConfig::default()
    }
}

fn with_history(lines: &[&str]) -> ImageConfig {
    ImageConfig {
        history: lines.iter().map(|l| l.to_string()).collect(),
        ..ImageConfig::default()
    }
}

fn base(name: &str) -> Option<String> {
    distro(&with_labels(&[(BASE_NAME_LABEL, name)]))
}

#[test]
fn base_name_with_version_tags() {
    assert_eq!(base("alpine:3.19").as_deref(), Some("Alpine Linux 3.19"));
    assert_eq!(
        base("docker.io/library/alpine:3.19.1@sha256:abc").as_deref(),
        Some("Alpine Linux 3.19.1")
    );
    assert_eq!(
        base("debian:12-slim").as_deref(),
        Some("Debian GNU/Linux 12")
    );
    assert_eq!(
        base("debian:bookworm").as_deref(),
        Some("Debian GNU/Linux 12")
    );
    assert_eq!(
        base("index.docker.io/library/ubuntu:jammy").as_deref(),
        Some("Ubuntu 22.04")
    );
    assert_eq!(base("ubuntu:24.04").as_deref(), Some("Ubuntu 24.04"));
    assert_eq!(
        base("quay.io/centos/centos:stream9").as_deref(),
        Some("CentOS Stream 9")
    );
    assert_eq!(
        base("centos:7.9.2009").as_deref(),
        Some("CentOS Linux 7.9.2009")
    );
    assert_eq!(base("centos:centos7").as_deref(), Some("CentOS Linux 7"));
    assert_eq!(base("fedora:40").as_deref(), Some("Fedora Linux 40"));
    assert_eq!(
        base("rockylinux/rockylinux:9.3").as_deref(),
        Some("Rocky Linux 9.3")
    );
    assert_eq!(base("almalinux:9").as_deref(), Some("AlmaLinux 9"));
    assert_eq!(
        base("public.ecr.aws/amazonlinux/amazonlinux:2023").as_deref(),
        Some("Amazon Linux 2023")
    );
    assert_eq!(
        base("opensuse/leap:15.5").as_deref(),
        Some("openSUSE Leap 15.5")
    );
    assert_eq!(
        base("oraclelinux:8.9-slim").as_deref(),
        Some("Oracle Linux 8.9")
    );
    assert_eq!(
        base("localhost:5000/alpine:3.18").as_deref(),
        Some("Alpine Linux 3.18")
    );
}

#[test]
fn base_name_ubi_major_comes_from_the_repository() {
    let ubi = base("registry.access.redhat.com/ubi9/ubi-minimal:9.3-1552");
    assert_eq!(ubi.as_deref(), Some("Red Hat Enterprise Linux 9.3"));
    assert_eq!(
        base("redhat/ubi8:latest").as_deref(),
        Some("Red Hat Enterprise Linux 8")
    );
    assert_eq!(
        base("redhat/ubi8:9.3"),
        None,
        "tag disagrees with the repository"
    );
}

#[test]
fn base_name_without_version_gives_nothing() {
    for name in [
        "alpine:latest",
        "alpine",
        "alpine:edge",
        "debian:stable-slim",
        "debian:sid",
        "ubuntu:rolling",
        "fedora:rawhide",
        "busybox:1.36",
        "scratch",
        "myorg/alpine:3.19",
        "alpine:20240101",
    ] {
        assert_eq!(base(name), None, "{name}");
    }
}

#[test]
fn red_hat_labels() {
    let ubi = |name: &str, version: &str| {
        distro(&with_labels(&[
            ("vendor", "Red Hat, Inc."),
            ("name", name),
            ("version", version),
        ]))
    };
    assert_eq!(
        ubi("ubi9", "9.4").as_deref(),
        Some("Red Hat Enterprise Linux 9.4")
    );
    assert_eq!(
        ubi("ubi9/ubi", "9.8").as_deref(),
        Some("Red Hat Enterprise Linux 9.8")
    );
    assert_eq!(
        ubi("ubi8-minimal", "8.10").as_deref(),
        Some("Red Hat Enterprise Linux 8.10")
    );
    assert_eq!(ubi("ubi9/python-312", "1"), None, "product image on UBI");
    assert_eq!(ubi("ubi9", "2.0"), None, "application overrode version");
    assert_eq!(ubi("ubi9", "latest"), None);
    let other_vendor = distro(&with_labels(&[
        ("vendor", "Acme"),
        ("name", "ubi9"),
        ("version", "9.4"),
    ]));
    assert_eq!(other_vendor, None);
}

#[test]
fn ubuntu_ref_name_labels() {
    let labels = [(REF_NAME_LABEL, "ubuntu"), (VERSION_LABEL, "22.04")];
    assert_eq!(
        distro(&with_labels(&labels)).as_deref(),
        Some("Ubuntu 22.04")
    );

    let mut recorded = with_labels(&labels);
    recorded.history = vec![
        "/bin/sh -c #(nop)  LABEL org.opencontainers.image.ref.name=ubuntu".into(),
        "/bin/sh -c #(nop)  LABEL org.opencontainers.image.version=22.04".into(),
    ];
    assert_eq!(distro(&recorded).as_deref(), Some("Ubuntu 22.04"));

    // An application that replaced the version label (its own calendar version here).
    recorded.labels.insert(VERSION_LABEL.into(), "24.10".into());
    assert_eq!(distro(&recorded), None);
    // An application version that no Ubuntu release could have.
    let app = with_labels(&[(REF_NAME_LABEL, "ubuntu"), (VERSION_LABEL, "1.4.2")]);
    assert_eq!(distro(&app), None);
    // The version label alone is the application's.
    assert_eq!(distro(&with_labels(&[(VERSION_LABEL, "22.04")])), None);
    // ref.name that is not a distribution.
    assert_eq!(
        distro(&with_labels(&[
            (REF_NAME_LABEL, "myapp"),
            (VERSION_LABEL, "22.04")
        ])),
        None
    );
}

#[test]
fn alpine_rootfs_history() {
    let config = with_history(&[
        "ADD alpine-minirootfs-3.20.3-aarch64.tar.gz / # buildkit",
        "CMD",
    ]);
    assert_eq!(distro(&config).as_deref(), Some("Alpine Linux 3.20.3"));
    let classic = with_history(&["/bin/sh -c #(nop) ADD file:0123abcd in / "]);
    assert_eq!(distro(&classic), None);
    let snapshot = with_history(&["ADD alpine-minirootfs-20240329-x86_64.tar.gz /"]);
    assert_eq!(
        distro(&snapshot),
        None,
        "edge snapshots are dated, not versioned"
    );
}

#[test]
fn debuerreotype_history() {
    let line = "# debian.sh --arch 'amd64' out/ 'bookworm' '@1765152000'";
    assert_eq!(
        distro(&with_history(&[line])).as_deref(),
        Some("Debian GNU/Linux 12")
    );
    let sid = "# debian.sh --arch 'amd64' out/ 'sid' '@1766966400'";
    assert_eq!(distro(&with_history(&[sid])), None);
}

#[test]
fn not_distro_evidence() {
    // busybox's own history line mentions the Debian release its glibc came from.
    assert_eq!(
        distro(&with_history(&["BusyBox 1.37.0 (glibc), Debian 12"])),
        None
    );
    let nginx = ImageConfig {
        env: vec!["PKG_RELEASE=1~buster".into(), "NGINX_VERSION=1.17.3".into()],
        ..ImageConfig::default()
    };
    assert_eq!(distro(&nginx), None);
    let centos = with_labels(&[
        ("org.label-schema.name", "CentOS Base Image"),
        ("org.label-schema.build-date", "20181006"),
    ]);
    assert_eq!(distro(&centos), None);
}

#[test]
fn rule_order_prefers_base_name() {
    let mut config = with_labels(&[(BASE_NAME_LABEL, "alpine:3.19")]);
    config.history = vec!["ADD alpine-minirootfs-3.19.1-x86_64.tar.gz /".into()];
    assert_eq!(distro(&config).as_deref(), Some("Alpine Linux 3.19"));
    config.labels.clear();
    assert_eq!(distro(&config).as_deref(), Some("Alpine Linux 3.19.1"));
}

/// What each real shared image is expected to yield; every archive must be listed.
fn expected_real() -> BTreeMap<&'static str, Option<&'static str>> {
    BTreeMap::from([
        // Classic-builder history (`ADD file:<hash> in /`) and no labels: nothing to go on.
        ("alpine/alpine-3.10.2.docker-save.tar.gz", None),
        ("alpine/alpine-3.10.3.docker-save.tar.gz", None),
        ("alpine/alpine-3.10.4.docker-save.tar.gz", None),
        ("alpine/alpine-3.11.5.docker-save.tar.gz", None),
        ("alpine/alpine-3.12.0-trimmed.oci-archive.tar", None),
        ("alpine/alpine-3.14.9.containerd-export.tar", None),
        ("alpine/alpine-3.9.4.docker-save.tar.gz", None),
        ("alpine/app-on-alpine-3.10.1.gz-layers.tar", None),
        // BuildKit history names the root filesystem tarball.
        (
            "alpine/alpine-3.22.0.docker-save.tar",
            Some("Alpine Linux 3.22.0"),
        ),
        // Signatures and synthetic test images: no OS evidence.
        (
            "artifacts/cosign-sig-att-busybox-amd64.oci-layout.tar",
            None,
        ),
        ("artifacts/regclient-testrepo.oci-layout.tar", None),
        // busybox is not a distribution.
        ("busybox/busybox-1.31.1.oci-archive.tar", None),
        (
            "busybox/busybox-1.36.1-glibc-amd64.containerd-export.tar",
            None,
        ),
        (
            "busybox/busybox-1.36.1-glibc-arm64v8.containerd-export.tar",
            None,
        ),
        (
            "busybox/busybox-1.36.1-glibc-armv7.containerd-export.tar",
            None,
        ),
        (
            "busybox/busybox-arm64-with-attestation.containerd-export.tar",
            None,
        ),
        ("busybox/dive-test-busybox-14-layers.docker-save.tar", None),
        ("busybox/dive-test-kaniko-busybox.docker-save.tar", None),
        // label-schema says CentOS, but no label says which version.
        ("centos/centos6-trimmed.docker-archive.tar", None),
        // Debian 8/10 and Ubuntu 18.04 configs of the classic-builder era carry no evidence.
        ("debian/dockergoof-debian8-trimmed.docker-save.tar", None),
        (
            "debian/nginx-debian10-osrelease-symlink-trimmed.docker-save.tar",
            None,
        ),
        ("debian/nginx-debian10-trimmed.docker-save.tar", None),
        ("scratch/hello-world.docker25-save.tar", None),
        // base.name is `alpine:latest`: no version, so no guess.
        ("scratch/oci-labels-arm64.docker25-save.tar", None),
        ("ubuntu/testjar-ubuntu18.04-trimmed.docker-save.tar", None),
    ])
}

#[test]
fn real_shared_images() {
    let expected = expected_real();
    let found = archives();
    let listed: Vec<&str> = expected.keys().copied().collect();
    assert_eq!(
        found, listed,
        "shared images changed; update expected_real()"
    );
    for (path, want) in expected {
        let images = Archive::open(path).images();
        assert!(!images.is_empty(), "{path}: no image found");
        for image in images {
            let config = config::parse(&image.config).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(distro(&config).as_deref(), want, "{path}");
        }
    }
}

#[test]
fn real_oci_labels_image_names_alpine_latest() {
    let archive = Archive::open("scratch/oci-labels-arm64.docker25-save.tar");
    let config = config::parse(&archive.images()[0].config).expect("parses");
    assert_eq!(config.labels[BASE_NAME_LABEL], "alpine:latest");
    let pinned = ImageConfig {
        labels: [(BASE_NAME_LABEL.to_owned(), "alpine:3.19".to_owned())].into(),
        ..config
    };
    assert_eq!(distro(&pinned).as_deref(), Some("Alpine Linux 3.19"));
}
