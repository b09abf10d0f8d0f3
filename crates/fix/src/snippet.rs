//! Snippets for fixes that add a resource (a private endpoint, a diagnostic
//! setting) or a block that needs values only the user has (a customer-managed
//! key): printed in the failing file's language with the resource's names
//! filled in, never written. Placeholders the user must choose are in
//! angle brackets.

use aml_model::model::Resource;
use aml_model::source::SourceMap;
use aml_rules::SnippetKind;

/// The snippet for `kind`, for `resource`, in its file's language.
pub(crate) fn render(kind: SnippetKind, resource: &Resource, _sources: &SourceMap) -> String {
    let name = resource.name.rsplit('/').next().unwrap_or(&resource.name);
    match resource.format {
        "bicep" => bicep(kind, resource, name),
        "terraform" => terraform(kind, resource, name),
        aml_yaml::FORMAT => cli_yaml(kind, resource, name),
        _ => arm(kind, resource, name),
    }
}

fn symbol(resource: &Resource, fallback: &str) -> String {
    let s = resource.symbol.as_deref().unwrap_or(fallback);
    let s = s.split('[').next().unwrap_or(s);
    s.rsplit(['.', ':']).next().unwrap_or(s).to_string()
}

fn arm(kind: SnippetKind, resource: &Resource, name: &str) -> String {
    let id = format!(
        "[resourceId('{}', '{}')]",
        resource.resource_type,
        resource.name.replace('/', "', '")
    );
    let v = match kind {
        SnippetKind::PrivateEndpoint => serde_json::json!({
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": "2023-11-01",
            "name": format!("{name}-pe"),
            "location": "[resourceGroup().location]",
            "dependsOn": [id],
            "properties": {
                "subnet": { "id": "<SUBNET-RESOURCE-ID>" },
                "privateLinkServiceConnections": [{
                    "name": format!("{name}-pe"),
                    "properties": { "privateLinkServiceId": id, "groupIds": ["amlworkspace"] }
                }]
            }
        }),
        SnippetKind::DiagnosticSetting => serde_json::json!({
            "type": "Microsoft.Insights/diagnosticSettings",
            "apiVersion": "2021-05-01-preview",
            "name": format!("{name}-logs"),
            "scope": format!("{}/{}", resource.resource_type, resource.name),
            "dependsOn": [id],
            "properties": {
                "workspaceId": "<LOG-ANALYTICS-WORKSPACE-RESOURCE-ID>",
                "logs": [{ "categoryGroup": "allLogs", "enabled": true }]
            }
        }),
        SnippetKind::CustomerManagedKey => serde_json::json!({
            "encryption": {
                "status": "Enabled",
                "keyVaultProperties": {
                    "keyVaultArmId": "<KEY-VAULT-RESOURCE-ID>",
                    "keyIdentifier": "<KEY-URI-WITH-VERSION>"
                }
            }
        }),
    };
    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
    match kind {
        SnippetKind::CustomerManagedKey => format!(
            "// in the properties of workspace '{name}' (the key vault needs purge protection):\n{}",
            text.trim_start_matches('{').trim_end_matches('}').trim()
        ),
        _ => format!("// in the template's resources:\n{text}"),
    }
}

fn bicep(kind: SnippetKind, resource: &Resource, name: &str) -> String {
    let sym = symbol(resource, name);
    match kind {
        SnippetKind::PrivateEndpoint => format!(
            "resource {sym}PrivateEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {{\n  name: '${{{sym}.name}}-pe'\n  location: {sym}.location\n  properties: {{\n    subnet: {{\n      id: '<SUBNET-RESOURCE-ID>'\n    }}\n    privateLinkServiceConnections: [\n      {{\n        name: '${{{sym}.name}}-pe'\n        properties: {{\n          privateLinkServiceId: {sym}.id\n          groupIds: [\n            'amlworkspace'\n          ]\n        }}\n      }}\n    ]\n  }}\n}}\n"
        ),
        SnippetKind::DiagnosticSetting => format!(
            "resource {sym}Logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {{\n  name: '${{{sym}.name}}-logs'\n  scope: {sym}\n  properties: {{\n    workspaceId: '<LOG-ANALYTICS-WORKSPACE-RESOURCE-ID>'\n    logs: [\n      {{\n        categoryGroup: 'allLogs'\n        enabled: true\n      }}\n    ]\n  }}\n}}\n"
        ),
        SnippetKind::CustomerManagedKey => format!(
            "// in the properties of {sym} (the key vault needs purge protection):\nencryption: {{\n  status: 'Enabled'\n  keyVaultProperties: {{\n    keyVaultArmId: '<KEY-VAULT-RESOURCE-ID>'\n    keyIdentifier: '<KEY-URI-WITH-VERSION>'\n  }}\n}}\n"
        ),
    }
}

