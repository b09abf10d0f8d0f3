//! The command line end to end: the bundled examples, exit codes, formats and
//! malformed inputs (a diagnostic with file:line:col, never a panic, and the
//! other files are still scanned).

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().expect("runs")
}

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const TEMPLATE_HEAD: &str = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0""#;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn examples_insecure_fails_and_hardened_passes() {
    let out = run(&["scan", "examples/insecure-workspace"], project());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("NS-2  Secure cloud services with network controls"),
        "{text}"
    );
    assert!(text.contains("AMLB-POL-438c38d2"), "{text}");
    assert!(
        text.contains("examples/insecure-workspace/azuredeploy.json:"),
        "{text}"
    );
    assert!(text.lines().last().unwrap().contains("failed"), "{text}");

    let out = run(&["scan", "examples/hardened-workspace"], project());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    // Nothing fails; the compute instance's OS image is only known live.
    assert!(text.contains(", 0 failed, 1 unknown"), "{text}");
    assert!(
        text.contains("reported by Azure on the deployed compute instance"),
        "{text}"
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = run(&["scan", "examples", "--format", "json"], project());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "aml-baseline");
    for key in ["files", "diagnostics", "resources", "results"] {
        assert!(v[key].is_array(), "{key}");
    }
    let result = &v["results"][0];
    for key in [
        "rule",
        "policy",
        "control",
        "feature",
        "result",
        "severity",
        "resource_id",
        "resource_type",
        "resource_name",
        "path",
        "line",
        "column",
        "message",
    ] {
        assert!(result.get(key).is_some(), "results[].{key} missing");
    }
    let pna = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "AMLB-POL-438c38d2" && r["resource_name"] == "mlw-quickstart")
        .unwrap();
    assert_eq!(pna["policy"], "438c38d2-3772-465a-a9cc-7a6666a275ce");
    assert_eq!(pna["result"], "fail");
    assert_eq!(pna["control"], "NS-2");
    // Points at the parameter reference that sets the value, in the template.
    assert_eq!(pna["path"], "examples/insecure-workspace/azuredeploy.json");
    let line = pna["line"].as_u64().unwrap() as usize;
    let src =
        std::fs::read_to_string(project().join("examples/insecure-workspace/azuredeploy.json"))
            .unwrap();
    assert!(src
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("\"publicNetworkAccess\""));
    // The examples folder holds every input format.
    let formats: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    for f in ["arm", "arm-parameters", "bicep", "terraform"] {
        assert!(formats.contains(&f), "{f} in {formats:?}");
    }
}

