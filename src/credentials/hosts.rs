//! How a registry host is compared with the keys of auth files.
//!
//! Keys are written by many tools in many spellings: `https://index.docker.io/v1/`,
//! `registry-1.docker.io`, `http://127.0.0.1:5000`, `quay.io/some/path`. A key names a
//! host once its scheme and path are stripped, and every Docker Hub spelling names
//! `docker.io` (the folding rules live in [`crate::reference::Registry`]).

use std::collections::BTreeMap;

use crate::reference::{Registry, DOCKER_HUB};

/// The server string `docker login` stores for Docker Hub and helpers expect to be asked.
pub(crate) const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// Schemes a key may carry; compared without regard to case.
const SCHEMES: [&str; 2] = ["https://", "http://"];

/// The host as written in output (`docker.io` for every Docker Hub alias), lower-cased;
/// `None` when the text is not a `host[:port]`.
pub(crate) fn canonical_host(host: &str) -> Option<String> {
    Registry::parse(host.trim())
        .ok()
        .map(|r| r.name().to_owned())
}

/// The host an auth-file key names, ignoring its scheme and path.
pub(crate) fn key_host(key: &str) -> Option<String> {
    let key = key.trim();
    let rest = SCHEMES
        .iter()
        .find_map(|s| {
            let head = key.get(..s.len())?;
            head.eq_ignore_ascii_case(s).then(|| &key[s.len()..])
        })
        .unwrap_or(key);
    canonical_host(rest.split('/').next().unwrap_or(rest))
}

/// The server string a credential helper is asked about for `host` (canonical).
pub(crate) fn helper_server(host: &str) -> &str {
    if host == DOCKER_HUB {
        DOCKER_HUB_SERVER
    } else {
        host
    }
}

/// The entry of `map` whose key names `host` (canonical). The spelling `docker login`
/// writes wins over other spellings of the same host; after it, keys in sorted order.
pub(crate) fn find_entry<'a, V>(
    map: &'a BTreeMap<String, V>,
    host: &str,
) -> Option<(&'a str, &'a V)> {
    if let Some((key, value)) = map.get_key_value(helper_server(host)) {
        return Some((key, value));
    }
    map.iter()
        .find(|(key, _)| key_host(key).as_deref() == Some(host))
        .map(|(key, value)| (key.as_str(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_docker_hub_spelling_is_docker_io() {
        for key in [
            "https://index.docker.io/v1/",
            "https://index.docker.io/v1",
            "index.docker.io",
            "docker.io",
            "https://docker.io",
            "registry-1.docker.io",
            "https://registry-1.docker.io/v2/",
            "registry.hub.docker.com",
            "http://registry.hub.docker.com/",
            "HTTPS://Index.Docker.IO/v1/",
        ] {
            assert_eq!(key_host(key).as_deref(), Some("docker.io"), "{key}");
        }
    }

    #[test]
    fn other_keys_lose_scheme_and_path_only() {
        assert_eq!(
            key_host("http://127.0.0.1:5000").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(key_host("https://ghcr.io/v2/").as_deref(), Some("ghcr.io"));
        assert_eq!(key_host("quay.io/org/repo").as_deref(), Some("quay.io"));
        assert_eq!(
            key_host("localhost:5000/").as_deref(),
            Some("localhost:5000")
        );
        assert_eq!(key_host("ghcr.io:443").as_deref(), Some("ghcr.io:443"));
        assert_eq!(key_host("not a host"), None);
    }

    #[test]
    fn docker_login_spelling_wins_then_sorted_order() {
        let map: BTreeMap<String, u8> = [
            ("docker.io".to_owned(), 1),
            ("https://index.docker.io/v1/".to_owned(), 2),
            ("http://ghcr.io".to_owned(), 3),
            ("https://ghcr.io".to_owned(), 4),
        ]
        .into();
        assert_eq!(find_entry(&map, "docker.io").map(|e| *e.1), Some(2));
        assert_eq!(find_entry(&map, "ghcr.io").map(|e| *e.1), Some(3));
        assert_eq!(find_entry(&map, "quay.io"), None);
    }

    #[test]
    fn helper_server_is_index_url_for_docker_hub_only() {
        assert_eq!(helper_server("docker.io"), DOCKER_HUB_SERVER);
        assert_eq!(helper_server("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
