//! The Bicep front end: reads `.bicep` and `.bicepparam` files natively (no
//! Bicep CLI) into the same model as the ARM front end.
//!
//! - [`parser`]: a newline-aware recursive-descent parser with byte spans and
//!   error recovery (see `docs/decisions/0005-bicep-front-end.md`).
//! - [`eval`]: evaluation of parameters, variables, resources (nested,
//!   `parent`, `scope`, `existing`, conditions, loops) and modules.
//! - [`modules`]: local modules and registry modules (from the local cache only).
//! - [`params`]: `.bicepparam` files and JSON parameter files.
//!
//! Entry points: a `.bicep` file that another scanned Bicep file uses as a
//! local module is evaluated only as part of its caller, with the caller's
//! arguments. Every other `.bicep` file is an entry point, evaluated with the
//! `.bicepparam` files that name it in `using` (one deployment each), or else
//! with `--parameters`, or else `<name>.parameters.json` beside it, or else
//! its defaults.

pub mod ast;
pub mod eval;
pub mod lexer;
pub mod modules;
pub mod params;
pub mod parser;

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, ScannedFile,
    UnitSink,
};
use aml_model::source::normalize_path;
use aml_model::source::{FileId, SourceMap, Span};
use aml_model::{FastMap as HashMap, FastSet as HashSet};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// True for `.bicep` and `.bicepparam` files.
pub fn wants(path: &Path) -> bool {
    is_template(path) || is_param_file(path)
}

fn ext_is(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// True for a `.bicep` file.
pub fn is_template(path: &Path) -> bool {
    ext_is(path, "bicep")
}

/// True for a `.bicepparam` file.
pub fn is_param_file(path: &Path) -> bool {
    ext_is(path, "bicepparam")
}

/// Parses one file and turns its syntax errors into diagnostics.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    let (ast, errors) = parser::parse(text);
    let diags = errors
        .into_iter()
        .map(|e| {
            Diagnostic::error(
                "bicep-syntax",
                e.message,
                Location::Span(Span::new(file, e.start, e.end.max(e.start))),
            )
        })
        .collect();
    (ast, diags)
}

/// The Bicep front end's own settings.
#[derive(Clone, Debug, Default)]
pub struct BicepOptions {
    /// A parameter file for every entry point (`--parameters`): a
    /// `.bicepparam` or a JSON parameter file.
    pub parameters: Option<PathBuf>,
}

/// The Bicep front end.
#[derive(Clone, Debug, Default)]
pub struct Bicep {
    pub options: BicepOptions,
}

impl Bicep {
    /// The front end with its settings.
    pub fn new(options: BicepOptions) -> Self {
        Bicep { options }
    }
}

