//! Unknowns that know what they are (decision 0012): ids built from unknowns
//! keep their identity, `reference()` and nested deployment outputs resolve,
//! links the files leave open make results unknown (never failed), refined
//! unknowns (present, a resource id of a type) decide, and allowed values
//! are each evaluated. Fixtures in `tests/fixtures/unknowns/`, in ARM, Bicep
//! and Terraform where the format has the construct.

use crate::common::{errors, project, report};
use aml_baseline::report::{Report, ResultEntry};

fn scan(fixture: &str) -> Report {
    let r = report(
        &[project(&format!("tests/fixtures/unknowns/{fixture}"))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new(), "{fixture}");
    r
}

/// The one result of `rule` (8-hex policy prefix or id) on a resource of
/// type `type_suffix`.
fn result<'r>(r: &'r Report, rule: &str, type_suffix: &str) -> &'r ResultEntry {
    let id = aml_baseline::rules::find(rule)
        .map(|x| x.id)
        .unwrap_or(rule);
    let hits: Vec<&ResultEntry> = r
        .results
        .iter()
        .filter(|x| x.rule == id && x.resource_type.ends_with(type_suffix))
        .collect();
    assert_eq!(hits.len(), 1, "{rule} on {type_suffix}: {hits:?}");
    hits[0]
}

fn verdict_of(fixture: &str, rule: &str, type_suffix: &str) -> (String, String) {
    let r = scan(fixture);
    let x = result(&r, rule, type_suffix);
    (x.result.as_str().to_string(), x.message.to_string())
}

const WS: &str = "/workspaces";

// 1. Ids built from an unknown keep their identity.

#[test]
fn arm_private_endpoint_to_a_workspace_named_by_an_unknown_links() {
    let (v, m) = verdict_of("arm-id-identity.json", "45e05259", WS);
    assert_eq!(v, "pass", "{m}");
}

#[test]
fn bicep_resource_id_of_an_unknown_name_links() {
    let (v, m) = verdict_of("bicep-id-identity.bicep", "45e05259", WS);
    assert_eq!(v, "pass", "{m}");
}

#[test]
fn arm_diagnostic_setting_scoped_by_an_unknown_id_counts() {
    let (v, m) = verdict_of("arm-diag-scope-identity.json", "afe0c3be", WS);
    assert_eq!(v, "pass", "{m}");
}

// 2. reference() and nested deployment outputs, in dependency order.

#[test]
fn module_outputs_link_across_nested_deployments() {
    // The private endpoint module is declared before the workspace module it
    // depends on; its target is the workspace module's `id` output, and the
    // workspace's public access comes from a third deployment's output.
    let r = scan("arm-module-outputs.json");
    assert_eq!(result(&r, "45e05259", WS).result.as_str(), "pass");
    assert_eq!(result(&r, "438c38d2", WS).result.as_str(), "pass");
}

#[test]
fn module_outputs_keep_identity_when_the_name_is_unknown() {
    let r = report(
        &[project(
            "tests/fixtures/unknowns/arm-module-outputs-unknown-name.json",
        )],
        None,
    );
    let x = result(&r, "45e05259", WS);
    assert_eq!(x.result.as_str(), "pass", "{}", x.message);
    assert_eq!(x.resource_name, "[parameters('name')]");
}

// 3. Never fail what you cannot see.

#[test]
fn a_private_endpoint_with_an_open_target_makes_private_link_unknown() {
    let (v, m) = verdict_of("arm-pe-target-unknown.json", "45e05259", WS);
    assert_eq!(v, "unknown", "{m}");
    assert!(
        m.contains("parameters('target')"),
        "names what decides: {m}"
    );
    assert!(m.contains("private endpoint"), "names the endpoint: {m}");
}

#[test]
fn a_diagnostic_setting_with_an_open_scope_makes_logging_unknown() {
    let (v, m) = verdict_of("arm-diag-scope-unknown.json", "afe0c3be", WS);
    assert_eq!(v, "unknown", "{m}");
    assert!(m.contains("parameters('wsScope')"), "{m}");
}

