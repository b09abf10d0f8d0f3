//! `aml-baseline collect`: reads the live state of Azure Machine Learning
//! estates into an export that the live front end (`aml-live`) scans.
//!
//! Tenant scale is Azure Resource Graph's job: the Azure ML resources and
//! what the rules relate them to (private endpoints, Key Vaults, storage
//! accounts, container registries, role assignments) come from Resource Graph
//! queries, paged with skip tokens, with subscriptions in batches. What
//! Resource Graph does not hold comes from ARM GETs with bounded concurrency:
//! each workspace's computes (the compute RP's full response, with
//! `osImageMetadata`), diagnostic settings of workspaces, registries and
//! online endpoints, and the DNS zone groups of private endpoints.
//! With `policy_states`, Azure Policy's compliance states and Defender for
//! Cloud's assessments of the collected resources come along.
//! [`restrictions`] asks Azure Policy Insights' `checkPolicyRestrictions`
//! about resources before they exist (`scan --verify-online`), with the same
//! client.
//!
//! Every request retries 429 and 5xx answers and timeouts with backoff,
//! honouring `Retry-After` and Resource Graph's quota headers; a 403 stops
//! the collection with the scope and the role it needs (Reader). See
//! `docs/decisions/0017-collector.md`.

pub mod auth;
pub mod client;
pub mod collect;
pub mod restrictions;

pub use auth::credential;
pub use client::{Client, CollectError};
pub use collect::{collect, Collected, Options, Scope};

/// The base URL of Azure Resource Manager (Resource Graph is served below it).
pub const DEFAULT_ARM_ENDPOINT: &str = "https://management.azure.com";

/// Overrides [`DEFAULT_ARM_ENDPOINT`] (tests point it at a local server).
pub const ARM_ENDPOINT_ENV: &str = "AML_BASELINE_ARM_ENDPOINT";

/// The ARM base URL: [`ARM_ENDPOINT_ENV`] when set, else Azure's public cloud.
pub fn arm_endpoint() -> String {
    std::env::var(ARM_ENDPOINT_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_ARM_ENDPOINT.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// Runs [`collect`] on a runtime of its own, for the command line.
pub fn collect_blocking(
    options: &Options,
    credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Collected, CollectError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CollectError::Transport(format!("could not start the runtime: {e}")))?;
    runtime.block_on(collect(options, credential, progress))
}
