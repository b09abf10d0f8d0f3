//! A scan that keeps no settings frees each resource's settings as the
//! evaluation goes (`aml_rules::evaluate::evaluate_releasing`, decision
//! 0054); the report is the one a scan that keeps every resource's settings
//! makes, byte for byte: results, fixes, the rule account, diagnostics.

use aml_scan::pipeline::{self, AssumeUnknown, Settings};
use aml_scan::ScanOptions;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The JSON report of `path`, and how many resources kept their settings.
fn report(path: &Path, keep: bool, assume_unknown: AssumeUnknown) -> (String, usize) {
    let options = ScanOptions {
        paths: vec![path.to_path_buf()],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        keep_resource_bodies: keep,
        assume_unknown,
        ..Default::default()
    };
    let run = pipeline::run(&options, &settings);
    let kept = run
        .scan
        .model
        .resources
        .iter()
        .filter(|r| !matches!(r.body, aml_model::value::Value::Null))
        .count();
    (serde_json::to_string_pretty(&run.report).unwrap(), kept)
}

#[test]
fn freeing_settings_as_the_evaluation_goes_changes_no_report() {
    for input in [
        "examples",
        "tests/fixtures/live",
        "../shared/corpus/realworld",
    ] {
        let path = root().join(input);
        if !path.exists() && input.starts_with("../shared") {
            // CI has it at the same place; elsewhere the shared corpus may be absent.
            eprintln!("{input} is not here; skipping it");
            continue;
        }
        for assume in [AssumeUnknown::Unknown, AssumeUnknown::Fail] {
            let (kept_all, kept) = report(&path, true, assume);
            let (freed, left) = report(&path, false, assume);
            assert!(kept > 0, "{input}: no resources");
            assert_eq!(left, 0, "{input}: the report's build frees every setting");
            assert!(kept_all.contains("\"results\""));
            assert!(
                kept_all.contains("\"not_applicable\""),
                "{input}: an account"
            );
            if input == "examples" {
                assert!(kept_all.contains("\"autofix\""), "planned fixes");
            }
            assert!(
                kept_all == freed,
                "{input} ({assume:?}): the reports differ when settings are freed"
            );
        }
    }
}
