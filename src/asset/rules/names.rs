//! Rules for names: the repository path, the tags and the registry hosts.

use std::collections::HashSet;

use super::Violation;
use crate::asset::Asset;
use crate::reference::{is_host_port, is_repo_component, is_tag, Registry, DOCKER_HUB};

/// A repository name must be shorter than this many characters (FORMAT.md: "under 256").
const REPO_LEN_LIMIT: usize = 256;
/// Longest tag Nucleus and the Distribution spec accept.
const MAX_TAG_LEN: usize = 128;
/// Docker Hub's namespace for official images, which output files leave out.
const OFFICIAL_NAMESPACE: &str = "library/";

/// `image_repo`: required, valid components, short enough, Docker Hub short names.
pub(super) fn check_repo(asset: &Asset) -> Vec<Violation> {
    let repo = asset.image_repo.as_str();
    let v = |message: String| Violation::new("image_repo", message);
    if repo.is_empty() {
        return vec![v("is required".into())];
    }
    let mut found = Vec::new();
    if repo.len() >= REPO_LEN_LIMIT {
        found.push(v(format!(
            "is {} characters; it must be under {REPO_LEN_LIMIT}",
            repo.len()
        )));
    }
    for component in repo.split('/').filter(|c| !is_repo_component(c)) {
        found.push(v(format!(
            "component {component:?} must be non-empty [a-z0-9_.-], not starting with \
             '.', '_' or '-'"
        )));
    }
    let on_hub = asset.image_registry.as_deref() == Some(DOCKER_HUB);
    if let Some(short) = repo.strip_prefix(OFFICIAL_NAMESPACE) {
        if on_hub && !short.contains('/') {
            found.push(v(format!(
                "Docker Hub official images use the short name {short:?}"
            )));
        }
    }
    found
}

/// `image_tags`: each tag well formed, none repeated.
pub(super) fn check_tags(asset: &Asset) -> Vec<Violation> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for tag in &asset.image_tags {
        if let Some(problem) = tag_problem(tag) {
            found.push(Violation::new(
                "image_tags",
                format!("tag {tag:?} {problem}"),
            ));
        }
        if !seen.insert(tag.as_str()) {
            found.push(Violation::new(
                "image_tags",
                format!("tag {tag:?} is listed twice"),
            ));
        }
    }
    found
}

/// Why `tag` breaks the tag rule, in words.
fn tag_problem(tag: &str) -> Option<String> {
    if is_tag(tag) {
        return None;
    }
    Some(if tag.is_empty() {
        "is empty".into()
    } else if tag.len() > MAX_TAG_LEN {
        format!("is {} characters; at most {MAX_TAG_LEN} allowed", tag.len())
    } else if tag.starts_with(['.', '-']) {
        "must not start with '.' or '-'".into()
    } else {
        "may hold only [a-zA-Z0-9_.-]".into()
    })
}

/// `image_registry` and `image_secondary_registries`: DNS host with optional port, and
/// Docker Hub written as `docker.io`.
pub(super) fn check_registries(asset: &Asset) -> Vec<Violation> {
    let primary = asset.image_registry.iter().map(|r| ("image_registry", r));
    let secondary = asset
        .image_secondary_registries
        .iter()
        .map(|r| ("image_secondary_registries", r));
    primary
        .chain(secondary)
        .filter_map(|(field, host)| registry_problem(host).map(|p| (field, host, p)))
        .map(|(field, host, problem)| Violation::new(field, format!("{host:?} {problem}")))
        .collect()
}

