//! Argument parsing and the subcommands. Parsing has no side effects; each
//! subcommand then runs the pipeline and prints.

use crate::pipeline::{AssumeUnknown, Settings};
use crate::render;
use crate::report::FailOn;
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
    Scan(Box<ScanArgs>),
    /// List every rule: id, kind, policy GUID, control, feature, severity, title.
    Rules(RulesArgs),
    /// Print the baseline's controls and features, and which rules cover each
    /// (`--format oscal-catalog`: as a NIST OSCAL 1.1.3 catalog).
    Baseline(BaselineArgs),
    /// Run the language server on standard input and output (LSP): diagnostics,
    /// fixes and rule pages in the editor for ARM JSON, Bicep, Terraform and CLI YAML.
    Lsp,
    /// List the Azure Policy definitions shipped in the binary: the rule that
    /// runs each, or why it cannot be evaluated offline (data-plane modes).
    /// The same as `policy list`.
    Policies(RulesArgs),
    /// Azure Policy as code: `policy test DIR` runs the cases of every
    /// definition's `NAME.tests.yaml`; `policy list` lists the shipped definitions.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print a rule's documentation (by id, policy GUID or its first 8 hex digits).
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line's definition.
    Man,
    /// Collect the live state of Azure Machine Learning estates from Azure
    /// (Resource Graph at tenant scale, ARM for what it lacks) into an export
    /// that `scan` reads. Signs in as the Azure SDK does: a service principal or
    /// workload identity from `AZURE_*` variables, a managed identity, or `az login`.
    ///
    /// Exit code: 0 collected, 2 the collection failed (a 403 names the scope and the Reader role).
    #[cfg(feature = "collect")]
    Collect(CollectArgs),
    /// Compare code with live state: resources matched by id (or by type and
    /// name when the code's ids hold placeholders), properties whose live value
    /// differs, first those that change a baseline verdict, then resources only
    /// in code and only live.
    ///
    /// Exit code: 0 no verdict-changing drift, 1 at least one, 2 an input error.
    Drift(DriftArgs),
    /// Fix failing results in the files: print a unified diff per changed
    /// file and write it (unless `--dry-run`); fixes that add a resource are
    /// printed as snippets, never written.
    Fix(FixArgs),
    /// Print the deployment model the files evaluate to: every resource as
    /// Azure would hold it, with unknown values shown as `<unknown: EXPR>`.
    Model(ModelArgs),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the test cases of every definition and initiative under DIR:
    /// `NAME.tests.yaml` beside `NAME.json`.
    ///
    /// Exit code: 0 every case passed, 1 a case failed, 2 a definition or
    /// test file could not be read (a positioned error).
    Test(PolicyTestArgs),
    /// List the Azure Policy definitions shipped in the binary (as `policies`).
    List(RulesArgs),
}

#[derive(Debug, clap::Args)]
pub struct PolicyTestArgs {
    /// The folder of definitions, initiatives and their `.tests.yaml` files.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// `text` (default) or `junit`.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub format: TestFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// An alias export (`az provider list --expand resourceTypes/aliases`)
    /// extending the shipped alias catalogue.
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,
}

