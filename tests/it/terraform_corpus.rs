//! End to end on the Terraform configurations of `../shared/corpus/realworld`
//! and the hand-written fixtures: every `.tf` reads without an error, and the
//! verdicts are the ones a person reads in the files, with the azurerm
//! provider's defaults for unset arguments.

use crate::common;

use aml_baseline::report::Report;
use common::{errors, project, realworld, report, verdict};

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
                x.address.as_deref().unwrap_or_default().to_string(),
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
                x.address.as_deref().unwrap_or_default().to_string(),
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
    // The password is sensitive in the plan; `configuration` says it is var.admin_password,
    // a sensitive variable: not written in the files.
    assert_eq!(
        r.results
            .iter()
            .find(|x| x.rule == "AMLB-IM8-002" && x.resource_name == cluster.name)
            .map(|x| x.result.as_str()),
        Some("pass")
    );
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
    let base = include_str!("../fixtures/terraform/mutation-base.tf");
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

#[test]
fn registry_modules_are_read_from_the_terraform_init_cache() {
    let r = report(&[project("tests/fixtures/terraform/module-cache")], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    // module.ml comes from .terraform/modules/ml, with the caller's arguments.
    let ws = r
        .resources
        .iter()
        .find(|x| x.address.as_deref() == Some("module.ml.azurerm_machine_learning_workspace.this"))
        .expect("the workspace of the cached module");
    assert_eq!(ws.name, "mlw-cached");
    assert_eq!(verdict(&r, "438c38d2", "mlw-cached"), "pass"); // public_network_access_enabled = false
                                                               // module.ml.module.diag (key `ml.diag`) puts a diagnostic setting on it.
    assert!(r.resources.iter().any(|x| x.address.as_deref()
        == Some("module.ml.module.diag.azurerm_monitor_diagnostic_setting.this")));
    assert_eq!(verdict(&r, "afe0c3be", "mlw-cached"), "pass");
    // The cached folders are modules, not root modules of their own: one workspace.
    assert_eq!(
        r.resources
            .iter()
            .filter(|x| x.resource_type == "Microsoft.MachineLearningServices/workspaces")
            .count(),
        1
    );
    assert!(r.files.iter().any(|f| f.format == "terraform-modules"));
    assert!(r
        .files
        .iter()
        .any(|f| f.path.ends_with(".terraform/modules/ml.diag/main.tf")));
    // The manifest entry that leaves the root folder is not read.
    assert!(r.files.iter().all(|f| !f.path.contains("malformed")));
    // `later` is not in the manifest: one warning, for it alone.
    let warnings: Vec<&str> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == "terraform-module-not-fetched")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("`later`"), "{warnings:?}");
}

