//! The Azure Policy engine against the shipped built-in definitions and alias
//! catalogue, through the public API only.
//!
//! Expected results follow each definition's rule and Azure Policy's
//! documented semantics (shared/docs/regorus-builtins.md §3); nothing here was
//! run against Azure.

use aml_model::value::Value;
use aml_policy::{
    default_assignment_parameters, Evaluability, NoRelated, OwnedPolicyResource, PolicyEngine,
    PolicyOutcome, RelatedResources,
};
use rayon::prelude::*;
use serde_json::{json, Map, Value as J};

const SCOPE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg";
const WS: &str = "Microsoft.MachineLearningServices/workspaces";
const COMPUTE: &str = "Microsoft.MachineLearningServices/workspaces/computes";
const REGISTRY: &str = "Microsoft.MachineLearningServices/registries";
const ONLINE: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
const PEC: &str = "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections";
const DIAG: &str = "Microsoft.Insights/diagnosticSettings";
const PE: &str = "Microsoft.Network/privateEndpoints";
const ZONES: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
const LAW: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law";
const EH_RULE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/authorizationrules/r";
const STORAGE: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs";

// ---------------------------------------------------------------- helpers

/// A resource deployed in `SCOPE`; `full_name` is `parent/child` for children.
fn resource(rtype: &str, full_name: &str, body: J) -> OwnedPolicyResource {
    let mut parts = rtype.split('/');
    let namespace = parts.next().unwrap();
    let mut id = format!("{SCOPE}/providers/{namespace}");
    for (t, n) in parts.zip(full_name.split('/')) {
        id.push_str(&format!("/{t}/{n}"));
    }
    owned(id, rtype, full_name, body)
}

fn owned(id: String, rtype: &str, full_name: &str, mut body: J) -> OwnedPolicyResource {
    let obj = body.as_object_mut().expect("a resource body is an object");
    obj.insert("type".into(), rtype.into());
    obj.insert("name".into(), full_name.into());
    obj.entry("apiVersion").or_insert("2024-04-01".into());
    OwnedPolicyResource {
        id,
        resource_type: rtype.to_string(),
        full_name: full_name.to_string(),
        api_version: Some("2024-04-01".to_string()),
        location: Some("eastus".to_string()),
        body: Value::from_json(&body),
    }
}

fn workspace(props: J) -> OwnedPolicyResource {
    resource(
        WS,
        "ws",
        json!({"location": "eastus", "kind": "Default", "properties": props}),
    )
}

fn compute(compute_type: &str, props: J, inner: J) -> OwnedPolicyResource {
    let mut props = props;
    props["computeType"] = compute_type.into();
    props["properties"] = inner;
    resource(
        COMPUTE,
        "ws/ci",
        json!({"location": "eastus", "properties": props}),
    )
}

/// A diagnostic setting on `primary`.
fn diag(primary: &OwnedPolicyResource, name: &str, props: J) -> OwnedPolicyResource {
    let id = format!("{}/providers/{DIAG}/{name}", primary.id);
    owned(id, DIAG, name, json!({"properties": props}))
}

fn logs(entries: &[(&str, bool)]) -> J {
    J::Array(
        entries
            .iter()
            .map(|(group, on)| json!({"categoryGroup": group, "enabled": on}))
            .collect(),
    )
}

/// Related resources: the model's resources under the primary's id.
struct Model(Vec<OwnedPolicyResource>);

impl RelatedResources for Model {
    fn related(
        &self,
        primary_id: &str,
        related_type: &str,
        _name: Option<&str>,
    ) -> Vec<OwnedPolicyResource> {
        let prefix = format!("{}/", primary_id.to_ascii_lowercase());
        self.0
            .iter()
            .filter(|r| r.resource_type.eq_ignore_ascii_case(related_type))
            .filter(|r| r.id.to_ascii_lowercase().starts_with(&prefix))
            .cloned()
            .collect()
    }
}

fn engine() -> &'static PolicyEngine {
    PolicyEngine::builtin()
}

/// Index of a shipped definition by its path under `policies/builtin/`.
fn def(path: &str) -> usize {
    let want = format!("builtin/{path}");
    engine()
        .definitions()
        .iter()
        .position(|d| d.source_path == want)
        .unwrap_or_else(|| panic!("no shipped definition {path}"))
}

fn params(v: J) -> Map<String, J> {
    match v {
        J::Object(m) => m,
        _ => Map::new(),
    }
}

fn eval(
    path: &str,
    r: &OwnedPolicyResource,
    p: J,
    related: &[OwnedPolicyResource],
) -> PolicyOutcome {
    engine().evaluate(
        def(path),
        &r.as_resource(),
        &params(p),
        &Model(related.to_vec()),
    )
}

fn ok() -> PolicyOutcome {
    PolicyOutcome::COMPLIANT
}
/// Compliant because `r` met the existence condition.
fn ok_by(r: &OwnedPolicyResource) -> PolicyOutcome {
    PolicyOutcome::Compliant {
        satisfied_by: Some(r.id.clone()),
    }
}
fn na() -> PolicyOutcome {
    PolicyOutcome::NotApplicable
}
fn nc(effect: &str) -> PolicyOutcome {
    PolicyOutcome::NonCompliant {
        effect: effect.to_string(),
    }
}

struct Case {
    def: &'static str,
    note: &'static str,
    resource: OwnedPolicyResource,
    params: J,
    related: Vec<OwnedPolicyResource>,
    want: PolicyOutcome,
}

fn case(
    def: &'static str,
    note: &'static str,
    resource: OwnedPolicyResource,
    want: PolicyOutcome,
) -> Case {
    Case {
        def,
        note,
        resource,
        params: json!({}),
        related: Vec::new(),
        want,
    }
}

impl Case {
    fn params(mut self, p: J) -> Self {
        self.params = p;
        self
    }
    fn related(mut self, r: Vec<OwnedPolicyResource>) -> Self {
        self.related = r;
        self
    }
}

// ------------------------------------------- the 30 ARM-mode built-ins

