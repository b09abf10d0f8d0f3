//! `aml-baseline fix` end to end. For every rule with a written fix and
//! every format whose failing fixture it can edit: the fix applied to a copy,
//! the change (a unified diff, snapshot), the re-scan passing that rule, and a
//! second `fix` changing nothing. Also the policy rules (their Modify twins
//! and an unsafe fix), copies of real-world files, and what edits must keep:
//! CRLF, a BOM, tabs and comments.

use crate::common;

use aml_baseline::fix::{self, Options, Plan, Status};
use aml_baseline::pipeline::Settings;
use aml_baseline::rules::{self, Autofix};
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

/// Plans the fixes of `rules` (all when empty) in `dir` and writes them.
fn fix_dir(dir: &Path, only: &[&'static str], allow_unsafe: bool) -> Plan {
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    };
    let fix_options = Options {
        rules: only.to_vec(),
        allow_unsafe,
        ..Default::default()
    };
    let (_, plan) = fix::plan(&options, &settings(), &fix_options);
    for f in &plan.files {
        f.write(None).unwrap();
    }
    plan
}

/// The plan's diffs, with paths relative to `dir`.
fn diffs(plan: &Plan, dir: &Path) -> String {
    let prefix = aml_baseline::source::display_path(dir);
    plan.files
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.display = f
                .display
                .strip_prefix(&prefix)
                .unwrap_or(&f.display)
                .trim_start_matches('/')
                .to_string();
            f.diff()
        })
        .collect()
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

/// A temporary copy of a fixture file or folder; returns the folder to scan.
fn copy_fixture(src: &Path, tmp: &Path) -> PathBuf {
    let dir = tmp.join("case");
    if src.is_dir() {
        copy_dir(src, &dir);
    } else {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(src, dir.join(src.file_name().unwrap())).unwrap();
    }
    dir
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

#[test]
fn every_native_fix_in_every_format() {
    let mut fixed = 0;
    let mut snapshot = String::new();
    for rule in rules::native::RULES {
        if !matches!(rule.autofix, Autofix::Set { .. }) {
            continue;
        }
        let base = project(&format!("tests/fixtures/native/{}", rule.id));
        let cases = [
            ("arm", base.join("fail.json")),
            ("bicep", base.join("fail.bicep")),
            ("terraform", base.join("terraform/fail")),
        ];
        for (format, src) in cases {
            if !src.exists() {
                continue;
            }
            let tmp = tempfile::tempdir().unwrap();
            let dir = copy_fixture(&src, tmp.path());
            assert!(
                !failing(&dir, rule.id).is_empty(),
                "{} {format}: the fixture does not fail",
                rule.id
            );
            let plan = fix_dir(&dir, &[rule.id], false);
            let mine: Vec<_> = plan
                .results
                .iter()
                .filter(|r| r.rule.id == rule.id)
                .collect();
            assert!(!mine.is_empty(), "{} {format}: no result planned", rule.id);
            snapshot.push_str(&format!("## {} {format}\n", rule.id));
            if mine.iter().all(|r| r.status == Status::Fixed) {
                fixed += 1;
                let left = failing(&dir, rule.id);
                assert!(
                    left.is_empty(),
                    "{} {format}: still failing after fix: {left:?}",
                    rule.id
                );
                snapshot.push_str(&diffs(&plan, &dir));
                let again = fix_dir(&dir, &[rule.id], false);
                assert!(
                    again.files.is_empty(),
                    "{} {format}: a second fix changed {:?}",
                    rule.id,
                    again.files.iter().map(|f| &f.display).collect::<Vec<_>>()
                );
            } else {
                // Not written: the plan says why, and nothing changed.
                assert!(plan.files.is_empty(), "{} {format}", rule.id);
                for r in &mine {
                    assert_eq!(r.status, Status::Manual, "{} {format}", rule.id);
                    assert!(!r.messages.is_empty());
                    snapshot.push_str(&format!("by hand: {}\n", r.messages.join(" / ")));
                }
            }
        }
    }
    assert!(fixed >= 26, "only {fixed} rule-format pairs fixed");
    insta::assert_snapshot!("native_fixes", snapshot);
}

#[test]
fn policy_fixes_land_where_the_value_is_decided() {
    let mut snapshot = String::new();
    for format in ["arm", "bicep", "terraform"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = copy_fixture(
            &project(&format!("tests/fixtures/fix/policy/{format}")),
            tmp.path(),
        );
        assert!(!failing(&dir, "AMLB-POL-438c38d2").is_empty(), "{format}");
        let plan = fix_dir(&dir, &[], false);
        snapshot.push_str(&format!("## {format}\n{}", diffs(&plan, &dir)));
        for r in &plan.results {
            if r.status == Status::Fixed {
                let prefix = format!("{}/", aml_baseline::source::display_path(&dir));
                let messages = r.messages.join(" / ").replace(&prefix, "");
                snapshot.push_str(&format!("{}: {messages}\n", r.rule.id));
            }
        }
        for rule in [
            "AMLB-POL-438c38d2",
            "AMLB-POL-a10ee784",
            "AMLB-POL-e96a9a5f",
            "AMLB-POL-a6f9a2d0",
        ] {
            assert_eq!(failing(&dir, rule), Vec::<String>::new(), "{format} {rule}");
        }
        // Unsafe fixes wait for --unsafe.
        assert!(plan
            .results
            .iter()
            .any(|r| r.rule.id == "AMLB-POL-6ddb1705" && r.status == Status::NeedsUnsafe));
        assert!(!failing(&dir, "AMLB-POL-6ddb1705").is_empty());
        assert!(
            fix_dir(&dir, &[], false).files.is_empty(),
            "{format}: second fix"
        );
        let unsafe_plan = fix_dir(&dir, &["AMLB-POL-6ddb1705"], true);
        snapshot.push_str(&format!(
            "## {format} --unsafe\n{}",
            diffs(&unsafe_plan, &dir)
        ));
        assert_eq!(
            failing(&dir, "AMLB-POL-6ddb1705"),
            Vec::<String>::new(),
            "{format}"
        );
    }
    insta::assert_snapshot!("policy_fixes", snapshot);
}

#[test]
fn the_modify_definitions_drive_their_own_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture(&project("tests/fixtures/fix/policy/arm"), tmp.path());
    let plan = fix_dir(&dir, &["AMLB-POL-a6f9a2d0"], false);
    assert!(plan
        .results
        .iter()
        .all(|r| r.rule.id == "AMLB-POL-a6f9a2d0"));
    assert!(plan.results.iter().all(|r| r.status == Status::Fixed));
    assert_eq!(failing(&dir, "AMLB-POL-e96a9a5f"), Vec::<String>::new());
    // The public network access is another rule's: untouched.
    assert!(!failing(&dir, "AMLB-POL-438c38d2").is_empty());
}

