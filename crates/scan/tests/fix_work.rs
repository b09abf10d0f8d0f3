//! Fix planning's work (issue 20, decision 0045): the safe fixes a report
//! shows are planned from the files' text, and the bytes handed to a parser
//! ([`aml_fix::parsed_bytes`]) say how much of it is read again. A Terraform
//! resource's fix parses its block, an ARM resource's its object, not their
//! files; a scan of three times the
//! units parses exactly three times the bytes, never more than the scanned
//! text. A deterministic guard where the planning stage's time is too noisy.
//!
//! Its own test binary: the counter is process-wide, so the tests take a
//! lock and no other test may run beside them.

use aml_scan::pipeline::{self, Run, Settings};
use aml_scan::ScanOptions;
use std::path::{Path, PathBuf};

/// The counter is process-wide: one measure at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Scans `path` as `scan` does for a JSON report; the bytes fix planning
/// parsed, and the run.
fn scan(path: &Path) -> (u64, Run) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let options = ScanOptions {
        paths: vec![path.to_path_buf()],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        ..Default::default()
    };
    aml_fix::reset_parsed_bytes();
    let run = pipeline::run(&options, &settings);
    (aml_fix::parsed_bytes(), run)
}

/// The diff of the first result that has a fix.
fn first_fix_diff(run: &Run) -> String {
    run.report
        .results
        .iter()
        .find_map(|r| r.autofix.as_ref())
        .map(|a| a.diff.clone())
        .expect("a fix")
}

/// A workspace open to the internet, between blocks no rule fixes.
const WORKSPACE: &str = r#"resource "azurerm_machine_learning_workspace" "ws" {
  name                          = "ws"
  location                      = "westeurope"
  resource_group_name           = "rg"
  application_insights_id       = "ai"
  key_vault_id                  = "kv"
  storage_account_id            = "st"
  public_network_access_enabled = true

  identity {
    type = "SystemAssigned"
  }
}
"#;

fn padding(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "resource \"azurerm_resource_group\" \"rg{i}\" {{\n  name     = \"rg-{i}\"\n  location = \"westeurope\"\n  tags = {{\n    owner = \"team-{i}\"\n  }}\n}}\n\n"
            )
        })
        .collect()
}

#[test]
fn a_terraform_fix_parses_its_block_not_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!("{}{WORKSPACE}\n{}", padding(100), padding(100));
    std::fs::write(tmp.path().join("main.tf"), &text).unwrap();
    let (parsed, run) = scan(tmp.path());
    let fixed: Vec<_> = run
        .report
        .results
        .iter()
        .filter(|r| r.autofix.is_some())
        .collect();
    assert!(!fixed.is_empty(), "the workspace's failures have fixes");
    let diff = &fixed[0].autofix.as_ref().unwrap().diff;
    assert!(
        diff.contains("+  public_network_access_enabled = false"),
        "{diff}"
    );
    // The block (and its line ends), not the file's 200 other blocks.
    assert!(
        parsed >= WORKSPACE.len() as u64 - 1 && parsed <= WORKSPACE.len() as u64,
        "fix planning parsed {parsed} bytes of a {}-byte file for a {}-byte block",
        text.len(),
        WORKSPACE.len()
    );
}

/// A block sharing its first line with the end of a comment does not parse
/// alone: the whole file is parsed, and the fix is the same.
#[test]
fn a_block_that_does_not_parse_alone_is_fixed_from_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "{}/* the workspace,\n   open for now */ {WORKSPACE}",
        padding(3)
    );
    std::fs::write(tmp.path().join("main.tf"), &text).unwrap();
    let (parsed, run) = scan(tmp.path());
    let diff = first_fix_diff(&run);
    assert!(
        diff.contains(
            "-  public_network_access_enabled = true\n+  public_network_access_enabled = false"
        ),
        "{diff}"
    );
    assert!(parsed >= text.len() as u64, "{parsed} < {}", text.len());
}

