//! `scan --policies DIR --assignments FILE --deployment-scope SCOPE`: the
//! user's own definitions, initiatives, assignments and exemptions, end to
//! end (tests/fixtures/policy-as-code).

use crate::common::project;
use aml_baseline::pipeline::{self, Settings};
use aml_baseline::policies::PolicyOptions;
use aml_baseline::policy::DeploymentScope;
use aml_baseline::report::{Report, ResultEntry};
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;
use std::process::Command;

const SUB: &str = "/subscriptions/11111111-1111-1111-1111-111111111111";

fn fixture(rel: &str) -> PathBuf {
    project(&format!("tests/fixtures/policy-as-code/{rel}"))
}

fn scan(policy: PolicyOptions) -> Report {
    let options = ScanOptions {
        paths: vec![fixture("infra")],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-01-01").unwrap()),
        policy,
        ..Default::default()
    };
    pipeline::run(&options, &settings).report
}

fn at(rg: &str) -> PolicyOptions {
    PolicyOptions {
        policies: Some(fixture("policies")),
        assignments: vec![fixture("assignments.json")],
        aliases: None,
        deployment_scope: Some(
            DeploymentScope::parse(&format!("{SUB}/resourceGroups/{rg}")).unwrap(),
        ),
    }
}

/// `(rule, resource, result, effect, denied)` of the results of assignment `name`.
fn of<'a>(report: &'a Report, name: &str) -> Vec<&'a ResultEntry> {
    report
        .results
        .iter()
        .filter(|r| {
            r.assignment
                .as_deref()
                .is_some_and(|a| a.ends_with(&format!("/{name}")))
        })
        .collect()
}

fn find<'a>(list: &[&'a ResultEntry], rule: &str, resource: &str) -> &'a ResultEntry {
    list.iter()
        .find(|r| r.rule == rule && r.resource_name == resource)
        .copied()
        .unwrap_or_else(|| panic!("no {rule} result on {resource}"))
}

#[test]
fn an_initiative_assignment_overrides_parameters_and_predicts_the_denial() {
    let report = scan(at("prod"));
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let g = of(&report, "ml-guardrails");
    // publicNetworkEffect is overridden to Deny by the assignment.
    let public = find(&g, "deny-public-ml", "mlw-public");
    assert_eq!(public.result.as_str(), "fail");
    assert_eq!(public.effect.as_deref(), Some("deny"));
    assert!(public.denied);
    assert_eq!(public.control, "NS-2", "the initiative's MCSB group");
    assert!(
        public.message.contains("Azure would deny the deployment"),
        "{}",
        public.message
    );
    assert!(
        public
            .resource_id
            .starts_with(&format!("{SUB}/resourceGroups/prod/")),
        "{}",
        public.resource_id
    );
    let private = find(&g, "deny-public-ml", "mlw-private");
    assert_eq!(private.result.as_str(), "pass");
    assert_eq!(
        private.effect.as_deref(),
        Some("deny"),
        "a pass carries the effect too"
    );
    assert!(!private.denied);
    // cmkEffect keeps the initiative's default (Audit), on a shipped built-in.
    let cmk = find(&g, "ba769a63-b8cc-4b2d-abf6-ac33c7204be8", "mlw-public");
    assert_eq!(
        (cmk.result.as_str(), cmk.effect.as_deref(), cmk.denied),
        ("fail", Some("audit"), false)
    );
    assert_eq!(cmk.control, "DP-5");
    // The denials, by assignment.
    let denials = report.denials();
    assert_eq!(denials.len(), 1);
    assert!(denials[0].0.ends_with("/ml-guardrails"));
    assert_eq!(denials[0].1.len(), 1);
}

#[test]
fn do_not_enforce_reports_but_does_not_deny() {
    let report = scan(at("prod"));
    let trial = of(&report, "pna-audit");
    let r = find(&trial, "deny-public-ml", "mlw-public");
    assert_eq!(
        (r.result.as_str(), r.effect.as_deref(), r.denied),
        ("fail", Some("deny"), false)
    );
    assert!(r.message.contains("DoNotEnforce"), "{}", r.message);
    assert_eq!(r.control, "POLICY");
}

