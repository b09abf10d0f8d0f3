//! `aml-baseline fix` on Azure ML CLI v2 YAML (issue 22, point 5): each
//! fixable rule's ARM property traced to the key the CLI sends it from, the
//! value the CLI's mapping and schema accept, edits that keep comments, key
//! order, quoting and indentation (the whole fixed file is compared), the
//! re-scan passing, and the same plans in `fix --dry-run`, the report's
//! `autofix` and SARIF `fixes`. Also the organisation's policy: with
//! `--policies`/`--assignments`, a fix writes a value every enforced
//! assignment allows, or says which assignments conflict.

use crate::common;

use aml_baseline::fix::{self, Options, Plan, Status};
use aml_baseline::pipeline::Settings;
use aml_baseline::scan::ScanOptions;
use common::{project, report_with};
use std::path::{Path, PathBuf};

fn settings() -> Settings {
    Settings {
        all_rules: true,
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A copy of the YAML fixture folder.
fn yaml_copy(tmp: &Path) -> PathBuf {
    let dir = tmp.join("yaml");
    copy_dir(&project("tests/fixtures/fix/yaml"), &dir);
    dir
}

fn plan_in(dir: &Path, settings: &Settings, allow_unsafe: bool) -> Plan {
    run_and_plan(dir, settings, allow_unsafe).1
}

fn run_and_plan(
    dir: &Path,
    settings: &Settings,
    allow_unsafe: bool,
) -> (aml_baseline::report::Run, Plan) {
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    };
    let fix_options = Options {
        allow_unsafe,
        ..Default::default()
    };
    fix::plan(&options, settings, &fix_options)
}

/// Failing results of `rule` in `dir` (resource names).
fn failing(dir: &Path, rule: &str) -> Vec<String> {
    report_with(&[dir.to_path_buf()], None, true)
        .results
        .iter()
        .filter(|r| r.rule == rule && r.result == aml_baseline::evaluate::Verdict::Fail)
        .map(|r| r.resource_name.to_string())
        .collect()
}

const FILES: [&str; 5] = [
    "workspace.yml",
    "cluster.yml",
    "instance.yml",
    "nested/workspace.yml",
    "bare/workspace.yml",
];

/// `fix --unsafe` on a workspace, a cluster and a compute instance: every
/// fixed file equals the expected one byte for byte (comments, key order,
/// quotes, the file's indentation for keys added under a mapping or with
/// their parent), the re-scan passes every fixed rule, and a second `fix`
/// changes nothing.
#[test]
fn cli_yaml_fixes_keep_the_file_and_pass_on_rescan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = yaml_copy(tmp.path());
    let plan = plan_in(&dir, &settings(), true);
    for f in &plan.files {
        f.write(None).unwrap();
    }
    for name in FILES {
        let got = std::fs::read_to_string(dir.join(name)).unwrap();
        let want =
            std::fs::read_to_string(project("tests/fixtures/fix/yaml-fixed").join(name)).unwrap();
        assert_eq!(got, want, "{name}");
    }
    let fixed: Vec<(&str, String)> = plan
        .results
        .iter()
        .filter(|r| r.status == Status::Fixed)
        .map(|r| (r.rule.id, r.messages.join("\n")))
        .collect();
    let mut ids: Vec<&str> = fixed.iter().map(|(id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids,
        [
            "AMLB-NS1-003",
            "AMLB-NS1-004",
            "AMLB-POL-438c38d2",
            "AMLB-POL-679ddf89",
            "AMLB-POL-6ddb1705",
            "AMLB-POL-a10ee784",
            "AMLB-POL-a6f9a2d0",
            "AMLB-POL-e96a9a5f"
        ]
    );
    // The messages say the key, the ARM property, and the change.
    assert!(
        fixed.iter().any(|(id, m)| *id == "AMLB-POL-6ddb1705"
            && m.contains("`managed_network.isolation_mode` (`properties.managedNetwork.isolationMode`) disabled → allow_only_approved_outbound")),
        "{fixed:?}"
    );
    assert!(
        fixed.iter().any(|(id, m)| *id == "AMLB-POL-679ddf89"
            && m.contains("added `idle_time_before_shutdown_minutes: 60`")),
        "{fixed:?}"
    );
    for id in ids {
        assert!(failing(&dir, id).is_empty(), "{id} still fails");
    }
    let again = plan_in(&dir, &settings(), true);
    assert!(again.files.is_empty(), "{:?}", again.files[0].diff());
}

/// What the CLI YAML cannot say is left to a person with the reason, and
/// resources to add are printed as the `az` commands that make them.
#[test]
fn cli_yaml_by_hand_and_snippets_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = yaml_copy(tmp.path());
    let (run, plan) = run_and_plan(&dir, &settings(), true);
    let of = |rule: &str, resource: &str| {
        plan.results
            .iter()
            .find(|r| r.rule.id == rule && run.scan.model.resources[r.resource].name == resource)
            .unwrap_or_else(|| panic!("{rule} on {resource}"))
    };
    // No key of the workspace YAML sets the v1 legacy mode.
    let v1 = of("AMLB-POL-e413671a", "mlw-fixdemo");
    assert_eq!(v1.status, Status::Manual);
    assert!(
        v1.messages[0]
            .contains("`properties.v1LegacyMode`: no key of this CLI YAML entity sets it"),
        "{:?}",
        v1.messages
    );
    let pe = of("AMLB-POL-45e05259", "mlw-fixdemo");
    assert_eq!(pe.status, Status::Snippet);
    let snippet = pe.snippet.as_deref().unwrap();
    assert!(
        snippet.contains("az network private-endpoint create")
            && snippet.contains("--group-id amlworkspace")
            && snippet
                .contains("/providers/Microsoft.MachineLearningServices/workspaces/mlw-fixdemo"),
        "{snippet}"
    );
    let cmk = of("AMLB-POL-ba769a63", "mlw-fixdemo");
    assert!(
        cmk.snippet
            .as_deref()
            .unwrap()
            .contains("customer_managed_key:\n  key_vault: <KEY-VAULT-RESOURCE-ID>\n  key_uri: <KEY-URI-WITH-VERSION>\n"),
        "{:?}",
        cmk.snippet
    );
}

