//! One table per Terraform resource type: argument path → ARM property path,
//! how the value converts, and the provider's default when the argument is
//! absent. `docs/terraform-mapping.md` prints the same tables; the facts are
//! from the azurerm provider's resource code and docs (see
//! `../shared/reference/azure-ml-settings.md` §1.2, §3, §10).
//!
//! Argument paths name nested blocks with `[0]` (`encryption[0].key_id`).

/// How a Terraform value becomes the ARM value.
#[derive(Clone, Copy, Debug)]
pub enum Conv {
    /// Same value.
    Same,
    /// Boolean inverted (`local_auth_enabled` → `disableLocalAuth`).
    Not,
    /// Boolean to two strings (true, false).
    Enum(&'static str, &'static str),
    /// A list of ids to ARM's `{ "id": ... }` objects.
    IdObjects,
    /// A string wrapped as `{ "id": value }`.
    IdObject,
}

/// The provider's value when the argument is absent.
#[derive(Clone, Copy, Debug)]
pub enum Dflt {
    None,
    Bool(bool),
    Str(&'static str),
    Int(i64),
    /// `public_network_access_enabled`: `false` up to azurerm 3.x, `true` from 4.0.
    PublicNetworkAccessByMajor,
}

/// One argument of a resource type.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub tf: &'static str,
    pub arm: &'static str,
    pub conv: Conv,
    pub default: Dflt,
}

const fn row(tf: &'static str, arm: &'static str, conv: Conv, default: Dflt) -> Row {
    Row {
        tf,
        arm,
        conv,
        default,
    }
}

use Conv::*;
use Dflt as D;

