//! ARM deployment templates: the template expression language ([`expr`]),
//! its function library ([`functions`], shared with the Bicep front end), and
//! the ARM front end, which recognises deployment templates and parameter
//! files among JSON files and evaluates templates into model resources
//! ([`template`]).

pub mod env;
pub mod expr;
pub mod functions;
pub mod secrets;
pub mod template;

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, ScannedFile,
    UnitSink,
};
use aml_model::json;
use aml_model::source::{FileId, SourceMap, Span};
use aml_model::{FastMap as HashMap, FastSet as HashSet};
use json::Node;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Files this front end reads: `.json` and `.jsonc`.
pub fn wants(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonc"))
}

/// What a JSON file is, judged by its `$schema`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// A deployment template (resource group, subscription, management group or tenant).
    Template,
    /// A deployment parameter file.
    Parameters,
    /// Any other JSON (`metadata.json`, `package.json`, ...): skipped silently.
    Other,
}

/// Classifies a parsed JSON document by its `$schema`.
pub fn classify(root: &Node) -> JsonKind {
    let Some(schema) = root.get("$schema").and_then(Node::as_str) else {
        return JsonKind::Other;
    };
    let schema = schema.to_ascii_lowercase();
    if schema.contains("deploymenttemplate.json") {
        JsonKind::Template
    } else if schema.contains("deploymentparameters.json") {
        JsonKind::Parameters
    } else {
        JsonKind::Other
    }
}

/// Cheap check on raw text before parsing: could this file be a template or a
/// parameter file? Avoids parsing every JSON file of a large repository.
pub fn may_be_arm(text: &str) -> bool {
    let head = if text.len() > 4096 {
        let mut end = 4096;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    } else {
        text
    };
    head.contains("$schema") || text.contains("deploymentTemplate.json")
}

/// The deployment scope a template's `$schema` declares.
pub fn target_scope(root: &Node) -> crate::expr::TargetScope {
    use crate::expr::TargetScope;
    let schema = root
        .get("$schema")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if schema.contains("subscriptiondeploymenttemplate") {
        TargetScope::Subscription
    } else if schema.contains("managementgroupdeploymenttemplate") {
        TargetScope::ManagementGroup
    } else if schema.contains("tenantdeploymenttemplate") {
        TargetScope::Tenant
    } else {
        TargetScope::ResourceGroup
    }
}

/// The local templates a JSON file links with a literal
/// `templateLink.relativePath` (normalised, relative to the file's folder);
/// nothing for a file that does not parse or links none.
pub fn linked_template_paths(path: &Path, text: &str) -> Vec<PathBuf> {
    fn walk(node: &Node, depth: usize, out: &mut Vec<String>) {
        if depth > 64 {
            return;
        }
        if let Some(rel) = node
            .get("templateLink")
            .and_then(|l| l.get("relativePath"))
            .and_then(Node::as_str)
            .filter(|r| !r.starts_with('['))
        {
            out.push(rel.to_string());
        }
        if let Some(members) = node.as_members() {
            members.iter().for_each(|m| walk(&m.value, depth + 1, out));
        } else if let Some(items) = node.as_array() {
            items.iter().for_each(|n| walk(n, depth + 1, out));
        }
    }
    // Most templates link none: skip parsing them twice.
    if !aml_model::input::holds(text, "relativePath") || !may_be_arm(text) {
        return Vec::new();
    }
    let Ok(root) = json::parse(text) else {
        return Vec::new();
    };
    let mut rels = Vec::new();
    walk(&root, 0, &mut rels);
    let dir = path.parent().unwrap_or(Path::new(""));
    rels.iter()
        .map(|r| aml_model::source::normalize_path(&dir.join(r)))
        .collect()
}

/// The ARM front end's own settings.
#[derive(Clone, Debug, Default)]
pub struct ArmOptions {
    /// A parameter file for every template scanned (`--parameters`).
    pub parameters: Option<PathBuf>,
}

/// The ARM front end: deployment templates and parameter files among JSON
/// files. Templates linked from another by relative path are evaluated by
/// their caller only.
#[derive(Clone, Debug, Default)]
pub struct Arm {
    pub options: ArmOptions,
}

impl Arm {
    /// The front end with its settings.
    pub fn new(options: ArmOptions) -> Self {
        Arm { options }
    }
}

