//! Issue 19: nothing vanishes. Two declarations never merge unless their ids
//! are known equal; strings built from unknowns keep their literal parts;
//! a policy verdict is never silently absent; definitions kept as ARM
//! resources are unescaped; findings on Terraform and CLI YAML speak the
//! input's language (tests/fixtures/issue19).

use crate::common::{errors, project, report, verdict};
use aml_baseline::pipeline::{self, Settings};
use aml_baseline::policies::PolicyOptions;
use aml_baseline::policy::DeploymentScope;
use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    project(&format!("tests/fixtures/issue19/{rel}"))
}

fn scan(rel: &str) -> Report {
    report(&[fixture(rel)], None)
}

/// The names of the resources of `ty` that have results, sorted, once each.
fn names_of(report: &Report, ty: &str) -> Vec<String> {
    let mut names: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.resource_type.eq_ignore_ascii_case(ty))
        .map(|r| r.resource_name.to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

const COMPUTES: &str = "Microsoft.MachineLearningServices/workspaces/computes";

#[test]
fn two_module_instances_with_an_unknown_workspace_stay_two_clusters() {
    let r = scan("bicep-two-clusters/main.bicep");
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    assert_eq!(
        names_of(&r, COMPUTES),
        ["[workspaceName]/cpu-pool", "[workspaceName]/gpu-pool"]
    );
    // Each has its own results.
    assert_eq!(verdict(&r, "e96a9a5f", "[workspaceName]/cpu-pool"), "pass");
    assert_eq!(verdict(&r, "e96a9a5f", "[workspaceName]/gpu-pool"), "pass");
    assert!(!r.diagnostics.iter().any(|d| d.code == "duplicate-resource"));
}

#[test]
fn an_arm_copy_loop_over_an_unknown_workspace_stays_two_clusters() {
    let r = scan("arm-copy-two-clusters.json");
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    assert_eq!(
        names_of(&r, COMPUTES),
        [
            "[parameters('workspaceName')]/cpu-pool",
            "[parameters('workspaceName')]/gpu-pool"
        ]
    );
}

#[test]
fn terraform_count_and_for_each_instances_stay_apart() {
    let r = scan("tf-count");
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    let names = names_of(&r, COMPUTES);
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn the_same_known_resource_declared_twice_is_said_and_nothing_is_lost() {
    // (file, declarations read, what the warning says): two declarations in
    // a template stay two (both checked); one module declaration deployed
    // twice with the same values is one resource.
    for (rel, lines, says) in [
        ("arm-same-cluster-twice.json", 2, "declared again here"),
        ("bicep-same-cluster-twice/main.bicep", 1, "same settings"),
    ] {
        let r = scan(rel);
        assert_eq!(names_of(&r, COMPUTES), ["mlw/cpu-pool"], "{rel}");
        let mut at: Vec<u32> = r
            .results
            .iter()
            .filter(|x| x.resource_type == COMPUTES)
            .map(|x| x.line)
            .collect();
        at.sort();
        at.dedup();
        let declarations: Vec<(String, u32)> = r
            .results
            .iter()
            .filter(|x| x.resource_type == COMPUTES && x.rule == "AMLB-POL-e96a9a5f")
            .map(|x| (x.path.to_string(), x.line))
            .collect();
        assert_eq!(declarations.len(), lines, "{rel}: {at:?}");
        let dup: Vec<_> = r
            .diagnostics
            .iter()
            .filter(|d| d.code == "duplicate-resource")
            .collect();
        assert_eq!(dup.len(), 1, "{rel}: {:?}", r.diagnostics);
        assert!(dup[0].message.contains(says), "{}", dup[0].message);
    }
}

#[test]
fn a_subnet_id_built_from_unknowns_is_set() {
    for rel in [
        "subnet-id/arm-concat.json",
        "subnet-id/arm-format.json",
        "subnet-id/arm-join.json",
        "subnet-id/bicep-interpolation.bicep",
        "subnet-id/tf",
        "subnet-id/tf-format",
        "subnet-id/tf-join",
    ] {
        let r = scan(rel);
        assert!(errors(&r).is_empty(), "{rel}: {:?}", errors(&r));
        let hits: Vec<_> = r
            .results
            .iter()
            .filter(|x| x.policy.is_some_and(|p| p.starts_with("7804b5c7")))
            .collect();
        assert_eq!(hits.len(), 1, "{rel}");
        assert_eq!(
            hits[0].result.as_str(),
            "pass",
            "{rel}: {}",
            hits[0].message
        );
        assert!(
            hits[0].message.contains("/subnets/"),
            "{rel}: {}",
            hits[0].message
        );
    }
}

fn scan_with_policies(paths: Vec<PathBuf>, policies: PathBuf, scope: Option<&str>) -> Report {
    let options = ScanOptions {
        paths,
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        policy: PolicyOptions {
            policies: Some(policies),
            assignments: Vec::new(),
            aliases: None,
            deployment_scope: scope.map(|s| DeploymentScope::parse(s).unwrap()),
        },
        ..Default::default()
    };
    pipeline::run(&options, &settings).report
}

#[test]
fn terraform_takes_the_deployment_scope_resource_group_and_says_so() {
    let scope = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/ml-prod";
    let r = scan_with_policies(
        vec![fixture("tf-rg-variable")],
        project("tests/fixtures/policy-as-code/policies"),
        Some(scope),
    );
    let of = |name: &str| {
        r.results
            .iter()
            .find(|x| x.rule == "deny-public-ml" && x.resource_name == name)
            .map(|x| (x.result.as_str(), x.resource_id.clone()))
    };
    let (verdict, id) = of("mlw-rg-from-scope").expect("the definition's result is reported");
    assert_eq!(verdict, "fail");
    assert!(id.contains("/resourceGroups/ml-prod/"), "{id}");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == "terraform-deployment-scope"
            && d.message.contains("var.resource_group_name")
            && d.message.contains("'ml-prod'")));
    // A workspace in another resource group is outside the scope: no
    // result, and a diagnostic that says why.
    assert_eq!(of("mlw-other-rg"), None);
    let na: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == "policy-not-applicable")
        .collect();
    // The definition on its own, and the two members of the initiative beside it.
    assert_eq!(na.len(), 3, "{na:?}");
    assert!(na
        .iter()
        .all(|d| d.message.contains("'mlw-other-rg'") && d.message.contains("outside its scope")));
    assert!(na
        .iter()
        .any(|d| d.message.contains("of assignment 'deny-public-ml'")));
    // The report's rule account says the same on the resource, and proves
    // that every other (resource, rule) pair has a result or a reason.
    let json = serde_json::to_string(&r).expect("serialises");
    let (counts, problems) = crate::common::account_problems(&json);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(counts.not_applicable >= 3, "{counts:?}");
    let other = r
        .resources
        .iter()
        .find(|x| x.name == "mlw-other-rg")
        .expect("the workspace is in the report");
    let outside: Vec<_> = other
        .not_applicable
        .iter()
        .filter(|n| n.assignment.is_some() && n.reason.contains("outside its scope"))
        .collect();
    assert_eq!(outside.len(), 3, "{:#?}", other.not_applicable);
    // Without the scope the result is there as before.
    let r = scan_with_policies(
        vec![fixture("tf-rg-variable")],
        project("tests/fixtures/policy-as-code/policies"),
        None,
    );
    assert!(r
        .results
        .iter()
        .any(|x| x.rule == "deny-public-ml" && x.resource_name == "mlw-rg-from-scope"));
}

