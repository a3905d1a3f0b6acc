//! `FakeTokenServer`: a fake of a Docker token server (the `realm` of a registry's Bearer
//! challenge), on 127.0.0.1, for Distribution's `auth: token` mode, served by
//! [`FakeHttpServer`](crate::fake_http::FakeHttpServer).
//!
//! It follows the documented token protocol:
//! - `GET /token?service=…&scope=…` with Basic credentials: if they match, a JWT granting
//!   `pull` on each requested repository and `*` on `registry:catalog`; without
//!   credentials, a token granting nothing (as Docker Hub does for anonymous callers);
//!   with wrong ones, 401.
//! - `POST /token` with `grant_type=refresh_token&refresh_token=…&service=…&scope=…`: if
//!   the refresh token matches, the same grant, answered as `access_token`.
//!
//! Every request is recorded (method, scopes, whether it was authenticated) and every
//! token issued is kept, so tests can count token requests and look for leaked tokens.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::client::Credentials;
use crate::fake_http::{FakeHttpServer, HttpRequest, HttpResponse};
use crate::registry::TokenAuth;
use crate::token_signer::{Access, TokenSigner};

/// Issuer the fake signs as and the registry is told to accept.
pub const FAKE_ISSUER: &str = "nuccrawl-fake-token-server";

/// Service name the registry is configured with and the fake expects.
pub const FAKE_SERVICE: &str = "nuccrawl-fake-registry";

/// Token lifetime in seconds: long enough that no test run sees a token expire.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 600;

/// Who may get tokens from the fake.
#[derive(Debug, Clone, Default)]
pub struct FakeTokenPolicy {
    /// The username and password accepted with GET.
    pub basic: Option<Credentials>,
    /// The refresh token accepted with the POST grant.
    pub refresh_token: Option<String>,
    /// `expires_in` of every token; 0 means [`DEFAULT_TOKEN_LIFETIME_SECS`].
    pub lifetime_secs: u64,
    /// Repositories never granted, even to matching credentials (a private package the
    /// account cannot read).
    pub deny_repositories: Vec<String>,
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The `scope` values asked for.
    pub scopes: Vec<String>,
    /// Whether it carried matching credentials (Basic or refresh token).
    pub authenticated: bool,
    /// Whether it carried any `Authorization` header.
    pub had_authorization: bool,
}

#[derive(Default)]
struct Log {
    requests: Vec<TokenRequest>,
    issued: Vec<String>,
}

/// A running fake token server; stops when dropped.
pub struct FakeTokenServer {
    server: FakeHttpServer,
    log: Arc<Mutex<Log>>,
    dir: tempfile::TempDir,
    root_bundle: PathBuf,
}

impl FakeTokenServer {
    /// Starts the fake with a fresh signing key and certificate.
    pub fn start(policy: FakeTokenPolicy) -> anyhow::Result<Self> {
        let signer = TokenSigner::generate()?;
        let dir = tempfile::Builder::new()
            .prefix("nuccrawl-fake-token-")
            .tempdir()?;
        let root_bundle = signer.write_root_bundle(dir.path())?;
        let log = Arc::new(Mutex::new(Log::default()));
        let policy = FakeTokenPolicy {
            lifetime_secs: match policy.lifetime_secs {
                0 => DEFAULT_TOKEN_LIFETIME_SECS,
                n => n,
            },
            ..policy
        };
        let server = {
            let log = log.clone();
            FakeHttpServer::start(move |request| serve(request, &policy, &signer, &log))?
        };
        Ok(FakeTokenServer {
            server,
            log,
            dir,
            root_bundle,
        })
    }

    /// `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.server.addr())
    }

    /// The `auth: token` settings for a registry that trusts this fake.
    pub fn registry_auth(&self) -> TokenAuth {
        TokenAuth {
            realm: self.realm(),
            service: FAKE_SERVICE.to_owned(),
            issuer: FAKE_ISSUER.to_owned(),
            root_cert_bundle: self.root_bundle.clone(),
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.log.lock().unwrap().requests.clone()
    }

    /// Requests that asked for `scope`.
    pub fn requests_for(&self, scope: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.scopes.iter().any(|s| s == scope))
            .count()
    }

    /// Every token issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.log.lock().unwrap().issued.clone()
    }

    /// The directory holding the root bundle.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// Answers one request.
