//! The command line as clap sees it: flag definitions and help text only. Nothing here
//! touches the network or the file system; `config` turns this into built objects.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, as documented in `--help` and the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  everything asked for was crawled and written
  1  nothing could be done (bad arguments or files, registry unreachable, output unwritable,
     or not one image found or crawled); no output is written
  2  some repositories or tags failed; the output file holds everything else. Also when
     the run stopped early: --timeout reached or a rate limit spent (--on-rate-limit
     stop), with the file holding what was finished; or --fail-fast, which writes no
     asset file and leaves the previous one untouched (--report is still written)
  130  interrupted by SIGINT (Ctrl-C)
  143  terminated by SIGTERM
     On 130 and 143 nothing is written: the previous output file is left untouched and
     no temporary file remains";

/// Crawl container registries into Nucleus "Container Image" asset files.
///
/// Each TARGET is a repository (`ghcr.io/org/app`), one tag or digest of it
/// (`ghcr.io/org/app:1.4`, `…@sha256:…`), or a pattern over repository paths where `*`
/// stays inside one path segment and `**` crosses segments (`ghcr.io/org/*`,
/// `127.0.0.1:5000/**`). A name without a registry follows Docker's rules: `alpine` is
/// `docker.io/library/alpine`.
#[derive(Debug, Parser)]
#[command(name = "nuccrawl", version, after_long_help = EXIT_CODES_HELP,
          args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// Check an existing asset file instead of crawling.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// What to crawl: repositories, tags, digests or repository patterns.
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub network: NetworkArgs,

    #[command(flatten)]
    pub verbosity: VerbosityArgs,

    #[command(flatten)]
    pub discovery: DiscoveryArgs,

    #[command(flatten)]
    pub reliability: ReliabilityArgs,

    #[command(flatten)]
    pub auth: AuthArgs,

    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a Container Image file (JSON, XML or CSV) against every rule of the format.
    ///
    /// Names the asset and field of each violation and exits 1 when there is one.
    Validate {
        /// The file to check; its format comes from the extension unless --format is given.
        file: PathBuf,
        /// Read the file as this format regardless of its extension.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
}

/// Where and how to write the result.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the asset file here (atomically); `-` or no -o writes it to stdout.
    ///
    /// The format comes from the extension (.json, .xml, .csv) unless --format is given;
    /// on stdout it is JSON unless --format says otherwise. A file named `-` is `./-`.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format, overriding the file extension.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Also write the run summary (counts, skipped kinds, failures, requests) as JSON here.
    ///
    /// A file only: `-` is refused, since stdout may carry the asset file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Leave the manifest and config text out of the assets (digests are always written).
    #[arg(long)]
    pub no_bodies: bool,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// One JSON object with an `assets` array.
    Json,
    /// A `nucleusCustomScan` XML document.
    Xml,
    /// RFC 4180 CSV, one row per asset.
    Csv,
}

/// Which repositories, tags and platforms to keep.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only crawl tags matching this glob (repeatable), e.g. `v1.*`.
    #[arg(long = "tags", value_name = "GLOB")]
    pub tags: Vec<String>,

    /// Skip tags matching this glob (repeatable), e.g. `*-rc*`.
    #[arg(long = "exclude-tags", value_name = "GLOB")]
    pub exclude_tags: Vec<String>,

    /// Only keep images of this platform (repeatable), as `os/arch[/variant]`.
    ///
    /// `linux/arm64` matches `linux/arm64/v8`; the variant is compared only when given.
    #[arg(long = "platform", value_name = "OS/ARCH[/VARIANT]")]
    pub platforms: Vec<String>,
}

/// How to talk to registries.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Allow plain HTTP to this registry (repeatable). Loopback addresses always may.
    #[arg(long = "plain-http", value_name = "HOST[:PORT]")]
    pub plain_http: Vec<String>,

    /// Requests in flight at once, per registry host.
    #[arg(long, value_name = "N", default_value_t = crate::config::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,

    /// Seconds to wait for one response.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    /// Attempts per request for transient faults (429, 408, 5xx, dropped connections, timeouts).
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
}

/// How much to say.
#[derive(Debug, Args)]
pub struct VerbosityArgs {
    /// Print only errors (no progress, no summary).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more: -v request counts, -vv decisions and retries, -vvv every request.
    ///
    /// Credentials and tokens are never logged at any level.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How repository patterns are turned into repositories.
#[derive(Debug, Args)]
pub struct DiscoveryArgs {
    /// How to list a registry's repositories for a pattern.
    ///
    /// auto chooses by registry: docker.io uses Docker Hub's listing API, ghcr.io the
    /// GitHub packages API, every other registry (ECR and ACR included) `/v2/_catalog`.
    #[arg(long, value_enum, value_name = "METHOD", default_value = "auto")]
    pub discovery: DiscoveryArg,

    /// Base URL of the GitHub REST API, for ghcr.io patterns.
    ///
    /// Point it at GitHub Enterprise Server as https://HOST/api/v3 (with --discovery
    /// github for its registry, containers.HOST). Needs a token with read:packages:
    /// GITHUB_TOKEN for ghcr.io; elsewhere the credentials for the registry host.
    /// [default: https://api.github.com, except for a registry redirected with
    /// --registry-endpoint, which contacts no other host unless this is given]
    #[arg(long, value_name = "URL")]
    pub github_api: Option<String>,

    /// Base URL of Docker Hub's web API, for docker.io patterns and tag digests.
    ///
    /// [default: https://hub.docker.com, except for a registry redirected with
    /// --registry-endpoint, which contacts no other host unless this is given]
    #[arg(long, value_name = "URL")]
    pub hub_api: Option<String>,

