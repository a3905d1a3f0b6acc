//! The keychain as a whole: order of precedence, caching, and that no secret leaks,
//! with auth files and fake helpers written to temporary directories.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use super::test_support::{hang_pids, helper_dir, helper_runs, is_running, HELPER_SECRET};
use super::*;

/// A private environment, auth files and all.
struct Fixture {
    dir: tempfile::TempDir,
    vars: HashMap<String, String>,
}

impl Fixture {
    fn new() -> Self {
        let mut vars = HashMap::new();
        vars.insert("PATH".into(), helper_dir().display().to_string());
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            vars,
        }
    }

    fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    fn write(&self, name: &str, json: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, json).unwrap();
        path
    }

    /// Writes Docker's config and points `DOCKER_CONFIG` at its directory.
    fn docker(self, json: &str) -> Self {
        let path = self.write("docker/config.json", json);
        let dir = path.parent().unwrap().display().to_string();
        self.var("DOCKER_CONFIG", &dir)
    }

    /// Writes Podman's auth file and points `REGISTRY_AUTH_FILE` at it.
    fn podman(self, json: &str) -> Self {
        let path = self.write("podman/auth.json", json).display().to_string();
        self.var("REGISTRY_AUTH_FILE", &path)
    }

    fn keychain(&self, explicit: Option<(&[&str], Credential)>) -> Keychain {
        self.try_keychain(explicit).unwrap()
    }

    fn try_keychain(
        &self,
        explicit: Option<(&[&str], Credential)>,
    ) -> Result<Keychain, CredentialError> {
        let explicit = explicit.map(|(hosts, cred)| {
            let hosts: BTreeSet<String> = hosts.iter().map(|h| h.to_string()).collect();
            (hosts, cred)
        });
        let vars = self.vars.clone();
        Keychain::from_env(explicit, move |name| vars.get(name).cloned())
    }
}

fn basic_auths(host: &str, user: &str, password: &str) -> String {
    format!(r#"{{"auths":{{"{host}":{{"username":"{user}","password":"{password}"}}}}}}"#)
}

fn found(keychain: &Keychain, host: &str) -> (Credential, Origin) {
    keychain
        .resolve(host)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing for {host}"))
}

const HOST: &str = "registry.test:5000";

#[test]
fn order_of_precedence_is_explicit_env_docker_podman_anonymous() {
    let explicit = || Some((&[HOST][..], Credential::basic("cli", "cli-pw")));
    let env = |f: Fixture| {
        f.var("NUCCRAWL_USERNAME", "env")
            .var("NUCCRAWL_PASSWORD", "env-pw")
            .var("NUCCRAWL_REGISTRY", HOST)
    };
    let docker = |f: Fixture| f.docker(&basic_auths(HOST, "docker", "docker-pw"));
    let podman = |f: Fixture| f.podman(&basic_auths(HOST, "podman", "podman-pw"));

    let all = podman(docker(env(Fixture::new())));
    let (cred, origin) = found(&all.keychain(explicit()), HOST);
    assert_eq!((cred.username(), origin), ("cli", Origin::PasswordStdin));

    let (cred, origin) = found(&all.keychain(None), HOST);
    assert_eq!((cred.username(), origin), ("env", Origin::NuccrawlEnv));

    let fixture = podman(docker(Fixture::new()));
    let (cred, origin) = found(&fixture.keychain(None), HOST);
    assert_eq!(cred, Credential::basic("docker", "docker-pw"));
    assert!(
        matches!(
            origin,
            Origin::Auths {
                kind: AuthFileKind::Docker,
                ..
            }
        ),
        "{origin}"
    );

    let fixture = podman(Fixture::new());
    let (cred, origin) = found(&fixture.keychain(None), HOST);
    assert_eq!(cred.username(), "podman");
    assert!(
        matches!(
            origin,
            Origin::Auths {
                kind: AuthFileKind::Podman,
                ..
            }
        ),
        "{origin}"
    );

    let fixture = Fixture::new();
    assert_eq!(fixture.keychain(None).resolve(HOST).unwrap(), None);
}

#[test]
fn explicit_credential_goes_only_to_its_hosts() {
    let keychain =
        Fixture::new().keychain(Some((&["index.docker.io"], Credential::basic("u", "p"))));
    assert_eq!(found(&keychain, "docker.io").1, Origin::PasswordStdin);
    assert_eq!(
        found(&keychain, "registry-1.docker.io").1,
        Origin::PasswordStdin
    );
    assert_eq!(keychain.resolve("ghcr.io").unwrap(), None);
}

#[test]
fn github_token_only_for_ghcr() {
    let fixture = Fixture::new()
        .var("GITHUB_TOKEN", "ghp_token_value")
        .docker(&basic_auths("docker.io", "hub", "hub-pw"));
    let keychain = fixture.keychain(None);
    let (cred, origin) = found(&keychain, "ghcr.io");
    assert_eq!(
        (cred, origin),
        (
            Credential::basic("token", "ghp_token_value"),
            Origin::GithubToken
        )
    );
    assert_eq!(found(&keychain, "docker.io").0.username(), "hub");
    assert_eq!(keychain.resolve("quay.io").unwrap(), None);
}

#[test]
fn env_pair_without_registry_fails_the_keychain() {
    let fixture = Fixture::new()
        .var("NUCCRAWL_USERNAME", "u")
        .var("NUCCRAWL_PASSWORD", "p");
    let err = fixture.try_keychain(None).err().unwrap();
    assert!(
        matches!(err, CredentialError::EnvPairWithoutRegistry),
        "{err}"
    );
}

#[test]
fn each_docker_hub_key_spelling_is_found_for_docker_io_and_its_aliases() {
    for key in [
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
        "https://registry.hub.docker.com/",
    ] {
        let fixture = Fixture::new().docker(&basic_auths(key, "hub", "pw"));
        let keychain = fixture.keychain(None);
        for asked in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            let (cred, _) = found(&keychain, asked);
            assert_eq!(
                cred,
                Credential::basic("hub", "pw"),
                "key {key}, asked {asked}"
            );
        }
        assert_eq!(keychain.resolve("ghcr.io").unwrap(), None, "{key}");
    }
}

