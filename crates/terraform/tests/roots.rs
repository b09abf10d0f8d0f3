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

#[test]
fn files_read_once_report_syntax_errors_once_and_choose_the_entry_that_parses() {
    // `bad` parses nowhere: no deployment. `good/a.tf` does not parse, so
    // `good/b.tf` is the entry. `lib` is called, so its files are read for
    // their outline before the roots: its broken file is reported once, and
    // the call, to a folder none of whose files parse, is not followed.
    let dir = folder(
        "read-once",
        &[
            ("bad/main.tf", "resource \"x\" {\n  a = \n"),
            ("good/a.tf", "locals {\n  x = [\n"),
            ("good/b.tf", &SHARED.replace("var.name", "\"ws-good\"")),
            (
                "caller/main.tf",
                "module \"lib\" {\n  source = \"../lib\"\n}\n",
            ),
            ("lib/main.tf", "variable \"v\" {\n"),
        ],
    );
    let text = describe_run(
        &Terraform::default(),
        &dir,
        &[
            "bad/main.tf",
            "caller/main.tf",
            "good/a.tf",
            "good/b.tf",
            "lib/main.tf",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let out: serde_json::Value = serde_json::from_str(&text).unwrap();
    let units = out["units"].as_array().expect("units");
    let entries: Vec<&str> = units.iter().map(|u| u["entry"].as_str().unwrap()).collect();
    assert_eq!(entries.len(), 2, "{text}");
    assert!(entries[0].ends_with("caller/main.tf"), "{text}");
    assert!(entries[1].ends_with("good/b.tf"), "{text}");
    assert_eq!(units[1]["resources"][0]["name"], "ws-good", "{text}");
    let diagnostics: Vec<&str> = out["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    for file in ["bad/main.tf", "good/a.tf", "lib/main.tf"] {
        let n = diagnostics
            .iter()
            .filter(|d| d.contains("[hcl-syntax]") && d.contains(file))
            .count();
        assert_eq!(n, 1, "one syntax error for {file}: {text}");
    }
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("[terraform-module-not-fetched]") && d.contains("`../lib`")),
        "{text}"
    );
    let files = out["files"].as_array().unwrap();
    assert_eq!(files.len(), 5, "every file recorded once: {text}");
    assert!(
        files.iter().any(|f| f
            .as_str()
            .unwrap()
            .ends_with("bad/main.tf (terraform, 0 resources)")),
        "{text}"
    );
}
