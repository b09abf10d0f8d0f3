//! Front ends: one per input format (its own crate), each turning files into
//! model resources: ARM deployment templates (`aml-arm`), Bicep (`aml-bicep`)
//! Terraform (`aml-terraform`) and Azure ML CLI v2 YAML (`aml-yaml`); [`aml_model::input`] is the contract
//! between them and the scan. Discovery ([`discover`]) walks the given paths, honouring
//! `.gitignore`, and keeps the files some front end may read; the scan reads
//! them once into a [`SourceMap`] and hands them to every front end
//! ([`run_all`]). A front end returns one [`DeploymentOutput`] per entry file
//! (an ARM template with its parameters, a Bicep entry point, a Terraform root
//! module, a live export read by `aml-live`) and a [`ScannedFile`] for every file it read.

pub use aml_arm as arm;
pub use aml_bicep as bicep;
pub use aml_live as live;
pub use aml_model::input::{
    DeploymentOutput, FrontendInput, FrontendOutput, InputFile, ScannedFile,
};
pub use aml_terraform as terraform;
pub use aml_yaml as yaml;

use std::path::{Path, PathBuf};

/// Extensions some front end may read.
const EXTENSIONS: &[&str] = &[
    "json",
    "jsonc",
    "bicep",
    "bicepparam",
    "tf",
    "tfvars",
    "yml",
    "yaml",
];

/// Runs every front end over the files read.
pub fn run_all(input: &FrontendInput<'_>) -> Vec<FrontendOutput> {
    vec![
        arm::run(input),
        bicep::run(input),
        terraform::run(input),
        yaml::run(input),
        live::run(input),
    ]
}

/// Whether a file found by walking a folder is worth reading: a cheap look at
/// its name and first bytes, so that large repositories stay fast.
pub fn worth_reading(path: &Path, text: &str) -> bool {
    bicep::wants(path)
        || terraform::wants(path)
        || terraform::modules::is_manifest(path)
        || yaml::worth_reading(path, text)
        || (arm::wants(path)
            && (arm::may_be_arm(text)
                || terraform::plan::looks_like_plan(text)
                || aml_model::input::looks_like_live_export(text)))
}

/// Files that come with a file named on the command line: the parameter
/// files beside an ARM template; for Bicep, see [`bicep::companions`].
pub fn companions(path: &Path) -> Vec<PathBuf> {
    if bicep::wants(path) {
        return bicep::companions(path);
    }
    if terraform::wants(path) {
        return terraform::companions(path);
    }
    if yaml::wants(path) {
        return yaml::companions(path);
    }
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    [
        format!("{stem}.parameters.json"),
        "azuredeploy.parameters.json".to_string(),
    ]
    .into_iter()
    .map(|n| dir.join(n))
    .filter(|p| p.is_file())
    .collect()
}

/// The local files and folders a file references (Terraform module folders,
/// Bicep modules and imports, ARM linked templates), for
/// [`crate::boundary::pull_in`].
pub fn local_references(path: &Path, text: &str) -> Vec<PathBuf> {
    if bicep::wants(path) {
        bicep::local_references(path, text)
    } else if terraform::wants(path) {
        terraform::modules::local_module_dirs(path, text)
    } else if arm::wants(path) {
        arm::linked_template_paths(path, text)
    } else {
        Vec::new()
    }
}

/// Files that come with those found: for Terraform root modules, the
/// `.terraform/modules` cache `terraform init` left (hidden, so not walked).
pub fn cached_files(found: &[PathBuf]) -> Vec<PathBuf> {
    terraform::modules::cached_module_files(found)
}

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

/// Whether some front end may read a file with this extension.
pub fn has_known_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
}
