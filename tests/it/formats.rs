//! The report formats: SARIF against the OASIS schema, well-formed JUnit XML
//! with hostile names, the Markdown size limit, CSV quoting, HTML escaping,
//! and snapshots of every format on `examples/`.

use aml_baseline::evaluate::Verdict;
use aml_baseline::pipeline::{Run, Settings};
use aml_baseline::render::{self, OutputFormat, RenderOptions};
use aml_baseline::report::ResultEntry;
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;

/// Scans `paths` (relative to the crate root, as the tests run there) with
/// no configuration file and a fixed date.
fn run(paths: &[PathBuf]) -> Run {
    let options = ScanOptions {
        paths: paths.to_vec(),
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings)
}

fn examples() -> Run {
    run(&[PathBuf::from("examples")])
}

fn render(format: OutputFormat, run: &Run) -> String {
    render::render_run(format, run, &RenderOptions::default())
}

/// A workspace whose name and tag are hostile to every markup language.
const HOSTILE_NAME: &str = "ws<script>alert(\"x\")</script>&'|*`\u{1}\u{1b}[31m";

fn hostile_template(dir: &std::path::Path) -> PathBuf {
    let name = serde_json::to_string(HOSTILE_NAME).unwrap();
    let text = format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {{
      "type": "Microsoft.MachineLearningServices/workspaces",
      "apiVersion": "2024-04-01",
      "name": {name},
      "location": "westeurope",
      "identity": {{ "type": "SystemAssigned" }},
      "properties": {{
        "publicNetworkAccess": "Enabled"
      }}
    }}
  ]
}}
"#
    );
    let path = dir.join("hostile.json");
    std::fs::write(&path, text).unwrap();
    path
}

fn hostile() -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_template(dir.path());
    let run = run(&[path]);
    assert!(
        run.report
            .results
            .iter()
            .any(|r| r.resource_name == HOSTILE_NAME && r.result == Verdict::Fail),
        "the hostile workspace has a failing result"
    );
    (dir, run)
}

// ---------------------------------------------------------------- SARIF

fn sarif_validator() -> jsonschema::Validator {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/sarif/sarif-schema-2.1.0.json")).unwrap();
    // The published schema's pattern for `language` (on `run` and
    // `toolComponent`) has a stray `]` that a strict regex check of the
    // schema rejects. The fixture stays as published; the test uses the
    // pattern the property means. We never emit `language`.
    for def in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][def]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = serde_json::json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> serde_json::Value {
    let log: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    log
}

/// The JSON report and SARIF are written in pieces (their entries
/// serialised in parallel, a window at a time): the bytes are those of the
/// whole value pretty-printed (the snapshots pin every format's bytes).
#[test]
fn streamed_reports_are_the_bytes_of_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_template(dir.path());
    for paths in [
        vec![PathBuf::from("examples")],
        vec![PathBuf::from("tests/fixtures/live")],
        vec![hostile],
    ] {
        let run = run(&paths);
        assert!(!run.report.results.is_empty(), "{paths:?}");
        assert_eq!(
            render(OutputFormat::Json, &run),
            serde_json::to_string_pretty(&run.report).unwrap() + "\n",
            "{paths:?}"
        );
        let log = render::sarif::log(&run.report, &RenderOptions::default());
        assert_eq!(
            render(OutputFormat::Sarif, &run),
            serde_json::to_string_pretty(&log).unwrap() + "\n",
            "{paths:?}"
        );
    }
}