impl Frontend for Arm {
    fn name(&self) -> &'static str {
        "arm"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["json", "jsonc"]
    }

    /// Every JSON file that neither a Terraform plan nor a live export
    /// claims: templates and parameter files, and, when named on the command
    /// line, any other JSON (which then gets a warning).
    fn claim(&self, file: &Candidate<'_>) -> Claim {
        if wants(file.path) && (file.explicit || may_be_arm(file.text)) {
            Claim::Fallback
        } else {
            Claim::No
        }
    }

    /// The parameter files beside a template named alone.
    fn companions(&self, path: &Path) -> Vec<PathBuf> {
        let (Some(dir), Some(stem)) = (path.parent(), path.file_stem().and_then(|s| s.to_str()))
        else {
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

    fn local_references(&self, path: &Path, text: &str) -> Vec<PathBuf> {
        linked_template_paths(path, text)
    }

    fn option_files(&self) -> Vec<PathBuf> {
        self.options.parameters.iter().cloned().collect()
    }

    /// Sorts the JSON into templates and parameter files, pairs them, and
    /// evaluates every entry template, folder by folder in parallel: a
    /// folder's files are parsed once and its templates evaluated from those
    /// trees (decision 0050).
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let mut out = FrontendOutput::default();
        let explicit_params = self.explicit_parameters(input);
        let mut results: Vec<(usize, FileResult)> = by_folder(input)
            .into_par_iter()
            .flat_map_iter(|files| evaluate_folder(input, &files, &explicit_params))
            .collect();
        // Every file is in one folder: in index order, the files' order.
        results.sort_unstable_by_key(|(i, _)| *i);
        let (files_sorted, jobs): (Vec<Sorted>, Vec<Option<JobResult>>) =
            results.into_iter().map(|(_, r)| (r.sorted, r.job)).unzip();
        let sorted = sort_json(input, files_sorted, &mut out);
        if let Some(Err(path)) = &explicit_params {
            out.diagnostics.push(Diagnostic::error(
                "parameters-file",
                "the --parameters file is not a deployment parameter file (it needs the deploymentParameters.json `$schema`)",
                Location::Path(aml_model::source::display_path(path)),
            ));
        }
        // Every template was evaluated as if it were an entry; those another
        // template links are evaluated by their caller instead.
        let linked = linked_templates(input.sources, &sorted.templates);
        let mut linked_ids = Vec::new();
        for (f, job) in input.files.iter().zip(jobs) {
            let Some(job) = job else {
                continue;
            };
            let path = &input.sources.get(f.id).path;
            if linked.contains(&template::normalize_path(path)) {
                linked_ids.push(f.id);
                continue;
            }
            out.diagnostics.extend(job.diagnostics);
            out.files.push(job.file);
            if let Some(unit) = job.unit {
                units.unit(unit);
            }
        }
        for id in linked_ids {
            out.file(id, "arm", 0);
        }
        for id in sorted.parameter_files.values() {
            out.file(*id, "arm-parameters", 0);
        }
        out
    }
}

impl Arm {
    /// The `--parameters` file, parsed: `Err` with its path when it is not a
    /// parameter file (diagnosed once the files are sorted).
    fn explicit_parameters(
        &self,
        input: &FrontendInput<'_>,
    ) -> Option<Result<(FileId, json::Node), PathBuf>> {
        let path = template::normalize_path(self.options.parameters.as_deref()?);
        let found = input
            .files
            .iter()
            .find(|f| input.sources.get(f.id).path == path)
            .and_then(|f| {
                let node = json::parse(&input.sources.get(f.id).text()).ok()?;
                matches!(classify(&node), JsonKind::Parameters).then_some((f.id, node))
            })
            .ok_or(path);
        Some(found)
    }
}

/// The files given to the ARM front end by folder (indices into
/// `input.files`, in order), folders in path order.
fn by_folder(input: &FrontendInput<'_>) -> Vec<Vec<usize>> {
    let mut index: HashMap<PathBuf, usize> = Default::default();
    let mut folders: Vec<(PathBuf, Vec<usize>)> = Vec::new();
    for (i, f) in input.files.iter().enumerate() {
        let dir = parent_dir(&input.sources.get(f.id).path);
        match index.get(&dir) {
            Some(&at) => folders[at].1.push(i),
            None => {
                index.insert(dir.clone(), folders.len());
                folders.push((dir, vec![i]));
            }
        }
    }
    drop(index);
    in_path_order(folders)
}

