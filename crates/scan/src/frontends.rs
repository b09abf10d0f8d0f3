//! The front ends, one per input format, each its own crate implementing
//! [`Frontend`]: ARM deployment templates (`aml-arm`), Bicep (`aml-bicep`),
//! Terraform (`aml-terraform`), Azure ML CLI v2 YAML (`aml-yaml`), live
//! exports (`aml-live`) and `bicep snapshot` files (`aml-snapshot`). [`all`] is the one list: a new input format is a crate
//! and a line there. Discovery ([`discover`]) walks the given paths, honouring
//! `.gitignore`, and keeps the files whose extension some front end reads.

pub use aml_arm as arm;
pub use aml_bicep as bicep;
pub use aml_live as live;
pub use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, InputFile,
    ScannedFile, UnitSink,
};
pub use aml_snapshot as snapshot;
pub use aml_terraform as terraform;
pub use aml_yaml as yaml;

use crate::ScanOptions;
use std::path::{Path, PathBuf};

/// Every front end, with the settings `options` gives each. The order is the
/// order their files and diagnostics are reported in.
pub fn all(options: &ScanOptions) -> Vec<Box<dyn Frontend>> {
    vec![
        Box::new(arm::Arm::new(arm::ArmOptions {
            parameters: options.parameters.clone(),
        })),
        Box::new(bicep::Bicep::new(bicep::BicepOptions {
            parameters: options.parameters.clone(),
        })),
        Box::new(terraform::Terraform::new(terraform::TerraformOptions {
            vars: options.terraform_vars.clone(),
            var_files: options.terraform_var_files.clone(),
        })),
        Box::new(yaml::Yaml::new(yaml::YamlOptions {
            workspace: options.workspace.clone(),
        })),
        Box::new(live::Live),
        Box::new(snapshot::Snapshot),
    ]
}

/// The front ends a file is given to: those that claim it [`Claim::Yes`],
/// else those that take it as a [`Claim::Fallback`] (by index into `all`).
pub fn owners(frontends: &[Box<dyn Frontend>], file: &Candidate<'_>) -> Vec<usize> {
    let claims: Vec<Claim> = frontends.iter().map(|f| f.claim(file)).collect();
    let best = claims.iter().copied().max().unwrap_or(Claim::No);
    if best == Claim::No {
        return Vec::new();
    }
    (0..claims.len()).filter(|&i| claims[i] == best).collect()
}

/// Whether a file found by walking a folder is worth reading: some front end
/// claims it (a cheap look at its name and first bytes).
pub fn worth_reading(frontends: &[Box<dyn Frontend>], path: &Path, text: &str) -> bool {
    let file = Candidate {
        path,
        text,
        explicit: false,
    };
    frontends.iter().any(|f| f.claim(&file) != Claim::No)
}

/// Files that come with a file named on the command line (parameter files,
/// the other files of its Terraform module, the workspace YAML beside it).
pub fn companions(frontends: &[Box<dyn Frontend>], path: &Path) -> Vec<PathBuf> {
    reading(frontends, path)
        .flat_map(|f| f.companions(path))
        .collect()
}

/// The front ends that read files with `path`'s extension.
fn reading<'f>(
    frontends: &'f [Box<dyn Frontend>],
    path: &'f Path,
) -> impl Iterator<Item = &'f Box<dyn Frontend>> + 'f {
    frontends
        .iter()
        .filter(move |f| aml_model::input::has_extension(path, f.extensions()))
}

/// The local files and folders a file references (Terraform module folders,
/// Bicep modules and imports, ARM linked templates), for
/// [`crate::boundary::pull_in`].
pub fn local_references(frontends: &[Box<dyn Frontend>], path: &Path, text: &str) -> Vec<PathBuf> {
    reading(frontends, path)
        .flat_map(|f| f.local_references(path, text))
        .collect()
}

/// Hidden files that come with those found (Terraform's `.terraform/modules`).
pub fn cached_files(frontends: &[Box<dyn Frontend>], found: &[PathBuf]) -> Vec<PathBuf> {
    frontends
        .iter()
        .flat_map(|f| f.cached_files(found))
        .collect()
}

/// What walking the scanned paths found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Candidate input files, sorted, without duplicates.
    pub files: Vec<PathBuf>,
    /// Files found whose extension no front end reads, with why they are skipped.
    pub skipped: Vec<(PathBuf, String)>,
    /// Unreadable folders, missing paths.
    pub errors: Vec<(PathBuf, String)>,
}

/// Sorts paths with a message by path, then message (as a tuple sort does).
fn sort_found(found: &mut [(PathBuf, String)]) {
    found.sort_by(|a, b| a.1.cmp(&b.1));
    aml_model::source::sort_paths(found, |(p, _)| p.as_path());
}

