//! Drift: the resources of code matched to the deployed ones, and what differs.
//!
//! Matching (see `docs/decisions/0018-drift-matching.md`): by id, case
//! insensitive; else, because ids evaluated from code hold placeholders (the
//! scan's fixed subscription and resource group), by type and full name when
//! exactly one live resource has them. The properties compared are those the
//! code sets (leaves of its body with a known value); a property is
//! verdict-changing when a rule's verdict on the pair differs and the rule's
//! result points at that property (or at nothing more precise). Values are
//! redacted as in reports.

use aml_model::model::{Model, Resource};
use aml_model::value::Value;
use aml_report::{Report, ResultEntry};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One side of the comparison: a scan's model and its report.
pub struct Side<'a> {
    pub model: &'a Model,
    pub report: &'a Report,
}

/// A resource as the drift report names it.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceRef {
    pub id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    pub path: String,
    pub line: u32,
}

/// A rule whose verdict differs between code and live.
#[derive(Clone, Debug, Serialize)]
pub struct VerdictChange {
    pub rule: &'static str,
    pub code: String,
    pub live: String,
    /// The property the live result points at, when it names one.
    pub property: Option<String>,
    pub live_message: String,
}

/// A property whose live value differs from the code's.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    /// Dotted path, as the code writes it (`properties.publicNetworkAccess`).
    pub path: String,
    /// JSON text of the code's value.
    pub code: String,
    /// JSON text of the live value, or `null` text when live lacks it.
    pub live: Option<String>,
    /// A rule's verdict differs on this property.
    pub changes_verdict: bool,
}

/// A matched pair and what differs.
#[derive(Clone, Debug, Serialize)]
pub struct Pair {
    pub code: ResourceRef,
    pub live: ResourceRef,
    /// `id` or `type-and-name`.
    pub matched_by: &'static str,
    pub verdict_changes: Vec<VerdictChange>,
    pub differences: Vec<Difference>,
}

/// The drift report.
#[derive(Debug, Default, Serialize)]
pub struct Drift {
    /// Pairs with at least one verdict change first, then pairs with differences.
    pub drifted: Vec<Pair>,
    /// Matched pairs with nothing different.
    pub unchanged: usize,
    pub only_in_code: Vec<ResourceRef>,
    pub only_live: Vec<ResourceRef>,
    /// Code resources with several live candidates of the same type and name.
    pub ambiguous: Vec<ResourceRef>,
    /// Input problems (as `file:line:col: message`), from both scans.
    pub errors: Vec<String>,
}

fn results_of(report: &Report) -> HashMap<String, Vec<&ResultEntry>> {
    let mut m: HashMap<String, Vec<&ResultEntry>> = HashMap::new();
    for r in &report.results {
        m.entry(r.resource_id.to_ascii_lowercase())
            .or_default()
            .push(r);
    }
    m
}

/// Most differences listed per pair (the rest are counted in the text).
const MAX_LEAVES: usize = 10_000;

/// Types compared: what the live collection holds (derived or unsupported
/// code resources, like `Microsoft.Resources/deployments`, are not).
fn comparable(r: &Resource) -> bool {
    !r.existing && !r.is_type("Microsoft.Resources/deployments")
}