#[test]
fn not_scopes_and_exemptions_remove_the_denial() {
    // The assignment's notScopes holds resource group `sandbox`.
    let report = scan(at("sandbox"));
    assert!(of(&report, "ml-guardrails").is_empty());
    assert!(report.denials().is_empty());
    assert_eq!(
        of(&report, "pna-audit").len(),
        2,
        "the other assignment still applies"
    );
    // An exemption of the denyPublicMl member in resource group `ml-exempt`:
    // the other member still applies.
    let report = scan(at("ml-exempt"));
    let g = of(&report, "ml-guardrails");
    assert!(g.iter().all(|r| r.rule != "deny-public-ml"), "{g:?}");
    assert!(g.iter().any(|r| r.rule.starts_with("ba769a63")));
    assert!(report.denials().is_empty());
}

#[test]
fn an_expired_exemption_no_longer_exempts() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("assignments.json"))
        .unwrap()
        .replace(
            "\"exemptionCategory\": \"Mitigated\"",
            "\"exemptionCategory\": \"Mitigated\", \"expiresOn\": \"2025-06-30T00:00:00Z\"",
        );
    let path = dir.path().join("a.json");
    std::fs::write(&path, text).unwrap();
    let mut options = at("ml-exempt");
    options.assignments = vec![path];
    let report = scan(options);
    assert_eq!(report.denials().len(), 1);
}

#[test]
fn without_a_deployment_scope_a_subscription_assignment_is_unknown_not_failed() {
    let mut options = at("prod");
    options.deployment_scope = None;
    let report = scan(options);
    let trial = of(&report, "pna-audit");
    let r = find(&trial, "deny-public-ml", "mlw-public");
    assert_eq!(r.result.as_str(), "unknown");
    assert!(
        r.deciding.iter().any(|d| d.contains("--deployment-scope")),
        "{:?}",
        r.deciding
    );
    assert!(!r.may_be_denied, "DoNotEnforce never denies");
    // The management group assignment applies (its notScope is unknown):
    // an enforced deny the files do not decide may deny the deployment.
    let g = of(&report, "ml-guardrails");
    let r = find(&g, "deny-public-ml", "mlw-public");
    assert_eq!(r.result.as_str(), "unknown");
    assert!(r.may_be_denied && !r.denied);
    assert!(report.denials().is_empty());
    assert_eq!(report.possible_denials().len(), 1);
    let text = aml_baseline::render::text::render(&report);
    assert!(
        text.contains("may be denied by (the files do not decide):\n  /providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/ml-guardrails\n    deny-public-ml "),
        "{text}"
    );
}

#[test]
fn policies_without_assignments_are_each_assigned_with_defaults() {
    let report = scan(PolicyOptions {
        policies: Some(fixture("policies")),
        ..Default::default()
    });
    let own = of(&report, "deny-public-ml");
    let r = find(&own, "deny-public-ml", "mlw-public");
    assert_eq!(
        (r.result.as_str(), r.effect.as_deref()),
        ("fail", Some("audit"))
    );
    assert!(!of(&report, "ml-guardrails").is_empty());
}

