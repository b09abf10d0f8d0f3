//! The scan pipeline up to the model: discover files, read them (in
//! parallel), run every front end over them (each file parsed once) and
//! gather the resources of every deployment into one model.

use crate::boundary;
use crate::frontends::{self, arm, Candidate, Frontend, FrontendInput, InputFile};
pub use crate::ScanOptions;
use aml_model::diagnostics::{Diagnostic, Location};
pub use aml_model::input::ScanOutput;
use aml_model::input::{CollectUnits, Context, DeploymentOutput, SkippedFile};
use aml_model::source::FileId;
use aml_model::source::{SourceFile, SourceMap};
use aml_model::{FastMap as HashMap, FastSet as HashSet};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Exports of live resources (see [`aml_model::input::looks_like_live_export`])
/// may be larger: a tenant's estate in one file, as far as the memory
/// scanning it needs is available ([`aml_live::budget`]).
pub const MAX_EXPORT_BYTES: u64 = aml_live::budget::MAX_EXPORT_BYTES;

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
    /// The file, with what was learnt while its text was at hand.
    Text(SourceFile, Looked),
    /// Not an input of any front end (why).
    Skip(&'static str),
    Problem(PathBuf, &'static str, String),
}

/// What the front ends make of a file's text, found when it is read (so
/// that no later stage reads the text again for it).
struct Looked {
    /// The front ends the file is given to (indexes into [`frontends::all`]).
    owners: Vec<usize>,
    /// The local files it references ([`frontends::local_references`]).
    references: Vec<PathBuf>,
}

impl Looked {
    /// What the front ends make of the file; `None` when it is found by
    /// walking and no front end claims it (not worth reading).
    fn of(
        frontends: &[Box<dyn Frontend>],
        path: &Path,
        text: &str,
        explicit: bool,
    ) -> Option<Looked> {
        let candidate = Candidate {
            path,
            text,
            explicit,
        };
        let owners = frontends::owners(frontends, &candidate);
        if !explicit && owners.is_empty() {
            return None;
        }
        let references = frontends::local_references(frontends, path, text);
        Some(Looked { owners, references })
    }
}

/// Why a file found by walking was not read: its content is no front end's.
const NOT_AN_INPUT: &str = "not an Azure input: no front end reads its content (JSON that is no template, parameter file, Terraform plan or live export; YAML without Azure ML keys)";

/// The files the scan reads instead of the disk's (an editor's unsaved documents).
type Overlay = std::collections::HashMap<PathBuf, String>;

fn read_file(
    frontends: &[Box<dyn Frontend>],
    path: &Path,
    explicit: bool,
    overlay: &Overlay,
) -> Read {
    if let Some(text) = overlay.get(path) {
        let Some(looked) = Looked::of(frontends, path, text, explicit) else {
            return Read::Skip(NOT_AN_INPUT);
        };
        return Read::Text(SourceFile::new(path.to_path_buf(), text.clone()), looked);
    }
    // Opened once: its size from the open file, then its bytes (a lookup
    // of the path each, 20,000 of them at 10,000 ARM units, saved).
    let (file, meta) = match std::fs::File::open(path).and_then(|f| {
        let meta = f.metadata()?;
        Ok((f, meta))
    }) {
        Ok(opened) => opened,
        Err(e) => return Read::Problem(path.to_path_buf(), "io", e.to_string()),
    };
    if meta.len() > MAX_FILE_BYTES && large_export(path) {
        let available = aml_live::budget::available_memory();
        if let Err(message) = aml_live::budget::check(meta.len(), available) {
            return Read::Problem(path.to_path_buf(), "file-too-large", message);
        }
    } else if meta.len() > MAX_FILE_BYTES {
        return Read::Problem(
            path.to_path_buf(),
            "file-too-large",
            format!(
                "the file is {} bytes; files over {MAX_FILE_BYTES} bytes (live exports: {MAX_EXPORT_BYTES}, memory allowing) are not read",
                meta.len()
            ),
        );
    }
    let (bytes, read_meta) = match read_with_metadata(file, meta.len()) {
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
            return Read::Skip(NOT_AN_INPUT)
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
    let bom = text.starts_with('\u{feff}');
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    let Some(looked) = Looked::of(frontends, path, &text, explicit) else {
        return Read::Skip(NOT_AN_INPUT);
    };
    let stamp = aml_model::source::DiskStamp::of(&read_meta, bom);
    Read::Text(
        SourceFile::from_disk(path.to_path_buf(), text, stamp),
        looked,
    )
}

/// The file's bytes and its metadata taken after reading them (so that a
/// change during the read shows in the modification time). Read through
/// `Take`: `File`'s own `read_to_end` asks the size and the position again
/// (two more system calls a file) to size a buffer already sized here.
fn read_with_metadata(
    file: std::fs::File,
    size: u64,
) -> std::io::Result<(Vec<u8>, std::fs::Metadata)> {
    use std::io::Read as _;
    let mut bytes = Vec::with_capacity(size as usize + 1);
    (&file).take(u64::MAX).read_to_end(&mut bytes)?;
    let meta = file.metadata()?;
    Ok((bytes, meta))
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
    let laps = crate::progress::Laps::start();
    let to_read = files_to_read(&frontends, &paths, options.on_first_input, &mut out);
    laps.lap("discovery");
    let (mut inputs, looked) = read_all(&frontends, &to_read, &options.overlay, &mut out);
    laps.lap("reading");

    // Local modules, imports and linked templates the files reference,
    // inside the boundary of the path they were found under.
    let boundaries: Vec<PathBuf> = paths
        .iter()
        .map(|p| boundary::of(p, options.root.as_deref()))
        .collect();
    let mut known: HashSet<PathBuf> = to_read.iter().map(|t| t.path.clone()).collect();
    let (mut owners, start): (Vec<Vec<usize>>, Vec<_>) = inputs
        .iter()
        .zip(looked)
        .map(|(i, l)| (l.owners, (i.id, l.references)))
        .unzip();
    let mut problems = Vec::new();
    let mut pulled_owners = HashMap::default();
    // What the files name, for the front ends (a Bicep module is evaluated
    // with its callers, not on its own first).
    let mut referenced: HashSet<PathBuf> = start
        .iter()
        .flat_map(|(_, references)| references.iter().cloned())
        .collect();
    let pulled = boundary::pull_in(
        &mut out.sources,
        start,
        &boundaries,
        &mut known,
        |p| match read_file(&frontends, p, false, &options.overlay) {
            Read::Text(f, looked) => {
                referenced.extend(looked.references.iter().cloned());
                Some((f, looked.owners, looked.references))
            }
            Read::Skip(_) => None,
            Read::Problem(path, code, message) => {
                problems.push(problem(&path, code, message));
                None
            }
        },
        &mut pulled_owners,
        &mut out.diagnostics,
    );
    out.diagnostics.extend(problems);
    for (id, by) in pulled {
        inputs.push(InputFile {
            id,
            explicit: false,
            context: Some(Context::Of(by)),
        });
        owners.push(pulled_owners.remove(&id).unwrap_or_default());
    }
    out.context = inputs
        .iter()
        .filter_map(|f| f.context.map(|c| (f.id, c)))
        .collect();

    laps.lap("referenced files");
    // Every path found and read: not needed past this point.
    drop((known, to_read));
    let root_dir = boundary::common(&boundaries);
    let (units, reasons) = run_frontends(
        &frontends,
        options,
        &inputs,
        &owners,
        (root_dir.as_deref(), &referenced),
        &mut out,
        &laps,
    );
    drop(referenced);
    // Texts read for a front end that did not take them are read again
    // when needed, like the others.
    out.sources.drop_first_reads();
    // The texts handed to the front ends are freed by now: their pages go
    // back before the model is gathered (the allocator would keep them for
    // a while, across the peak of a large Bicep scan).
    aml_model::memory::release_freed();
    gather(units, &mut out, &laps);
    if out.files.is_empty() && out.diagnostics.is_empty() {
        out.diagnostics
            .push(aml_model::input::nothing_scanned(&paths));
    }
    account_unused(&inputs, reasons, &mut out);
    out
}

/// A file to read: its path, whether it was named on the command line, and
/// the file it comes with (companions) or `Some(None)` for files the scan
/// brings itself (module caches).
struct ToRead {
    path: PathBuf,
    explicit: bool,
    brought_by: Option<Option<PathBuf>>,
}

/// Files read that no front end recorded as read: skipped, with the reason a
/// front end gave, else that none used it. Nothing read goes unaccounted.
fn account_unused(inputs: &[InputFile], reasons: Vec<(FileId, String)>, out: &mut ScanOutput) {
    let recorded: HashSet<_> = out.files.iter().map(|f| f.file).collect();
    let reasons: std::collections::HashMap<_, _> = reasons.into_iter().collect();
    for f in inputs.iter().filter(|f| !recorded.contains(&f.id)) {
        let reason = reasons
            .get(&f.id)
            .cloned()
            .unwrap_or_else(|| "read, but no front end found an input in it".to_string());
        out.skipped.push(SkippedFile {
            path: out.sources.get(f.id).display.clone(),
            reason,
        });
    }
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.dedup();
}

/// An error for each file that changed on disk after the scan read it
/// (found when a later stage read its text again): its snippets and fixes
/// are withheld, and its results may point at lines that moved.
pub fn changed_files(sources: &SourceMap) -> Vec<Diagnostic> {
    sources
        .files()
        .filter(|(_, f)| f.changed())
        .map(|(_, f)| {
            problem(
                &f.path,
                "file-changed",
                "the file changed (or went) while it was being scanned: its snippets and fixes are withheld and its results may point at lines that moved; scan it again".to_string(),
            )
        })
        .collect()
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
    on_first_input: Option<fn()>,
    out: &mut ScanOutput,
) -> Vec<ToRead> {
    let discovered = frontends::discover(frontends, paths, on_first_input);
    for (path, message) in discovered.errors {
        let at = Location::Path(aml_model::source::display_path(&path));
        out.diagnostics
            .push(match message.starts_with(aml_model::input::LINK_SKIPPED) {
                true => Diagnostic::warning("symlink-skipped", message, at),
                false => Diagnostic::error("io", message, at),
            });
    }
    for (path, reason) in discovered.skipped {
        out.skipped.push(SkippedFile {
            path: aml_model::source::display_path(&path),
            reason,
        });
    }
    let found = discovered.files;
    let explicit: HashSet<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| arm::template::normalize_path(p))
        .collect();
    let mut to_read: Vec<ToRead> = found
        .into_iter()
        .map(|p| {
            let explicit = explicit.contains(&p);
            ToRead {
                path: p,
                explicit,
                brought_by: None,
            }
        })
        .collect();
    let mut known: HashSet<PathBuf> = to_read.iter().map(|t| t.path.clone()).collect();
    // A file named on its own brings its companions (parameter files, the
    // other files of its folder for front ends that read folders), as context.
    let mut named: Vec<&PathBuf> = explicit.iter().collect();
    named.sort();
    let mut companions: Vec<(PathBuf, PathBuf)> = named
        .into_iter()
        .flat_map(|p| {
            frontends::companions(frontends, p)
                .into_iter()
                .map(move |c| (c, p.clone()))
        })
        .collect();
    companions.sort();
    for (c, by) in companions {
        if known.insert(c.clone()) {
            to_read.push(ToRead {
                path: c,
                explicit: false,
                brought_by: Some(Some(by)),
            });
        }
    }
    // Module folders `terraform init` cached under a root module.
    let read_so_far: Vec<PathBuf> = to_read.iter().map(|t| t.path.clone()).collect();
    for c in frontends::cached_files(frontends, &read_so_far) {
        if known.insert(c.clone()) {
            to_read.push(ToRead {
                path: c,
                explicit: false,
                brought_by: Some(None),
            });
        }
    }
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
        if known.insert(p.clone()) {
            to_read.push(ToRead {
                path: p,
                explicit: true,
                brought_by: None,
            });
        }
    }
    to_read
}

