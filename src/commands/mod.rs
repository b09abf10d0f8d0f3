//! One file per command: each turns its parsed arguments into a call of the
//! stage crates and writes what the report crate renders.

#[cfg(feature = "collect")]
pub mod collect;
pub mod drift;
pub mod fix;
pub mod listing;
pub mod lsp;
pub mod model;
mod output_file;
pub mod policy_test;
pub mod scan;

use crate::cli::{Cli, Command, PolicyCommand};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

/// Parses the command line and runs it; returns the exit code.
pub fn run() -> anyhow::Result<i32> {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(code);
        }
    };
    match cli.command {
        Command::Scan(args) => scan::run(&args, matches.subcommand_matches("scan")),
        Command::Rules(args) => listing::rules(&args),
        Command::Baseline(args) => listing::baseline(&args),
        Command::Lsp => lsp::run(),
        Command::Policies(args) | Command::Policy(PolicyCommand::List(args)) => {
            listing::policies(&args)
        }
        Command::Policy(PolicyCommand::Test(args)) => policy_test::run(&args),
        Command::Explain(args) => listing::explain(&args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "aml-baseline", &mut buf);
            write_output(None, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            write_output(None, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Model(args) => model::run(&args),
        #[cfg(feature = "collect")]
        Command::Collect(args) => Ok(collect::run_collect(
            &args.live,
            args.output.as_deref(),
            args.allow_partial,
        )),
        Command::Drift(args) => drift::run(&args),
        Command::Fix(args) => fix::run(&args),
    }
}

/// Writes what `write` produces to `path`, or to standard output.
pub fn write_rendered(
    path: Option<&PathBuf>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            let output = output_file::OutputFile::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            let mut out = std::io::BufWriter::new(&output.file);
            let written = write(&mut out)
                .and_then(|_| out.flush())
                .with_context(|| format!("cannot write {}", p.display()));
            drop(out);
            output.finish();
            written
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = write(&mut out).and_then(|_| out.flush());
            Ok(())
        }
    }
}

/// Writes `text` to `path`, or to standard output.
pub fn write_output(path: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    write_rendered(path, |out| out.write_all(text.as_bytes()))
}

/// Prints the error diagnostics of a run on standard error; returns 2 when
/// there is one, else 0.
pub fn report_errors(output: &aml_scan::ScanOutput) -> i32 {
    let mut code = 0;
    for d in &output.diagnostics {
        if d.level == aml_model::diagnostics::Level::Error {
            let (p, l, c) = d.position(&output.sources);
            eprintln!("error[{}]: {p}:{l}:{c}: {}", d.code, d.message);
            code = 2;
        }
    }
    code
}