#[test]
fn definitions_kept_as_arm_resources_are_unescaped() {
    let r = scan_with_policies(
        vec![project("tests/fixtures/policy-as-code/infra")],
        fixture("es-policies"),
        Some("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/prod"),
    );
    let def = |name: &str| {
        r.results
            .iter()
            .filter(|x| x.rule == "Deny-MachineLearning-PublicAccess" && x.resource_name == name)
            .collect::<Vec<_>>()
    };
    // The definition itself (default effect Deny) and through the initiative
    // (its member parameter `[[parameters('mlPublicAccessEffect')]` → Audit).
    let public = def("mlw-public");
    assert_eq!(public.len(), 2, "{public:?}");
    let effects: Vec<_> = public.iter().map(|x| x.effect.as_deref()).collect();
    assert!(
        effects.contains(&Some("deny")) && effects.contains(&Some("audit")),
        "{effects:?}"
    );
    assert!(public.iter().all(|x| x.result.as_str() == "fail"));
    assert!(public.iter().any(|x| x.denied));
    // The escaped parameter in the condition is read: Disabled is compliant.
    assert!(def("mlw-private")
        .iter()
        .all(|x| x.result.as_str() == "pass"));
}

fn yaml_or_tf_message(rel: &str, rule: &str) -> String {
    let r = report(&[project(rel)], None);
    let hit = r
        .results
        .iter()
        .find(|x| x.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} result in {rel}"));
    hit.message.to_string()
}