/// `policy test --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Text,
    Junit,
}

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// Files and folders to fix.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Fix only this rule (id, policy GUID or its first 8 hex digits; repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// Print the diffs and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also apply unsafe fixes, which can break a working deployment
    /// (isolation mode `AllowOnlyApprovedOutbound` without the outbound rules a workspace needs).
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// A deployment parameter file to use with every template.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// Set a Terraform input variable (`NAME=VALUE`).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// A Terraform variable file (`.tfvars`).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Fix the rules that are off by default too.
    #[arg(long)]
    pub all_rules: bool,
    /// The configuration file (default: `aml-baseline.toml` found upward).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not look for `aml-baseline.toml`.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// Files and folders to read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A deployment parameter file to use with every template.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// The workspace of Azure ML CLI YAML files that have no workspace YAML beside them.
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders to scan.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format (default `text`). Repeat it for several reports from
    /// one scan; each `--output` writes the `--format` given just before it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<render::OutputFormat>,
    /// Write the report of the preceding `--format` to this file instead of
    /// standard output (repeatable; at most one format goes to standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Base URL for links to the scanned files in Markdown (e.g.
    /// `https://github.com/OWNER/REPO/blob/COMMIT`).
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
    /// Base URL of aml-baseline's repository, for links to rule pages
    /// (`docs/rules/ID.md`) in SARIF `helpUri`.
    #[arg(long, value_name = "URL")]
    pub rule_docs_url: Option<String>,
    /// A deployment parameter file to use with every template scanned
    /// (otherwise `<name>.parameters.json` beside each template).
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// The folder outside which nothing is read: local modules, linked
    /// templates and imports beyond it are not followed (default: each
    /// path's enclosing git work tree, else the current directory when it
    /// holds the path, else the path itself).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Set a Terraform input variable (`NAME=VALUE`), as `terraform plan -var` does.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// A Terraform variable file (`.tfvars`), as `terraform plan -var-file` does.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// The workspace of Azure ML CLI YAML files (computes, endpoints,
    /// datastores, connections...) that have no workspace YAML beside them.
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Run every rule, including those off by default.
    #[arg(long)]
    pub all_rules: bool,
    /// The configuration file (default: `aml-baseline.toml` in the first
    /// scanned folder or above it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not look for `aml-baseline.toml`.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// How to count results the files do not decide: report them as
    /// `unknown` (default), or treat them as `fail` or `pass`.
    #[arg(long, value_enum, default_value_t = Assume::Unknown, value_name = "AS")]
    pub assume_unknown: Assume,
    /// The date attestation and waiver expiries are compared with (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub today: Option<crate::config::Date>,
    /// Which results make the exit code 1: failures of at least this
    /// severity, or with `unknown` any failure or unknown result.
    #[arg(long, value_enum, default_value_t = FailOnArg::Low, value_name = "LEVEL")]
    pub fail_on: FailOnArg,
    /// A previous JSON report (`--format json`): results that already failed
    /// there are reported as suppressed, so only new ones count.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// A folder (or file) of your own Azure Policy definitions and
    /// initiatives, as Azure exports them. Without `--assignments`, each is
    /// evaluated as if assigned with its default parameters.
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Your policy assignments and exemptions (`az policy assignment list`,
    /// `az policy exemption list` output; repeatable). Built-in definitions
    /// shipped with aml-baseline resolve without `--policies`.
    #[arg(long, value_name = "FILE")]
    pub assignments: Vec<PathBuf>,
    /// Where the files would be deployed: `/subscriptions/ID/resourceGroups/RG`,
    /// `/subscriptions/ID` or `/providers/Microsoft.Management/managementGroups/MG`.
    /// Fills the resource ids and decides which assignments apply.
    #[arg(long, value_name = "SCOPE", value_parser = parse_scope)]
    pub deployment_scope: Option<crate::policy::DeploymentScope>,
    /// An alias export (`az provider list --expand resourceTypes/aliases`)
    /// extending the shipped alias catalogue, for definitions on other types.
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,
    /// Collect the live estate from Azure first (as `aml-baseline collect`
    /// does, with the options below) and scan it with the paths given.
    #[cfg(feature = "collect")]
    #[arg(long)]
    pub live: bool,
    /// With `--live`: keep the export in this file (default: a temporary file).
    #[cfg(feature = "collect")]
    #[arg(long, value_name = "FILE", requires = "live")]
    pub live_output: Option<PathBuf>,
    #[cfg(feature = "collect")]
    #[command(flatten)]
    pub live_args: crate::collect::LiveArgs,
}

/// `collect`: the live estate from Azure into an export file.
#[cfg(feature = "collect")]
#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// Write the export to this file (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub live: crate::collect::LiveArgs,
}

/// `drift`: code against live state.
#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// Templates, Bicep or Terraform (files and folders), as `scan` takes them.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub code: Vec<PathBuf>,
    /// Exports of the deployed resources (`aml-baseline collect`, Resource Graph, ARM).
    #[arg(long, value_name = "EXPORT", num_args = 1.., required = true)]
    pub live: Vec<PathBuf>,
    /// A deployment parameter file for every template.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// `text` (default) or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_scope(s: &str) -> Result<crate::policy::DeploymentScope, String> {
    crate::policy::DeploymentScope::parse(s)
}

