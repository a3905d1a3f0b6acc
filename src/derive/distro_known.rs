//! What nuccrawl knows about OS distributions: names, repositories, codenames, versions.
//!
//! The distro rules in [`super::distro`] find evidence (a base image name, a label, a
//! history line); this module turns that evidence into a checked [`Release`]. A version
//! is only accepted when it looks like one the distribution has used (Ubuntu `YY.04`/`YY.10`,
//! Alpine `3.x`, Fedora in the tens …), which keeps an application's own version number
//! from being mistaken for the OS's.

use std::fmt;

/// Debian codenames with the release number each became (Debian's release history).
const DEBIAN_CODENAMES: [(&str, &str); 7] = [
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
];

/// Ubuntu codenames with their `YY.MM` versions (Ubuntu's release list).
const UBUNTU_CODENAMES: [(&str, &str); 11] = [
    ("trusty", "14.04"),
    ("xenial", "16.04"),
    ("bionic", "18.04"),
    ("focal", "20.04"),
    ("jammy", "22.04"),
    ("kinetic", "22.10"),
    ("lunar", "23.04"),
    ("mantic", "23.10"),
    ("noble", "24.04"),
    ("oracular", "24.10"),
    ("plucky", "25.04"),
];

/// Longest leading number a version may have: four digits covers Amazon Linux `2023` but
/// rejects date tags such as `20240110`.
const MAX_MAJOR_DIGITS: usize = 4;

/// A distribution nuccrawl can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distro {
    Alpine,
    Debian,
    Ubuntu,
    CentOs,
    CentOsStream,
    Rhel,
    Fedora,
    Rocky,
    Alma,
    Amazon,
    OpenSuseLeap,
    Oracle,
}

/// A distribution with a version: what `image_distro` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Release {
    distro: Distro,
    version: String,
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.distro.name(), self.version)
    }
}

impl Distro {
    /// The name written before the version, as each distribution calls itself.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Distro::Alpine => "Alpine Linux",
            Distro::Debian => "Debian GNU/Linux",
            Distro::Ubuntu => "Ubuntu",
            Distro::CentOs => "CentOS Linux",
            Distro::CentOsStream => "CentOS Stream",
            Distro::Rhel => "Red Hat Enterprise Linux",
            Distro::Fedora => "Fedora Linux",
            Distro::Rocky => "Rocky Linux",
            Distro::Alma => "AlmaLinux",
            Distro::Amazon => "Amazon Linux",
            Distro::OpenSuseLeap => "openSUSE Leap",
            Distro::Oracle => "Oracle Linux",
        }
    }

    /// Major versions the distribution has used, with room for a few more to come.
    fn plausible_major(self, major: u32) -> bool {
        match self {
            Distro::Alpine => (2..=3).contains(&major),
            Distro::Debian => (4..=20).contains(&major),
            Distro::Ubuntu => (4..=40).contains(&major),
            Distro::CentOs => (5..=8).contains(&major),
            Distro::CentOsStream => (8..=12).contains(&major),
            Distro::Rhel | Distro::Oracle => (5..=12).contains(&major),
            Distro::Fedora => (20..=60).contains(&major),
            Distro::Rocky | Distro::Alma => (8..=12).contains(&major),
            Distro::Amazon => major == 1 || major == 2 || (2017..=2035).contains(&major),
            Distro::OpenSuseLeap => major == 15 || major == 16 || major == 42,
        }
    }

    /// The version a codename stands for (Debian and Ubuntu only).
    fn codename_version(self, codename: &str) -> Option<&'static str> {
        let table: &[(&str, &str)] = match self {
            Distro::Debian => &DEBIAN_CODENAMES,
            Distro::Ubuntu => &UBUNTU_CODENAMES,
            _ => return None,
        };
        table
            .iter()
            .find(|(name, _)| *name == codename)
            .map(|(_, version)| *version)
    }

    /// A release from a version text, if the text is a version this distribution could have.
    pub(crate) fn release(self, version: &str) -> Option<Release> {
        let major = major_of(version)?;
        if !self.plausible_major(major) || (self == Distro::Ubuntu && !is_ubuntu_version(version)) {
            return None;
        }
        Some(Release {
            distro: self,
            version: version.to_owned(),
        })
    }

    /// A release from a version text or a codename.
    pub(crate) fn release_from_word(self, word: &str) -> Option<Release> {
        match self.codename_version(&word.to_ascii_lowercase()) {
            Some(version) => self.release(version),
            None => self.release(word),
        }
    }

    /// A release from an image tag: a leading version (`12-slim`, `3.19.1`, `9.3-1552`) or
    /// a leading codename (`bookworm-20240110-slim`, `jammy`). `latest`, `edge`, `stable`
    /// and the like give nothing.
    pub(crate) fn release_from_tag(self, tag: &str) -> Option<Release> {
        if let Some(version) = leading_version(tag) {
            return self.release(version);
        }
        let word = tag.split(['-', '_']).next().unwrap_or_default();
        self.codename_version(&word.to_ascii_lowercase())
            .and_then(|version| self.release(version))
    }
}

/// The leading `N(.N)*` of a tag, when it is followed by nothing or a `-`/`_` suffix.
pub(crate) fn leading_version(tag: &str) -> Option<&str> {
    let end = tag
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(tag.len());
    let (version, rest) = tag.split_at(end);
    let well_formed = !version.is_empty() && version.split('.').all(|p| !p.is_empty());
    (well_formed && (rest.is_empty() || rest.starts_with(['-', '_']))).then_some(version)
}

