//! The run's configuration, resolved from the parsed command line into built objects:
//! parsed targets, compiled globs, platform filters and client options. Every malformed
//! flag or target is refused here, before anything touches the network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use globset::{GlobSet, GlobSetBuilder};
use url::Url;

use crate::cli::{
    AuthArgs, Cli, DiscoveryArg, DiscoveryArgs, FormatArg, RateLimitAction, TagSourceArg,
};
use crate::credentials::{read_password_stdin, Credential, CredentialError, Keychain};
use crate::derive::platform::PlatformFilter;
use crate::discover::{
    check_api_base, DiscoveryOptions, Method, DEFAULT_GITHUB_API, DEFAULT_HUB_API,
};
use crate::endpoints::Endpoints;
use crate::output::Format;
use crate::reference::{is_host_port, tag_glob, ReferenceError, Target};
use crate::registry::{ClientOptions, OnRateLimit};

/// Requests in flight per registry host: enough to hide 20-50 ms of latency on a
/// thousand-tag crawl, few enough that rate-limited registries are not hammered.
pub const DEFAULT_CONCURRENCY: u16 = 16;

/// The file name that means standard output for `-o`, as for most Unix tools. A file
/// really named `-` is still reachable as `./-`.
pub const STDOUT_NAME: &str = "-";

/// Why the command line cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A target did not parse.
    #[error("bad target: {0}")]
    Target(#[from] crate::reference::ReferenceError),
    /// A `--platform` value did not parse.
    #[error("bad --platform `{value}`: {reason}")]
    Platform { value: String, reason: String },
    /// A `--tags` or `--exclude-tags` glob does not compile.
    #[error("bad {flag} `{value}`: {reason}")]
    TagGlob {
        /// The flag.
        flag: &'static str,
        /// The glob as given.
        value: String,
        /// Why it does not compile.
        reason: String,
    },
    /// A `--plain-http` value is not a host.
    #[error("bad --plain-http `{0}`: expected HOST or HOST:PORT")]
    PlainHttp(String),
    /// A file to write (`-o`, `--report`) cannot be created where it is asked for.
    #[error("cannot write {flag} `{path}`: {reason}")]
    Destination {
        /// The flag naming the file.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// `--username` was given for targets on more than one registry.
    #[error(
        "--username applies to one registry, but the targets name {0}; crawl them in \
         separate runs, or use NUCCRAWL_REGISTRY/NUCCRAWL_USERNAME/NUCCRAWL_PASSWORD or \
         `docker login` for the others"
    )]
    UsernameForSeveralRegistries(String),
    /// Credentials could not be read (standard input, `NUCCRAWL_*` variables).
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// The output format cannot be told from the file name.
    #[error("cannot tell the format of `{0}` from its extension; use --format json|xml|csv")]
    UnknownFormat(PathBuf),
    /// A `--registry-endpoint` value is malformed.
    #[error(transparent)]
    Endpoint(#[from] crate::endpoints::EndpointError),
    /// `--github-api` or `--hub-api` is unusable.
    #[error("bad {flag} `{value}`: {reason}")]
    ApiUrl {
        flag: &'static str,
        value: String,
        reason: String,
    },
}

/// Everything a crawl needs, checked.
#[derive(Debug)]
pub struct Config {
    /// What to crawl, in the order given.
    pub targets: Vec<Target>,
    /// Where to write; `None` means stdout.
    pub output: Option<PathBuf>,
    /// How to encode the file.
    pub format: Format,
    /// Where to write the JSON run summary, if anywhere.
    pub report: Option<PathBuf>,
    /// Whether assets carry the manifest and config text.
    pub embed_bodies: bool,
    /// Which tags to keep.
    pub tags: TagFilter,
    /// Which platforms to keep; empty keeps all.
    pub platforms: Vec<PlatformFilter>,
    /// How registry clients behave.
    pub client: ClientOptions,
    /// Whether to show progress and the summary.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// How patterns are listed (method, vendor API bases).
    pub discovery: DiscoveryOptions,
    /// Credentials per registry host (also the vendor APIs' tokens).
    pub keychain: Arc<Keychain>,
    /// The whole run stops after this long (`--timeout`).
    pub run_timeout: Option<Duration>,
    /// Stop at the first failure and write no asset file (`--fail-fast`).
    pub fail_fast: bool,
    /// Where the manifest and config cache lives; `None` runs without one.
    pub cache_dir: Option<PathBuf>,
    /// Tags declared immutable (`--immutable-tags`), whose digests the cache remembers.
    pub immutable_tags: Option<GlobSet>,
}

