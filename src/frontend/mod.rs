//! Front ends: one per input format, each turning files into model resources.
//!
//! Today: ARM deployment templates (`.json`, `.jsonc`) with their parameter
//! files. Discovery ([`discover`]) walks the given paths, honouring
//! `.gitignore`, and keeps the files some front end may read.

pub mod arm;

use std::path::{Path, PathBuf};

/// Extensions a front end may read.
const EXTENSIONS: &[&str] = &["json", "jsonc"];

/// Walks `paths` (files and folders) and returns the candidate input files,
/// sorted, without duplicates. Files named explicitly are kept whatever their
/// extension. Errors (unreadable folders, missing paths) are returned beside.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if root.is_file() {
            files.push(arm::template::normalize_path(root));
            continue;
        }
        if !root.exists() {
            errors.push((root.clone(), "no such file or folder".to_string()));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .max_depth(Some(64))
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) && has_known_extension(e.path()) {
                        files.push(arm::template::normalize_path(e.path()));
                    }
                }
                Err(err) => {
                    let path = match &err {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => root.clone(),
                    };
                    errors.push((path, err.to_string()));
                }
            }
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

fn has_known_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
}