/// The values of `folders` (distinct paths) in the order of their paths,
/// each path's components parsed once: comparing two paths parses both
/// again (a search tree of 10,000 folders compared each path a dozen times).
fn in_path_order<T>(folders: Vec<(PathBuf, T)>) -> Vec<T> {
    let mut order: Vec<(Vec<std::path::Component<'_>>, usize)> = folders
        .iter()
        .enumerate()
        .map(|(at, (dir, _))| (dir.components().collect(), at))
        .collect();
    order.sort_unstable();
    let order: Vec<usize> = order.into_iter().map(|(_, at)| at).collect();
    let mut folders: Vec<Option<T>> = folders.into_iter().map(|(_, f)| Some(f)).collect();
    order
        .into_iter()
        .filter_map(|at| folders[at].take())
        .collect()
}

/// At most this many templates of one folder keep their trees between
/// sorting and evaluation; the others are parsed again when they are
/// evaluated, so that the trees of thousands of templates in one folder are
/// never in memory at once (issue 20).
const KEPT_TREES_PER_FOLDER: usize = 16;

/// What parsing one JSON file found, or why it did not parse.
type Sorted = Result<(Found, Parsed), json::JsonError>;

/// What one JSON file is, found by parsing it, and, for a template, its
/// evaluation as an entry.
struct FileResult {
    sorted: Sorted,
    job: Option<JobResult>,
}

/// A template evaluated as an entry: its unit (none when it did not parse),
/// its file record and its parameter file's diagnostics.
struct JobResult {
    unit: Option<DeploymentOutput>,
    file: ScannedFile,
    diagnostics: Vec<Diagnostic>,
}

/// Parses the files of one folder and evaluates each of its templates as
/// an entry, with the parameter file beside it (or `--parameters`).
fn evaluate_folder(
    input: &FrontendInput<'_>,
    files: &[usize],
    explicit_params: &Option<Result<(FileId, json::Node), PathBuf>>,
) -> Vec<(usize, FileResult)> {
    let sources = input.sources;
    let kept = std::sync::atomic::AtomicUsize::new(0);
    let parsed: Vec<(usize, Sorted, Option<Node>)> = files
        .par_iter()
        .map(|&i| {
            let f = &input.files[i];
            let (sorted, tree) = sort_one(sources, f.id);
            // The first trees of the folder are kept, the rest dropped at once.
            let keep = tree.is_some()
                && kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < KEPT_TREES_PER_FOLDER;
            (i, sorted, tree.filter(|_| keep))
        })
        .collect();
    let templates = parsed
        .iter()
        .filter(|(_, r, _)| matches!(r, Ok((_, Parsed::Template))))
        .count();
    // The folder's parameter files, by path, and how many templates it holds.
    let params: BTreeMap<PathBuf, (FileId, json::Node)> = parsed
        .iter()
        .filter_map(|(i, r, _)| match r {
            Ok((_, Parsed::Parameters(node))) => {
                let id = input.files[*i].id;
                Some((sources.get(id).path.clone(), (id, node.clone())))
            }
            _ => None,
        })
        .collect();
    let mut count_by_dir = BTreeMap::new();
    if let Some(&(i, ..)) = parsed.first() {
        count_by_dir.insert(parent_dir(&sources.get(input.files[i].id).path), templates);
    }
    parsed
        .into_par_iter()
        .map(|(i, sorted, tree)| {
            let id = input.files[i].id;
            let job = matches!(sorted, Ok((_, Parsed::Template))).then(|| {
                let path = &sources.get(id).path;
                let params = match explicit_params {
                    Some(Ok((pid, pnode))) => Some((*pid, pnode)),
                    _ => beside_parameter_file(path, &params, &count_by_dir)
                        .map(|(pid, pnode)| (*pid, pnode)),
                };
                evaluate_job(input, Job { id, params }, tree)
            });
            (i, FileResult { sorted, job })
        })
        .collect()
}

/// Parses one JSON file and finds what it is; the tree of a template is
/// returned beside (for its evaluation).
fn sort_one(sources: &SourceMap, id: FileId) -> (Sorted, Option<Node>) {
    let mut tree = None;
    let result = json::parse(&sources.get(id).text()).map(|node| {
        let mut found = Found::default();
        if !matches!(classify(&node), JsonKind::Other) {
            // Credentials by name, every copy of a duplicated key included.
            aml_model::secrets::json_secret_spans(id, &node, &mut found.secret_spans);
            found.diagnostics = json::duplicate_key_diagnostics(sources, id, &node);
        }
        match classify(&node) {
            JsonKind::Template => {
                let dir = parent_dir(&sources.get(id).path);
                collect_relative_links(&node, &dir, &mut found.links, 0);
                tree = Some(node);
                (found, Parsed::Template)
            }
            JsonKind::Parameters => (found, Parsed::Parameters(node)),
            JsonKind::Other => (found, Parsed::Other),
        }
    });
    (result, tree)
}

/// The JSON files given to the ARM front end, sorted: templates with the
/// templates they link, parameter files by path.
struct SortedJson {
    /// Each template with the local templates it links.
    templates: Vec<(FileId, HashSet<PathBuf>)>,
    parameter_files: BTreeMap<PathBuf, FileId>,
}

/// Sorts the files (in their order) into templates and parameter files;
/// other JSON named on the command line gets a warning, invalid JSON that
/// names an ARM schema (or was named) an error. Where credentials are
/// written goes to `out.secret_spans` (decision 0030).
fn sort_json(
    input: &FrontendInput<'_>,
    files_sorted: Vec<Sorted>,
    out: &mut FrontendOutput,
) -> SortedJson {
    let sources = input.sources;
    let mut sorted = SortedJson {
        templates: Vec::new(),
        parameter_files: BTreeMap::new(),
    };
    for (f, result) in input.files.iter().zip(files_sorted) {
        let (id, explicit) = (f.id, f.explicit);
        let file = sources.get(id);
        let taken = result.map(|(found, parsed)| {
            out.secret_spans.extend(found.secret_spans);
            out.diagnostics.extend(found.diagnostics);
            (found.links, parsed)
        });
        match taken {
            Ok((links, parsed)) => match parsed {
                Parsed::Template => sorted.templates.push((id, links)),
                Parsed::Parameters(_) => {
                    sorted.parameter_files.insert(file.path.clone(), id);
                }
                Parsed::Other if explicit => out.diagnostics.push(Diagnostic::warning(
                    "template-structure",
                    "the file is JSON but not a deployment template or parameter file (no ARM `$schema`); it was not scanned",
                    Location::Span(Span::new(id, 0, 0)),
                )),
                Parsed::Other => out.skipped.push((
                    id,
                    "JSON without a deployment template or parameter file `$schema`".to_string(),
                )),
            },
            Err(e) => {
                let lower = file.text().to_ascii_lowercase();
                if explicit
                    || lower.contains("deploymenttemplate.json")
                    || lower.contains("deploymentparameters.json")
                {
                    out.diagnostics.push(Diagnostic::error(
                        "json-syntax",
                        format!("invalid JSON: {}", e.message),
                        Location::Span(Span::new(id, e.offset, e.offset + 1)),
                    ));
                }
            }
        }
    }
    sorted
}

/// What parsing one JSON file found besides its kind.
#[derive(Default)]
struct Found {
    secret_spans: Vec<Span>,
    diagnostics: Vec<Diagnostic>,
    /// The local templates a template links.
    links: HashSet<PathBuf>,
}

/// A JSON file's kind, with the tree of a parameter file.
enum Parsed {
    Template,
    Parameters(json::Node),
    Other,
}

/// The templates linked from others by relative path (evaluated by their
/// caller). Templates that only link each other in a cycle have no caller
/// outside it: the first of each such cycle is left out of the set, to be
/// evaluated as an entry (and the evaluator reports the cycle) rather than
/// silently skipped.
fn linked_templates(
    sources: &SourceMap,
    templates: &[(FileId, HashSet<PathBuf>)],
) -> HashSet<PathBuf> {
    let mut linked: HashSet<PathBuf> = HashSet::default();
    let links_of: Vec<&HashSet<PathBuf>> = templates.iter().map(|(_, links)| links).collect();
    for links in &links_of {
        linked.extend(links.iter().cloned());
    }
    let paths: Vec<PathBuf> = templates
        .iter()
        .map(|(id, _)| template::normalize_path(&sources.get(*id).path))
        .collect();
    let index: HashMap<&PathBuf, usize> = paths.iter().enumerate().map(|(i, p)| (p, i)).collect();
    let mut reached = vec![false; templates.len()];
    let mark_from = |start: usize, reached: &mut Vec<bool>| {
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut reached[i], true) {
                continue;
            }
            stack.extend(links_of[i].iter().filter_map(|p| index.get(p).copied()));
        }
    };
    for (i, path) in paths.iter().enumerate() {
        if !linked.contains(path) {
            mark_from(i, &mut reached);
        }
    }
    for i in 0..templates.len() {
        if !reached[i] {
            linked.remove(&paths[i]);
            mark_from(i, &mut reached);
        }
    }
    linked
}

