//! Argument parsing and the subcommands. Parsing has no side effects; each
//! subcommand then runs the pipeline and prints.

use crate::evaluate;
use crate::render;
use crate::report::Report;
use crate::rules::{self, Rule};
use crate::scan::{self, ScanOptions};
use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// Checks Azure Machine Learning infrastructure as code against the Azure
/// security baseline for Machine Learning Service (MCSB v1.0).
#[derive(Debug, Parser)]
#[command(name = "aml-baseline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders (default: the current folder) and report.
    ///
    /// Exit code: 0 nothing failed, 1 at least one rule failed, 2 a usage
    /// error or an input that could not be read, parsed or evaluated (the
    /// other files are still scanned and reported).
    Scan(ScanArgs),
    /// List every rule: id, kind, policy GUID, control, feature, severity, title.
    Rules(RulesArgs),
    /// Print the deployment model the files evaluate to: every resource as
    /// Azure would hold it, with unknown values shown as `<unknown: EXPR>`.
    Model(ModelArgs),
}

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// Files and folders to read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A deployment parameter file to use with every template.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders to scan.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A deployment parameter file to use with every template scanned
    /// (otherwise `<name>.parameters.json` beside each template).
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// Set a Terraform input variable (`NAME=VALUE`), as `terraform plan -var` does.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// A Terraform variable file (`.tfvars`), as `terraform plan -var-file` does.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Run every rule, including those off by default.
    #[arg(long)]
    pub all_rules: bool,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, found '{s}'")),
    }
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Parses the command line and runs it; returns the exit code.
pub fn run() -> anyhow::Result<i32> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(code);
        }
    };
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Rules(args) => run_rules(&args),
        Command::Model(args) => run_model(&args),
    }
}

fn run_model(args: &ModelArgs) -> anyhow::Result<i32> {
    let options = ScanOptions {
        paths: args.paths.clone(),
        parameters: args.parameters.clone(),
        ..Default::default()
    };
    let output = scan::scan(&options);
    let resources: Vec<serde_json::Value> = output
        .model
        .resources
        .iter()
        .map(|r| {
            let (path, line, column) = output.sources.position(r.span);
            serde_json::json!({
                "id": r.id,
                "path": format!("{path}:{line}:{column}"),
                "existing": r.existing,
                "deployed": match &r.deployed {
                    crate::model::Deployed::Yes => "yes".to_string(),
                    crate::model::Deployed::Unknown { expr } => format!("unknown: {expr}"),
                },
                "resource": r.body.to_json_display(),
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&resources)?;
    let text = crate::report::redact(&text, &output.model.secrets);
    write_output(None, &format!("{text}\n"))?;
    let errors = output
        .diagnostics
        .iter()
        .filter(|d| d.level == crate::diagnostics::Level::Error)
        .count();
    for d in &output.diagnostics {
        let (p, l, c) = d.position(&output.sources);
        eprintln!(
            "{:?}[{}]: {p}:{l}:{c}: {}",
            d.level,
            d.code,
            crate::report::redact(&d.message, &output.model.secrets)
        );
    }
    Ok(if errors > 0 { 2 } else { 0 })
}

/// The rules a scan runs.
pub fn selected_rules(all: bool) -> Vec<&'static Rule> {
    rules::all()
        .iter()
        .filter(|r| all || r.enabled_by_default)
        .collect()
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<i32> {
    let options = ScanOptions {
        paths: args.paths.clone(),
        parameters: args.parameters.clone(),
        terraform_vars: args.vars.clone(),
        terraform_var_files: args.var_files.clone(),
        ..Default::default()
    };
    let output = scan::scan(&options);
    let rules = selected_rules(args.all_rules);
    let (outcomes, mut diagnostics) = evaluate::evaluate(&output.model, &rules);
    diagnostics.extend(output.diagnostics.iter().cloned());
    let report = Report::build(&output, &outcomes, &diagnostics, &rules);
    let text = match args.format {
        Format::Text => render::text::render(&report),
        Format::Json => render::json::render(&report),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(report.exit_code())
}

fn run_rules(args: &RulesArgs) -> anyhow::Result<i32> {
    let text = match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rules::all()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "kind": r.kind_name(),
                        "policy": r.policy(),
                        "control": r.control,
                        "feature": r.feature,
                        "severity": r.severity.as_str(),
                        "enabled_by_default": r.enabled_by_default,
                        "title": r.title,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list)?;
            s.push('\n');
            s
        }
        Format::Text => {
            let mut s = String::new();
            for r in rules::all() {
                let on = if r.enabled_by_default {
                    ""
                } else {
                    " (off by default)"
                };
                s.push_str(&format!(
                    "{:<18} {:<6} {:<5} {:<8} {}{on}\n",
                    r.id,
                    r.kind_name(),
                    r.control,
                    r.severity.as_str(),
                    r.title
                ));
            }
            s
        }
    };
    write_output(None, &text)?;
    Ok(0)
}

fn write_output(path: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}
