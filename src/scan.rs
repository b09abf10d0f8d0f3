//! The scan pipeline up to the model: discover files, read them, run the
//! front ends (in parallel, each file parsed once) and gather the resources.

use crate::diagnostics::{Diagnostic, Location};
use crate::expr::DeploymentContext;
use crate::frontend::{self, arm};
use crate::model::Model;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// What to scan and how.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Files and folders to scan.
    pub paths: Vec<PathBuf>,
    /// A parameter file for every template scanned (`--parameters`).
    pub parameters: Option<PathBuf>,
    /// Limits on loops, nesting and resources.
    pub limits: arm::template::Limits,
    /// The deployment context templates are evaluated in.
    pub context: DeploymentContext,
}

/// One input file and what was read from it.
#[derive(Clone, Debug)]
pub struct ScannedFile {
    pub file: FileId,
    /// `arm`, or `arm-parameters` for a parameter file.
    pub format: &'static str,
    /// Resources the file contributed to the model (entry templates only).
    pub resources: usize,
    /// The parameter file used with this template, if any.
    pub parameters: Option<FileId>,
}

/// The model of everything scanned, with the files and diagnostics.
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub sources: SourceMap,
    pub files: Vec<ScannedFile>,
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

/// One entry template to evaluate, with its parameter file.
type Job<'a> = (
    FileId,
    &'a arm::json::Node,
    Option<(FileId, &'a arm::json::Node)>,
);

/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