#[test]
fn rules_lists_every_rule() {
    let out = run(&["rules", "--format", "json"], project());
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "AMLB-POL-438c38d2",
        "AMLB-POL-e96a9a5f",
        "AMLB-POL-7804b5c7",
        "AMLB-POL-ba769a63",
        "AMLB-POL-5f0c7d88",
        "AMLB-POL-e413671a",
        "AMLB-POL-679ddf89",
        "AMLB-POL-6ddb1705",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["scan", "--format", "yaml"], project());
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["frobnicate"], project());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn malformed_inputs_give_positioned_diagnostics_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "broken.json", &format!("{{{TEMPLATE_HEAD},\n  \"resources\": [\n    {{ \"type\": \"x\" \"name\": \"y\" }}\n  ]\n}}"));
    write(d, "unknown-function.json", &format!(
        "{{{TEMPLATE_HEAD},\n\"resources\": [{{\"type\": \"Microsoft.MachineLearningServices/workspaces\", \"apiVersion\": \"2024-04-01\", \"name\": \"[frobnicate('a')]\", \"location\": \"x\"}}]}}"
    ));
    write(d, "wrong-type.json", &format!(
        "{{{TEMPLATE_HEAD},\n\"parameters\": {{\"n\": {{\"type\": \"int\", \"defaultValue\": \"three\"}}, \"pna\": {{\"type\": \"string\", \"defaultValue\": \"Open\", \"allowedValues\": [\"Enabled\", \"Disabled\"]}}}},\n\"resources\": []}}"
    ));
    write(d, "huge-copy.json", &format!(
        "{{{TEMPLATE_HEAD},\n\"resources\": [{{\"type\": \"Microsoft.MachineLearningServices/workspaces/computes\", \"apiVersion\": \"2024-04-01\", \"name\": \"[concat('w/c', copyIndex())]\", \"copy\": {{\"name\": \"c\", \"count\": 1000000000}}, \"properties\": {{\"computeType\": \"AmlCompute\"}}}}]}}"
    ));
    write(d, "good.json", &format!(
        "{{{TEMPLATE_HEAD},\n\"resources\": [{{\"type\": \"Microsoft.MachineLearningServices/workspaces\", \"apiVersion\": \"2024-04-01\", \"name\": \"good\", \"location\": \"x\", \"properties\": {{\"publicNetworkAccess\": \"Disabled\"}}}}]}}"
    ));
    write(d, "package.json", "{ \"name\": \"not-a-template\", oops }");
    write(d, "binary.json", "\u{0}\u{1}\u{2}");

    let started = std::time::Instant::now();
    let out = run(&["scan", ".", "--format", "json"], d);
    assert!(
        started.elapsed().as_secs() < 30,
        "a hostile folder must not hang the scan"
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    let find = |code: &str, path: &str| {
        diags
            .iter()
            .find(|x| x["code"] == code && x["path"] == path)
            .unwrap_or_else(|| panic!("no {code} diagnostic on {path}: {diags:#?}"))
            .clone()
    };
    let syntax = find("json-syntax", "broken.json");
    assert_eq!(
        (syntax["line"].as_u64(), syntax["column"].as_u64()),
        (Some(3), Some(18))
    );
    let unknown_fn = find("expression", "unknown-function.json");
    assert!(
        unknown_fn["message"]
            .as_str()
            .unwrap()
            .contains("frobnicate"),
        "{unknown_fn}"
    );
    assert_eq!(unknown_fn["line"], 2);
    let wrong_type = find("parameter-type", "wrong-type.json");
    assert!(
        wrong_type["message"].as_str().unwrap().contains("'n'"),
        "{wrong_type}"
    );
    let not_allowed = find("parameter-not-allowed", "wrong-type.json");
    assert!(
        not_allowed["message"].as_str().unwrap().contains("'Open'"),
        "{not_allowed}"
    );
    let copy = find("copy-limit", "huge-copy.json");
    assert!(
        copy["message"].as_str().unwrap().contains("1000000000"),
        "{copy}"
    );
    // Files that are not templates are skipped without noise.
    assert!(diags
        .iter()
        .all(|x| x["path"] != "package.json" && x["path"] != "binary.json"));
    // The good file was still scanned.
    let good = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_name"] == "good" && r["rule"] == "AMLB-POL-438c38d2")
        .expect("the good template is still evaluated");
    assert_eq!(good["result"], "pass");
}

#[test]
fn a_missing_path_is_an_error() {
    let out = run(&["scan", "no/such/folder"], project());
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[io]: no/such/folder"), "{text}");
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    let out = run(
        &[
            "scan",
            "examples/hardened-workspace",
            "--format",
            "json",
            "-o",
            target.to_str().unwrap(),
        ],
        project(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(target).unwrap()).unwrap();
    assert_eq!(v["summary"]["failed"], 0);
}

#[test]
fn policies_lists_every_shipped_definition_and_why_some_are_not_evaluable() {
    let out = run(&["policies", "--format", "json"], project());
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(
        list.len(),
        47,
        "30 ARM-mode and 9 resource-provider mode Azure built-ins, 8 Azure Landing Zones definitions"
    );
    for d in list {
        if d["evaluable"] == true {
            assert!(
                d["rule"].is_string()
                    || d["note"]
                        .as_str()
                        .is_some_and(|n| n.contains("--assignments")),
                "every evaluable definition runs as a rule, or when assigned: {d}"
            );
        } else {
            assert!(
                d["note"]
                    .as_str()
                    .unwrap()
                    .contains("not evaluable offline"),
                "{d}"
            );
        }
    }
    // The registry-model mode (12e5dd16, 19539b54 and Azure's test copy) is
    // evaluated on deployments; the six of Microsoft.MachineLearningServices.Data are not.
    assert_eq!(list.iter().filter(|d| d["evaluable"] == false).count(), 6);
}

#[test]
fn explain_prints_the_written_page() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["explain", "AMLB-IM8-004"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("## Why it matters"), "{text}");
    assert!(text.contains("securestring"), "{text}");
}

/// `-o` over a large earlier report (decision 0060): the new report takes
/// its place, with its permissions, and nothing is left beside it; the
/// same bytes as a report written to a new path.
#[test]
fn a_large_earlier_report_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.json");
    let again = dir.path().join("again.json");
    std::fs::write(&again, vec![b' '; 9 * 1024 * 1024]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&again, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for path in [&fresh, &again] {
        let out = run(
            &[
                "scan",
                "examples/insecure-workspace",
                "--no-config",
                "--format",
                "json",
                "-o",
                path.to_str().unwrap(),
            ],
            project(),
        );
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&fresh).unwrap()
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["again.json", "fresh.json"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&again).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
