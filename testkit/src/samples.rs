//! The generated sample set and the exact assets a crawl of it must produce.
//!
//! [`load_samples`] pushes a fixed set of small images to a registry and returns, as plain
//! data, what `nuccrawl` must write after crawling every repository of that registry
//! (`ADDR/**`): one [`ExpectedImage`] per runnable image manifest (with all tags that reach
//! it, an index's tags going to each of its platform images), and the count of skipped
//! manifests per kind in [`Samples::skipped`]. Everything is deterministic: the same bytes
//! and digests on every run, whatever the registry address.
//!
//! | repository | content | distro rule exercised → expected `image_distro` |
//! |---|---|---|
//! | `samples/alpine` | Docker schema 2, tags `3.19` `3.19.1` `latest` (one asset); plus a cosign signature tag `sha256-<hex>.sig` | (a) `org.opencontainers.image.base.name=alpine:3.19` → `Alpine Linux 3.19` |
//! | `samples/debian` | OCI manifest, tags `12` `bookworm` | (a) base name `debian:12` (with `ref.name`/`version` labels) → `Debian GNU/Linux 12` |
//! | `ubuntu` (top level) | OCI manifest, tags `22.04` `jammy` | (a) base name `ubuntu:22.04` (with label-schema labels) → `Ubuntu 22.04` |
//! | `samples/centos` | Docker schema 2, tag `7` | (a) base name `centos:7` (with label-schema labels) → `CentOS Linux 7` |
//! | `samples/team/sub/app` | OCI manifest in a nested path, tags `1.0` `latest` | (b) labels `name=ubi9`, `version=9.3`, `vendor` → `Red Hat Enterprise Linux 9.3` |
//! | `samples/multi` | OCI index, tags `v1` `stable`: linux/amd64, linux/arm/v7, linux/arm64/v8 (config without variant: the index entry wins) + one BuildKit attestation per platform | (d) history `ADD alpine-minirootfs-3.22.0-<arch>.tar.gz /` → `Alpine Linux 3.22.0` |
//! | `samples/single` | Docker manifest list with one linux/amd64 entry, tag `single` | history `ADD file:… in /` + `CMD ["/bin/sh"]` only → none |
//! | `samples/many` | 320 tags `t000`…`t319` over 4 images (tag `tN` → image `N % 4`) | no evidence → none |
//! | `samples/charts/mysql` | Helm chart artifact, tag `8.8.26` | not an image (skipped) |
//!
//! Expected totals: 13 images; skipped `attestation` 3, `signature` 1, `helm chart` 1
//! (distinct manifests, each counted once however many tags reach it).

use std::collections::BTreeMap;

use crate::client::Credentials;
use crate::digest::hex_part;
use crate::images::{
    gzip_tar, media, Blob, BuiltManifest, ConfigBuilder, IndexBuilder, IndexEntry, ManifestBuilder,
};
use crate::push::{push_image, push_index, push_manifest};

/// Tags pushed to `samples/many`: more than a default 100-entry page, several times over.
pub const MANY_TAGS: usize = 320;

/// Distinct images behind the tags of `samples/many`.
pub const MANY_IMAGES: usize = 4;

/// One image asset the crawl must produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedImage {
    /// Repository path without the registry host.
    pub repo: String,
    /// `sha256:` of the image manifest.
    pub manifest_digest: String,
    /// `sha256:` of the config.
    pub config_digest: String,
    /// Every tag reaching this image, sorted.
    pub tags: Vec<String>,
    /// Platform OS.
    pub os: String,
    /// Platform architecture.
    pub arch: String,
    /// Architecture variant.
    pub variant: Option<String>,
    /// Distribution the derive rules must report.
    pub distro: Option<String>,
    /// The manifest bytes as pushed.
    pub manifest: Vec<u8>,
    /// The config bytes as pushed.
    pub config: Vec<u8>,
}

