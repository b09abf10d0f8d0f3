//! Issue 22, point 1: workspace kinds (Default, Hub, Project, FeatureStore)
//! from every front end; policy results that stay Azure's verdict and carry
//! a `known_issue` where a built-in misjudges a kind; the baseline roll-up
//! that judges a project by its hub; native rules that judge a project's
//! inherited settings on its hub; a Deny assignment that predicts the
//! denial of a project, with the explanation (tests/fixtures/kinds).

use crate::common::{errors, project};
use aml_baseline::model::{KindOf, WorkspaceKind};
use aml_baseline::pipeline::{self, Run, Settings};
use aml_baseline::policies::PolicyOptions;
use aml_baseline::report::{Report, ResultEntry};
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;
use std::process::Command;

fn fixture(rel: &str) -> PathBuf {
    project(&format!("tests/fixtures/kinds/{rel}"))
}

fn run_with(paths: &[&str], policy: PolicyOptions) -> Run {
    let options = ScanOptions {
        paths: paths.iter().map(|p| fixture(p)).collect(),
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-12-01").unwrap()),
        policy,
        ..Default::default()
    };
    pipeline::run(&options, &settings)
}

fn scan(paths: &[&str]) -> Run {
    run_with(paths, PolicyOptions::default())
}

/// The one result of `rule` (id or 8-hex prefix) on the resource `name`.
fn result<'r>(report: &'r Report, rule: &str, name: &str) -> &'r ResultEntry {
    let id = aml_baseline::rules::find(rule)
        .map(|r| r.id)
        .unwrap_or(rule);
    let hits: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| r.rule == id && r.resource_name == name && r.assignment.is_none())
        .collect();
    assert_eq!(hits.len(), 1, "{rule} on {name}: {hits:?}");
    hits[0]
}

/// The status of a baseline feature, and its evidence as JSON text.
fn feature(report: &Report, control: &str, name: &str) -> (String, String) {
    let c = report
        .baseline
        .controls
        .iter()
        .find(|c| c.id == control)
        .unwrap();
    let f = c.features.iter().find(|f| f.name == name).unwrap();
    (
        f.status.as_str().to_string(),
        serde_json::to_string(&f.evidence).unwrap(),
    )
}

/// (fixture, hub name, project name) of each format's hub and project.
const HUB_AND_PROJECT: &[(&str, &str, &str)] = &[
    ("bicep/main.bicep", "hub-kinds", "proj-kinds"),
    ("arm/azuredeploy.json", "hub-kinds-arm", "proj-kinds-arm"),
    ("terraform", "hub-kinds-tf", "proj-kinds-tf"),
    ("azapi", "hub-kinds-azapi", "proj-kinds-azapi"),
    ("yaml", "hub-kinds-yaml", "proj-kinds-yaml"),
    ("live/graph.json", "hub-kinds-live", "proj-kinds-live"),
];

#[test]
fn every_front_end_knows_hubs_and_projects_and_links_the_project_to_its_hub() {
    for (path, hub, proj) in HUB_AND_PROJECT {
        let run = scan(&[path]);
        assert!(
            errors(&run.report).is_empty(),
            "{path}: {:?}",
            errors(&run.report)
        );
        let model = &run.scan.model;
        let find = |name: &str| {
            model
                .resources
                .iter()
                .find(|r| r.is_workspace() && r.name == name)
                .unwrap_or_else(|| panic!("{path}: no workspace {name}"))
        };
        let (h, p) = (find(hub), find(proj));
        assert_eq!(
            h.workspace_kind(),
            Some(KindOf::Known(WorkspaceKind::Hub)),
            "{path}"
        );
        assert_eq!(
            p.workspace_kind(),
            Some(KindOf::Known(WorkspaceKind::Project)),
            "{path}"
        );
        let link = p.hub_resource_id().and_then(|v| v.as_str()).unwrap();
        assert!(
            link.eq_ignore_ascii_case(&h.id),
            "{path}: {link} vs {}",
            h.id
        );
        // A project has no network or encryption of its own.
        assert!(p.get("properties.managedNetwork").is_none(), "{path}");
        assert!(p.get("properties.encryption").is_none(), "{path}");
    }
}