impl Drift {
    /// Compares `code` with `live`.
    pub fn compare(code: Side<'_>, live: Side<'_>) -> Drift {
        let mut drift = Drift::default();
        let live_resources: Vec<(usize, &Resource)> = live
            .model
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| comparable(r))
            .collect();
        let by_id: HashMap<String, usize> = live_resources
            .iter()
            .map(|(i, r)| (r.id.to_ascii_lowercase(), *i))
            .collect();
        let mut by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, r) in &live_resources {
            by_name
                .entry((
                    r.resource_type.to_ascii_lowercase(),
                    r.name.to_ascii_lowercase(),
                ))
                .or_default()
                .push(*i);
        }
        let code_results = results_of(code.report);
        let live_results = results_of(live.report);
        let mut matched_live: HashSet<usize> = HashSet::new();
        let mut pairs = Vec::new();
        for c in code.model.resources.iter().filter(|r| comparable(r)) {
            let (index, how) = match by_id.get(&c.id.to_ascii_lowercase()) {
                Some(&i) => (Some(i), "id"),
                None => {
                    let key = (
                        c.resource_type.to_ascii_lowercase(),
                        c.name.to_ascii_lowercase(),
                    );
                    match by_name.get(&key).map(Vec::as_slice) {
                        Some([one]) => (Some(*one), "type-and-name"),
                        Some([_, _, ..]) => {
                            drift.ambiguous.push(reference(c, code.report));
                            continue;
                        }
                        _ => (None, ""),
                    }
                }
            };
            let Some(index) = index.filter(|i| !matched_live.contains(i)) else {
                drift.only_in_code.push(reference(c, code.report));
                continue;
            };
            matched_live.insert(index);
            let l = &live.model.resources[index];
            let empty = Vec::new();
            let verdict_changes = verdict_changes(
                code_results
                    .get(&c.id.to_ascii_lowercase())
                    .unwrap_or(&empty),
                live_results
                    .get(&l.id.to_ascii_lowercase())
                    .unwrap_or(&empty),
            );
            let differences = differences(c, l, &verdict_changes, code.model, live.model);
            if verdict_changes.is_empty() && differences.is_empty() {
                drift.unchanged += 1;
                continue;
            }
            pairs.push(Pair {
                code: reference(c, code.report),
                live: reference(l, live.report),
                matched_by: how,
                verdict_changes,
                differences,
            });
        }
        // Verdict changes first, in code order otherwise.
        pairs.sort_by_key(|p| p.verdict_changes.is_empty());
        drift.drifted = pairs;
        drift.only_live = live_resources
            .iter()
            .filter(|(i, _)| !matched_live.contains(i))
            .map(|(_, r)| reference(r, live.report))
            .collect();
        for report in [code.report, live.report] {
            drift.errors.extend(
                report
                    .diagnostics
                    .iter()
                    .filter(|d| d.level == aml_model::diagnostics::Level::Error)
                    .map(|d| format!("{}:{}:{}: {}", d.path, d.line, d.column, d.message)),
            );
        }
        drift
    }

    /// Verdict changes over every pair.
    pub fn verdict_changes(&self) -> usize {
        self.drifted.iter().map(|p| p.verdict_changes.len()).sum()
    }

    /// 2 with input errors, 1 with a verdict-changing drift, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.verdict_changes() > 0 {
            1
        } else {
            0
        }
    }

    /// The JSON report.
    pub fn render_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "summary".into(),
                serde_json::json!({
                    "drifted": self.drifted.len(),
                    "verdict_changes": self.verdict_changes(),
                    "unchanged": self.unchanged,
                    "only_in_code": self.only_in_code.len(),
                    "only_live": self.only_live.len(),
                    "ambiguous": self.ambiguous.len(),
                }),
            );
        }
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }

    /// The text report.
    pub fn render_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for p in &self.drifted {
            let _ = writeln!(
                out,
                "{} '{}' ({}:{}) is live as {} (matched by {})",
                p.code.resource_type,
                p.code.name,
                p.code.path,
                p.code.line,
                p.live.id,
                p.matched_by
            );
            for v in &p.verdict_changes {
                let _ = writeln!(
                    out,
                    "  verdict  {} {} in code, {} live{}: {}",
                    v.rule,
                    v.code,
                    v.live,
                    v.property
                        .as_deref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default(),
                    v.live_message
                );
            }
            // Verdict-changing differences come first (see `differences`).
            for d in &p.differences {
                let _ = writeln!(
                    out,
                    "  changed  {}: code {}, live {}{}",
                    d.path,
                    d.code,
                    d.live.as_deref().unwrap_or("absent"),
                    if d.changes_verdict {
                        "  [changes a verdict]"
                    } else {
                        ""
                    }
                );
            }
        }
        for r in &self.only_in_code {
            let _ = writeln!(
                out,
                "only in code: {} '{}' ({}:{})",
                r.resource_type, r.name, r.path, r.line
            );
        }
        for r in &self.only_live {
            let _ = writeln!(out, "only live: {} {}", r.resource_type, r.id);
        }
        for r in &self.ambiguous {
            let _ = writeln!(out, "ambiguous: {} '{}' ({}:{}) matches several live resources of that type and name; give the code real ids to match by id", r.resource_type, r.name, r.path, r.line);
        }
        for e in &self.errors {
            let _ = writeln!(out, "error: {e}");
        }
        let _ = writeln!(
            out,
            "{} drifted ({} verdict changes), {} unchanged, {} only in code, {} only live",
            self.drifted.len(),
            self.verdict_changes(),
            self.unchanged,
            self.only_in_code.len(),
            self.only_live.len()
        );
        out
    }
}