fn diagnostic_cases() -> Vec<Case> {
    let ws = workspace(json!({}));
    let mut out = Vec::new();

    // AuditDiagnosticLog_Audit: a log stream enabled (with a compliant retention).
    let d = "AuditDiagnosticLog_Audit.json";
    let on = diag(
        &ws,
        "any",
        json!({"workspaceId": LAW,
        "logs": [{"category": "AmlComputeClusterEvent", "enabled": true, "retentionPolicy": {"enabled": false, "days": 0}}],
        "metrics": [{"category": "AllMetrics", "enabled": true}]}),
    );
    let metrics_only = diag(
        &ws,
        "any",
        json!({"workspaceId": LAW,
        "logs": logs(&[("audit", false), ("allLogs", false)]),
        "metrics": [{"category": "AllMetrics", "enabled": true}]}),
    );
    let mixed = diag(
        &ws,
        "any",
        json!({"workspaceId": LAW,
        "logs": logs(&[("audit", false), ("allLogs", true)]),
        "metrics": [{"category": "AllMetrics", "enabled": true}]}),
    );
    out.push(case(d, "logs on", ws.clone(), ok()).related(vec![on]));
    out.push(
        case(d, "metrics only", ws.clone(), nc("AuditIfNotExists")).related(vec![metrics_only]),
    );
    out.push(case(d, "no setting", ws.clone(), nc("AuditIfNotExists")));
    out.push(case(d, "mixed", ws.clone(), ok()).related(vec![mixed]));

    // AuditDiagnosticLog_DINE: legacy aliases logs.enabled / metrics.enabled,
    // setting named by the profileName parameter.
    let d = "AuditDiagnosticLog_DINE.json";
    let profile = "MachineLearningServicesDiagnosticsLogsToWorkspace";
    let p = json!({"logAnalytics": LAW});
    let setting = |logs: J| {
        diag(
            &ws,
            profile,
            json!({"workspaceId": LAW, "logs": logs,
            "metrics": [{"category": "AllMetrics", "enabled": true}]}),
        )
    };
    let all_on = setting(logs(&[("allLogs", true), ("audit", true)]));
    out.push(
        case(d, "logs on", ws.clone(), ok())
            .params(p.clone())
            .related(vec![all_on.clone()]),
    );
    out.push(
        case(d, "metrics only", ws.clone(), nc("DeployIfNotExists"))
            .params(p.clone())
            .related(vec![setting(logs(&[("allLogs", false), ("audit", false)]))]),
    );
    out.push(
        case(d, "mixed", ws.clone(), nc("DeployIfNotExists"))
            .params(p.clone())
            .related(vec![setting(logs(&[("audit", false), ("allLogs", true)]))]),
    );
    out.push(
        case(d, "empty logs", ws.clone(), nc("DeployIfNotExists"))
            .params(p.clone())
            .related(vec![setting(json!([]))]),
    );
    let other_name = diag(
        &ws,
        "mine",
        json!({"workspaceId": LAW,
        "logs": logs(&[("allLogs", true)]), "metrics": [{"category": "AllMetrics", "enabled": true}]}),
    );
    out.push(
        case(
            d,
            "setting with another name",
            ws.clone(),
            nc("DeployIfNotExists"),
        )
        .params(p.clone())
        .related(vec![other_name]),
    );
    out.push(
        case(
            d,
            "not a workspace",
            compute("AmlCompute", json!({}), json!({})),
            na(),
        )
        .params(p),
    );

    out.extend(diagnostic_setting_cases(&ws));
    out
}

/// DS_{EH,LA,ST} for registries, workspaces and online endpoints, and the
/// multi-type diagnostic-settings definitions.
fn diagnostic_setting_cases(ws: &OwnedPolicyResource) -> Vec<Case> {
    let ws = ws.clone();
    let mut out = Vec::new();

    // DS_{EH,LA,ST} for registries, workspaces and online endpoints.
    let targets: [(&str, OwnedPolicyResource, bool); 3] = [
        (
            "registries",
            resource(
                REGISTRY,
                "reg",
                json!({"location": "eastus", "properties": {}}),
            ),
            true,
        ),
        ("workspaces", ws.clone(), true),
        (
            "workspaces-onlineendpoints",
            resource(
                ONLINE,
                "ws/ep",
                json!({"location": "eastus", "properties": {}}),
            ),
            false,
        ),
    ];
    let sinks = [
        (
            "EH",
            json!({"eventHubAuthorizationRuleId": EH_RULE, "eventHubName": "Monitoring", "resourceLocation": "eastus"}),
            json!({"eventHubAuthorizationRuleId": EH_RULE, "eventHubName": "Monitoring"}),
        ),
        (
            "LA",
            json!({"logAnalytics": LAW}),
            json!({"workspaceId": LAW}),
        ),
        (
            "ST",
            json!({"storageAccount": STORAGE, "resourceLocation": "eastus"}),
            json!({"storageAccountId": STORAGE}),
        ),
    ];
    for (sink, sink_params, dest) in &sinks {
        for (target, primary, has_audit_group) in &targets {
            let d: &'static str = Box::leak(
                format!("monitoring/DS_{sink}_machinelearningservices-{target}_DINE.json")
                    .into_boxed_str(),
            );
            let mut p = sink_params.clone();
            p["categoryGroup"] = "allLogs".into();
            let deployed_logs = if *has_audit_group {
                logs(&[("audit", false), ("allLogs", true)])
            } else {
                logs(&[("allLogs", true)])
            };
            let mut as_deployed = dest.clone();
            as_deployed["logs"] = deployed_logs;
            as_deployed["metrics"] = json!([]);
            let mut metrics_only = dest.clone();
            metrics_only["logs"] = logs(&[("audit", false), ("allLogs", false)]);
            metrics_only["metrics"] = json!([{"category": "AllMetrics", "enabled": true}]);
            out.push(
                case(d, "as deployed", primary.clone(), ok())
                    .params(p.clone())
                    .related(vec![diag(primary, "setByPolicy", as_deployed)]),
            );
            out.push(
                case(d, "metrics only", primary.clone(), nc("DeployIfNotExists"))
                    .params(p.clone())
                    .related(vec![diag(primary, "setByPolicy", metrics_only)]),
            );
        }
    }

    // multi-type/DiagnosticSettingsExistsAudit_Audit (workspaces are in its default list).
    let d = "multi-type/DiagnosticSettingsExistsAudit_Audit.json";
    let all_logs = diag(&ws, "s", json!({"logs": logs(&[("allLogs", true)])}));
    let metrics_only = diag(
        &ws,
        "s",
        json!({"logs": logs(&[("allLogs", false)]),
        "metrics": [{"category": "AllMetrics", "enabled": true}]}),
    );
    out.push(case(d, "logs on", ws.clone(), ok()).related(vec![all_logs]));
    out.push(
        case(d, "metrics only", ws.clone(), nc("AuditIfNotExists")).related(vec![metrics_only]),
    );

    // multi-type/DiagnosticSettingsForTypes_Audit: legacy aliases at the top level.
    let d = "multi-type/DiagnosticSettingsForTypes_Audit.json";
    let p = json!({"listOfResourceTypes": [WS]});
    let setting = |logs: J, metrics_on: bool| {
        diag(
            &ws,
            "s",
            json!({"logs": logs, "metrics": [{"category": "AllMetrics", "enabled": metrics_on}]}),
        )
    };
    out.push(
        case(d, "logs on", ws.clone(), ok())
            .params(p.clone())
            .related(vec![setting(
                logs(&[("audit", true), ("allLogs", true)]),
                true,
            )]),
    );
    out.push(
        case(d, "metrics only", ws.clone(), nc("AuditIfNotExists"))
            .params(p.clone())
            .related(vec![setting(
                logs(&[("audit", false), ("allLogs", false)]),
                true,
            )]),
    );
    out.push(
        case(d, "mixed", ws.clone(), nc("AuditIfNotExists"))
            .params(p.clone())
            .related(vec![setting(
                logs(&[("audit", false), ("allLogs", true)]),
                true,
            )]),
    );
    out.push(
        case(d, "empty logs", ws.clone(), nc("AuditIfNotExists"))
            .params(p.clone())
            .related(vec![setting(json!([]), true)]),
    );
    out.push(
        case(
            d,
            "type not listed",
            compute("AmlCompute", json!({}), json!({})),
            na(),
        )
        .params(p),
    );
    out
}

