//! `bicep snapshot` files as an input: the `<name>.snapshot.json` that
//! `bicep snapshot main.bicepparam` (Bicep 0.41 and later) writes holds
//! `predictedResources`, the deployment as Bicep normalises it locally
//! (modules expanded, loops unrolled, parameters and variables folded in),
//! with `diagnostics` and `outputs`. The azd team feeds it to a policy check
//! before provisioning (Azure/azure-dev#7177); this front end reads it into
//! the same model as templates, so the same rules and policy assignments
//! judge it.
//!
//! - Detected by content (a JSON object with a `predictedResources` array),
//!   whatever the file is called.
//! - Positions point into the snapshot: every resource and property keeps
//!   its line and column there.
//! - What Bicep could not resolve without a deployment stays an expression
//!   (`[resourceGroup().location]`, `[reference(...)]`, `[tenant().tenantId]`,
//!   `[externalInputs(...)]`): each becomes an unknown naming the
//!   expression, never a failure. A resource whose `id` is such an
//!   expression gets its id from the scan's deployment context, as an ARM
//!   template's resources do (`--deployment-scope` fills it).
//! - Extension resources (`request@v1`: no Azure resource type) are not
//!   Azure resources and are left out, said so.
//! - Every resource has the format `bicep-snapshot`; the report says that
//!   its verdicts are those of the predicted resources (results' `source`
//!   is `predicted`, the file's entry carries a note, and each file gets an
//!   info diagnostic). See `docs/decisions/0038-bicep-snapshot-input.md`.

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, UnitSink,
};
use aml_model::json::{self, Node, NodeKind};
use aml_model::model::{Deployed, Resource};
use aml_model::source::{FileId, Span};
use aml_model::value::Value;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The model format (and the file format in reports) of predicted resources.
pub const FORMAT: &str = "bicep-snapshot";

/// The diagnostic code of this front end.
pub const CODE: &str = "bicep-snapshot";

/// Nesting of values read from a snapshot; deeper values are unknown.
const MAX_DEPTH: usize = 128;

/// Why an expression left in a snapshot is unknown.
const UNRESOLVED: &str =
    "`bicep snapshot` left this expression unresolved: only the deployment decides its value";

/// What reports say of a snapshot's verdicts (the file's note, the info
/// diagnostic of each snapshot).
pub fn predicted_note(resources: usize) -> String {
    format!(
        "the verdicts on this file are those of the {resources} resource(s) `bicep snapshot` predicted (the deployment as Bicep normalised it locally, with the parameters and scope it was run with), not of deployed resources; expressions it left unresolved are unknown"
    )
}

/// Files this front end may read: `.json` (`main.snapshot.json`, or any name).
fn wants(path: &Path) -> bool {
    aml_model::input::has_extension(path, &["json", "jsonc"])
}

/// The `bicep snapshot` front end (no settings of its own).
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot;

impl Frontend for Snapshot {
    fn name(&self) -> &'static str {
        FORMAT
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["json", "jsonc"]
    }

    /// JSON that names `predictedResources` (see
    /// [`aml_model::input::looks_like_bicep_snapshot`]), whatever its name.
    fn claim(&self, file: &Candidate<'_>) -> Claim {
        if wants(file.path) && aml_model::input::looks_like_bicep_snapshot(file.text) {
            Claim::Yes
        } else {
            Claim::No
        }
    }

    /// Reads every snapshot (in parallel); each is one deployment unit.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let scope = aml_arm::template::scope_id_of(input.context);
        let read: Vec<(FileId, Read)> = input
            .files
            .par_iter()
            .map(|f| (f.id, read_file(input, f.id, f.explicit, &scope)))
            .collect();
        let mut out = FrontendOutput::default();
        for (file, r) in read {
            match r {
                Read::Invalid(d) => out.diagnostics.push(d),
                Read::NotSnapshot(Some(d)) => out.diagnostics.push(d),
                Read::NotSnapshot(None) => out.skipped.push((
                    file,
                    "JSON that names `predictedResources` but is no `bicep snapshot` file (expected an object with a `predictedResources` array)".to_string(),
                )),
                Read::Unit(unit, spans) => {
                    out.secret_spans.extend(spans);
                    out.file(file, FORMAT, unit.resources.len());
                    units.unit(unit);
                }
            }
        }
        out
    }
}

/// What reading one file gave.
enum Read {
    /// Not JSON.
    Invalid(Diagnostic),
    /// JSON without the snapshot's shape (a warning when named on the command line).
    NotSnapshot(Option<Diagnostic>),
    /// The snapshot's unit, and where credentials are written in it.
    Unit(DeploymentOutput, Vec<Span>),
}

