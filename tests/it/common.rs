//! Helpers shared by the integration tests.
#![allow(dead_code)]

use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use std::path::{Path, PathBuf};

/// `corpus!("rel/path")`: a path inside `../shared/corpus/realworld`, or
/// return from the calling test (with a message) when the corpus is not
/// beside the project. Needs `realworld` in scope.
#[allow(unused_macros)]
macro_rules! corpus {
    ($rel:expr) => {{
        let Some(root) = realworld() else {
            eprintln!("../shared/corpus/realworld is not here; skipping");
            return;
        };
        root.join($rel)
    }};
}

/// `../shared/corpus/realworld` (CI has it at the same place), or `None`.
pub fn realworld() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    p.is_dir().then_some(p)
}

/// A path inside the project.
pub fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Scans paths with the default rules and builds the report.
pub fn report(paths: &[PathBuf], parameters: Option<PathBuf>) -> Report {
    report_with(paths, parameters, false)
}

/// Scans paths, with every rule when `all_rules`; no configuration file is
/// searched for, and attestations are compared with a fixed date.
pub fn report_with(paths: &[PathBuf], parameters: Option<PathBuf>, all_rules: bool) -> Report {
    let options = ScanOptions {
        paths: paths.to_vec(),
        parameters,
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        all_rules,
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings).report
}

/// The result of `rule` (id or 8-hex policy prefix) on the resource named
/// `name` (full name), as "pass" / "fail" / "unknown", or "n/a".
pub fn verdict(report: &Report, rule: &str, name: &str) -> String {
    verdict_where(report, rule, name, |r| r.resource_name == name)
}

/// The result of `rule` on the resource read from the file whose path ends
/// with `file` (for files whose resources share a name).
pub fn verdict_in_file(report: &Report, rule: &str, file: &str) -> String {
    verdict_where(report, rule, file, |r| r.path.ends_with(file))
}

fn verdict_where(
    report: &Report,
    rule: &str,
    what: &str,
    pick: impl Fn(&aml_baseline::report::ResultEntry) -> bool,
) -> String {
    let rule_id = aml_baseline::rules::find(rule)
        .map(|r| r.id)
        .unwrap_or(rule);
    let hits: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.rule == rule_id && pick(r))
        .collect();
    match hits.as_slice() {
        [] => "n/a".into(),
        [one] => one.result.as_str().into(),
        many => panic!(
            "{} results for {rule} on {what}: {:?}",
            many.len(),
            many.iter().map(|r| &r.path).collect::<Vec<_>>()
        ),
    }
}

/// Every output format.
pub const ALL_FORMATS: [aml_baseline::render::OutputFormat; 7] = [
    aml_baseline::render::OutputFormat::Text,
    aml_baseline::render::OutputFormat::Json,
    aml_baseline::render::OutputFormat::Sarif,
    aml_baseline::render::OutputFormat::Junit,
    aml_baseline::render::OutputFormat::Markdown,
    aml_baseline::render::OutputFormat::Csv,
    aml_baseline::render::OutputFormat::Html,
];

/// Runs the pipeline on `paths` (relative to the crate root) with no
/// configuration file and a fixed date (2026-11-28).
pub fn run(paths: &[&str]) -> aml_baseline::pipeline::Run {
    let options = ScanOptions {
        paths: paths.iter().map(PathBuf::from).collect(),
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings)
}

/// Asserts that `document` is valid against `validator`, listing the first
/// errors (message and where) when it is not.
pub fn assert_schema_valid(
    validator: &jsonschema::Validator,
    document: &serde_json::Value,
    what: &str,
) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

/// Error-level diagnostics, formatted for an assertion message.
pub fn errors(report: &Report) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.level == aml_baseline::diagnostics::Level::Error)
        .map(|d| {
            format!(
                "{}:{}:{} [{}] {}",
                d.path, d.line, d.column, d.code, d.message
            )
        })
        .collect()
}