/// `--fail-on` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Critical,
    High,
    Medium,
    Low,
    Unknown,
}

/// `--assume-unknown` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Assume {
    Unknown,
    Fail,
    Pass,
}

fn parse_date(s: &str) -> Result<crate::config::Date, String> {
    crate::config::Date::parse(s)
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
pub struct ExplainArgs {
    /// Rule id (`AMLB-POL-438c38d2`), policy GUID or its first 8 hex digits.
    pub rule: String,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    #[arg(long, value_enum, default_value_t = BaselineFormat::Text)]
    pub format: BaselineFormat,
}

/// Formats of `baseline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BaselineFormat {
    Text,
    Json,
    /// The baseline as a NIST OSCAL 1.1.3 catalog, which `scan --format oscal` results reference.
    OscalCatalog,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

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
        Command::Scan(args) => {
            let scan_matches = matches.subcommand_matches("scan");
            let plan = match output_plan(&args, scan_matches) {
                Ok(p) => p,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Ok(2);
                }
            };
            run_scan(&args, &plan)
        }
        Command::Rules(args) => run_rules(&args),
        Command::Baseline(args) => run_baseline(&args),
        Command::Lsp => crate::lsp::run(),
        Command::Policies(args) | Command::Policy(PolicyCommand::List(args)) => run_policies(&args),
        Command::Policy(PolicyCommand::Test(args)) => run_policy_test(&args),
        Command::Explain(args) => run_explain(&args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "aml-baseline", &mut buf);
            write_output(None, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            write_output(None, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Model(args) => run_model(&args),
        #[cfg(feature = "collect")]
        Command::Collect(args) => Ok(crate::collect::run_collect(
            &args.live,
            args.output.as_deref(),
        )),
        Command::Drift(args) => run_drift(&args),
        Command::Fix(args) => run_fix(&args),
    }
}

fn run_fix(args: &FixArgs) -> anyhow::Result<i32> {
    let mut only = Vec::new();
    for r in &args.rules {
        match rules::find(r) {
            Some(rule) => only.push(rule.id),
            None => {
                eprintln!("error: no rule is named '{r}' (see `aml-baseline rules`)");
                return Ok(2);
            }
        }
    }
    let options = ScanOptions {
        paths: args.paths.clone(),
        parameters: args.parameters.clone(),
        terraform_vars: args.vars.clone(),
        terraform_var_files: args.var_files.clone(),
        ..Default::default()
    };
    let settings = Settings {
        all_rules: args.all_rules || !only.is_empty(),
        config: args.config.clone(),
        no_config: args.no_config,
        ..Default::default()
    };
    let fix_options = crate::fix::Options {
        rules: only,
        allow_unsafe: args.allow_unsafe,
    };
    let (run, plan) = crate::fix::plan(&options, &settings, &fix_options);
    write_output(None, &crate::fix::render(&run, &plan))?;
    let mut code = 0;
    for d in run.scan.diagnostics.iter() {
        if d.level == aml_model::diagnostics::Level::Error {
            let (p, l, c) = d.position(&run.scan.sources);
            eprintln!("error[{}]: {p}:{l}:{c}: {}", d.code, d.message);
            code = 2;
        }
    }
    if args.dry_run {
        return Ok(code);
    }
    for f in &plan.files {
        if let Err(e) = f.write() {
            eprintln!("error: {}: {e}", f.display);
            code = 2;
        }
    }
    Ok(code)
}

