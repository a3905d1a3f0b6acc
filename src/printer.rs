//! The one place that writes to the user's terminal: the run summary, validation
//! results and fatal errors, all on stderr so stdout stays clean for the asset file.

use std::io::Write;

use crate::asset::validate::Violation;
use crate::crawl::summary::Summary;

/// Writes what the user reads.
pub struct Printer {
    quiet: bool,
    verbose: u8,
}

impl Printer {
    /// A printer honouring `-q` and `-v`.
    pub fn new(quiet: bool, verbose: u8) -> Self {
        Printer { quiet, verbose }
    }

    /// The end-of-run summary; failures are shown even with `-q`.
    pub fn summary(&self, summary: &Summary, written_to: Option<&str>) {
        let mut err = std::io::stderr().lock();
        if !self.quiet {
            let _ = writeln!(
                err,
                "nuccrawl: {}, {}, {}{}",
                count(summary.repositories, "repository", "repositories"),
                count(summary.tags, "tag", "tags"),
                count(summary.images, "image", "images"),
                written_to
                    .map(|p| format!(" written to {p}"))
                    .unwrap_or_default()
            );
            if !summary.skipped.is_empty() {
                let kinds: Vec<String> = summary
                    .skipped
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                let _ = writeln!(err, "  skipped (not images): {}", kinds.join(", "));
            }
            if summary.filtered_by_platform > 0 {
                let _ = writeln!(
                    err,
                    "  left out by --platform: {}",
                    summary.filtered_by_platform
                );
            }
            if self.verbose > 0 {
                let kinds: Vec<String> = summary
                    .requests
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect();
                let _ = writeln!(
                    err,
                    "  requests: {} (retries {})",
                    kinds.join(", "),
                    summary.retries
                );
            }
        }
        if !summary.failures.is_empty() {
            let _ = writeln!(err, "  failures ({}):", summary.failures.len());
            for f in &summary.failures {
                let _ = writeln!(err, "    {f}");
            }
        }
    }

    /// The result of `nuccrawl validate`.
    pub fn validation(&self, path: &str, assets: usize, violations: &[Violation]) {
        let mut err = std::io::stderr().lock();
        for v in violations {
            let _ = writeln!(err, "{path}: {v}");
        }
        if violations.is_empty() {
            if !self.quiet {
                let _ = writeln!(
                    err,
                    "{path}: valid ({})",
                    count(assets as u64, "asset", "assets")
                );
            }
        } else {
            let _ = writeln!(
                err,
                "{path}: {} in {}",
                count(violations.len() as u64, "violation", "violations"),
                count(assets as u64, "asset", "assets")
            );
        }
    }

    /// A fatal error with its cause chain, printed once.
    pub fn error(&self, error: &anyhow::Error) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "nuccrawl: error: {}",
            error_line(error)
        );
    }

    /// A one-line notice (e.g. interruption).
    pub fn notice(&self, message: &str) {
        let _ = writeln!(std::io::stderr().lock(), "nuccrawl: {message}");
    }
}

/// An error and its causes on one line, each said once: an error that already quotes its
/// cause in its own message does not get it appended again.
pub(crate) fn error_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

/// `1 image`, `2 images`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_quoted_is_not_repeated() {
        let error: anyhow::Error = "127.0.0.1:5/Bad/x"
            .parse::<crate::reference::Target>()
            .map(|_| ())
            .map_err(crate::config::ConfigError::from)
            .unwrap_err()
            .into();
        let line = error_line(&error);
        assert_eq!(line.matches("`127.0.0.1:5/Bad/x`").count(), 1, "{line}");
        assert!(line.starts_with("bad target: "), "{line}");

        let wrapped = anyhow::anyhow!("inner problem").context("outer");
        assert_eq!(error_line(&wrapped), "outer: inner problem");
    }
}
