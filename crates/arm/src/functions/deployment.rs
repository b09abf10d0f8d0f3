//! Deployment and scope functions: `parameters`, `variables`, `copyIndex`,
//! `deployment`, `environment`, `resourceGroup`, `subscription`, `tenant`,
//! `managementGroup`, `deployer`.
//!
//! Scope objects are built from the [`DeploymentContext`]; what the files
//! cannot tell (display names, tags, the deployment's template hash) is
//! unknown inside the known structure.

use super::args::{int_arg, str_arg};
use super::Call;
use aml_model::context::{DeploymentContext, TargetScope};
use aml_model::value::{Object, Value};

fn obj(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Object>(),
    )
}

fn ctx<'a>(call: &'a Call<'_>) -> &'a DeploymentContext {
    call.env.context()
}

/// An unknown member of a scope object, named `function().path`.
fn unknown_member(function: &str, path: &str, reason: &str) -> Value {
    Value::unknown(format!("{function}().{path}"), reason)
}

pub(crate) fn parameters(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    call.env.parameter(str_arg(&args[0], 0)?)
}

pub(crate) fn variables(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    call.env.variable(str_arg(&args[0], 0)?)
}

/// `copyIndex()`, `copyIndex(offset)`, `copyIndex('loop')`, `copyIndex('loop', offset)`.
pub(crate) fn copy_index(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let (loop_name, offset) = match args.as_slice() {
        [] => (None, 0),
        [Value::String(name)] => (Some(name.as_str()), 0),
        [offset] => (None, int_arg(offset, 0)?),
        [name, offset] => (Some(str_arg(name, 0)?), int_arg(offset, 1)?),
        _ => return Err("takes at most 2 arguments".to_string()),
    };
    let index = call.env.copy_index(loop_name)?;
    index
        .checked_add(offset)
        .map(Value::Int)
        .ok_or_else(|| format!("{index} + {offset} overflows a 64-bit integer"))
}

/// `resourceGroup()`: id, name, type, location, tags (unknown) and
/// `properties.provisioningState`. Only at resource group scope.
pub(crate) fn resource_group(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    let c = ctx(call);
    if c.scope != TargetScope::ResourceGroup {
        return Err(format!(
            "is not available in a deployment at {} scope",
            scope_name(c.scope)
        ));
    }
    Ok(obj(vec![
        (
            "id",
            Value::String(format!(
                "/subscriptions/{}/resourceGroups/{}",
                c.subscription_id, c.resource_group
            )),
        ),
        ("name", Value::str(c.resource_group.as_str())),
        ("type", Value::str("Microsoft.Resources/resourceGroups")),
        ("location", Value::str(c.location.as_str())),
        (
            "tags",
            unknown_member(
                "resourceGroup",
                "tags",
                "the resource group's tags are not in the files",
            ),
        ),
        (
            "properties",
            obj(vec![("provisioningState", Value::str("Succeeded"))]),
        ),
    ]))
}

/// `subscription()`: id, subscriptionId, tenantId, displayName (unknown).
pub(crate) fn subscription(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    let c = ctx(call);
    if matches!(c.scope, TargetScope::ManagementGroup | TargetScope::Tenant) {
        return Err(format!(
            "is not available in a deployment at {} scope",
            scope_name(c.scope)
        ));
    }
    Ok(obj(vec![
        (
            "id",
            Value::String(format!("/subscriptions/{}", c.subscription_id)),
        ),
        ("subscriptionId", Value::str(c.subscription_id.as_str())),
        ("tenantId", Value::str(c.tenant_id.as_str())),
        (
            "displayName",
            unknown_member(
                "subscription",
                "displayName",
                "the subscription's display name is not in the files",
            ),
        ),
    ]))
}

/// `tenant()`: id, tenantId, and unknown display name and country.
pub(crate) fn tenant(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    let c = ctx(call);
    let reason = "the tenant's details are not in the files";
    Ok(obj(vec![
        (
            "countryCode",
            unknown_member("tenant", "countryCode", reason),
        ),
        (
            "displayName",
            unknown_member("tenant", "displayName", reason),
        ),
        ("id", Value::String(format!("/tenants/{}", c.tenant_id))),
        ("tenantId", Value::str(c.tenant_id.as_str())),
    ]))
}

