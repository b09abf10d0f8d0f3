//! `scan --assignments ... --verify-online` against a local server on
//! 127.0.0.1 that plays the managed identity token endpoint and Azure Policy
//! Insights' `checkPolicyRestrictions` (API 2024-10-01) with the response
//! shapes of the REST specification's examples (`fieldRestrictions[]` with
//! `restrictions[]` of `result`, `values`, `policy`, `policyEffect`,
//! `reason`; `contentEvaluationResult.policyEvaluations[]` with `policyInfo`,
//! `evaluationResult`, `effectDetails`). The server of `collect`'s tests
//! (`crate::collect::Server`) serves them; `AML_BASELINE_ARM_ENDPOINT`
//! points the client at it.

use crate::collect::{aml, stderr, token_reply, Reply, Seen, Server};
use crate::common::project;
use serde_json::{json, Value};

const SUB: &str = "11111111-2222-3333-4444-555555555555";
const PNA: &str = "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess";
const BUILTIN: &str =
    "/providers/Microsoft.Authorization/policyDefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce";
const REGIONS: &str = "/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyDefinitions/allowed-locations-ml";

fn assignment(name: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/{name}")
}

/// A `PolicyEvaluationResult`: `definition` finds the content non-compliant and denies it.
fn denial(definition: &str, assignment_name: &str) -> Value {
    json!({
        "policyInfo": {
            "policyDefinitionId": definition,
            "policyAssignmentId": assignment(assignment_name),
        },
        "evaluationResult": "NonCompliant",
        "evaluationDetails": {"evaluatedExpressions": [{
            "result": "True", "expressionKind": "field", "expression": "type", "path": "type",
            "expressionValue": "Microsoft.MachineLearningServices/workspaces",
            "targetValue": "Microsoft.MachineLearningServices/workspaces", "operator": "Equals"
        }]},
        "effectDetails": {"policyEffect": "Deny"}
    })
}

/// `fieldRestrictions` as Azure gives them for the public workspace.
fn field_restrictions() -> Value {
    json!([
        {"field": PNA, "restrictions": [{
            "result": "Required", "values": ["Disabled"],
            "policy": {"policyDefinitionId": BUILTIN, "policyAssignmentId": assignment("ml-no-public-network")},
            "policyEffect": "Deny", "reason": "public network access must be disabled"
        }]},
        {"field": "location", "restrictions": [{
            "result": "Required", "values": ["westeurope", "northeurope"],
            "policy": {"policyDefinitionId": REGIONS, "policyAssignmentId": assignment("ml-regions")},
            "policyEffect": "Deny", "reason": "location must be one of the following: westeurope, northeurope"
        }]}
    ])
}

/// The answer for the workspace a request describes: `agree` as our
/// predictions (the public one denied), else the other way round.
fn answer(seen: &Seen, agree: bool) -> Reply {
    let name = seen.body["resourceDetails"]["resourceContent"]["name"]
        .as_str()
        .unwrap_or_default();
    let evaluations = match (name, agree) {
        ("mlw-public", true) => vec![denial(BUILTIN, "ml-no-public-network")],
        ("mlw-private", false) => vec![denial(REGIONS, "ml-regions")],
        _ => vec![],
    };
    let fields = if name == "mlw-public" {
        field_restrictions()
    } else {
        json!([])
    };
    Some((
        200,
        vec![],
        json!({"fieldRestrictions": fields, "contentEvaluationResult": {"policyEvaluations": evaluations}}),
    ))
}

/// A server that gives a managed identity token and answers every other
/// request with `reply`.
fn azure(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
    Server::start(move |seen, _| {
        if seen.target.starts_with("/msi/token") {
            return token_reply();
        }
        reply(seen)
    })
}

fn is_check(seen: &Seen) -> bool {
    seen.method == "POST"
        && seen.target.contains(
            "/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?api-version=2024-10-01",
        )
}

