//! The OS distribution of an image, from its config alone, only when the evidence is solid.
//!
//! nuccrawl never unpacks layers, so it cannot read `/etc/os-release`. What it has is the
//! config: labels, environment and history. Rules run in order of reliability and the first
//! that yields a checked distribution *with a version* wins; when none does, `image_distro`
//! stays empty rather than carrying a guess. Each rule documents its evidence; the full
//! reasoning, with what the real test images yield, is in `docs/distro-rules.md`.

use tracing::debug;

use super::distro_known::{distro_of_repository, leading_version, ubi_major, Distro, Release};
use crate::image::config::ImageConfig;

/// Label naming the image this one was built `FROM` (OCI annotation spec).
const BASE_NAME_LABEL: &str = "org.opencontainers.image.base.name";
/// Label Ubuntu's official images use for the distribution's own name.
const REF_NAME_LABEL: &str = "org.opencontainers.image.ref.name";
/// Label holding a version; whose version depends on who set it last.
const VERSION_LABEL: &str = "org.opencontainers.image.version";
/// Red Hat's `vendor` label value on its own images.
const RED_HAT_VENDOR: &str = "Red Hat, Inc.";
/// The file name Alpine's release root filesystems start with.
const ALPINE_ROOTFS_PREFIX: &str = "alpine-minirootfs-";
/// The script name in the history line of Debian's official (debuerreotype) images.
const DEBUERREOTYPE_SCRIPT: &str = "debian.sh";
/// The argument that precedes the suite in that history line.
const DEBUERREOTYPE_OUT_DIR: &str = "out/";
/// label-schema name on the official CentOS images (which carry no version label).
const CENTOS_BASE_IMAGE_NAME: &str = "CentOS Base Image";

/// A rule: its name for the log, and the function that applies it.
type Rule = (&'static str, fn(&ImageConfig) -> Option<Release>);

/// The rules, most reliable first.
const RULES: [Rule; 5] = [
    ("base image name label", from_base_name_label),
    ("Red Hat UBI labels", from_red_hat_labels),
    (
        "distribution ref.name and version labels",
        from_ref_name_labels,
    ),
    ("Alpine minirootfs in history", from_alpine_rootfs_history),
    ("debuerreotype suite in history", from_debuerreotype_history),
];

/// The image's distribution and version, e.g. `Alpine Linux 3.22.0`, or `None`.
pub fn distro(config: &ImageConfig) -> Option<String> {
    for (rule, apply) in RULES {
        if let Some(release) = apply(config) {
            debug!(rule, distro = %release, "distribution derived");
            return Some(release.to_string());
        }
    }
    note_versionless_evidence(config);
    None
}

/// Evidence: `org.opencontainers.image.base.name`, the reference the image was built
/// `FROM`, naming a known distribution repository with a version or codename tag
/// (`alpine:3.19`, `docker.io/library/debian:bookworm-slim`, `redhat/ubi9:9.3-1552`).
///
/// A tag such as `latest` fixes no version, so it yields nothing; UBI repositories are the
/// exception, because their name fixes the major version (`ubi9:latest` is RHEL 9).
fn from_base_name_label(config: &ImageConfig) -> Option<Release> {
    let reference = config.labels.get(BASE_NAME_LABEL)?;
    let (path, tag) = split_reference(reference);
    let (distro, fixed_major) = distro_of_repository(path)?;
    match (distro, fixed_major) {
        (Distro::Rhel, Some(major)) => rhel_release(major, tag),
        (Distro::CentOs, _) => centos_release(tag?),
        _ => distro.release_from_tag(tag?),
    }
}

/// Split `host/path:tag@digest` into the repository path (host dropped) and the tag.
fn split_reference(reference: &str) -> (&str, Option<&str>) {
    let name = reference.trim().split('@').next().unwrap_or_default();
    let name = match name.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => name,
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (&name[..at], Some(&name[at + 1..]))
        }
        None => (name, None),
    }
}

/// RHEL from a UBI repository: the tag's version when it agrees with the repository's major,
/// else the major alone.
fn rhel_release(major: u32, tag: Option<&str>) -> Option<Release> {
    match tag.and_then(leading_version) {
        Some(version) if version_major_is(version, major) => Distro::Rhel.release(version),
        Some(version) => {
            debug!(
                major,
                version, "UBI tag disagrees with the repository's major version"
            );
            None
        }
        None => Distro::Rhel.release(&major.to_string()),
    }
}

/// CentOS tags: `7`, `centos7`, `7.9.2009`, and CentOS Stream's `stream9`.
fn centos_release(tag: &str) -> Option<Release> {
    if let Some(stream) = tag.strip_prefix("stream") {
        return Distro::CentOsStream.release_from_tag(stream);
    }
    Distro::CentOs.release_from_tag(tag.strip_prefix("centos").unwrap_or(tag))
}