fn compute_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let d = "ComputeInstanceUpdates_Audit.json";
    let ci = |latest: bool| {
        compute(
            "ComputeInstance",
            json!({}),
            json!({"osImageMetadata": {"isLatestOsImageVersion": latest}}),
        )
    };
    out.push(case(d, "outdated image", ci(false), nc("Audit")));
    out.push(case(d, "latest image", ci(true), ok()));
    out.push(case(d, "a workspace", workspace(json!({})), na()));

    for (d, effect) in [
        ("DisableLocalAuth_Audit.json", "Audit"),
        ("DisableLocalAuth_Modify.json", "Modify"),
    ] {
        let c = |v: J| compute("AmlCompute", json!({"disableLocalAuth": v}), json!({}));
        out.push(case(d, "local auth on", c(json!(false)), nc(effect)));
        out.push(case(d, "local auth off", c(json!(true)), ok()));
        out.push(case(
            d,
            "absent",
            compute("ComputeInstance", json!({}), json!({})),
            nc(effect),
        ));
        out.push(case(
            d,
            "Kubernetes compute",
            compute("Kubernetes", json!({}), json!({})),
            ok(),
        ));
        out.push(case(d, "a workspace", workspace(json!({})), na()));
    }

    let d = "IdleShutdown_Audit.json";
    out.push(case(
        d,
        "no idle shutdown",
        compute("ComputeInstance", json!({}), json!({})),
        nc("Audit"),
    ));
    out.push(case(
        d,
        "idle shutdown set",
        compute(
            "ComputeInstance",
            json!({}),
            json!({"idleTimeBeforeShutdown": "PT30M"}),
        ),
        ok(),
    ));

    let d = "Vnet_Audit.json";
    out.push(case(
        d,
        "no subnet",
        compute("AmlCompute", json!({}), json!({})),
        nc("Audit"),
    ));
    out.push(case(
        d,
        "subnet set",
        compute(
            "AmlCompute",
            json!({}),
            json!({"subnet": {"id": "/subscriptions/s/subnets/a"}}),
        ),
        ok(),
    ));
    out.push(case(
        d,
        "subnet set, other key casing",
        compute(
            "AmlCompute",
            json!({}),
            json!({"Subnet": {"Id": "/subscriptions/s/subnets/a"}}),
        ),
        ok(),
    ));
    out
}

