//! Gaps the front ends had left open: outer-scope nested deployments that
//! deploy into another resource group, Bicep `import` of variables,
//! functions and types from local files, Terraform role definitions and
//! `role_definition_name` (the inference cluster `ssl` block is in the
//! AMLB-DP3-001 fixtures of `native_rules`). Each: pass, fail, unknown.

use crate::common;

use common::{errors, project, report, verdict};

fn scan(rel: &str) -> aml_baseline::report::Report {
    let r = report(&[project(&format!("tests/fixtures/{rel}"))], None);
    assert_eq!(errors(&r), Vec::<String>::new(), "{rel}");
    r
}

#[test]
fn outer_scope_nested_deployments_deploy_into_their_resource_group() {
    // The workspace is deployed into `rg-ml`; the diagnostic setting names it there.
    let r = scan("outer-scope/pass.json");
    assert_eq!(verdict(&r, "afe0c3be", "mlw-outer"), "pass");
    let ws = r.resources.iter().find(|x| x.name == "mlw-outer").unwrap();
    assert!(ws.id.contains("/resourceGroups/rg-ml/"), "{}", ws.id);
    // A setting on a workspace of the same name in the parent's resource group
    // is on another resource.
    assert_eq!(
        verdict(&scan("outer-scope/fail.json"), "afe0c3be", "mlw-outer"),
        "fail"
    );
    // A resource group the files do not fix keeps its identity: the setting
    // built from the same parameter names the same workspace.
    assert_eq!(
        verdict(
            &scan("outer-scope/param-pass.json"),
            "afe0c3be",
            "mlw-param"
        ),
        "pass"
    );
    let r = scan("outer-scope/unknown.json");
    assert_eq!(verdict(&r, "afe0c3be", "mlw-unknown"), "unknown");
    // The setting names a resource group of another parameter: it may be
    // this workspace or another, so the verdict is unknown, never a failure.
    let r = scan("outer-scope/unknown-link.json");
    assert_eq!(verdict(&r, "afe0c3be", "mlw-open"), "unknown");
}

#[test]
fn bicep_imports_of_local_variables_functions_and_types_are_evaluated() {
    assert_eq!(
        verdict(
            &scan("bicep-import/pass.bicep"),
            "438c38d2",
            "mlw-import-pass"
        ),
        "pass"
    );
    assert_eq!(
        verdict(
            &scan("bicep-import/fail.bicep"),
            "438c38d2",
            "mlw-import-fail"
        ),
        "fail"
    );
    let r = scan("bicep-import/unknown.bicep");
    assert_eq!(verdict(&r, "438c38d2", "mlw-import-unknown"), "unknown");
    // The imported function is found (no "unknown function" error or warning).
    assert!(
        r.diagnostics
            .iter()
            .all(|d| !d.message.contains("unknown function")),
        "{:?}",
        r.diagnostics
    );
}

#[test]
fn terraform_role_names_and_role_definitions_are_checked() {
    let id = |n: u8| format!("6f1e2d3c-0000-4000-8000-0000000c000{n}");
    assert_eq!(
        verdict(&scan("terraform/roles/name-fail"), "AMLB-PA7-001", &id(1)),
        "fail"
    );
    assert_eq!(
        verdict(&scan("terraform/roles/name-pass"), "AMLB-PA7-001", &id(2)),
        "pass"
    );
    let r = scan("terraform/roles/name-unknown");
    assert_eq!(verdict(&r, "AMLB-PA7-001", &id(3)), "unknown");
    let result = r.results.iter().find(|x| x.rule == "AMLB-PA7-001").unwrap();
    assert!(
        result.deciding.iter().any(|d| d.contains("var.role")),
        "{:?}",
        result.deciding
    );

    let def = |n: u8| format!("7a2b3c4d-0000-4000-8000-0000000d000{n}");
    let r = scan("terraform/roles/definition-fail");
    assert_eq!(verdict(&r, "AMLB-PA7-002", &def(1)), "fail");
    let role = r
        .resources
        .iter()
        .find(|x| x.name == def(1))
        .expect("the role definition is in the model");
    assert_eq!(
        role.resource_type,
        "Microsoft.Authorization/roleDefinitions"
    );
    assert_eq!(
        verdict(
            &scan("terraform/roles/definition-pass"),
            "AMLB-PA7-002",
            &def(2)
        ),
        "pass"
    );
    assert_eq!(
        verdict(
            &scan("terraform/roles/definition-unknown"),
            "AMLB-PA7-002",
            &def(3)
        ),
        "unknown"
    );
}

#[test]
fn an_inference_cluster_ssl_block_the_files_do_not_fix_is_unknown() {
    // `dynamic "ssl"` over a list variable: the block may be absent (plain
    // HTTP) or present (TLS); the pass and fail cases are the AMLB-DP3-001
    // fixtures of `native_rules`.
    let r = scan("terraform/ssl-dynamic");
    assert_eq!(verdict(&r, "AMLB-DP3-001", "ws/aks"), "unknown");
}
