//! Reliability: every limit has a diagnostic, a hostile folder is scanned to
//! the end, nothing is fetched from the network, links cannot leave the
//! scanned root, secrets never reach any output format, and the output is
//! byte-identical across runs and thread counts. `docs/reliability.md` lists
//! the limits these tests hold.

use crate::common;

use aml_baseline::render::{self, RenderOptions};
use aml_baseline::report::Report;
use common::{project, report, ALL_FORMATS};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ARM_HEAD: &str = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0""#;

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn arm(body: &str) -> String {
    format!("{{{ARM_HEAD}, {body}}}")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
}

/// Diagnostics of `code`, as `file:line:col message`.
fn diags(r: &Report, code: &str) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| format!("{}:{}:{} {}", d.path, d.line, d.column, d.message))
        .collect()
}

/// Asserts that a diagnostic with `code` names every one of `needles`
/// (positions are `path:line:col`).
fn assert_diag(r: &Report, code: &str, needles: &[&str]) {
    assert!(
        diags(r, code)
            .iter()
            .any(|m| needles.iter().all(|n| m.contains(n))),
        "no {code} diagnostic with {needles:?}: {:?}",
        all_codes(r)
    );
}

fn scan_one(dir: &Path) -> Report {
    report(&[dir.to_path_buf()], None)
}

fn all_codes(r: &Report) -> Vec<String> {
    r.diagnostics
        .iter()
        .map(|d| format!("{}: {} {}", d.code, d.path, d.message))
        .collect()
}

// ---------------------------------------------------------------- limits

#[test]
fn a_file_over_32_mib_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(33 * 1024 * 1024).unwrap(); // sparse: no disk used
    let r = scan_one(dir.path());
    let d = diags(&r, "file-too-large");
    assert_eq!(d.len(), 1, "{:?}", all_codes(&r));
    assert!(
        d[0].contains("huge.json") && d[0].contains("34603008 bytes"),
        "{d:?}"
    );
}

#[test]
fn deep_json_nesting_is_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    write(
        dir.path(),
        "deep.json",
        arm(&format!(r#""resources": [], "variables": {{"x": {deep}}}"#)),
    );
    // Not so deep that the parser refuses it: the evaluator must cope too.
    let medium = format!("{}1{}", "{\"a\":".repeat(2_000), "}".repeat(2_000));
    write(
        dir.path(),
        "medium.json",
        arm(&format!(
            r#""resources": [], "variables": {{"x": {medium}}}, "outputs": {{"o": {{"type": "object", "value": "[variables('x')]"}}}}"#
        )),
    );
    let r = scan_one(dir.path());
    assert_diag(&r, "json-syntax", &["deep.json:1:", "nest"]);
}

#[test]
fn deep_hcl_nesting_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        (
            "tuple",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "parens",
            format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        ),
        (
            "object",
            format!("{}1{}", "{a = ".repeat(20_000), "}".repeat(20_000)),
        ),
    ] {
        write(
            dir.path(),
            &format!("{name}/main.tf"),
            format!("locals {{\n  x = {body}\n}}\n"),
        );
    }
    write(
        dir.path(),
        "blocks/main.tf",
        format!(
            "resource \"x\" \"y\" {{\n{}{}}}\n",
            "a {\n".repeat(50_000),
            "}\n".repeat(50_000)
        ),
    );
    let r = scan_one(dir.path());
    for name in ["tuple", "parens", "object", "blocks"] {
        assert_diag(&r, "hcl-syntax", &[&format!("{name}/main.tf:"), "nest"]);
    }
}

#[test]
fn deep_bicep_nesting_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deep.bicep",
        format!("var x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    );
    write(
        dir.path(),
        "parens.bicep",
        format!("var y = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000)),
    );
    let r = scan_one(dir.path());
    for name in ["deep.bicep:1:", "parens.bicep:1:"] {
        assert_diag(&r, "bicep-syntax", &[name, "nest"]);
    }
}

#[test]
fn deep_arm_expression_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let expr = format!("[{}'a'{}]", "concat(".repeat(100_000), ")".repeat(100_000));
    write(
        dir.path(),
        "expr.json",
        arm(&format!(
            r#""resources": [{{{WORKSPACE}, "name": "ws", "tags": {{"t": "{expr}"}}}}]"#
        )),
    );
    let r = scan_one(dir.path());
    assert_diag(&r, "expression", &["expr.json:1:", "nested too deeply"]);
}

