//! AMLB-NS1-003: compute nodes have no public IP address.

use super::{as_bool, is_compute_of, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, TerraformSetting};

pub static RULE: Rule = Rule {
    id: "AMLB-NS1-003",
    title: "Azure Machine Learning compute instances and clusters have no public IP address",
    kind: RuleKind::Native { check },
    control: "NS-1",
    feature: Some("Virtual Network Integration"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Set `properties.properties.enableNodePublicIp` to `false` (Terraform: `node_public_ip_enabled = false`), with a subnet or the workspace's managed network.",
    note: Some("An absent `enableNodePublicIp` means public IPs: the REST API's default for clusters is `true`, and the CLI and Terraform send `true` for instances and clusters."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.properties.enableNodePublicIp", value: r#"false"#, accept: &[], compute_types: &[], terraform: Some(TerraformSetting { blocks: &[], attribute: "node_public_ip_enabled", value: r#"false"# }) },
        ],
    },
};

const PATH: &str = "properties.properties.enableNodePublicIp";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !is_compute_of(cx.resource, &["ComputeInstance", "AmlCompute"]) {
        return None;
    }
    match as_bool(cx.get(PATH)) {
        Ok(Some(false)) => Finding::pass("`enableNodePublicIp` is false", Some(PATH)),
        Ok(Some(true)) => Finding::fail(
            "`enableNodePublicIp` is true: every node gets a public IP address",
            Some(PATH),
        ),
        Ok(None) => Finding::fail(
            "`enableNodePublicIp` is not set; the service default is true, so every node gets a public IP address",
            Some(PATH),
        ),
        Err(u) => Finding::unknown(u, PATH),
    }
}
