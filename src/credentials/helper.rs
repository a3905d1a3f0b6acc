//! Docker credential helpers: `docker-credential-<name> get`, asked about one server on
//! standard input, answering `{"ServerURL","Username","Secret"}` on standard output.
//!
//! A helper that answers "credentials not found" has nothing for that server, which is
//! not an error. A `Username` of `<token>` marks `Secret` as an identity (refresh) token.
//! Helpers may prompt, unlock keyrings or call cloud APIs, so each run is bounded by a
//! timeout and the helper is killed when it is exceeded. Helpers run with nuccrawl's own
//! environment (ecr-login needs `AWS_*`); only where they are looked for is injected.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::credential::Credential;
use super::error::CredentialError;

/// How long a helper may take: long enough for a cloud helper's token exchange over a
/// slow link (ecr-login and gcloud usually answer in 1–3 s), short enough that a helper
/// stuck on an invisible prompt or locked keyring does not stall the run unnoticed.
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a running helper is checked; small next to any helper's start-up time.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Prefix of every helper program's name.
const PROGRAM_PREFIX: &str = "docker-credential-";
/// What helpers print when they hold nothing for the server (docker-credential-helpers'
/// "credentials not found in native keychain"; matched loosely, wordings vary).
const NOT_FOUND: &str = "credentials not found";
/// The `Username` that marks `Secret` as an identity token.
const IDENTITY_TOKEN_USER: &str = "<token>";
/// Most characters of a failing helper's message kept in an error: enough for
/// "no basic auth credentials"-style reasons, not enough to dump a whole output.
const MAX_MESSAGE_CHARS: usize = 200;

/// A helper's answer; `ServerURL` is not needed.
#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// What a finished helper left behind.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Finds and runs credential helpers.
#[derive(Debug, Clone)]
pub(crate) struct HelperRunner {
    /// Directories searched for `docker-credential-<name>`, in `PATH` syntax.
    search_path: Option<OsString>,
    /// How long one run may take.
    timeout: Duration,
}

impl HelperRunner {
    /// A runner searching `search_path` (in `PATH` syntax).
    pub(crate) fn new(search_path: Option<OsString>, timeout: Duration) -> Self {
        HelperRunner {
            search_path,
            timeout,
        }
    }

    /// Replaces the timeout.
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The timeout in force.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks helper `name` (named in file `named_in`) for `server`'s credential.
    pub(crate) fn get(
        &self,
        name: &str,
        server: &str,
        named_in: &Path,
    ) -> Result<Option<Credential>, CredentialError> {
        let program = self
            .locate(name)
            .ok_or_else(|| CredentialError::HelperNotFound {
                helper: name.to_owned(),
                path: named_in.to_owned(),
            })?;
        tracing::debug!(helper = name, server, "running credential helper");
        let finished = self.run(&program, name, server)?;
        interpret(name, finished)
    }

    /// The first executable `docker-credential-<name>` on the search path.
    fn locate(&self, name: &str) -> Option<PathBuf> {
        let program = format!("{PROGRAM_PREFIX}{name}");
        std::env::split_paths(self.search_path.as_ref()?)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(&program))
            .find(|candidate| is_executable(candidate))
    }

    /// Runs `program get` with `server` on stdin, within the timeout.
    fn run(&self, program: &Path, name: &str, server: &str) -> Result<Finished, CredentialError> {
        let spawn_error = |e| CredentialError::HelperSpawn {
            helper: name.to_owned(),
            source: Arc::new(e),
        };
        let deadline = Instant::now() + self.timeout;
        let mut command = Command::new(program);
        #[cfg(unix)]
        {
            // Its own process group, so a timeout stops the helper's children too.
            use std::os::unix::process::CommandExt as _;
            command.process_group(0);
        }
        let mut child = command
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_error)?;
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading closes the pipe; its status tells more.
            if let Err(e) = stdin.write_all(server.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    stop(&mut child);
                    return Err(spawn_error(e));
                }
            }
        }
        let timed_out = || CredentialError::HelperTimeout {
            helper: name.to_owned(),
            timeout: self.timeout,
        };
        let status = wait_until(&mut child, deadline).map_err(spawn_error)?;
        let status = status.ok_or_else(timed_out)?;
        let collect = |rx: mpsc::Receiver<Vec<u8>>| {
            rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .map_err(|_| timed_out())
        };
        Ok(Finished {
            status,
            stdout: collect(stdout)?,
            stderr: collect(stderr)?,
        })
    }
}

/// Reads a pipe to its end on a thread of its own, so neither pipe can fill and stall
/// the helper. The thread is left behind if a grandchild keeps the pipe open.
fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

