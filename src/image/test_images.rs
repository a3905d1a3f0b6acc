//! Test support: read the real images kept in `../shared/images` without copying them.
//!
//! The directory is `$NUCCRAWL_SHARED/images` (or `$NUCCRAWL_SHARED` itself when it already
//! is the images directory), else `<repo>/../shared/images`. Archives are read whole into
//! memory; gzipped files (whatever their name) are gunzipped first. Both `docker save`
//! archives (`manifest.json`) and OCI layouts (`index.json` + `blobs/sha256/`) are understood.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

use super::Platform;

/// The first bytes of a gzip stream; some `.tar` fixtures are gzipped despite their name.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Deepest index nesting followed; the regclient test repository holds an index loop.
const MAX_DEPTH: usize = 8;

/// The shared images directory; panics with a hint when it is missing.
pub(crate) fn images_dir() -> PathBuf {
    let from_env = std::env::var_os("NUCCRAWL_SHARED").map(PathBuf::from);
    let default = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let base = from_env.unwrap_or(default);
    let dir = if base.join("images").is_dir() {
        base.join("images")
    } else {
        base
    };
    assert!(
        dir.join("alpine").is_dir(),
        "shared images not found at {} (set NUCCRAWL_SHARED)",
        dir.display()
    );
    dir
}

/// Every image archive under the images dir, as paths relative to it, sorted.
///
/// `helm/` holds a chart, not an image, and `keys/` a test key; both are left out.
pub(crate) fn archives() -> Vec<String> {
    let dir = images_dir();
    let mut found = Vec::new();
    for group in std::fs::read_dir(&dir).expect("images dir") {
        let group = group.expect("dir entry").path();
        let name = group
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if !group.is_dir() || name == "helm" || name == "keys" {
            continue;
        }
        for file in std::fs::read_dir(&group).expect("group dir") {
            let file = file
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if file.ends_with(".tar") || file.ends_with(".tar.gz") {
                found.push(format!("{name}/{file}"));
            }
        }
    }
    found.sort();
    found
}

/// Every file of one archive, by path without a leading `./`.
pub(crate) struct Archive {
    files: BTreeMap<String, Vec<u8>>,
}

/// One image found in an archive: the index entry's platform (if any) and its blobs.
pub(crate) struct FoundImage {
    /// The platform of the index entry that led here, as raw JSON.
    pub entry_platform: Option<Platform>,
    /// The manifest bytes, when the archive holds them (OCI layouts).
    pub manifest: Option<Vec<u8>>,
    /// The config bytes.
    pub config: Vec<u8>,
}

impl Archive {
    /// Open `relative` (e.g. `alpine/alpine-3.22.0.docker-save.tar`) under the images dir.
    pub(crate) fn open(relative: &str) -> Archive {
        let path = images_dir().join(relative);
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let raw = if raw.starts_with(&GZIP_MAGIC) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .expect("gunzip");
            out
        } else {
            raw
        };
        let mut files = BTreeMap::new();
        let mut tar = tar::Archive::new(&raw[..]);
        for entry in tar.entries().expect("tar entries") {
            let mut entry = entry.expect("tar entry");
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().expect("path").to_string_lossy().into_owned();
            let mut body = Vec::new();
            entry.read_to_end(&mut body).expect("tar body");
            files.insert(name.trim_start_matches("./").to_owned(), body);
        }
        Archive { files }
    }

    /// A file by path.
    pub(crate) fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// A blob by digest (`sha256:<hex>`).
    pub(crate) fn blob(&self, digest: &str) -> Option<&[u8]> {
        let hex = digest.strip_prefix("sha256:")?;
        self.file(&format!("blobs/sha256/{hex}"))
    }

    /// The descriptors listed in an OCI layout's `index.json`.
    pub(crate) fn layout_roots(&self) -> Vec<Value> {
        let index: Value = serde_json::from_slice(self.file("index.json").expect("index.json"))
            .expect("index.json is JSON");
        index["manifests"].as_array().cloned().unwrap_or_default()
    }

    /// Every image (manifest with a config) the archive holds: walked from `index.json`
    /// when the archive is (also) an OCI layout, else listed by `manifest.json`.
    pub(crate) fn images(&self) -> Vec<FoundImage> {
        let mut found = Vec::new();
        if self.file("index.json").is_some() {
            let mut seen = BTreeSet::new();
            for root in self.layout_roots() {
                self.walk(&root, 0, &mut seen, &mut found);
            }
        }
        match self.file("manifest.json") {
            Some(list) if found.is_empty() => self.docker_save_images(list),
            _ => found,
        }
    }

    /// Images of a `docker save` archive, from `manifest.json`'s `Config` entries.
    fn docker_save_images(&self, list: &[u8]) -> Vec<FoundImage> {
        let list: Vec<Value> = serde_json::from_slice(list).expect("manifest.json");
        list.iter()
            .map(|e| {
                let name = e["Config"].as_str().expect("Config");
                FoundImage {
                    entry_platform: None,
                    manifest: None,
                    config: self.file(name).expect("config file").to_vec(),
                }
            })
            .collect()
    }

    /// Walk a descriptor of an OCI layout, collecting images whose blobs are present.
    fn walk(
        &self,
        desc: &Value,
        depth: usize,
        seen: &mut BTreeSet<String>,
        found: &mut Vec<FoundImage>,
    ) {
        let digest = desc["digest"].as_str().unwrap_or_default().to_owned();
        if depth > MAX_DEPTH || !seen.insert(digest.clone()) {
            return;
        }
        let Some(body) = self.blob(&digest) else {
            return;
        };
        let json: Value = serde_json::from_slice(body).expect("manifest JSON");
        if let Some(children) = json["manifests"].as_array() {
            for child in children {
                self.walk(child, depth + 1, seen, found);
            }
        } else if let Some(config) = json["config"]["digest"].as_str().and_then(|d| self.blob(d)) {
            found.push(FoundImage {
                entry_platform: desc.get("platform").map(platform_of),
                manifest: Some(body.to_vec()),
                config: config.to_vec(),
            });
        }
    }
}

/// A [`Platform`] from a descriptor's raw `platform` JSON.
fn platform_of(value: &Value) -> Platform {
    let text = |key: &str| value[key].as_str().map(str::to_owned);
    Platform {
        os: text("os"),
        architecture: text("architecture"),
        variant: text("variant"),
        os_version: text("os.version"),
        ..Platform::default()
    }
}
