//! Image references and repository patterns as the user writes them, with Docker's
//! naming rules: a first component with a `.` or `:` (or `localhost`) is a registry,
//! anything else lives on Docker Hub, and one-component Docker Hub names get `library/`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use globset::{GlobBuilder, GlobMatcher};

use crate::image::Digest;

/// The name Docker Hub is written under in output files.
pub const DOCKER_HUB: &str = "docker.io";
/// The host Docker Hub's registry API answers on.
const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// Other spellings users and config files give Docker Hub.
const DOCKER_HUB_ALIASES: [&str; 3] =
    ["index.docker.io", "registry.hub.docker.com", DOCKER_HUB_API];
/// Docker Hub's namespace for official images.
const OFFICIAL_NAMESPACE: &str = "library/";
/// Longest repository name FORMAT.md accepts (under 256 characters).
const MAX_REPO_LEN: usize = 255;
/// Longest tag FORMAT.md accepts.
const MAX_TAG_LEN: usize = 128;

/// Why a target could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    /// The target was empty.
    #[error("empty target")]
    Empty,
    /// A repository path component breaks the naming rules.
    #[error(
        "`{target}`: repository component `{component}` must be lower-case letters, digits \
         and `._-`, not starting with `._-`"
    )]
    BadComponent { target: String, component: String },
    /// The repository name is too long.
    #[error("`{0}`: repository name is longer than 255 characters")]
    TooLong(String),
    /// The tag breaks the naming rules.
    #[error(
        "`{target}`: tag `{tag}` must be `[A-Za-z0-9_.-]`, at most 128, not starting with `.-`"
    )]
    BadTag { target: String, tag: String },
    /// The digest is malformed.
    #[error("`{target}`: {source}")]
    BadDigest {
        target: String,
        source: crate::image::digest::DigestError,
    },
    /// The glob pattern does not compile.
    #[error("`{target}`: bad pattern: {reason}")]
    BadPattern { target: String, reason: String },
    /// A pattern cannot also name a tag or digest.
    #[error("`{0}`: a repository pattern cannot carry a tag or digest; use --tags")]
    PatternWithTag(String),
    /// The registry host is malformed.
    #[error("`{0}`: registry must be a host name with an optional port")]
    BadRegistry(String),
    /// A registry was named without a repository or pattern.
    #[error(
        "`{0}` names a registry, not a repository: crawl all of it with `{0}/**`, or name a \
         repository (`{0}/team/app`)"
    )]
    RegistryOnly(String),
}

/// A registry as written in output and as contacted on the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Registry {
    name: String,
    api_host: String,
}

impl Registry {
    /// Parses a host with optional port, folding Docker Hub's aliases into `docker.io`.
    pub fn parse(host: &str) -> Result<Self, ReferenceError> {
        let host = host.trim_end_matches('/').to_ascii_lowercase();
        if !is_host_port(&host) {
            return Err(ReferenceError::BadRegistry(host));
        }
        if host == DOCKER_HUB || DOCKER_HUB_ALIASES.contains(&host.as_str()) {
            return Ok(Self::docker_hub());
        }
        Ok(Registry {
            api_host: host.clone(),
            name: host,
        })
    }

    /// Docker Hub.
    pub fn docker_hub() -> Self {
        Registry {
            name: DOCKER_HUB.into(),
            api_host: DOCKER_HUB_API.into(),
        }
    }

    /// The name written in `image_registry` (`docker.io` for Docker Hub).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `host[:port]` the registry API answers on.
    pub fn api_host(&self) -> &str {
        &self.api_host
    }

    /// The same registry (same name in output) contacted at another `host[:port]`, for
    /// mirrors and tests (`--registry-endpoint`). Plain HTTP still follows the new host:
    /// only a loopback endpoint is spoken to without TLS.
    pub fn with_api_host(&self, api_host: &str) -> Result<Self, ReferenceError> {
        let api_host = api_host.trim_end_matches('/').to_ascii_lowercase();
        if !is_host_port(&api_host) {
            return Err(ReferenceError::BadRegistry(api_host));
        }
        Ok(Registry {
            name: self.name.clone(),
            api_host,
        })
    }

    /// Whether this is Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.name == DOCKER_HUB
    }

    /// Whether the host is a loopback address or `localhost`, where plain HTTP is allowed.
    pub fn is_loopback(&self) -> bool {
        let host = host_without_port(&self.api_host);
        host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Strips a `:port` (and IPv6 brackets) from `host[:port]`.
pub fn host_without_port(host_port: &str) -> &str {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
}

/// Whether `s` is a DNS name or IP literal with an optional numeric port.
pub fn is_host_port(s: &str) -> bool {
    let (host, port) = match s.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return false,
        },
        None => match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        },
    };
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.parse::<u16>().is_ok_and(|n| n != 0));
    port_ok && (host.parse::<IpAddr>().is_ok() || is_dns_name(host))
}

