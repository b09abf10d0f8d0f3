//! Native rules end to end: for each rule and each format, a fail, a pass
//! and an unknown fixture under `tests/fixtures/native/<ID>/` (ARM
//! `<kind>.json`, Bicep `<kind>.bicep`, Terraform `terraform/<kind>/main.tf`,
//! or a note `<kind>.md`, `bicep-<kind>.md`, `terraform-<kind>.md` saying why
//! that case cannot be written), scanned with every rule.
//! One shared test body runs over the table below; a failing fixture must
//! point at the line that sets the property the fix names. Also: the rule
//! list, and no planted secret in any rendering of any fixture's report.

use crate::common;

use common::{project, report_with, verdict};
use std::path::PathBuf;

/// The three formats of every native rule's fixtures.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Arm,
    Bicep,
    Terraform,
}
use Format::*;

impl Format {
    /// The fixture of one case (`pass`, `fail`, `unknown`): the file to scan
    /// and the file whose lines a failure points at.
    fn fixture(self, id: &str, kind: &str) -> (PathBuf, PathBuf) {
        let dir = format!("tests/fixtures/native/{id}");
        match self {
            Arm => {
                let f = project(&format!("{dir}/{kind}.json"));
                (f.clone(), f)
            }
            Bicep => {
                let f = project(&format!("{dir}/{kind}.bicep"));
                (f.clone(), f)
            }
            Terraform => {
                let d = project(&format!("{dir}/terraform/{kind}"));
                (d.clone(), d.join("main.tf"))
            }
        }
    }

    /// The note that stands in for a fixture that cannot be written.
    fn note(self, id: &str, kind: &str) -> PathBuf {
        let dir = format!("tests/fixtures/native/{id}");
        project(&match self {
            Arm => format!("{dir}/{kind}.md"),
            Bicep => format!("{dir}/bicep-{kind}.md"),
            Terraform => format!("{dir}/terraform-{kind}.md"),
        })
    }
}