impl Frontend for Bicep {
    fn name(&self) -> &'static str {
        "bicep"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["bicep", "bicepparam"]
    }

    fn claim(&self, file: &Candidate<'_>) -> Claim {
        if wants(file.path) {
            Claim::Yes
        } else {
            Claim::No
        }
    }

    fn companions(&self, path: &Path) -> Vec<PathBuf> {
        companions(path)
    }

    fn local_references(&self, path: &Path, text: &str) -> Vec<PathBuf> {
        local_references(path, text)
    }

    fn option_files(&self) -> Vec<PathBuf> {
        self.options.parameters.iter().cloned().collect()
    }

    /// Parses every file once (in parallel), finds the entry points and
    /// evaluates each with its parameters (in parallel). A template that
    /// names no module and imports nothing is evaluated as soon as it is
    /// parsed, from that tree (decision 0050); the others once every file's
    /// outline is known, from a tree parsed again.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let mut out = FrontendOutput::default();
        if input.files.is_empty() {
            return out;
        }
        let sources = input.sources;
        // The `.bicepparam` files first (few): the templates they target.
        let parsed_params: Vec<(FileId, ast::File, Vec<Diagnostic>)> = input
            .files
            .par_iter()
            .filter(|f| is_param_file(&sources.get(f.id).path))
            .map(|f| {
                let (ast, diags) = parse_file(f.id, &sources.get(f.id).text());
                (f.id, ast, diags)
            })
            .collect();
        let mut param_diagnostics = HashMap::default();
        let param_files: Vec<(FileId, Arc<ast::File>)> = parsed_params
            .into_iter()
            .map(|(id, ast, diags)| {
                param_diagnostics.insert(id, diags);
                (id, Arc::new(ast))
            })
            .collect();
        let mut templates: HashSet<PathBuf> =
            HashSet::with_capacity_and_hasher(input.files.len(), Default::default());
        templates.extend(
            input
                .files
                .iter()
                .map(|f| normalize_path(&sources.get(f.id).path))
                .filter(|p| !is_param_file(p)),
        );
        let mut target_diagnostics = Vec::new();
        let by_template =
            bicepparam_targets(sources, &templates, &param_files, &mut target_diagnostics);
        let param_asts: BTreeMap<FileId, Arc<ast::File>> = param_files.iter().cloned().collect();
        let early = Early {
            bicep: self,
            input,
            by_template: &by_template,
            param_asts: &param_asts,
        };
        let (mut parsed, mut evaluated) =
            parse_all(input, &early, param_diagnostics, &mut out.diagnostics);
        out.diagnostics.extend(target_diagnostics);
        let used_as_module = used_as_modules(&parsed);
        let jobs = self.entry_jobs(sources, &parsed, &used_as_module, &by_template);
        let entry_files: HashSet<FileId> = jobs.iter().map(|j| j.id).collect();
        let mut others: Vec<FileId> = parsed
            .values()
            .map(|(id, _)| *id)
            .filter(|id| !entry_files.contains(id))
            .collect();
        others.sort();
        // Evaluation looks up only the files a module or an import names
        // (parsed whole once); each other entry file's tree is parsed by its
        // job, held by it alone and freed as soon as it is evaluated (issue 20).
        let referenced = referenced_files(sources, &parsed, &param_files);
        parsed.retain(|path, _| referenced.contains(path));
        parsed
            .par_iter_mut()
            .for_each(|(_, (id, ast))| *ast = full_tree(sources, *id));
        let parsed = parsed;
        let results: Vec<Option<(ScannedFile, DeploymentOutput)>> = jobs
            .par_iter()
            .map(|job| {
                (!evaluated.contains_key(&(job.id, job.variant))).then(|| {
                    let ast = full_tree(sources, job.id);
                    evaluate_job(input, &parsed, &param_asts, job, &ast)
                })
            })
            .collect();
        for (job, result) in jobs.iter().zip(results) {
            let done = result.or_else(|| evaluated.remove(&(job.id, job.variant)));
            if let Some((file, unit)) = done {
                out.files.push(file);
                units.unit(unit);
            }
        }
        for id in others {
            out.file(id, "bicep", 0);
        }
        for (id, _) in &param_files {
            out.file(*id, "bicep-parameters", 0);
        }
        out
    }
}

/// What evaluating a template as soon as it is parsed needs: its jobs are
/// known before every outline is (only whether another file uses it as a
/// module is not: its units are dropped then).
struct Early<'a> {
    bicep: &'a Bicep,
    input: &'a FrontendInput<'a>,
    by_template: &'a BTreeMap<PathBuf, Vec<FileId>>,
    param_asts: &'a BTreeMap<FileId, Arc<ast::File>>,
}

/// Units evaluated as soon as their template was parsed, by (file, variant).
type EarlyUnits = HashMap<(FileId, u32), (ScannedFile, DeploymentOutput)>;

impl Early<'_> {
    /// Evaluates `ast` (the whole tree of the template at `path`) with every
    /// parameter source it would have as an entry, when it names no module
    /// and imports nothing (its evaluation then reads no other file): each
    /// unit by (file, variant).
    fn evaluate(
        &self,
        id: FileId,
        path: &Path,
        ast: &ast::File,
    ) -> Vec<((FileId, u32), (ScannedFile, DeploymentOutput))> {
        let self_contained = !ast.decls.iter().any(|d| {
            matches!(
                d.kind,
                ast::DeclKind::Module { .. } | ast::DeclKind::Import { .. }
            )
        });
        // A file another one names is most likely a module: evaluated by
        // its callers (an entry of its own all the same is evaluated later,
        // from its tree parsed again, as the others).
        if !self_contained || self.input.referenced.contains(path) {
            return Vec::new();
        }
        let none = eval::Parsed::default();
        self.bicep
            .jobs_of(self.input.sources, id, path, self.by_template, false)
            .into_iter()
            .map(|job| {
                let done = evaluate_job(self.input, &none, self.param_asts, &job, ast);
                ((job.id, job.variant), done)
            })
            .collect()
    }
}

