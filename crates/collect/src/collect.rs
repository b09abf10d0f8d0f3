//! What is collected, and how: Resource Graph queries per scope (paged,
//! subscriptions in batches), then ARM GETs with bounded concurrency.

use crate::client::{quota_reset, Client, CollectError, RetryPolicy};
use azure_core::credentials::TokenCredential;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Resource Graph's API version.
pub const GRAPH_API: &str = "2022-10-01";
/// Subscriptions listing.
pub const SUBSCRIPTIONS_API: &str = "2022-12-01";
/// Computes of a workspace (the compute RP's own answer, with `osImageMetadata`).
pub const COMPUTES_API: &str = "2024-10-01";
/// Diagnostic settings.
pub const DIAGNOSTICS_API: &str = "2021-05-01-preview";
/// Private DNS zone groups of a private endpoint.
pub const DNS_ZONE_GROUPS_API: &str = "2024-05-01";

/// Subscriptions per Resource Graph request.
pub const SUBSCRIPTION_BATCH: usize = 1000;
/// Rows per Resource Graph page (its maximum).
pub const PAGE_SIZE: u32 = 1000;
/// Pages followed per query and scope, and `nextLink`s per ARM list: a bound, not a budget.
const MAX_PAGES: usize = 100_000;

/// Where to collect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Subscriptions(Vec<String>),
    ManagementGroup(String),
}

impl Scope {
    fn describe(&self) -> String {
        match self {
            Scope::Subscriptions(s) if s.len() == 1 => format!("subscription {}", s[0]),
            Scope::Subscriptions(s) => format!(
                "subscriptions {}{}",
                s.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                if s.len() > 3 {
                    format!(" and {} more", s.len() - 3)
                } else {
                    String::new()
                }
            ),
            Scope::ManagementGroup(m) => format!("management group {m}"),
        }
    }
}

/// What to collect.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--subscription` (repeatable); with no management group either, every
    /// subscription the credential can list.
    pub subscriptions: Vec<String>,
    /// `--management-group` (repeatable).
    pub management_groups: Vec<String>,
    /// Also Azure Policy compliance states and Defender for Cloud assessments.
    pub policy_states: bool,
    /// ARM GETs in flight at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// The ARM base URL ([`crate::arm_endpoint`]).
    pub arm_endpoint: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            subscriptions: Vec::new(),
            management_groups: Vec::new(),
            policy_states: false,
            concurrency: 8,
            retry: RetryPolicy::default(),
            arm_endpoint: crate::DEFAULT_ARM_ENDPOINT.to_string(),
        }
    }
}

/// A finished collection.
#[derive(Debug)]
pub struct Collected {
    /// The export, as `aml-live` reads it.
    pub export: Value,
    pub resources: usize,
    pub policy_states: usize,
    pub assessments: usize,
    /// Resources that could not be read in full (a GET refused or failed); the rest was collected.
    pub warnings: Vec<String>,
    pub requests_retried: u32,
}

/// Azure ML and related types Resource Graph holds.
const ML_QUERY: &str = "resources
| where type in~ ('microsoft.machinelearningservices/workspaces', 'microsoft.machinelearningservices/registries', 'microsoft.machinelearningservices/workspaces/onlineendpoints', 'microsoft.machinelearningservices/workspaces/onlineendpoints/deployments', 'microsoft.machinelearningservices/workspaces/batchendpoints', 'microsoft.machinelearningservices/workspaces/serverlessendpoints')
| order by id asc";

/// Private endpoints to Azure ML resources.
const ENDPOINTS_QUERY: &str = "resources
| where type =~ 'microsoft.network/privateendpoints'
| where tostring(properties.privateLinkServiceConnections) contains '/providers/microsoft.machinelearningservices/' or tostring(properties.manualPrivateLinkServiceConnections) contains '/providers/microsoft.machinelearningservices/'
| order by id asc";

/// Role assignments on Azure ML resources.
const ROLES_QUERY: &str = "authorizationresources
| where type =~ 'microsoft.authorization/roleassignments'
| where tostring(properties.scope) contains '/providers/microsoft.machinelearningservices/'
| order by id asc";

const POLICY_QUERY: &str = "policyresources
| where type =~ 'microsoft.policyinsights/policystates'
| where tostring(properties.resourceId) contains '/providers/microsoft.machinelearningservices/'
| order by id asc";

const ASSESSMENTS_QUERY: &str = "securityresources
| where type =~ 'microsoft.security/assessments'
| where tostring(properties.resourceDetails.Id) contains '/providers/microsoft.machinelearningservices/'
| order by id asc";

