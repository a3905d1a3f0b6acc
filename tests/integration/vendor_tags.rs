//! Tags with their digests from the vendors' APIs instead of a HEAD per tag: Docker
//! Hub's tag listing (`FakeDockerHub`) and GitHub's package versions (`FakeGithubApi`),
//! each beside a real Distribution registry holding the sample set, reached through
//! `--registry-endpoint` so output names docker.io and ghcr.io while every request stays
//! on 127.0.0.1. Each test compares with the same crawl made the registry's way
//! (`--tag-source registry`): the bytes written must be identical.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use nuccrawl_testkit::fakes::{
    FakeDockerHub, FakeGhcr, FakeGithubApi, GithubPackage, GithubVersion, HubFault, HubRepo, HubTag,
};
use nuccrawl_testkit::{load_samples, registry_tag_digests, Credentials, LocalRegistry};
use serde_json::Value;

use crate::support::{nuccrawl_with, read_report};

const GITHUB_TOKEN: &str = "ghp_fake_token_for_vendor_tag_tests";
/// The sample repositories Docker Hub could hold: `samples/<name>`, no deeper paths.
const HUB_REPOS: [&str; 6] = ["alpine", "debian", "centos", "multi", "single", "many"];
/// Docker Hub's and GitHub's largest page.
const PAGE: usize = 100;
/// A digest no registry holds, standing for an API that has not caught up with a push.
const STALE: &str = "sha256:5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e";

/// One crawl's output bytes, report and standard error.
struct Crawl {
    output: Vec<u8>,
    report: Value,
    stderr: String,
}

impl Crawl {
    fn requests(&self, kind: &str) -> u64 {
        self.report["requests"][kind].as_u64().unwrap_or(0)
    }
}

