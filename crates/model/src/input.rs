//! The contract between the scan and the front ends: what every front end is
//! given (the files read, the scan's options) and what it returns (the
//! resources of each deployment, the files it read, diagnostics), and the
//! model of a whole scan that the evaluation and the report read.

use crate::context::{DeploymentContext, Limits};
use crate::diagnostics::Diagnostic;
use crate::model::{Model, Resource};
use crate::source::{FileId, SourceMap};
use std::path::{Path, PathBuf};

/// The model of everything scanned, with the files and diagnostics.
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub sources: SourceMap,
    pub files: Vec<ScannedFile>,
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    /// The entry file of each deployment unit, by deployment index.
    pub unit_entries: Vec<FileId>,
    /// Files read as context, with the file that brought each.
    pub context: Vec<(FileId, Context)>,
    /// Files under the scanned paths that were not read, or read and not
    /// used, with the reason (`files[]` lists them as skipped).
    pub skipped: Vec<SkippedFile>,
}

/// A file the scan did not use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedFile {
    /// The path as reports show it.
    pub path: String,
    pub reason: String,
}

/// A file the scan read, for the front ends.
#[derive(Clone, Copy, Debug)]
pub struct InputFile {
    pub id: FileId,
    /// Named on the command line (not found by walking a folder).
    pub explicit: bool,
    /// Read as context for another file (a companion of a file named alone,
    /// a module or linked template it references), never an entry point of
    /// its own: the file that brought it, when one did.
    pub context: Option<Context>,
}

/// Why a file read as context was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Brought by this file (its companion, or referenced by it).
    Of(FileId),
    /// Brought by the scan itself (a module cache under a root module).
    Scan,
}

impl InputFile {
    /// A file named on the command line.
    pub fn named(id: FileId) -> Self {
        InputFile {
            id,
            explicit: true,
            context: None,
        }
    }
}

/// What every front end gets: the files dispatched to it, and the settings
/// every front end shares. A front end's own settings (parameter files,
/// Terraform variables, the CLI YAML workspace) are fields of the value that
/// implements [`Frontend`].
pub struct FrontendInput<'a> {
    pub sources: &'a SourceMap,
    /// The files this front end claimed (see [`Frontend::claim`]), in scan order.
    pub files: &'a [InputFile],
    /// Limits on loops, nesting and resources.
    pub limits: &'a Limits,
    /// The deployment context templates are evaluated in.
    pub context: &'a DeploymentContext,
    /// Linked templates and local modules are only followed inside this folder.
    pub root_dir: Option<&'a Path>,
    /// Local files some scanned file names (a Bicep module, `using` or
    /// import, an ARM linked template, a Terraform module source), as
    /// [`Frontend::local_references`] gives them: a front end may leave
    /// them to be evaluated with the files that use them. Empty when not known.
    pub referenced: &'a crate::FastSet<PathBuf>,
}

/// One input file and what was read from it.
#[derive(Clone, Debug)]
pub struct ScannedFile {
    pub file: FileId,
    /// `arm`, `arm-parameters`, ...
    pub format: &'static str,
    /// Resources the file contributed to the model (entry files only).
    pub resources: usize,
    /// The parameter file used with this template, if any.
    pub parameters: Option<FileId>,
}

/// What evaluating one deployment gives: its resources, the secrets met and
/// the diagnostics. ARM templates and Bicep files evaluate into it alike.
#[derive(Debug, Default)]
pub struct Evaluated {
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<Diagnostic>,
    /// Secret values met (secure parameters), to redact from every output.
    pub secrets: Vec<String>,
    /// Secure parameters given a literal default (name, span of the default).
    pub secure_defaults: Vec<(String, crate::source::Span)>,
    /// Where secrets are written: secure parameters' values and defaults,
    /// and what a credential property reads (see [`DeploymentOutput::secret_spans`]).
    pub secret_spans: Vec<crate::source::Span>,
    /// The secure values whose span holds them as literals.
    pub located_secrets: Vec<String>,
}

