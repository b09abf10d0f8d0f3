//! End to end on the Terraform configurations of `../shared/corpus/realworld`
//! and the hand-written fixtures: every `.tf` reads without an error, and the
//! verdicts are the ones a person reads in the files, with the azurerm
//! provider's defaults for unset arguments.

mod common;

use aml_baseline::report::Report;
use common::{errors, project, realworld, report, verdict};

macro_rules! corpus {
    ($rel:expr) => {{
        let Some(root) = realworld() else {
            eprintln!("../shared/corpus/realworld is not here; skipping");
            return;
        };
        root.join($rel)
    }};
}

const QUICKSTART: &str = "Azure__terraform/quickstart";
const AVM_TF: &str = "Azure__terraform-azurerm-avm-res-machinelearningservices-workspace";
const CHECKOV: &str = "bridgecrewio__checkov/tests/terraform";

#[test]
fn every_terraform_file_in_the_corpus_reads_without_errors() {
    let root = corpus!("");
    let r = report(&[root], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let tf = r.files.iter().filter(|f| f.format == "terraform").count();
    assert_eq!(
        tf,
        40,
        "{:?}",
        r.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert!(
        r.resources
            .iter()
            .filter(|x| x.format == "terraform")
            .count()
            > 60
    );
}

#[test]
fn quickstart_101_is_public_with_local_auth_and_public_ips() {
    let r = report(
        &[corpus!(format!("{QUICKSTART}/101-machine-learning"))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    // The name comes from random_pet (known after apply): the address stands in.
    let ws = "azurerm_machine_learning_workspace.default";
    assert_eq!(verdict(&r, "438c38d2", ws), "fail"); // public_network_access_enabled = true
    assert_eq!(verdict(&r, "45e05259", ws), "fail"); // no private endpoint
    assert_eq!(verdict(&r, "ba769a63", ws), "fail"); // no encryption block
    assert_eq!(verdict(&r, "afe0c3be", ws), "fail"); // no diagnostic setting
    let pna = r
        .results
        .iter()
        .find(|x| x.rule == "AMLB-POL-438c38d2")
        .unwrap();
    assert!(pna.path.ends_with("workspace.tf"));
    assert_eq!(
        pna.line, 44,
        "points at public_network_access_enabled = true"
    );
    assert_eq!(pna.address.as_deref(), Some(ws));
    // Computes: local_auth_enabled and node_public_ip_enabled unset → provider default true.
    let cluster = format!("{ws}/cpu-cluster");
    assert_eq!(verdict(&r, "e96a9a5f", &cluster), "fail");
    assert_eq!(verdict(&r, "7804b5c7", &cluster), "fail"); // no subnet
    let ci = format!("{ws}/azurerm_machine_learning_compute_instance.main");
    assert_eq!(verdict(&r, "e96a9a5f", &ci), "fail");
    assert_eq!(verdict(&r, "7804b5c7", &ci), "fail");
}

#[test]
fn quickstart_201_is_private_with_private_endpoints_and_no_cmk_or_logs() {
    let r = report(
        &[corpus!(format!(
            "{QUICKSTART}/201-machine-learning-moderately-secure"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    let ws = "mlw-examplehost-dev";
    assert_eq!(verdict(&r, "438c38d2", ws), "pass"); // public_network_access_enabled = false
    assert_eq!(verdict(&r, "45e05259", ws), "pass"); // azurerm_private_endpoint.mlw_ple
    assert_eq!(verdict(&r, "ba769a63", ws), "fail");
    assert_eq!(verdict(&r, "afe0c3be", ws), "fail");
    // Private endpoints for the workspace and its key vault, storage (blob, file) and registry.
    let pes = r
        .resources
        .iter()
        .filter(|x| x.resource_type == "Microsoft.Network/privateEndpoints")
        .count();
    assert_eq!(pes, 5);
    // Computes sit in the training subnet.
    let cluster = r
        .resources
        .iter()
        .find(|x| x.address.as_deref() == Some("azurerm_machine_learning_compute_cluster.compute"))
        .unwrap();
    assert_eq!(verdict(&r, "7804b5c7", &cluster.name), "pass");
    assert_eq!(verdict(&r, "e96a9a5f", &cluster.name), "fail"); // local auth left at the default
}

#[test]
fn avm_terraform_examples() {
    let root = corpus!(AVM_TF);
    // Each example with the module it calls (`source = "../../"`): the
    // example folder and one file of the module folder (its companions follow).
    let example = |name: &str| {
        report(
            &[root.join("examples").join(name), root.join("main.tf")],
            None,
        )
    };
    // The workspace is the azapi_resource chosen by count on kind == "Default".
    let ws = "module.azureml.azapi_resource.this[0]";
    let check = |r: &Report, rule: &str| -> String {
        assert_eq!(errors(r), Vec::<String>::new());
        assert!(r
            .resources
            .iter()
            .all(|x| x.address.as_deref() != Some("module.azureml.azapi_resource.hub[0]")));
        let name = &r
            .resources
            .iter()
            .find(|x| x.address.as_deref() == Some(ws))
            .expect("the workspace")
            .name;
        verdict(r, rule, name)
    };
    // default: public, no private endpoint, no CMK, no diagnostic setting.
    let r = example("default");
    assert_eq!(check(&r, "438c38d2"), "fail");
    assert_eq!(check(&r, "45e05259"), "fail");
    assert_eq!(check(&r, "ba769a63"), "fail");
    assert_eq!(check(&r, "afe0c3be"), "fail");
    // customer_managed_key: encryption status Enabled, still public.
    let r = example("customer_managed_key");
    assert_eq!(check(&r, "ba769a63"), "pass");
    assert_eq!(check(&r, "438c38d2"), "fail");
    // diagnostic_settings: a setting on the workspace, still public.
    let r = example("diagnostic_settings");
    assert_eq!(check(&r, "afe0c3be"), "pass");
    assert_eq!(check(&r, "438c38d2"), "fail");
    let diag = r
        .resources
        .iter()
        .find(|x| x.resource_type == "Microsoft.Insights/diagnosticSettings")
        .unwrap();
    assert_eq!(
        diag.address.as_deref(),
        Some("module.azureml.azurerm_monitor_diagnostic_setting.this[\"diag\"]")
    );
    // private_managed_vnet: public access off, two workspace private endpoints, no CMK.
    let r = example("private_managed_vnet");
    assert_eq!(check(&r, "438c38d2"), "pass");
    assert_eq!(check(&r, "45e05259"), "pass");
    assert_eq!(check(&r, "ba769a63"), "fail");
}

#[test]
fn checkov_fixtures_take_the_provider_defaults() {
    let r = report(
        &[corpus!(format!(
            "{CHECKOV}/checks/resource/azure/example_MLCCLADisabled"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    let local_auth: Vec<(String, String)> = r
        .results
        .iter()
        .filter(|x| x.rule == "AMLB-POL-e96a9a5f")
        .map(|x| {
            (
                x.address.clone().unwrap_or_default(),
                x.result.as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(local_auth.len(), 3, "{local_auth:?}");
    // local_auth_enabled = false passes, true fails, unset (provider default true) fails.
    assert_eq!(
        local_auth.iter().filter(|(_, v)| v == "pass").count(),
        1,
        "{local_auth:?}"
    );

    let r = report(
        &[corpus!(format!(
            "{CHECKOV}/graph/checks/resources/AzureMLWorkspacePublicNetwork"
        ))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new());
    let pna: Vec<(String, String)> = r
        .results
        .iter()
        .filter(|x| x.rule == "AMLB-POL-438c38d2")
        .map(|x| {
            (
                x.address.clone().unwrap_or_default(),
                x.result.as_str().to_string(),
            )
        })
        .collect();
    // Checkov labels `pass1` (public_network_access_enabled unset) as passing; with no
    // azurerm pin the current provider (4.x and later) sends Enabled, so it fails here.
    let get = |suffix: &str| {
        pna.iter()
            .find(|(a, _)| a.ends_with(suffix))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get(".pass1"), "fail", "{pna:?}");
    assert_eq!(get(".pass2"), "pass", "{pna:?}");
    assert_eq!(get(".failed"), "fail", "{pna:?}");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == "terraform-provider-default" && d.message.contains("current major")));
}

#[test]
fn hand_written_plan_maps_after_values_unknowns_and_hides_secrets() {
    let plan = project("tests/fixtures/terraform/plan-101/plan.json");
    let r = report(&[plan], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    assert_eq!(r.files[0].format, "terraform-plan");
    assert_eq!(verdict(&r, "438c38d2", "ml-plan-mlw"), "fail");
    let cluster = r
        .resources
        .iter()
        .find(|x| x.address.as_deref() == Some("azurerm_machine_learning_compute_cluster.compute"))
        .unwrap();
    assert_eq!(verdict(&r, "e96a9a5f", &cluster.name), "fail");
    // subnet_resource_id is known only after apply.
    assert_eq!(verdict(&r, "7804b5c7", &cluster.name), "unknown");
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("Plan-Secret-Passw0rd!"));
}

#[test]
fn malformed_hcl_and_plan_give_positions_and_the_scan_goes_on() {
    let dir = project("tests/fixtures/terraform/malformed");
    let good = corpus!(format!("{QUICKSTART}/101-machine-learning"));
    let r = report(&[dir, good], None);
    let errs = errors(&r);
    assert!(
        errs.iter()
            .any(|e| e.contains("malformed/main.tf:4:1 [hcl-syntax]")
                || e.contains("malformed/main.tf:3:")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("malformed/plan.json:1:") && e.contains("[terraform-plan]")),
        "{errs:?}"
    );
    assert!(r
        .resources
        .iter()
        .any(|x| x.address.as_deref() == Some("azurerm_machine_learning_workspace.default")));
}

#[test]
fn mutated_terraform_never_panics() {
    let base = include_str!("fixtures/terraform/mutation-base.tf");
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for i in 0..150 {
        let mut bytes = base.as_bytes().to_vec();
        for _ in 0..(1 + i % 6) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let pos = (seed as usize) % bytes.len();
            let choice = b"{}[]()\"=.,$%*?:!\n x0-";
            bytes[pos] = choice[(seed >> 32) as usize % choice.len()];
        }
        let text = String::from_utf8_lossy(&bytes).to_string();
        let path = dir.path().join("main.tf");
        std::fs::write(&path, text).unwrap();
        let _ = report(&[path], None);
    }
}