enum Read {
    Text(SourceFile),
    Skip,
    Problem(PathBuf, &'static str, String),
}

fn read_file(path: &Path, explicit: bool) -> Read {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return Read::Problem(path.to_path_buf(), "io", e.to_string()),
    };
    if meta.len() > MAX_FILE_BYTES {
        return Read::Problem(
            path.to_path_buf(),
            "file-too-large",
            format!(
                "the file is {} bytes; files over {MAX_FILE_BYTES} bytes are not read",
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
        Err(_) if !explicit => return Read::Skip,
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
    if !explicit && !arm::may_be_arm(&text) {
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
            Location::Path(crate::source::display_path(&path)),
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
    // A template named on its own brings the parameter files beside it.
    let mut siblings = Vec::new();
    for p in explicit.iter() {
        let (Some(dir), Some(stem)) = (p.parent(), p.file_stem().and_then(|s| s.to_str())) else {
            continue;
        };
        for name in [
            format!("{stem}.parameters.json"),
            "azuredeploy.parameters.json".to_string(),
        ] {
            let sibling = dir.join(name);
            if sibling.is_file()
                && !to_read.iter().any(|(q, _)| *q == sibling)
                && !siblings.contains(&sibling)
            {
                siblings.push(sibling);
            }
        }
    }
    siblings.sort();
    to_read.extend(siblings.into_iter().map(|p| (p, false)));
    let explicit_parameters = options
        .parameters
        .as_deref()
        .map(arm::template::normalize_path);
    if let Some(p) = &explicit_parameters {
        if !to_read.iter().any(|(q, _)| q == p) {
            to_read.push((p.clone(), true));
        }
    }

    // Read and parse in parallel; keep the discovery order.
    let read: Vec<(Read, bool)> = to_read
        .par_iter()
        .map(|(p, e)| (read_file(p, *e), *e))
        .collect();
    let mut parsed: Vec<(FileId, bool, Result<arm::json::Node, arm::json::JsonError>)> = Vec::new();
    let mut pending = Vec::new();
    for (r, explicit) in read {
        match r {
            Read::Text(f) => pending.push((out.sources.add(f), explicit)),
            Read::Skip => {}
            Read::Problem(path, code, message) => out.diagnostics.push(Diagnostic::error(
                code,
                message,
                Location::Path(crate::source::display_path(&path)),
            )),
        }
    }
    let results: Vec<_> = pending
        .par_iter()
        .map(|(id, _)| arm::json::parse(&out.sources.get(*id).text))
        .collect();
    for ((id, e), r) in pending.into_iter().zip(results) {
        parsed.push((id, e, r));
    }

    // Sort files into templates and parameter files.
    let mut templates: Vec<(FileId, arm::json::Node)> = Vec::new();
    let mut parameter_files: BTreeMap<PathBuf, (FileId, arm::json::Node)> = BTreeMap::new();
    for (id, explicit, result) in parsed {
        let file = out.sources.get(id);
        match result {
            Ok(node) => match arm::classify(&node) {
                arm::JsonKind::Template => templates.push((id, node)),
                arm::JsonKind::Parameters => {
                    parameter_files.insert(file.path.clone(), (id, node));
                }
                arm::JsonKind::Other => {
                    if explicit {
                        out.diagnostics.push(Diagnostic::warning(
                            "template-structure",
                            "the file is JSON but not a deployment template or parameter file (no ARM `$schema`); it was not scanned",
                            Location::Span(Span::new(id, 0, 0)),
                        ));
                    }
                }
            },
            Err(e) => {
                // Only files that look like ARM are worth an error.
                if explicit
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
    for (id, node) in &templates {
        let dir = out
            .sources
            .get(*id)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        collect_relative_links(node, &dir, &mut linked, 0);
    }
    let template_count_by_dir =
        templates
            .iter()
            .fold(BTreeMap::<PathBuf, usize>::new(), |mut m, (id, _)| {
                let dir = out
                    .sources
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
            Location::Path(crate::source::display_path(p)),
        ));
    }
    let root_dir = common_root(&paths);
    let sources = &out.sources;
    let jobs: Vec<Job> = templates
        .iter()
        .filter(|(id, _)| !linked.contains(&arm::template::normalize_path(&sources.get(*id).path)))
        .map(|(id, node)| {
            let path = &sources.get(*id).path;
            let params = match &explicit_params {
                Some(Ok((pid, pnode))) => Some((*pid, pnode)),
                _ => beside_parameter_file(path, &parameter_files, &template_count_by_dir)
                    .map(|(pid, pnode)| (*pid, pnode)),
            };
            (*id, node, params)
        })
        .collect();

    let evaluated: Vec<_> = jobs
        .par_iter()
        .map(|(id, node, params)| {
            let mut diags = Vec::new();
            let values = match params {
                Some((pid, pnode)) => {
                    match arm::template::ParameterValues::from_parameter_file(*pid, pnode) {
                        Ok(v) => v,
                        Err((message, offset)) => {
                            diags.push(Diagnostic::error(
                                "parameters-file",
                                message,
                                Location::Span(Span::new(
                                    *pid,
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
            let mut context = options.context.clone();
            context.scope = arm::target_scope(node);
            let result = arm::template::evaluate(
                sources,
                *id,
                node,
                &values,
                context,
                root_dir.as_deref(),
                options.limits.clone(),
            );
            (diags, result)
        })
        .collect();

    for ((id, _, params), (diags, result)) in jobs.iter().zip(evaluated) {
        out.diagnostics.extend(diags);
        out.diagnostics.extend(result.diagnostics);
        out.files.push(ScannedFile {
            file: *id,
            format: "arm",
            resources: result.resources.len(),
            parameters: params.map(|(p, _)| p),
        });
        let deployment = out.files.len() as u32;
        out.model
            .resources
            .extend(result.resources.into_iter().map(|mut r| {
                r.deployment = deployment;
                r
            }));
        for s in result.secrets {
            if !out.model.secrets.contains(&s) {
                out.model.secrets.push(s);
            }
        }
    }
    for (id, _) in templates.iter().filter(|(id, _)| {
        linked.contains(&arm::template::normalize_path(&out.sources.get(*id).path))
    }) {
        out.files.push(ScannedFile {
            file: *id,
            format: "arm",
            resources: 0,
            parameters: None,
        });
    }
    let used_params: HashSet<FileId> = out.files.iter().filter_map(|f| f.parameters).collect();
    for (id, _) in parameter_files.values() {
        out.files.push(ScannedFile {
            file: *id,
            format: "arm-parameters",
            resources: 0,
            parameters: None,
        });
        let _ = used_params.contains(id);
    }
    out.files.sort_by_key(|f| f.file);
    out.model.link_private_endpoints();
    out
}

/// `<stem>.parameters.json` beside the template, else `azuredeploy.parameters.json`
/// when the template is `azuredeploy.json` or the only template in its folder.
fn beside_parameter_file<'p>(
    template: &Path,
    params: &'p BTreeMap<PathBuf, (FileId, arm::json::Node)>,
    count_by_dir: &BTreeMap<PathBuf, usize>,
) -> Option<&'p (FileId, arm::json::Node)> {
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
fn collect_relative_links(
    node: &arm::json::Node,
    dir: &Path,
    out: &mut HashSet<PathBuf>,
    depth: usize,
) {
    use arm::json::NodeKind;
    if depth > 600 {
        return;
    }
    match &node.kind {
        NodeKind::Object(members) => {
            for m in members {
                if m.key.eq_ignore_ascii_case("templateLink") {
                    if let Some(rel) = m.value.get("relativePath").and_then(|n| n.as_str()) {
                        if !crate::expr::is_expression(rel) {
                            out.insert(arm::template::normalize_path(&dir.join(rel)));
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

/// The folder that bounds linked templates: the common ancestor of the
/// scanned paths (folders themselves, files' parents).
fn common_root(paths: &[PathBuf]) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let d = if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                p.clone()
            };
            arm::template::normalize_path(&d)
        })
        .collect();
    let first = dirs.first()?.clone();
    Some(dirs.iter().skip(1).fold(first, |acc, d| {
        let mut common = PathBuf::new();
        for (a, b) in acc.components().zip(d.components()) {
            if a != b {
                break;
            }
            common.push(a.as_os_str());
        }
        common
    }))
}
