//! The values that carry secrets on the wire: `Basic` and `Bearer` headers, and the rule
//! for where a secret may travel at all.
//!
//! Every header built here is marked sensitive, so `http`'s `Debug` prints `Sensitive`
//! instead of the value and HTTP/2 never puts it in its compression table.

use base64::Engine as _;
use reqwest::header::HeaderValue;
use url::Url;

use super::transport::is_loopback_url;

/// Whether a password or refresh token may be sent to `url`: over HTTPS, or to loopback.
/// Unlike bearer tokens, these are never sent to a `--plain-http` host that is not
/// loopback: a token is scoped and short-lived, a password is neither.
pub(crate) fn may_carry_credentials(url: &Url) -> bool {
    url.scheme() == "https" || is_loopback_url(url)
}

/// `Basic base64(user:pass)`, marked sensitive.
pub(crate) fn basic_value(username: &str, password: &str) -> HeaderValue {
    let raw = format!("{username}:{password}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a valid header value");
    value.set_sensitive(true);
    value
}

/// `Bearer <token>`, marked sensitive; `None` when the token cannot be a header value.
pub(crate) fn bearer_value(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_only_over_https_or_loopback() {
        let ok = |u: &str| may_carry_credentials(&Url::parse(u).unwrap());
        assert!(ok("https://auth.example/token"));
        assert!(ok("http://localhost:5000/"));
        assert!(ok("http://127.0.0.1:5000/"));
        assert!(!ok("http://auth.example/token"));
        assert!(!ok("http://mirror.lan:5000/v2/"));
    }

    #[test]
    fn header_values_are_sensitive_and_hidden_from_debug() {
        let basic = basic_value("u", "p");
        assert!(basic.is_sensitive());
        assert_eq!(basic.to_str().unwrap(), "Basic dTpw");
        let bearer = bearer_value("tok-secret").unwrap();
        assert!(bearer.is_sensitive());
        assert!(!format!("{basic:?} {bearer:?}").contains("tok-secret"));
        assert!(!format!("{basic:?}").contains("dTpw"));
        assert!(bearer_value("bad\nvalue").is_none());
    }
}
