//! `FakeEcr`: Amazon ECR's registry behaviour in front of a real `LocalRegistry`.
//!
//! - every `/v2/` call needs Basic `AWS:<token>`; without it, 401 with a Basic challenge;
//! - the "expired" token answers 403 `DENIED` with ECR's expired-token message;
//! - `n` above 1000 on `_catalog` or `tags/list` is 400, as ECR rejects it;
//! - `_catalog` is paged by the fake itself, at most `min(n, page_cap)` names a page with
//!   an opaque `Link` cursor, so short pages that are not the last can be tested.

use serde_json::json;

use super::proxy::RegistryProxy;
use super::server::{header, json, RecordedRequest, Reply};
use crate::client::{agent, v2_url, Credentials};

/// ECR's message for an expired authorization token.
pub const ECR_EXPIRED_MESSAGE: &str =
    "Your authorization token has expired. Reauthenticate and try again.";
/// ECR's largest page.
const ECR_MAX_N: usize = 1000;

/// A running ECR fake.
pub struct FakeEcr {
    proxy: RegistryProxy,
}

impl FakeEcr {
    /// Fronts `upstream`; `password` is the valid token for user `AWS`, `expired` the
    /// token ECR says has expired.
    pub fn start(
        upstream: &str,
        password: &str,
        expired: &str,
        page_cap: usize,
    ) -> anyhow::Result<Self> {
        let good = Credentials::new("AWS", password).basic_header();
        let stale = Credentials::new("AWS", expired).basic_header();
        let upstream_addr = upstream.to_string();
        let proxy = RegistryProxy::start(upstream, move |req: &RecordedRequest| {
            match req.header("authorization") {
                Some(v) if v == good => {}
                Some(v) if v == stale => {
                    let body =
                        json!({"errors": [{"code": "DENIED", "message": ECR_EXPIRED_MESSAGE}]});
                    return Some(json(403, &body));
                }
                _ => return Some(challenge()),
            }
            let too_big = req
                .query("n")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n > ECR_MAX_N);
            if too_big {
                return Some(json(
                    400,
                    &json!({"errors": [{"code": "INVALID_PARAMETER",
                    "message": "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'"}]}),
                ));
            }
            if req.path() == "/v2/_catalog" {
                return Some(catalog_page(&upstream_addr, req, page_cap.max(1)));
            }
            None
        })?;
        Ok(FakeEcr { proxy })
    }

    /// `127.0.0.1:PORT`, for `--registry-endpoint <acct>.dkr.ecr.<region>.amazonaws.com=…`.
    pub fn addr(&self) -> String {
        self.proxy.addr()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.proxy.requests()
    }
}

fn challenge() -> Reply {
    json(
        401,
        &json!({"errors": [{"code": "UNAUTHORIZED", "message": "Not Authorized"}]}),
    )
    .with_header(header(
        "WWW-Authenticate",
        r#"Basic realm="https://fake-ecr/",service="ecr.amazonaws.com""#,
    ))
}

/// One page of the upstream catalog, after the `last` cursor.
fn catalog_page(upstream: &str, req: &RecordedRequest, page_cap: usize) -> Reply {
    let all = match upstream_catalog(upstream) {
        Ok(all) => all,
        Err(e) => return json(502, &json!({"message": e.to_string()})),
    };
    let n = req
        .query("n")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(ECR_MAX_N);
    let size = n.min(page_cap).max(1);
    let after = req.query("last");
    let rest: Vec<&String> = all
        .iter()
        .filter(|r| after.as_deref().is_none_or(|a| r.as_str() > a))
        .collect();
    let page: Vec<&String> = rest.iter().take(size).copied().collect();
    let mut reply = json(200, &json!({ "repositories": page }));
    if rest.len() > size {
        let last = page.last().expect("a non-empty page").replace('/', "%2F");
        let link = format!(r#"</v2/_catalog?n={n}&last={last}>; rel="next""#);
        reply = reply.with_header(header("Link", &link));
    }
    reply
}

fn upstream_catalog(upstream: &str) -> anyhow::Result<Vec<String>> {
    let mut response = agent().get(&v2_url(upstream, "_catalog?n=1000")).call()?;
    let body: serde_json::Value = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
    let mut names: Vec<String> = body["repositories"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    Ok(names)
}
