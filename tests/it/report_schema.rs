//! The JSON report against its shipped JSON Schema (`schemas/report.schema.json`,
//! documented in docs/json-report.md): the reports of examples/ and of
//! fixtures that exercise every optional part (assignments and denials,
//! suppressions, live state, Terraform, CLI YAML, input errors). The test
//! also validates with a strict copy of the schema where no object takes a
//! property the schema does not name, so a field added to the report without
//! being added to the schema (and so documented) fails here.

use crate::common::project;
use aml_baseline::pipeline::{self, Settings};
use aml_baseline::policies::PolicyOptions;
use aml_baseline::policy::DeploymentScope;
use aml_baseline::render::{self, OutputFormat, RenderOptions};
use aml_baseline::scan::ScanOptions;
use serde_json::Value;
use std::path::PathBuf;

const SCHEMA: &str = include_str!("../../schemas/report.schema.json");

/// `additionalProperties: false` on every object schema that lists its
/// properties, except the conditions of `if`/`then` (which name a few).
fn strict(schema: &mut Value, in_condition: bool) {
    match schema {
        Value::Object(o) => {
            if !in_condition
                && o.contains_key("properties")
                && !o.contains_key("additionalProperties")
            {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (k, v) in o.iter_mut() {
                strict(v, in_condition || k == "if" || k == "then" || k == "allOf");
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| strict(v, in_condition)),
        _ => {}
    }
}

fn validators() -> [jsonschema::Validator; 2] {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    let mut strict_schema = schema.clone();
    strict(&mut strict_schema, false);
    let build = |s: &Value| {
        jsonschema::options()
            .should_validate_formats(true)
            .build(s)
            .expect("the report schema compiles")
    };
    [build(&schema), build(&strict_schema)]
}

pub(crate) fn assert_valid(report: &Value, what: &str) {
    for (validator, kind) in validators().iter().zip(["schema", "strict schema"]) {
        crate::common::assert_schema_valid(validator, report, &format!("{what}: {kind} errors"));
    }
}

fn json_report(paths: Vec<PathBuf>, policy: PolicyOptions) -> Value {
    let options = ScanOptions {
        paths,
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-01-01").unwrap()),
        policy,
        ..Default::default()
    };
    let run = pipeline::run(&options, &settings);
    let text = render::render_run(OutputFormat::Json, &run, &RenderOptions::default());
    serde_json::from_str(&text).unwrap()
}

fn count(report: &Value, key: &str) -> usize {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get(key).is_some())
        .count()
}

#[test]
fn the_reports_of_the_examples_match_the_schema() {
    let report = json_report(vec![project("examples")], PolicyOptions::default());
    assert_valid(&report, "examples");
    assert!(count(&report, "autofix") > 0, "examples have safe fixes");
    assert!(
        count(&report, "suppressed") > 0,
        "the Bicep example has an inline suppression"
    );
    assert!(count(&report, "deciding") > 0 || report["summary"]["unknown"] == 0);
}

#[test]
fn denials_and_assignments_match_the_schema() {
    let fixture = |rel: &str| project(&format!("tests/fixtures/policy-as-code/{rel}"));
    let policy = PolicyOptions {
        policies: Some(fixture("policies")),
        assignments: vec![fixture("assignments.json")],
        aliases: None,
        deployment_scope: Some(
            DeploymentScope::parse(
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/prod",
            )
            .unwrap(),
        ),
    };
    let report = json_report(vec![fixture("infra")], policy);
    assert_valid(&report, "policy-as-code");
    assert!(count(&report, "denied") > 0, "the fixture has a denial");
    assert!(count(&report, "assignment") > 0);
    // The contract: `denied` only with an enforced deny of an assignment.
    for r in report["results"].as_array().unwrap() {
        if r.get("denied").is_some() {
            assert_eq!(r["effect"], "deny");
            assert_eq!(r["result"], "fail");
            assert!(r["assignment"]
                .as_str()
                .unwrap()
                .contains("/policyAssignments/"));
        }
    }
}

#[test]
fn other_inputs_match_the_schema() {
    for (what, paths) in [
        ("live", vec!["tests/fixtures/live"]),
        (
            "terraform",
            vec![
                "examples/terraform-workspace",
                "tests/fixtures/terraform/plan-101",
            ],
        ),
        ("yaml", vec!["examples/cli-yaml"]),
        (
            "bicep-snapshot",
            vec!["tests/fixtures/bicep-snapshot/workspace/main.snapshot.json"],
        ),
        ("malformed", vec!["tests/fixtures/terraform/malformed"]),
    ] {
        let report = json_report(
            paths.into_iter().map(project).collect(),
            PolicyOptions::default(),
        );
        assert_valid(&report, what);
    }
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    let mut report = json_report(vec![project("examples")], PolicyOptions::default());
    assert_valid(&report, "examples");
    let [loose, _] = validators();
    let first = report["results"][0].clone();
    // `denied` is present only when true, and only with a deny assignment.
    report["results"][0]["denied"] = Value::Bool(false);
    assert!(!loose.is_valid(&report));
    report["results"][0] = first.clone();
    report["results"][0]["denied"] = Value::Bool(true);
    assert!(!loose.is_valid(&report), "denied without an assignment");
    report["results"][0] = first;
    report["schema_version"] = Value::from(2);
    assert!(!loose.is_valid(&report), "another version");
}

#[test]
fn known_issues_and_rollups_match_the_schema() {
    let fixture = |rel: &str| project(&format!("tests/fixtures/kinds/{rel}"));
    let policy = PolicyOptions {
        assignments: vec![fixture("assignments.json")],
        ..Default::default()
    };
    let report = json_report(
        vec![fixture("bicep"), fixture("yaml"), fixture("featurestore")],
        policy,
    );
    assert_valid(&report, "kinds");
    assert!(
        count(&report, "known_issue") > 0,
        "the fixture has known issues"
    );
    assert!(count(&report, "rollup") > 0, "the fixture has roll-ups");
}
