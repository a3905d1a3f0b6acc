//! Auth-handshake tests against fakes on 127.0.0.1: which credential goes where, the
//! refresh-token POST, refresh before expiry and lookup failures.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use super::fake::{FakeRequest, FakeResponse, FakeServer};
use super::*;
use crate::credentials::{Credential, Keychain};
use crate::reference::Registry;

const MANIFEST: &[u8] =
    br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;

fn client(fake: &FakeServer, keychain: Keychain) -> RegistryClient {
    let registry = Registry::parse(&fake.host()).unwrap();
    let options = ClientOptions {
        keychain: Arc::new(keychain),
        ..ClientOptions::default()
    };
    RegistryClient::new(&registry, &options).unwrap()
}

fn explicit(host: String, cred: Credential) -> Keychain {
    let hosts: BTreeSet<String> = [host].into();
    Keychain::from_env(Some((hosts, cred)), |_| None).unwrap()
}

/// A registry wanting `Bearer <token>` from its own `/token`; the token server's answer
/// comes from `issue`.
fn bearer_registry(
    me: Arc<OnceLock<String>>,
    accepted: &'static str,
    issue: impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static,
) -> impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static {
    move |r| {
        if r.path() == "/token" {
            return issue(r);
        }
        if r.header("authorization") != Some(accepted) {
            let challenge = format!(
                r#"Bearer realm="http://{}/token",service="fake-svc""#,
                me.get().unwrap()
            );
            return FakeResponse::status(401).header("WWW-Authenticate", &challenge);
        }
        FakeResponse::ok(MANIFEST)
    }
}

