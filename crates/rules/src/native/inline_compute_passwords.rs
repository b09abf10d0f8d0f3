//! AMLB-IM8-002: compute admin passwords are not written in the files.

use super::{check_secrets, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::model::looks_like_private_key;
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-IM8-002",
    title: "Azure Machine Learning compute admin passwords and private keys are not written in the files",
    kind: RuleKind::Native { check },
    control: "IM-8",
    feature: Some("Service Credential and Secrets Support Integration and Storage in Azure Key Vault"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Pass `userAccountCredentials.adminUserPassword` (clusters) and `administratorAccount.password`/`privateKeyData` (attached VMs, HDInsight) through a `securestring` parameter fed from a Key Vault reference, or use SSH public keys and no password (CLI YAML: leave `ssh_settings.admin_password` out, give `ssh_key_value` a public key, and keep the private key out of the file).",
    note: Some("A value from a `securestring` parameter, a Key Vault reference or a `list*()` call passes; a literal, a variable or a plain `string` parameter fails. A private key (`-----BEGIN ... PRIVATE KEY-----`) written where a public key goes (`adminUserSshPublicKey`, `sshSettings.adminPublicKey`; CLI YAML `ssh_settings.ssh_key_value`) fails too."),
    parameters: None,
    autofix: Autofix::None,
};

const FIELDS: &[&str] = &[
    "properties.properties.userAccountCredentials.adminUserPassword",
    "properties.properties.administratorAccount.password",
    "properties.properties.administratorAccount.privateKeyData",
];

const PUBLIC_KEY_FIELDS: &[&str] = &[
    "properties.properties.userAccountCredentials.adminUserSshPublicKey",
    "properties.properties.sshSettings.adminPublicKey",
    "properties.properties.administratorAccount.publicKeyData",
];

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx
        .resource
        .is_type("Microsoft.MachineLearningServices/workspaces/computes")
    {
        return None;
    }
    let mut found: Vec<(String, _)> = FIELDS.iter().map(|p| (p.to_string(), cx.get(p))).collect();
    // A private key pasted where the public key goes (CLI YAML `ssh_key_value`).
    for p in PUBLIC_KEY_FIELDS {
        if let Some(v @ Value::String(s)) = cx.get(p) {
            if looks_like_private_key(s) {
                found.push((p.to_string(), Some(v)));
            }
        }
    }
    check_secrets(cx.model, &found, "the compute's admin secret")
}
