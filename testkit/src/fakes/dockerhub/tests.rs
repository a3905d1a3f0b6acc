//! The Docker Hub fake's listings, through the testkit's HTTP client.

use std::collections::BTreeMap;

use super::*;
use crate::fakes::test_get::get;

fn digest(n: usize) -> String {
    crate::sha256_digest(format!("manifest {n}").as_bytes())
}

/// Namespace `team`: `app` (public, 25 tags, `t03` without digest), `secret` (private,
/// one tag), `empty` (public, no tags).
fn hub() -> FakeDockerHub {
    let tags = (0..25)
        .map(|n| {
            let d = digest(n);
            HubTag::new(&format!("t{n:02}"), (n != 3).then_some(d.as_str()))
        })
        .collect();
    let repos = vec![
        HubRepo::public("app").with_tags(tags),
        HubRepo::private("secret").with_tags(vec![HubTag::new("1.0", Some(&digest(99)))]),
        HubRepo::public("empty"),
    ];
    let namespaces = BTreeMap::from([("team".to_string(), repos)]);
    FakeDockerHub::start(namespaces, Credentials::new("u", "p")).expect("fake starts")
}

fn tags_url(hub: &FakeDockerHub, repo: &str) -> String {
    format!("{}/v2/namespaces/team/repositories/{repo}/tags", hub.url())
}

fn names(body: &serde_json::Value) -> Vec<String> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn tags_page_by_ten_through_absolute_next_urls() {
    let hub = hub();
    let mut url = Some(tags_url(&hub, "app"));
    let (mut seen, mut pages) = (Vec::new(), 0);
    while let Some(u) = url {
        let a = get(&u, None);
        assert_eq!(a.status, 200, "{u}");
        assert_eq!(a.body["count"], 25);
        seen.extend(names(&a.body));
        pages += 1;
        url = a.body["next"].as_str().map(str::to_string);
        if let Some(next) = &url {
            assert!(next.starts_with(&hub.url()), "{next}");
            assert!(next.contains(&format!("page={}&page_size=10", pages + 1)));
        }
    }
    assert_eq!(pages, 3, "25 tags at the default 10 a page");
    let want: Vec<String> = (0..25).map(|n| format!("t{n:02}")).collect();
    assert_eq!(seen, want);
    let second = get(
        &format!("{}?page=2&page_size=10", tags_url(&hub, "app")),
        None,
    );
    let previous = second.body["previous"].as_str().expect("a previous page");
    assert!(previous.ends_with("?page=1&page_size=10"), "{previous}");
    let first = get(&tags_url(&hub, "app"), None);
    assert!(first.body["previous"].is_null());
}

#[test]
fn page_size_is_at_most_a_hundred() {
    let hub = hub();
    let all = get(&format!("{}?page_size=100", tags_url(&hub, "app")), None);
    assert_eq!(all.status, 200);
    assert_eq!(names(&all.body).len(), 25);
    assert!(all.body["next"].is_null());
    for bad in ["101", "0", "ten"] {
        let a = get(&format!("{}?page_size={bad}", tags_url(&hub, "app")), None);
        assert_eq!(a.status, 400, "page_size={bad}");
    }
    let beyond = get(&format!("{}?page=4", tags_url(&hub, "app")), None);
    assert_eq!(names(&beyond.body), Vec::<String>::new());
}

#[test]
fn tags_carry_their_digest_unless_configured_without() {
    let hub = hub();
    let a = get(&format!("{}?page_size=5", tags_url(&hub, "app")), None);
    let results = a.body["results"].as_array().expect("results");
    assert_eq!(results[0]["digest"], digest(0).as_str());
    assert_eq!(results[0]["content_type"], "image");
    assert_eq!(results[0]["tag_status"], "active");
    assert_eq!(results[0]["images"], serde_json::json!([]));
    assert!(results[0]["last_updated"].is_string());
    assert_eq!(results[3]["name"], "t03");
    assert!(results[3].get("digest").is_none(), "{}", results[3]);
    let empty = get(&tags_url(&hub, "empty"), None);
    assert_eq!((empty.status, empty.body["count"].as_u64()), (200, Some(0)));
}

#[test]
fn private_unknown_and_wrong_token_answers() {
    let hub = hub();
    let hidden = get(&tags_url(&hub, "secret"), None);
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body["message"], "object not found");
    let shown = get(&tags_url(&hub, "secret"), Some(FAKE_HUB_TOKEN));
    assert_eq!(shown.status, 200);
    assert_eq!(names(&shown.body), ["1.0"]);
    assert_eq!(get(&tags_url(&hub, "secret"), Some("nope")).status, 401);
    assert_eq!(get(&tags_url(&hub, "app"), Some("nope")).status, 401);
    assert_eq!(get(&tags_url(&hub, "missing"), None).status, 404);
    let other_ns = format!("{}/v2/namespaces/other/repositories/app/tags", hub.url());
    assert_eq!(get(&other_ns, None).status, 404);
    let listed = get(
        &format!("{}/v2/namespaces/team/repositories", hub.url()),
        None,
    );
    assert_eq!(names(&listed.body), ["app", "empty"]);
}

#[test]
fn armed_faults_answer_the_tags_endpoint_then_stop() {
    let hub = hub();
    let url = tags_url(&hub, "app");
    hub.fail_tags(HubFault::Status(500), 2);
    let listing = format!("{}/v2/namespaces/team/repositories", hub.url());
    assert_eq!(
        get(&listing, None).status,
        200,
        "other endpoints unaffected"
    );
    assert_eq!(get(&url, None).status, 500);
    assert_eq!(get(&tags_url(&hub, "empty"), None).status, 500);
    assert_eq!(get(&url, None).status, 200);
    hub.fail_tags(
        HubFault::RateLimited {
            retry_after_secs: 7,
        },
        1,
    );
    let limited = get(&url, None);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after").as_deref(), Some("7"));
    assert_eq!(get(&url, None).status, 200);
    hub.fail_tags(HubFault::Status(503), 5);
    hub.fail_tags(HubFault::Status(503), 0);
    assert_eq!(get(&url, None).status, 200, "0 disarms");
    let recorded = hub.requests();
    assert_eq!(recorded.len(), 7);
    assert!(recorded.iter().all(|r| r.method == "GET"));
}
