//! AMLB-DP6-001: the workspace's Key Vault has soft delete and purge protection.

use super::{as_bool, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, TerraformSetting};

pub static RULE: Rule = Rule {
    id: "AMLB-DP6-001",
    title: "The Key Vault of an Azure Machine Learning workspace has soft delete and purge protection",
    kind: RuleKind::Native { check },
    control: "DP-6",
    feature: Some("Key Management in Azure Key Vault"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "On the Key Vault named by the workspace's `properties.keyVault` or `properties.encryption.keyVaultProperties.keyVaultArmId`, set `properties.enablePurgeProtection` to `true` and leave `properties.enableSoftDelete` at `true` (Terraform: `purge_protection_enabled = true`).",
    note: Some("Checked on vaults declared in the same deployment as a workspace that links them. Soft delete is on by default (and cannot be turned off on new vaults); purge protection is off by default and is required for customer-managed keys."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.enableSoftDelete", value: r#"true"#, accept: &[r#"null"#], compute_types: &[], terraform: None },
        Setting { path: "properties.enablePurgeProtection", value: r#"true"#, accept: &[], compute_types: &[], terraform: Some(TerraformSetting { blocks: &[], attribute: "purge_protection_enabled", value: r#"true"# }) },
        ],
    },
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    const LINKS: &[&str] = &[
        "properties.keyVault",
        "properties.encryption.keyVaultProperties.keyVaultArmId",
    ];
    let r = cx.resource;
    if !r.is_type("Microsoft.KeyVault/vaults") {
        return None;
    }
    let linking = cx.linking_workspaces(LINKS);
    if linking.is_empty() {
        return None;
    }
    let mut f = judge(cx)?;
    // A hub's vault is its projects' too.
    let hubs: Vec<String> = linking
        .iter()
        .filter(|w| w.is_kind(aml_model::model::WorkspaceKind::Hub))
        .map(|w| super::workspace_words(w))
        .collect();
    if !hubs.is_empty() {
        f.message = format!("{} (the key vault of {})", f.message, hubs.join(", "));
    }
    Some(f)
}

fn judge(cx: &CheckContext<'_>) -> Option<Finding> {
    const SOFT: &str = "properties.enableSoftDelete";
    const PURGE: &str = "properties.enablePurgeProtection";
    match as_bool(cx.get(SOFT)) {
        Ok(Some(false)) => {
            return Finding::fail(
                "`enableSoftDelete` is false: deleted keys and secrets cannot be recovered",
                Some(SOFT),
            )
        }
        Err(u) => return Finding::unknown(u, SOFT),
        _ => {}
    }
    match as_bool(cx.get(PURGE)) {
        Ok(Some(true)) => Finding::pass("soft delete and purge protection are on", Some(PURGE)),
        Ok(Some(false)) => Finding::fail(
            "`enablePurgeProtection` is false: a deleted vault or key can be purged before its retention ends",
            Some(PURGE),
        ),
        Ok(None) => Finding::fail(
            "`enablePurgeProtection` is not set; the default is off, so a deleted vault or key can be purged at once",
            Some(PURGE),
        ),
        Err(u) => Finding::unknown(u, PURGE),
    }
}
