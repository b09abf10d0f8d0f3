//! Resource functions: `resourceId`, `subscriptionResourceId`,
//! `tenantResourceId`, `extensionResourceId`, `managementGroupResourceId`,
//! `reference`, `pickZones`, `providers`. (`list*` is in the dispatcher.)
//!
//! Resource id functions follow ARM's argument rules: optional scope
//! arguments, then the first argument holding a `/` is the resource type
//! (`Namespace/type[/childType...]`), then exactly one name per type segment
//! after the namespace.

use super::args::str_arg;
use super::Call;
use aml_model::context::TargetScope;
use aml_model::value::Value;

/// The scope arguments, type and names of a resource id call.
struct IdParts<'a> {
    scope: Vec<&'a str>,
    path: String,
}

/// Splits `args` into at most `max_scope` scope arguments and the
/// `/providers/Namespace/type/name/...` path.
fn id_parts<'a>(args: &'a [Value], max_scope: usize) -> Result<IdParts<'a>, String> {
    let segs = args
        .iter()
        .enumerate()
        .map(|(i, a)| str_arg(a, i))
        .collect::<Result<Vec<&str>, _>>()?;
    let t = segs
        .iter()
        .position(|s| s.contains('/'))
        .ok_or_else(|| "no argument is a resource type ('Namespace/type')".to_string())?;
    if t > max_scope {
        return Err(format!(
            "the resource type must be at most argument {} (found '{}' as argument {})",
            max_scope + 1,
            segs[t],
            t + 1
        ));
    }
    Ok(IdParts {
        scope: segs[..t].to_vec(),
        path: type_path(segs[t], &segs[t + 1..])?,
    })
}

/// `/providers/{ns}/{type}/{name}[/{childType}/{childName}...]`.
fn type_path(resource_type: &str, names: &[&str]) -> Result<String, String> {
    let parts: Vec<&str> = resource_type.trim_end_matches('/').split('/').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "'{resource_type}' is not a resource type ('Namespace/type')"
        ));
    }
    let needed = parts.len() - 1;
    if names.len() != needed {
        return Err(format!(
            "the resource type '{resource_type}' needs {needed} resource name{}, {} given",
            if needed == 1 { "" } else { "s" },
            names.len()
        ));
    }
    let mut path = format!("/providers/{}", parts[0]);
    for (t, n) in parts[1..].iter().zip(names) {
        path.push('/');
        path.push_str(t);
        path.push('/');
        path.push_str(n);
    }
    Ok(path)
}

/// `resourceId([subscriptionId], [resourceGroupName], type, name1, ...)`.
/// Without scope arguments the id is at the deployment's scope: resource
/// group, subscription, or `/providers/...` at management group and tenant
/// scope.
pub(crate) fn resource_id(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let IdParts { scope, path } = id_parts(&args, 2)?;
    let c = call.env.context();
    let id = match scope.as_slice() {
        [] => match c.scope {
            TargetScope::ResourceGroup => format!(
                "/subscriptions/{}/resourceGroups/{}{path}",
                c.subscription_id, c.resource_group
            ),
            TargetScope::Subscription => format!("/subscriptions/{}{path}", c.subscription_id),
            TargetScope::ManagementGroup | TargetScope::Tenant => path,
        },
        [rg] => format!(
            "/subscriptions/{}/resourceGroups/{rg}{path}",
            c.subscription_id
        ),
        [sub, rg, ..] => format!("/subscriptions/{sub}/resourceGroups/{rg}{path}"),
    };
    Ok(Value::String(id))
}

/// `subscriptionResourceId([subscriptionId], type, name1, ...)`.
pub(crate) fn subscription_resource_id(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let IdParts { scope, path } = id_parts(&args, 1)?;
    let sub = scope
        .first()
        .copied()
        .unwrap_or(call.env.context().subscription_id.as_str());
    Ok(Value::String(format!("/subscriptions/{sub}{path}")))
}

/// `tenantResourceId(type, name1, ...)`.
pub(crate) fn tenant_resource_id(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(id_parts(&args, 0)?.path))
}

