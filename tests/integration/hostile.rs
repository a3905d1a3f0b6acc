//! Bad and hostile registry input, one case per kind, against `FakeHostileRegistry`.
//!
//! Each case serves one good image beside the bad input and asserts three things: the run
//! exits 2, the report names the bad object with a reason that says what was wrong, and
//! the good image is still in the output. HTTPS-to-HTTP redirects are not here: the fake
//! speaks plain HTTP only; the transport's unit tests cover that refusal.

use nuccrawl::asset::AssetFile;
use nuccrawl_testkit::hostile::{blob_path, manifest_path, Scripted};
use nuccrawl_testkit::images::media::{
    DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_INDEX,
};
use nuccrawl_testkit::images::{Blob, BuiltManifest, ConfigBuilder, IndexBuilder, IndexEntry};
use nuccrawl_testkit::{sha256_digest, FakeHostileRegistry};
use serde_json::{json, Value};

use crate::support::{nuccrawl, read_assets, read_report, temp_path};

/// The repository every case serves its good image from.
const REPO: &str = "app";

/// A small Docker image whose config carries `name` (so each is distinct).
fn image(name: &str) -> BuiltManifest {
    let config = ConfigBuilder::new("linux", "amd64")
        .label("case", name)
        .build();
    let layer = Blob::new(DOCKER_LAYER_GZIP, name.as_bytes().to_vec());
    nuccrawl_testkit::images::ManifestBuilder::docker(Blob::new(DOCKER_CONFIG, config))
        .layer(layer)
        .build()
}

/// A fake with the good image under `app:good` and `tags` listed for `app`.
fn fake_with_good(tags: &[&str]) -> (FakeHostileRegistry, BuiltManifest) {
    let fake = FakeHostileRegistry::start().expect("fake starts");
    let good = image("good");
    fake.put_image(REPO, &["good"], &good);
    let mut all = vec!["good"];
    all.extend_from_slice(tags);
    fake.set_tags(REPO, &all);
    (fake, good)
}

/// What one crawl gave.
struct Crawl {
    code: i32,
    stderr: String,
    report: Value,
    file: AssetFile,
}

/// Crawls `targets` (prefixed with the fake's address) into a JSON file and a report.
fn crawl(fake: &FakeHostileRegistry, targets: &[&str]) -> Crawl {
    crawl_into(fake, targets, "assets.json")
}

/// Crawls into an output file whose extension picks the format.
fn crawl_into(fake: &FakeHostileRegistry, targets: &[&str], file_name: &str) -> Crawl {
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, file_name);
    let report = temp_path(&dir, "report.json");
    let targets: Vec<String> = targets
        .iter()
        .map(|t| format!("{}/{t}", fake.addr()))
        .collect();
    let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
    args.extend([
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--max-attempts",
        "2",
    ]);
    let run = nuccrawl(&args);
    Crawl {
        code: run.code,
        stderr: run.stderr,
        report: read_report(&report),
        file: read_assets(&out),
    }
}

impl Crawl {
    /// Asserts exit 2 and that `good` is in the output.
    fn partial_with(&self, good: &BuiltManifest) -> &Self {
        assert_eq!(self.code, 2, "{}", self.stderr);
        let kept = self
            .file
            .assets
            .iter()
            .any(|a| a.image_manifest_digest.as_deref() == Some(good.digest().as_str()));
        assert!(kept, "good image missing; report: {:#}", self.report);
        self
    }

    /// The failure whose reason contains every one of `needles`.
    fn failure(&self, needles: &[&str]) -> &Value {
        let failures = self.report["failures"].as_array().expect("failures list");
        failures
            .iter()
            .find(|f| {
                let reason = f["reason"].as_str().unwrap_or_default();
                needles.iter().all(|n| reason.contains(n))
            })
            .unwrap_or_else(|| panic!("no failure with {needles:?}; report: {:#}", self.report))
    }

    /// How many failures there are.
    fn failure_count(&self) -> usize {
        self.report["failures"].as_array().unwrap().len()
    }
}

#[test]
fn manifest_whose_digest_is_wrong_is_refused() {
    let (fake, good) = fake_with_good(&["bad"]);
    let promised = image("promised");
    let served = image("served instead");
    // HEAD says the tag is `promised`; GET by that digest serves other bytes.
    fake.serve_method(
        "HEAD",
        &manifest_path(REPO, "bad"),
        Scripted::ok(DOCKER_MANIFEST, promised.bytes.clone()).with_true_digest(),
    );
    fake.serve(
        &manifest_path(REPO, &promised.digest()),
        Scripted::ok(DOCKER_MANIFEST, served.bytes.clone()),
    );
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let failure = run.failure(&["digest mismatch", &served.digest()]);
    assert_eq!(failure["reference"], promised.digest());
    assert_eq!(failure["repository"], REPO);
    assert_eq!(run.failure_count(), 1);
}

