//! The work of a scan grows linearly with the number of deployment units
//! (issue 20): a deterministic guard where wall time is too noisy. Two corpora
//! of the same units, one three times the other, are scanned in process; the
//! index lookups, the resources visited by scans over a deployment, the
//! resources, results and links the model derives must grow at most about
//! threefold. A step that relates every unit to every other (the Bicep
//! regression of issue 20: private endpoints linked to resources of other
//! deployments) grows ninefold.
//!
//! A live export's deployments are its groups that relate to no other, which
//! grow with the estate when the estate grows inside the same resource
//! groups: a rule that walks its resource's whole deployment is quadratic
//! there. [`live_work_grows_linearly_with_the_estate`] scans two exports
//! spread over the same resource groups, one three times the other.
//!
//! Its own test binary: the counters are process-wide, so the tests take a
//! lock and no other test may run beside them.

use aml_model::value::Value;
use aml_model::work::{self, Work};
use aml_scan::pipeline::{self, Settings};
use aml_scan::ScanOptions;
use std::path::{Path, PathBuf};

/// A Bicep unit whose names the files do not fix: its private endpoint may
/// connect to any workspace of its deployment, and to no other.
const OPEN_NAMES: &str = r#"
param workspaceName string
param location string = resourceGroup().location

resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {
  name: workspaceName
  location: location
  identity: { type: 'SystemAssigned' }
  properties: { publicNetworkAccess: 'Disabled' }
}

resource pe 'Microsoft.Network/privateEndpoints@2023-04-01' = {
  name: '${workspaceName}-pe'
  location: location
  properties: {
    subnet: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s' }
    privateLinkServiceConnections: [
      {
        name: 'ws'
        properties: { privateLinkServiceId: ws.id, groupIds: [ 'amlworkspace' ] }
      }
    ]
  }
}
"#;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// `copies` copies of every example unit and of [`OPEN_NAMES`], each in its
/// own folder.
fn corpus(root: &Path, copies: usize) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut units: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    units.sort();
    for i in 0..copies {
        for unit in &units {
            let name = unit.file_name().unwrap().to_string_lossy();
            copy_dir(unit, &root.join(format!("{i:05}-{name}")));
        }
        let open = root.join(format!("{i:05}-open-names"));
        std::fs::create_dir_all(&open).unwrap();
        std::fs::write(open.join("main.bicep"), OPEN_NAMES).unwrap();
    }
}

/// What one scan did: lookups, resources visited, resources, results, and
/// private endpoint connections the model derived.
#[derive(Debug)]
struct Measure {
    lookups: u64,
    scanned: u64,
    resources: usize,
    results: usize,
    connections: usize,
}

fn connections(v: &Value) -> usize {
    match v.get_path("properties.privateEndpointConnections") {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    }
}

/// The counters are process-wide: one measure at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn measure(copies: usize) -> Measure {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path(), copies);
    scan_measure(dir.path())
}

fn scan_measure(path: &Path) -> Measure {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let options = ScanOptions {
        paths: vec![path.to_path_buf()],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        ..Default::default()
    };
    work::reset();
    let run = pipeline::run(&options, &settings);
    let model = &run.scan.model;
    Measure {
        lookups: work::get(Work::Lookup),
        scanned: work::get(Work::Scan),
        resources: model.resources.len(),
        results: run.report.results.len(),
        connections: model.resources.iter().map(|r| connections(&r.body)).sum(),
    }
}

#[test]
fn work_grows_linearly_with_the_units() {
    // 40 and 120 copies of 6 units: 240 and 720 deployment units.
    let small = measure(40);
    let large = measure(120);
    eprintln!("40 copies: {small:?}\n120 copies: {large:?}");
    assert!(small.resources > 0 && small.results > 0 && small.connections > 0);
    assert!(small.lookups > 0 && small.scanned > 0);
    // Same units three times over: exactly three times the resources and
    // results, and as many links per unit.
    assert_eq!(large.resources, 3 * small.resources);
    assert_eq!(large.results, 3 * small.results);
    assert_eq!(large.connections, 3 * small.connections);
    // Lookups and scan steps: linear, with a little room for per-run work.
    let linear = |a: u64, b: u64| b <= a * 3 + a / 10;
    assert!(
        linear(small.lookups, large.lookups),
        "lookups grow from {} to {} for three times the units",
        small.lookups,
        large.lookups
    );
    assert!(
        linear(small.scanned, large.scanned),
        "scan steps grow from {} to {} for three times the units",
        small.scanned,
        large.scanned
    );
}