/// Evaluates one entry with its parameter source: its file record and unit.
fn evaluate_job(
    input: &FrontendInput<'_>,
    parsed: &eval::Parsed,
    param_asts: &BTreeMap<FileId, Arc<ast::File>>,
    job: &Job,
    ast: &ast::File,
) -> (ScannedFile, DeploymentOutput) {
    #[cfg(test)]
    tests::EVALUATED.with(|n| n.set(n.get() + 1));
    let session = eval::Session::new(input.sources, parsed, input.root_dir, input.limits.clone());
    let (supplied, mut diags) = params::values(&session, &job.source, param_asts);
    let mut result = session.evaluate_entry(job.id, ast, supplied, input.context.clone());
    diags.append(&mut result.diagnostics);
    result.diagnostics = diags;
    let file = ScannedFile {
        file: job.id,
        format: "bicep",
        resources: result.resources.len(),
        parameters: job.source.file(),
    };
    let mut unit = DeploymentOutput::new(job.id, result);
    unit.variant = job.variant;
    (file, unit)
}

/// What the scan needs of a template before its unit is evaluated: the
/// files it names (`module`, `import`). A whole tree of every file at once
/// was most of a large scan's memory (issue 20: 116 MB of 123 MB at 3,000
/// units); the full tree is parsed again by the unit that evaluates the file
/// ([`full_tree`]), and held by it alone.
fn outline(ast: ast::File) -> ast::File {
    ast::File {
        decls: ast
            .decls
            .into_iter()
            .filter(|d| {
                matches!(
                    d.kind,
                    ast::DeclKind::Module { .. } | ast::DeclKind::Import { .. }
                )
            })
            .collect(),
    }
}

/// Records on `file` the local module files its module declarations name
/// (registry and template-spec references are no local files), so that a
/// fix plan looking for a module's callers does not parse it again.
fn record_module_targets(file: &aml_model::source::SourceFile, ast: &ast::File) {
    let targets = ast
        .decls
        .iter()
        .filter_map(|d| match &d.kind {
            ast::DeclKind::Module { path: rel, .. } => Some(modules::local_path(&file.path, rel)),
            _ => None,
        })
        .collect();
    file.record_module_targets(targets);
}

/// A template's whole tree (its syntax errors were reported by the first
/// parse, [`parse_all`]).
fn full_tree(sources: &SourceMap, id: FileId) -> Arc<ast::File> {
    Arc::new(parse_file(id, &sources.get(id).text()).0)
}

