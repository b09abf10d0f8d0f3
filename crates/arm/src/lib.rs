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
use json::Node;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
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
    if !text.contains("relativePath") || !may_be_arm(text) {
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
    /// evaluates every entry template in parallel.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let mut out = FrontendOutput::default();
        let mut sorted = sort_json(input, &mut out.diagnostics, &mut out.skipped);
        out.secret_spans = std::mem::take(&mut sorted.secret_spans);
        let linked = linked_templates(input.sources, &sorted.templates);
        let explicit_params = self.explicit_parameters(&sorted.parameter_files, &mut out);
        let jobs = entry_jobs(
            input.sources,
            sorted.templates,
            &linked,
            &sorted.parameter_files,
            &explicit_params,
        );
        let evaluated: Vec<(ScannedFile, Vec<Diagnostic>)> = jobs
            .entries
            .into_par_iter()
            .map(|job| evaluate_job(input, job, units))
            .collect();
        for (file, diags) in evaluated {
            out.diagnostics.extend(diags);
            out.files.push(file);
        }
        for id in jobs.linked {
            out.file(id, "arm", 0);
        }
        for (id, _) in sorted.parameter_files.values() {
            out.file(*id, "arm-parameters", 0);
        }
        out
    }
}

impl Arm {
    /// The `--parameters` file, parsed: `Err` with its path when it is not a
    /// parameter file (diagnosed here).
    fn explicit_parameters(
        &self,
        parameter_files: &BTreeMap<PathBuf, (FileId, json::Node)>,
        out: &mut FrontendOutput,
    ) -> Option<Result<(FileId, json::Node), PathBuf>> {
        let path = template::normalize_path(self.options.parameters.as_deref()?);
        let found = parameter_files
            .get(&path)
            .map(|(id, node)| (*id, node.clone()))
            .ok_or(path);
        if let Err(p) = &found {
            out.diagnostics.push(Diagnostic::error(
                "parameters-file",
                "the --parameters file is not a deployment parameter file (it needs the deploymentParameters.json `$schema`)",
                Location::Path(aml_model::source::display_path(p)),
            ));
        }
        Some(found)
    }
}

/// The JSON files given to the ARM front end, parsed and sorted. A
/// template's parsed tree is not kept: it is parsed again when it is
/// evaluated, so that the trees of thousands of templates are never in
/// memory at once (issue 20); parameter files, small and shared, are kept.
struct SortedJson {
    /// Each template with the local templates it links.
    templates: Vec<(FileId, HashSet<PathBuf>)>,
    parameter_files: BTreeMap<PathBuf, (FileId, json::Node)>,
    /// Where credentials are written in them (decision 0030).
    secret_spans: Vec<Span>,
}

/// Parses the files (in parallel) and sorts them into templates and
/// parameter files; other JSON named on the command line gets a warning,
/// invalid JSON that names an ARM schema (or was named) an error.
fn sort_json(
    input: &FrontendInput<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    skipped: &mut Vec<(FileId, String)>,
) -> SortedJson {
    let sources = input.sources;
    let parsed: Vec<_> = input
        .files
        .par_iter()
        .map(|f| {
            let result = json::parse(&sources.get(f.id).text()).map(|node| {
                let mut found = Found::default();
                if !matches!(classify(&node), JsonKind::Other) {
                    // Credentials by name, every copy of a duplicated key included.
                    aml_model::secrets::json_secret_spans(f.id, &node, &mut found.secret_spans);
                    found.diagnostics = json::duplicate_key_diagnostics(sources, f.id, &node);
                }
                match classify(&node) {
                    JsonKind::Template => {
                        let dir = parent_dir(&sources.get(f.id).path);
                        collect_relative_links(&node, &dir, &mut found.links, 0);
                        (found, Parsed::Template)
                    }
                    JsonKind::Parameters => (found, Parsed::Parameters(node)),
                    JsonKind::Other => (found, Parsed::Other),
                }
            });
            (f.id, f.explicit, result)
        })
        .collect();
    let mut sorted = SortedJson {
        templates: Vec::new(),
        parameter_files: BTreeMap::new(),
        secret_spans: Vec::new(),
    };
    for (id, explicit, result) in parsed {
        let file = sources.get(id);
        let result = result.map(|(found, parsed)| {
            sorted.secret_spans.extend(found.secret_spans);
            diagnostics.extend(found.diagnostics);
            (found.links, parsed)
        });
        match result {
            Ok((links, parsed)) => match parsed {
                Parsed::Template => sorted.templates.push((id, links)),
                Parsed::Parameters(node) => {
                    sorted.parameter_files.insert(file.path.clone(), (id, node));
                }
                Parsed::Other if explicit => diagnostics.push(Diagnostic::warning(
                    "template-structure",
                    "the file is JSON but not a deployment template or parameter file (no ARM `$schema`); it was not scanned",
                    Location::Span(Span::new(id, 0, 0)),
                )),
                Parsed::Other => skipped.push((
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
                    diagnostics.push(Diagnostic::error(
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
    let mut linked: HashSet<PathBuf> = HashSet::new();
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

/// One entry template to evaluate (parsed when it is, and freed as soon as
/// it is evaluated), with its parameter file.
struct Job<'a> {
    id: FileId,
    params: Option<(FileId, &'a json::Node)>,
}

/// The entry templates with their parameter files, and the linked ones.
struct Jobs<'a> {
    entries: Vec<Job<'a>>,
    linked: Vec<FileId>,
}

/// Pairs each entry template with its parameter file: `--parameters`, else
/// the one beside it.
fn entry_jobs<'a>(
    sources: &SourceMap,
    templates: Vec<(FileId, HashSet<PathBuf>)>,
    linked: &HashSet<PathBuf>,
    parameter_files: &'a BTreeMap<PathBuf, (FileId, json::Node)>,
    explicit_params: &'a Option<Result<(FileId, json::Node), PathBuf>>,
) -> Jobs<'a> {
    let mut count_by_dir = BTreeMap::<PathBuf, usize>::new();
    for (id, _) in &templates {
        *count_by_dir
            .entry(parent_dir(&sources.get(*id).path))
            .or_default() += 1;
    }
    let mut jobs = Jobs {
        entries: Vec::new(),
        linked: Vec::new(),
    };
    for (id, _) in templates {
        let path = &sources.get(id).path;
        if linked.contains(&template::normalize_path(path)) {
            jobs.linked.push(id);
            continue;
        }
        let params = match explicit_params {
            Some(Ok((pid, pnode))) => Some((*pid, pnode)),
            _ => beside_parameter_file(path, parameter_files, &count_by_dir)
                .map(|(pid, pnode)| (*pid, pnode)),
        };
        jobs.entries.push(Job { id, params });
    }
    jobs
}

/// Evaluates one entry template with its parameter values; hands the unit
/// to `units` and returns its file record and the parameter file's diagnostics.
fn evaluate_job(
    input: &FrontendInput<'_>,
    job: Job<'_>,
    units: &dyn UnitSink,
) -> (ScannedFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let values = match job.params {
        Some((pid, pnode)) => match template::ParameterValues::from_parameter_file(pid, pnode) {
            Ok(v) => v,
            Err((message, offset)) => {
                diags.push(Diagnostic::error(
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
    let Ok(node) = json::parse(&input.sources.get(job.id).text()) else {
        let file = ScannedFile {
            file: job.id,
            format: "arm",
            resources: 0,
            parameters: job.params.map(|(p, _)| p),
        };
        return (file, diags);
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
    units.unit(DeploymentOutput::new(job.id, result));
    (file, diags)
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
