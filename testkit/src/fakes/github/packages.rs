//! What the GitHub packages fake serves: packages and their versions.

/// One package.
#[derive(Debug, Clone)]
pub struct GithubPackage {
    /// Its name; may contain slashes (`team/api`).
    pub name: String,
    /// `container`, `npm`, …
    pub package_type: String,
    /// Its versions, in the order the versions endpoint lists them.
    pub versions: Vec<GithubVersion>,
}

impl GithubPackage {
    /// A container package without versions.
    pub fn container(name: &str) -> Self {
        GithubPackage::other(name, "container")
    }

    /// A package of another type, which container listings must not show.
    pub fn other(name: &str, package_type: &str) -> Self {
        GithubPackage {
            name: name.into(),
            package_type: package_type.into(),
            versions: Vec::new(),
        }
    }

    /// The same package with `versions`.
    pub fn with_versions(self, versions: Vec<GithubVersion>) -> Self {
        GithubPackage { versions, ..self }
    }
}

/// One version of a container package: a manifest or index digest and the tags on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubVersion {
    /// `sha256:…`, which GitHub shows as the version's `name`.
    pub digest: String,
    /// The tags pointing at it; empty for an untagged version.
    pub tags: Vec<String>,
}

impl GithubVersion {
    /// The version `digest` carrying `tags`.
    pub fn new(digest: &str, tags: &[&str]) -> Self {
        GithubVersion {
            digest: digest.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }
}
