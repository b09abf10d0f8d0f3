//! The baseline report: every control and feature with a status, rolled up
//! from rule results, the catalogue and attestations; unknowns and
//! `--assume-unknown`; the configuration file.

use crate::common;

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn feature<'a>(report: &'a serde_json::Value, control: &str, name: &str) -> &'a serde_json::Value {
    let c = report["baseline"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == control)
        .unwrap_or_else(|| panic!("no control {control}"));
    c["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feature {control}/{name}"))
}

fn control_status(report: &serde_json::Value, control: &str) -> String {
    report["baseline"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == control)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn scan(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut cmd = bin();
    cmd.args(["scan", "--format", "json"]);
    if !args.contains(&"--today") {
        cmd.args(["--today", "2026-11-28"]);
    }
    let out = cmd.args(args).current_dir(dir).output().unwrap();
    json(&out)
}

#[test]
fn every_feature_of_the_baseline_has_a_status() {
    let r = scan(
        &common::project(""),
        &["--no-config", "examples/insecure-workspace"],
    );
    let controls = r["baseline"]["controls"].as_array().unwrap();
    let features: usize = controls
        .iter()
        .map(|c| {
            c["features"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["in_baseline"] == true)
                .count()
        })
        .sum();
    assert_eq!(features, 35);
    // Not supported by the service.
    assert_eq!(
        feature(&r, "BR-1", "Azure Backup")["status"],
        "not_applicable"
    );
    // Microsoft's responsibility, on by default.
    assert_eq!(
        feature(&r, "DP-4", "Data at Rest Encryption Using Platform Keys")["status"],
        "platform"
    );
    // No file can show it: manual until attested.
    assert_eq!(
        feature(&r, "IM-7", "Conditional Access for Data Plane")["status"],
        "manual"
    );
    // From rule results.
    let pna = feature(&r, "NS-2", "Disable Public Network Access");
    assert_eq!(pna["status"], "fail");
    assert!(pna["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "AMLB-POL-438c38d2"));
    let evidence = &pna["evidence"][0];
    assert_eq!(evidence["kind"], "results");
    assert!(evidence["failed"].as_u64().unwrap() >= 1);
    assert_eq!(control_status(&r, "NS-2"), "fail");
    assert_eq!(control_status(&r, "BR-1"), "not_applicable");
    // Rules without a baseline feature appear as extra checks of their control.
    let pv6 = r["baseline"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "PV-6")
        .unwrap();
    assert!(pv6["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["in_baseline"] == false && f["rules"][0] == "AMLB-PV6-001"));
}

#[test]
fn the_hardened_example_passes_every_control_files_can_show() {
    let r = scan(
        &common::project(""),
        &["--no-config", "examples/hardened-workspace"],
    );
    for c in r["baseline"]["controls"].as_array().unwrap() {
        assert_ne!(c["status"], "fail", "{}", c["id"]);
    }
    assert_eq!(feature(&r, "NS-2", "Azure Private Link")["status"], "pass");
    assert_eq!(feature(&r, "LT-4", "Azure Resource Logs")["status"], "pass");
    assert_eq!(
        feature(&r, "DP-5", "Data at Rest Encryption Using CMK")["status"],
        "pass"
    );
}

#[test]
fn attestations_make_manual_features_pass_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("infra")).unwrap();
    std::fs::copy(
        common::project("examples/hardened-workspace/azuredeploy.json"),
        d.join("infra/azuredeploy.json"),
    )
    .unwrap();
    std::fs::copy(
        common::project("examples/hardened-workspace/azuredeploy.parameters.json"),
        d.join("infra/azuredeploy.parameters.json"),
    )
    .unwrap();
    std::fs::write(
        d.join("aml-baseline.toml"),
        r#"
[[attestation]]
control = "IM-7"
feature = "Conditional Access for Data Plane"
by = "security@example.com"
evidence = "https://example.com/ca/ml-admins"
expires = 2027-01-31

[[attestation]]
control = "DP-1"
feature = "Sensitive Data Discovery and Classification"
by = "data-governance@example.com"
evidence = "Purview scan policy PV-12"
expires = "2026-10-01"
"#,
    )
    .unwrap();
    // Found upward from the scanned folder.
    let r = scan(d, &["infra"]);
    let ca = feature(&r, "IM-7", "Conditional Access for Data Plane");
    assert_eq!(ca["status"], "pass");
    assert_eq!(ca["evidence"][0]["kind"], "attestation");
    assert_eq!(ca["evidence"][0]["by"], "security@example.com");
    assert_eq!(ca["evidence"][0]["expired"], false);
    // An expired attestation does not count, and says so.
    let dp1 = feature(&r, "DP-1", "Sensitive Data Discovery and Classification");
    assert_eq!(dp1["status"], "manual");
    assert_eq!(dp1["evidence"][0]["expired"], true);
    assert!(dp1["evidence"][1]["message"]
        .as_str()
        .unwrap()
        .contains("expired on 2026-10-01"));
    // The same attestation, a day before it expires, still counts.
    let r = scan(d, &["infra", "--today", "2026-10-01"]);
    assert_eq!(
        feature(&r, "DP-1", "Sensitive Data Discovery and Classification")["status"],
        "pass"
    );
}

#[test]
fn a_broken_configuration_is_a_positioned_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("aml-baseline.toml"), "[rules]\nenabel = [\"x\"]\n").unwrap();
    let out = bin()
        .args(["scan", "--format", "json", "."])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r = json(&out);
    let diag = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "config")
        .unwrap();
    assert_eq!(
        diag["path"].as_str().unwrap().rsplit('/').next().unwrap(),
        "aml-baseline.toml"
    );
    assert_eq!(diag["line"], 2);
    assert!(
        diag["message"].as_str().unwrap().contains("enabel"),
        "{diag}"
    );
}