#[test]
fn snippets_are_printed_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture(&project("tests/fixtures/fix/policy/bicep"), tmp.path());
    let plan = fix_dir(&dir, &["AMLB-POL-45e05259", "AMLB-POL-afe0c3be"], false);
    assert!(plan.files.is_empty());
    let snippets: Vec<&str> = plan
        .results
        .iter()
        .filter(|r| r.status == Status::Snippet)
        .filter_map(|r| r.snippet.as_deref())
        .collect();
    assert_eq!(snippets.len(), 2, "{snippets:?}");
    assert!(
        snippets
            .iter()
            .any(|s| s.contains("privateLinkServiceId: ws.id")),
        "{snippets:?}"
    );
    assert!(
        snippets.iter().any(|s| s.contains("scope: ws")),
        "{snippets:?}"
    );
}

#[test]
fn edits_keep_crlf_bom_tabs_and_comments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    std::fs::create_dir_all(&dir).unwrap();
    let arm = "{\r\n\t\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\r\n\t\"contentVersion\": \"1.0.0.0\",\r\n\t\"resources\": [\r\n\t\t{\r\n\t\t\t// the workspace\r\n\t\t\t\"type\": \"Microsoft.MachineLearningServices/workspaces\",\r\n\t\t\t\"apiVersion\": \"2024-04-01\",\r\n\t\t\t\"name\": \"ws\",\r\n\t\t\t\"location\": \"westeurope\",\r\n\t\t\t\"properties\": {\r\n\t\t\t\t\"publicNetworkAccess\": \"Enabled\", // keep me\r\n\t\t\t\t\"friendlyName\": \"ws\" /* and me */\r\n\t\t\t}\r\n\t\t},\r\n\t\t{\r\n\t\t\t\"type\": \"Microsoft.ContainerRegistry/registries\",\r\n\t\t\t\"apiVersion\": \"2023-07-01\",\r\n\t\t\t\"name\": \"acr\",\r\n\t\t\t\"location\": \"westeurope\",\r\n\t\t\t\"properties\": {\r\n\t\t\t\t\"adminUserEnabled\": true // a comment after the value\r\n\t\t\t}\r\n\t\t}\r\n\t]\r\n}\r\n";
    std::fs::write(dir.join("main.json"), format!("\u{feff}{arm}")).unwrap();
    let bicep = "// header comment\r\nresource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {\r\n\tname: 'ws'\r\n\tlocation: 'westeurope'\r\n\tproperties: {\r\n\t\tfriendlyName: 'ws' // keep me\r\n\t}\r\n}\r\n";
    std::fs::write(dir.join("main.bicep"), format!("\u{feff}{bicep}")).unwrap();
    let plan = fix_dir(&dir, &["AMLB-POL-438c38d2", "AMLB-PV3-002"], false);
    assert_eq!(plan.files.len(), 2);

    let json = std::fs::read(dir.join("main.json")).unwrap();
    let json = String::from_utf8(json).unwrap();
    assert!(json.starts_with('\u{feff}'), "BOM kept");
    let body = &json['\u{feff}'.len_utf8()..];
    assert_eq!(
        body.matches('\n').count(),
        body.matches("\r\n").count(),
        "CRLF kept:\n{body}"
    );
    assert!(
        body.contains("\t\t\t\t\"publicNetworkAccess\": \"Disabled\", // keep me\r\n"),
        "{body}"
    );
    assert!(
        body.contains("\t\t\t\t\"friendlyName\": \"ws\" /* and me */\r\n"),
        "{body}"
    );
    assert!(
        body.contains("\t\t\t\t\"adminUserEnabled\": false // a comment after the value\r\n"),
        "{body}"
    );
    assert!(body.contains("\t\t\t// the workspace\r\n"));
    // Only the two values changed: same line count.
    assert_eq!(body.lines().count(), arm.lines().count());

    let b = String::from_utf8(std::fs::read(dir.join("main.bicep")).unwrap()).unwrap();
    assert!(b.starts_with('\u{feff}'), "BOM kept");
    let body = &b['\u{feff}'.len_utf8()..];
    assert_eq!(
        body,
        "// header comment\r\nresource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {\r\n\tname: 'ws'\r\n\tlocation: 'westeurope'\r\n\tproperties: {\r\n\t\tfriendlyName: 'ws' // keep me\r\n\t\tpublicNetworkAccess: 'Disabled'\r\n\t}\r\n}\r\n"
    );
    assert!(fix_dir(&dir, &["AMLB-POL-438c38d2", "AMLB-PV3-002"], false)
        .files
        .is_empty());
    assert_eq!(failing(&dir, "AMLB-POL-438c38d2"), Vec::<String>::new());
}