/// `fix --dry-run` prints the YAML diff and writes nothing; the scan's
/// report carries the same safe edit (`autofix`, SARIF `fixes`), and its
/// replacements applied by line and column give the file `fix` writes.
#[test]
fn cli_yaml_dry_run_and_report_autofix_agree_with_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = yaml_copy(tmp.path());
    let before = std::fs::read_to_string(dir.join("workspace.yml")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["fix", "--dry-run", "--no-config", "--rule", "438c38d2"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("-public_network_access: \"Enabled\"   # opened for the pilot\n+public_network_access: \"Disabled\"   # opened for the pilot\n"),
        "{text}"
    );
    assert!(text.contains("2 files changed; 2 results fixed"), "{text}");
    assert_eq!(
        std::fs::read_to_string(dir.join("workspace.yml")).unwrap(),
        before
    );
    // SARIF: the result's fix replaces the value on line 7.
    let sarif = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", "--no-config", "--format", "sarif"])
        .arg(dir.join("workspace.yml"))
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "AMLB-POL-438c38d2")
        .unwrap();
    let rep = &r["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(rep["deletedRegion"]["startLine"], 7, "{rep}");
    assert_eq!(rep["insertedContent"]["text"], "\"Disabled\"", "{rep}");
    // The JSON report's replacements reproduce `fix`.
    let report = report_with(&[dir.join("cluster.yml")], None, true);
    let result = report
        .results
        .iter()
        .find(|r| r.rule == "AMLB-NS1-003" && r.autofix.is_some())
        .expect("the cluster's public IP fix");
    let change = &result.autofix.as_ref().unwrap().changes[0];
    let text = std::fs::read_to_string(&change.path).unwrap();
    let mut applied = text.clone();
    for r in change.replacements.iter().rev() {
        let offset = |line: u32, col: u32| -> usize {
            let start: usize = text
                .split_inclusive('\n')
                .take(line as usize - 1)
                .map(str::len)
                .sum();
            start + col as usize - 1
        };
        let (s, e) = (
            offset(r.start_line, r.start_column),
            offset(r.end_line, r.end_column),
        );
        applied.replace_range(s..e, &r.text);
    }
    assert!(
        applied.ends_with("ssh_public_access_enabled: true\nenable_node_public_ip: false\n"),
        "{applied}"
    );
}

/// The settings of `fix` with the organisation's policy.
fn with_policy(assignments: &str, policies: bool) -> Settings {
    let mut s = settings();
    s.policy = aml_baseline::policies::PolicyOptions {
        policies: policies.then(|| project("tests/fixtures/fix/yaml-policy/policies")),
        assignments: vec![project("tests/fixtures/fix/yaml-policy").join(assignments)],
        ..Default::default()
    };
    s
}

/// Failing results of `rule` under `settings` (resource names).
fn failing_with(dir: &Path, settings: &Settings, rule: &str) -> Vec<String> {
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, settings)
        .report
        .results
        .iter()
        .filter(|r| r.rule == rule && r.result == aml_baseline::evaluate::Verdict::Fail)
        .map(|r| r.resource_name.to_string())
        .collect()
}

const VM_SIZES: &str = "allowed-ml-vm-sizes";
const ISOLATION: &str = "6ddb1705-c8cf-450e-aa4b-19ad6703c440";