#[test]
fn terraform_projects_live_in_their_hubs_resource_group() {
    let run = scan(&["terraform"]);
    let p = run
        .scan
        .model
        .resources
        .iter()
        .find(|r| r.name == "proj-kinds-tf")
        .unwrap();
    assert!(
        p.id.contains("/resourceGroups/rg-ai/providers/Microsoft.MachineLearningServices/workspaces/proj-kinds-tf"),
        "{}",
        p.id
    );
    // The hub's storage account is named in the hub's own words.
    let r = result(&run.report, "AMLB-DP3-002", "sthubkindstf");
    assert_eq!(r.result.as_str(), "pass");
    assert!(
        r.message
            .ends_with("(the storage of hub 'hub-kinds-tf' (shared by its projects))"),
        "{}",
        r.message
    );
}

#[test]
fn feature_stores_and_their_offline_store() {
    // CLI YAML: `az ml feature-store create` YAML has no `kind`.
    let run = scan(&["yaml/featurestore.yml"]);
    assert!(errors(&run.report).is_empty(), "{:?}", errors(&run.report));
    let model = &run.scan.model;
    let fs = model
        .resources
        .iter()
        .find(|r| r.name == "fs-kinds-yaml")
        .unwrap();
    assert!(fs.is_kind(WorkspaceKind::FeatureStore));
    let offline = model
        .resources
        .iter()
        .find(|r| r.name == "fs-kinds-yaml/OfflineStoreConnectionName")
        .expect("the offline store connection");
    assert_eq!(
        offline.get("properties.category").and_then(|v| v.as_str()),
        Some("ADLSGen2")
    );
    assert!(offline
        .get("properties.target")
        .and_then(|v| v.as_str())
        .unwrap()
        .ends_with("/storageAccounts/stfsoffline/blobServices/default/containers/offline"));
    // Bicep: the offline store's account is judged as the feature store's.
    let run = scan(&["featurestore/main.bicep"]);
    let r = result(&run.report, "AMLB-DP3-002", "stfsofflinebicep");
    assert_eq!(r.result.as_str(), "fail");
    assert!(
        r.message
            .ends_with("(the offline store of feature store 'fs-kinds-bicep')"),
        "{}",
        r.message
    );
}

#[test]
fn policy_results_stay_azures_verdict_and_carry_the_known_issue() {
    for (path, hub, proj) in HUB_AND_PROJECT {
        let report = scan(&[path]).report;
        // 438c38d2: Azure flags the project (it has no publicNetworkAccess
        // of its own); the hub passes and has no known issue.
        let on_project = result(&report, "438c38d2", proj);
        assert_eq!(on_project.result.as_str(), "fail", "{path}");
        let issue = on_project.known_issue.as_ref().expect("a known issue");
        assert_eq!(issue.id, "Azure/Azure-Landing-Zones#190", "{path}");
        assert_eq!(
            issue.url,
            "https://github.com/Azure/Azure-Landing-Zones/issues/190"
        );
        // No autofix writes a setting the project does not have.
        assert!(on_project.autofix.is_none(), "{path}");
        let on_hub = result(&report, "438c38d2", hub);
        assert_eq!(on_hub.result.as_str(), "pass", "{path}");
        assert!(on_hub.known_issue.is_none());
        // 5f0c7d88 should skip projects (azure-policy#1428).
        let uai = result(&report, "5f0c7d88", proj);
        assert_eq!(uai.result.as_str(), "fail", "{path}");
        assert_eq!(
            uai.known_issue.as_ref().map(|k| k.id),
            Some("Azure/azure-policy#1428")
        );
        // The shipped ba769a63 (1.1.0) excludes projects by kind: no result,
        // so no known issue to carry; the hub is judged.
        assert!(!report
            .results
            .iter()
            .any(|r| r.rule == "AMLB-POL-ba769a63" && r.resource_name == *proj));
        assert_eq!(result(&report, "ba769a63", hub).result.as_str(), "fail");
    }
}

