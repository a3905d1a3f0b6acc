//! Integration tests of the test kit against the real Distribution registry.

use std::collections::BTreeMap;
use std::time::Duration;

use nuccrawl_testkit::bulk::{load_bulk, repo_name};
use nuccrawl_testkit::bulk_hub::bulk_hub_namespaces;
use nuccrawl_testkit::client::agent;
use nuccrawl_testkit::fakes::{FakeDockerHub, HubTag};
use nuccrawl_testkit::images::media;
use nuccrawl_testkit::latency_proxy::LatencyProxy;
use nuccrawl_testkit::Credentials;
use nuccrawl_testkit::{
    load_samples, load_shared, query, registry_tag_digests, sha256_digest, LocalRegistry,
};

#[test]
fn registry_starts_answers_and_stops() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    assert!(addr.starts_with("127.0.0.1:"));
    assert_eq!(query::get(&addr, "", None).unwrap(), b"{}");
    let pid = reg.pid();
    drop(reg);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "registry {pid} not reaped"
    );
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "registry still listening"
    );
}

#[test]
fn htpasswd_registry_requires_credentials() {
    let reg = LocalRegistry::start_with_htpasswd("tester", "pa55word").expect("start registry");
    let addr = reg.addr();
    let err = query::get(&addr, "", None).unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");
    let creds = reg.credentials().cloned().unwrap();
    assert_eq!(query::get(&addr, "", Some(&creds)).unwrap(), b"{}");
    let wrong = nuccrawl_testkit::Credentials::new("tester", "nope");
    assert!(query::get(&addr, "", Some(&wrong)).is_err());
    let samples = nuccrawl_testkit::samples::load_samples_with(&addr, Some(&creds)).unwrap();
    assert_eq!(query::catalog(&addr, Some(&creds)).unwrap(), samples.repos);
}

