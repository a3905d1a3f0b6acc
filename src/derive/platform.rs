//! An image's platform: the index entry's word first, the config's second, per field.
//!
//! Both sources are normalised first: OS and architecture lower-cased (with the common
//! aliases `x86_64`, `aarch64`, `i386`/`i686` mapped to Go names), variants spelled the way
//! the OCI image-index spec lists them (`armv7`, `7` → `v7`; arm64 `8` → `v8`). Where both
//! sources state a field and differ, the index entry wins and a warning is logged; a field
//! only one of them states is not a disagreement (busybox's index says arm64 `v8`, its
//! config states no variant) and is only logged at debug level.

use std::fmt;
use std::str::FromStr;

use tracing::{debug, warn};

use crate::image::config::ImageConfig;
use crate::image::Platform;

/// Separator of the `os/arch[/variant]` filter syntax, as docker and containerd write it.
const FILTER_SEPARATOR: char = '/';

/// What the log says when the index entry and the config name different platforms.
const DISAGREE: &str = "index entry and config disagree; using the index entry";

/// Decide the platform of an image from its index entry (if it came from one) and config.
///
/// Per field the entry's value is used when present, else the config's. The config's
/// variant is only borrowed when the config names the same architecture (or none), and its
/// OS version and features only when it names the same OS, so that a disagreeing config
/// cannot graft its refinements onto the entry's platform.
pub fn resolve(entry: Option<&Platform>, config: &ImageConfig) -> Platform {
    let from_config = normalize(&config_platform(config));
    let Some(entry) = entry else {
        return from_config;
    };
    let from_entry = normalize(entry);
    report_differences(&from_entry, &from_config);
    let os = from_entry.os.clone().or(from_config.os.clone());
    let architecture = from_entry
        .architecture
        .clone()
        .or(from_config.architecture.clone());
    let same_os = from_config.os.is_none() || from_config.os == os;
    let same_arch = from_config.architecture.is_none() || from_config.architecture == architecture;
    Platform {
        variant: from_entry
            .variant
            .or(from_config.variant.filter(|_| same_arch)),
        os_version: from_entry
            .os_version
            .or(from_config.os_version.filter(|_| same_os)),
        os_features: if from_entry.os_features.is_empty() && same_os {
            from_config.os_features
        } else {
            from_entry.os_features
        },
        features: from_entry.features,
        os,
        architecture,
    }
}

/// The platform a config states.
fn config_platform(config: &ImageConfig) -> Platform {
    Platform {
        os: config.os.clone(),
        architecture: config.architecture.clone(),
        variant: config.variant.clone(),
        os_version: config.os_version.clone(),
        os_features: config.os_features.clone(),
        features: Vec::new(),
    }
}

/// A platform with canonical spellings; blank values become `None`.
pub fn normalize(platform: &Platform) -> Platform {
    let architecture = platform.architecture.as_deref().and_then(normalize_arch);
    let variant = platform.variant.as_deref().and_then(normalize_variant);
    Platform {
        os: platform.os.as_deref().and_then(normalize_os),
        architecture,
        variant,
        os_version: platform.os_version.as_deref().and_then(non_blank),
        os_features: platform.os_features.clone(),
        features: platform.features.clone(),
    }
}