/// `scan` of the fixture with `--verify-online` against `server`.
fn scan(server: &Server, scope: &str, extra: &[&str]) -> std::process::Output {
    let (main, policies, assignments) = (
        fixture("verify-online/main.json"),
        fixture("bicep-snapshot/policies"),
        fixture("verify-online/assignments.json"),
    );
    let mut args = vec![
        "scan",
        &main,
        "--no-config",
        "--policies",
        &policies,
        "--assignments",
        &assignments,
        "--deployment-scope",
        scope,
        "--verify-online",
        "--backoff-ms",
        "10",
    ];
    args.extend_from_slice(extra);
    aml(server, &args)
}

/// The diagnostics of `code` in a JSON report.
fn diagnostics<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

/// A fixture's path, as an argument.
fn fixture(rel: &str) -> String {
    project(&format!("tests/fixtures/{rel}"))
        .display()
        .to_string()
}

fn rg() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-ml")
}

fn json_report(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", String::from_utf8_lossy(&o.stdout), stderr(o)))
}

fn result<'a>(report: &'a Value, rule: &str, name: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"].as_str().unwrap().starts_with(rule) && r["resource_name"] == name)
        .unwrap_or_else(|| panic!("no {rule} on {name}"))
}

#[test]
fn azure_agrees_after_a_throttled_request_and_its_allowed_values_are_in_the_fix() {
    let throttled = std::sync::Mutex::new(false);
    let server = azure(move |seen| {
        if !is_check(seen) {
            return Some((
                404,
                vec![],
                json!({"error": {"code": "NotFound", "message": "no"}}),
            ));
        }
        let mut first = throttled.lock().unwrap();
        if !*first {
            *first = true;
            return Some((
                429,
                vec![("retry-after", "0".into())],
                json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            ));
        }
        answer(seen, true)
    });
    let o = scan(&server, &rg(), &["--format", "json", "--concurrency", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report = json_report(&o);
    assert_eq!(report["summary"]["errors"], 0, "{}", report["diagnostics"]);
    // One request per workspace at its resource group, the throttled one retried.
    let checks: Vec<Seen> = server.seen().into_iter().filter(is_check).collect();
    assert_eq!(checks.len(), 3);
    let path = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?api-version=2024-10-01"
    );
    assert!(checks.iter().all(|s| s.target == path), "{checks:?}");
    assert!(checks
        .iter()
        .all(|s| s.authorization.as_deref() == Some("Bearer test-token")));
    let public = checks
        .iter()
        .find(|s| s.body["resourceDetails"]["resourceContent"]["name"] == "mlw-public")
        .unwrap();
    let details = &public.body["resourceDetails"];
    assert_eq!(details["apiVersion"], "2024-10-01");
    assert_eq!(
        details["resourceContent"]["type"],
        "Microsoft.MachineLearningServices/workspaces"
    );
    assert_eq!(details["resourceContent"]["location"], "westeurope");
    assert_eq!(
        details["resourceContent"]["properties"]["publicNetworkAccess"],
        "Enabled"
    );
    let pending: Vec<&str> = public.body["pendingFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        pending.contains(&"location") && pending.contains(&PNA),
        "{pending:?}"
    );
    // Azure confirms all four verdicts: two resources, two definitions.
    let azure = &report["azure"];
    assert_eq!(
        (&azure["compared"], &azure["confirmed"]),
        (&json!(4), &json!(4))
    );
    assert!(azure["disagreements"].as_array().unwrap().is_empty());
    let denied = result(&report, "438c38d2", "mlw-public");
    assert_eq!(denied["denied"], true);
    assert_eq!(
        denied["azure"],
        json!({"source": "check-policy-restrictions", "state": "Denied", "agrees": true})
    );
    let ruled_out = result(&report, "allowed-locations-ml", "mlw-private");
    assert_eq!(ruled_out["azure"]["state"], "NotDenied");
    // The allowed values beside the fix: the assignment's result and the
    // built-in rule's (with its planned fix), never on a pass.
    assert_eq!(
        denied["field_restrictions"],
        json!([{"field": PNA, "result": "Required", "values": ["Disabled"], "effect": "Deny",
                "assignment": assignment("ml-no-public-network"),
                "reason": "public network access must be disabled"}])
    );
    let builtin = result(&report, "AMLB-POL-438c38d2", "mlw-public");
    assert!(
        builtin.get("azure").is_none(),
        "only assignments' denials are compared"
    );
    assert!(builtin["autofix"]["description"]
        .as_str()
        .unwrap()
        .contains(&format!("Azure Policy (checkPolicyRestrictions) says `{PNA}`: Required Disabled (Deny, assignment ml-no-public-network)")));
    assert!(ruled_out.get("field_restrictions").is_none());
    crate::report_schema::assert_valid(&report, "verify-online");
    // The text report shows them under the fix.
    let o = scan(&server, &rg(), &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!(
        "Azure Policy (checkPolicyRestrictions): `{PNA}` allowed: Disabled (Deny by assignment ml-no-public-network: public network access must be disabled)"
    )), "{text}");
    assert!(
        text.contains("Azure's own verdicts: 4 of 4 compared results confirmed, 0 disagreement(s)"),
        "{text}"
    );
    let o = scan(&server, &rg(), &["--format", "markdown"]);
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(md.contains(&format!(
        "  - Azure Policy (checkPolicyRestrictions): `{PNA}` Required `Disabled` (Deny by assignment `ml-no-public-network`)"
    )), "{md}");
    let o = scan(&server, &rg(), &["--format", "html"]);
    let html = String::from_utf8_lossy(&o.stdout);
    assert!(html.contains(&format!(
        "Azure Policy (checkPolicyRestrictions): <code>{PNA}</code> Required <code>Disabled</code> (Deny by assignment <code>ml-no-public-network</code>)"
    )), "{html}");
}

