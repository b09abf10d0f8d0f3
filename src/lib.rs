//! aml-baseline: checks Azure Machine Learning infrastructure as code against the
//! *Azure security baseline for Machine Learning Service* (MCSB v1.0).
//!
//! The workspace has one crate per stage of the pipeline; this one is the
//! command line and the pipeline that joins them:
//!
//! ```text
//! files ──> front ends ──> model ──> evaluation (policy + rules) ──> report ──> renderers
//!           aml-arm        aml-model  aml-policy, aml-rules          aml-report
//!           aml-bicep
//!           aml-terraform
//!           aml-live (exports of deployed resources; `aml-collect` writes them)
//! ```
//!
//! - [`scan`] and [`frontend`]: discover and read the files, run every front
//!   end over them, gather one model.
//! - [`pipeline`]: configuration, scan, evaluation, report ([`pipeline::run`]).
//! - [`cli`]: the commands; [`config`]: `aml-baseline.toml`.
//!
//! The stages' crates are re-exported under the module names the library has
//! always had (`aml_baseline::model`, `aml_baseline::rules`, ...), so tests,
//! benches and the fuzz targets reach every stage through one crate.

pub mod autofix;
pub mod boundary;
pub mod cli;
#[cfg(feature = "collect")]
pub mod collect;
pub mod config;
pub mod drift;
pub mod fix;
pub mod frontend;
pub mod lsp;
pub mod pipeline;
pub mod policies;
pub mod progress;
pub mod scan;

pub use aml_arm::{expr, functions};
pub use aml_model::{context, diagnostics, input, json, model, redact, source, value};
pub use aml_policy as policy;
pub use aml_report as report;
pub use aml_report::{baseline, render, suppress};
pub use aml_rules as rules;
pub use aml_rules::evaluate;