/// `extensionResourceId(resourceId, type, name1, ...)`: an extension
/// resource of another resource (or of any scope id).
pub(crate) fn extension_resource_id(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let base = str_arg(&args[0], 0)?.trim_end_matches('/');
    let resource_type = str_arg(&args[1], 1)?;
    let names = args[2..]
        .iter()
        .enumerate()
        .map(|(i, a)| str_arg(a, i + 2))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::String(format!(
        "{base}{}",
        type_path(resource_type, &names)?
    )))
}

/// `managementGroupResourceId([managementGroupName], type, name1, ...)`;
/// unknown when no name is given and the context has none.
pub(crate) fn management_group_resource_id(
    call: &Call<'_>,
    args: Vec<Value>,
) -> Result<Value, String> {
    let IdParts { scope, path } = id_parts(&args, 1)?;
    let mg = match scope.first() {
        Some(mg) => (*mg).to_string(),
        None => match &call.env.context().management_group {
            Some(mg) => mg.clone(),
            None => return Ok(call.unknown("the management group of the deployment is not known")),
        },
    };
    Ok(Value::String(format!(
        "/providers/Microsoft.Management/managementGroups/{mg}{path}"
    )))
}

/// `reference(resourceNameOrId, [apiVersion], ['Full'])`: resolved by the
/// template evaluator; unknown for resources outside the deployment.
pub(crate) fn reference(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    // An unknown target still names a resource when it is an id with an
    // identity (`resourceId(..., parameters('n'))`); any other unknown
    // argument makes the result unknown.
    match &args[0] {
        Value::Unknown(u) if u.shape.identity.is_none() => return Ok(call.unknown_from(u)),
        Value::Unknown(_) => {}
        other => {
            str_arg(other, 0)?;
        }
    }
    for a in &args[1..] {
        if let Value::Unknown(u) = a {
            return Ok(call.unknown_from(u));
        }
    }
    if let Some(api) = args.get(1) {
        str_arg(api, 1)?;
    }
    let full = match args.get(2) {
        None => false,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("full") => true,
        Some(other) => return Err(format!("argument 3 must be 'Full', got {other}")),
    };
    Ok(call.env.reference(&args[0], args.get(1), full))
}

/// `pickZones(...)`: depends on the zones of the region in the subscription.
pub(crate) fn pick_zones(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(call.unknown("pickZones() depends on the availability zones offered to the subscription"))
}

