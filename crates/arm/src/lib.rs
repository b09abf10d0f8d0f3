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
use aml_model::input::{DeploymentOutput, FrontendInput, FrontendOutput, InputFile, ScannedFile};
use aml_model::json;
use aml_model::source::{FileId, Span};
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

/// Runs the ARM front end over the files read by the scan: sorts JSON into
/// templates and parameter files, pairs them, and evaluates every entry
/// template (in parallel). Templates linked from another by relative path are
/// evaluated by their caller only.
pub fn run(input: &FrontendInput<'_>) -> FrontendOutput {
    let sources = input.sources;
    let mut out = FrontendOutput::default();
    let candidates: Vec<&InputFile> = input
        .files
        .iter()
        .filter(|f| wants(&sources.get(f.id).path))
        .collect();
    let parsed: Vec<(FileId, bool, Result<json::Node, json::JsonError>)> = candidates
        .par_iter()
        .map(|f| (f.id, f.explicit, json::parse(&sources.get(f.id).text)))
        .collect();
    let explicit_parameters = input
        .options
        .parameters
        .as_deref()
        .map(template::normalize_path);

    // Sort files into templates and parameter files.
    let mut templates: Vec<(FileId, json::Node)> = Vec::new();
    let mut parameter_files: BTreeMap<PathBuf, (FileId, json::Node)> = BTreeMap::new();
    for (id, explicit, result) in parsed {
        let file = sources.get(id);
        if let Ok(node) = &result {
            if !matches!(classify(node), JsonKind::Other) {
                // Credentials by name, every copy of a duplicated key included.
                aml_model::secrets::json_secret_spans(id, node, &mut out.secret_spans);
                out.diagnostics
                    .extend(json::duplicate_key_diagnostics(sources, id, node));
            }
        }
        match result {
            Ok(node) => match classify(&node) {
                JsonKind::Template => templates.push((id, node)),
                JsonKind::Parameters => {
                    parameter_files.insert(file.path.clone(), (id, node));
                }
                JsonKind::Other => {
                    if explicit
                        && !aml_model::input::looks_like_plan(&file.text)
                        && !aml_model::input::looks_like_live_export(&file.text)
                    {
                        out.diagnostics.push(Diagnostic::warning(
                            "template-structure",
                            "the file is JSON but not a deployment template or parameter file (no ARM `$schema`); it was not scanned",
                            Location::Span(Span::new(id, 0, 0)),
                        ));
                    }
                }
            },
            Err(e) => {
                // Only files that look like ARM are worth an error (plans: the Terraform front end).
                if (explicit
                    && !aml_model::input::looks_like_plan(&file.text)
                    && !aml_model::input::looks_like_live_export(&file.text))
                    || file
                        .text
                        .to_ascii_lowercase()
                        .contains("deploymenttemplate.json")
                    || file
                        .text
                        .to_ascii_lowercase()
                        .contains("deploymentparameters.json")
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

    // Templates linked from others by relative path are evaluated by their caller.
    let mut linked: HashSet<PathBuf> = HashSet::new();
    let mut links_of: Vec<HashSet<PathBuf>> = Vec::with_capacity(templates.len());
    for (id, node) in &templates {
        let dir = sources
            .get(*id)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut links = HashSet::new();
        collect_relative_links(node, &dir, &mut links, 0);
        linked.extend(links.iter().cloned());
        links_of.push(links);
    }
    // Templates that only link each other in a cycle have no caller outside
    // it: the first of each such cycle is evaluated as an entry (and the
    // evaluator reports the cycle) rather than silently skipped.
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
    let template_count_by_dir =
        templates
            .iter()
            .fold(BTreeMap::<PathBuf, usize>::new(), |mut m, (id, _)| {
                let dir = sources
                    .get(*id)
                    .path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                *m.entry(dir).or_default() += 1;
                m
            });

    // Pair each entry template with its parameter file.
    let explicit_params = explicit_parameters.as_ref().map(|p| {
        parameter_files
            .get(p)
            .map(|(id, node)| (*id, node.clone()))
            .ok_or_else(|| p.clone())
    });
    if let Some(Err(p)) = &explicit_params {
        out.diagnostics.push(Diagnostic::error(
            "parameters-file",
            "the --parameters file is not a deployment parameter file (it needs the deploymentParameters.json `$schema`)",
            Location::Path(aml_model::source::display_path(p)),
        ));
    }
    // Entry templates become jobs that own their parsed node, so each node is
    // freed as soon as its template is evaluated; linked ones keep their id.
    let mut jobs: Vec<Job> = Vec::new();
    let mut linked_ids: Vec<FileId> = Vec::new();
    for (id, node) in templates {
        let path = &sources.get(id).path;
        if linked.contains(&template::normalize_path(path)) {
            linked_ids.push(id);
            continue;
        }
        let params = match &explicit_params {
            Some(Ok((pid, pnode))) => Some((*pid, pnode)),
            _ => beside_parameter_file(path, &parameter_files, &template_count_by_dir)
                .map(|(pid, pnode)| (*pid, pnode)),
        };
        jobs.push((id, node, params));
    }

    let evaluated: Vec<_> = jobs
        .into_par_iter()
        .map(|(id, node, params)| {
            let mut diags = Vec::new();
            let values = match params {
                Some((pid, pnode)) => {
                    match template::ParameterValues::from_parameter_file(pid, pnode) {
                        Ok(v) => v,
                        Err((message, offset)) => {
                            diags.push(Diagnostic::error(
                                "parameters-file",
                                message,
                                Location::Span(Span::new(
                                    pid,
                                    offset as usize,
                                    offset as usize + 1,
                                )),
                            ));
                            Default::default()
                        }
                    }
                }
                None => Default::default(),
            };
            let mut context = input.options.context.clone();
            context.scope = target_scope(&node);
            let mut result = template::evaluate(
                sources,
                id,
                &node,
                &values,
                context,
                input.root_dir,
                input.options.limits.clone(),
            );
            secrets::feeding_spans(id, &node, params, &mut result.secret_spans);
            (id, params.map(|(p, _)| p), diags, result)
        })
        .collect();

    for (id, params, diags, result) in evaluated {
        out.diagnostics.extend(diags);
        out.files.push(ScannedFile {
            file: id,
            format: "arm",
            resources: result.resources.len(),
            parameters: params,
        });
        out.deployments.push(DeploymentOutput {
            entry: id,
            resources: result.resources,
            secrets: result.secrets,
            secret_spans: result.secret_spans,
            located_secrets: result.located_secrets,
            secure_defaults: result.secure_defaults,
            diagnostics: result.diagnostics,
        });
    }
    for id in linked_ids {
        out.files.push(ScannedFile {
            file: id,
            format: "arm",
            resources: 0,
            parameters: None,
        });
    }
    for (id, _) in parameter_files.values() {
        out.files.push(ScannedFile {
            file: *id,
            format: "arm-parameters",
            resources: 0,
            parameters: None,
        });
    }
    out
}

/// One entry template to evaluate, with its parameter file.
type Job<'a> = (FileId, json::Node, Option<(FileId, &'a json::Node)>);

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