fn reference(r: &Resource, report: &Report) -> ResourceRef {
    let (path, line) = report
        .resources
        .iter()
        .find(|e| *e.id == *r.id)
        .map(|e| (e.path.to_string(), e.line))
        .unwrap_or_default();
    ResourceRef {
        id: r.id.clone(),
        resource_type: r.resource_type.clone(),
        name: r.name.clone(),
        path,
        line,
    }
}

fn verdict_changes(code: &[&ResultEntry], live: &[&ResultEntry]) -> Vec<VerdictChange> {
    let live_by_rule: HashMap<&str, &ResultEntry> = live.iter().map(|r| (r.rule, *r)).collect();
    let mut out: Vec<VerdictChange> = code
        .iter()
        .filter_map(|c| {
            let l = live_by_rule.get(c.rule)?;
            (l.result != c.result).then(|| VerdictChange {
                rule: c.rule,
                code: c.result.as_str().to_string(),
                live: l.result.as_str().to_string(),
                property: l
                    .property
                    .as_deref()
                    .or(c.property.as_deref())
                    .map(str::to_string),
                live_message: l.message.to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.rule.cmp(b.rule));
    out
}

/// Leaves of the code's body whose live value differs.
fn differences(
    code: &Resource,
    live: &Resource,
    changes: &[VerdictChange],
    code_model: &Model,
    live_model: &Model,
) -> Vec<Difference> {
    let mut leaves = BTreeMap::new();
    leaves_of(&code.body, String::new(), &mut leaves, 0);
    let mut live_leaves = BTreeMap::new();
    leaves_of(&live.body, String::new(), &mut live_leaves, 0);
    let live_lower: HashMap<String, &Value> = live_leaves
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), *v))
        .collect();
    let mut out = Vec::new();
    for (path, value) in leaves {
        let lower = path.to_ascii_lowercase();
        if SKIPPED
            .iter()
            .any(|s| lower == *s || lower.starts_with(&format!("{s}.")))
        {
            continue;
        }
        let live_value = live_lower.get(&lower).copied();
        if live_value.is_some_and(|l| same(value, l)) {
            continue;
        }
        let changes_verdict = changes.iter().any(|c| {
            c.property.as_deref().is_some_and(|p| {
                lower == p
                    || lower.starts_with(&format!("{p}."))
                    || lower.starts_with(&format!("{p}["))
                    || p.starts_with(&format!("{lower}."))
            })
        });
        out.push(Difference {
            path,
            code: show(value, code_model),
            live: live_value.map(|v| show(v, live_model)),
            changes_verdict,
        });
        if out.len() >= MAX_LEAVES {
            break;
        }
    }
    // Properties the code does not set but a verdict change points at (public access switched on live).
    for c in changes {
        let Some(p) = c.property.as_deref() else {
            continue;
        };
        if out.iter().any(|d| d.path.eq_ignore_ascii_case(p)) {
            continue;
        }
        if let Some(v) = live_lower.get(p) {
            out.push(Difference {
                path: p.to_string(),
                code: "absent".into(),
                live: Some(show(v, live_model)),
                changes_verdict: true,
            });
        }
    }
    out.sort_by_key(|d| !d.changes_verdict);
    out
}