#[test]
fn every_disagreement_is_listed_both_ways_at_a_management_group() {
    let server = azure(|seen| answer(seen, false));
    let o = scan(
        &server,
        "/providers/Microsoft.Management/managementGroups/corp",
        &["--format", "json"],
    );
    let report = json_report(&o);
    let checks: Vec<Seen> = server.seen().into_iter().filter(is_check).collect();
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|s| s.target.starts_with(
        "/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?"
    )));
    let azure = &report["azure"];
    assert_eq!(
        (&azure["compared"], &azure["confirmed"]),
        (&json!(4), &json!(2))
    );
    let mut disagreements: Vec<(String, String, String)> = azure["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["source"], "check-policy-restrictions");
            (
                d["rule"].as_str().unwrap().to_string(),
                d["ours"].as_str().unwrap().to_string(),
                d["azure"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    disagreements.sort();
    crate::report_schema::assert_valid(&report, "verify-online disagreements");
    assert_eq!(
        disagreements,
        vec![
            // We predicted the denial, Azure would not deny.
            (
                "438c38d2-3772-465a-a9cc-7a6666a275ce".into(),
                "fail".into(),
                "NotDenied".into()
            ),
            // We ruled the denial out, Azure would deny.
            (
                "allowed-locations-ml".into(),
                "pass".into(),
                "Denied".into()
            ),
        ]
    );
    let o = scan(
        &server,
        "/providers/Microsoft.Management/managementGroups/corp",
        &[],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("2 disagreement(s)"), "{text}");
    assert!(
        text.contains("allowed-locations-ml on /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-private: ours pass, check-policy-restrictions says Denied"),
        "{text}"
    );
}

#[test]
fn a_refused_token_stops_the_asking_and_is_an_error_without_the_token() {
    let server = azure(|_| {
        Some((
            401,
            vec![],
            json!({"error": {"code": "InvalidAuthenticationToken", "message": "token test-token is expired"}}),
        ))
    });
    let o = scan(&server, &rg(), &["--format", "json", "--concurrency", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let report = json_report(&o);
    let checks = server.seen().into_iter().filter(is_check).count();
    assert_eq!(checks, 1, "after a 401 the other resource is not asked");
    let errors: Vec<&Value> = diagnostics(&report, "verify-online");
    assert_eq!(errors.len(), 2, "{errors:?}");
    let all = serde_json::to_string(&errors).unwrap();
    assert!(all.contains("refused the token (401)"), "{all}");
    assert!(!all.contains("test-token"), "{all}");
    assert!(all.contains("signed in with: managed identity"), "{all}");
    // Our verdicts stand, with nothing beside them.
    assert!(report.get("azure").is_none() || report["azure"].is_null());
    assert_eq!(result(&report, "438c38d2", "mlw-public")["denied"], true);
}

#[test]
fn server_errors_are_retried_then_reported_and_unaskable_resources_are_said() {
    let server = azure(|_| {
        Some((
            503,
            vec![("retry-after", "0".into())],
            json!({"error": {"code": "ServiceUnavailable", "message": "try later"}}),
        ))
    });
    let o = scan(&server, &rg(), &["--format", "json", "--retries", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let report = json_report(&o);
    assert_eq!(server.seen().into_iter().filter(is_check).count(), 4);
    let d = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "verify-online")
        .unwrap();
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("2 resource(s) (mlw-public, mlw-private): reading Azure Policy's restrictions (checkPolicyRestrictions) failed with HTTP 503"),
        "{d}"
    );
    assert!(d["message"].as_str().unwrap().contains("HTTP 503"), "{d}");
    // Without a deployment scope a template's ids name no subscription:
    // nothing is asked, and each resource says why.
    let server = azure(|seen| answer(seen, true));
    let main = fixture("verify-online/main.json");
    let assignments = fixture("verify-online/assignments.json");
    let o = aml(
        &server,
        &[
            "scan",
            &main,
            "--no-config",
            "--assignments",
            &assignments,
            "--verify-online",
            "--format",
            "json",
        ],
    );
    let report = json_report(&o);
    assert_eq!(server.seen().into_iter().filter(is_check).count(), 0);
    let said: Vec<&Value> = diagnostics(&report, "verify-online");
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0]["message"]
        .as_str()
        .unwrap()
        .contains("give --deployment-scope to ask Azure"));
}

/// The azd flow: `bicep snapshot --subscription-id SUB --resource-group
/// rg-ml-dev` then `scan main.snapshot.json --assignments ... --verify-online`.
/// The snapshot's ids name the resource group, so no `--deployment-scope` is
/// needed; the compute whose location the snapshot leaves open is unknown
/// and not asked.
#[test]
fn a_bicep_snapshot_is_asked_about_at_the_resource_group_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let placeholder = "00000000-0000-0000-0000-000000000000";
    for (from, to) in [
        (
            "bicep-snapshot/workspace/main.snapshot.json",
            "main.snapshot.json",
        ),
        ("bicep-snapshot/assignments.json", "assignments.json"),
    ] {
        let text = std::fs::read_to_string(project(&format!("tests/fixtures/{from}"))).unwrap();
        std::fs::write(dir.path().join(to), text.replace(placeholder, SUB)).unwrap();
    }
    let server = azure(|_| {
        Some((
            200,
            vec![],
            json!({"fieldRestrictions": [], "contentEvaluationResult": {"policyEvaluations": [denial(BUILTIN, "ml-no-public-network")]}}),
        ))
    });
    let path = |p: &str| dir.path().join(p).display().to_string();
    let policies = fixture("bicep-snapshot/policies");
    let o = aml(
        &server,
        &[
            "scan",
            &path("main.snapshot.json"),
            "--no-config",
            "--policies",
            &policies,
            "--assignments",
            &path("assignments.json"),
            "--verify-online",
            "--format",
            "json",
        ],
    );
    let report = json_report(&o);
    assert_eq!(report["summary"]["errors"], 0, "{}", report["diagnostics"]);
    let checks: Vec<Seen> = server.seen().into_iter().filter(is_check).collect();
    assert_eq!(checks.len(), 1, "the workspace only: {checks:?}");
    assert!(checks[0].target.starts_with(&format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml-dev/providers/Microsoft.PolicyInsights/checkPolicyRestrictions?"
    )));
    let content = &checks[0].body["resourceDetails"]["resourceContent"];
    assert_eq!(content["name"], "mlw-contoso-dev");
    assert_eq!(content["kind"], "Default");
    let workspace = result(&report, "438c38d2", "mlw-contoso-dev");
    assert_eq!(workspace["source"], "predicted");
    assert_eq!(workspace["azure"]["state"], "Denied");
    assert_eq!(workspace["azure"]["agrees"], true);
    let compute = result(&report, "allowed-locations-ml", "mlw-contoso-dev/ci-dev");
    assert_eq!(compute["result"], "unknown");
    assert!(compute.get("azure").is_none());
}

