//! AMLB-NS2-003: online endpoints disable public network access.

use super::{public_access, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-NS2-003",
    title: "Azure Machine Learning online endpoints disable public network access",
    kind: RuleKind::Native { check },
    control: "NS-2",
    feature: Some("Disable Public Network Access"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Set `properties.publicNetworkAccess` to `Disabled` on the online endpoint (CLI YAML: `public_network_access: disabled`), so that scoring goes through the workspace's private endpoint.",
    note: Some("The REST API's default for `publicNetworkAccess` on online endpoints is `Enabled`. Batch endpoints have no such property."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.publicNetworkAccess", value: r#""Disabled""#, accept: &[], compute_types: &[], terraform: None },
        ],
    },
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.MachineLearningServices/workspaces/onlineEndpoints")
    {
        return None;
    }
    public_access(cx, "online endpoint")
}
