//! Gating a pipeline: `--fail-on`, waivers, inline suppressions, `--baseline`,
//! and the generated completions and man page.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
}

fn run(dir: &Path, args: &[&str]) -> (Output, serde_json::Value) {
    let out = bin()
        .args(["scan", "--format", "json", "--today", "2026-11-28"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, v)
}

const HEAD: &str = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#""#;

/// A folder with one JSON-with-comments template: a public workspace that is
/// otherwise hardened, so that only a few rules fail.
fn project(comment: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let template = format!(
        r#"{{
  {HEAD},
  "resources": [
    {comment}
    {{
      "type": "Microsoft.MachineLearningServices/workspaces",
      "apiVersion": "2024-04-01",
      "name": "mlw-lab-01",
      "location": "westeurope",
      "properties": {{
        "publicNetworkAccess": "Enabled",
        "v1LegacyMode": true,
        "primaryUserAssignedIdentity": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
        "managedNetwork": {{ "isolationMode": "AllowOnlyApprovedOutbound" }},
        "encryption": {{ "status": "Enabled" }}
      }}
    }}
  ]
}}"#
    );
    std::fs::write(dir.path().join("main.json"), template).unwrap();
    dir
}

fn result<'a>(v: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap()
}

#[test]
fn fail_on_sets_the_threshold_of_the_exit_code() {
    let dir = project("");
    // 438c38d2 is high; private link (45e05259) high; logs (afe0c3be) medium.
    let (out, v) = run(dir.path(), &["--no-config", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(result(&v, "AMLB-POL-438c38d2")["result"], "fail");
    let (out, _) = run(dir.path(), &["--no-config", "--fail-on", "critical", "."]);
    assert_eq!(out.status.code(), Some(0), "no critical failure");
    let (out, _) = run(dir.path(), &["--no-config", "--fail-on", "high", "."]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn waivers_suppress_until_they_expire_and_unmatched_ones_are_reported() {
    let dir = project("");
    std::fs::write(
        dir.path().join("aml-baseline.toml"),
        r#"
[[waiver]]
rule = "438c38d2"
resource = "*/workspaces/mlw-lab-*"
justification = "Lab workspace, reachable only through the corporate proxy"
expires = 2027-01-31
ticket = "SEC-1234"

[[waiver]]
rule = "AMLB-POL-45e05259"
resource = "mlw-lab-01"
justification = "Private endpoint arrives with the hub network"
expires = 2026-11-01

[[waiver]]
rule = "AMLB-POL-ba769a63"
resource = "mlw-prod"
justification = "Old exception"
expires = 2027-01-31
"#,
    )
    .unwrap();
    let (out, v) = run(dir.path(), &["."]);
    let pna = result(&v, "AMLB-POL-438c38d2");
    assert_eq!(pna["result"], "fail", "the verdict stays");
    assert_eq!(pna["suppressed"]["kind"], "waiver");
    assert_eq!(pna["suppressed"]["ticket"], "SEC-1234");
    // Expired: the private link failure counts again, and the waiver is reported.
    assert!(result(&v, "AMLB-POL-45e05259")["suppressed"].is_null());
    let diags = v["diagnostics"].as_array().unwrap();
    let expired = diags
        .iter()
        .find(|d| d["code"] == "waiver-expired")
        .unwrap();
    assert_eq!(expired["line"], 9);
    assert!(diags
        .iter()
        .any(|d| d["code"] == "waiver-unmatched" && d["line"] == 15));
    assert_eq!(out.status.code(), Some(1), "other failures still count");
    assert!(v["summary"]["suppressed"].as_u64().unwrap() >= 1);
}

#[test]
fn inline_suppressions_need_a_reason() {
    let dir = project(
        "// aml-baseline-ignore AMLB-POL-438c38d2: lab workspace behind the corporate proxy",
    );
    let (_, v) = run(dir.path(), &["--no-config", "."]);
    let pna = result(&v, "AMLB-POL-438c38d2");
    assert_eq!(pna["suppressed"]["kind"], "inline");
    assert_eq!(pna["suppressed"]["line"], 4);

    let dir = project("// aml-baseline-ignore AMLB-POL-438c38d2");
    let (_, v) = run(dir.path(), &["--no-config", "."]);
    assert!(result(&v, "AMLB-POL-438c38d2")["suppressed"].is_null());
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "suppression")
        .unwrap();
    assert!(d["message"].as_str().unwrap().contains("no reason"));
}

#[test]
fn a_baseline_report_hides_what_already_failed() {
    let dir = project("");
    let (_, before) = run(dir.path(), &["--no-config", "."]);
    std::fs::write(
        dir.path().join("before.json"),
        serde_json::to_string(&before).unwrap(),
    )
    .unwrap();
    let (out, after) = run(
        dir.path(),
        &["--no-config", "--baseline", "before.json", "."],
    );
    assert_eq!(out.status.code(), Some(0), "nothing new");
    assert_eq!(after["summary"]["failed"], 0);
    assert_eq!(
        result(&after, "AMLB-POL-438c38d2")["suppressed"]["kind"],
        "baseline"
    );

    // A new failure (a second workspace) still counts.
    let text = std::fs::read_to_string(dir.path().join("main.json")).unwrap();
    std::fs::write(
        dir.path().join("main.json"),
        text.replace("mlw-lab-01", "mlw-lab-02"),
    )
    .unwrap();
    let (out, after) = run(
        dir.path(),
        &["--no-config", "--baseline", "before.json", "."],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(result(&after, "AMLB-POL-438c38d2")["suppressed"].is_null());

    let (out, v) = run(
        dir.path(),
        &["--no-config", "--baseline", "missing.json", "."],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "baseline-file"));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let out = bin().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--fail-on") && text.contains("--assume-unknown"));
    let out = bin().arg("man").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH aml-baseline"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains("scan"));
}

#[test]
fn waivers_are_listed_in_the_html_report_with_their_expiry() {
    let dir = project("");
    std::fs::write(
        dir.path().join("aml-baseline.toml"),
        r#"
[[waiver]]
rule = "438c38d2"
resource = "mlw-lab-01"
justification = "Lab workspace <behind> the proxy"
expires = 2027-01-31
ticket = "SEC-1234"
"#,
    )
    .unwrap();
    let out = bin()
        .args(["scan", "--format", "html", "--today", "2026-11-28", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    let section = &html[html.find("id=\"waivers\"").expect("a waivers section")..];
    assert!(
        section.contains("Lab workspace &lt;behind&gt; the proxy (SEC-1234)"),
        "{}",
        &section[..600.min(section.len())]
    );
    assert!(section.contains("2027-01-31"));
}

#[test]
fn no_progress_line_when_standard_error_is_not_a_terminal() {
    let out = bin()
        .args(["scan", "examples"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn inline_credentials_never_appear_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ds.json"),
        format!(
            r#"{{
  {HEAD},
  "resources": [
    {{
      "type": "Microsoft.MachineLearningServices/workspaces/datastores",
      "apiVersion": "2024-04-01",
      "name": "ws/blobstore",
      "properties": {{
        "datastoreType": "AzureBlob",
        "accountName": "stdata",
        "containerName": "data",
        "credentials": {{
          "credentialsType": "AccountKey",
          "secrets": {{ "secretsType": "AccountKey", "key": "Inl1ne-Acc0unt-K3y-Value==" }}
        }}
      }}
    }}
  ]
}}"#
        ),
    )
    .unwrap();
    for format in ["text", "json", "sarif", "junit", "markdown", "csv", "html"] {
        let out = bin()
            .args(["scan", "--no-config", "--format", format, "."])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("AMLB-IM8-001"),
            "{format}: the inline credential is a finding"
        );
        assert!(
            !text.contains("Inl1ne-Acc0unt-K3y-Value"),
            "{format} shows the secret"
        );
    }
    let out = bin()
        .args(["model", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Inl1ne-Acc0unt-K3y-Value"));
}
