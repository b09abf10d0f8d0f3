//! AMLB-IM8-004: secure parameters have no literal default value.

use super::{CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-IM8-004",
    title: "Secure template parameters have no secret written as their default value",
    kind: RuleKind::Native { check },
    control: "IM-8",
    feature: Some("Service Credential and Secrets Support Integration and Storage in Azure Key Vault"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Remove the `defaultValue` of `securestring`/`secureObject` parameters (Bicep: the default of `@secure()` parameters) and supply the value at deployment from a Key Vault reference.",
    note: Some("This is about the template, not one resource: the result is reported once per deployment, on its first resource, and points at the parameter's default value. Defaults that are expressions (`[newGuid()]`, `[parameters('other')]`) are not literals and pass. The value is never printed."),
    parameters: None,
    autofix: Autofix::None,
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    // Deployed resources have no parameters: the rule is about code only.
    if cx.resource.format == "live" {
        return None;
    }
    let first = cx
        .deployment()
        .find(|r| !r.is_type("Microsoft.Resources/deployments"))?;
    if !std::ptr::eq(first, cx.resource) {
        return None;
    }
    let d = cx.resource.deployment;
    let defaults: Vec<_> = cx.model.secure_defaults_of(d).collect();
    let Some(at) = defaults.first() else {
        return Finding::pass(
            "no secure parameter of this deployment has a literal default value",
            None,
        );
    };
    let names: Vec<String> = defaults.iter().map(|s| format!("'{}'", s.name)).collect();
    let mut f = Finding::fail(
        format!(
            "secure parameter(s) {} have a literal default value: the secret is written in the template",
            names.join(", ")
        ),
        None,
    )?;
    f.span = Some(at.span);
    Some(f)
}