#[test]
fn unresolvable_assignments_and_bad_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.json");
    std::fs::write(
        &path,
        r#"[{"name": "x", "scope": "/", "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/nope"}]"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[\n  {\"name\": \"y\"}\n]").unwrap();
    let mut options = at("prod");
    options.assignments = vec![path, bad];
    let report = scan(options);
    let d: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{} {} {}",
                d.path.rsplit('/').next().unwrap(),
                d.line,
                d.column,
                d.code,
                d.message
            )
        })
        .collect();
    assert!(
        d.iter()
            .any(|m| m.starts_with("a.json:0:0 policy-assignment") && m.contains("'nope'")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|m| m.starts_with("bad.json:2:3 policy-assignment")
                && m.contains("policyDefinitionId")),
        "{d:?}"
    );
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn every_human_report_has_the_would_be_denied_by_section() {
    let out = Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", "--no-config", "--policies"])
        .arg(fixture("policies"))
        .arg("--assignments")
        .arg(fixture("assignments.json"))
        .args(["--deployment-scope", &format!("{SUB}/resourceGroups/prod")])
        .arg(fixture("infra"))
        .args(["--format", "markdown", "-o"])
        .arg(std::env::temp_dir().join(format!("aml-pac-{}.md", std::process::id())))
        .args(["--format", "html", "-o"])
        .arg(std::env::temp_dir().join(format!("aml-pac-{}.html", std::process::id())))
        .args(["--format", "text"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let section = text
        .split("would be denied by:\n")
        .nth(1)
        .expect("text section");
    assert!(section.starts_with("  /providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/ml-guardrails\n    deny-public-ml Microsoft.MachineLearningServices/workspaces 'mlw-public' at "), "{section}");
    let md = std::fs::read_to_string(
        std::env::temp_dir().join(format!("aml-pac-{}.md", std::process::id())),
    )
    .unwrap();
    assert!(md.contains("### Would be denied by\n\n- `/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/ml-guardrails`\n  - `deny-public-ml`"), "{md}");
    let html = std::fs::read_to_string(
        std::env::temp_dir().join(format!("aml-pac-{}.html", std::process::id())),
    )
    .unwrap();
    assert!(
        html.contains("<h2>Would be denied by</h2>")
            && html.contains("<li><code>deny-public-ml</code>")
    );
    let _ = std::fs::remove_file(
        std::env::temp_dir().join(format!("aml-pac-{}.md", std::process::id())),
    );
    let _ = std::fs::remove_file(
        std::env::temp_dir().join(format!("aml-pac-{}.html", std::process::id())),
    );
}

#[test]
fn json_results_carry_effect_and_assignment() {
    let report = scan(at("prod"));
    let json = serde_json::to_value(&report).unwrap();
    let r = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["rule"] == "deny-public-ml"
                && r["resource_name"] == "mlw-public"
                && r["assignment"]
                    .as_str()
                    .is_some_and(|a| a.ends_with("/ml-guardrails"))
        })
        .unwrap();
    assert_eq!(r["effect"], "deny");
    assert_eq!(r["denied"], true);
    assert_eq!(r["policy"], "deny-public-ml");
}