#[test]
fn config_blob_answered_with_an_html_page_is_refused() {
    let (fake, good) = fake_with_good(&["mirror"]);
    let bad = image("mirror");
    fake.put_manifest(REPO, &["mirror"], DOCKER_MANIFEST, &bad.bytes);
    fake.serve(&blob_path(REPO, &bad.config_digest()), Scripted::html());
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let config = format!("config {}", bad.config_digest());
    let failure = run.failure(&[&config, "digest mismatch"]);
    assert_eq!(failure["reference"], bad.digest());
    assert_eq!(run.failure_count(), 1);
}

#[test]
fn html_where_a_manifest_belongs_is_refused() {
    let (fake, good) = fake_with_good(&["portal"]);
    // HEAD gives no digest, so the tag is fetched, and the body is a web page.
    fake.serve(&manifest_path(REPO, "portal"), Scripted::html());
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    run.failure(&["unreadable manifest", "text/html", "not valid JSON"]);
    assert_eq!(run.failure_count(), 1);
}

#[test]
fn html_where_a_tag_list_belongs_fails_that_repository_only() {
    let (fake, good) = fake_with_good(&[]);
    fake.serve("/v2/broken/tags/list", Scripted::html());
    let run = crawl(&fake, &[REPO, "broken"]);
    run.partial_with(&good);
    let failure = run.failure(&["listing tags", "malformed response"]);
    assert_eq!(failure["repository"], "broken");
    assert!(failure["reference"].is_null());
}

#[test]
fn html_where_the_catalog_belongs_fails_the_listing_only() {
    let (fake, good) = fake_with_good(&[]);
    fake.serve("/v2/_catalog", Scripted::html());
    let run = crawl(&fake, &["**", REPO]);
    run.partial_with(&good);
    let failure = run.failure(&["listing repositories", "malformed response"]);
    assert!(failure["repository"].is_null());
}

#[test]
fn truncated_manifest_body_is_refused() {
    let (fake, good) = fake_with_good(&["cut"]);
    let bad = image("cut");
    fake.put_image(REPO, &["cut"], &bad);
    let half = bad.bytes[..bad.bytes.len() / 2].to_vec();
    fake.serve_method(
        "GET",
        &manifest_path(REPO, &bad.digest()),
        Scripted::ok(DOCKER_MANIFEST, half).declare_length(bad.bytes.len()),
    );
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    // The retry policy may or may not retry a cut body; the final answer is a refusal.
    let failure = run.failure(&["end of file before message length reached"]);
    assert_eq!(failure["reference"], bad.digest());
    assert!(
        !run.file
            .assets
            .iter()
            .any(|a| a.image_manifest_digest.as_deref() == Some(&bad.digest())),
        "a truncated manifest must not become an asset"
    );
}

#[test]
fn manifest_over_the_size_cap_is_refused() {
    let (fake, good) = fake_with_good(&["huge"]);
    // Valid JSON, 5 MiB: a manifest padded with a giant annotation.
    let padding = "x".repeat(5 * 1024 * 1024);
    let body = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "digest": good.config_digest(), "size": 1},
        "layers": [], "annotations": {"pad": padding}})
    .to_string();
    fake.put_manifest(REPO, &["huge"], DOCKER_MANIFEST, body.as_bytes());
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let failure = run.failure(&["too large", "larger than 4194304 bytes"]);
    assert_eq!(failure["reference"], sha256_digest(body.as_bytes()));
}

#[test]
fn malformed_manifests_and_configs_cost_only_their_image() {
    let (fake, good) = fake_with_good(&["shape", "nodigest", "arrayconfig"]);
    let shape = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": "not a descriptor", "layers": []})
    .to_string();
    fake.put_manifest(REPO, &["shape"], DOCKER_MANIFEST, shape.as_bytes());
    let nodigest = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": 2}, "layers": []})
    .to_string();
    fake.put_manifest(REPO, &["nodigest"], DOCKER_MANIFEST, nodigest.as_bytes());
    let array_config = b"[1,2]".to_vec();
    let arrayed = nuccrawl_testkit::images::ManifestBuilder::docker(Blob::new(
        DOCKER_CONFIG,
        array_config.clone(),
    ))
    .build();
    fake.put_manifest(REPO, &["arrayconfig"], DOCKER_MANIFEST, &arrayed.bytes);
    fake.put_blob(REPO, &array_config);

    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    run.failure(&["manifest field `config` has the wrong JSON type"]);
    run.failure(&["no `config.digest`"]);
    let config = format!("config {}", arrayed.config_digest());
    run.failure(&[&config, "JSON array, not an object"]);
    assert_eq!(run.failure_count(), 3, "{:#}", run.report);
}