const WORKSPACE: &str = r#""type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "location": "westeurope", "properties": {"publicNetworkAccess": "Enabled"}"#;

#[test]
fn an_arm_copy_of_a_billion_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "copy.json",
        arm(&format!(
            r#""resources": [{{{WORKSPACE}, "name": "[concat('ws', copyIndex())]", "copy": {{"name": "c", "count": 1000000000}}}}]"#
        )),
    );
    let r = scan_one(dir.path());
    assert_diag(&r, "copy-limit", &["copy.json:1:"]);
    assert!(r.resources.len() <= 800, "{} resources", r.resources.len());
    assert!(r.resources.iter().any(|x| x.name == "ws0"));
}

#[test]
fn a_bicep_for_over_a_hundred_thousand_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "loop.bicep",
        "resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = [for i in range(0, 100000): {\n  name: 'ws${i}'\n  location: 'westeurope'\n  properties: { publicNetworkAccess: 'Enabled' }\n}]\n",
    );
    let r = scan_one(dir.path());
    // `range` refuses more than ARM's copy limit, so the loop's instances
    // are unknown (not a truncated guess), and both steps are reported.
    assert_diag(&r, "bicep-expression", &["loop.bicep:1:", "limit of 800"]);
    assert_diag(&r, "bicep-loop-unknown", &["loop.bicep:1:"]);
    assert!(r.resources.len() <= 800, "{} resources", r.resources.len());
}

#[test]
fn a_terraform_count_of_a_million_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "resource \"azurerm_machine_learning_workspace\" \"w\" {\n  count = 1000000\n  name = \"ws${count.index}\"\n  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  application_insights_id = \"x\"\n  key_vault_id = \"x\"\n  storage_account_id = \"x\"\n  identity {\n    type = \"SystemAssigned\"\n  }\n}\n",
    );
    let r = scan_one(dir.path());
    assert_diag(&r, "terraform-count-limit", &["main.tf:2:"]);
    assert!(r.resources.len() <= 1000, "{} resources", r.resources.len());
}

#[test]
fn huge_ranges_in_expressions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "range.json",
        arm(&format!(
            r#""variables": {{"r": "[range(0, 2000000000)]"}}, "resources": [{{{WORKSPACE}, "name": "ws", "tags": {{"n": "[string(length(variables('r')))]", "p": "[padLeft('x', 2000000000, 'y')]"}}}}]"#
        )),
    );
    write(
        dir.path(),
        "range.bicep",
        "var big = [for i in range(0, 100000000): i]\nvar s = string(range(0, 100000000))\noutput n int = length(big)\n",
    );
    write(
        dir.path(),
        "tf/main.tf",
        "locals {\n  r = range(0, 100000000)\n  s = [for i in range(0, 10000000) : i]\n}\noutput \"n\" {\n  value = length(local.s)\n}\n",
    );
    let r = scan_one(dir.path());
    // Finishing is the point; each front end says why a value is unknown.
    let arm = diags(&r, "expression");
    for limit in [
        "range: the count 2000000000",
        "padLeft: the total length 2000000000",
    ] {
        assert!(
            arm.iter()
                .any(|m| m.contains("range.json:1:") && m.contains(limit)),
            "{limit}: {:?}",
            all_codes(&r)
        );
    }
}

#[test]
fn module_cycles_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "bicep/a.bicep",
        "module b 'b.bicep' = {\n  name: 'b'\n}\n",
    );
    write(
        d,
        "bicep/b.bicep",
        "module a 'a.bicep' = {\n  name: 'a'\n}\n",
    );
    write(
        d,
        "bicep/self.bicep",
        "module s 'self.bicep' = {\n  name: 's'\n}\n",
    );
    write(
        d,
        "tf/a/main.tf",
        "module \"b\" {\n  source = \"../b\"\n}\n",
    );
    write(
        d,
        "tf/b/main.tf",
        "module \"a\" {\n  source = \"../a\"\n}\n",
    );
    write(
        d,
        "tf/self/main.tf",
        "module \"s\" {\n  source = \"./\"\n}\n",
    );
    let link = |target: &str| {
        arm(&format!(
            r#""resources": [{{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "n", "properties": {{"mode": "Incremental", "templateLink": {{"relativePath": "{target}"}}}}}}]"#
        ))
    };
    write(d, "arm/a.json", link("b.json"));
    write(d, "arm/b.json", link("a.json"));
    let r = scan_one(d);
    assert_diag(&r, "bicep-module-cycle", &["self.bicep:1:"]);
    assert!(
        diags(&r, "bicep-module-cycle")
            .iter()
            .any(|m| m.contains("a.bicep:1:") || m.contains("b.bicep:1:")),
        "{:?}",
        all_codes(&r)
    );
    let tf = diags(&r, "terraform-module-cycle");
    assert!(
        tf.iter().any(|m| m.contains("self/main.tf:1:"))
            && tf.iter().any(|m| m.contains("b/main.tf:1:")),
        "{:?}",
        all_codes(&r)
    );
    // Two ARM templates that only link each other: the first is evaluated as
    // an entry and the cycle ends at the nesting limit.
    assert_diag(&r, "depth-limit", &["arm/a.json:1:", "deeper than 16"]);
}

