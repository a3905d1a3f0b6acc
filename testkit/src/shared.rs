//! Loading the real public images of `shared/images` into a [`LocalRegistry`].
//!
//! Docker-save archives and OCI archives go through `skopeo copy` (which keeps the config,
//! the image ID, byte for byte). Containerd exports are pushed here byte for byte so their
//! upstream manifest and index digests survive; the three busybox 1.36.1 exports share one
//! upstream index and are combined into one repository. The upstream index also names 17
//! manifests no fixture holds, so Distribution refuses it over the API and it is written
//! into the registry's storage (the crawl will meet those absent children as 404s).
//! Trimmed fixtures (layers cut down, real configs) are pushed with new OCI manifests
//! around their original config and layer bytes.
//!
//! The fixture directory is `$NUCCRAWL_SHARED/images`, else `<workspace>/../shared/images`.
//! Files are read in place and never copied into the project.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use serde_json::Value;

use crate::digest::sha256_digest;
use crate::images::{media, Blob, ManifestBuilder};
use crate::layout::{platform_string, untar, Destination, Layout};
use crate::push::push_image;
use crate::query;
use crate::registry::LocalRegistry;

/// Environment variable naming the `shared` directory (which holds `images/`).
pub const SHARED_ENV: &str = "NUCCRAWL_SHARED";

/// One image (or index) pushed from a fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedImage {
    /// Repository it was pushed to (`shared/<name>`).
    pub repo: String,
    /// Tag it was pushed under.
    pub tag: String,
    /// Digest of the manifest or index the tag points at, as the registry serves it.
    pub manifest_digest: String,
    /// The image ID recorded by the archive (its config digest); `None` for an index.
    pub expected_config_digest: Option<String>,
    /// `os/arch[/variant]` of the runnable image(s) the tag reaches and the registry holds.
    pub platforms: Vec<String>,
    /// Fixture files it came from, relative to `shared/images`.
    pub sources: Vec<String>,
}

/// How a fixture is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `docker save` style archive, possibly gzipped: through skopeo `docker-archive:`.
    DockerArchive,
    /// OCI archive: through skopeo `oci-archive:`.
    OciArchive,
    /// Containerd export(s) / OCI layout(s): pushed here byte for byte.
    Layout,
    /// Trimmed docker-save archive: original config and layers under a new OCI manifest.
    Trimmed,
}

/// The fixtures loaded: (files, source, repository, tag).
const FIXTURES: &[(&[&str], Source, &str, &str)] = &[
    (
        &["alpine/alpine-3.9.4.docker-save.tar.gz"],
        Source::DockerArchive,
        "shared/alpine",
        "3.9.4",
    ),
    (
        &["alpine/alpine-3.10.2.docker-save.tar.gz"],
        Source::DockerArchive,
        "shared/alpine",
        "3.10.2",
    ),
    (
        &["alpine/alpine-3.10.3.docker-save.tar.gz"],
        Source::DockerArchive,
        "shared/alpine",
        "3.10.3",
    ),
    (
        &["alpine/alpine-3.10.4.docker-save.tar.gz"],
        Source::DockerArchive,
        "shared/alpine",
        "3.10.4",
    ),
    (
        &["alpine/alpine-3.11.5.docker-save.tar.gz"],
        Source::DockerArchive,
        "shared/alpine",
        "3.11.5",
    ),
    (
        &["alpine/alpine-3.22.0.docker-save.tar"],
        Source::DockerArchive,
        "shared/alpine",
        "3.22.0",
    ),
    (
        &["alpine/alpine-3.14.9.containerd-export.tar"],
        Source::Layout,
        "shared/alpine",
        "3.14.9",
    ),
    (
        &["alpine/app-on-alpine-3.10.1.gz-layers.tar"],
        Source::DockerArchive,
        "shared/app-on-alpine",
        "3.10.1",
    ),
    (
        &[
            "busybox/busybox-1.36.1-glibc-amd64.containerd-export.tar",
            "busybox/busybox-1.36.1-glibc-arm64v8.containerd-export.tar",
            "busybox/busybox-1.36.1-glibc-armv7.containerd-export.tar",
        ],
        Source::Layout,
        "shared/busybox",
        "1.36.1-glibc",
    ),
    (
        &["busybox/busybox-1.31.1.oci-archive.tar"],
        Source::OciArchive,
        "shared/busybox",
        "1.31.1",
    ),
    (
        &["busybox/busybox-arm64-with-attestation.containerd-export.tar"],
        Source::Layout,
        "shared/busybox-attest",
        "v3",
    ),
    (
        &["busybox/dive-test-busybox-14-layers.docker-save.tar"],
        Source::DockerArchive,
        "shared/dive-test",
        "busybox-14-layers",
    ),
    (
        &["busybox/dive-test-kaniko-busybox.docker-save.tar"],
        Source::DockerArchive,
        "shared/dive-test",
        "kaniko",
    ),
    (
        &["scratch/hello-world.docker25-save.tar"],
        Source::DockerArchive,
        "shared/hello-world",
        "latest",
    ),
    (
        &["scratch/oci-labels-arm64.docker25-save.tar"],
        Source::DockerArchive,
        "shared/oci-labels",
        "arm64",
    ),
    (
        &["centos/centos6-trimmed.docker-archive.tar"],
        Source::Trimmed,
        "shared/centos",
        "6",
    ),
    (
        &["debian/nginx-debian10-trimmed.docker-save.tar"],
        Source::Trimmed,
        "shared/nginx",
        "1.17.3",
    ),
    (
        &["debian/dockergoof-debian8-trimmed.docker-save.tar"],
        Source::Trimmed,
        "shared/dockergoof",
        "debian8",
    ),
    (
        &["ubuntu/testjar-ubuntu18.04-trimmed.docker-save.tar"],
        Source::Trimmed,
        "shared/testjar",
        "ubuntu18.04",
    ),
];

