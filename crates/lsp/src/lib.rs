//! The language server of aml-baseline (`aml-baseline lsp`), over stdio with
//! `lsp-server`: diagnostics for ARM JSON, Bicep, Terraform and Azure ML CLI
//! YAML documents on open, change (debounced) and save, computed with the
//! workspace as context and the unsaved text of open documents; code
//! actions (the autofixes, and an inline suppression with a reason); hover
//! with the rule's page. Only the deployment units an edit touches are
//! evaluated again. Nothing is fetched.
//!
//! The scan itself is the caller's ([`Analyzer`]): the command line passes
//! its pipeline, so this crate stays below it in the workspace's layers.

mod convert;
mod server;
pub mod text;
pub mod uri;

pub use server::{serve, Settings};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Serves on standard input and output until `shutdown` and `exit` (`Ok`),
/// or `exit` without `shutdown` or a protocol error (`Err`, with why).
pub fn serve_stdio(analyzer: &dyn Analyzer) -> Result<(), String> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let result = serve(&connection, analyzer);
    drop(connection);
    if result.is_ok() {
        // The reader has stopped at `exit` or at the end of the input.
        io_threads.join().map_err(|e| e.to_string())?;
    }
    result
}

/// What the server asks the scan for.
pub trait Analyzer {
    /// Scans `paths` (files) with `root` as the boundary, reading the texts
    /// of `overlay` instead of the files at those paths.
    fn analyze(
        &self,
        paths: &[PathBuf],
        root: &Path,
        overlay: HashMap<PathBuf, String>,
    ) -> Analysis;
    /// Whether the scan reads files like `path` (by its extension): the
    /// documents the server checks.
    fn checks(&self, path: &Path) -> bool;
    /// The files a scan of `root` would read (for the index of references).
    fn discover(&self, root: &Path) -> Vec<PathBuf>;
    /// The local files and folders `path` (with `text`) references:
    /// modules, imports, linked templates.
    fn references(&self, path: &Path, text: &str) -> Vec<PathBuf>;
    /// The path as the scan keys it (`a/./b` → `a/b`).
    fn normalize(&self, path: &Path) -> PathBuf;
}

/// A scan's run and every rule's outcome (for the unsafe fixes).
pub struct Analysis {
    pub run: aml_report::Run,
    pub outcomes: Vec<aml_rules::evaluate::Outcome>,
}