#[test]
fn total_resources_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let many: Vec<String> = (0..12_000)
        .map(|i| format!(r#"{{{WORKSPACE}, "name": "ws{i}"}}"#))
        .collect();
    write(
        dir.path(),
        "many.json",
        arm(&format!(r#""resources": [{}]"#, many.join(","))),
    );
    let r = scan_one(dir.path());
    assert_diag(&r, "resource-limit", &["many.json:", "10000"]);
    assert!(r.resources.len() <= 10_000);
}

#[test]
fn a_workspace_with_100000_private_endpoint_connections_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let connections: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"name": "pe{i}", "properties": {{"privateLinkServiceConnectionState": {{"status": "Approved"}}}}}}"#))
        .collect();
    write(
        dir.path(),
        "pec.json",
        arm(&format!(
            r#""resources": [{{"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "wspec", "location": "westeurope", "properties": {{"publicNetworkAccess": "Disabled", "privateEndpointConnections": [{}]}}}}]"#,
            connections.join(",")
        )),
    );
    let r = scan_one(dir.path());
    // The VM's budget (2,000,000 instructions, about 5 per array member)
    // covers 100,000 connections: every definition is decided, none errs.
    // A run that did exhaust it would give a `policy` diagnostic naming the
    // limit and an unknown result, never a hang.
    assert_eq!(common::verdict(&r, "438c38d2", "wspec"), "pass");
    assert!(
        diags(&r, "policy")
            .iter()
            .all(|m| m.contains("instruction")),
        "{:?}",
        all_codes(&r)
    );
}

// ---------------------------------------------------------------- the hostile folder

