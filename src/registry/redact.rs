//! URL redaction for logs and error messages.
//!
//! Registries hand out signed object-storage URLs (S3, GCS, Azure) whose query strings are
//! bearer credentials in all but name, and users sometimes write `user:pass@host`. Every
//! URL that leaves this module as text keeps its scheme, host, port, path and query
//! parameter names, and loses user info and query values.

use url::Url;

/// What replaces each query value.
const HIDDEN_VALUE: &str = "*";

/// The text of `url` with user info, query values and fragment removed.
pub fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    // Only fails for cannot-be-a-base URLs, which have no user info to hide.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if url.query().is_some() {
        let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let hidden: Vec<String> = names
            .iter()
            .map(|k| format!("{k}={HIDDEN_VALUE}"))
            .collect();
        shown.set_query(Some(&hidden.join("&")));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_user_info_and_query_values() {
        let url =
            Url::parse("https://bob:secret@s3.example/b/blob?X-Amz-Signature=abc&n=5#f").unwrap();
        let shown = redact_url(&url);
        assert_eq!(shown, "https://s3.example/b/blob?X-Amz-Signature=*&n=*");
        assert!(!shown.contains("secret"));
        assert!(!shown.contains("bob"));
        assert!(!shown.contains("abc"));
    }

    #[test]
    fn leaves_plain_urls_alone() {
        let url = Url::parse("http://127.0.0.1:5000/v2/_catalog").unwrap();
        assert_eq!(redact_url(&url), "http://127.0.0.1:5000/v2/_catalog");
    }
}