#[test]
fn plan_configuration_links_references_known_only_after_apply() {
    let plan = project("tests/fixtures/terraform/plan-101/plan.json");
    let r = report(std::slice::from_ref(&plan), None);
    assert_eq!(errors(&r), Vec::<String>::new());
    // The endpoint's private_connection_resource_id is unknown in `after`;
    // `configuration` says it is azurerm_machine_learning_workspace.default.id.
    assert_eq!(verdict(&r, "45e05259", "ml-plan-mlw"), "pass");
    // The key vault is only in planned_values (a child module).
    let kv = r
        .resources
        .iter()
        .find(|x| x.address.as_deref() == Some("module.kv.azurerm_key_vault.this"))
        .expect("the key vault from planned_values");
    assert_eq!(kv.name, "kv-ml-plan");
    // Its endpoint, in the same module, refers to it module-relatively.
    let out = aml_baseline::scan::scan(&aml_baseline::scan::ScanOptions {
        paths: vec![plan],
        ..Default::default()
    });
    let pe = out
        .model
        .resources
        .iter()
        .find(|x| x.symbol.as_deref() == Some("module.kv.azurerm_private_endpoint.kv[0]"))
        .expect("the key vault's private endpoint");
    let target = pe
        .get("properties.privateLinkServiceConnections")
        .and_then(|v| v.as_array())
        .and_then(|a| a.first())
        .and_then(|c| c.get_path("properties.privateLinkServiceId"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    assert_eq!(target.as_deref(), Some(kv.id.as_str()));
}

#[test]
fn variables_take_precedence_in_terraform_order_through_the_cli() {
    let dir = project("tests/fixtures/terraform/var-precedence");
    let names = |extra: &[&str]| -> Vec<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
            .args(["scan", "--format", "json"])
            .args(extra)
            .arg(&dir)
            .output()
            .expect("runs");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let mut names: Vec<String> = json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == "Microsoft.MachineLearningServices/workspaces")
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    // defaults < terraform.tfvars < a.auto.tfvars < b.auto.tfvars.
    assert_eq!(
        names(&[]),
        [
            "w1-ws-default",
            "w2-ws-tfvars",
            "w3-ws-auto-b",
            "w4-ws-auto-b",
            "w5-ws-auto-b"
        ]
    );
    // ... < --var-file < --var.
    let var_file = dir.join("extra.tfvars");
    assert_eq!(
        names(&[
            "--var",
            "w5=ws-var",
            "--var-file",
            var_file.to_str().unwrap()
        ]),
        [
            "w1-ws-default",
            "w2-ws-tfvars",
            "w3-ws-auto-b",
            "w4-ws-var-file",
            "w5-ws-var"
        ]
    );
}

#[test]
fn update_resources_nsg_associations_dynamic_blocks_for_each_and_count() {
    let r = report(&[project("tests/fixtures/terraform/features")], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    // azapi_update_resource sets publicNetworkAccess Disabled on its target.
    assert_eq!(verdict(&r, "438c38d2", "mlw-updated"), "pass");
    // enabled_log blocks from a dynamic block (allLogs, audit).
    assert_eq!(verdict(&r, "afe0c3be", "mlw-updated"), "pass");
    // for_each over a map: each.key names the cluster, each.value sets local auth.
    let cpu = "mlw-updated/cpu-cluster";
    let gpu = "mlw-updated/gpu-cluster";
    assert_eq!(verdict(&r, "e96a9a5f", cpu), "pass");
    assert_eq!(verdict(&r, "e96a9a5f", gpu), "fail");
    assert!(r
        .resources
        .iter()
        .any(|x| x.address.as_deref()
            == Some("azurerm_machine_learning_compute_cluster.pool[\"cpu\"]")));
    // The association puts the NSG on snet-guarded (cpu); snet-bare (gpu) has none.
    let ns1 = |name: &str| {
        r.results
            .iter()
            .find(|x| x.rule == "AMLB-NS1-002" && x.resource_name == name)
            .map(|x| x.result.as_str().to_string())
            .unwrap_or_default()
    };
    assert_eq!(ns1(cpu), "pass");
    assert_eq!(ns1(gpu), "fail");
    // count = 0: absent.
    assert!(r.resources.iter().all(|x| x.name != "mlw-absent"));
    // count from a variable with no value: maybe deployed, so unknown, not fail.
    let maybe: Vec<&str> = r
        .results
        .iter()
        .filter(|x| x.resource_name == "mlw-maybe")
        .map(|x| x.result.as_str())
        .collect();
    assert!(!maybe.is_empty());
    assert!(maybe.iter().all(|v| *v != "fail"), "{maybe:?}");
    assert_eq!(verdict(&r, "438c38d2", "mlw-maybe"), "unknown");
}

/// The result of a native rule on a resource named `name`.
fn native(r: &Report, rule: &str, name: &str) -> String {
    r.results
        .iter()
        .find(|x| x.rule == rule && x.resource_name == name)
        .map(|x| x.result.as_str().to_string())
        .unwrap_or_else(|| "n/a".to_string())
}

#[test]
fn native_rules_on_the_quickstarts() {
    let r = report(
        &[corpus!(format!("{QUICKSTART}/101-machine-learning"))],
        None,
    );
    let ws = "azurerm_machine_learning_workspace.default";
    let cluster = format!("{ws}/cpu-cluster");
    // node_public_ip_enabled unset: the provider default (true) gives nodes public IPs.
    assert_eq!(native(&r, "AMLB-NS1-003", &cluster), "fail");
    // No subnet and no virtual network in the configuration: nothing to check.
    assert_eq!(native(&r, "AMLB-NS1-002", &cluster), "n/a");
    // No credential on the cluster.
    assert_eq!(native(&r, "AMLB-IM8-002", &cluster), "n/a");

    let r = report(
        &[corpus!(format!(
            "{QUICKSTART}/201-machine-learning-moderately-secure"
        ))],
        None,
    );
    let cluster = r
        .resources
        .iter()
        .find(|x| x.address.as_deref() == Some("azurerm_machine_learning_compute_cluster.compute"))
        .unwrap()
        .name
        .clone();
    // snet-training gets nsg-training through azurerm_subnet_network_security_group_association.
    assert_eq!(native(&r, "AMLB-NS1-002", &cluster), "pass");
    // In a subnet, but node_public_ip_enabled is left at its default (true).
    assert_eq!(native(&r, "AMLB-NS1-003", &cluster), "fail");
    // variables.tf: `dsvm_host_password` is sensitive with the default "ChangeMe123!".
    let im8_004: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.rule == "AMLB-IM8-004")
        .collect();
    assert_eq!(im8_004.len(), 1);
    assert_eq!(im8_004[0].result.as_str(), "fail");
    assert!(im8_004[0].path.ends_with("variables.tf"));
    assert_eq!(im8_004[0].line, 75);
    assert!(!serde_json::to_string(&r).unwrap().contains("ChangeMe123!"));
}

#[test]
fn credentials_inline_fail_and_from_sensitive_variables_or_key_vault_pass() {
    let r = report(&[project("tests/fixtures/terraform/secrets")], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let c = |name: &str| native(&r, "AMLB-IM8-002", &format!("mlw-secrets/{name}"));
    assert_eq!(c("inline"), "fail"); // admin_password = "Inline-..."
    assert_eq!(c("sensitive"), "pass"); // var.admin_password, sensitive, no value
    assert_eq!(c("defaulted"), "pass"); // a sensitive variable's value...
    assert_eq!(c("keyvault"), "pass"); // data.azurerm_key_vault_secret
    let d = |name: &str| native(&r, "AMLB-IM8-001", &format!("mlw-secrets/{name}"));
    assert_eq!(d("inline"), "fail"); // account_key written in main.tf
    assert_eq!(d("sensitive"), "pass"); // var.storage_key
                                        // ... whose default is written in main.tf: the secure-default rule fails there.
    let sd = r
        .results
        .iter()
        .find(|x| x.rule == "AMLB-IM8-004")
        .expect("one result per deployment");
    assert_eq!(sd.result.as_str(), "fail");
    assert_eq!((sd.line, sd.column), (15, 15));
    assert!(sd.message.contains("'default_password'"), "{}", sd.message);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("Default-Passw0rd-Tf!"));
}
