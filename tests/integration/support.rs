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

/// Runs `nuccrawl` with `args` in the working directory `dir`, and waits; the cache
/// starts empty as for [`nuccrawl`]. For checking which files a run creates.
pub fn nuccrawl_in(dir: &Path, args: &[&str]) -> Run {
    let cache_home = tempfile::tempdir().expect("temporary cache home");
    let env = [("XDG_CACHE_HOME", cache_home.path().as_os_str())];
    run_binary(Some(dir), args, &env)
}

/// Runs `nuccrawl` with `args` and extra environment variables, and waits.
pub fn nuccrawl_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    run_binary(None, args, env)
}

/// Runs the binary in `dir` (else this process's directory) with no standard input.
fn run_binary(dir: Option<&Path>, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nuccrawl"));
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command
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

/// Variables that feed credential lookup; [`nuccrawl_with`] removes them all so a test
/// sees only the sources it sets, never the machine's own logins.
const CREDENTIAL_VARS: [&str; 8] = [
    "DOCKER_CONFIG",
    "REGISTRY_AUTH_FILE",
    "XDG_RUNTIME_DIR",
    "GITHUB_TOKEN",
    "GITHUB_ACTOR",
    "NUCCRAWL_REGISTRY",
    "NUCCRAWL_USERNAME",
    "NUCCRAWL_PASSWORD",
];

/// Runs `nuccrawl` with `args`, the credential environment cleared and then set to `env`
/// (`HOME` points at an empty directory unless `env` sets it), and `stdin` written to its
/// standard input.
pub fn nuccrawl_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Run {
    use std::io::Write as _;
    let home = tempfile::tempdir().expect("temporary HOME");
    let mut command = Command::new(env!("CARGO_BIN_EXE_nuccrawl"));
    command
        .args(args)
        .env_remove("RUST_LOG")
        // The default cache lives under HOME then, so it starts empty for each run.
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", home.path())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in CREDENTIAL_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("nuccrawl runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin piped");
        // A run refused before reading its input (a usage error) closes the pipe early.
        if let Err(e) = pipe.write_all(input) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    let out = child.wait_with_output().expect("nuccrawl finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `nuccrawl` with `stdin` piped in and no credentials in the environment.
pub fn nuccrawl_with_stdin(args: &[&str], stdin: &[u8]) -> Run {
    nuccrawl_with(args, &[], Some(stdin))
}
