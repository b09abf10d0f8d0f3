//! AMLB-NS2-002: Azure ML registries disable public network access.

use super::{public_access, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-NS2-002",
    title: "Azure Machine Learning registries disable public network access",
    kind: RuleKind::Native { check },
    control: "NS-2",
    feature: Some("Disable Public Network Access"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Set `properties.publicNetworkAccess` to `Disabled` on the registry and reach it through a private endpoint (group `amlregistry`); azapi: `body.properties.publicNetworkAccess = \"Disabled\"`.",
    note: Some("No built-in policy covers registries. An absent `publicNetworkAccess` is treated as `Enabled`, the service's behaviour for a new registry."),
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
        .is_type("Microsoft.MachineLearningServices/registries")
    {
        return None;
    }
    public_access(cx, "registry")
}