fn serve(
    request: HttpRequest,
    policy: &FakeTokenPolicy,
    signer: &TokenSigner,
    log: &Mutex<Log>,
) -> HttpResponse {
    let method = request.method.clone();
    let authorization = request.header("authorization").map(str::to_owned);
    let params: Vec<(String, String)> = if method == "POST" {
        url_pairs(&String::from_utf8_lossy(&request.body))
    } else {
        url_pairs(request.query())
    };
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let verdict = match method.as_str() {
        "GET" => check_basic(authorization.as_deref(), policy),
        "POST" => check_refresh(&param, policy),
        _ => Verdict::Refused,
    };
    log.lock().unwrap().requests.push(TokenRequest {
        method: method.clone(),
        scopes: scopes.clone(),
        authenticated: verdict == Verdict::Granted,
        had_authorization: authorization.is_some(),
    });
    let status = |status| HttpResponse {
        status,
        content_type: None,
        body: Vec::new(),
    };
    let access = match verdict {
        Verdict::Refused => return status(401),
        Verdict::Anonymous => Vec::new(),
        Verdict::Granted => grants(&scopes, &policy.deny_repositories),
    };
    let subject = policy.basic.as_ref().map_or("anonymous", |c| &c.username);
    let Ok(token) = signer.sign(
        FAKE_ISSUER,
        FAKE_SERVICE,
        subject,
        &access,
        policy.lifetime_secs,
    ) else {
        return status(500);
    };
    log.lock().unwrap().issued.push(token.clone());
    let answer = if method == "POST" {
        json!({"access_token": token, "expires_in": policy.lifetime_secs})
    } else {
        json!({"token": token, "access_token": token, "expires_in": policy.lifetime_secs})
    };
    HttpResponse {
        status: 200,
        content_type: Some("application/json"),
        body: answer.to_string().into_bytes(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Granted,
    Anonymous,
    Refused,
}

fn check_basic(authorization: Option<&str>, policy: &FakeTokenPolicy) -> Verdict {
    match (authorization, &policy.basic) {
        (None, _) => Verdict::Anonymous,
        (Some(got), Some(want)) if got == want.basic_header() => Verdict::Granted,
        _ => Verdict::Refused,
    }
}

fn check_refresh(param: &dyn Fn(&str) -> Option<String>, policy: &FakeTokenPolicy) -> Verdict {
    let grant = param("grant_type");
    let token = param("refresh_token");
    match (&policy.refresh_token, grant.as_deref(), token) {
        (Some(want), Some("refresh_token"), Some(got)) if *want == got => Verdict::Granted,
        _ => Verdict::Refused,
    }
}

/// `pull` on each requested repository not in `deny`, `*` on the catalog; nothing else.
fn grants(scopes: &[String], deny: &[String]) -> Vec<Access> {
    scopes
        .iter()
        .filter_map(|scope| {
            let (kind, rest) = scope.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            let wanted: Vec<&str> = actions.split(',').collect();
            let actions: Vec<String> = match (kind, name) {
                ("repository", _) if deny.iter().any(|d| d == name) => return None,
                ("repository", _) if wanted.contains(&"pull") => vec!["pull".into()],
                ("registry", "catalog") if wanted.contains(&"*") => vec!["*".into()],
                _ => return None,
            };
            Some(Access {
                kind: kind.to_owned(),
                name: name.to_owned(),
                actions,
            })
        })
        .collect()
}

/// Decodes `a=b&c=d` (plus as space, percent escapes).
fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_pull_and_catalog_only() {
        let got = grants(
            &[
                "repository:samples/alpine:pull,push".into(),
                "registry:catalog:*".into(),
                "repository:x:push".into(),
                "repository:private:pull".into(),
            ],
            &["private".into()],
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "samples/alpine");
        assert_eq!(got[0].actions, ["pull"]);
        assert_eq!(
            (got[1].kind.as_str(), got[1].name.as_str()),
            ("registry", "catalog")
        );
    }

    #[test]
    fn decodes_forms() {
        assert_eq!(
            url_pairs("scope=repository%3Aa%2Fb%3Apull&x=a+b&y=%zz"),
            [
                ("scope".to_owned(), "repository:a/b:pull".to_owned()),
                ("x".to_owned(), "a b".to_owned()),
                ("y".to_owned(), "%zz".to_owned()),
            ]
        );
    }
}
