//! A request as a fake received it, and the small URL helpers the fakes read it with.

/// One request as a fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, as sent.
    pub url: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, lossily decoded.
    pub body: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or_default()
    }

    /// The value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        query_param(&self.url, name)
    }

    /// `http://HOST` as the client addressed this fake: its `Host` header, else `addr`
    /// (the fake's own `127.0.0.1:PORT`). Paging links are built on it, so a client that
    /// reaches the fake through a proxy is sent back through the same proxy.
    pub fn origin(&self, addr: &str) -> String {
        format!("http://{}", self.header("host").unwrap_or(addr))
    }
}

/// Decodes `%XX` escapes in one path segment (`team%2Fapi` → `team/api`); a malformed
/// escape is kept as it is.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of query parameter `name` in a path-and-query string (values not escaped
/// beyond what the fakes' own links use).
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.replace("%2F", "/").replace("%2f", "/"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_reads_escapes_and_keeps_malformed_ones() {
        assert_eq!(percent_decode("team%2Fapi"), "team/api");
        assert_eq!(percent_decode("a%2fb%20c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
    }

    #[test]
    fn origin_follows_the_host_header() {
        let mut req = RecordedRequest {
            method: "GET".into(),
            url: "/x".into(),
            headers: Vec::new(),
            body: String::new(),
        };
        assert_eq!(req.origin("127.0.0.1:1"), "http://127.0.0.1:1");
        req.headers.push(("host".into(), "127.0.0.1:2".into()));
        assert_eq!(req.origin("127.0.0.1:1"), "http://127.0.0.1:2");
    }
}