fn run_drift(args: &DriftArgs) -> anyhow::Result<i32> {
    let drift = crate::drift::run(&args.code, &args.live, args.parameters.clone());
    let text = match args.format {
        Format::Text => drift.render_text(),
        Format::Json => drift.render_json(),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(drift.exit_code())
}

fn run_model(args: &ModelArgs) -> anyhow::Result<i32> {
    let options = ScanOptions {
        paths: args.paths.clone(),
        parameters: args.parameters.clone(),
        workspace: args.workspace.clone(),
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
                    aml_model::model::Deployed::Yes => "yes".to_string(),
                    aml_model::model::Deployed::Unknown { expr } => format!("unknown: {expr}"),
                },
                "resource": r.body.to_json_display(),
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&resources)?;
    let text = crate::report::redact(&text, output.model.redactor());
    write_output(None, &format!("{text}\n"))?;
    let errors = output
        .diagnostics
        .iter()
        .filter(|d| d.level == aml_model::diagnostics::Level::Error)
        .count();
    for d in &output.diagnostics {
        let (p, l, c) = d.position(&output.sources);
        eprintln!(
            "{:?}[{}]: {p}:{l}:{c}: {}",
            d.level,
            d.code,
            crate::report::redact(&d.message, output.model.redactor())
        );
    }
    Ok(if errors > 0 { 2 } else { 0 })
}

/// The rules a scan runs without a configuration file.
pub fn selected_rules(all: bool) -> Vec<&'static Rule> {
    crate::pipeline::select_rules(all, &Default::default())
}

/// Where each requested format goes: a file, or standard output (`None`).
pub type OutputPlan = Vec<(render::OutputFormat, Option<PathBuf>)>;

/// Pairs every `--output` with the `--format` given closest before it (or,
/// when none is before it, the first unpaired one after it). Without
/// `--format` the format is `text`. At most one format may go to standard
/// output, no file may be named twice and every output needs a format.
pub fn pair_outputs(
    formats: &[(usize, render::OutputFormat)],
    outputs: &[(usize, PathBuf)],
) -> Result<OutputPlan, String> {
    let formats: Vec<(usize, render::OutputFormat)> = if formats.is_empty() {
        vec![(0, render::OutputFormat::Text)]
    } else {
        formats.to_vec()
    };
    let mut target: Vec<Option<PathBuf>> = vec![None; formats.len()];
    for (at, path) in outputs {
        let before = (0..formats.len())
            .rev()
            .find(|&i| formats[i].0 < *at && target[i].is_none());
        let slot = before.or_else(|| (0..formats.len()).find(|&i| target[i].is_none()));
        match slot {
            Some(i) => target[i] = Some(path.clone()),
            None => {
                return Err(format!(
                    "--output {} has no --format to write (give one --format per --output)",
                    path.display()
                ))
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in target.iter().flatten() {
        if !seen.insert(p.clone()) {
            return Err(format!("--output {} is given twice", p.display()));
        }
    }
    let to_stdout: Vec<&str> = formats
        .iter()
        .zip(&target)
        .filter(|(_, t)| t.is_none())
        .map(|((_, f), _)| f.name())
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "only one format can go to standard output, but {} have no --output",
            to_stdout.join(", ")
        ));
    }
    Ok(formats.into_iter().map(|(_, f)| f).zip(target).collect())
}

fn output_plan(args: &ScanArgs, matches: Option<&clap::ArgMatches>) -> Result<OutputPlan, String> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let formats: Vec<(usize, render::OutputFormat)> = indices("format")
        .into_iter()
        .zip(args.format.iter().copied())
        .collect();
    let outputs: Vec<(usize, PathBuf)> = indices("output")
        .into_iter()
        .zip(args.output.iter().cloned())
        .collect();
    pair_outputs(&formats, &outputs)
}

/// Colour for the terminal: standard output is a terminal and `NO_COLOR`
/// is unset or empty.
fn stdout_wants_color() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