/// `(rule id, format, resource full name, text on the line a failure points
/// at)`: the property the fix names, as that format writes it (spaces are
/// compared collapsed). Where the property is absent the failure points at
/// the resource's declaration.
const TABLE: &[(&str, Format, &str, &str)] = &[
    ("AMLB-NS1-001", Arm, "ws", "\"isolationMode\": \"Disabled\""),
    ("AMLB-NS1-001", Bicep, "ws", "isolationMode: 'Disabled'"),
    ("AMLB-NS1-001", Terraform, "ws", "isolation_mode = \"Disabled\""),
    ("AMLB-NS1-002", Arm, "ws/cpu", "\"id\": \"[resourceId('Microsoft.Network/virtualNetworks/subnets'"),
    ("AMLB-NS1-002", Bicep, "ws/cpu", "id: snet.id"),
    ("AMLB-NS1-002", Terraform, "ws/cpu", "subnet_resource_id = azurerm_subnet.snet.id"),
    ("AMLB-NS1-003", Arm, "ws/cpu", "\"enableNodePublicIp\": true"),
    ("AMLB-NS1-003", Bicep, "ws/cpu", "enableNodePublicIp: true"),
    ("AMLB-NS1-003", Terraform, "ws/cpu", "node_public_ip_enabled = true"),
    ("AMLB-NS1-004", Arm, "ws/cpu", "\"remoteLoginPortPublicAccess\": \"Enabled\""),
    ("AMLB-NS1-004", Bicep, "ws/cpu", "remoteLoginPortPublicAccess: 'Enabled'"),
    ("AMLB-NS1-004", Terraform, "ws/cpu", "ssh_public_access_enabled = true"),
    ("AMLB-NS2-001", Arm, "ws", "\"allowPublicAccessWhenBehindVnet\": true"),
    ("AMLB-NS2-001", Bicep, "ws", "allowPublicAccessWhenBehindVnet: true"),
    ("AMLB-NS2-001", Terraform, "ws", "allowPublicAccessWhenBehindVnet = true"),
    ("AMLB-NS2-002", Arm, "mlreg", "\"publicNetworkAccess\": \"Enabled\""),
    ("AMLB-NS2-002", Bicep, "mlreg", "publicNetworkAccess: 'Enabled'"),
    ("AMLB-NS2-002", Terraform, "mlreg", "publicNetworkAccess = \"Enabled\""),
    ("AMLB-NS2-003", Arm, "ws/ep", "\"publicNetworkAccess\": \"Enabled\""),
    ("AMLB-NS2-003", Bicep, "ws/ep", "publicNetworkAccess: 'Enabled'"),
    ("AMLB-NS2-003", Terraform, "ws/ep", "publicNetworkAccess = \"Enabled\""),
    ("AMLB-NS2-004", Arm, "ws", "\"0.0.0.0/0\""),
    ("AMLB-NS2-004", Bicep, "ws", "'0.0.0.0/0'"),
    ("AMLB-NS2-004", Terraform, "ws", "\"0.0.0.0/0\""),
    ("AMLB-NS2-005", Arm, "pe-ws", "{"),
    ("AMLB-NS2-005", Bicep, "pe-ws", "resource pe 'Microsoft.Network/privateEndpoints@"),
    ("AMLB-NS2-005", Terraform, "pe-ws", "resource \"azurerm_private_endpoint\" \"pe\""),
    ("AMLB-IM1-001", Arm, "ws/ep", "\"authMode\": \"Key\""),
    ("AMLB-IM1-001", Bicep, "ws/ep", "authMode: 'Key'"),
    ("AMLB-IM1-001", Terraform, "ws/ep", "authMode = \"Key\""),
    ("AMLB-IM3-001", Arm, "ws", "\"type\": \"None\""),
    ("AMLB-IM3-001", Bicep, "ws", "type: 'None'"),
    ("AMLB-IM3-001", Terraform, "ws/cpu", "resource \"azurerm_machine_learning_compute_cluster\" \"cpu\""),
    ("AMLB-IM8-001", Arm, "ws/ds", "\"key\":"),
    ("AMLB-IM8-001", Bicep, "ws/ds", "key: 'S3cr3t"),
    ("AMLB-IM8-001", Terraform, "ws/ds", "account_key = \"S3cr3t"),
    ("AMLB-IM8-002", Arm, "ws/cpu", "\"adminUserPassword\":"),
    ("AMLB-IM8-002", Bicep, "ws/cpu", "adminUserPassword: 'S3cr3t"),
    ("AMLB-IM8-002", Terraform, "ws/cpu", "admin_password = \"S3cr3t"),
    ("AMLB-IM8-003", Arm, "ws/ep", "\"primaryKey\":"),
    ("AMLB-IM8-003", Bicep, "ws/ep", "primaryKey: 'S3cr3t"),
    ("AMLB-IM8-003", Terraform, "ws/aks", "key = \"S3cr3t"),
    ("AMLB-IM8-004", Arm, "ws", "\"defaultValue\":"),
    ("AMLB-IM8-004", Bicep, "ws", "param adminPassword string = 'S3cr3t"),
    ("AMLB-IM8-004", Terraform, "ws", "default = \"S3cr3t"),
    ("AMLB-PA7-001", Arm, "6f1e2d3c-0000-4000-8000-00000000a001", "\"roleDefinitionId\": \"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac"),
    ("AMLB-PA7-001", Bicep, "6f1e2d3c-0000-4000-8000-00000000a001", "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac"),
    ("AMLB-PA7-001", Terraform, "6f1e2d3c-0000-4000-8000-00000000a001", "role_definition_id = \"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b24988ac"),
    ("AMLB-PA7-002", Arm, "7a2b3c4d-0000-4000-8000-00000000b002", "\"Microsoft.MachineLearningServices/workspaces/*\""),
    ("AMLB-PA7-002", Bicep, "7a2b3c4d-0000-4000-8000-00000000b002", "'Microsoft.MachineLearningServices/workspaces/*'"),
    ("AMLB-PA7-002", Terraform, "7a2b3c4d-0000-4000-8000-00000000b002", "permissions = ["),
    ("AMLB-DP2-001", Arm, "ws", "\"destination\": \"*.blob.core.windows.net\""),
    ("AMLB-DP2-001", Bicep, "ws", "destination: '*.blob.core.windows.net'"),
    ("AMLB-DP2-001", Terraform, "ws/pypi", "destination_fqdn = \"*.blob.core.windows.net\""),
    ("AMLB-DP3-001", Arm, "ws/aks", "\"status\": \"Disabled\""),
    ("AMLB-DP3-001", Bicep, "ws/aks", "status: 'Disabled'"),
    ("AMLB-DP3-001", Terraform, "ws/aks", "resource \"azurerm_machine_learning_inference_cluster\" \"aks\""),
    ("AMLB-DP3-002", Arm, "stml", "\"minimumTlsVersion\": \"TLS1_0\""),
    ("AMLB-DP3-002", Bicep, "stml", "minimumTlsVersion: 'TLS1_0'"),
    ("AMLB-DP3-002", Terraform, "stml", "min_tls_version = \"TLS1_0\""),
    ("AMLB-DP6-001", Arm, "kv-ml", "\"enablePurgeProtection\": false"),
    ("AMLB-DP6-001", Bicep, "kv-ml", "enablePurgeProtection: false"),
    ("AMLB-DP6-001", Terraform, "kv-ml", "purge_protection_enabled = false"),
    ("AMLB-DP6-002", Arm, "kv-ml/cmk", "\"attributes\": {"),
    ("AMLB-DP6-002", Bicep, "kv-ml/cmk", "attributes: {"),
    ("AMLB-DP6-002", Terraform, "kv-ml/cmk", "resource \"azurerm_key_vault_key\" \"cmk\""),
    ("AMLB-PV3-001", Arm, "ws/train-env/1", "\"image\": \"docker.io/library/python:3.11\""),
    ("AMLB-PV3-001", Bicep, "ws/train-env/1", "image: 'docker.io/library/python:3.11'"),
    ("AMLB-PV3-001", Terraform, "ws/train-env/1", "image = \"docker.io/library/python:3.11\""),
    ("AMLB-PV3-002", Arm, "crml", "\"adminUserEnabled\": true"),
    ("AMLB-PV3-002", Bicep, "crml", "adminUserEnabled: true"),
    ("AMLB-PV3-002", Terraform, "crml", "admin_enabled = true"),
    ("AMLB-PV6-001", Arm, "ws/cpu", "\"minNodeCount\": 2"),
    ("AMLB-PV6-001", Bicep, "ws/cpu", "minNodeCount: 2"),
    ("AMLB-PV6-001", Terraform, "ws/cpu", "min_node_count = 2"),
];

