//! Indexes that a fix plan builds once, so that following a value to where
//! it is decided does not walk every scanned file for every failing result
//! (issue 20: that walk made fix planning grow with the square of the number
//! of Bicep and Terraform files, and kept every file's syntax tree).
//!
//! Each index is a superset of what the walk it replaces would find: the
//! callers of a module are the files whose text can hold a local module call
//! at all, parsed once (in parallel, trees dropped). The original checks
//! still run on each candidate, in file order, so the fixes are the same.

use aml_model::source::{normalize_path, FileId, SourceMap};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Files by folder, and the local module calls of Bicep and Terraform files.
#[derive(Debug, Default)]
pub(crate) struct Callers {
    /// folder → its files, in file order.
    by_dir: HashMap<PathBuf, Vec<FileId>>,
    /// Normalised path of a `.bicep` file → the `.bicep` files with a module
    /// declaration naming it, in file order.
    bicep: HashMap<PathBuf, Vec<FileId>>,
    /// Folder of a Terraform module (canonical, and normalised) → the `.tf`
    /// files with a `module` block whose local `source` names it, in file order.
    terraform: HashMap<PathBuf, Vec<FileId>>,
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e == ext)
}

/// The folder of a file, `.` for a bare name (as the Terraform fixer names it).
pub(crate) fn dir_of(p: &Path) -> PathBuf {
    let d = p.parent().unwrap_or(Path::new("."));
    if d.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        d.to_path_buf()
    }
}

/// A Terraform module folder under both names it may be compared by.
fn terraform_keys(dir: &Path) -> Vec<PathBuf> {
    let mut keys = vec![normalize_path(dir)];
    if let Ok(c) = std::fs::canonicalize(dir) {
        keys.push(c);
    }
    keys
}

impl Callers {
    /// Indexes `sources`.
    pub fn new(sources: &SourceMap) -> Callers {
        let mut by_dir: HashMap<PathBuf, Vec<FileId>> = HashMap::new();
        for (id, f) in sources.files() {
            by_dir.entry(dir_of(&f.path)).or_default().push(id);
        }
        let files: Vec<FileId> = sources.files().map(|(id, _)| id).collect();
        let calls: Vec<(FileId, Vec<(bool, PathBuf)>)> = files
            .par_iter()
            .map(|&id| (id, module_targets(sources, id)))
            .collect();
        let mut bicep: HashMap<PathBuf, Vec<FileId>> = HashMap::new();
        let mut terraform: HashMap<PathBuf, Vec<FileId>> = HashMap::new();
        for (id, targets) in calls {
            for (is_bicep, target) in targets {
                let list = if is_bicep {
                    bicep.entry(target).or_default()
                } else {
                    terraform.entry(target).or_default()
                };
                if list.last() != Some(&id) {
                    list.push(id);
                }
            }
        }
        Callers {
            by_dir,
            bicep,
            terraform,
        }
    }

    /// The files of a folder, in file order.
    pub fn in_dir(&self, dir: &Path) -> &[FileId] {
        self.by_dir.get(dir).map_or(&[], Vec::as_slice)
    }

    /// The `.bicep` files that may use `target` (normalised) as a local module.
    pub fn of_bicep(&self, target: &Path) -> &[FileId] {
        self.bicep.get(target).map_or(&[], Vec::as_slice)
    }

    /// The `.tf` files that may call the module in `dir`, in file order.
    pub fn of_terraform(&self, dir: &Path) -> Vec<FileId> {
        let mut out: Vec<FileId> = terraform_keys(dir)
            .iter()
            .filter_map(|k| self.terraform.get(k))
            .flatten()
            .copied()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The local module targets of one file: `(true, normalised .bicep path)` for
/// a Bicep module declaration, `(false, folder)` for a Terraform `module`
/// block with a `./` or `../` source (under its normalised and canonical
/// names). Files whose text cannot hold one are not parsed.
fn module_targets(sources: &SourceMap, id: FileId) -> Vec<(bool, PathBuf)> {
    let f = sources.get(id);
    // Only a Bicep or Terraform file holding `module` can call one: any
    // other is not read again.
    if !f.mentions_module() || !(has_ext(&f.path, "bicep") || has_ext(&f.path, "tf")) {
        return Vec::new();
    }
    if has_ext(&f.path, "bicep") {
        // Recorded by the Bicep front end when it parsed the file.
        if let Some(targets) = f.module_targets() {
            return targets.iter().map(|t| (true, t.clone())).collect();
        }
        let text = f.text();
        let (ast, _) = aml_bicep::parser::parse(crate::parsing(&text));
        return ast
            .decls
            .iter()
            .filter_map(|d| match &d.kind {
                aml_bicep::ast::DeclKind::Module { path: rel, .. } => {
                    Some((true, aml_bicep::modules::local_path(&f.path, rel)))
                }
                _ => None,
            })
            .collect();
    }
    if !has_ext(&f.path, "tf") {
        return Vec::new();
    }
    let text = f.text();
    // A local source is a string starting with ./ or ../, written as is or
    // through a \u escape.
    let may_be_local = ["\"./", "\"../", "\\u", "\\U"]
        .iter()
        .any(|m| text.contains(m));
    if !may_be_local {
        return Vec::new();
    }
    let Ok(body) = hcl_edit::parser::parse_body_spanned_decor(crate::parsing(&text)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in body.get_blocks("module") {
        let Some(hcl_edit::expr::Expression::String(src)) =
            m.body.get_attribute("source").map(|a| &a.value)
        else {
            continue;
        };
        let src = src.as_str();
        if src.starts_with("./") || src.starts_with("../") {
            let dir = dir_of(&f.path).join(src);
            out.extend(terraform_keys(&dir).into_iter().map(|k| (false, k)));
        }
    }
    out
}