fn read_file(input: &FrontendInput<'_>, file: FileId, explicit: bool, scope: &str) -> Read {
    let text = &input.sources.get(file).text();
    let root = match json::parse_in_parallel(text) {
        Ok(root) => root,
        Err(e) => {
            return Read::Invalid(Diagnostic::error(
                "json-syntax",
                format!("invalid JSON: {}", e.message),
                Location::Span(Span::new(file, e.offset, e.offset + 1)),
            ))
        }
    };
    let Some(predicted) = root.get("predictedResources").and_then(Node::as_array) else {
        return Read::NotSnapshot(explicit.then(|| {
            Diagnostic::warning(
                CODE,
                "the file names `predictedResources` but is no `bicep snapshot` file (expected an object whose `predictedResources` is an array of resources, as `bicep snapshot` writes); it was not scanned",
                Location::Span(Span::new(file, 0, 0)),
            )
        }));
    };
    let mut unit = DeploymentOutput {
        entry: file,
        ..Default::default()
    };
    let limit = input.limits.max_resources;
    for node in predicted.iter().take(limit) {
        match resource(file, node, scope) {
            Ok(r) => unit.resources.push(r),
            Err((level, message)) => unit.diagnostics.push(Diagnostic {
                level,
                code: CODE,
                message,
                location: Location::Span(span_of(file, node)),
            }),
        }
    }
    if predicted.len() > limit {
        unit.diagnostics.push(Diagnostic::error(
            "resource-limit",
            format!(
                "the snapshot predicts {} resources, more than the {limit} read from one input; the rest were not read",
                predicted.len()
            ),
            Location::Span(span_of(file, &root)),
        ));
    }
    unit.diagnostics.extend(snapshot_diagnostics(file, &root));
    unit.diagnostics
        .extend(json::duplicate_key_diagnostics(input.sources, file, &root));
    unit.diagnostics.push(Diagnostic::info(
        CODE,
        predicted_note(unit.resources.len()),
        Location::Span(Span::new(
            file,
            root.start as usize,
            root.start as usize + 1,
        )),
    ));
    let mut secret_spans = Vec::new();
    aml_model::secrets::json_secret_spans(file, &root, &mut secret_spans);
    Read::Unit(unit, secret_spans)
}

fn span_of(file: FileId, node: &Node) -> Span {
    Span::new(file, node.start as usize, node.end as usize)
}

/// The snapshot's own `diagnostics` (`"<target> <level> <code>: <message>"`,
/// what Bicep's preflight expansion reported), each as a warning at its line.
fn snapshot_diagnostics(file: FileId, root: &Node) -> Vec<Diagnostic> {
    let Some(items) = root.get("diagnostics").and_then(Node::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|d| {
            let text = d.as_str()?;
            Some(Diagnostic::warning(
                CODE,
                format!("`bicep snapshot` reported: {text}"),
                Location::Span(span_of(file, d)),
            ))
        })
        .collect()
}

/// A string the snapshot holds literally (not an expression), unescaped.
fn literal(node: Option<&Node>) -> Option<String> {
    let s = node?.as_str()?;
    (!aml_arm::expr::is_expression(s)).then(|| aml_arm::expr::unescape_literal(s).into_owned())
}

/// One predicted resource, or why it is left out (with the level to say it at).
fn resource(
    file: FileId,
    node: &Node,
    scope: &str,
) -> Result<Resource, (aml_model::diagnostics::Level, String)> {
    use aml_model::diagnostics::Level;
    if !node.is_object() {
        return Err((
            Level::Warning,
            format!(
                "an element of `predictedResources` is {} where a resource object was expected; it was skipped",
                node.kind_name()
            ),
        ));
    }
    let raw_type = node.get("type").and_then(Node::as_str).unwrap_or_default();
    if let Some((name, version)) = raw_type.split_once('@').filter(|_| !raw_type.contains('/')) {
        return Err((
            Level::Info,
            format!("`{name}@{version}` is a Bicep extension resource, not an Azure resource: no rule or policy applies to it; it was not checked"),
        ));
    }
    let Some(raw_type) = literal(node.get("type")).filter(|t| t.contains('/')) else {
        return Err((
            Level::Warning,
            "a predicted resource has no literal `type` (expected `Namespace/type`, as `bicep snapshot` writes it); it was skipped".to_string(),
        ));
    };
    let given_id = literal(node.get("id")).filter(|id| id.starts_with('/'));
    let resource_type = aml_live::types::canonical(&raw_type, given_id.as_deref());
    let name = match (&given_id, node.get("name").and_then(Node::as_str)) {
        // The full name (`ws/ci`) from the id.
        (Some(id), _) => aml_live::types::type_and_name(id)
            .filter(|(t, _)| t.eq_ignore_ascii_case(&resource_type))
            .map(|(_, n)| n),
        (None, Some(n)) if aml_arm::expr::is_expression(n) => {
            Some(aml_model::value::placeholder_of(n))
        }
        (None, Some(n)) => Some(aml_arm::expr::unescape_literal(n).into_owned()),
        (None, None) => None,
    }
    .or_else(|| literal(node.get("name")));
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Err((
            Level::Warning,
            format!(
                "a predicted `{resource_type}` has neither an `id` nor a `name`; it was skipped"
            ),
        ));
    };
    let id =
        given_id.unwrap_or_else(|| aml_model::model::resource_id(scope, &resource_type, &name));
    let scope_id = aml_live::types::extension_scope(&id);
    let parent_id = match scope_id {
        Some(_) => None,
        None => aml_model::model::parent_id(&id),
    };
    let mut body = value_of(node, 0);
    if let Value::Object(o) = &mut body {
        o.insert("type".into(), Value::str(&resource_type));
        o.insert("name".into(), Value::str(&name));
    }
    let mut spans = BTreeMap::new();
    aml_live::export::record_spans(file, node, &mut String::new(), &mut spans, 0);
    Ok(Resource {
        id,
        resource_type,
        name,
        api_version: literal(node.get("apiVersion")),
        body,
        parent_id,
        scope_id,
        existing: false,
        deployed: Deployed::Yes,
        span: span_of(file, node),
        symbol: None,
        spans: spans.into(),
        format: FORMAT,
        deployment: 0,
        source_names: None,
    })
}

