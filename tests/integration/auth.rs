//! Credentials and the auth handshake against the real Distribution registry: htpasswd
//! Basic auth, and `auth: token` mode with a fake token server (`FakeTokenServer`) whose
//! key pair and certificate each test makes fresh.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use nuccrawl::asset::AssetFile;
use nuccrawl_testkit::{
    load_samples, samples::load_samples_with, Credentials, FakeTokenPolicy, FakeTokenServer,
    LocalRegistry, Samples,
};
use serde_json::{json, Value};

use crate::support::{
    nuccrawl_with, nuccrawl_with_stdin, read_assets, read_report, temp_path, Run,
};

const USER: &str = "crawler";
/// A password no log line or file could contain by accident.
const PASSWORD: &str = "pw-Zq8vX3mK7-marker";
/// A refresh token as unlikely to appear by accident.
const REFRESH_TOKEN: &str = "rt-Lm4nB8wP2-marker";

/// `(repo, manifest digest)` → `(config digest, tags)` of every asset.
type AssetKeys = BTreeMap<(String, String), (String, Vec<String>)>;

fn keys_of(file: &AssetFile, registry: &str) -> AssetKeys {
    file.assets
        .iter()
        .map(|a| {
            assert_eq!(a.image_registry.as_deref(), Some(registry));
            (
                (
                    a.image_repo.clone(),
                    a.image_manifest_digest.clone().unwrap(),
                ),
                (a.image_config_digest.clone().unwrap(), a.image_tags.clone()),
            )
        })
        .collect()
}

fn expected_keys(samples: &Samples) -> AssetKeys {
    samples
        .images
        .iter()
        .map(|i| {
            (
                (i.repo.clone(), i.manifest_digest.clone()),
                (i.config_digest.clone(), i.tags.clone()),
            )
        })
        .collect()
}

/// A crawl of `target` writing `assets.json` and `report.json` into a fresh directory.
struct Crawl {
    dir: tempfile::TempDir,
    run: Run,
}

impl Crawl {
    fn run(target: &str, extra: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = temp_path(&dir, "assets.json");
        let report = temp_path(&dir, "report.json");
        let mut args = vec![
            target,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let run = nuccrawl_with(&args, env, stdin);
        Crawl { dir, run }
    }

    fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.run.code, code,
            "exit code; stderr:\n{}",
            self.run.stderr
        );
        self
    }

    fn assets(&self) -> AssetFile {
        read_assets(&self.dir.path().join("assets.json"))
    }

    fn report(&self) -> Value {
        read_report(&self.dir.path().join("report.json"))
    }

    fn output_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("assets.json")).unwrap_or_default()
    }

    fn report_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("report.json")).unwrap_or_default()
    }
}