fn is_dns_name(host: &str) -> bool {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    !host.is_empty() && host.len() <= 253 && host.split('.').all(label_ok)
}

/// Whether a target without a repository path is a registry host: Docker would read
/// `registry.internal:5000` as `docker.io/library/registry.internal` at tag `5000`, which
/// is never what a user crawling their registry means.
fn looks_like_bare_registry(input: &str) -> bool {
    let input = input.strip_suffix('/').unwrap_or(input);
    if input.contains('/') || input.contains('@') {
        return false;
    }
    let host = host_without_port(input);
    host == "localhost" || host.contains('.') || host.parse::<IpAddr>().is_ok()
}

/// What to take from one repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Selector {
    /// Every tag (filtered by `--tags` / `--exclude-tags`).
    AllTags,
    /// One tag.
    Tag(String),
    /// One manifest or index by digest.
    Digest(Digest),
}

/// A repository-path glob: `*` stays inside one path segment, `**` crosses segments.
#[derive(Debug, Clone)]
pub struct RepoPattern {
    text: String,
    matcher: GlobMatcher,
}

impl RepoPattern {
    /// The pattern as written (after Docker Hub's `library/` rule).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a repository path matches.
    pub fn matches(&self, repo: &str) -> bool {
        self.matcher.is_match(repo)
    }

    /// The literal path before the first glob character, a hint for vendor listing APIs
    /// (`org/*` gives `org/`).
    pub fn literal_prefix(&self) -> &str {
        let end = self
            .text
            .find(['*', '?', '[', '{'])
            .unwrap_or(self.text.len());
        &self.text[..end]
    }
}

impl PartialEq for RepoPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for RepoPattern {}

/// One thing the user asked to crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A single repository with a tag, digest or all tags.
    Repository {
        /// Where it lives.
        registry: Registry,
        /// Full repository path on the registry (with `library/` on Docker Hub).
        repo: String,
        /// What to take from it.
        selector: Selector,
    },
    /// Every repository whose path matches a glob.
    Pattern {
        /// Where to list repositories.
        registry: Registry,
        /// The glob over repository paths.
        pattern: RepoPattern,
    },
}

impl Target {
    /// The registry the target lives on.
    pub fn registry(&self) -> &Registry {
        match self {
            Target::Repository { registry, .. } | Target::Pattern { registry, .. } => registry,
        }
    }
}

impl Target {
    /// The same target on `registry` (used to apply `--registry-endpoint`).
    pub fn on_registry(self, registry: Registry) -> Self {
        match self {
            Target::Repository { repo, selector, .. } => Target::Repository {
                registry,
                repo,
                selector,
            },
            Target::Pattern { pattern, .. } => Target::Pattern { registry, pattern },
        }
    }
}

impl FromStr for Target {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if looks_like_bare_registry(input) {
            return Err(ReferenceError::RegistryOnly(
                input.trim_end_matches('/').to_owned(),
            ));
        }
        let (registry, rest) = split_registry(input)?;
        let (path, selector) = split_selector(input, rest)?;
        // `**` crosses segments, so it is not a one-component (official image) name.
        let path = if registry.is_docker_hub() && !path.contains('/') && !path.contains("**") {
            format!("{OFFICIAL_NAMESPACE}{path}")
        } else {
            path.to_owned()
        };
        if path.len() > MAX_REPO_LEN {
            return Err(ReferenceError::TooLong(input.into()));
        }
        if path.contains(['*', '?', '[', '{']) {
            if selector != Selector::AllTags {
                return Err(ReferenceError::PatternWithTag(input.into()));
            }
            let pattern = compile_pattern(input, &path)?;
            return Ok(Target::Pattern { registry, pattern });
        }
        for component in path.split('/') {
            if !is_repo_component(component) {
                return Err(ReferenceError::BadComponent {
                    target: input.into(),
                    component: component.into(),
                });
            }
        }
        Ok(Target::Repository {
            registry,
            repo: path,
            selector,
        })
    }
}

fn split_registry(input: &str) -> Result<(Registry, &str), ReferenceError> {
    match input.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => Ok((
            Registry::parse(first).map_err(|_| ReferenceError::BadRegistry(input.into()))?,
            rest,
        )),
        _ => Ok((Registry::docker_hub(), input)),
    }
}

