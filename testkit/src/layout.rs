//! Pushing the content of OCI image layouts (containerd exports) byte for byte.
//!
//! A layout may be spread over several directories that share one `index.json` (the three
//! busybox exports each hold one platform of the same upstream index); blobs are looked up
//! in all of them. Manifests and indexes are pushed with their exact bytes so the upstream
//! digests survive. Children absent from every directory are left out, and an index naming
//! absent children, which Distribution refuses over the API, is written into the registry's
//! storage instead when the caller gives it (see [`crate::storage`]).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value;

use crate::client::Credentials;
use crate::digest::hex_part;
use crate::push::{push_blob, push_manifest, ManifestRejected};
use crate::storage::plant_manifest;

/// Annotation BuildKit puts on attestation entries.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// Where and how to push.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// `127.0.0.1:PORT`.
    pub addr: &'a str,
    /// Credentials, if the registry wants them.
    pub auth: Option<&'a Credentials>,
    /// The registry's storage root, to store indexes the API refuses; `None` to fail instead.
    pub storage: Option<&'a Path>,
}

/// The result of pushing one descriptor.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// Digest of the pushed manifest or index.
    pub digest: String,
    /// Config digest, for an image manifest.
    pub config_digest: Option<String>,
    /// `os/arch[/variant]` of each runnable platform child present (indexes only).
    pub platforms: Vec<String>,
    /// Whether the index had to be written into storage.
    pub planted: bool,
}

/// An OCI layout spread over one or more extracted directories.
#[derive(Debug, Clone)]
pub struct Layout {
    dirs: Vec<PathBuf>,
}

impl Layout {
    /// A layout reading blobs from `dirs` and `index.json` from the first.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Self { dirs }
    }

    /// The top-level descriptors of `index.json`.
    pub fn top_descriptors(&self) -> anyhow::Result<Vec<Value>> {
        let path = self
            .dirs
            .first()
            .context("layout has no directory")?
            .join("index.json");
        let index: Value = serde_json::from_slice(&fs::read(&path)?)
            .with_context(|| format!("parsing {}", path.display()))?;
        Ok(index["manifests"].as_array().cloned().unwrap_or_default())
    }

    /// The bytes of blob `digest`, or `None` if no directory holds it.
    pub fn blob(&self, digest: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let hex = hex_part(digest)?;
        for dir in &self.dirs {
            let p = dir.join("blobs/sha256").join(hex);
            if p.is_file() {
                return Ok(Some(fs::read(p)?));
            }
        }
        Ok(None)
    }

    /// Pushes the manifest or index `desc` points at (and everything under it) to `repo`,
    /// tagged `tag` (else by digest). `None` when the layout does not hold it.
    pub fn push(
        &self,
        dest: Destination<'_>,
        repo: &str,
        desc: &Value,
        tag: Option<&str>,
    ) -> anyhow::Result<Option<Pushed>> {
        let digest = desc["digest"]
            .as_str()
            .context("descriptor without digest")?;
        let Some(bytes) = self.blob(digest)? else {
            return Ok(None);
        };
        let parsed: Value = serde_json::from_slice(&bytes)?;
        let media_type = desc["mediaType"]
            .as_str()
            .or(parsed["mediaType"].as_str())
            .context("manifest without media type")?
            .to_string();
        let reference = tag.unwrap_or(digest);
        if parsed["manifests"].is_array() {
            self.push_index(dest, repo, reference, &media_type, &bytes, &parsed)
        } else {
            self.push_manifest(dest, repo, reference, &media_type, &bytes, &parsed)
                .map(Some)
        }
    }

    fn push_manifest(
        &self,
        dest: Destination<'_>,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        parsed: &Value,
    ) -> anyhow::Result<Pushed> {
        let config = &parsed["config"];
        let layers = parsed["layers"].as_array().cloned().unwrap_or_default();
        for d in std::iter::once(config).chain(layers.iter()) {
            let blob_digest = d["digest"].as_str().context("descriptor without digest")?;
            let blob = self
                .blob(blob_digest)?
                .with_context(|| format!("layout lacks blob {blob_digest}"))?;
            push_blob(dest.addr, repo, &blob, dest.auth)?;
        }
        let digest = push_manifest(dest.addr, repo, reference, media_type, bytes, dest.auth)?;
        let config_digest = config["digest"].as_str().map(str::to_string);
        Ok(Pushed {
            digest,
            config_digest,
            platforms: Vec::new(),
            planted: false,
        })
    }

    fn push_index(
        &self,
        dest: Destination<'_>,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        parsed: &Value,
    ) -> anyhow::Result<Option<Pushed>> {
        let mut platforms = Vec::new();
        for child in parsed["manifests"].as_array().into_iter().flatten() {
            let pushed = self.push(dest, repo, child, None)?;
            if pushed.is_some() && child["annotations"][REFERENCE_TYPE].is_null() {
                platforms.push(platform_string(&child["platform"]));
            }
        }
        let (digest, planted) =
            match push_manifest(dest.addr, repo, reference, media_type, bytes, dest.auth) {
                Ok(d) => (d, false),
                Err(e)
                    if e.downcast_ref::<ManifestRejected>().is_some() && dest.storage.is_some() =>
                {
                    let storage = dest.storage.expect("checked above");
                    let tag = (!reference.starts_with("sha256:")).then_some(reference);
                    (plant_manifest(storage, repo, tag, bytes)?, true)
                }
                Err(e) => return Err(e),
            };
        Ok(Some(Pushed {
            digest,
            config_digest: None,
            platforms,
            planted,
        }))
    }
}

/// `os/arch[/variant]` of a platform object (empty parts for a missing platform).
pub fn platform_string(p: &Value) -> String {
    let os = p["os"].as_str().unwrap_or_default();
    let arch = p["architecture"].as_str().unwrap_or_default();
    match p["variant"].as_str() {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    }
}

/// Extracts the tar at `archive` into a new directory under `into`.
pub fn untar(archive: &Path, into: &Path) -> anyhow::Result<PathBuf> {
    let name = archive.file_name().context("archive without file name")?;
    let dir = into.join(name).with_extension("d");
    fs::create_dir_all(&dir)?;
    let file = fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    tar::Archive::new(file)
        .unpack(&dir)
        .with_context(|| format!("extracting {}", archive.display()))?;
    Ok(dir)
}
