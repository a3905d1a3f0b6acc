//! A request head as the fakes' server parses it: the request line and headers become a
//! [`RecordedRequest`] (its body still to be read), and the HTTP version and headers say
//! whether the connection stays open afterwards.

use tiny_http::HTTPVersion;

use super::request::RecordedRequest;

/// A parsed request head.
pub(super) struct Head {
    /// The request, with an empty body.
    pub request: RecordedRequest,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: HTTPVersion,
}

impl Head {
    /// Parses a head as `read_head` returns it (blank line included); `None` when it is
    /// not an HTTP/1.0 or HTTP/1.1 request.
    pub fn parse(raw: &[u8]) -> Option<Head> {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.lines();
        let mut first = lines.next()?.split_whitespace();
        let (method, url, version) = (first.next()?, first.next()?, first.next()?);
        let version = match (version, first.next()) {
            ("HTTP/1.0", None) => HTTPVersion(1, 0),
            ("HTTP/1.1", None) => HTTPVersion(1, 1),
            _ => return None,
        };
        let headers = lines
            .take_while(|line| !line.is_empty())
            .map(|line| {
                let (name, value) = line.split_once(':')?;
                Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
            })
            .collect::<Option<Vec<_>>>()?;
        let request = RecordedRequest {
            method: method.to_string(),
            url: url.to_string(),
            headers,
            body: String::new(),
        };
        Some(Head { request, version })
    }

    /// Whether the client may send another request on this connection: HTTP/1.1 unless it
    /// said `Connection: close`, HTTP/1.0 only if it said `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let connection = self
            .request
            .header("connection")
            .map(str::to_ascii_lowercase);
        match connection {
            Some(c) if c.contains("close") => false,
            Some(c) if c.contains("keep-alive") => true,
            _ => self.version == HTTPVersion(1, 1),
        }
    }

    /// Whether the client waits for `100 Continue` before sending its body.
    pub fn expects_continue(&self) -> bool {
        self.request
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Option<Head> {
        Head::parse(raw.as_bytes())
    }

    #[test]
    fn the_request_line_and_headers_are_read() {
        let head = parse("POST /v2/auth/token?a=1 HTTP/1.1\r\nHost: h:1\r\nX-A:  b \r\n\r\n")
            .expect("parses");
        assert_eq!(head.request.method, "POST");
        assert_eq!(head.request.url, "/v2/auth/token?a=1");
        assert_eq!(head.version, HTTPVersion(1, 1));
        assert_eq!(
            head.request.headers,
            [("host".into(), "h:1".into()), ("x-a".into(), "b".into())]
        );
    }

    #[test]
    fn anything_but_http_1_is_refused() {
        assert!(parse("GET / HTTP/2.0\r\n\r\n").is_none());
        assert!(parse("GET /\r\n\r\n").is_none());
        assert!(parse("GET / HTTP/1.1 extra\r\n\r\n").is_none());
        assert!(parse("GET / HTTP/1.1\r\nno colon\r\n\r\n").is_none());
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        let keeps = |raw: &str| parse(raw).expect("parses").keep_alive();
        assert!(keeps("GET / HTTP/1.1\r\n\r\n"));
        assert!(!keeps("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
        assert!(!keeps("GET / HTTP/1.0\r\n\r\n"));
        assert!(keeps("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    }

    #[test]
    fn continue_is_expected_only_when_asked() {
        assert!(parse("PUT / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")
            .expect("parses")
            .expects_continue());
        assert!(!parse("PUT / HTTP/1.1\r\n\r\n")
            .expect("parses")
            .expects_continue());
    }
}
