//! CLI YAML as `az ml` reads it (issues 19.4, 24.5, 24.6): files without
//! `$schema` recognised by their keys, the entity variant decided by the
//! content, every document of a file, keys given twice, wrong types and
//! stray keys diagnosed where they are, and an invalid value never
//! satisfying a rule. The fixtures are in `tests/fixtures/yaml-shapes`; the
//! SDK's own view of them is checked by `scripts/yaml-oracle.sh`.

use crate::common::{self, project};
use aml_baseline::diagnostics::Level;
use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use aml_model::value::Value;

fn fixture(rel: &str) -> std::path::PathBuf {
    project(&format!("tests/fixtures/yaml-shapes/{rel}"))
}

fn report(rel: &str) -> Report {
    common::report(&[fixture(rel)], None)
}

fn model(rel: &str) -> Vec<aml_model::model::Resource> {
    let options = ScanOptions {
        paths: vec![fixture(rel)],
        ..Default::default()
    };
    aml_baseline::scan::scan(&options).model.resources
}

fn diagnostics(report: &Report, code: &str) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| format!("{}:{}:{} {}", d.path, d.line, d.column, d.message))
        .collect()
}

#[test]
fn a_workspace_without_schema_is_read() {
    let r = report("no-schema-workspace");
    assert!(common::errors(&r).is_empty(), "{:?}", common::errors(&r));
    let file = r
        .files
        .iter()
        .find(|f| f.path.ends_with("workspace.yml"))
        .expect("the file is read");
    assert_eq!(file.resources, 1);
    assert_eq!(
        common::verdict(&r, "ba769a63", "mlw-hbi-cmk"),
        "pass",
        "customer-managed key"
    );
    assert_eq!(common::verdict(&r, "438c38d2", "mlw-hbi-cmk"), "pass");
    let resources = model("no-schema-workspace");
    let ws = resources
        .iter()
        .find(|r| r.resource_type.ends_with("/workspaces"))
        .unwrap();
    assert_eq!(ws.get("properties.hbiWorkspace"), Some(&Value::Bool(true)));
    assert_eq!(
        ws.get("properties.managedNetwork.isolationMode"),
        Some(&Value::str("AllowOnlyApprovedOutbound"))
    );
}

#[test]
fn kubernetes_is_decided_by_the_content() {
    for dir in ["no-schema-k8s", "managed-schema-k8s-content"] {
        let resources = model(dir);
        let endpoint = resources
            .iter()
            .find(|r| r.resource_type.ends_with("/onlineEndpoints"))
            .unwrap_or_else(|| panic!("{dir}: no endpoint"));
        assert!(endpoint.get("properties.compute").is_some(), "{dir}");
        assert_eq!(
            endpoint.get("properties.publicNetworkAccess"),
            None,
            "{dir}: a Kubernetes endpoint has no public network access setting"
        );
        let deployment = resources
            .iter()
            .find(|r| r.resource_type.ends_with("/onlineEndpoints/deployments"))
            .unwrap_or_else(|| panic!("{dir}: no deployment (read as an attached compute?)"));
        assert_eq!(
            deployment.get("properties.endpointComputeType"),
            Some(&Value::str("Kubernetes")),
            "{dir}"
        );
        assert!(
            !resources
                .iter()
                .any(|r| r.resource_type.ends_with("/computes")),
            "{dir}"
        );
    }
}

#[test]
fn an_azure_ml_file_of_unknown_kind_is_a_warning() {
    let r = report("unrecognised");
    let w = diagnostics(&r, "yaml-unrecognised");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("deployment.yml:2:1"), "{}", w[0]);
    assert!(w[0].contains("online or a batch"), "{}", w[0]);
    let file = r
        .files
        .iter()
        .find(|f| f.path.ends_with("deployment.yml"))
        .unwrap();
    assert_eq!((file.role, file.resources), ("skipped", 0));
    assert!(
        file.reason
            .as_deref()
            .is_some_and(|why| why.starts_with("an unrecognised Azure ML shape")),
        "{:?}",
        file.reason
    );
}

#[test]
fn every_document_of_a_file_is_read() {
    let r = report("multi-doc");
    for (name, want) in [("cpu-a", "pass"), ("cpu-b", "fail")] {
        let name = format!("<workspace>/{name}");
        assert_eq!(common::verdict(&r, "AMLB-NS1-003", &name), want, "{name}");
    }
    let w = diagnostics(&r, "yaml-multi-document");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("computes.yml:6:1") && w[0].contains("2 YAML documents"),
        "{}",
        w[0]
    );
    let file = r
        .files
        .iter()
        .find(|f| f.path.ends_with("computes.yml"))
        .unwrap();
    assert_eq!(file.resources, 2);
}