fn split_selector<'a>(input: &str, rest: &'a str) -> Result<(&'a str, Selector), ReferenceError> {
    if let Some((path, digest)) = rest.split_once('@') {
        let digest = digest.parse().map_err(|source| ReferenceError::BadDigest {
            target: input.into(),
            source,
        })?;
        // A tag before the digest (`repo:tag@sha256:…`) is informational only.
        let path = path.split_once(':').map_or(path, |(p, _)| p);
        return Ok((path, Selector::Digest(digest)));
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].split_once(':') {
        Some((_, tag)) => {
            if !is_tag(tag) {
                return Err(ReferenceError::BadTag {
                    target: input.into(),
                    tag: tag.into(),
                });
            }
            Ok((
                &rest[..last_slash + rest[last_slash..].len() - tag.len() - 1],
                Selector::Tag(tag.into()),
            ))
        }
        None => Ok((rest, Selector::AllTags)),
    }
}

fn compile_pattern(input: &str, path: &str) -> Result<RepoPattern, ReferenceError> {
    let glob = GlobBuilder::new(path)
        .literal_separator(true)
        .build()
        .map_err(|e| ReferenceError::BadPattern {
            target: input.into(),
            reason: e.kind().to_string(),
        })?;
    Ok(RepoPattern {
        text: path.into(),
        matcher: glob.compile_matcher(),
    })
}

/// Whether `c` is a valid repository path component per FORMAT.md.
pub fn is_repo_component(c: &str) -> bool {
    let allowed = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "_.-".contains(ch);
    !c.is_empty() && !c.starts_with(['.', '_', '-']) && c.chars().all(allowed)
}

/// Whether `t` is a valid tag per FORMAT.md.
pub fn is_tag(t: &str) -> bool {
    let allowed = |ch: char| ch.is_ascii_alphanumeric() || "_.-".contains(ch);
    !t.is_empty() && t.len() <= MAX_TAG_LEN && !t.starts_with(['.', '-']) && t.chars().all(allowed)
}

/// What makes `t` break the tag rules of FORMAT.md, or `None` for a valid tag.
pub fn tag_problem(t: &str) -> Option<String> {
    let allowed = |ch: char| ch.is_ascii_alphanumeric() || "_.-".contains(ch);
    let length = t.chars().count();
    if t.is_empty() {
        Some("is empty".into())
    } else if t.len() > MAX_TAG_LEN {
        Some(format!(
            "is {length} characters long (at most {MAX_TAG_LEN})"
        ))
    } else if let Some(bad) = t.chars().find(|&c| !allowed(c)) {
        Some(format!("contains {bad:?} (allowed: A-Z a-z 0-9 _ . -)"))
    } else if t.starts_with(['.', '-']) {
        Some("starts with `.` or `-`".into())
    } else {
        None
    }
}

/// What makes repository path `name` break the rules of FORMAT.md, or `None` when valid.
pub fn repo_name_problem(name: &str) -> Option<String> {
    if name.len() > MAX_REPO_LEN {
        return Some(format!("is longer than {MAX_REPO_LEN} characters"));
    }
    let bad = name.split('/').find(|c| !is_repo_component(c))?;
    Some(format!(
        "has component {bad:?}; each must be [a-z0-9_.-], not empty, not starting with . _ or -"
    ))
}

/// The name written in `image_repo`: Docker Hub official images lose `library/`.
pub fn output_repo_name<'a>(registry: &Registry, repo: &'a str) -> &'a str {
    match repo.strip_prefix(OFFICIAL_NAMESPACE) {
        Some(short) if registry.is_docker_hub() && !short.contains('/') => short,
        _ => repo,
    }
}