#[tokio::test]
async fn identity_token_is_traded_through_a_form_post() {
    let me = Arc::new(OnceLock::new());
    let fake = FakeServer::start(bearer_registry(me.clone(), "Bearer from-refresh", |r| {
        if r.method == "POST" && r.body.contains("refresh_token=rt-secret") {
            FakeResponse::ok(r#"{"access_token":"from-refresh","expires_in":300}"#)
        } else {
            FakeResponse::status(401)
        }
    }))
    .await;
    me.set(fake.host()).unwrap();
    let cred = Credential::identity_token("00000000-0000-0000-0000-000000000000", "rt-secret");
    let c = client(&fake, explicit(fake.host(), cred));
    c.get_manifest("team/app", "1").await.unwrap();
    c.get_manifest("team/app", "2").await.unwrap();
    let tokens = fake.requests_to("/token");
    assert_eq!(tokens.len(), 1, "one POST for both requests");
    let post = &tokens[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.query(),
        None,
        "the refresh token travels in the body only"
    );
    assert_eq!(
        post.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(post.header("authorization"), None);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(post.body.as_bytes())
        .into_owned()
        .collect();
    let field = |k: &str| {
        form.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("grant_type"), Some("refresh_token"));
    assert_eq!(field("refresh_token"), Some("rt-secret"));
    assert_eq!(field("service"), Some("fake-svc"));
    assert_eq!(field("scope"), Some("repository:team/app:pull"));
    assert_eq!(field("client_id"), Some("nuccrawl"));
}

#[tokio::test]
async fn a_token_inside_the_refresh_margin_is_refetched() {
    let me = Arc::new(OnceLock::new());
    // Five seconds left is inside the ten-second margin: never worth reusing.
    let fake = FakeServer::start(bearer_registry(me.clone(), "Bearer short", |_| {
        FakeResponse::ok(r#"{"token":"short","expires_in":5}"#)
    }))
    .await;
    me.set(fake.host()).unwrap();
    let c = client(&fake, Keychain::anonymous());
    c.get_manifest("app", "1").await.unwrap();
    c.get_manifest("app", "2").await.unwrap();
    assert_eq!(fake.requests_to("/token").len(), 2);
    // Each manifest request went out with the fresh token, without a 401 round.
    assert_eq!(fake.requests_to("/v2/app/manifests/2").len(), 1);
}

#[tokio::test]
async fn a_long_lived_token_is_reused_across_requests() {
    let me = Arc::new(OnceLock::new());
    let fake = FakeServer::start(bearer_registry(me.clone(), "Bearer long", |_| {
        FakeResponse::ok(r#"{"token":"long","expires_in":300}"#)
    }))
    .await;
    me.set(fake.host()).unwrap();
    let c = client(&fake, Keychain::anonymous());
    for tag in ["1", "2", "3"] {
        c.get_manifest("app", tag).await.unwrap();
    }
    assert_eq!(fake.requests_to("/token").len(), 1);
    assert_eq!(c.stats().token, 1);
}

#[tokio::test]
async fn tokens_are_per_repository_scope() {
    let me = Arc::new(OnceLock::new());
    let fake = FakeServer::start(bearer_registry(me.clone(), "Bearer t", |_| {
        FakeResponse::ok(r#"{"token":"t","expires_in":300}"#)
    }))
    .await;
    me.set(fake.host()).unwrap();
    let c = client(&fake, Keychain::anonymous());
    c.get_manifest("a", "1").await.unwrap();
    c.get_manifest("b", "1").await.unwrap();
    let scopes: Vec<String> = fake
        .requests_to("/token")
        .iter()
        .map(|r| r.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(scopes.len(), 2, "{scopes:?}");
    assert!(
        scopes[0].contains("scope=repository%3Aa%3Apull"),
        "{scopes:?}"
    );
    assert!(
        scopes[1].contains("scope=repository%3Ab%3Apull"),
        "{scopes:?}"
    );
}

#[tokio::test]
async fn a_refresh_token_never_goes_as_basic() {
    let fake = FakeServer::start(|_| {
        FakeResponse::status(401).header("WWW-Authenticate", r#"Basic realm="fake""#)
    })
    .await;
    let cred = Credential::identity_token("u", "rt-secret");
    let err = client(&fake, explicit(fake.host(), cred))
        .tags("app")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "auth failed");
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn credentials_stay_with_their_registry() {
    let fake = FakeServer::start(|r| match r.header("authorization") {
        Some(_) => FakeResponse::ok(r#"{"name":"app","tags":["1"]}"#),
        None => FakeResponse::status(401).header("WWW-Authenticate", r#"Basic realm="fake""#),
    })
    .await;
    // The keychain holds a password for another host only.
    let keychain = explicit(
        "127.0.0.1:1".to_owned(),
        Credential::basic("u", "other-host"),
    );
    let err = client(&fake, keychain).tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "auth failed");
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn a_broken_auth_file_fails_with_its_path_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"auths": {"x": {"auth": "pw-secret-not-json"#).unwrap();
    let docker_config = dir.path().to_str().unwrap().to_owned();
    let keychain = Keychain::from_env(None, |k| {
        (k == "DOCKER_CONFIG").then(|| docker_config.clone())
    })
    .unwrap();
    let fake = FakeServer::start(|_| {
        FakeResponse::status(401).header("WWW-Authenticate", r#"Basic realm="fake""#)
    })
    .await;
    let err = client(&fake, keychain).tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "credentials");
    let text = err.to_string();
    assert!(text.contains(&fake.host()), "{text}");
    assert!(text.contains(config.to_str().unwrap()), "{text}");
    assert!(!text.contains("pw-secret"), "{text}");
    assert_eq!(
        fake.requests().len(),
        1,
        "nothing sent after the lookup failed"
    );
}

#[tokio::test]
async fn registries_that_never_challenge_never_consult_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "not json").unwrap();
    let docker_config = dir.path().to_str().unwrap().to_owned();
    let keychain = Keychain::from_env(None, |k| {
        (k == "DOCKER_CONFIG").then(|| docker_config.clone())
    })
    .unwrap();
    let fake = FakeServer::start(|_| FakeResponse::ok(r#"{"name":"app","tags":["1"]}"#)).await;
    assert_eq!(client(&fake, keychain).tags("app").await.unwrap(), ["1"]);
}
