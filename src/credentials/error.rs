//! Why credentials could not be looked up. Messages name the file, variable or helper at
//! fault and never carry a secret: parse errors give a position, not the offending text.

use std::path::PathBuf;
use std::sync::Arc;

/// A failure to find out which credential to use.
///
/// `Clone` so that a failure for one host can be cached and reported for every request
/// to that host; I/O causes are shared behind an `Arc` for that reason.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    /// The username/password pair is set but does not say which host it is for.
    #[error(
        "NUCCRAWL_USERNAME and NUCCRAWL_PASSWORD are set but NUCCRAWL_REGISTRY is not; set it \
         to the registry host the pair is for (e.g. `registry.example.com:5000`)"
    )]
    EnvPairWithoutRegistry,
    /// Only part of the `NUCCRAWL_*` trio is set.
    #[error("{set} is set but {missing} is not")]
    EnvIncomplete {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is missing.
        missing: &'static str,
    },
    /// `NUCCRAWL_REGISTRY` is not a `host[:port]`.
    #[error("NUCCRAWL_REGISTRY `{0}` is not a registry host with an optional port")]
    BadEnvRegistry(String),
    /// An auth file exists but could not be read.
    #[error("cannot read {}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: Arc<std::io::Error>,
    },
    /// An auth file is not the JSON shape Docker and Podman write.
    #[error(
        "{} is not a valid auth file: {what} at line {line}, column {column}",
        path.display()
    )]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// `JSON syntax error` or `unexpected value`; the value itself is never quoted.
        what: &'static str,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
    },
    /// An `auths` entry's `auth` field is not base64 of `user:password`.
    #[error("{}: auths entry `{key}`: `auth` is not base64 of `user:password`", path.display())]
    BadAuthField {
        /// The file.
        path: PathBuf,
        /// The `auths` key (a host, not a secret).
        key: String,
    },
    /// An auth file names a helper that is not a plain program-name suffix.
    #[error("{}: credential helper name `{helper}` is not a plain name", path.display())]
    BadHelperName {
        /// The file.
        path: PathBuf,
        /// The name as written.
        helper: String,
    },
    /// The helper program is not on the search path.
    #[error(
        "credential helper docker-credential-{helper} (named in {}) is not on PATH; install \
         it or remove it from that file",
        path.display()
    )]
    HelperNotFound {
        /// The helper's name.
        helper: String,
        /// The file that named it.
        path: PathBuf,
    },
    /// The helper could not be started or talked to.
    #[error("cannot run credential helper docker-credential-{helper}")]
    HelperSpawn {
        /// The helper's name.
        helper: String,
        /// The I/O failure.
        source: Arc<std::io::Error>,
    },
    /// The helper did not finish in time and was killed.
    #[error(
        "credential helper docker-credential-{helper} gave no answer within {} ms and was \
         stopped",
        timeout.as_millis()
    )]
    HelperTimeout {
        /// The helper's name.
        helper: String,
        /// How long it was given.
        timeout: std::time::Duration,
    },
    /// The helper exited with a failure other than "credentials not found".
    #[error("credential helper docker-credential-{helper} failed ({status}): {message}")]
    HelperFailed {
        /// The helper's name.
        helper: String,
        /// Its exit status.
        status: String,
        /// The first line of what it printed, shortened.
        message: String,
    },
    /// The helper exited successfully but its answer is not its JSON format.
    #[error(
        "credential helper docker-credential-{helper} answered with something other than \
         {{\"ServerURL\",\"Username\",\"Secret\"}} JSON"
    )]
    HelperBadAnswer {
        /// The helper's name.
        helper: String,
    },
    /// Standard input could not be read.
    #[error("cannot read the password from standard input")]
    StdinRead {
        /// The I/O failure.
        source: Arc<std::io::Error>,
    },
    /// Standard input held no password.
    #[error("the password read from standard input is empty")]
    StdinEmpty,
    /// Standard input was not UTF-8.
    #[error("the password read from standard input is not UTF-8")]
    StdinNotUtf8,
    /// Standard input was implausibly long for a password or token.
    #[error("standard input holds more than {0} bytes; that is not a password or token")]
    StdinTooLong(usize),
}
