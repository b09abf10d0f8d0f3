//! The rule account (issue 19): for every resource, which rules applied and
//! which did not, and why; checked as a `--format json` consumer would.

use crate::common::{account_problems, project};
use aml_baseline::scan::ScanOptions;

fn json_of(paths: &[&str], all_rules: bool) -> String {
    let options = ScanOptions {
        paths: paths.iter().map(|p| project(p)).collect(),
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        all_rules,
        today: Some(aml_baseline::config::Date::parse("2026-12-06").unwrap()),
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    let mut out = Vec::new();
    aml_baseline::render::write_run(
        aml_baseline::render::OutputFormat::Json,
        &run,
        &Default::default(),
        &mut out,
    )
    .expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

fn resource<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no resource {name}"))
}

fn reason<'a>(resource: &'a serde_json::Value, rule: &str) -> Option<&'a str> {
    resource["not_applicable"]
        .as_array()?
        .iter()
        .find(|n| n["rule"] == rule)
        .and_then(|n| n["reason"].as_str())
}

#[test]
fn every_pair_of_the_examples_is_a_result_or_a_reason() {
    for all_rules in [false, true] {
        let json = json_of(
            &["examples", "tests/fixtures/native", "tests/fixtures/live"],
            all_rules,
        );
        let (counts, problems) = account_problems(&json);
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(
            counts.results > 100 && counts.not_applicable > 50,
            "{counts:?}"
        );
        assert_eq!(counts.pairs, counts.results + counts.not_applicable);
    }
}

#[test]
fn reasons_name_what_decides() {
    let json = json_of(&["examples/insecure-workspace"], true);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let targets = report["tool"]["targets"].as_array().unwrap();
    // A policy rule's types come from its parameters (7f89b1eb lists the
    // types it audits in `listOfResourceTypes`).
    let diag = targets
        .iter()
        .find(|t| t["rule"] == "AMLB-POL-7f89b1eb")
        .expect("7f89b1eb runs with every rule");
    assert_eq!(
        diag["types"],
        serde_json::json!(["Microsoft.MachineLearningServices/workspaces"])
    );
    // A native rule for clusters, on a compute instance: the rule's scope
    // and what this compute is.
    let instance = resource(&report, "mlw-quickstart/notebook-ci");
    let why = reason(instance, "AMLB-PV6-001").expect("PV6-001 is accounted for on the instance");
    assert!(
        why.contains("compute clusters") && why.contains("'ComputeInstance'"),
        "{why}"
    );
    // Never both a result and a reason.
    let results = report["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["rule"] == "AMLB-NS1-003"
                && r["resource_name"] == "mlw-quickstart/notebook-ci")
    );
    assert_eq!(reason(instance, "AMLB-NS1-003"), None);
}

#[test]
fn a_definition_whose_condition_excludes_the_resource_says_which() {
    // ee40564d (DeployIfNotExists: private DNS zones for a workspace's
    // private endpoint) on a private endpoint to another service: its
    // whole `if` decides applicability, and the reason renders it.
    let json = json_of(&["tests/fixtures/terraform/plan-101/plan.json"], true);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reasons: Vec<&str> = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| reason(r, "AMLB-POL-ee40564d"))
        .collect();
    // The key vault's private endpoint `pe-kv`.
    assert_eq!(reasons.len(), 1, "{json}");
    assert!(
        reasons
            .iter()
            .all(|r| r.starts_with("its `if` condition does not hold: ")
                && r.contains("Microsoft.Network/privateEndpoints")),
        "{reasons:#?}"
    );
}
