//! Azure Policy Insights' `checkPolicyRestrictions` (API 2024-10-01): what
//! Azure Policy would do to a resource before it exists. `scan
//! --verify-online` asks it about every resource whose denial the scan
//! predicted or ruled out, with the client `collect` uses (the same
//! credential, retries, timeout, request budget and deadline).
//!
//! - Resource group scope: `POST {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.PolicyInsights/checkPolicyRestrictions`;
//!   subscription scope: `POST {arm}/subscriptions/{sub}/providers/...`;
//!   management group scope: `POST {arm}/providers/Microsoft.Management/managementGroups/{mg}/providers/...`.
//! - Body (`CheckRestrictionsRequest`): `resourceDetails` (`resourceContent`,
//!   `apiVersion`, `scope` for a child's parent) and `pendingFields`
//!   (`[{"field": ...}]`); `includeAuditEffect` stays off: only denials count.
//! - Answer (`CheckRestrictionsResult`): `fieldRestrictions[]` (`field`,
//!   `restrictions[]` with `result`, `values`, `defaultValue`, `policy`,
//!   `policyEffect`, `reason`) and `contentEvaluationResult.policyEvaluations[]`
//!   (`policyInfo`, `evaluationResult`, `effectDetails.policyEffect`).

use crate::client::{Client, CollectError, RetryPolicy};
use aml_model::restrictions::{
    CheckScope, Evaluation, FieldRestriction, PolicyRef, Restrictions, Target,
};
use azure_core::credentials::TokenCredential;
use serde_json::{json, Value};
use std::sync::Arc;

/// The Policy Insights API version asked.
pub const API_VERSION: &str = "2024-10-01";

/// Most entries read from one answer's lists (a bound, not a budget).
const MAX_ENTRIES: usize = 10_000;

/// How to ask.
#[derive(Clone, Debug)]
pub struct Options {
    /// Requests in flight at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// The ARM base URL ([`crate::arm_endpoint`]).
    pub arm_endpoint: String,
}

/// The URL of `checkPolicyRestrictions` at `scope`.
pub fn url(arm: &str, scope: &CheckScope) -> String {
    format!(
        "{}{}/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?api-version={API_VERSION}",
        arm.trim_end_matches('/'),
        scope.id()
    )
}

/// The request body for `target`.
pub fn body(target: &Target) -> Value {
    let mut details = json!({ "resourceContent": target.content });
    if let Some(v) = &target.api_version {
        details["apiVersion"] = json!(v);
    }
    if let Some(p) = &target.parent {
        details["scope"] = json!(p);
    }
    let pending: Vec<Value> = target
        .pending_fields
        .iter()
        .map(|f| json!({ "field": f }))
        .collect();
    json!({ "resourceDetails": details, "pendingFields": pending })
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn policy_ref(v: Option<&Value>) -> PolicyRef {
    let v = v.unwrap_or(&Value::Null);
    PolicyRef {
        definition_id: text(v, "policyDefinitionId"),
        assignment_id: text(v, "policyAssignmentId"),
        set_definition_id: text(v, "policySetDefinitionId"),
        reference_id: text(v, "policyDefinitionReferenceId"),
    }
}

fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .take(MAX_ENTRIES)
}

/// Reads an answer (`CheckRestrictionsResult`); what it lacks is empty.
pub fn parse(answer: &Value) -> Restrictions {
    let mut out = Restrictions::default();
    for field in list(answer.get("fieldRestrictions")) {
        let name = text(field, "field");
        for r in list(field.get("restrictions")) {
            out.fields.push(FieldRestriction {
                field: name.clone(),
                result: text(r, "result"),
                values: list(r.get("values"))
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                default_value: r
                    .get("defaultValue")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                policy: policy_ref(r.get("policy")),
                effect: text(r, "policyEffect"),
                reason: text(r, "reason"),
            });
        }
    }
    let evaluations = answer
        .get("contentEvaluationResult")
        .and_then(|c| c.get("policyEvaluations"));
    for e in list(evaluations) {
        out.evaluations.push(Evaluation {
            policy: policy_ref(e.get("policyInfo")),
            result: text(e, "evaluationResult"),
            effect: e
                .get("effectDetails")
                .map(|d| text(d, "policyEffect"))
                .unwrap_or_default(),
        });
    }
    out
}

/// Errors after which no further request can succeed: the credential, the
/// deadline, the request budget.
fn fatal(e: &CollectError) -> bool {
    matches!(
        e,
        CollectError::Auth(_)
            | CollectError::Deadline { .. }
            | CollectError::TooManyRequests { .. }
    )
}

