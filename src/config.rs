//! The run's configuration, resolved from the parsed command line into built objects:
//! parsed targets, compiled globs, platform filters and client options. Every malformed
//! flag or target is refused here, before anything touches the network.

use std::path::PathBuf;
use std::time::Duration;

use globset::{GlobSet, GlobSetBuilder};

use crate::cli::{Cli, FormatArg};
use crate::derive::platform::PlatformFilter;
use crate::output::Format;
use crate::reference::{is_host_port, tag_glob, Target};
use crate::registry::ClientOptions;

/// Requests in flight per registry host: enough to hide 20-50 ms of latency on a
/// thousand-tag crawl, few enough that rate-limited registries are not hammered.
pub const DEFAULT_CONCURRENCY: u16 = 16;

/// Why the command line cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A target did not parse.
    #[error("bad target: {0}")]
    Target(#[from] crate::reference::ReferenceError),
    /// A `--platform` value did not parse.
    #[error("bad --platform `{value}`: {reason}")]
    Platform { value: String, reason: String },
    /// A `--plain-http` value is not a host.
    #[error("bad --plain-http `{0}`: expected HOST or HOST:PORT")]
    PlainHttp(String),
    /// The output format cannot be told from the file name.
    #[error("cannot tell the format of `{0}` from its extension; use --format json|xml|csv")]
    UnknownFormat(PathBuf),
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
    /// Where the manifest and config cache lives; `None` runs without one.
    pub cache_dir: Option<PathBuf>,
}

impl Config {
    /// Resolves and checks a parsed command line.
    pub fn from_cli(cli: &Cli) -> Result<Self, ConfigError> {
        let targets = cli
            .targets
            .iter()
            .map(|t| t.parse())
            .collect::<Result<Vec<Target>, _>>()?;
        let format = resolve_format(cli.output.output.as_ref(), cli.output.format)?;
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
            ..ClientOptions::default()
        };
        Ok(Config {
            targets,
            output: cli.output.output.clone(),
            format,
            report: cli.output.report.clone(),
            embed_bodies: !cli.output.no_bodies,
            tags: TagFilter::new(&cli.filter.tags, &cli.filter.exclude_tags)?,
            platforms,
            client,
            quiet: cli.verbosity.quiet,
            verbose: cli.verbosity.verbose,
            cache_dir: cache_dir(&cli.cache),
        })
    }
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

fn format_of(arg: FormatArg) -> Format {
    match arg {
        FormatArg::Json => Format::Json,
        FormatArg::Xml => Format::Xml,
        FormatArg::Csv => Format::Csv,
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
            include: glob_set(include)?,
            exclude: glob_set(exclude)?,
        })
    }

    /// Whether a tag is crawled.
    pub fn keeps(&self, tag: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(tag))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(tag))
    }
}

fn glob_set(globs: &[String]) -> Result<Option<GlobSet>, ConfigError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(tag_glob(g)?.glob().clone());
    }
    let set = builder.build().map_err(|e| {
        ConfigError::Target(crate::reference::ReferenceError::BadPattern {
            target: globs.join(","),
            reason: e.to_string(),
        })
    })?;
    Ok(Some(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_filter_includes_then_excludes() {
        let f = TagFilter::new(&["v1.*".into()], &["*-rc*".into()]).unwrap();
        assert!(f.keeps("v1.2"));
        assert!(!f.keeps("v1.2-rc1"));
        assert!(!f.keeps("v2.0"));
        assert!(TagFilter::default().keeps("anything"));
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
