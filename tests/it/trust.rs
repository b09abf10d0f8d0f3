//! Issue 24, trust under failure and attack: hostile inputs of our own
//! (`tests/fixtures/trust/`) against the live reader, the renderers, the
//! folder walk and `policy test`. The collector's cases are in `collect.rs`,
//! `fix`'s failing writes in `fix.rs`.

use crate::common::{project, report, verdict};
use aml_baseline::render::{self, OutputFormat, RenderOptions};
use std::process::Command;

fn aml(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(args)
        .current_dir(project(""))
        .env("NO_COLOR", "1")
        .env("AML_BASELINE_PROGRESS", "0")
        .output()
        .unwrap()
}

const BIDI: &[char] = &[
    '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}',
];

/// Names carrying terminal escapes, a right-to-left override, isolates and a
/// spreadsheet formula reach no output raw: text, Markdown and CSV escape
/// them (CSV also defuses the formula), JSON and SARIF stay valid JSON with
/// the controls escaped by the serialiser.
#[test]
fn control_and_bidi_characters_never_reach_the_reader_raw() {
    let path = project("tests/fixtures/trust/hostile-names.json");
    let options = aml_baseline::scan::ScanOptions {
        paths: vec![path],
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    assert!(
        run.report
            .results
            .iter()
            .any(|r| r.resource_name.contains('\u{1b}')),
        "the fixture holds an ESC"
    );
    for format in [
        OutputFormat::Text,
        OutputFormat::Markdown,
        OutputFormat::Csv,
        OutputFormat::Json,
        OutputFormat::Sarif,
    ] {
        for color in [false, true] {
            let o = RenderOptions {
                color,
                ..Default::default()
            };
            let out = render::render_run(format, &run, &o);
            let styled = color && format == OutputFormat::Text;
            if !styled {
                assert!(!out.contains('\u{1b}'), "{format:?}: a raw ESC");
            } else {
                // Only the renderer's own styles: ESC followed by `[` and a style.
                assert!(
                    !out.contains("\u{1b}[2J") && !out.contains("\u{1b}]0;"),
                    "{format:?}: a raw escape from the data"
                );
            }
            assert!(!out.contains('\u{7}'), "{format:?}: a raw BEL");
            if matches!(format, OutputFormat::Json | OutputFormat::Sarif) {
                let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
                assert!(
                    v.to_string().contains("\\u001b[2J"),
                    "{format:?}: the name is kept, escaped"
                );
                continue;
            }
            assert!(!out.contains(BIDI), "{format:?}: a raw bidi character");
            assert!(
                out.contains("\\u{202e}"),
                "{format:?}: shown escaped\n{out}"
            );
            if format != OutputFormat::Markdown {
                // Markdown's own escaping already made the ESC a space.
                assert!(
                    out.contains("\\u{1b}[2J"),
                    "{format:?}: shown escaped\n{out}"
                );
            }
        }
    }
    let csv = render::render_run(OutputFormat::Csv, &run, &RenderOptions::default());
    assert!(
        csv.contains(",\"'=HYPERLINK("),
        "the formula cell is defused:\n{csv}"
    );
    assert!(
        !csv.contains(",=HYPERLINK(") && !csv.contains(",\"=HYPERLINK("),
        "{csv}"
    );
    // The binary too, on stdout and stderr.
    let o = aml(&[
        "scan",
        "tests/fixtures/trust/hostile-names.json",
        "--no-config",
    ]);
    for stream in [&o.stdout, &o.stderr] {
        let s = String::from_utf8_lossy(stream);
        assert!(!s.contains('\u{1b}') && !s.contains(BIDI), "{s}");
    }
}

/// An export with both `data` and `value`: both are read, and said so.
#[test]
fn data_and_value_are_both_read() {
    let r = report(&[project("tests/fixtures/trust/data-and-value.json")], None);
    assert_eq!(verdict(&r, "438c38d2", "mlw-in-data"), "pass");
    assert_eq!(verdict(&r, "438c38d2", "mlw-in-value"), "fail");
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.code == "live-export" && d.message.contains("both `data`")),
        "{:?}",
        r.diagnostics
    );
}