/// True when `version`'s first component is `major`.
fn version_major_is(version: &str, major: u32) -> bool {
    version.split('.').next() == Some(major.to_string().as_str())
}

/// Evidence: Red Hat's labels on Universal Base Images: `vendor` = `Red Hat, Inc.`, `name`
/// a UBI name (`ubi9`, `ubi8-minimal`, `ubi9/ubi`) and `version` of the same major (`9.4`).
///
/// Images built on UBI inherit these labels, which is still right about their OS. Red Hat's
/// own product images rename themselves (`ubi9/python-312`, version `1`) and are rejected by
/// the name check; a user's `LABEL version=2.0` is rejected by the major check.
fn from_red_hat_labels(config: &ImageConfig) -> Option<Release> {
    let labels = &config.labels;
    if labels.get("vendor").map(String::as_str) != Some(RED_HAT_VENDOR) {
        return None;
    }
    let major = ubi_major(labels.get("name")?)?;
    let version = labels.get("version")?;
    if leading_version(version) != Some(version.as_str()) || !version_major_is(version, major) {
        return None;
    }
    Distro::Rhel.release(version)
}

/// Evidence: `org.opencontainers.image.ref.name` naming a distribution (Ubuntu's official
/// images set `ubuntu`) with `org.opencontainers.image.version` (`22.04`).
///
/// Both labels are inherited, and build tools (docker/metadata-action) overwrite
/// `org.opencontainers.image.version` with the application's version. So the version must
/// be one the distribution could have, and when the history records the base image's own
/// `LABEL org.opencontainers.image.version=…`, the earliest such line must agree.
fn from_ref_name_labels(config: &ImageConfig) -> Option<Release> {
    let (distro, None) = distro_of_repository(config.labels.get(REF_NAME_LABEL)?)? else {
        return None;
    };
    let version = config.labels.get(VERSION_LABEL)?;
    if let Some(recorded) = earliest_history_label(config, VERSION_LABEL) {
        if recorded != version {
            debug!(label = %version, history = recorded, "version label overridden after the base");
            return None;
        }
    }
    distro.release_from_word(version)
}

/// The value of the first `LABEL <key>=<value>` in the history, quotes removed.
fn earliest_history_label<'a>(config: &'a ImageConfig, key: &str) -> Option<&'a str> {
    let needle = format!("{key}=");
    config.history.iter().find_map(|line| {
        let start = line.find(&needle)? + needle.len();
        let value = line[start..].split_whitespace().next().unwrap_or_default();
        Some(value.trim_matches(['"', '\'']))
    })
}

/// Evidence: the history line of Alpine's official images, which adds the release's root
/// filesystem by name: `ADD alpine-minirootfs-3.22.0-x86_64.tar.gz /`.
///
/// Older Alpine images were built with the classic builder and record only
/// `ADD file:<hash> in /`, which names no version, so they yield nothing here.
fn from_alpine_rootfs_history(config: &ImageConfig) -> Option<Release> {
    let line = config
        .history
        .iter()
        .find(|l| l.contains("ADD") && l.contains(ALPINE_ROOTFS_PREFIX))?;
    let start = line.find(ALPINE_ROOTFS_PREFIX)? + ALPINE_ROOTFS_PREFIX.len();
    let (version, _arch) = line[start..].split_once('-')?;
    Distro::Alpine.release(version)
}

/// Evidence: the history line Debian's official images (built with debuerreotype) record
/// for their root layer: `# debian.sh --arch 'amd64' out/ 'bookworm' '@1718582400'`. The
/// suite after `out/` is a codename; `sid` and `testing` have no version and yield nothing.
fn from_debuerreotype_history(config: &ImageConfig) -> Option<Release> {
    let line = config
        .history
        .iter()
        .find(|l| l.contains(DEBUERREOTYPE_SCRIPT))?;
    let mut words = line.split_whitespace();
    words.find(|w| *w == DEBUERREOTYPE_OUT_DIR)?;
    let suite = words.next()?.trim_matches(['"', '\'']);
    Distro::Debian.release_from_word(suite)
}

/// Log evidence that names a distribution but no version, which nuccrawl does not record.
fn note_versionless_evidence(config: &ImageConfig) {
    if config
        .labels
        .get("org.label-schema.name")
        .map(String::as_str)
        == Some(CENTOS_BASE_IMAGE_NAME)
    {
        debug!("CentOS base image labels carry no version; image_distro left empty");
    }
}

#[cfg(test)]
#[path = "distro_tests.rs"]
mod tests;
