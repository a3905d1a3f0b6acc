//! `Link: <…>; rel="next"` pagination for catalog and tag lists.
//!
//! Links may be relative or absolute and may carry an opaque cursor instead of `last`.
//! Only the absence of a next link ends a listing (a short page does not: some registries
//! cap pages below `n`). A next link that leaves the registry's scheme and host, repeats a
//! page, or runs past [`MAX_PAGES`] is refused.

use std::collections::HashSet;

use url::Url;

use super::error::RegistryError;

/// Page limit per listing: at 1000 entries a page, a million names, far beyond any real
/// registry; it stops a server that paginates forever with ever-new cursors.
pub const MAX_PAGES: usize = 1000;

/// Finds the `rel="next"` target among `Link` header values, unresolved.
pub fn find_next<'a>(link_values: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    link_values.into_iter().find_map(next_in_value)
}

/// Scans one header value, which may hold several comma-separated links.
fn next_in_value(value: &str) -> Option<&str> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        if params_declare_next(&after[..params_end]) {
            return Some(target.trim());
        }
        rest = after;
    }
    None
}

/// Whether link parameters contain `rel=next` (quoted or not, among several relations).
fn params_declare_next(params: &str) -> bool {
    params.split(';').any(|p| {
        let Some((name, value)) = p.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches(|c| c == '"' || c == ',')
                .split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
    })
}

/// Tracks the pages of one listing and vets each next link.
#[derive(Debug, Default)]
pub struct Pager {
    seen: HashSet<Url>,
}

impl Pager {
    /// Records `page` as fetched; fails on a repeat or past [`MAX_PAGES`].
    pub fn visit(&mut self, page: &Url) -> Result<(), RegistryError> {
        if self.seen.len() >= MAX_PAGES {
            return Err(RegistryError::bad_pagination(
                page,
                format!("more than {MAX_PAGES} pages"),
            ));
        }
        if !self.seen.insert(page.clone()) {
            return Err(RegistryError::bad_pagination(
                page,
                "link points to a page already read",
            ));
        }
        Ok(())
    }
}

/// Resolves `link` against the page that carried it and checks it stays on the registry.
pub fn resolve_next(current: &Url, link: &str) -> Result<Url, RegistryError> {
    let next = current
        .join(link)
        .map_err(|e| RegistryError::bad_pagination(current, format!("unparseable link: {e}")))?;
    if next.scheme() != current.scheme() {
        return Err(RegistryError::bad_pagination(
            current,
            "link changes scheme",
        ));
    }
    if next.host_str() != current.host_str()
        || next.port_or_known_default() != current.port_or_known_default()
    {
        return Err(RegistryError::bad_pagination(
            current,
            "link leaves the registry host",
        ));
    }
    if !next.username().is_empty() || next.password().is_some() {
        return Err(RegistryError::bad_pagination(
            current,
            "link carries credentials",
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://r.example/v2/_catalog?n=1000").unwrap()
    }

    #[test]
    fn finds_next_among_links_and_params() {
        assert_eq!(
            find_next([r#"</v2/_catalog?last=b&n=2>; rel="next""#]),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(find_next([r#"<a>; rel="prev", <b>; rel=next"#]), Some("b"));
        assert_eq!(
            find_next([r#"<a>; title="x"; rel="first next""#]),
            Some("a")
        );
        assert_eq!(
            find_next(["<x>; rel=\"prev\"", "<y>; rel=\"next\""]),
            Some("y")
        );
        assert_eq!(find_next([r#"<a>; rel="prev""#]), None);
        assert_eq!(find_next(std::iter::empty()), None);
    }

    #[test]
    fn resolves_relative_and_absolute() {
        let rel = resolve_next(&page(), "/v2/_catalog?last=abc&n=1000").unwrap();
        assert_eq!(
            rel.as_str(),
            "https://r.example/v2/_catalog?last=abc&n=1000"
        );
        let abs = resolve_next(&page(), "https://r.example/v2/_catalog?cursor=opaque%3D").unwrap();
        assert_eq!(abs.query(), Some("cursor=opaque%3D"));
        let bare = resolve_next(&page(), "_catalog?cursor=z").unwrap();
        assert_eq!(bare.path(), "/v2/_catalog");
    }

    #[test]
    fn refuses_off_host_and_scheme_changes() {
        let off = resolve_next(&page(), "https://evil.example/v2/_catalog").unwrap_err();
        assert_eq!(off.kind(), "bad pagination");
        assert!(resolve_next(&page(), "http://r.example/v2/_catalog").is_err());
        assert!(resolve_next(&page(), "https://r.example:444/v2/_catalog").is_err());
        assert!(resolve_next(&page(), "//other.example/v2/").is_err());
        assert!(resolve_next(&page(), "https://u:p@r.example/v2/").is_err());
    }

    #[test]
    fn pager_stops_loops_and_runaways() {
        let mut pager = Pager::default();
        pager.visit(&page()).unwrap();
        assert!(pager.visit(&page()).is_err());
        let mut pager = Pager::default();
        for i in 0..MAX_PAGES {
            pager
                .visit(&page().join(&format!("?last={i}")).unwrap())
                .unwrap();
        }
        assert!(pager.visit(&page().join("?last=final").unwrap()).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn find_next_never_panics(values in proptest::collection::vec("\\PC{0,80}", 0..4)) {
            let _ = find_next(values.iter().map(String::as_str));
        }

        #[test]
        fn resolve_next_never_panics_and_never_leaves(link in "\\PC{0,60}") {
            if let Ok(next) = resolve_next(&page(), &link) {
                proptest::prop_assert_eq!(next.scheme(), "https");
                proptest::prop_assert_eq!(next.host_str(), Some("r.example"));
                proptest::prop_assert_eq!(next.port_or_known_default(), Some(443));
            }
        }

        #[test]
        fn next_link_round_trips(
            cursor in "[A-Za-z0-9%=_-]{1,30}",
            before in proptest::option::of("[a-z]{1,5}"),
        ) {
            let target = format!("/v2/_catalog?n=2&last={cursor}");
            let mut value = String::new();
            if let Some(rel) = &before {
                value.push_str(&format!("</prev>; rel=\"{rel}\", "));
            }
            value.push_str(&format!("<{target}>; rel=\"next\""));
            let found = find_next([value.as_str()]);
            let next_first = before.as_deref() == Some("next");
            let expected = if next_first { "/prev" } else { target.as_str() };
            proptest::prop_assert_eq!(found, Some(expected));
            let next = resolve_next(&page(), found.unwrap()).unwrap();
            proptest::prop_assert_eq!(next.host_str(), Some("r.example"));
        }
    }
}