impl Config {
    /// Resolves and checks a parsed command line.
    pub fn from_cli(cli: &Cli) -> Result<Self, ConfigError> {
        let endpoints = Endpoints::parse(&cli.discovery.registry_endpoints)?;
        let targets = cli
            .targets
            .iter()
            .map(|t| t.parse())
            .collect::<Result<Vec<Target>, _>>()?;
        endpoints.check_used(&targets)?;
        let targets: Vec<Target> = targets
            .into_iter()
            .map(|t| endpoints.apply_to_target(t))
            .collect();
        let output = output_path(cli.output.output.as_ref());
        let format = resolve_format(output.as_ref(), cli.output.format)?;
        let platforms = cli
            .filter
            .platforms
            .iter()
            .map(|p| {
                p.parse()
                    .map_err(|e: crate::derive::platform::PlatformFilterError| {
                        ConfigError::Platform {
                            value: p.clone(),
                            reason: e.to_string(),
                        }
                    })
            })
            .collect::<Result<_, _>>()?;
        for host in &cli.network.plain_http {
            if !is_host_port(host) {
                return Err(ConfigError::PlainHttp(host.clone()));
            }
        }
        if let Some(report) = &cli.output.report {
            check_report_is_a_file(report)?;
        }
        if let (Some(out), Some(report)) = (&output, &cli.output.report) {
            if same_file(out, report) {
                return Err(ConfigError::Destination {
                    flag: "--report",
                    path: report.clone(),
                    reason: "it is also the -o output file".into(),
                });
            }
        }
        for (flag, path) in [("-o/--output", &output), ("--report", &cli.output.report)] {
            if let Some(path) = path {
                check_destination(flag, path)?;
            }
        }
        let keychain = Arc::new(keychain(&cli.auth, &targets)?);
        let net = &cli.network;
        let client = ClientOptions {
            plain_http: net
                .plain_http
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            max_concurrency: usize::from(net.concurrency),
            connect_timeout: Duration::from_secs(net.connect_timeout),
            request_timeout: Duration::from_secs(net.request_timeout),
            max_attempts: net.max_attempts.max(1),
            max_retry_wait: Duration::from_secs(cli.reliability.max_retry_wait),
            on_rate_limit: match cli.reliability.on_rate_limit {
                RateLimitAction::Wait => OnRateLimit::Wait,
                RateLimitAction::Stop => OnRateLimit::Stop,
            },
            keychain: Arc::clone(&keychain),
            ..ClientOptions::default()
        };
        Ok(Config {
            targets,
            output,
            format,
            report: cli.output.report.clone(),
            embed_bodies: !cli.output.no_bodies,
            tags: TagFilter::new(&cli.filter.tags, &cli.filter.exclude_tags)?,
            platforms,
            client,
            quiet: cli.verbosity.quiet,
            verbose: cli.verbosity.verbose,
            discovery: discovery_options(&cli.discovery)?,
            keychain,
            run_timeout: cli.reliability.run_timeout.map(Duration::from_secs),
            fail_fast: cli.reliability.fail_fast,
            cache_dir: cache_dir(&cli.cache),
            immutable_tags: glob_set("--immutable-tags", &cli.cache.immutable_tags)?,
        })
    }
}

/// `--discovery`, `--github-api` and `--hub-api`, checked.
fn discovery_options(args: &DiscoveryArgs) -> Result<DiscoveryOptions, ConfigError> {
    let api = |flag: &'static str, value: &str| {
        let bad = |reason: String| ConfigError::ApiUrl {
            flag,
            value: value.to_string(),
            reason,
        };
        let url = Url::parse(value).map_err(|e| bad(e.to_string()))?;
        check_api_base(&url).map_err(bad)?;
        Ok::<_, ConfigError>(url)
    };
    let method = match args.discovery {
        DiscoveryArg::Auto => None,
        DiscoveryArg::Catalog => Some(Method::Catalog),
        DiscoveryArg::Dockerhub => Some(Method::DockerHub),
        DiscoveryArg::Github => Some(Method::Github),
    };
    Ok(DiscoveryOptions {
        method,
        vendor_tags: args.tag_source == TagSourceArg::Auto,
        github_api: api(
            "--github-api",
            args.github_api.as_deref().unwrap_or(DEFAULT_GITHUB_API),
        )?,
        hub_api: api(
            "--hub-api",
            args.hub_api.as_deref().unwrap_or(DEFAULT_HUB_API),
        )?,
        apis_named: args.github_api.is_some() || args.hub_api.is_some(),
    })
}

