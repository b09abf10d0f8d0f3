//! `aml-baseline lsp`: the language server (`aml-lsp`) on standard input and
//! output, scanning with this crate's pipeline.

use crate::frontend;
use crate::pipeline::{self, Settings};
use crate::scan::ScanOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The pipeline as the language server calls it.
pub struct Pipeline;

impl aml_lsp::Analyzer for Pipeline {
    fn analyze(
        &self,
        paths: &[PathBuf],
        root: &Path,
        overlay: HashMap<PathBuf, String>,
    ) -> aml_lsp::Analysis {
        let options = ScanOptions {
            paths: paths.to_vec(),
            root: Some(root.to_path_buf()),
            overlay: std::sync::Arc::new(overlay),
            ..Default::default()
        };
        let (mut run, outcomes) = pipeline::run_with_outcomes(&options, &Settings::default());
        crate::autofix::attach(&mut run, &outcomes);
        aml_lsp::Analysis { run, outcomes }
    }

    fn checks(&self, path: &Path) -> bool {
        frontend::has_known_extension(path)
    }

    fn discover(&self, root: &Path) -> Vec<PathBuf> {
        frontend::discover(&[root.to_path_buf()]).0
    }

    fn references(&self, path: &Path, text: &str) -> Vec<PathBuf> {
        frontend::local_references(path, text)
    }

    fn normalize(&self, path: &Path) -> PathBuf {
        crate::frontend::arm::template::normalize_path(path)
    }
}

/// Serves on standard input and output until `shutdown` and `exit`; returns
/// the exit code (1 after an `exit` without `shutdown`, as LSP asks).
pub fn run() -> anyhow::Result<i32> {
    // Nothing but JSON-RPC may reach standard output; no progress line on
    // standard error either.
    std::env::set_var("AML_BASELINE_PROGRESS", "0");
    match aml_lsp::serve_stdio(&Pipeline) {
        Ok(()) => Ok(0),
        Err(message) => {
            eprintln!("aml-baseline lsp: {message}");
            Ok(1)
        }
    }
}
