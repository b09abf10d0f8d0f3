//! AMLB-DP3-002: the workspace's storage account accepts HTTPS only, with TLS 1.2 or later.

use super::{as_bool, CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, TerraformSetting};
use aml_model::model::{Resource, WorkspaceKind};

pub static RULE: Rule = Rule {
    id: "AMLB-DP3-002",
    title: "The storage account of an Azure Machine Learning workspace accepts only HTTPS with TLS 1.2 or later",
    kind: RuleKind::Native { check },
    control: "DP-3",
    feature: Some("Data in Transit Encryption"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "On the storage account named by the workspace's `properties.storageAccount`, set `properties.supportsHttpsTrafficOnly` to `true` and `properties.minimumTlsVersion` to `TLS1_2` (Terraform: `https_traffic_only_enabled = true`, `min_tls_version = \"TLS1_2\"`).",
    note: Some("Checked on storage accounts declared in the same deployment as a workspace that links them. `supportsHttpsTrafficOnly` defaults to true from API version 2019-04-01; `minimumTlsVersion` has no safe documented default in older API versions (TLS 1.0), so an absent value fails."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.supportsHttpsTrafficOnly", value: r#"true"#, accept: &[], compute_types: &[], terraform: Some(TerraformSetting { blocks: &[], attribute: "https_traffic_only_enabled", value: r#"true"# }) },
        Setting { path: "properties.minimumTlsVersion", value: r#""TLS1_2""#, accept: &[r#""TLS1_3""#], compute_types: &[], terraform: Some(TerraformSetting { blocks: &[], attribute: "min_tls_version", value: r#""TLS1_2""# }) },
        ],
    },
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !cx.resource.is_type("Microsoft.Storage/storageAccounts") {
        return None;
    }
    // The storage of workspaces and hubs, and the offline store of feature stores.
    let linking = cx.linking_workspaces(&["properties.storageAccount"]);
    let stores = cx.offline_store_of();
    if linking.is_empty() && stores.is_empty() {
        return None;
    }
    let mut f = judge(cx)?;
    f.message.push_str(&whose(&linking, &stores));
    Some(f)
}

/// What the account is to hubs and feature stores (nothing when only
/// workspaces of their own use it): " (the storage of hub 'h' (shared by
/// its projects); the offline store of feature store 'f')".
fn whose(linking: &[&Resource], stores: &[&Resource]) -> String {
    let mut parts: Vec<String> = linking
        .iter()
        .filter(|w| w.is_kind(WorkspaceKind::Hub))
        .map(|w| format!("the storage of {}", super::workspace_words(w)))
        .collect();
    parts.extend(
        stores
            .iter()
            .map(|w| format!("the offline store of {}", super::workspace_words(w))),
    );
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn judge(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    const HTTPS: &str = "properties.supportsHttpsTrafficOnly";
    const TLS: &str = "properties.minimumTlsVersion";
    match as_bool(cx.get(HTTPS)) {
        Ok(Some(false)) => {
            return Finding::fail("`supportsHttpsTrafficOnly` is false: the workspace's storage accepts plain HTTP", Some(HTTPS))
        }
        Ok(None) if r.api_version.as_deref().is_some_and(|v| v < "2019-04-01") => {
            return Finding::fail(
                "`supportsHttpsTrafficOnly` is not set and the API version is older than 2019-04-01, whose default is false (plain HTTP accepted)",
                Some(HTTPS),
            )
        }
        Err(u) => return Finding::unknown(u, HTTPS),
        _ => {}
    }
    match cx.text(TLS) {
        Text::Known(v) if v.eq_ignore_ascii_case("TLS1_0") || v.eq_ignore_ascii_case("TLS1_1") => Finding::fail(
            format!("`minimumTlsVersion` is `{v}`: the workspace's storage accepts TLS older than 1.2"),
            Some(TLS),
        ),
        Text::Known(v) => Finding::pass(format!("HTTPS only, `minimumTlsVersion` is `{v}`"), Some(TLS)),
        Text::Unknown(u) => Finding::unknown(u, TLS),
        _ => Finding::fail(
            "`minimumTlsVersion` is not set; the storage API's documented default is TLS1_0",
            Some(TLS),
        ),
    }
}
