//! The listings of what the tool ships, for `rules`, `baseline` and
//! `policies` (`policy list`): each as text or JSON.

use aml_policy::{Evaluability, PolicyEngine};
use aml_rules::{self as rules, Rule};

/// `rules`: every rule with its kind, policy, control, severity and autofix.
pub fn rules(json: bool) -> String {
    if json {
        let list: Vec<serde_json::Value> = rules::all()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id,
                    "kind": r.kind_name(),
                    "policy": r.policy(),
                    "control": r.control,
                    "feature": r.feature,
                    "severity": r.severity.as_str(),
                    "enabled_by_default": r.enabled_by_default,
                    "autofix": r.autofix.as_str(),
                    "title": r.title,
                })
            })
            .collect();
        return pretty(&serde_json::Value::Array(list));
    }
    let mut s = String::new();
    for r in rules::all() {
        let on = if r.enabled_by_default {
            ""
        } else {
            " (off by default)"
        };
        s.push_str(&format!(
            "{:<18} {:<6} {:<5} {:<8} {:<7} {}{on}\n",
            r.id,
            r.kind_name(),
            r.control,
            r.severity.as_str(),
            r.autofix.as_str(),
            r.title
        ));
    }
    s
}

/// The rules covering a feature of a control.
fn covering(control: &str, feature: &str) -> Vec<&'static str> {
    rules::all()
        .iter()
        .filter(|r| r.control == control && r.feature == Some(feature))
        .map(|r| r.id)
        .collect()
}

/// The rules of a control that cover none of its features.
fn other_rules(control: &str) -> impl Iterator<Item = &'static &'static Rule> + '_ {
    rules::all()
        .iter()
        .filter(move |r| r.control == control && r.feature.is_none())
}

/// `baseline`: the baseline's controls and features, and the rules covering each.
pub fn baseline(json: bool) -> String {
    let catalogue = crate::baseline::catalogue();
    if json {
        let controls: Vec<serde_json::Value> = catalogue
            .controls
            .iter()
            .map(|c| {
                let features: Vec<serde_json::Value> = c
                    .features
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "name": f.name,
                            "supported": f.supported,
                            "enabled_by_default": f.enabled_by_default,
                            "responsibility": f.responsibility,
                            "evidence": f.evidence,
                            "description": f.description,
                            "guidance": f.guidance,
                            "reference": f.reference,
                            "rules": covering(&c.id, &f.name),
                        })
                    })
                    .collect();
                let other: Vec<&str> = other_rules(&c.id).map(|r| r.id).collect();
                serde_json::json!({
                    "id": c.id, "domain": c.domain, "title": c.title,
                    "features": features, "other_rules": other,
                })
            })
            .collect();
        return pretty(&serde_json::json!({
            "benchmark": catalogue.benchmark,
            "baseline": catalogue.baseline,
            "controls": controls,
        }));
    }
    let mut s = format!("{} ({})\n\n", catalogue.baseline, catalogue.benchmark);
    for c in &catalogue.controls {
        s.push_str(&format!("{}  {}  [{}]\n", c.id, c.title, c.domain));
        for f in &c.features {
            let rules = covering(&c.id, &f.name);
            let how = match f.evidence.as_str() {
                "files" if rules.is_empty() => "files (no rule yet)".to_string(),
                "files" => format!("rules: {}", rules.join(", ")),
                "manual" => "manual: attest in aml-baseline.toml".to_string(),
                "platform" => "platform: Microsoft, on by default".to_string(),
                _ => "not supported by the service".to_string(),
            };
            s.push_str(&format!("  - {}\n      {how}\n", f.name));
        }
        for r in other_rules(&c.id) {
            s.push_str(&format!("  + {} ({})\n", r.title, r.id));
        }
    }
    s
}

/// `policies`: the shipped Azure Policy definitions, the rule running each,
/// that an assignment runs it, or why it cannot be evaluated offline; then
/// (in text) the shipped initiatives.
pub fn policies(json: bool) -> String {
    let engine = PolicyEngine::builtin();
    let rule_of = |guid: &str| {
        rules::all()
            .iter()
            .find(|r| r.policy().is_some_and(|g| g.eq_ignore_ascii_case(guid)))
            .map(|r| r.id)
    };
    let rows: Vec<(String, &str, String, Option<&str>, String)> = engine
        .definitions()
        .iter()
        .map(|d| {
            let evaluable = match &d.evaluable {
                Evaluability::Evaluable => "evaluable".to_string(),
                Evaluability::DataPlane { reason } => format!("not evaluable offline: {reason}"),
                Evaluability::CompileError { message } => format!("not evaluable: {message}"),
            };
            (
                d.name.clone(),
                d.mode.as_str(),
                d.display_name.clone(),
                rule_of(&d.name),
                evaluable,
            )
        })
        .collect();
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, mode, title, rule, evaluable)| {
                serde_json::json!({
                    "policy": name, "mode": mode, "display_name": title,
                    "rule": rule, "evaluable": evaluable == "evaluable",
                    "note": match (evaluable == "evaluable", rule) {
                        (true, Some(_)) => None,
                        (true, None) => Some(ASSIGNED_ONLY.to_string()),
                        (false, _) => Some(evaluable.clone()),
                    },
                })
            })
            .collect();
        return pretty(&serde_json::Value::Array(list));
    }
    let mut s = String::new();
    for (name, mode, title, rule, evaluable) in &rows {
        let how = match rule {
            Some(id) if evaluable == "evaluable" => id.to_string(),
            None if evaluable == "evaluable" => ASSIGNED_ONLY.to_string(),
            _ => evaluable.clone(),
        };
        // A GUID by its first 8 hex digits; a custom definition's name in full.
        let short = if name.len() == 36 && name.as_bytes()[8] == b'-' {
            &name[..8]
        } else {
            name.as_str()
        };
        s.push_str(&format!("{short}  {mode:<32} {title}\n      {how}\n"));
    }
    s.push_str("\nInitiatives (resolved by name when an --assignments file assigns them):\n");
    for i in aml_policy::shipped_initiatives() {
        s.push_str(&format!(
            "{}  {} ({} members)\n",
            i.name,
            i.display_name,
            i.members.len()
        ));
    }
    s
}

/// How a shipped definition without a rule of its own runs.
const ASSIGNED_ONLY: &str =
    "evaluated when an --assignments file assigns it (no rule runs it by default)";

fn pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}