#[test]
fn a_wrong_type_never_satisfies_a_rule() {
    for (dir, diagnosed) in [
        ("cmk-false", true),
        ("cmk-7", true),
        ("cmk-none", true),
        ("cmk-empty", false),
    ] {
        let r = report(&format!("wrong-types/{dir}"));
        let name = format!("mlw-{dir}");
        let got = common::verdict(&r, "ba769a63", &name);
        assert_ne!(got, "pass", "{dir}");
        let e = diagnostics(&r, "yaml-schema");
        assert_eq!(!e.is_empty(), diagnosed, "{dir}: {e:?}");
        if diagnosed {
            assert!(
                e[0].contains("workspace.yml:4:1") && e[0].contains("customer_managed_key"),
                "{}",
                e[0]
            );
            assert!(r.diagnostics.iter().any(|d| d.level == Level::Error));
        }
    }
}

#[test]
fn a_file_the_cli_rejects_is_diagnosed_where_it_is_wrong() {
    let r = report("wrong-types/deployment");
    let e = diagnostics(&r, "yaml-schema");
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].contains(":6:1") && e[0].contains("instance_count") && e[0].contains("integer"));
    assert!(e[1].contains(":7:1") && e[1].contains("egress_public_network_access"));
    assert!(e[2].contains(":8:1") && e[2].contains("`favourite_colour` is not a key"));
    // The invalid egress setting is taken neither for `Enabled` nor for `Disabled`.
    let resources = model("wrong-types/deployment");
    let d = resources
        .iter()
        .find(|r| r.resource_type.ends_with("/deployments"))
        .unwrap();
    assert!(d
        .get("properties.egressPublicNetworkAccess")
        .is_some_and(Value::is_unknown));
    assert!(d.get("sku.capacity").is_some_and(Value::is_unknown));
}

#[test]
fn a_key_given_twice_is_judged_on_the_last_one() {
    let r = report("duplicates");
    assert_eq!(common::verdict(&r, "438c38d2", "mlw-dup"), "pass");
    let w = diagnostics(&r, "yaml-duplicate-key");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("workspace.yml:6:1")
            && w[0].contains("line 4, column 1")
            && w[0].contains("line 6, column 1"),
        "{}",
        w[0]
    );
}

#[test]
fn an_update_file_leaves_the_isolation_mode_and_reads_rules_by_name() {
    let resources = model("update");
    let ws = &resources[0];
    assert!(
        ws.get("properties.managedNetwork.isolationMode")
            .is_some_and(Value::is_unknown),
        "{:?}",
        ws.get("properties.managedNetwork")
    );
    assert_eq!(
        ws.get("properties.managedNetwork.outboundRules.storage-pe.type"),
        Some(&Value::str("PrivateEndpoint"))
    );
    let r = report("update");
    assert_eq!(
        diagnostics(&r, "yaml-schema").len(),
        1,
        "a mapping is not what az ml accepts"
    );
}

#[test]
fn identities_are_what_the_sdk_sends() {
    let resources = model("identities");
    let batch = resources
        .iter()
        .find(|r| r.resource_type.ends_with("/batchEndpoints"))
        .unwrap();
    assert_eq!(batch.get("identity"), None);
    let registry = resources
        .iter()
        .find(|r| r.resource_type.ends_with("/registries"))
        .unwrap();
    assert_eq!(
        registry.get("identity.type"),
        Some(&Value::str("SystemAssigned"))
    );
}

#[test]
fn a_workspace_without_schema_gives_its_computes_their_workspace() {
    let resources = model("no-schema-workspace/cluster.yml");
    let cluster = resources
        .iter()
        .find(|r| r.resource_type.ends_with("/computes"))
        .unwrap();
    assert_eq!(cluster.name, "mlw-hbi-cmk/cpu-cluster");
    // The workspace beside the file named alone is read as context: in the
    // model (the cluster's workspace), judged by no rule (issue 19, point 3).
    assert!(resources
        .iter()
        .any(|r| r.resource_type.ends_with("/workspaces")
            && r.existing
            && r.name == "mlw-hbi-cmk"));
}

#[test]
fn json_with_the_clis_keys_is_read_or_warned_about() {
    let r = report("json");
    let file = r
        .files
        .iter()
        .find(|f| f.path.ends_with("workspace.json"))
        .expect("the workspace JSON is read");
    assert_eq!(file.resources, 1);
    assert_eq!(common::verdict(&r, "438c38d2", "mlw-json"), "fail");
    let w = diagnostics(&r, "yaml-unrecognised");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("deployment.json"), "{}", w[0]);
    let skipped = |name: &str| {
        r.files
            .iter()
            .any(|f| f.path.ends_with(name) && f.role == "skipped")
    };
    assert!(skipped("package.json") && skipped("deployment.json"));
    assert!(
        r.diagnostics
            .iter()
            .all(|d| !d.path.ends_with("package.json")),
        "{:?}",
        r.diagnostics
    );
}