#[test]
fn terraform_edits_keep_crlf_and_comments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    std::fs::create_dir_all(&dir).unwrap();
    let tf = "# workspace\r\nresource \"azurerm_machine_learning_workspace\" \"ws\" {\r\n  name                          = \"ws\"\r\n  location                      = \"westeurope\"\r\n  resource_group_name           = \"rg\"\r\n  application_insights_id       = \"ai\"\r\n  key_vault_id                  = \"kv\"\r\n  storage_account_id            = \"st\"\r\n  public_network_access_enabled = true # for now\r\n\r\n  identity {\r\n    type = \"SystemAssigned\"\r\n  }\r\n}\r\n";
    std::fs::write(dir.join("main.tf"), tf).unwrap();
    let plan = fix_dir(&dir, &["AMLB-POL-438c38d2"], false);
    assert_eq!(plan.files.len(), 1);
    let after = std::fs::read_to_string(dir.join("main.tf")).unwrap();
    assert_eq!(after, tf.replace("= true # for now", "= false # for now"));
    assert!(fix_dir(&dir, &["AMLB-POL-438c38d2"], false)
        .files
        .is_empty());
}

/// The real-world files the issue names: the safe fixes leave no failure of
/// their rules, no error diagnostic, and a diff that touches only what it must.
#[test]
fn real_world_files_end_with_the_safe_rules_passing() {
    let Some(rw) = common::realworld() else {
        eprintln!("skipped: ../shared/corpus/realworld is not there");
        return;
    };
    let safe: Vec<&'static str> = rules::all()
        .iter()
        .filter(|r| {
            matches!(
                r.autofix,
                Autofix::Set {
                    safety: rules::Safety::Safe,
                    ..
                } | Autofix::Modify {
                    safety: rules::Safety::Safe
                }
            )
        })
        .map(|r| r.id)
        .collect();
    let mut snapshot = String::new();
    for case in [
        "anthony-c-martin__azure-quickstart-templates/101-machine-learning-create",
        "Azure__terraform/quickstart/101-machine-learning",
        "Azure__azureml-examples/cli/endpoints/online/managed/vnet/setup_ws",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = copy_fixture(&rw.join(case), tmp.path());
        let plan = fix_dir(&dir, &[], false);
        assert!(!plan.files.is_empty(), "{case}: nothing fixed");
        let report = report_with(std::slice::from_ref(&dir), None, true);
        assert_eq!(common::errors(&report), Vec::<String>::new(), "{case}");
        for rule in &safe {
            let left: Vec<_> = report
                .results
                .iter()
                .filter(|r| r.rule == *rule && r.result == aml_baseline::evaluate::Verdict::Fail)
                .map(|r| r.resource_name.clone())
                .collect();
            assert!(left.is_empty(), "{case}: {rule} still fails on {left:?}");
        }
        // Each changed line is one setting: removed lines are at most the
        // settings replaced, and no line is touched twice.
        let diff = diffs(&plan, &dir);
        let fixed = plan
            .results
            .iter()
            .filter(|r| r.status == Status::Fixed)
            .count();
        let removed = diff
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .count();
        assert!(
            removed <= fixed,
            "{case}: {removed} lines removed for {fixed} fixes\n{diff}"
        );
        assert!(
            fix_dir(&dir, &[], false).files.is_empty(),
            "{case}: second fix"
        );
        snapshot.push_str(&format!("## {case}\n{diff}"));
    }
    insta::assert_snapshot!("real_world_fixes", snapshot);
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture(&project("tests/fixtures/fix/policy/arm"), tmp.path());
    let before = std::fs::read_to_string(dir.join("azuredeploy.parameters.json")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["fix", "--dry-run", "--no-config", "--rule", "438c38d2"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("-      \"value\": \"Enabled\"\n+      \"value\": \"Disabled\""),
        "{text}"
    );
    assert!(text.contains("1 file changed; 1 result fixed"), "{text}");
    assert_eq!(
        std::fs::read_to_string(dir.join("azuredeploy.parameters.json")).unwrap(),
        before
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["fix", "--rule", "NOPE-1"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// The report's `autofix` (what SARIF `fixes` carry), applied by line and
/// column, gives the file `fix` writes.
#[test]
fn report_autofix_replacements_reproduce_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture(
        &project("tests/fixtures/native/AMLB-PV6-001/fail.bicep"),
        tmp.path(),
    );
    let report = report_with(std::slice::from_ref(&dir), None, true);
    let result = report
        .results
        .iter()
        .find(|r| r.rule == "AMLB-PV6-001" && r.autofix.is_some())
        .expect("a failure with an autofix");
    let autofix = result.autofix.as_ref().unwrap();
    assert_eq!(autofix.safety, "safe");
    assert!(
        autofix.diff.contains("+        minNodeCount: 0"),
        "{}",
        autofix.diff
    );
    assert_eq!(autofix.changes.len(), 1);
    let change = &autofix.changes[0];
    let text = std::fs::read_to_string(&change.path).unwrap();
    // Offsets of 1-based line:column (characters) in the text.
    let offset = |line: u32, col: u32| -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        start
            + text[start..]
                .chars()
                .take(col as usize - 1)
                .map(char::len_utf8)
                .sum::<usize>()
    };
    let mut applied = text.clone();
    let mut reps = change.replacements.clone();
    reps.sort_by_key(|r| std::cmp::Reverse((r.start_line, r.start_column)));
    for r in &reps {
        let (s, e) = (
            offset(r.start_line, r.start_column),
            offset(r.end_line, r.end_column),
        );
        applied.replace_range(s..e, &r.text);
    }
    // A result's autofix covers every safe fix of its resource: `fix` of those rules.
    let same_resource: Vec<&'static str> = report
        .results
        .iter()
        .filter(|r| r.resource_id == result.resource_id && r.autofix.is_some())
        .map(|r| r.rule)
        .collect();
    assert!(same_resource.len() >= 2, "{same_resource:?}");
    fix_dir(&dir, &same_resource, false);
    assert_eq!(applied, std::fs::read_to_string(&change.path).unwrap());
    // After the fix there is nothing left to offer.
    let run = aml_baseline::pipeline::run(
        &ScanOptions {
            paths: vec![dir.clone()],
            ..Default::default()
        },
        &settings(),
    );
    assert!(run
        .report
        .results
        .iter()
        .all(|r| r.rule != "AMLB-PV6-001" || r.autofix.is_none()));
}

/// A value a module's caller passes is fixed in the caller (Bicep `params`,
/// Terraform `module` arguments), not at the module's default.
#[test]
fn module_callers_are_edited_where_they_pass_the_value() {
    for (format, caller, before, after) in [
        (
            "bicep",
            "main.bicep",
            "publicNetworkAccess: 'Enabled'",
            "publicNetworkAccess: 'Disabled'",
        ),
        (
            "terraform",
            "main.tf",
            "public_access = true",
            "public_access = false",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let src = project(&format!("tests/fixtures/fix/module-caller/{format}"));
        let dir = copy_fixture(&src, tmp.path());
        assert_eq!(
            failing(&dir, "AMLB-POL-438c38d2"),
            vec!["ws".to_string()],
            "{format}"
        );
        let plan = fix_dir(&dir, &["AMLB-POL-438c38d2"], false);
        assert_eq!(plan.files.len(), 1, "{format}");
        let text = std::fs::read_to_string(src.join(caller)).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(caller)).unwrap(),
            text.replace(before, after),
            "{format}"
        );
        assert!(
            plan.results[0].messages[0].contains("caller"),
            "{:?}",
            plan.results[0].messages
        );
        assert_eq!(
            failing(&dir, "AMLB-POL-438c38d2"),
            Vec::<String>::new(),
            "{format}"
        );
        assert!(
            fix_dir(&dir, &["AMLB-POL-438c38d2"], false)
                .files
                .is_empty(),
            "{format}"
        );
    }
}

/// CLI v2 YAML is edited like the other formats (more in `fix_yaml`): an
/// endpoint without `auth_mode` gets the spelling the CLI accepts.
#[test]
fn yaml_failures_are_fixed_in_the_cli_spelling() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture(&project("tests/fixtures/yaml/endpoints"), tmp.path());
    let plan = fix_dir(&dir, &["AMLB-IM1-001"], false);
    let r = plan
        .results
        .iter()
        .find(|r| r.rule.id == "AMLB-IM1-001")
        .expect("the failing endpoint");
    assert_eq!(r.status, Status::Fixed, "{:?}", r.messages);
    assert!(
        r.messages
            .iter()
            .any(|m| m.contains("added `auth_mode: aad_token` (`properties.authMode`)")),
        "{:?}",
        r.messages
    );
    assert!(failing(&dir, "AMLB-IM1-001").is_empty());
}

