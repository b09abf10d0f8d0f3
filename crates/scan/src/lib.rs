//! The scan stage and the pipeline that joins the stages:
//!
//! ```text
//! paths ──> discover ──> read (once) ──> claim ──> front ends ──> units ──> model
//!                                                  (Frontend)
//! model ──> evaluation (policy + rules) ──> fixes ──> report
//! ```
//!
//! - [`frontends`]: the one list of front ends ([`Frontend`] implementations,
//!   one per input crate) and discovery.
//! - [`scan`]: reads the files, the scan [`boundary`], dispatch, and the model
//!   of everything scanned ([`scan::scan`]).
//! - [`pipeline`]: configuration ([`config`]), the user's policy
//!   ([`policies`]), evaluation, fixes ([`autofix`]) and the report
//!   ([`pipeline::run`]).
//! - [`fix`] (the `fix` command's plan) and [`drift`] (code against live).
//! - [`verify`]: Azure's own answer beside each predicted denial
//!   (`scan --verify-online`), asked through a [`verify::Verifier`].

pub mod autofix;
pub mod boundary;
pub mod config;
pub mod drift;
pub mod fix;
pub mod frontends;
pub mod pipeline;
pub mod policies;
pub mod progress;
pub mod scan;
pub mod verify;

pub use aml_model::input::{Frontend, ScanOutput};
pub use pipeline::{run, AssumeUnknown, Settings};

use aml_model::context::{DeploymentContext, Limits};
use std::path::PathBuf;

/// What to scan and how: the paths, the settings every front end shares and
/// those of each front end (handed to it by [`frontends::all`]).
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Files and folders to scan.
    pub paths: Vec<PathBuf>,
    /// A parameter file for every ARM template and Bicep entry point (`--parameters`).
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
    /// Called when discovery finds the first file a front end reads (on a
    /// thread of the walk; it may be called more than once): the pipeline
    /// starts loading the policy engine then, beside the walk and the reads.
    pub on_first_input: Option<fn()>,
}
