//! `WWW-Authenticate` parsing: the challenge list of RFC 9110, reduced to what a registry
//! client can answer (Bearer token auth, else Basic).
//!
//! The header may list several challenges in any order, and quoted values may hold commas
//! and escaped quotes (ACR's `scope="repository:x:pull,push"`), so it is parsed with the
//! `http-auth` crate rather than split by hand.

use http_auth::parse_challenges;

/// A challenge nuccrawl can answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Challenge {
    /// Docker token auth: ask `realm` for a token.
    Bearer(BearerChallenge),
    /// HTTP Basic auth.
    Basic {
        /// The protection space, informational only.
        realm: Option<String>,
    },
}

/// The parameters of a `Bearer` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BearerChallenge {
    /// Token server URL.
    pub realm: String,
    /// Service name; absent on some registries (Google Artifact Registry), then not sent.
    pub service: Option<String>,
    /// Scope the registry suggested, if any.
    pub scope: Option<String>,
}

/// Picks the Bearer challenge wherever it sits in the header, else Basic, else `None`
/// (also for a header that does not parse, or a Bearer without realm).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let challenges = match parse_challenges(header) {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("unparseable WWW-Authenticate header: {e}");
            return None;
        }
    };
    let param = |c: &http_auth::ChallengeRef<'_>, name: &str| {
        c.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_unescaped())
    };
    let bearer = challenges
        .iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .find_map(|c| {
            Some(BearerChallenge {
                realm: param(c, "realm").filter(|r| !r.is_empty())?,
                service: param(c, "service").filter(|s| !s.is_empty()),
                scope: param(c, "scope").filter(|s| !s.is_empty()),
            })
        });
    if let Some(bearer) = bearer {
        return Some(Challenge::Bearer(bearer));
    }
    challenges
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("basic"))
        .map(|c| Challenge::Basic {
            realm: param(c, "realm"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(header: &str) -> BearerChallenge {
        match parse_challenge(header) {
            Some(Challenge::Bearer(b)) => b,
            other => panic!("expected Bearer, got {other:?}"),
        }
    }

    #[test]
    fn picks_bearer_after_basic_with_quoted_commas() {
        let b = bearer(concat!(
            r#"Basic realm="r", "#,
            r#"Bearer realm="https://a/token",service="s",scope="repository:x:pull,push""#,
        ));
        assert_eq!(b.realm, "https://a/token");
        assert_eq!(b.service.as_deref(), Some("s"));
        assert_eq!(b.scope.as_deref(), Some("repository:x:pull,push"));
    }

    #[test]
    fn missing_service_is_none() {
        let b =
            bearer(r#"Bearer realm="https://gar.example/v2/token",scope="repository:p/r:pull""#);
        assert_eq!(b.service, None);
        assert_eq!(b.scope.as_deref(), Some("repository:p/r:pull"));
    }

    #[test]
    fn unescapes_quotes_and_ignores_scheme_case() {
        let b = bearer(r#"bearer realm="https://a/t", service="say \"hi\"""#);
        assert_eq!(b.service.as_deref(), Some(r#"say "hi""#));
    }

    #[test]
    fn falls_back_to_basic_then_nothing() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic {
                realm: Some("Registry Realm".into())
            })
        );
        assert_eq!(parse_challenge(r#"Negotiate foo="bar""#), None);
        assert_eq!(parse_challenge("Bearer service=\"s\""), None);
        assert_eq!(parse_challenge("garbage ,,, \"x"), None);
    }

    /// Quotes a value as an RFC 9110 quoted-string.
    fn quoted(value: &str) -> String {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(header in "\\PC{0,200}") {
            let _ = parse_challenge(&header);
        }

        #[test]
        fn never_panics_on_challenge_like_text(
            header in r#"(Basic|Bearer|bearer|Digest)( [a-z]{1,8}=("[^"]{0,12}"|[a-z,\\"]{0,6}),?){0,4}"#
        ) {
            let _ = parse_challenge(&header);
        }

        #[test]
        fn bearer_parameters_round_trip(
            realm in "https://[a-z]{1,10}/[ -~]{0,20}",
            service in proptest::option::of("[ -~]{1,20}"),
            scope in proptest::option::of("repository:[a-z/]{1,10}:pull(,push)?"),
            basic_first in proptest::bool::ANY,
        ) {
            let mut params = vec![format!("realm={}", quoted(&realm))];
            params.extend(service.iter().map(|s| format!("service={}", quoted(s))));
            params.extend(scope.iter().map(|s| format!("scope={}", quoted(s))));
            let bearer_part = format!("Bearer {}", params.join(","));
            let header = if basic_first {
                format!("Basic realm=\"x\", {bearer_part}")
            } else {
                bearer_part
            };
            let b = bearer(&header);
            proptest::prop_assert_eq!(b.realm, realm);
            proptest::prop_assert_eq!(b.service, service.filter(|s| !s.is_empty()));
            proptest::prop_assert_eq!(b.scope, scope);
        }
    }
}