// 4. Unknowns with a shape.

#[test]
fn a_data_source_subnet_id_is_present() {
    let (v, m) = verdict_of("tf-data-subnet", "7804b5c7", "/computes");
    assert_eq!(v, "pass", "{m}");
    assert!(m.contains("data.azurerm_subnet.training.id"), "{m}");
}

// 5. Parameter constraints decide.

#[test]
fn arm_allowed_values_decide() {
    let (v, m) = verdict_of("arm-allowed-pass.json", "438c38d2", WS);
    assert_eq!(v, "pass");
    assert!(m.contains("every allowed value"), "{m}");
    let (v, _) = verdict_of("arm-allowed-fail.json", "438c38d2", WS);
    assert_eq!(v, "fail");
    let (v, m) = verdict_of("arm-allowed-unknown.json", "438c38d2", WS);
    assert_eq!(v, "unknown");
    assert!(
        m.contains("fails for 'Enabled'"),
        "names the failing value: {m}"
    );
}

#[test]
fn a_bool_parameter_allowed_only_true_takes_its_branch() {
    let (v, m) = verdict_of("arm-allowed-bool.json", "438c38d2", WS);
    assert_eq!(v, "pass", "{m}");
    let (v, m) = verdict_of("bicep-allowed-bool.bicep", "438c38d2", WS);
    assert_eq!(v, "pass", "{m}");
}

#[test]
fn bicep_allowed_decorator_decides() {
    let (v, m) = verdict_of("bicep-allowed-pass.bicep", "438c38d2", WS);
    assert_eq!(v, "pass", "{m}");
    let (v, m) = verdict_of("bicep-allowed-unknown.bicep", "438c38d2", WS);
    assert_eq!(v, "unknown");
    assert!(m.contains("fails for 'Enabled'"), "{m}");
}

#[test]
fn terraform_validation_decides() {
    let (v, m) = verdict_of("tf-validation-pass", "438c38d2", WS);
    assert_eq!(v, "pass", "{m}");
    assert!(m.contains("every allowed value"), "{m}");
    let (v, m) = verdict_of("tf-validation-unknown", "438c38d2", WS);
    assert_eq!(v, "unknown");
    assert!(m.contains("fails for 'Enabled'"), "{m}");
}

#[test]
fn native_rules_are_evaluated_on_every_allowed_value() {
    let (v, m) = verdict_of("arm-native-allowed-pass.json", "AMLB-NS1-003", "/computes");
    assert_eq!(v, "pass", "{m}");
    assert!(m.contains("every allowed value"), "{m}");
    let (v, m) = verdict_of(
        "arm-native-allowed-unknown.json",
        "AMLB-NS1-003",
        "/computes",
    );
    assert_eq!(v, "unknown");
    assert!(m.contains("fails for true"), "{m}");
}

#[test]
fn reference_full_gives_the_id_and_leaves_service_properties_unknown() {
    // A diagnostic setting scoped by `reference(..., 'Full').id` of a
    // workspace named by an unknown counts for it; the workspace identity's
    // `principalId` (set by the service) is unknown, not an error.
    let r = report(
        &[project("tests/fixtures/unknowns/arm-reference-full.json")],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    assert_eq!(result(&r, "afe0c3be", WS).result.as_str(), "pass");
    let run = aml_baseline::pipeline::run(
        &aml_baseline::scan::ScanOptions {
            paths: vec![project("tests/fixtures/unknowns/arm-reference-full.json")],
            ..Default::default()
        },
        &aml_baseline::pipeline::Settings {
            no_config: true,
            ..Default::default()
        },
    );
    let assignment = run
        .scan
        .model
        .resources
        .iter()
        .find(|r| r.is_type("Microsoft.Authorization/roleAssignments"))
        .expect("the role assignment");
    let principal = assignment.get("properties.principalId").expect("set");
    assert!(principal.is_unknown(), "{principal}");
}
