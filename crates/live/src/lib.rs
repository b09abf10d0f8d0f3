//! The live-state front end: exports of deployed resources, recognised by
//! their content whatever the file is called, read into the same model as
//! templates so that the same rules apply.
//!
//! Shapes read (see `docs/decisions/0016-live-exports.md`):
//! - Azure Resource Graph results: the REST response or `az graph query`
//!   output (`{"data": [...]}`, with `count`, `totalRecords`/`total_records`,
//!   `$skipToken`/`skip_token`), its table form (`{"data": {"columns", "rows"}}`)
//!   and the bare array (`az graph query --query data`); types are lower case there;
//! - ARM REST responses: one resource (`GET .../workspaces/ws`), or a list
//!   (`{"value": [...], "nextLink": ...}`); `az resource show` and
//!   `az resource list` print the same shapes;
//! - resource lists (a JSON array of resources, as PSRule's test data);
//! - the export `aml-baseline collect` writes (a `value` list with metadata).
//!
//! Live values are facts: nothing is unknown, read-only properties
//! (`provisioningState`, `osImageMetadata`, `privateEndpointConnections`)
//! count, and the resources of one export relate by id (private endpoints,
//! diagnostic settings, computes to their workspace). Every resource has
//! the format `live`; positions point at the export's JSON lines.

pub mod budget;
pub mod export;
pub mod partial;
pub mod types;

pub use export::{read_export, ExportShape, LiveExport};

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, UnitSink,
};
use aml_model::json;
use aml_model::source::{FileId, Span};
use aml_model::FastSet;
use rayon::prelude::*;
use std::path::Path;

/// The model format of resources read from live state.
pub const FORMAT: &str = "live";

/// Files this front end may read: JSON.
pub fn wants(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonc"))
}

/// The live-state front end (no settings of its own).
#[derive(Clone, Copy, Debug, Default)]
pub struct Live;

impl Frontend for Live {
    fn name(&self) -> &'static str {
        FORMAT
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["json", "jsonc"]
    }

    /// JSON whose text looks like an export (see
    /// [`aml_model::input::looks_like_live_export`]).
    fn claim(&self, file: &Candidate<'_>) -> Claim {
        if wants(file.path) && aml_model::input::looks_like_live_export(file.text) {
            Claim::Yes
        } else {
            Claim::No
        }
    }

    /// Parses every export (in parallel) and, when its shape is one of those
    /// read, reads it. Ids are global, so all exports of one scan form one
    /// deployment before [`partition`]: a diagnostic setting listed in one
    /// file relates to the workspace listed in another, and a resource
    /// listed twice counts once.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let sources = input.sources;
        type Read = (Option<LiveExport>, Vec<Span>, Vec<Diagnostic>);
        let read: Vec<(FileId, Result<Read, Diagnostic>, bool)> = input
            .files
            .par_iter()
            .map(|f| {
                // Read once, and freed once the export is read (not kept in
                // the thread's cache of texts: nothing reads it again).
                let text = sources.get(f.id).text_once();
                // A tenant's export is one list of 100,000 elements: built
                // on every thread (the same tree), a resource group after
                // another, then read as it is (see `read_export`).
                let split = json::parse_split_by(&text, export::group_of_text);
                let grouped = split.is_some();
                let parsed = match split {
                    Some(node) => Ok(node),
                    None => json::parse(&text),
                };
                let result = match parsed {
                    Ok(node) => {
                        // Credentials by name, every copy of a duplicated key
                        // included; the two walks of the whole tree side by side.
                        let (spans, dups) = rayon::join(
                            || {
                                let mut spans = Vec::new();
                                aml_model::secrets::json_secret_spans(f.id, &node, &mut spans);
                                spans
                            },
                            || json::duplicate_key_diagnostics(sources, f.id, &node),
                        );
                        let text = (!grouped).then_some(text);
                        Ok((read_export(f.id, node, text), spans, dups))
                    }
                    Err(e) => Err(Diagnostic::error(
                        "json-syntax",
                        format!("invalid JSON: {}", e.message),
                        Location::Span(Span::new(f.id, e.offset, e.offset + 1)),
                    )),
                };
                (f.id, result, f.explicit)
            })
            .collect();
        let mut out = FrontendOutput::default();
        let mut deployment = DeploymentOutput::default();
        // The ids of the exports read so far, made when a second export comes.
        let mut seen: Option<FastSet<String>> = None;
        for (file, result, explicit) in read {
            let result = result.map(|(export, spans, dups)| {
                out.secret_spans.extend(spans);
                out.diagnostics.extend(dups);
                export
            });
            match result {
                Err(d) => out.diagnostics.push(d),
                Ok(None) if explicit => out.diagnostics.push(Diagnostic::warning(
                    "live-export",
                    "the file is JSON with resource ids but neither a template nor a live export (expected a Resource Graph result with `data`, an ARM response with `value` or one resource with `id` and `type`, or an array of resources); it was not scanned",
                    Location::Span(Span::new(file, 0, 0)),
                )),
                Ok(None) => out.skipped.push((
                    file,
                    "JSON with resource ids but no export shape (a Resource Graph result, an ARM response, a resource or a list of them)".to_string(),
                )),
                Ok(Some(export)) => {
                    if out.files.is_empty() {
                        deployment.entry = file;
                    }
                    let count = add_export(&mut deployment, export, &mut seen, &mut out);
                    out.file(file, FORMAT, count);
                }
            }
        }
        // The ids seen are not needed to group the resources (which makes
        // its own index of them).
        drop(seen);
        if !out.files.is_empty() {
            for unit in partition(deployment) {
                units.unit(unit);
            }
        }
        out
    }
}