#[test]
fn verify_online_needs_assignments() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", "main.json", "--verify-online"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--assignments"), "{}", stderr(&o));
}

/// Azure's field restrictions join the assignments in choosing what a fix
/// writes: when Azure would deny the only value the rule accepts, no fix
/// proposes it (the result keeps its advice and Azure's restriction).
#[test]
fn a_fix_never_writes_a_value_azure_would_deny() {
    let server = azure(|_| {
        Some((
            200,
            vec![],
            json!({"fieldRestrictions": [{"field": PNA, "restrictions": [{
                "result": "Deny", "values": ["Disabled"],
                "policy": {"policyDefinitionId": BUILTIN, "policyAssignmentId": assignment("ml-no-public-network")},
                "policyEffect": "Deny", "reason": "this subscription keeps workspaces public"
            }]}], "contentEvaluationResult": {"policyEvaluations": []}}),
        ))
    });
    let o = scan(&server, &rg(), &["--format", "json"]);
    let report = json_report(&o);
    let builtin = result(&report, "AMLB-POL-438c38d2", "mlw-public");
    assert!(builtin.get("autofix").is_none(), "{builtin}");
    assert_eq!(builtin["field_restrictions"][0]["result"], "Deny");
    assert_eq!(
        builtin["field_restrictions"][0]["values"],
        json!(["Disabled"])
    );
    // Without Azure's answer the same result has its safe fix.
    let main = fixture("verify-online/main.json");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", &main, "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let plain = json_report(&o);
    assert!(result(&plain, "AMLB-POL-438c38d2", "mlw-public")
        .get("autofix")
        .is_some());
}