fn aml(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(args)
        .current_dir(project(""))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn policy_test_runs_cases_with_template_inputs_and_writes_junit() {
    let out = aml(&["policy", "test", "tests/fixtures/policy-as-code/policies"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("  pass  a template as input (line 23)\n        ok mlw-public: expected non-compliant, got non-compliant (line 26)\n            why: the condition holds: effect Audit (`properties.publicNetworkAccess` is \"Enabled\")"), "{text}");
    assert!(
        text.ends_with(
            "2 test files, 6 cases: 6 passed, 0 failed; 0 errors; 0 definitions without tests\n"
        ),
        "{text}"
    );
    let out = aml(&[
        "policy",
        "test",
        "tests/fixtures/policy-as-code/policies",
        "--format",
        "junit",
    ]);
    let xml = String::from_utf8_lossy(&out.stdout);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    assert_eq!(doc.root_element().attribute("tests"), Some("6"));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        6
    );
}

#[test]
fn policy_test_exits_1_on_a_failing_case_and_2_on_a_broken_definition() {
    let dir = tempfile::tempdir().unwrap();
    let def = std::fs::read_to_string(fixture("policies/deny-public-ml.json")).unwrap();
    std::fs::write(dir.path().join("d.json"), &def).unwrap();
    std::fs::write(
        dir.path().join("d.tests.yaml"),
        "cases:\n  - name: wrong on purpose\n    resources:\n      - { type: Microsoft.MachineLearningServices/workspaces, name: w, location: westeurope, properties: {} }\n    expect:\n      - { resource: w, result: compliant }\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let out = aml(&["policy", "test", d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("MISMATCH w: expected compliant, got non-compliant"));
    std::fs::write(
        dir.path().join("d.json"),
        def.replacen("\"mode\": \"Indexed\",", "\"mode\": \"Indexed\"", 1),
    )
    .unwrap();
    let out = aml(&["policy", "test", d]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("d.json:7:5: expected `,` or `}`"), "{text}");
}

#[test]
fn policy_list_is_policies() {
    let a = aml(&["policies", "--format", "json"]);
    let b = aml(&["policy", "list", "--format", "json"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn an_alias_export_makes_a_custom_type_checkable_in_a_scan_and_in_policy_test() {
    let base = "tests/fixtures/policy-as-code/custom-type";
    let aliases = format!("{base}/aliases.json");
    let out = aml(&[
        "policy",
        "test",
        &format!("{base}/policies"),
        "--aliases",
        &aliases,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = aml(&["policy", "test", &format!("{base}/policies")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "without the export the alias is unknown"
    );
    let out = aml(&[
        "scan",
        "--no-config",
        &format!("{base}/infra"),
        "--policies",
        &format!("{base}/policies"),
        "--aliases",
        &aliases,
        "--deployment-scope",
        "/subscriptions/s1/resourceGroups/rg",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results: Vec<(String, String, bool)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "gadget-encryption")
        .map(|r| {
            (
                r["resource_name"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
                r["denied"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![
            ("gadget-plain".to_string(), "fail".to_string(), true),
            ("gadget-encrypted".to_string(), "pass".to_string(), false),
        ]
    );
}

#[test]
fn a_bad_deployment_scope_is_a_usage_error() {
    let out = aml(&["scan", "examples", "--deployment-scope", "/subscriptions"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a deployment scope"));
}

#[test]
fn the_real_mcsb_initiative_assigns_its_shipped_members_under_their_controls() {
    let initiative = project("../shared/corpus/azure-policy/policy-sets/AzureSecurityCenter.json");
    if !initiative.is_file() {
        eprintln!("../shared/corpus/azure-policy is not here; skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&initiative, dir.path().join("mcsb.json")).unwrap();
    let assignments = dir.path().join("assignments.json");
    std::fs::write(
        &assignments,
        format!(
            r#"[{{"id": "{SUB}/providers/Microsoft.Authorization/policyAssignments/mcsb", "name": "mcsb",
                 "policyDefinitionId": "/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8",
                 "scope": "{SUB}", "parameters": {{}}}}]"#
        ),
    )
    .unwrap();
    let options = ScanOptions {
        paths: vec![project("examples/insecure-workspace")],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        policy: PolicyOptions {
            policies: Some(dir.path().join("mcsb.json")),
            assignments: vec![assignments],
            aliases: None,
            deployment_scope: Some(
                DeploymentScope::parse(&format!("{SUB}/resourceGroups/rg")).unwrap(),
            ),
        },
        ..Default::default()
    };
    let report = pipeline::run(&options, &settings).report;
    let pna = of(&report, "mcsb")
        .into_iter()
        .find(|r| {
            r.rule == "438c38d2-3772-465a-a9cc-7a6666a275ce"
                && r.resource_type.ends_with("/workspaces")
        })
        .unwrap_or_else(|| {
            panic!(
                "no result of the shipped public network access member: {:?}",
                report.diagnostics
            )
        });
    assert_eq!(
        (pna.result.as_str(), pna.effect.as_deref(), pna.control),
        ("fail", Some("audit"), "NS-2")
    );
    // Members neither shipped nor in the folder: one warning for the initiative.
    let warnings: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "policy-assignment")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("of the 223 members"),
        "{}",
        warnings[0]
    );
}

#[test]
fn terraform_resources_take_the_deployment_scopes_subscription() {
    let options = ScanOptions {
        paths: vec![project("examples/terraform-workspace")],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        policy: at("prod"),
        ..Default::default()
    };
    let report = pipeline::run(&options, &settings).report;
    // The subscription assignment applies although Terraform does not know
    // the subscription; the resource group is the configuration's.
    let trial = of(&report, "pna-audit");
    assert!(!trial.is_empty());
    assert!(
        trial
            .iter()
            .all(|r| r.resource_id.contains("/resourceGroups/rg-tfml/")),
        "{trial:?}"
    );
}

#[test]
fn junit_and_html_show_every_assignment_result() {
    use aml_baseline::render::{render_run, OutputFormat, RenderOptions};
    let options = ScanOptions {
        paths: vec![fixture("infra")],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        policy: at("prod"),
        ..Default::default()
    };
    let run = pipeline::run(&options, &settings);
    let assigned = run
        .report
        .results
        .iter()
        .filter(|r| r.assignment.is_some())
        .count();
    assert_eq!(assigned, 6);
    let xml = render_run(OutputFormat::Junit, &run, &RenderOptions::default());
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(
        cases,
        run.report.results.len(),
        "every result is one test case"
    );
    let suite = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("policy assignments"))
        .expect("a suite of assignment results");
    assert_eq!(suite.attribute("tests"), Some("6"));
    assert!(xml.contains("the deployment would be denied"));
    let html = render_run(OutputFormat::Html, &run, &RenderOptions::default());
    let section = html
        .split("<section id=\"assignments\">")
        .nth(1)
        .expect("html section");
    let section = section.split("</section>").next().unwrap();
    assert_eq!(section.matches("<div class=\"result\"").count(), 6);
}
