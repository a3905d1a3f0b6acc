//! The `nuccrawl` binary: parse arguments, set up logging and the runtime, run, and turn
//! the outcome into an exit code. Errors are printed once, with their cause chain.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use nuccrawl::app::{self, EXIT_FATAL};
use nuccrawl::cli::{Cli, Command};
use nuccrawl::config::Config;
use nuccrawl::printer::Printer;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version go to stdout and succeed; usage errors are "bad
            // arguments", exit 1 as documented (clap's own 2 would read as a partial crawl).
            return ExitCode::from(if e.use_stderr() { EXIT_FATAL } else { 0 });
        }
    };
    init_logging(cli.verbosity.verbose, cli.verbosity.quiet);
    let printer = Printer::new(cli.verbosity.quiet, cli.verbosity.verbose);
    let code = match run(&cli, &printer) {
        Ok(code) => code,
        Err(error) => {
            printer.error(&error);
            EXIT_FATAL
        }
    };
    ExitCode::from(code)
}

fn run(cli: &Cli, printer: &Printer) -> anyhow::Result<u8> {
    if let Some(Command::Validate { file, format }) = &cli.command {
        return app::validate(file, *format, printer);
    }
    let config = Config::from_cli(cli)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(app::crawl(&config, printer))
}

/// The HTTP stack's crates, held at `info` even at `-vvv`: their debug and trace output is
/// wire detail (frames, header blocks) where a credential could surface, and nuccrawl's
/// own trace log already names every request.
const HTTP_STACK_CAP: &str = "hyper=info,hyper_util=info,h2=info,reqwest=info,rustls=info";

/// Warnings by default, more with each `-v`; `RUST_LOG` overrides. Logs go to stderr.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error".to_owned(),
        (false, 0) => "warn".to_owned(),
        (false, 1) => "nuccrawl=info,warn".to_owned(),
        (false, 2) => format!("nuccrawl=debug,{HTTP_STACK_CAP},info"),
        (false, _) => format!("nuccrawl=trace,{HTTP_STACK_CAP},debug"),
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
}