/// Parses the templates once, in parallel: the outline of each by
/// normalised path ([`outline`]); a template that names no module and imports
/// nothing is evaluated from its whole tree at once ([`Early`]). Every file's
/// syntax errors go to `diagnostics` in the files' order (the `.bicepparam`
/// files', parsed before, from `param_diagnostics`).
fn parse_all(
    input: &FrontendInput<'_>,
    early: &Early<'_>,
    mut param_diagnostics: HashMap<FileId, Vec<Diagnostic>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (eval::Parsed, EarlyUnits) {
    let sources = input.sources;
    type ParsedFile = (FileId, Option<ast::File>, Vec<Diagnostic>);
    let parsed_files: Vec<(ParsedFile, Vec<_>)> = input
        .files
        .par_iter()
        .map(|f| {
            let file = sources.get(f.id);
            let path = &file.path;
            if is_param_file(path) {
                return ((f.id, None, Vec::new()), Vec::new());
            }
            let (ast, diags) = parse_file(f.id, &file.text());
            record_module_targets(file, &ast);
            let early_units = early.evaluate(f.id, &normalize_path(path), &ast);
            ((f.id, Some(outline(ast)), diags), early_units)
        })
        .collect();
    let mut parsed = eval::Parsed::with_capacity_and_hasher(parsed_files.len(), Default::default());
    let mut evaluated = EarlyUnits::default();
    for ((id, ast, diags), early_units) in parsed_files {
        evaluated.extend(early_units);
        match ast {
            None => diagnostics.extend(param_diagnostics.remove(&id).unwrap_or_default()),
            Some(ast) => {
                diagnostics.extend(diags);
                let path = normalize_path(&sources.get(id).path);
                parsed.insert(path, (id, Arc::new(ast)));
            }
        }
    }
    (parsed, evaluated)
}

/// The files a local module or an import of a parsed file or a
/// `.bicepparam` names (as the evaluation resolves them, from the file's own
/// path and from its normalised one): the only files evaluation looks up.
fn referenced_files(
    sources: &SourceMap,
    parsed: &eval::Parsed,
    param_files: &[(FileId, Arc<ast::File>)],
) -> HashSet<PathBuf> {
    let mut out = HashSet::default();
    let params = param_files
        .iter()
        .map(|(id, ast)| (normalize_path(&sources.get(*id).path), (*id, ast.clone())));
    let all: Vec<(PathBuf, (FileId, Arc<ast::File>))> = parsed
        .iter()
        .map(|(p, (id, ast))| (p.clone(), (*id, ast.clone())))
        .chain(params)
        .collect();
    for (path, (id, ast)) in &all {
        for d in &ast.decls {
            let rel = match &d.kind {
                ast::DeclKind::Module { path: rel, .. } => rel,
                ast::DeclKind::Import { from, .. } => from,
                _ => continue,
            };
            out.insert(modules::local_path(path, rel));
            out.insert(modules::local_path(&sources.get(*id).path, rel));
        }
    }
    out
}

/// Files used as local modules by another scanned file, evaluated by their
/// callers. Files only reachable through a cycle get one entry each (the
/// first by path), so that the cycle is reported.
fn used_as_modules(parsed: &eval::Parsed) -> HashSet<PathBuf> {
    // The files in path order, each with the files it uses as local modules
    // (by index): a walk over indexes, not over maps keyed by paths.
    let mut files: Vec<(&PathBuf, Vec<PathBuf>)> = parsed
        .iter()
        .map(|(path, (_, ast))| {
            let targets = ast
                .decls
                .iter()
                .filter_map(|d| match &d.kind {
                    ast::DeclKind::Module { path: rel, .. } if !modules::is_registry(rel) => {
                        Some(modules::local_path(path, rel))
                    }
                    _ => None,
                })
                .collect();
            (path, targets)
        })
        .collect();
    aml_model::source::sort_paths(&mut files, |(p, _)| p.as_path());
    let index: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (p.as_path(), i))
        .collect();
    let edges: Vec<Vec<usize>> = files
        .iter()
        .enumerate()
        .map(|(i, (_, targets))| {
            targets
                .iter()
                .filter_map(|t| index.get(t.as_path()).copied())
                .filter(|t| *t != i)
                .collect()
        })
        .collect();
    let mut used_as_module = vec![false; files.len()];
    edges
        .iter()
        .flatten()
        .for_each(|t| used_as_module[*t] = true);
    let mut reached = vec![false; files.len()];
    let reach = |from: usize, reached: &mut Vec<bool>| {
        let mut stack = vec![from];
        while let Some(p) = stack.pop() {
            if !std::mem::replace(&mut reached[p], true) {
                stack.extend(edges[p].iter().copied());
            }
        }
    };
    for (p, used) in used_as_module.iter().enumerate() {
        if !used {
            reach(p, &mut reached);
        }
    }
    for p in 0..files.len() {
        if !reached[p] {
            used_as_module[p] = false;
            reach(p, &mut reached);
        }
    }
    files
        .iter()
        .zip(used_as_module)
        .filter(|(_, used)| *used)
        .map(|((p, _), _)| (*p).clone())
        .collect()
}