/// `managementGroup()`: unknown unless the context names the management group.
pub(crate) fn management_group(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    let c = ctx(call);
    if c.scope != TargetScope::ManagementGroup {
        return Err(format!(
            "is not available in a deployment at {} scope",
            scope_name(c.scope)
        ));
    }
    let Some(mg) = &c.management_group else {
        return Ok(call.unknown("the management group of the deployment is not known"));
    };
    let reason = "the management group's details are not in the files";
    Ok(obj(vec![
        (
            "id",
            Value::String(format!(
                "/providers/Microsoft.Management/managementGroups/{mg}"
            )),
        ),
        ("name", Value::str(mg.as_str())),
        ("type", Value::str("Microsoft.Management/managementGroups")),
        (
            "properties",
            obj(vec![
                (
                    "displayName",
                    unknown_member("managementGroup", "properties.displayName", reason),
                ),
                ("tenantId", Value::str(c.tenant_id.as_str())),
                (
                    "details",
                    obj(vec![(
                        "parent",
                        unknown_member("managementGroup", "properties.details.parent", reason),
                    )]),
                ),
            ]),
        ),
    ]))
}

/// `deployment()`: the name from the context; the template's content version
/// and hash are unknown. `templateLink` is unknown too: quickstart templates
/// default `_artifactsLocation` to `deployment().properties.templateLink.uri`,
/// which is only known when the template is deployed from a URI.
pub(crate) fn deployment(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    let c = ctx(call);
    let reason = "the deployment's template details are only known at deployment time";
    let mut entries = vec![
        ("name", Value::str(c.deployment_name.as_str())),
        (
            "properties",
            obj(vec![
                (
                    "template",
                    obj(vec![(
                        "contentVersion",
                        unknown_member("deployment", "properties.template.contentVersion", reason),
                    )]),
                ),
                (
                    "templateHash",
                    unknown_member("deployment", "properties.templateHash", reason),
                ),
                (
                    "templateLink",
                    unknown_member(
                        "deployment",
                        "properties.templateLink",
                        "the template's link is only known when it is deployed from a URI",
                    ),
                ),
                ("mode", Value::str("Incremental")),
                ("provisioningState", Value::str("Accepted")),
            ]),
        ),
    ];
    if c.scope != TargetScope::ResourceGroup {
        entries.push(("location", Value::str(c.location.as_str())));
    }
    Ok(obj(entries))
}

/// `deployer()`: the identity running the deployment, which the files never name.
pub(crate) fn deployer(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(call.unknown("the identity that runs the deployment is not known"))
}

/// `environment()`: the public Azure cloud (`AzureCloud`).
pub(crate) fn environment(_: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    let s = Value::str;
    Ok(obj(vec![
        ("name", s("AzureCloud")),
        ("gallery", s("https://gallery.azure.com/")),
        ("graph", s("https://graph.windows.net/")),
        ("portal", s("https://portal.azure.com")),
        ("graphAudience", s("https://graph.windows.net/")),
        ("activeDirectoryDataLake", s("https://datalake.azure.net/")),
        ("batch", s("https://batch.core.windows.net/")),
        ("media", s("https://rest.media.azure.net")),
        ("sqlManagement", s("https://management.core.windows.net:8443/")),
        (
            "vmImageAliasDoc",
            s("https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json"),
        ),
        ("resourceManager", s("https://management.azure.com/")),
        (
            "authentication",
            obj(vec![
                ("loginEndpoint", s("https://login.microsoftonline.com/")),
                (
                    "audiences",
                    Value::Array(vec![
                        s("https://management.core.windows.net/"),
                        s("https://management.azure.com/"),
                    ]),
                ),
                ("tenant", s("common")),
                ("identityProvider", s("AAD")),
            ]),
        ),
        (
            "suffixes",
            obj(vec![
                ("acrLoginServer", s(".azurecr.io")),
                ("azureDatalakeAnalyticsCatalogAndJob", s("azuredatalakeanalytics.net")),
                ("azureDatalakeStoreFileSystem", s("azuredatalakestore.net")),
                ("azureFrontDoorEndpointSuffix", s("azurefd.net")),
                ("keyvaultDns", s(".vault.azure.net")),
                ("sqlServerHostname", s(".database.windows.net")),
                ("storage", s("core.windows.net")),
            ]),
        ),
    ]))
}

