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
const LINK: &str = "properties.hubResourceId";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let ws = cx.resource;
    if !ws.is_type("Microsoft.MachineLearningServices/workspaces") {
        return None;
    }
    // A project's computes run in its hub's managed network, if it has one.
    let hub = match cx.project_hub() {
        None => None,
        Some(crate::kinds::HubOf::Found(h)) => Some(h),
        Some(_) => return super::judged_by_hub(cx, "its managed network", |_| None),
    };
    let (whose, of, link) = match hub {
        Some(h) => (
            format!("its hub '{}'", h.name),
            format!(" of its hub '{}'", h.name),
            Some(LINK),
        ),
        None => ("the workspace".to_string(), String::new(), None),
    };
    match super::text_of(hub.unwrap_or(ws).get(PATH)) {
        Text::Unknown(u) if hub.is_some() => {
            let mut f = Finding::unknown(u, PATH)?;
            f.message = format!("{whose}: {}", f.message);
            f.path = link.map(str::to_string);
            return Some(f);
        }
        Text::Unknown(u) => return Finding::unknown(u, PATH),
        Text::Known(mode) if !mode.eq_ignore_ascii_case("Disabled") => {
            return Finding::pass(
                format!("{whose} has a managed network (`isolationMode` is `{mode}`)"),
                link.or(Some(PATH)),
            )
        }
        _ => {}
    }
    let computes: Vec<_> = cx
        .deployment()
        .filter(|c| is_compute_of(c, &["ComputeInstance", "AmlCompute"]))
        .filter(|c| {
            c.parent_id
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(&ws.id))
        })
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
    let set = hub.unwrap_or(ws).is_set(PATH);
    let path = if hub.is_some() {
        link
    } else if set {
        Some(PATH)
    } else {
        None
    };
    if !outside.is_empty() {
        return Finding::fail(
            format!(
                "managed network isolation{of} is off (`isolationMode` {}) and compute(s) {} have no subnet",
                if set { "is `Disabled`" } else { "is not set; the service default is `Disabled`" },
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
            "managed network isolation{of} is off, and {} compute(s) of the {} in the files have a subnet",
            computes.len(),
            if hub.is_some() { "project" } else { "workspace" }
        ),
        path,
    )
}
