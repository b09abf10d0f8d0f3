//! The scan pipeline up to the model: discover files, read them (in
//! parallel), run every front end over them (each file parsed once) and
//! gather the resources of every deployment into one model.

use crate::boundary;
use crate::frontends::{self, arm, Candidate, Frontend, FrontendInput, InputFile};
pub use crate::ScanOptions;
use aml_model::diagnostics::{Diagnostic, Location};
pub use aml_model::input::ScanOutput;
use aml_model::input::{CollectUnits, DeploymentOutput};
use aml_model::source::{SourceFile, SourceMap};
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

/// The files the scan reads instead of the disk's (an editor's unsaved documents).
type Overlay = HashMap<PathBuf, String>;

fn read_file(
    frontends: &[Box<dyn Frontend>],
    path: &Path,
    explicit: bool,
    overlay: &Overlay,
) -> Read {
    if let Some(text) = overlay.get(path) {
        if !explicit && !frontends::worth_reading(frontends, path, text) {
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
                && !frontends::worth_reading(
                    frontends,
                    path,
                    &String::from_utf8_lossy(e.as_bytes()),
                ) =>
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
    if !explicit && !frontends::worth_reading(frontends, path, &text) {
        return Read::Skip;
    }
    Read::Text(SourceFile::new(path.to_path_buf(), text))
}

/// Runs discovery and the front ends.
pub fn scan(options: &ScanOptions) -> ScanOutput {
    let frontends = frontends::all(options);
    let mut out = ScanOutput::default();
    let paths: Vec<PathBuf> = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let to_read = files_to_read(&frontends, &paths, &mut out.diagnostics);
    let mut inputs = read_all(&frontends, &to_read, &options.overlay, &mut out);

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
        |path, text| frontends::local_references(&frontends, path, text),
        |p| match read_file(&frontends, p, false, &options.overlay) {
            Read::Text(f) => Some(f),
            Read::Skip => None,
            Read::Problem(path, code, message) => {
                problems.push(problem(&path, code, message));
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
    let units = run_frontends(&frontends, options, &inputs, root_dir.as_deref(), &mut out);
    gather(units, &mut out);
    out
}

fn problem(path: &Path, code: &'static str, message: String) -> Diagnostic {
    Diagnostic::error(
        code,
        message,
        Location::Path(aml_model::source::display_path(path)),
    )
}

/// The files to read, in order, each with whether it counts as named on the
/// command line: those discovery found, the companions of files named alone,
/// module caches, and the files the front ends' options name.
fn files_to_read(
    frontends: &[Box<dyn Frontend>],
    paths: &[PathBuf],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, bool)> {
    let (found, walk_errors) = frontends::discover(frontends, paths);
    for (path, message) in walk_errors {
        diagnostics.push(Diagnostic::error(
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
        .flat_map(|p| frontends::companions(frontends, p))
        .filter(|c| !to_read.iter().any(|(q, _)| q == c))
        .collect();
    companions.sort();
    companions.dedup();
    to_read.extend(companions.into_iter().map(|p| (p, false)));
    // Module folders `terraform init` cached under a root module.
    let read_so_far: Vec<PathBuf> = to_read.iter().map(|(p, _)| p.clone()).collect();
    let cached: Vec<PathBuf> = frontends::cached_files(frontends, &read_so_far)
        .into_iter()
        .filter(|c| !to_read.iter().any(|(q, _)| q == c))
        .collect();
    to_read.extend(cached.into_iter().map(|p| (p, false)));
    let mut option_files: Vec<PathBuf> = Vec::new();
    for p in frontends.iter().flat_map(|f| f.option_files()) {
        if !option_files.contains(&p) {
            option_files.push(p);
        }
    }
    for p in option_files
        .iter()
        .map(|p| arm::template::normalize_path(p))
    {
        if !to_read.iter().any(|(q, _)| *q == p) {
            to_read.push((p, true));
        }
    }
    to_read
}

/// Reads the files in parallel into the source map; ids follow the order
/// given, so output is stable.
fn read_all(
    frontends: &[Box<dyn Frontend>],
    to_read: &[(PathBuf, bool)],
    overlay: &Overlay,
    out: &mut ScanOutput,
) -> Vec<InputFile> {
    let read: Vec<(Read, bool)> = to_read
        .par_iter()
        .map(|(p, e)| (read_file(frontends, p, *e, overlay), *e))
        .collect();
    let mut inputs = Vec::new();
    for (r, explicit) in read {
        match r {
            Read::Text(f) => inputs.push(InputFile {
                id: out.sources.add(f),
                explicit,
            }),
            Read::Skip => {}
            Read::Problem(path, code, message) => {
                out.diagnostics.push(problem(&path, code, message))
            }
        }
    }
    inputs
}

/// Gives each file to the front ends that claim it and runs them; returns
/// the deployment units, ordered by entry file.
fn run_frontends(
    frontends: &[Box<dyn Frontend>],
    options: &ScanOptions,
    inputs: &[InputFile],
    root_dir: Option<&Path>,
    out: &mut ScanOutput,
) -> Vec<DeploymentOutput> {
    let mut claimed: Vec<Vec<InputFile>> = vec![Vec::new(); frontends.len()];
    for f in inputs {
        let src = out.sources.get(f.id);
        let candidate = Candidate {
            path: &src.path,
            text: &src.text,
            explicit: f.explicit,
        };
        for i in frontends::owners(frontends, &candidate) {
            claimed[i].push(*f);
        }
    }
    let units = CollectUnits::default();
    let sources: &SourceMap = &out.sources;
    let outputs: Vec<_> = frontends
        .iter()
        .zip(&claimed)
        .map(|(frontend, files)| {
            let input = FrontendInput {
                sources,
                files,
                limits: &options.limits,
                context: &options.context,
                root_dir,
            };
            frontend.run(&input, &units)
        })
        .collect();
    for o in outputs {
        out.files.extend(o.files);
        out.diagnostics.extend(o.diagnostics);
        out.model.azure_verdicts.extend(o.azure_verdicts);
    }
    units.into_units()
}

/// Gathers the units into one model: resources numbered by deployment,
/// secrets kept once each in first-seen order, then the links between
/// resources made.
fn gather(deployments: Vec<DeploymentOutput>, out: &mut ScanOutput) {
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
}
