//! `aml-baseline collect` against a local server on 127.0.0.1 that plays
//! the managed identity token endpoint, ARM and Resource Graph with the
//! response shapes of the REST specifications (Resource Graph 2022-10-01
//! `ResourcesFirstPageQuery`/`ResourcesNextPageQuery`: `totalRecords`,
//! `count`, `resultTruncated`, `facets`, `$skipToken`, `data`; ARM lists with
//! `value` and `nextLink`; Azure's `{"error": {"code", "message"}}`).
//! Nothing leaves the loopback: the ARM endpoint and the token endpoint
//! are the server, and the credential is the managed identity the
//! `IDENTITY_ENDPOINT` variable announces.

use crate::common::project;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request the server received.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) body: Value,
    pub(crate) authorization: Option<String>,
}

/// What the server answers: status, extra headers, body; or `None` to hang.
pub(crate) type Reply = Option<(u16, Vec<(&'static str, String)>, Value)>;
type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

pub(crate) struct Server {
    pub(crate) base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Serves `handler` on a free loopback port until the test ends.
    pub(crate) fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, record) = (handler.clone(), record.clone());
                std::thread::spawn(move || serve(stream, &*handler, &record));
            }
        });
        Server { base, seen }
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, handler: &Handler, record: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let mut length = 0usize;
        let mut authorization = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let seen = Seen {
            method,
            target,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            authorization,
        };
        let count = {
            let mut r = record.lock().unwrap();
            r.push(seen.clone());
            r.len()
        };
        let Some((status, headers, body)) = handler(&seen, count) else {
            // Hang past the client's timeout, then close.
            std::thread::sleep(Duration::from_secs(5));
            return;
        };
        let text = body.to_string();
        let mut response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            text.len()
        );
        for (k, v) in headers {
            response.push_str(&format!("{k}: {v}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&text);
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn ws_id(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/{name}")
}

pub(crate) fn token_reply() -> Reply {
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    Some((
        200,
        vec![],
        json!({"access_token": "test-token", "expires_on": expires.to_string(), "token_type": "Bearer", "resource": "https://management.azure.com"}),
    ))
}

fn graph_page(data: Vec<Value>, skip: Option<&str>) -> Value {
    let mut v = json!({"totalRecords": 2, "count": data.len(), "resultTruncated": "false", "facets": [], "data": data});
    if let Some(s) = skip {
        v["$skipToken"] = json!(s);
    }
    v
}

fn workspace(name: &str, public: &str) -> Value {
    json!({
        "id": ws_id(name), "name": name, "type": "microsoft.machinelearningservices/workspaces",
        "location": "westeurope", "resourceGroup": "rg-ml", "subscriptionId": SUB, "kind": "Default",
        "identity": {"type": "SystemAssigned"},
        "properties": {"publicNetworkAccess": public, "provisioningState": "Succeeded",
                       "keyVault": format!("/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv-ml")}
    })
}

/// A whole estate: two subscription pages, two Resource Graph pages for the
/// workspaces (the first answered 429 once), computes, diagnostic settings,
/// related resources, policy states.
fn estate(seen: &Seen, _count: usize, throttled: &Mutex<bool>) -> Reply {
    let t = seen.target.as_str();
    if t.starts_with("/msi/token") {
        return token_reply();
    }
    if t.starts_with("/subscriptions?") {
        return Some(if t.contains("page=2") {
            (
                200,
                vec![],
                json!({"value": [{"subscriptionId": "99999999-0000-0000-0000-000000000000", "state": "Disabled"}]}),
            )
        } else {
            (
                200,
                vec![],
                json!({"value": [{"id": format!("/subscriptions/{SUB}"), "subscriptionId": SUB, "state": "Enabled"}],
                                 "nextLink": format!("{}&page=2", "http://BASE/subscriptions?api-version=2022-12-01")}),
            )
        });
    }
    if t.starts_with("/providers/Microsoft.ResourceGraph/resources") {
        let q = seen.body["query"].as_str().unwrap_or_default();
        if q.contains("microsoft.machinelearningservices/workspaces'") && q.starts_with("resources")
        {
            let mut first = throttled.lock().unwrap();
            if !*first {
                *first = true;
                return Some((
                    429,
                    vec![("retry-after", "1".into())],
                    json!({"error": {"code": "RateLimiting", "message": "slow down"}}),
                ));
            }
            return Some(match seen.body["options"]["$skipToken"].as_str() {
                None => (
                    200,
                    vec![("x-ms-user-quota-remaining", "14".into())],
                    graph_page(vec![workspace("mlw-a", "Disabled")], Some("cGFnZTI=")),
                ),
                Some("cGFnZTI=") => (
                    200,
                    vec![],
                    graph_page(vec![workspace("mlw-b", "Enabled")], None),
                ),
                Some(other) => panic!("unexpected skip token {other}"),
            });
        }
        if q.contains("tolower(id) in") {
            return Some((
                200,
                vec![],
                graph_page(
                    vec![json!({
                "id": format!("/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv-ml"),
                "name": "kv-ml", "type": "microsoft.keyvault/vaults", "location": "westeurope",
                "properties": {"enablePurgeProtection": true, "enableSoftDelete": true}})],
                    None,
                ),
            ));
        }
        if q.starts_with("policyresources") {
            let state = |n: u32, ws: &str, compliance: &str| {
                json!({
                    "id": format!("/subscriptions/{SUB}/providers/microsoft.policyinsights/policystates/{n}"),
                    "type": "microsoft.policyinsights/policystates",
                    "properties": {"resourceId": ws_id(ws).to_ascii_lowercase(), "complianceState": compliance,
                                   "policyDefinitionName": "438c38d2-3772-465a-a9cc-7a6666a275ce",
                                   "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce"}
                })
            };
            // Azure confirms mlw-b's failure and disagrees on mlw-a.
            let rows = vec![
                state(1, "mlw-b", "NonCompliant"),
                state(2, "mlw-a", "NonCompliant"),
            ];
            return Some((200, vec![], graph_page(rows, None)));
        }
        if q.starts_with("securityresources") {
            let row = json!({
                "id": format!("{}/providers/Microsoft.Security/assessments/a1", ws_id("mlw-b")),
                "type": "microsoft.security/assessments",
                "properties": {"resourceDetails": {"Id": ws_id("mlw-b")}, "status": {"code": "Unhealthy"},
                               "displayName": "Azure Machine Learning workspaces should disable public network access",
                               "metadata": {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce"}}
            });
            return Some((200, vec![], graph_page(vec![row], None)));
        }
        return Some((200, vec![], graph_page(vec![], None)));
    }
    if t.contains("/computes?") && t.contains("mlw-a") {
        return Some((
            200,
            vec![],
            json!({"value": [{
            "id": format!("{}/computes/ci-old", ws_id("mlw-a")), "name": "ci-old",
            "type": "Microsoft.MachineLearningServices/workspaces/computes", "location": "westeurope",
            "properties": {"computeType": "ComputeInstance", "provisioningState": "Succeeded",
                "properties": {"osImageMetadata": {"currentImageVersion": "24.09.09", "latestImageVersion": "24.11.20", "isLatestOsImageVersion": false}}}}]}),
        ));
    }
    if t.contains("/diagnosticSettings?") && t.contains("mlw-a") {
        return Some((
            200,
            vec![],
            json!({"value": [{
            "id": format!("{}/providers/microsoft.insights/diagnosticSettings/all", ws_id("mlw-a")), "name": "all",
            "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {"logs": [{"categoryGroup": "allLogs", "enabled": true}]}}]}),
        ));
    }
    if t.contains("?api-version=") && t.starts_with(&format!("/subscriptions/{SUB}/")) {
        return Some((200, vec![], json!({"value": []})));
    }
    Some((
        404,
        vec![],
        json!({"error": {"code": "NotFound", "message": t}}),
    ))
}

pub(crate) fn aml(server: &Server, args: &[&str]) -> std::process::Output {
    aml_env(server, args, &[])
}

/// [`aml`] with more environment variables.
fn aml_env(
    server: &Server,
    args: &[&str],
    env: &[(&str, &std::path::Path)],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"));
    cmd.envs(env.iter().copied());
    cmd.args(args)
        .current_dir(project("."))
        .env("AML_BASELINE_ARM_ENDPOINT", &server.base)
        .env("IDENTITY_ENDPOINT", format!("{}/msi/token", server.base))
        .env("IDENTITY_HEADER", "test-header")
        .env("AML_BASELINE_PROGRESS", "0")
        .env("NO_COLOR", "1");
    for v in [
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AML_BASELINE_MANAGED_IDENTITY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(v);
    }
    cmd.output().unwrap()
}

pub(crate) fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A server holding [`estate`], its nextLinks pointing back at it.
fn estate_server() -> Server {
    let throttled = Arc::new(Mutex::new(false));
    let base: Arc<Mutex<String>> = Arc::default();
    let b = base.clone();
    let server = Server::start(move |seen, count| {
        let own = b.lock().unwrap().clone();
        estate(seen, count, &throttled).map(|(s, h, body)| {
            let text = body.to_string().replace("http://BASE", &own);
            (s, h, serde_json::from_str(&text).unwrap())
        })
    });
    *base.lock().unwrap() = server.base.clone();
    server
}

#[test]
fn collects_an_estate_page_by_page_and_the_export_scans_to_its_verdicts() {
    let server = estate_server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    let o = aml(
        &server,
        &[
            "collect",
            "--policy-states",
            "--backoff-ms",
            "50",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let export: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(export["exportFormat"], "aml-baseline-live-export/1");
    let ids: Vec<&str> = export["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // Both Resource Graph pages, the compute and diagnostic setting from ARM, the related vault.
    for want in [
        "/workspaces/mlw-a",
        "/workspaces/mlw-b",
        "/computes/ci-old",
        "/diagnosticSettings/all",
        "/vaults/kv-ml",
    ] {
        assert!(
            ids.iter().any(|i| i.ends_with(want)),
            "{want} missing from {ids:?}"
        );
    }
    assert_eq!(export["policyStates"].as_array().unwrap().len(), 2);
    assert_eq!(export["assessments"].as_array().unwrap().len(), 1);
    assert!(stderr(&o).contains("request(s) retried"), "{}", stderr(&o));

    let seen = server.seen();
    assert!(
        seen.iter().any(|s| s.target.contains("page=2")),
        "the subscriptions' nextLink was followed"
    );
    // The 429 was retried (the first workspaces page was asked twice), the
    // second page asked with the first page's skip token.
    let graph: Vec<&Seen> = seen
        .iter()
        .filter(|s| {
            s.target
                .starts_with("/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01")
        })
        .collect();
    assert!(graph
        .iter()
        .any(|s| s.body["options"]["$skipToken"] == "cGFnZTI="));
    assert_eq!(
        graph[0].body["subscriptions"],
        json!([SUB]),
        "the disabled subscription is left out"
    );
    assert_eq!(graph[0].method, "POST");
    // Every ARM request carried the managed identity's token.
    assert!(seen
        .iter()
        .filter(|s| !s.target.starts_with("/msi/"))
        .all(|s| s.authorization.as_deref() == Some("Bearer test-token")));

    // The export scans to the expected verdicts.
    let r = crate::common::report(std::slice::from_ref(&out), None);
    assert_eq!(
        crate::common::verdict(&r, "f110a506", "mlw-a/ci-old"),
        "fail"
    );
    assert_eq!(crate::common::verdict(&r, "438c38d2", "mlw-a"), "pass");
    assert_eq!(crate::common::verdict(&r, "438c38d2", "mlw-b"), "fail");
    assert_eq!(crate::common::verdict(&r, "afe0c3be", "mlw-a"), "pass");
    assert_eq!(crate::common::verdict(&r, "afe0c3be", "mlw-b"), "fail");
    assert_eq!(crate::common::verdict(&r, "AMLB-DP6-001", "kv-ml"), "pass");
    // Azure's verdicts beside ours: confirmed on mlw-b, a disagreement on mlw-a.
    let azure = r.azure.as_ref().expect("an Azure comparison");
    assert_eq!((azure.compared, azure.confirmed), (2, 1));
    assert_eq!(azure.disagreements.len(), 1);
    assert_eq!(azure.disagreements[0].rule, "AMLB-POL-438c38d2");
    assert!(azure.disagreements[0]
        .resource_id
        .ends_with("/workspaces/mlw-a"));
    assert_eq!(azure.disagreements[0].azure, "NonCompliant");
    // Written in pieces, the JSON report is the whole report's bytes, its
    // `azure` member included.
    assert_eq!(
        aml_baseline::render::json::render(&r),
        serde_json::to_string_pretty(&r).unwrap() + "\n"
    );
    let b = r
        .results
        .iter()
        .find(|x| x.rule == "AMLB-POL-438c38d2" && x.resource_name == "mlw-b")
        .unwrap();
    let beside = b.azure.as_ref().unwrap();
    assert_eq!(
        (beside.source, beside.state.as_str(), beside.agrees),
        ("azure-policy", "NonCompliant", Some(true))
    );
    // Results Azure says nothing about carry nothing.
    assert!(r
        .results
        .iter()
        .filter(|x| x.rule != "AMLB-POL-438c38d2")
        .all(|x| x.azure.is_none()));
    // The text report says it.
    let o = aml(&server, &["scan", out.to_str().unwrap(), "--no-config"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Azure's own verdicts: 1 of 2 compared results confirmed, 1 disagreement(s)"),
        "{text}"
    );
    assert!(text.contains("AMLB-POL-438c38d2 on /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-a: ours pass, azure-policy says NonCompliant"), "{text}");
}

#[test]
fn scan_live_leaves_no_export_in_the_temporary_directory() {
    let server = estate_server();
    let tmp = tempfile::tempdir().unwrap();
    let o = aml_env(
        &server,
        &[
            "scan",
            "--live",
            "--subscription",
            SUB,
            "--no-config",
            "--backoff-ms",
            "10",
            "--format",
            "json",
        ],
        &[("TMPDIR", tmp.path())],
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report["summary"]["resources"].as_u64().unwrap() > 0,
        "the export was scanned"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_403_names_the_scope_and_the_reader_role() {
    let server = Server::start(|seen, _| {
        if seen.target.starts_with("/msi/token") {
            return token_reply();
        }
        Some((
            403,
            vec![],
            json!({"error": {"code": "AuthorizationFailed",
            "message": "The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read'"}}),
        ))
    });
    let o = aml(&server, &["collect", "--subscription", SUB]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("access denied (403)"), "{e}");
    assert!(e.contains(&format!("subscription {SUB}")), "{e}");
    assert!(e.contains("Reader role"), "{e}");
    assert!(e.contains("AuthorizationFailed"), "{e}");
    assert!(e.contains("managed identity"), "{e}");
}

#[test]
fn a_server_that_never_answers_times_out_after_the_retries() {
    let server = Server::start(|seen, _| {
        if seen.target.starts_with("/msi/token") {
            return token_reply();
        }
        None
    });
    let started = std::time::Instant::now();
    let o = aml(
        &server,
        &[
            "collect",
            "--subscription",
            SUB,
            "--timeout",
            "1",
            "--retries",
            "1",
            "--backoff-ms",
            "10",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("timed out"), "{e}");
    assert!(e.contains("2 attempt(s)"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_management_group_is_queried_as_one_scope() {
    let server = Server::start(|seen, _| {
        if seen.target.starts_with("/msi/token") {
            return token_reply();
        }
        assert!(
            !seen.target.starts_with("/subscriptions?"),
            "no subscription listing for a management group"
        );
        Some((200, vec![], graph_page(vec![], None)))
    });
    let o = aml(&server, &["collect", "--management-group", "mg-ml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let export: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(export["value"], json!([]));
    let seen = server.seen();
    let graph: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.target.contains("ResourceGraph"))
        .collect();
    assert!(!graph.is_empty());
    assert!(graph
        .iter()
        .all(|s| s.body["managementGroups"] == json!(["mg-ml"])
            && s.body.get("subscriptions").is_none()));
}

/// An estate of one workspace whose parts fail as `fail` says: answers by
/// request target and Resource Graph query.
fn one_workspace(seen: &Seen, fail: &str) -> Reply {
    let t = seen.target.as_str();
    if t.starts_with("/msi/token") {
        return token_reply();
    }
    let jwt = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA";
    if t.starts_with("/providers/Microsoft.ResourceGraph/resources") {
        let q = seen.body["query"].as_str().unwrap_or_default();
        if q.contains("microsoft.machinelearningservices/workspaces'") && q.starts_with("resources")
        {
            return Some(match fail {
                "skip-token-loop" => (
                    200,
                    vec![],
                    graph_page(vec![workspace("mlw-a", "Disabled")], Some("c2FtZQ==")),
                ),
                "truncated" => {
                    let mut p = graph_page(vec![workspace("mlw-a", "Disabled")], None);
                    p["resultTruncated"] = json!("true");
                    (200, vec![], p)
                }
                "slow-server" => (
                    429,
                    vec![("retry-after", "300".into())],
                    json!({"error": {"code": "RateLimiting", "message": "wait"}}),
                ),
                "token-echo" => (
                    401,
                    vec![],
                    json!({"error": {"code": "InvalidAuthenticationToken", "message": format!("The access token 'Bearer test-token' is invalid; jwt {jwt}")}}),
                ),
                _ => (
                    200,
                    vec![],
                    graph_page(vec![workspace("mlw-a", "Disabled")], None),
                ),
            });
        }
        return Some((200, vec![], graph_page(vec![], None)));
    }
    if t.contains("/computes?") {
        return Some(match fail {
            "parts" => (
                403,
                vec![],
                json!({"error": {"code": "AuthorizationFailed", "message": "no read on computes"}}),
            ),
            "next-link-loop" => (
                200,
                vec![],
                json!({"value": [], "nextLink": format!("http://BASE{t}")}),
            ),
            _ => (200, vec![], json!({"value": []})),
        });
    }
    if t.contains("/diagnosticSettings?") && fail == "parts" {
        return Some((
            500,
            vec![],
            json!({"error": {"code": "InternalServerError", "message": "boom"}}),
        ));
    }
    Some((200, vec![], json!({"value": []})))
}

/// Serves [`one_workspace`] with `fail`, nextLinks pointing back at the server.
fn failing_server(fail: &'static str) -> Server {
    let base: Arc<Mutex<String>> = Arc::default();
    let b = base.clone();
    let server = Server::start(move |seen, _| {
        let own = b.lock().unwrap().clone();
        one_workspace(seen, fail).map(|(s, h, body)| {
            let text = body.to_string().replace("http://BASE", &own);
            (s, h, serde_json::from_str(&text).unwrap())
        })
    });
    *base.lock().unwrap() = server.base.clone();
    server
}

fn collect_into(server: &Server, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "collect",
        "--subscription",
        SUB,
        "--backoff-ms",
        "10",
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    aml(server, &args)
}

fn incomplete(out: &std::path::Path) -> Vec<Value> {
    let export: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    export["incomplete"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_repeated_skip_token_or_next_link_is_caught_at_once() {
    for (fail, needle, ty) in [
        (
            "skip-token-loop",
            "`$skipToken` `c2FtZQ==` a second time",
            "Microsoft.MachineLearningServices/workspaces",
        ),
        (
            "next-link-loop",
            "`nextLink`",
            "Microsoft.MachineLearningServices/workspaces/computes",
        ),
    ] {
        let server = failing_server(fail);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("estate.json");
        let o = collect_into(&server, &out, &[]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{fail}: {e}");
        assert!(
            e.contains(needle) && e.contains("the export is partial"),
            "{fail}: {e}"
        );
        let gaps = incomplete(&out);
        assert!(
            gaps.iter()
                .any(|g| g["type"] == ty && g["reason"].as_str().unwrap().contains(needle)),
            "{fail}: {gaps:?}"
        );
        // Caught on the first repeat: a handful of requests, not thousands.
        let requests = server
            .seen()
            .iter()
            .filter(|s| !s.target.starts_with("/msi/"))
            .count();
        assert!(requests < 12, "{fail}: {requests} requests");
        let o = collect_into(&server, &out, &["--allow-partial"]);
        assert_eq!(o.status.code(), Some(0), "{fail}: {}", stderr(&o));
    }
}

#[test]
fn a_truncated_resource_graph_result_is_partial() {
    let server = failing_server("truncated");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    let o = collect_into(&server, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let gaps = incomplete(&out);
    assert!(
        gaps.iter()
            .any(|g| g["scope"] == format!("/subscriptions/{SUB}")
                && g["reason"].as_str().unwrap().contains("resultTruncated")),
        "{gaps:?}"
    );
}

#[test]
fn the_deadline_bounds_the_collection_and_retry_after() {
    let server = failing_server("slow-server");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    let started = std::time::Instant::now();
    let o = collect_into(&server, &out, &["--deadline", "3"]);
    let e = stderr(&o);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("deadline (3 s, `--deadline`)") && e.contains("asked to wait 300 s"),
        "{e}"
    );
    assert!(incomplete(&out)
        .iter()
        .all(|g| g["reason"].as_str().unwrap().contains("deadline")));
}

#[test]
fn a_401_echoing_the_token_is_masked() {
    let server = failing_server("token-echo");
    let o = aml(&server, &["collect", "--subscription", SUB]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("refused the token (401)"), "{e}");
    assert!(!e.contains("test-token") && !e.contains("eyJ0eXAi"), "{e}");
    assert!(e.contains("Bearer ***") || e.contains("'***'"), "{e}");
}

/// A 403 on one workspace's computes and a 500 on its diagnostic settings:
/// the rest is collected, the export says what is missing, `collect` exits
/// 2 (0 with --allow-partial), and scans turn the gaps into unknowns and
/// errors (warnings with --allow-partial), also `scan --live`.
#[test]
fn a_partial_collection_is_never_complete() {
    let server = failing_server("parts");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    let o = collect_into(&server, &out, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains(&server.base),
        "no request URL's host in the export"
    );
    let ws = ws_id("mlw-a");
    let gaps = incomplete(&out);
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    let computes = gaps
        .iter()
        .find(|g| g["type"] == "Microsoft.MachineLearningServices/workspaces/computes")
        .unwrap();
    assert_eq!(computes["scope"], ws.as_str());
    let reason = computes["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("--scope {ws}")) && reason.contains("AuthorizationFailed"),
        "{reason}"
    );
    let diag = gaps
        .iter()
        .find(|g| g["type"] == "Microsoft.Insights/diagnosticSettings")
        .unwrap();
    assert!(
        diag["reason"].as_str().unwrap().contains("HTTP 500"),
        "{diag}"
    );

    // scan: unknown for what the missing resources decide, an error, exit 2.
    let o = aml(
        &server,
        &[
            "scan",
            out.to_str().unwrap(),
            "--no-config",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let partial: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "live-export-partial")
        .collect();
    assert_eq!(partial.len(), 2, "{partial:?}");
    assert!(partial
        .iter()
        .all(|d| d["level"] == "error" && d["line"].as_u64().unwrap() > 0));
    let result = |rule: &str, name: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"].as_str().unwrap().contains(rule) && r["resource_name"] == name)
            .map(|r| r["result"].as_str().unwrap().to_string())
    };
    assert_eq!(
        result("f110a506", "mlw-a/not-read").as_deref(),
        Some("unknown")
    );
    assert_eq!(
        result("afe0c3be", "mlw-a").as_deref(),
        Some("unknown"),
        "diagnostic settings unread: not a failure"
    );
    assert_eq!(
        result("438c38d2", "mlw-a").as_deref(),
        Some("pass"),
        "what was read is judged"
    );
    // --allow-partial: warnings, the unknowns stay, exit by the results.
    let o = aml(
        &server,
        &[
            "scan",
            out.to_str().unwrap(),
            "--no-config",
            "--format",
            "json",
            "--allow-partial",
        ],
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(report["summary"]["errors"], 0);
    assert!(report["summary"]["unknown"].as_u64().unwrap() >= 2);
    // scan --live: the same, in one step.
    let o = aml(
        &server,
        &[
            "scan",
            "--live",
            "--subscription",
            SUB,
            "--no-config",
            "--backoff-ms",
            "10",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("live-export-partial"));
    let o = aml(
        &server,
        &[
            "scan",
            "--live",
            "--subscription",
            SUB,
            "--no-config",
            "--backoff-ms",
            "10",
            "--allow-partial",
        ],
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
}
