//! aml-baseline: checks Azure Machine Learning infrastructure as code against the
//! *Azure security baseline for Machine Learning Service* (MCSB v1.0).
//!
//! The modules follow the pipeline:
//!
//! ```text
//! files ──> frontend ──> model ──> evaluate (policy + rules) ──> report ──> render
//! ```
//!
//! - [`source`] and [`diagnostics`]: files, spans, `file:line:col` messages.
//! - [`frontend`]: one front end per input format (ARM templates today), producing
//!   the [`model`]. [`expr`] and [`functions`] are the template expression
//!   language and its function library.
//! - [`model`]: the ARM resources Azure would hold after the deployment.
//! - [`policy`]: Azure Policy definitions evaluated with `regorus`.
//! - [`rules`]: the rule registry (policy-backed and native rules, mapped to controls).
//! - [`evaluate`]: runs every rule over the model, in parallel.
//! - [`report`] and [`render`]: the findings, and their text and JSON renderings.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod evaluate;
pub mod expr;
pub mod frontend;
pub mod functions;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod progress;
pub mod redact;
pub mod render;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod value;