fn workspace_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let d = "ManagedNetworkIsolationMode_Audit.json";
    let p = J::Object(default_assignment_parameters("6ddb1705"));
    let mode = |m: &str| workspace(json!({"managedNetwork": {"isolationMode": m}}));
    out.push(
        case(
            d,
            "approved outbound only",
            mode("AllowOnlyApprovedOutbound"),
            ok(),
        )
        .params(p.clone()),
    );
    out.push(
        case(
            d,
            "internet outbound",
            mode("AllowInternetOutbound"),
            nc("Audit"),
        )
        .params(p.clone()),
    );
    out.push(case(d, "no managed network", workspace(json!({})), nc("Audit")).params(p));

    for d in [
        "Workspace_CMKEnabled_Audit.json",
        "Workspace_CMKEnabled_Audit_V2.json",
    ] {
        let effect = if d.ends_with("V2.json") {
            "AuditIfNotExists"
        } else {
            "Audit"
        };
        out.push(case(
            d,
            "CMK enabled",
            workspace(json!({"encryption": {"status": "Enabled"}})),
            ok(),
        ));
        out.push(case(d, "no CMK", workspace(json!({})), nc(effect)));
        let project = resource(
            WS,
            "ws",
            json!({"location": "eastus", "kind": "Project", "properties": {}}),
        );
        out.push(case(d, "a project workspace", project, na()));
    }

    let d = "Workspace_EnableV1LegacyMode_Audit.json";
    out.push(case(
        d,
        "legacy mode on",
        workspace(json!({"v1LegacyMode": true})),
        ok(),
    ));
    out.push(case(
        d,
        "legacy mode off",
        workspace(json!({"v1LegacyMode": false})),
        nc("Audit"),
    ));

    for d in [
        "Workspace_PrivateEndpoint_Audit.json",
        "Workspace_PrivateEndpoint_Audit_V2.json",
    ] {
        let approved = workspace(json!({"privateEndpointConnections": [
            {"name": "pe", "properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}]}));
        let pending = workspace(json!({"privateEndpointConnections": [
            {"name": "pe", "properties": {"privateLinkServiceConnectionState": {"status": "Pending"}}}]}));
        out.push(case(d, "approved connection", approved, ok()));
        out.push(case(d, "pending connection", pending, nc("Audit")));
        out.push(case(d, "no connections", workspace(json!({})), nc("Audit")));
    }

    out.extend(workspace_network_cases());
    out
}

/// The DINE definitions on workspaces: private endpoints, private DNS zones,
/// and user-assigned identities.
fn workspace_network_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let d = "Workspace_PrivateEndpoint_DINE.json";
    let p = json!({"privateEndpointSubnetId": "/subscriptions/s/subnets/pe"});
    let ws = workspace(json!({}));
    let conn = |status: &str| {
        resource(
            PEC,
            "ws/conn",
            json!({"properties": {"privateLinkServiceConnectionState": {"status": status}}}),
        )
    };
    out.push(
        case(d, "approved connection", ws.clone(), ok())
            .params(p.clone())
            .related(vec![conn("Approved")]),
    );
    out.push(
        case(d, "pending connection", ws.clone(), nc("DeployIfNotExists"))
            .params(p.clone())
            .related(vec![conn("Pending")]),
    );
    out.push(case(d, "no connection", ws.clone(), nc("DeployIfNotExists")).params(p));

    let d = "Workspace_PrivateDnsZones_DINE.json";
    let p =
        json!({"privateDnsZoneId": "/subscriptions/s/privateDnsZones/privatelink.api.azureml.ms"});
    let pe = |group: &str| {
        resource(
            PE,
            "pe",
            json!({"location": "eastus", "properties": {
            "subnet": {"id": "/subscriptions/s/subnets/pe"},
            "privateLinkServiceConnections": [{"name": "c", "properties": {
                "privateLinkServiceId": format!("{SCOPE}/providers/{WS}/ws"), "groupIds": [group]}}]}}),
        )
    };
    let aml = pe("amlworkspace");
    let zone_group = resource(
        ZONES,
        "pe/default",
        json!({"properties": {"privateDnsZoneConfigs": [
        {"name": "c", "properties": {"privateDnsZoneId": "/subscriptions/s/privateDnsZones/privatelink.api.azureml.ms"}}]}}),
    );
    out.push(
        case(d, "zone group", aml.clone(), ok())
            .params(p.clone())
            .related(vec![zone_group]),
    );
    out.push(case(d, "no zone group", aml, nc("DeployIfNotExists")).params(p.clone()));
    out.push(case(d, "a blob endpoint", pe("blob"), na()).params(p));

    for (d, effect) in [
        ("Workspace_PublicNetworkAccessDisabled_Audit.json", "Audit"),
        (
            "Workspace_PublicNetworkAccessDisabled_Modify.json",
            "Modify",
        ),
        (
            "azure-government/Workspace_PublicNetworkAccessDisabled_Modify.json",
            "Modify",
        ),
    ] {
        let pna = |v: &str| workspace(json!({"publicNetworkAccess": v}));
        out.push(case(d, "disabled", pna("Disabled"), ok()));
        out.push(case(d, "disabled, lower case", pna("disabled"), ok()));
        out.push(case(d, "enabled", pna("Enabled"), nc(effect)));
        out.push(case(d, "absent", workspace(json!({})), nc(effect)));
        out.push(case(
            d,
            "a compute",
            compute("AmlCompute", json!({}), json!({})),
            na(),
        ));
    }

    let d = "Workspace_UAIEnabled_Audit.json";
    let uai = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id";
    out.push(case(
        d,
        "user-assigned identity",
        workspace(json!({"primaryUserAssignedIdentity": uai})),
        ok(),
    ));
    out.push(case(
        d,
        "no user-assigned identity",
        workspace(json!({})),
        nc("Audit"),
    ));
    out.push(case(
        d,
        "empty",
        workspace(json!({"primaryUserAssignedIdentity": ""})),
        nc("Audit"),
    ));
    out
}

/// Every ARM-mode built-in, with compliant and non-compliant resource shapes.
#[test]
fn builtin_definitions_agree_with_azure() {
    let cases: Vec<Case> = [diagnostic_cases(), compute_cases(), workspace_cases()]
        .into_iter()
        .flatten()
        .collect();
    let mut failures = Vec::new();
    for c in &cases {
        let got = eval(c.def, &c.resource, c.params.clone(), &c.related);
        if !got.same_verdict(&c.want) {
            failures.push(format!(
                "{} / {}: want {:?}, got {:?}",
                c.def, c.note, c.want, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Each evaluable built-in has at least one compliant and one non-compliant case.
    for d in engine().definitions() {
        if d.evaluable != Evaluability::Evaluable {
            continue;
        }
        let path = d.source_path.trim_start_matches("builtin/");
        if path.starts_with("alz/") || path.starts_with("data-plane/") {
            // Their cases are in policies/builtin/**/NAME.tests.yaml (run
            // by aml-policytest's every_builtin_definition test).
            continue;
        }
        let of_def: Vec<&Case> = cases.iter().filter(|c| c.def == path).collect();
        assert!(
            of_def.iter().any(|c| c.want.same_verdict(&ok())),
            "{path}: no compliant case"
        );
        assert!(
            of_def
                .iter()
                .any(|c| matches!(c.want, PolicyOutcome::NonCompliant { .. })),
            "{path}: no non-compliant case"
        );
    }
}

// ------------------------------------------------------- engine behaviour

const PNA: &str = "Workspace_PublicNetworkAccessDisabled_Audit.json";

#[test]
fn definitions_are_listed_with_metadata() {
    let e = engine();
    assert_eq!(e.definitions().len(), 47);
    let (i, d) = e.definition("438c38d2").expect("by prefix");
    assert_eq!(i, def(PNA));
    assert_eq!(d.name, "438c38d2-3772-465a-a9cc-7a6666a275ce");
    assert_eq!(
        d.display_name,
        "Azure Machine Learning Workspaces should disable public network access"
    );
    assert_eq!(d.mode, "Indexed");
    assert_eq!(d.version.as_deref(), Some("2.0.1"));
    assert_eq!(d.default_effect, "Audit");
    assert_eq!(d.resource_types, vec![WS.to_string()]);
    assert_eq!(d.fields, vec![format!("{WS}/publicNetworkAccess")]);
    assert!(e
        .definition("438C38D2-3772-465A-A9CC-7A6666A275CE")
        .is_some());
    assert!(e.definition("438c38d").is_none());
    // The public-cloud copy of a10ee784 comes before the Azure Government one.
    let (_, gov) = e.definition("a10ee784").unwrap();
    assert_eq!(
        gov.source_path,
        "builtin/Workspace_PublicNetworkAccessDisabled_Modify.json"
    );
    let (_, dine) = e.definition("f59276f0").unwrap();
    assert_eq!(dine.default_effect, "DeployIfNotExists");
}

#[test]
fn field_paths_map_aliases_to_arm_paths() {
    let e = engine();
    assert_eq!(
        e.field_paths(def(PNA), WS, Some("2024-04-01")),
        vec!["properties.publicNetworkAccess"]
    );
    assert!(e.field_paths(def(PNA), COMPUTE, None).is_empty());
    assert_eq!(
        e.field_paths(def("Vnet_Audit.json"), COMPUTE, None),
        vec!["properties.computeType", "properties.properties.subnet.id"]
    );
    let cmk = def("Workspace_CMKEnabled_Audit.json");
    assert_eq!(
        e.field_paths(cmk, WS, None),
        vec!["properties.encryption.status", "kind"]
    );
    let dine = def("AuditDiagnosticLog_DINE.json");
    assert_eq!(
        e.field_paths(dine, DIAG, None),
        vec![
            "properties.logs[*].enabled",
            "properties.metrics[*].enabled",
            "properties.workspaceId"
        ]
    );
}

#[test]
fn data_plane_definitions_are_listed_but_not_evaluable() {
    let e = engine();
    let data: Vec<_> = e
        .definitions()
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.evaluable, Evaluability::DataPlane { .. }))
        .collect();
    // The registry-model mode (v2.Data) is evaluated on deployments; the
    // six of Microsoft.MachineLearningServices.Data are not.
    assert_eq!(data.len(), 6);
    for (i, d) in data {
        assert!(d.mode.ends_with("Services.Data"), "{}", d.mode);
        let r = workspace(json!({}));
        assert_eq!(
            e.evaluate(i, &r.as_resource(), &Map::new(), &NoRelated),
            na()
        );
    }
}

/// The registry-model definitions read an online deployment's model, with
/// the assignment's parameters; the publisher is never in the files.
#[test]
fn registry_model_definitions_read_the_deployment_model() {
    let e = engine();
    let deny = e.definition("19539b54").unwrap().0;
    let audit = e.definition("12e5dd16").unwrap().0;
    let deployment = |model: &str| {
        OwnedPolicyResource {
        id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e/deployments/d".into(),
        resource_type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments".into(),
        full_name: "w/e/d".into(),
        api_version: Some("2024-04-01".into()),
        location: None,
        body: Value::from_json(&json!({"properties": {"model": model}})),
    }
    };
    let params = |v: serde_json::Value| v.as_object().unwrap().clone();
    let meta = deployment("azureml://registries/azureml-meta/models/Llama-2-7b/versions/3");
    let own = deployment("azureml://registries/contoso/models/chat/versions/1");
    let allowed = params(json!({"effect": "Deny", "allowedRegistryName": "contoso"}));
    assert_eq!(
        e.evaluate(deny, &meta.as_resource(), &allowed, &NoRelated),
        nc("Deny")
    );
    assert!(e
        .evaluate(deny, &own.as_resource(), &allowed, &NoRelated)
        .same_verdict(&ok()));
    // Approved publishers: whether Meta's model is approved depends on its publisher.
    let publishers = params(json!({"allowedPublishers": ["Microsoft"]}));
    match e.evaluate(audit, &meta.as_resource(), &publishers, &NoRelated) {
        PolicyOutcome::Unknown { deciding } => {
            assert!(deciding[0].contains("publisher"), "{deciding:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.field_paths(deny, &meta.resource_type, None),
        vec!["properties.model.assetId", "properties.model"]
    );
}

#[test]
fn effect_parameter() {
    let r = workspace(json!({"publicNetworkAccess": "Enabled"}));
    assert_eq!(eval(PNA, &r, json!({"effect": "Deny"}), &[]), nc("Deny"));
    assert_eq!(eval(PNA, &r, json!({"effect": "deny"}), &[]), nc("Deny"));
    assert_eq!(eval(PNA, &r, json!({"effect": "Disabled"}), &[]), na());
    match eval(PNA, &r, json!({"effect": "Bogus"}), &[]) {
        PolicyOutcome::Error { message } => {
            assert!(message.contains("allowed values"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A disabled lookup never asks for related resources.
    let ws = workspace(json!({}));
    let d = "AuditDiagnosticLog_Audit.json";
    assert_eq!(eval(d, &ws, json!({"effect": "Disabled"}), &[]), na());
}

#[test]
fn required_parameters() {
    let ws = workspace(json!({}));
    match eval("AuditDiagnosticLog_DINE.json", &ws, json!({}), &[]) {
        PolicyOutcome::Error { message } => {
            assert!(message.contains("'logAnalytics'"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // Not applicable whatever the parameter: no error for other types.
    let c = compute("AmlCompute", json!({}), json!({}));
    assert_eq!(
        eval("AuditDiagnosticLog_DINE.json", &c, json!({}), &[]),
        na()
    );
    // The parameter decides applicability: an error for every type.
    match eval(
        "multi-type/DiagnosticSettingsForTypes_Audit.json",
        &c,
        json!({}),
        &[],
    ) {
        PolicyOutcome::Error { message } => {
            assert!(message.contains("'listOfResourceTypes'"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

/// 6ddb1705: the product's assignment parameter versus the built-in default.
#[test]
fn managed_network_assignment_parameter() {
    let p = default_assignment_parameters("6ddb1705-c8cf-450e-aa4b-19ad6703c440");
    assert_eq!(
        p.get("isolationMode"),
        Some(&json!("AllowOnlyApprovedOutbound"))
    );
    assert!(default_assignment_parameters(PNA).is_empty());
    let d = "ManagedNetworkIsolationMode_Audit.json";
    // Azure reports `isolationMode: Disabled` for a workspace without a managed
    // network: the built-in's own default passes it, the product's does not.
    let none = workspace(json!({"managedNetwork": {"isolationMode": "Disabled"}}));
    assert_eq!(eval(d, &none, json!({}), &[]), ok());
    assert_eq!(eval(d, &none, J::Object(p), &[]), nc("Audit"));
    // Absent from the files: non-compliant either way (absent notEquals X is true).
    let absent = workspace(json!({}));
    assert_eq!(eval(d, &absent, json!({}), &[]), nc("Audit"));
}

#[test]
fn unknown_read_value_is_unknown() {
    let expr = "[parameters('publicNetworkAccess')]";
    let r = workspace(json!({}));
    let mut r2 = r.clone();
    set(
        &mut r2.body,
        &["properties", "publicNetworkAccess"],
        Value::unknown(expr, "no value"),
    );
    assert_eq!(
        eval(PNA, &r2, json!({}), &[]),
        PolicyOutcome::Unknown {
            deciding: vec![expr.to_string()]
        }
    );
    // Unknown at a path the definition does not read: decided.
    let mut r3 = workspace(json!({"publicNetworkAccess": "Disabled"}));
    set(
        &mut r3.body,
        &["properties", "description"],
        Value::unknown("[parameters('d')]", "no value"),
    );
    set(
        &mut r3.body,
        &["tags"],
        Value::unknown("[parameters('tags')]", "no value"),
    );
    assert_eq!(eval(PNA, &r3, json!({}), &[]), ok());
    // The same unknown, not read by a compute definition.
    assert_eq!(eval("Vnet_Audit.json", &r2, json!({}), &[]), na());
}

#[test]
fn unknown_kind_decides_applicability() {
    let mut r = workspace(json!({}));
    set(
        &mut r.body,
        &["kind"],
        Value::unknown("[parameters('kind')]", "no value"),
    );
    assert_eq!(
        eval("Workspace_CMKEnabled_Audit.json", &r, json!({}), &[]),
        PolicyOutcome::Unknown {
            deciding: vec!["[parameters('kind')]".to_string()]
        }
    );
}

#[test]
fn unknown_above_a_read_path() {
    // The whole privateEndpointConnections array is unknown.
    let mut r = workspace(json!({}));
    set(
        &mut r.body,
        &["properties", "privateEndpointConnections"],
        Value::unknown("[variables('pecs')]", "no value"),
    );
    assert_eq!(
        eval("Workspace_PrivateEndpoint_Audit.json", &r, json!({}), &[]),
        PolicyOutcome::Unknown {
            deciding: vec!["[variables('pecs')]".to_string()]
        }
    );
}

#[test]
fn unknown_in_a_related_resource() {
    let ws = workspace(json!({}));
    let mut setting = diag(&ws, "s", json!({"logs": logs(&[("allLogs", true)])}));
    set(
        &mut setting.body,
        &["properties", "logs"],
        Value::unknown("[variables('logs')]", "no value"),
    );
    assert_eq!(
        eval(
            "multi-type/DiagnosticSettingsExistsAudit_Audit.json",
            &ws,
            json!({}),
            &[setting]
        ),
        PolicyOutcome::Unknown {
            deciding: vec!["[variables('logs')]".to_string()]
        }
    );
}

#[test]
fn too_many_unknowns_is_unknown() {
    let mut r = compute("AmlCompute", json!({}), json!({}));
    for (i, path) in [
        &["properties", "computeType"][..],
        &["properties", "disableLocalAuth"][..],
        &["kind"][..],
    ]
    .iter()
    .enumerate()
    {
        set(
            &mut r.body,
            path,
            Value::unknown(format!("[parameters('p{i}')]"), "no value"),
        );
    }
    match eval("DisableLocalAuth_Audit.json", &r, json!({}), &[]) {
        PolicyOutcome::Unknown { deciding } => {
            assert!(
                deciding.contains(&"[parameters('p1')]".to_string()),
                "{deciding:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn lookups_with_zero_one_two_candidates() {
    let d = "multi-type/DiagnosticSettingsExistsAudit_Audit.json";
    let ws = workspace(json!({}));
    let off = diag(&ws, "off", json!({"logs": logs(&[("allLogs", false)])}));
    let on = diag(&ws, "on", json!({"logs": logs(&[("allLogs", true)])}));
    let elsewhere = {
        let other = resource(WS, "other", json!({"properties": {}}));
        diag(&other, "on", json!({"logs": logs(&[("allLogs", true)])}))
    };
    assert_eq!(eval(d, &ws, json!({}), &[]), nc("AuditIfNotExists"));
    assert_eq!(
        eval(d, &ws, json!({}), std::slice::from_ref(&on)),
        ok_by(&on)
    );
    assert_eq!(
        eval(d, &ws, json!({}), std::slice::from_ref(&off)),
        nc("AuditIfNotExists")
    );
    assert_eq!(
        eval(d, &ws, json!({}), &[off.clone(), on.clone()]),
        ok_by(&on)
    );
    assert_eq!(
        eval(d, &ws, json!({}), &[off.clone(), off]),
        nc("AuditIfNotExists")
    );
    assert_eq!(
        eval(d, &ws, json!({}), &[elsewhere]),
        nc("AuditIfNotExists")
    );
}

/// The CMK v2 definition looks up the workspace itself (`details.type` is
/// workspaces, `details.name` is `[field('name')]`): no related resource needed.
#[test]
fn cmk_v2_looks_up_the_workspace_itself() {
    struct Refuse;
    impl RelatedResources for Refuse {
        fn related(&self, _: &str, t: &str, _: Option<&str>) -> Vec<OwnedPolicyResource> {
            panic!("unexpected lookup of {t}")
        }
    }
    let e = engine();
    let d = def("Workspace_CMKEnabled_Audit_V2.json");
    let on = workspace(json!({"encryption": {"status": "Enabled"}}));
    let off = workspace(json!({"encryption": {"status": "Disabled"}}));
    // The workspace is its own related resource.
    assert_eq!(
        e.evaluate(d, &on.as_resource(), &Map::new(), &Refuse),
        ok_by(&on)
    );
    assert_eq!(
        e.evaluate(d, &off.as_resource(), &Map::new(), &Refuse),
        nc("AuditIfNotExists")
    );
}

/// Legacy array aliases (`logs.enabled`, `metrics.enabled`) mean "every member".
#[test]
fn legacy_array_aliases() {
    let d = "multi-type/DiagnosticSettingsForTypes_Audit.json";
    let p = json!({"listOfResourceTypes": [WS]});
    let ws = workspace(json!({}));
    let with = |logs: J, metrics: J| diag(&ws, "s", json!({"logs": logs, "metrics": metrics}));
    let metrics_on = json!([{"category": "AllMetrics", "enabled": true}]);
    let check = |logs: J, metrics: J, want: PolicyOutcome| {
        let got = eval(d, &ws, p.clone(), &[with(logs.clone(), metrics.clone())]);
        assert!(got.same_verdict(&want), "{logs} {metrics}: {got:?}");
    };
    check(
        logs(&[("audit", true), ("allLogs", true)]),
        metrics_on.clone(),
        ok(),
    );
    check(
        logs(&[("audit", false), ("allLogs", false)]),
        metrics_on.clone(),
        nc("AuditIfNotExists"),
    );
    check(
        logs(&[("audit", false), ("allLogs", true)]),
        metrics_on.clone(),
        nc("AuditIfNotExists"),
    );
    // Decision: an empty logs array enables no log (azure-policy#1369).
    check(json!([]), metrics_on.clone(), nc("AuditIfNotExists"));
    check(
        logs(&[("allLogs", true)]),
        json!([{"category": "AllMetrics", "enabled": false}]),
        nc("AuditIfNotExists"),
    );
    // With logsEnabled = false, the condition reads "every log is off".
    let p_off = json!({"listOfResourceTypes": [WS], "logsEnabled": false});
    let setting = with(logs(&[("audit", false)]), metrics_on.clone());
    assert_eq!(
        eval(d, &ws, p_off, std::slice::from_ref(&setting)),
        ok_by(&setting)
    );
}

#[test]
fn property_names_are_case_insensitive() {
    let r = resource(
        WS,
        "ws",
        json!({"Location": "eastus", "Properties": {"PublicNetworkAccess": "Disabled"}}),
    );
    assert_eq!(eval(PNA, &r, json!({}), &[]), ok());
    let c = resource(
        COMPUTE,
        "ws/ci",
        json!({"properties": {"ComputeType": "ComputeInstance", "Properties": {"IdleTimeBeforeShutdown": "PT20M"}}}),
    );
    assert_eq!(eval("IdleShutdown_Audit.json", &c, json!({}), &[]), ok());
}

#[test]
fn not_applicable_to_other_types() {
    let storage = resource(
        "Microsoft.Storage/storageAccounts",
        "st",
        json!({"location": "eastus", "properties": {"publicNetworkAccess": "Enabled"}}),
    );
    let e = engine();
    for (i, d) in e.definitions().iter().enumerate() {
        if d.evaluable != Evaluability::Evaluable
            || d.source_path.contains("DiagnosticSettingsForTypes")
        {
            continue;
        }
        let p = match d.name.as_str() {
            "f59276f0-5740-4aaf-821d-45d185aa210e" => json!({"logAnalytics": LAW}),
            _ => {
                json!({"logAnalytics": LAW, "eventHubAuthorizationRuleId": EH_RULE, "resourceLocation": "eastus",
                "storageAccount": STORAGE, "privateDnsZoneId": "z", "privateEndpointSubnetId": "s"})
            }
        };
        assert_eq!(
            e.evaluate(i, &storage.as_resource(), &params(p), &NoRelated),
            na(),
            "{}",
            d.source_path
        );
    }
}

/// A definition keeps the effective parameters of the first values it is
/// evaluated with; other values, and those first values again, must still
/// give their own outcomes.
#[test]
fn kept_parameters_follow_the_values_given() {
    let text = r#"{"name": "kept", "properties": {"mode": "All",
      "parameters": {
        "effect": {"type": "String", "defaultValue": "Audit", "allowedValues": ["Audit", "Deny", "Disabled"]},
        "wanted": {"type": "String"}},
      "policyRule": {"if": {"allOf": [
        {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
        {"field": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess", "notEquals": "[parameters('wanted')]"}]},
      "then": {"effect": "[parameters('effect')]"}}}}"#;
    let (e, errors) = PolicyEngine::from_definitions(vec![("mine/kept.json".into(), text.into())]);
    assert!(errors.is_empty(), "{errors:?}");
    let ws = resource(
        "Microsoft.MachineLearningServices/workspaces",
        "w",
        json!({"location": "eastus", "properties": {"publicNetworkAccess": "Enabled"}}),
    );
    let run = |p: J| e.evaluate(0, &ws.as_resource(), &params(p), &NoRelated);
    let disabled = json!({"wanted": "Disabled"});
    assert_eq!(run(disabled.clone()), nc("Audit"));
    assert_eq!(run(json!({"wanted": "Enabled"})), ok());
    assert_eq!(
        run(json!({"wanted": "Disabled", "effect": "Deny"})),
        nc("Deny")
    );
    assert_eq!(
        run(json!({"wanted": "Disabled", "effect": "Disabled"})),
        na()
    );
    assert!(matches!(
        run(json!({"effect": "Deny"})),
        PolicyOutcome::Error { message } if message.contains("'wanted'")
    ));
    assert!(matches!(
        run(json!({"wanted": "Disabled", "effect": "Nope"})),
        PolicyOutcome::Error { message } if message.contains("allowed values")
    ));
    // The first values again: the kept parameters.
    assert_eq!(run(disabled), nc("Audit"));
}

#[test]
fn user_definitions() {
    let good = r#"{"name": "custom-1", "properties": {"displayName": "Custom", "mode": "All",
      "policyRule": {"if": {"allOf": [
        {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
        {"field": "kind", "equals": "Hub"},
        {"field": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess", "notEquals": "Disabled"}]},
      "then": {"effect": "deny"}}}}"#;
    let type_and_kind = r#"{"properties": {"mode": "All", "policyRule": {"if": {"allOf": [
        {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
        {"field": "kind", "equals": "Hub"}]}, "then": {"effect": "audit"}}}}"#;
    let syntax = "{\"properties\": {\n  \"mode\": \"All\",\n  \"policyRule\": {\"if\": {}, }\n}}";
    let grammar = "{\"properties\": {\"mode\": \"All\", \"policyRule\": {\n  \"if\": {\"field\": \"type\", \"equalz\": \"x\"},\n  \"then\": {\"effect\": \"audit\"}}}}";
    let unknown_alias = "{\"properties\": {\"mode\": \"All\", \"policyRule\": {\n  \"if\": {\"field\": \"Microsoft.MachineLearningServices/workspaces/noSuchThing\", \"equals\": \"x\"},\n  \"then\": {\"effect\": \"audit\"}}}}";
    let indexed_child = r#"{"properties": {"mode": "Indexed", "policyRule": {"if":
        {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections"},
        "then": {"effect": "audit"}}}}"#;
    let (e, errors) = PolicyEngine::from_definitions(vec![
        ("mine/good.json".into(), good.into()),
        ("mine/type-and-kind.json".into(), type_and_kind.into()),
        ("mine/syntax.json".into(), syntax.into()),
        ("mine/grammar.json".into(), grammar.into()),
        ("mine/alias.json".into(), unknown_alias.into()),
        ("mine/indexed.json".into(), indexed_child.into()),
    ]);
    let names: Vec<&str> = e.definitions().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["custom-1", "type-and-kind", "alias", "indexed"]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(
        (errors[0].path.as_str(), errors[0].line, errors[0].col),
        ("mine/syntax.json", 3, 28),
        "{}",
        errors[0]
    );
    assert_eq!(
        (errors[1].path.as_str(), errors[1].line),
        ("mine/grammar.json", 2),
        "{}",
        errors[1]
    );
    assert!(errors[1].message.contains("equalz"), "{}", errors[1]);
    assert_eq!(
        (errors[2].path.as_str(), errors[2].line),
        ("mine/alias.json", 2),
        "{}",
        errors[2]
    );
    assert!(errors[2].message.contains("noSuchThing"), "{}", errors[2]);
    assert!(matches!(
        e.definitions()[2].evaluable,
        Evaluability::CompileError { .. }
    ));

    let hub = |pna: &str| {
        resource(
            WS,
            "ws",
            json!({"kind": "Hub", "properties": {"publicNetworkAccess": pna}}),
        )
    };
    let default_kind = resource(
        WS,
        "ws",
        json!({"kind": "Default", "properties": {"publicNetworkAccess": "Enabled"}}),
    );
    let run = |i: usize, r: &OwnedPolicyResource| {
        e.evaluate(i, &r.as_resource(), &Map::new(), &NoRelated)
    };
    assert_eq!(run(0, &hub("Enabled")), nc("Deny"));
    assert_eq!(run(0, &hub("Disabled")), ok());
    // type, kind and other conditions: kind decides applicability.
    assert_eq!(run(0, &default_kind), na());
    // Only type and kind conditions: only type decides applicability.
    assert_eq!(run(1, &default_kind), ok());
    assert_eq!(run(1, &hub("Enabled")), nc("Audit"));
    assert!(matches!(
        run(2, &hub("Enabled")),
        PolicyOutcome::Error { .. }
    ));
    // Indexed mode skips types without tags and location.
    let conn = resource(PEC, "ws/c", json!({"properties": {}}));
    assert_eq!(run(3, &conn), na());
}

/// Evaluation is thread-safe and deterministic.
#[test]
fn parallel_evaluation_matches_sequential() {
    let e = engine();
    let resources = [
        workspace(json!({"publicNetworkAccess": "Enabled"})),
        workspace(json!({"publicNetworkAccess": "Disabled", "encryption": {"status": "Enabled"}})),
        compute(
            "ComputeInstance",
            json!({"disableLocalAuth": true}),
            json!({}),
        ),
        compute("AmlCompute", json!({}), json!({"subnet": {"id": "/s"}})),
    ];
    let p = params(
        json!({"logAnalytics": LAW, "eventHubAuthorizationRuleId": EH_RULE, "resourceLocation": "eastus",
        "storageAccount": STORAGE, "privateDnsZoneId": "z", "privateEndpointSubnetId": "s", "listOfResourceTypes": [WS]}),
    );
    let pairs: Vec<(usize, usize)> = (0..e.definitions().len())
        .flat_map(|d| (0..resources.len()).map(move |r| (d, r)))
        .collect();
    let run = |&(d, r): &(usize, usize)| e.evaluate(d, &resources[r].as_resource(), &p, &NoRelated);
    let sequential: Vec<PolicyOutcome> = pairs.iter().map(run).collect();
    let parallel: Vec<PolicyOutcome> = pairs.par_iter().map(run).collect();
    assert_eq!(sequential, parallel);
    assert!(
        sequential
            .iter()
            .all(|o| !matches!(o, PolicyOutcome::Error { .. })),
        "{sequential:?}"
    );
}

/// Rough cost of one evaluation (run with `--ignored --nocapture`, release).
#[test]
#[ignore]
fn measure_evaluation_cost() {
    let e = engine();
    let r =
        workspace(json!({"publicNetworkAccess": "Enabled", "encryption": {"status": "Enabled"}}));
    let d = def(PNA);
    let n = 20_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(e.evaluate(d, &r.as_resource(), &Map::new(), &NoRelated));
    }
    let per = start.elapsed() / n;
    println!("{PNA}: {per:?} per evaluation");
    let d = def("multi-type/DiagnosticSettingsExistsAudit_Audit.json");
    let on = diag(&r, "on", json!({"logs": logs(&[("allLogs", true)])}));
    let model = Model(vec![on]);
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(e.evaluate(d, &r.as_resource(), &Map::new(), &model));
    }
    println!(
        "DiagnosticSettingsExistsAudit (one candidate): {:?} per evaluation",
        start.elapsed() / n
    );
}

/// Sets `path` in an object value, creating objects on the way.
fn set(v: &mut Value, path: &[&str], new: Value) {
    let (last, init) = path.split_last().unwrap();
    let mut cur = v;
    for k in init {
        let obj = cur.as_object_mut().unwrap();
        cur = obj
            .entry(k.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    cur.as_object_mut().unwrap().insert(last.to_string(), new);
}