#[test]
fn schema1_and_unknown_media_types_are_reported_as_unsupported() {
    let (fake, good) = fake_with_good(&["old", "odd"]);
    let schema1 = json!({"schemaVersion": 1, "name": REPO, "tag": "old",
        "architecture": "amd64", "fsLayers": [], "history": []})
    .to_string();
    let schema1_type = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    fake.put_manifest(REPO, &["old"], schema1_type, schema1.as_bytes());
    let odd_type = "application/vnd.example.thing.v1+json";
    let odd = json!({"schemaVersion": 2, "mediaType": odd_type}).to_string();
    fake.put_manifest(REPO, &["odd"], odd_type, odd.as_bytes());

    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let old = run.failure(&["schema 1 manifest not supported"]);
    assert_eq!(old["reference"], sha256_digest(schema1.as_bytes()));
    run.failure(&["unknown manifest media type", odd_type]);
    assert_eq!(run.failure_count(), 2);
    // Failures, not skips: nothing of these two is counted as skipped.
    let skipped = run.report["skipped"].as_object().unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
}

/// A nested index as a "manifest" an outer index can list.
fn as_child(index: &IndexBuilder) -> BuiltManifest {
    BuiltManifest {
        media_type: OCI_INDEX.into(),
        bytes: index.build(),
        config: Blob::new(DOCKER_CONFIG, Vec::new()),
        layers: Vec::new(),
    }
}

#[test]
fn index_that_loops_back_to_itself_ends_and_is_reported() {
    // A true loop cannot hash; a hostile registry fakes one by serving the index's own
    // bytes for a child digest. The digest check refuses it and the walk ends.
    let (fake, good) = fake_with_good(&["loop"]);
    let child = image("child");
    let index = IndexBuilder::oci()
        .entry(IndexEntry::new(good.clone(), "linux", "amd64", None))
        .entry(IndexEntry::new(child.clone(), "linux", "arm64", None));
    fake.put_manifest(REPO, &["loop"], OCI_INDEX, &index.build());
    fake.serve(
        &manifest_path(REPO, &child.digest()),
        Scripted::ok(OCI_INDEX, index.build()),
    );
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let failure = run.failure(&["digest mismatch", &index.digest()]);
    assert_eq!(failure["reference"], child.digest());
    let asset = run
        .file
        .assets
        .iter()
        .find(|a| a.image_manifest_digest.as_deref() == Some(&good.digest()))
        .unwrap();
    assert_eq!(asset.image_tags, ["good", "loop"]);
}

#[test]
fn absurdly_nested_indexes_stop_at_the_depth_limit() {
    let (fake, good) = fake_with_good(&["deep"]);
    let bottom = image("bottom");
    fake.put_image(REPO, &[], &bottom);
    let mut child = bottom.clone();
    for _ in 0..6 {
        let index = IndexBuilder::oci().entry(IndexEntry::new(child, "linux", "amd64", None));
        fake.put_manifest(REPO, &[], OCI_INDEX, &index.build());
        child = as_child(&index);
    }
    fake.put_manifest(REPO, &["deep"], OCI_INDEX, &child.bytes);
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    run.failure(&["index nesting deeper than 4 levels"]);
    let reached_bottom = run
        .file
        .assets
        .iter()
        .any(|a| a.image_manifest_digest.as_deref() == Some(&bottom.digest()));
    assert!(!reached_bottom, "the walk went past the depth limit");
    assert_eq!(run.failure_count(), 1, "{:#}", run.report);
}

#[test]
fn index_over_the_entry_cap_fails_without_fetching_its_children() {
    let (fake, good) = fake_with_good(&["wide"]);
    let over = nuccrawl::crawl::graph::MAX_INDEX_ENTRIES + 1;
    let children: Vec<BuiltManifest> = (0..over).map(|i| image(&format!("wide {i}"))).collect();
    let index = children.iter().fold(IndexBuilder::oci(), |index, child| {
        index.entry(IndexEntry::new(child.clone(), "linux", "amd64", None))
    });
    fake.put_manifest(REPO, &["wide"], OCI_INDEX, &index.build());
    // One child is really there: fetching it would put it in the output.
    fake.put_image(REPO, &[], &children[0]);
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let failure = run.failure(&[&format!("index lists {over} entries")]);
    assert_eq!(failure["reference"], index.digest());
    assert_eq!(run.failure_count(), 1, "{:#}", run.report);
    assert_eq!(run.file.assets.len(), 1, "only the good image is written");
    let fetched_child = fake.requests().iter().any(|r| {
        children
            .iter()
            .any(|c| r.ends_with(&format!("/manifests/{}", c.digest())))
    });
    assert!(!fetched_child, "a child of the refused index was requested");
}

