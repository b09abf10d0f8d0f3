//! Resource types with their canonical casing. Azure Resource Graph reports
//! types in lower case (`microsoft.machinelearningservices/workspaces`); the
//! policy aliases and the rules are written with ARM's casing, so a type is
//! given back the casing below, else the casing of the resource's id.

/// Types the rules read or relate, as ARM spells them.
pub const KNOWN: &[&str] = &[
    "Microsoft.MachineLearningServices/workspaces",
    "Microsoft.MachineLearningServices/workspaces/computes",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
    "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints",
    "Microsoft.MachineLearningServices/workspaces/connections",
    "Microsoft.MachineLearningServices/workspaces/datastores",
    "Microsoft.MachineLearningServices/workspaces/outboundRules",
    "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
    "Microsoft.MachineLearningServices/registries",
    "Microsoft.Network/privateEndpoints",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    "Microsoft.Network/privateDnsZones",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/virtualNetworks/subnets",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.KeyVault/vaults",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.Insights/diagnosticSettings",
    "Microsoft.Insights/components",
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.Authorization/roleDefinitions",
    "Microsoft.ManagedIdentity/userAssignedIdentities",
];

/// The canonical casing of `ty`: from [`KNOWN`], else from `id` when the id
/// spells the same type, else `ty` unchanged.
pub fn canonical(ty: &str, id: Option<&str>) -> String {
    if let Some(k) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(ty)) {
        return (*k).to_string();
    }
    if let Some((from_id, _)) = id.and_then(type_and_name) {
        if from_id.eq_ignore_ascii_case(ty) {
            return from_id;
        }
    }
    ty.to_string()
}

/// The full type and full name an id spells, read from its last
/// `/providers/` segment (`Microsoft.X/a/n/b/m` → (`Microsoft.X/a/b`, `n/m`)).
pub fn type_and_name(id: &str) -> Option<(String, String)> {
    let at = aml_model::model::rfind_ignoring_ascii_case(id, "/providers/")?;
    let tail = &id[at + "/providers/".len()..];
    let mut segs = tail.split('/');
    let namespace = segs.next().filter(|s| !s.is_empty())?;
    let rest: Vec<&str> = segs.collect();
    if rest.len() < 2 || rest.len() % 2 != 0 {
        return None;
    }
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    let names: Vec<&str> = rest.iter().skip(1).step_by(2).copied().collect();
    Some((format!("{namespace}/{}", types.join("/")), names.join("/")))
}

/// The resource an extension resource applies to: the id before its last
/// `/providers/`, when the id has more than one (a diagnostic setting or
/// role assignment on a workspace).
pub fn extension_scope(id: &str) -> Option<String> {
    // Two `/providers/` that do not overlap (what counting the matches
    // asked): the last, and one that ends before it starts.
    use aml_model::model::{find_ignoring_ascii_case, rfind_ignoring_ascii_case};
    let at = rfind_ignoring_ascii_case(id, "/providers/")?;
    find_ignoring_ascii_case(&id[..at], "/providers/")?;
    Some(id[..at].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scope found without a lower-cased copy is the one counting the
    /// matches in it found, on ids with `/providers/` in several cases,
    /// overlapping and not.
    #[test]
    fn extension_scopes_are_those_counted_in_a_lower_cased_copy() {
        let counted = |id: &str| {
            let lower = id.to_ascii_lowercase();
            if lower.matches("/providers/").count() < 2 {
                return None;
            }
            let at = lower.rfind("/providers/")?;
            Some(id[..at].to_string())
        };
        let ids = [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.X/a/n/PROVIDERS/Microsoft.Insights/d/x",
            "/subscriptions/s/providers/Microsoft.X/a/n",
            "/providers/providers/",
            "/providers/providers/providers/",
            "/Providers/x/pRoViDeRs/",
            "",
        ];
        for id in ids {
            for end in 0..=id.len() {
                assert_eq!(
                    extension_scope(&id[..end]),
                    counted(&id[..end]),
                    "{}",
                    &id[..end]
                );
            }
        }
    }

    #[test]
    fn lower_case_types_get_arm_casing() {
        assert_eq!(
            canonical(
                "microsoft.machinelearningservices/workspaces/computes",
                None
            ),
            "Microsoft.MachineLearningServices/workspaces/computes"
        );
        assert_eq!(
            canonical(
                "microsoft.web/sites",
                Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app")
            ),
            "Microsoft.Web/sites"
        );
        assert_eq!(canonical("contoso.x/y", None), "contoso.x/y");
    }

    #[test]
    fn ids_spell_type_name_and_scope() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/ci";
        assert_eq!(
            type_and_name(id).unwrap(),
            (
                "Microsoft.MachineLearningServices/workspaces/computes".to_string(),
                "ws/ci".to_string()
            )
        );
        assert_eq!(extension_scope(id), None);
        let ds = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/providers/microsoft.insights/diagnosticSettings/d";
        assert_eq!(
            extension_scope(ds).unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
        );
        assert_eq!(type_and_name(ds).unwrap().1, "d");
        assert_eq!(type_and_name("/subscriptions/s"), None);
    }
}