/// Two copies of the parameter-file fixture, `a/` and `b/`, the second padded
/// to `pad` more bytes; `fix --rule 438c38d2` changes one file in each.
fn two_parameter_files(tmp: &Path, pad: usize) -> (PathBuf, PathBuf) {
    let src = project("tests/fixtures/fix/policy/arm");
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    copy_dir(&src, &a);
    copy_dir(&src, &b);
    let p = b.join("azuredeploy.parameters.json");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, format!("{text}{}", " ".repeat(pad))).unwrap();
    (a, b)
}

/// Runs `fix --rule 438c38d2 DIR` through `sh -c PREFIX "$0" "$@"`.
fn fix_via_shell(prefix: &str, dir: &Path) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{prefix} exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["fix", "--no-config", "--rule", "438c38d2"])
        .arg(dir)
        .output()
        .unwrap()
}

/// A write that fails midway (here: a file-size limit, `ulimit -f`, in the
/// child) leaves the original intact and no temporary file, and the summary
/// counts what was written: the small file is fixed, the large one is not.
#[cfg(unix)]
#[test]
fn a_write_failing_midway_leaves_the_original_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_parameter_files(tmp.path(), 2_000);
    let big = b.join("azuredeploy.parameters.json");
    let before = std::fs::read(&big).unwrap();
    // SIGXFSZ ignored: the write fails with EFBIG instead of killing the process.
    let out = fix_via_shell("trap '' XFSZ; ulimit -f 1;", tmp.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("the file was left as it was"), "{stderr}");
    assert!(
        stdout.contains("1 file changed; 1 result fixed, 0 need --unsafe, 0 snippets to add, 0 to fix by hand, 1 not written"),
        "{stdout}"
    );
    assert!(stdout.contains("not written: "), "{stdout}");
    assert_eq!(
        std::fs::read(&big).unwrap(),
        before,
        "the original is intact"
    );
    assert!(
        std::fs::read_to_string(a.join("azuredeploy.parameters.json"))
            .unwrap()
            .contains("\"Disabled\"")
    );
    for dir in [&a, &b] {
        let names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }
    // Killed by SIGXFSZ mid-write (the default action): still intact.
    let out = fix_via_shell("ulimit -f 1;", &b);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&big).unwrap(), before);
}