/// Adds an export's resources not listed by an earlier export to the
/// deployment; returns how many. They are kept in place and the first
/// export's vector moved in whole: no copy of 100,000 resources into a
/// vector that grows as they come. An export lists each id once
/// ([`read_export`]): the ids seen are only made (`seen`) when a second
/// export comes.
fn add_export(
    deployment: &mut DeploymentOutput,
    mut export: LiveExport,
    seen: &mut Option<FastSet<String>>,
    out: &mut FrontendOutput,
) -> usize {
    let before = deployment.resources.len();
    let mut duplicates = export::Duplicates::default();
    let lower = |resources: &[aml_model::model::Resource]| -> Vec<String> {
        resources
            .par_iter()
            .map(|r| r.id.to_ascii_lowercase())
            .collect()
    };
    if deployment.resources.is_empty() && seen.is_none() {
        deployment.resources = std::mem::take(&mut export.resources);
    } else {
        let seen = seen.get_or_insert_with(|| lower(&deployment.resources).into_iter().collect());
        seen.reserve(export.resources.len());
        // Lower-cased on every thread; looked up in order.
        let mut lower = lower(&export.resources).into_iter();
        export.resources.retain(|r| {
            let new = seen.insert(lower.next().unwrap_or_default());
            if !new {
                duplicates.add(&r.id, Location::Span(r.span));
            }
            new
        });
        deployment.resources.append(&mut export.resources);
    }
    let count = deployment.resources.len() - before;
    duplicates.report(
        "is listed in an earlier export too",
        &mut deployment.diagnostics,
    );
    deployment.diagnostics.extend(export.diagnostics);
    out.azure_verdicts.extend(export.azure_verdicts);
    count
}

/// Splits the resources of all exports into groups that relate to no other
/// group, each a deployment of its own: resources linked by id (a child to
/// its parent, an extension to its scope, any property naming another
/// resource's id: a private endpoint's target, a workspace's Key Vault, a
/// compute's subnet) and resources of one resource group stay together, so
/// every relation a rule reads is kept, while a rule's look at "the
/// deployment" costs the size of its group, not of the tenant.
fn partition(all: DeploymentOutput) -> Vec<DeploymentOutput> {
    let n = all.resources.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    // Ids lower-cased, and then each resource's links found, on every
    // thread; the groups are joined on one.
    let lower_ids: Vec<String> = all
        .resources
        .par_iter()
        .map(|r| r.id.to_ascii_lowercase())
        .collect();
    let by_id: aml_model::FastMap<&str, usize> = lower_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let links: Vec<(Vec<usize>, Option<&str>)> = all
        .resources
        .par_iter()
        .zip(&lower_ids)
        .map(|(r, own)| {
            let mut linked: Vec<&str> = Vec::new();
            linked.extend(r.parent_id.as_deref());
            linked.extend(r.scope_id.as_deref());
            ids_in(&r.body, &mut linked, 0);
            let mut found = Vec::new();
            let mut lower = String::new();
            for id in linked {
                lower.clear();
                lower.push_str(id);
                lower.make_ascii_lowercase();
                // The resource itself, or the closest listed resource above it
                // (a subnet's virtual network, a connection's workspace).
                let mut key = lower.as_str();
                loop {
                    if let Some(&j) = by_id.get(key) {
                        found.push(j);
                        break;
                    }
                    match key.rfind('/') {
                        Some(at) if key[..at].contains("/providers/") => key = &key[..at],
                        _ => break,
                    }
                }
            }
            let group = own.find("/providers/").map(|at| &own[..at]);
            (found, group)
        })
        .collect();
    let mut by_group: aml_model::FastMap<&str, usize> = Default::default();
    for (i, (found, group)) in links.iter().enumerate() {
        for &j in found {
            union(&mut parent, i, j);
        }
        if let Some(group) = group {
            match by_group.get(group) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    by_group.insert(group, i);
                }
            }
        }
    }
    drop((by_group, links, by_id));
    drop(lower_ids);
    // Each resource's group, numbered in order of first appearance, and each
    // group's size: every group's vector is made at its size, once.
    // A root is the lowest position of its group, so groups are numbered
    // as their roots come.
    let mut index_of_root: Vec<usize> = vec![usize::MAX; n];
    let mut sizes: Vec<usize> = Vec::new();
    let group_of: Vec<usize> = (0..n)
        .map(|i| {
            let root = find(&mut parent, i);
            if index_of_root[root] == usize::MAX {
                index_of_root[root] = sizes.len();
                sizes.push(0);
            }
            let g = index_of_root[root];
            sizes[g] += 1;
            g
        })
        .collect();
    let entry = all.entry;
    let mut groups: Vec<DeploymentOutput> = sizes
        .iter()
        .enumerate()
        .map(|(g, &size)| DeploymentOutput {
            entry,
            variant: g as u32,
            resources: Vec::with_capacity(size),
            ..Default::default()
        })
        .collect();
    for (r, g) in all.resources.into_iter().zip(group_of) {
        groups[g].resources.push(r);
    }
    match groups.first_mut() {
        Some(first) => first.diagnostics = all.diagnostics,
        None => groups.push(DeploymentOutput {
            entry,
            diagnostics: all.diagnostics,
            ..Default::default()
        }),
    }
    groups
}

/// Strings in a body that look like resource ids (bounded depth).
fn ids_in<'a>(v: &'a aml_model::value::Value, out: &mut Vec<&'a str>, depth: usize) {
    use aml_model::value::Value;
    if depth > 32 {
        return;
    }
    match v {
        Value::String(s) if s.starts_with("/subscriptions/") || s.starts_with("/providers/") => {
            out.push(s)
        }
        Value::Array(a) => a.iter().for_each(|x| ids_in(x, out, depth + 1)),
        Value::Object(o) => o.values().for_each(|x| ids_in(x, out, depth + 1)),
        _ => {}
    }
}