/// A trimmed, non-empty copy.
fn non_blank(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Lower-cased OS name.
fn normalize_os(os: &str) -> Option<String> {
    non_blank(&os.to_ascii_lowercase())
}

/// Lower-cased Go architecture name, with the usual uname spellings mapped.
fn normalize_arch(arch: &str) -> Option<String> {
    let arch = non_blank(&arch.to_ascii_lowercase())?;
    let go_name = match arch.as_str() {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i686" => "386",
        _ => return Some(arch),
    };
    debug!(found = %arch, used = go_name, "architecture alias normalised");
    Some(go_name.to_owned())
}

/// Variant spelled as the OCI spec lists it: `armv7` and `7` become `v7`, `8.1` → `v8.1`.
///
/// Names that are not ARM-style version numbers (`power9`, `rva20u64`, `v3`) are only
/// lower-cased.
fn normalize_variant(variant: &str) -> Option<String> {
    let variant = non_blank(&variant.to_ascii_lowercase())?;
    let bare = variant.strip_prefix("arm").unwrap_or(&variant);
    let number = bare.strip_prefix('v').unwrap_or(bare);
    let numeric = number.starts_with(|c: char| c.is_ascii_digit())
        && number.chars().all(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        Some(format!("v{number}"))
    } else {
        Some(variant)
    }
}

/// Log where the index entry and the config disagree (warn) or only one speaks (debug).
fn report_differences(entry: &Platform, config: &Platform) {
    let fields = [
        ("os", &entry.os, &config.os),
        ("architecture", &entry.architecture, &config.architecture),
        ("variant", &entry.variant, &config.variant),
        ("os.version", &entry.os_version, &config.os_version),
    ];
    for (field, from_entry, from_config) in fields {
        match (from_entry, from_config) {
            (Some(e), Some(c)) if e != c => {
                warn!(field, index = %e, config = %c, "{DISAGREE}");
            }
            (Some(e), None) => {
                debug!(field, index = %e, "config does not state this; using the index entry")
            }
            (None, Some(c)) => {
                debug!(field, config = %c, "index entry does not state this; using the config")
            }
            _ => {}
        }
    }
    let (e, c) = (&entry.os_features, &config.os_features);
    if !e.is_empty() && !c.is_empty() && e != c {
        warn!(index = ?e, config = ?c, "os.features: {DISAGREE}");
    }
}

/// The variant an architecture has when none is stated, for filter matching.
///
/// arm64 without a variant is ARMv8 (the only baseline arm64 images are built for), and
/// amd64 without a variant is the `v1` baseline. 32-bit `arm` has no safe default.
fn implied_variant(architecture: &str) -> Option<&'static str> {
    match architecture {
        "arm64" => Some("v8"),
        "amd64" => Some("v1"),
        _ => None,
    }
}

/// A user's platform choice, `os/arch[/variant]`, e.g. `linux/arm64/v8`.
///
/// Matching compares normalised values. Without a variant in the filter any variant
/// matches; with one, a platform that states no variant matches only when the filter's
/// variant is the architecture's implied default (so `linux/arm64/v8` matches an arm64
/// image with no variant, as busybox's config has, and `linux/amd64/v1` a plain amd64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformFilter {
    os: String,
    architecture: String,
    variant: Option<String>,
}

/// Why a platform filter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a platform ({reason}); expected os/arch[/variant], e.g. linux/arm64/v8")]
pub struct PlatformFilterError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl PlatformFilter {
    /// The OS to match.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The architecture to match.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The variant to match, if the filter names one.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// True when an index entry's stated `platform` cannot be the one this filter asks
    /// for, so the manifest need not be fetched. Only what the entry states counts: an
    /// entry without OS or architecture, or without a variant when the filter names one,
    /// is not ruled out (the config may still supply it).
    pub fn rules_out(&self, platform: &Platform) -> bool {
        let platform = normalize(platform);
        let differs = |stated: Option<&str>, wanted: Option<&str>| match (stated, wanted) {
            (Some(s), Some(w)) => s != w,
            _ => false,
        };
        differs(platform.os.as_deref(), Some(self.os.as_str()))
            || differs(
                platform.architecture.as_deref(),
                Some(self.architecture.as_str()),
            )
            || differs(platform.variant.as_deref(), self.variant.as_deref())
    }

    /// True when `platform` (normalised first) is the one this filter asks for.
    pub fn matches(&self, platform: &Platform) -> bool {
        let platform = normalize(platform);
        if platform.os.as_deref() != Some(self.os.as_str())
            || platform.architecture.as_deref() != Some(self.architecture.as_str())
        {
            return false;
        }
        match (self.variant.as_deref(), platform.variant.as_deref()) {
            (None, _) => true,
            (Some(wanted), Some(found)) => wanted == found,
            (Some(wanted), None) => implied_variant(&self.architecture) == Some(wanted),
        }
    }
}

impl FromStr for PlatformFilter {
    type Err = PlatformFilterError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason| PlatformFilterError {
            input: input.to_owned(),
            reason,
        };
        let parts: Vec<&str> = input.trim().split(FILTER_SEPARATOR).collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(error("needs two or three parts separated by `/`"));
        }
        let os = normalize_os(parts[0]).ok_or_else(|| error("the OS is empty"))?;
        let architecture =
            normalize_arch(parts[1]).ok_or_else(|| error("the architecture is empty"))?;
        let variant = match parts.get(2) {
            Some(v) => Some(normalize_variant(v).ok_or_else(|| error("the variant is empty"))?),
            None => None,
        };
        Ok(PlatformFilter {
            os,
            architecture,
            variant,
        })
    }
}

impl fmt::Display for PlatformFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(variant) => write!(f, "/{variant}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "platform_tests.rs"]
mod tests;