/// A live export in the shape `aml-baseline collect` writes (as
/// `scripts/gen-live-export.py` does): per workspace, the workspace (public
/// access on for half, a private endpoint connection), a compute instance, a
/// cluster, a private endpoint, a diagnostic setting on every other one and
/// its storage account, spread over the same 20 resource groups whatever
/// the count, so the groups grow with the estate.
fn live_export(workspaces: usize) -> String {
    use serde_json::json;
    let mut resources = Vec::new();
    for i in 0..workspaces {
        let sub = format!("{:08}-0000-4000-8000-000000000000", i % 4);
        let rg = format!("/subscriptions/{sub}/resourceGroups/rg-{}", i % 5);
        let ws = format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-{i}");
        let pe = format!("{rg}/providers/Microsoft.Network/privateEndpoints/pe-{i}");
        let st = format!("{rg}/providers/Microsoft.Storage/storageAccounts/st{i}");
        resources.push(json!({
            "id": ws, "name": format!("mlw-{i}"), "type": "Microsoft.MachineLearningServices/workspaces",
            "location": "westeurope", "identity": {"type": "SystemAssigned"},
            "properties": {
                "publicNetworkAccess": if i % 2 == 1 { "Enabled" } else { "Disabled" },
                "storageAccount": st,
                "privateEndpointConnections": [{
                    "id": format!("{ws}/privateEndpointConnections/pe-{i}"), "name": format!("pe-{i}"),
                    "properties": {"privateEndpoint": {"id": pe},
                        "privateLinkServiceConnectionState": {"status": "Approved"}}}],
            },
        }));
        for (name, compute_type) in [("ci", "ComputeInstance"), ("cluster", "AmlCompute")] {
            resources.push(json!({
                "id": format!("{ws}/computes/{name}"), "name": name,
                "type": "Microsoft.MachineLearningServices/workspaces/computes", "location": "westeurope",
                "properties": {"computeType": compute_type, "disableLocalAuth": true,
                    "properties": {"enableNodePublicIp": false}},
            }));
        }
        resources.push(json!({
            "id": pe, "name": format!("pe-{i}"), "type": "Microsoft.Network/privateEndpoints",
            "location": "westeurope",
            "properties": {"privateLinkServiceConnections": [{"name": format!("pe-{i}"),
                "properties": {"privateLinkServiceId": ws, "groupIds": ["amlworkspace"]}}]},
        }));
        if i % 2 == 0 {
            resources.push(json!({
                "id": format!("{ws}/providers/microsoft.insights/diagnosticSettings/all"), "name": "all",
                "type": "Microsoft.Insights/diagnosticSettings",
                "properties": {"logs": [{"categoryGroup": "allLogs", "enabled": true}]},
            }));
        }
        resources.push(json!({
            "id": st, "name": format!("st{i}"), "type": "Microsoft.Storage/storageAccounts",
            "location": "westeurope", "kind": "StorageV2",
            "properties": {"supportsHttpsTrafficOnly": true, "minimumTlsVersion": "TLS1_2"},
        }));
    }
    let export = json!({
        "exportFormat": "aml-baseline-live-export/1",
        "scope": {"subscriptions": [], "managementGroups": []},
        "value": resources, "policyStates": [], "assessments": [], "warnings": [],
    });
    serde_json::to_string_pretty(&export).unwrap()
}

fn measure_live(workspaces: usize) -> Measure {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.json");
    std::fs::write(&file, live_export(workspaces)).unwrap();
    scan_measure(&file)
}

#[test]
fn live_work_grows_linearly_with_the_estate() {
    // 20 resource groups holding 5 and 15 workspaces each (130 and 390
    // resources per group): a walk of the group per resource grows ninefold.
    let small = measure_live(100);
    let large = measure_live(300);
    eprintln!("100 workspaces: {small:?}\n300 workspaces: {large:?}");
    assert!(small.resources > 0 && small.results > 0);
    assert!(small.lookups > 0 && small.scanned > 0);
    assert_eq!(large.resources, 3 * small.resources);
    assert_eq!(large.results, 3 * small.results);
    let linear = |a: u64, b: u64| b <= a * 3 + a / 10;
    assert!(
        linear(small.lookups, large.lookups),
        "lookups grow from {} to {} for three times the estate",
        small.lookups,
        large.lookups
    );
    assert!(
        linear(small.scanned, large.scanned),
        "scan steps grow from {} to {} for three times the estate",
        small.scanned,
        large.scanned
    );
}

/// Up to the model, the scan reads each ARM template and parameter file,
/// and each Bicep file that names no module and imports nothing, once: the
/// front ends' claims and references are found when a file is first read,
/// the front end that parses it takes that text (within a budget, decision
/// 0055), an ARM template is parsed once (sorted and evaluated from the same
/// tree) and so is such a Bicep file (decision 0050). Before, every text was
/// read three or four times and every template parsed twice; then once more
/// by its front end.
#[test]
fn texts_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files = 0;
    for i in 0..30 {
        for unit in [
            "hardened-workspace",
            "insecure-workspace",
            "bicep-workspace",
        ] {
            copy_dir(
                &examples.join(unit),
                &dir.path().join(format!("{i:03}-{unit}")),
            );
            files += std::fs::read_dir(examples.join(unit)).unwrap().count();
        }
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let options = ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        ..Default::default()
    };
    work::reset();
    let output = aml_scan::scan::scan(&options);
    let read_again = work::get(Work::TextRead);
    assert_eq!(output.files.len(), files, "every file scanned");
    assert!(output.model.resources.len() >= 90);
    assert_eq!(
        read_again, 0,
        "{read_again} texts read again for {files} files"
    );
}
