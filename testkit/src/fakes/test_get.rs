//! A GET against a fake, for the fakes' own tests: status, headers and JSON body.

use crate::client::agent;

/// An answer: status, headers (names lower-case), JSON body (null when not JSON).
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Answer {
    /// The value of header `name` (lower-case), if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// GETs `url`, with `Authorization: Bearer <token>` when given.
pub(crate) fn get(url: &str, token: Option<&str>) -> Answer {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = req.call().expect("the fake answers");
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = resp.body_mut().read_to_vec().expect("a body");
    Answer {
        status: resp.status().as_u16(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or_default(),
    }
}
