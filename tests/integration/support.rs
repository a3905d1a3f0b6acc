//! Running the built `nuccrawl` binary and reading what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nuccrawl::asset::AssetFile;
use nuccrawl::output::{decode, Format};
use serde_json::Value;

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// Runs `nuccrawl` with `args`, no standard input, and waits. Its default cache
/// directory is a fresh empty folder, so runs never share a cache unless they pass
/// `--cache-dir`.
pub fn nuccrawl(args: &[&str]) -> Run {
    let cache_home = tempfile::tempdir().expect("temporary cache home");
    nuccrawl_with_env(args, &[("XDG_CACHE_HOME", cache_home.path().as_os_str())])
}

/// Runs `nuccrawl` with `args` and extra environment variables, and waits.
pub fn nuccrawl_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_nuccrawl"))
        .args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("nuccrawl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs and asserts the exit code, showing stderr when it differs.
pub fn nuccrawl_expect(args: &[&str], code: i32) -> Run {
    let run = nuccrawl(args);
    assert_eq!(
        run.code, code,
        "nuccrawl {args:?} exited {}; stderr:\n{}",
        run.code, run.stderr
    );
    run
}

/// Reads an asset file the binary wrote.
pub fn read_assets(path: &Path) -> AssetFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let format = Format::from_path(path).expect("known extension");
    decode(&bytes, format).unwrap_or_else(|e| panic!("decoding {}: {e}", path.display()))
}

/// Reads the `--report` JSON.
pub fn read_report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report written")).expect("report is JSON")
}

/// A fresh temporary directory and a path inside it.
pub fn temp_path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// The `shared` directory beside the repository (or `$NUCCRAWL_SHARED`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("NUCCRAWL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}
