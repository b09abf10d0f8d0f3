//! The credential, chosen as Azure users expect from their environment,
//! through the Azure SDK for Rust (`azure_identity`):
//! 1. a service principal with a secret: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`;
//! 2. workload identity (federated token): `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`;
//! 3. a managed identity where the platform announces one (`IDENTITY_ENDPOINT`: App Service,
//!    Functions, Container Apps, Arc) or when `AML_BASELINE_MANAGED_IDENTITY` is set (a VM's IMDS;
//!    its value, unless `system`, is the client id of a user-assigned identity);
//! 4. otherwise the Azure CLI's login (`az login`).

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
};
use std::sync::Arc;

/// Set to use a managed identity through the instance metadata service.
pub const MANAGED_IDENTITY_ENV: &str = "AML_BASELINE_MANAGED_IDENTITY";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The credential this environment provides, and what it is (for messages).
pub fn credential() -> Result<(Arc<dyn TokenCredential>, &'static str), String> {
    let fail = |what: &str, e: azure_core::Error| format!("could not set up {what}: {e}");
    let tenant = var("AZURE_TENANT_ID");
    let client = var("AZURE_CLIENT_ID");
    if let (Some(tenant), Some(client), Some(secret)) = (
        tenant.as_deref(),
        client.clone(),
        var("AZURE_CLIENT_SECRET"),
    ) {
        let c = ClientSecretCredential::new(tenant, client, Secret::new(secret), None)
            .map_err(|e| fail("the service principal (AZURE_CLIENT_SECRET)", e))?;
        return Ok((c, "service principal (AZURE_CLIENT_SECRET)"));
    }
    if tenant.is_some() && client.is_some() && var("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        let c = WorkloadIdentityCredential::new(None)
            .map_err(|e| fail("workload identity (AZURE_FEDERATED_TOKEN_FILE)", e))?;
        return Ok((c, "workload identity (AZURE_FEDERATED_TOKEN_FILE)"));
    }
    let managed = var(MANAGED_IDENTITY_ENV);
    if var("IDENTITY_ENDPOINT").is_some() || managed.is_some() {
        let user_assigned_id = managed
            .filter(|m| !m.eq_ignore_ascii_case("system"))
            .map(UserAssignedId::ClientId);
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id,
            ..Default::default()
        };
        let c = ManagedIdentityCredential::new(Some(options))
            .map_err(|e| fail("the managed identity", e))?;
        return Ok((c, "managed identity"));
    }
    let c = AzureCliCredential::new(None).map_err(|e| fail("the Azure CLI credential", e))?;
    Ok((c, "Azure CLI login (az login)"))
}
