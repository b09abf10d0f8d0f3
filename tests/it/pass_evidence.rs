//! A pass names its evidence: the related resource that met an
//! auditIfNotExists condition (with where it is declared), or the condition
//! of the definition that the resource does not meet (a compute cluster is
//! not what a compute-instance definition checks).

use crate::common;

use common::{errors, project, report};

fn result<'r>(
    r: &'r aml_baseline::report::Report,
    rule: &str,
    name: &str,
) -> &'r aml_baseline::report::ResultEntry {
    r.results
        .iter()
        .find(|x| x.rule.ends_with(rule) && x.resource_name == name)
        .unwrap_or_else(|| panic!("no {rule} result on {name}"))
}

#[test]
fn a_definition_for_other_computes_says_which_condition_leaves_this_one_out() {
    let r = report(
        &[project("tests/fixtures/pass-evidence/computes.json")],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    let pass = result(&r, "679ddf89", "mlw-evidence/cluster");
    assert_eq!(pass.result.as_str(), "pass");
    assert_eq!(
        pass.message,
        "`properties.computeType` is 'AmlCompute': this definition checks only resources whose `computeType` is 'ComputeInstance': compliant"
    );
    // It points at the value that decides.
    assert_eq!(pass.property.as_deref(), Some("properties.computetype"));
    let fail = result(&r, "679ddf89", "mlw-evidence/instance");
    assert_eq!(fail.result.as_str(), "fail");
    let unknown = result(&r, "679ddf89", "mlw-evidence/either");
    assert_eq!(unknown.result.as_str(), "unknown");
    assert!(unknown.deciding.iter().any(|d| d.contains("computeKind")));
}

#[test]
fn passes_in_every_format_name_their_evidence() {
    // Bicep: a diagnostic setting, and a cluster the compute-instance
    // definitions leave out.
    let r = report(&[project("examples/bicep-workspace")], None);
    let diag = result(&r, "afe0c3be", "mlw-bicep");
    let evidence = diag
        .evidence
        .as_ref()
        .expect("the setting that satisfied it");
    assert_eq!(
        evidence.resource_type,
        "Microsoft.Insights/diagnosticSettings"
    );
    assert_eq!(evidence.line, 166);
    assert!(diag
        .message
        .contains("main.bicep:166) meets the definition's existence condition"));
    let cluster = result(&r, "f110a506", "mlw-bicep/cpu-cluster");
    assert!(cluster
        .message
        .starts_with("`properties.computeType` is 'AmlCompute'"));
    // A compute instance whose OS image status the service sets: the
    // definition flags only `false`.
    let instance = result(&r, "f110a506", "mlw-bicep/notebook-ci");
    assert_eq!(instance.result.as_str(), "pass");
    assert!(
        instance.message.contains("is not set: this definition flags only resources whose `isLatestOsImageVersion` is 'false'"),
        "{}",
        instance.message
    );
    // ARM.
    let r = report(&[project("examples/hardened-workspace")], None);
    let diag = result(&r, "afe0c3be", "mlw-hardened");
    assert_eq!(
        diag.evidence.as_ref().map(|e| e.resource_name.as_str()),
        Some("send-to-log-analytics")
    );
    // Terraform.
    let r = report(&[project("examples/terraform-workspace")], None);
    let cluster = result(&r, "679ddf89", "mlw-tfml/cpu-cluster");
    assert!(
        cluster
            .message
            .starts_with("`properties.computeType` is 'AmlCompute': this definition checks only"),
        "{}",
        cluster.message
    );
}
