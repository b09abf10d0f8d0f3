//! Where templates are deployed and how far a front end may go: the
//! deployment context the template functions see, and the limits that keep a
//! hostile input from hanging or exhausting memory.

/// The scope a template is deployed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetScope {
    /// A resource group deployment (the default).
    #[default]
    ResourceGroup,
    /// A subscription deployment.
    Subscription,
    /// A management group deployment.
    ManagementGroup,
    /// A tenant deployment.
    Tenant,
}

/// The deployment's scope, used by `resourceGroup()`, `subscription()`,
/// `deployment()`, `resourceId()` and friends.
#[derive(Debug, Clone)]
pub struct DeploymentContext {
    /// Tenant id (GUID).
    pub tenant_id: String,
    /// Subscription id (GUID).
    pub subscription_id: String,
    /// Resource group name.
    pub resource_group: String,
    /// Location of the resource group (or of the deployment, above resource group scope).
    pub location: String,
    /// Deployment name, returned by `deployment().name`.
    pub deployment_name: String,
    /// Management group name, when known.
    pub management_group: Option<String>,
    /// The scope the template is deployed at.
    pub scope: TargetScope,
}

impl DeploymentContext {
    /// The placeholder subscription and tenant id used by [`Default`].
    pub const PLACEHOLDER_ID: &'static str = "00000000-0000-0000-0000-000000000000";
}

impl Default for DeploymentContext {
    /// Fixed, documented placeholders: subscription and tenant
    /// `00000000-0000-0000-0000-000000000000`, resource group `rg`, location
    /// `westeurope`, deployment name `deployment`, no management group,
    /// resource group scope.
    fn default() -> Self {
        DeploymentContext {
            tenant_id: Self::PLACEHOLDER_ID.to_string(),
            subscription_id: Self::PLACEHOLDER_ID.to_string(),
            resource_group: "rg".to_string(),
            location: "westeurope".to_string(),
            deployment_name: "deployment".to_string(),
            management_group: None,
            scope: TargetScope::ResourceGroup,
        }
    }
}

/// Limits that keep a hostile template from hanging or exhausting memory.
#[derive(Clone, Debug)]
pub struct Limits {
    /// ARM's own limit on a copy loop's count.
    pub max_copy: i64,
    /// Resources read from one entry template, nested deployments included.
    pub max_resources: usize,
    /// Nested deployments and linked templates inside each other.
    pub max_depth: usize,
    /// Size of a linked template file read from disk.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_copy: 800,
            max_resources: 10_000,
            max_depth: 16,
            max_file_bytes: 16 * 1024 * 1024,
        }
    }
}