/// `providers(...)`: depends on the resource providers of the subscription.
pub(crate) fn providers(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(
        call.unknown(
            "providers() depends on the resource providers registered in the subscription",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, json, TestEnv};

    const SUB: &str = "00000000-0000-0000-0000-000000000000";

    #[test]
    fn resource_ids_at_resource_group_scope() {
        assert_eq!(
            eval("[resourceId('Microsoft.Storage/storageAccounts', 'sa')]"),
            Value::String(format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"
            ))
        );
        assert_eq!(
            eval("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]"),
            Value::String(format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
            ))
        );
        assert_eq!(
            eval("[resourceId('otherRg', 'Microsoft.KeyVault/vaults', 'kv')]"),
            Value::String(format!(
                "/subscriptions/{SUB}/resourceGroups/otherRg/providers/Microsoft.KeyVault/vaults/kv"
            ))
        );
        assert_eq!(
            eval("[resourceId('11111111-1111-1111-1111-111111111111', 'otherRg', 'Microsoft.KeyVault/vaults', 'kv')]"),
            Value::str(
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/otherRg/providers/Microsoft.KeyVault/vaults/kv"
            )
        );
    }

    #[test]
    fn resource_ids_of_unknown_names_keep_their_identity() {
        let env = TestEnv::new()
            .unknown_param("n")
            .param("s", Value::str("cpu"));
        let Value::Unknown(u) = env.eval(
            "[resourceId('Microsoft.MachineLearningServices/workspaces/computes', parameters('n'), parameters('s'))]",
        ) else {
            panic!("an unknown")
        };
        let ws = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces");
        assert_eq!(
            u.shape.identity.as_deref(),
            Some(format!("{ws}/[parameters('n')]/computes/cpu").as_str())
        );
        assert_eq!(
            u.shape.resource_type.as_deref(),
            Some("Microsoft.MachineLearningServices/workspaces/computes")
        );
        assert_eq!(u.shape.prefix.as_deref(), Some(format!("{ws}/").as_str()));
        assert!(u.shape.present);
        // The same expression, written with other blanks, names the same resource.
        let Value::Unknown(w) = env.eval(
            "[resourceId('Microsoft.MachineLearningServices/workspaces/computes',parameters( 'n' ),'cpu')]",
        ) else {
            panic!("an unknown")
        };
        assert_eq!(w.shape.identity, u.shape.identity);
    }

    #[test]
    fn resource_id_argument_rules() {
        let e = eval_err("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]");
        assert!(
            e.message.contains("needs 2 resource names, 1 given"),
            "{}",
            e.message
        );
        assert!(
            eval_err("[resourceId('Microsoft.Storage/storageAccounts', 'a', 'b')]")
                .message
                .contains("needs 1 resource name, 2 given")
        );
        assert!(eval_err("[resourceId('a', 'b', 'c', 'X/y', 'n')]")
            .message
            .contains("at most argument 3"));
        assert!(eval_err("[resourceId('a', 'b')]")
            .message
            .contains("no argument is a resource type"));
        assert!(eval_err("[resourceId('/x', 'b')]")
            .message
            .contains("not a resource type"));
        assert!(
            eval_err("[resourceId('Microsoft.Storage/storageAccounts', 1)]")
                .message
                .contains("argument 2")
        );
    }

    #[test]
    fn resource_ids_at_other_scopes() {
        let mut env = TestEnv::new();
        env.ctx.scope = TargetScope::Subscription;
        assert_eq!(
            env.eval("[resourceId('Microsoft.Authorization/roleDefinitions', 'r')]"),
            Value::String(format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/r"
            ))
        );
        env.ctx.scope = TargetScope::Tenant;
        assert_eq!(
            env.eval("[resourceId('Microsoft.Management/managementGroups', 'mg')]"),
            Value::str("/providers/Microsoft.Management/managementGroups/mg")
        );
        assert_eq!(
            eval("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]"),
            Value::String(format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
            ))
        );
        assert_eq!(
            eval("[subscriptionResourceId('s2', 'Microsoft.Resources/resourceGroups', 'rg2')]"),
            Value::str("/subscriptions/s2/providers/Microsoft.Resources/resourceGroups/rg2")
        );
        assert_eq!(
            eval("[tenantResourceId('Microsoft.Billing/billingAccounts', 'b')]"),
            Value::str("/providers/Microsoft.Billing/billingAccounts/b")
        );
        assert_eq!(
            eval("[extensionResourceId(resourceId('Microsoft.KeyVault/vaults', 'kv'), 'Microsoft.Authorization/locks', 'lock')]"),
            Value::String(format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/locks/lock"
            ))
        );
        assert_eq!(
            eval("[managementGroupResourceId('mg1', 'Microsoft.Authorization/policyDefinitions', 'p')]"),
            Value::str("/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/p")
        );
        assert!(eval(
            "[managementGroupResourceId('Microsoft.Authorization/policyDefinitions', 'p')]"
        )
        .is_unknown());
    }

    #[test]
    fn reference_goes_to_the_env() {
        let env = TestEnv::new().unknown_param("u").resource(
            "sa",
            json(
                serde_json::json!({"name": "sa", "properties": {"supportsHttpsTrafficOnly": true}}),
            ),
        );
        assert_eq!(
            env.eval("[reference('sa').supportsHttpsTrafficOnly]"),
            Value::Bool(true)
        );
        assert_eq!(
            env.eval("[reference('sa', '2023-01-01', 'Full').name]"),
            Value::str("sa")
        );
        assert!(env
            .eval_err("[reference('sa', '2023-01-01', 'Partial')]")
            .message
            .contains("'Full'"));
        assert!(is_unknown_with(
            &env.eval("[reference('other').x]"),
            "reference('other').x"
        ));
        assert!(is_unknown_with(
            &env.eval("[reference(parameters('u'))]"),
            "reference(parameters('u'))"
        ));
    }

    #[test]
    fn zones_and_providers_are_unknown() {
        assert!(
            eval("[pickZones('Microsoft.Compute', 'virtualMachines', 'westus2')]").is_unknown()
        );
        assert!(eval("[providers('Microsoft.Compute')]").is_unknown());
    }
}
