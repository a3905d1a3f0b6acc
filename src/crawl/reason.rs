//! Failure reasons as the summary shows them: what kind of problem, then the whole error
//! chain, so that the cause deep in a chain ("end of file before message length reached",
//! "expected value at line 1 column 1") reaches the user instead of only the top line.

use std::error::Error;

use crate::registry::RegistryError;

/// `<kind>: <error>: <cause>: …` for a registry call that failed.
pub fn registry(error: &RegistryError) -> String {
    format!("{}: {}", error.kind(), chain(error))
}

/// An error and each of its sources, joined with `: `, repeats left out (some errors
/// print their source's text in their own message).
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner cause")]
    struct Inner;

    #[test]
    fn chains_sources() {
        assert_eq!(chain(&Outer(Inner)), "outer: inner cause");
        assert_eq!(chain(&Inner), "inner cause");
    }

    #[test]
    fn registry_reasons_start_with_the_kind() {
        let error = RegistryError::TooLarge {
            url: "http://r/v2/a/manifests/x".into(),
            limit: 4,
        };
        assert_eq!(
            registry(&error),
            "too large: http://r/v2/a/manifests/x: response larger than 4 bytes"
        );
    }
}