/// Reads the files in parallel into the source map; ids follow the order
/// given, so output is stable.
fn read_all(
    frontends: &[Box<dyn Frontend>],
    to_read: &[ToRead],
    overlay: &Overlay,
    out: &mut ScanOutput,
) -> (Vec<InputFile>, Vec<Looked>) {
    let read: Vec<Read> = to_read
        .par_iter()
        .map(|t| read_file(frontends, &t.path, t.explicit, overlay))
        .collect();
    let mut inputs: Vec<InputFile> = Vec::with_capacity(read.len());
    let mut looked_at = Vec::with_capacity(read.len());
    out.sources.reserve(read.len());
    for (r, t) in read.into_iter().zip(to_read) {
        match r {
            Read::Text(f, looked) => {
                looked_at.push(looked);
                let context = match &t.brought_by {
                    None => None,
                    Some(None) => Some(Context::Scan),
                    Some(Some(by)) => Some(out.sources.find(by).map_or(Context::Scan, Context::Of)),
                };
                inputs.push(InputFile {
                    id: out.sources.add(f),
                    explicit: t.explicit,
                    context,
                })
            }
            Read::Skip(reason) => out.skipped.push(SkippedFile {
                path: aml_model::source::display_path(&t.path),
                reason: reason.to_string(),
            }),
            Read::Problem(path, code, message) => {
                out.skipped.push(SkippedFile {
                    path: aml_model::source::display_path(&path),
                    reason: message.clone(),
                });
                out.diagnostics.push(problem(&path, code, message))
            }
        }
    }
    (inputs, looked_at)
}

