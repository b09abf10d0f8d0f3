//! AMLB-PA7-002: custom roles do not grant wildcard Azure ML actions.

use super::{CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-PA7-002",
    title: "Custom roles do not grant wildcard actions on Azure Machine Learning",
    kind: RuleKind::Native { check },
    control: "PA-7",
    feature: Some("Azure RBAC for Data Plane"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "List the Azure ML operations the role needs in `properties.permissions[].actions` and `dataActions` (for example `Microsoft.MachineLearningServices/workspaces/jobs/read`) instead of `*`, `Microsoft.MachineLearningServices/*` or `Microsoft.MachineLearningServices/workspaces/*`.",
    note: Some("Wildcards also grant operations added to the service later. `notActions` are not subtracted: a wildcard with exclusions still grants whatever is not excluded, including future operations."),
    parameters: None,
    autofix: Autofix::None,
};

const WILDCARDS: &[&str] = &[
    "*",
    "*/*",
    "microsoft.machinelearningservices/*",
    "microsoft.machinelearningservices/workspaces/*",
];

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.Authorization/roleDefinitions")
    {
        return None;
    }
    let Some(Value::Array(perms)) = cx.get("properties.permissions") else {
        return match cx.get("properties.permissions") {
            Some(u @ Value::Unknown(_)) => Finding::unknown(u, "properties.permissions"),
            _ => None,
        };
    };
    let mut unknown = None;
    for (i, p) in perms.iter().enumerate().take(1000) {
        for list in ["actions", "dataActions"] {
            let path = format!("properties.permissions[{i}].{list}");
            match p.get(list) {
                Some(Value::Array(actions)) => {
                    for (j, a) in actions.iter().enumerate().take(10_000) {
                        match a {
                            Value::String(s)
                                if WILDCARDS.contains(&s.trim().to_ascii_lowercase().as_str()) =>
                            {
                                return Finding::fail(
                                    format!("the custom role grants `{}` in `{list}`", s.trim()),
                                    Some(&format!("{path}[{j}]")),
                                );
                            }
                            Value::Unknown(_) => {
                                unknown.get_or_insert((format!("{path}[{j}]"), a));
                            }
                            _ => {}
                        }
                    }
                }
                Some(u @ Value::Unknown(_)) => {
                    unknown.get_or_insert((path, u));
                }
                _ => {}
            }
        }
    }
    if let Some((path, v)) = unknown {
        return Finding::unknown(v, &path);
    }
    Finding::pass(
        "the custom role lists no wildcard Azure ML action",
        Some("properties.permissions"),
    )
}
