//! The scan pipeline up to the model: discover files, read them (in
//! parallel), run every front end over them (each file parsed once) and
//! gather the resources of every deployment into one model.

use crate::boundary;
use crate::frontend::{self, arm, FrontendInput, InputFile};
use aml_model::diagnostics::{Diagnostic, Location};
pub use aml_model::input::{ScanOptions, ScanOutput};
use aml_model::source::SourceFile;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Exports of live resources (see [`aml_model::input::looks_like_live_export`])
/// may be larger: a tenant's estate in one file.
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

/// Whether a large `.json` file's first 64 KiB look like a live export.
fn large_export(path: &Path) -> bool {
    use std::io::Read;
    if !path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return false;
    }
    let mut head = vec![0u8; 64 * 1024];
    let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) else {
        return false;
    };
    head.truncate(n);
    aml_model::input::looks_like_live_export(&String::from_utf8_lossy(&head))
}

enum Read {
    Text(SourceFile),
    Skip,
    Problem(PathBuf, &'static str, String),
}

fn read_file(path: &Path, explicit: bool, overlay: &HashMap<PathBuf, String>) -> Read {
    if let Some(text) = overlay.get(path) {
        if !explicit && !frontend::worth_reading(path, text) {
            return Read::Skip;
        }
        return Read::Text(SourceFile::new(path.to_path_buf(), text.clone()));
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return Read::Problem(path.to_path_buf(), "io", e.to_string()),
    };
    if meta.len() > MAX_FILE_BYTES && (meta.len() > MAX_EXPORT_BYTES || !large_export(path)) {
        return Read::Problem(
            path.to_path_buf(),
            "file-too-large",
            format!(
                "the file is {} bytes; files over {MAX_FILE_BYTES} bytes (live exports: {MAX_EXPORT_BYTES}) are not read",
                meta.len()
            ),
        );
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Read::Problem(path.to_path_buf(), "io", e.to_string()),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // A binary or non-UTF-8 file found by walking: a `.json` that does not
        // look like a template is none of ours; a Bicep or Terraform file is.
        Err(e)
            if !explicit
                && !frontend::worth_reading(path, &String::from_utf8_lossy(e.as_bytes())) =>
        {
            return Read::Skip
        }
        Err(e) => {
            return Read::Problem(
                path.to_path_buf(),
                "not-utf8",
                format!(
                    "the file is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    if !explicit && !frontend::worth_reading(path, &text) {
        return Read::Skip;
    }
    Read::Text(SourceFile::new(path.to_path_buf(), text))
}

/// Runs discovery and the front ends.
pub fn scan(options: &ScanOptions) -> ScanOutput {
    let mut out = ScanOutput::default();
    let paths: Vec<PathBuf> = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let (found, walk_errors) = frontend::discover(&paths);
    for (path, message) in walk_errors {
        out.diagnostics.push(Diagnostic::error(
            "io",
            message,
            Location::Path(aml_model::source::display_path(&path)),
        ));
    }
    let explicit: HashSet<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| arm::template::normalize_path(p))
        .collect();
    let mut to_read: Vec<(PathBuf, bool)> = found
        .into_iter()
        .map(|p| {
            let e = explicit.contains(&p);
            (p, e)
        })
        .collect();
    // A file named on its own brings its companions (parameter files, the
    // other files of its folder for front ends that read folders).
    let mut companions: Vec<PathBuf> = explicit
        .iter()
        .flat_map(|p| frontend::companions(p))
        .filter(|c| !to_read.iter().any(|(q, _)| q == c))
        .collect();
    companions.sort();
    companions.dedup();
    to_read.extend(companions.into_iter().map(|p| (p, false)));
    // Module folders `terraform init` cached under a root module.
    let read_so_far: Vec<PathBuf> = to_read.iter().map(|(p, _)| p.clone()).collect();
    let cached: Vec<PathBuf> = frontend::cached_files(&read_so_far)
        .into_iter()
        .filter(|c| !to_read.iter().any(|(q, _)| q == c))
        .collect();
    to_read.extend(cached.into_iter().map(|p| (p, false)));
    let mut extra_explicit: Vec<PathBuf> = options.parameters.iter().cloned().collect();
    extra_explicit.extend(options.terraform_var_files.iter().cloned());
    for p in extra_explicit
        .iter()
        .map(|p| arm::template::normalize_path(p))
    {
        if !to_read.iter().any(|(q, _)| *q == p) {
            to_read.push((p, true));
        }
    }

    // Read in parallel; ids follow the discovery order, so output is stable.
    let read: Vec<(Read, bool)> = to_read
        .par_iter()
        .map(|(p, e)| (read_file(p, *e, &options.overlay), *e))
        .collect();
    let mut inputs = Vec::new();
    for (r, explicit) in read {
        match r {
            Read::Text(f) => inputs.push(InputFile {
                id: out.sources.add(f),
                explicit,
            }),
            Read::Skip => {}
            Read::Problem(path, code, message) => out.diagnostics.push(Diagnostic::error(
                code,
                message,
                Location::Path(aml_model::source::display_path(&path)),
            )),
        }
    }

    // Local modules, imports and linked templates the files reference,
    // inside the boundary of the path they were found under.
    let boundaries: Vec<PathBuf> = paths
        .iter()
        .map(|p| boundary::of(p, options.root.as_deref()))
        .collect();
    let mut known: HashSet<PathBuf> = to_read.iter().map(|(p, _)| p.clone()).collect();
    let start: Vec<_> = inputs.iter().map(|i: &InputFile| i.id).collect();
    let mut problems = Vec::new();
    let pulled = boundary::pull_in(
        &mut out.sources,
        &start,
        &boundaries,
        &mut known,
        |p| match read_file(p, false, &options.overlay) {
            Read::Text(f) => Some(f),
            Read::Skip => None,
            Read::Problem(path, code, message) => {
                problems.push(Diagnostic::error(
                    code,
                    message,
                    Location::Path(aml_model::source::display_path(&path)),
                ));
                None
            }
        },
        &mut out.diagnostics,
    );
    out.diagnostics.extend(problems);
    inputs.extend(pulled.into_iter().map(|id| InputFile {
        id,
        explicit: false,
    }));

    let root_dir = boundary::common(&boundaries);
    let input = FrontendInput {
        sources: &out.sources,
        files: &inputs,
        options,
        root_dir: root_dir.as_deref(),
    };
    let outputs = frontend::run_all(&input);
    let mut deployments = Vec::new();
    for o in outputs {
        out.files.extend(o.files);
        out.diagnostics.extend(o.diagnostics);
        out.model.azure_verdicts.extend(o.azure_verdicts);
        deployments.extend(o.deployments);
    }
    // One deployment per entry file, in file order.
    deployments.sort_by_key(|d| d.entry);
    // Secrets are kept once each, in first-seen order.
    let mut seen_secrets: HashSet<String> = HashSet::new();
    for (index, d) in deployments.into_iter().enumerate() {
        out.diagnostics.extend(d.diagnostics);
        out.model
            .resources
            .extend(d.resources.into_iter().map(|mut r| {
                r.deployment = index as u32;
                r
            }));
        for (name, span) in d.secure_defaults {
            out.model
                .secure_defaults
                .push(aml_model::model::SecureDefault {
                    deployment: index as u32,
                    name,
                    span,
                });
        }
        for s in d.secrets {
            if seen_secrets.insert(s.clone()) {
                out.model.protected_secrets.push(s.clone());
                out.model.secrets.push(s);
            }
        }
    }
    out.files.sort_by_key(|f| f.file);
    out.model.link_private_endpoints();
    out.model.mark_service_reported();
    out.model.collect_inline_credentials();
    out
}
