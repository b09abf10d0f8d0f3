//! Native rules end to end: for each rule, a fail, a pass and an unknown ARM
//! fixture under `tests/fixtures/native/<ID>/`, scanned with every rule.
//! One shared test body runs over the table below; a failing fixture must
//! point at the line that sets the property the fix names. Also: the rule
//! list, and no planted secret in any rendering of any fixture's report.

mod common;

use common::{project, report_with, verdict};
use std::path::PathBuf;

/// `(rule id, resource full name, text on the line a failure points at)`.
const TABLE: &[(&str, &str, &str)] = &[
    ("AMLB-NS1-001", "ws", "\"isolationMode\": \"Disabled\""),
    ("AMLB-NS1-002", "ws/cpu", "\"id\": \"[resourceId('Microsoft.Network/virtualNetworks/subnets'"),
    ("AMLB-NS1-003", "ws/cpu", "\"enableNodePublicIp\": true"),
    ("AMLB-NS1-004", "ws/cpu", "\"remoteLoginPortPublicAccess\": \"Enabled\""),
    ("AMLB-NS2-001", "ws", "\"allowPublicAccessWhenBehindVnet\": true"),
    ("AMLB-NS2-002", "mlreg", "\"publicNetworkAccess\": \"Enabled\""),
    ("AMLB-NS2-003", "ws/ep", "\"publicNetworkAccess\": \"Enabled\""),
    ("AMLB-NS2-004", "ws", "\"0.0.0.0/0\""),
    ("AMLB-NS2-005", "pe-ws", "{"),
    ("AMLB-IM1-001", "ws/ep", "\"authMode\": \"Key\""),
    ("AMLB-IM3-001", "ws", "\"type\": \"None\""),
    ("AMLB-IM8-001", "ws/ds", "\"key\":"),
    ("AMLB-IM8-002", "ws/cpu", "\"adminUserPassword\":"),
    ("AMLB-IM8-003", "ws/ep", "\"primaryKey\":"),
    ("AMLB-IM8-004", "ws", "\"defaultValue\":"),
    ("AMLB-PA7-001", "6f1e2d3c-0000-4000-8000-00000000a001", "\"roleDefinitionId\": \"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac"),
    ("AMLB-PA7-002", "7a2b3c4d-0000-4000-8000-00000000b002", "\"Microsoft.MachineLearningServices/workspaces/*\""),
    ("AMLB-DP2-001", "ws", "\"destination\": \"*.blob.core.windows.net\""),
    ("AMLB-DP3-001", "ws/aks", "\"status\": \"Disabled\""),
    ("AMLB-DP3-002", "stml", "\"minimumTlsVersion\": \"TLS1_0\""),
    ("AMLB-DP6-001", "kv-ml", "\"enablePurgeProtection\": false"),
    ("AMLB-DP6-002", "kv-ml/cmk", "\"attributes\": {"),
    ("AMLB-PV3-001", "ws/train-env/1", "\"image\": \"docker.io/library/python:3.11\""),
    ("AMLB-PV3-002", "crml", "\"adminUserEnabled\": true"),
    ("AMLB-PV6-001", "ws/cpu", "\"minNodeCount\": 2"),
];

/// The secret planted in the IM-8 fixtures.
const PLANTED: &str = "S3cr3t-Plant3d-Value";

fn fixture(id: &str, kind: &str) -> PathBuf {
    project(&format!("tests/fixtures/native/{id}/{kind}.json"))
}

#[test]
fn every_native_rule_passes_fails_and_is_unknown_on_its_fixtures() {
    let mut problems = Vec::new();
    for (id, resource, fail_line) in TABLE {
        for kind in ["fail", "pass", "unknown"] {
            let path = fixture(id, kind);
            if !path.exists() {
                let note = project(&format!("tests/fixtures/native/{id}/{kind}.md"));
                if !note.exists() {
                    problems.push(format!("{id}: no {kind} fixture and no {kind}.md"));
                }
                continue;
            }
            let report = report_with(std::slice::from_ref(&path), None, true);
            let got = verdict(&report, id, resource);
            if got != kind {
                let messages: Vec<_> = report
                    .results
                    .iter()
                    .filter(|r| r.rule == *id)
                    .map(|r| format!("{} {}: {}", r.resource_name, r.result.as_str(), r.message))
                    .collect();
                problems.push(format!(
                    "{id} {kind}.json on '{resource}': got {got} {messages:?}"
                ));
                continue;
            }
            if kind == "fail" {
                let hit = report
                    .results
                    .iter()
                    .find(|r| r.rule == *id && r.resource_name == *resource)
                    .unwrap();
                let text = std::fs::read_to_string(&path).unwrap();
                let line = text.lines().nth(hit.line as usize - 1).unwrap_or("");
                if !line.contains(fail_line) {
                    problems.push(format!(
                        "{id}: the failure points at line {} `{}`, expected a line with `{fail_line}`",
                        hit.line,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_table_covers_every_native_rule() {
    let native: Vec<&str> = aml_baseline::rules::all()
        .iter()
        .filter(|r| r.policy().is_none())
        .map(|r| r.id)
        .collect();
    for id in &native {
        assert!(
            TABLE.iter().any(|(t, _, _)| t == id),
            "{id} has no fixtures in the table"
        );
    }
    assert_eq!(native.len(), TABLE.len());
}

#[test]
fn the_rules_command_lists_at_least_35_rules() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .arg("rules")
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let listed = text
        .lines()
        .filter(|l| l.trim_start().starts_with("AMLB-"))
        .count();
    assert!(listed >= 35, "{listed} rules listed:\n{text}");
}

#[test]
fn no_report_rendering_shows_a_planted_secret() {
    let mut checked = 0;
    for (id, _, _) in TABLE {
        for kind in ["fail", "pass", "unknown"] {
            let path = fixture(id, kind);
            if !path.exists() {
                continue;
            }
            let planted = std::fs::read_to_string(&path).unwrap().contains(PLANTED);
            let report = report_with(std::slice::from_ref(&path), None, true);
            for (format, text) in [
                ("json", aml_baseline::render::json::render(&report)),
                ("text", aml_baseline::render::text::render(&report)),
            ] {
                assert!(
                    !text.contains(PLANTED),
                    "{id}/{kind}.json: the {format} report shows the planted secret"
                );
            }
            checked += usize::from(planted);
        }
    }
    assert!(checked >= 4, "only {checked} fixtures plant the secret");
}