/// A `DOCKER_CONFIG` directory whose `config.json` is `content`.
fn docker_config(content: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), content.to_string()).unwrap();
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn failures(report: &Value) -> Vec<(Option<String>, String)> {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["repository"].as_str().map(str::to_owned),
                f["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn htpasswd_registry_is_crawled_with_each_credential_source() {
    let registry = LocalRegistry::start_with_htpasswd(USER, PASSWORD).expect("registry starts");
    let addr = registry.addr();
    let creds = Credentials::new(USER, PASSWORD);
    let samples = load_samples_with(&addr, Some(&creds)).expect("samples load");
    let target = format!("{addr}/**");
    let want = expected_keys(&samples);

    let stdin = format!("{PASSWORD}\n");
    let piped = Crawl::run(
        &target,
        &["-q", "--username", USER, "--password-stdin"],
        &[],
        Some(stdin.as_bytes()),
    )
    .expect(0);
    assert_eq!(keys_of(&piped.assets(), &addr), want, "--password-stdin");

    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let config = docker_config(&json!({"auths": {format!("http://{addr}"): {"auth": auth}}}));
    let from_file = Crawl::run(
        &target,
        &["-q"],
        &[("DOCKER_CONFIG", path_str(config.path()))],
        None,
    )
    .expect(0);
    assert_eq!(
        keys_of(&from_file.assets(), &addr),
        want,
        "config.json auths"
    );

    let from_env = Crawl::run(
        &target,
        &["-q"],
        &[
            ("NUCCRAWL_REGISTRY", addr.as_str()),
            ("NUCCRAWL_USERNAME", USER),
            ("NUCCRAWL_PASSWORD", PASSWORD),
        ],
        None,
    )
    .expect(0);
    assert_eq!(keys_of(&from_env.assets(), &addr), want, "NUCCRAWL_* env");

    // First match wins: the explicit pair beats a wrong password in config.json.
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:wrong"));
    let stale = docker_config(&json!({"auths": {addr.clone(): {"auth": wrong}}}));
    let explicit_first = Crawl::run(
        &target,
        &["-q", "--username", USER, "--password-stdin"],
        &[("DOCKER_CONFIG", path_str(stale.path()))],
        Some(stdin.as_bytes()),
    )
    .expect(0);
    assert_eq!(keys_of(&explicit_first.assets(), &addr), want);
    // …and the wrong one alone is refused.
    Crawl::run(
        &target,
        &["-q"],
        &[("DOCKER_CONFIG", path_str(stale.path()))],
        None,
    )
    .expect(1);
}

#[test]
fn htpasswd_registry_without_credentials_fails_clearly() {
    let registry = LocalRegistry::start_with_htpasswd(USER, PASSWORD).expect("registry starts");
    let addr = registry.addr();

    // A pattern needs the catalog: refused, so nothing at all could be done.
    let pattern = Crawl::run(&format!("{addr}/**"), &[], &[], None).expect(1);
    assert!(
        pattern.run.stderr.contains("authentication failed"),
        "{}",
        pattern.run.stderr
    );
    assert!(pattern.run.stderr.contains("nothing could be crawled"));
    let report = pattern.report();
    assert_eq!(failures(&report).len(), 1, "{report}");
    assert!(!pattern.dir.path().join("assets.json").exists());

    // Named repositories: each refusal recorded against its repository.
    let dir = tempfile::tempdir().unwrap();
    let report_path = temp_path(&dir, "report.json");
    let (a, b) = (format!("{addr}/team/a"), format!("{addr}/team/b"));
    let run = nuccrawl_with(&[&a, &b, "--report", path_str(&report_path)], &[], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = failures(&read_report(&report_path));
    let repos: BTreeSet<Option<String>> = got.iter().map(|f| f.0.clone()).collect();
    assert_eq!(
        repos,
        BTreeSet::from([Some("team/a".to_owned()), Some("team/b".to_owned())])
    );
    assert!(
        got.iter().all(|f| f.1.contains("authentication failed")),
        "{got:?}"
    );
}

#[test]
fn password_stdin_is_checked_before_anything_is_crawled() {
    // No registry listens here: the run must stop before any request.
    let target = "127.0.0.1:9/app";
    let empty = nuccrawl_with_stdin(&[target, "--username", USER, "--password-stdin"], b"\n");
    assert_eq!(empty.code, 1, "{}", empty.stderr);
    assert!(empty.stderr.contains("standard input"), "{}", empty.stderr);
    let alone = nuccrawl_with_stdin(&[target, "--password-stdin"], b"pw\n");
    assert_eq!(alone.code, 1, "usage error: {}", alone.stderr);
    assert!(alone.stderr.contains("--username"), "{}", alone.stderr);
    let mixed = nuccrawl_with_stdin(
        &[
            target,
            "ghcr.io/org/app",
            "--username",
            USER,
            "--password-stdin",
        ],
        b"pw\n",
    );
    assert_eq!(mixed.code, 1, "{}", mixed.stderr);
    assert!(mixed.stderr.contains("one registry"), "{}", mixed.stderr);
}

#[test]
fn a_broken_docker_config_fails_the_registry_naming_the_file() {
    let registry = LocalRegistry::start_with_htpasswd(USER, PASSWORD).expect("registry starts");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        format!(r#"{{"auths": {{"x": {{"auth": "{PASSWORD}"#),
    )
    .unwrap();
    let crawl = Crawl::run(
        &format!("{}/**", registry.addr()),
        &[],
        &[("DOCKER_CONFIG", path_str(dir.path()))],
        None,
    )
    .expect(1);
    let stderr = &crawl.run.stderr;
    assert!(stderr.contains("cannot look up credentials"), "{stderr}");
    assert!(stderr.contains(path_str(&config)), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// A registry loaded with the samples, then switched to token auth trusting `fake`.
fn token_registry(fake: &FakeTokenServer) -> (LocalRegistry, Samples) {
    let mut registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    registry
        .restart_with_token_auth(&fake.registry_auth())
        .expect("registry restarts with token auth");
    (registry, samples)
}

fn basic_policy() -> FakeTokenPolicy {
    FakeTokenPolicy {
        basic: Some(Credentials::new(USER, PASSWORD)),
        ..FakeTokenPolicy::default()
    }
}

#[test]
fn token_auth_crawl_is_exact_with_one_token_per_scope() {
    let fake = FakeTokenServer::start(basic_policy()).expect("fake token server");
    let (registry, samples) = token_registry(&fake);
    let addr = registry.addr();
    let stdin = format!("{PASSWORD}\n");
    let crawl = Crawl::run(
        &format!("{addr}/**"),
        &[
            "-q",
            "--concurrency",
            "16",
            "--username",
            USER,
            "--password-stdin",
        ],
        &[],
        Some(stdin.as_bytes()),
    )
    .expect(0);
    assert_eq!(keys_of(&crawl.assets(), &addr), expected_keys(&samples));

    // One token for the catalog and one per repository, however many tags it has.
    assert_eq!(fake.requests_for("registry:catalog:*"), 1);
    let many = "repository:samples/many:pull";
    assert_eq!(fake.requests_for(many), 1, "320 tags at concurrency 16");
    for repo in &samples.repos {
        assert_eq!(
            fake.requests_for(&format!("repository:{repo}:pull")),
            1,
            "{repo}"
        );
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), samples.repos.len() + 1, "{requests:?}");
    assert!(requests
        .iter()
        .all(|r| r.authenticated && r.method == "GET"));
    let report = crawl.report();
    assert_eq!(report["requests"]["token"], requests.len(), "{report}");
}

#[test]
fn identitytoken_in_docker_config_is_traded_through_the_refresh_post() {
    let fake = FakeTokenServer::start(FakeTokenPolicy {
        refresh_token: Some(REFRESH_TOKEN.to_owned()),
        ..FakeTokenPolicy::default()
    })
    .expect("fake token server");
    let (registry, samples) = token_registry(&fake);
    let addr = registry.addr();
    // What `docker login` writes for a refresh-token login (ACR): a placeholder user.
    let placeholder =
        base64::engine::general_purpose::STANDARD.encode("00000000-0000-0000-0000-000000000000:");
    let config = docker_config(&json!({"auths": {addr.clone(): {
        "auth": placeholder, "identitytoken": REFRESH_TOKEN,
    }}}));
    let crawl = Crawl::run(
        &format!("{addr}/**"),
        &["-q"],
        &[("DOCKER_CONFIG", path_str(config.path()))],
        None,
    )
    .expect(0);
    assert_eq!(keys_of(&crawl.assets(), &addr), expected_keys(&samples));
    let requests = fake.requests();
    assert_eq!(requests.len(), samples.repos.len() + 1);
    assert!(
        requests
            .iter()
            .all(|r| r.method == "POST" && r.authenticated && !r.had_authorization),
        "{requests:?}"
    );
}

#[test]
fn a_repository_the_token_server_refuses_is_recorded_and_the_rest_kept() {
    let fake = FakeTokenServer::start(FakeTokenPolicy {
        deny_repositories: vec!["samples/debian".into()],
        ..basic_policy()
    })
    .expect("fake token server");
    let (registry, samples) = token_registry(&fake);
    let addr = registry.addr();
    let stdin = format!("{PASSWORD}\n");
    let crawl = Crawl::run(
        &format!("{addr}/**"),
        &["-q", "--username", USER, "--password-stdin"],
        &[],
        Some(stdin.as_bytes()),
    )
    .expect(2);
    let mut want = expected_keys(&samples);
    want.retain(|(repo, _), _| repo != "samples/debian");
    assert_eq!(keys_of(&crawl.assets(), &addr), want);
    let got = failures(&crawl.report());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0.as_deref(), Some("samples/debian"));
    assert!(got[0].1.contains("authentication failed"), "{got:?}");
    // Refused once, refreshed once on the fresh 401, then given up: never a loop.
    assert_eq!(fake.requests_for("repository:samples/debian:pull"), 2);
}

/// Every secret-bearing string of a run, for leak checks.
fn assert_no_secret(crawl: &Crawl, secrets: &[String]) {
    let places = [
        ("stderr", crawl.run.stderr.clone()),
        (
            "stdout",
            String::from_utf8_lossy(&crawl.run.stdout).into_owned(),
        ),
        ("output", crawl.output_text()),
        ("report", crawl.report_text()),
    ];
    for (name, text) in &places {
        for secret in secrets {
            assert!(!text.contains(secret.as_str()), "{name} holds a secret");
        }
        for header in ["Bearer ey", "Basic ", "authorization: ", "Authorization: "] {
            assert!(!text.contains(header), "{name} holds `{header}`");
        }
    }
}

#[test]
fn secrets_never_appear_even_at_the_most_verbose_level() {
    let basic_b64 = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    // Token auth, password through stdin.
    let fake = FakeTokenServer::start(FakeTokenPolicy {
        refresh_token: Some(REFRESH_TOKEN.to_owned()),
        ..basic_policy()
    })
    .expect("fake token server");
    let (registry, _samples) = token_registry(&fake);
    let target = format!("{}/samples/**", registry.addr());
    let stdin = format!("{PASSWORD}\n");
    let piped = Crawl::run(
        &target,
        &["-vvv", "--username", USER, "--password-stdin"],
        &[],
        Some(stdin.as_bytes()),
    )
    .expect(0);
    // The log really is at trace level and did see the handshake.
    assert!(
        piped.run.stderr.contains("requesting a token"),
        "no debug log"
    );
    assert!(piped.run.stderr.contains("TRACE"), "no trace log");
    // Refresh token from config.json.
    let config = docker_config(&json!({"auths": {registry.addr(): {
        "username": "00000000-0000-0000-0000-000000000000", "identitytoken": REFRESH_TOKEN,
    }}}));
    let refreshed = Crawl::run(
        &target,
        &["-vvv"],
        &[("DOCKER_CONFIG", path_str(config.path()))],
        None,
    )
    .expect(0);
    let mut secrets = vec![
        PASSWORD.to_owned(),
        REFRESH_TOKEN.to_owned(),
        basic_b64.clone(),
    ];
    let issued = fake.issued_tokens();
    assert!(!issued.is_empty());
    secrets.extend(issued);
    assert_no_secret(&piped, &secrets);
    assert_no_secret(&refreshed, &secrets);

    // Basic auth straight to the registry (htpasswd), password from the environment.
    let basic = LocalRegistry::start_with_htpasswd(USER, PASSWORD).expect("registry starts");
    load_samples_with(&basic.addr(), Some(&Credentials::new(USER, PASSWORD))).unwrap();
    let from_env = Crawl::run(
        &format!("{}/samples/alpine", basic.addr()),
        &["-vvv"],
        &[
            ("NUCCRAWL_REGISTRY", basic.addr().as_str()),
            ("NUCCRAWL_USERNAME", USER),
            ("NUCCRAWL_PASSWORD", PASSWORD),
        ],
        None,
    )
    .expect(0);
    assert!(from_env.run.stderr.contains("credentials found"));
    assert_no_secret(&from_env, &[PASSWORD.to_owned(), basic_b64]);
}