#[test]
fn sarif_of_the_examples_is_valid_against_the_schema() {
    let run = examples();
    let log = assert_valid_sarif(&render(OutputFormat::Sarif, &run));
    let sarif_run = &log["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        run.report.tool.rules.len(),
        "one descriptor per rule that ran"
    );
    let results = sarif_run["results"].as_array().unwrap();
    let not_passed = run
        .report
        .results
        .iter()
        .filter(|r| r.result != Verdict::Pass)
        .count();
    assert_eq!(results.len(), not_passed);
    assert_eq!(sarif_run["invocations"][0]["executionSuccessful"], true);
    // Failures with a safe fix carry it as a SARIF `fix` (the schema checks its shape).
    let with_fixes = results
        .iter()
        .filter(|r| {
            r["fixes"][0]["artifactChanges"][0]["replacements"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .count();
    assert!(with_fixes >= 5, "{with_fixes} results with fixes");
    // The validator does reject what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!sarif_validator().is_valid(&broken));

    // The public network access failure of the insecure workspace, where
    // the file says "publicNetworkAccess": "Enabled".
    let pna = results
        .iter()
        .find(|r| {
            r["ruleId"] == "AMLB-POL-438c38d2"
                && r["locations"][0]["logicalLocations"][0]["name"] == "mlw-quickstart"
        })
        .expect("438c38d2 fails on mlw-quickstart");
    assert_eq!(pna["level"], "error", "high severity is an error");
    let index = pna["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "AMLB-POL-438c38d2");
    assert_eq!(rules[index]["properties"]["control"], "NS-2");
    let loc = &pna["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "examples/insecure-workspace/azuredeploy.json"
    );
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let source = std::fs::read_to_string("examples/insecure-workspace/azuredeploy.json").unwrap();
    let line = source
        .lines()
        .nth(loc["region"]["startLine"].as_u64().unwrap() as usize - 1)
        .unwrap();
    let start = loc["region"]["startColumn"].as_u64().unwrap() as usize - 1;
    let end = loc["region"]["endColumn"].as_u64().unwrap() as usize - 1;
    // The template sets the property from a parameter (whose value in the
    // parameter file is "Enabled"): the region is that expression.
    assert_eq!(
        &line[start..end],
        "\"[parameters('publicNetworkAccess')]\"",
        "the region is the value"
    );
    assert_eq!(
        pna["partialFingerprints"]["amlBaselineResult/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
}

#[test]
fn sarif_fingerprints_survive_unrelated_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_template(dir.path());
    let fingerprint_of = |run: &Run| -> (String, u64) {
        let log = assert_valid_sarif(&render(OutputFormat::Sarif, run));
        let r = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == "AMLB-POL-438c38d2")
            .cloned()
            .unwrap();
        (
            r["partialFingerprints"]["amlBaselineResult/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap(),
        )
    };
    let before = fingerprint_of(&run(std::slice::from_ref(&path)));
    // Insert lines above the resource: the line moves, the fingerprint stays.
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen(
        "\"resources\": [",
        "\"variables\": {\n    \"unrelated\": 1\n  },\n  \"resources\": [",
        1,
    );
    std::fs::write(&path, edited).unwrap();
    let after = fingerprint_of(&run(std::slice::from_ref(&path)));
    assert_eq!(after.1, before.1 + 3, "the finding moved down three lines");
    assert_eq!(after.0, before.0, "same fingerprint");
}

#[test]
fn sarif_reports_input_errors_as_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [ }\n",
    )
    .unwrap();
    let run = run(&[path]);
    assert!(run.report.summary.errors > 0);
    let log = assert_valid_sarif(&render(OutputFormat::Sarif, &run));
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["level"] == "error"
        && n["locations"][0]["physicalLocation"]["region"]["startLine"] == 3));
}

#[test]
fn sarif_with_hostile_names_is_valid() {
    let (_dir, run) = hostile();
    let log = assert_valid_sarif(&render(OutputFormat::Sarif, &run));
    assert!(log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["locations"][0]["logicalLocations"][0]["name"] == HOSTILE_NAME));
    // helpUri only with a base, and then absolute.
    let with_base = render::render_run(
        OutputFormat::Sarif,
        &run,
        &RenderOptions {
            rule_docs_base: Some("https://example.test/aml-baseline/blob/main/".into()),
            ..Default::default()
        },
    );
    let log = assert_valid_sarif(&with_base);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"]
            .as_str()
            .unwrap(),
        format!(
            "https://example.test/aml-baseline/blob/main/docs/rules/{}.md",
            run.report.tool.rules[0]
        )
    );
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_is_well_formed_with_hostile_names() {
    let (_dir, run) = hostile();
    let xml = render(OutputFormat::Junit, &run);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let case = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testcase") && n.attribute("classname") == Some("AMLB-POL-438c38d2")
        })
        .expect("a testcase for 438c38d2");
    let name = case.attribute("name").unwrap();
    assert!(
        name.starts_with(
            "Microsoft.MachineLearningServices/workspaces ws<script>alert(\"x\")</script>&'|*`"
        ),
        "{name}"
    );
    assert!(
        name.contains("\\u{1}\\u{1b}"),
        "control characters are spelled out: {name}"
    );
    let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("high"));
    assert!(failure.text().unwrap().contains("hostile.json:"));
}

#[test]
fn junit_has_a_suite_per_control_with_counts() {
    let run = examples();
    let xml = render(OutputFormat::Junit, &run);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(
        root.attribute("tests").unwrap(),
        run.report.summary.results.to_string()
    );
    assert_eq!(
        root.attribute("failures").unwrap(),
        run.report.summary.failed.to_string()
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), run.report.baseline.controls.len());
    let ns2 = suites
        .iter()
        .find(|s| s.attribute("name") == Some("NS-2 Secure cloud services with network controls"))
        .unwrap();
    let cases = ns2
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(ns2.attribute("tests").unwrap(), cases.to_string());
    let failures = ns2
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(ns2.attribute("failures").unwrap(), failures.to_string());
    assert!(
        failures >= 3,
        "the insecure workspace fails three NS-2 rules"
    );
}