/// The value a predicted resource holds: literals as written (the `[[`
/// escape removed), every expression left in it an unknown naming it.
fn value_of(node: &Node, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::unknown("(nested too deep)", "the value is nested too deep to read");
    }
    match &node.kind {
        NodeKind::String(s) if aml_arm::expr::is_expression(s) => {
            Value::unknown(s.clone(), UNRESOLVED)
        }
        NodeKind::String(s) => Value::String(aml_arm::expr::unescape_literal(s).into_owned()),
        NodeKind::Array(items) => {
            Value::Array(items.iter().map(|n| value_of(n, depth + 1)).collect())
        }
        NodeKind::Object(members) => {
            // Of a key written twice, Azure reads the last copy.
            let skip = json::superseded(members);
            Value::Object(
                members
                    .iter()
                    .zip(skip)
                    .filter(|(_, s)| !s)
                    .map(|(m, _)| (m.key.clone(), value_of(&m.value, depth + 1)))
                    .collect(),
            )
        }
        _ => node.to_value(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_model::source::SourceMap;

    fn read(text: &str) -> Read {
        let mut sources = SourceMap::default();
        let id = sources.add(aml_model::source::SourceFile::new(
            "main.snapshot.json".into(),
            text.to_string(),
        ));
        let limits = Default::default();
        let context = Default::default();
        let input = FrontendInput {
            sources: &sources,
            files: &[],
            limits: &limits,
            context: &context,
            root_dir: None,
            referenced: &Default::default(),
        };
        read_file(&input, id, true, "/subscriptions/s/resourceGroups/rg")
    }

    #[test]
    fn unresolved_expressions_become_unknowns_and_ids_come_from_the_scope() {
        let Read::Unit(unit, _) = read(
            r#"{"predictedResources": [
              {"type": "Microsoft.KeyVault/vaults", "name": "kv", "apiVersion": "2019-09-01",
               "location": "[resourceGroup().location]",
               "properties": {"tenantId": "[tenant().tenantId]", "note": "[[literal]"}},
              {"type": "request@v1", "properties": {"uri": "https://example.com"}}
            ], "diagnostics": ["/x Warning W1: careful"], "outputs": {}}"#,
        ) else {
            panic!("not read as a snapshot")
        };
        assert_eq!(unit.resources.len(), 1);
        let r = &unit.resources[0];
        assert_eq!(
            r.id,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
        );
        assert!(r.get("location").is_some_and(Value::is_unknown));
        assert_eq!(
            r.get("properties.note"),
            Some(&Value::String("[literal]".into()))
        );
        assert!(r.is_set("properties.tenantid"));
        let codes: Vec<_> = unit
            .diagnostics
            .iter()
            .map(|d| (d.level, d.message.clone()))
            .collect();
        assert!(codes.iter().any(|(_, m)| m.contains("extension resource")));
        assert!(codes
            .iter()
            .any(|(_, m)| m.contains("reported: /x Warning W1")));
        assert!(codes.iter().any(|(_, m)| m.contains("1 resource(s)")));
    }

    #[test]
    fn templates_that_name_the_word_stay_templates() {
        let template = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "outputs": {"predictedResources": {"type": "string", "value": "x"}}}"#;
        let file = Candidate {
            path: Path::new("main.json"),
            text: template,
            explicit: false,
        };
        assert_eq!(Snapshot.claim(&file), Claim::No);
        let snapshot = Candidate {
            path: Path::new("anything.json"),
            text: r#"{"predictedResources": [], "diagnostics": [], "outputs": {}}"#,
            explicit: false,
        };
        assert_eq!(Snapshot.claim(&snapshot), Claim::Yes);
    }

    #[test]
    fn other_json_is_not_a_snapshot() {
        assert!(matches!(
            read(r#"{"predictedResources": 3}"#),
            Read::NotSnapshot(Some(_))
        ));
        assert!(matches!(read("{"), Read::Invalid(_)));
    }
}