/// An ARM resource's fix parses its object, not its template.
#[test]
fn an_arm_fix_parses_its_object_not_its_template() {
    let tmp = tempfile::tempdir().unwrap();
    let workspace = r#"{
      "type": "Microsoft.MachineLearningServices/workspaces",
      "apiVersion": "2024-04-01",
      "name": "mlw",
      "location": "westeurope",
      "identity": { "type": "SystemAssigned" },
      "properties": { "publicNetworkAccess": "Enabled" }
    }"#;
    let others: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "{{ \"type\": \"Microsoft.Network/networkSecurityGroups\", \"apiVersion\": \"2023-04-01\", \"name\": \"nsg-{i}\", \"location\": \"westeurope\", \"properties\": {{}} }}"
            )
        })
        .collect();
    let text = format!(
        "{{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"contentVersion\": \"1.0.0.0\",\n  \"resources\": [\n    {},\n    {workspace}\n  ]\n}}\n",
        others.join(",\n    ")
    );
    std::fs::write(tmp.path().join("azuredeploy.json"), &text).unwrap();
    let (parsed, run) = scan(tmp.path());
    let diff = first_fix_diff(&run);
    assert!(
        diff.contains("\"publicNetworkAccess\": \"Disabled\""),
        "{diff}"
    );
    assert_eq!(
        parsed,
        workspace.len() as u64,
        "fix planning parsed {parsed} bytes of a {}-byte template",
        text.len()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// `copies` copies of every example unit, each in its own folder; the bytes
/// of the files written.
fn corpus(root: &Path, copies: usize) -> u64 {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut units: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    units.sort();
    let mut bytes = 0;
    for i in 0..copies {
        for unit in &units {
            let name = unit.file_name().unwrap().to_string_lossy();
            let to = root.join(format!("{i:05}-{name}"));
            copy_dir(unit, &to);
            for e in std::fs::read_dir(&to).unwrap() {
                bytes += e.unwrap().metadata().unwrap().len();
            }
        }
    }
    bytes
}

#[test]
fn fix_planning_parses_linearly_and_each_file_at_most_once() {
    let measure = |copies: usize| {
        let dir = tempfile::tempdir().unwrap();
        let bytes = corpus(dir.path(), copies);
        let (parsed, run) = scan(dir.path());
        let fixes = run
            .report
            .results
            .iter()
            .filter(|r| r.autofix.is_some())
            .count();
        (bytes, parsed, fixes)
    };
    let (small_bytes, small, small_fixes) = measure(10);
    let (large_bytes, large, large_fixes) = measure(30);
    eprintln!("10 copies: {small} of {small_bytes} bytes parsed, {small_fixes} fixes; 30 copies: {large} of {large_bytes}, {large_fixes}");
    assert!(small_fixes > 0 && small > 0);
    assert_eq!(large_fixes, 3 * small_fixes);
    assert_eq!(large, 3 * small);
    assert!(
        small <= small_bytes,
        "{small} bytes parsed of {small_bytes}"
    );
}

/// A Bicep module whose value its caller decides: the fix follows the value
/// to the caller, and fix planning parses each of the two files once (the
/// index of module callers takes the declarations the front end recorded
/// when it parsed the caller, not a parse of its own).
#[test]
fn a_bicep_fix_in_a_modules_caller_parses_each_file_once() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fix/module-caller/bicep");
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture, tmp.path());
    copy_dir(&fixture.join("modules"), &tmp.path().join("modules"));
    // Declarations no rule fixes make the caller the larger file.
    let caller = format!(
        "{}{}",
        std::fs::read_to_string(tmp.path().join("main.bicep")).unwrap(),
        (0..50)
            .map(|i| format!("\nresource rg{i} 'Microsoft.Resources/tags@2021-04-01' = {{\n  name: 'default'\n  properties: {{\n    tags: {{\n      owner: 'team-{i}'\n    }}\n  }}\n}}\n"))
            .collect::<String>()
    );
    std::fs::write(tmp.path().join("main.bicep"), &caller).unwrap();
    let module = std::fs::read_to_string(tmp.path().join("modules/workspace.bicep")).unwrap();
    let (parsed, run) = scan(tmp.path());
    let fixed = run
        .report
        .results
        .iter()
        .filter_map(|r| r.autofix.as_ref())
        .find(|a| a.diff.contains("main.bicep"))
        .expect("a fix in the caller");
    assert!(
        fixed
            .diff
            .contains("-    publicNetworkAccess: 'Enabled'\n+    publicNetworkAccess: 'Disabled'"),
        "{}",
        fixed.diff
    );
    assert!(
        parsed <= (caller.len() + module.len()) as u64,
        "fix planning parsed {parsed} bytes of a {}-byte caller and a {}-byte module",
        caller.len(),
        module.len()
    );
}
