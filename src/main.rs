//! The `nuccrawl` binary: parse arguments, set up logging and the runtime, run, and turn
//! the outcome into an exit code. Errors are printed once, with their cause chain.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use nuccrawl::app::{self, EXIT_FATAL};
use nuccrawl::cli::{Cli, Command};
use nuccrawl::config::Config;
use nuccrawl::printer::Printer;

fn main() -> ExitCode {
    let cli = Cli::parse();
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

/// Warnings by default, more with each `-v`; `RUST_LOG` overrides. Logs go to stderr.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "nuccrawl=info,warn",
        (false, 2) => "nuccrawl=debug,info",
        (false, _) => "nuccrawl=trace,debug",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
