//! The Azure ML CLI v2 YAML front end end to end: the azureml-examples `cli`
//! folder (every YAML file read, the verdicts a person reads there), our own
//! fixtures per entity kind (pass, fail, unknown), workspace linking, files
//! that are not Azure ML, malformed files and suppressions.

use crate::common::{self, project, realworld};
use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;

fn scan(paths: &[PathBuf], workspace: Option<&str>) -> Report {
    let options = ScanOptions {
        paths: paths.to_vec(),
        workspace: workspace.map(str::to_string),
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings).report
}

/// Each `(rule, file, expected)` that does not hold, for one assertion.
fn wrong(report: &Report, cases: &[(&str, &str, &str)]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|(rule, file, want)| {
            let got = common::verdict_in_file(report, rule, file);
            (got != *want).then(|| format!("{rule} on {file}: {got}, expected {want}"))
        })
        .collect()
}

#[test]
fn every_azure_ml_yaml_file_of_the_examples_is_read() {
    let root = corpus!("Azure__azureml-examples/cli");
    let report = scan(std::slice::from_ref(&root), None);
    assert!(
        common::errors(&report).is_empty(),
        "{:#?}",
        common::errors(&report)
    );
    let yaml: Vec<PathBuf> = ignore::WalkBuilder::new(&root)
        .build()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    assert_eq!(yaml.len(), 58);
    for path in &yaml {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let display = rel.as_str();
        let file = report
            .files
            .iter()
            .find(|f| f.path.ends_with(&format!("cli/{rel}")));
        if path.ends_with("keyvault/env.yml") {
            // The conda file is skipped, with the reason.
            let file = file.unwrap_or_else(|| panic!("{display} is not accounted for"));
            assert_eq!(file.role, "skipped", "{display} was read");
            assert!(file.reason.as_deref().unwrap().contains("YAML"), "{file:?}");
            continue;
        }
        let file = file.unwrap_or_else(|| panic!("{display} was not read"));
        assert_eq!(file.format, "azureml-yaml", "{display}");
        assert!(file.resources >= 1, "{display}: no resource");
    }
}

#[test]
fn examples_verdicts_a_person_reads() {
    let root = corpus!("Azure__azureml-examples/cli");
    let report = scan(&[root], None);
    let cases = [
        ("e96a9a5f", "compute/cluster-ssh-password.yml", "fail"),
        ("AMLB-IM8-002", "compute/cluster-ssh-password.yml", "fail"),
        ("e96a9a5f", "compute/cluster-basic.yml", "pass"),
        ("7804b5c7", "compute/cluster-basic.yml", "fail"),
        ("AMLB-NS1-003", "compute/cluster-basic.yml", "fail"),
        ("438c38d2", "workspace/privatelink.yml", "pass"),
        ("438c38d2", "workspace/basic.yml", "fail"),
        (
            "6ddb1705",
            "workspace/mvnet-allow-only-approved-outbound.yml",
            "pass",
        ),
        (
            "6ddb1705",
            "workspace/mvnet-allow-internet-outbound.yml",
            "fail",
        ),
        ("ba769a63", "workspace/cmk.yml", "pass"),
        ("AMLB-IM1-001", "managed/sample/endpoint.yml", "fail"),
        ("AMLB-NS2-003", "managed/sample/endpoint.yml", "fail"),
        ("AMLB-IM8-001", "datastore/blob.yml", "fail"),
        ("AMLB-IM8-001", "datastore/blob-credless.yml", "pass"),
        ("AMLB-IM8-001", "connections/git-pat.yml", "fail"),
        // A workspace update file leaves what it does not set to the existing workspace.
        (
            "438c38d2",
            "workspace/mvnet-allow-only-approved-outbound.yml",
            "unknown",
        ),
        // Placeholders are unknown, never secrets.
        ("AMLB-IM8-002", "compute/vm-attach.yml", "unknown"),
        (
            "AMLB-IM8-001",
            "connections/snowflake-db-user-passwd.yml",
            "unknown",
        ),
    ];
    let wrong = wrong(&report, &cases);
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Findings point at the YAML key.
    let pw = report
        .results
        .iter()
        .find(|r| r.rule == "AMLB-IM8-002" && r.path.ends_with("cluster-ssh-password.yml"))
        .unwrap();
    assert_eq!((pw.line, pw.column), (10, 3));
    let pna = report
        .results
        .iter()
        .find(|r| r.rule == "AMLB-POL-438c38d2" && r.path.ends_with("privatelink.yml"))
        .unwrap();
    assert_eq!(pna.line, 7);
}