/// What the sample registry holds and what crawling it must yield.
#[derive(Debug, Clone)]
pub struct Samples {
    /// Expected assets, sorted by repository then manifest digest.
    pub images: Vec<ExpectedImage>,
    /// Manifests that are not assets, counted by kind (`attestation`, `signature`,
    /// `helm chart`).
    pub skipped: BTreeMap<String, usize>,
    /// Every repository pushed, sorted (the catalog).
    pub repos: Vec<String>,
}

/// Pushes the sample set to the anonymous registry at `addr` (`127.0.0.1:PORT`).
pub fn load_samples(addr: &str) -> anyhow::Result<Samples> {
    load_samples_with(addr, None)
}

/// Pushes the sample set with optional Basic credentials.
pub fn load_samples_with(addr: &str, auth: Option<&Credentials>) -> anyhow::Result<Samples> {
    let mut s = Loader {
        addr,
        auth,
        images: Vec::new(),
        skipped: BTreeMap::new(),
    };
    let alpine = s.single(
        "samples/alpine",
        Kind::Docker,
        alpine_config(),
        &["3.19", "3.19.1", "latest"],
        Some("Alpine Linux 3.19"),
    )?;
    s.signature("samples/alpine", &alpine)?;
    s.single(
        "samples/debian",
        Kind::Oci,
        debian_config(),
        &["12", "bookworm"],
        Some("Debian GNU/Linux 12"),
    )?;
    s.single(
        "ubuntu",
        Kind::Oci,
        ubuntu_config(),
        &["22.04", "jammy"],
        Some("Ubuntu 22.04"),
    )?;
    s.single(
        "samples/centos",
        Kind::Docker,
        centos_config(),
        &["7"],
        Some("CentOS Linux 7"),
    )?;
    s.single(
        "samples/team/sub/app",
        Kind::Oci,
        ubi_config(),
        &["1.0", "latest"],
        Some("Red Hat Enterprise Linux 9.3"),
    )?;
    s.multi()?;
    s.single_entry_list()?;
    s.many()?;
    s.helm()?;
    let mut images = s.images;
    images.sort_by(|a, b| (&a.repo, &a.manifest_digest).cmp(&(&b.repo, &b.manifest_digest)));
    let mut repos: Vec<String> = images.iter().map(|i| i.repo.clone()).collect();
    repos.push(HELM_REPO.into());
    repos.sort();
    repos.dedup();
    Ok(Samples {
        images,
        skipped: s.skipped,
        repos,
    })
}

/// Repository of the Helm chart artifact.
const HELM_REPO: &str = "samples/charts/mysql";

/// Manifest flavour of a single image.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Docker,
    Oci,
}

struct Loader<'a> {
    addr: &'a str,
    auth: Option<&'a Credentials>,
    images: Vec<ExpectedImage>,
    skipped: BTreeMap<String, usize>,
}