    /// Where each tag's digest is read.
    ///
    /// auto reads tags with their digests from the vendor API where there is one
    /// (Docker Hub's tag listing for docker.io, GitHub's package versions for ghcr.io with
    /// a token): one request per 100 tags instead of a HEAD per tag. Elsewhere, or when
    /// the API fails or leaves a digest out, the registry's tag list and a HEAD per tag.
    /// registry always asks the registry (the API may lag a push by moments).
    #[arg(long, value_enum, value_name = "SOURCE", default_value = "auto")]
    pub tag_source: TagSourceArg,

    /// Contact registry NAME at this address; for mirrors and tests (repeatable).
    ///
    /// Output still names NAME (e.g. docker.io). Plain HTTP is used only when the
    /// address is loopback or listed in --plain-http. Example:
    /// `--registry-endpoint ghcr.io=127.0.0.1:5000`.
    #[arg(long = "registry-endpoint", value_name = "NAME=HOST[:PORT]")]
    pub registry_endpoints: Vec<String>,
}

/// Repository listing methods for `--discovery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiscoveryArg {
    /// Chosen by registry host.
    Auto,
    /// `/v2/_catalog`, paged.
    Catalog,
    /// Docker Hub's namespace repository listing.
    Dockerhub,
    /// GitHub's organisation or user container packages.
    Github,
}

/// Where tag digests come from, for `--tag-source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TagSourceArg {
    /// The vendor API where the registry has one, else the registry.
    Auto,
    /// The registry's tag list and one HEAD per tag.
    Registry,
}

/// How to ride out faults and when to give up.
#[derive(Debug, Args)]
pub struct ReliabilityArgs {
    /// Most seconds one request may spend waiting between retries.
    ///
    /// 429, 408, 5xx, refused or dropped connections, timeouts and bodies cut short are
    /// retried with exponential backoff and jitter, or after the wait the registry names
    /// (`Retry-After`, or a hint in a 429's message). A retry that would take the total
    /// past this is not made. Also caps a wait for a rate-limit window to reset.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub max_retry_wait: u64,

    /// Stop the whole run after this many seconds.
    ///
    /// Every image completed is written, also from repositories cut short; every
    /// repository not finished is recorded as a failure ("run timeout reached") and the
    /// exit code is 2.
    #[arg(long = "timeout", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub run_timeout: Option<u64>,

    /// Stop at the first failure: write no asset file (the previous one stays as it
    /// was), write --report, exit 2.
    ///
    /// For jobs that would rather keep the last complete inventory than publish a
    /// partial one.
    #[arg(long)]
    pub fail_fast: bool,

    /// When a registry's announced request budget (Docker Hub's `RateLimit-Remaining`)
    /// runs out: stop, or wait for the window to reset.
    ///
    /// Either way requests slow to one at a time as the budget runs low. `stop` writes
    /// what was finished and exits 2 with a message naming the registry and when its
    /// budget resets; `wait` waits for the reset if it comes within --max-retry-wait (and
    /// --timeout), and stops otherwise.
    #[arg(long, value_enum, value_name = "ACTION", default_value_t = RateLimitAction::Stop)]
    pub on_rate_limit: RateLimitAction,
}

/// What `--on-rate-limit` may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateLimitAction {
    /// Wait for the budget window to reset, within --max-retry-wait.
    Wait,
    /// Stop cleanly with what was finished (Docker Hub's window is six hours).
    Stop,
}

/// Which credentials to present.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// Log in to the targets' registry as USER, reading the password from standard input.
    ///
    /// Needs --password-stdin, and targets on a single registry. Without it, credentials
    /// are looked up per registry host, first match wins: NUCCRAWL_USERNAME and
    /// NUCCRAWL_PASSWORD for the host in NUCCRAWL_REGISTRY; GITHUB_TOKEN for ghcr.io;
    /// Docker's config.json ($DOCKER_CONFIG or ~/.docker: credHelpers, credsStore, auths);
    /// Podman's auth.json ($REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json);
    /// else anonymous.
    ///
    /// ECR: `aws ecr get-login-password | nuccrawl --username AWS --password-stdin …`
    #[arg(long, value_name = "USER", requires = "password_stdin")]
    pub username: Option<String>,

    /// Read the password or token for --username from standard input (one trailing
    /// newline is dropped).
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
}

/// The on-disk cache of manifests and configs.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Keep manifests and configs here, by digest, for later runs.
    ///
    /// Defaults to $XDG_CACHE_HOME/nuccrawl, else $HOME/.cache/nuccrawl. Entries are
    /// verified by digest on every read, so the folder may be shared by runs at once,
    /// pruned or deleted at any time. Tag lists are never cached.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Use no cache: fetch every manifest and config from the registry.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,

    /// Tags matching GLOB never move (repeatable): ECR tag immutability, Harbor
    /// immutable-tag rules, a release policy such as `v*.*.*`.
    ///
    /// Once a run has resolved such a tag, later runs with the same cache take its digest
    /// from the cache instead of a HEAD. The tag list is still read (deleted tags drop
    /// out), new tags are still HEADed, and a remembered digest the registry no longer
    /// serves is rechecked. A matching tag moved after all keeps its old digest in the
    /// inventory until a run without this flag resolves it (which corrects the cache):
    /// name only tags that cannot move.
    #[arg(
        long = "immutable-tags",
        value_name = "GLOB",
        conflicts_with = "no_cache"
    )]
    pub immutable_tags: Vec<String>,
}
