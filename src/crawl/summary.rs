//! What a run did: counts, skipped artifacts by kind and every failure with its reason.
//! The printer shows it; `--report` writes it as JSON.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// One thing that could not be crawled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Failure {
    /// Registry name as written in output.
    pub registry: String,
    /// Repository path, when the failure concerns one.
    pub repository: Option<String>,
    /// Tag or digest, when the failure concerns one.
    pub reference: Option<String>,
    /// Why, in a few words plus the cause.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.registry)?;
        if let Some(repo) = &self.repository {
            write!(f, "/{repo}")?;
        }
        match &self.reference {
            Some(r) if r.starts_with("sha256:") => write!(f, "@{r}")?,
            Some(r) => write!(f, ":{r}")?,
            None => {}
        }
        write!(f, ": {}", self.reason)
    }
}

/// Totals for one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Repositories crawled without a repository-level failure.
    pub repositories: u64,
    /// Tags resolved.
    pub tags: u64,
    /// Assets produced.
    pub images: u64,
    /// Images dropped by `--platform`.
    pub filtered_by_platform: u64,
    /// Non-image manifests and tags, by kind ("attestation", "signature", …).
    pub skipped: BTreeMap<String, u64>,
    /// Everything that failed, sorted.
    pub failures: Vec<Failure>,
    /// Requests sent, by kind.
    pub requests: BTreeMap<String, u64>,
    /// Requests retried after a transient fault.
    pub retries: u64,
    /// Why the run stopped before finishing (`--timeout`, `--fail-fast`, a spent rate
    /// limit), if it did.
    pub stopped: Option<String>,
    /// Why the asset file could not be written, if it could not (the run then exits 1).
    pub output_error: Option<String>,
    /// Wall-clock duration of the crawl, in seconds.
    pub elapsed_seconds: f64,
}

impl Summary {
    /// Adds another summary's counts (used to merge per-repository results).
    pub fn merge(&mut self, other: Summary) {
        self.repositories += other.repositories;
        self.tags += other.tags;
        self.images += other.images;
        self.filtered_by_platform += other.filtered_by_platform;
        for (kind, n) in other.skipped {
            *self.skipped.entry(kind).or_default() += n;
        }
        self.failures.extend(other.failures);
    }

    /// Counts one skipped manifest or tag of `kind`.
    pub fn skip(&mut self, kind: &str) {
        *self.skipped.entry(kind.to_owned()).or_default() += 1;
    }
}
