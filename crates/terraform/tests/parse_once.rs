//! Work counter (issue 20): every `.tf` and `.tfvars` file is parsed once by
//! the front end, whatever the number of root modules; only a file that may
//! call a module (read for its outline before the roots are known) and the
//! files of the folders a call may lead to are parsed again, by each root
//! module's job that reaches them. With `--var` too: a variable's declared
//! type (which decides how the value reads) is read by the root module's job
//! from its own trees. One test in its own binary: the counter is
//! process-wide.

mod common;
use aml_model::input::{describe_run, Frontend};
use aml_terraform::hcl::parses;
use aml_terraform::{Terraform, TerraformOptions};
use std::path::PathBuf;

const ROOT: &str = r#"
resource "azurerm_machine_learning_workspace" "this" {
  name                    = var.name
  location                = "westeurope"
  resource_group_name     = "rg"
  application_insights_id = "ai"
  key_vault_id            = "kv"
  storage_account_id      = "st"
  # a description that names path.module and this module.
  public_network_access_enabled = false
  identity {
    type = "SystemAssigned"
  }
}
"#;

const VARIABLES: &str = "variable \"name\" {\n  type = string\n}\n";

/// `roots` root modules (two `.tf` files and a `terraform.tfvars` each),
/// two callers of one shared module; the relative paths and the folder.
fn corpus(roots: usize) -> (PathBuf, Vec<String>) {
    let dir =
        std::env::temp_dir().join(format!("aml-tf-parse-once-{roots}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..roots {
        files.push((format!("r{i:03}/main.tf"), ROOT.to_string()));
        files.push((format!("r{i:03}/variables.tf"), VARIABLES.to_string()));
        files.push((
            format!("r{i:03}/terraform.tfvars"),
            format!("name = \"ws-{i}\"\n"),
        ));
    }
    let call = "module \"shared\" {\n  source = \"../shared\"\n  name   = \"ws\"\n}\n";
    files.push(("caller-a/main.tf".into(), call.into()));
    files.push(("caller-z/main.tf".into(), call.into()));
    files.push(("shared/main.tf".into(), ROOT.into()));
    files.push(("shared/variables.tf".into(), VARIABLES.into()));
    let paths = common::write_files(&dir, files);
    (dir, paths)
}

/// Parses made by discovery (module folders a file references) and by a
/// front-end run over the corpus (with these `--var` values), and the run's
/// resources' names.
fn parses_for(roots: usize, vars: &[(&str, &str)]) -> (u64, u64, Vec<String>) {
    let (dir, paths) = corpus(roots);
    let terraform = Terraform::new(TerraformOptions {
        vars: vars
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        var_files: Vec::new(),
    });
    let before = parses();
    for p in &paths {
        let path = dir.join(p);
        let text = std::fs::read_to_string(&path).unwrap();
        terraform.local_references(&path, &text);
    }
    let discovery = parses() - before;
    let before = parses();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let text = describe_run(&terraform, &dir, &refs);
    let run = parses() - before;
    let _ = std::fs::remove_dir_all(&dir);
    let out: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names = out["units"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["resources"].as_array().cloned().unwrap_or_default())
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    (discovery, run, names)
}

#[test]
fn each_file_is_parsed_once_and_only_callers_and_called_modules_again() {
    for (roots, vars) in [(10, &[][..]), (30, &[][..]), (10, &[("name", "0123")][..])] {
        let (discovery, run, names) = parses_for(roots, vars);
        assert_eq!(
            names.len(),
            roots + 2,
            "one workspace per root module and per caller"
        );
        if vars.is_empty() {
            assert!(names.contains(&"ws-7".to_string()), "{names:?}");
        } else {
            // `--var` wins over `terraform.tfvars`, read as the declared
            // `string` (not as the number 123); callers set theirs.
            let roots_named = names.iter().filter(|n| *n == "0123").count();
            assert_eq!(roots_named, roots, "{names:?}");
        }
        // Discovery parses only the two files with a `module` block.
        assert_eq!(discovery, 2, "{roots} roots");
        // Three files per root once; each caller twice (outline, then its
        // job); the shared module's two files for their outline, then in
        // each caller's job.
        assert_eq!(run, 3 * roots as u64 + 2 * 2 + 2 * 3, "{roots} roots");
    }
}
