//! `aml-baseline lsp`: the language server (`aml-lsp`) on standard input and
//! output, scanning with the pipeline of `aml-scan`.

use aml_scan::pipeline::{self, Settings};
use aml_scan::{frontends, ScanOptions};
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
        let (run, outcomes) = pipeline::run_with_outcomes(&options, &Settings::default());
        aml_lsp::Analysis { run, outcomes }
    }

    fn checks(&self, path: &Path) -> bool {
        let all = frontends::all(&ScanOptions::default());
        let extensions: Vec<&str> = all.iter().flat_map(|f| f.extensions()).copied().collect();
        aml_model::input::has_extension(path, &extensions)
    }

    fn discover(&self, root: &Path) -> Vec<PathBuf> {
        let all = frontends::all(&ScanOptions::default());
        frontends::discover(&all, &[root.to_path_buf()], None).files
    }

    fn references(&self, path: &Path, text: &str) -> Vec<PathBuf> {
        let all = frontends::all(&ScanOptions::default());
        frontends::local_references(&all, path, text)
    }

    fn normalize(&self, path: &Path) -> PathBuf {
        frontends::arm::template::normalize_path(path)
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