/// With `--policies`/`--assignments`: an assignment's allowed VM sizes give
/// the size written (the first of its list; unsafe, a person confirms the
/// size fits), the isolation mode an assignment asks for is written for its
/// result, and the rule whose value that assignment would deny is left to
/// a person with the assignment named. The re-scan with the same
/// assignments passes every assignment result that was fixed.
#[test]
fn a_fix_writes_only_what_every_enforced_assignment_allows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = yaml_copy(tmp.path());
    let policy = with_policy("assignments.json", true);
    // Without --unsafe the size is not changed: which size fits is a person's call.
    let safe = plan_in(&dir, &policy, false);
    let size = safe
        .results
        .iter()
        .find(|r| r.rule.id == VM_SIZES)
        .expect("the size result");
    assert_eq!(size.status, Status::NeedsUnsafe, "{:?}", size.messages);
    let (run, plan) = run_and_plan(&dir, &policy, true);
    for f in &plan.files {
        f.write(None).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("cluster.yml")).unwrap(),
        "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n\
         # Training cluster.\n\
         name: cpu-cluster\n\
         type: amlcompute\n\
         size: Standard_D4s_v3   # the usual size\n\
         min_instances: 0\n\
         max_instances: 4\n\
         # scale down after two idle minutes\n\
         idle_time_before_scale_down: 120\n\
         ssh_public_access_enabled: true\n\
         enable_node_public_ip: false\n"
    );
    let workspace = std::fs::read_to_string(dir.join("workspace.yml")).unwrap();
    assert!(
        workspace.contains("  # decided with the platform team\n  isolation_mode: allow_internet_outbound\ntags:\n"),
        "{workspace}"
    );
    let name = |r: &fix::ResultFix| run.scan.model.resources[r.resource].name.clone();
    let rule = plan
        .results
        .iter()
        .find(|r| r.rule.id == "AMLB-POL-6ddb1705" && name(r) == "mlw-fixdemo")
        .unwrap();
    assert_eq!(rule.status, Status::Manual);
    assert!(
        rule.messages.iter().any(|m| m.contains(
            "no value this rule accepts is allowed by every enforced assignment: `AllowOnlyApprovedOutbound` is not allowed by assignment 'ML workspaces allow internet outbound through the managed network' (definition 6ddb1705, Deny); the assignments allow `AllowInternetOutbound`, which this rule does not accept"
        )),
        "{:?}",
        rule.messages
    );
    for id in [VM_SIZES, ISOLATION] {
        let fixed: Vec<String> = plan
            .results
            .iter()
            .filter(|r| r.rule.id == id && r.status == Status::Fixed)
            .map(name)
            .collect();
        assert!(!fixed.is_empty(), "{id}");
        let left = failing_with(&dir, &policy, id);
        assert!(left.is_empty(), "{id} still fails on {left:?}");
    }
    // Never a value an assignment denies: the safe fixes the scan report
    // offers under the same assignments are the ones written.
    let again = plan_in(&dir, &policy, true);
    assert!(again.files.is_empty());
}

/// Two enforced assignments of one definition with different isolation
/// modes (a benchmark's default `Disabled`, the platform's approved
/// outbound only): no value satisfies both, nothing is written, and the
/// message names both assignments; `fix --dry-run --assignments` says so.
#[test]
fn conflicting_assignments_are_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = yaml_copy(tmp.path());
    let policy = with_policy("assignments-conflict.json", false);
    let plan = plan_in(&dir, &policy, true);
    let r = plan
        .results
        .iter()
        .find(|r| r.rule.id == ISOLATION)
        .expect("the isolation result");
    assert_eq!(r.status, Status::Manual);
    let m = r.messages.join("\n");
    assert!(
        m.contains("no value is allowed by every enforced assignment, so they conflict")
            && m.contains("'Platform: approved outbound only' (definition 6ddb1705, Deny)")
            && m.contains("'Benchmark: managed network isolation (default parameters)' (definition 6ddb1705, Audit)"),
        "{m}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args([
            "fix",
            "--dry-run",
            "--unsafe",
            "--no-config",
            "--assignments",
        ])
        .arg(project(
            "tests/fixtures/fix/yaml-policy/assignments-conflict.json",
        ))
        .arg(dir.join("workspace.yml"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("so they conflict"), "{text}");
    assert!(!text.contains("+  isolation_mode:"), "{text}");
    // `--rule` names one of the user's definitions; a name nobody knows is an error
    // without the user's policy, a warning with it.
    let run = |rule: &str, policy: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"));
        c.args([
            "fix",
            "--dry-run",
            "--unsafe",
            "--no-config",
            "--rule",
            rule,
        ]);
        if policy {
            c.arg("--policies")
                .arg(project("tests/fixtures/fix/yaml-policy/policies"))
                .arg("--assignments")
                .arg(project("tests/fixtures/fix/yaml-policy/assignments.json"));
        }
        c.arg(&dir).output().unwrap()
    };
    let sizes = run(VM_SIZES, true);
    let text = String::from_utf8(sizes.stdout).unwrap();
    assert!(
        text.contains("2 files changed; 2 results fixed, 0 need --unsafe, 0 snippets to add, 0 to fix by hand"),
        "{text}"
    );
    assert_eq!(run(VM_SIZES, false).status.code(), Some(2));
    let typo = run("allowed-vm-size", true);
    assert!(String::from_utf8(typo.stderr)
        .unwrap()
        .contains("warning: 'allowed-vm-size' is no rule of aml-baseline"));
}