/// Runs nuccrawl on `target` with `extra` flags and `env`, expecting exit code 0.
fn crawl(target: &str, extra: &[&str], env: &[(&str, &str)], work: &Path, name: &str) -> Crawl {
    let out = work.join(format!("{name}.json"));
    let report = work.join(format!("{name}.report.json"));
    let mut args = vec![
        target,
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = nuccrawl_with(&args, env, None);
    assert_eq!(run.code, 0, "{name}: stderr:\n{}", run.stderr);
    Crawl {
        output: std::fs::read(&out).unwrap(),
        report: read_report(&report),
        stderr: run.stderr,
    }
}

/// Pages needed for `n` entries at `PAGE` a page (an empty listing is one page).
fn pages(n: usize) -> u64 {
    n.div_ceil(PAGE).max(1) as u64
}

/// A registry with the samples, and each Hub-shaped repository's real tags and digests.
fn samples_with_tags() -> (LocalRegistry, BTreeMap<String, Vec<(String, String)>>) {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let tags = HUB_REPOS
        .iter()
        .map(|name| {
            let repo = format!("samples/{name}");
            let listed = registry_tag_digests(&registry.addr(), &repo).expect("tags read");
            assert!(!listed.is_empty(), "{repo} has tags");
            (name.to_string(), listed)
        })
        .collect();
    (registry, tags)
}

/// A fake Docker Hub listing namespace `samples` with `real`'s repositories and tags;
/// `digest_of(repo, index, real digest)` says what Hub gives as each tag's digest.
fn fake_hub<'a>(
    real: &'a BTreeMap<String, Vec<(String, String)>>,
    digest_of: impl Fn(&str, usize, &'a str) -> Option<&'a str>,
) -> FakeDockerHub {
    let repos: Vec<HubRepo> = real
        .iter()
        .map(|(name, tags)| {
            let tags = tags
                .iter()
                .enumerate()
                .map(|(i, (tag, digest))| HubTag::new(tag, digest_of(name, i, digest)))
                .collect();
            HubRepo::public(name).with_tags(tags)
        })
        .collect();
    FakeDockerHub::start(
        BTreeMap::from([("samples".to_string(), repos)]),
        Credentials::new("alice", "dckr_pat_unused"),
    )
    .expect("fake hub starts")
}

#[test]
fn docker_hub_tags_and_digests_come_from_the_hub_api_without_a_head_per_tag() {
    let (registry, real) = samples_with_tags();
    // One old tag that Hub lists without a digest, one digest Hub has wrong (stale), one
    // tag Hub has not seen yet and one it still lists after the registry deleted it.
    let (undigested, stale) = (("debian", 0), ("multi", 0));
    let mut seen_by_hub = real.clone();
    let unseen = seen_by_hub.get_mut("centos").unwrap().remove(0);
    let alpine = seen_by_hub.get_mut("alpine").unwrap();
    let deleted = ("deleted".to_string(), alpine[0].1.clone());
    alpine.push(deleted);
    assert!(!unseen.0.is_empty());
    let hub = fake_hub(&seen_by_hub, |name, i, digest| match (name, i) {
        k if k == undigested => None,
        k if k == stale => Some(STALE),
        _ => Some(digest),
    });
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let endpoint = format!("docker.io={}", registry.addr());
    let hub_url = hub.url();
    let common = ["--registry-endpoint", &endpoint, "--hub-api", &hub_url];
    let target = "docker.io/samples/*";

    let mut extra = common.to_vec();
    extra.extend(["--tag-source", "registry", "--no-cache"]);
    let baseline = crawl(target, &extra, &[], work.path(), "registry");
    assert_eq!(baseline.requests("tags"), HUB_REPOS.len() as u64);
    let all_tags: usize = real.values().map(Vec::len).sum();
    let signature_tags = 1; // samples/alpine's cosign tag is never resolved
    assert_eq!(
        baseline.requests("manifest_head"),
        (all_tags - signature_tags) as u64
    );

    let mut extra = common.to_vec();
    extra.extend(["--cache-dir", cache.to_str().unwrap()]);
    let cold = crawl(target, &extra, &[], work.path(), "cold");
    assert_eq!(cold.output, baseline.output, "same bytes either way");
    assert_eq!(
        cold.requests("tags"),
        HUB_REPOS.len() as u64,
        "the registry says which tags exist"
    );
    assert_eq!(
        cold.requests("manifest_head"),
        3,
        "a HEAD only for the digest-less tag, the unseen one and to recheck the stale one"
    );
    let tag_pages: u64 = seen_by_hub.values().map(|t| pages(t.len())).sum();
    assert_eq!(
        cold.requests("hub_api"),
        1 + tag_pages,
        "namespace + tag pages"
    );
    let tag_requests: Vec<_> = hub
        .requests()
        .into_iter()
        .filter(|r| r.path().ends_with("/tags"))
        .collect();
    assert!(tag_requests
        .iter()
        .all(|r| r.query("page_size").as_deref() == Some("100")));
    assert!(tag_requests
        .iter()
        .any(|r| r.path() == "/v2/namespaces/samples/repositories/many/tags"));

    let warm = crawl(target, &extra, &[], work.path(), "warm");
    assert_eq!(warm.output, baseline.output);
    assert_eq!(warm.requests("blob_get"), 0, "configs all cached");
    assert_eq!(
        warm.requests("manifest_get"),
        1,
        "only the stale digest, which no cache can hold"
    );
    assert_eq!(warm.requests("manifest_head"), 3);
    assert_eq!(warm.requests("tags"), HUB_REPOS.len() as u64);
}

#[test]
fn a_cached_digest_from_another_repository_is_not_taken_on_the_apis_word() {
    let (registry, real) = samples_with_tags();
    // Hub says single's first tag points at alpine's image: cached once alpine is crawled,
    // but not in samples/single.
    let alpine = real["alpine"][0].1.clone();
    let hub = fake_hub(&real, |name, i, digest| match (name, i) {
        ("single", 0) => Some(alpine.as_str()),
        _ => Some(digest),
    });
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let endpoint = format!("docker.io={}", registry.addr());
    let hub_url = hub.url();
    let common = ["--registry-endpoint", &endpoint, "--hub-api", &hub_url];
    let target = "docker.io/samples/*";
    let mut extra = common.to_vec();
    extra.extend(["--tag-source", "registry", "--no-cache"]);
    let baseline = crawl(target, &extra, &[], work.path(), "registry");
    let mut extra = common.to_vec();
    extra.extend(["--cache-dir", cache.to_str().unwrap()]);
    let cold = crawl(target, &extra, &[], work.path(), "cold");
    assert_eq!(cold.output, baseline.output);
    let warm = crawl(target, &extra, &[], work.path(), "warm");
    assert_eq!(
        warm.output, baseline.output,
        "the wrong digest is rechecked when warm too"
    );
    assert_eq!(
        warm.requests("manifest_get"),
        1,
        "only the digest samples/single never confirmed is asked of it"
    );
}

#[test]
fn a_failing_hub_tag_api_falls_back_to_the_registry_and_is_given_up_after_three_failures() {
    let (registry, real) = samples_with_tags();
    let hub = fake_hub(&real, |_, _, digest| Some(digest));
    hub.fail_tags(HubFault::Status(503), usize::MAX);
    let work = tempfile::tempdir().unwrap();
    let endpoint = format!("docker.io={}", registry.addr());
    let hub_url = hub.url();
    let mut extra = vec!["--registry-endpoint", &endpoint, "--hub-api", &hub_url];
    extra.extend(["--no-cache", "--max-attempts", "2", "--concurrency", "1"]);
    let target = "docker.io/samples/*";

    let run = crawl(target, &extra, &[], work.path(), "fallback");
    let mut base_extra = extra.clone();
    base_extra.extend(["--tag-source", "registry"]);
    let baseline = crawl(target, &base_extra, &[], work.path(), "registry");
    assert_eq!(
        run.output, baseline.output,
        "nothing lost to the API's failure"
    );
    assert_eq!(run.requests("tags"), HUB_REPOS.len() as u64);
    let tag_calls = hub
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/tags"))
        .count();
    assert_eq!(
        tag_calls,
        3 * 2,
        "three repositories tried, two attempts each"
    );
    assert!(
        run.stderr
            .contains("asking the registry for each tag from now on"),
        "{}",
        run.stderr
    );
}

#[test]
fn ghcr_tags_and_digests_come_from_package_versions_nested_names_included() {
    let registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    let ghcr = FakeGhcr::start(&registry.addr(), &[]).expect("fake ghcr starts");
    let mut packages = Vec::new();
    let mut version_pages = 0;
    let owned: Vec<&String> = samples
        .repos
        .iter()
        .filter(|r| r.starts_with("samples/"))
        .collect();
    for repo in &owned {
        let package = &repo["samples/".len()..];
        let mut by_digest: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tag, digest) in registry_tag_digests(&registry.addr(), repo).unwrap() {
            by_digest.entry(digest).or_default().push(tag);
        }
        let mut versions: Vec<GithubVersion> = by_digest
            .iter()
            .map(|(digest, tags)| {
                let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
                GithubVersion::new(digest, &tags)
            })
            .collect();
        // An untagged version is neither a tag nor fetched.
        versions.push(GithubVersion::new(STALE, &[]));
        version_pages += pages(versions.len());
        packages.push(GithubPackage::container(package).with_versions(versions));
    }
    let github = FakeGithubApi::start(
        BTreeMap::from([("samples".to_string(), packages)]),
        BTreeMap::new(),
        GITHUB_TOKEN,
        PAGE,
    )
    .expect("fake github starts");
    let work = tempfile::tempdir().unwrap();
    let endpoint = format!("ghcr.io={}", ghcr.addr());
    let api = github.url();
    let env = [("GITHUB_TOKEN", GITHUB_TOKEN)];
    let common = [
        "--registry-endpoint",
        &endpoint,
        "--github-api",
        &api,
        "--no-cache",
    ];
    let target = "ghcr.io/samples/**";

    let mut extra = common.to_vec();
    extra.extend(["--tag-source", "registry"]);
    let baseline = crawl(target, &extra, &env, work.path(), "registry");
    let api_run = crawl(target, &common, &env, work.path(), "api");
    assert_eq!(api_run.output, baseline.output, "same bytes either way");
    assert_eq!(api_run.requests("manifest_head"), 0);
    assert_eq!(api_run.requests("tags"), owned.len() as u64);
    assert_eq!(
        api_run.requests("github_api"),
        pages(owned.len()) + version_pages,
        "package pages + version pages"
    );
    let paths: BTreeSet<String> = github
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert!(
        paths.contains("/orgs/samples/packages/container/team%2Fsub%2Fapp/versions"),
        "{paths:?}"
    );
    let fetched_stale = ghcr.requests().iter().any(|r| r.path().ends_with(STALE));
    assert!(!fetched_stale, "untagged versions are not fetched");

    // Without a token the packages API cannot be used: a named repository is still
    // crawled the registry's way, silently.
    let named = crawl(
        "ghcr.io/samples/alpine",
        &common,
        &[],
        work.path(),
        "no-token",
    );
    assert!(named.requests("manifest_head") > 0);
    assert_eq!(named.requests("github_api"), 0);
    assert!(!named.stderr.contains("WARN"), "{}", named.stderr);
}