/// The resources of one deployment unit (one entry file and what it pulls
/// in): the unit the scan evaluates, reports and then may drop.
#[derive(Debug, Default)]
pub struct DeploymentOutput {
    pub entry: FileId,
    /// Which of the units sharing `entry` this is (a Bicep file with several
    /// `.bicepparam` files, the groups of a live export), in the front end's
    /// order: units are ordered by `(entry, variant)`.
    pub variant: u32,
    pub resources: Vec<Resource>,
    /// Secret values met (secure parameters), to redact from every output.
    pub secrets: Vec<String>,
    /// Where secrets are written in the files (secure parameters' values and
    /// defaults, sensitive variables, credential properties, every copy of a
    /// duplicated key): masked in every source text shown, whatever the spelling.
    pub secret_spans: Vec<crate::source::Span>,
    /// The values of `secrets` whose every written form is in `secret_spans`;
    /// the others are also masked by value in source text (decision 0030).
    pub located_secrets: Vec<String>,
    /// Secure parameters given a literal default (name, span of the default).
    pub secure_defaults: Vec<(String, crate::source::Span)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl DeploymentOutput {
    /// The unit of `entry` from what its evaluation gave.
    pub fn new(entry: FileId, evaluated: Evaluated) -> Self {
        DeploymentOutput {
            entry,
            variant: 0,
            resources: evaluated.resources,
            secrets: evaluated.secrets,
            secret_spans: evaluated.secret_spans,
            located_secrets: evaluated.located_secrets,
            secure_defaults: evaluated.secure_defaults,
            diagnostics: evaluated.diagnostics,
        }
    }
}

/// What a front end produced besides its deployment units.
#[derive(Debug, Default)]
pub struct FrontendOutput {
    /// Units gathered by [`Frontend::run_collected`]; empty after [`Frontend::run`],
    /// which hands each unit to its sink instead.
    pub deployments: Vec<DeploymentOutput>,
    pub files: Vec<ScannedFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Azure's own verdicts read from live exports (policy states, Defender assessments).
    pub azure_verdicts: Vec<crate::model::AzureVerdict>,
    /// Files claimed and read that hold no input of this front end, with why
    /// (the report lists them as skipped).
    pub skipped: Vec<(FileId, String)>,
    /// Where secrets are written in files not tied to one deployment (the
    /// credential properties of every JSON file read), to mask in any output.
    pub secret_spans: Vec<crate::source::Span>,
}

impl FrontendOutput {
    /// Records a file read with `format` that contributed `resources`.
    pub fn file(&mut self, file: FileId, format: &'static str, resources: usize) {
        self.files.push(ScannedFile {
            file,
            format,
            resources,
            parameters: None,
        });
    }
}

/// Where a front end hands each deployment unit as soon as it is evaluated.
/// Units may arrive from several threads and in any order; the scan orders
/// them by entry file.
pub trait UnitSink: Sync {
    /// Takes one evaluated unit.
    fn unit(&self, unit: DeploymentOutput);
}

/// A [`UnitSink`] that keeps every unit.
#[derive(Default)]
pub struct CollectUnits(std::sync::Mutex<Vec<DeploymentOutput>>);

impl CollectUnits {
    /// The units received, ordered by entry file.
    pub fn into_units(self) -> Vec<DeploymentOutput> {
        let mut units = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        units.sort_by_key(|d| (d.entry, d.variant));
        units
    }
}

impl UnitSink for CollectUnits {
    fn unit(&self, unit: DeploymentOutput) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(unit);
    }
}

/// How strongly a front end claims a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// Not this front end's.
    No,
    /// This front end's unless another claims it [`Claim::Yes`] (ARM takes
    /// the JSON that is neither a plan nor a live export).
    Fallback,
    /// This front end's.
    Yes,
}

/// A file as the scan offers it to [`Frontend::claim`].
pub struct Candidate<'a> {
    pub path: &'a Path,
    /// The file's text (the whole file; look at its head to stay cheap).
    pub text: &'a str,
    /// Named on the command line (not found by walking a folder).
    pub explicit: bool,
}