/// The same choice in the other formats: the allowed VM size is written in
/// a Bicep file, an ARM template and a Terraform configuration (the azurerm
/// argument the Terraform mapping copies `vmSize` from), and the re-scan
/// with the assignments passes.
#[test]
fn allowed_values_are_written_in_arm_bicep_and_terraform() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("examples");
    for sub in [
        "bicep-workspace",
        "insecure-workspace",
        "terraform-workspace",
    ] {
        copy_dir(&project("examples").join(sub), &dir.join(sub));
    }
    let policy = with_policy("assignments.json", true);
    assert!(!failing_with(&dir, &policy, VM_SIZES).is_empty());
    let options = ScanOptions {
        paths: vec![dir.clone()],
        ..Default::default()
    };
    let fix_options = Options {
        rules: vec![VM_SIZES],
        allow_unsafe: true,
        ..Default::default()
    };
    let (_, plan) = fix::plan(&options, &policy, &fix_options);
    for f in &plan.files {
        f.write(None).unwrap();
    }
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    assert!(read("bicep-workspace/main.bicep").contains("vmSize: 'Standard_D4s_v3'"));
    assert!(read("insecure-workspace/azuredeploy.json").contains("\"vmSize\": \"Standard_D4s_v3\""));
    assert!(read("terraform-workspace/main.tf").contains("= \"Standard_D4s_v3\""));
    assert_eq!(failing_with(&dir, &policy, VM_SIZES), Vec::<String>::new());
}

/// An entity written as JSON (read by the same front end) is edited in
/// place and stays JSON: a value is replaced, a key is never added in YAML
/// syntax (left to a person, with the reason).
#[test]
fn cli_json_entities_stay_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("json");
    copy_dir(&project("tests/fixtures/yaml-shapes/json"), &dir);
    let plan = plan_in(&dir, &settings(), true);
    for f in &plan.files {
        f.write(None).unwrap();
    }
    let text = std::fs::read_to_string(dir.join("workspace.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
    assert_eq!(v["public_network_access"], "Disabled");
    let r = plan
        .results
        .iter()
        .find(|r| r.rule.id == "AMLB-POL-6ddb1705")
        .unwrap();
    assert_eq!(r.status, Status::Manual);
    assert!(
        r.messages.iter().any(|m| m.contains("flow style")),
        "{:?}",
        r.messages
    );
}

/// An assignment of a shipped definition (438c38d2, Deny) is fixed as its
/// rule is: safe, without `--unsafe`, with the value it asks for.
#[test]
fn an_assignment_of_a_shipped_definition_keeps_its_rules_safety() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = yaml_copy(tmp.path());
    let assignments = tmp.path().join("assignments.json");
    std::fs::write(
        &assignments,
        r#"[{"id": "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/policyAssignments/pna",
            "name": "pna", "displayName": "No public ML workspaces",
            "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce",
            "scope": "/subscriptions/00000000-0000-0000-0000-000000000000",
            "parameters": {"effect": {"value": "Deny"}}, "enforcementMode": "Default"}]"#,
    )
    .unwrap();
    let mut policy = settings();
    policy.policy.assignments = vec![assignments];
    let plan = plan_in(&dir, &policy, false);
    let of: Vec<&fix::ResultFix> = plan
        .results
        .iter()
        .filter(|r| r.rule.id == "438c38d2-3772-465a-a9cc-7a6666a275ce")
        .collect();
    assert_eq!(of.len(), 2, "the workspace and the bare one");
    assert!(of.iter().all(|r| r.status == Status::Fixed), "{of:?}");
    let said: Vec<&String> = of.iter().flat_map(|r| &r.messages).collect();
    assert!(
        said.iter().any(|m| m.contains(
            "`public_network_access` (`properties.publicNetworkAccess`) \"Enabled\" → \"Disabled\""
        )),
        "{said:?}"
    );
}
