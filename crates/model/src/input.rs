//! The contract between the scan and the front ends: what every front end is
//! given (the files read, the scan's options) and what it returns (the
//! resources of each deployment, the files it read, diagnostics), and the
//! model of a whole scan that the evaluation and the report read.

use crate::context::{DeploymentContext, Limits};
use crate::diagnostics::Diagnostic;
use crate::model::{Model, Resource};
use crate::source::{FileId, SourceMap};
use std::path::{Path, PathBuf};

/// What to scan and how.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Files and folders to scan.
    pub paths: Vec<PathBuf>,
    /// A parameter file for every template scanned (`--parameters`).
    pub parameters: Option<PathBuf>,
    /// Terraform variables given on the command line (`--var NAME=VALUE`), in order.
    pub terraform_vars: Vec<(String, String)>,
    /// Terraform variable files given on the command line (`--var-file FILE`), in order.
    pub terraform_var_files: Vec<PathBuf>,
    /// The workspace of Azure ML CLI YAML entities (computes, endpoints,
    /// datastores, connections...) with no workspace YAML beside them (`--workspace`).
    pub workspace: Option<String>,
    /// Limits on loops, nesting and resources.
    pub limits: Limits,
    /// The deployment context templates are evaluated in.
    pub context: DeploymentContext,
    /// The folder outside which nothing is read (`--root`); by default each
    /// scanned path's enclosing git work tree, else the current directory
    /// when it holds the path, else the path itself.
    pub root: Option<PathBuf>,
    /// Texts read instead of the files at these paths (the unsaved documents
    /// of an editor, for `aml-baseline lsp`), by normalized path.
    pub overlay: std::sync::Arc<std::collections::HashMap<PathBuf, String>>,
}

/// The model of everything scanned, with the files and diagnostics.
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub sources: SourceMap,
    pub files: Vec<ScannedFile>,
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

/// A file the scan read, for the front ends.
#[derive(Clone, Copy, Debug)]
pub struct InputFile {
    pub id: FileId,
    /// Named on the command line (not found by walking a folder).
    pub explicit: bool,
}

/// What every front end gets: all files read, and the scan's options.
pub struct FrontendInput<'a> {
    pub sources: &'a SourceMap,
    pub files: &'a [InputFile],
    pub options: &'a ScanOptions,
    /// Linked templates and local modules are only followed inside this folder.
    pub root_dir: Option<&'a Path>,
}

/// One input file and what was read from it.
#[derive(Clone, Debug)]
pub struct ScannedFile {
    pub file: FileId,
    /// `arm`, `arm-parameters`, ...
    pub format: &'static str,
    /// Resources the file contributed to the model (entry files only).
    pub resources: usize,
    /// The parameter file used with this template, if any.
    pub parameters: Option<FileId>,
}

/// The resources of one deployment (one entry file and what it pulls in).
#[derive(Debug, Default)]
pub struct DeploymentOutput {
    pub entry: FileId,
    pub resources: Vec<Resource>,
    /// Secret values met (secure parameters), to redact from every output.
    pub secrets: Vec<String>,
    /// Secure parameters given a literal default (name, span of the default).
    pub secure_defaults: Vec<(String, crate::source::Span)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a front end produced.
#[derive(Debug, Default)]
pub struct FrontendOutput {
    pub deployments: Vec<DeploymentOutput>,
    pub files: Vec<ScannedFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Azure's own verdicts read from live exports (policy states, Defender assessments).
    pub azure_verdicts: Vec<crate::model::AzureVerdict>,
}

/// The first 4 KiB of `text` (at a character boundary).
fn head(text: &str) -> &str {
    &text[..text
        .char_indices()
        .map(|(i, _)| i)
        .take_while(|i| *i <= 4096)
        .last()
        .unwrap_or(0)]
}

/// A cheap look at the text: a Terraform plan (`terraform show -json`) has `format_version` and
/// `planned_values` or `resource_changes`.
pub fn looks_like_plan(text: &str) -> bool {
    let head = head(text);
    (head.contains("\"format_version\"") || text.contains("\"format_version\""))
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
        && !head.contains("deploymentTemplate.json")
}

/// A cheap look at the text: could this JSON be an export of live resources
/// (Resource Graph, ARM REST, `az resource`, `az ml ... show`, a resource
/// list)? It names a resource `type` (or an Azure ML id) and an id or `ResourceId`, and is no deployment template,
/// parameter file or Terraform plan. The live front end decides by shape.
pub fn looks_like_live_export(text: &str) -> bool {
    let head = head(text);
    let lower_head = head.to_ascii_lowercase();
    !lower_head.contains("deploymenttemplate.json")
        && !lower_head.contains("deploymentparameters.json")
        && (text.contains("\"type\"")
            || text.contains("/providers/Microsoft.MachineLearningServices/")
            || text.contains("/providers/microsoft.machinelearningservices/"))
        && (text.contains("\"/subscriptions/") || text.contains("\"ResourceId\""))
        && !looks_like_plan(text)
}