fn terraform(kind: SnippetKind, resource: &Resource, name: &str) -> String {
    let address = resource.symbol.as_deref().unwrap_or(name);
    let address = address.split('[').next().unwrap_or(address);
    // Inside the module that declares it, a resource is `type.name`.
    let local: Vec<&str> = address.rsplitn(3, '.').collect();
    let local = if local.len() >= 2 {
        format!("{}.{}", local[1], local[0])
    } else {
        address.to_string()
    };
    let label = local.rsplit('.').next().unwrap_or("this");
    match kind {
        SnippetKind::PrivateEndpoint => format!(
            "resource \"azurerm_private_endpoint\" \"{label}_pe\" {{\n  name                = \"${{{local}.name}}-pe\"\n  location            = {local}.location\n  resource_group_name = \"<RESOURCE-GROUP>\"\n  subnet_id           = \"<SUBNET-RESOURCE-ID>\"\n\n  private_service_connection {{\n    name                           = \"${{{local}.name}}-pe\"\n    private_connection_resource_id = {local}.id\n    subresource_names              = [\"amlworkspace\"]\n    is_manual_connection           = false\n  }}\n}}\n"
        ),
        SnippetKind::DiagnosticSetting => format!(
            "resource \"azurerm_monitor_diagnostic_setting\" \"{label}_logs\" {{\n  name                       = \"${{{local}.name}}-logs\"\n  target_resource_id         = {local}.id\n  log_analytics_workspace_id = \"<LOG-ANALYTICS-WORKSPACE-RESOURCE-ID>\"\n\n  enabled_log {{\n    category_group = \"allLogs\"\n  }}\n}}\n"
        ),
        SnippetKind::CustomerManagedKey => format!(
            "# in resource {local} (the key vault needs purge protection):\nencryption {{\n  key_vault_id = \"<KEY-VAULT-RESOURCE-ID>\"\n  key_id       = \"<KEY-URI-WITH-VERSION>\"\n}}\n"
        ),
    }
}

/// CLI v2 YAML has no entity for a private endpoint or a diagnostic
/// setting: the `az` command that makes it; the key block goes in the
/// workspace's YAML.
fn cli_yaml(kind: SnippetKind, resource: &Resource, name: &str) -> String {
    let provider = match resource.id.to_ascii_lowercase().find("/providers/") {
        Some(i) => &resource.id[i..],
        None => "",
    };
    let id = format!("/subscriptions/<SUBSCRIPTION-ID>/resourceGroups/<RESOURCE-GROUP>{provider}");
    match kind {
        SnippetKind::PrivateEndpoint => format!(
            "# CLI v2 YAML has no private endpoint entity: create it with the Azure CLI\naz network private-endpoint create \\\n  --name {name}-pe \\\n  --resource-group <RESOURCE-GROUP> \\\n  --vnet-name <VNET> --subnet <SUBNET> \\\n  --private-connection-resource-id \"{id}\" \\\n  --group-id amlworkspace \\\n  --connection-name {name}-pe\n"
        ),
        SnippetKind::DiagnosticSetting => format!(
            "# CLI v2 YAML has no diagnostic setting entity: create it with the Azure CLI\naz monitor diagnostic-settings create \\\n  --name {name}-logs \\\n  --resource \"{id}\" \\\n  --workspace <LOG-ANALYTICS-WORKSPACE-RESOURCE-ID> \\\n  --logs '[{{\"categoryGroup\": \"allLogs\", \"enabled\": true}}]'\n"
        ),
        SnippetKind::CustomerManagedKey => format!(
            "# in the YAML of workspace '{name}' (the key vault needs purge protection):\ncustomer_managed_key:\n  key_vault: <KEY-VAULT-RESOURCE-ID>\n  key_uri: <KEY-URI-WITH-VERSION>\n"
        ),
    }
}
