//! `aml-baseline drift`: a template against an export of the same workspace
//! whose public access was switched on after deployment.

use crate::common::project;
use serde_json::Value;

fn drift(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .arg("drift")
        .args(args)
        .current_dir(project("."))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn public_access_switched_on_after_deployment_is_a_verdict_changing_drift() {
    let o = drift(&[
        "--code",
        "tests/fixtures/drift/main.json",
        "--live",
        "tests/fixtures/drift/live.json",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &d["drifted"][0];
    // Matched by type and name: the template's id holds the scan's placeholder subscription.
    assert_eq!(first["code"]["name"], "mlw-drift");
    assert_eq!(first["matched_by"], "type-and-name");
    assert!(first["live"]["id"]
        .as_str()
        .unwrap()
        .contains("/resourceGroups/rg-prod/"));
    let changes = first["verdict_changes"].as_array().unwrap();
    let pna = changes
        .iter()
        .find(|c| c["rule"] == "AMLB-POL-438c38d2")
        .expect("the public access policy changes verdict");
    assert_eq!(pna["code"], "pass");
    assert_eq!(pna["live"], "fail");
    // The verdict-changing property comes first, then the others.
    let diffs = first["differences"].as_array().unwrap();
    assert_eq!(diffs[0]["path"], "properties.publicNetworkAccess");
    assert_eq!(diffs[0]["code"], "Disabled");
    assert_eq!(diffs[0]["live"], "Enabled");
    assert_eq!(diffs[0]["changes_verdict"], true);
    let friendly = diffs
        .iter()
        .find(|x| x["path"] == "properties.friendlyName")
        .unwrap();
    assert_eq!(friendly["changes_verdict"], false);
    // The key vault id differs only by the placeholder scope: still a difference
    // the text names, never a verdict change.
    assert!(changes.iter().all(|c| c["rule"] != "AMLB-POL-e413671a"));
    // The cluster is only in code, the storage account only live.
    assert_eq!(d["only_in_code"][0]["name"], "mlw-drift/cluster");
    assert_eq!(d["only_live"][0]["name"], "stdriftmanual");
    assert_eq!(
        d["summary"]["verdict_changes"].as_u64().unwrap() as usize,
        changes.len()
    );

    let text = drift(&[
        "--code",
        "tests/fixtures/drift/main.json",
        "--live",
        "tests/fixtures/drift/live.json",
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains(
            "verdict  AMLB-POL-438c38d2 pass in code, fail live (properties.publicnetworkaccess)"
        ),
        "{text}"
    );
    assert!(
        text.contains("changed  properties.publicNetworkAccess: code \"Disabled\", live \"Enabled\"  [changes a verdict]")
            || text.contains("changed  properties.publicNetworkAccess: code Disabled, live Enabled  [changes a verdict]"),
        "{text}"
    );
    assert!(text.contains("only in code: Microsoft.MachineLearningServices/workspaces/computes 'mlw-drift/cluster'"), "{text}");
    assert!(
        text.contains("only live: Microsoft.Storage/storageAccounts"),
        "{text}"
    );
}

#[test]
fn the_same_state_on_both_sides_is_no_drift_and_a_swapped_side_is_an_error() {
    let o = drift(&[
        "--code",
        "tests/fixtures/drift/live.json",
        "--live",
        "tests/fixtures/drift/live.json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a live export given as code is an input error"
    );
    let o = drift(&[
        "--code",
        "tests/fixtures/drift/main.json",
        "--live",
        "tests/fixtures/drift/main.json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a template given as live state is an input error"
    );
}
