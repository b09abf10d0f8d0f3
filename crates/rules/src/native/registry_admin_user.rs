//! AMLB-PV3-002: container registries keep the admin user off.

use super::{as_bool, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, TerraformSetting};

pub static RULE: Rule = Rule {
    id: "AMLB-PV3-002",
    title: "Container registries deployed with an Azure Machine Learning workspace have the admin user disabled",
    kind: RuleKind::Native { check },
    control: "PV-3",
    feature: Some("Custom Containers Images"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Set `properties.adminUserEnabled` to `false` on the registry (Terraform: `admin_enabled = false`) and let the workspace pull with its managed identity.",
    note: Some("The admin user is a shared username and password with push rights: anyone holding it can replace the images the workspace trusts. Current Azure ML workspaces pull with their identity and do not need it (older Terraform docs asked for it). Checked in deployments that hold a workspace; the default is false."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.adminUserEnabled", value: r#"false"#, accept: &[], compute_types: &[], terraform: Some(TerraformSetting { blocks: &[], attribute: "admin_enabled", value: r#"false"# }) },
        ],
    },
};

const PATH: &str = "properties.adminUserEnabled";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.ContainerRegistry/registries")
        || !cx.has_workspace()
    {
        return None;
    }
    match as_bool(cx.get(PATH)) {
        Ok(Some(true)) => Finding::fail(
            "`adminUserEnabled` is true: a shared admin password can push images",
            Some(PATH),
        ),
        Ok(Some(false)) => Finding::pass("`adminUserEnabled` is false", Some(PATH)),
        Ok(None) => Finding::pass(
            "`adminUserEnabled` is not set (the default is false)",
            Some(PATH),
        ),
        Err(u) => Finding::unknown(u, PATH),
    }
}
