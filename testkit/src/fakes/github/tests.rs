//! The GitHub packages fake's version listing, through the testkit's HTTP client.

use std::collections::BTreeMap;

use super::*;
use crate::fakes::test_get::get;

const TOKEN: &str = "ghp_fake_token";

fn digest(n: usize) -> String {
    crate::sha256_digest(format!("version {n}").as_bytes())
}

/// Org `acme`: `team/api` with 45 versions (every 5th untagged, the others tagged
/// `v<n>`, version 0 also `latest`), `npm-lib` of type npm; user `bob`: `tool` with one.
fn github(page_cap: usize) -> FakeGithubApi {
    let versions = (0..45)
        .map(|n| {
            let tag = format!("v{n}");
            let tags: Vec<&str> = match n {
                0 => vec![tag.as_str(), "latest"],
                n if n % 5 == 0 => vec![],
                _ => vec![tag.as_str()],
            };
            GithubVersion::new(&digest(n), &tags)
        })
        .collect();
    let orgs = BTreeMap::from([(
        "acme".to_string(),
        vec![
            GithubPackage::container("team/api").with_versions(versions),
            GithubPackage::other("npm-lib", "npm"),
        ],
    )]);
    let users = BTreeMap::from([(
        "bob".to_string(),
        vec![GithubPackage::container("tool")
            .with_versions(vec![GithubVersion::new(&digest(100), &["1.0"])])],
    )]);
    FakeGithubApi::start(orgs, users, TOKEN, page_cap).expect("fake starts")
}

fn api_url(gh: &FakeGithubApi) -> String {
    format!(
        "{}/orgs/acme/packages/container/team%2Fapi/versions",
        gh.url()
    )
}

/// The `rel` URL of a `Link` header.
fn rel<'a>(link: &'a str, rel: &str) -> Option<&'a str> {
    link.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| url.trim_matches(['<', '>']))
    })
}

#[test]
fn versions_page_by_thirty_with_next_and_last_links() {
    let gh = github(100);
    let first = get(&api_url(&gh), Some(TOKEN));
    assert_eq!(first.status, 200);
    assert_eq!(first.body.as_array().expect("an array").len(), 30);
    let link = first.header("link").expect("a Link while more pages");
    let next = rel(&link, "next").expect("next");
    assert_eq!(next, format!("{}?per_page=30&page=2", api_url(&gh)));
    assert_eq!(rel(&link, "last"), Some(next));
    let second = get(next, Some(TOKEN));
    assert_eq!(second.body.as_array().expect("an array").len(), 15);
    assert!(second.header("link").is_none(), "no Link on the last page");
    let all = get(&format!("{}?per_page=500", api_url(&gh)), Some(TOKEN));
    assert_eq!(
        all.body.as_array().expect("an array").len(),
        45,
        "clamped to 100"
    );
}

#[test]
fn versions_carry_digest_and_tags() {
    let gh = github(100);
    let page = get(&format!("{}?per_page=6", api_url(&gh)), Some(TOKEN));
    let v = page.body.as_array().expect("an array");
    assert_eq!(v[0]["name"], digest(0).as_str());
    assert_eq!(v[0]["metadata"]["package_type"], "container");
    assert_eq!(
        v[0]["metadata"]["container"]["tags"],
        serde_json::json!(["v0", "latest"])
    );
    assert_eq!(
        v[1]["metadata"]["container"]["tags"],
        serde_json::json!(["v1"])
    );
    assert_eq!(v[5]["metadata"]["container"]["tags"], serde_json::json!([]));
    let id = v[1]["id"].as_u64().expect("an id");
    assert_eq!(v[1]["url"], format!("{}/{id}", api_url(&gh)).as_str());
    assert!(v[1]["created_at"].is_string() && v[1]["updated_at"].is_string());
}

#[test]
fn a_page_cap_shortens_pages_and_links_stay_absolute() {
    let gh = github(20);
    let mut url = Some(format!(
        "{}/api/v3/orgs/acme/packages/container/team%2Fapi/versions?per_page=100",
        gh.url()
    ));
    let mut names = Vec::new();
    while let Some(u) = url {
        let a = get(&u, Some(TOKEN));
        assert_eq!(a.status, 200, "{u}");
        names.extend(
            a.body
                .as_array()
                .expect("an array")
                .iter()
                .map(|v| v["name"].clone()),
        );
        url = a
            .header("link")
            .as_deref()
            .and_then(|l| rel(l, "next"))
            .map(str::to_string);
        if let Some(next) = &url {
            let ghes = format!(
                "{}/api/v3/orgs/acme/packages/container/team%2Fapi/versions?",
                gh.url()
            );
            assert!(next.starts_with(&ghes), "{next}");
        }
    }
    let want: Vec<serde_json::Value> = (0..45).map(|n| digest(n).into()).collect();
    assert_eq!(names, want);
}

#[test]
fn user_packages_have_versions_too() {
    let gh = github(100);
    for prefix in ["", "/api/v3"] {
        let url = format!(
            "{}{prefix}/users/bob/packages/container/tool/versions",
            gh.url()
        );
        let a = get(&url, Some(TOKEN));
        assert_eq!(a.status, 200, "{url}");
        assert_eq!(a.body[0]["name"], digest(100).as_str());
    }
}

#[test]
fn auth_and_not_found_answers() {
    let gh = github(100);
    let none = get(&api_url(&gh), None);
    assert_eq!(
        (none.status, &none.body["message"]),
        (401, &"Requires authentication".into())
    );
    let wrong = get(&api_url(&gh), Some("ghp_wrong"));
    assert_eq!(
        (wrong.status, &wrong.body["message"]),
        (401, &"Bad credentials".into())
    );
    let package_404 = |path: &str| {
        let a = get(&format!("{}{path}", gh.url()), Some(TOKEN));
        (
            a.status,
            a.body["message"].as_str().unwrap_or_default().to_string(),
        )
    };
    let missing = (404, "Package not found.".to_string());
    assert_eq!(
        package_404("/orgs/acme/packages/container/nope/versions"),
        missing
    );
    // `team/api` must arrive encoded; as two segments it is no route at all.
    assert_eq!(
        package_404("/orgs/acme/packages/container/team/api/versions").0,
        404
    );
    assert_eq!(
        package_404("/orgs/acme/packages/container/npm-lib/versions"),
        missing
    );
    assert_eq!(
        package_404("/users/acme/packages/container/tool/versions"),
        (404, "Not Found".into())
    );
    assert_eq!(
        package_404("/orgs/bob/packages/container/tool/versions"),
        (404, "Not Found".into())
    );
    assert_eq!(
        package_404("/orgs/acme/packages/npm/npm-lib/versions").0,
        200
    );
}