#[test]
fn tag_list_link_to_another_host_fails_that_listing() {
    let (fake, good) = fake_with_good(&[]);
    let port = fake.addr().rsplit(':').next().unwrap().to_owned();
    let off_host = format!("<http://127.0.0.2:{port}/v2/paged/tags/list?last=a>; rel=\"next\"");
    fake.serve(
        "/v2/paged/tags/list",
        Scripted::ok("application/json", r#"{"name":"paged","tags":["a"]}"#)
            .header("Link", &off_host),
    );
    let run = crawl(&fake, &[REPO, "paged"]);
    run.partial_with(&good);
    let failure = run.failure(&["bad pagination", "leaves the registry host"]);
    assert_eq!(failure["repository"], "paged");
    // The listing fails whole: tags before the bad link are not crawled.
    assert!(!fake
        .requests()
        .iter()
        .any(|r| r.contains("/v2/paged/manifests/")));
}

#[test]
fn catalog_link_to_another_port_fails_the_listing() {
    let (fake, good) = fake_with_good(&[]);
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let link = format!("<http://127.0.0.1:{other_port}/v2/_catalog?last=app>; rel=\"next\"");
    fake.serve(
        "/v2/_catalog",
        Scripted::ok("application/json", r#"{"repositories":["app"]}"#).header("Link", &link),
    );
    let run = crawl(&fake, &["**", REPO]);
    run.partial_with(&good);
    run.failure(&[
        "listing repositories",
        "bad pagination",
        "leaves the registry host",
    ]);
    other.set_nonblocking(true).unwrap();
    assert!(other.accept().is_err(), "the off-host link was followed");
}

#[test]
fn names_and_tags_breaking_the_format_are_recorded_and_others_crawled() {
    let long_tag = "t".repeat(200);
    let (fake, good) = fake_with_good(&["has space", &long_tag]);
    fake.set_catalog(&["Bad/Name", "app", "ok/.hidden"]);
    let run = crawl(&fake, &["**"]);
    run.partial_with(&good);
    let bad = run.failure(&["repository name breaks", "\"Bad\""]);
    assert_eq!(bad["repository"], "Bad/Name");
    run.failure(&["repository name breaks", "\".hidden\""]);
    let space = run.failure(&["tag breaks", "' '"]);
    assert_eq!(space["reference"], "has space");
    run.failure(&["tag breaks", "200 characters long (at most 128)"]);
    assert_eq!(run.failure_count(), 4, "{:#}", run.report);
    assert!(!fake.requests().iter().any(|r| r.contains("Bad")));
}

#[test]
fn config_that_is_not_utf8_is_refused() {
    let (fake, good) = fake_with_good(&["latin1"]);
    let config = b"{\"os\":\"linux\",\"architecture\":\"amd64\",\"author\":\"Jos\xe9\"}".to_vec();
    let bad =
        nuccrawl_testkit::images::ManifestBuilder::docker(Blob::new(DOCKER_CONFIG, config)).build();
    fake.put_image(REPO, &["latin1"], &bad);
    let run = crawl(&fake, &[REPO]);
    run.partial_with(&good);
    let config = format!("config {}", bad.config_digest());
    let failure = run.failure(&[&config, "not valid UTF-8"]);
    assert_eq!(failure["reference"], bad.digest());
}

#[test]
fn a_config_xml_cannot_carry_costs_only_that_image() {
    let (fake, good) = fake_with_good(&["nonchar"]);
    let config = "{\"os\":\"linux\",\"architecture\":\"amd64\",\"author\":\"x\u{FFFF}\"}";
    let bad = nuccrawl_testkit::images::ManifestBuilder::docker(Blob::new(
        DOCKER_CONFIG,
        config.as_bytes().to_vec(),
    ))
    .build();
    fake.put_image(REPO, &["nonchar"], &bad);
    let run = crawl_into(&fake, &[REPO], "assets.xml");
    run.partial_with(&good);
    let failure = run.failure(&["XML"]);
    assert_eq!(failure["reference"], bad.digest());
    // The same image is fine in JSON.
    let run = crawl(&fake, &[REPO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