/// The `shared/images` directory.
pub fn images_dir() -> anyhow::Result<PathBuf> {
    let shared = match std::env::var_os(SHARED_ENV) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    let dir = shared.join("images");
    if !dir.is_dir() {
        bail!(
            "fixture directory {} not found; set {SHARED_ENV} to the shared directory",
            dir.display()
        );
    }
    Ok(dir)
}

/// Pushes every fixture to `registry` and describes what each tag holds.
pub fn load_shared(registry: &LocalRegistry) -> anyhow::Result<Vec<SharedImage>> {
    let images = images_dir()?;
    let work = tempfile::Builder::new()
        .prefix("nuccrawl-shared-")
        .tempdir()?;
    let addr = registry.addr();
    let storage = registry.storage_dir();
    let dest = Destination {
        addr: &addr,
        auth: registry.credentials(),
        storage: Some(&storage),
    };
    let mut out = Vec::new();
    for (files, source, repo, tag) in FIXTURES {
        let paths: Vec<PathBuf> = files.iter().map(|f| images.join(f)).collect();
        let loaded = match source {
            Source::DockerArchive => {
                via_skopeo(dest, &paths[0], "docker-archive", repo, tag, work.path())
            }
            Source::OciArchive => {
                via_skopeo(dest, &paths[0], "oci-archive", repo, tag, work.path())
            }
            Source::Layout => via_layout(dest, &paths, repo, tag, work.path()),
            Source::Trimmed => via_new_manifest(dest, &paths[0], repo, tag),
        }
        .with_context(|| format!("loading {files:?} into {repo}:{tag}"))?;
        out.push(SharedImage {
            repo: repo.to_string(),
            tag: tag.to_string(),
            sources: files.iter().map(|f| f.to_string()).collect(),
            ..loaded
        });
    }
    Ok(out)
}