#[test]
fn auth_base64_and_identity_token_through_the_keychain() {
    let json = r#"{"auths":{
        "http://127.0.0.1:5000":{"auth":"YWxpY2U6cGE6c3M="},
        "https://x.azurecr.io":{"auth":"MDAwMDAwMDAtMDAwMDo=","identitytoken":"refresh-77"}}}"#;
    let fixture = Fixture::new().docker(json);
    let keychain = fixture.keychain(None);
    assert_eq!(
        found(&keychain, "127.0.0.1:5000").0,
        Credential::basic("alice", "pa:ss")
    );
    assert_eq!(
        found(&keychain, "x.azurecr.io").0,
        Credential::identity_token("00000000-0000", "refresh-77")
    );
}

#[test]
fn cred_helpers_win_over_auths() {
    let json = r#"{"credHelpers":{"x.azurecr.io":"token"},
        "auths":{"x.azurecr.io":{"username":"stale","password":"stale-pw"}}}"#;
    let fixture = Fixture::new().docker(json);
    let (cred, origin) = found(&fixture.keychain(None), "x.azurecr.io");
    assert_eq!(cred, Credential::identity_token("", HELPER_SECRET));
    assert!(
        matches!(&origin, Origin::Helper { via: HelperVia::CredHelpers, helper, .. } if helper == "token")
    );
    assert!(
        origin.to_string().contains("credHelpers (helper: token"),
        "{origin}"
    );
}

#[test]
fn creds_store_is_asked_with_docker_hubs_server_url() {
    let json = r#"{"credsStore":"good","auths":{"https://index.docker.io/v1/":{}}}"#;
    let fixture = Fixture::new().docker(json);
    let keychain = fixture.keychain(None);
    let (cred, origin) = found(&keychain, "docker.io");
    assert_eq!(
        cred,
        Credential::basic("user-for-https://index.docker.io/v1/", HELPER_SECRET)
    );
    assert!(matches!(
        origin,
        Origin::Helper {
            via: HelperVia::CredsStore,
            ..
        }
    ));
    assert_eq!(found(&keychain, "ghcr.io").0.username(), "user-for-ghcr.io");
}

#[test]
fn creds_store_miss_skips_auths_and_falls_to_podman_then_anonymous() {
    let docker = r#"{"credsStore":"missing","auths":{"ghcr.io":{"auth":"dTpw"}}}"#;
    let fixture = Fixture::new().docker(docker);
    let keychain = fixture.keychain(None);
    assert_eq!(keychain.resolve("ghcr.io").unwrap(), None);
    let fixture = Fixture::new()
        .docker(docker)
        .podman(&basic_auths("ghcr.io", "pod", "pod-pw"));
    let keychain = fixture.keychain(None);
    assert_eq!(found(&keychain, "ghcr.io").0.username(), "pod");
}