/// Gives each file to the front ends that claim it and runs them; returns
/// the deployment units, ordered by entry file.
fn run_frontends(
    frontends: &[Box<dyn Frontend>],
    options: &ScanOptions,
    inputs: &[InputFile],
    owners: &[Vec<usize>],
    (root_dir, referenced): (Option<&Path>, &HashSet<PathBuf>),
    out: &mut ScanOutput,
    laps: &crate::progress::Laps,
) -> (Vec<DeploymentOutput>, Vec<(FileId, String)>) {
    let mut claimed: Vec<Vec<InputFile>> = vec![Vec::new(); frontends.len()];
    for (f, owners) in inputs.iter().zip(owners) {
        for &i in owners {
            claimed[i].push(*f);
        }
    }
    let units = CollectUnits::default();
    let mut reasons = Vec::new();
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
                referenced,
            };
            let output = frontend.run(&input, &units);
            if !files.is_empty() {
                laps.lap(frontend.name());
            }
            output
        })
        .collect();
    for o in outputs {
        out.files.extend(o.files);
        out.diagnostics.extend(o.diagnostics);
        out.model.azure_verdicts.extend(o.azure_verdicts);
        reasons.extend(o.skipped);
        out.model.add_secrets(Vec::new(), o.secret_spans, &[]);
    }
    (units.into_units(), reasons)
}

