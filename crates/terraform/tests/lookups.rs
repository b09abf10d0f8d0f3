//! Work counter (issue 20): finding each module call's target and each root
//! module's variable files costs the same whatever the number of root
//! modules (the generated scaling corpus has neither calls nor `.tfvars`, so
//! this is its guard). Each generated root module calls a local module and
//! a registry module `terraform init` cached (found through its
//! `.terraform/modules/modules.json`), and reads a `terraform.tfvars` and an
//! `*.auto.tfvars`. One test in its own binary: the counters are
//! process-wide.

mod common;
use aml_model::input::describe_run;
use aml_terraform::hcl::parses;
use aml_terraform::modules::lookups;
use aml_terraform::Terraform;
use std::path::PathBuf;

const CALLS: &str = r#"
variable "name" {
  type = string
}

variable "suffix" {
  type = string
}

module "net" {
  source = "./net"
  name   = "${var.name}${var.suffix}"
}

module "registry" {
  source  = "Azure/avm-res-machinelearningservices-workspace/azurerm"
  version = "0.1.0"
}
"#;

/// A workspace named by the module's `name` variable.
const WORKSPACE: &str = r#"
variable "name" {
  type    = string
  default = "cached"
}

resource "azurerm_machine_learning_workspace" "this" {
  name                          = var.name
  location                      = "westeurope"
  resource_group_name           = "rg"
  application_insights_id       = "ai"
  key_vault_id                  = "kv"
  storage_account_id            = "st"
  public_network_access_enabled = false
  identity {
    type = "SystemAssigned"
  }
}
"#;

const MANIFEST: &str = r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"registry","Source":"registry.terraform.io/Azure/avm-res-machinelearningservices-workspace/azurerm","Version":"0.1.0","Dir":".terraform/modules/registry"}]}"#;

/// `roots` root modules as described above; the relative paths and the
/// folder.
fn corpus(roots: usize) -> (PathBuf, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("aml-tf-lookups-{roots}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..roots {
        let r = format!("r{i:03}");
        files.push((format!("{r}/main.tf"), CALLS.to_string()));
        files.push((
            format!("{r}/terraform.tfvars"),
            format!("name   = \"ws-{i}\"\nsuffix = \"-t\"\n"),
        ));
        files.push((format!("{r}/b.auto.tfvars"), "suffix = \"-b\"\n".into()));
        files.push((format!("{r}/a.auto.tfvars"), "suffix = \"-a\"\n".into()));
        files.push((format!("{r}/net/main.tf"), WORKSPACE.to_string()));
        files.push((
            format!("{r}/.terraform/modules/modules.json"),
            MANIFEST.to_string(),
        ));
        files.push((
            format!("{r}/.terraform/modules/registry/main.tf"),
            WORKSPACE.to_string(),
        ));
    }
    let paths = common::write_files(&dir, files);
    (dir, paths)
}

/// Lookups and parses made by a front-end run over the corpus, and the
/// names of the resources of each unit.
fn work_for(roots: usize) -> (u64, u64, Vec<Vec<String>>) {
    let (dir, paths) = corpus(roots);
    let terraform = Terraform::default();
    let (lookups_before, parses_before) = (lookups(), parses());
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let text = describe_run(&terraform, &dir, &refs);
    let work = (lookups() - lookups_before, parses() - parses_before);
    let _ = std::fs::remove_dir_all(&dir);
    let out: serde_json::Value = serde_json::from_str(&text).unwrap();
    let units = out["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let mut names: Vec<String> = u["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap_or_default().to_string())
                .collect();
            names.sort();
            names
        })
        .collect();
    (work.0, work.1, units)
}

#[test]
fn call_targets_and_variable_files_are_looked_up_not_walked() {
    for roots in [10, 40] {
        let (lookups, parses, mut units) = work_for(roots);
        units.sort();
        // One unit per root module, each with the workspace of its local
        // module (named from its variable files: `terraform.tfvars`, then
        // the `*.auto.tfvars` in lexical order) and of its cached one.
        let mut expected: Vec<Vec<String>> = (0..roots)
            .map(|i| vec!["cached".to_string(), format!("ws-{i}-b")])
            .collect();
        expected.sort();
        assert_eq!(units, expected, "{roots} roots");
        // Per root module: two calls and three variable files.
        assert_eq!(lookups, 5 * roots as u64, "{roots} roots");
        // Per root module: its `.tf` file and the two called modules' files
        // twice (outline, then the job), its three variable files once.
        assert_eq!(
            parses,
            3 * 2 * roots as u64 + 3 * roots as u64,
            "{roots} roots"
        );
    }
}
