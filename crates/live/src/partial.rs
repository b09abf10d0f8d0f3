//! What a partial export says it lacks, turned into diagnostics and
//! stand-in resources.
//!
//! `aml-baseline collect` records each part it could not read (a 403 or
//! 5xx on one resource's list, a truncated or looping Resource Graph
//! result, the deadline) in the export's `incomplete` section: a resource
//! `type`, the ARM `scope` it lives at, and the `reason`. Each entry
//! becomes an error diagnostic (`live-export-partial`; a warning with
//! `--allow-partial`) and one stand-in resource of that type at that scope
//! whose every property is unknown and whose deployment is
//! [`aml_model::model::UNREAD`]: every rule that judges the type gives
//! `unknown` on it, and a related-resource check that would meet it
//! (diagnostic settings of a workspace) cannot pass on it. The free-text
//! `warnings` of exports written before the section existed become
//! diagnostics too.

use crate::types;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::json::Node;
use aml_model::model::{parent_id, resource_id, Deployed, Resource, UNREAD};
use aml_model::source::{FileId, Span};
use aml_model::value::{Object, Value};

/// The name segment of a stand-in resource.
pub const UNREAD_NAME: &str = "not-read";

/// Most `incomplete` entries read (each gives a diagnostic and a resource).
pub const MAX_ENTRIES: usize = 10_000;

