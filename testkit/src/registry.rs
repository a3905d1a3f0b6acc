//! A real Distribution registry (`docker-registry serve`) started for one test.
//!
//! Each [`LocalRegistry`] listens on its own free port of 127.0.0.1, keeps its storage in a
//! temporary directory, logs to a file in that directory, and is killed (by its PID) when
//! dropped. Nothing here touches any other host or a system-wide registry.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::client::{agent, v2_url, Credentials};

/// Environment variable naming the registry binary, overriding the `PATH` lookup.
pub const REGISTRY_BIN_ENV: &str = "NUCCRAWL_REGISTRY_BIN";

/// Binary Debian's `docker-registry` package installs.
const DEFAULT_BIN: &str = "docker-registry";

/// How long a fresh registry may take to answer `/v2/`: it starts in well under a second,
/// ten leaves room for a loaded two-core CI machine.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause between readiness probes.
const READY_POLL: Duration = Duration::from_millis(50);

/// Start attempts: another process may grab the port between our probe and the registry's
/// bind, which shows as an early exit; a handful of fresh ports makes that vanishingly rare.
const START_ATTEMPTS: usize = 5;

/// Realm written into the htpasswd auth section.
const AUTH_REALM: &str = "nuccrawl-test";

/// Distribution's `auth: token` settings: the token server to send clients to, and how
/// to check the JWTs it issues.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    /// The token server URL put in Bearer challenges.
    pub realm: String,
    /// The service name (the tokens' audience).
    pub service: String,
    /// The issuer the tokens must name.
    pub issuer: String,
    /// PEM certificates that token signing certificates must chain to.
    pub root_cert_bundle: PathBuf,
}

/// Which `auth` section the registry's config gets.
enum AuthSection<'a> {
    Anonymous,
    Htpasswd(&'a Path),
    Token(&'a TokenAuth),
}

/// A running Distribution registry owned by the caller.
#[derive(Debug)]
pub struct LocalRegistry {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
    credentials: Option<Credentials>,
}

impl LocalRegistry {
    /// Starts an anonymous registry (no auth, deletes enabled) and waits until it answers.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_inner(None)
    }

    /// Starts a registry that requires Basic auth with `user`/`pass` (an htpasswd file
    /// written with bcrypt by `htpasswd -Bbn`).
    pub fn start_with_htpasswd(user: &str, pass: &str) -> anyhow::Result<Self> {
        Self::start_inner(Some(Credentials::new(user, pass)))
    }

    /// Starts an empty registry in `auth: token` mode, trusting the token server `auth`
    /// describes (e.g. a testkit `FakeTokenServer`).
    pub fn start_with_token_auth(auth: &TokenAuth) -> anyhow::Result<Self> {
        let mut registry = Self::start()?;
        registry.restart_with_token_auth(auth)?;
        Ok(registry)
    }

    /// Restarts this registry on the same port and storage in `auth: token` mode: load
    /// content anonymously first, then turn token auth on.
    pub fn restart_with_token_auth(&mut self, auth: &TokenAuth) -> anyhow::Result<()> {
        kill_and_wait(&mut self.child);
        let port: u16 = self
            .addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .context("registry address has a port")?;
        let bin = registry_bin()?;
        let config = write_config(self.dir.path(), port, AuthSection::Token(auth))?;
        self.child = spawn(&bin, &config, self.dir.path())?;
        self.credentials = None;
        wait_ready(&mut self.child, &self.addr, &self.dir.path().join(LOG_FILE))
    }

    /// `127.0.0.1:PORT`, the registry's address.
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// The process id of the registry.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The credentials the registry requires, if it was started with htpasswd.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The root of the registry's filesystem storage (`rootdirectory` in its config).
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The registry's combined stdout/stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn start_inner(credentials: Option<Credentials>) -> anyhow::Result<Self> {
        let bin = registry_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("nuccrawl-registry-")
            .tempdir()?;
        let htpasswd = match &credentials {
            Some(c) => Some(write_htpasswd(dir.path(), c)?),
            None => None,
        };
        let mut last_err = anyhow::anyhow!("registry did not start");
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let auth = match htpasswd.as_deref() {
                Some(h) => AuthSection::Htpasswd(h),
                None => AuthSection::Anonymous,
            };
            let config = write_config(dir.path(), port, auth)?;
            let mut child = spawn(&bin, &config, dir.path())?;
            let addr = format!("127.0.0.1:{port}");
            match wait_ready(&mut child, &addr, &dir.path().join(LOG_FILE)) {
                Ok(()) => {
                    return Ok(Self {
                        child,
                        addr,
                        dir,
                        credentials,
                    })
                }
                Err(e) => {
                    kill_and_wait(&mut child);
                    last_err = e;
                }
            }
        }
        Err(last_err)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

