//! Client tests against fake registries on 127.0.0.1 (see `fake.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::fake::{FakeRequest, FakeResponse, FakeServer};
use super::pause::Pause;
use super::*;
use crate::credentials::{Credential, Keychain};
use crate::image::Digest;
use crate::reference::Registry;

const MANIFEST: &[u8] =
    br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

fn client_with(fake: &FakeServer, options: ClientOptions) -> RegistryClient {
    let registry = Registry::parse(&fake.host()).unwrap();
    RegistryClient::new(&registry, &options).unwrap()
}

fn client(fake: &FakeServer) -> RegistryClient {
    client_with(fake, ClientOptions::default())
}

/// Options whose keychain holds `cred` for the fake's host only.
fn with_credential(fake: &FakeServer, cred: Credential) -> ClientOptions {
    let hosts = [fake.host()].into();
    let keychain = Keychain::from_env(Some((hosts, cred)), |_| None).unwrap();
    ClientOptions {
        keychain: Arc::new(keychain),
        ..ClientOptions::default()
    }
}

fn alice() -> Credential {
    Credential::basic("alice", "s3cret")
}

/// A handler slot for fakes that must know their own address.
fn self_host() -> Arc<OnceLock<String>> {
    Arc::new(OnceLock::new())
}

#[tokio::test]
async fn catalog_follows_three_pages_of_links() {
    let me = self_host();
    let me_in = me.clone();
    let fake = FakeServer::start(move |r| match r.query() {
        Some("n=1000") => FakeResponse::ok(r#"{"repositories":["a","b"]}"#)
            .header("Link", r#"</v2/_catalog?last=b&n=1000>; rel="next""#),
        // A short page with an absolute cursor link: not the end.
        Some("last=b&n=1000") => FakeResponse::ok(r#"{"repositories":["c"]}"#).header(
            "Link",
            &format!(
                r#"<http://{}/v2/_catalog?cursor=opaque>; rel="next""#,
                me_in.get().unwrap()
            ),
        ),
        Some("cursor=opaque") => FakeResponse::ok(r#"{"repositories":["d","e/f"]}"#),
        _ => FakeResponse::status(400),
    })
    .await;
    me.set(fake.host()).unwrap();
    let c = client(&fake);
    assert_eq!(c.catalog().await.unwrap(), ["a", "b", "c", "d", "e/f"]);
    assert_eq!(c.stats().catalog, 3);
    assert_eq!(fake.requests_to("/v2/_catalog").len(), 3);
}

#[tokio::test]
async fn catalog_refuses_a_link_to_another_host() {
    let fake = FakeServer::start(|_| {
        FakeResponse::ok(r#"{"repositories":["a"]}"#).header(
            "Link",
            r#"<http://127.0.0.2:9/v2/_catalog?last=a>; rel="next""#,
        )
    })
    .await;
    let err = client(&fake).catalog().await.unwrap_err();
    assert_eq!(err.kind(), "bad pagination", "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn catalog_stops_a_link_loop() {
    let fake = FakeServer::start(|_| {
        FakeResponse::ok(r#"{"repositories":["a"]}"#)
            .header("Link", r#"</v2/_catalog?n=1000>; rel="next""#)
    })
    .await;
    let err = client(&fake).catalog().await.unwrap_err();
    assert_eq!(err.kind(), "bad pagination", "{err}");
}

#[tokio::test]
async fn tags_follow_relative_links() {
    let fake = FakeServer::start(|r| match (r.path(), r.query()) {
        ("/v2/team/app/tags/list", Some("n=1000")) => {
            FakeResponse::ok(r#"{"name":"team/app","tags":["v2","v1"]}"#)
                .header("Link", r#"<list?last=v1>; rel="next""#)
        }
        ("/v2/team/app/tags/list", Some("last=v1")) => {
            FakeResponse::ok(r#"{"name":"team/app","tags":["latest"]}"#)
        }
        _ => FakeResponse::status(404),
    })
    .await;
    let c = client(&fake);
    assert_eq!(c.tags("team/app").await.unwrap(), ["v2", "v1", "latest"]);
    assert_eq!(c.stats().tags, 2);
    assert_eq!(c.tags("Bad/Name").await.unwrap_err().kind(), "invalid name");
}

fn manifest_fake(header_digest: Option<String>) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |_| {
        let mut resp = FakeResponse::ok(MANIFEST)
            .header("Content-Type", &format!("{OCI_TYPE}; charset=utf-8"));
        if let Some(d) = &header_digest {
            resp = resp.header("Docker-Content-Digest", d);
        }
        resp
    }
}

#[tokio::test]
async fn manifest_digest_is_of_exact_bytes() {
    let digest = Digest::of(MANIFEST);
    let fake = FakeServer::start(manifest_fake(Some(digest.to_string()))).await;
    let c = client(&fake);
    let got = c.get_manifest("app", "latest").await.unwrap();
    assert_eq!(got.digest, digest);
    assert_eq!(&got.bytes[..], MANIFEST);
    assert_eq!(got.media_type.as_deref(), Some(OCI_TYPE));
    let by_digest = c.get_manifest("app", digest.as_str()).await.unwrap();
    assert_eq!(by_digest.digest, digest);
    let sent = &fake.requests()[0];
    let accept = sent.header("accept").unwrap();
    for t in [
        accept::OCI_INDEX,
        accept::OCI_MANIFEST,
        accept::DOCKER_MANIFEST_LIST,
    ] {
        assert!(accept.contains(t), "{accept}");
    }
    assert_eq!(sent.header("accept-encoding"), Some("identity"));
    assert_eq!(c.stats().manifest_get, 2);
}

#[tokio::test]
async fn manifest_header_digest_mismatch_is_rejected() {
    let wrong = Digest::of(b"something else").to_string();
    let fake = FakeServer::start(manifest_fake(Some(wrong.clone()))).await;
    let err = client(&fake)
        .get_manifest("app", "latest")
        .await
        .unwrap_err();
    match &err {
        RegistryError::HeaderDigestMismatch { header, actual, .. } => {
            assert_eq!(header, &wrong);
            assert_eq!(actual, Digest::of(MANIFEST).as_str());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.kind(), "digest mismatch");
}

#[tokio::test]
async fn manifest_requested_digest_mismatch_is_rejected() {
    let fake = FakeServer::start(manifest_fake(None)).await;
    let asked = Digest::of(b"the manifest we wanted");
    let err = client(&fake)
        .get_manifest("app", asked.as_str())
        .await
        .unwrap_err();
    match err {
        RegistryError::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, asked.as_str());
            assert_eq!(actual, Digest::of(MANIFEST).as_str());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn head_reports_headers_or_none_when_unsupported() {
    let digest = Digest::of(MANIFEST);
    let d = digest.to_string();
    let fake = FakeServer::start(move |r| match r.path() {
        "/v2/app/manifests/latest" => FakeResponse::ok(MANIFEST)
            .header("Content-Type", OCI_TYPE)
            .header("Docker-Content-Digest", &d),
        _ => FakeResponse::status(405),
    })
    .await;
    let c = client(&fake);
    let head = c.head_manifest("app", "latest").await.unwrap().unwrap();
    assert_eq!(head.digest, Some(digest));
    assert_eq!(head.media_type.as_deref(), Some(OCI_TYPE));
    assert_eq!(head.size, Some(MANIFEST.len() as u64));
    assert_eq!(c.head_manifest("app", "old").await.unwrap(), None);
    assert_eq!(c.stats().head, 2);
    assert!(fake.requests().iter().all(|r| r.method == "HEAD"));
}

/// A registry that wants `Bearer good` and a token server on the same fake.
fn token_registry(me: Arc<OnceLock<String>>) -> impl Fn(&FakeRequest) -> FakeResponse {
    move |r| {
        if r.path() == "/token" {
            return FakeResponse::ok(r#"{"access_token":"good","expires_in":300}"#)
                .delay(Duration::from_millis(100));
        }
        if r.header("authorization") != Some("Bearer good") {
            let challenge = format!(
                concat!(
                    r#"Basic realm="x", Bearer realm="http://{}/token","#,
                    r#"service="fake",scope="repository:app:pull,push""#
                ),
                me.get().unwrap()
            );
            return FakeResponse::status(401).header("WWW-Authenticate", &challenge);
        }
        FakeResponse::ok(MANIFEST)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_token_fetch() {
    let me = self_host();
    let fake = FakeServer::start(token_registry(me.clone())).await;
    me.set(fake.host()).unwrap();
    let c = client_with(&fake, with_credential(&fake, alice()));
    let calls = (0..20).map(|_| {
        let c = c.clone();
        async move { c.get_manifest("app", "latest").await }
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap().digest, Digest::of(MANIFEST));
    }
    let tokens = fake.requests_to("/token");
    assert_eq!(tokens.len(), 1, "exactly one token request");
    assert_eq!(c.stats().token, 1);
    let query = tokens[0].query().unwrap();
    assert!(query.contains("service=fake"), "{query}");
    assert!(query.contains("scope=repository%3Aapp%3Apull"), "{query}");
    // Loopback realm: Basic credentials go to the token server, never to the registry.
    assert_eq!(
        tokens[0].header("authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    let manifests = fake.requests_to("/v2/app/manifests/latest");
    assert!(manifests
        .iter()
        .all(|r| r.header("authorization") != Some("Basic YWxpY2U6czNjcmV0")));
    // A later request reuses the cached token without a 401 round trip.
    let before = manifests.len();
    c.get_manifest("app", "latest").await.unwrap();
    assert_eq!(
        fake.requests_to("/v2/app/manifests/latest").len(),
        before + 1
    );
}

#[tokio::test]
async fn a_refused_token_is_not_retried_in_a_loop() {
    let me = self_host();
    let me_in = me.clone();
    let fake = FakeServer::start(move |r| {
        if r.path() == "/token" {
            return FakeResponse::ok(r#"{"token":"useless"}"#);
        }
        let challenge = format!(r#"Bearer realm="http://{}/token""#, me_in.get().unwrap());
        FakeResponse::status(401).header("WWW-Authenticate", &challenge)
    })
    .await;
    me.set(fake.host()).unwrap();
    let err = client(&fake)
        .get_manifest("app", "latest")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "auth failed", "{err}");
    assert_eq!(fake.requests_to("/token").len(), 1);
    assert_eq!(fake.requests_to("/v2/app/manifests/latest").len(), 2);
    let token_query = fake.requests_to("/token")[0].query().unwrap().to_string();
    assert!(
        !token_query.contains("service="),
        "no service param when challenge has none"
    );
}

#[tokio::test]
async fn basic_challenge_is_answered_with_credentials() {
    let fake = FakeServer::start(|r| match r.header("authorization") {
        Some("Basic YWxpY2U6czNjcmV0") => FakeResponse::ok(r#"{"name":"app","tags":["1"]}"#),
        _ => FakeResponse::status(401).header("WWW-Authenticate", r#"Basic realm="fake""#),
    })
    .await;
    let anonymous = client(&fake).tags("app").await.unwrap_err();
    assert_eq!(anonymous.kind(), "auth failed");
    let options = with_credential(&fake, alice());
    assert_eq!(
        client_with(&fake, options).tags("app").await.unwrap(),
        ["1"]
    );
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let calls_in = calls.clone();
    let fake = FakeServer::start(move |_| {
        if calls_in.fetch_add(1, Ordering::SeqCst) == 0 {
            FakeResponse::status(429)
                .header("Retry-After", "1")
                .body(r#"{"errors":[]}"#)
        } else {
            FakeResponse::ok(r#"{"name":"app","tags":["a"]}"#)
        }
    })
    .await;
    let waits = Arc::new(Mutex::new(Vec::new()));
    let registry = Registry::parse(&fake.host()).unwrap();
    let pause = Pause::Record(waits.clone());
    let c = RegistryClient::with_pause(&registry, &ClientOptions::default(), pause).unwrap();
    assert_eq!(c.tags("app").await.unwrap(), ["a"]);
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_secs(1)],
        "one wait, of the Retry-After, before the second attempt"
    );
    let stats = c.stats();
    assert_eq!((stats.retries, stats.tags), (1, 2));
}

#[tokio::test]
async fn server_errors_exhaust_the_attempt_budget() {
    let fake = FakeServer::start(|_| FakeResponse::status(503).body("upstream down")).await;
    let options = ClientOptions {
        max_attempts: 3,
        ..ClientOptions::default()
    };
    let c = client_with(&fake, options);
    let err = c.tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "http 503");
    assert!(err.to_string().contains("upstream down"), "{err}");
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let fake = FakeServer::start(|_| {
        FakeResponse::status(404).body(r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
    })
    .await;
    let c = client(&fake);
    let err = c.get_manifest("app", "gone").await.unwrap_err();
    assert_eq!(err.kind(), "not found");
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(c.stats().retries, 0);
}

#[tokio::test]
async fn denied_carries_the_registry_message() {
    let fake = FakeServer::start(|_| {
        FakeResponse::status(403)
            .body(r#"{"errors":[{"code":"DENIED","message":"permission_denied: read_package"}]}"#)
    })
    .await;
    let err = client(&fake).tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "denied");
    assert!(err.to_string().contains("permission_denied"), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn blob_redirect_drops_authorization_for_another_host() {
    let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let digest = Digest::of(&config);
    let storage = FakeServer::start(move |_| FakeResponse::ok(config.clone())).await;
    let storage_url = storage.url("/bucket/blob?X-Signature=abc");
    let me = self_host();
    let me_in = me.clone();
    let registry = FakeServer::start(move |r| {
        if r.path() == "/token" {
            return FakeResponse::ok(r#"{"token":"good"}"#);
        }
        if r.header("authorization") != Some("Bearer good") {
            let challenge = format!(r#"Bearer realm="http://{}/token""#, me_in.get().unwrap());
            return FakeResponse::status(401).header("WWW-Authenticate", &challenge);
        }
        FakeResponse::status(307).header("Location", &storage_url)
    })
    .await;
    me.set(registry.host()).unwrap();
    let c = client(&registry);
    let bytes = c.get_blob("app", &digest, CONFIG_CAP).await.unwrap();
    assert_eq!(Digest::of(&bytes), digest);
    let fetched = storage.requests();
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        fetched[0].header("authorization"),
        None,
        "no Authorization off-host"
    );
    assert_eq!(fetched[0].query(), Some("X-Signature=abc"));
    let blob_path = format!("/v2/app/blobs/{digest}");
    let authorised = registry.requests_to(&blob_path);
    assert_eq!(
        authorised.last().unwrap().header("authorization"),
        Some("Bearer good")
    );
    assert_eq!(c.stats().redirects, 1);
}

#[tokio::test]
async fn blob_from_a_broken_mirror_fails_verification() {
    let fake = FakeServer::start(|_| FakeResponse::ok("<html>mirror</html>")).await;
    let digest = Digest::of(b"real config");
    let err = client(&fake)
        .get_blob("app", &digest, CONFIG_CAP)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "digest mismatch");
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused() {
    let big = vec![b'x'; 100];
    let digest = Digest::of(&big);
    let announced = big.clone();
    let fake = FakeServer::start(move |r| match r.path().ends_with("streamed") {
        true => FakeResponse::ok(announced.clone()).without_length(),
        false => FakeResponse::ok(announced.clone()),
    })
    .await;
    let c = client(&fake);
    let err = c.get_blob("app", &digest, 10).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::TooLarge { limit: 10, .. }),
        "{err:?}"
    );
    assert_eq!(c.get_blob("app", &digest, 100).await.unwrap().len(), 100);
    // Without Content-Length the cap is enforced while streaming.
    let err = c.get_manifest("app", "streamed").await;
    assert!(err.is_ok(), "100 bytes fit the manifest cap");
    let streamed_cap = c.api_url(Some("app"), &["streamed"]).unwrap();
    let answer = c
        .send(
            reqwest::Method::GET,
            streamed_cap,
            RequestKind::BlobGet,
            None,
            &auth::Scope::Catalog,
        )
        .await
        .unwrap();
    let err = transport::read_capped(answer, 50).await.unwrap_err();
    assert_eq!(err.kind(), "too large");
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let registry = Registry::parse(&format!("127.0.0.1:{port}")).unwrap();
    let options = ClientOptions {
        max_attempts: 2,
        ..ClientOptions::default()
    };
    let c = RegistryClient::new(&registry, &options).unwrap();
    let err = c.tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "transport", "{err}");
    assert_eq!(c.stats().retries, 1);
}