fn run_scan(args: &ScanArgs, plan: &OutputPlan) -> anyhow::Result<i32> {
    #[allow(unused_mut)]
    let mut paths = args.paths.clone();
    #[cfg(feature = "collect")]
    if args.live {
        match crate::collect::collect_for_scan(&args.live_args, args.live_output.as_deref()) {
            Ok(export) => paths.push(export),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(2);
            }
        }
    }
    let options = ScanOptions {
        paths,
        parameters: args.parameters.clone(),
        terraform_vars: args.vars.clone(),
        terraform_var_files: args.var_files.clone(),
        root: args.root.clone(),
        workspace: args.workspace.clone(),
        ..Default::default()
    };
    let settings = Settings {
        all_rules: args.all_rules,
        config: args.config.clone(),
        no_config: args.no_config,
        assume_unknown: match args.assume_unknown {
            Assume::Unknown => AssumeUnknown::Unknown,
            Assume::Fail => AssumeUnknown::Fail,
            Assume::Pass => AssumeUnknown::Pass,
        },
        today: args.today,
        baseline_report: args.baseline.clone(),
        fail_on: match args.fail_on {
            FailOnArg::Critical => FailOn::Critical,
            FailOnArg::High => FailOn::High,
            FailOnArg::Medium => FailOn::Medium,
            FailOnArg::Low => FailOn::Low,
            FailOnArg::Unknown => FailOn::Unknown,
        },
        policy: crate::policies::PolicyOptions {
            policies: args.policies.clone(),
            assignments: args.assignments.clone(),
            aliases: args.aliases.clone(),
            deployment_scope: args.deployment_scope.clone(),
        },
    };
    let run = crate::pipeline::run(&options, &settings);
    for (format, path) in plan {
        let render_options = render::RenderOptions {
            color: path.is_none() && stdout_wants_color(),
            link_base: args.link_base.clone(),
            rule_docs_base: args.rule_docs_url.clone(),
        };
        write_rendered(path.as_ref(), |out| {
            render::write_run(*format, &run, &render_options, out)
        })?;
    }
    let code = run.report.exit_code();
    // The process ends here: freeing every file, resource and result one by
    // one would only delay the exit (a few percent of a large scan).
    std::mem::forget(run);
    Ok(code)
}

fn run_baseline(args: &BaselineArgs) -> anyhow::Result<i32> {
    let format = match args.format {
        BaselineFormat::OscalCatalog => {
            write_output(None, &render::oscal::catalog::render())?;
            return Ok(0);
        }
        BaselineFormat::Text => Format::Text,
        BaselineFormat::Json => Format::Json,
    };
    let catalogue = crate::baseline::catalogue();
    let covering = |control: &str, feature: &str| -> Vec<&'static str> {
        rules::all()
            .iter()
            .filter(|r| r.control == control && r.feature == Some(feature))
            .map(|r| r.id)
            .collect()
    };
    let text = match format {
        Format::Json => {
            let controls: Vec<serde_json::Value> = catalogue
                .controls
                .iter()
                .map(|c| {
                    let features: Vec<serde_json::Value> = c
                        .features
                        .iter()
                        .map(|f| {
                            serde_json::json!({
                                "name": f.name,
                                "supported": f.supported,
                                "enabled_by_default": f.enabled_by_default,
                                "responsibility": f.responsibility,
                                "evidence": f.evidence,
                                "description": f.description,
                                "guidance": f.guidance,
                                "reference": f.reference,
                                "rules": covering(&c.id, &f.name),
                            })
                        })
                        .collect();
                    let other: Vec<&str> = rules::all()
                        .iter()
                        .filter(|r| r.control == c.id && r.feature.is_none())
                        .map(|r| r.id)
                        .collect();
                    serde_json::json!({
                        "id": c.id, "domain": c.domain, "title": c.title,
                        "features": features, "other_rules": other,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "benchmark": catalogue.benchmark,
                "baseline": catalogue.baseline,
                "controls": controls,
            }))?;
            s.push('\n');
            s
        }
        Format::Text => {
            let mut s = format!("{} ({})\n\n", catalogue.baseline, catalogue.benchmark);
            for c in &catalogue.controls {
                s.push_str(&format!("{}  {}  [{}]\n", c.id, c.title, c.domain));
                for f in &c.features {
                    let rules = covering(&c.id, &f.name);
                    let how = match f.evidence.as_str() {
                        "files" if rules.is_empty() => "files (no rule yet)".to_string(),
                        "files" => format!("rules: {}", rules.join(", ")),
                        "manual" => "manual: attest in aml-baseline.toml".to_string(),
                        "platform" => "platform: Microsoft, on by default".to_string(),
                        _ => "not supported by the service".to_string(),
                    };
                    s.push_str(&format!("  - {}\n      {how}\n", f.name));
                }
                for r in rules::all()
                    .iter()
                    .filter(|r| r.control == c.id && r.feature.is_none())
                {
                    s.push_str(&format!("  + {} ({})\n", r.title, r.id));
                }
            }
            s
        }
    };
    write_output(None, &text)?;
    Ok(0)
}