/// The secret planted in the IM-8 fixtures.
const PLANTED: &str = "S3cr3t-Plant3d-Value";

/// Runs of white space collapsed to one space.
fn collapsed(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_native_rule_passes_fails_and_is_unknown_on_its_fixtures() {
    let mut problems = Vec::new();
    for (id, format, resource, fail_line) in TABLE {
        for kind in ["fail", "pass", "unknown"] {
            let (path, text_file) = format.fixture(id, kind);
            if !path.exists() {
                let note = format.note(id, kind);
                match std::fs::read_to_string(&note) {
                    Ok(text) if !text.trim().is_empty() => {}
                    _ => problems.push(format!(
                        "{id} {format:?}: no {kind} fixture and no note {}",
                        note.display()
                    )),
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
                    "{id} {format:?} {kind} on '{resource}': got {got} {messages:?}"
                ));
                continue;
            }
            if kind == "unknown" {
                // The unknown comes from the parameter or variable the
                // fixture leaves without a value.
                let hit = report
                    .results
                    .iter()
                    .find(|r| r.rule == *id && r.resource_name == *resource)
                    .unwrap();
                let text = std::fs::read_to_string(&text_file).unwrap();
                let decided = !hit.deciding.is_empty()
                    && hit.deciding.iter().all(|d| {
                        let name = d
                            .strip_prefix("var.")
                            .or_else(|| d.strip_prefix("parameters('")?.strip_suffix("')"))
                            .unwrap_or(d);
                        text.contains(&match format {
                            Arm => format!("\"{name}\": {{"),
                            Bicep => format!("param {name} "),
                            Terraform => format!("variable \"{name}\""),
                        })
                    });
                if !decided {
                    problems.push(format!(
                        "{id} {format:?}: the unknown is decided by {:?}, not by a parameter or variable of the fixture",
                        hit.deciding
                    ));
                }
            }
            if kind == "fail" {
                let hit = report
                    .results
                    .iter()
                    .find(|r| r.rule == *id && r.resource_name == *resource)
                    .unwrap();
                let text = std::fs::read_to_string(&text_file).unwrap();
                let line = text.lines().nth(hit.line as usize - 1).unwrap_or("");
                if !collapsed(line).contains(&collapsed(fail_line)) {
                    problems.push(format!(
                        "{id} {format:?}: the failure points at line {} `{}`, expected a line with `{fail_line}`",
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
        for format in [Arm, Bicep, Terraform] {
            assert!(
                TABLE.iter().any(|(t, f, _, _)| t == id && *f == format),
                "{id} has no {format:?} fixtures in the table"
            );
        }
    }
    assert_eq!(native.len() * 3, TABLE.len());
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
    for (id, format, _, _) in TABLE {
        for kind in ["fail", "pass", "unknown"] {
            let (path, text_file) = format.fixture(id, kind);
            if !path.exists() {
                continue;
            }
            let planted = std::fs::read_to_string(&text_file)
                .unwrap()
                .contains(PLANTED);
            let report = report_with(std::slice::from_ref(&path), None, true);
            for (rendering, text) in [
                ("json", aml_baseline::render::json::render(&report)),
                ("text", aml_baseline::render::text::render(&report)),
            ] {
                assert!(
                    !text.contains(PLANTED),
                    "{id} {format:?} {kind}: the {rendering} report shows the planted secret"
                );
            }
            checked += usize::from(planted);
        }
    }
    assert!(checked >= 8, "only {checked} fixtures plant the secret");
}