#[test]
fn the_rollup_judges_a_project_by_its_private_managed_network_hub() {
    let report = scan(&["bicep/main.bicep"]).report;
    let hub_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/hub-kinds";
    // Azure's verdict fails the project; the roll-up counts its hub's posture.
    let r = result(&report, "438c38d2", "proj-kinds");
    let rollup = r.rollup.as_ref().unwrap();
    assert_eq!(rollup.result.as_str(), "pass");
    assert_eq!(rollup.hub_id.as_deref(), Some(hub_id));
    assert!(rollup
        .message
        .contains("hub 'hub-kinds' is private with a managed network"));
    for (control, name) in [
        ("NS-2", "Disable Public Network Access"),
        ("NS-2", "Azure Private Link"),
        ("NS-1", "Virtual Network Integration"),
    ] {
        let (status, evidence) = feature(&report, control, name);
        assert_eq!(status, "pass", "{control} {name}: {evidence}");
        assert!(
            evidence.contains("project 'proj-kinds' is judged by its hub: hub 'hub-kinds'"),
            "{evidence}"
        );
    }
    // The managed network's isolation mode (6ddb1705, DP-2) is the hub's.
    let mn = result(&report, "6ddb1705", "proj-kinds");
    assert_eq!(mn.result.as_str(), "fail");
    assert_eq!(mn.rollup.as_ref().unwrap().result.as_str(), "pass");
    assert_eq!(
        feature(&report, "DP-2", "Data Leakage/Loss Prevention").0,
        "pass"
    );
    // A known misjudgement outside the network controls is not counted: the
    // hub's own 5f0c7d88 failure decides IM-3.
    let uai = result(&report, "5f0c7d88", "proj-kinds");
    assert_eq!(
        uai.rollup.as_ref().unwrap().result.as_str(),
        "not_applicable"
    );
}

#[test]
fn a_project_whose_hub_is_not_in_the_files_is_unknown_naming_the_hub() {
    let hub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-platform/providers/Microsoft.MachineLearningServices/workspaces/hub-platform";
    for path in ["bicep/elsewhere.bicep", "yaml-unknown-hub"] {
        let report = scan(&[path]).report;
        let name = if path.starts_with("bicep") {
            "proj-elsewhere"
        } else {
            "proj-orphan-yaml"
        };
        let r = result(&report, "438c38d2", name);
        assert_eq!(r.result.as_str(), "fail", "{path}");
        let rollup = r.rollup.as_ref().unwrap();
        assert_eq!(rollup.result.as_str(), "unknown");
        assert_eq!(rollup.hub_id.as_deref(), Some(hub));
        let (status, evidence) = feature(&report, "NS-2", "Disable Public Network Access");
        assert_eq!(status, "unknown", "{path}");
        assert!(evidence.contains(hub), "{evidence}");
        // Native rules judging inherited settings are unknown, naming the hub.
        for rule in ["AMLB-NS1-001", "AMLB-NS2-001"] {
            let n = result(&report, rule, name);
            assert_eq!(n.result.as_str(), "unknown", "{path} {rule}");
            assert!(
                n.deciding.iter().any(|d| d.contains(hub)),
                "{:?}",
                n.deciding
            );
        }
    }
}

