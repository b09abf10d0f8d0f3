//! aml-baseline: checks Azure Machine Learning infrastructure as code against the
//! *Azure security baseline for Machine Learning Service* (MCSB v1.0).
//!
//! The workspace has one crate per stage of the pipeline; this one is the
//! command line only:
//!
//! ```text
//! files ──> aml-scan ──> front ends ──> model ──> evaluation ──> report ──> renderers
//!           (discovery,   aml-arm        aml-model  aml-policy    aml-report
//!            dispatch,    aml-bicep                 aml-rules
//!            pipeline)    aml-terraform
//!                         aml-yaml, aml-live
//! ```
//!
//! - [`cli`]: the clap definitions (one shared [`cli::InputArgs`]).
//! - [`commands`]: one file per command.
//!
//! The stages' crates are re-exported under the module names the library has
//! always had (`aml_baseline::pipeline`, `aml_baseline::scan`, ...), so tests,
//! benches and the fuzz targets reach every stage through one crate.

pub mod allocator;
pub mod cli;
pub mod commands;

pub use aml_arm::{expr, functions};
pub use aml_model::{context, diagnostics, input, json, model, redact, source, value};
pub use aml_policy as policy;
pub use aml_report as report;
pub use aml_report::{baseline, render, suppress};
pub use aml_rules as rules;
pub use aml_rules::evaluate;
pub use aml_scan::frontends as frontend;
pub use aml_scan::{autofix, boundary, config, drift, fix, pipeline, policies, progress, scan};
