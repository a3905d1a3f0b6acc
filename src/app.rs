//! The two things the binary does, crawl and validate, each returning an exit code.
//! `main` only sets up logging and the runtime around these.

use std::path::Path;

use anyhow::Context;

use crate::asset::validate::validate_file;
use crate::asset::AssetFile;
use crate::cli::FormatArg;
use crate::config::{resolve_format, Config};
use crate::crawl;
use crate::output::{self, Format};
use crate::printer::Printer;
use crate::progress;

/// Everything crawled and written.
pub const EXIT_OK: u8 = 0;
/// Nothing could be done: bad arguments or files, registry unreachable, output unwritable.
pub const EXIT_FATAL: u8 = 1;
/// Some repositories or tags failed; the output holds the rest.
pub const EXIT_PARTIAL: u8 = 2;
/// Stopped by SIGINT (128 + 2, as shells report a process killed by it).
pub const EXIT_INTERRUPTED: u8 = 130;
/// Stopped by SIGTERM (128 + 15).
pub const EXIT_TERMINATED: u8 = 143;

/// Crawls and writes; the exit code says how it went.
///
/// A signal drops the crawl where it stands (in-flight requests are cancelled with it)
/// before anything is written, so the previous output file stays as it was. The signal
/// handlers stay installed afterwards: a signal arriving while the file is being written
/// lets the atomic write finish rather than leave a temporary file behind.
pub async fn crawl(config: &Config, printer: &Printer) -> anyhow::Result<u8> {
    let reporter = progress::reporter(!config.quiet && config.verbose == 0);
    let mut outcome = tokio::select! {
        outcome = crawl::run(config, reporter.as_ref()) => outcome,
        signal = interrupted() => {
            reporter.finish();
            printer.notice(&format!("interrupted by {}; no output written", signal.name()));
            return Ok(signal.exit_code());
        }
    };
    if let Some(reason) = &outcome.stopped {
        printer.notice(&format!("stopped early: {reason}"));
    }
    if config.fail_fast && !outcome.summary.failures.is_empty() {
        write_report_if_asked(config, &outcome.summary)?;
        printer.summary(&outcome.summary, None);
        printer.notice("--fail-fast: no output written; the previous file is untouched");
        return Ok(EXIT_PARTIAL);
    }
    if outcome.nothing_done() {
        write_report_if_asked(config, &outcome.summary)?;
        printer.summary(&outcome.summary, None);
        printer
            .notice("nothing could be crawled; no output written, the previous file is untouched");
        return Ok(EXIT_FATAL);
    }
    let file = AssetFile::new(std::mem::take(&mut outcome.assets));
    let written = write_assets(config, &file);
    if let Err(e) = &written {
        outcome.summary.output_error = Some(crate::printer::error_line(e));
    }
    write_report_if_asked(config, &outcome.summary)?;
    let written_to = written?;
    printer.summary(&outcome.summary, written_to.as_deref());
    Ok(if outcome.summary.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_PARTIAL
    })
}

/// Writes the asset file (or standard output); the path written, if a file. A reader of
/// standard output that stops early (`| head`) is not an error: it has what it wanted.
fn write_assets(config: &Config, file: &AssetFile) -> anyhow::Result<Option<String>> {
    match &config.output {
        Some(path) => {
            output::write_atomically(path, file, config.format)
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(Some(path.display().to_string()))
        }
        None => {
            let stdout = std::io::stdout().lock();
            match output::encode(file, config.format, stdout) {
                Err(e) if is_broken_pipe(&e) => Ok(None),
                other => other.map(|()| None).context("writing to stdout"),
            }
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        let io_kind = e
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                e.downcast_ref::<serde_json::Error>()
                    .and_then(|j| j.io_error_kind())
            });
        if io_kind == Some(std::io::ErrorKind::BrokenPipe) {
            return true;
        }
        cause = e.source();
    }
    false
}

fn write_report_if_asked(
    config: &Config,
    summary: &crate::crawl::summary::Summary,
) -> anyhow::Result<()> {
    match &config.report {
        Some(path) => write_report(path, summary),
        None => Ok(()),
    }
}

/// Writes the run summary as JSON, by the same rules as the asset file.
fn write_report(path: &Path, summary: &crate::crawl::summary::Summary) -> anyhow::Result<()> {
    output::replace_file(path, |w| {
        serde_json::to_writer_pretty(&mut *w, summary)?;
        Ok(w.write_all(b"\n")?)
    })
    .context("writing the report")
}

/// Checks a file against every rule of the format.
pub fn validate(path: &Path, format: Option<FormatArg>, printer: &Printer) -> anyhow::Result<u8> {
    let format: Format = resolve_format(Some(&path.to_path_buf()), format)?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (file, mut violations) = output::decode_checked(&bytes, format)
        .with_context(|| format!("{} is not a readable {format} asset file", path.display()))?;
    violations.extend(validate_file(&file));
    printer.validation(&path.display().to_string(), file.assets.len(), &violations);
    Ok(if violations.is_empty() {
        EXIT_OK
    } else {
        EXIT_FATAL
    })
}

/// The signals that stop a crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => EXIT_INTERRUPTED,
            Signal::Terminate => EXIT_TERMINATED,
        }
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
async fn interrupted() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return wait_ctrl_c().await,
        };
        tokio::select! {
            signal = wait_ctrl_c() => signal,
            _ = term.recv() => Signal::Terminate,
        }
    }
    #[cfg(not(unix))]
    wait_ctrl_c().await
}

async fn wait_ctrl_c() -> Signal {
    match tokio::signal::ctrl_c().await {
        Ok(()) => Signal::Interrupt,
        Err(_) => std::future::pending().await,
    }
}