#[test]
fn podman_auth_under_xdg_runtime_dir() {
    let fixture = Fixture::new();
    fixture.write(
        "run/containers/auth.json",
        &basic_auths("quay.io", "q", "q-pw"),
    );
    let runtime = fixture.dir.path().join("run").display().to_string();
    let fixture = fixture.var("XDG_RUNTIME_DIR", &runtime);
    let keychain = fixture.keychain(None);
    let (cred, origin) = found(&keychain, "quay.io");
    assert_eq!(cred.username(), "q");
    assert!(
        origin.to_string().starts_with("podman auth.json auths"),
        "{origin}"
    );
}

#[test]
fn docker_config_under_home() {
    let fixture = Fixture::new();
    fixture.write(
        "home/.docker/config.json",
        &basic_auths("quay.io", "h", "h-pw"),
    );
    let home = fixture.dir.path().join("home").display().to_string();
    let fixture = fixture.var("HOME", &home);
    assert_eq!(found(&fixture.keychain(None), "quay.io").0.username(), "h");
}

#[test]
fn malformed_config_fails_only_hosts_that_reach_it() {
    let fixture = Fixture::new()
        .var("GITHUB_TOKEN", "t")
        .docker(r#"{"auths": {"#);
    let keychain = fixture.keychain(Some((&["127.0.0.1:5000"], Credential::basic("u", "p"))));
    let err = keychain.resolve("quay.io").unwrap_err().to_string();
    assert!(
        err.contains("docker/config.json") && err.contains("JSON syntax error"),
        "{err}"
    );
    assert_eq!(found(&keychain, "ghcr.io").1, Origin::GithubToken);
    assert_eq!(found(&keychain, "127.0.0.1:5000").1, Origin::PasswordStdin);
}

#[test]
fn hanging_helper_times_out_once_and_the_error_is_cached() {
    let host = "hang-once.test";
    let fixture = Fixture::new().docker(r#"{"credsStore":"hang"}"#);
    let keychain = fixture
        .keychain(None)
        .with_helper_timeout(Duration::from_secs(1));
    let err = keychain.resolve(host).unwrap_err();
    assert!(
        matches!(err, CredentialError::HelperTimeout { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("docker-credential-hang"), "{err}");
    assert!(keychain.resolve(host).is_err());
    // Each run of the helper writes its id: the second lookup answered from the cache.
    let runs = hang_pids(host);
    assert_eq!(runs.len(), 1, "second lookup re-ran the helper: {runs:?}");
    assert!(
        !is_running(runs[0]),
        "the timed-out helper was left running"
    );
}

#[test]
fn helper_runs_once_per_host_even_when_asked_concurrently() {
    let host = "count-once.test";
    let fixture = Fixture::new().docker(r#"{"credsStore":"counting"}"#);
    let keychain = fixture.keychain(None);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| assert!(keychain.resolve(host).unwrap().is_some()));
        }
    });
    assert!(keychain.resolve(host).unwrap().is_some());
    assert_eq!(helper_runs(host), 1);
}

#[test]
fn no_secret_in_debug_display_or_errors() {
    let secrets = [
        "cli-pw",
        "env-pw",
        "ghp_secret_tok",
        "file-pw",
        HELPER_SECRET,
    ];
    let json = r#"{"credHelpers":{"bad.test":"garbage","hub.test":"good"},
        "auths":{"file.test":{"username":"f","password":"file-pw"}}}"#;
    let fixture = Fixture::new()
        .var("NUCCRAWL_USERNAME", "e")
        .var("NUCCRAWL_PASSWORD", "env-pw")
        .var("NUCCRAWL_REGISTRY", "env.test")
        .var("GITHUB_TOKEN", "ghp_secret_tok")
        .docker(json);
    let keychain = fixture.keychain(Some((&["cli.test"], Credential::basic("c", "cli-pw"))));
    let mut text = format!("{keychain:?}");
    for host in [
        "cli.test",
        "env.test",
        "ghcr.io",
        "file.test",
        "hub.test",
        "bad.test",
    ] {
        let resolved = keychain.resolve(host);
        text += &format!("{resolved:?} {resolved:#?}");
        match resolved {
            Ok(Some((cred, origin))) => text += &format!("{origin} {:?}", cred.secret()),
            Ok(None) => panic!("{host}: nothing"),
            Err(e) => text += &e.to_string(),
        }
    }
    assert!(
        text.contains("HelperBadAnswer"),
        "the garbage helper should fail: {text}"
    );
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn anonymous_keychain_finds_nothing() {
    assert_eq!(Keychain::anonymous().resolve("docker.io").unwrap(), None);
}