// ---------------------------------------------------------------- Markdown

/// A copy of a result with another resource name (for large reports).
fn copy_result(r: &ResultEntry, i: usize) -> ResultEntry {
    ResultEntry {
        resource_id: format!("{}-{i}", r.resource_id).into(),
        resource_name: format!("{}-{i}", r.resource_name).into(),
        ..r.clone()
    }
}

#[test]
fn markdown_stays_under_the_comment_limit_however_large_the_scan() {
    let mut run = examples();
    let failing: Vec<usize> = (0..run.report.results.len())
        .filter(|&i| run.report.results[i].result == Verdict::Fail)
        .collect();
    for i in 0..5000 {
        let r = copy_result(&run.report.results[failing[i % failing.len()]], i);
        run.report.results.push(r);
    }
    let total_not_passed = run
        .report
        .results
        .iter()
        .filter(|r| r.result != Verdict::Pass)
        .count();
    let md = render(OutputFormat::Markdown, &run);
    assert!(md.chars().count() <= 65_000, "{} chars", md.chars().count());
    let shown = md
        .lines()
        .filter(|l| l.starts_with("- ❌") || l.starts_with("- ❔"))
        .count();
    assert!(shown > 50, "a useful number of findings is shown: {shown}");
    let more = format!("… and {} more", total_not_passed - shown);
    assert!(md.contains(&more), "expected '{more}'");
    // Small scans are not truncated.
    let small = render(OutputFormat::Markdown, &examples());
    assert!(!small.contains("… and"));
}

#[test]
fn markdown_neutralises_hostile_names() {
    let (_dir, run) = hostile();
    let md = render(OutputFormat::Markdown, &run);
    // The name only ever appears inside a code span, where Markdown and
    // HTML are inert; control characters become spaces.
    let span = "``ws<script>alert(\"x\")</script>&'|*`  [31m``";
    assert!(md.contains(span), "{md}");
    assert_eq!(md.matches("<script>").count(), md.matches(span).count());
    assert!(!md.contains('\u{1b}'));
}

// ---------------------------------------------------------------- CSV

/// A minimal RFC 4180 reader for the test.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn csv_has_one_row_per_result_and_round_trips() {
    let run = examples();
    let rows = parse_csv(&render(OutputFormat::Csv, &run));
    assert_eq!(rows[0], aml_baseline::render::csv::HEADER.to_vec());
    assert_eq!(rows.len() - 1, run.report.results.len());
    for (row, r) in rows[1..].iter().zip(&run.report.results) {
        assert_eq!(row.len(), 17);
        assert_eq!(row[14], r.effect.clone().unwrap_or_default());
        assert_eq!(row[0], r.rule);
        assert_eq!(row[4], r.result.as_str());
        assert_eq!(row[8], r.resource_name);
        assert_eq!(row[12], r.message);
        assert_eq!(row[16], r.source);
    }
    let (_dir, run) = hostile();
    let rows = parse_csv(&render(OutputFormat::Csv, &run));
    assert!(rows[1..].iter().all(|r| r.len() == 17));
    // Control characters are shown escaped (issue 24), the rest as is.
    let shown = aml_baseline::render::escape_controls(HOSTILE_NAME);
    assert!(shown.contains("\\u{1b}[31m"));
    assert!(rows.iter().any(|r| r[8] == shown));
}

// ---------------------------------------------------------------- CLI

