//! AMLB-IM8-002: compute admin passwords are not written in the files.

use super::{check_secrets, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-IM8-002",
    title: "Azure Machine Learning compute admin passwords and private keys are not written in the files",
    kind: RuleKind::Native { check },
    control: "IM-8",
    feature: Some("Service Credential and Secrets Support Integration and Storage in Azure Key Vault"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Pass `userAccountCredentials.adminUserPassword` (clusters) and `administratorAccount.password`/`privateKeyData` (attached VMs, HDInsight) through a `securestring` parameter fed from a Key Vault reference, or use SSH public keys and no password.",
    note: Some("A value from a `securestring` parameter, a Key Vault reference or a `list*()` call passes; a literal, a variable or a plain `string` parameter fails."),
    parameters: None,
    autofix: Autofix::None,
};

const FIELDS: &[&str] = &[
    "properties.properties.userAccountCredentials.adminUserPassword",
    "properties.properties.administratorAccount.password",
    "properties.properties.administratorAccount.privateKeyData",
];

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.MachineLearningServices/workspaces/computes")
    {
        return None;
    }
    let found: Vec<(String, _)> = FIELDS.iter().map(|p| (p.to_string(), cx.get(p))).collect();
    check_secrets(cx.model, &found, "the compute's admin secret")
}
