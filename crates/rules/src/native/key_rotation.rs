//! AMLB-DP6-002: Key Vault keys expire or rotate.

use super::{CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-DP6-002",
    title: "Key Vault keys deployed with an Azure Machine Learning workspace have an expiry or a rotation policy",
    kind: RuleKind::Native { check },
    control: "DP-6",
    feature: Some("Key Management in Azure Key Vault"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Give the key a `properties.rotationPolicy` with a `Rotate` lifetime action and an `attributes.expiryTime`, or at least `properties.attributes.exp` (Terraform: `rotation_policy { ... }` or `expiration_date`).",
    note: Some("Checked on `Microsoft.KeyVault/vaults/keys` resources in a deployment that holds an Azure ML workspace. The workspace's customer-managed key should rotate; the workspace follows a new key version only when `keyIdentifier` names no version or is updated."),
    parameters: None,
    autofix: Autofix::None,
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx.resource.is_type("Microsoft.KeyVault/vaults/keys") || !cx.has_workspace() {
        return None;
    }
    const EXP: &str = "properties.attributes.exp";
    const ROTATION: &str = "properties.rotationPolicy";
    let exp = cx.get(EXP);
    let rotation = cx.get(ROTATION);
    if rotation.is_some_and(|v| !v.is_unknown()) {
        return Finding::pass("the key has a rotation policy", Some(ROTATION));
    }
    if exp.is_some_and(|v| !v.is_unknown()) {
        return Finding::pass("the key has an expiry date (`attributes.exp`)", Some(EXP));
    }
    if let Some(u @ Value::Unknown(_)) = rotation.or(exp) {
        return Finding::unknown(u, if rotation.is_some() { ROTATION } else { EXP });
    }
    Finding::fail("the key has neither an expiry date (`attributes.exp`) nor a `rotationPolicy`: it never rotates", Some(EXP))
}