/// Asks about every target (at most `options.concurrency` at once); one
/// answer or error per target, in order. After an error no request can
/// recover from (authentication, the deadline, the request budget), the
/// targets not yet asked get that error too.
pub async fn check(
    options: &Options,
    credential: Arc<dyn TokenCredential>,
    targets: &[Target],
) -> Vec<Result<Restrictions, CollectError>> {
    let client = match Client::new(credential, options.retry.clone()) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            let message = e.to_string();
            return targets
                .iter()
                .map(|_| Err(CollectError::Transport(message.clone())))
                .collect();
        }
    };
    let stop: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let (client, semaphore, stop) = (client.clone(), semaphore.clone(), stop.clone());
        let url = url(&options.arm_endpoint, &target.scope);
        let body = body(target);
        let what = "Azure Policy's restrictions (checkPolicyRestrictions)".to_string();
        let scope = target.scope.id();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            if let Some(why) = stop.lock().map(|s| s.clone()).unwrap_or_default() {
                return (index, Err(CollectError::Transport(why)));
            }
            let answer = client.post(&url, &body, &what, &scope).await;
            if let Err(e) = &answer {
                if fatal(e) {
                    if let Ok(mut s) = stop.lock() {
                        s.get_or_insert_with(|| format!("not asked: {e}"));
                    }
                }
            }
            (index, answer.map(|(v, _)| parse(&v)))
        });
    }
    let mut answers: Vec<Option<Result<Restrictions, CollectError>>> =
        targets.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, answer)) = joined {
            answers[index] = Some(answer);
        }
    }
    answers
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| Err(CollectError::Transport("the request task failed".into())))
        })
        .collect()
}

/// Runs [`check`] on a runtime of its own, for the command line.
pub fn check_blocking(
    options: &Options,
    credential: Arc<dyn TokenCredential>,
    targets: &[Target],
) -> Vec<Result<Restrictions, CollectError>> {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(check(options, credential, targets)),
        Err(e) => targets
            .iter()
            .map(|_| {
                Err(CollectError::Transport(format!(
                    "could not start the runtime: {e}"
                )))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_have_the_api_shapes() {
        let rg = CheckScope::ResourceGroup {
            subscription: "s".into(),
            resource_group: "g".into(),
        };
        assert_eq!(
            url("http://127.0.0.1:9/", &rg),
            "http://127.0.0.1:9/subscriptions/s/resourceGroups/g/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?api-version=2024-10-01"
        );
        let mg = CheckScope::ManagementGroup {
            group: "corp".into(),
        };
        assert!(url("https://m", &mg).starts_with(
            "https://m/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?"
        ));
        let target = Target {
            resource_id: "/x".into(),
            scope: rg,
            content: json!({"type": "Microsoft.MachineLearningServices/workspaces"}),
            api_version: Some("2024-10-01".into()),
            parent: None,
            pending_fields: vec!["location".into()],
        };
        assert_eq!(
            body(&target),
            json!({"resourceDetails": {"resourceContent": {"type": "Microsoft.MachineLearningServices/workspaces"}, "apiVersion": "2024-10-01"}, "pendingFields": [{"field": "location"}]})
        );
        let answer = json!({
            "fieldRestrictions": [{"field": "location", "restrictions": [{"result": "Deny", "values": ["eastus"], "policy": {"policyDefinitionId": "/providers/microsoft.authorization/policyDefinitions/AbC", "policyAssignmentId": "/subscriptions/s/providers/microsoft.authorization/policyAssignments/a1"}, "policyEffect": "Deny", "reason": "no"}]}],
            "contentEvaluationResult": {"policyEvaluations": [{"policyInfo": {"policyDefinitionId": "/p/ABC"}, "evaluationResult": "NonCompliant", "effectDetails": {"policyEffect": "Deny"}}]}
        });
        let r = parse(&answer);
        assert_eq!(r.fields[0].values, vec!["eastus".to_string()]);
        assert_eq!(r.fields[0].policy.assignment(), "a1");
        assert!(r.denies("abc") && !r.denies("other"));
        assert_eq!(
            (r.verdict("ABC"), r.verdict("other")),
            ("Denied".to_string(), "NotDenied".to_string())
        );
        let undecided = parse(&json!({"contentEvaluationResult": {"policyEvaluations": [
            {"policyInfo": {"policyDefinitionId": "/p/abc"}, "evaluationResult": "Error"}]}}));
        assert_eq!(undecided.verdict("abc"), "Error");
        assert_eq!(r.of_definition("abc").count(), 1);
        assert_eq!(parse(&json!({})), Restrictions::default());
    }
}

/// `scan --verify-online`: asks `checkPolicyRestrictions` with the signed-in
/// identity ([`crate::credential`]) and these settings.
#[derive(Debug)]
pub struct OnlineVerifier {
    pub options: Options,
}

impl OnlineVerifier {
    /// The verifier with `collect`'s defaults (8 requests at once, 5
    /// retries, 60 s per request, a 30-minute deadline), for `fix`.
    pub fn with_defaults() -> Self {
        OnlineVerifier {
            options: Options {
                concurrency: 8,
                retry: RetryPolicy::default(),
                arm_endpoint: crate::arm_endpoint(),
            },
        }
    }
}

impl aml_model::restrictions::Verifier for OnlineVerifier {
    fn check(&self, targets: &[Target]) -> Vec<Result<Restrictions, String>> {
        if targets.is_empty() {
            return Vec::new();
        }
        let (credential, kind) = match crate::credential() {
            Ok(c) => c,
            Err(e) => return targets.iter().map(|_| Err(e.clone())).collect(),
        };
        check_blocking(&self.options, credential, targets)
            .into_iter()
            .map(|r| r.map_err(|e| format!("{e} (signed in with: {kind})")))
            .collect()
    }
}
