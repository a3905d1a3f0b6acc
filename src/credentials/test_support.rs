//! Fake credential helpers for the tests: shell scripts written once into a temporary
//! directory that the tests pass as the helper search path.
//!
//! All scripts are written inside one `OnceLock` before any test runs a helper: writing
//! an executable while another thread forks can make `exec` fail with "text file busy".

use std::path::Path;
use std::sync::OnceLock;

/// The secret every fake helper hands out; tests check it never leaks.
pub(crate) const HELPER_SECRET: &str = "helper-secret-9f3c";

/// The fake helpers, by name (without the `docker-credential-` prefix).
const SCRIPTS: [(&str, &str); 8] = [
    (
        "good",
        r#"server=$(cat); printf '{"ServerURL":"%s","Username":"user-for-%s","Secret":"helper-secret-9f3c"}' "$server" "$server""#,
    ),
    (
        "token",
        r#"cat >/dev/null; printf '{"ServerURL":"x","Username":"<token>","Secret":"helper-secret-9f3c"}'"#,
    ),
    (
        "missing",
        "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1",
    ),
    (
        "broken",
        "cat >/dev/null; echo 'error: keyring is locked' >&2; exit 3",
    ),
    (
        "garbage",
        "cat >/dev/null; echo 'Secret: helper-secret-9f3c'",
    ),
    (
        "hang",
        r#"server=$(cat); echo $$ >> "$(dirname "$0")/hang-$server"; exec sleep 30"#,
    ),
    (
        "leaky",
        "cat >/dev/null; echo 'helper-secret-9f3c'; echo 'vault sealed' >&2; exit 2",
    ),
    (
        "counting",
        r#"server=$(cat); echo run >> "$(dirname "$0")/count-$server"; printf '{"Username":"c","Secret":"helper-secret-9f3c"}'"#,
    ),
];

/// How many times the `counting` helper was asked about `server`.
pub(crate) fn helper_runs(server: &str) -> usize {
    let log = helper_dir().join(format!("count-{server}"));
    std::fs::read_to_string(log).map_or(0, |text| text.lines().count())
}

/// The process ids of the `hang` helpers asked about `server`, one per run, each
/// written once the helper has read its input (its `sleep` keeps the id).
pub(crate) fn hang_pids(server: &str) -> Vec<libc::pid_t> {
    let log = helper_dir().join(format!("hang-{server}"));
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines().map(|l| l.parse().expect("a pid")).collect()
}

/// Whether process `pid` still exists (a reaped process does not).
pub(crate) fn is_running(pid: libc::pid_t) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists; nothing is sent.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// The directory holding the fake helpers (and a non-executable `noexec`).
pub(crate) fn helper_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(write_helpers).path()
}

fn write_helpers() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, body) in SCRIPTS {
        let path = dir.path().join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write helper");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let noexec = dir.path().join("docker-credential-noexec");
    std::fs::write(noexec, "#!/bin/sh\nexit 0\n").expect("write helper");
    dir
}