fn run_policies(args: &RulesArgs) -> anyhow::Result<i32> {
    use crate::policy::{Evaluability, PolicyEngine};
    let engine = PolicyEngine::builtin();
    let rule_of = |guid: &str| {
        rules::all()
            .iter()
            .find(|r| r.policy().is_some_and(|g| g.eq_ignore_ascii_case(guid)))
            .map(|r| r.id)
    };
    let rows: Vec<(String, &str, String, Option<&str>, String)> = engine
        .definitions()
        .iter()
        .map(|d| {
            let evaluable = match &d.evaluable {
                Evaluability::Evaluable => "evaluable".to_string(),
                Evaluability::DataPlane { reason } => format!("not evaluable offline: {reason}"),
                Evaluability::CompileError { message } => format!("not evaluable: {message}"),
            };
            (
                d.name.clone(),
                d.mode.as_str(),
                d.display_name.clone(),
                rule_of(&d.name),
                evaluable,
            )
        })
        .collect();
    let text = match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(name, mode, title, rule, evaluable)| {
                    serde_json::json!({
                        "policy": name, "mode": mode, "display_name": title,
                        "rule": rule, "evaluable": evaluable == "evaluable",
                        "note": if evaluable == "evaluable" { None } else { Some(evaluable) },
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list)?;
            s.push('\n');
            s
        }
        Format::Text => {
            let mut s = String::new();
            for (name, mode, title, rule, evaluable) in &rows {
                let how = match rule {
                    Some(id) if evaluable == "evaluable" => id.to_string(),
                    _ => evaluable.clone(),
                };
                s.push_str(&format!(
                    "{}  {:<32} {title}\n      {how}\n",
                    &name[..8.min(name.len())],
                    mode
                ));
            }
            s
        }
    };
    write_output(None, &text)?;
    Ok(0)
}

fn run_policy_test(args: &PolicyTestArgs) -> anyhow::Result<i32> {
    let aliases = match &args.aliases {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => Some((p.display().to_string(), t)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return Ok(2);
            }
        },
        None => None,
    };
    let run = aml_policytest::run(
        &args.dir,
        aliases.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
        &crate::policies::case_resources,
    );
    let text = match args.format {
        TestFormat::Text => aml_policytest::render_text(&run),
        TestFormat::Junit => aml_policytest::render_junit(&run),
    };
    write_output(args.output.as_ref(), &text)?;
    if args.output.is_some() || args.format == TestFormat::Junit {
        for e in &run.errors {
            eprintln!("error: {e}");
        }
    }
    Ok(run.exit_code())
}

fn run_explain(args: &ExplainArgs) -> anyhow::Result<i32> {
    let Some(rule) = rules::find(&args.rule) else {
        eprintln!(
            "error: no rule is named '{}' (see `aml-baseline rules`)",
            args.rule
        );
        return Ok(2);
    };
    write_output(None, &rules::docs::page(rule))?;
    Ok(0)
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
                        "autofix": r.autofix.as_str(),
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
                    "{:<18} {:<6} {:<5} {:<8} {:<7} {}{on}\n",
                    r.id,
                    r.kind_name(),
                    r.control,
                    r.severity.as_str(),
                    r.autofix.as_str(),
                    r.title
                ));
            }
            s
        }
    };
    write_output(None, &text)?;
    Ok(0)
}

/// Writes what `write` produces to `path`, or to standard output.
fn write_rendered(
    path: Option<&PathBuf>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write(&mut out)
                .and_then(|_| out.flush())
                .with_context(|| format!("cannot write {}", p.display()))
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = write(&mut out).and_then(|_| out.flush());
            Ok(())
        }
    }
}

fn write_output(path: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    write_rendered(path, |out| out.write_all(text.as_bytes()))
}