/// Why `host` is not a registry as FORMAT.md writes it.
fn registry_problem(host: &str) -> Option<&'static str> {
    if !is_host_port(host) {
        return Some("must be a DNS host name with an optional :port");
    }
    let is_hub_alias = Registry::parse(host).is_ok_and(|r| r.is_docker_hub()) && host != DOCKER_HUB;
    is_hub_alias.then_some("is Docker Hub, which must be written \"docker.io\"")
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_ok, assert_only, good_asset};

    #[test]
    fn rule_image_repo_required() {
        assert_ok(&good_asset());
        let mut a = good_asset();
        a.image_repo.clear();
        assert_only(&a, "image_repo");
    }

    #[test]
    fn rule_image_repo_components() {
        let mut a = good_asset();
        a.image_repo = "a/b_c/d.e-f/0".into();
        assert_ok(&a);
        for bad in [
            "Team/api",
            "team/_api",
            "team/.api",
            "team/-api",
            "team//api",
            "/api",
            "a b",
        ] {
            a.image_repo = bad.into();
            assert_only(&a, "image_repo");
        }
    }

    #[test]
    fn rule_image_repo_length_under_256() {
        let mut a = good_asset();
        a.image_repo = format!("{}/{}", "a".repeat(127), "b".repeat(127));
        assert_eq!(a.image_repo.len(), 255);
        assert_ok(&a);
        a.image_repo.push('c');
        assert_only(&a, "image_repo");
    }

    #[test]
    fn rule_image_repo_docker_hub_short_name() {
        let mut a = good_asset();
        a.image_registry = Some("docker.io".into());
        a.image_repo = "centos".into();
        assert_ok(&a);
        a.image_repo = "library/team/centos".into();
        assert_ok(&a);
        a.image_repo = "library/centos".into();
        assert_only(&a, "image_repo");
    }

    #[test]
    fn rule_image_tags_charset() {
        let mut a = good_asset();
        a.image_tags = vec!["v1.2_3-RC".into()];
        assert_ok(&a);
        a.image_tags = vec!["v1+build".into()];
        assert_only(&a, "image_tags");
        a.image_tags = vec![String::new()];
        assert_only(&a, "image_tags");
    }

    #[test]
    fn rule_image_tags_leading_dash() {
        let mut a = good_asset();
        a.image_tags = vec!["_x".into()];
        assert_ok(&a);
        for bad in ["-x", ".x"] {
            a.image_tags = vec![bad.into()];
            assert_only(&a, "image_tags");
        }
    }

    #[test]
    fn rule_image_tags_max_128() {
        let mut a = good_asset();
        a.image_tags = vec!["t".repeat(128)];
        assert_ok(&a);
        a.image_tags = vec!["t".repeat(129)];
        assert_only(&a, "image_tags");
    }

    #[test]
    fn rule_image_tags_no_duplicates() {
        let mut a = good_asset();
        a.image_tags = vec!["a".into(), "b".into()];
        assert_ok(&a);
        a.image_tags = vec!["a".into(), "b".into(), "a".into()];
        assert_only(&a, "image_tags");
    }

    #[test]
    fn rule_image_registry_host_port() {
        let mut a = good_asset();
        for good in [
            "docker.io",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "127.0.0.1:5000",
        ] {
            a.image_registry = Some(good.into());
            assert_ok(&a);
        }
        for bad in [
            "https://ghcr.io",
            "ghcr.io/org",
            "ghcr.io:99999",
            "-bad.io",
            "a_b.io",
        ] {
            a.image_registry = Some(bad.into());
            assert_only(&a, "image_registry");
        }
    }

    #[test]
    fn rule_image_registry_docker_hub_spelling() {
        let mut a = good_asset();
        a.image_registry = Some("docker.io".into());
        assert_ok(&a);
        a.image_registry = Some("index.docker.io".into());
        assert_only(&a, "image_registry");
    }

    #[test]
    fn rule_image_secondary_registries_host_port() {
        let mut a = good_asset();
        a.image_secondary_registries = vec!["public.ecr.aws".into(), "localhost:5000".into()];
        assert_ok(&a);
        a.image_secondary_registries = vec!["public.ecr.aws".into(), "bad host".into()];
        assert_only(&a, "image_secondary_registries");
    }
}
