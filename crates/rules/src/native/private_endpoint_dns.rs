//! AMLB-NS2-005: workspace private endpoints register in both private DNS zones.

use super::{CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-NS2-005",
    title: "Azure Machine Learning workspace private endpoints link the api and notebooks private DNS zones",
    kind: RuleKind::Native { check },
    control: "NS-2",
    feature: Some("Azure Private Link"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Add a `privateDnsZoneGroups` child to the private endpoint whose `properties.privateDnsZoneConfigs[].properties.privateDnsZoneId` name both `privatelink.api.azureml.ms` and `privatelink.notebooks.azure.net` (Terraform: `private_dns_zone_group { private_dns_zone_ids = [...] }`).",
    note: Some("Without both zones, clients resolve the workspace's public addresses and the private endpoint is bypassed or fails. Sovereign clouds use other zone names (`privatelink.api.ml.azure.us`...); any `privatelink.api.*` and `privatelink.notebooks.*` zone counts. The built-in DeployIfNotExists policy AMLB-POL-ee40564d says the same but needs the zone ids as parameters."),
    parameters: None,
    autofix: Autofix::None,
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let pe = cx.resource;
    if !pe.is_type("Microsoft.Network/privateEndpoints")
        || !targets_workspace(pe.get("properties")?)
    {
        return None;
    }
    let groups: Vec<_> = cx
        .children(
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            &pe.id,
        )
        .collect();
    let (mut api, mut notebooks) = (false, false);
    let mut unknown = None;
    for g in &groups {
        let Some(Value::Array(configs)) = g.get("properties.privateDnsZoneConfigs") else {
            if let Some(u @ Value::Unknown(_)) = g.get("properties.privateDnsZoneConfigs") {
                unknown.get_or_insert(u);
            }
            continue;
        };
        for c in configs.iter().take(1000) {
            match super::text_of(c.get_path("properties.privateDnsZoneId")) {
                Text::Known(id) => {
                    let zone = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
                    api |= zone.starts_with("privatelink.api.");
                    notebooks |= zone.starts_with("privatelink.notebooks.");
                }
                Text::Unknown(u) => {
                    unknown.get_or_insert(u);
                }
                _ => {}
            }
        }
    }
    if api && notebooks {
        return Finding::pass(
            "the private endpoint's DNS zone group links the api and notebooks zones",
            None,
        );
    }
    if let Some(u) = unknown {
        return Finding::unknown(u, "properties.privateDnsZoneConfigs");
    }
    let missing: Vec<&str> = [
        (!api, "privatelink.api.azureml.ms"),
        (!notebooks, "privatelink.notebooks.azure.net"),
    ]
    .into_iter()
    .filter_map(|(m, z)| m.then_some(z))
    .collect();
    let what = if groups.is_empty() {
        "has no `privateDnsZoneGroups` child".to_string()
    } else {
        "has a DNS zone group that does not link every zone".to_string()
    };
    Finding::fail(
        format!(
            "the workspace private endpoint {what}; missing: {}",
            missing.join(", ")
        ),
        None,
    )
}

/// True when a private endpoint's connections use the `amlworkspace` group.
fn targets_workspace(props: &Value) -> bool {
    [
        "privateLinkServiceConnections",
        "manualPrivateLinkServiceConnections",
    ]
    .iter()
    .filter_map(|k| props.get(k).and_then(Value::as_array))
    .flatten()
    .filter_map(|c| c.get_path("properties.groupIds").and_then(Value::as_array))
    .flatten()
    .any(|g| {
        g.as_str()
            .is_some_and(|g| g.eq_ignore_ascii_case("amlworkspace"))
    })
}