/// Collects the estate.
pub async fn collect(
    options: &Options,
    credential: Arc<dyn TokenCredential>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Collected, CollectError> {
    let client = Arc::new(Client::new(credential, options.retry.clone())?);
    let arm = options.arm_endpoint.trim_end_matches('/').to_string();
    let scopes = scopes(&client, &arm, options, progress).await?;

    // Resource Graph: the ML resources, their private endpoints and role assignments.
    let mut resources: BTreeMap<String, Value> = BTreeMap::new();
    let add = |resources: &mut BTreeMap<String, Value>, rows: Vec<Value>| {
        for r in rows {
            if let Some(id) = r.get("id").and_then(Value::as_str) {
                resources.entry(id.to_ascii_lowercase()).or_insert(r);
            }
        }
    };
    for (label, query) in [
        ("Azure ML resources", ML_QUERY),
        ("private endpoints", ENDPOINTS_QUERY),
        ("role assignments", ROLES_QUERY),
    ] {
        for scope in &scopes {
            progress(&format!("Resource Graph: {label} in {}", scope.describe()));
            let rows = graph_query(&client, &arm, query, scope, label, progress).await?;
            add(&mut resources, rows);
        }
    }
    // Resources the workspaces name (Key Vault, storage, registry, Application Insights).
    let mut related: Vec<String> = resources
        .values()
        .filter(|r| type_is(r, "microsoft.machinelearningservices/workspaces"))
        .flat_map(|w| {
            [
                "keyVault",
                "storageAccount",
                "containerRegistry",
                "applicationInsights",
            ]
            .into_iter()
            .filter_map(|k| {
                w.pointer(&format!("/properties/{k}"))
                    .and_then(Value::as_str)
            })
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
        })
        .filter(|id| id.starts_with("/subscriptions/") && !resources.contains_key(id))
        .collect();
    related.sort();
    related.dedup();
    for chunk in related.chunks(200) {
        progress(&format!(
            "Resource Graph: {} related resources",
            related.len()
        ));
        let list = chunk
            .iter()
            .map(|id| format!("'{}'", id.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let query = format!("resources\n| where tolower(id) in ({list})\n| order by id asc");
        for scope in &scopes {
            let rows =
                graph_query(&client, &arm, &query, scope, "related resources", progress).await?;
            add(&mut resources, rows);
        }
    }

    // ARM: what Resource Graph does not hold.
    let mut gets: Vec<(String, &'static str)> = Vec::new();
    for r in resources.values() {
        let Some(id) = r.get("id").and_then(Value::as_str) else {
            continue;
        };
        if type_is(r, "microsoft.machinelearningservices/workspaces") {
            gets.push((
                format!("{arm}{id}/computes?api-version={COMPUTES_API}"),
                "computes",
            ));
        }
        if type_is(r, "microsoft.machinelearningservices/workspaces")
            || type_is(r, "microsoft.machinelearningservices/registries")
            || type_is(
                r,
                "microsoft.machinelearningservices/workspaces/onlineendpoints",
            )
        {
            gets.push((
                format!("{arm}{id}/providers/Microsoft.Insights/diagnosticSettings?api-version={DIAGNOSTICS_API}"),
                "diagnostic settings",
            ));
        }
        if type_is(r, "microsoft.network/privateendpoints") {
            gets.push((
                format!("{arm}{id}/privateDnsZoneGroups?api-version={DNS_ZONE_GROUPS_API}"),
                "private DNS zone groups",
            ));
        }
    }
    let total = gets.len();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (url, what)) in gets.into_iter().enumerate() {
        let client = client.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let owner = url.split('?').next().unwrap_or(&url).to_string();
            (
                index,
                what,
                owner.clone(),
                list_all(&client, &url, what, &owner).await,
            )
        });
    }
    let mut results = Vec::with_capacity(total);
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        done += 1;
        progress(&format!("ARM: {done}/{total} requests"));
        match joined {
            Ok(r) => results.push(r),
            Err(e) => {
                return Err(CollectError::Transport(format!(
                    "a request task failed: {e}"
                )))
            }
        }
    }
    results.sort_by_key(|r| r.0);
    let mut warnings = Vec::new();
    for (_, what, owner, result) in results {
        match result {
            Ok(rows) => {
                for r in rows {
                    if let Some(id) = r.get("id").and_then(Value::as_str) {
                        // The compute RP's answer is fuller than Resource Graph's.
                        resources.insert(id.to_ascii_lowercase(), r);
                    }
                }
            }
            // One resource that cannot be read leaves the others collected.
            Err(e @ (CollectError::Forbidden { .. } | CollectError::Http { .. })) => {
                warnings.push(format!("{what} of {owner}: {e}"))
            }
            Err(e) => return Err(e),
        }
    }

    let (mut policy_states, mut assessments) = (Vec::new(), Vec::new());
    if options.policy_states {
        for scope in &scopes {
            progress(&format!(
                "Resource Graph: policy states in {}",
                scope.describe()
            ));
            policy_states.extend(
                graph_query(
                    &client,
                    &arm,
                    POLICY_QUERY,
                    scope,
                    "policy states",
                    progress,
                )
                .await?,
            );
            progress(&format!(
                "Resource Graph: Defender assessments in {}",
                scope.describe()
            ));
            assessments.extend(
                graph_query(
                    &client,
                    &arm,
                    ASSESSMENTS_QUERY,
                    scope,
                    "Defender for Cloud assessments",
                    progress,
                )
                .await?,
            );
        }
    }

    let value: Vec<Value> = resources.into_values().collect();
    let mut scope = Map::new();
    scope.insert("subscriptions".into(), json!(options.subscriptions));
    scope.insert("managementGroups".into(), json!(options.management_groups));
    let export = json!({
        "exportFormat": aml_live::export::COLLECT_FORMAT,
        "tool": format!("aml-baseline {}", env!("CARGO_PKG_VERSION")),
        "scope": scope,
        "value": value,
        "policyStates": policy_states,
        "assessments": assessments,
        "warnings": warnings,
    });
    Ok(Collected {
        resources: value.len(),
        policy_states: policy_states.len(),
        assessments: assessments.len(),
        export,
        warnings,
        requests_retried: client.retries.load(std::sync::atomic::Ordering::Relaxed),
    })
}