/// `fix --verify-online`: the `fix` command asks Azure too, shows the values
/// it allows per field, and writes no value it would deny.
#[test]
fn fix_shows_what_azure_allows_and_refuses_what_it_denies() {
    let deny = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let denying = deny.clone();
    let server = azure(move |seen| {
        let result = if denying.load(std::sync::atomic::Ordering::SeqCst) {
            "Deny"
        } else {
            "Required"
        };
        let fields = if seen.body["resourceDetails"]["resourceContent"]["name"] == "mlw-public" {
            json!([{"field": PNA, "restrictions": [{
                "result": result, "values": ["Disabled"],
                "policy": {"policyDefinitionId": BUILTIN, "policyAssignmentId": assignment("ml-no-public-network")},
                "policyEffect": "Deny", "reason": "public network access"
            }]}])
        } else {
            json!([])
        };
        Some((
            200,
            vec![],
            json!({"fieldRestrictions": fields, "contentEvaluationResult": {"policyEvaluations": []}}),
        ))
    });
    let main = fixture("verify-online/main.json");
    let assignments = fixture("verify-online/assignments.json");
    let scope = rg();
    let args = [
        "fix",
        &main,
        "--dry-run",
        "--no-config",
        "--rule",
        "AMLB-POL-438c38d2",
        "--assignments",
        &assignments,
        "--deployment-scope",
        &scope,
        "--verify-online",
    ];
    let o = aml(&server, &args);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("Azure Policy (checkPolicyRestrictions) says `{PNA}`: Required Disabled (Deny, assignment ml-no-public-network)")),
        "{out}\n{}",
        stderr(&o)
    );
    assert!(
        out.contains("+        \"publicNetworkAccess\": \"Disabled\""),
        "{out}"
    );
    assert!(server.seen().iter().any(is_check));
    // Azure denies the only value the rule accepts: no fix writes it.
    deny.store(true, std::sync::atomic::Ordering::SeqCst);
    let o = aml(&server, &args);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains("+        \"publicNetworkAccess\": \"Disabled\""),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "`Disabled` is not allowed by Azure Policy's restriction `{PNA}`: Deny Disabled (Deny, assignment ml-no-public-network)"
        )),
        "{out}"
    );
}