/// Waits for `child` until `deadline`; kills it and answers `None` when time runs out.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            stop(child);
            return Ok(None);
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Kills and reaps a helper, with every process of its group.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the group the helper leads (made
        // with `process_group(0)` at spawn); it touches no memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Turns a finished helper's output into a credential, "nothing", or an error.
fn interpret(name: &str, finished: Finished) -> Result<Option<Credential>, CredentialError> {
    if !finished.status.success() {
        let out = String::from_utf8_lossy(&finished.stdout);
        let err = String::from_utf8_lossy(&finished.stderr);
        if [&out, &err]
            .iter()
            .any(|t| t.to_ascii_lowercase().contains(NOT_FOUND))
        {
            tracing::debug!(
                helper = name,
                "credential helper has nothing for this server"
            );
            return Ok(None);
        }
        // Only stderr is quoted: a helper's stdout is where secrets travel.
        return Err(CredentialError::HelperFailed {
            helper: name.to_owned(),
            status: finished.status.to_string(),
            message: first_line(&err),
        });
    }
    let answer: Answer =
        serde_json::from_slice(&finished.stdout).map_err(|_| CredentialError::HelperBadAnswer {
            helper: name.to_owned(),
        })?;
    Ok(match (answer.username.as_str(), answer.secret) {
        (_, secret) if secret.is_empty() => None,
        (IDENTITY_TOKEN_USER, token) => Some(Credential::identity_token("", token)),
        (user, password) => Some(Credential::basic(user, password)),
    })
}

/// The first non-blank line of `text`, shortened to [`MAX_MESSAGE_CHARS`].
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message");
    line.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{self, helper_dir, HELPER_SECRET};
    use super::*;

    fn runner(timeout: Duration) -> HelperRunner {
        HelperRunner::new(Some(helper_dir().as_os_str().to_owned()), timeout)
    }

    fn get(name: &str, server: &str) -> Result<Option<Credential>, CredentialError> {
        runner(DEFAULT_HELPER_TIMEOUT).get(name, server, Path::new("/cfg/config.json"))
    }

    #[test]
    fn helper_answer_becomes_a_credential_for_the_asked_server() {
        let cred = get("good", "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(
            cred,
            Credential::basic("user-for-127.0.0.1:5000", HELPER_SECRET)
        );
        let hub = get("good", "https://index.docker.io/v1/").unwrap().unwrap();
        assert_eq!(hub.username(), "user-for-https://index.docker.io/v1/");
    }

    #[test]
    fn token_username_marks_an_identity_token() {
        let cred = get("token", "x.azurecr.io").unwrap().unwrap();
        assert_eq!(cred, Credential::identity_token("", HELPER_SECRET));
    }

    #[test]
    fn credentials_not_found_is_nothing() {
        assert_eq!(get("missing", "ghcr.io").unwrap(), None);
    }

    #[test]
    fn failure_names_helper_and_status() {
        let err = get("broken", "ghcr.io").unwrap_err().to_string();
        assert!(err.contains("docker-credential-broken"), "{err}");
        assert!(
            err.contains("keyring is locked") && err.contains('3'),
            "{err}"
        );
    }

    #[test]
    fn garbage_answer_is_an_error_without_the_secret() {
        let err = get("garbage", "ghcr.io").unwrap_err();
        assert!(matches!(err, CredentialError::HelperBadAnswer { .. }));
        assert!(!format!("{err} {err:?}").contains(HELPER_SECRET));
    }

    #[test]
    fn missing_or_non_executable_helper_is_not_found() {
        for name in ["absent", "noexec"] {
            let err = get(name, "ghcr.io").unwrap_err();
            assert!(
                matches!(err, CredentialError::HelperNotFound { .. }),
                "{name}: {err}"
            );
            assert!(err.to_string().contains("/cfg/config.json"), "{err}");
        }
        let nowhere = HelperRunner::new(None, DEFAULT_HELPER_TIMEOUT);
        assert!(nowhere.get("good", "ghcr.io", Path::new("/c")).is_err());
    }

    #[test]
    fn hanging_helper_is_killed_at_the_timeout() {
        let server = "killed.test";
        let timeout = Duration::from_secs(1);
        let err = runner(timeout)
            .get("hang", server, Path::new("/c"))
            .unwrap_err();
        assert!(
            matches!(err, CredentialError::HelperTimeout { timeout: t, .. } if t == timeout),
            "{err}"
        );
        assert!(err.to_string().contains("docker-credential-hang"), "{err}");
        // It ran (wrote its id) and is gone when `get` returns: killed, not left behind
        // nor waited for (its `sleep 30` would have ended with an answer, not a timeout).
        let pids = test_support::hang_pids(server);
        assert_eq!(pids.len(), 1, "{pids:?}");
        assert!(!test_support::is_running(pids[0]), "helper left running");
    }

    #[test]
    fn a_failing_helper_is_quoted_from_stderr_never_stdout() {
        let err = runner(Duration::from_secs(5))
            .get("leaky", "ghcr.io", Path::new("/c"))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("vault sealed"), "{text}");
        assert!(
            !text.contains(crate::credentials::test_support::HELPER_SECRET),
            "{text}"
        );
    }
}
