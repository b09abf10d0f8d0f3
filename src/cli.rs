//! The command line's definition (clap): the commands, their arguments, and
//! the input options every command that reads files shares ([`InputArgs`]).
//! Parsing has no side effects; `commands` runs what was parsed.

use aml_report::render::OutputFormat;
use aml_scan::pipeline::AssumeUnknown;
use aml_scan::ScanOptions;
use clap::builder::PossibleValue;
use clap::{Parser, Subcommand, ValueEnum};
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
    Rules(ListArgs),
    /// Print the baseline's controls and features, and which rules cover each
    /// (`--format oscal-catalog`: as a NIST OSCAL 1.1.3 catalog).
    Baseline(BaselineArgs),
    /// Run the language server on standard input and output (LSP): diagnostics,
    /// fixes and rule pages in the editor for ARM JSON, Bicep, Terraform and CLI YAML.
    Lsp,
    /// List the Azure Policy definitions and initiatives shipped in the
    /// binary: the rule that runs each, that an assignment runs it, or why it
    /// cannot be evaluated offline (data-plane modes). The same as `policy list`.
    Policies(ListArgs),
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
    /// List the Azure Policy definitions and initiatives shipped in the binary (as `policies`).
    List(ListArgs),
}

/// How the files are read: the options of every command that reads files
/// (`scan`, `fix`, `model`, `drift`), turned into [`ScanOptions`] by
/// [`InputArgs::scan_options`].
#[derive(Clone, Debug, Default, clap::Args)]
pub struct InputArgs {
    /// A deployment parameter file to use with every template and Bicep entry
    /// point (otherwise `<name>.parameters.json` beside each).
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
}

impl InputArgs {
    /// The scan options for `paths` read this way.
    pub fn scan_options(&self, paths: Vec<PathBuf>) -> ScanOptions {
        ScanOptions {
            paths,
            parameters: self.parameters.clone(),
            terraform_vars: self.vars.clone(),
            terraform_var_files: self.var_files.clone(),
            workspace: self.workspace.clone(),
            root: self.root.clone(),
            ..Default::default()
        }
    }
}

/// The rules and configuration a run uses (`scan`, `fix`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RuleArgs {
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
    /// Fix only this rule (id, policy GUID or its first 8 hex digits; repeatable);
    /// with `--policies`/`--assignments`, also the name of one of your definitions.
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// Print the diffs and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also apply unsafe fixes, which can break a working deployment
    /// (isolation mode `AllowOnlyApprovedOutbound` without the outbound rules a workspace needs).
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rule_args: RuleArgs,
    #[command(flatten)]
    pub policy: FixPolicyArgs,
}

/// The organisation's policy a fix must respect: the values written are
/// ones every enforced assignment allows (as `scan` reads them).
#[derive(Debug, clap::Args)]
pub struct FixPolicyArgs {
    /// A folder (or file) of your own Azure Policy definitions and
    /// initiatives (as for `scan`).
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Your policy assignments and exemptions (as for `scan`; repeatable):
    /// a fix writes only values every enforced assignment allows, and says
    /// which assignments conflict when none does.
    #[arg(long, value_name = "FILE")]
    pub assignments: Vec<PathBuf>,
    /// Where the files would be deployed (as for `scan`).
    #[arg(long, value_name = "SCOPE", value_parser = parse_scope)]
    pub deployment_scope: Option<aml_policy::DeploymentScope>,
    /// An alias export extending the shipped alias catalogue (as for `scan`).
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,
    /// Ask Azure Policy's `checkPolicyRestrictions` (as `scan
    /// --verify-online` does): a fix then also writes only values Azure
    /// allows, and shows the values it allows per field.
    #[cfg(feature = "collect")]
    #[arg(long, requires = "assignments")]
    pub verify_online: bool,
}

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// Files and folders to read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// A `--format` of `scan`: one of the report crate's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatArg(pub OutputFormat);