/// One input format. Each front-end crate implements it once; the scan
/// (`aml-scan`) keeps the one list of front ends, walks the paths, reads
/// every file once, gives each file to the front end that claims it, and
/// gathers the deployment units they yield.
pub trait Frontend: Send + Sync {
    /// The front end's name (`arm`, `bicep`, `terraform`, `azureml-yaml`, `live`).
    fn name(&self) -> &'static str;
    /// Extensions (without the dot, lower case) of the files it may read,
    /// for discovery.
    fn extensions(&self) -> &'static [&'static str];
    /// A cheap look at a file's path and text: is it this front end's?
    fn claim(&self, file: &Candidate<'_>) -> Claim;
    /// Files that come with `path` when it is named alone on the command line
    /// (parameter files, the other files of its module); asked only for
    /// paths with one of [`Frontend::extensions`].
    fn companions(&self, _path: &Path) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Local files `path` references (modules, linked templates, imports),
    /// read too when inside the scan's boundary; asked only for paths with one
    /// of [`Frontend::extensions`].
    fn local_references(&self, _path: &Path, _text: &str) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Hidden files that come with the files found (Terraform's
    /// `.terraform/modules` cache).
    fn cached_files(&self, _found: &[PathBuf]) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Files its options name (`--parameters`, `--var-file`), read as if named
    /// on the command line.
    fn option_files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Reads the files it claimed: hands every deployment unit to `units`
    /// and returns the files read and the diagnostics.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput;
    /// [`Frontend::run`] with the units gathered in the output (tests, fuzzing).
    fn run_collected(&self, input: &FrontendInput<'_>) -> FrontendOutput {
        let units = CollectUnits::default();
        let mut out = self.run(input, &units);
        out.deployments = units.into_units();
        out
    }
}

/// Whether `path`'s extension is one of `extensions` (case-insensitive).
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|k| k.eq_ignore_ascii_case(e)))
}

/// The first 4 KiB of `text` (at a character boundary).
fn head(text: &str) -> &str {
    // The first 4 KiB, ending on a character boundary (at most 3 bytes back).
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether `text` holds `needle` (a vectorised search): the cheap looks at
/// a file run on every file, and most read the whole text to find that a
/// word is absent.
pub fn holds(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// A cheap look at the text: a Terraform plan (`terraform show -json`) has `format_version` and
/// `planned_values` or `resource_changes`.
pub fn looks_like_plan(text: &str) -> bool {
    holds(text, "\"format_version\"")
        && (holds(text, "\"planned_values\"") || holds(text, "\"resource_changes\""))
        && !holds(head(text), "deploymentTemplate.json")
}

/// A cheap look at the text: could this JSON be an export of live resources
/// (Resource Graph, ARM REST, `az resource`, `az ml ... show`, a resource
/// list)? It names a resource `type` (or an Azure ML id) and an id or `ResourceId`, and is no deployment template,
/// parameter file or Terraform plan. The live front end decides by shape.
pub fn looks_like_live_export(text: &str) -> bool {
    let lower_head = head(text).to_ascii_lowercase();
    !holds(&lower_head, "deploymenttemplate.json")
        && !holds(&lower_head, "deploymentparameters.json")
        && (holds(text, "\"type\"")
            || holds(text, "/providers/Microsoft.MachineLearningServices/")
            || holds(text, "/providers/microsoft.machinelearningservices/"))
        && (holds(text, "\"/subscriptions/") || holds(text, "\"ResourceId\""))
        && !looks_like_plan(text)
        && !looks_like_bicep_snapshot(text)
}

/// A cheap look at the text: a `bicep snapshot` file (`<name>.snapshot.json`)
/// holds `predictedResources`, whatever the file is called, and is no
/// deployment template, parameter file or Terraform plan (which may name the
/// word in a value). The snapshot front end decides by shape.
pub fn looks_like_bicep_snapshot(text: &str) -> bool {
    if !holds(text, "\"predictedResources\"") {
        return false;
    }
    let lower_head = head(text).to_ascii_lowercase();
    !holds(&lower_head, "deploymenttemplate.json")
        && !holds(&lower_head, "deploymentparameters.json")
        && !holds(&lower_head, "\"format_version\"")
}

/// How the message of a symbolic link discovery did not follow starts.
pub const LINK_SKIPPED: &str = "symbolic link not followed";

/// The message for a symbolic link met while walking a folder, when it
/// matters: a link to a folder, or to a file (or nothing) with an
/// extension a front end reads. Links are not followed, so that a scan
/// stays inside the folder it was given and never loops; naming the link
/// on the command line scans its target.
pub fn skipped_link(
    path: &std::path::Path,
    known_extension: bool,
) -> Option<(std::path::PathBuf, String)> {
    let target = std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "?".into());
    let what = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => "a folder",
        Ok(_) if known_extension => "a file",
        Err(_) if known_extension => "nothing (a broken link)",
        _ => return None,
    };
    Some((
        path.to_path_buf(),
        format!("{LINK_SKIPPED}: it points to {what} ({target}), which was not scanned; name the target on the command line to scan it"),
    ))
}