#[test]
fn samples_are_pushed_as_described() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    let s = load_samples(&addr).expect("load samples");

    assert_eq!(query::catalog(&addr, None).unwrap(), s.repos);
    assert!(s.repos.contains(&"ubuntu".to_string()));
    assert!(s.repos.contains(&"samples/team/sub/app".to_string()));
    assert_eq!(s.images.len(), 13);
    let skipped: Vec<(&str, usize)> = s.skipped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        skipped,
        [("attestation", 3), ("helm chart", 1), ("signature", 1)]
    );

    let many = query::tags(&addr, "samples/many", None).unwrap();
    assert_eq!(many.len(), 320);
    let many_images: Vec<_> = s
        .images
        .iter()
        .filter(|i| i.repo == "samples/many")
        .collect();
    assert_eq!(many_images.len(), 4);
    assert_eq!(many_images.iter().map(|i| i.tags.len()).sum::<usize>(), 320);

    for image in &s.images {
        assert_eq!(sha256_digest(&image.manifest), image.manifest_digest);
        assert_eq!(sha256_digest(&image.config), image.config_digest);
        let served = query::manifest(&addr, &image.repo, &image.manifest_digest, None).unwrap();
        assert_eq!(served, image.manifest, "{}", image.repo);
        let config = query::get(
            &addr,
            &format!("{}/blobs/{}", image.repo, image.config_digest),
            None,
        )
        .unwrap();
        assert_eq!(config, image.config);
        let tags = query::tags(&addr, &image.repo, None).unwrap();
        for t in &image.tags {
            assert!(tags.contains(t), "{}:{t} missing", image.repo);
        }
    }

    let alpine = s
        .images
        .iter()
        .find(|i| i.repo == "samples/alpine")
        .unwrap();
    assert_eq!(alpine.tags, ["3.19", "3.19.1", "latest"]);
    let alpine_tags = query::tags(&addr, "samples/alpine", None).unwrap();
    let sig = format!("sha256-{}.sig", &alpine.manifest_digest[7..]);
    assert!(alpine_tags.contains(&sig), "{alpine_tags:?}");
    assert_eq!(alpine.distro.as_deref(), Some("Alpine Linux 3.19"));

    let multi: Vec<_> = s
        .images
        .iter()
        .filter(|i| i.repo == "samples/multi")
        .collect();
    assert_eq!(multi.len(), 3);
    assert!(multi.iter().all(|i| i.tags == ["stable", "v1"]));
    let arm64 = multi.iter().find(|i| i.arch == "arm64").unwrap();
    assert_eq!(arm64.variant.as_deref(), Some("v8"));
    assert!(!String::from_utf8_lossy(&arm64.config).contains("variant"));
    let index: serde_json::Value =
        serde_json::from_slice(&query::manifest(&addr, "samples/multi", "v1", None).unwrap())
            .unwrap();
    assert_eq!(index["mediaType"], media::OCI_INDEX);
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    let attestation = entries
        .iter()
        .find(|e| e["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .unwrap();
    assert_eq!(attestation["platform"]["os"], "unknown");
    let referenced = attestation["annotations"]["vnd.docker.reference.digest"]
        .as_str()
        .unwrap();
    assert!(multi.iter().any(|i| i.manifest_digest == referenced));

    let single: serde_json::Value =
        serde_json::from_slice(&query::manifest(&addr, "samples/single", "single", None).unwrap())
            .unwrap();
    assert_eq!(single["mediaType"], media::DOCKER_LIST);
    assert_eq!(single["manifests"].as_array().unwrap().len(), 1);

    let helm: serde_json::Value = serde_json::from_slice(
        &query::manifest(&addr, "samples/charts/mysql", "8.8.26", None).unwrap(),
    )
    .unwrap();
    assert_eq!(helm["config"]["mediaType"], media::HELM_CONFIG);
}

#[test]
fn samples_are_deterministic_across_registries() {
    let a = LocalRegistry::start().unwrap();
    let b = LocalRegistry::start().unwrap();
    assert_ne!(a.addr(), b.addr());
    let sa = load_samples(&a.addr()).unwrap();
    let sb = load_samples(&b.addr()).unwrap();
    assert_eq!(sa.images, sb.images);
}

#[test]
fn shared_fixtures_load_with_upstream_digests() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    let shared = load_shared(&reg).expect("load shared fixtures");

    let busybox = shared
        .iter()
        .find(|i| i.repo == "shared/busybox" && i.tag == "1.36.1-glibc")
        .unwrap();
    let upstream = "sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74";
    assert_eq!(busybox.manifest_digest, upstream);
    let served = query::manifest(&addr, "shared/busybox", "1.36.1-glibc", None).unwrap();
    assert_eq!(sha256_digest(&served), upstream);
    assert_eq!(
        busybox.platforms,
        ["linux/amd64", "linux/arm/v7", "linux/arm64/v8"]
    );
    for child in [
        "sha256:538721340ded10875f4710cad688c70e5d0ecb4dcd5e7d0c161f301f36f79414",
        "sha256:8f03917912ea995c637b6c0295846aaff5665f06ac82a29b421fba4c379494e7",
        "sha256:f0e13015e5579b8b036f19e92e66cff1551fea32e827a2648c1217c4b8f2609c",
    ] {
        let bytes = query::manifest(&addr, "shared/busybox", child, None).unwrap();
        assert_eq!(sha256_digest(&bytes), child);
    }

    let alpine = shared.iter().find(|i| i.tag == "3.9.4").unwrap();
    let config_digest = alpine.expected_config_digest.clone().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&query::manifest(&addr, "shared/alpine", "3.9.4", None).unwrap())
            .unwrap();
    assert_eq!(manifest["config"]["digest"], config_digest.as_str());
    assert_eq!(alpine.platforms, ["linux/amd64"]);

    let attest = shared
        .iter()
        .find(|i| i.repo == "shared/busybox-attest")
        .unwrap();
    assert_eq!(attest.platforms, ["linux/arm64"]);
    let centos = shared.iter().find(|i| i.repo == "shared/centos").unwrap();
    let cfg = query::get(
        &addr,
        &format!(
            "shared/centos/blobs/{}",
            centos.expected_config_digest.as_ref().unwrap()
        ),
        None,
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&cfg).contains("org.label-schema"));
    let catalog = query::catalog(&addr, None).unwrap();
    for image in &shared {
        assert!(
            catalog.contains(&image.repo),
            "{} not in catalog",
            image.repo
        );
    }
}

