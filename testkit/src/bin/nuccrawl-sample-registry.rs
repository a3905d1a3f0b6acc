//! `nuccrawl-sample-registry`: a throwaway local registry holding the sample set.
//!
//! ```text
//! nuccrawl-sample-registry serve --state-dir DIR [--shared]
//!     start a registry on 127.0.0.1, push the samples (and the shared fixtures with
//!     --shared), write DIR/addr, DIR/pid and DIR/registry-pid, then run until stdin closes;
//!     the registry is stopped on the way out.
//! nuccrawl-sample-registry seed ADDR
//!     push the samples to an already running registry at ADDR (127.0.0.1:PORT).
//! ```

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use nuccrawl_testkit::{load_samples, load_shared, LocalRegistry, Samples};

const USAGE: &str = "usage: nuccrawl-sample-registry serve --state-dir DIR [--shared]\n       \
nuccrawl-sample-registry seed ADDR";

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

fn summary(s: &Samples) -> String {
    let skipped: Vec<String> = s.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
    format!(
        "pushed {} repositories, {} images expected, skipped: {}",
        s.repos.len(),
        s.images.len(),
        skipped.join(", ")
    )
}
