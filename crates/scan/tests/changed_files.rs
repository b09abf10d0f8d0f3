//! The scan keeps a file's line index, not its text, and reads the text again
//! when a later stage needs it (decision 0042). A file that changed in
//! between is never shown or edited as if it were the file the scan read: it
//! reads as blanks and the report gets a `file-changed` error.

use aml_scan::pipeline::{self, Settings};
use aml_scan::ScanOptions;

const TEMPLATE: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.MachineLearningServices/workspaces",
      "apiVersion": "2024-04-01",
      "name": "mlw-changed",
      "location": "westeurope",
      "identity": { "type": "SystemAssigned" },
      "properties": { "publicNetworkAccess": "Enabled" }
    }
  ]
}
"#;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("aml-scan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_template_is_read_again_for_its_fixes_with_the_same_result() {
    let dir = scratch("again");
    let path = dir.join("azuredeploy.json");
    std::fs::write(&path, TEMPLATE).unwrap();
    let options = ScanOptions {
        paths: vec![path.clone()],
        ..Default::default()
    };
    let run = pipeline::run(
        &options,
        &Settings {
            no_config: true,
            ..Default::default()
        },
    );
    let file = run.scan.sources.get(run.scan.files[0].file);
    assert!(
        file.is_kept_on_disk(),
        "an ASCII template on disk keeps no text"
    );
    // The public network access result has its fix, planned from the text read again.
    let fixed = run
        .report
        .results
        .iter()
        .filter(|r| r.autofix.is_some())
        .count();
    assert!(fixed > 0, "fixes are planned from the text read again");
    assert!(!run
        .report
        .diagnostics
        .iter()
        .any(|d| d.code == "file-changed"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_changed_after_the_scan_read_it_is_reported() {
    let dir = scratch("changed");
    let path = dir.join("azuredeploy.json");
    std::fs::write(&path, TEMPLATE).unwrap();
    let options = ScanOptions {
        paths: vec![path.clone()],
        ..Default::default()
    };
    let output = aml_scan::scan::scan(&options);
    assert!(aml_scan::scan::changed_files(&output.sources).is_empty());
    // Someone edits the template before a fix is planned or a snippet shown.
    std::fs::write(&path, TEMPLATE.replace("Enabled", "Disabled ")).unwrap();
    let file = output.sources.get(output.files[0].file).clone();
    // Read on another thread: this one's cache still holds the text the scan
    // read (which is the right text to show).
    let text = std::thread::spawn({
        let file = file.clone();
        move || file.text()
    })
    .join()
    .unwrap();
    assert_eq!(text.len(), file.len());
    assert!(
        text.chars().all(|c| c == ' ' || c == '\n'),
        "a changed file shows none of its text"
    );
    let diagnostics = aml_scan::scan::changed_files(&output.sources);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "file-changed");
    assert!(diagnostics[0].message.contains("scan it again"));
    std::fs::remove_dir_all(dir).unwrap();
}