#[test]
fn findings_on_terraform_and_cli_yaml_name_what_the_user_wrote() {
    let m = yaml_or_tf_message("tests/fixtures/issue19/messages/tf", "AMLB-POL-6ddb1705");
    assert!(
        m.contains("the `managed_network` block") || m.contains("in the `managed_network` block"),
        "{m}"
    );
    assert!(m.contains("(`properties.managedNetwork"), "{m}");
    let m = yaml_or_tf_message(
        "tests/fixtures/issue19/messages/cluster.yml",
        "AMLB-POL-7804b5c7",
    );
    assert!(
        m.contains("`network_settings.subnet` (`properties.properties.subnet.id`)"),
        "{m}"
    );
}

#[test]
fn policy_test_reads_definitions_kept_as_arm_resources() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["policy", "test", "tests/fixtures/issue19/es-policies"])
        .current_dir(project(""))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("2 cases: 2 passed, 0 failed"), "{text}");
    assert!(
        text.contains("effect Deny"),
        "the escaped default effect is read: {text}"
    );
}

#[test]
fn native_rules_take_a_subnet_id_with_known_text_as_set() {
    let r = scan("subnet-id/bicep-native.bicep");
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    assert_eq!(verdict(&r, "AMLB-NS1-001", "mlw-subnet"), "pass");
    assert_eq!(verdict(&r, "AMLB-NS1-004", "mlw-subnet/cpu-pool"), "pass");
    assert_eq!(verdict(&r, "7804b5c7", "mlw-subnet/cpu-pool"), "pass");
}

#[test]
fn a_native_rule_on_a_compute_of_unknown_type_is_unknown_not_absent() {
    // A generic compute template (the AVM compute module's shape): the
    // compute type is a parameter with no value. Rules that judge only some
    // compute types cannot say whether they apply: unknown, naming it.
    let r = scan("arm-compute-type-parameter");
    for rule in [
        "AMLB-NS1-003",
        "AMLB-NS1-004",
        "AMLB-PV6-001",
        "AMLB-DP3-001",
        "AMLB-IM3-001",
    ] {
        let res = r
            .results
            .iter()
            .find(|x| x.rule == rule)
            .unwrap_or_else(|| panic!("{rule} has a result"));
        assert_eq!(res.result.as_str(), "unknown", "{rule}: {}", res.message);
        assert!(
            res.message
                .contains("`properties.computeType` (`parameters('computeType')`)"),
            "{rule}: {}",
            res.message
        );
        assert_eq!(res.line, 16, "{rule} points at computeType");
    }
    // Rules that do not select computes by type are unaffected.
    assert!(r.resources[0]
        .not_applicable
        .iter()
        .any(|n| n.rule == "AMLB-IM8-002"));
}

#[test]
fn terraform_a_computed_attribute_of_a_nested_block_is_unknown_not_an_error() {
    // `identity[0].principal_id` is set by the provider after apply: the
    // azapi body keeps every other value (the compute type), and no
    // expression diagnostic is raised.
    let r = scan("tf-computed-block-attribute");
    let compute = r
        .resources
        .iter()
        .find(|x| x.resource_type.ends_with("/computes"))
        .expect("the compute");
    assert!(
        compute.not_applicable.iter().any(|n| n.rule == "AMLB-PV6-001"
            && n.reason.contains("`computeType` is 'Kubernetes'")),
        "{:#?}",
        compute.not_applicable
    );
    assert!(
        !r.diagnostics
            .iter()
            .any(|d| d.code == "terraform-expression"),
        "{:#?}",
        r.diagnostics
    );
}