/// The templates the `.bicepparam` files name in `using`, with the files
/// naming each; a `using` that names no scanned template is a warning.
fn bicepparam_targets(
    sources: &SourceMap,
    templates: &HashSet<PathBuf>,
    param_files: &[(FileId, Arc<ast::File>)],
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<PathBuf, Vec<FileId>> {
    let mut by_template: BTreeMap<PathBuf, Vec<FileId>> = BTreeMap::new();
    for (id, ast) in param_files {
        let using = ast.decls.iter().find_map(|d| match &d.kind {
            ast::DeclKind::Using(p, sp) => Some((p.clone(), *sp)),
            _ => None,
        });
        let from = &sources.get(*id).path;
        match using {
            Some((p, _)) if p.is_empty() => {}
            Some((p, sp)) => {
                let target = modules::local_path(from, &p);
                if templates.contains(&target) {
                    by_template.entry(target).or_default().push(*id);
                } else {
                    diagnostics.push(Diagnostic::warning(
                        "bicep-using",
                        format!("the template '{p}' named by `using` is not among the scanned files; this parameter file was not used"),
                        Location::Span(Span::new(*id, sp.start, sp.end)),
                    ));
                }
            }
            None => diagnostics.push(Diagnostic::warning(
                "bicep-using",
                "a .bicepparam file needs a `using` declaration naming its template",
                Location::Span(Span::new(*id, 0, 0)),
            )),
        }
    }
    by_template
}

/// One entry point to evaluate with one parameter source.
struct Job {
    id: FileId,
    source: params::Source,
    /// Which of the entry's parameter files this is.
    variant: u32,
}

impl Bicep {
    /// Entry points with their parameter sources, by path: every
    /// `.bicepparam` naming a template, else (for files no other file uses as
    /// a module) `--parameters`, the JSON file beside, or the defaults.
    fn entry_jobs(
        &self,
        sources: &SourceMap,
        parsed: &eval::Parsed,
        used_as_module: &HashSet<PathBuf>,
        by_template: &BTreeMap<PathBuf, Vec<FileId>>,
    ) -> Vec<Job> {
        let mut paths: Vec<&PathBuf> = parsed.keys().collect();
        aml_model::source::sort_paths(&mut paths, |p| p.as_path());
        paths
            .into_iter()
            .flat_map(|path| {
                let (id, _) = &parsed[path];
                let used = used_as_module.contains(path);
                self.jobs_of(sources, *id, path, by_template, used)
            })
            .collect()
    }

    /// The jobs of the template at `path` (normalised): one per
    /// `.bicepparam` file that targets it, else, unless another file uses it
    /// as a module, one with the parameters [`params::choose`] finds.
    fn jobs_of(
        &self,
        sources: &SourceMap,
        id: FileId,
        path: &Path,
        by_template: &BTreeMap<PathBuf, Vec<FileId>>,
        used_as_module: bool,
    ) -> Vec<Job> {
        if let Some(list) = by_template.get(path) {
            return list
                .iter()
                .enumerate()
                .map(|(variant, p)| Job {
                    id,
                    source: params::Source::BicepParam(*p),
                    variant: variant as u32,
                })
                .collect();
        }
        if used_as_module {
            return Vec::new();
        }
        let explicit_parameters = self.options.parameters.as_deref().map(normalize_path);
        vec![Job {
            id,
            source: params::choose(sources, path, explicit_parameters.as_deref()),
            variant: 0,
        }]
    }
}

/// Files that come with a `.bicep` or `.bicepparam` named alone: the
/// parameter files beside a template, the template a `.bicepparam` uses, and
/// the local modules they reference (transitively, inside the file's folder).
pub fn companions(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(dir) = path.parent() else { return out };
    let root = normalize_path(dir);
    let mut queue: Vec<PathBuf> = vec![normalize_path(path)];
    if is_template(path) {
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
            for name in [
                format!("{stem}.bicepparam"),
                format!("{stem}.parameters.json"),
            ] {
                let p = normalize_path(&dir.join(name));
                if p.is_file() {
                    out.push(p);
                }
            }
        }
    }
    let mut seen: HashSet<PathBuf> = queue.iter().cloned().collect();
    while let Some(file) = queue.pop() {
        if seen.len() > 500 {
            break;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for rel in referenced_paths(&text) {
            if modules::is_registry(&rel) {
                continue;
            }
            let target = modules::local_path(&file, &rel);
            let inside = target.starts_with(&root) || root.as_os_str().is_empty();
            if inside
                && !target.starts_with("..")
                && target.is_file()
                && seen.insert(target.clone())
            {
                out.push(target.clone());
                queue.push(target);
            }
        }
    }
    out
}

/// The local files a `.bicep` or `.bicepparam` file references (modules,
/// `using`, `import ... from`), normalised; registry references are left out.
pub fn local_references(path: &Path, text: &str) -> Vec<PathBuf> {
    referenced_paths(text)
        .into_iter()
        .filter(|rel| !modules::is_registry(rel))
        .map(|rel| modules::local_path(path, &rel))
        .collect()
}

/// Paths in `module x '<path>'`, `using '<path>'` and
/// `import ... from '<path>'` lines, in the order of their lines (a cheap
/// scan): each place one of the three words starts a line (after blanks)
/// is looked at, not every line.
fn referenced_paths(text: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for word in ["module ", "using ", "import "] {
        // The start of the current line, found in what lies between two
        // occurrences only (each byte looked at once, however long a line).
        let (mut line_start, mut seen) = (0, 0);
        for at in memchr::memmem::find_iter(text.as_bytes(), word) {
            if let Some(n) = memchr::memrchr(b'\n', &text.as_bytes()[seen..at]) {
                line_start = seen + n + 1;
            }
            seen = at;
            if !text[line_start..at].trim_start().is_empty() {
                continue;
            }
            // (At most one occurrence a line gets here.)
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            if let Some(path) = quoted_path(&text[at..line_end], word == "import ") {
                found.push((at, path));
            }
        }
    }
    found.sort_unstable_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, path)| path).collect()
}