impl Loader<'_> {
    /// Pushes one single-platform image under every tag and records it.
    fn single(
        &mut self,
        repo: &str,
        kind: Kind,
        config: ConfigBuilder,
        tags: &[&str],
        distro: Option<&str>,
    ) -> anyhow::Result<BuiltManifest> {
        let image = build_image(kind, config, &format!("{repo} rootfs"))?;
        for tag in tags {
            push_image(self.addr, repo, tag, &image, self.auth)?;
        }
        let (os, arch, variant) = config_platform(&image.config.bytes)?;
        self.record(repo, &image, tags, (os, arch, variant), distro);
        Ok(image)
    }

    fn record(
        &mut self,
        repo: &str,
        image: &BuiltManifest,
        tags: &[&str],
        platform: (String, String, Option<String>),
        distro: Option<&str>,
    ) {
        let mut tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        tags.sort();
        self.images.push(ExpectedImage {
            repo: repo.into(),
            manifest_digest: image.digest(),
            config_digest: image.config_digest(),
            tags,
            os: platform.0,
            arch: platform.1,
            variant: platform.2,
            distro: distro.map(str::to_string),
            manifest: image.bytes.clone(),
            config: image.config.bytes.clone(),
        });
    }

    fn skip(&mut self, kind: &str) {
        *self.skipped.entry(kind.into()).or_default() += 1;
    }

    /// A cosign simple-signing manifest tagged `sha256-<hex>.sig` beside `target`.
    fn signature(&mut self, repo: &str, target: &BuiltManifest) -> anyhow::Result<()> {
        let digest = target.digest();
        let payload = serde_json::to_vec(&serde_json::json!({
            "critical": {
                "identity": {"docker-reference": repo},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature"
            },
            "optional": null
        }))?;
        let layer = Blob::new(media::COSIGN_SIMPLE_SIGNING, payload.clone()).annotate(
            "dev.cosignproject.cosign/signature",
            "MEUCIQDsampleSignatureNotVerifiable0000000000000000000000000AiEAsample==",
        );
        let config = ConfigBuilder::new("", "").layer_step("", &crate::sha256_digest(&payload));
        let sig = ManifestBuilder::oci(Blob::new(media::OCI_CONFIG, config.build()))
            .layer(layer)
            .build();
        let tag = format!("sha256-{}.sig", hex_part(&digest)?);
        push_image(self.addr, repo, &tag, &sig, self.auth)?;
        self.skip("signature");
        Ok(())
    }

    /// The multi-platform OCI index with BuildKit attestations.
    fn multi(&mut self) -> anyhow::Result<()> {
        const REPO: &str = "samples/multi";
        const TAGS: [&str; 2] = ["v1", "stable"];
        let platforms = [
            ("amd64", None, None, "x86_64"),
            ("arm", Some("v7"), Some("v7"), "armv7"),
            // busybox-style: the index says v8, the config has no variant.
            ("arm64", Some("v8"), None, "aarch64"),
        ];
        let mut index = IndexBuilder::oci();
        let mut children = Vec::new();
        for (arch, entry_variant, config_variant, rootfs_arch) in platforms {
            let mut cfg = ConfigBuilder::new("linux", arch);
            if let Some(v) = config_variant {
                cfg = cfg.variant(v);
            }
            let image = minirootfs_image(cfg, rootfs_arch)?;
            index = index.entry(IndexEntry::new(image.clone(), "linux", arch, entry_variant));
            children.push((image, arch, entry_variant));
        }
        for (image, _, _) in &children {
            let att = attestation(image)?;
            index = index.entry(
                IndexEntry::new(att, "unknown", "unknown", None)
                    .annotate("vnd.docker.reference.digest", &image.digest())
                    .annotate("vnd.docker.reference.type", "attestation-manifest"),
            );
            self.skip("attestation");
        }
        for tag in TAGS {
            push_index(self.addr, REPO, tag, &index, self.auth)?;
        }
        for (image, arch, variant) in &children {
            let platform = (
                "linux".into(),
                arch.to_string(),
                variant.map(str::to_string),
            );
            self.record(REPO, image, &TAGS, platform, Some("Alpine Linux 3.22.0"));
        }
        Ok(())
    }

    /// A Docker manifest list holding a single linux/amd64 entry.
    fn single_entry_list(&mut self) -> anyhow::Result<()> {
        const REPO: &str = "samples/single";
        let cfg = ConfigBuilder::new("linux", "amd64");
        let layer = gzip_tar(&[("bin/sh", b"#!sample\n")])?;
        let cfg = cfg
            .layer_step(
                "/bin/sh -c #(nop) ADD file:5e7a8f3bd0d5e9b7c8a3f1e2d4c6b8a0f1e2d3c4b5a697887766554433221100 in / ",
                &layer.diff_id,
            )
            .empty_step("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]")
            .cmd(&["/bin/sh"]);
        let image = ManifestBuilder::docker(Blob::new(media::DOCKER_CONFIG, cfg.build()))
            .layer(Blob::new(media::DOCKER_LAYER_GZIP, layer.gzipped))
            .build();
        let index = IndexBuilder::docker_list().entry(IndexEntry::new(
            image.clone(),
            "linux",
            "amd64",
            None,
        ));
        push_index(self.addr, REPO, "single", &index, self.auth)?;
        self.record(
            REPO,
            &image,
            &["single"],
            ("linux".into(), "amd64".into(), None),
            None,
        );
        Ok(())
    }

    /// `samples/many`: [`MANY_TAGS`] tags over [`MANY_IMAGES`] images.
    fn many(&mut self) -> anyhow::Result<()> {
        const REPO: &str = "samples/many";
        for i in 0..MANY_IMAGES {
            let cfg = ConfigBuilder::new("linux", "amd64").env(&format!("SAMPLE_INDEX={i}"));
            let image = build_image(Kind::Oci, cfg, &format!("many image {i}"))?;
            let tags: Vec<String> = (0..MANY_TAGS)
                .filter(|n| n % MANY_IMAGES == i)
                .map(|n| format!("t{n:03}"))
                .collect();
            let (first, rest) = tags.split_first().expect("every image gets tags");
            push_image(self.addr, REPO, first, &image, self.auth)?;
            for tag in rest {
                push_manifest(
                    self.addr,
                    REPO,
                    tag,
                    &image.media_type,
                    &image.bytes,
                    self.auth,
                )?;
            }
            let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
            self.record(
                REPO,
                &image,
                &tag_refs,
                ("linux".into(), "amd64".into(), None),
                None,
            );
        }
        Ok(())
    }

    /// A Helm chart pushed as Helm 3 does (image manifest type, Helm config and layer).
    fn helm(&mut self) -> anyhow::Result<()> {
        let chart_yaml = b"apiVersion: v2\nname: mysql\nversion: 8.8.26\nappVersion: 8.0.29\n\
description: Sample chart generated by nuccrawl-testkit\ntype: application\n";
        let chart = gzip_tar(&[("mysql/Chart.yaml", chart_yaml)])?;
        let config = serde_json::to_vec(&serde_json::json!({
            "name": "mysql", "version": "8.8.26", "appVersion": "8.0.29",
            "apiVersion": "v2", "type": "application",
            "description": "Sample chart generated by nuccrawl-testkit"
        }))?;
        let manifest = ManifestBuilder::oci(Blob::new(media::HELM_CONFIG, config))
            .layer(Blob::new(media::HELM_CHART, chart.gzipped))
            .build();
        push_image(self.addr, HELM_REPO, "8.8.26", &manifest, self.auth)?;
        self.skip("helm chart");
        Ok(())
    }
}