/// `azurerm_machine_learning_workspace` → `Microsoft.MachineLearningServices/workspaces`.
pub const WORKSPACE: &[Row] = &[
    row(
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        Enum("Enabled", "Disabled"),
        D::PublicNetworkAccessByMajor,
    ),
    row(
        "high_business_impact",
        "properties.hbiWorkspace",
        Same,
        D::Bool(false),
    ),
    row(
        "v1_legacy_mode_enabled",
        "properties.v1LegacyMode",
        Same,
        D::Bool(false),
    ),
    row(
        "primary_user_assigned_identity",
        "properties.primaryUserAssignedIdentity",
        Same,
        D::None,
    ),
    row("key_vault_id", "properties.keyVault", Same, D::None),
    row(
        "storage_account_id",
        "properties.storageAccount",
        Same,
        D::None,
    ),
    row(
        "application_insights_id",
        "properties.applicationInsights",
        Same,
        D::None,
    ),
    row(
        "container_registry_id",
        "properties.containerRegistry",
        Same,
        D::None,
    ),
    row(
        "image_build_compute_name",
        "properties.imageBuildCompute",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
    row("friendly_name", "properties.friendlyName", Same, D::None),
    row(
        "storage_account_access_type",
        "properties.systemDatastoresAuthMode",
        Same,
        D::Str("AccessKey"),
    ),
    row(
        "service_side_encryption_enabled",
        "properties.enableServiceSideCMKEncryption",
        Same,
        D::None,
    ),
    row("kind", "kind", Same, D::Str("Default")),
    row("sku_name", "sku.name", Same, D::Str("Basic")),
    row(
        "managed_network[0].isolation_mode",
        "properties.managedNetwork.isolationMode",
        Same,
        D::None,
    ),
    row(
        "managed_network[0].provision_on_creation_enabled",
        "properties.provisionNetworkNow",
        Same,
        D::None,
    ),
    row(
        "serverless_compute[0].subnet_id",
        "properties.serverlessComputeSettings.serverlessComputeCustomSubnet",
        Same,
        D::None,
    ),
    row(
        "serverless_compute[0].public_ip_enabled",
        "properties.serverlessComputeSettings.serverlessComputeNoPublicIP",
        Not,
        D::None,
    ),
    row(
        "encryption[0].key_vault_id",
        "properties.encryption.keyVaultProperties.keyVaultArmId",
        Same,
        D::None,
    ),
    row(
        "encryption[0].key_id",
        "properties.encryption.keyVaultProperties.keyIdentifier",
        Same,
        D::None,
    ),
    row(
        "encryption[0].user_assigned_identity_id",
        "properties.encryption.identity.userAssignedIdentity",
        Same,
        D::None,
    ),
];

/// `azurerm_ai_foundry` → `Microsoft.MachineLearningServices/workspaces` of
/// kind `Hub` (the kind is set by the placement). The provider sends
/// `publicNetworkAccess` (default `Enabled`), the managed network only when
/// the block is given, HBI only when true.
pub const AI_FOUNDRY: &[Row] = &[
    row(
        "public_network_access",
        "properties.publicNetworkAccess",
        Same,
        D::Str("Enabled"),
    ),
    row(
        "high_business_impact_enabled",
        "properties.hbiWorkspace",
        Same,
        D::None,
    ),
    row(
        "primary_user_assigned_identity",
        "properties.primaryUserAssignedIdentity",
        Same,
        D::None,
    ),
    row("key_vault_id", "properties.keyVault", Same, D::None),
    row(
        "storage_account_id",
        "properties.storageAccount",
        Same,
        D::None,
    ),
    row(
        "application_insights_id",
        "properties.applicationInsights",
        Same,
        D::None,
    ),
    row(
        "container_registry_id",
        "properties.containerRegistry",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
    row("friendly_name", "properties.friendlyName", Same, D::None),
    row(
        "managed_network[0].isolation_mode",
        "properties.managedNetwork.isolationMode",
        Same,
        D::None,
    ),
    row(
        "encryption[0].key_vault_id",
        "properties.encryption.keyVaultProperties.keyVaultArmId",
        Same,
        D::None,
    ),
    row(
        "encryption[0].key_id",
        "properties.encryption.keyVaultProperties.keyIdentifier",
        Same,
        D::None,
    ),
    row(
        "encryption[0].user_assigned_identity_id",
        "properties.encryption.identity.userAssignedIdentity",
        Same,
        D::None,
    ),
];

/// `azurerm_ai_foundry_project` → `Microsoft.MachineLearningServices/workspaces`
/// of kind `Project`, in its hub's resource group; it has no network,
/// storage, key vault or encryption arguments: it takes the hub's.
pub const AI_FOUNDRY_PROJECT: &[Row] = &[
    row(
        "ai_services_hub_id",
        "properties.hubResourceId",
        Same,
        D::None,
    ),
    row(
        "high_business_impact_enabled",
        "properties.hbiWorkspace",
        Same,
        D::None,
    ),
    row(
        "primary_user_assigned_identity",
        "properties.primaryUserAssignedIdentity",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
    row("friendly_name", "properties.friendlyName", Same, D::None),
];

/// `azurerm_machine_learning_compute_cluster` → `workspaces/computes` (AmlCompute).
pub const COMPUTE_CLUSTER: &[Row] = &[
    row(
        "local_auth_enabled",
        "properties.disableLocalAuth",
        Not,
        D::Bool(true),
    ),
    row(
        "node_public_ip_enabled",
        "properties.properties.enableNodePublicIp",
        Same,
        D::Bool(true),
    ),
    row(
        "ssh_public_access_enabled",
        "properties.properties.remoteLoginPortPublicAccess",
        Enum("Enabled", "Disabled"),
        D::Bool(false),
    ),
    row(
        "subnet_resource_id",
        "properties.properties.subnet",
        IdObject,
        D::None,
    ),
    row("vm_size", "properties.properties.vmSize", Same, D::None),
    row(
        "vm_priority",
        "properties.properties.vmPriority",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
    row(
        "scale_settings[0].min_node_count",
        "properties.properties.scaleSettings.minNodeCount",
        Same,
        D::None,
    ),
    row(
        "scale_settings[0].max_node_count",
        "properties.properties.scaleSettings.maxNodeCount",
        Same,
        D::None,
    ),
    row(
        "scale_settings[0].scale_down_nodes_after_idle_duration",
        "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown",
        Same,
        D::None,
    ),
    row(
        "ssh[0].admin_username",
        "properties.properties.userAccountCredentials.adminUserName",
        Same,
        D::None,
    ),
    row(
        "ssh[0].admin_password",
        "properties.properties.userAccountCredentials.adminUserPassword",
        Same,
        D::None,
    ),
    row(
        "ssh[0].key_value",
        "properties.properties.userAccountCredentials.adminUserSshPublicKey",
        Same,
        D::None,
    ),
];

/// `azurerm_machine_learning_compute_instance` → `workspaces/computes` (ComputeInstance).
pub const COMPUTE_INSTANCE: &[Row] = &[
    row(
        "local_auth_enabled",
        "properties.disableLocalAuth",
        Not,
        D::Bool(true),
    ),
    row(
        "node_public_ip_enabled",
        "properties.properties.enableNodePublicIp",
        Same,
        D::Bool(true),
    ),
    row(
        "subnet_resource_id",
        "properties.properties.subnet",
        IdObject,
        D::None,
    ),
    row(
        "virtual_machine_size",
        "properties.properties.vmSize",
        Same,
        D::None,
    ),
    row(
        "authorization_type",
        "properties.properties.computeInstanceAuthorizationType",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
    row(
        "assign_to_user[0].object_id",
        "properties.properties.personalComputeInstanceSettings.assignedUser.objectId",
        Same,
        D::None,
    ),
    row(
        "assign_to_user[0].tenant_id",
        "properties.properties.personalComputeInstanceSettings.assignedUser.tenantId",
        Same,
        D::None,
    ),
    row(
        "ssh[0].public_key",
        "properties.properties.sshSettings.adminPublicKey",
        Same,
        D::None,
    ),
];

/// `azurerm_machine_learning_inference_cluster` → `workspaces/computes` (AKS).
pub const INFERENCE_CLUSTER: &[Row] = &[
    row(
        "kubernetes_cluster_id",
        "properties.resourceId",
        Same,
        D::None,
    ),
    row(
        "cluster_purpose",
        "properties.properties.clusterPurpose",
        Same,
        D::Str("FastProd"),
    ),
    row("description", "properties.description", Same, D::None),
    row(
        "ssl[0].cname",
        "properties.properties.sslConfiguration.cname",
        Same,
        D::None,
    ),
    row(
        "ssl[0].leaf_domain_label",
        "properties.properties.sslConfiguration.leafDomainLabel",
        Same,
        D::None,
    ),
    row(
        "ssl[0].overwrite_existing_domain",
        "properties.properties.sslConfiguration.overwriteExistingDomain",
        Same,
        D::None,
    ),
    row(
        "ssl[0].cert",
        "properties.properties.sslConfiguration.cert",
        Same,
        D::None,
    ),
    row(
        "ssl[0].key",
        "properties.properties.sslConfiguration.key",
        Same,
        D::None,
    ),
];

/// `azurerm_machine_learning_synapse_spark` → `workspaces/computes` (SynapseSpark).
pub const SYNAPSE_SPARK: &[Row] = &[
    row(
        "local_auth_enabled",
        "properties.disableLocalAuth",
        Not,
        D::Bool(true),
    ),
    row(
        "synapse_spark_pool_id",
        "properties.resourceId",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
];

/// `azurerm_machine_learning_datastore_blobstorage` → `workspaces/datastores` (AzureBlob).
pub const DATASTORE_BLOB: &[Row] = &[
    row(
        "storage_container_id",
        "properties.resourceId",
        Same,
        D::None,
    ),
    row(
        "service_data_auth_identity",
        "properties.serviceDataAccessAuthIdentity",
        Same,
        D::Str("None"),
    ),
    row(
        "account_key",
        "properties.credentials.secrets.key",
        Same,
        D::None,
    ),
    row(
        "shared_access_signature",
        "properties.credentials.secrets.sasToken",
        Same,
        D::None,
    ),
    row("is_default", "properties.isDefault", Same, D::Bool(false)),
    row("description", "properties.description", Same, D::None),
];

/// `azurerm_machine_learning_datastore_fileshare` → `workspaces/datastores` (AzureFile).
pub const DATASTORE_FILE: &[Row] = &[
    row(
        "storage_fileshare_id",
        "properties.resourceId",
        Same,
        D::None,
    ),
    row(
        "service_data_identity",
        "properties.serviceDataAccessAuthIdentity",
        Same,
        D::Str("None"),
    ),
    row(
        "account_key",
        "properties.credentials.secrets.key",
        Same,
        D::None,
    ),
    row(
        "shared_access_signature",
        "properties.credentials.secrets.sasToken",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
];

/// `azurerm_machine_learning_datastore_datalake_gen2` → `workspaces/datastores` (AzureDataLakeGen2).
pub const DATASTORE_ADLS: &[Row] = &[
    row(
        "storage_container_id",
        "properties.resourceId",
        Same,
        D::None,
    ),
    row(
        "service_data_identity",
        "properties.serviceDataAccessAuthIdentity",
        Same,
        D::Str("None"),
    ),
    row(
        "tenant_id",
        "properties.credentials.tenantId",
        Same,
        D::None,
    ),
    row(
        "client_id",
        "properties.credentials.clientId",
        Same,
        D::None,
    ),
    row(
        "client_secret",
        "properties.credentials.secrets.clientSecret",
        Same,
        D::None,
    ),
    row(
        "authority_url",
        "properties.credentials.authorityUrl",
        Same,
        D::None,
    ),
    row("description", "properties.description", Same, D::None),
];

/// `azurerm_machine_learning_workspace_network_outbound_rule_fqdn` → `workspaces/outboundRules`.
pub const OUTBOUND_FQDN: &[Row] = &[row(
    "destination_fqdn",
    "properties.destination",
    Same,
    D::None,
)];

/// `..._outbound_rule_private_endpoint` → `workspaces/outboundRules`.
pub const OUTBOUND_PE: &[Row] = &[
    row(
        "service_resource_id",
        "properties.destination.serviceResourceId",
        Same,
        D::None,
    ),
    row(
        "sub_resource_target",
        "properties.destination.subresourceTarget",
        Same,
        D::None,
    ),
    row(
        "spark_enabled",
        "properties.destination.sparkEnabled",
        Same,
        D::Bool(false),
    ),
];

/// `..._outbound_rule_service_tag` → `workspaces/outboundRules`.
pub const OUTBOUND_TAG: &[Row] = &[
    row(
        "service_tag",
        "properties.destination.serviceTag",
        Same,
        D::None,
    ),
    row("protocol", "properties.destination.protocol", Same, D::None),
    row(
        "port_ranges",
        "properties.destination.portRanges",
        Same,
        D::None,
    ),
];

/// `azurerm_private_endpoint` → `Microsoft.Network/privateEndpoints` (connections built in code).
pub const PRIVATE_ENDPOINT: &[Row] = &[
    row("subnet_id", "properties.subnet", IdObject, D::None),
    row(
        "custom_network_interface_name",
        "properties.customNetworkInterfaceName",
        Same,
        D::None,
    ),
];

/// `azurerm_monitor_diagnostic_setting` → `Microsoft.Insights/diagnosticSettings` (logs built in code).
pub const DIAGNOSTIC_SETTING: &[Row] = &[
    row(
        "log_analytics_workspace_id",
        "properties.workspaceId",
        Same,
        D::None,
    ),
    row(
        "storage_account_id",
        "properties.storageAccountId",
        Same,
        D::None,
    ),
    row(
        "eventhub_authorization_rule_id",
        "properties.eventHubAuthorizationRuleId",
        Same,
        D::None,
    ),
    row("eventhub_name", "properties.eventHubName", Same, D::None),
    row(
        "partner_solution_id",
        "properties.marketplacePartnerId",
        Same,
        D::None,
    ),
    row(
        "log_analytics_destination_type",
        "properties.logAnalyticsDestinationType",
        Same,
        D::None,
    ),
];

/// `azurerm_key_vault` → `Microsoft.KeyVault/vaults`.
pub const KEY_VAULT: &[Row] = &[
    row("tenant_id", "properties.tenantId", Same, D::None),
    row("sku_name", "properties.sku.name", Same, D::None),
    row(
        "purge_protection_enabled",
        "properties.enablePurgeProtection",
        Same,
        D::Bool(false),
    ),
    row(
        "soft_delete_retention_days",
        "properties.softDeleteRetentionInDays",
        Same,
        D::Int(90),
    ),
    row(
        "enable_rbac_authorization",
        "properties.enableRbacAuthorization",
        Same,
        D::Bool(false),
    ),
    row(
        "rbac_authorization_enabled",
        "properties.enableRbacAuthorization",
        Same,
        D::None,
    ),
    row(
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        Enum("Enabled", "Disabled"),
        D::Bool(true),
    ),
    row(
        "network_acls[0].default_action",
        "properties.networkAcls.defaultAction",
        Same,
        D::None,
    ),
    row(
        "network_acls[0].bypass",
        "properties.networkAcls.bypass",
        Same,
        D::None,
    ),
];

/// `azurerm_key_vault_key` → `Microsoft.KeyVault/vaults/keys`.
pub const KEY_VAULT_KEY: &[Row] = &[
    row("key_type", "properties.kty", Same, D::None),
    row("key_size", "properties.keySize", Same, D::None),
    row("key_opts", "properties.keyOps", Same, D::None),
    row(
        "expiration_date",
        "properties.attributes.exp",
        Same,
        D::None,
    ),
    row(
        "rotation_policy[0].expire_after",
        "properties.rotationPolicy.attributes.expiryTime",
        Same,
        D::None,
    ),
];

/// `azurerm_storage_account` → `Microsoft.Storage/storageAccounts`.
pub const STORAGE_ACCOUNT: &[Row] = &[
    row("account_kind", "kind", Same, D::Str("StorageV2")),
    row(
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        Enum("Enabled", "Disabled"),
        D::Bool(true),
    ),
    row(
        "allow_nested_items_to_be_public",
        "properties.allowBlobPublicAccess",
        Same,
        D::Bool(true),
    ),
    row(
        "shared_access_key_enabled",
        "properties.allowSharedKeyAccess",
        Same,
        D::Bool(true),
    ),
    row(
        "min_tls_version",
        "properties.minimumTlsVersion",
        Same,
        D::Str("TLS1_2"),
    ),
    row(
        "https_traffic_only_enabled",
        "properties.supportsHttpsTrafficOnly",
        Same,
        D::Bool(true),
    ),
    row(
        "is_hns_enabled",
        "properties.isHnsEnabled",
        Same,
        D::Bool(false),
    ),
    row(
        "network_rules[0].default_action",
        "properties.networkAcls.defaultAction",
        Same,
        D::None,
    ),
    row(
        "network_rules[0].bypass",
        "properties.networkAcls.bypass",
        Same,
        D::None,
    ),
];

/// `azurerm_container_registry` → `Microsoft.ContainerRegistry/registries`.
pub const CONTAINER_REGISTRY: &[Row] = &[
    row("sku", "sku.name", Same, D::None),
    row(
        "admin_enabled",
        "properties.adminUserEnabled",
        Same,
        D::Bool(false),
    ),
    row(
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        Enum("Enabled", "Disabled"),
        D::Bool(true),
    ),
    row(
        "anonymous_pull_enabled",
        "properties.anonymousPullEnabled",
        Same,
        D::Bool(false),
    ),
    row(
        "network_rule_bypass_option",
        "properties.networkRuleBypassOptions",
        Same,
        D::Str("AzureServices"),
    ),
];

/// `azurerm_role_definition` → `Microsoft.Authorization/roleDefinitions` (a custom role at
/// `scope`); `permissions` blocks are mapped in code.
pub const ROLE_DEFINITION: &[Row] = &[
    row("name", "properties.roleName", Same, D::None),
    row("description", "properties.description", Same, D::None),
    row(
        "assignable_scopes",
        "properties.assignableScopes",
        Same,
        D::None,
    ),
];

/// Built-in roles `azurerm_role_assignment` may name with
/// `role_definition_name` and the role definition GUIDs Azure gives them
/// (the same in every subscription; the AVM workspace module's
/// `builtInRoleNames` lists the same).
pub const BUILTIN_ROLES: &[(&str, &str)] = &[
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    (
        "Role Based Access Control Administrator",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    ),
    (
        "AzureML Compute Operator",
        "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    ),
    (
        "AzureML Data Scientist",
        "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    ),
    (
        "AzureML Metrics Writer (preview)",
        "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
    ),
    (
        "AzureML Registry User",
        "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    ),
];

/// `azurerm_role_assignment` → `Microsoft.Authorization/roleAssignments` (extension of `scope`).
pub const ROLE_ASSIGNMENT: &[Row] = &[
    row("principal_id", "properties.principalId", Same, D::None),
    row(
        "role_definition_id",
        "properties.roleDefinitionId",
        Same,
        D::None,
    ),
    row(
        "role_definition_name",
        "properties.roleDefinitionName",
        Same,
        D::None,
    ),
    row("principal_type", "properties.principalType", Same, D::None),
    row("condition", "properties.condition", Same, D::None),
    row(
        "condition_version",
        "properties.conditionVersion",
        Same,
        D::None,
    ),
];

/// `azurerm_subnet` → `Microsoft.Network/virtualNetworks/subnets`.
pub const SUBNET: &[Row] = &[
    row(
        "address_prefixes",
        "properties.addressPrefixes",
        Same,
        D::None,
    ),
    row(
        "service_endpoints",
        "properties.serviceEndpoints",
        Same,
        D::None,
    ),
    row(
        "private_endpoint_network_policies",
        "properties.privateEndpointNetworkPolicies",
        Same,
        D::None,
    ),
    row(
        "default_outbound_access_enabled",
        "properties.defaultOutboundAccess",
        Same,
        D::Bool(true),
    ),
];

/// `azurerm_private_dns_zone` → `Microsoft.Network/privateDnsZones`.
pub const PRIVATE_DNS_ZONE: &[Row] = &[];

/// `azurerm_private_dns_zone_virtual_network_link` → `privateDnsZones/virtualNetworkLinks`.
pub const PRIVATE_DNS_ZONE_LINK: &[Row] = &[
    row(
        "virtual_network_id",
        "properties.virtualNetwork",
        IdObject,
        D::None,
    ),
    row(
        "registration_enabled",
        "properties.registrationEnabled",
        Same,
        D::Bool(false),
    ),
];

/// `azurerm_user_assigned_identity` → `Microsoft.ManagedIdentity/userAssignedIdentities`.
pub const USER_ASSIGNED_IDENTITY: &[Row] = &[];

/// `azurerm_subnet_network_security_group_association` → the subnet's `networkSecurityGroup`.
pub const SUBNET_NSG_ASSOCIATION: &[Row] = &[row(
    "network_security_group_id",
    "properties.networkSecurityGroup",
    IdObject,
    D::None,
)];

/// `azurerm_network_security_group` → `Microsoft.Network/networkSecurityGroups`.
pub const NETWORK_SECURITY_GROUP: &[Row] = &[];