impl ValueEnum for FormatArg {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [FormatArg; 8] = [
            FormatArg(OutputFormat::ALL[0]),
            FormatArg(OutputFormat::ALL[1]),
            FormatArg(OutputFormat::ALL[2]),
            FormatArg(OutputFormat::ALL[3]),
            FormatArg(OutputFormat::ALL[4]),
            FormatArg(OutputFormat::ALL[5]),
            FormatArg(OutputFormat::ALL[6]),
            FormatArg(OutputFormat::ALL[7]),
        ];
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()).help(self.0.description()))
    }
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders to scan.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format (default `text`). Repeat it for several reports from
    /// one scan; each `--output` writes the `--format` given just before it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<FormatArg>,
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
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rule_args: RuleArgs,
    /// How to count results the files do not decide: report them as
    /// `unknown` (default), or treat them as `fail` or `pass`.
    #[arg(long, value_enum, default_value_t = Assume::Unknown, value_name = "AS")]
    pub assume_unknown: Assume,
    /// The date attestation and waiver expiries are compared with (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub today: Option<aml_scan::config::Date>,
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
    pub deployment_scope: Option<aml_policy::DeploymentScope>,
    /// An alias export (`az provider list --expand resourceTypes/aliases`)
    /// extending the shipped alias catalogue, for definitions on other types.
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,
    /// Accept a partial live export (parts `collect` could not read, one
    /// page of a larger result): its gaps are warnings and unknown results
    /// instead of errors.
    #[arg(long)]
    pub allow_partial: bool,
    /// Collect the live estate from Azure first (as `aml-baseline collect`
    /// does, with the options below) and scan it with the paths given.
    #[cfg(feature = "collect")]
    #[arg(long)]
    pub live: bool,
    /// With `--live`: keep the export in this file (default: a temporary file, removed after the scan).
    #[cfg(feature = "collect")]
    #[arg(long, value_name = "FILE", requires = "live")]
    pub live_output: Option<PathBuf>,
    /// Ask Azure Policy's `checkPolicyRestrictions` about every resource
    /// whose denial an `--assignments` deny predicted or ruled out, and list
    /// every disagreement beside our verdict, with the values Azure allows
    /// per field (signs in and retries as `collect` does: `--timeout`,
    /// `--retries`, `--deadline`, `--concurrency`).
    #[cfg(feature = "collect")]
    #[arg(long, requires = "assignments")]
    pub verify_online: bool,
    #[cfg(feature = "collect")]
    #[command(flatten)]
    pub live_args: crate::commands::collect::LiveArgs,
}

/// `collect`: the live estate from Azure into an export file.
#[cfg(feature = "collect")]
#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// Write the export to this file (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 0 even when parts of the estate could not be read (they are
    /// listed in the export's `incomplete` section either way).
    #[arg(long)]
    pub allow_partial: bool,
    #[command(flatten)]
    pub live: crate::commands::collect::LiveArgs,
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
    /// How the code is read.
    #[command(flatten)]
    pub input: InputArgs,
    /// `text` (default) or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_scope(s: &str) -> Result<aml_policy::DeploymentScope, String> {
    aml_policy::DeploymentScope::parse(s)
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

impl From<FailOnArg> for aml_report::FailOn {
    fn from(a: FailOnArg) -> Self {
        match a {
            FailOnArg::Critical => aml_report::FailOn::Critical,
            FailOnArg::High => aml_report::FailOn::High,
            FailOnArg::Medium => aml_report::FailOn::Medium,
            FailOnArg::Low => aml_report::FailOn::Low,
            FailOnArg::Unknown => aml_report::FailOn::Unknown,
        }
    }
}

/// `--assume-unknown` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Assume {
    Unknown,
    Fail,
    Pass,
}

impl From<Assume> for AssumeUnknown {
    fn from(a: Assume) -> Self {
        match a {
            Assume::Unknown => AssumeUnknown::Unknown,
            Assume::Fail => AssumeUnknown::Fail,
            Assume::Pass => AssumeUnknown::Pass,
        }
    }
}

fn parse_date(s: &str) -> Result<aml_scan::config::Date, String> {
    aml_scan::config::Date::parse(s)
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

/// The arguments of the listings (`rules`, `baseline`, `policies`).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `baseline`.
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

/// Output formats of the listings and `drift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}
