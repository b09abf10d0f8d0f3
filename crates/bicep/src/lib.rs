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
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
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
    /// evaluates each with its parameters (in parallel).
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let mut out = FrontendOutput::default();
        if input.files.is_empty() {
            return out;
        }
        let (mut parsed, param_files) = parse_all(input, &mut out.diagnostics);
        let used_as_module = used_as_modules(&parsed);
        let by_template =
            bicepparam_targets(input.sources, &parsed, &param_files, &mut out.diagnostics);
        let jobs = self.entry_jobs(input.sources, &parsed, &used_as_module, &by_template);
        let param_asts: BTreeMap<FileId, Arc<ast::File>> = param_files.iter().cloned().collect();
        let entry_files: HashSet<FileId> = jobs.iter().map(|j| j.id).collect();
        let mut others: Vec<FileId> = parsed
            .values()
            .map(|(id, _)| *id)
            .filter(|id| !entry_files.contains(id))
            .collect();
        others.sort();
        // Evaluation looks up only the files a module or an import names
        // (parsed whole once); each entry file's tree is parsed by its job,
        // held by it alone and freed as soon as it is evaluated (issue 20).
        let referenced = referenced_files(input.sources, &parsed, &param_files);
        parsed.retain(|path, _| referenced.contains(path));
        parsed
            .par_iter_mut()
            .for_each(|(_, (id, ast))| *ast = full_tree(input.sources, *id));
        let parsed = parsed;
        let files: Vec<ScannedFile> = jobs
            .into_par_iter()
            .map(|job| {
                let session = eval::Session::new(
                    input.sources,
                    &parsed,
                    input.root_dir,
                    input.limits.clone(),
                );
                let (supplied, mut diags) = params::values(&session, &job.source, &param_asts);
                let ast = full_tree(input.sources, job.id);
                let mut result =
                    session.evaluate_entry(job.id, &ast, supplied, input.context.clone());
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
                units.unit(unit);
                file
            })
            .collect();
        out.files.extend(files);
        for id in others {
            out.file(id, "bicep", 0);
        }
        for (id, _) in &param_files {
            out.file(*id, "bicep-parameters", 0);
        }
        out
    }
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

/// A template's whole tree (its syntax errors were reported by the first
/// parse, [`parse_all`]).
fn full_tree(sources: &SourceMap, id: FileId) -> Arc<ast::File> {
    Arc::new(parse_file(id, &sources.get(id).text()).0)
}

/// Parses every file once, in parallel: the outlines of templates by
/// normalised path ([`outline`]), and the `.bicepparam` files.
fn parse_all(
    input: &FrontendInput<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (eval::Parsed, Vec<(FileId, Arc<ast::File>)>) {
    let sources = input.sources;
    let parsed_files: Vec<(FileId, ast::File, Vec<Diagnostic>)> = input
        .files
        .par_iter()
        .map(|f| {
            let (ast, diags) = parse_file(f.id, &sources.get(f.id).text());
            let path = &sources.get(f.id).path;
            let ast = if is_param_file(path) {
                ast
            } else {
                outline(ast)
            };
            (f.id, ast, diags)
        })
        .collect();
    let mut parsed = eval::Parsed::new();
    let mut param_files: Vec<(FileId, Arc<ast::File>)> = Vec::new();
    for (id, ast, diags) in parsed_files {
        diagnostics.extend(diags);
        let path = normalize_path(&sources.get(id).path);
        if is_param_file(&path) {
            param_files.push((id, Arc::new(ast)));
        } else {
            parsed.insert(path, (id, Arc::new(ast)));
        }
    }
    (parsed, param_files)
}

/// The files a local module or an import of a parsed file or a
/// `.bicepparam` names (as the evaluation resolves them, from the file's own
/// path and from its normalised one): the only files evaluation looks up.
fn referenced_files(
    sources: &SourceMap,
    parsed: &eval::Parsed,
    param_files: &[(FileId, Arc<ast::File>)],
) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
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
    let edges: BTreeMap<PathBuf, Vec<PathBuf>> = parsed
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
                .filter(|t| t != path && parsed.contains_key(t))
                .collect();
            (path.clone(), targets)
        })
        .collect();
    let mut used_as_module: HashSet<PathBuf> = edges.values().flatten().cloned().collect();
    let mut reached: HashSet<PathBuf> = HashSet::new();
    let reach = |from: &PathBuf, reached: &mut HashSet<PathBuf>| {
        let mut stack = vec![from.clone()];
        while let Some(p) = stack.pop() {
            if reached.insert(p.clone()) {
                stack.extend(edges.get(&p).into_iter().flatten().cloned());
            }
        }
    };
    for p in edges.keys().filter(|p| !used_as_module.contains(*p)) {
        reach(p, &mut reached);
    }
    for p in edges.keys() {
        if !reached.contains(p) {
            used_as_module.remove(p);
            reach(p, &mut reached);
        }
    }
    used_as_module
}

/// The templates the `.bicepparam` files name in `using`, with the files
/// naming each; a `using` that names no scanned template is a warning.
fn bicepparam_targets(
    sources: &SourceMap,
    parsed: &eval::Parsed,
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
                if parsed.contains_key(&target) {
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
        let explicit_parameters = self.options.parameters.as_deref().map(normalize_path);
        let mut jobs = Vec::new();
        let mut paths: Vec<&PathBuf> = parsed.keys().collect();
        paths.sort();
        for path in paths {
            let (id, _) = &parsed[path];
            if let Some(list) = by_template.get(path) {
                for (variant, p) in list.iter().enumerate() {
                    jobs.push(Job {
                        id: *id,
                        source: params::Source::BicepParam(*p),
                        variant: variant as u32,
                    });
                }
                continue;
            }
            if used_as_module.contains(path) {
                continue;
            }
            let source = params::choose(sources, path, explicit_parameters.as_deref());
            jobs.push(Job {
                id: *id,
                source,
                variant: 0,
            });
        }
        jobs
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
/// `import ... from '<path>'` lines (a cheap scan).
fn referenced_paths(text: &str) -> Vec<String> {
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
