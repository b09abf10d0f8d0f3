//! AMLB-IM8-001: datastores and connections do not carry credentials written in the files.

use super::{check_secrets, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-IM8-001",
    title: "Azure Machine Learning datastores and connections do not hold credentials written in the files",
    kind: RuleKind::Native { check },
    control: "IM-8",
    feature: Some("Service Credential and Secrets Support Integration and Storage in Azure Key Vault"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Use identity-based access (`credentials.credentialsType: None` with `serviceDataAccessAuthIdentity`, or a connection `authType` of `AAD`/`ManagedIdentity`); if a secret is unavoidable, pass it through a `securestring` parameter fed from a Key Vault reference instead of writing it in `properties.credentials`.",
    note: Some("A value is written in the files when it is a literal, a variable or a plain `string` parameter's value or default; values of secure parameters, Key Vault references and `listKeys()` calls are not. Azure ML keeps datastore and connection secrets in the workspace's Key Vault either way; this rule is about the copy in source control and deployment history."),
    parameters: None,
    autofix: Autofix::None,
};

const DATASTORE: &[&str] = &["key", "sasToken", "clientSecret", "certificate"];
const CONNECTION: &[&str] = &[
    "pat",
    "sas",
    "password",
    "securityToken",
    "key",
    "secretAccessKey",
    "keys",
    "clientSecret",
    "refreshToken",
    "developerToken",
];

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    let (base, fields, what) =
        if r.is_type("Microsoft.MachineLearningServices/workspaces/datastores") {
            (
                "properties.credentials.secrets",
                DATASTORE,
                "the datastore's secret",
            )
        } else if r.is_type("Microsoft.MachineLearningServices/workspaces/connections") {
            (
                "properties.credentials",
                CONNECTION,
                "the connection's credential",
            )
        } else {
            return None;
        };
    let found: Vec<(String, _)> = fields
        .iter()
        .map(|f| {
            let path = format!("{base}.{f}");
            let value = cx.get(&path);
            (path, value)
        })
        .collect();
    check_secrets(cx.model, &found, what).or_else(|| {
        Finding::pass(
            "no credential is written in the resource (identity-based access or none)",
            None,
        )
    })
}
