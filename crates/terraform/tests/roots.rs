//! Root modules evaluated one by one, each parsing the modules it reaches:
//! a module shared by two roots is read for each, with each root's inputs.

use aml_model::input::describe_run;
use aml_terraform::Terraform;
use std::path::PathBuf;

/// A fresh folder with `files` (relative path, text) written in it.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aml-tf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const SHARED: &str = r#"
variable "name" {
  type = string
}
resource "azurerm_machine_learning_workspace" "this" {
  name                    = var.name
  location                = "westeurope"
  resource_group_name     = "rg"
  application_insights_id = "ai"
  key_vault_id            = "kv"
  storage_account_id      = "st"
  identity {
    type = "SystemAssigned"
  }
}
"#;

fn caller(name: &str) -> String {
    format!("module \"shared\" {{\n  source = \"../m\"\n  name   = \"{name}\"\n}}\n")
}

#[test]
fn a_module_shared_by_two_roots_is_evaluated_for_each() {
    // Folders in order: a (root), m (the shared module), z (root): z's job
    // numbers its modules m = 0, z = 1, a's job a = 0, m = 1.
    let (a, z) = (caller("ws-a"), caller("ws-z"));
    let dir = folder(
        "shared-module",
        &[("a/main.tf", &a), ("m/main.tf", SHARED), ("z/main.tf", &z)],
    );
    let text = describe_run(
        &Terraform::default(),
        &dir,
        &["a/main.tf", "m/main.tf", "z/main.tf"],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let out: serde_json::Value = serde_json::from_str(&text).unwrap();
    let units = out["units"].as_array().expect("units");
    assert_eq!(
        units.len(),
        2,
        "two roots, the shared module is none: {text}"
    );
    let mut names: Vec<String> = units
        .iter()
        .flat_map(|u| u["resources"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            assert_eq!(r["type"], "Microsoft.MachineLearningServices/workspaces");
            assert!(r["at"].as_str().unwrap().contains("m/main.tf:5:"), "{r}");
            r["name"].as_str().unwrap().to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["ws-a", "ws-z"], "{text}");
}