fn aml(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn each_output_takes_the_format_before_it_and_one_format_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("a.sarif");
    let junit = dir.path().join("a.xml");
    let out = aml(&[
        "scan",
        "examples",
        "--no-config",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
        "--format",
        "text",
        "--format",
        "junit",
        "-o",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("NS-2  Secure cloud services with network controls"));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .starts_with("<?xml"));

    // `-o FILE --format json` (output first) still pairs them.
    let json = dir.path().join("r.json");
    let out = aml(&[
        "scan",
        "examples",
        "--no-config",
        "-o",
        json.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(std::fs::read_to_string(&json)
        .unwrap()
        .contains("\"schema_version\""));
}

#[test]
fn ambiguous_outputs_are_usage_errors() {
    let out = aml(&["scan", "examples", "--format", "sarif", "--format", "text"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("only one format can go to standard output"),
        "{err}"
    );

    let out = aml(&[
        "scan", "examples", "--format", "json", "-o", "a.json", "-o", "b.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("has no --format"));
    assert!(!std::path::Path::new("a.json").exists());
}

// ---------------------------------------------------------------- HTML

#[test]
fn html_is_self_contained_deterministic_and_escaped() {
    let run = examples();
    let html = render(OutputFormat::Html, &run);
    assert_eq!(
        html,
        render(OutputFormat::Html, &examples()),
        "deterministic"
    );
    // URLs may appear as text (a YAML `$schema` line in a source snippet),
    // never where a browser would load them.
    for external in ["src=", "href=", "@import", "url(", "=\"http", "='http"] {
        assert!(
            !html.contains(external),
            "the page loads nothing: found {external}"
        );
    }
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("<style").count(), 1);
    // Every result is on the page once, failures with their source and fix.
    assert_eq!(
        html.matches("<div class=\"result\"").count(),
        run.report.summary.results
    );
    assert!(html.contains("<pre class=\"snippet\">"));
    assert!(html.contains(
        "&quot;publicNetworkAccess&quot;: &quot;[parameters(&#39;publicNetworkAccess&#39;)]&quot;"
    ));

    let (_dir, run) = hostile();
    let html = render(OutputFormat::Html, &run);
    assert_eq!(
        html.matches("<script").count(),
        1,
        "the name adds no script"
    );
    assert!(html.contains(
        "ws&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;|*`\\u{1}\\u{1b}[31m"
    ));
}

#[test]
fn snippets_never_show_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.json");
    std::fs::write(
        &path,
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "pw": { "type": "securestring", "defaultValue": "Hunter2-Secret" } },
  "resources": [
    { "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ws", "location": "westeurope",
      "tags": { "pw": "Hunter2-Secret" }, "properties": { "publicNetworkAccess": "Enabled" } }
  ]
}
"#,
    )
    .unwrap();
    let run = run(&[path]);
    assert!(run.scan.model.secrets.iter().any(|s| s == "Hunter2-Secret"));
    for format in [OutputFormat::Text, OutputFormat::Html] {
        let out = render(format, &run);
        assert!(!out.contains("Hunter2"), "{format:?} shows the secret");
    }
}

// ---------------------------------------------------------------- unknowns and colour

/// A workspace whose public network access is a parameter with no value.
fn undecided() -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("undecided.json");
    std::fs::write(
        &path,
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "access": { "type": "string" } },
  "resources": [
    { "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ws",
      "location": "westeurope", "properties": { "publicNetworkAccess": "[parameters('access')]" } }
  ]
}
"#,
    )
    .unwrap();
    let run = run(&[path]);
    assert!(
        run.report.summary.unknown > 0,
        "the parameter leaves results unknown"
    );
    (dir, run)
}

#[test]
fn unknowns_are_sarif_reviews_and_junit_skips() {
    let (_dir, run) = undecided();
    let log = assert_valid_sarif(&render(OutputFormat::Sarif, &run));
    let unknown = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "AMLB-POL-438c38d2")
        .expect("438c38d2 is reported");
    assert_eq!(unknown["kind"], "review");
    assert_eq!(unknown["level"], "none");
    assert_eq!(unknown["properties"]["result"], "unknown");

    let xml = render(OutputFormat::Junit, &run);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testcase") && n.attribute("classname") == Some("AMLB-POL-438c38d2")
        })
        .unwrap();
    let skipped = case.children().find(|n| n.has_tag_name("skipped")).unwrap();
    assert!(skipped
        .attribute("message")
        .unwrap()
        .starts_with("unknown: "));
    assert!(skipped
        .attribute("message")
        .unwrap()
        .contains("parameters('access')"));
    assert_eq!(
        doc.root_element().attribute("skipped").unwrap(),
        run.report.summary.unknown.to_string()
    );

    let md = render(OutputFormat::Markdown, &run);
    assert!(md.contains("- ❔ **AMLB-POL-438c38d2**"), "{md}");
}

#[test]
fn colour_only_when_asked() {
    let run = examples();
    let plain = render(OutputFormat::Text, &run);
    assert!(!plain.contains('\u{1b}'));
    let coloured = render::render_run(
        OutputFormat::Text,
        &run,
        &RenderOptions {
            color: true,
            ..Default::default()
        },
    );
    assert!(coloured.contains("\u{1b}["), "ANSI styles on a terminal");
    // Piped (as the tests run the binary), the CLI writes plain text.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", "examples", "--no-config"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\u{1b}'));
}