/// A folder holding every kind of hostile input at once.
fn hostile_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "deep.json",
        arm(&format!(
            r#""resources": [], "variables": {{"x": {}{}}}"#,
            "[".repeat(200_000),
            "]".repeat(200_000)
        )),
    );
    write(
        d,
        "copy.json",
        arm(&format!(
            r#""resources": [{{{WORKSPACE}, "name": "[concat('ws', copyIndex())]", "copy": {{"name": "c", "count": 1000000000}}}}]"#
        )),
    );
    write(
        d,
        "loop.bicep",
        "resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = [for i in range(0, 100000): {\n  name: 'ws${i}'\n  location: 'westeurope'\n}]\n",
    );
    write(d, "cyc/a.bicep", "module b 'b.bicep' = {\n  name: 'b'\n}\n");
    write(d, "cyc/b.bicep", "module a 'a.bicep' = {\n  name: 'a'\n}\n");
    write(
        d,
        "tfa/main.tf",
        "module \"b\" {\n  source = \"../tfb\"\n}\n",
    );
    write(
        d,
        "tfb/main.tf",
        "module \"a\" {\n  source = \"../tfa\"\n}\n",
    );
    write(
        d,
        "tfdeep/main.tf",
        format!(
            "locals {{\n  x = {}{}\n}}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    let binary: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    write(d, "binary.json", &binary);
    write(d, "binary.bicep", &binary);
    write(d, "binary/main.tf", &binary);
    write(d, "latin1.bicep", b"param x string = 'caf\xe9'\n");
    write(d, "latin1.tf", b"locals {\n  x = \"caf\xe9\"\n}\n");
    std::os::unix::fs::symlink(".", d.join("loop")).unwrap();
    std::os::unix::fs::symlink("l2", d.join("l1")).unwrap();
    std::os::unix::fs::symlink("l1", d.join("l2")).unwrap();
    std::os::unix::fs::symlink("self.json", d.join("self.json")).unwrap();
    std::fs::File::create(d.join("huge.json"))
        .unwrap()
        .set_len(33 * 1024 * 1024)
        .unwrap();
    // One ordinary file: the scan still reports it.
    write(
        d,
        "good/azuredeploy.json",
        arm(&format!(
            r#""resources": [{{{WORKSPACE}, "name": "goodws"}}]"#
        )),
    );
    dir
}

#[test]
fn a_hostile_folder_is_scanned_to_the_end() {
    let dir = hostile_folder();
    let out = bin()
        .args(["scan", ".", "--format", "json", "--no-config"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 2: error diagnostics (the deep, binary and oversized files).
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let codes: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap(),
                d["path"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "json-syntax deep.json",
        "copy-limit copy.json",
        "bicep-loop-unknown loop.bicep",
        "bicep-module-cycle cyc/",
        "hcl-syntax tfdeep/main.tf",
        "file-too-large huge.json",
        "not-utf8 binary.bicep",
        "not-utf8 binary/main.tf",
        "not-utf8 latin1.tf",
        "terraform-module-cycle tfb/main.tf",
    ] {
        assert!(
            codes.iter().any(|c| c.starts_with(expected)),
            "{expected} missing: {codes:#?}"
        );
    }
    let results = v["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["resource_name"] == "goodws"),
        "the ordinary file is still scanned"
    );
}

// ---------------------------------------------------------------- security

/// Templates of every front end that point at remote modules and outside the
/// scanned root.
fn remote_and_escaping(dir: &Path) {
    write(
        dir,
        "arm/azuredeploy.json",
        arm(r#""resources": [
            {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "remote",
             "properties": {"mode": "Incremental", "templateLink": {"uri": "https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstarts/microsoft.machinelearningservices/machine-learning-workspace/azuredeploy.json"}}},
            {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "escape",
             "properties": {"mode": "Incremental", "templateLink": {"relativePath": "../../../../../../../../etc/passwd"}}},
            {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outside",
             "properties": {"mode": "Incremental", "templateLink": {"relativePath": "../outside.json"}}}
        ]"#),
    );
    write(
        dir,
        "bicep/main.bicep",
        "module r 'br/public:avm/res/machine-learning-services/workspace:0.7.0' = {\n  name: 'r'\n}\nmodule e '../../../../../../../etc/passwd' = {\n  name: 'e'\n}\nmodule o '../outside.bicep' = {\n  name: 'o'\n}\n",
    );
    write(
        dir,
        "tf/main.tf",
        "module \"registry\" {\n  source  = \"Azure/avm-res-machinelearningservices-workspace/azurerm\"\n  version = \"0.1.0\"\n}\nmodule \"git\" {\n  source = \"git::https://github.com/Azure/terraform-azurerm-avm-res-machinelearningservices-workspace.git\"\n}\nmodule \"escape\" {\n  source = \"../../../../../../../etc\"\n}\nmodule \"outside\" {\n  source = \"../../outside\"\n}\n",
    );
}

/// A folder beside the scanned root whose files would be noticed if read.
fn outside_files(parent: &Path) {
    write(
        parent,
        "outside.json",
        arm(&format!(
            r#""resources": [{{{WORKSPACE}, "name": "outsidews"}}]"#
        )),
    );
    write(
        parent,
        "outside.bicep",
        "resource w 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {\n  name: 'outsidews'\n  location: 'westeurope'\n}\n",
    );
    write(
        parent,
        "outside/main.tf",
        "resource \"azurerm_machine_learning_workspace\" \"o\" {\n  name = \"outsidews\"\n  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  application_insights_id = \"x\"\n  key_vault_id = \"x\"\n  storage_account_id = \"x\"\n  identity {\n    type = \"SystemAssigned\"\n  }\n}\n",
    );
}

#[test]
fn links_and_modules_cannot_leave_the_scanned_root() {
    // The boundary of a scan (docs/decisions/0023-scan-boundary.md): the
    // scanned folder when it is in no work tree and not below the current
    // directory; the work tree when it is one; `--root` when given.
    for boundary in ["folder", "git", "root option"] {
        let parent = tempfile::tempdir().unwrap();
        outside_files(parent.path());
        let root = parent.path().join("root");
        remote_and_escaping(&root);
        let mut options = aml_baseline::scan::ScanOptions {
            paths: vec![root.clone()],
            ..Default::default()
        };
        match boundary {
            "git" => std::fs::create_dir(root.join(".git")).unwrap(),
            "root option" => options.root = Some(root.clone()),
            _ => {}
        }
        // A link inside the root that leads outside it is not followed either.
        #[cfg(unix)]
        std::os::unix::fs::symlink(parent.path().join("outside"), root.join("tf/linked")).unwrap();
        #[cfg(unix)]
        write(
            &root,
            "tf2/main.tf",
            "module \"linked\" {\n  source = \"../tf/linked\"\n}\n",
        );
        let settings = aml_baseline::pipeline::Settings {
            no_config: true,
            ..Default::default()
        };
        let r = aml_baseline::pipeline::run(&options, &settings).report;
        stays_inside(&r, boundary);
    }
}

fn stays_inside(r: &Report, boundary: &str) {
    assert!(
        r.resources.iter().all(|x| x.name != "outsidews"),
        "{boundary}: a file outside the root was read"
    );
    assert!(
        r.diagnostics
            .iter()
            .all(|d| !d.message.contains("root:x:0:0")),
        "/etc/passwd leaked into a message"
    );
    let template_link = diags(r, "template-link");
    assert!(
        template_link
            .iter()
            .filter(|m| m.contains("azuredeploy.json:"))
            .count()
            >= 3,
        "{boundary}: {:?}",
        all_codes(r)
    );
    assert!(
        diags(r, "bicep-module").len() >= 2 && !diags(r, "bicep-registry-module").is_empty(),
        "{boundary}: {:?}",
        all_codes(r)
    );
    assert!(
        diags(r, "terraform-module-not-fetched").len() >= 4,
        "{boundary}: {:?}",
        all_codes(r)
    );
}

/// Whether `unshare -rn` can make a namespace without a network here.
fn unshare_works() -> bool {
    Command::new("unshare")
        .args(["-rn", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn scan_needs_no_network() {
    if !unshare_works() {
        eprintln!("skipped: `unshare -rn` is not available (docs/reliability.md)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    remote_and_escaping(dir.path());
    let out: Output = Command::new("unshare")
        .args(["-rn", env!("CARGO_BIN_EXE_aml-baseline")])
        .args(["scan", ".", "--format", "json", "--no-config"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    for expected in [
        "template-link",
        "bicep-registry-module",
        "terraform-module-not-fetched",
    ] {
        assert!(codes.contains(&expected), "{expected}: {codes:?}");
    }
}

const SECRET: &str = "Planted-S3cret-Value";

/// Fixtures of every front end with a planted secret in a secure parameter,
/// a datastore credential and (Terraform) a plan file.
fn planted_secrets(dir: &Path) {
    write(
        dir,
        "arm/azuredeploy.json",
        arm(&format!(
            r#""parameters": {{"pw": {{"type": "securestring"}}, "key": {{"type": "securestring", "defaultValue": "{SECRET}-default"}}}},
            "resources": [
              {{{WORKSPACE}, "name": "armws", "tags": {{"pw": "[parameters('pw')]", "key": "[parameters('key')]"}}}},
              {{"type": "Microsoft.MachineLearningServices/workspaces/datastores", "apiVersion": "2024-04-01", "name": "armws/store",
                "properties": {{"datastoreType": "AzureBlob", "accountName": "acct", "containerName": "c",
                  "credentials": {{"credentialsType": "AccountKey", "secrets": {{"secretsType": "AccountKey", "key": "{SECRET}-arm-datastore"}}}}}}}}
            ]"#
        )),
    );
    write(
        dir,
        "arm/azuredeploy.parameters.json",
        format!(r#"{{"parameters": {{"pw": {{"value": "{SECRET}-param-file"}}}}}}"#),
    );
    write(
        dir,
        "bicep/main.bicep",
        format!(
            "@secure()\nparam pw string = '{SECRET}-bicep-default'\nresource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {{\n  name: 'bicepws'\n  location: 'westeurope'\n  tags: {{\n    pw: pw\n  }}\n  properties: {{\n    publicNetworkAccess: 'Enabled'\n  }}\n}}\nresource ds 'Microsoft.MachineLearningServices/workspaces/datastores@2024-04-01' = {{\n  parent: ws\n  name: 'store'\n  properties: {{\n    datastoreType: 'AzureBlob'\n    accountName: 'acct'\n    containerName: 'c'\n    credentials: {{\n      credentialsType: 'AccountKey'\n      secrets: {{\n        secretsType: 'AccountKey'\n        key: '{SECRET}-bicep-datastore'\n      }}\n    }}\n  }}\n}}\n"
        ),
    );
    write(
        dir,
        "tf/main.tf",
        format!(
            "variable \"pw\" {{\n  type = string\n  sensitive = true\n  default = \"{SECRET}-tf-variable\"\n}}\nresource \"azurerm_machine_learning_workspace\" \"w\" {{\n  name = \"tfws\"\n  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  application_insights_id = \"x\"\n  key_vault_id = \"x\"\n  storage_account_id = \"x\"\n  tags = {{\n    pw = var.pw\n  }}\n  identity {{\n    type = \"SystemAssigned\"\n  }}\n}}\nresource \"azurerm_machine_learning_datastore_blobstorage\" \"d\" {{\n  name = \"store\"\n  workspace_id = azurerm_machine_learning_workspace.w.id\n  storage_container_id = \"x\"\n  account_key = \"{SECRET}-tf-datastore\"\n}}\n"
        ),
    );
    let schema = "https://azuremlschemas.azureedge.net/latest";
    write(
        dir,
        "yaml/cluster.yml",
        format!("$schema: {schema}/amlCompute.schema.json\nname: c\ntype: amlcompute\nssh_settings:\n  admin_username: u\n  admin_password: {SECRET}-yaml-compute\n"),
    );
    write(
        dir,
        "yaml/instance.yml",
        format!("$schema: {schema}/computeInstance.schema.json\nname: i\ntype: computeinstance\nssh_settings:\n  ssh_key_value: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    {SECRET}-yaml-private-key-body\n    -----END OPENSSH PRIVATE KEY-----\n"),
    );
    write(
        dir,
        "yaml/datastore.yml",
        format!("$schema: {schema}/azureBlob.schema.json\nname: d\ntype: azure_blob\naccount_name: a\ncontainer_name: c\ncredentials:\n  account_key: {SECRET}-yaml-datastore\n"),
    );
    write(
        dir,
        "yaml/connection.yml",
        format!("name: g\ntype: git\ntarget: https://example.com\ncredentials:\n  type: pat\n  pat: {SECRET}-yaml-pat\n"),
    );
    write(
        dir,
        "yaml/openai.yml",
        format!("$schema: {schema}/azureOpenAIConnection.schema.json\nname: o\ntype: azure_open_ai\ntarget: https://x.openai.azure.com/\napi_key: {SECRET}-yaml-api-key\n"),
    );
    let plan = std::fs::read_to_string(project("tests/fixtures/terraform/plan-101/plan.json"))
        .unwrap()
        .replace("Plan-Secret-Passw0rd!", &format!("{SECRET}-plan"));
    assert!(plan.contains(&format!("{SECRET}-plan")));
    write(dir, "plan/plan.json", plan);
}

#[test]
fn planted_secrets_appear_in_no_output_format() {
    let dir = tempfile::tempdir().unwrap();
    planted_secrets(dir.path());
    // The library's renderers, each format.
    let options = aml_baseline::scan::ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        all_rules: true,
        no_config: true,
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    assert!(
        run.report.resources.len() >= 5,
        "{} resources",
        run.report.resources.len()
    );
    for format in ALL_FORMATS {
        let text = render::render_run(format, &run, &RenderOptions::default());
        assert!(!text.is_empty());
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(SECRET)).collect();
        assert!(
            leaks.is_empty(),
            "{format:?} shows a planted secret: {leaks:#?}"
        );
    }
    // And the binary, which also prints diagnostics and snippets.
    for format in ALL_FORMATS {
        let out = bin()
            .args([
                "scan",
                ".",
                "--all-rules",
                "--no-config",
                "--format",
                format.name(),
            ])
            .current_dir(dir.path())
            .output()
            .expect("runs");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(SECRET), "{format:?}: {text}");
        }
    }
}

// ---------------------------------------------------------------- determinism

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    planted_secrets(&dir.path().join("secrets"));
    for example in [
        "examples",
        "tests/fixtures/bicep",
        "tests/fixtures/terraform",
    ] {
        let from = project(example);
        copy_tree(&from, &dir.path().join(example.replace('/', "_")));
    }
    for format in ALL_FORMATS {
        let mut first: Option<Vec<u8>> = None;
        for threads in ["1", "2", "8", "2"] {
            let out = bin()
                .args([
                    "scan",
                    ".",
                    "--all-rules",
                    "--no-config",
                    "--format",
                    format.name(),
                ])
                .env("RAYON_NUM_THREADS", threads)
                .current_dir(dir.path())
                .output()
                .expect("runs");
            assert!(matches!(out.status.code(), Some(0..=2)), "{format:?}");
            match &first {
                None => first = Some(out.stdout),
                Some(f) => assert!(
                    *f == out.stdout,
                    "{format:?} differs with RAYON_NUM_THREADS={threads}"
                ),
            }
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else if t.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
