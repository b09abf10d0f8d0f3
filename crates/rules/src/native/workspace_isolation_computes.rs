//! AMLB-NS1-001: a workspace without managed network isolation keeps its computes in a subnet.

use super::{is_compute_of, CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-NS1-001",
    title: "Azure Machine Learning workspaces without a managed network put their computes in a virtual network",
    kind: RuleKind::Native { check },
    control: "NS-1",
    feature: Some("Virtual Network Integration"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Set `properties.managedNetwork.isolationMode` to `AllowOnlyApprovedOutbound` (or `AllowInternetOutbound`), or give every compute instance and cluster a `properties.properties.subnet.id`.",
    note: Some("Computes of a workspace with a managed network run in the Microsoft-managed virtual network and need no subnet; without one, a compute without a subnet runs in no network boundary of yours."),
    parameters: None,
    autofix: Autofix::None,
};

const PATH: &str = "properties.managedNetwork.isolationMode";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let ws = cx.resource;
    if !ws.is_type("Microsoft.MachineLearningServices/workspaces") {
        return None;
    }
    match cx.text(PATH) {
        Text::Unknown(u) => return Finding::unknown(u, PATH),
        Text::Known(mode) if !mode.eq_ignore_ascii_case("Disabled") => {
            return Finding::pass(
                format!("the workspace has a managed network (`isolationMode` is `{mode}`)"),
                Some(PATH),
            )
        }
        _ => {}
    }
    let computes: Vec<_> = cx
        .children(
            "Microsoft.MachineLearningServices/workspaces/computes",
            &ws.id,
        )
        .filter(|c| is_compute_of(c, &["ComputeInstance", "AmlCompute"]))
        .collect();
    let mut unknown = None;
    let mut outside = Vec::new();
    for c in &computes {
        match c.get("properties.properties.subnet.id") {
            None | Some(Value::Null) => outside.push(c.name.as_str()),
            Some(Value::String(s)) if s.is_empty() => outside.push(c.name.as_str()),
            // A string with known text (`[vnetId]/subnets/[name]`) is set.
            Some(Value::Unknown(u)) if u.shape.non_empty() => {}
            Some(u @ Value::Unknown(_)) => {
                unknown.get_or_insert(u);
            }
            Some(_) => {}
        }
    }
    let path = if ws.is_set(PATH) { Some(PATH) } else { None };
    if !outside.is_empty() {
        return Finding::fail(
            format!(
                "managed network isolation is off (`isolationMode` {}) and compute(s) {} have no subnet",
                if path.is_some() { "is `Disabled`" } else { "is not set; the service default is `Disabled`" },
                outside.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
            ),
            path,
        );
    }
    if let Some(u) = unknown {
        return Finding::unknown(u, "properties.properties.subnet.id");
    }
    Finding::pass(
        format!(
            "managed network isolation is off, and {} compute(s) of the workspace in the files have a subnet",
            computes.len()
        ),
        path,
    )
}