fn type_is(r: &Value, ty: &str) -> bool {
    r.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(ty))
}

/// The scopes to query: management groups, subscriptions in batches, or
/// every subscription the credential lists.
async fn scopes(
    client: &Client,
    arm: &str,
    options: &Options,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Vec<Scope>, CollectError> {
    let mut scopes: Vec<Scope> = options
        .management_groups
        .iter()
        .map(|m| Scope::ManagementGroup(m.clone()))
        .collect();
    let mut subscriptions = options.subscriptions.clone();
    if subscriptions.is_empty() && scopes.is_empty() {
        progress("listing subscriptions");
        let url = format!("{arm}/subscriptions?api-version={SUBSCRIPTIONS_API}");
        for s in list_all(client, &url, "the subscriptions", "the tenant").await? {
            let enabled = s
                .get("state")
                .and_then(Value::as_str)
                .is_none_or(|st| st == "Enabled");
            if let (Some(id), true) = (s.get("subscriptionId").and_then(Value::as_str), enabled) {
                subscriptions.push(id.to_string());
            }
        }
        if subscriptions.is_empty() {
            return Err(CollectError::Forbidden {
                what: "the subscriptions".into(),
                scope: "the tenant".into(),
                detail: "the identity sees no enabled subscription".into(),
            });
        }
    }
    subscriptions.sort();
    subscriptions.dedup();
    scopes.extend(
        subscriptions
            .chunks(SUBSCRIPTION_BATCH)
            .map(|c| Scope::Subscriptions(c.to_vec())),
    );
    Ok(scopes)
}

/// One Resource Graph query over one scope, every page.
async fn graph_query(
    client: &Client,
    arm: &str,
    query: &str,
    scope: &Scope,
    label: &str,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Vec<Value>, CollectError> {
    let url = format!("{arm}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API}");
    let mut rows = Vec::new();
    let mut skip_token: Option<String> = None;
    for page in 0..MAX_PAGES {
        let mut body = json!({
            "query": query,
            "options": { "resultFormat": "objectArray", "$top": PAGE_SIZE },
        });
        match scope {
            Scope::Subscriptions(s) => body["subscriptions"] = json!(s),
            Scope::ManagementGroup(m) => body["managementGroups"] = json!([m]),
        }
        if let Some(t) = &skip_token {
            body["options"]["$skipToken"] = json!(t);
        }
        let (answer, headers) = client
            .post(
                &url,
                &body,
                &format!("{label} (Resource Graph)"),
                &scope.describe(),
            )
            .await?;
        match answer.get("data") {
            Some(Value::Array(data)) => rows.extend(data.iter().cloned()),
            _ => {
                return Err(CollectError::Transport(format!(
                    "Resource Graph answered {label} without a `data` array"
                )))
            }
        }
        if page > 0 {
            progress(&format!("Resource Graph: {label}, {} rows", rows.len()));
        }
        skip_token = answer
            .get("$skipToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if skip_token.is_none() {
            break;
        }
        // The quota is spent: wait for it rather than be throttled.
        if let Some(wait) = quota_reset(&headers) {
            progress(&format!(
                "Resource Graph quota spent; waiting {} s",
                wait.as_secs()
            ));
            tokio::time::sleep(wait.min(Duration::from_secs(300))).await;
        }
    }
    Ok(rows)
}

/// An ARM list, following `nextLink` (only below the same host).
async fn list_all(
    client: &Client,
    url: &str,
    what: &str,
    scope: &str,
) -> Result<Vec<Value>, CollectError> {
    let mut out = Vec::new();
    let mut next = Some(url.to_string());
    let origin = origin(url);
    let mut pages = 0;
    while let Some(u) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            break;
        }
        let (answer, _) = client.get(&u, what, scope).await?;
        if let Some(Value::Array(items)) = answer.get("value") {
            out.extend(items.iter().cloned());
        }
        next = answer
            .get("nextLink")
            .and_then(Value::as_str)
            .filter(|n| origin.is_some() && origin == self::origin(n))
            .map(str::to_string);
    }
    Ok(out)
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_scope_names() {
        assert_eq!(
            origin("https://management.azure.com/x?y"),
            Some("https://management.azure.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/a"),
            Some("http://127.0.0.1:8080")
        );
        let s = Scope::Subscriptions((0..5).map(|i| i.to_string()).collect());
        assert_eq!(s.describe(), "subscriptions 0, 1, 2 and 2 more");
        assert_eq!(
            Scope::ManagementGroup("mg".into()).describe(),
            "management group mg"
        );
    }
}