/// Reads `incomplete` (and legacy `warnings`) of an export: pushes one
/// diagnostic per entry and returns the stand-in resources.
pub fn read(file: FileId, root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Vec<Resource> {
    let at = |n: &Node| Location::Span(Span::new(file, n.start as usize, n.end as usize));
    let mut out = Vec::new();
    let entries = root
        .get("incomplete")
        .and_then(Node::as_array)
        .unwrap_or(&[]);
    for entry in entries.iter().take(MAX_ENTRIES) {
        let field = |k: &str| entry.get(k).and_then(Node::as_str).unwrap_or_default();
        let (ty, scope, reason) = (field("type"), field("scope"), field("reason"));
        let reason = if reason.is_empty() {
            "no reason given"
        } else {
            reason
        };
        if ty.is_empty() || scope.is_empty() {
            diagnostics.push(Diagnostic::error(
                "live-export-partial",
                format!("the export says a part of the estate could not be read ({reason}), without naming its `type` and `scope`: what it lacks is unknown"),
                at(entry),
            ));
            continue;
        }
        diagnostics.push(Diagnostic::error(
            "live-export-partial",
            format!("the export lacks the `{ty}` resources at `{scope}`: {reason}; rules on them are unknown"),
            at(entry),
        ));
        if let Some(r) = stand_in(file, entry, ty, scope, reason) {
            out.push(r);
        }
    }
    if entries.len() > MAX_ENTRIES {
        diagnostics.push(Diagnostic::error(
            "live-export-partial",
            format!(
                "and {} more parts not read (only the first {MAX_ENTRIES} are listed)",
                entries.len() - MAX_ENTRIES
            ),
            at(root),
        ));
    }
    // Exports from before `incomplete`: the free-text warnings.
    if entries.is_empty() {
        let warnings = root.get("warnings").and_then(Node::as_array).unwrap_or(&[]);
        for w in warnings.iter().take(MAX_ENTRIES) {
            let text = w.as_str().unwrap_or("(not a string)");
            diagnostics.push(Diagnostic::error(
                "live-export-partial",
                format!("the export says a part of the estate could not be read: {text}"),
                at(w),
            ));
        }
    }
    out
}

/// The id of a stand-in of type `ty` at `scope`: the resource itself when
/// the scope is one of that type, a child below it, an extension on it, or a
/// resource in a resource group of its own below a subscription.
pub fn stand_in_id(ty: &str, scope: &str) -> Option<String> {
    let ty = types::canonical(ty, None);
    if ty.split('/').count() < 2 || !scope.starts_with('/') {
        return None;
    }
    let names = |types: &str| vec![UNREAD_NAME; types.split('/').count()].join("/");
    if let Some((scope_type, _)) = types::type_and_name(scope) {
        if scope_type.eq_ignore_ascii_case(&ty) {
            return Some(scope.to_string());
        }
        let child = ty
            .get(..scope_type.len() + 1)
            .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{scope_type}/")));
        if child {
            let mut id = scope.to_string();
            for t in ty[scope_type.len() + 1..].split('/') {
                id.push_str(&format!("/{t}/{UNREAD_NAME}"));
            }
            return Some(id);
        }
        // An extension resource on the scope (diagnostic settings).
        let rest = ty.split_once('/').map_or("", |(_, r)| r);
        return Some(resource_id(scope, &ty, &names(rest)));
    }
    let segs: Vec<&str> = scope.trim_end_matches('/').split('/').collect();
    let group = match segs.as_slice() {
        ["", s, sub] if s.eq_ignore_ascii_case("subscriptions") => {
            format!("/subscriptions/{sub}/resourceGroups/{UNREAD_NAME}")
        }
        ["", s, _, g, _]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourceGroups") =>
        {
            scope.trim_end_matches('/').to_string()
        }
        // A management group or the tenant: no subscription is known.
        _ => format!("/subscriptions/{UNREAD_NAME}/resourceGroups/{UNREAD_NAME}"),
    };
    let rest = ty.split_once('/').map_or("", |(_, r)| r);
    Some(resource_id(&group, &ty, &names(rest)))
}

/// A resource standing for what was not read; `None` for types that are
/// not resources rules judge (policy states, assessments).
fn stand_in(file: FileId, entry: &Node, ty: &str, scope: &str, reason: &str) -> Option<Resource> {
    let lower = ty.to_ascii_lowercase();
    if lower == "microsoft.policyinsights/policystates" || lower == "microsoft.security/assessments"
    {
        return None;
    }
    let id = stand_in_id(ty, scope)?;
    let resource_type = types::canonical(ty, Some(&id));
    let name = types::type_and_name(&id)
        .map(|(_, n)| n)
        .unwrap_or_else(|| UNREAD_NAME.to_string());
    let expr = format!("{UNREAD}`{resource_type}` at `{scope}` ({reason})");
    let mut body = Object::default();
    body.insert("id".into(), Value::str(&id));
    body.insert("type".into(), Value::str(&resource_type));
    body.insert("name".into(), Value::str(&name));
    for key in ["location", "kind", "sku", "identity", "tags", "properties"] {
        body.insert(
            key.into(),
            Value::unknown(expr.clone(), "not read from Azure"),
        );
    }
    let scope_id = types::extension_scope(&id);
    let parent = if scope_id.is_some() {
        None
    } else {
        parent_id(&id)
    };
    Some(Resource {
        id,
        resource_type,
        name,
        api_version: None,
        body: Value::Object(body),
        parent_id: parent,
        scope_id,
        existing: false,
        deployed: Deployed::Unknown { expr },
        span: Span::new(file, entry.start as usize, entry.end as usize),
        symbol: None,
        spans: Default::default(),
        format: crate::FORMAT,
        deployment: 0,
        source_names: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    #[test]
    fn stand_ins_sit_where_the_missing_resources_would() {
        assert_eq!(
            stand_in_id("Microsoft.MachineLearningServices/workspaces/computes", WS).unwrap(),
            format!("{WS}/computes/not-read")
        );
        assert_eq!(
            stand_in_id("Microsoft.Insights/diagnosticSettings", WS).unwrap(),
            format!("{WS}/providers/Microsoft.Insights/diagnosticSettings/not-read")
        );
        assert_eq!(
            stand_in_id("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments", "/subscriptions/s").unwrap(),
            "/subscriptions/s/resourceGroups/not-read/providers/Microsoft.MachineLearningServices/workspaces/not-read/onlineEndpoints/not-read/deployments/not-read"
        );
        assert_eq!(
            stand_in_id("Microsoft.MachineLearningServices/workspaces", WS).unwrap(),
            WS
        );
        assert!(stand_in_id("nonsense", WS).is_none());
        assert!(stand_in_id("Microsoft.X/y", "relative").is_none());
    }

    #[test]
    fn entries_become_errors_and_unread_resources() {
        let text = format!(
            r#"{{"exportFormat": "aml-baseline-live-export/1", "value": [], "incomplete": [
                {{"type": "Microsoft.MachineLearningServices/workspaces/computes", "scope": "{WS}", "reason": "HTTP 403"}},
                {{"type": "Microsoft.PolicyInsights/policyStates", "scope": "/subscriptions/s", "reason": "deadline"}},
                {{"reason": "who knows"}}]}}"#
        );
        let root = aml_model::json::parse(&text).unwrap();
        let mut d = Vec::new();
        let r = read(FileId(0), &root, &mut d);
        assert_eq!(d.len(), 3);
        assert!(d.iter().all(|d| d.code == "live-export-partial"));
        assert_eq!(r.len(), 1);
        assert!(r[0].is_unread());
        assert_eq!(r[0].parent_id.as_deref(), Some(WS));
        assert_eq!(r[0].name, "ws/not-read");
    }
}