/// 50,000 rows with one id: one aggregated diagnostic, not 49,999.
#[test]
fn fifty_thousand_rows_with_one_id_give_one_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let row = r#"{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w", "type": "microsoft.machinelearningservices/workspaces", "name": "w", "properties": {}}"#;
    let rows = vec![row; 50_000].join(",\n");
    std::fs::write(
        dir.path().join("dup.json"),
        format!("{{\"data\": [{rows}]}}"),
    )
    .unwrap();
    let r = report(&[dir.path().join("dup.json")], None);
    let dups: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == "live-duplicate")
        .collect();
    assert_eq!(dups.len(), 1, "{:?}", r.diagnostics);
    assert!(
        dups[0].message.contains("49999 times"),
        "{}",
        dups[0].message
    );
    assert_eq!(dups[0].line, 2, "at the first repeat");
}

/// A partial export (the collector's `incomplete` section): an error per
/// part, unknown for every rule on what is missing (and for the rule whose
/// related resources are missing), exit 2; `--allow-partial` makes them
/// warnings and keeps the unknowns.
#[test]
fn a_partial_export_is_never_scanned_as_complete() {
    let path = "tests/fixtures/trust/partial-export.json";
    let r = report(&[project(path)], None);
    let partial: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == "live-export-partial")
        .collect();
    assert_eq!(partial.len(), 3, "{partial:?}");
    assert!(partial
        .iter()
        .all(|d| d.level == aml_baseline::diagnostics::Level::Error && d.line > 15));
    assert_eq!(
        verdict(&r, "438c38d2", "mlw-part"),
        "pass",
        "what was read is judged"
    );
    assert_eq!(
        verdict(&r, "afe0c3be", "mlw-part"),
        "unknown",
        "its diagnostic settings were not read"
    );
    assert_eq!(verdict(&r, "f110a506", "mlw-part/not-read"), "unknown");
    assert!(
        r.results.iter().any(
            |x| x.resource_type == "Microsoft.MachineLearningServices/registries"
                && x.resource_name == "not-read"
        ),
        "the registries a truncated result may hide are judged unknown"
    );
    // Nothing on a stand-in passes or fails.
    for x in r
        .results
        .iter()
        .filter(|x| x.resource_id.contains("/not-read"))
    {
        assert_eq!(
            x.result.as_str(),
            "unknown",
            "{} on {}: {}",
            x.rule,
            x.resource_id,
            x.message
        );
        assert!(x.message.contains("not read from Azure"), "{}", x.message);
    }
    let o = aml(&["scan", path, "--no-config"]);
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("error[live-export-partial]: tests/fixtures/trust/partial-export.json:"),
        "{text}"
    );
    let o = aml(&[
        "scan",
        path,
        "--no-config",
        "--allow-partial",
        "--format",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["summary"]["errors"], 0);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the gaps accepted: the results decide (the workspace fails other rules)"
    );
    assert!(j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["level"] == "warning"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("accepted by --allow-partial")));
}

/// A page of a larger result is partial too: an error, unless --allow-partial.
#[test]
fn one_page_of_more_is_an_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("page.json");
    std::fs::write(&p, r#"{"value": [{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w", "type": "Microsoft.MachineLearningServices/workspaces", "name": "w", "properties": {"publicNetworkAccess": "Disabled"}}], "nextLink": "https://management.azure.com/next"}"#).unwrap();
    let p = p.to_str().unwrap();
    assert_eq!(aml(&["scan", p, "--no-config"]).status.code(), Some(2));
    // Accepted: the exit code is the results' (this workspace fails other rules).
    assert_eq!(
        aml(&["scan", p, "--no-config", "--allow-partial"])
            .status
            .code(),
        Some(1)
    );
}