#[test]
fn fixtures_of_every_entity_kind() {
    let report = scan(&[project("tests/fixtures/yaml")], None);
    let cases = [
        // computes
        ("e96a9a5f", "compute/cluster-pass.yml", "pass"),
        ("AMLB-NS1-003", "compute/cluster-pass.yml", "pass"),
        ("7804b5c7", "compute/cluster-pass.yml", "pass"),
        ("e96a9a5f", "compute/cluster-fail.yml", "fail"),
        ("AMLB-IM8-002", "compute/cluster-fail.yml", "fail"),
        ("AMLB-NS1-004", "compute/cluster-fail.yml", "fail"),
        ("AMLB-NS1-003", "compute/cluster-unknown.yml", "unknown"),
        ("AMLB-IM8-002", "compute/cluster-unknown.yml", "unknown"),
        ("e96a9a5f", "compute/instance-pass.yml", "pass"),
        ("679ddf89", "compute/instance-pass.yml", "pass"),
        ("e96a9a5f", "compute/instance-fail.yml", "fail"),
        ("AMLB-NS1-004", "compute/instance-fail.yml", "fail"),
        ("AMLB-IM8-002", "compute/instance-fail.yml", "fail"),
        ("e96a9a5f", "compute/instance-unknown.yml", "unknown"),
        ("AMLB-IM8-002", "compute/vm-attach.yml", "fail"),
        // endpoints and deployments
        ("AMLB-IM1-001", "endpoints/endpoint-pass.yml", "pass"),
        ("AMLB-NS2-003", "endpoints/endpoint-pass.yml", "pass"),
        ("AMLB-IM1-001", "endpoints/endpoint-fail.yml", "fail"),
        ("AMLB-NS2-003", "endpoints/endpoint-fail.yml", "fail"),
        ("AMLB-IM1-001", "endpoints/endpoint-unknown.yml", "unknown"),
        ("AMLB-NS2-003", "endpoints/endpoint-unknown.yml", "unknown"),
        ("AMLB-IM1-001", "endpoints/k8s-endpoint.yml", "pass"),
        ("AMLB-IM1-001", "endpoints/batch-endpoint.yml", "pass"),
        ("AMLB-PV3-001", "endpoints/deployment-pass.yml", "pass"),
        ("AMLB-PV3-001", "endpoints/deployment-fail.yml", "fail"),
        (
            "AMLB-PV3-001",
            "endpoints/deployment-unknown.yml",
            "unknown",
        ),
        ("AMLB-PV3-001", "endpoints/batch-deployment.yml", "pass"),
        // registries
        ("AMLB-NS2-002", "registry/pass.yml", "pass"),
        ("AMLB-NS2-002", "registry/fail.yml", "fail"),
        ("AMLB-NS2-002", "registry/unknown.yml", "unknown"),
        // datastores and connections
        ("AMLB-IM8-001", "datastore/pass.yml", "pass"),
        ("AMLB-IM8-001", "datastore/fail.yml", "fail"),
        ("AMLB-IM8-001", "datastore/unknown.yml", "unknown"),
        ("AMLB-IM8-001", "connection/pass.yml", "pass"),
        ("AMLB-IM8-001", "connection/fail.yml", "fail"),
        ("AMLB-IM8-001", "connection/unknown.yml", "unknown"),
        // environments
        ("AMLB-PV3-001", "environment/pass.yml", "pass"),
        ("AMLB-PV3-001", "environment/fail.yml", "fail"),
        // a workspace with its computes and deployments beside it
        ("438c38d2", "linked/workspace.yml", "pass"),
        ("AMLB-NS1-001", "linked/workspace.yml", "fail"),
        ("AMLB-PV3-001", "linked/deployment.yml", "pass"),
    ];
    let wrong = wrong(&report, &cases);
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Models and jobs become resources too.
    for (ty, file) in [
        (
            "Microsoft.MachineLearningServices/workspaces/models/versions",
            "model.yml",
        ),
        (
            "Microsoft.MachineLearningServices/workspaces/jobs",
            "command-job.yml",
        ),
        (
            "Microsoft.MachineLearningServices/workspaces/computes",
            "kubernetes.yml",
        ),
    ] {
        assert!(
            report
                .resources
                .iter()
                .any(|r| r.resource_type == ty && r.path.ends_with(file)),
            "no {ty} from {file}"
        );
    }
    // The linked files belong to the workspace beside them; the others to an unknown one.
    let cluster = report
        .resources
        .iter()
        .find(|r| r.path.ends_with("linked/cluster.yml"))
        .unwrap();
    assert_eq!(cluster.name, "mlw-linked/cpu-cluster");
    let lone = report
        .resources
        .iter()
        .find(|r| r.path.ends_with("compute/cluster-pass.yml"))
        .unwrap();
    assert_eq!(lone.name, "<workspace>/cluster-pass");
    // The inline suppression on the YAML key's line works.
    let suppressed = report
        .results
        .iter()
        .find(|r| r.rule == "AMLB-NS1-003" && r.path.ends_with("suppressed/cluster.yml"))
        .unwrap();
    assert!(suppressed.suppressed.is_some(), "{suppressed:?}");
    assert_eq!(suppressed.line, 7);
}

