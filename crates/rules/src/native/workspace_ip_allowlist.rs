//! AMLB-NS2-004: a workspace's IP allow-list does not admit the whole internet.

use super::{CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-NS2-004",
    title: "Azure Machine Learning workspace IP allow-lists do not admit every address",
    kind: RuleKind::Native { check },
    control: "NS-2",
    feature: Some("Disable Public Network Access"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Remove `0.0.0.0/0`, `0.0.0.0` and `*` from `properties.ipAllowlist` (and `properties.networkAcls.ipRules[].value`) and list only the addresses that need access.",
    note: Some("`ipAllowlist` and `networkAcls` exist only in preview API versions. The rule applies only to workspaces that set one of them."),
    parameters: None,
    autofix: Autofix::None,
};

const OPEN: &[&str] = &["0.0.0.0/0", "0.0.0.0", "*", "any", "internet", "::/0"];

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.MachineLearningServices/workspaces")
    {
        return None;
    }
    let mut entries: Vec<(String, &Value)> = Vec::new();
    let mut lists = Vec::new();
    if let Some(v) = cx.get("properties.ipAllowlist") {
        lists.push("properties.ipAllowlist");
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().take(10_000) {
                    entries.push((format!("properties.ipAllowlist[{i}]"), item));
                }
            }
            other => entries.push(("properties.ipAllowlist".into(), other)),
        }
    }
    if let Some(v) = cx.get("properties.networkAcls.ipRules") {
        lists.push("properties.networkAcls.ipRules");
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().take(10_000) {
                    let value = match item {
                        Value::Object(_) => item.get("value").unwrap_or(&Value::Null),
                        other => other,
                    };
                    entries.push((format!("properties.networkAcls.ipRules[{i}].value"), value));
                }
            }
            other => entries.push(("properties.networkAcls.ipRules".into(), other)),
        }
    }
    if lists.is_empty() {
        return None;
    }
    let mut unknown = None;
    for (path, value) in &entries {
        match value {
            Value::String(s) if OPEN.iter().any(|o| s.trim().eq_ignore_ascii_case(o)) => {
                return Finding::fail(
                    format!(
                        "the IP allow-list admits `{}`, which is every address on the internet",
                        s.trim()
                    ),
                    Some(path),
                );
            }
            Value::Unknown(_) => {
                unknown.get_or_insert((path.clone(), *value));
            }
            _ => {}
        }
    }
    if let Some((path, v)) = unknown {
        return Finding::unknown(v, &path);
    }
    Finding::pass(
        format!(
            "the IP allow-list has {} entr(ies), none admitting every address",
            entries.len()
        ),
        lists.first().copied(),
    )
}