/// Symbolic links met while walking are not followed and are said: a scan
/// of a folder holding only links does not pass in silence.
#[cfg(unix)]
#[test]
fn symlinked_files_and_folders_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    let scanned = dir.path().join("scanned");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(&scanned).unwrap();
    std::fs::copy(
        project("examples/insecure-workspace/azuredeploy.json"),
        real.join("azuredeploy.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(real.join("azuredeploy.json"), scanned.join("main.json")).unwrap();
    std::os::unix::fs::symlink(&real, scanned.join("infra")).unwrap();
    std::os::unix::fs::symlink(real.join("nothing.bicep"), scanned.join("broken.bicep")).unwrap();
    std::os::unix::fs::symlink(real.join("notes.txt"), scanned.join("notes.txt")).unwrap();
    let r = report(std::slice::from_ref(&scanned), None);
    let links: Vec<&str> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == "symlink-skipped")
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(links.len(), 3, "{:?}", r.diagnostics);
    for name in ["main.json", "infra", "broken.bicep"] {
        assert!(links.iter().any(|p| p.ends_with(name)), "{name}: {links:?}");
    }
    assert!(r
        .diagnostics
        .iter()
        .all(|d| d.level == aml_baseline::diagnostics::Level::Warning));
    let o = aml(&["scan", scanned.to_str().unwrap(), "--no-config"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("warning[symlink-skipped]") && text.contains("symbolic link not followed"),
        "{text}"
    );
}

/// The export size is checked against the memory scanning it needs before
/// it is read: a diagnostic, never an abort.
#[test]
fn an_export_larger_than_the_memory_allows_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.json");
    // 40 MiB: over the 32 MiB of other files, a live export by its start.
    let row = r#"{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st", "type": "microsoft.storage/storageaccounts", "name": "st", "properties": {}}"#;
    let mut text = String::from("{\"data\": [");
    while text.len() < 40 * 1024 * 1024 {
        text.push_str(row);
        text.push(',');
    }
    text.push_str(row);
    text.push_str("]}");
    std::fs::write(&p, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args([
            "scan",
            p.to_str().unwrap(),
            "--no-config",
            "--format",
            "json",
        ])
        .env("AML_BASELINE_MEMORY_MB", "1024")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &j["diagnostics"][0];
    assert_eq!(d["code"], "file-too-large");
    let m = d["message"].as_str().unwrap();
    assert!(
        m.contains("needs about 1280 MiB") && m.contains("1024 MiB are available"),
        "{m}"
    );
    assert_eq!(j["summary"]["files"], 0);
}

/// `policy test`: an `input:` outside the boundary is refused with its
/// position; a `cases:` key given twice is an error naming both.
#[test]
fn policy_test_inputs_stay_inside_and_duplicate_keys_are_errors() {
    let o = aml(&[
        "policy",
        "test",
        "tests/fixtures/trust/policy-input-escape/policies",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "d.tests.yaml:3:12: input ../../../../../../../../../../etc/hostname lies outside"
        ),
        "{text}"
    );
    let o = aml(&["policy", "test", "tests/fixtures/trust/policy-dup-cases"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("d.tests.yaml:7:1") && text.contains("Duplicate key \"cases\""),
        "{text}"
    );
}

/// An initiative whose members are all missing: one warning, at the file
/// and line of its first member.
#[test]
fn an_initiative_with_every_member_missing_is_a_positioned_warning() {
    let dir = "tests/fixtures/trust/policy-empty-initiative";
    let o = aml(&[
        "scan",
        "examples/insecure-workspace",
        "--no-config",
        "--policies",
        dir,
        "--format",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let w: Vec<&serde_json::Value> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "policy-assignment")
        .collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0]["message"].as_str().unwrap().contains("all 2 members"),
        "{}",
        w[0]
    );
    assert!(
        w[0]["path"].as_str().unwrap().ends_with("gone.json"),
        "{}",
        w[0]
    );
    assert_eq!(w[0]["line"], 8, "{}", w[0]);
}
