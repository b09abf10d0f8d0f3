//! AMLB-NS1-002: the subnet of a compute has a network security group.

use super::{is_compute_of, CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::model::parent_id;
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-NS1-002",
    title: "The subnets of Azure Machine Learning computes have a network security group",
    kind: RuleKind::Native { check },
    control: "NS-1",
    feature: Some("Network Security Group Support"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Give the subnet named by the compute's `properties.properties.subnet.id` a `properties.networkSecurityGroup.id` (Terraform: `azurerm_subnet_network_security_group_association`).",
    note: Some("Checked only when the subnet is declared in the same deployment (as a `virtualNetworks/subnets` resource or inside a virtual network's `subnets`); a subnet declared elsewhere is out of reach."),
    parameters: None,
    autofix: Autofix::None,
};

const PATH: &str = "properties.properties.subnet.id";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if !is_compute_of(cx.resource, &["ComputeInstance", "AmlCompute"]) {
        return None;
    }
    let subnet_id = match cx.text(PATH) {
        Text::Known(id) => id,
        Text::Unknown(u) => {
            let has_network = cx
                .of_type("Microsoft.Network/virtualNetworks")
                .next()
                .is_some()
                || cx
                    .of_type("Microsoft.Network/virtualNetworks/subnets")
                    .next()
                    .is_some();
            return if has_network {
                Finding::unknown(u, PATH)
            } else {
                None
            };
        }
        _ => return None,
    };
    let nsg = subnet_nsg(cx, subnet_id)?;
    let name = subnet_id.rsplit('/').next().unwrap_or(subnet_id);
    match nsg {
        Some(v @ Value::Unknown(_)) => Finding::unknown(v, PATH),
        Some(_) => Finding::pass(format!("subnet '{name}' has a network security group"), Some(PATH)),
        None => Finding::fail(
            format!("subnet '{name}', declared in the files, has no network security group (`networkSecurityGroup.id`)"),
            Some(PATH),
        ),
    }
}

/// The `networkSecurityGroup.id` of a subnet declared in the deployment:
/// `None` when the subnet is not declared, `Some(None)` when it has no NSG.
fn subnet_nsg<'m>(cx: &CheckContext<'m>, subnet_id: &str) -> Option<Option<&'m Value>> {
    const NSG: &str = "properties.networkSecurityGroup.id";
    let present = |v: Option<&'m Value>| v.filter(|v| !matches!(v, Value::Null));
    if let Some(subnet) = cx.with_id("Microsoft.Network/virtualNetworks/subnets", subnet_id) {
        return Some(present(subnet.get(NSG)));
    }
    let vnet_id = parent_id(subnet_id)?;
    let name = subnet_id.rsplit('/').next()?;
    let vnet = cx.with_id("Microsoft.Network/virtualNetworks", &vnet_id)?;
    let subnets = vnet.get("properties.subnets").and_then(Value::as_array)?;
    let subnet = subnets.iter().find(|s| {
        s.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?;
    Some(present(subnet.get_path(NSG)))
}