/// A value as the report shows it: strings bare, other values as JSON; redacted.
fn show(v: &Value, model: &Model) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    model.redactor().redact(&text).into_owned()
}

/// Leaves that are not the resource's state: identity of the declaration,
/// deployment plumbing, or values the scan's context fills in.
const SKIPPED: &[&str] = &[
    "id",
    "name",
    "type",
    "apiversion",
    "dependson",
    "location",
    "condition",
    "copy",
    "scope",
    "comments",
];

fn leaves_of<'v>(v: &'v Value, path: String, out: &mut BTreeMap<String, &'v Value>, depth: usize) {
    if depth > 48 || out.len() >= MAX_LEAVES {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves_of(x, p, out, depth + 1);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves_of(x, format!("{path}[{i}]"), out, depth + 1);
            }
        }
        // What the code does not decide is not drift.
        Value::Unknown(_) => {}
        _ => {
            out.insert(path, v);
        }
    }
}

/// The subscription the scan evaluates code in (`aml_model::context`): an
/// id under it names a resource whose real scope the code does not fix.
const PLACEHOLDER_SUBSCRIPTION: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/";

/// Equal as Azure compares: strings case-insensitively, numbers by value,
/// and a code id under the placeholder subscription equal to a live id
/// naming the same provider path.
fn same(a: &Value, b: &Value) -> bool {
    let provider_path = |s: &str| {
        s.to_ascii_lowercase()
            .find("/providers/")
            .map(|i| s[i..].to_ascii_lowercase())
    };
    match (a, b) {
        (Value::String(x), Value::String(y))
            if x.to_ascii_lowercase().starts_with(PLACEHOLDER_SUBSCRIPTION) =>
        {
            x.eq_ignore_ascii_case(y)
                || (provider_path(x).is_some() && provider_path(x) == provider_path(y))
        }
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Bool(x), Value::String(y)) | (Value::String(y), Value::Bool(x)) => {
            y.eq_ignore_ascii_case(&x.to_string())
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_as_azure_does() {
        // Strings case-insensitively, numbers by value, booleans against their text.
        assert!(same(&Value::str("Disabled"), &Value::str("disabled")));
        assert!(same(&Value::Int(30), &Value::Float(30.0)));
        assert!(same(&Value::Bool(true), &Value::str("True")));
        assert!(!same(&Value::str("Enabled"), &Value::str("Disabled")));
        // A code id under the placeholder subscription names the same
        // resource as the live id with the same provider path.
        let code = Value::String(format!(
            "{PLACEHOLDER_SUBSCRIPTION}resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
        ));
        let live = Value::str(
            "/subscriptions/1111/resourceGroups/prod/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
        );
        assert!(same(&code, &live));
        let other = Value::str(
            "/subscriptions/1111/resourceGroups/prod/providers/Microsoft.Network/virtualNetworks/v/subnets/t",
        );
        assert!(!same(&code, &other));
    }

    #[test]
    fn leaves_skip_unknowns_and_keep_paths() {
        let v = Value::from_json(&serde_json::json!({
            "properties": {"publicNetworkAccess": "Disabled", "tags": ["a", "b"]},
        }));
        let mut out = BTreeMap::new();
        leaves_of(&v, String::new(), &mut out, 0);
        let paths: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "properties.publicNetworkAccess",
                "properties.tags[0]",
                "properties.tags[1]"
            ]
        );
        let mut obj = aml_model::value::Object::default();
        obj.insert(
            "x".into(),
            Value::unknown("parameters('x')", "parameter 'x' has no value"),
        );
        let unknown = Value::Object(obj);
        let mut out = BTreeMap::new();
        leaves_of(&unknown, String::new(), &mut out, 0);
        assert!(out.is_empty(), "an unknown value is no drift: {out:?}");
    }
}
