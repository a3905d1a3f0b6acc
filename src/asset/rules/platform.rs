//! Rules for the platform: OS and architecture from Go's known values, and a CPU variant
//! that the OCI image-index spec lists for that architecture.

use super::{present, Violation};
use crate::asset::Asset;

/// What Nucleus assumes for a blank OS or architecture, and accepts written out.
const UNKNOWN: &str = "unknown";

/// Go's `GOOS` values, as FORMAT.md lists them (from Go's `go tool dist list` and
/// `syslist.go`, including the retired `nacl`).
const GOOS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];

/// Go's `GOARCH` values, as FORMAT.md lists them (Go's `syslist.go`).
const GOARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

// The variant tables below follow the "Platform Variants" table of the OCI image-index
// specification (image-spec `image-index.md`, v1.1): one row per ISA level it names.

/// 32-bit ARM: ARMv6, ARMv7, ARMv8 in AArch32 state.
const ARM_VARIANTS: &[&str] = &["v6", "v7", "v8"];
/// 64-bit ARM: ARMv8.0 (written `v8`) through v8.9, ARMv9.0 (`v9`) through v9.5.
const ARM64_VARIANTS: &[&str] = &[
    "v8", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9", "v9.1",
    "v9.2", "v9.3", "v9.4", "v9.5",
];
/// x86-64 microarchitecture levels 1 to 4 (Go's `GOAMD64`).
const AMD64_VARIANTS: &[&str] = &["v1", "v2", "v3", "v4"];
/// Little-endian POWER ISA levels (Go's `GOPPC64`).
const PPC64LE_VARIANTS: &[&str] = &["power8", "power9", "power10"];
/// RISC-V application profiles (Go's `GORISCV64`).
const RISCV64_VARIANTS: &[&str] = &["rva20u64", "rva22u64", "rva23u64"];

/// The variants the OCI spec lists for `arch`; empty when it lists none.
fn variants_of(arch: &str) -> &'static [&'static str] {
    match arch {
        "arm" => ARM_VARIANTS,
        "arm64" => ARM64_VARIANTS,
        "amd64" => AMD64_VARIANTS,
        "ppc64le" => PPC64LE_VARIANTS,
        "riscv64" => RISCV64_VARIANTS,
        _ => &[],
    }
}

/// OS, architecture and variant rules.
pub(super) fn check(asset: &Asset) -> Vec<Violation> {
    let os = present(&asset.image_platform_os);
    let arch = present(&asset.image_platform_arch);
    let mut found = Vec::new();
    if let Some(os) = os.filter(|os| *os != UNKNOWN && !GOOS.contains(os)) {
        found.push(Violation::new(
            "image_platform_os",
            format!("{os:?} is not a Go GOOS value or \"unknown\""),
        ));
    }
    if let Some(arch) = arch.filter(|a| *a != UNKNOWN && !GOARCH.contains(a)) {
        found.push(Violation::new(
            "image_platform_arch",
            format!("{arch:?} is not a Go GOARCH value or \"unknown\""),
        ));
    }
    if let Some(variant) = present(&asset.image_platform_arch_variant) {
        found.extend(check_variant(arch.unwrap_or(UNKNOWN), variant));
    }
    found
}

/// A variant must be one the OCI table lists for the architecture.
fn check_variant(arch: &str, variant: &str) -> Option<Violation> {
    let allowed = variants_of(arch);
    if allowed.contains(&variant) {
        return None;
    }
    let message = if allowed.is_empty() {
        format!("{variant:?} given, but the OCI spec lists no variants for architecture {arch:?}")
    } else {
        format!(
            "{variant:?} is not an OCI variant of {arch}; expected one of {}",
            allowed.join(" ")
        )
    };
    Some(Violation::new("image_platform_arch_variant", message))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_ok, assert_only, good_asset};

    #[test]
    fn rule_image_platform_os_goos() {
        let mut a = good_asset();
        for good in ["windows", "unknown", ""] {
            a.image_platform_os = Some(good.into());
            assert_ok(&a);
        }
        for bad in ["Linux", "macos", "win"] {
            a.image_platform_os = Some(bad.into());
            assert_only(&a, "image_platform_os");
        }
    }

    #[test]
    fn rule_image_platform_arch_goarch() {
        let mut a = good_asset();
        a.image_platform_arch_variant = None;
        for good in ["386", "s390x", "unknown"] {
            a.image_platform_arch = Some(good.into());
            assert_ok(&a);
        }
        for bad in ["x86_64", "aarch64", "AMD64"] {
            a.image_platform_arch = Some(bad.into());
            assert_only(&a, "image_platform_arch");
        }
    }

    #[test]
    fn rule_image_platform_arch_variant_per_arch() {
        let mut a = good_asset();
        let good = [
            ("arm", "v6"),
            ("arm", "v7"),
            ("arm64", "v8"),
            ("arm64", "v8.2"),
            ("arm64", "v9.5"),
            ("amd64", "v3"),
            ("ppc64le", "power10"),
            ("riscv64", "rva23u64"),
        ];
        for (arch, variant) in good {
            a.image_platform_arch = Some(arch.into());
            a.image_platform_arch_variant = Some(variant.into());
            assert_ok(&a);
        }
        let bad = [
            ("arm", "v5"),
            ("arm64", "v7"),
            ("arm64", "v8.0"),
            ("amd64", "v8"),
            ("ppc64le", "power7"),
            ("386", "v1"),
            ("unknown", "v8"),
        ];
        for (arch, variant) in bad {
            a.image_platform_arch = Some(arch.into());
            a.image_platform_arch_variant = Some(variant.into());
            assert_only(&a, "image_platform_arch_variant");
        }
        a.image_platform_arch = None;
        a.image_platform_arch_variant = Some("v7".into());
        assert_only(&a, "image_platform_arch_variant");
    }
}