fn parent_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// One template to evaluate as an entry, with its parameter file.
struct Job<'a> {
    id: FileId,
    params: Option<(FileId, &'a json::Node)>,
}

/// Evaluates one template as an entry with its parameter values, from its
/// tree when it was kept (else parsed again); returns its unit, its file
/// record and the parameter file's diagnostics.
fn evaluate_job(input: &FrontendInput<'_>, job: Job<'_>, tree: Option<Node>) -> JobResult {
    let mut diagnostics = Vec::new();
    let values = match job.params {
        Some((pid, pnode)) => match template::ParameterValues::from_parameter_file(pid, pnode) {
            Ok(v) => v,
            Err((message, offset)) => {
                diagnostics.push(Diagnostic::error(
                    "parameters-file",
                    message,
                    Location::Span(Span::new(pid, offset as usize, offset as usize + 1)),
                ));
                Default::default()
            }
        },
        None => Default::default(),
    };
    // It parsed when it was sorted; parsing is deterministic.
    let node = match tree {
        Some(node) => node,
        None => match json::parse(&input.sources.get(job.id).text()) {
            Ok(node) => node,
            Err(_) => {
                let file = ScannedFile {
                    file: job.id,
                    format: "arm",
                    resources: 0,
                    parameters: job.params.map(|(p, _)| p),
                };
                return JobResult {
                    unit: None,
                    file,
                    diagnostics,
                };
            }
        },
    };
    let mut context = input.context.clone();
    context.scope = target_scope(&node);
    let mut result = template::evaluate(
        input.sources,
        job.id,
        &node,
        &values,
        context,
        input.root_dir,
        input.limits.clone(),
    );
    let (resources, duplicates) = aml_model::model::merge_known_duplicates(
        std::mem::take(&mut result.resources),
        input.sources,
    );
    result.resources = resources;
    result.diagnostics.extend(duplicates);
    secrets::feeding_spans(job.id, &node, job.params, &mut result.secret_spans);
    drop(node);
    let file = ScannedFile {
        file: job.id,
        format: "arm",
        resources: result.resources.len(),
        parameters: job.params.map(|(p, _)| p),
    };
    JobResult {
        unit: Some(DeploymentOutput::new(job.id, result)),
        file,
        diagnostics,
    }
}

