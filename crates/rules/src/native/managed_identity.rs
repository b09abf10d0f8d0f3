//! AMLB-IM3-001: workspaces and computes have a managed identity.

use super::{is_compute_of, CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-IM3-001",
    title: "Azure Machine Learning workspaces, compute instances and clusters have a managed identity",
    kind: RuleKind::Native { check },
    control: "IM-3",
    feature: Some("Managed Identities"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Set `identity.type` to `SystemAssigned`, `UserAssigned` or `SystemAssigned,UserAssigned` (Terraform: an `identity` block).",
    note: Some("A compute without a managed identity reaches data with the credentials of whoever submits the job, or with keys stored in datastores. AMLB-POL-5f0c7d88 asks more of workspaces: a user-assigned identity."),
    parameters: None,
    autofix: Autofix::None,
};

const PATH: &str = "identity.type";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    let what = if r.is_type("Microsoft.MachineLearningServices/workspaces") {
        "workspace"
    } else if is_compute_of(r, &["ComputeInstance", "AmlCompute"]) {
        "compute"
    } else {
        return None;
    };
    match cx.text(PATH) {
        Text::Known(t) if !t.trim().is_empty() && !t.trim().eq_ignore_ascii_case("None") => {
            Finding::pass(
                format!("the {what} has a managed identity (`{t}`)"),
                Some(PATH),
            )
        }
        Text::Unknown(u) => Finding::unknown(u, PATH),
        Text::Known(_) => Finding::fail(
            format!("`identity.type` is `None`: the {what} has no managed identity"),
            Some(PATH),
        ),
        Text::Absent | Text::Other(_) => Finding::fail(
            format!("the {what} has no `identity`, so it has no managed identity"),
            Some("identity"),
        ),
    }
}