#[test]
fn configuration_selects_rules_and_sets_policy_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("aml-baseline.toml"),
        r#"
[rules]
disable = ["AMLB-POL-438c38d2"]
enable = ["a10ee784"]

[policy-parameters."6ddb1705"]
isolationMode = "AllowInternetOutbound"
"#,
    )
    .unwrap();
    std::fs::write(
        d.join("ws.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "resources": [{"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ws",
                           "location": "x", "properties": {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}}}]}"#,
    )
    .unwrap();
    let r = scan(d, &["."]);
    let rules: Vec<&str> = r["tool"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"AMLB-POL-438c38d2"));
    assert!(rules.contains(&"AMLB-POL-a10ee784"));
    let isolation = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "AMLB-POL-6ddb1705")
        .unwrap();
    assert_eq!(
        isolation["result"], "pass",
        "the configured isolation mode is the one required"
    );
    // The Modify twin reports what Azure would modify.
    let modify = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "AMLB-POL-a10ee784")
        .unwrap();
    assert_eq!(modify["result"], "fail");
    assert_eq!(modify["effect"], "Modify");
}

#[test]
fn unknowns_name_what_decides_them_and_can_be_assumed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("ws.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "parameters": {"pna": {"type": "string", "allowedValues": ["Enabled", "Disabled"]}},
            "resources": [{"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ws",
                           "location": "x", "properties": {"publicNetworkAccess": "[parameters('pna')]"}}]}"#,
    )
    .unwrap();
    let pna = |r: &serde_json::Value| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "AMLB-POL-438c38d2")
            .unwrap()
            .clone()
    };
    let r = scan(d, &["--no-config", "."]);
    let result = pna(&r);
    assert_eq!(result["result"], "unknown");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("parameters('pna')"),
        "{result}"
    );
    assert!(result["deciding"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().contains("pna")));
    assert_eq!(
        result["line"], 4,
        "points at the property that reads the parameter"
    );
    let evidence = &feature(&r, "NS-2", "Disable Public Network Access")["evidence"][0];
    assert!(evidence["unknown"].as_u64().unwrap() >= 1, "{evidence}");

    let r = scan(d, &["--no-config", "--assume-unknown", "fail", "."]);
    assert_eq!(pna(&r)["result"], "fail");
    let r = scan(d, &["--no-config", "--assume-unknown", "pass", "."]);
    assert_eq!(pna(&r)["result"], "pass");
}

#[test]
fn baseline_and_explain_commands() {
    let out = bin()
        .args(["baseline", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let b = json(&out);
    let ns2 = b["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "NS-2")
        .unwrap();
    let pna = ns2["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Disable Public Network Access")
        .unwrap();
    assert!(pna["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "AMLB-POL-438c38d2"));

    let out = bin().args(["explain", "438c38d2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("AMLB-POL-438c38d2"), "{text}");
    assert!(text.contains("publicNetworkAccess"), "{text}");
    let out = bin().args(["explain", "NOPE-1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