/// A read-only file and a read-only folder are not written (as an
/// unprivileged user: root may write anything, so the child drops to
/// `nobody` through `setpriv` when the tests run as root).
#[cfg(unix)]
#[test]
fn read_only_files_and_folders_are_left_alone_and_counted() {
    use std::os::unix::fs::PermissionsExt;
    let root = euid_is_root();
    if root
        && std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("running as root without setpriv; skipping");
        return;
    }
    let prefix = if root {
        "setpriv --reuid=65534 --regid=65534 --clear-groups"
    } else {
        ""
    };
    for read_only_dir in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = two_parameter_files(tmp.path(), 0);
        let mode = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        mode(tmp.path(), 0o777);
        mode(&a, 0o777);
        mode(&a.join("azuredeploy.parameters.json"), 0o666);
        let locked = b.join("azuredeploy.parameters.json");
        let before = std::fs::read(&locked).unwrap();
        if read_only_dir {
            mode(&locked, 0o666);
            mode(&b, 0o555);
        } else {
            mode(&b, 0o777);
            mode(&locked, 0o444);
        }
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec {prefix} \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_aml-baseline"))
            .args(["fix", "--no-config", "--rule", "438c38d2"])
            .arg(tmp.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
        assert!(stderr.contains("ermission denied"), "{stderr}");
        assert!(
            stdout.contains("1 file changed; 1 result fixed"),
            "{stdout}"
        );
        assert_eq!(std::fs::read(&locked).unwrap(), before);
        let fixed = a.join("azuredeploy.parameters.json");
        assert!(std::fs::read_to_string(&fixed)
            .unwrap()
            .contains("\"Disabled\""));
        assert_eq!(
            std::fs::metadata(&fixed).unwrap().permissions().mode() & 0o777,
            0o666,
            "mode kept"
        );
        mode(&b, 0o755);
    }
}

fn euid_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A symbolic link to a file outside the scanned folder is not written through.
#[cfg(unix)]
#[test]
fn fix_does_not_write_through_a_link_out_of_the_scanned_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    let scanned = tmp.path().join("scanned");
    std::fs::create_dir_all(&outside).unwrap();
    copy_dir(&project("tests/fixtures/fix/policy/arm"), &scanned);
    let real = outside.join("azuredeploy.parameters.json");
    std::fs::rename(scanned.join("azuredeploy.parameters.json"), &real).unwrap();
    std::os::unix::fs::symlink(&real, scanned.join("azuredeploy.parameters.json")).unwrap();
    let before = std::fs::read(&real).unwrap();
    std::fs::create_dir(scanned.join(".git")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["fix", "--no-config", "--rule", "438c38d2"])
        .arg(scanned.join("azuredeploy.json"))
        .arg(scanned.join("azuredeploy.parameters.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(std::fs::read(&real).unwrap(), before, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("outside the scanned folder"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("0 files changed"), "{stdout}");
    assert!(stdout.contains("1 not written"), "{stdout}");
}