/// A tag glob for `--tags` / `--exclude-tags` (`*` matches any run of characters).
pub fn tag_glob(text: &str) -> Result<GlobMatcher, ReferenceError> {
    GlobBuilder::new(text)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| ReferenceError::BadPattern {
            target: text.into(),
            reason: e.kind().to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(t: &Target) -> (&str, &str, &Selector) {
        match t {
            Target::Repository {
                registry,
                repo,
                selector,
            } => (registry.name(), repo, selector),
            Target::Pattern { .. } => panic!("expected a repository, got {t:?}"),
        }
    }

    #[test]
    fn docker_hub_rules() {
        let t: Target = "alpine".parse().unwrap();
        assert_eq!(
            repo(&t),
            ("docker.io", "library/alpine", &Selector::AllTags)
        );
        assert_eq!(t.registry().api_host(), "registry-1.docker.io");
        let t: Target = "index.docker.io/myteam/api:1.2".parse().unwrap();
        assert_eq!(
            repo(&t),
            ("docker.io", "myteam/api", &Selector::Tag("1.2".into()))
        );
        assert_eq!(
            output_repo_name(&Registry::docker_hub(), "library/centos"),
            "centos"
        );
        assert_eq!(
            output_repo_name(&Registry::docker_hub(), "team/centos"),
            "team/centos"
        );
    }

    #[test]
    fn registry_with_port_tag_and_digest() {
        let t: Target = "127.0.0.1:5000/a/b/c:v1".parse().unwrap();
        assert_eq!(
            repo(&t),
            ("127.0.0.1:5000", "a/b/c", &Selector::Tag("v1".into()))
        );
        assert!(t.registry().is_loopback());
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let t: Target = format!("ghcr.io/org/app@{d}").parse().unwrap();
        assert_eq!(repo(&t).1, "org/app");
        assert!(matches!(repo(&t).2, Selector::Digest(x) if x.as_str() == d));
        assert!(!t.registry().is_loopback());
    }

    #[test]
    fn patterns_keep_star_inside_a_segment() {
        let Target::Pattern { pattern, .. } = "ghcr.io/org/*".parse().unwrap() else {
            panic!("expected a pattern")
        };
        assert!(pattern.matches("org/app"));
        assert!(!pattern.matches("org/team/app"));
        assert_eq!(pattern.literal_prefix(), "org/");
        let Target::Pattern { pattern, .. } = "127.0.0.1:5000/**".parse().unwrap() else {
            panic!("expected a pattern")
        };
        assert!(pattern.matches("org/team/app"));
        let Target::Pattern { pattern, .. } = "docker.io/**".parse().unwrap() else {
            panic!("expected a pattern")
        };
        assert_eq!(
            pattern.as_str(),
            "**",
            "no official-image prefix across segments"
        );
        let Target::Pattern { pattern, .. } = "docker.io/*".parse().unwrap() else {
            panic!("expected a pattern")
        };
        assert_eq!(pattern.as_str(), "library/*");
    }

    #[test]
    fn a_bare_registry_is_refused_with_a_hint() {
        for input in [
            "127.0.0.1:5000",
            "localhost:5000",
            "registry.internal:5000",
            "ghcr.io/",
        ] {
            let err = input.parse::<Target>().unwrap_err();
            assert!(
                matches!(err, ReferenceError::RegistryOnly(_)),
                "{input}: {err}"
            );
            assert!(err.to_string().contains("/**"), "{err}");
        }
        assert!("alpine:3.19".parse::<Target>().is_ok());
        assert!("127.0.0.1:0/app".parse::<Target>().is_err(), "port 0");
    }

    #[test]
    fn bad_input_names_itself() {
        let err = "ghcr.io/Org/app".parse::<Target>().unwrap_err();
        assert!(err.to_string().contains("ghcr.io/Org/app"), "{err}");
        assert!("ghcr.io/org/app:-bad".parse::<Target>().is_err());
        assert!("ghcr.io/org/*:v1".parse::<Target>().is_err());
        assert!("ghcr.io/org/app@sha256:zz".parse::<Target>().is_err());
        assert!("".parse::<Target>().is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn parse_never_panics(input in "\\PC{0,80}") {
            let _ = input.parse::<Target>();
        }

        #[test]
        fn parse_never_panics_on_reference_like_text(
            input in r"[a-zA-Z0-9.:/@*?\[\]{}_-]{0,60}"
        ) {
            let _ = input.parse::<Target>();
        }

        #[test]
        fn repository_targets_round_trip(
            port in 1u16..,
            components in proptest::collection::vec("[a-z0-9][a-z0-9_.-]{0,10}", 1..4),
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        ) {
            let path = components.join("/");
            let mut text = format!("127.0.0.1:{port}/{path}");
            if let Some(tag) = &tag {
                text.push_str(&format!(":{tag}"));
            }
            let target: Target = text.parse().unwrap();
            let expected = match &tag {
                Some(t) => Selector::Tag(t.clone()),
                None => Selector::AllTags,
            };
            let registry = format!("127.0.0.1:{port}");
            proptest::prop_assert_eq!(repo(&target), (registry.as_str(), path.as_str(), &expected));
            proptest::prop_assert!(repo_name_problem(&path).is_none());
        }

        #[test]
        fn tag_problem_agrees_with_is_tag(tag in "\\PC{0,140}") {
            proptest::prop_assert_eq!(tag_problem(&tag).is_none(), is_tag(&tag));
        }

        #[test]
        fn patterns_match_what_they_describe(
            prefix in "[a-z][a-z0-9]{0,8}",
            rest in proptest::collection::vec("[a-z][a-z0-9]{0,8}", 1..3),
        ) {
            let Target::Pattern { pattern, .. } = format!("ghcr.io/{prefix}/**").parse().unwrap()
            else {
                panic!("expected a pattern")
            };
            let repo = format!("{prefix}/{}", rest.join("/"));
            proptest::prop_assert!(pattern.matches(&repo));
            let other = format!("x{repo}");
            proptest::prop_assert!(!pattern.matches(&other));
        }
    }
}