/// Builds a one-layer image of `kind` whose layer holds a marker file naming `seed`.
fn build_image(kind: Kind, config: ConfigBuilder, seed: &str) -> anyhow::Result<BuiltManifest> {
    let content = format!("{seed}\n");
    let layer = gzip_tar(&[("etc/sample-marker", content.as_bytes())])?;
    let config = config
        .layer_step(
            &format!("COPY marker /etc/sample-marker # {seed}"),
            &layer.diff_id,
        )
        .empty_step("CMD [\"/bin/sh\"]")
        .cmd(&["/bin/sh"]);
    Ok(match kind {
        Kind::Docker => ManifestBuilder::docker(Blob::new(media::DOCKER_CONFIG, config.build()))
            .layer(Blob::new(media::DOCKER_LAYER_GZIP, layer.gzipped)),
        Kind::Oci => ManifestBuilder::oci(Blob::new(media::OCI_CONFIG, config.build()))
            .layer(Blob::new(media::OCI_LAYER_GZIP, layer.gzipped)),
    }
    .build())
}

/// A BuildKit-style image whose history names Alpine's minirootfs tarball.
fn minirootfs_image(config: ConfigBuilder, rootfs_arch: &str) -> anyhow::Result<BuiltManifest> {
    let release = format!("NAME=\"Alpine Linux\"\nVERSION_ID=3.22.0\nARCH={rootfs_arch}\n");
    let layer = gzip_tar(&[("etc/os-release", release.as_bytes())])?;
    let config = config
        .layer_step(
            &format!("ADD alpine-minirootfs-3.22.0-{rootfs_arch}.tar.gz / # buildkit"),
            &layer.diff_id,
        )
        .empty_step("CMD [\"/bin/sh\"]")
        .cmd(&["/bin/sh"]);
    Ok(
        ManifestBuilder::oci(Blob::new(media::OCI_CONFIG, config.build()))
            .layer(Blob::new(media::OCI_LAYER_GZIP, layer.gzipped))
            .build(),
    )
}

