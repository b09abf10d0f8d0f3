//! What is collected, and how: Resource Graph queries per scope (paged,
//! subscriptions in batches), then ARM GETs with bounded concurrency.

use crate::client::{quota_reset, Client, CollectError, RetryPolicy};
use azure_core::credentials::TokenCredential;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
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
/// Pages followed per query and scope, and `nextLink`s per ARM list: a
/// bound, not a budget (10 million Resource Graph rows).
pub const MAX_PAGES: usize = 10_000;

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
    /// What could not be read, one line each; the rest was collected.
    pub warnings: Vec<String>,
    /// The same, as the export's `incomplete` section records it.
    pub incomplete: Vec<Gap>,
    pub requests_retried: u32,
    /// Requests made, retries included.
    pub requests: u32,
}

/// A part of the estate that could not be read: resources of these types
/// at this ARM scope (a subscription, a management group, a resource), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// ARM resource types (`Microsoft.MachineLearningServices/workspaces/computes`).
    pub types: Vec<String>,
    /// The ARM scope (`/subscriptions/ID`, a resource id).
    pub scope: String,
    pub reason: String,
}

impl Gap {
    fn new(types: &[&str], scope: &str, reason: String) -> Gap {
        Gap {
            types: types.iter().map(|t| t.to_string()).collect(),
            scope: scope.to_string(),
            reason,
        }
    }

    /// The export's entries: one per type.
    fn entries(&self) -> impl Iterator<Item = Value> + '_ {
        self.types
            .iter()
            .map(|t| json!({"type": t, "scope": self.scope, "reason": self.reason}))
    }
}

/// Types the Azure ML query reads.
const ML_TYPES: &[&str] = &[
    "Microsoft.MachineLearningServices/workspaces",
    "Microsoft.MachineLearningServices/registries",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
    "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints",
];

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

