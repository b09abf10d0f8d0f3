//! AMLB-PA7-001: no Owner, Contributor or User Access Administrator on a workspace or wider.

use super::{CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-PA7-001",
    title: "Role assignments on an Azure Machine Learning workspace or its resource group do not grant Owner, Contributor or User Access Administrator",
    kind: RuleKind::Native { check },
    control: "PA-7",
    feature: Some("Azure RBAC for Data Plane"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Assign an Azure ML role that fits the task (`AzureML Data Scientist` f6c7c914-8db3-469d-8ca1-694a8f32e121, `AzureML Compute Operator`, or a custom role) in `properties.roleDefinitionId` instead of Owner, Contributor or User Access Administrator, at the narrowest scope.",
    note: Some("A role assignment without `scope` applies to the resource group it is deployed in, so it covers every workspace there; it is checked when the deployment holds an Azure ML workspace. Assignments scoped to other resources (a storage account, a registry) are not checked."),
    parameters: None,
    autofix: Autofix::None,
};

const PRIVILEGED: &[(&str, &str)] = &[
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
    ),
];

const PATH: &str = "properties.roleDefinitionId";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    if !r.is_type("Microsoft.Authorization/roleAssignments") {
        return None;
    }
    let what = match r.scope_id.as_deref() {
        None => {
            if !cx.has_workspace() {
                return None;
            }
            "the resource group (or wider) holding the workspace"
        }
        Some(scope) => {
            let s = scope.to_ascii_lowercase();
            let is_workspace = s
                .contains("/providers/microsoft.machinelearningservices/workspaces/")
                && s.split("/providers/")
                    .last()
                    .is_some_and(|t| t.split('/').count() == 3);
            let is_group_or_wider = !s.contains("/providers/");
            if is_workspace {
                "the workspace"
            } else if is_group_or_wider && cx.has_workspace() {
                "the resource group or subscription holding the workspace"
            } else {
                return None;
            }
        }
    };
    match cx.text(PATH) {
        Text::Known(id) => {
            let guid = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
            match PRIVILEGED.iter().find(|(g, _)| *g == guid) {
                Some((_, role)) => Finding::fail(
                    format!("the assignment grants {role} on {what}: far more than using Azure ML needs"),
                    Some(PATH),
                ),
                None => Finding::pass(format!("the assignment on {what} grants neither Owner, Contributor nor User Access Administrator"), Some(PATH)),
            }
        }
        Text::Unknown(u) => Finding::unknown(u, PATH),
        Text::Absent => by_name(cx, what),
        Text::Other(_) => None,
    }
}

/// Terraform's `role_definition_name` (carried as `properties.roleDefinitionName`)
/// when no id is given: the front end turns the names of built-in roles
/// into their ids, so a name left here is another role's (a custom role,
/// or a built-in role this tool does not list), or unknown.
fn by_name(cx: &CheckContext<'_>, what: &str) -> Option<Finding> {
    const NAME: &str = "properties.roleDefinitionName";
    match cx.text(NAME) {
        Text::Known(name) => match PRIVILEGED
            .iter()
            .find(|(_, role)| role.eq_ignore_ascii_case(name.trim()))
        {
            Some((_, role)) => Finding::fail(
                format!("the assignment grants {role} on {what}: far more than using Azure ML needs"),
                Some(NAME),
            ),
            None => Finding::pass(
                format!("the assignment on {what} grants the role named `{name}`, neither Owner, Contributor nor User Access Administrator"),
                Some(NAME),
            ),
        },
        Text::Unknown(u) => Finding::unknown(u, NAME),
        _ => None,
    }
}