/// `<stem>.parameters.json` beside the template, else `azuredeploy.parameters.json`
/// when the template is `azuredeploy.json` or the only template in its folder.
fn beside_parameter_file<'p>(
    template: &Path,
    params: &'p BTreeMap<PathBuf, (FileId, json::Node)>,
    count_by_dir: &BTreeMap<PathBuf, usize>,
) -> Option<&'p (FileId, json::Node)> {
    let dir = template.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = template.file_stem()?.to_str()?;
    if let Some(p) = params.get(&dir.join(format!("{stem}.parameters.json"))) {
        return Some(p);
    }
    let only = count_by_dir.get(&dir).copied().unwrap_or(0) == 1;
    if stem.eq_ignore_ascii_case("azuredeploy") || only {
        return params.get(&dir.join("azuredeploy.parameters.json"));
    }
    None
}

/// Paths named by `templateLink.relativePath` string literals.
fn collect_relative_links(node: &json::Node, dir: &Path, out: &mut HashSet<PathBuf>, depth: usize) {
    use json::NodeKind;
    if depth > 600 {
        return;
    }
    match &node.kind {
        NodeKind::Object(members) => {
            for m in members {
                if m.key.eq_ignore_ascii_case("templateLink") {
                    if let Some(rel) = m.value.get("relativePath").and_then(|n| n.as_str()) {
                        if !crate::expr::is_expression(rel) {
                            out.insert(template::normalize_path(&dir.join(rel)));
                        }
                    }
                }
                collect_relative_links(&m.value, dir, out, depth + 1);
            }
        }
        NodeKind::Array(items) => items
            .iter()
            .for_each(|i| collect_relative_links(i, dir, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_come_in_the_order_paths_compare_in() {
        let paths = [
            "a",
            "a/b",
            "a-b",
            "a/b/c",
            "./x",
            "../y",
            "/abs",
            "/abs/z",
            "",
            "b.c",
            "b/c",
            "a b",
            "A",
            "é",
            "a/.hidden",
            "x/../y",
        ];
        let folders: Vec<(PathBuf, &str)> = paths.iter().map(|p| (PathBuf::from(p), *p)).collect();
        let by_tree: Vec<&str> = folders
            .iter()
            .map(|(p, v)| (p.clone(), *v))
            .collect::<BTreeMap<_, _>>()
            .into_values()
            .collect();
        assert_eq!(in_path_order(folders), by_tree);
    }
}