/// Walks `paths` (files and folders): files named explicitly are candidates
/// whatever their extension, files found in folders when some front end
/// reads their extension (the others are skipped, and said so).
pub fn discover(
    frontends: &[Box<dyn Frontend>],
    paths: &[PathBuf],
    on_first_input: Option<fn()>,
) -> Discovered {
    let found_one = std::sync::atomic::AtomicBool::new(false);
    let first_input = || {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(hook) = on_first_input {
            // A read per file; the write (shared by the walk's threads) once.
            if !found_one.load(Relaxed) && !found_one.swap(true, Relaxed) {
                hook();
            }
        }
    };
    let mut skipped = Vec::new();
    let extensions: Vec<&str> = frontends
        .iter()
        .flat_map(|f| f.extensions())
        .copied()
        .collect();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if root.is_file() {
            first_input();
            files.push(arm::template::normalize_path(root));
            continue;
        }
        if !root.exists() {
            errors.push((root.clone(), "no such file or folder".to_string()));
            continue;
        }
        // Folders are walked in parallel; what is found is sorted below.
        let found = std::sync::Mutex::new((Vec::new(), Vec::new(), Vec::new()));
        ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .max_depth(Some(64))
            .build_parallel()
            .run(|| {
                let found = &found;
                let extensions = &extensions;
                let first_input = &first_input;
                Box::new(move |entry| {
                    enum Seen {
                        File(PathBuf),
                        Skipped(PathBuf, String),
                        Errors(Vec<(PathBuf, String)>),
                    }
                    let seen = match entry {
                        Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                            let path = arm::template::normalize_path(e.path());
                            if aml_model::input::has_extension(&path, extensions) {
                                first_input();
                                Seen::File(path)
                            } else {
                                let why = not_read(e.path());
                                Seen::Skipped(path, why)
                            }
                        }
                        Ok(e) if e.path_is_symlink() && e.depth() > 0 => {
                            let known = aml_model::input::has_extension(e.path(), extensions);
                            Seen::Errors(
                                aml_model::input::skipped_link(e.path(), known)
                                    .into_iter()
                                    .collect(),
                            )
                        }
                        Ok(_) => return ignore::WalkState::Continue,
                        Err(err) => {
                            let path = match &err {
                                ignore::Error::WithPath { path, .. } => path.clone(),
                                _ => root.clone(),
                            };
                            Seen::Errors(vec![(path, err.to_string())])
                        }
                    };
                    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                    let (files, skipped, errors) = &mut *found;
                    match seen {
                        Seen::File(p) => files.push(p),
                        Seen::Skipped(p, why) => skipped.push((p, why)),
                        Seen::Errors(e) => errors.extend(e),
                    }
                    ignore::WalkState::Continue
                })
            });
        let (f, s, mut e) = found.into_inner().unwrap_or_else(|e| e.into_inner());
        files.extend(f);
        skipped.extend(s);
        // In path order, whatever order the threads found them in.
        sort_found(&mut e);
        errors.extend(e);
    }
    aml_model::source::sort_paths(&mut files, |p| p.as_path());
    files.dedup();
    sort_found(&mut skipped);
    skipped.dedup();
    Discovered {
        files,
        skipped,
        errors,
    }
}

/// Why a file found by walking is not read: its extension.
fn not_read(path: &Path) -> String {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("not an Azure input: no front end reads `.{ext}` files"),
        None => "not an Azure input: no front end reads files without an extension".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        CALLS.fetch_add(1, Ordering::Relaxed);
    }

    /// The hook runs once when the walk finds inputs, and not at all when it
    /// finds none (an empty scan never loads the policy engine).
    #[test]
    fn the_first_input_hook_runs_once_and_only_when_an_input_is_found() {
        let frontends = all(&crate::ScanOptions::default());
        let empty = tempfile::tempdir().unwrap();
        std::fs::write(empty.path().join("notes.txt"), "not an input").unwrap();
        let found = discover(&frontends, &[empty.path().to_path_buf()], Some(count));
        assert!(found.files.is_empty());
        assert_eq!(CALLS.load(Ordering::Relaxed), 0);

        let full = tempfile::tempdir().unwrap();
        for (dir, name) in [
            ("a", "main.bicep"),
            ("b", "main.tf"),
            ("c", "azuredeploy.json"),
        ] {
            std::fs::create_dir(full.path().join(dir)).unwrap();
            std::fs::write(full.path().join(dir).join(name), "").unwrap();
        }
        let found = discover(&frontends, &[full.path().to_path_buf()], Some(count));
        assert_eq!(found.files.len(), 3);
        assert_eq!(CALLS.load(Ordering::Relaxed), 1);

        let file = full.path().join("a/main.bicep");
        discover(&frontends, &[file], Some(count));
        assert_eq!(CALLS.load(Ordering::Relaxed), 2, "a file named on its own");
    }
}