/// The first quoted text of a `module` or `using` line, or of an `import`
/// line's ` from ` part (`None` for an `import` without one).
fn quoted_path(line: &str, import: bool) -> Option<String> {
    let line = if import {
        &line[line.rfind(" from ")?..]
    } else {
        line
    };
    let start = line.find('\'')? + 1;
    let end = start + line[start..].find('\'')?;
    Some(line[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Units evaluated on this thread ([`evaluate_job`]).
        pub(crate) static EVALUATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A module that the scan knows another file names is evaluated with
    /// its caller only, not first on its own as well; the output is the
    /// same as when the scan does not say.
    #[test]
    fn a_referenced_module_is_not_evaluated_on_its_own_first() {
        use aml_model::input::{describe, load_files, Frontend};
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/bicep/app");
        let main = root.join("main.bicep");
        let module = root.join("modules/pe.bicep");
        let (sources, files) = load_files(&[main.clone(), module.clone()]);
        let (limits, context) = (Default::default(), Default::default());
        let run = |referenced: &aml_model::FastSet<PathBuf>| {
            let input = FrontendInput {
                sources: &sources,
                files: &files,
                limits: &limits,
                context: &context,
                root_dir: Some(&root),
                referenced,
            };
            // A pool of one new thread: every evaluation counted on it.
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            let out = pool.install(|| Bicep::default().run_collected(&input));
            let evaluated = pool.install(|| EVALUATED.with(|n| n.get()));
            (describe(&sources, &out), evaluated)
        };
        let (unsaid, unsaid_count) = run(&Default::default());
        let named = [normalize_path(&module)].into_iter().collect();
        let (said, said_count) = run(&named);
        assert_eq!(said, unsaid);
        assert_eq!(unsaid_count, 2, "the module on its own, then the entry");
        assert_eq!(said_count, 1, "the entry alone");
        assert_eq!(said["units"].as_array().map(Vec::len), Some(1));
    }

    /// The scan before it looked at each place a word occurs: every line,
    /// trimmed, tested for the three words (kept here as the reference).
    fn referenced_paths_line_by_line(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let import_from = l.starts_with("import ") && l.contains(" from ");
                if !(l.starts_with("module ") || l.starts_with("using ") || import_from) {
                    return None;
                }
                let l = if import_from {
                    &l[l.rfind(" from ")?..]
                } else {
                    l
                };
                let start = l.find('\'')? + 1;
                let end = start + l[start..].find('\'')?;
                Some(l[start..end].to_string())
            })
            .collect()
    }

    /// The two scans agree on written cases and on every Bicep file of the
    /// shared corpora (when present).
    #[test]
    fn referenced_paths_are_those_of_a_line_by_line_scan() {
        let cases = [
            "module a './a.bicep' = {}\nusing './main.bicep'\nimport {x} from 'lib.bicep'\n",
            "  module a 'first.bicep'\r\n\tmodule b 'second.bicep'\n",
            "// a submodule 'not.bicep'\nvar s = 'module x'\nmetadata d = 'This module deploys'\n",
            "import * as t from 'types.bicep'\nimport 'no-from.bicep'\nimport {a} from 'x' from 'y.bicep'",
            "\u{2028}module u 'unicode-blank.bicep'\nmodule noquote x\nmodule open 'unterminated\n",
            "using 'last-line-no-newline.bicep'",
            "module ",
            "",
            "module a 'à.bicep'\nmodule b 'b.bicep' // module c 'c.bicep'\n",
        ];
        // One long line holding the word many times: looked at in linear
        // time (each occurrence looking back to the line's start would take
        // minutes here).
        let long = "x module 'a.bicep' ".repeat(200_000);
        let cases: Vec<&str> = cases.into_iter().chain([long.as_str()]).collect();
        for text in cases {
            assert_eq!(
                referenced_paths(text),
                referenced_paths_line_by_line(text),
                "{text:?}"
            );
        }
        let mut files = 0;
        for corpus in [
            "../../../shared/corpus/realworld",
            "../../../shared/corpus/wild",
        ] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(corpus);
            let mut stack = vec![root];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path
                        .extension()
                        .is_some_and(|e| e == "bicep" || e == "bicepparam")
                    {
                        let Ok(text) = std::fs::read_to_string(&path) else {
                            continue;
                        };
                        files += 1;
                        assert_eq!(
                            referenced_paths(&text),
                            referenced_paths_line_by_line(&text),
                            "{}",
                            path.display()
                        );
                    }
                }
            }
        }
        eprintln!("{files} corpus files compared");
    }
}
