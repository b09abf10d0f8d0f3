//! AMLB-NS2-001: workspaces do not allow public access when behind a virtual network.

use super::{as_bool, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-NS2-001",
    title: "Azure Machine Learning workspaces do not allow public access when behind a virtual network",
    kind: RuleKind::Native { check },
    control: "NS-2",
    feature: Some("Disable Public Network Access"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Remove `properties.allowPublicAccessWhenBehindVnet` or set it to `false` (Terraform: no attribute; azapi body: `allowPublicAccessWhenBehindVnet = false`).",
    note: None,
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.allowPublicAccessWhenBehindVnet", value: r#"false"#, accept: &[], compute_types: &[], terraform: None },
        ],
    },
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.MachineLearningServices/workspaces")
    {
        return None;
    }
    super::judged_by_hub(cx, "its public access behind a virtual network", judge)
}

fn judge(cx: &CheckContext<'_>) -> Option<Finding> {
    const PATH: &str = "properties.allowPublicAccessWhenBehindVnet";
    match as_bool(cx.get(PATH)) {
        Ok(Some(true)) => Finding::fail(
            "`allowPublicAccessWhenBehindVnet` is true: the workspace stays reachable from the internet although it is behind a virtual network",
            Some(PATH),
        ),
        Ok(_) => Finding::pass("`allowPublicAccessWhenBehindVnet` is not true", Some(PATH)),
        Err(u) => Finding::unknown(u, PATH),
    }
}
