//! End to end on the real ARM templates of `../shared/corpus/realworld`:
//! every template reads without an error diagnostic, and the verdicts are the
//! ones a person reads in the files (service defaults apply: an absent
//! `publicNetworkAccess` is public).

use crate::common;

use common::{errors, realworld, report, verdict};
use std::path::PathBuf;

const QUICKSTARTS: &str = "anthony-c-martin__azure-quickstart-templates";
const CHECKOV_ARM: &str = "bridgecrewio__checkov/tests/arm";
const AVM: &str = "Azure__bicep-registry-modules/avm/res/machine-learning-services/workspace";

#[test]
fn every_arm_template_in_the_corpus_reads_without_errors() {
    let root = corpus!("");
    let r = report(&[root], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let templates = r.files.iter().filter(|f| f.format == "arm").count();
    let read: Vec<_> = r.files.iter().filter(|f| f.role != "skipped").collect();
    // 2021 quickstarts (6 + 3 prereqs), AVM main.json (4), checkov fixtures (7).
    assert_eq!(
        templates,
        20,
        "{:?}",
        r.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    // metadata.json and version.json are not templates: skipped, with the reason.
    assert!(read
        .iter()
        .all(|f| !f.path.ends_with("metadata.json") && !f.path.ends_with("version.json")));
    let skipped = r
        .files
        .iter()
        .find(|f| f.path.ends_with("metadata.json"))
        .expect("metadata.json is accounted for");
    assert_eq!(skipped.role, "skipped");
    assert!(skipped.reason.is_some());
    assert!(r.summary.resources > 40, "{}", r.summary.resources);
}

#[test]
fn quickstart_101_create_is_public_without_cmk_or_private_link() {
    let r = report(
        &[corpus!(format!(
            "{QUICKSTARTS}/101-machine-learning-create"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    // The parameter file beside the template is used.
    assert!(r.files[0]
        .parameters
        .as_deref()
        .unwrap()
        .ends_with("azuredeploy.parameters.json"));
    for (rule, want) in [
        ("438c38d2", "fail"), // publicNetworkAccess absent: public
        ("45e05259", "fail"), // no private endpoint
        ("ba769a63", "fail"), // no CMK
        ("5f0c7d88", "fail"), // system-assigned identity only
        ("6ddb1705", "fail"), // no managed network
        ("afe0c3be", "fail"), // no diagnostic settings
    ] {
        assert_eq!(verdict(&r, rule, "GEN-UNIQUE"), want, "{rule}");
    }
    // The storage account, key vault and insights are deployed (conditions on 'new').
    assert_eq!(r.summary.resources, 4);
}

#[test]
fn quickstart_201_advanced_has_a_workspace_private_endpoint_with_its_parameter_file() {
    let dir = corpus!(format!("{QUICKSTARTS}/201-machine-learning-advanced"));
    let with = report(std::slice::from_ref(&dir), None);
    assert_eq!(errors(&with), Vec::<String>::new());
    // privateEndpointType = AutoApproval: the nested deployment adds a private endpoint.
    assert_eq!(verdict(&with, "45e05259", "GEN-UNIQUE"), "pass");
    assert_eq!(verdict(&with, "438c38d2", "GEN-UNIQUE"), "fail");
    // encryption_status is 'Disabled' by default here.
    assert_eq!(verdict(&with, "ba769a63", "GEN-UNIQUE"), "fail");

    // Without the parameter file, privateEndpointType defaults to 'none'.
    let template = dir.join("azuredeploy.json");
    let empty_params = tempfile::tempdir().unwrap();
    let params = empty_params.path().join("none.parameters.json");
    std::fs::write(
        &params,
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "parameters": {"workspaceName": {"value": "ws-no-pe"}, "location": {"value": "westus"}}}"#,
    )
    .unwrap();
    let without = report(&[template], Some(params));
    assert_eq!(errors(&without), Vec::<String>::new());
    assert_eq!(verdict(&without, "45e05259", "ws-no-pe"), "fail");
}

#[test]
fn quickstart_201_encrypted_workspace_uses_a_customer_managed_key() {
    let r = report(
        &[corpus!(format!(
            "{QUICKSTARTS}/201-machine-learning-encrypted-workspace/azuredeploy.json"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    assert_eq!(verdict(&r, "ba769a63", "GEN-UNIQUE"), "pass");
    assert_eq!(verdict(&r, "438c38d2", "GEN-UNIQUE"), "fail");
}

#[test]
fn quickstart_computes_have_local_auth_and_no_subnet() {
    let r = report(
        &[corpus!(format!(
            "{QUICKSTARTS}/101-machine-learning-compute-create-amlcompute/azuredeploy.json"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    let name = "GET-PREREQ-workspaceResource/GEN-UNIQUE-8";
    assert_eq!(verdict(&r, "e96a9a5f", name), "fail"); // disableLocalAuth absent: local auth on
    assert_eq!(verdict(&r, "7804b5c7", name), "fail"); // vnet parameters empty: no subnet
                                                       // Idle shutdown applies to compute instances; a cluster is compliant, as in Azure.
    assert_eq!(verdict(&r, "679ddf89", name), "pass");

    let r = report(
        &[corpus!(format!(
            "{QUICKSTARTS}/101-machine-learning-compute-create-computeinstance/azuredeploy.json"
        ))],
        None,
    );
    let name = "GET-PREREQ-workspaceName/GEN-UNIQUE-8";
    assert_eq!(verdict(&r, "e96a9a5f", name), "fail");
    assert_eq!(verdict(&r, "7804b5c7", name), "fail");
    assert_eq!(verdict(&r, "679ddf89", name), "fail"); // no idleTimeBeforeShutdown
}

#[test]
fn quickstart_private_ip_aks_compute_is_not_an_aml_compute() {
    let r = report(
        &[corpus!(format!(
            "{QUICKSTARTS}/201-machine-learning-private-ip"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    let aks = r
        .results
        .iter()
        .find(|x| x.resource_name.ends_with("/compute-with-ilb") && x.rule == "AMLB-POL-e96a9a5f")
        .expect("applies to computes");
    // computeType AKS is outside the definition's [ComputeInstance, AmlCompute].
    assert_eq!(aks.result.as_str(), "pass");
}

#[test]
fn checkov_public_network_fixtures_follow_the_service_default() {
    let dir = corpus!(format!(
        "{CHECKOV_ARM}/graph_builder/checks/resources/AzureMLWorkspacePublicNetwork"
    ));
    let r = report(&[dir], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    assert_eq!(verdict(&r, "438c38d2", "fail"), "fail");
    assert_eq!(verdict(&r, "438c38d2", "pass"), "pass");
    // Checkov labels `pass2` (no publicNetworkAccess at all) as passing; the
    // service default is `Enabled`, and Azure Policy 438c38d2 audits an
    // absent value, so aml-baseline fails it.
    assert_eq!(verdict(&r, "438c38d2", "pass2"), "fail");
}

#[test]
fn checkov_private_endpoint_fixtures_outbound_rules_are_not_private_link() {
    let dir = corpus!(format!(
        "{CHECKOV_ARM}/checks/resource/example_AzureMLWorkspacePrivateEndpoint"
    ));
    let r = report(&[dir], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    // Checkov passes `pass1`/`pass2` because the managed network has an
    // outbound rule of type PrivateEndpoint. That rule lets the workspace
    // reach other services privately; it does not put the workspace behind a
    // private endpoint, so Azure Policy 45e05259 is not met.
    for name in ["fail1", "fail2", "pass1", "pass2"] {
        assert_eq!(verdict(&r, "45e05259", name), "fail", "{name}");
    }
}

#[test]
fn avm_workspace_module_defaults() {
    let r = report(&[corpus!(format!("{AVM}/main.json"))], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let ws = r
        .resources
        .iter()
        .find(|x| x.resource_type == "Microsoft.MachineLearningServices/workspaces")
        .expect("the workspace");
    // The module's own default is publicNetworkAccess 'Disabled'.
    assert_eq!(verdict(&r, "438c38d2", &ws.name), "pass");
    // No private endpoints, CMK or diagnostic settings unless given.
    assert_eq!(verdict(&r, "45e05259", &ws.name), "fail");
    assert_eq!(verdict(&r, "ba769a63", &ws.name), "fail");
    assert_eq!(verdict(&r, "afe0c3be", &ws.name), "fail");
}

#[test]
fn avm_compute_module_depends_on_its_compute_type() {
    let r = report(&[corpus!(format!("{AVM}/compute/main.json"))], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let compute = r
        .results
        .iter()
        .find(|x| x.rule == "AMLB-POL-e96a9a5f")
        .expect("local auth rule applies to the compute");
    // computeType is a required parameter with no value: the verdict depends on it.
    assert_eq!(compute.result.as_str(), "unknown");
    assert!(
        compute.deciding.iter().any(|d| d.contains("computeType")),
        "{:?}",
        compute.deciding
    );
}

#[test]
fn secure_parameters_never_appear_in_the_report() {
    let dir = corpus!(format!(
        "{QUICKSTARTS}/101-machine-learning-compute-create-amlcompute"
    ));
    let r = report(&[dir], None);
    let json = aml_baseline::render::json::render(&r);
    let text = aml_baseline::render::text::render(&r);
    // adminUserPassword is a securestring given as "GEN-PASSWORD" in the parameter file.
    assert!(!json.contains("GEN-PASSWORD") && !text.contains("GEN-PASSWORD"));
}

#[test]
fn output_is_deterministic() {
    let root: PathBuf = corpus!("");
    let a = aml_baseline::render::json::render(&report(std::slice::from_ref(&root), None));
    let b = aml_baseline::render::json::render(&report(&[root], None));
    assert_eq!(a, b);
}

#[test]
fn avm_main_diagnostic_settings_logs_versus_metrics_only() {
    let main = corpus!(format!("{AVM}/main.json"));
    let fixtures = common::project("tests/fixtures/avm-diagnostics");
    let logs = report(
        std::slice::from_ref(&main),
        Some(fixtures.join("logs.parameters.json")),
    );
    assert_eq!(errors(&logs), Vec::<String>::new());
    assert_eq!(verdict(&logs, "afe0c3be", "mlw-logs"), "pass");
    // A diagnostic setting with metrics only does not send resource logs.
    let metrics = report(&[main], Some(fixtures.join("metrics-only.parameters.json")));
    assert_eq!(errors(&metrics), Vec::<String>::new());
    assert_eq!(verdict(&metrics, "afe0c3be", "mlw-metrics"), "fail");
}

#[test]
fn avm_main_links_its_private_endpoint_module() {
    // Bicep compiles the private endpoint module's connections into a whole
    // parameter expression (`[if(..., createObject('value', ...), ...)]`);
    // read, the endpoint targets the workspace and private link passes.
    let main = corpus!(format!("{AVM}/main.json"));
    let params = common::project("tests/fixtures/avm-diagnostics/private-endpoint.parameters.json");
    let r = report(std::slice::from_ref(&main), Some(params));
    assert_eq!(errors(&r), Vec::<String>::new());
    assert_eq!(verdict(&r, "45e05259", "mlw-pe"), "pass");
    assert_eq!(verdict(&r, "438c38d2", "mlw-pe"), "pass");
    // The endpoint itself is in the model and checked.
    assert_eq!(
        verdict(&r, "AMLB-NS2-005", "pep-mlw-pe-amlworkspace-0"),
        "fail"
    );
}
