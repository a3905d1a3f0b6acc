//! A platform as an index entry or a config states it.

/// OS, architecture and their refinements, as found (not yet normalised).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// GOOS-style OS name.
    pub os: Option<String>,
    /// GOARCH-style architecture.
    pub architecture: Option<String>,
    /// CPU variant such as `v7` or `v8`.
    pub variant: Option<String>,
    /// OS version, mostly on Windows.
    pub os_version: Option<String>,
    /// Mandatory OS features such as `win32k`.
    pub os_features: Vec<String>,
    /// Architecture features (reserved by OCI).
    pub features: Vec<String>,
}