/// The keychain for this run: `--username` with the password read from standard input
/// for the targets' one registry, then the environment and the auth files.
fn keychain(auth: &AuthArgs, targets: &[Target]) -> Result<Keychain, ConfigError> {
    let explicit = match &auth.username {
        Some(user) if auth.password_stdin => {
            let hosts = explicit_hosts(targets)?;
            let password = read_password_stdin(std::io::stdin().lock())?;
            Some((hosts, Credential::basic(user.clone(), password)))
        }
        _ => None,
    };
    Ok(Keychain::from_env(explicit, |name| {
        std::env::var(name).ok()
    })?)
}

/// The one registry `--username` is for; several would hand one password to all.
fn explicit_hosts(targets: &[Target]) -> Result<BTreeSet<String>, ConfigError> {
    let hosts: BTreeSet<String> = targets
        .iter()
        .map(|t| t.registry().name().to_owned())
        .collect();
    if hosts.len() > 1 {
        let names: Vec<&str> = hosts.iter().map(String::as_str).collect();
        return Err(ConfigError::UsernameForSeveralRegistries(names.join(", ")));
    }
    Ok(hosts)
}

/// `--cache-dir`, else the user's cache directory, unless `--no-cache`.
fn cache_dir(args: &crate::cli::CacheArgs) -> Option<PathBuf> {
    if args.no_cache {
        return None;
    }
    let dir = args.cache_dir.clone().or_else(crate::cache::default_dir);
    if dir.is_none() {
        tracing::debug!("neither XDG_CACHE_HOME nor HOME is set; running without a cache");
    }
    dir
}

/// The `-o` file, or `None` for standard output (no `-o`, or `-o -`).
fn output_path(flag: Option<&PathBuf>) -> Option<PathBuf> {
    flag.filter(|p| p.as_os_str() != STDOUT_NAME).cloned()
}

/// Refuses `--report -`: standard output carries the asset file, so the report only
/// ever goes to a file.
fn check_report_is_a_file(path: &Path) -> Result<(), ConfigError> {
    if path.as_os_str() != STDOUT_NAME {
        return Ok(());
    }
    Err(ConfigError::Destination {
        flag: "--report",
        path: path.to_path_buf(),
        reason: "the report is written to a file only (standard output is for the \
                 asset file); give a file name, or `./-` for a file named `-`"
            .into(),
    })
}

/// The format from `--format`, else from the output extension, else JSON for stdout.
pub fn resolve_format(
    path: Option<&PathBuf>,
    flag: Option<FormatArg>,
) -> Result<Format, ConfigError> {
    match (flag, path) {
        (Some(f), _) => Ok(format_of(f)),
        (None, Some(p)) => {
            Format::from_path(p).ok_or_else(|| ConfigError::UnknownFormat(p.clone()))
        }
        (None, None) => Ok(Format::Json),
    }
}

/// Checks that `path` can be written (its directory exists and takes new files; it is
/// not a directory), so that a bad `-o` or `--report` fails before the crawl, not after.
fn check_destination(flag: &'static str, path: &Path) -> Result<(), ConfigError> {
    let refuse = |reason: String| ConfigError::Destination {
        flag,
        path: path.to_path_buf(),
        reason,
    };
    if path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(refuse("it names a directory, not a file".into()));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(refuse(format!(
            "directory `{}` does not exist",
            dir.display()
        )));
    }
    tempfile::NamedTempFile::new_in(dir).map(drop).map_err(|e| {
        refuse(format!(
            "directory `{}` is not writable ({e})",
            dir.display()
        ))
    })
}

/// Whether two output paths name one file, however they are spelled (`./a`, `a`,
/// an absolute path, a symlink to it).
fn same_file(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let joined = dir.join(p.file_name().unwrap_or_default());
        std::fs::canonicalize(&joined).unwrap_or(joined)
    };
    a == b || resolve(a) == resolve(b)
}