/// A BuildKit attestation manifest for `subject` (in-toto layer, `unknown` platform config).
fn attestation(subject: &BuiltManifest) -> anyhow::Result<BuiltManifest> {
    let statement = serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": "pkg:docker/samples/multi@v1",
                     "digest": {"sha256": hex_part(&subject.digest())?}}],
        "predicate": {"spdxVersion": "SPDX-2.3", "name": "sample"}
    }))?;
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "unknown", "os": "unknown", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [crate::sha256_digest(&statement)]}
    }))?;
    Ok(ManifestBuilder::oci(Blob::new(media::OCI_CONFIG, config))
        .layer(
            Blob::new(media::IN_TOTO, statement)
                .annotate("in-toto.io/predicate-type", "https://spdx.dev/Document"),
        )
        .build())
}

/// os, architecture, variant of a config.
fn config_platform(config: &[u8]) -> anyhow::Result<(String, String, Option<String>)> {
    let v: serde_json::Value = serde_json::from_slice(config)?;
    let s = |k: &str| v[k].as_str().map(str::to_string);
    Ok((
        s("os").unwrap_or_default(),
        s("architecture").unwrap_or_default(),
        s("variant"),
    ))
}

/// Rule (a): an Alpine base named by `org.opencontainers.image.base.name`; the history has
/// the classic `ADD file:… in /` that alone proves nothing.
fn alpine_config() -> ConfigBuilder {
    ConfigBuilder::new("linux", "amd64")
        .label("org.opencontainers.image.base.name", "alpine:3.19")
        .empty_step("/bin/sh -c #(nop) ADD file:37a76ec18f9887751cd8473744917d08b7431fc4085097bb6a09d81b41775473 in / ")
}

/// Rule (a) for Debian, with OCI `ref.name`/`version` labels as well.
fn debian_config() -> ConfigBuilder {
    ConfigBuilder::new("linux", "amd64")
        .label("org.opencontainers.image.base.name", "debian:12")
        .label("org.opencontainers.image.ref.name", "debian")
        .label("org.opencontainers.image.version", "12")
}

/// Rule (a) for Ubuntu, with label-schema labels that agree.
fn ubuntu_config() -> ConfigBuilder {
    ConfigBuilder::new("linux", "amd64")
        .label("org.opencontainers.image.base.name", "ubuntu:22.04")
        .label("org.label-schema.name", "Ubuntu")
        .label("org.label-schema.version", "22.04")
        .label("org.label-schema.schema-version", "1.0")
}

/// Rule (a) for CentOS, with label-schema labels like the real `centos:7`.
fn centos_config() -> ConfigBuilder {
    ConfigBuilder::new("linux", "amd64")
        .label("org.opencontainers.image.base.name", "centos:7")
        .label("org.label-schema.name", "CentOS Base Image")
        .label("org.label-schema.vendor", "CentOS")
        .label("org.label-schema.license", "GPLv2")
        .label("org.label-schema.build-date", "20201113")
        .label("org.label-schema.schema-version", "1.0")
}

/// Rule (b): Red Hat UBI labels.
fn ubi_config() -> ConfigBuilder {
    ConfigBuilder::new("linux", "amd64")
        .label("name", "ubi9")
        .label("version", "9.3")
        .label("vendor", "Red Hat, Inc.")
        .label("com.redhat.component", "ubi9-container")
}
