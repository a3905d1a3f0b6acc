//! Discovery against fakes of the vendors' listing APIs and registry behaviour:
//! Docker Hub (`FakeDockerHub` + a real registry), GHCR (`FakeGithubApi` + `FakeGhcr`) and
//! ECR (`FakeEcr`), all on 127.0.0.1 and reached with `--registry-endpoint`, so output
//! names the real registries while no other host is ever contacted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

use nuccrawl_testkit::fakes::{
    push_small_image, FakeDockerHub, FakeEcr, FakeGhcr, FakeGithubApi, GithubPackage, HubRepo,
    RecordedRequest, FAKE_HUB_TOKEN,
};
use nuccrawl_testkit::{Credentials, LocalRegistry};

use crate::support::{read_assets, read_report, Run};

const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const GITHUB_TOKEN: &str = "ghp_fake_token_for_tests";

/// Runs nuccrawl with only `env` for credentials: HOME and DOCKER_CONFIG point at an
/// empty directory so the developer's own logins are never read.
fn run_with_env(args: &[&str], env: &[(&str, &str)], home: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nuccrawl"));
    cmd.args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG")
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("REGISTRY_AUTH_FILE", home.join("auth.json"));
    for var in [
        "GITHUB_TOKEN",
        "GITHUB_ACTOR",
        "NUCCRAWL_REGISTRY",
        "NUCCRAWL_USERNAME",
        "NUCCRAWL_PASSWORD",
        "XDG_RUNTIME_DIR",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("nuccrawl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn expect(run: Run, code: i32, what: &str) -> Run {
    assert_eq!(
        run.code, code,
        "{what}: exit {}; stderr:\n{}",
        run.code, run.stderr
    );
    run
}

/// The repositories in an output file, each checked to carry `registry`.
fn repos_in(path: &Path, registry: &str) -> BTreeSet<String> {
    let file = read_assets(path);
    for a in &file.assets {
        assert_eq!(a.image_registry.as_deref(), Some(registry), "{a:?}");
    }
    file.assets.iter().map(|a| a.image_repo.clone()).collect()
}

fn assert_valid(path: &Path, home: &Path) {
    let file = path.to_str().unwrap();
    expect(run_with_env(&["validate", file], &[], home), 0, "validate");
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn gets_to<'a>(requests: &'a [RecordedRequest], path_part: &str) -> Vec<&'a RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.method == "GET" && r.path().contains(path_part))
        .collect()
}

#[test]
fn dockerhub_namespace_is_listed_through_the_hub_api_with_paging_and_login() {
    let registry = LocalRegistry::start().expect("registry starts");
    let mut team: Vec<HubRepo> = (0..102)
        .map(|i| HubRepo::public(&format!("svc-{i:03}")))
        .collect();
    team.insert(50, HubRepo::private("private-app"));
    for repo in &team {
        push_small_image(&registry.addr(), &format!("myteam/{}", repo.name), "1.0").unwrap();
    }
    push_small_image(&registry.addr(), "otherteam/x", "1.0").unwrap();
    let namespaces = BTreeMap::from([
        ("myteam".to_string(), team.clone()),
        ("otherteam".to_string(), vec![HubRepo::public("x")]),
    ]);
    let hub = FakeDockerHub::start(namespaces, Credentials::new("alice", "dckr_pat_good"))
        .expect("fake hub starts");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hub.json");
    let endpoint = format!("docker.io={}", registry.addr());
    let hub_url = hub.url();
    let args = |out: &Path| {
        vec![
            "docker.io/myteam/*".to_string(),
            "--hub-api".into(),
            hub_url.clone(),
            "--registry-endpoint".into(),
            endpoint.clone(),
            "-q".into(),
            "-o".into(),
            out.to_str().unwrap().to_string(),
        ]
    };
    let argv = args(&out);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let login = [
        ("NUCCRAWL_REGISTRY", "docker.io"),
        ("NUCCRAWL_USERNAME", "alice"),
        ("NUCCRAWL_PASSWORD", "dckr_pat_good"),
    ];

    // Logged in: every repository of the namespace, the private one too, over two pages.
    expect(
        run_with_env(&argv, &login, dir.path()),
        0,
        "logged-in crawl",
    );
    let want: BTreeSet<String> = team.iter().map(|r| format!("myteam/{}", r.name)).collect();
    assert_eq!(repos_in(&out, "docker.io"), want);
    assert_valid(&out, dir.path());
    let requests = hub.requests();
    let logins: Vec<_> = requests.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(logins.len(), 1, "{requests:?}");
    assert_eq!(logins[0].path(), "/v2/auth/token");
    let body: serde_json::Value = serde_json::from_str(&logins[0].body).unwrap();
    assert_eq!(body["identifier"], "alice");
    let pages: Vec<_> = gets_to(&requests, "/v2/namespaces/myteam/repositories")
        .into_iter()
        .filter(|r| r.path().ends_with("/repositories"))
        .collect();
    assert_eq!(pages.len(), 2, "103 repositories at 100 a page");
    assert!(pages
        .iter()
        .all(|p| p.query("page_size").as_deref() == Some("100")));
    let bearer = format!("Bearer {FAKE_HUB_TOKEN}");
    assert!(pages
        .iter()
        .all(|p| p.header("authorization") == Some(bearer.as_str())));
    assert!(gets_to(&requests, "otherteam").is_empty());

    // Anonymous: public repositories only, and no login attempt.
    let before = hub.requests().len();
    expect(run_with_env(&argv, &[], dir.path()), 0, "anonymous crawl");
    let public = repos_in(&out, "docker.io");
    assert_eq!(public.len(), 102);
    assert!(!public.contains("myteam/private-app"));
    let anonymous = &hub.requests()[before..];
    assert!(anonymous
        .iter()
        .all(|r| r.method == "GET" && r.header("authorization").is_none()));

    // A wrong access token stops the run with a login error, and names no secret.
    let wrong = [login[0], login[1], ("NUCCRAWL_PASSWORD", "dckr_pat_wrong")];
    let bad_out = dir.path().join("bad.json");
    let argv = args(&bad_out);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let run = expect(run_with_env(&argv, &wrong, dir.path()), 1, "bad login");
    assert!(
        run.stderr.contains("Docker Hub login as `alice` failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("dckr_pat_wrong"), "{}", run.stderr);
    assert!(!bad_out.exists());

    // A pattern without a namespace cannot be listed on Docker Hub.
    let run = expect(
        run_with_env(
            &["docker.io/**", "--hub-api", &hub.url(), "-q"],
            &[],
            dir.path(),
        ),
        1,
        "namespace-less pattern",
    );
    assert!(run.stderr.contains("`docker.io/**`"), "{}", run.stderr);
    assert!(run.stderr.contains("namespace"), "{}", run.stderr);
}

/// A registry holding `repos`, each with one small image.
fn registry_with(repos: &[&str]) -> LocalRegistry {
    let registry = LocalRegistry::start().expect("registry starts");
    for repo in repos {
        push_small_image(&registry.addr(), repo, "latest").unwrap();
    }
    registry
}

#[test]
fn ghcr_org_packages_map_to_nested_paths_and_a_denied_package_is_recorded() {
    let registry = registry_with(&["acme/web", "acme/team/api", "acme/secret"]);
    let ghcr = FakeGhcr::start(&registry.addr(), &["acme/secret"]).expect("fake ghcr starts");
    let orgs = BTreeMap::from([(
        "acme".to_string(),
        vec![
            GithubPackage::container("web"),
            GithubPackage::other("web-npm", "npm"),
            GithubPackage::container("team/api"),
            GithubPackage::container("secret"),
        ],
    )]);
    let github = FakeGithubApi::start(orgs, BTreeMap::new(), GITHUB_TOKEN, 2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ghcr.json");
    let report = dir.path().join("report.json");
    let endpoint = format!("ghcr.io={}", ghcr.addr());
    let run = run_with_env(
        &[
            "ghcr.io/acme/**",
            "--github-api",
            &github.url(),
            "--registry-endpoint",
            &endpoint,
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        &[("GITHUB_TOKEN", GITHUB_TOKEN)],
        dir.path(),
    );
    expect(run, 2, "one package denied");
    assert_eq!(
        repos_in(&out, "ghcr.io"),
        set(&["acme/web", "acme/team/api"])
    );
    assert_valid(&out, dir.path());
    let failures = read_report(&report)["failures"].clone();
    let failures = failures.as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["registry"], "ghcr.io");
    assert_eq!(failures[0]["repository"], "acme/secret");
    let reason = failures[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("denied"), "{reason}");
    assert!(reason.contains("permission_denied"), "{reason}");

    let requests = github.requests();
    let pages: Vec<_> = gets_to(&requests, "/orgs/acme/packages")
        .into_iter()
        .filter(|r| r.path().ends_with("/packages"))
        .collect();
    assert_eq!(pages.len(), 2, "three container packages at two a page");
    for p in &pages {
        assert_eq!(p.query("package_type").as_deref(), Some("container"));
        assert_eq!(p.query("per_page").as_deref(), Some("100"));
        assert_eq!(
            p.header("authorization"),
            Some(&*format!("Bearer {GITHUB_TOKEN}"))
        );
        assert_eq!(p.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(p.header("x-github-api-version"), Some("2022-11-28"));
    }
    assert!(gets_to(&requests, "/users/").is_empty());
    assert!(
        gets_to(&ghcr.requests(), "_catalog").is_empty(),
        "GHCR has no catalog"
    );

    // One segment only: the nested package is not matched.
    let out_one = dir.path().join("one.json");
    let run = run_with_env(
        &[
            "ghcr.io/acme/w*",
            "--github-api",
            &github.url(),
            "--registry-endpoint",
            &endpoint,
            "-q",
            "-o",
            out_one.to_str().unwrap(),
        ],
        &[("GITHUB_TOKEN", GITHUB_TOKEN)],
        dir.path(),
    );
    expect(run, 0, "single-segment pattern");
    assert_eq!(repos_in(&out_one, "ghcr.io"), set(&["acme/web"]));
}

#[test]
fn ghcr_falls_back_to_user_packages_on_an_enterprise_style_api_base() {
    let registry = registry_with(&["bob/tool", "bob/tools/cli"]);
    let ghcr = FakeGhcr::start(&registry.addr(), &[]).unwrap();
    let users = BTreeMap::from([(
        "bob".to_string(),
        vec![
            GithubPackage::container("tool"),
            GithubPackage::container("tools/cli"),
        ],
    )]);
    let github = FakeGithubApi::start(BTreeMap::new(), users, GITHUB_TOKEN, 100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bob.csv");
    let api = format!("{}/api/v3", github.url());
    let endpoint = format!("ghcr.io={}", ghcr.addr());
    let run = run_with_env(
        &[
            "ghcr.io/bob/**",
            "--github-api",
            &api,
            "--registry-endpoint",
            &endpoint,
            "-q",
            "-o",
            out.to_str().unwrap(),
        ],
        &[("GITHUB_TOKEN", GITHUB_TOKEN)],
        dir.path(),
    );
    expect(run, 0, "user packages");
    assert_eq!(
        repos_in(&out, "ghcr.io"),
        set(&["bob/tool", "bob/tools/cli"])
    );
    assert_valid(&out, dir.path());
    let paths: Vec<String> = github
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    let listings: Vec<&String> = paths.iter().filter(|p| p.ends_with("/packages")).collect();
    assert_eq!(
        listings,
        ["/api/v3/orgs/bob/packages", "/api/v3/users/bob/packages"]
    );
    // Tags: the first package learns that bob is a user; the other asks there directly.
    let versions = |prefix: &str| {
        paths
            .iter()
            .filter(|p| p.starts_with(prefix) && p.ends_with("/versions"))
            .count()
    };
    assert_eq!(versions("/api/v3/orgs/bob/"), 1, "{paths:?}");
    assert_eq!(versions("/api/v3/users/bob/"), 2, "{paths:?}");

    // An owner that is neither: a clear error, exit 1.
    let run = run_with_env(
        &[
            "ghcr.io/nobody/*",
            "--github-api",
            &api,
            "--registry-endpoint",
            &endpoint,
            "-q",
        ],
        &[("GITHUB_TOKEN", GITHUB_TOKEN)],
        dir.path(),
    );
    let run = expect(run, 1, "unknown owner");
    assert!(
        run.stderr
            .contains("no GitHub organisation or user `nobody`"),
        "{}",
        run.stderr
    );
}

#[test]
fn ghcr_without_a_token_says_the_packages_api_needs_read_packages() {
    let github = FakeGithubApi::start(BTreeMap::new(), BTreeMap::new(), GITHUB_TOKEN, 100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = run_with_env(
        &["ghcr.io/acme/*", "--github-api", &github.url(), "-q"],
        &[],
        dir.path(),
    );
    let run = expect(run, 1, "no token");
    assert!(run.stderr.contains("read:packages"), "{}", run.stderr);
    assert!(run.stderr.contains("GITHUB_TOKEN"), "{}", run.stderr);
    assert!(
        github.requests().is_empty(),
        "nothing is sent without a token"
    );
}

#[test]
fn enterprise_server_without_a_token_names_its_own_registry_credentials() {
    let github = FakeGithubApi::start(BTreeMap::new(), BTreeMap::new(), GITHUB_TOKEN, 100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let api = format!("{}/api/v3", github.url());
    // The registry is never reached: the token is looked up first.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("containers.ghe.test={}", closed.local_addr().unwrap());
    drop(closed);
    let run = run_with_env(
        &[
            "containers.ghe.test/acme/*",
            "--discovery",
            "github",
            "--github-api",
            &api,
            "--registry-endpoint",
            &endpoint,
            "-q",
        ],
        // GITHUB_TOKEN is for ghcr.io: it must not be taken for the Enterprise host.
        &[("GITHUB_TOKEN", GITHUB_TOKEN)],
        dir.path(),
    );
    let run = expect(run, 1, "no token for the Enterprise registry");
    for needle in [
        "read:packages",
        "GitHub Enterprise Server",
        "NUCCRAWL_REGISTRY=containers.ghe.test",
        "docker login containers.ghe.test",
    ] {
        assert!(run.stderr.contains(needle), "{needle:?}: {}", run.stderr);
    }
    assert!(!run.stderr.contains(GITHUB_TOKEN), "{}", run.stderr);
    assert!(github.requests().is_empty(), "nothing sent without a token");
}

#[test]
fn ecr_is_listed_through_the_catalog_with_basic_aws_and_an_expired_token_is_named() {
    let registry = registry_with(&["app", "team/svc", "base", "zeta"]);
    let ecr = FakeEcr::start(&registry.addr(), "ecr-token-good", "ecr-token-old", 2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ecr.xml");
    let target = format!("{ECR_HOST}/**");
    let endpoint = format!("{ECR_HOST}={}", ecr.addr());
    let args = [
        target.as_str(),
        "--registry-endpoint",
        &endpoint,
        "-q",
        "-o",
        out.to_str().unwrap(),
    ];
    let creds = |password| {
        [
            ("NUCCRAWL_REGISTRY", ECR_HOST),
            ("NUCCRAWL_USERNAME", "AWS"),
            ("NUCCRAWL_PASSWORD", password),
        ]
    };
    expect(
        run_with_env(&args, &creds("ecr-token-good"), dir.path()),
        0,
        "ECR crawl",
    );
    assert_eq!(
        repos_in(&out, ECR_HOST),
        set(&["app", "team/svc", "base", "zeta"])
    );
    assert_valid(&out, dir.path());
    let requests = ecr.requests();
    let catalog = gets_to(&requests, "/v2/_catalog");
    let authorized: Vec<_> = catalog
        .iter()
        .filter(|r| r.header("authorization").is_some())
        .collect();
    assert_eq!(
        authorized.len(),
        2,
        "four repositories at two a page: {catalog:?}"
    );
    assert!(catalog
        .iter()
        .all(|r| r.query("n").as_deref() == Some("1000")));
    let basic = Credentials::new("AWS", "ecr-token-good").basic_header();
    assert!(authorized
        .iter()
        .all(|r| r.header("authorization") == Some(basic.as_str())));

    let stale_out = dir.path().join("stale.xml");
    let args = [
        target.as_str(),
        "--registry-endpoint",
        &endpoint,
        "-q",
        "-o",
        stale_out.to_str().unwrap(),
    ];
    let run = expect(
        run_with_env(&args, &creds("ecr-token-old"), dir.path()),
        1,
        "expired",
    );
    assert!(run.stderr.contains("token has expired"), "{}", run.stderr);
    assert!(run.stderr.contains("get-login-password"), "{}", run.stderr);
    assert!(!run.stderr.contains("ecr-token-old"), "{}", run.stderr);
    assert!(!stale_out.exists());
}