/// The warning of a scan that read no input at all (and had nothing else to
/// say): it must not look like a clean pass.
pub fn nothing_scanned(paths: &[std::path::PathBuf]) -> crate::diagnostics::Diagnostic {
    let shown: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    crate::diagnostics::Diagnostic::warning(
        "nothing-scanned",
        format!(
            "no ARM template, Bicep or Terraform file, Azure ML YAML, live export or bicep snapshot was found in {}{}: nothing was checked",
            shown.join(", "),
            if paths.len() > 3 { " and more" } else { "" }
        ),
        crate::diagnostics::Location::None,
    )
}

/// Reads `paths` into a fresh source map as files named on the command line
/// (for a front end's own tests, fuzzing and benchmarks); a file that cannot
/// be read is left out.
pub fn load_files(paths: &[PathBuf]) -> (SourceMap, Vec<InputFile>) {
    let mut sources = SourceMap::default();
    let mut files = Vec::new();
    for p in paths {
        if let Ok(text) = std::fs::read_to_string(p) {
            let id = sources.add(crate::source::SourceFile::new(p.clone(), text));
            files.push(InputFile::named(id));
        }
    }
    (sources, files)
}

/// A readable account of a front end's output: every unit with its
/// resources (id, type, name, position, whether deployed, body as JSON with
/// unknowns shown as `<unknown: EXPR>`), the files read and the diagnostics,
/// in order. Front ends snapshot it in their tests (input → model).
pub fn describe(sources: &SourceMap, out: &FrontendOutput) -> serde_json::Value {
    use serde_json::json;
    let position = |span: crate::source::Span| {
        let (path, line, column) = sources.position(span);
        format!("{path}:{line}:{column}")
    };
    let diagnostic = |d: &Diagnostic| {
        let (path, line, column) = d.position(sources);
        json!(format!(
            "{:?}[{}] {path}:{line}:{column}: {}",
            d.level, d.code, d.message
        ))
    };
    let units: Vec<serde_json::Value> = out
        .deployments
        .iter()
        .map(|u| {
            let resources: Vec<serde_json::Value> = u
                .resources
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id,
                        "type": r.resource_type,
                        "name": r.name,
                        "at": position(r.span),
                        "existing": r.existing,
                        "deployed": match &r.deployed {
                            crate::model::Deployed::Yes => "yes".to_string(),
                            crate::model::Deployed::Unknown { expr } => format!("unknown: {expr}"),
                        },
                        "body": r.body.to_json_display(),
                    })
                })
                .collect();
            json!({
                "entry": sources.get(u.entry).display,
                "variant": u.variant,
                "resources": resources,
                "diagnostics": u.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
            })
        })
        .collect();
    let files: Vec<serde_json::Value> = out
        .files
        .iter()
        .map(|f| {
            json!(format!(
                "{} ({}, {} resources)",
                sources.get(f.file).display,
                f.format,
                f.resources
            ))
        })
        .collect();
    json!({
        "units": units,
        "files": files,
        "diagnostics": out.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
    })
}

/// Runs `frontend` over `paths` (relative to `root`, each as named on the
/// command line; `root` is the boundary) with the default context and
/// limits, and describes what it produced (see [`describe`]), as pretty JSON.
pub fn describe_run(frontend: &dyn Frontend, root: &Path, paths: &[&str]) -> String {
    let paths: Vec<PathBuf> = paths.iter().map(|p| root.join(p)).collect();
    let (sources, files) = load_files(&paths);
    let limits = Limits::default();
    let context = DeploymentContext::default();
    let input = FrontendInput {
        sources: &sources,
        files: &files,
        limits: &limits,
        context: &context,
        root_dir: Some(root),
        referenced: &Default::default(),
    };
    let out = frontend.run_collected(&input);
    serde_json::to_string_pretty(&describe(&sources, &out)).unwrap_or_default()
}
