//! `bicep snapshot` files as an input, end to end
//! (tests/fixtures/bicep-snapshot): detected by content, positioned in the
//! snapshot, judged by the same rules and assignments as the Bicep they
//! come from, and said to be predictions.

use crate::common::project;
use aml_baseline::pipeline::{self, Settings};
use aml_baseline::policies::PolicyOptions;
use aml_baseline::report::{Report, ResultEntry};
use aml_baseline::scan::ScanOptions;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn fixture(rel: &str) -> PathBuf {
    project(&format!("tests/fixtures/bicep-snapshot/{rel}"))
}

fn scan_with(paths: Vec<PathBuf>, policy: PolicyOptions) -> Report {
    let options = ScanOptions {
        paths,
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        policy,
        ..Default::default()
    };
    pipeline::run(&options, &settings).report
}

fn scan(paths: Vec<PathBuf>) -> Report {
    scan_with(paths, PolicyOptions::default())
}

fn find<'a>(report: &'a Report, rule: &str, name: &str) -> &'a ResultEntry {
    report
        .results
        .iter()
        .find(|r| r.rule.starts_with(rule) && r.resource_name == name)
        .unwrap_or_else(|| panic!("no {rule} result on {name}"))
}

#[test]
fn a_snapshot_gives_the_verdicts_of_its_bicep_at_positions_in_the_snapshot() {
    let snapshot = scan(vec![fixture("workspace/main.snapshot.json")]);
    let bicep = scan(vec![fixture("workspace/main.bicep")]);
    // The snapshot was made with `--resource-group rg-ml-dev`, the Bicep
    // scan has the default context: resources compare by type and name.
    let verdicts = |r: &Report| -> BTreeSet<(String, String, String)> {
        r.results
            .iter()
            .map(|x| {
                (
                    x.rule.to_string(),
                    format!("{} {}", x.resource_type, x.resource_name),
                    x.result.as_str().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(snapshot.results.len(), 20);
    assert_eq!(verdicts(&snapshot), verdicts(&bicep));
    // Positions point into the snapshot: the property, the resource.
    let public = find(&snapshot, "AMLB-POL-438c38d2", "mlw-contoso-dev");
    assert!(
        public.path.ends_with("main.snapshot.json"),
        "{}",
        public.path
    );
    assert_eq!((public.line, public.column), (65, 32));
    assert_eq!(
        public.property.as_deref(),
        Some("properties.publicnetworkaccess")
    );
    let ip = find(&snapshot, "AMLB-NS1-003", "mlw-contoso-dev/ci-dev");
    assert_eq!((ip.line, ip.column), (82, 33));
    // Every result says it is a prediction, the file account and a diagnostic too.
    assert!(snapshot.results.iter().all(|r| r.source == "predicted"));
    assert!(snapshot
        .resources
        .iter()
        .all(|r| r.format == "bicep-snapshot"));
    let file = &snapshot.files[0];
    assert_eq!(
        (file.format, file.role, file.resources),
        ("bicep-snapshot", "entry", 5)
    );
    assert!(file
        .note
        .as_deref()
        .unwrap()
        .contains("predicted resources"));
    let info: Vec<_> = snapshot
        .diagnostics
        .iter()
        .filter(|d| d.code == "bicep-snapshot")
        .collect();
    assert_eq!(info.len(), 1, "{:?}", snapshot.diagnostics);
    assert!(info[0]
        .message
        .contains("those of the 5 resource(s) `bicep snapshot` predicted"));
    assert_eq!(snapshot.summary.errors + snapshot.summary.warnings, 0);
}

#[test]
fn a_snapshot_is_recognised_by_its_content_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("workspace/main.snapshot.json")).unwrap();
    std::fs::write(dir.path().join("predicted-resources.json"), &text).unwrap();
    // Found by walking a folder, not named: still the snapshot front end's
    // (the live front end, which takes JSON with ids, does not claim it).
    let report = scan(vec![dir.path().to_path_buf()]);
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].format, "bicep-snapshot");
    assert_eq!(report.resources.len(), 5);
    assert_eq!(report.results.len(), 20);
    // JSON that names `predictedResources` without the shape: said, not read.
    std::fs::write(
        dir.path().join("other.json"),
        r#"{"predictedResources": "none"}"#,
    )
    .unwrap();
    let report = scan(vec![dir.path().join("other.json")]);
    assert!(report.results.is_empty());
    let d = &report.diagnostics[0];
    assert_eq!((d.code, d.line), ("bicep-snapshot", 1));
    assert!(
        d.message.contains("no `bicep snapshot` file"),
        "{}",
        d.message
    );
}

#[test]
fn unresolved_expressions_are_unknowns_and_denials_are_predicted() {
    let report = scan_with(
        vec![fixture("workspace/main.snapshot.json")],
        PolicyOptions {
            policies: Some(fixture("policies")),
            assignments: vec![fixture("assignments.json")],
            ..Default::default()
        },
    );
    assert_eq!(report.summary.errors + report.summary.warnings, 0);
    // Azure's Deny assignment on public network access: predicted denial.
    let public = report
        .results
        .iter()
        .find(|r| {
            r.assignment
                .as_deref()
                .is_some_and(|a| a.ends_with("/ml-no-public-network"))
        })
        .unwrap();
    assert_eq!((public.result.as_str(), public.denied), ("fail", true));
    assert_eq!((public.line, public.column), (65, 32));
    // The regions assignment: ruled out on the workspace (a literal region)...
    let regions = |name: &str| {
        report
            .results
            .iter()
            .find(|r| r.rule == "allowed-locations-ml" && r.resource_name == name)
            .unwrap()
    };
    let ws = regions("mlw-contoso-dev");
    assert_eq!((ws.result.as_str(), ws.denied), ("pass", false));
    // ... and unknown on the compute, whose location the snapshot leaves to
    // the deployment: never a failure, naming what decides.
    let ci = regions("mlw-contoso-dev/ci-dev");
    assert_eq!(ci.result.as_str(), "unknown");
    assert!(ci.may_be_denied);
    assert_eq!(*ci.deciding, ["[resourceGroup().location]".to_string()]);
    assert_eq!((ci.line, ci.column), (77, 19));
}

#[test]
fn the_text_report_says_the_verdicts_are_predictions() {
    let out = Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .arg("scan")
        .arg(fixture("workspace/main.snapshot.json"))
        .arg("--no-config")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("'mlw-contoso-dev' (predicted by bicep snapshot)"),
        "{text}"
    );
    assert!(
        text.contains(
            "main.snapshot.json: bicep snapshot: its verdicts are those of the predicted resources"
        ),
        "{text}"
    );
}
