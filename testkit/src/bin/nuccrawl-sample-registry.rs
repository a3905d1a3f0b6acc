//! `nuccrawl-sample-registry`: a throwaway local registry holding the sample set.
//!
//! ```text
//! nuccrawl-sample-registry serve --state-dir DIR [--shared]
//!     start a registry on 127.0.0.1, push the samples (and the shared fixtures with
//!     --shared), write DIR/addr, DIR/pid and DIR/registry-pid, then run until stdin closes;
//!     the registry is stopped on the way out.
//! nuccrawl-sample-registry seed ADDR
//!     push the samples to an already running registry at ADDR (127.0.0.1:PORT).
//! nuccrawl-sample-registry bulk --state-dir DIR --repos N --tags-per-repo M
//!                               --tags-per-image K --delay-ms D
//!     start a registry, push N × M generated tags, K per image (see testkit's `bulk`),
//!     read every tag's digest back, and start a FakeDockerHub whose namespace `bulk`
//!     lists every repository (public) with those tags and digests (see `bulk_hub`);
//!     put a latency proxy (D ms per request) in front of the registry and another in
//!     front of the fake; write DIR/bulk.json (what was pushed), DIR/proxy-addr and
//!     DIR/hub-addr (the proxies' 127.0.0.1:PORT), then DIR/addr (the registry's, and
//!     the sign that everything is ready); keep DIR/proxy-counts.json and
//!     DIR/hub-proxy-counts.json (requests each proxy saw, by kind) up to date; run
//!     until stdin closes.
//! ```

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use std::time::{Duration, Instant};

use nuccrawl_testkit::bulk::load_bulk;
use nuccrawl_testkit::bulk_hub::bulk_hub_namespaces;
use nuccrawl_testkit::fakes::FakeDockerHub;
use nuccrawl_testkit::latency_proxy::{parse_delay, LatencyProxy};
use nuccrawl_testkit::{load_samples, load_shared, Credentials, LocalRegistry, Samples};

const USAGE: &str = "usage: nuccrawl-sample-registry serve --state-dir DIR [--shared]\n       \
nuccrawl-sample-registry seed ADDR\n       \
nuccrawl-sample-registry bulk --state-dir DIR --repos N --tags-per-repo M \
--tags-per-image K --delay-ms D";
/// How often the proxies' counts are written out for scripts to read.
const COUNTS_EVERY: Duration = Duration::from_millis(100);
/// The one account the bulk Docker Hub fake accepts; the benchmark never logs in (all
/// bulk repositories are public), so this only satisfies the fake's constructor.
const BULK_HUB_USER: &str = "bench";
/// Its password, a fake one.
const BULK_HUB_PASSWORD: &str = "fake-bench-password";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nuccrawl-sample-registry: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<()> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["seed", addr] => {
            let samples = load_samples(addr)?;
            eprintln!("{}", summary(&samples));
            Ok(())
        }
        ["serve", "--state-dir", dir] => serve(PathBuf::from(dir), false),
        ["serve", "--state-dir", dir, "--shared"] => serve(PathBuf::from(dir), true),
        ["bulk", "--state-dir", dir, "--repos", n, "--tags-per-repo", m, "--tags-per-image", k, "--delay-ms", d] => {
            bulk(PathBuf::from(dir), [n, m, k], d)
        }
        _ => bail!("{USAGE}"),
    }
}

fn serve(dir: PathBuf, shared: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let registry = LocalRegistry::start()?;
    std::fs::write(dir.join("registry-pid"), registry.pid().to_string())?;
    std::fs::write(dir.join("pid"), std::process::id().to_string())?;
    let samples = load_samples(&registry.addr()).context("pushing samples")?;
    eprintln!("{}", summary(&samples));
    if shared {
        let images = load_shared(&registry).context("pushing shared fixtures")?;
        eprintln!("pushed {} shared fixture tags", images.len());
    }
    // Written last: its presence tells scripts the registry is seeded and ready.
    std::fs::write(dir.join("addr"), registry.addr())?;
    eprintln!(
        "registry ready at {}; close stdin to stop it",
        registry.addr()
    );
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(registry);
    let _ = std::fs::remove_file(dir.join("addr"));
    Ok(())
}

/// `shape` is `[repos, tags per repo, tags per image]`, as given.
fn bulk(dir: PathBuf, shape: [&str; 3], delay: &str) -> anyhow::Result<()> {
    let [repos, tags, per_image] = shape;
    let repos: usize = repos.parse().context("--repos")?;
    let tags: usize = tags.parse().context("--tags-per-repo")?;
    let per_image: usize = per_image.parse().context("--tags-per-image")?;
    let delay = parse_delay(delay)?;
    std::fs::create_dir_all(&dir)?;
    let registry = LocalRegistry::start()?;
    std::fs::write(dir.join("registry-pid"), registry.pid().to_string())?;
    std::fs::write(dir.join("pid"), std::process::id().to_string())?;
    let started = Instant::now();
    let stats =
        load_bulk(&registry.addr(), repos, tags, per_image).context("pushing bulk content")?;
    eprintln!(
        "pushed {} tags in {} repositories ({} manifests, {} configs) in {:.1}s",
        stats.tags,
        stats.repos,
        stats.manifests,
        stats.configs,
        started.elapsed().as_secs_f64()
    );
    std::fs::write(dir.join("bulk.json"), serde_json::to_vec_pretty(&stats)?)?;
    let started = Instant::now();
    let namespaces =
        bulk_hub_namespaces(&registry.addr(), repos).context("reading the bulk tags back")?;
    eprintln!(
        "read {} tag digests back for the Docker Hub fake in {:.1}s",
        stats.tags,
        started.elapsed().as_secs_f64()
    );
    let account = Credentials::new(BULK_HUB_USER, BULK_HUB_PASSWORD);
    let hub = FakeDockerHub::start(namespaces, account)?;
    let proxy = LatencyProxy::start(&registry.addr(), delay)?;
    let hub_proxy = LatencyProxy::start(&hub.addr(), delay)?;
    std::fs::write(dir.join("proxy-addr"), proxy.addr())?;
    std::fs::write(dir.join("hub-addr"), hub_proxy.addr())?;
    keep_counts(proxy.clone(), dir.join("proxy-counts.json"));
    keep_counts(hub_proxy.clone(), dir.join("hub-proxy-counts.json"));
    std::fs::write(dir.join("addr"), registry.addr())?;
    eprintln!(
        "registry at {}, latency proxy ({} ms) at {}, Docker Hub fake behind {}; \
         close stdin to stop",
        registry.addr(),
        delay.as_millis(),
        proxy.addr(),
        hub_proxy.addr()
    );
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(registry);
    let _ = std::fs::remove_file(dir.join("addr"));
    Ok(())
}

/// Writes `proxy`'s counts to `path` every [`COUNTS_EVERY`], atomically (temporary file,
/// then rename), for as long as the process runs.
fn keep_counts(proxy: LatencyProxy, path: PathBuf) {
    std::thread::spawn(move || loop {
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec(&proxy.counts()).unwrap_or_default();
        if std::fs::write(&tmp, json).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
        std::thread::sleep(COUNTS_EVERY);
    });
}

fn summary(s: &Samples) -> String {
    let skipped: Vec<String> = s.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
    format!(
        "pushed {} repositories, {} images expected, skipped: {}",
        s.repos.len(),
        s.images.len(),
        skipped.join(", ")
    )
}