#[test]
fn native_rules_judge_a_projects_inherited_settings_on_its_hub() {
    for (path, hub, proj) in HUB_AND_PROJECT {
        let report = scan(&[path]).report;
        let ns1 = result(&report, "AMLB-NS1-001", proj);
        assert_eq!(ns1.result.as_str(), "pass", "{path}");
        assert!(
            ns1.message
                .starts_with(&format!("its hub '{hub}' has a managed network")),
            "{path}: {}",
            ns1.message
        );
        let ns2 = result(&report, "AMLB-NS2-001", proj);
        assert_eq!(ns2.result.as_str(), "pass", "{path}");
        assert!(
            ns2.message.contains(&format!("from its hub; hub '{hub}':")),
            "{}",
            ns2.message
        );
    }
    // The hub's shared key vault says so.
    let report = scan(&["bicep/main.bicep"]).report;
    let kv = result(&report, "AMLB-DP6-001", "kv-hub-kinds");
    assert!(
        kv.message
            .ends_with("(the key vault of hub 'hub-kinds' (shared by its projects))"),
        "{}",
        kv.message
    );
}

#[test]
fn a_deny_assignment_of_438c38d2_predicts_the_denial_of_the_project_and_says_why() {
    let policy = PolicyOptions {
        assignments: vec![fixture("assignments.json")],
        ..Default::default()
    };
    let report = run_with(&["bicep/main.bicep"], policy).report;
    let of = |name: &str| {
        report
            .results
            .iter()
            .find(|r| r.assignment.is_some() && r.resource_name == name)
            .unwrap()
    };
    let p = of("proj-kinds");
    assert_eq!(p.result.as_str(), "fail");
    assert!(p.denied);
    assert_eq!(
        p.known_issue.map(|k| k.id),
        Some("Azure/Azure-Landing-Zones#190")
    );
    assert!(
        p.message.contains("Azure would deny the deployment (RequestDisallowedByPolicy) by assignment 'Deny public Azure ML workspaces (corp)' (a known issue of the definition: 438c38d2 does not exclude AI Foundry projects"),
        "{}",
        p.message
    );
    assert!(p
        .message
        .contains("https://github.com/Azure/Azure-Landing-Zones/issues/190"));
    let h = of("hub-kinds");
    assert_eq!(h.result.as_str(), "pass");
    assert!(!h.denied && h.known_issue.is_none());

    // From the command line: the text report's denial section explains it,
    // JSON carries the known issue, SARIF a property.
    let dir = tempfile::tempdir().unwrap();
    let (json, sarif, html) = (
        dir.path().join("r.json"),
        dir.path().join("r.sarif"),
        dir.path().join("r.html"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", "--no-config", "--assignments"])
        .arg(fixture("assignments.json"))
        .arg(fixture("bicep/main.bicep"))
        .args(["--format", "json", "-o"])
        .arg(&json)
        .args(["--format", "sarif", "-o"])
        .arg(&sarif)
        .args(["--format", "html", "-o"])
        .arg(&html)
        .args(["--format", "text"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let section = text.split("would be denied by:\n").nth(1).unwrap();
    assert!(section.starts_with("  /providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/deny-ml-public\n    438c38d2-3772-465a-a9cc-7a6666a275ce Microsoft.MachineLearningServices/workspaces 'proj-kinds' at "), "{section}");
    assert!(
        section.contains(
            "      known issue (Azure/Azure-Landing-Zones#190): 438c38d2 does not exclude"
        ),
        "{section}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let denied: Vec<&serde_json::Value> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("denied").is_some())
        .collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["resource_name"], "proj-kinds");
    assert_eq!(
        denied[0]["known_issue"]["url"],
        "https://github.com/Azure/Azure-Landing-Zones/issues/190"
    );
    let sarif = std::fs::read_to_string(&sarif).unwrap();
    assert!(
        sarif.contains("\"knownIssue\""),
        "SARIF carries the known issue"
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("<b>Known issue</b> (<a href=\"https://github.com/Azure/Azure-Landing-Zones/issues/190\">Azure/Azure-Landing-Zones#190</a>)"),
        "the HTML page links the known issue"
    );
}