/// Collects the estate. What cannot be read (a 403 or 5xx on one
/// resource's list, a truncated or looping Resource Graph result, the
/// deadline) is recorded in [`Collected::incomplete`] and the rest is
/// still collected; a 403 on a whole scope, a refused token or a broken
/// connection stops the collection.
pub async fn collect(
    options: &Options,
    credential: Arc<dyn TokenCredential>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Collected, CollectError> {
    let client = Arc::new(Client::new(credential, options.retry.clone())?);
    let arm = options.arm_endpoint.trim_end_matches('/').to_string();
    let scopes = scopes(&client, &arm, options, progress).await?;
    let mut gaps: Vec<Gap> = Vec::new();
    let mut resources = graph_phase(&client, &arm, &scopes, &mut gaps, progress).await?;
    arm_phase(&client, &arm, options, &mut resources, &mut gaps, progress).await?;

    let (mut policy_states, mut assessments) = (Vec::new(), Vec::new());
    if options.policy_states {
        for scope in &scopes {
            for (label, query, list, ty) in [
                (
                    "policy states",
                    POLICY_QUERY,
                    &mut policy_states,
                    "Microsoft.PolicyInsights/policyStates",
                ),
                (
                    "Defender for Cloud assessments",
                    ASSESSMENTS_QUERY,
                    &mut assessments,
                    "Microsoft.Security/assessments",
                ),
            ] {
                progress(&format!("Resource Graph: {label} in {}", scope.describe()));
                let (rows, gap) = graph_query(&client, &arm, query, scope, label, progress).await?;
                list.extend(rows);
                gaps.extend(gap.iter().flat_map(|why| scope_gaps(&[ty], scope, why)));
            }
        }
    }

    let value: Vec<Value> = resources.into_values().collect();
    let mut scope = Map::new();
    scope.insert("subscriptions".into(), json!(options.subscriptions));
    scope.insert("managementGroups".into(), json!(options.management_groups));
    let warnings: Vec<String> = gaps
        .iter()
        .map(|g| format!("{} at {}: {}", g.types.join(", "), g.scope, g.reason))
        .collect();
    let export = json!({
        "exportFormat": aml_live::export::COLLECT_FORMAT,
        "tool": format!("aml-baseline {}", env!("CARGO_PKG_VERSION")),
        "scope": scope,
        "value": value,
        "policyStates": policy_states,
        "assessments": assessments,
        "warnings": warnings,
        "incomplete": gaps.iter().flat_map(Gap::entries).collect::<Vec<_>>(),
    });
    Ok(Collected {
        resources: value.len(),
        policy_states: policy_states.len(),
        assessments: assessments.len(),
        export,
        warnings,
        incomplete: gaps,
        requests_retried: client.retries.load(std::sync::atomic::Ordering::Relaxed),
        requests: client.requests.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// One gap per subscription of `scope` (or the management group).
fn scope_gaps(types: &[&str], scope: &Scope, why: &str) -> Vec<Gap> {
    match scope {
        Scope::Subscriptions(subs) => subs
            .iter()
            .map(|s| Gap::new(types, &format!("/subscriptions/{s}"), why.to_string()))
            .collect(),
        Scope::ManagementGroup(m) => vec![Gap::new(
            types,
            &format!("/providers/Microsoft.Management/managementGroups/{m}"),
            why.to_string(),
        )],
    }
}

/// Whether an error leaves the rest of the collection worth doing: the
/// part is recorded as not read. Others (a refused token, a broken
/// connection) stop the collection.
fn partial(e: &CollectError) -> bool {
    matches!(
        e,
        CollectError::Forbidden { .. }
            | CollectError::Http { .. }
            | CollectError::Timeout { .. }
            | CollectError::Deadline { .. }
            | CollectError::TooManyRequests { .. }
    )
}

/// Resource Graph: the ML resources, their private endpoints and role
/// assignments, then the resources the workspaces name.
async fn graph_phase(
    client: &Client,
    arm: &str,
    scopes: &[Scope],
    gaps: &mut Vec<Gap>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<BTreeMap<String, Value>, CollectError> {
    let mut resources: BTreeMap<String, Value> = BTreeMap::new();
    let add = |resources: &mut BTreeMap<String, Value>, rows: Vec<Value>| {
        for r in rows {
            if let Some(id) = r.get("id").and_then(Value::as_str) {
                resources.entry(id.to_ascii_lowercase()).or_insert(r);
            }
        }
    };
    for (label, query, types) in [
        ("Azure ML resources", ML_QUERY, ML_TYPES),
        (
            "private endpoints",
            ENDPOINTS_QUERY,
            &["Microsoft.Network/privateEndpoints"][..],
        ),
        (
            "role assignments",
            ROLES_QUERY,
            &["Microsoft.Authorization/roleAssignments"][..],
        ),
    ] {
        for scope in scopes {
            progress(&format!("Resource Graph: {label} in {}", scope.describe()));
            let answer = graph_query(client, arm, query, scope, label, progress).await;
            match answer {
                Ok((rows, gap)) => {
                    add(&mut resources, rows);
                    gaps.extend(gap.iter().flat_map(|why| scope_gaps(types, scope, why)));
                }
                // A scope refused, or a server that does not answer, is
                // the user's to fix: stop and say how.
                Err(e @ (CollectError::Forbidden { .. } | CollectError::Timeout { .. })) => {
                    return Err(e)
                }
                Err(e) if partial(&e) => gaps.extend(scope_gaps(types, scope, &e.to_string())),
                Err(e) => return Err(e),
            }
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
        for scope in scopes {
            let why = match graph_query(client, arm, &query, scope, "related resources", progress)
                .await
            {
                Ok((rows, why)) => {
                    add(&mut resources, rows);
                    why
                }
                Err(e) if partial(&e) => Some(e.to_string()),
                Err(e) => return Err(e),
            };
            // The ids are known: each missing one is a gap of its own.
            for id in chunk.iter().filter(|id| !resources.contains_key(*id)) {
                if let (Some(why), Some((ty, _))) = (&why, aml_live::types::type_and_name(id)) {
                    let ty = aml_live::types::canonical(&ty, Some(id));
                    gaps.push(Gap::new(&[ty.as_str()], id, why.clone()));
                }
            }
        }
    }
    gaps.dedup();
    Ok(resources)
}

/// ARM: what Resource Graph does not hold, a few GETs at a time.
async fn arm_phase(
    client: &Arc<Client>,
    arm: &str,
    options: &Options,
    resources: &mut BTreeMap<String, Value>,
    gaps: &mut Vec<Gap>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), CollectError> {
    let mut gets: Vec<(String, String, &'static str, &'static str)> = Vec::new();
    for r in resources.values() {
        let Some(id) = r.get("id").and_then(Value::as_str) else {
            continue;
        };
        let ws = type_is(r, "microsoft.machinelearningservices/workspaces");
        if ws {
            gets.push((
                format!("{arm}{id}/computes?api-version={COMPUTES_API}"),
                id.to_string(),
                "computes",
                "Microsoft.MachineLearningServices/workspaces/computes",
            ));
        }
        if ws
            || type_is(r, "microsoft.machinelearningservices/registries")
            || type_is(
                r,
                "microsoft.machinelearningservices/workspaces/onlineendpoints",
            )
        {
            gets.push((
                format!("{arm}{id}/providers/Microsoft.Insights/diagnosticSettings?api-version={DIAGNOSTICS_API}"),
                id.to_string(),
                "diagnostic settings",
                "Microsoft.Insights/diagnosticSettings",
            ));
        }
        if type_is(r, "microsoft.network/privateendpoints") {
            gets.push((
                format!("{arm}{id}/privateDnsZoneGroups?api-version={DNS_ZONE_GROUPS_API}"),
                id.to_string(),
                "private DNS zone groups",
                "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            ));
        }
    }
    let total = gets.len();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (url, owner, what, ty)) in gets.into_iter().enumerate() {
        let client = client.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let rows = list_all(&client, &url, &format!("{what} of {owner}"), &owner).await;
            (index, owner, ty, rows)
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
    for (_, owner, ty, result) in results {
        match result {
            Ok((rows, gap)) => {
                for r in rows {
                    if let Some(id) = r.get("id").and_then(Value::as_str) {
                        // The compute RP's answer is fuller than Resource Graph's.
                        resources.insert(id.to_ascii_lowercase(), r);
                    }
                }
                gaps.extend(gap.map(|why| Gap::new(&[ty], &owner, why)));
            }
            // One resource that cannot be read leaves the others collected.
            Err(e) if partial(&e) => gaps.push(Gap::new(&[ty], &owner, e.to_string())),
            Err(e) => return Err(e),
        }
    }
    Ok(())
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
        let (subs, gap) = list_all(client, &url, "the subscriptions", "the tenant").await?;
        if let Some(why) = gap {
            return Err(CollectError::Transport(format!(
                "listing the subscriptions failed: {why}"
            )));
        }
        for s in subs {
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
                arm_scope: "/".into(),
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

/// One Resource Graph query over one scope, every page; with the reason
/// when the result is known to be incomplete (`resultTruncated`, a skip
/// token that repeats, the page bound).
async fn graph_query(
    client: &Client,
    arm: &str,
    query: &str,
    scope: &Scope,
    label: &str,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<(Vec<Value>, Option<String>), CollectError> {
    let url = format!("{arm}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API}");
    let mut rows = Vec::new();
    let mut skip_token: Option<String> = None;
    let mut seen_tokens: HashSet<String> = HashSet::new();
    let mut incomplete = None;
    for page in 0..=MAX_PAGES {
        if page == MAX_PAGES {
            incomplete = Some(format!(
                "Resource Graph still had more after {MAX_PAGES} pages (the most followed)"
            ));
            break;
        }
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
        let what = format!("{label} (Resource Graph)");
        let answer = client.post(&url, &body, &what, &scope.describe()).await;
        let (answer, headers) = match answer {
            Ok(a) => a,
            // Some pages were read: what is missing is a gap, not a failure.
            Err(e @ (CollectError::Deadline { .. } | CollectError::TooManyRequests { .. }))
                if page > 0 =>
            {
                incomplete = Some(format!("{e} (after {page} pages)"));
                break;
            }
            Err(e) => return Err(e),
        };
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
        let truncated = answer
            .get("resultTruncated")
            .is_some_and(|t| t == "true" || t == true);
        if truncated {
            incomplete = Some(
                "Resource Graph truncated the result (`resultTruncated: true`): it holds only part of the matching resources".into(),
            );
        }
        skip_token = answer
            .get("$skipToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        let Some(token) = &skip_token else { break };
        if !seen_tokens.insert(token.clone()) {
            incomplete = Some(format!(
                "Resource Graph returned the `$skipToken` `{}` a second time (page {}): the paging does not advance, so it was stopped",
                shorten(token),
                page + 1
            ));
            break;
        }
        // The quota is spent: wait for it rather than be throttled, within the deadline.
        if let Some(wait) = quota_reset(&headers) {
            let wait = wait.min(Duration::from_secs(300));
            if wait >= client.left() {
                incomplete = Some(format!(
                    "Resource Graph's quota resets in {} s, after the collection's deadline (after {} pages)",
                    wait.as_secs(),
                    page + 1
                ));
                break;
            }
            progress(&format!(
                "Resource Graph quota spent; waiting {} s",
                wait.as_secs()
            ));
            tokio::time::sleep(wait).await;
        }
    }
    Ok((rows, incomplete))
}

/// At most 40 characters of a token, for messages.
fn shorten(token: &str) -> String {
    let t: String = token.chars().take(40).collect();
    if t.len() < token.len() {
        format!("{t}...")
    } else {
        t
    }
}

/// An ARM list, following `nextLink` (only below the same host); with the
/// reason when the list is known to be incomplete (a `nextLink` that
/// repeats, the page bound, the deadline after some pages).
async fn list_all(
    client: &Client,
    url: &str,
    what: &str,
    scope: &str,
) -> Result<(Vec<Value>, Option<String>), CollectError> {
    let mut out = Vec::new();
    let mut next = Some(url.to_string());
    let origin = origin(url);
    let mut seen: HashSet<String> = HashSet::new();
    let mut pages = 0;
    while let Some(u) = next.take() {
        if !seen.insert(u.clone()) {
            return Ok((
                out,
                Some(format!(
                    "ARM returned the `nextLink` `{}` a second time (page {}): the paging does not advance, so it was stopped",
                    crate::client::mask_tokens(&shorten(&u)),
                    pages + 1
                )),
            ));
        }
        if pages == MAX_PAGES {
            return Ok((
                out,
                Some(format!(
                    "the list still had more after {MAX_PAGES} pages (the most followed)"
                )),
            ));
        }
        pages += 1;
        let answer = match client.get(&u, what, scope).await {
            Ok((answer, _)) => answer,
            Err(e @ (CollectError::Deadline { .. } | CollectError::TooManyRequests { .. }))
                if pages > 1 =>
            {
                return Ok((out, Some(format!("{e} (after {} pages)", pages - 1))))
            }
            Err(e) => return Err(e),
        };
        if let Some(Value::Array(items)) = answer.get("value") {
            out.extend(items.iter().cloned());
        }
        next = answer
            .get("nextLink")
            .and_then(Value::as_str)
            .filter(|n| origin.is_some() && origin == self::origin(n))
            .map(str::to_string);
    }
    Ok((out, None))
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