/// Gathers the units into one model: resources numbered by deployment,
/// secrets (spans and values), then the links between resources made.
fn gather(deployments: Vec<DeploymentOutput>, out: &mut ScanOutput, laps: &crate::progress::Laps) {
    // Room for every resource at once: growing by doubling would hold the
    // old and the new list together (29 MiB at 10,000 ARM units).
    let resources: usize = deployments.iter().map(|d| d.resources.len()).sum();
    out.model.resources.reserve_exact(resources);
    for (index, d) in deployments.into_iter().enumerate() {
        out.unit_entries.push(d.entry);
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
        out.model
            .add_secrets(d.secrets, d.secret_spans, &d.located_secrets);
    }
    out.files.sort_by_key(|f| f.file);
    // Every body is kept until evaluation ends: give back the room its
    // objects hold beyond their length (Bicep's cloned bodies: 34 MiB at
    // 10,000 units, by the estimate below).
    {
        use rayon::prelude::*;
        out.model
            .resources
            .par_iter_mut()
            .for_each(|r| r.body.shrink_to_fit());
    }
    laps.lap("merging the units");
    out.model.link_private_endpoints();
    laps.lap("linking private endpoints");
    out.model.mark_service_reported();
    laps.lap("values Azure reports");
    out.model.collect_inline_credentials(&out.sources);
    laps.lap("inline credentials");
    laps.note(|| aml_model::footprint::Footprint::of(&out.model).to_string());
}