fn scope_name(scope: TargetScope) -> &'static str {
    match scope {
        TargetScope::ResourceGroup => "resource group",
        TargetScope::Subscription => "subscription",
        TargetScope::ManagementGroup => "management group",
        TargetScope::Tenant => "tenant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, TestEnv};

    #[test]
    fn resource_group_and_subscription() {
        assert_eq!(
            eval("[resourceGroup().id]"),
            Value::str("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg")
        );
        assert_eq!(eval("[resourceGroup().location]"), Value::str("westeurope"));
        assert_eq!(
            eval("[resourceGroup().properties.provisioningState]"),
            Value::str("Succeeded")
        );
        assert!(is_unknown_with(
            &eval("[resourceGroup().tags]"),
            "resourceGroup().tags"
        ));
        assert!(eval("[union(resourceGroup().tags, createObject('a', 'b'))]").is_unknown());
        assert_eq!(
            eval("[subscription().id]"),
            Value::str("/subscriptions/00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(
            eval("[subscription().tenantId]"),
            Value::str("00000000-0000-0000-0000-000000000000")
        );
        assert!(eval("[subscription().displayName]").is_unknown());
        assert_eq!(
            eval("[tenant().tenantId]"),
            Value::str("00000000-0000-0000-0000-000000000000")
        );
    }

    #[test]
    fn scope_rules() {
        let mut env = TestEnv::new();
        env.ctx.scope = TargetScope::Subscription;
        assert!(env
            .eval_err("[resourceGroup()]")
            .message
            .contains("subscription scope"));
        assert_eq!(
            env.eval("[deployment().location]"),
            Value::str("westeurope")
        );
        env.ctx.scope = TargetScope::ManagementGroup;
        assert!(env.eval("[managementGroup()]").is_unknown());
        env.ctx.management_group = Some("mg1".to_string());
        assert_eq!(env.eval("[managementGroup().name]"), Value::str("mg1"));
        assert!(env
            .eval_err("[subscription()]")
            .message
            .contains("management group scope"));
        assert!(eval_err("[managementGroup()]")
            .message
            .contains("resource group scope"));
    }

    #[test]
    fn deployment_and_environment() {
        assert_eq!(eval("[deployment().name]"), Value::str("deployment"));
        assert!(eval("[deployment().properties.template.contentVersion]").is_unknown());
        assert!(eval("[deployment().properties.templateLink.uri]").is_unknown());
        assert_eq!(eval("[environment().name]"), Value::str("AzureCloud"));
        assert_eq!(
            eval("[environment().suffixes.storage]"),
            Value::str("core.windows.net")
        );
        assert_eq!(
            eval("[environment().suffixes.keyvaultDns]"),
            Value::str(".vault.azure.net")
        );
        assert_eq!(
            eval("[environment().authentication.loginEndpoint]"),
            Value::str("https://login.microsoftonline.com/")
        );
        assert!(eval("[deployer().objectId]").is_unknown());
    }

    #[test]
    fn copy_index_forms() {
        let env = TestEnv::new().copy(Some("outer"), 3).copy(None, 5);
        assert_eq!(env.eval("[copyIndex()]"), Value::Int(5));
        assert_eq!(env.eval("[copyIndex(1)]"), Value::Int(6));
        assert_eq!(env.eval("[copyIndex('outer')]"), Value::Int(3));
        assert_eq!(env.eval("[copyIndex('OUTER', 10)]"), Value::Int(13));
        assert!(env
            .eval_err("[copyIndex(9223372036854775807)]")
            .message
            .contains("overflows"));
        assert!(eval_err("[copyIndex()]").message.contains("copy loop"));
        assert!(env
            .eval_err("[copyIndex(true())]")
            .message
            .contains("argument 1"));
    }
}