fn format_of(arg: FormatArg) -> Format {
    match arg {
        FormatArg::Json => Format::Json,
        FormatArg::Xml => Format::Xml,
        FormatArg::Csv => Format::Csv,
    }
}

impl Config {
    /// Whether `tag` was declared immutable, so its remembered digest may stand in for a
    /// HEAD (only with a cache to remember it in).
    pub fn is_immutable(&self, tag: &str) -> bool {
        self.cache_dir.is_some()
            && self
                .immutable_tags
                .as_ref()
                .is_some_and(|s| s.is_match(tag))
    }
}

/// `--tags` / `--exclude-tags` compiled into glob sets.
#[derive(Debug, Default)]
pub struct TagFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl TagFilter {
    /// Compiles the include and exclude globs; an empty include list keeps every tag.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, ConfigError> {
        Ok(TagFilter {
            include: glob_set("--tags", include)?,
            exclude: glob_set("--exclude-tags", exclude)?,
        })
    }

    /// Whether a tag is crawled.
    pub fn keeps(&self, tag: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(tag))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(tag))
    }
}

fn glob_set(flag: &'static str, globs: &[String]) -> Result<Option<GlobSet>, ConfigError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let bad = |value: &str, reason: String| ConfigError::TagGlob {
        flag,
        value: value.to_owned(),
        reason,
    };
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        let glob = tag_glob(g).map_err(|e| match e {
            // The flag's own message already quotes the glob.
            ReferenceError::BadPattern { reason, .. } => bad(g, reason),
            other => bad(g, other.to_string()),
        })?;
        builder.add(glob.glob().clone());
    }
    let set = builder
        .build()
        .map_err(|e| bad(&globs.join(","), e.to_string()))?;
    Ok(Some(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_glob_is_named_once_with_its_flag() {
        let err = glob_set("--immutable-tags", &["[".to_string()]).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("bad --immutable-tags `[`: "), "{text}");
        assert_eq!(text.matches("`[`").count(), 1, "{text}");
    }

    #[test]
    fn tag_filter_includes_then_excludes() {
        let f = TagFilter::new(&["v1.*".into()], &["*-rc*".into()]).unwrap();
        assert!(f.keeps("v1.2"));
        assert!(!f.keeps("v1.2-rc1"));
        assert!(!f.keeps("v2.0"));
        assert!(TagFilter::default().keeps("anything"));
    }

    #[test]
    fn username_is_for_one_registry_only() {
        let targets: Vec<Target> = ["127.0.0.1:5000/a", "127.0.0.1:5000/b/*"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let hosts = explicit_hosts(&targets).unwrap();
        assert_eq!(hosts.into_iter().collect::<Vec<_>>(), ["127.0.0.1:5000"]);
        let mixed: Vec<Target> = ["127.0.0.1:5000/a", "ghcr.io/org/app"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let err = explicit_hosts(&mixed).unwrap_err().to_string();
        assert!(err.contains("127.0.0.1:5000, ghcr.io"), "{err}");
    }

    #[test]
    fn output_and_report_spelled_differently_are_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("x.json");
        let b = dir.path().join(".").join("x.json");
        assert!(same_file(&a, &b));
        assert!(!same_file(&a, &dir.path().join("y.json")));
    }

    #[test]
    fn dash_output_means_stdout_and_dash_report_is_refused() {
        assert_eq!(output_path(Some(&PathBuf::from("-"))), None);
        let file = PathBuf::from("./-");
        assert_eq!(output_path(Some(&file)), Some(file));
        let err = check_report_is_a_file(Path::new("-")).unwrap_err();
        assert!(err.to_string().contains("--report `-`"), "{err}");
        assert!(check_report_is_a_file(Path::new("./-")).is_ok());
    }

    #[test]
    fn format_from_extension_or_flag() {
        let p = PathBuf::from("out/assets.csv");
        assert_eq!(resolve_format(Some(&p), None).unwrap(), Format::Csv);
        assert_eq!(
            resolve_format(Some(&p), Some(FormatArg::Xml)).unwrap(),
            Format::Xml
        );
        assert_eq!(resolve_format(None, None).unwrap(), Format::Json);
        let err = resolve_format(Some(&PathBuf::from("assets.txt")), None).unwrap_err();
        assert!(err.to_string().contains("assets.txt"));
    }
}