/// Name of the log file inside the registry's directory.
const LOG_FILE: &str = "registry.log";

/// Finds the registry binary: `$NUCCRAWL_REGISTRY_BIN`, else `docker-registry` in `PATH`.
pub fn registry_bin() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(REGISTRY_BIN_ENV) {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(DEFAULT_BIN))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "`{DEFAULT_BIN}` not found in PATH (Distribution registry 2.8). Install it with \
                 `sudo apt-get install docker-registry`, or set {REGISTRY_BIN_ENV} to its path"
            )
        })
}

/// A port of 127.0.0.1 that was free a moment ago (bound to port 0, then released).
fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Writes the registry's YAML config and returns its path.
fn write_config(dir: &Path, port: u16, auth: AuthSection<'_>) -> anyhow::Result<PathBuf> {
    let storage = dir.join("storage");
    fs::create_dir_all(&storage)?;
    let mut yaml = format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n\
         health:\n  storagedriver:\n    enabled: false\n",
        storage.display()
    );
    match auth {
        AuthSection::Anonymous => {}
        AuthSection::Htpasswd(h) => yaml.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: {AUTH_REALM}\n    path: {}\n",
            h.display()
        )),
        AuthSection::Token(t) => yaml.push_str(&format!(
            "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    \
             rootcertbundle: {}\n",
            t.realm,
            t.service,
            t.issuer,
            t.root_cert_bundle.display()
        )),
    }
    let path = dir.join("config.yml");
    fs::write(&path, yaml)?;
    Ok(path)
}

/// Writes an htpasswd file with a bcrypt entry made by `htpasswd -Bbn`.
fn write_htpasswd(dir: &Path, c: &Credentials) -> anyhow::Result<PathBuf> {
    let out = Command::new("htpasswd")
        .args(["-Bbn", &c.username, &c.password])
        .output()
        .context("running `htpasswd` (install it with `sudo apt-get install apache2-utils`)")?;
    if !out.status.success() {
        bail!("htpasswd failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let path = dir.join("htpasswd");
    fs::write(&path, out.stdout)?;
    Ok(path)
}

/// Starts `BIN serve CONFIG` with output going to the log file.
fn spawn(bin: &Path, config: &Path, dir: &Path) -> anyhow::Result<Child> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(LOG_FILE))?;
    Command::new(bin)
        .arg("serve")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// Polls `GET /v2/` until the registry answers (any HTTP status: 401 counts when auth is on).
fn wait_ready(child: &mut Child, addr: &str, log: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let url = v2_url(addr, "");
    let agent = agent();
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "registry exited ({status}) before answering; log:\n{}",
                read_log(log)
            );
        }
        if agent.get(&url).call().is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "registry at {addr} did not answer within {READY_TIMEOUT:?}; log:\n{}",
                read_log(log)
            );
        }
        sleep(READY_POLL);
    }
}

fn read_log(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| format!("<no log: {e}>"))
}

/// Kills the child by its PID and reaps it.
fn kill_and_wait(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