#[test]
fn tag_digests_are_what_was_pushed() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    let s = load_samples(&addr).expect("load samples");
    for repo in [
        "samples/alpine",
        "samples/many",
        "samples/multi",
        "samples/single",
    ] {
        let got: BTreeMap<String, String> = registry_tag_digests(&addr, repo)
            .unwrap()
            .into_iter()
            .collect();
        let tags: Vec<String> = got.keys().cloned().collect();
        assert_eq!(tags, query::tags(&addr, repo, None).unwrap(), "{repo}");
        for image in s.images.iter().filter(|i| i.repo == repo) {
            for tag in &image.tags {
                let digest = &got[tag];
                if repo == "samples/multi" || repo == "samples/single" {
                    // The tag names the index; the pushed image is one of its children.
                    let index = query::manifest(&addr, repo, digest, None).unwrap();
                    assert_eq!(&sha256_digest(&index), digest);
                    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
                    let children: Vec<&str> = index["manifests"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|e| e["digest"].as_str())
                        .collect();
                    assert!(children.contains(&image.manifest_digest.as_str()));
                } else {
                    assert_eq!(digest, &image.manifest_digest, "{repo}:{tag}");
                }
            }
        }
    }
    assert!(registry_tag_digests(&addr, "samples/missing").is_err());
}

#[test]
fn tag_digests_of_bulk_content_follow_its_shape() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    // Two repositories, 8 tags each, 4 a image: image 0 is an index, image 1 a manifest.
    let stats = load_bulk(&addr, 2, 8, 4).expect("push bulk");
    assert_eq!((stats.tags, stats.manifests), (16, 8));
    let got = registry_tag_digests(&addr, &repo_name(0)).unwrap();
    let tags: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    let want: Vec<String> = (0..8).map(|n| format!("t{n:05}")).collect();
    assert_eq!(tags, want);
    let (first, second) = got.split_at(4);
    assert!(first.iter().all(|(_, d)| d == &first[0].1));
    assert!(second.iter().all(|(_, d)| d == &second[0].1));
    assert_ne!(first[0].1, second[0].1);
    let index = query::manifest(&addr, &repo_name(0), &first[0].1, None).unwrap();
    assert_eq!(sha256_digest(&index), first[0].1);
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    assert_eq!(index["mediaType"], media::OCI_INDEX);
    let manifest = query::manifest(&addr, &repo_name(0), "t00004", None).unwrap();
    assert_eq!(sha256_digest(&manifest), second[0].1);
}

#[test]
fn the_bulk_hub_view_lists_every_repository_with_its_digests() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    load_bulk(&addr, 3, 6, 3).expect("push bulk");
    let namespaces = bulk_hub_namespaces(&addr, 3).unwrap();
    assert_eq!(namespaces.keys().collect::<Vec<_>>(), ["bulk"]);
    let repos = &namespaces["bulk"];
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["r0000", "r0001", "r0002"]);
    for (r, repo) in repos.iter().enumerate() {
        assert!(!repo.private);
        let want: Vec<HubTag> = registry_tag_digests(&addr, &repo_name(r))
            .unwrap()
            .iter()
            .map(|(t, d)| HubTag::new(t, Some(d)))
            .collect();
        assert_eq!(repo.tags.len(), 6);
        assert_eq!(repo.tags, want);
    }
}

#[test]
fn a_latency_proxy_in_front_of_the_hub_fake_keeps_paging_behind_it() {
    let reg = LocalRegistry::start().expect("start registry");
    let addr = reg.addr();
    load_bulk(&addr, 1, 12, 4).expect("push bulk");
    let hub = FakeDockerHub::start(
        bulk_hub_namespaces(&addr, 1).unwrap(),
        Credentials::new("nobody", "unused"),
    )
    .unwrap();
    let proxy = LatencyProxy::start(&hub.addr(), Duration::ZERO).unwrap();
    let mut url = Some(format!(
        "http://{}/v2/namespaces/bulk/repositories/r0000/tags?page_size=5",
        proxy.addr()
    ));
    let mut digests = Vec::new();
    while let Some(u) = url {
        assert!(u.starts_with(&format!("http://{}/", proxy.addr())), "{u}");
        let body = agent()
            .get(&u)
            .call()
            .unwrap()
            .body_mut()
            .read_to_vec()
            .unwrap();
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        for tag in page["results"].as_array().unwrap() {
            let pair = (
                tag["name"].as_str().unwrap(),
                tag["digest"].as_str().unwrap(),
            );
            digests.push((pair.0.to_string(), pair.1.to_string()));
        }
        url = page["next"].as_str().map(str::to_string);
    }
    assert_eq!(digests, registry_tag_digests(&addr, "bulk/r0000").unwrap());
    assert_eq!(
        proxy.counts().get("hub_tags"),
        Some(&3),
        "{:?}",
        proxy.counts()
    );
    assert_eq!(hub.requests().len(), 3);
}
