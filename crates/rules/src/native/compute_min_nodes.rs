//! AMLB-PV6-001: compute clusters scale down to zero nodes, so new nodes pick up patched images.

use super::{is_compute_of, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, TerraformSetting};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-PV6-001",
    title: "Azure Machine Learning compute clusters scale down to zero nodes",
    kind: RuleKind::Native { check },
    control: "PV-6",
    feature: None,
    severity: Severity::Low,
    enabled_by_default: true,
    fix: "Set `properties.properties.scaleSettings.minNodeCount` to 0 (Terraform: `scale_settings { min_node_count = 0 }`), so that nodes are recreated from the latest image.",
    note: Some("The baseline's PV-6 feature (Azure Automation Update Management) is not supported by the service; Azure ML patches compute cluster images, and a node only gets the patched image when it is created. A cluster that never scales to zero keeps old nodes."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.properties.scaleSettings.minNodeCount", value: r#"0"#, accept: &[], compute_types: &[], terraform: Some(TerraformSetting { blocks: &["scale_settings"], attribute: "min_node_count", value: r#"0"# }) },
        ],
    },
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !is_compute_of(cx.resource, &["AmlCompute"]) {
        return None;
    }
    const PATH: &str = "properties.properties.scaleSettings.minNodeCount";
    match cx.get(PATH) {
        None => Finding::pass("`minNodeCount` is not set (the service default is 0)", Some(PATH)),
        Some(Value::Int(0)) => Finding::pass("`minNodeCount` is 0", Some(PATH)),
        Some(Value::Int(n)) => Finding::fail(
            format!("`minNodeCount` is {n}: the cluster keeps {n} node(s) running and they never pick up newer images"),
            Some(PATH),
        ),
        Some(u @ Value::Unknown(_)) => Finding::unknown(u, PATH),
        Some(other) => Finding::fail(format!("`minNodeCount` is {other}, not a number"), Some(PATH)),
    }
}
