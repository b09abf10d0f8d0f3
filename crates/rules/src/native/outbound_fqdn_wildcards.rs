//! AMLB-DP2-001: managed network FQDN outbound rules name hosts, not wildcards.

use super::{CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-DP2-001",
    title: "Azure Machine Learning managed network FQDN outbound rules do not use wildcards",
    kind: RuleKind::Native { check },
    control: "DP-2",
    feature: Some("Data Leakage/Loss Prevention"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Replace wildcard destinations (`*.blob.core.windows.net`) of FQDN outbound rules (`properties.managedNetwork.outboundRules.<name>.destination`, or `properties.destination` of a `workspaces/outboundRules` resource) with the exact host names, or use a private endpoint rule to the specific resource.",
    note: Some("A wildcard FQDN rule lets the workspace's computes send data to any host under the domain, including storage accounts owned by someone else, which defeats the Allow Only Approved Outbound mode (AMLB-POL-6ddb1705)."),
    parameters: None,
    autofix: Autofix::None,
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    let mut rules: Vec<(String, &Value)> = Vec::new();
    if r.is_type("Microsoft.MachineLearningServices/workspaces") {
        match cx.get("properties.managedNetwork.outboundRules") {
            Some(Value::Object(map)) => {
                for (name, rule) in map.iter().take(1000) {
                    rules.push((
                        format!("properties.managedNetwork.outboundRules.{name}"),
                        rule,
                    ));
                }
            }
            Some(u @ Value::Unknown(_)) => {
                return Finding::unknown(u, "properties.managedNetwork.outboundRules")
            }
            _ => return None,
        }
    } else if r.is_type("Microsoft.MachineLearningServices/workspaces/outboundRules") {
        rules.push(("properties".to_string(), cx.get("properties")?));
    } else {
        return None;
    }
    let mut unknown = None;
    let mut fqdn = 0;
    for (path, rule) in &rules {
        match super::text_of(rule.get("type")) {
            Text::Known(t) if t.eq_ignore_ascii_case("FQDN") => {}
            Text::Unknown(u) => {
                unknown.get_or_insert((format!("{path}.type"), u));
                continue;
            }
            _ => continue,
        }
        fqdn += 1;
        let dest = format!("{path}.destination");
        match super::text_of(rule.get("destination")) {
            Text::Known(d) if d.contains('*') => {
                return Finding::fail(
                    format!("the FQDN outbound rule allows `{d}`, a wildcard destination"),
                    Some(&dest),
                )
            }
            Text::Unknown(u) => {
                unknown.get_or_insert((dest, u));
            }
            _ => {}
        }
    }
    if let Some((path, u)) = unknown {
        return Finding::unknown(u, &path);
    }
    if fqdn == 0 {
        return None;
    }
    Finding::pass(
        format!("{fqdn} FQDN outbound rule(s) name exact hosts"),
        Some(&rules[0].0),
    )
}