/// The major number of a dotted version, rejecting over-long (date-like) numbers.
fn major_of(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    let major = parts.next()?;
    let all_numeric = version
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !all_numeric || major.len() > MAX_MAJOR_DIGITS {
        return None;
    }
    major.parse().ok()
}

/// Ubuntu versions are `YY.MM` with April or October releases (`22.04`, `24.10`, `22.04.4`).
fn is_ubuntu_version(version: &str) -> bool {
    let mut parts = version.split('.');
    let (year, month) = (parts.next(), parts.next());
    year.is_some_and(|y| y.len() == 2) && matches!(month, Some("04") | Some("10"))
}

/// The distribution an image repository is, with the major version its name fixes (UBI).
///
/// `path` is a repository path without registry host or tag, e.g. `library/debian`,
/// `rockylinux/rockylinux`, `redhat/ubi9-minimal`, `ubi8/ubi`.
pub(crate) fn distro_of_repository(path: &str) -> Option<(Distro, Option<u32>)> {
    let path = path.to_ascii_lowercase();
    let path = path
        .strip_prefix("docker/library/")
        .or_else(|| path.strip_prefix("library/"))
        .unwrap_or(&path);
    let distro = match path {
        "alpine" => Distro::Alpine,
        "debian" => Distro::Debian,
        "ubuntu" => Distro::Ubuntu,
        "centos" | "centos/centos" => Distro::CentOs,
        "fedora" | "fedora/fedora" => Distro::Fedora,
        "rockylinux" | "rockylinux/rockylinux" => Distro::Rocky,
        "almalinux" | "almalinux/almalinux" => Distro::Alma,
        "amazonlinux" | "amazonlinux/amazonlinux" => Distro::Amazon,
        "opensuse/leap" => Distro::OpenSuseLeap,
        "oraclelinux" | "os/oraclelinux" => Distro::Oracle,
        _ => return ubi_major(path).map(|major| (Distro::Rhel, Some(major))),
    };
    Some((distro, None))
}

/// The RHEL major of a Universal Base Image name: `ubi9`, `ubi8-minimal`, `ubi9/ubi`,
/// `ubi9/ubi-micro`, `redhat/ubi9`. Names of images built on UBI (`ubi9/python-312`) are
/// not UBI names.
pub(crate) fn ubi_major(name: &str) -> Option<u32> {
    let parts: Vec<&str> = name.split('/').collect();
    let (base, flavour) = match parts.as_slice() {
        [base] => (*base, None),
        ["redhat", base] => (*base, None),
        [base, flavour] => (*base, Some(*flavour)),
        _ => return None,
    };
    if flavour.is_some_and(|f| f != "ubi" && !f.starts_with("ubi-")) {
        return None;
    }
    let rest = base.strip_prefix("ubi")?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, suffix) = rest.split_at(digits_end);
    if digits.is_empty() || !(suffix.is_empty() || suffix.starts_with('-')) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(distro: Distro, tag: &str) -> Option<String> {
        distro.release_from_tag(tag).map(|r| r.to_string())
    }

    #[test]
    fn tags_with_versions_and_codenames() {
        assert_eq!(
            tag(Distro::Alpine, "3.19").as_deref(),
            Some("Alpine Linux 3.19")
        );
        assert_eq!(
            tag(Distro::Debian, "12-slim").as_deref(),
            Some("Debian GNU/Linux 12")
        );
        assert_eq!(
            tag(Distro::Debian, "bookworm").as_deref(),
            Some("Debian GNU/Linux 12")
        );
        let dated = tag(Distro::Debian, "bullseye-20240110-slim");
        assert_eq!(dated.as_deref(), Some("Debian GNU/Linux 11"));
        assert_eq!(
            tag(Distro::Ubuntu, "jammy-20240227").as_deref(),
            Some("Ubuntu 22.04")
        );
        assert_eq!(
            tag(Distro::Ubuntu, "22.04").as_deref(),
            Some("Ubuntu 22.04")
        );
        assert_eq!(
            tag(Distro::Amazon, "2023").as_deref(),
            Some("Amazon Linux 2023")
        );
        assert_eq!(
            tag(Distro::Rhel, "9.3-1552").as_deref(),
            Some("Red Hat Enterprise Linux 9.3")
        );
    }

    #[test]
    fn tags_without_versions() {
        for t in [
            "latest", "edge", "stable", "sid", "20240110", "3.", "v3.19", "3.19rc1", "",
        ] {
            assert_eq!(tag(Distro::Alpine, t), None, "{t}");
            assert_eq!(tag(Distro::Debian, t), None, "{t}");
        }
        assert_eq!(tag(Distro::Ubuntu, "1.2.3"), None);
        assert_eq!(tag(Distro::Ubuntu, "22.05"), None);
        assert_eq!(tag(Distro::Alpine, "12"), None);
    }

    #[test]
    fn repositories() {
        assert_eq!(
            distro_of_repository("library/alpine"),
            Some((Distro::Alpine, None))
        );
        assert_eq!(
            distro_of_repository("rockylinux/rockylinux"),
            Some((Distro::Rocky, None))
        );
        assert_eq!(
            distro_of_repository("redhat/ubi9-minimal"),
            Some((Distro::Rhel, Some(9)))
        );
        assert_eq!(
            distro_of_repository("ubi8/ubi"),
            Some((Distro::Rhel, Some(8)))
        );
        assert_eq!(distro_of_repository("ubi9/python-312"), None);
        assert_eq!(distro_of_repository("busybox"), None);
        assert_eq!(distro_of_repository("scratch"), None);
        assert_eq!(distro_of_repository("myorg/alpine"), None);
        assert_eq!(ubi_major("ubi"), None);
        assert_eq!(ubi_major("ubiquity"), None);
    }
}