#[test]
fn workspace_option_names_the_workspace() {
    let report = scan(
        &[project("tests/fixtures/yaml/endpoints")],
        Some("mlw-prod"),
    );
    let names: Vec<&str> = report.resources.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"mlw-prod/endpoint-pass"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("<workspace>")),
        "{names:?}"
    );
    // The workspace is named but not in the files: an ACR image stays unknown.
    assert_eq!(
        common::verdict_in_file(&report, "AMLB-PV3-001", "endpoints/deployment-unknown.yml"),
        "unknown"
    );
}

#[test]
fn other_yaml_is_skipped_and_a_broken_azure_ml_file_is_an_error() {
    let report = scan(&[project("tests/fixtures/yaml/not-azureml")], None);
    assert!(report.resources.is_empty(), "{:?}", report.resources);
    // Skipped without a word each; that nothing at all was checked is said once.
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["nothing-scanned"], "{:?}", report.diagnostics);
    let report = scan(&[project("tests/fixtures/yaml/broken")], None);
    let errors = common::errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let d = &report.diagnostics[0];
    assert_eq!(d.code, "yaml-syntax");
    assert!(d.path.ends_with("broken/bad.yml"));
    assert_eq!(d.line, 6);
}

#[test]
fn a_yaml_file_named_alone_finds_its_workspace_beside_it() {
    let report = scan(&[project("tests/fixtures/yaml/linked/cluster.yml")], None);
    assert!(
        report
            .resources
            .iter()
            .any(|r| r.name == "mlw-linked/cpu-cluster"),
        "{:?}",
        report.resources.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
}

#[test]
fn a_waiver_accepts_a_yaml_finding() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aml-baseline.toml");
    std::fs::write(
        &config,
        "[[waiver]]\nrule = \"AMLB-IM1-001\"\nresource = \"*/scoring\"\njustification = \"Partner calls use keys until the Entra ID migration\"\nexpires = 2027-06-30\n",
    )
    .unwrap();
    let options = ScanOptions {
        paths: vec![project("examples/cli-yaml")],
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        config: Some(config),
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    let report = aml_baseline::pipeline::run(&options, &settings).report;
    let r = report
        .results
        .iter()
        .find(|r| r.rule == "AMLB-IM1-001" && r.resource_name == "mlw-cli/scoring")
        .unwrap();
    assert_eq!(r.result.as_str(), "fail");
    assert!(r.suppressed.is_some(), "{r:?}");
}
