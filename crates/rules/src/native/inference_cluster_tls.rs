//! AMLB-DP3-001: AKS inference clusters serve scoring requests over TLS.

use super::{is_compute_of, CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-DP3-001",
    title: "Azure Machine Learning AKS inference clusters use TLS",
    kind: RuleKind::Native { check },
    control: "DP-3",
    feature: Some("Data in Transit Encryption"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Set `properties.properties.sslConfiguration.status` to `Enabled` with a certificate (`cert`, `key`, `cname`) or to `Auto` with a `leafDomainLabel` (Terraform: an `ssl` block on `azurerm_machine_learning_inference_cluster`).",
    note: Some("Only `AKS` computes carry `sslConfiguration`; an absent configuration means plain HTTP scoring. Attached `Kubernetes` (Arc) computes set TLS on the Azure ML cluster extension, which this rule does not read."),
    parameters: None,
    autofix: Autofix::None,
};

const PATH: &str = "properties.properties.sslConfiguration.status";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !is_compute_of(cx.resource, &["AKS"]) {
        return None;
    }
    match cx.text(PATH) {
        Text::Known(s) if s.eq_ignore_ascii_case("Enabled") || s.eq_ignore_ascii_case("Auto") => {
            Finding::pass(format!("`sslConfiguration.status` is `{s}`"), Some(PATH))
        }
        Text::Known(s) => Finding::fail(
            format!("`sslConfiguration.status` is `{s}`: scoring requests travel unencrypted"),
            Some(PATH),
        ),
        Text::Unknown(u) => Finding::unknown(u, PATH),
        _ => Finding::fail(
            "no `sslConfiguration` is set, so the cluster serves scoring requests over plain HTTP",
            Some(PATH),
        ),
    }
}