/// Copies an archive with skopeo (gunzipping it first when needed).
fn via_skopeo(
    dest: Destination<'_>,
    path: &Path,
    transport: &str,
    repo: &str,
    tag: &str,
    work: &Path,
) -> anyhow::Result<SharedImage> {
    let bytes = read_maybe_gzipped(path)?;
    let plain = work.join(format!("{}.tar", repo.replace('/', "_") + "_" + tag));
    std::fs::write(&plain, &bytes)?;
    let (config_digest, platforms) = archive_config(&bytes, transport)?;
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "copy",
        "--quiet",
        "--insecure-policy",
        "--dest-tls-verify=false",
    ]);
    if let Some(c) = dest.auth {
        cmd.arg(format!("--dest-creds={}:{}", c.username, c.password));
    }
    cmd.arg(format!("{transport}:{}", plain.display()));
    cmd.arg(format!("docker://{}/{repo}:{tag}", dest.addr));
    let out = cmd
        .output()
        .context("running skopeo (install it with `sudo apt-get install skopeo`)")?;
    if !out.status.success() {
        bail!(
            "skopeo copy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let manifest = query::manifest(dest.addr, repo, tag, dest.auth)?;
    Ok(SharedImage {
        repo: repo.into(),
        tag: tag.into(),
        manifest_digest: sha256_digest(&manifest),
        expected_config_digest: Some(config_digest),
        platforms,
        sources: Vec::new(),
    })
}

/// Pushes one or more containerd exports sharing an `index.json`, byte for byte.
fn via_layout(
    dest: Destination<'_>,
    paths: &[PathBuf],
    repo: &str,
    tag: &str,
    work: &Path,
) -> anyhow::Result<SharedImage> {
    let dirs = paths
        .iter()
        .map(|p| untar(p, work))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let layout = Layout::new(dirs);
    let top = layout.top_descriptors()?;
    let desc = top.first().context("index.json lists nothing")?;
    let pushed = layout
        .push(dest, repo, desc, Some(tag))?
        .context("layout lacks its top manifest")?;
    Ok(SharedImage {
        repo: repo.into(),
        tag: tag.into(),
        manifest_digest: pushed.digest,
        expected_config_digest: pushed.config_digest,
        platforms: pushed.platforms,
        sources: Vec::new(),
    })
}

/// Pushes a trimmed docker-save archive's config and layers under a new OCI manifest.
fn via_new_manifest(
    dest: Destination<'_>,
    path: &Path,
    repo: &str,
    tag: &str,
) -> anyhow::Result<SharedImage> {
    let entries = tar_entries(&read_maybe_gzipped(path)?)?;
    let manifest: Value =
        serde_json::from_slice(entries.get("manifest.json").context("no manifest.json")?)?;
    let item = &manifest[0];
    let config_path = item["Config"]
        .as_str()
        .context("manifest.json without Config")?;
    let config = entries
        .get(config_path)
        .context("config file missing")?
        .clone();
    let mut builder = ManifestBuilder::oci(Blob::new(media::OCI_CONFIG, config.clone()));
    for layer in item["Layers"].as_array().into_iter().flatten() {
        let name = layer.as_str().context("layer name")?;
        let bytes = entries
            .get(name)
            .with_context(|| format!("layer {name} missing"))?
            .clone();
        let media_type = if bytes.starts_with(&GZIP_MAGIC) {
            media::OCI_LAYER_GZIP
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        };
        builder = builder.layer(Blob::new(media_type, bytes));
    }
    let built = builder.build();
    let digest = push_image(dest.addr, repo, tag, &built, dest.auth)?;
    Ok(SharedImage {
        repo: repo.into(),
        tag: tag.into(),
        manifest_digest: digest,
        expected_config_digest: Some(sha256_digest(&config)),
        platforms: vec![config_platform(&config)?],
        sources: Vec::new(),
    })
}

/// First bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn read_maybe_gzipped(path: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
    Ok(out)
}

/// Every regular file of a tar, by path (fixtures are a few MiB at most).
fn tar_entries(tar_bytes: &[u8]) -> anyhow::Result<HashMap<String, Vec<u8>>> {
    let mut out = HashMap::new();
    for entry in tar::Archive::new(tar_bytes).entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        out.insert(path, bytes);
    }
    Ok(out)
}

/// The config digest and platform recorded by an archive.
fn archive_config(bytes: &[u8], transport: &str) -> anyhow::Result<(String, Vec<String>)> {
    let entries = tar_entries(bytes)?;
    let config = if transport == "oci-archive" {
        let layout_index: Value =
            serde_json::from_slice(entries.get("index.json").context("no index.json")?)?;
        let manifest = blob_entry(&entries, &layout_index["manifests"][0]["digest"])?;
        let manifest: Value = serde_json::from_slice(manifest)?;
        blob_entry(&entries, &manifest["config"]["digest"])?.clone()
    } else {
        let manifest: Value =
            serde_json::from_slice(entries.get("manifest.json").context("no manifest.json")?)?;
        let name = manifest[0]["Config"]
            .as_str()
            .context("manifest.json without Config")?;
        entries
            .get(name)
            .with_context(|| format!("config {name} missing"))?
            .clone()
    };
    Ok((sha256_digest(&config), vec![config_platform(&config)?]))
}

fn blob_entry<'a>(
    entries: &'a HashMap<String, Vec<u8>>,
    digest: &Value,
) -> anyhow::Result<&'a Vec<u8>> {
    let d = digest.as_str().context("descriptor without digest")?;
    let path = format!("blobs/{}", d.replacen(':', "/", 1));
    entries
        .get(&path)
        .with_context(|| format!("{path} missing"))
}

fn config_platform(config: &[u8]) -> anyhow::Result<String> {
    Ok(platform_string(&serde_json::from_slice::<Value>(config)?))
}
